// The parts of a Kubernetes pod template the lab runs: containers (command, args, env, preStop
// exec hook), labels, annotations and terminationGracePeriodSeconds. A Job template adds the
// JobSpec fields.
#ifndef KRS_LAB_MANIFESTS_POD_TEMPLATE_H_
#define KRS_LAB_MANIFESTS_POD_TEMPLATE_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace krs::lab {

// One `env` entry. Entries with `valueFrom` keep an empty value and set `value_from` to the
// source kind ("secretKeyRef", "configMapKeyRef", "fieldRef", ...), which the lab does not
// resolve.
struct EnvVar {
  std::string name;
  std::string value;
  std::string value_from;
};

struct ContainerSpec {
  std::string name;
  std::string image;
  std::vector<std::string> command;
  std::vector<std::string> args;
  std::vector<EnvVar> env;
  // lifecycle.preStop.exec.command; unset when the container has no exec preStop hook.
  std::optional<std::vector<std::string>> pre_stop_command;
};

// spec.template of a Deployment or a Job.
struct PodTemplate {
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> annotations;
  std::vector<ContainerSpec> containers;
  // Unset means the API default, 30 s (applied by the termination policy).
  std::optional<std::int64_t> termination_grace_period_seconds;
  std::string restart_policy;
};

// spec.jobTargetRef of a ScaledJob (a batch/v1 JobSpec).
struct JobTemplate {
  PodTemplate pod;
  std::optional<std::int32_t> parallelism;
  std::optional<std::int32_t> completions;
  std::optional<std::int32_t> backoff_limit;
  std::optional<std::int64_t> active_deadline_seconds;
};

}  // namespace krs::lab

#endif  // KRS_LAB_MANIFESTS_POD_TEMPLATE_H_
