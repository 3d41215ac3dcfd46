#include "lab/simulate/simulated_metrics_client.h"

#include "absl/strings/match.h"
#include "scaler/metric.h"

namespace krs::lab {

std::map<std::string, std::string> ResolveFromEnv(std::map<std::string, std::string> metadata,
                                                  const std::map<std::string, std::string>& env) {
  for (auto& [key, value] : metadata) {
    if (!absl::EndsWith(key, "FromEnv")) continue;
    auto it = env.find(value);
    if (it != env.end()) value = it->second;
  }
  return metadata;
}

SimulatedMetricsClient::SimulatedMetricsClient(const SimulatedBroker& broker,
                                               absl::Duration management_lag,
                                               std::map<std::string, std::string> env)
    : broker_(broker), management_lag_(management_lag), env_(std::move(env)) {}

absl::StatusOr<scaler::TriggerConfig> SimulatedMetricsClient::Config(const ScalerRef& ref) {
  ++calls_;
  auto it = configs_.find(ref.metadata);
  if (it != configs_.end()) return it->second;
  absl::StatusOr<scaler::TriggerConfig> config =
      scaler::ParseTriggerMetadata(ResolveFromEnv(ref.metadata, env_), absl::Seconds(3));
  if (!config.ok()) return config.status();
  configs_.emplace(ref.metadata, *config);
  return config;
}

scaler::QueueStats SimulatedMetricsClient::Stats(const scaler::TriggerConfig& config) const {
  bool amqp = config.query.endpoint.protocol == scaler::BrokerProtocol::kAmqp;
  QueueCounts counts = amqp ? broker_.CountsNow() : broker_.CountsLagged(management_lag_);
  scaler::QueueStats stats;
  stats.messages_ready = counts.ready;
  stats.consumers = counts.consumers;
  if (!amqp) {
    stats.messages = counts.ready + counts.unacked;
    stats.messages_unacknowledged = counts.unacked;
  }
  // NOTE: publish and deliver rates are not simulated (0), so the rate-based modes see an idle
  // queue; the lab's scenarios use QueueLength.
  return stats;
}

absl::StatusOr<std::vector<MetricSpec>> SimulatedMetricsClient::GetMetricSpec(
    const ScalerRef& ref) {
  absl::StatusOr<scaler::TriggerConfig> config = Config(ref);
  if (!config.ok()) return config.status();
  return std::vector<MetricSpec>{MetricSpec{config->metric_name, config->value}};
}

absl::StatusOr<double> SimulatedMetricsClient::GetMetrics(const ScalerRef& ref,
                                                          const std::string& metric_name) {
  absl::StatusOr<scaler::TriggerConfig> config = Config(ref);
  if (!config.ok()) return config.status();
  return scaler::ComputeMetric(Stats(*config), *config).value;
}

absl::StatusOr<bool> SimulatedMetricsClient::IsActive(const ScalerRef& ref) {
  absl::StatusOr<scaler::TriggerConfig> config = Config(ref);
  if (!config.ok()) return config.status();
  return scaler::ComputeMetric(Stats(*config), *config).active;
}

}  // namespace krs::lab
