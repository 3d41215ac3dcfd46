// rmq-consumer: processes job messages from RabbitMQ as a long-running worker or a one-message
// job. Every flag is described by --help and in docs/workloads.md; dashed spellings such as
// --on-sigterm are accepted too.
#include <unistd.h>

#include <climits>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "common/logger.h"
#include "common/url.h"
#include "common/command_line.h"
#include "workloads/common/defaults.h"
#include "workloads/consumer/consumer.h"
#include "workloads/consumer/signal_pipe.h"

namespace kw = krs::workloads;

ABSL_FLAG(std::string, amqp_url, "",
          "Broker URL amqp://USER:PASSWORD@HOST:PORT/VHOST. Empty: the AMQP_URL environment "
          "variable, else amqp://guest:guest@127.0.0.1:29672/%2F.");
ABSL_FLAG(std::string, queue, kw::kDefaultQueue, "Queue to consume from (it must exist).");
ABSL_FLAG(std::string, mode, "worker",
          "worker: consume until stopped. job: process exactly one message and exit 0, or "
          "report idle and exit 0 when none arrives within --idle_timeout. A job cancels its "
          "consumer before the ack, so it never takes a second message.");
ABSL_FLAG(int, prefetch, 1,
          "basic.qos prefetch count: unacknowledged messages held at once. Job mode always "
          "uses 1.");
ABSL_FLAG(double, time_scale, 1.0,
          "Real seconds per work second: a message with work_seconds W takes W * time_scale "
          "real seconds. 0.1 runs ten times faster.");
ABSL_FLAG(bool, burn_cpu, false, "Spin the CPU during the work instead of sleeping.");
ABSL_FLAG(std::string, on_sigterm, "requeue",
          "What SIGTERM does while a message is in hand: ignore (work on and keep consuming "
          "until SIGKILL), requeue (stop consuming, reject the message with requeue, exit 0) or "
          "drain (stop consuming, finish and ack the message, exit 0). An idle consumer exits "
          "0 at once under every policy.");
ABSL_FLAG(double, idle_timeout, 30.0,
          "Job mode: seconds to wait for a message before reporting idle and exiting 0.");
ABSL_FLAG(int, heartbeat, 10,
          "AMQP heartbeat interval in seconds (the broker drops the connection after about two "
          "missed intervals); 0 disables heartbeats. The work loop keeps heartbeats going.");
ABSL_FLAG(double, poll_slice, 0.2,
          "Longest wait in seconds before the consumer calls into rabbitmq-c to send heartbeats "
          "and re-checks its deadlines. Stop signals and AMQP traffic end a wait at once. Keep "
          "it well below --heartbeat.");
ABSL_FLAG(std::string, exec, "",
          "Shell command run per message as /bin/sh -c COMMAND, body on stdin, properties in "
          "AMQP_* environment variables; exit status 0 acks. Empty: simulate the work.");
ABSL_FLAG(std::string, exec_failure, "requeue",
          "What a non-zero --exec exit does: requeue (basic.reject requeue=true) or reject "
          "(requeue=false: dead-letter or drop).");
ABSL_FLAG(double, exec_term_timeout, 10.0,
          "--on_sigterm=requeue: seconds between SIGTERM and SIGKILL to the --exec child.");
ABSL_FLAG(std::string, consumer_id, "",
          "Consumer id in events. Empty: the POD_NAME environment variable, else the hostname.");
ABSL_FLAG(std::string, scenario, "",
          "Scenario for events of messages whose body has none (malformed bodies, idle jobs). "
          "Empty: the SCENARIO environment variable, else \"default\".");
ABSL_FLAG(std::string, analyzer_url, "",
          "result-analyzer base URL, e.g. http://127.0.0.1:8080. Empty: the ANALYZER_URL "
          "environment variable; when both are empty no events are sent.");
ABSL_FLAG(int64_t, event_buffer, 10000,
          "Events kept in memory while the analyzer is unreachable; beyond this the oldest are "
          "dropped and counted.");
