// RunResult: everything one scenario run produced, in simulated seconds, whether the run was
// live or simulated. The report writers (result_json, summary_table, timeline_svg) read it.
#ifndef KRS_LAB_REPORT_RUN_RESULT_H_
#define KRS_LAB_REPORT_RUN_RESULT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "lab/scenario/scenario.h"
#include "nlohmann/json.hpp"
#include "workloads/analyzer/event_store.h"
#include "workloads/common/event.h"

namespace krs::lab {

// One point of the timeline, taken at a fixed simulated interval.
struct TimelineSample {
  double time = 0;         // simulated seconds since the run started
  int64_t ready = 0;       // messages ready in the queue
  int64_t unacked = 0;     // messages delivered and not yet acknowledged
  int64_t replicas = 0;    // Deployment spec.replicas (ScaledObject) or active Jobs (ScaledJob)
  int64_t pods = 0;        // pods alive, terminating ones included
  int64_t busy_pods = 0;   // pods working on a message
  int64_t completed = 0;   // messages completed so far
};

// One SIGKILL by the kubelet emulation.
struct KillMark {
  double time = 0;
  std::string pod;
  bool busy = false;       // the pod was working on a message when killed
};

// One pod's life, for pod-seconds.
struct PodRecord {
  std::string name;
  double created = 0;
  double ended = -1;       // -1 while still alive at the end of the run
};

// Distribution of one measured real-time delay, in real milliseconds.
struct DelayStats {
  int64_t count = 0;
  double mean_ms = 0;
  double p50_ms = 0;
  double p95_ms = 0;
  double max_ms = 0;

  // Computes the statistics of `samples` (real milliseconds); the vector is sorted in place.
  static DelayStats Of(std::vector<double>& samples);
  nlohmann::json ToJson() const;
};

// Real-time delays measured (live) or assumed (simulate).
struct MeasuredDelays {
  DelayStats process_start;        // fork until the consumer's first event or the pod's start
  DelayStats grpc_round_trip;      // one scaler RPC
  DelayStats broker_round_trip;    // one AMQP method (queue.declare) from the lab
  DelayStats management_stats_lag; // publish until the management API shows the message
};

struct RunResult {
  Scenario scenario;
  std::string mode;            // "live" or "simulate"
  std::string kind;            // "ScaledObject" or "ScaledJob"
  nlohmann::json configuration;  // scenario, manifest settings and consumer flags as run

  std::vector<workloads::Event> events;  // every event, times in simulated seconds
  workloads::ScenarioSummary summary;    // from workloads::EventStore over `events`
  double useful_processing_seconds = 0;  // sum over completed attempts
  std::vector<TimelineSample> timeline;
  std::vector<KillMark> kills;
  std::vector<PodRecord> pods;
  MeasuredDelays delays;

  double end_time = 0;         // simulated seconds when the run stopped
  double real_seconds = 0;     // wall-clock length of the run
  bool finished = false;       // every published message completed before the deadline
  std::string failure;         // why not, when !finished

  // Returns wasted / (wasted + useful) processing seconds, in percent; 0 when nothing ran.
  double wasted_percent() const;
  // Returns the sum of pod lifetimes, each cut off at end_time.
  double pod_seconds() const;
  // Returns the largest `replicas` value of the timeline.
  int64_t peak_replicas() const;
};

// Returns the attempts of every message in one pass over `events`, grouped by message in
// first-publish order and in time order within a message. The rules are the analyzer's
// (workloads::EventStore): an attempt starts with `received` and ends with the consumer's
// completed / interrupted / rejected / ack_failed, a `killed` event for its consumer, the
// message's next `received`, or `end_time` ("open"). EventStore::AttemptsOf returns the same
// for one message but scans every event per call, which is quadratic over a whole run.
std::vector<workloads::Attempt> BuildAllAttempts(const std::vector<workloads::Event>& events,
                                                 double end_time);

// Fills summary and useful_processing_seconds from events, with `end_time` as query time.
void Summarize(RunResult& result);

}  // namespace krs::lab

#endif  // KRS_LAB_REPORT_RUN_RESULT_H_
