#include "scaler/amqp_stats_source.h"

#include <algorithm>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/logger.h"

namespace krs::scaler {
namespace {

// The scaler uses one channel per connection.
constexpr amqp_channel_t kChannel = 1;

AmqpConnectionOptions ConnectionOptionsFor(const BrokerEndpoint& endpoint,
                                           const AmqpStatsSourceOptions& options) {
  AmqpConnectionOptions connection;
  connection.host = endpoint.host;
  connection.port = endpoint.port;
  connection.vhost = endpoint.vhost.empty() ? "/" : endpoint.vhost;
  connection.username = endpoint.username;
  connection.password = endpoint.password;
  connection.tls = endpoint.tls;
  connection.ca_file = endpoint.tls_options.ca_file;
  connection.cert_file = endpoint.tls_options.cert_file;
  connection.key_file = endpoint.tls_options.key_file;
  connection.verify_peer = endpoint.tls_options.verify_peer;
  connection.verify_hostname = endpoint.tls_options.verify_hostname;
  connection.connect_timeout = options.connect_timeout;
  connection.rpc_timeout = options.rpc_timeout;
  connection.connection_name = options.connection_name;
  return connection;
}

// Codes that describe the broker's reply rather than its reachability, so they survive backoff.
bool KeepsCodeDuringBackoff(absl::StatusCode code) {
  return code == absl::StatusCode::kUnauthenticated ||
         code == absl::StatusCode::kPermissionDenied || code == absl::StatusCode::kNotFound;
}

absl::Status WithEndpoint(const absl::Status& status, const BrokerEndpoint& endpoint,
                          absl::string_view queue) {
  return absl::Status(status.code(), absl::StrCat("reading queue \"", queue, "\" from ",
                                                  endpoint.Redacted(), ": ", status.message()));
}

}  // namespace

AmqpStatsSource::AmqpStatsSource(AmqpStatsSourceOptions options, Clock clock)
    : options_(std::move(options)), clock_(std::move(clock)) {}

AmqpStatsSource::~AmqpStatsSource() = default;

absl::StatusOr<QueueStats> AmqpStatsSource::Read(const QueueQuery& query, absl::Time deadline) {
  if (query.endpoint.protocol != BrokerProtocol::kAmqp) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the AMQP stats source cannot read ", query.endpoint.Redacted(), ": not an amqp endpoint"));
  }
  if (query.use_regex) {
    return absl::InvalidArgumentError(
        "useRegex requires protocol http: AMQP cannot list queues by name pattern");
  }

  std::shared_ptr<PooledConnection> pooled = GetPooledConnection(query.endpoint.CacheKey());

  // Take ownership of the connection, waiting at most until the deadline.
  {
    MutexLock lock(&pooled->mu);
    auto idle = [&pooled]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(pooled->mu) { return !pooled->busy; };
    while (!idle()) {
      absl::Duration remaining = deadline - clock_();
      if (remaining <= absl::ZeroDuration()) {
        return absl::DeadlineExceededError(
            absl::StrCat("reading queue \"", query.queue_name, "\" from ",
                         query.endpoint.Redacted(),
                         ": the deadline passed while another read used the connection"));
      }
      pooled->mu.AwaitWithTimeout(idle, remaining);
    }
    pooled->busy = true;
  }

  absl::StatusOr<QueueStats> result = ReadWithConnection(*pooled, query, deadline);

  MutexLock lock(&pooled->mu);
  pooled->busy = false;
  return result;
}

std::shared_ptr<AmqpStatsSource::PooledConnection> AmqpStatsSource::GetPooledConnection(
    const std::string& key) {
  MutexLock lock(&pool_mu_);
  std::shared_ptr<PooledConnection>& pooled = pool_[key];
  if (pooled == nullptr) pooled = std::make_shared<PooledConnection>();
  return pooled;
}

absl::StatusOr<QueueStats> AmqpStatsSource::ReadWithConnection(PooledConnection& pooled,
                                                               const QueueQuery& query,
                                                               absl::Time deadline) {
  bool reused = pooled.connection != nullptr && pooled.connection->is_open();
  absl::StatusOr<QueueDeclareOk> declare_ok = DeclarePassive(pooled, query, deadline);

  // A connection that sat idle may have been closed by a broker restart: try one fresh
  // connection before reporting the failure.
  if (!declare_ok.ok() && reused && pooled.connection == nullptr && clock_() < deadline) {
    declare_ok = DeclarePassive(pooled, query, deadline);
  }
  if (!declare_ok.ok()) return declare_ok.status();

  QueueStats stats;
  stats.messages_ready = declare_ok->message_count;
  stats.messages = declare_ok->message_count;
  stats.consumers = declare_ok->consumer_count;
  stats.queues_matched = 1;
  return stats;
}

