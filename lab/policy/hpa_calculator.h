// The HPA controller's replica computation for external metrics, as in Kubernetes 1.28
// pkg/controller/podautoscaler/horizontal.go and replica_calculator.go: metric proposals with
// the tolerance, the min/max rules, and either the default normalization (behavior nil) or the
// behavior's stabilization windows and rate-limit policies.
//
// Pure: the caller passes the time and keeps the HpaHistory between syncs, as the controller
// keeps its recommendations and scale events in memory.
#ifndef KRS_LAB_POLICY_HPA_CALCULATOR_H_
#define KRS_LAB_POLICY_HPA_CALCULATOR_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "lab/manifests/workload_specs.h"
#include "lab/policy/hpa_behavior.h"
#include "lab/policy/trace.h"

namespace krs::lab {

// The HPA object KEDA creates (keda-hpa-<so>).
struct HpaSpec {
  // KEDA sets max(1, minReplicaCount).
  std::int32_t min_replicas = 1;
  std::int32_t max_replicas = 100;
  // Unset = nil behavior (KEDA's default); set = as written, before API defaulting.
  std::optional<HpaBehavior> behavior;
  // --horizontal-pod-autoscaler-tolerance; behavior tolerances (1.33) override it per direction.
  double tolerance = 0.1;
  // --horizontal-pod-autoscaler-downscale-stabilization.
  absl::Duration downscale_stabilization = absl::Minutes(5);
};

// One external metric as the HPA reads it for this sync.
struct HpaMetric {
  std::string name;
  MetricTargetType type = MetricTargetType::kAverageValue;
  double target = 0;
  // Sum of the values KEDA returned; unset when the query failed (the metric is invalid).
  std::optional<double> value;
  std::string error;
};

// The scale target as the HPA reads it.
struct HpaInput {
  std::int32_t spec_replicas = 0;    // scale.spec.replicas: the current replica count
  std::int32_t status_replicas = 0;  // scale.status.replicas: used by AverageValue
  std::int32_t ready_pods = 0;       // Running and Ready pods: used by Value
  std::vector<HpaMetric> metrics;
};

struct HpaRecommendation {
  absl::Time time;
  std::int32_t replicas = 0;
};

struct HpaScaleEvent {
  absl::Time time;
  std::int32_t replica_change = 0;  // always positive
  bool outdated = false;
};

// The controller's per-HPA memory: unstabilized recommendations, and (behavior set only) the
// scale events the rate limits look back on.
struct HpaHistory {
  std::vector<HpaRecommendation> recommendations;
  std::vector<HpaScaleEvent> scale_up_events;
  std::vector<HpaScaleEvent> scale_down_events;
};

struct HpaResult {
  std::int32_t desired_replicas = 0;
  // desired_replicas != spec_replicas and scaling is allowed.
  bool rescale = false;
  // spec.replicas == 0 with minReplicas != 0: the HPA does nothing (ScalingDisabled).
  bool scaling_disabled = false;
  // All metrics invalid, or some invalid while the result would scale down: no scaling.
  bool metrics_invalid = false;
  // The HPA condition reason, e.g. "ScaleDownStabilized", "ScaleUpLimit", "TooFewReplicas".
  std::string reason;
  Trace trace;
};

// Runs one HPA sync at `now`: computes the desired replica count and records the unstabilized
// recommendation in `history`. Call RecordHpaScale() when the caller applies a rescale.
HpaResult ComputeHpaReplicas(const HpaSpec& spec, const HpaInput& input, absl::Time now,
                             HpaHistory& history);

// Records the scale from `previous` to `next` replicas in `history` (only when a behavior is
// set, like the controller's storeScaleEvent).
void RecordHpaScale(const HpaSpec& spec, std::int32_t previous, std::int32_t next,
                    absl::Time now, HpaHistory& history);

}  // namespace krs::lab

#endif  // KRS_LAB_POLICY_HPA_CALCULATOR_H_
