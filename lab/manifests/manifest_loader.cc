#include "lab/manifests/manifest_loader.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "lab/manifests/yaml_util.h"

namespace krs::lab {
namespace {

using yaml_util::Child;
using yaml_util::Path;

// Reads fields of one map node into typed outputs and keeps the first error; later reads after
// an error do nothing. A missing or null field leaves the output (its default) unchanged.
class FieldReader {
 public:
  FieldReader(const YAML::Node& node, std::string path) : node_(node), path_(std::move(path)) {}

  void String(absl::string_view key, std::string* out) {
    if (!status_.ok()) return;
    Assign(yaml_util::GetString(node_, key, path_), out);
  }
  void OptString(absl::string_view key, std::optional<std::string>* out) {
    if (!status_.ok()) return;
    auto value = yaml_util::GetString(node_, key, path_);
    if (!value.ok()) {
      status_ = value.status();
      return;
    }
    if (value->has_value()) *out = **value;
  }
  void Int32(absl::string_view key, std::int32_t minimum, std::int32_t* out) {
    if (!status_.ok()) return;
    Assign(yaml_util::GetInt32AtLeast(node_, key, path_, minimum), out);
  }
  void OptInt32(absl::string_view key, std::int32_t minimum, std::optional<std::int32_t>* out) {
    if (!status_.ok()) return;
    auto value = yaml_util::GetInt32AtLeast(node_, key, path_, minimum);
    if (!value.ok()) {
      status_ = value.status();
      return;
    }
    if (value->has_value()) *out = **value;
  }
  void OptInt64(absl::string_view key, std::optional<std::int64_t>* out) {
    if (!status_.ok()) return;
    auto value = yaml_util::GetInt(node_, key, path_);
    if (!value.ok()) {
      status_ = value.status();
      return;
    }
    if (value->has_value()) *out = **value;
  }
  void Bool(absl::string_view key, bool* out) {
    if (!status_.ok()) return;
    Assign(yaml_util::GetBool(node_, key, path_), out);
  }
  void StringList(absl::string_view key, std::vector<std::string>* out) {
    if (!status_.ok()) return;
    auto value = yaml_util::GetStringList(node_, key, path_);
    if (!value.ok()) {
      status_ = value.status();
      return;
    }
    if (!value->empty()) *out = *std::move(value);
  }
  void StringMap(absl::string_view key, std::map<std::string, std::string>* out) {
    if (!status_.ok()) return;
    auto value = yaml_util::GetStringMap(node_, key, path_);
    if (!value.ok()) {
      status_ = value.status();
      return;
    }
    if (!value->empty()) *out = *std::move(value);
  }
  void Fail(absl::Status status) {
    if (status_.ok()) status_ = std::move(status);
  }

  const absl::Status& status() const { return status_; }
  const std::string& path() const { return path_; }

 private:
  template <typename T, typename Out>
  void Assign(absl::StatusOr<std::optional<T>> value, Out* out) {
    if (!value.ok()) {
      status_ = value.status();
      return;
    }
    if (value->has_value()) *out = static_cast<Out>(**value);
  }

