// result-analyzer: collects workload events over HTTP and serves per-scenario results.
// Flags are documented by --help and in docs/workloads.md.
#include <signal.h>

#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/logger.h"
#include "workloads/analyzer/analyzer_server.h"
#include "common/command_line.h"
#include "workloads/common/defaults.h"

ABSL_FLAG(std::string, listen, krs::workloads::kDefaultAnalyzerListen,
          "Address to serve HTTP on, HOST:PORT; port 0 picks a free port (logged at start).");
ABSL_FLAG(std::string, event_log, "",
          "File of accepted events, one JSON object per line. Each event is appended and "
          "fsync'd before the response; the file is replayed at start. Empty keeps events "
          "in memory only.");
ABSL_FLAG(int64_t, max_body_bytes, 1024 * 1024,
          "Largest POST /events body in bytes; larger bodies get HTTP 413.");
ABSL_FLAG(std::string, log_level, "info", "Lowest log level written: debug, info, warning, error.");

namespace {

absl::StatusOr<krs::workloads::AnalyzerServerOptions> OptionsFromFlags() {
  krs::workloads::AnalyzerServerOptions options;
  std::string listen = absl::GetFlag(FLAGS_listen);
  size_t colon = listen.rfind(':');
  if (colon == std::string::npos ||
      !absl::SimpleAtoi(listen.substr(colon + 1), &options.port) || options.port < 0 ||
      options.port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid --listen \"", listen, "\": expected HOST:PORT, e.g. 0.0.0.0:8080"));
  }
  options.host = listen.substr(0, colon);
  if (options.host.empty()) options.host = "0.0.0.0";
  options.event_log_path = absl::GetFlag(FLAGS_event_log);

  int64_t max_body = absl::GetFlag(FLAGS_max_body_bytes);
  if (max_body <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid --max_body_bytes ", max_body, ": must be > 0"));
  }
  options.max_body_bytes = static_cast<size_t>(max_body);
  return options;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Collects workload events (POST /events) and serves results (GET /results, "
      "GET /messages/{id}, GET /healthz).");
  krs::ShowFlagsInHelp("workloads/analyzer/");
  krs::NormalizeFlagDashes(argc, argv);
  absl::ParseCommandLine(argc, argv);

  absl::StatusOr<krs::LogLevel> level = krs::ParseLogLevel(absl::GetFlag(FLAGS_log_level));
  if (!level.ok()) {
    krs::Log(krs::LogLevel::kError, "invalid --log_level", {{"error", level.status().message()}});
    return 2;
  }
  krs::SetLogLevel(*level);

  absl::StatusOr<krs::workloads::AnalyzerServerOptions> options = OptionsFromFlags();
  if (!options.ok()) {
    krs::Log(krs::LogLevel::kError, "invalid flags", {{"error", options.status().message()}});
    return 2;
  }

  // Block the stop signals before any thread starts so that only sigwait() below receives them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  auto server = krs::workloads::AnalyzerServer::Start(*std::move(options));
  if (!server.ok()) {
    krs::Log(krs::LogLevel::kError, "cannot start result-analyzer",
             {{"error", server.status().ToString()}});
    return 1;
  }

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  krs::Log(krs::LogLevel::kInfo, "stopping result-analyzer", {{"signal", signal_number}});
  (*server)->Stop();
  return 0;
}
