// KEDA's own ScaledObject decisions, as in KEDA v2.20 pkg/scaling/executor/scale_scaledobjects.go
// and pkg/fallback/fallback.go: activation from zero (or idle), scale to zero or idle after the
// cooldown, errors that block it, and the metric value KEDA returns to the HPA under fallback.
// Between those, the HPA (hpa_calculator.h) sets the replica count.
#ifndef KRS_LAB_POLICY_SCALEDOBJECT_POLICY_H_
#define KRS_LAB_POLICY_SCALEDOBJECT_POLICY_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "lab/manifests/workload_specs.h"
#include "lab/policy/trace.h"

namespace krs::lab {

// The ScaledObject status KEDA keeps between polls.
struct ScaledObjectState {
  absl::Time creation_time;
  // status.lastActiveTime; unset until the first active poll.
  std::optional<absl::Time> last_active_time;
};

// The outcome of one poll of every trigger.
struct ScaledObjectPollResult {
  std::int32_t current_replicas = 0;  // scale target spec.replicas
  bool active = false;                // some trigger active, or fallback active
  bool error = false;                 // some trigger failed
};

struct ScaledObjectDecision {
  // The replica count KEDA writes to the scale target; unset when KEDA leaves it to the HPA.
  std::optional<std::int32_t> scale_to;
  bool last_active_time_updated = false;
  // The Ready condition status KEDA sets: "True", "False" or "Unknown".
  std::string ready_condition = "True";
  std::string reason;
  Trace trace;
};

// Decides one poll at `now` and updates `state.last_active_time`. Does not handle
// `autoscaling.keda.sh/paused*` annotations, which the lab does not support.
ScaledObjectDecision DecideScaledObjectScale(const ScaledObjectSpec& spec,
                                             const ScaledObjectPollResult& poll, absl::Time now,
                                             ScaledObjectState& state);

// The HPA's minReplicas for a ScaledObject: max(1, minReplicaCount).
std::int32_t HpaMinReplicasFor(const ScaledObjectSpec& spec);

// Whether a metric with `failures` consecutive failures is in fallback: a fallback is set with
// failureThreshold ≥ 0 and replicas ≥ 0, and failures > failureThreshold.
bool IsFallbackActive(const std::optional<FallbackSpec>& fallback, std::int32_t failures);

// Returns the replica count R the fallback behavior selects, given the target's spec.replicas.
std::int32_t FallbackReplicas(const FallbackSpec& fallback, std::int32_t current_replicas);

// The metric value KEDA returns to the HPA under fallback: target × R for AverageValue and
// target × R / readyPods for Value (FailedPrecondition when no pod is ready), truncated to
// milli-units like the Kubernetes quantity KEDA builds.
absl::StatusOr<double> FallbackMetricValue(const FallbackSpec& fallback, MetricTargetType type,
                                           double target, std::int32_t current_replicas,
                                           std::int32_t ready_pods, Trace* trace);

// Checks min ≤ max, idle < min, fallback values ≥ 0 (KEDA's ScaledObject validation).
absl::Status ValidateScaledObjectSpec(const ScaledObjectSpec& spec);

}  // namespace krs::lab

#endif  // KRS_LAB_POLICY_SCALEDOBJECT_POLICY_H_