  YAML::Node node_;
  std::string path_;
  absl::Status status_;
};

absl::Status ParseContainer(const YAML::Node& node, const std::string& path,
                            ContainerSpec& container) {
  FieldReader reader(node, path);
  reader.String("name", &container.name);
  reader.String("image", &container.image);
  reader.StringList("command", &container.command);
  reader.StringList("args", &container.args);
  if (!reader.status().ok()) return reader.status();

  YAML::Node env = Child(node, "env");
  if (env.IsDefined() && !env.IsNull()) {
    if (!env.IsSequence()) {
      return absl::InvalidArgumentError(absl::StrCat(Path(path, "env"), ": want a list"));
    }
    for (size_t i = 0; i < env.size(); ++i) {
      std::string item_path = absl::StrCat(Path(path, "env"), "[", i, "]");
      EnvVar var;
      FieldReader item(env[i], item_path);
      item.String("name", &var.name);
      item.String("value", &var.value);
      if (!item.status().ok()) return item.status();
      YAML::Node value_from = Child(env[i], "valueFrom");
      if (value_from.IsMap() && value_from.begin() != value_from.end()) {
        var.value_from = value_from.begin()->first.Scalar();
      }
      container.env.push_back(std::move(var));
    }
  }

  YAML::Node exec = Child(Child(Child(node, "lifecycle"), "preStop"), "exec");
  if (exec.IsDefined()) {
    std::vector<std::string> command;
    FieldReader exec_reader(exec, Path(path, "lifecycle.preStop.exec"));
    exec_reader.StringList("command", &command);
    if (!exec_reader.status().ok()) return exec_reader.status();
    container.pre_stop_command = std::move(command);
  }
  return absl::OkStatus();
}

// A pod template: {metadata: {labels, annotations}, spec: {containers, ...}}.
absl::Status ParsePodTemplate(const YAML::Node& node, const std::string& path,
                              PodTemplate& pod) {
  FieldReader metadata(Child(node, "metadata"), Path(path, "metadata"));
  metadata.StringMap("labels", &pod.labels);
  metadata.StringMap("annotations", &pod.annotations);
  if (!metadata.status().ok()) return metadata.status();

  YAML::Node spec = Child(node, "spec");
  std::string spec_path = Path(path, "spec");
  FieldReader reader(spec, spec_path);
  std::optional<std::int64_t> grace;
  reader.OptInt64("terminationGracePeriodSeconds", &grace);
  reader.String("restartPolicy", &pod.restart_policy);
  if (!reader.status().ok()) return reader.status();
  if (grace.has_value() && *grace < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        Path(spec_path, "terminationGracePeriodSeconds"), ": invalid value ", *grace,
        ": want an integer >= 0"));
  }
  pod.termination_grace_period_seconds = grace;

  YAML::Node containers = Child(spec, "containers");
  if (!containers.IsSequence() || containers.size() == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(Path(spec_path, "containers"), ": missing; want a list of containers"));
  }
  for (size_t i = 0; i < containers.size(); ++i) {
    ContainerSpec container;
    absl::Status status =
        ParseContainer(containers[i], absl::StrCat(Path(spec_path, "containers"), "[", i, "]"),
                       container);
    if (!status.ok()) return status;
    pod.containers.push_back(std::move(container));
  }
  return absl::OkStatus();
}

absl::Status ParseTrigger(const YAML::Node& node, const std::string& path, TriggerSpec& trigger) {
  FieldReader reader(node, path);
  reader.String("type", &trigger.type);
  reader.String("name", &trigger.name);
  reader.StringMap("metadata", &trigger.metadata);
  reader.Bool("useCachedMetrics", &trigger.use_cached_metrics);
  std::string metric_type;
  reader.String("metricType", &metric_type);
  FieldReader auth(Child(node, "authenticationRef"), Path(path, "authenticationRef"));
  auth.String("name", &trigger.authentication_ref);
  if (!reader.status().ok()) return reader.status();
  if (!auth.status().ok()) return auth.status();

  if (trigger.type.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(Path(path, "type"), ": missing"));
  }
  if (metric_type.empty() || metric_type == "AverageValue") {
    trigger.metric_type = MetricTargetType::kAverageValue;
  } else if (metric_type == "Value") {
    trigger.metric_type = MetricTargetType::kValue;
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat(Path(path, "metricType"), ": invalid value \"", metric_type,
                     "\": allowed are AverageValue, Value (Utilization is not supported for "
                     "external triggers)"));
  }
  return absl::OkStatus();
}

absl::Status ParseTriggers(const YAML::Node& spec, const std::string& spec_path,
                           std::vector<TriggerSpec>& triggers) {
  YAML::Node list = Child(spec, "triggers");
  std::string path = Path(spec_path, "triggers");
  if (!list.IsSequence() || list.size() == 0) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": missing; want a list of triggers"));
  }
  for (size_t i = 0; i < list.size(); ++i) {
    TriggerSpec trigger;
    absl::Status status = ParseTrigger(list[i], absl::StrCat(path, "[", i, "]"), trigger);
    if (!status.ok()) return status;
    triggers.push_back(std::move(trigger));
  }
  return absl::OkStatus();
}

