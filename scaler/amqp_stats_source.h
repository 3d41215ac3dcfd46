// AmqpStatsSource: reads queue stats over AMQP 0-9-1 with a passive queue.declare, as KEDA's
// amqp protocol does, over one persistent connection per broker endpoint.
//
// queue.declare-ok carries the ready message count and the consumer count only, so `messages`
// and `messages_ready` are both the ready count, `messages_unacknowledged` and the rates are 0.
#ifndef KRS_SCALER_AMQP_STATS_SOURCE_H_
#define KRS_SCALER_AMQP_STATS_SOURCE_H_

#include <atomic>
#include <memory>
#include <string>
#include <unordered_map>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/amqp_connection.h"
#include "common/clock.h"
#include "common/mutex.h"
#include "scaler/queue_stats.h"

namespace krs::scaler {

struct AmqpStatsSourceOptions {
  // Upper bounds; each call also stops at its own deadline.
  absl::Duration connect_timeout = absl::Seconds(5);
  absl::Duration rpc_timeout = absl::Seconds(5);
  // After a failed connect, calls for that endpoint fail at once until the backoff has passed.
  // The backoff starts at initial_backoff and grows by backoff_multiplier up to max_backoff.
  // max_backoff also bounds how long the scaler keeps failing after the broker is back: with
  // 30 s, an 18 s broker restart left the scaler failing for 14 s more
  // (tests/faults/broker_restart_fault_test.cc), so it is kept short. A down broker then gets
  // one connect attempt per endpoint every 5 s.
  absl::Duration initial_backoff = absl::Seconds(1);
  absl::Duration max_backoff = absl::Seconds(5);
  double backoff_multiplier = 2.0;
  // Client property `connection_name`, shown in the management UI.
  std::string connection_name = "rabbitmq-scaler";
  // A failure that repeats the previous one is logged at most once per this interval.
  absl::Duration log_interval = absl::Minutes(1);
};

class AmqpStatsSource : public QueueStatsSource {
 public:
  explicit AmqpStatsSource(AmqpStatsSourceOptions options = {}, Clock clock = SystemClock());
  ~AmqpStatsSource() override;

  // Returns INVALID_ARGUMENT for an http endpoint or a regex query (the management API is the
  // only way to list queues). While an endpoint is in backoff, returns the error of the last
  // connect attempt without connecting: UNAUTHENTICATED, PERMISSION_DENIED and NOT_FOUND (a
  // missing vhost) keep their code, other failures become UNAVAILABLE. The message names the
  // endpoint and the time of the next attempt.
  absl::StatusOr<QueueStats> Read(const QueueQuery& query, absl::Time deadline) override;

  // Connections currently open to brokers, for metrics.
  int open_connections() const { return open_connections_.load(); }

 private:
  // The connection to one endpoint. rabbitmq-c is not thread-safe, so one call at a time owns
  // it: `busy` is the ownership flag, held across the broker I/O, while `mu` guards the fields
  // only briefly so that a waiting call can give up at its deadline.
  struct PooledConnection {
    Mutex mu;
    bool busy ABSL_GUARDED_BY(mu) = false;

    // Owned by the call that set `busy`.
    std::unique_ptr<AmqpConnection> connection;
    bool ever_connected = false;
    absl::Time retry_at = absl::InfinitePast();
    absl::Duration backoff = absl::ZeroDuration();
    absl::Status last_connect_error;
    std::string last_logged_error;
    absl::Time last_logged_at = absl::InfinitePast();
    int suppressed_logs = 0;
  };

  std::shared_ptr<PooledConnection> GetPooledConnection(const std::string& key);
  absl::StatusOr<QueueStats> ReadWithConnection(PooledConnection& pooled,
                                                const QueueQuery& query, absl::Time deadline);
  absl::Status EnsureConnected(PooledConnection& pooled, const QueueQuery& query,
                               absl::Time deadline);
  absl::StatusOr<QueueDeclareOk> DeclarePassive(PooledConnection& pooled,
                                                const QueueQuery& query, absl::Time deadline);
  void DropConnection(PooledConnection& pooled);
  // Logs `message` with the error unless the same error was logged less than
  // options_.log_interval ago; skipped repeats are counted in the next line.
  void LogFailure(PooledConnection& pooled, absl::string_view message,
                  const std::string& endpoint, const absl::Status& status,
                  absl::Duration retry_in);

  AmqpStatsSourceOptions options_;
  Clock clock_;
  std::atomic<int> open_connections_{0};

  Mutex pool_mu_;
  // NOTE: entries are never evicted; the pool grows by one entry per distinct endpoint and
  // credentials, which the trigger configurations bound.
  std::unordered_map<std::string, std::shared_ptr<PooledConnection>> pool_
      ABSL_GUARDED_BY(pool_mu_);
};

}  // namespace krs::scaler

#endif  // KRS_SCALER_AMQP_STATS_SOURCE_H_
