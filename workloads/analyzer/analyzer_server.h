// AnalyzerServer: the result-analyzer's REST service (cpp-httplib). It stores events posted by
// the producer, the consumers and the lab, makes each durable in the EventLog before it
// responds, and serves summaries computed by EventStore.
//
//   POST /events          one JSON event or an array of events; 202 with {"accepted": n,
//                         "duplicates": m}; 400 with {"error": reason} for invalid JSON or an
//                         invalid event (then nothing of the request is stored); 413 for a body
//                         over max_body_bytes
//   GET  /results         {"<scenario>": {summary}, ...}
//   GET  /messages/{id}   {"message_id", "attempts": [...], "events": [...]}; 404 if unknown
//   GET  /healthz         200 "ok"
#ifndef KRS_WORKLOADS_ANALYZER_ANALYZER_SERVER_H_
#define KRS_WORKLOADS_ANALYZER_ANALYZER_SERVER_H_

#include <httplib.h>

#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/clock.h"
#include "common/mutex.h"
#include "workloads/analyzer/event_log.h"
#include "workloads/analyzer/event_store.h"

namespace krs::workloads {

struct AnalyzerServerOptions {
  std::string host = "0.0.0.0";
  int port = 8080;                      // 0 picks a free port; see AnalyzerServer::port()
  std::string event_log_path;           // empty keeps events in memory only
  size_t max_body_bytes = 1024 * 1024;  // larger POST bodies get 413
  Clock clock = SystemClock();          // receive times and the query time of /results
};

class AnalyzerServer {
 public:
  // Replays the event log (if any), binds the listening socket and starts serving on a
  // background thread. Returns an error naming the log path or the address on failure.
  static absl::StatusOr<std::unique_ptr<AnalyzerServer>> Start(AnalyzerServerOptions options);

  // Stops serving and joins the thread.
  ~AnalyzerServer();
  AnalyzerServer(const AnalyzerServer&) = delete;
  AnalyzerServer& operator=(const AnalyzerServer&) = delete;

  // The bound port (the real one when options.port was 0).
  int port() const { return port_; }

  // Blocks until Stop() is called from another thread.
  void Wait();
  void Stop();

  // Returns the number of events stored, including those replayed at start.
  size_t event_count() const;

 private:
  explicit AnalyzerServer(AnalyzerServerOptions options) : options_(std::move(options)) {}

  absl::Status Init();
  void RegisterHandlers();

  void HandlePostEvents(const httplib::Request& request, httplib::Response& response);
  void HandleGetResults(const httplib::Request& request, httplib::Response& response);
  void HandleGetMessage(const httplib::Request& request, httplib::Response& response);

  // Validates, logs and stores the events of one request, all or nothing.
  absl::StatusOr<std::pair<int, int>> Accept(std::vector<Event> events);

  double NowSeconds() const;

  AnalyzerServerOptions options_;
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;

  mutable Mutex mutex_;
  EventStore store_ ABSL_GUARDED_BY(mutex_);
  std::unique_ptr<EventLog> log_ ABSL_GUARDED_BY(mutex_);
};

// Parses a POST /events body: one event object or an array of them. Returns INVALID_ARGUMENT
// with the reason (and the array index) for invalid JSON or an invalid event.
absl::StatusOr<std::vector<Event>> ParseEventsBody(absl::string_view body);

}  // namespace krs::workloads

#endif  // KRS_WORKLOADS_ANALYZER_ANALYZER_SERVER_H_