absl::StatusOr<HpaScalingRules> ParseScalingRules(const YAML::Node& node,
                                                  const std::string& path) {
  HpaScalingRules rules;
  FieldReader reader(node, path);
  reader.OptInt32("stabilizationWindowSeconds", 0, &rules.stabilization_window_seconds);
  std::optional<std::string> select;
  reader.OptString("selectPolicy", &select);
  if (!reader.status().ok()) return reader.status();
  if (rules.stabilization_window_seconds.value_or(0) > 3600) {
    return absl::InvalidArgumentError(
        absl::StrCat(Path(path, "stabilizationWindowSeconds"), ": invalid value ",
                     *rules.stabilization_window_seconds, ": want 0 to 3600"));
  }
  if (select.has_value()) {
    if (*select == "Max") {
      rules.select_policy = HpaSelectPolicy::kMax;
    } else if (*select == "Min") {
      rules.select_policy = HpaSelectPolicy::kMin;
    } else if (*select == "Disabled") {
      rules.select_policy = HpaSelectPolicy::kDisabled;
    } else {
      return absl::InvalidArgumentError(absl::StrCat(Path(path, "selectPolicy"),
                                                     ": invalid value \"", *select,
                                                     "\": allowed are Max, Min, Disabled"));
    }
  }

  // The tolerance is a Kubernetes quantity; plain numbers ("0.05") are what the lab accepts.
  auto tolerance = yaml_util::GetDouble(node, "tolerance", path);
  if (!tolerance.ok()) return tolerance.status();
  if (tolerance->has_value() && **tolerance < 0) {
    return absl::InvalidArgumentError(absl::StrCat(Path(path, "tolerance"), ": invalid value ",
                                                   **tolerance, ": want a number >= 0"));
  }
  rules.tolerance = *tolerance;

  YAML::Node policies = Child(node, "policies");
  if (!policies.IsDefined() || policies.IsNull()) return rules;
  if (!policies.IsSequence()) {
    return absl::InvalidArgumentError(absl::StrCat(Path(path, "policies"), ": want a list"));
  }
  std::vector<HpaScalingPolicy> parsed;
  for (size_t i = 0; i < policies.size(); ++i) {
    std::string item_path = absl::StrCat(Path(path, "policies"), "[", i, "]");
    HpaScalingPolicy policy;
    std::string type;
    FieldReader item(policies[i], item_path);
    item.String("type", &type);
    item.Int32("value", 1, &policy.value);
    item.Int32("periodSeconds", 1, &policy.period_seconds);
    if (!item.status().ok()) return item.status();
    if (type == "Pods") {
      policy.type = HpaPolicyType::kPods;
    } else if (type == "Percent") {
      policy.type = HpaPolicyType::kPercent;
    } else {
      return absl::InvalidArgumentError(absl::StrCat(Path(item_path, "type"),
                                                     ": invalid value \"", type,
                                                     "\": allowed are Pods, Percent"));
    }
    if (policy.value <= 0 || policy.period_seconds <= 0 || policy.period_seconds > 1800) {
      return absl::InvalidArgumentError(
          absl::StrCat(item_path, ": value must be > 0 and periodSeconds 1 to 1800; got value ",
                       policy.value, ", periodSeconds ", policy.period_seconds));
    }
    parsed.push_back(policy);
  }
  rules.policies = std::move(parsed);
  return rules;
}

absl::StatusOr<HpaBehavior> ParseBehaviorNode(const YAML::Node& node, const std::string& path) {
  if (!node.IsMap()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": want a map with scaleUp/scaleDown"));
  }
  HpaBehavior behavior;
  for (const char* key : {"scaleUp", "scaleDown"}) {
    YAML::Node rules_node = Child(node, key);
    if (!rules_node.IsDefined() || rules_node.IsNull()) continue;
    auto rules = ParseScalingRules(rules_node, Path(path, key));
    if (!rules.ok()) return rules.status();
    if (std::string(key) == "scaleUp") {
      behavior.scale_up = *rules;
    } else {
      behavior.scale_down = *rules;
    }
  }
  return behavior;
}

