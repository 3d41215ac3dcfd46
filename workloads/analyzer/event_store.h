// EventStore: the result-analyzer's in-memory record of every accepted event, and the pure
// computation of per-scenario summaries and per-message attempts from it. No I/O and no clock:
// the caller passes the query time.
//
// An attempt starts with a `received` event and ends with the first of these:
//   - completed, interrupted, rejected or ack_failed from the same consumer for the message;
//   - a `killed` event for that consumer, which the lab sends when it SIGKILLs a pod;
//   - the next `received` of the same message by any consumer. RabbitMQ redelivers a message
//     only after the previous holder's channel is gone, so the earlier attempt ended before;
//   - the query time, when none of these has arrived yet.
// Events are ordered by their `time` field (the sender's clock), ties by arrival order, so
// events that arrive late (a consumer's retry buffer) still land in the right place.
#ifndef KRS_WORKLOADS_ANALYZER_EVENT_STORE_H_
#define KRS_WORKLOADS_ANALYZER_EVENT_STORE_H_

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"
#include "workloads/common/event.h"

namespace krs::workloads {

// The result of one scenario; ToJson() writes exactly these keys.
struct ScenarioSummary {
  int64_t published = 0;                 // distinct message ids published
  int64_t completed = 0;                 // distinct message ids completed at least once
  int64_t completed_more_than_once = 0;  // distinct message ids completed twice or more
  int64_t attempts = 0;                  // received events
  int64_t redeliveries = 0;              // received events with redelivered = true
  int64_t interrupted = 0;               // attempts ended by `interrupted`
  // Attempts that ended neither completed nor interrupted nor rejected: killed pods, lost acks
  // (ack_failed) and attempts still open at query time.
  int64_t killed = 0;
  int64_t rejected = 0;                  // attempts ended by `rejected`
  int64_t idle_jobs = 0;                 // idle events
  double wasted_processing_seconds = 0;  // sum of (end - received) over attempts not completed
  double makespan_seconds = 0;           // first publish to last completion; 0 if either is missing
  // Publish to first completion, over messages with both; nearest-rank percentiles.
  double latency_p50_seconds = 0;
  double latency_p95_seconds = 0;
  double latency_max_seconds = 0;

  nlohmann::json ToJson() const;
};

// One processing attempt of one message.
struct Attempt {
  std::string message_id;
  std::string scenario;
  std::string consumer_id;
  int64_t delivery_tag = 0;
  bool redelivered = false;
  double received_time = 0;
  double end_time = 0;
  // completed, interrupted, rejected, ack_failed, killed (a killed event), redelivered (the
  // next received of the message), open (nothing yet; end_time is the query time).
  std::string outcome;

  nlohmann::json ToJson() const;
};

class EventStore {
 public:
  // Stores `event`. Returns false, and stores nothing, when an event with the same non-empty
  // event_id was stored before (a sender's retry).
  bool Add(const Event& event);

  bool HasEventId(const std::string& event_id) const { return event_ids_.count(event_id) > 0; }

  size_t size() const { return events_.size(); }
  const std::vector<Event>& events() const { return events_; }

  // Returns the summary of every scenario seen, keyed by scenario. `now` (unix seconds) ends
  // attempts that are still open.
  std::map<std::string, ScenarioSummary> Summarize(double now) const;

  // Returns the attempts of `message_id` in time order; empty when no attempt is known.
  std::vector<Attempt> AttemptsOf(absl::string_view message_id, double now) const;

  // Returns every stored event of `message_id` in arrival order.
  std::vector<Event> EventsOf(absl::string_view message_id) const;

 private:
  // Indexes into events_ for `scenario` (plus killed events without a scenario), sorted by
  // time and then arrival order.
  std::vector<size_t> OrderedEventsOf(absl::string_view scenario) const;

  std::vector<Attempt> BuildAttempts(const std::vector<size_t>& order, double now) const;

  ScenarioSummary SummarizeScenario(absl::string_view scenario, double now) const;

  std::vector<Event> events_;
  std::set<std::string> event_ids_;
  std::set<std::string> scenarios_;
};

// Returns the nearest-rank percentile (0 < p <= 1) of `sorted` values: the value at rank
// ceil(p * n). Returns 0 for an empty input.
double NearestRankPercentile(const std::vector<double>& sorted, double p);

}  // namespace krs::workloads

#endif  // KRS_WORKLOADS_ANALYZER_EVENT_STORE_H_
