// SimulatedMetricsClient: the MetricsClient of simulate mode. It answers GetMetricSpec,
// GetMetrics and IsActive with the scaler's own code (ParseTriggerMetadata and ComputeMetric
// from krs_scaler_core) over the SimulatedBroker's queue counts: immediate ready counts for
// protocol amqp (passive queue.declare), and ready + unacknowledged counts `management_lag`
// old for protocol http (the management API's statistics refresh).
#ifndef KRS_LAB_SIMULATE_SIMULATED_METRICS_CLIENT_H_
#define KRS_LAB_SIMULATE_SIMULATED_METRICS_CLIENT_H_

#include <map>
#include <string>

#include "absl/time/time.h"
#include "lab/control/metrics_client.h"
#include "lab/simulate/simulated_broker.h"
#include "scaler/trigger_metadata.h"

namespace krs::lab {

// Replaces the value of every `...FromEnv` key that names a variable of `env` with that
// variable's value, as KEDA does before calling the scaler. Keys whose value is not a
// variable name of `env` are left unchanged (already resolved by the caller).
std::map<std::string, std::string> ResolveFromEnv(std::map<std::string, std::string> metadata,
                                                  const std::map<std::string, std::string>& env);

class SimulatedMetricsClient final : public MetricsClient {
 public:
  // `env` resolves `...FromEnv` metadata keys (the scale target's container env).
  SimulatedMetricsClient(const SimulatedBroker& broker, absl::Duration management_lag,
                         std::map<std::string, std::string> env);

  absl::StatusOr<std::vector<MetricSpec>> GetMetricSpec(const ScalerRef& ref) override;
  absl::StatusOr<double> GetMetrics(const ScalerRef& ref, const std::string& metric_name) override;
  absl::StatusOr<bool> IsActive(const ScalerRef& ref) override;

  int64_t calls() const { return calls_; }

 private:
  absl::StatusOr<scaler::TriggerConfig> Config(const ScalerRef& ref);
  scaler::QueueStats Stats(const scaler::TriggerConfig& config) const;

  const SimulatedBroker& broker_;
  absl::Duration management_lag_;
  std::map<std::string, std::string> env_;
  std::map<std::map<std::string, std::string>, scaler::TriggerConfig> configs_;
  int64_t calls_ = 0;
};

}  // namespace krs::lab

#endif  // KRS_LAB_SIMULATE_SIMULATED_METRICS_CLIENT_H_