absl::Status ParseFallback(const YAML::Node& node, const std::string& path,
                           std::optional<FallbackSpec>& out) {
  if (!node.IsDefined() || node.IsNull()) return absl::OkStatus();
  FallbackSpec fallback;
  std::string behavior = "static";
  FieldReader reader(node, path);
  reader.Int32("failureThreshold", 0, &fallback.failure_threshold);
  reader.Int32("replicas", 0, &fallback.replicas);
  reader.String("behavior", &behavior);
  if (!reader.status().ok()) return reader.status();
  auto parsed = ParseFallbackBehavior(behavior);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(Path(path, "behavior"), ": ", parsed.status().message()));
  }
  fallback.behavior = *parsed;
  out = fallback;
  return absl::OkStatus();
}

struct ObjectMeta {
  std::string kind;
  std::string name;
  std::string namespace_name;
};

// KEDA v2.20 defaults (apis/keda/v1alpha1/scaledobject_types.go) are the struct's initial
// values; fields present in the manifest replace them.
absl::StatusOr<ScaledObjectSpec> ParseScaledObject(const YAML::Node& doc, const ObjectMeta& meta,
                                                   const std::string& where) {
  ScaledObjectSpec so;
  so.name = meta.name;
  if (!meta.namespace_name.empty()) so.namespace_name = meta.namespace_name;
  YAML::Node spec = Child(doc, "spec");
  std::string path = where + " spec";
  FieldReader reader(spec, path);
  FieldReader target(Child(spec, "scaleTargetRef"), Path(path, "scaleTargetRef"));
  target.String("name", &so.scale_target_name);
  target.String("kind", &so.scale_target_kind);
  reader.Int32("pollingInterval", 1, &so.polling_interval_seconds);
  reader.Int32("cooldownPeriod", 0, &so.cooldown_period_seconds);
  reader.Int32("initialCooldownPeriod", 0, &so.initial_cooldown_period_seconds);
  reader.Int32("minReplicaCount", 0, &so.min_replica_count);
  reader.Int32("maxReplicaCount", 0, &so.max_replica_count);
  reader.OptInt32("idleReplicaCount", 0, &so.idle_replica_count);
  if (!target.status().ok()) return target.status();
  if (!reader.status().ok()) return reader.status();
  if (so.scale_target_name.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ".scaleTargetRef.name: missing"));
  }

  absl::Status status = ParseFallback(Child(spec, "fallback"), Path(path, "fallback"), so.fallback);
  if (!status.ok()) return status;
  YAML::Node behavior =
      Child(Child(Child(spec, "advanced"), "horizontalPodAutoscalerConfig"), "behavior");
  if (behavior.IsDefined() && !behavior.IsNull()) {
    auto parsed =
        ParseBehaviorNode(behavior, Path(path, "advanced.horizontalPodAutoscalerConfig.behavior"));
    if (!parsed.ok()) return parsed.status();
    so.hpa_behavior = *parsed;
  }
  status = ParseTriggers(spec, path, so.triggers);
  if (!status.ok()) return status;
  return so;
}

absl::Status ParseScalingStrategy(const YAML::Node& node, const std::string& path,
                                  ScaledJobScalingStrategy& strategy) {
  if (!node.IsDefined() || node.IsNull()) return absl::OkStatus();
  std::string name = "default";
  std::string calculation = "max";
  FieldReader reader(node, path);
  reader.String("strategy", &name);
  reader.OptInt64("customScalingQueueLengthDeduction", &strategy.custom_queue_length_deduction);
  reader.OptString("customScalingRunningJobPercentage",
                   &strategy.custom_running_job_percentage);
  reader.StringList("pendingPodConditions", &strategy.pending_pod_conditions);
  reader.String("multipleScalersCalculation", &calculation);
  if (!reader.status().ok()) return reader.status();

  auto parsed_strategy = ParseScaledJobStrategy(name);
  if (!parsed_strategy.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(Path(path, "strategy"), ": ", parsed_strategy.status().message()));
  }
  auto parsed_calculation = ParseMultipleScalersCalculation(calculation);
  if (!parsed_calculation.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(Path(path, "multipleScalersCalculation"),
                                                   ": ", parsed_calculation.status().message()));
  }
  strategy.strategy = *parsed_strategy;
  strategy.multiple_scalers_calculation = *parsed_calculation;
  return absl::OkStatus();
}

