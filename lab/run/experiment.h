// Experiment: a scenario together with the Kubernetes objects it plays (a ScaledObject and its
// Deployment, or a ScaledJob), read from the scenario's kustomization and rewritten for a run
// on this machine: local broker, scaler and analyzer addresses, the local rmq-consumer
// binary, one queue per scenario and the scenario's time scale and consumer overrides.
#ifndef KRS_LAB_RUN_EXPERIMENT_H_
#define KRS_LAB_RUN_EXPERIMENT_H_

#include <map>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "lab/manifests/workload_specs.h"
#include "lab/scenario/scenario.h"
#include "nlohmann/json.hpp"

namespace krs::lab {

// Where the parts of a local run are. Simulate mode uses placeholder URLs: the simulated
// broker answers every address.
struct LocalEndpoints {
  std::string amqp_url = "amqp://guest:guest@127.0.0.1:5672/%2F";
  std::string http_url = "http://guest:guest@127.0.0.1:15672";
  std::string analyzer_url;            // empty: no ANALYZER_URL
  std::string scaler_address = "127.0.0.1:9090";
  std::string consumer_binary = "rmq-consumer";
  std::string deletion_cost_endpoint;  // replaces --deletion-cost-endpoint when set
  // Live runs: rewrite rmq-consumer's --idle-timeout (real seconds) to the manifest's value
  // times the time scale, so that it stays a span of simulated time.
  bool scale_idle_timeout = false;
};

struct Experiment {
  Scenario scenario;
  std::optional<ScaledObjectSpec> scaled_object;
  std::optional<DeploymentSpec> deployment;
  std::optional<ScaledJobSpec> scaled_job;
  std::string queue;  // the queue every part uses: the scenario's name

  bool is_job() const { return scaled_job.has_value(); }
  std::string kind() const { return is_job() ? "ScaledJob" : "ScaledObject"; }

  // The consumer container (the first container of the pod template).
  ContainerSpec& consumer();
  const ContainerSpec& consumer() const;

  // The consumer container's env as name -> value (valueFrom entries left out).
  std::map<std::string, std::string> ConsumerEnv() const;

  // The settings a reader of the results needs, with passwords redacted.
  nlohmann::json Configuration() const;
};

// Loads the kustomization in <repo_root>/<scenario.manifests_dir>. Expects exactly one
// ScaledObject with its target Deployment, or exactly one ScaledJob; returns INVALID_ARGUMENT
// naming the folder otherwise.
absl::StatusOr<Experiment> LoadExperiment(const Scenario& scenario, const std::string& repo_root);

// Rewrites the experiment for a local run (see the file comment). Trigger metadata keeps its
// `...FromEnv` keys; their variables get local values in the consumer's env.
void Localize(Experiment& experiment, const LocalEndpoints& endpoints);

}  // namespace krs::lab

#endif  // KRS_LAB_RUN_EXPERIMENT_H_
