// Scenario: one experiment of the scale-in lab, read from lab/scenarios/<name>.yaml. It names
// the Kubernetes manifests to play, the workload the producer publishes, the time compression
// of live runs and the real-time delays that simulate mode models.
//
//   name: scaledobject-naive
//   manifests: manifests/experiments/scaledobject-naive
//   workload: {messages: 40, duration: "uniform:3600,10800", arrivals: "waves:4:5400", seed: 7}
//   consumer: {on_sigterm: ignore}          # optional; the manifest's args otherwise
//   time: {real_ms_per_second: 4, deadline_seconds: 64800}
//   delays: {process_start_ms: 40, management_stats_lag_ms: 1000}   # simulate mode only
#ifndef KRS_LAB_SCENARIO_SCENARIO_H_
#define KRS_LAB_SCENARIO_SCENARIO_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace krs::lab {

// What the producer publishes. The strings use rmq-producer's flag syntax.
struct WorkloadSpec {
  int64_t messages = 0;
  std::string duration = "fixed:3600";  // --duration, in simulated (work) seconds
  std::string arrivals = "burst";       // --arrivals: burst | rate:R | waves:COUNT:INTERVAL
  uint64_t seed = 1;
};

// Overrides of the consumer's flags; empty or zero fields keep the manifest's value.
struct ConsumerOverrides {
  std::string on_sigterm;  // ignore | requeue | drain
  int prefetch = 0;
};

// Real-time delays that time compression cannot shrink. Live runs measure them; simulate
// mode adds them, converted to simulated seconds with the scenario's time scale.
struct RealDelays {
  double process_start_ms = 40;         // fork/exec until the consumer's first basic.consume
  double management_stats_lag_ms = 1000;  // management API statistics refresh (500 ms interval)
  double grpc_round_trip_ms = 1;        // one scaler RPC
  double broker_round_trip_ms = 1;      // one AMQP method
};

struct Scenario {
  std::string name;                // also the queue name and the analyzer's scenario label
  std::string description;
  std::string manifests_dir;       // relative to the repository root
  WorkloadSpec workload;
  ConsumerOverrides consumer;
  double real_ms_per_second = 5;   // time scale: real milliseconds per simulated second
  double deadline_seconds = 86400; // simulated seconds after the first publish
  RealDelays delays;
  std::string source_path;         // the file it was read from

  // Real seconds per simulated second, as rmq-consumer's and rmq-producer's --time-scale.
  double time_scale() const { return real_ms_per_second / 1000.0; }
};

// Parses scenario YAML. Errors are INVALID_ARGUMENT naming the key, the rejected value and
// what is allowed. `source` names the text in errors.
absl::StatusOr<Scenario> ParseScenario(absl::string_view yaml_text, absl::string_view source);

// Reads `path` and parses it.
absl::StatusOr<Scenario> LoadScenarioFile(const std::string& path);

// Finds a scenario by name or path: an existing file path is read as is, otherwise
// <repo_root>/lab/scenarios/<name>.yaml.
absl::StatusOr<Scenario> FindScenario(const std::string& name_or_path,
                                      const std::string& repo_root);

}  // namespace krs::lab

#endif  // KRS_LAB_SCENARIO_SCENARIO_H_
