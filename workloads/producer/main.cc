// rmq-producer: publishes one scenario's job messages with publisher confirms.
// Every flag is described by --help and in docs/workloads.md; dashed spellings such as
// --amqp-url are accepted too.
#include <cstdint>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "common/logger.h"
#include "common/url.h"
#include "common/command_line.h"
#include "workloads/common/defaults.h"
#include "workloads/producer/producer.h"

namespace kw = krs::workloads;

ABSL_FLAG(std::string, amqp_url, "",
          "Broker URL amqp://USER:PASSWORD@HOST:PORT/VHOST. Empty: the AMQP_URL environment "
          "variable, else amqp://guest:guest@127.0.0.1:29672/%2F.");
ABSL_FLAG(std::string, exchange, kw::kDefaultExchange,
          "Durable direct exchange to declare and publish to.");
ABSL_FLAG(std::string, queue, kw::kDefaultQueue, "Durable queue to declare and bind.");
ABSL_FLAG(std::string, routing_key, kw::kDefaultRoutingKey,
          "Routing key of the binding and of every message.");
ABSL_FLAG(std::string, scenario, "",
          "Scenario name, used in message ids (<scenario>-<n>) and events. Empty: the SCENARIO "
          "environment variable, else \"default\".");
ABSL_FLAG(int64_t, count, 10, "Number of messages to publish.");
ABSL_FLAG(std::string, duration, "fixed:1",
          "Work per message in work seconds: fixed:S, uniform:A,B, exponential:MEAN or "
          "lognormal:MU,SIGMA (MU and SIGMA of ln seconds).");
ABSL_FLAG(std::string, arrival, "burst",
          "When messages are published, in schedule seconds: burst (all at once), rate:R "
          "(R messages per second) or waves:N,T (N messages every T seconds).");
ABSL_FLAG(uint64_t, seed, 1, "Seed of the duration generator (std::mt19937_64); the same seed "
                             "gives the same durations.");
ABSL_FLAG(double, time_scale, 1.0,
          "Real seconds per schedule second for arrival times: 0.1 publishes ten times faster. "
          "Does not change work_seconds in the bodies (the consumer has its own --time-scale).");
ABSL_FLAG(double, confirm_timeout, 30.0,
          "Seconds to wait for outstanding publisher confirms after the last publish.");
ABSL_FLAG(std::string, analyzer_url, "",
          "result-analyzer base URL, e.g. http://127.0.0.1:8080. Empty: the ANALYZER_URL "
          "environment variable; when both are empty no events are sent.");
ABSL_FLAG(int64_t, event_buffer, 10000,
          "Events kept in memory while the analyzer is unreachable; the oldest are dropped "
          "beyond this.");
ABSL_FLAG(double, event_flush_timeout, 10.0,
          "Seconds to wait at exit for buffered events to reach the analyzer.");
ABSL_FLAG(double, progress_interval, 5.0, "Seconds between progress log lines; 0 turns them off.");
ABSL_FLAG(int, heartbeat, 30, "AMQP heartbeat interval in seconds; 0 disables heartbeats.");
ABSL_FLAG(std::string, log_level, "info", "Lowest log level written: debug, info, warning, error.");

namespace {

absl::StatusOr<kw::ProducerOptions> OptionsFromFlags() {
  kw::ProducerOptions options;
  options.amqp_url = krs::FlagOrEnv(absl::GetFlag(FLAGS_amqp_url), kw::kAmqpUrlEnv,
                                   kw::kDefaultAmqpUrl);
  options.topology = {absl::GetFlag(FLAGS_exchange), absl::GetFlag(FLAGS_queue),
                      absl::GetFlag(FLAGS_routing_key)};
  options.scenario = krs::FlagOrEnv(absl::GetFlag(FLAGS_scenario), kw::kScenarioEnv, "default");
  options.count = absl::GetFlag(FLAGS_count);
  if (options.count < 0) {
    return absl::InvalidArgumentError(absl::StrCat("invalid --count ", options.count,
                                                   ": must be >= 0"));
  }
  auto durations = kw::DurationDistribution::Parse(absl::GetFlag(FLAGS_duration));
  if (!durations.ok()) return durations.status();
  options.durations = *durations;
  auto arrivals = kw::ArrivalSchedule::Parse(absl::GetFlag(FLAGS_arrival));
  if (!arrivals.ok()) return arrivals.status();
  options.arrivals = *arrivals;
  options.seed = absl::GetFlag(FLAGS_seed);
  options.time_scale = absl::GetFlag(FLAGS_time_scale);
  if (!(options.time_scale >= 0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid --time_scale ", options.time_scale, ": must be >= 0"));
  }
  options.confirm_timeout = absl::Seconds(absl::GetFlag(FLAGS_confirm_timeout));
  options.progress_interval = absl::Seconds(absl::GetFlag(FLAGS_progress_interval));
  options.heartbeat_seconds = absl::GetFlag(FLAGS_heartbeat);
  return options;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Publishes job messages to RabbitMQ with publisher confirms; exits 1 when any message "
      "is not confirmed.");
  krs::ShowFlagsInHelp("workloads/producer/");
  krs::NormalizeFlagDashes(argc, argv);
  absl::ParseCommandLine(argc, argv);

  absl::StatusOr<krs::LogLevel> level = krs::ParseLogLevel(absl::GetFlag(FLAGS_log_level));
  if (!level.ok()) {
    krs::Log(krs::LogLevel::kError, "invalid --log_level", {{"error", level.status().message()}});
    return 2;
  }
  krs::SetLogLevel(*level);

  absl::StatusOr<kw::ProducerOptions> options = OptionsFromFlags();
  if (!options.ok()) {
    krs::Log(krs::LogLevel::kError, "invalid flags", {{"error", options.status().message()}});
    return 2;
  }

  kw::EventReporterOptions reporter_options;
  reporter_options.analyzer_url =
      krs::FlagOrEnv(absl::GetFlag(FLAGS_analyzer_url), kw::kAnalyzerUrlEnv, "");
  reporter_options.buffer_capacity = static_cast<size_t>(absl::GetFlag(FLAGS_event_buffer));
  reporter_options.event_id_prefix =
      absl::StrCat("producer-", options->scenario, "-", absl::ToUnixMicros(absl::Now()));
  auto events = kw::MakeEventSink(reporter_options);
  if (!events.ok()) {
    krs::Log(krs::LogLevel::kError, "invalid analyzer URL", {{"error", events.status().message()}});
    return 2;
  }

  kw::ProducerResult result;
  absl::Status status = kw::RunProducer(*options, **events, &result);
  size_t undelivered = (*events)->Flush(absl::Seconds(absl::GetFlag(FLAGS_event_flush_timeout)));
  if (undelivered > 0) {
    krs::Log(krs::LogLevel::kWarning, "events not delivered to the analyzer",
             {{"events", undelivered}});
  }
  if (!status.ok()) {
    krs::Log(krs::LogLevel::kError, "producer failed",
             {{"error", krs::RedactUrl(status.ToString())}});
    return 1;
  }
  return 0;
}
