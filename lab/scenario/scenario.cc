#include "lab/scenario/scenario.h"

#include <yaml-cpp/yaml.h>

#include <cmath>
#include <fstream>
#include <sstream>
#include <sys/stat.h>

#include "absl/strings/str_cat.h"

namespace krs::lab {
namespace {

absl::Status Invalid(absl::string_view source, absl::string_view key, absl::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat(source, ": ", key, ": ", problem));
}

// Reads an optional scalar into `out`; a present value of the wrong type is an error.
template <typename T>
absl::Status ReadScalar(const YAML::Node& parent, const char* key, absl::string_view path,
                        absl::string_view source, T& out) {
  YAML::Node node = parent[key];
  if (!node || node.IsNull()) return absl::OkStatus();
  try {
    out = node.as<T>();
  } catch (const YAML::Exception&) {
    std::string text = node.IsScalar() ? node.Scalar() : "(not a scalar)";
    return Invalid(source, absl::StrCat(path, key),
                   absl::StrCat("invalid value \"", text, "\""));
  }
  return absl::OkStatus();
}

absl::Status CheckPositive(double value, absl::string_view source, absl::string_view key) {
  if (std::isfinite(value) && value > 0) return absl::OkStatus();
  return Invalid(source, key, absl::StrCat("must be a positive number, got ", value));
}

absl::Status ParseWorkload(const YAML::Node& node, absl::string_view source, WorkloadSpec& out) {
  if (!node || !node.IsMap()) return Invalid(source, "workload", "missing or not a map");
  absl::Status status = ReadScalar(node, "messages", "workload.", source, out.messages);
  if (status.ok()) status = ReadScalar(node, "duration", "workload.", source, out.duration);
  if (status.ok()) status = ReadScalar(node, "arrivals", "workload.", source, out.arrivals);
  if (status.ok()) status = ReadScalar(node, "seed", "workload.", source, out.seed);
  if (!status.ok()) return status;

  if (out.messages <= 0) {
    return Invalid(source, "workload.messages",
                   absl::StrCat("must be a positive integer, got ", out.messages));
  }
  return absl::OkStatus();
}

absl::Status ParseConsumer(const YAML::Node& node, absl::string_view source,
                           ConsumerOverrides& out) {
  if (!node) return absl::OkStatus();
  absl::Status status = ReadScalar(node, "on_sigterm", "consumer.", source, out.on_sigterm);
  if (status.ok()) status = ReadScalar(node, "prefetch", "consumer.", source, out.prefetch);
  if (!status.ok()) return status;

  if (!out.on_sigterm.empty() && out.on_sigterm != "ignore" && out.on_sigterm != "requeue" &&
      out.on_sigterm != "drain") {
    return Invalid(source, "consumer.on_sigterm",
                   absl::StrCat("invalid value \"", out.on_sigterm,
                                "\"; allowed: ignore, requeue, drain"));
  }
  if (out.prefetch < 0) {
    return Invalid(source, "consumer.prefetch", absl::StrCat("must be >= 0, got ", out.prefetch));
  }
  return absl::OkStatus();
}

absl::Status ParseDelays(const YAML::Node& node, absl::string_view source, RealDelays& out) {
  if (!node) return absl::OkStatus();
  absl::Status status =
      ReadScalar(node, "process_start_ms", "delays.", source, out.process_start_ms);
  if (status.ok()) {
    status = ReadScalar(node, "management_stats_lag_ms", "delays.", source,
                        out.management_stats_lag_ms);
  }
  if (status.ok()) {
    status = ReadScalar(node, "grpc_round_trip_ms", "delays.", source, out.grpc_round_trip_ms);
  }
  if (status.ok()) {
    status =
        ReadScalar(node, "broker_round_trip_ms", "delays.", source, out.broker_round_trip_ms);
  }
  if (!status.ok()) return status;

  for (double value : {out.process_start_ms, out.management_stats_lag_ms,
                       out.grpc_round_trip_ms, out.broker_round_trip_ms}) {
    if (!std::isfinite(value) || value < 0) {
      return Invalid(source, "delays", absl::StrCat("every delay must be >= 0, got ", value));
    }
  }
  return absl::OkStatus();
}

absl::Status ParseDocument(const YAML::Node& root, absl::string_view source, Scenario& out) {
  if (!root.IsMap()) return Invalid(source, "(document)", "expected a map");
  absl::Status status = ReadScalar(root, "name", "", source, out.name);
  if (status.ok()) status = ReadScalar(root, "description", "", source, out.description);
  if (status.ok()) status = ReadScalar(root, "manifests", "", source, out.manifests_dir);
  if (!status.ok()) return status;
  if (out.name.empty()) return Invalid(source, "name", "missing");
  if (out.manifests_dir.empty()) return Invalid(source, "manifests", "missing");

  status = ParseWorkload(root["workload"], source, out.workload);
  if (status.ok()) status = ParseConsumer(root["consumer"], source, out.consumer);
  if (status.ok()) status = ParseDelays(root["delays"], source, out.delays);
  if (!status.ok()) return status;

  YAML::Node time = root["time"];
  if (!time || !time.IsMap()) return Invalid(source, "time", "missing or not a map");
  status = ReadScalar(time, "real_ms_per_second", "time.", source, out.real_ms_per_second);
  if (status.ok()) {
    status = ReadScalar(time, "deadline_seconds", "time.", source, out.deadline_seconds);
  }
  if (status.ok()) status = CheckPositive(out.real_ms_per_second, source, "time.real_ms_per_second");
  if (status.ok()) status = CheckPositive(out.deadline_seconds, source, "time.deadline_seconds");
  return status;
}

}  // namespace

absl::StatusOr<Scenario> ParseScenario(absl::string_view yaml_text, absl::string_view source) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml_text));
  } catch (const YAML::Exception& error) {
    return absl::InvalidArgumentError(absl::StrCat(source, ": invalid YAML: ", error.what()));
  }

  Scenario scenario;
  absl::Status status = ParseDocument(root, source, scenario);
  if (!status.ok()) return status;
  scenario.source_path = std::string(source);
  return scenario;
}

absl::StatusOr<Scenario> LoadScenarioFile(const std::string& path) {
  std::ifstream file(path);
  if (!file) return absl::NotFoundError(absl::StrCat("scenario file not found: ", path));
  std::stringstream text;
  text << file.rdbuf();
  return ParseScenario(text.str(), path);
}

absl::StatusOr<Scenario> FindScenario(const std::string& name_or_path,
                                      const std::string& repo_root) {
  struct stat info;
  if (stat(name_or_path.c_str(), &info) == 0 && S_ISREG(info.st_mode)) {
    return LoadScenarioFile(name_or_path);
  }
  std::string path = absl::StrCat(repo_root, "/lab/scenarios/", name_or_path, ".yaml");
  if (stat(path.c_str(), &info) != 0) {
    return absl::NotFoundError(absl::StrCat("scenario \"", name_or_path,
                                            "\" not found: no such file and no ", path));
  }
  return LoadScenarioFile(path);
}

}  // namespace krs::lab