absl::StatusOr<ScaledJobSpec> ParseScaledJob(const YAML::Node& doc, const ObjectMeta& meta,
                                             const std::string& where) {
  ScaledJobSpec sj;
  sj.name = meta.name;
  if (!meta.namespace_name.empty()) sj.namespace_name = meta.namespace_name;
  YAML::Node spec = Child(doc, "spec");
  std::string path = where + " spec";
  FieldReader reader(spec, path);
  reader.Int32("pollingInterval", 1, &sj.polling_interval_seconds);
  reader.Int32("minReplicaCount", 0, &sj.min_replica_count);
  reader.OptInt32("maxReplicaCount", 0, &sj.max_replica_count);
  reader.Int32("successfulJobsHistoryLimit", 0, &sj.successful_jobs_history_limit);
  reader.Int32("failedJobsHistoryLimit", 0, &sj.failed_jobs_history_limit);
  FieldReader rollout(Child(spec, "rollout"), Path(path, "rollout"));
  rollout.String("strategy", &sj.rollout_strategy);
  if (!reader.status().ok()) return reader.status();
  if (!rollout.status().ok()) return rollout.status();

  absl::Status status = ParseScalingStrategy(Child(spec, "scalingStrategy"),
                                             Path(path, "scalingStrategy"), sj.scaling_strategy);
  if (!status.ok()) return status;

  YAML::Node job = Child(spec, "jobTargetRef");
  std::string job_path = Path(path, "jobTargetRef");
  FieldReader job_reader(job, job_path);
  job_reader.OptInt32("parallelism", 0, &sj.job_template.parallelism);
  job_reader.OptInt32("completions", 0, &sj.job_template.completions);
  job_reader.OptInt32("backoffLimit", 0, &sj.job_template.backoff_limit);
  job_reader.OptInt64("activeDeadlineSeconds", &sj.job_template.active_deadline_seconds);
  if (!job_reader.status().ok()) return job_reader.status();
  status = ParsePodTemplate(Child(job, "template"), Path(job_path, "template"),
                            sj.job_template.pod);
  if (!status.ok()) return status;
  // KEDA defaults a Job's restartPolicy to OnFailure.
  if (sj.job_template.pod.restart_policy.empty()) sj.job_template.pod.restart_policy = "OnFailure";

  status = ParseTriggers(spec, path, sj.triggers);
  if (!status.ok()) return status;
  return sj;
}

absl::StatusOr<DeploymentSpec> ParseDeployment(const YAML::Node& doc, const ObjectMeta& meta,
                                               const std::string& where) {
  DeploymentSpec deployment;
  deployment.name = meta.name;
  if (!meta.namespace_name.empty()) deployment.namespace_name = meta.namespace_name;
  YAML::Node spec = Child(doc, "spec");
  std::string path = where + " spec";
  FieldReader reader(spec, path);
  reader.OptInt32("replicas", 0, &deployment.replicas);
  FieldReader selector(Child(spec, "selector"), Path(path, "selector"));
  selector.StringMap("matchLabels", &deployment.selector);
  if (!reader.status().ok()) return reader.status();
  if (!selector.status().ok()) return selector.status();

  absl::Status status =
      ParsePodTemplate(Child(spec, "template"), Path(path, "template"), deployment.pod);
  if (!status.ok()) return status;
  if (deployment.pod.restart_policy.empty()) deployment.pod.restart_policy = "Always";
  return deployment;
}

