#include "lab/report/result_json.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>

#include "absl/strings/str_cat.h"

namespace krs::lab {
namespace {

nlohmann::json ScenarioToJson(const Scenario& scenario) {
  return {
      {"name", scenario.name},
      {"description", scenario.description},
      {"manifests", scenario.manifests_dir},
      {"workload",
       {{"messages", scenario.workload.messages},
        {"duration", scenario.workload.duration},
        {"arrivals", scenario.workload.arrivals},
        {"seed", scenario.workload.seed}}},
      {"real_ms_per_second", scenario.real_ms_per_second},
      {"deadline_seconds", scenario.deadline_seconds},
  };
}

nlohmann::json MessagesToJson(const RunResult& result) {
  std::map<std::string, double> work_seconds;
  std::map<std::string, double> published_at;
  std::vector<std::string> order;
  for (const workloads::Event& event : result.events) {
    if (event.type != workloads::EventType::kPublished) continue;
    if (published_at.emplace(event.message_id, event.time).second) order.push_back(event.message_id);
    work_seconds[event.message_id] = event.work_seconds;
  }

  std::map<std::string, nlohmann::json> attempts;
  for (const workloads::Attempt& attempt : BuildAllAttempts(result.events, result.end_time)) {
    attempts[attempt.message_id].push_back(
        {{"consumer_id", attempt.consumer_id},
         {"redelivered", attempt.redelivered},
         {"start", attempt.received_time},
         {"end", attempt.end_time},
         {"seconds", attempt.end_time - attempt.received_time},
         {"outcome", attempt.outcome}});
  }

  nlohmann::json messages = nlohmann::json::array();
  for (const std::string& id : order) {
    auto found = attempts.find(id);
    messages.push_back({{"id", id},
                        {"work_seconds", work_seconds[id]},
                        {"published_at", published_at[id]},
                        {"attempts", found == attempts.end() ? nlohmann::json::array()
                                                             : found->second}});
  }
  return messages;
}

nlohmann::json TimelineToJson(const RunResult& result) {
  nlohmann::json timeline = nlohmann::json::array();
  for (const TimelineSample& sample : result.timeline) {
    timeline.push_back({{"time", sample.time},
                        {"ready", sample.ready},
                        {"unacked", sample.unacked},
                        {"replicas", sample.replicas},
                        {"pods", sample.pods},
                        {"busy_pods", sample.busy_pods},
                        {"completed", sample.completed}});
  }
  return timeline;
}

}  // namespace

nlohmann::json RunResultToJson(const RunResult& result) {
  nlohmann::json kills = nlohmann::json::array();
  for (const KillMark& kill : result.kills) {
    kills.push_back({{"time", kill.time}, {"pod", kill.pod}, {"busy", kill.busy}});
  }

  nlohmann::json configuration = result.configuration.is_null() ? nlohmann::json::object()
                                                                : result.configuration;
  configuration["scenario"] = ScenarioToJson(result.scenario);

  return {
      {"scenario", result.scenario.name},
      {"mode", result.mode},
      {"kind", result.kind},
      {"time_unit", "simulated seconds"},
      {"configuration", configuration},
      {"finished", result.finished},
      {"failure", result.failure},
      {"summary", result.summary.ToJson()},
      {"derived",
       {{"useful_processing_seconds", result.useful_processing_seconds},
        {"wasted_percent", result.wasted_percent()},
        {"pod_seconds", result.pod_seconds()},
        {"peak_replicas", result.peak_replicas()},
        {"end_time", result.end_time},
        {"real_seconds", result.real_seconds}}},
      {"delays",
       {{"unit", "real milliseconds"},
        {"process_start", result.delays.process_start.ToJson()},
        {"grpc_round_trip", result.delays.grpc_round_trip.ToJson()},
        {"broker_round_trip", result.delays.broker_round_trip.ToJson()},
        {"management_stats_lag", result.delays.management_stats_lag.ToJson()}}},
      {"messages", MessagesToJson(result)},
      {"timeline", TimelineToJson(result)},
      {"kills", kills},
  };
}

absl::Status WriteTextFile(const std::string& path, const std::string& text) {
  std::ofstream file(path, std::ios::trunc);
  if (!file) {
    return absl::UnavailableError(
        absl::StrCat("cannot open ", path, " for writing: ", std::strerror(errno)));
  }
  file << text;
  file.close();
  if (!file) return absl::UnavailableError(absl::StrCat("failed to write ", path));
  return absl::OkStatus();
}

absl::Status WriteResultJson(const RunResult& result, const std::string& path) {
  return WriteTextFile(path, RunResultToJson(result).dump(2) + "\n");
}

}  // namespace krs::lab
