// rabbitmq-scaler: KEDA external scaler for RabbitMQ queues. Serves
// externalscaler.ExternalScaler, gRPC reflection and grpc.health.v1.Health until SIGTERM or
// SIGINT, then shuts down gracefully.
#include <pthread.h>
#include <signal.h>

#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/command_line.h"
#include "common/logger.h"
#include "scaler/broker_profile_store.h"
#include "scaler/metrics_http_server.h"
#include "scaler/scaler_metrics.h"
#include "scaler/scaler_options.h"
#include "scaler/scaler_server.h"
#include "scaler/stats_router.h"

namespace {

const krs::scaler::ScalerOptions kDefaults;

}  // namespace

ABSL_FLAG(std::string, listen, kDefaults.listen,
          "host:port to serve gRPC on; port 0 picks a free port, which the start line logs");
ABSL_FLAG(std::optional<absl::Duration>, timeout, std::nullopt,
          "broker timeout for AMQP triggers and for http triggers without a `timeout` key, "
          "e.g. 3s or 500ms; when unset, KEDA_HTTP_DEFAULT_TIMEOUT (milliseconds) if set, "
          "else 3s");
ABSL_FLAG(absl::Duration, cache_ttl, kDefaults.cache_ttl,
          "how long one broker read of a queue is reused by all calls for that queue, e.g. 1s; "
          "0 turns caching off, but concurrent equal reads are still coalesced");
ABSL_FLAG(absl::Duration, stream_check_interval, kDefaults.stream_check_interval,
          "how often StreamIsActive checks each watched queue, e.g. 1s");
ABSL_FLAG(absl::Duration, shutdown_grace, kDefaults.shutdown_grace,
          "how long in-flight calls may run after SIGTERM or SIGINT before they are cancelled");
ABSL_FLAG(absl::Duration, warning_interval, kDefaults.warning_interval,
          "minimum time between two warnings about the same error; repeats are counted");
ABSL_FLAG(std::string, log_level, "info", "lowest level logged: debug, info, warning or error");
ABSL_FLAG(std::string, tls_cert_file, "",
          "PEM server certificate chain; with --tls-key-file the gRPC server serves TLS only");
ABSL_FLAG(std::string, tls_key_file, "", "PEM private key of --tls-cert-file, unencrypted");
ABSL_FLAG(std::string, tls_client_ca_file, "",
          "PEM CA bundle; when set, gRPC clients must present a certificate signed by it "
          "(mutual TLS)");
ABSL_FLAG(std::string, broker_ca_file, "",
          "PEM CA bundle for amqps:// and https:// host URLs; empty uses the default CA store");
ABSL_FLAG(std::string, broker_cert_file, "",
          "PEM client certificate for amqps:// and https:// host URLs, with --broker-key-file");
ABSL_FLAG(std::string, broker_key_file, "", "PEM client key of --broker-cert-file");
ABSL_FLAG(std::string, broker_config, "",
          "YAML file of broker profiles that triggers select with the key `broker`, with "
          "credentials in separate files (see docs/security.md); reloaded when a file changes");
ABSL_FLAG(absl::Duration, broker_config_poll_interval, absl::Seconds(5),
          "how often --broker-config and the files it names are checked for changes, e.g. 5s");
ABSL_FLAG(std::string, metrics_listen, "",
          "HOST:PORT of the Prometheus /metrics endpoint, e.g. 0.0.0.0:9091; empty disables it");

namespace {

using krs::LogLevel;
using krs::scaler::ScalerOptions;

// Returns the broker timeout: --timeout when given, else KEDA_HTTP_DEFAULT_TIMEOUT, else the
// default.
absl::StatusOr<absl::Duration> ResolveTimeout() {
  std::optional<absl::Duration> flag = absl::GetFlag(FLAGS_timeout);
  if (flag.has_value()) return *flag;

  const char* env = std::getenv("KEDA_HTTP_DEFAULT_TIMEOUT");
  if (env == nullptr || *env == '\0') return kDefaults.default_timeout;

  int64_t milliseconds = 0;
  if (!absl::SimpleAtoi(env, &milliseconds) || milliseconds <= 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "invalid KEDA_HTTP_DEFAULT_TIMEOUT \"", env, "\": expected milliseconds greater than 0"));
  }
  return absl::Milliseconds(milliseconds);
}

absl::StatusOr<ScalerOptions> OptionsFromFlags() {
  ScalerOptions options;
  options.listen = absl::GetFlag(FLAGS_listen);
  options.cache_ttl = absl::GetFlag(FLAGS_cache_ttl);
  options.stream_check_interval = absl::GetFlag(FLAGS_stream_check_interval);
  options.shutdown_grace = absl::GetFlag(FLAGS_shutdown_grace);
  options.warning_interval = absl::GetFlag(FLAGS_warning_interval);
  options.tls.cert_file = absl::GetFlag(FLAGS_tls_cert_file);
  options.tls.key_file = absl::GetFlag(FLAGS_tls_key_file);
  options.tls.client_ca_file = absl::GetFlag(FLAGS_tls_client_ca_file);
  options.broker_tls.ca_file = absl::GetFlag(FLAGS_broker_ca_file);
  options.broker_tls.cert_file = absl::GetFlag(FLAGS_broker_cert_file);
  options.broker_tls.key_file = absl::GetFlag(FLAGS_broker_key_file);

  absl::StatusOr<absl::Duration> timeout = ResolveTimeout();
  if (!timeout.ok()) return timeout.status();
  options.default_timeout = *timeout;

  absl::StatusOr<LogLevel> level = krs::ParseLogLevel(absl::GetFlag(FLAGS_log_level));
  if (!level.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("--log_level: ", level.status().message()));
  }
  options.log_level = *level;

  absl::Status valid = options.Validate();
  if (!valid.ok()) return valid;
  return options;
}