absl::StatusOr<QueueDeclareOk> AmqpStatsSource::DeclarePassive(PooledConnection& pooled,
                                                                const QueueQuery& query,
                                                                absl::Time deadline) {
  absl::Status status = EnsureConnected(pooled, query, deadline);
  if (!status.ok()) return status;

  AmqpConnection& connection = *pooled.connection;
  absl::Duration remaining = deadline - clock_();
  if (remaining <= absl::ZeroDuration()) {
    return WithEndpoint(absl::DeadlineExceededError("the deadline passed before queue.declare"),
                        query.endpoint, query.queue_name);
  }
  status = connection.SetRpcTimeout(std::min(options_.rpc_timeout, remaining));
  if (status.ok()) status = connection.OpenChannel(kChannel);

  absl::StatusOr<QueueDeclareOk> declare_ok =
      status.ok() ? connection.DeclareQueuePassive(kChannel, query.queue_name)
                  : absl::StatusOr<QueueDeclareOk>(status);
  if (declare_ok.ok()) return declare_ok;

  // A missing queue closes only the channel; it is reopened on the next call. Anything that
  // closed the connection drops it so that the next call reconnects.
  if (!connection.is_open()) {
    LogFailure(pooled, "amqp connection lost", query.endpoint.Redacted(), declare_ok.status(),
               absl::ZeroDuration());
    DropConnection(pooled);
  }
  return WithEndpoint(declare_ok.status(), query.endpoint, query.queue_name);
}

absl::Status AmqpStatsSource::EnsureConnected(PooledConnection& pooled, const QueueQuery& query,
                                              absl::Time deadline) {
  if (pooled.connection != nullptr && pooled.connection->is_open()) return absl::OkStatus();
  if (pooled.connection != nullptr) DropConnection(pooled);

  std::string endpoint = query.endpoint.Redacted();
  absl::Time now = clock_();
  if (now < pooled.retry_at) {
    const absl::Status& last = pooled.last_connect_error;
    absl::StatusCode code =
        KeepsCodeDuringBackoff(last.code()) ? last.code() : absl::StatusCode::kUnavailable;
    return absl::Status(code, absl::StrCat("connecting to ", endpoint,
                                           " is in backoff until ", absl::FormatTime(pooled.retry_at),
                                           " after the last attempt failed: ", last.message()));
  }
  if (deadline <= now) {
    return absl::DeadlineExceededError(
        absl::StrCat("connecting to ", endpoint, ": the deadline passed before connecting"));
  }

  AmqpConnectionOptions connection_options = ConnectionOptionsFor(query.endpoint, options_);
  connection_options.connect_timeout = std::min(options_.connect_timeout, deadline - now);
  absl::StatusOr<std::unique_ptr<AmqpConnection>> connection =
      AmqpConnection::Open(connection_options);

  if (!connection.ok()) {
    pooled.backoff = pooled.backoff == absl::ZeroDuration()
                         ? options_.initial_backoff
                         : std::min(pooled.backoff * options_.backoff_multiplier,
                                    options_.max_backoff);
    pooled.retry_at = clock_() + pooled.backoff;
    pooled.last_connect_error = connection.status();
    LogFailure(pooled, "amqp connection failed", endpoint, connection.status(), pooled.backoff);
    return connection.status();
  }

  Log(LogLevel::kInfo, pooled.ever_connected ? "amqp connection reopened" : "amqp connection opened",
      {{"endpoint", endpoint}});
  pooled.connection = *std::move(connection);
  pooled.ever_connected = true;
  pooled.backoff = absl::ZeroDuration();
  pooled.retry_at = absl::InfinitePast();
  pooled.last_connect_error = absl::OkStatus();
  pooled.last_logged_error.clear();
  ++open_connections_;
  return absl::OkStatus();
}

void AmqpStatsSource::DropConnection(PooledConnection& pooled) {
  if (pooled.connection == nullptr) return;
  pooled.connection.reset();
  --open_connections_;
}

void AmqpStatsSource::LogFailure(PooledConnection& pooled, absl::string_view message,
                                 const std::string& endpoint, const absl::Status& status,
                                 absl::Duration retry_in) {
  absl::Time now = clock_();
  std::string error = status.ToString();
  bool repeat = error == pooled.last_logged_error;
  if (repeat && now - pooled.last_logged_at < options_.log_interval) {
    ++pooled.suppressed_logs;
    return;
  }

  Log(LogLevel::kWarning, message,
      {{"endpoint", endpoint},
       {"error", error},
       {"retry_in", absl::FormatDuration(retry_in)},
       {"suppressed_repeats", pooled.suppressed_logs}});
  pooled.last_logged_error = error;
  pooled.last_logged_at = now;
  pooled.suppressed_logs = 0;
}

}  // namespace krs::scaler
