// LiveEnvironment: the processes every live scenario shares: the local RabbitMQ (started with
// scripts/rabbitmq.sh unless one already responds), one rabbitmq-scaler and one
// result-analyzer on free ports. It also prepares each scenario's queue and measures the
// broker's round trip and the management API's statistics lag. The destructor stops what it
// started, the broker included, so no process outlives the lab.
#ifndef KRS_LAB_LIVE_LIVE_ENVIRONMENT_H_
#define KRS_LAB_LIVE_LIVE_ENVIRONMENT_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/mutex.h"
#include "lab/live/child_process.h"

namespace krs::lab {

struct LiveEnvironmentOptions {
  std::string repo_root;
  std::string bin_dir;   // contains rabbitmq-scaler, result-analyzer, rmq-producer, rmq-consumer
  std::string work_dir;  // logs and the analyzer's event log
  // Broker URLs; empty: RMQ_AMQP_URL / RMQ_HTTP_URL from the environment, else the ports of
  // RMQ_AMQP_PORT / RMQ_HTTP_PORT (defaults 29672 / 29673) with guest:guest.
  std::string amqp_url;
  std::string http_url;
  // How long one scaler read of a queue is reused (rabbitmq-scaler --cache_ttl), real time.
  absl::Duration scaler_cache_ttl = absl::Milliseconds(10);
  int lag_probes = 3;    // management API lag measurements at start
};

class LiveEnvironment {
 public:
  static absl::StatusOr<std::unique_ptr<LiveEnvironment>> Start(LiveEnvironmentOptions options);
  ~LiveEnvironment();
  LiveEnvironment(const LiveEnvironment&) = delete;
  LiveEnvironment& operator=(const LiveEnvironment&) = delete;

  const std::string& amqp_url() const { return amqp_url_; }
  const std::string& http_url() const { return http_url_; }
  const std::string& scaler_address() const { return scaler_address_; }
  const std::string& analyzer_url() const { return analyzer_url_; }
  const std::string& event_log_path() const { return event_log_path_; }
  const LiveEnvironmentOptions& options() const { return options_; }

  // Declares `queue` (durable, as rmq-producer does) and purges it. Thread-safe.
  absl::Status PrepareQueue(const std::string& queue);

  // Reads ready and unacknowledged counts from the management API.
  absl::StatusOr<std::pair<int64_t, int64_t>> QueueCounts(const std::string& queue) const;

  // Real milliseconds measured at start.
  std::vector<double> broker_round_trips_ms() const;
  std::vector<double> management_lags_ms() const;

 private:
  explicit LiveEnvironment(LiveEnvironmentOptions options) : options_(std::move(options)) {}

  absl::Status EnsureBroker();
  absl::Status StartAnalyzer();
  absl::Status StartScaler();
  absl::Status MeasureBroker();
  bool ManagementAnswers() const;

  LiveEnvironmentOptions options_;
  std::string amqp_url_;
  std::string http_url_;
  std::string scaler_address_;
  std::string analyzer_url_;
  std::string event_log_path_;
  bool started_broker_ = false;
  std::unique_ptr<ChildProcess> analyzer_;
  std::unique_ptr<ChildProcess> scaler_;
  mutable Mutex mu_;
  std::vector<double> broker_round_trips_ms_;
  std::vector<double> management_lags_ms_;
};

}  // namespace krs::lab

#endif  // KRS_LAB_LIVE_LIVE_ENVIRONMENT_H_
