// Typed specs of the Kubernetes objects the lab plays: ScaledObject, ScaledJob (KEDA v2.20
// keda.sh/v1alpha1) and Deployment (apps/v1), with KEDA's defaults already applied by the loader.
#ifndef KRS_LAB_MANIFESTS_WORKLOAD_SPECS_H_
#define KRS_LAB_MANIFESTS_WORKLOAD_SPECS_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "lab/manifests/pod_template.h"
#include "lab/policy/hpa_behavior.h"
#include "lab/policy/scaledjob_types.h"
#include "lab/policy/scaledobject_types.h"

namespace krs::lab {

enum class MetricTargetType { kAverageValue, kValue };

// One entry of spec.triggers.
struct TriggerSpec {
  std::string type;  // "external", "external-push", ...
  std::string name;
  std::map<std::string, std::string> metadata;
  MetricTargetType metric_type = MetricTargetType::kAverageValue;
  bool use_cached_metrics = false;
  std::string authentication_ref;  // authenticationRef.name; never sent to the scaler
};

struct ScaledObjectSpec {
  std::string name;
  std::string namespace_name = "default";
  std::string scale_target_kind = "Deployment";
  std::string scale_target_name;
  std::int32_t polling_interval_seconds = 30;
  std::int32_t cooldown_period_seconds = 300;
  std::int32_t initial_cooldown_period_seconds = 0;
  std::int32_t min_replica_count = 0;
  std::int32_t max_replica_count = 100;
  std::optional<std::int32_t> idle_replica_count;
  std::optional<FallbackSpec> fallback;
  // advanced.horizontalPodAutoscalerConfig.behavior, copied verbatim to the HPA (unset = nil).
  std::optional<HpaBehavior> hpa_behavior;
  std::vector<TriggerSpec> triggers;
};

struct ScaledJobSpec {
  std::string name;
  std::string namespace_name = "default";
  JobTemplate job_template;
  std::int32_t polling_interval_seconds = 30;
  std::int32_t min_replica_count = 0;
  // Unset means KEDA's default 100, which ScaledJobMaxReplicas() treats specially.
  std::optional<std::int32_t> max_replica_count;
  std::int32_t successful_jobs_history_limit = 100;
  std::int32_t failed_jobs_history_limit = 100;
  ScaledJobScalingStrategy scaling_strategy;
  std::string rollout_strategy = "default";
  std::vector<TriggerSpec> triggers;
};

struct DeploymentSpec {
  std::string name;
  std::string namespace_name = "default";
  std::optional<std::int32_t> replicas;
  std::map<std::string, std::string> selector;  // spec.selector.matchLabels
  PodTemplate pod;
};

}  // namespace krs::lab

#endif  // KRS_LAB_MANIFESTS_WORKLOAD_SPECS_H_