// Loads --broker-config and starts watching it, counting reloads in `metrics`. Returns nullptr
// when the flag is empty.
absl::StatusOr<std::shared_ptr<krs::scaler::BrokerProfileStore>> LoadBrokerProfiles(
    std::shared_ptr<krs::scaler::ScalerMetrics> metrics) {
  krs::scaler::BrokerProfileStoreOptions store_options;
  store_options.config_file = absl::GetFlag(FLAGS_broker_config);
  store_options.poll_interval = absl::GetFlag(FLAGS_broker_config_poll_interval);
  if (store_options.config_file.empty()) return nullptr;
  if (store_options.poll_interval <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid --broker-config-poll-interval \"",
                     absl::FormatDuration(store_options.poll_interval),
                     "\": must be greater than 0"));
  }

  auto store = krs::scaler::BrokerProfileStore::Load(store_options);
  if (!store.ok()) return store.status();
  metrics->broker_config_reloads.CounterWithLabels({"ok"});
  metrics->broker_config_reloads.CounterWithLabels({"error"});
  (*store)->SetReloadListener([metrics](const absl::Status& status) {
    metrics->broker_config_reloads.CounterWithLabels({status.ok() ? "ok" : "error"}).Increment();
  });
  (*store)->StartPolling();
  return store;
}

// Blocks SIGTERM and SIGINT in this thread and every thread started later, so that only
// sigwait() receives them.
sigset_t BlockShutdownSignals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  return signals;
}

}  // namespace

int main(int argc, char** argv) {
  // First, before gRPC or anything else starts a thread.
  sigset_t shutdown_signals = BlockShutdownSignals();

  // Abseil checks the lock order of every absl::Mutex for deadlock cycles when it is built
  // without NDEBUG, as Debian 12's libabsl is. gRPC locks absl::Mutex on every call, and the
  // check took about 5 % of the scaler's CPU time under load (perf; see docs/benchmarks.md).
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);

  krs::ShowFlagsInHelp("scaler/main.cc");
  absl::SetProgramUsageMessage(
      "KEDA external scaler for RabbitMQ: serves externalscaler.ExternalScaler over gRPC with "
      "the scalerMetadata keys of KEDA's rabbitmq trigger.\nUsage: rabbitmq-scaler [--listen=0.0.0.0:9090] [flags]");
  krs::NormalizeFlagDashes(argc, argv);
  absl::ParseCommandLine(argc, argv);

  absl::StatusOr<ScalerOptions> options = OptionsFromFlags();
  if (!options.ok()) {
    krs::Log(LogLevel::kError, "invalid flags", {{"error", options.status().message()}});
    return 2;
  }
  krs::SetLogLevel(options->log_level);

  auto metrics = std::make_shared<krs::scaler::ScalerMetrics>();
  options->metrics = metrics;
  absl::StatusOr<std::shared_ptr<krs::scaler::BrokerProfileStore>> brokers =
      LoadBrokerProfiles(metrics);
  if (!brokers.ok()) {
    krs::Log(LogLevel::kError, "invalid flags", {{"error", brokers.status().message()}});
    return 2;
  }
  options->brokers = *brokers;

  krs::scaler::MetricsHttpServer metrics_server(metrics);
  const std::string metrics_listen = absl::GetFlag(FLAGS_metrics_listen);
  if (!metrics_listen.empty()) {
    absl::StatusOr<int> metrics_port = metrics_server.Start(metrics_listen);
    if (!metrics_port.ok()) {
      krs::Log(LogLevel::kError, "scaler failed to start",
               {{"error", metrics_port.status().message()}});
      return metrics_port.status().code() == absl::StatusCode::kInvalidArgument ? 2 : 1;
    }
  }

  krs::scaler::ScalerServer server(*options, krs::scaler::MakeScalerStatsSource(*options));
  absl::StatusOr<int> port = server.Start();
  if (!port.ok()) {
    krs::Log(LogLevel::kError, "scaler failed to start", {{"error", port.status().message()}});
    return 1;
  }
  krs::Log(LogLevel::kInfo, "scaler started",
           {{"listen", options->listen},
            {"port", *port},
            {"timeout", absl::FormatDuration(options->default_timeout)},
            {"cache_ttl", absl::FormatDuration(options->cache_ttl)},
            {"stream_check_interval", absl::FormatDuration(options->stream_check_interval)},
            {"tls", options->tls.enabled() ? (options->tls.client_ca_file.empty() ? "tls" : "mtls")
                                           : "plaintext"},
            {"metrics_listen", metrics_listen.empty() ? "off" : metrics_listen}});

  int signal_number = 0;
  sigwait(&shutdown_signals, &signal_number);
  krs::Log(LogLevel::kInfo, "scaler stopping",
           {{"signal", signal_number == SIGTERM ? "SIGTERM" : "SIGINT"},
            {"grace", absl::FormatDuration(options->shutdown_grace)}});

  server.Shutdown(absl::Now() + options->shutdown_grace);
  metrics_server.Stop();
  if (*brokers != nullptr) (*brokers)->Stop();
  krs::Log(LogLevel::kInfo, "scaler stopped");
  return 0;
}
