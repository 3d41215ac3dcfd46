#include "lab/control/trigger_client.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace krs::lab {
namespace {

std::map<std::string, std::string> ContainerEnv(
    const PodTemplate* pod, const std::map<std::string, std::string>& overrides) {
  std::map<std::string, std::string> env;
  if (pod != nullptr && !pod->containers.empty()) {
    for (const EnvVar& var : pod->containers.front().env) {
      if (var.value_from.empty()) env[var.name] = var.value;
    }
  }
  for (const auto& [name, value] : overrides) env[name] = value;
  return env;
}

absl::StatusOr<MetricAndActivity> CallPair(MetricsClient& client, const ScalerRef& ref,
                                           const std::string& metric_name) {
  absl::StatusOr<double> value = client.GetMetrics(ref, metric_name);
  if (!value.ok()) return value.status();
  absl::StatusOr<bool> active = client.IsActive(ref);
  if (!active.ok()) return active.status();
  return MetricAndActivity{*value, *active};
}

}  // namespace

ScalerRef MakeScalerRef(const std::string& name, const std::string& namespace_name,
                        const TriggerSpec& trigger, const PodTemplate* env_source,
                        const std::map<std::string, std::string>& env_overrides) {
  ScalerRef ref{name, namespace_name, {}};
  std::map<std::string, std::string> env = ContainerEnv(env_source, env_overrides);
  for (const auto& [key, value] : trigger.metadata) {
    if (!absl::EndsWith(key, "FromEnv")) {
      ref.metadata[key] = value;
      continue;
    }
    auto found = env.find(value);
    if (found != env.end() && !found->second.empty()) ref.metadata[key] = found->second;
  }
  return ref;
}

absl::StatusOr<std::vector<MetricSpec>> GetMetricSpecWithRetry(MetricsClient& client,
                                                               const ScalerRef& ref) {
  absl::StatusOr<std::vector<MetricSpec>> specs = client.GetMetricSpec(ref);
  if (specs.ok() && !specs->empty()) return specs;
  // KEDA rebuilds the scaler and calls GetMetricSpec once more.
  specs = client.GetMetricSpec(ref);
  if (!specs.ok()) return specs.status();
  if (specs->empty()) return absl::InternalError("got empty metric spec");
  return specs;
}

absl::StatusOr<MetricAndActivity> GetMetricsAndActivity(MetricsClient& client,
                                                        const ScalerRef& ref,
                                                        const std::string& metric_name) {
  absl::StatusOr<MetricAndActivity> result = CallPair(client, ref, metric_name);
  if (result.ok()) return result;
  return CallPair(client, ref, metric_name);
}

}  // namespace krs::lab