absl::StatusOr<ObjectMeta> ReadMeta(const YAML::Node& doc, absl::string_view source,
                                    size_t index) {
  ObjectMeta meta;
  std::string where = absl::StrCat(source, " document ", index + 1);
  if (!doc.IsMap()) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": want a map (a Kubernetes object)"));
  }
  FieldReader reader(doc, where);
  reader.String("kind", &meta.kind);
  FieldReader metadata(Child(doc, "metadata"), Path(where, "metadata"));
  metadata.String("name", &meta.name);
  metadata.String("namespace", &meta.namespace_name);
  if (!reader.status().ok()) return reader.status();
  if (!metadata.status().ok()) return metadata.status();
  if (meta.kind.empty()) return absl::InvalidArgumentError(absl::StrCat(where, ": kind missing"));
  return meta;
}

absl::Status AddDocument(const YAML::Node& doc, absl::string_view source, size_t index,
                         ManifestSet& set) {
  absl::StatusOr<ObjectMeta> meta = ReadMeta(doc, source, index);
  if (!meta.ok()) return meta.status();
  std::string where = absl::StrCat(source, " (", meta->kind, "/", meta->name, ")");

  if (meta->kind == "ScaledObject") {
    auto parsed = ParseScaledObject(doc, *meta, where);
    if (!parsed.ok()) return parsed.status();
    set.scaled_objects.push_back(*std::move(parsed));
  } else if (meta->kind == "ScaledJob") {
    auto parsed = ParseScaledJob(doc, *meta, where);
    if (!parsed.ok()) return parsed.status();
    set.scaled_jobs.push_back(*std::move(parsed));
  } else if (meta->kind == "Deployment") {
    auto parsed = ParseDeployment(doc, *meta, where);
    if (!parsed.ok()) return parsed.status();
    set.deployments.push_back(*std::move(parsed));
  } else {
    set.other_objects.push_back(absl::StrCat(meta->kind, "/", meta->name));
  }
  return absl::OkStatus();
}

}  // namespace

const DeploymentSpec* ManifestSet::FindDeployment(absl::string_view name) const {
  for (const DeploymentSpec& deployment : deployments) {
    if (deployment.name == name) return &deployment;
  }
  return nullptr;
}

absl::StatusOr<ManifestSet> ParseManifests(absl::string_view yaml, absl::string_view source) {
  absl::StatusOr<std::vector<YAML::Node>> documents = yaml_util::ParseDocuments(yaml, source);
  if (!documents.ok()) return documents.status();

  ManifestSet set;
  for (size_t i = 0; i < documents->size(); ++i) {
    try {
      absl::Status status = AddDocument((*documents)[i], source, i, set);
      if (!status.ok()) return status;
    } catch (const YAML::Exception& e) {
      return absl::InvalidArgumentError(
          absl::StrCat(source, " document ", i + 1, ": invalid object: ", e.msg));
    }
  }
  return set;
}

absl::StatusOr<ManifestSet> LoadManifestFile(const std::string& path) {
  absl::StatusOr<std::string> content = yaml_util::ReadFile(path);
  if (!content.ok()) return content.status();
  return ParseManifests(*content, path);
}

absl::StatusOr<HpaBehavior> ParseHpaBehavior(absl::string_view yaml, absl::string_view source) {
  absl::StatusOr<std::vector<YAML::Node>> documents = yaml_util::ParseDocuments(yaml, source);
  if (!documents.ok()) return documents.status();
  if (documents->size() != 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        source, ": want exactly one behavior document; found ", documents->size()));
  }
  try {
    YAML::Node node = documents->front();
    // Accept the block itself or a map that wraps it under `behavior`.
    YAML::Node wrapped = Child(node, "behavior");
    if (wrapped.IsDefined()) return ParseBehaviorNode(wrapped, std::string(source) + " behavior");
    return ParseBehaviorNode(node, std::string(source));
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(source, ": invalid behavior: ", e.msg));
  }
}

}  // namespace krs::lab
