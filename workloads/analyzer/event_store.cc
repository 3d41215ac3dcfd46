#include "workloads/analyzer/event_store.h"

#include <algorithm>
#include <cmath>
#include <utility>

namespace krs::workloads {
namespace {

const char* OutcomeOf(EventType type) {
  switch (type) {
    case EventType::kCompleted:
      return "completed";
    case EventType::kInterrupted:
      return "interrupted";
    case EventType::kRejected:
      return "rejected";
    case EventType::kAckFailed:
      return "ack_failed";
    default:
      return nullptr;
  }
}

// Attempts that are still open, by message id; an index into the attempt list.
using OpenAttempts = std::map<std::string, size_t>;

void CloseAttempt(Attempt& attempt, double end_time, const char* outcome) {
  attempt.end_time = std::max(end_time, attempt.received_time);
  attempt.outcome = outcome;
}

}  // namespace

nlohmann::json ScenarioSummary::ToJson() const {
  return {
      {"published", published},
      {"completed", completed},
      {"completed_more_than_once", completed_more_than_once},
      {"attempts", attempts},
      {"redeliveries", redeliveries},
      {"interrupted", interrupted},
      {"killed", killed},
      {"rejected", rejected},
      {"idle_jobs", idle_jobs},
      {"wasted_processing_seconds", wasted_processing_seconds},
      {"makespan_seconds", makespan_seconds},
      {"latency_p50_seconds", latency_p50_seconds},
      {"latency_p95_seconds", latency_p95_seconds},
      {"latency_max_seconds", latency_max_seconds},
  };
}

nlohmann::json Attempt::ToJson() const {
  return {{"message_id", message_id},
          {"scenario", scenario},
          {"consumer_id", consumer_id},
          {"delivery_tag", delivery_tag},
          {"redelivered", redelivered},
          {"received_time", received_time},
          {"end_time", end_time},
          {"seconds", end_time - received_time},
          {"outcome", outcome}};
}

double NearestRankPercentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  auto rank = static_cast<size_t>(std::ceil(p * static_cast<double>(sorted.size())));
  rank = std::clamp<size_t>(rank, 1, sorted.size());
  return sorted[rank - 1];
}

bool EventStore::Add(const Event& event) {
  if (!event.event_id.empty() && !event_ids_.insert(event.event_id).second) return false;
  events_.push_back(event);
  if (!event.scenario.empty()) scenarios_.insert(event.scenario);
  return true;
}

std::vector<size_t> EventStore::OrderedEventsOf(absl::string_view scenario) const {
  std::vector<size_t> order;
  for (size_t i = 0; i < events_.size(); ++i) {
    const Event& event = events_[i];
    bool global_kill = event.type == EventType::kKilled && event.scenario.empty();
    if (event.scenario == scenario || global_kill) order.push_back(i);
  }
  std::stable_sort(order.begin(), order.end(),
                   [this](size_t a, size_t b) { return events_[a].time < events_[b].time; });
  return order;
}

std::vector<Attempt> EventStore::BuildAttempts(const std::vector<size_t>& order,
                                               double now) const {
  std::vector<Attempt> attempts;
  OpenAttempts open;  // message id -> attempt index

  for (size_t index : order) {
    const Event& event = events_[index];
    if (event.type == EventType::kReceived) {
      auto previous = open.find(event.message_id);
      if (previous != open.end()) CloseAttempt(attempts[previous->second], event.time, "redelivered");
      attempts.push_back(Attempt{event.message_id, event.scenario, event.consumer_id,
                                 event.delivery_tag, event.redelivered, event.time, 0, "open"});
      open[event.message_id] = attempts.size() - 1;
      continue;
    }
    if (event.type == EventType::kKilled) {
      for (auto it = open.begin(); it != open.end();) {
        if (attempts[it->second].consumer_id != event.consumer_id) {
          ++it;
          continue;
        }
        CloseAttempt(attempts[it->second], event.time, "killed");
        it = open.erase(it);
      }
      continue;
    }
    const char* outcome = OutcomeOf(event.type);
    if (outcome == nullptr) continue;
    auto it = open.find(event.message_id);
    if (it == open.end() || attempts[it->second].consumer_id != event.consumer_id) continue;
    CloseAttempt(attempts[it->second], event.time, outcome);
    open.erase(it);
  }

  for (const auto& [message_id, index] : open) CloseAttempt(attempts[index], now, "open");
  return attempts;
}

