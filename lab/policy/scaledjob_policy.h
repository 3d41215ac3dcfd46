// KEDA's ScaledJob decision: how many Jobs to create at a poll, as in KEDA v2.20
// pkg/scaling/scaledjob/metrics.go (per-trigger queue length and max scale, combination of
// several triggers) and pkg/scaling/executor/scale_jobs.go (scaling strategies).
#ifndef KRS_LAB_POLICY_SCALEDJOB_POLICY_H_
#define KRS_LAB_POLICY_SCALEDJOB_POLICY_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "lab/manifests/workload_specs.h"
#include "lab/policy/trace.h"

namespace krs::lab {

// One metric spec of a trigger, as GetMetricSpec returned it and KEDA typed it.
struct ScaledJobMetricSpec {
  std::string name;
  MetricTargetType type = MetricTargetType::kAverageValue;
  double target = 0;
};

// The metric specs, values and activity one trigger returned at a poll.
struct ScaledJobTriggerMetrics {
  std::string trigger;
  // GetMetrics or IsActive failed: KEDA skips the trigger.
  bool error = false;
  bool active = false;
  std::vector<ScaledJobMetricSpec> specs;
  // (metric name, value) pairs as returned; only those named like specs[0] count.
  std::vector<std::pair<std::string, double>> values;
};

// Jobs of the ScaledJob: running = not finished (pending ones included).
struct ScaledJobCounts {
  std::int64_t running = 0;
  std::int64_t pending = 0;
};

struct ScaledJobDecision {
  std::int64_t jobs_to_create = 0;
  bool active = false;
  double queue_length = 0;   // QL after combining triggers
  double max_value = 0;      // MS after combining triggers, capped at Max()
  std::int64_t scale_to = 0;            // ceil(QL), or Max() for eager
  std::int64_t max_scale = 0;           // ceil(MS)
  std::int64_t effective_max_scale = 0; // eff after the strategy, ≥ 0
  // The strategy that ran: a custom strategy with an unparseable percentage runs "default".
  ScaledJobStrategy strategy_used = ScaledJobStrategy::kDefault;
  Trace trace;
};

// ScaledJob.MinReplicaCount(): spec.min, or spec.max when min > max.
std::int64_t ScaledJobMinReplicas(const ScaledJobSpec& spec);
// ScaledJob.MaxReplicaCount(): spec.max − Min() (spec.max if min > max), 100 when max unset.
std::int64_t ScaledJobMaxReplicas(const ScaledJobSpec& spec);

// Decides one poll from the triggers' metrics and the Job counts.
ScaledJobDecision DecideScaledJobScale(const ScaledJobSpec& spec,
                                       const std::vector<ScaledJobTriggerMetrics>& triggers,
                                       const ScaledJobCounts& counts);

}  // namespace krs::lab

#endif  // KRS_LAB_POLICY_SCALEDJOB_POLICY_H_