ABSL_FLAG(double, event_flush_timeout, 10.0,
          "Seconds to wait at exit for buffered events to reach the analyzer.");
ABSL_FLAG(std::string, deletion_cost_endpoint, "",
          "Kubernetes API base URL for the pod-deletion-cost annotation, e.g. "
          "http://127.0.0.1:PORT, or in-cluster. Empty turns the annotation off.");
ABSL_FLAG(int64_t, busy_cost, 1000,
          "controller.kubernetes.io/pod-deletion-cost while a message is in hand (higher is "
          "deleted later on scale-in).");
ABSL_FLAG(int64_t, idle_cost, 0, "controller.kubernetes.io/pod-deletion-cost while idle.");
ABSL_FLAG(std::string, service_account_dir, kw::kServiceAccountDir,
          "Folder with the service-account token, ca.crt and namespace files for "
          "--deletion_cost_endpoint; missing files are skipped.");
ABSL_FLAG(std::string, log_level, "info", "Lowest log level written: debug, info, warning, error.");

namespace {

std::string DefaultConsumerId() {
  std::string id = krs::FlagOrEnv(absl::GetFlag(FLAGS_consumer_id), kw::kPodNameEnv, "");
  if (!id.empty()) return id;
  char host[HOST_NAME_MAX + 1] = {};
  if (gethostname(host, sizeof(host) - 1) != 0 || host[0] == '\0') return "consumer";
  return host;
}

absl::Status ReadPolicies(kw::ConsumerOptions& options) {
  auto mode = kw::ParseConsumerMode(absl::GetFlag(FLAGS_mode));
  if (!mode.ok()) return mode.status();
  options.mode = *mode;
  auto on_sigterm = kw::ParseSigtermPolicy(absl::GetFlag(FLAGS_on_sigterm));
  if (!on_sigterm.ok()) return on_sigterm.status();
  options.on_sigterm = *on_sigterm;
  auto exec_failure = kw::ParseExecFailurePolicy(absl::GetFlag(FLAGS_exec_failure));
  if (!exec_failure.ok()) return exec_failure.status();
  options.exec_failure = *exec_failure;
  return absl::OkStatus();
}

absl::Status ReadAmqpTimings(kw::ConsumerOptions& options) {
  options.heartbeat_seconds = absl::GetFlag(FLAGS_heartbeat);
  if (options.heartbeat_seconds < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid --heartbeat ", options.heartbeat_seconds, ": must be >= 0"));
  }
  double poll_slice = absl::GetFlag(FLAGS_poll_slice);
  if (!(poll_slice > 0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid --poll_slice ", poll_slice, ": must be > 0"));
  }
  options.poll_slice = absl::Seconds(poll_slice);
  return absl::OkStatus();
}

absl::StatusOr<kw::ConsumerOptions> OptionsFromFlags() {
  kw::ConsumerOptions options;
  options.amqp_url = krs::FlagOrEnv(absl::GetFlag(FLAGS_amqp_url), kw::kAmqpUrlEnv,
                                   kw::kDefaultAmqpUrl);
  options.queue = absl::GetFlag(FLAGS_queue);
  absl::Status status = ReadPolicies(options);
  if (!status.ok()) return status;

  options.prefetch = absl::GetFlag(FLAGS_prefetch);
  if (options.prefetch < 1 || options.prefetch > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid --prefetch ", options.prefetch, ": must be 1..65535"));
  }
  options.time_scale = absl::GetFlag(FLAGS_time_scale);
  if (!(options.time_scale >= 0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid --time_scale ", options.time_scale, ": must be >= 0"));
  }
  options.burn_cpu = absl::GetFlag(FLAGS_burn_cpu);
  options.idle_timeout = absl::Seconds(absl::GetFlag(FLAGS_idle_timeout));
  status = ReadAmqpTimings(options);
  if (!status.ok()) return status;

  options.exec_command = absl::GetFlag(FLAGS_exec);
  options.exec_term_timeout = absl::Seconds(absl::GetFlag(FLAGS_exec_term_timeout));
  options.consumer_id = DefaultConsumerId();
  options.default_scenario =
      krs::FlagOrEnv(absl::GetFlag(FLAGS_scenario), kw::kScenarioEnv, "default");
  options.busy_cost = absl::GetFlag(FLAGS_busy_cost);
  options.idle_cost = absl::GetFlag(FLAGS_idle_cost);
  return options;
}

absl::StatusOr<std::unique_ptr<kw::PodAnnotationClient>> MakeDeletionCostClient(
    const std::string& consumer_id) {
  std::string endpoint = absl::GetFlag(FLAGS_deletion_cost_endpoint);
  if (endpoint.empty()) return std::unique_ptr<kw::PodAnnotationClient>();
  auto options = kw::PodAnnotationClient::OptionsFromEnvironment(
      endpoint, absl::GetFlag(FLAGS_service_account_dir));
  if (!options.ok()) return options.status();
  if (options->pod_name.empty()) options->pod_name = consumer_id;
  auto client = kw::PodAnnotationClient::Create(*std::move(options));
  if (!client.ok()) return client.status();
  return std::make_unique<kw::PodAnnotationClient>(*std::move(client));
}

int Fail(absl::string_view message, const absl::Status& status) {
  krs::Log(krs::LogLevel::kError, message, {{"error", krs::RedactUrl(status.ToString())}});
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Consumes job messages from RabbitMQ as a worker or a one-message job and reports each "
      "step to the result-analyzer.");
  krs::ShowFlagsInHelp("workloads/consumer/");
  krs::NormalizeFlagDashes(argc, argv);
  absl::ParseCommandLine(argc, argv);

  absl::StatusOr<krs::LogLevel> level = krs::ParseLogLevel(absl::GetFlag(FLAGS_log_level));
  if (!level.ok()) return Fail("invalid --log_level", level.status());
  krs::SetLogLevel(*level);

  absl::StatusOr<kw::ConsumerOptions> options = OptionsFromFlags();
  if (!options.ok()) return Fail("invalid flags", options.status());
  auto deletion_cost = MakeDeletionCostClient(options->consumer_id);
  if (!deletion_cost.ok()) return Fail("invalid pod deletion cost settings", deletion_cost.status());
  absl::Status status = kw::SignalPipe::Install();
  if (!status.ok()) return Fail("cannot install signal handlers", status);

  kw::EventReporterOptions reporter_options;
  reporter_options.analyzer_url =
      krs::FlagOrEnv(absl::GetFlag(FLAGS_analyzer_url), kw::kAnalyzerUrlEnv, "");
  reporter_options.buffer_capacity = static_cast<size_t>(absl::GetFlag(FLAGS_event_buffer));
  reporter_options.event_id_prefix = absl::StrCat(options->consumer_id, "-", getpid(), "-",
                                                  absl::ToUnixMicros(absl::Now()));
  auto events = kw::MakeEventSink(reporter_options);
  if (!events.ok()) return Fail("invalid analyzer URL", events.status());

  int exit_code = 0;
  {
    kw::Consumer consumer(*std::move(options), **events, deletion_cost->get(),
                          &kw::SignalPipe::TakeStopSignals, kw::SignalPipe::ReadFd());
    exit_code = consumer.Run();
  }
  if (*deletion_cost != nullptr && (*deletion_cost)->failures() > 0) {
    krs::Log(krs::LogLevel::kWarning, "pod deletion cost updates failed",
             {{"failures", (*deletion_cost)->failures()},
              {"successes", (*deletion_cost)->successes()}});
  }
  size_t undelivered = (*events)->Flush(absl::Seconds(absl::GetFlag(FLAGS_event_flush_timeout)));
  if (undelivered > 0) {
    krs::Log(krs::LogLevel::kWarning, "events not delivered to the analyzer",
             {{"events", undelivered}});
  }
  return exit_code;
}
