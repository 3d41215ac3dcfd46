#include "lab/run/experiment.h"

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/url.h"
#include "lab/manifests/kustomization.h"
#include "lab/simulate/consumer_flags.h"

namespace krs::lab {
namespace {

// Sets env `name` to the literal `value`, replacing a value or valueFrom entry.
void SetEnv(std::vector<EnvVar>& env, const std::string& name, const std::string& value) {
  for (EnvVar& var : env) {
    if (var.name != name) continue;
    var.value = value;
    var.value_from.clear();
    return;
  }
  env.push_back(EnvVar{name, value, ""});
}

void LocalizeTriggers(std::vector<TriggerSpec>& triggers, const LocalEndpoints& endpoints,
                      const std::string& queue) {
  for (TriggerSpec& trigger : triggers) {
    if (trigger.metadata.count("scalerAddress") > 0) {
      trigger.metadata["scalerAddress"] = endpoints.scaler_address;
    }
    if (trigger.metadata.count("queueName") > 0) trigger.metadata["queueName"] = queue;
  }
}

void LocalizePod(PodTemplate& pod, const Experiment& experiment, const LocalEndpoints& endpoints,
                 const std::string& namespace_name) {
  if (pod.containers.empty()) return;
  ContainerSpec& container = pod.containers[0];
  const Scenario& scenario = experiment.scenario;

  container.command = {endpoints.consumer_binary};
  std::vector<std::string> args = container.args;
  args = SetFlag(args, "time-scale", absl::StrCat(scenario.time_scale()));
  args = SetFlag(args, "queue", experiment.queue);
  if (!scenario.consumer.on_sigterm.empty()) {
    args = SetFlag(args, "on-sigterm", scenario.consumer.on_sigterm);
  }
  if (scenario.consumer.prefetch > 0) {
    args = SetFlag(args, "prefetch", absl::StrCat(scenario.consumer.prefetch));
  }
  if (endpoints.scale_idle_timeout) {
    // rmq-consumer's default --idle-timeout is 30 s.
    double idle_timeout = 30;
    std::optional<std::string> value = FlagValue(args, "idle-timeout");
    if (value.has_value()) absl::SimpleAtod(*value, &idle_timeout);
    args = SetFlag(args, "idle-timeout", absl::StrCat(idle_timeout * scenario.time_scale()));
  }
  bool wants_cost = false;
  std::optional<std::string> cost_endpoint = FlagValue(args, "deletion-cost-endpoint");
  if (cost_endpoint.has_value() && !cost_endpoint->empty()) wants_cost = true;
  if (wants_cost && !endpoints.deletion_cost_endpoint.empty()) {
    args = SetFlag(args, "deletion-cost-endpoint", endpoints.deletion_cost_endpoint);
  }
  container.args = args;

  // Secret references cannot be resolved here; the URLs that used them get literal values.
  std::vector<EnvVar> env;
  for (const EnvVar& var : container.env) {
    if (var.value_from.empty()) env.push_back(var);
  }
  SetEnv(env, "AMQP_URL", endpoints.amqp_url);
  SetEnv(env, "RABBITMQ_HTTP_URL", endpoints.http_url);
  SetEnv(env, "SCENARIO", scenario.name);
  SetEnv(env, "POD_NAMESPACE", namespace_name);
  if (endpoints.analyzer_url.empty()) {
    env.erase(std::remove_if(env.begin(), env.end(),
                             [](const EnvVar& var) { return var.name == "ANALYZER_URL"; }),
              env.end());
  } else {
    SetEnv(env, "ANALYZER_URL", endpoints.analyzer_url);
  }
  container.env = env;
}

nlohmann::json TriggersToJson(const std::vector<TriggerSpec>& triggers) {
  nlohmann::json out = nlohmann::json::array();
  for (const TriggerSpec& trigger : triggers) {
    nlohmann::json metadata = nlohmann::json::object();
    for (const auto& [key, value] : trigger.metadata) metadata[key] = RedactUrl(value);
    out.push_back({{"type", trigger.type},
                   {"metadata", metadata},
                   {"use_cached_metrics", trigger.use_cached_metrics}});
  }
  return out;
}

}  // namespace

ContainerSpec& Experiment::consumer() {
  return is_job() ? scaled_job->job_template.pod.containers.at(0)
                  : deployment->pod.containers.at(0);
}

const ContainerSpec& Experiment::consumer() const {
  return is_job() ? scaled_job->job_template.pod.containers.at(0)
                  : deployment->pod.containers.at(0);
}

std::map<std::string, std::string> Experiment::ConsumerEnv() const {
  std::map<std::string, std::string> env;
  for (const EnvVar& var : consumer().env) {
    if (var.value_from.empty()) env[var.name] = var.value;
  }
  return env;
}

nlohmann::json Experiment::Configuration() const {
  nlohmann::json args = nlohmann::json::array();
  for (const std::string& arg : consumer().args) args.push_back(RedactUrl(arg));
  nlohmann::json config = {{"kind", kind()}, {"queue", queue}, {"consumer_args", args}};

  if (is_job()) {
    const ScaledJobSpec& job = *scaled_job;
    config["scaled_job"] = {
        {"name", job.name},
        {"polling_interval_seconds", job.polling_interval_seconds},
        {"min_replica_count", job.min_replica_count},
        {"max_replica_count", job.max_replica_count.value_or(100)},
        {"scaling_strategy", std::string(ScaledJobStrategyName(job.scaling_strategy.strategy))},
        {"termination_grace_period_seconds",
         job.job_template.pod.termination_grace_period_seconds.value_or(30)},
        {"triggers", TriggersToJson(job.triggers)}};
    return config;
  }
  const ScaledObjectSpec& so = *scaled_object;
  config["scaled_object"] = {{"name", so.name},
                             {"polling_interval_seconds", so.polling_interval_seconds},
                             {"cooldown_period_seconds", so.cooldown_period_seconds},
                             {"min_replica_count", so.min_replica_count},
                             {"max_replica_count", so.max_replica_count},
                             {"hpa_behavior_set", so.hpa_behavior.has_value()},
                             {"triggers", TriggersToJson(so.triggers)}};
  config["deployment"] = {
      {"name", deployment->name},
      {"termination_grace_period_seconds",
       deployment->pod.termination_grace_period_seconds.value_or(30)}};
  return config;
}

absl::StatusOr<Experiment> LoadExperiment(const Scenario& scenario, const std::string& repo_root) {
  std::string dir = absl::StrCat(repo_root, "/", scenario.manifests_dir);
  absl::StatusOr<ManifestSet> set = LoadKustomization(dir);
  if (!set.ok()) {
    return absl::Status(set.status().code(),
                        absl::StrCat("scenario ", scenario.name, ": ", set.status().message()));
  }

  Experiment experiment;
  experiment.scenario = scenario;
  experiment.queue = scenario.name;
  if (set->scaled_jobs.size() == 1 && set->scaled_objects.empty()) {
    experiment.scaled_job = set->scaled_jobs[0];
  } else if (set->scaled_objects.size() == 1 && set->scaled_jobs.empty()) {
    experiment.scaled_object = set->scaled_objects[0];
    const DeploymentSpec* target =
        set->FindDeployment(experiment.scaled_object->scale_target_name);
    if (target == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat(dir, ": ScaledObject ", experiment.scaled_object->name,
                       " targets Deployment \"", experiment.scaled_object->scale_target_name,
                       "\", which is not in the kustomization"));
    }
    experiment.deployment = *target;
  } else {
    return absl::InvalidArgumentError(absl::StrCat(
        dir, ": expected exactly one ScaledObject or one ScaledJob, found ",
        set->scaled_objects.size(), " ScaledObject(s) and ", set->scaled_jobs.size(),
        " ScaledJob(s)"));
  }

  const PodTemplate& pod = experiment.is_job() ? experiment.scaled_job->job_template.pod
                                               : experiment.deployment->pod;
  if (pod.containers.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(dir, ": the pod template has no containers"));
  }
  return experiment;
}

void Localize(Experiment& experiment, const LocalEndpoints& endpoints) {
  if (experiment.is_job()) {
    ScaledJobSpec& job = *experiment.scaled_job;
    LocalizeTriggers(job.triggers, endpoints, experiment.queue);
    LocalizePod(job.job_template.pod, experiment, endpoints, job.namespace_name);
    return;
  }
  LocalizeTriggers(experiment.scaled_object->triggers, endpoints, experiment.queue);
  LocalizePod(experiment.deployment->pod, experiment, endpoints,
              experiment.deployment->namespace_name);
}

}  // namespace krs::lab
