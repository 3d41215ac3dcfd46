// The HPA v2 `behavior` block (autoscaling/v2 HorizontalPodAutoscalerBehavior) and its API
// defaulting, as in Kubernetes 1.28 pkg/apis/autoscaling/v2/defaults.go.
#ifndef KRS_LAB_POLICY_HPA_BEHAVIOR_H_
#define KRS_LAB_POLICY_HPA_BEHAVIOR_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace krs::lab {

enum class HpaPolicyType { kPods, kPercent };
enum class HpaSelectPolicy { kMax, kMin, kDisabled };

// "Pods", "Percent"; "Max", "Min", "Disabled" (the API spellings).
absl::string_view HpaPolicyTypeName(HpaPolicyType type);
absl::string_view HpaSelectPolicyName(HpaSelectPolicy policy);

// One rate limit: change by at most `value` pods (or percent) within `period_seconds`.
struct HpaScalingPolicy {
  HpaPolicyType type = HpaPolicyType::kPods;
  std::int32_t value = 0;
  std::int32_t period_seconds = 0;
};

// HPAScalingRules. Unset fields are filled by DefaultHpaBehavior(). `tolerance` exists from
// Kubernetes 1.33 on (feature gate HPAConfigurableTolerance).
struct HpaScalingRules {
  std::optional<std::int32_t> stabilization_window_seconds;
  std::optional<HpaSelectPolicy> select_policy;
  std::optional<std::vector<HpaScalingPolicy>> policies;
  std::optional<double> tolerance;
};

struct HpaBehavior {
  std::optional<HpaScalingRules> scale_up;
  std::optional<HpaScalingRules> scale_down;
};

// Applies the API server defaults to a behavior that is set: scaleUp {window 0, policies
// Pods 4/15 s and Percent 100/15 s, select Max}; scaleDown {window unset, Percent 100/15 s,
// select Max}. Each field of a given rule set is kept when present. The scale-down window stays
// unset: the controller fills it from --horizontal-pod-autoscaler-downscale-stabilization.
HpaBehavior DefaultHpaBehavior(const HpaBehavior& behavior);

}  // namespace krs::lab

#endif  // KRS_LAB_POLICY_HPA_BEHAVIOR_H_
