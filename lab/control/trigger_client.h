// KEDA's calls to an external scaler for one trigger (KEDA v2.20 pkg/scalers/external_scaler.go
// and pkg/scaling/cache): the ScaledObjectRef it sends and its retry-once rules. Internal to the
// control plane.
#ifndef KRS_LAB_CONTROL_TRIGGER_CLIENT_H_
#define KRS_LAB_CONTROL_TRIGGER_CLIENT_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lab/control/metrics_client.h"
#include "lab/manifests/pod_template.h"
#include "lab/manifests/workload_specs.h"

namespace krs::lab {

// Builds the ref KEDA sends. Every metadata key ending in "FromEnv" takes the value of the env
// var it names, from `env_overrides` or the first container of `env_source`. The key is dropped
// when that var is missing or empty.
ScalerRef MakeScalerRef(const std::string& name, const std::string& namespace_name,
                        const TriggerSpec& trigger, const PodTemplate* env_source,
                        const std::map<std::string, std::string>& env_overrides);

// GetMetricSpec, retried once on an error or an empty list ("got empty metric spec").
absl::StatusOr<std::vector<MetricSpec>> GetMetricSpecWithRetry(MetricsClient& client,
                                                               const ScalerRef& ref);

struct MetricAndActivity {
  double value = 0;
  bool active = false;
};

// GetMetrics then IsActive; on an error of either the pair is retried once.
absl::StatusOr<MetricAndActivity> GetMetricsAndActivity(MetricsClient& client,
                                                        const ScalerRef& ref,
                                                        const std::string& metric_name);

}  // namespace krs::lab

#endif  // KRS_LAB_CONTROL_TRIGGER_CLIENT_H_