ScenarioSummary EventStore::SummarizeScenario(absl::string_view scenario, double now) const {
  std::vector<size_t> order = OrderedEventsOf(scenario);
  ScenarioSummary summary;
  std::map<std::string, double> published_at;     // first publish per message
  std::map<std::string, int64_t> completions;
  std::map<std::string, double> first_completion;
  double first_publish = 0;
  double last_completion = 0;

  for (size_t index : order) {
    const Event& event = events_[index];
    if (event.type == EventType::kPublished) {
      published_at.emplace(event.message_id, event.time);
      if (published_at.size() == 1 || event.time < first_publish) first_publish = event.time;
    } else if (event.type == EventType::kCompleted) {
      if (++completions[event.message_id] == 1) first_completion[event.message_id] = event.time;
      last_completion = std::max(last_completion, event.time);
    } else if (event.type == EventType::kIdle) {
      ++summary.idle_jobs;
    }
  }

  summary.published = static_cast<int64_t>(published_at.size());
  summary.completed = static_cast<int64_t>(completions.size());
  for (const auto& [id, count] : completions) {
    if (count > 1) ++summary.completed_more_than_once;
  }

  for (const Attempt& attempt : BuildAttempts(order, now)) {
    ++summary.attempts;
    if (attempt.redelivered) ++summary.redeliveries;
    if (attempt.outcome == "interrupted") ++summary.interrupted;
    if (attempt.outcome == "rejected") ++summary.rejected;
    bool ended_cleanly = attempt.outcome == "completed" || attempt.outcome == "interrupted" ||
                         attempt.outcome == "rejected";
    if (!ended_cleanly) ++summary.killed;
    if (attempt.outcome != "completed") {
      summary.wasted_processing_seconds += attempt.end_time - attempt.received_time;
    }
  }

  if (!published_at.empty() && !completions.empty()) {
    summary.makespan_seconds = std::max(0.0, last_completion - first_publish);
  }

  std::vector<double> latencies;
  for (const auto& [id, completed_time] : first_completion) {
    auto published = published_at.find(id);
    if (published != published_at.end()) latencies.push_back(completed_time - published->second);
  }
  std::sort(latencies.begin(), latencies.end());
  summary.latency_p50_seconds = NearestRankPercentile(latencies, 0.50);
  summary.latency_p95_seconds = NearestRankPercentile(latencies, 0.95);
  summary.latency_max_seconds = latencies.empty() ? 0 : latencies.back();
  return summary;
}

std::map<std::string, ScenarioSummary> EventStore::Summarize(double now) const {
  std::map<std::string, ScenarioSummary> summaries;
  for (const std::string& scenario : scenarios_) {
    summaries[scenario] = SummarizeScenario(scenario, now);
  }
  return summaries;
}

std::vector<Attempt> EventStore::AttemptsOf(absl::string_view message_id, double now) const {
  std::string scenario;
  for (const Event& event : events_) {
    if (event.message_id == message_id && !event.scenario.empty()) {
      scenario = event.scenario;
      break;
    }
  }
  if (scenario.empty()) return {};

  std::vector<Attempt> attempts;
  for (Attempt& attempt : BuildAttempts(OrderedEventsOf(scenario), now)) {
    if (attempt.message_id == message_id) attempts.push_back(std::move(attempt));
  }
  return attempts;
}

std::vector<Event> EventStore::EventsOf(absl::string_view message_id) const {
  std::vector<Event> result;
  for (const Event& event : events_) {
    if (event.message_id == message_id) result.push_back(event);
  }
  return result;
}

}  // namespace krs::workloads
