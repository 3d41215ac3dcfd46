#include "lab/report/run_result.h"

#include <algorithm>
#include <numeric>
#include <set>
#include <unordered_map>

namespace krs::lab {

DelayStats DelayStats::Of(std::vector<double>& samples) {
  DelayStats stats;
  if (samples.empty()) return stats;
  std::sort(samples.begin(), samples.end());
  stats.count = static_cast<int64_t>(samples.size());
  stats.mean_ms = std::accumulate(samples.begin(), samples.end(), 0.0) / samples.size();
  stats.p50_ms = workloads::NearestRankPercentile(samples, 0.5);
  stats.p95_ms = workloads::NearestRankPercentile(samples, 0.95);
  stats.max_ms = samples.back();
  return stats;
}

nlohmann::json DelayStats::ToJson() const {
  return {{"count", count},   {"mean_ms", mean_ms}, {"p50_ms", p50_ms},
          {"p95_ms", p95_ms}, {"max_ms", max_ms}};
}

double RunResult::wasted_percent() const {
  double total = summary.wasted_processing_seconds + useful_processing_seconds;
  if (total <= 0) return 0;
  return 100.0 * summary.wasted_processing_seconds / total;
}

double RunResult::pod_seconds() const {
  double total = 0;
  for (const PodRecord& pod : pods) {
    // Pods stopped by the teardown after the run count until end_time only.
    double ended = pod.ended < 0 ? end_time : std::min(pod.ended, end_time);
    total += std::max(0.0, ended - pod.created);
  }
  return total;
}

int64_t RunResult::peak_replicas() const {
  int64_t peak = 0;
  for (const TimelineSample& sample : timeline) peak = std::max(peak, sample.replicas);
  return peak;
}

namespace {

const char* OutcomeOf(workloads::EventType type) {
  switch (type) {
    case workloads::EventType::kCompleted:
      return "completed";
    case workloads::EventType::kInterrupted:
      return "interrupted";
    case workloads::EventType::kRejected:
      return "rejected";
    case workloads::EventType::kAckFailed:
      return "ack_failed";
    default:
      return nullptr;
  }
}

}  // namespace

std::vector<workloads::Attempt> BuildAllAttempts(const std::vector<workloads::Event>& events,
                                                 double end_time) {
  using workloads::EventType;
  std::vector<size_t> order(events.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return events[a].time < events[b].time; });

  std::vector<workloads::Attempt> attempts;
  std::unordered_map<std::string, size_t> open;  // message id -> attempt index
  std::unordered_map<std::string, std::set<std::string>> open_by_consumer;
  std::unordered_map<std::string, size_t> first_seen;  // message id -> publish order

  auto close = [&](const std::string& message_id, double time, const char* outcome) {
    auto it = open.find(message_id);
    workloads::Attempt& attempt = attempts[it->second];
    attempt.end_time = time;
    attempt.outcome = outcome;
    open_by_consumer[attempt.consumer_id].erase(message_id);
    open.erase(it);
  };

  for (size_t index : order) {
    const workloads::Event& event = events[index];
    if (!event.message_id.empty()) first_seen.emplace(event.message_id, first_seen.size());
    if (event.type == EventType::kReceived) {
      if (open.count(event.message_id) > 0) close(event.message_id, event.time, "redelivered");
      attempts.push_back(workloads::Attempt{event.message_id, event.scenario, event.consumer_id,
                                            event.delivery_tag, event.redelivered, event.time, 0,
                                            "open"});
      open[event.message_id] = attempts.size() - 1;
      open_by_consumer[event.consumer_id].insert(event.message_id);
      continue;
    }
    if (event.type == EventType::kKilled) {
      std::set<std::string> held = open_by_consumer[event.consumer_id];
      for (const std::string& message_id : held) close(message_id, event.time, "killed");
      continue;
    }
    const char* outcome = OutcomeOf(event.type);
    auto it = open.find(event.message_id);
    if (outcome == nullptr || it == open.end()) continue;
    if (attempts[it->second].consumer_id != event.consumer_id) continue;
    close(event.message_id, event.time, outcome);
  }
  for (auto& [message_id, index] : open) {
    attempts[index].end_time = end_time;
    attempts[index].outcome = "open";
  }

  std::stable_sort(attempts.begin(), attempts.end(),
                   [&](const workloads::Attempt& a, const workloads::Attempt& b) {
                     return first_seen[a.message_id] < first_seen[b.message_id];
                   });
  return attempts;
}

void Summarize(RunResult& result) {
  workloads::EventStore store;
  for (const workloads::Event& event : result.events) store.Add(event);

  auto summaries = store.Summarize(result.end_time);
  auto it = summaries.find(result.scenario.name);
  result.summary = it == summaries.end() ? workloads::ScenarioSummary{} : it->second;

  result.useful_processing_seconds = 0;
  for (const workloads::Attempt& attempt : BuildAllAttempts(result.events, result.end_time)) {
    if (attempt.outcome == "completed") {
      result.useful_processing_seconds += attempt.end_time - attempt.received_time;
    }
  }
}

}  // namespace krs::lab
