// ScaledJob scaling settings (KEDA v2.20 apis/keda/v1alpha1/scaledjob_types.go).
#ifndef KRS_LAB_POLICY_SCALEDJOB_TYPES_H_
#define KRS_LAB_POLICY_SCALEDJOB_TYPES_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace krs::lab {

enum class ScaledJobStrategy { kDefault, kCustom, kAccurate, kEager };
enum class MultipleScalersCalculation { kMax, kMin, kAvg, kSum };

// Parse the CRD spellings: "default", "custom", "accurate", "eager"; "max", "min", "avg", "sum".
absl::StatusOr<ScaledJobStrategy> ParseScaledJobStrategy(absl::string_view text);
absl::StatusOr<MultipleScalersCalculation> ParseMultipleScalersCalculation(
    absl::string_view text);
absl::string_view ScaledJobStrategyName(ScaledJobStrategy strategy);
absl::string_view MultipleScalersCalculationName(MultipleScalersCalculation calculation);

// spec.scalingStrategy. `custom_running_job_percentage` is a string in the CRD and KEDA parses
// it as a float only when the custom strategy runs.
struct ScaledJobScalingStrategy {
  ScaledJobStrategy strategy = ScaledJobStrategy::kDefault;
  std::optional<std::int64_t> custom_queue_length_deduction;
  std::optional<std::string> custom_running_job_percentage;
  std::vector<std::string> pending_pod_conditions;
  MultipleScalersCalculation multiple_scalers_calculation = MultipleScalersCalculation::kMax;
};

}  // namespace krs::lab

#endif  // KRS_LAB_POLICY_SCALEDJOB_TYPES_H_
