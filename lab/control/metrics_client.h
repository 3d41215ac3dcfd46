// What the lab's KEDA needs from an external scaler: the three unary calls of KEDA's
// externalscaler protocol, as KEDA v2.20 pkg/scalers/external_scaler.go uses them.
//
// Live mode implements it with gRPC to the real rabbitmq-scaler; simulate mode computes the
// responses from the in-memory queue with the scaler's own metric code.
#ifndef KRS_LAB_CONTROL_METRICS_CLIENT_H_
#define KRS_LAB_CONTROL_METRICS_CLIENT_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace krs::lab {

// The ScaledObjectRef KEDA sends: the ScaledObject (or ScaledJob) name and namespace and a copy
// of the trigger metadata (scalerAddress included, `...FromEnv` keys resolved).
struct ScalerRef {
  std::string name;
  std::string namespace_name;
  std::map<std::string, std::string> metadata;
};

// One metric a scaler exposes. `target` is the HPA target (targetSizeFloat, or targetSize when
// the float is 0).
struct MetricSpec {
  std::string name;
  double target = 0;
};

// krs::lab::MetricsClient
//
// Calls block until the response arrives. Implementations return the metric value as KEDA reads
// it: metricValueFloat if > 0, else metricValue, summed over every returned MetricValue.
class MetricsClient {
 public:
  virtual ~MetricsClient() = default;

  virtual absl::StatusOr<std::vector<MetricSpec>> GetMetricSpec(const ScalerRef& ref) = 0;
  virtual absl::StatusOr<double> GetMetrics(const ScalerRef& ref,
                                            const std::string& metric_name) = 0;
  virtual absl::StatusOr<bool> IsActive(const ScalerRef& ref) = 0;
};

}  // namespace krs::lab

#endif  // KRS_LAB_CONTROL_METRICS_CLIENT_H_
