#include "lab/cli/lab_command.h"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/logger.h"
#include "lab/explain/explain_command.h"
#include "lab/live/live_environment.h"
#include "lab/live/live_run.h"
#include "lab/report/progress.h"
#include "lab/report/result_json.h"
#include "lab/report/summary_table.h"
#include "lab/report/timeline_svg.h"
#include "lab/run/experiment.h"
#include "lab/simulate/simulate_run.h"
#include "nlohmann/json.hpp"

namespace krs::lab {
namespace {

constexpr char kUsage[] =
    "usage:\n"
    "  scalein-lab run SCENARIO... [--results-dir=DIR] [--seed=N] [--concurrency=N]\n"
    "  scalein-lab simulate SCENARIO... [--results-dir=DIR] [--seed=N] [--delays-from=DIR]\n"
    "  scalein-lab explain SUBCOMMAND [flags]   (scalein-lab explain --help)\n"
    "\n"
    "SCENARIO is a file name under lab/scenarios/ without .yaml, or a path to a scenario file.\n"
    "  --results-dir=DIR   where <scenario>.json, <scenario>.svg and summary.md go (default:\n"
    "                      results/ of the repository)\n"
    "  --seed=N            replaces every scenario's workload seed\n"
    "  --concurrency=N     live scenarios run at once, each on its own queue (default 1)\n"
    "  --delays-from=DIR   simulate: take each scenario's real-time delays (process start,\n"
    "                      management API lag, round trips) from DIR/<scenario>.json of a live\n"
    "                      run instead of the scenario file\n"
    "  --repo-root=DIR     the repository (default: found from the binary's location)\n"
    "  --log-level=LEVEL   debug, info, warning (default) or error\n"
    "Live runs start the local RabbitMQ with scripts/rabbitmq.sh unless RMQ_HTTP_URL (or\n"
    "RMQ_HTTP_PORT) already answers, and stop it again at the end if they started it.\n";

std::atomic<bool> g_interrupted{false};

void OnSignal(int) { g_interrupted.store(true); }

struct CommandLine {
  std::string mode;
  std::vector<std::string> scenarios;
  std::string results_dir;
  std::string repo_root;
  std::optional<uint64_t> seed;
  int concurrency = 1;
  std::string delays_from;
  std::string log_level = "warning";
};

bool IsDirectory(const std::string& path) {
  struct stat info;
  return stat(path.c_str(), &info) == 0 && S_ISDIR(info.st_mode);
}

std::string Dirname(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? "." : path.substr(0, slash);
}

std::string ExecutableDir() {
  char buffer[4096];
  ssize_t length = readlink("/proc/self/exe", buffer, sizeof(buffer) - 1);
  if (length <= 0) return ".";
  return Dirname(std::string(buffer, static_cast<size_t>(length)));
}

// The repository: --repo-root, KRS_SOURCE_DIR, or the first parent of the binary's folder or
// of the working folder that has lab/scenarios.
std::string FindRepoRoot(const std::string& flag) {
  if (!flag.empty()) return flag;
  if (const char* env = std::getenv("KRS_SOURCE_DIR"); env != nullptr && *env != '\0') return env;
  for (std::string start : {ExecutableDir(), std::string(".")}) {
    std::string dir = start;
    for (int depth = 0; depth < 6; ++depth) {
      if (IsDirectory(dir + "/lab/scenarios")) return dir;
      dir += "/..";
    }
  }
  return ".";
}

absl::StatusOr<CommandLine> ParseCommandLine(int argc, char** argv) {
  CommandLine line;
  line.mode = argv[1];
  for (int i = 2; i < argc; ++i) {
    std::string arg = argv[i];
    if (!absl::StartsWith(arg, "--")) {
      line.scenarios.push_back(arg);
      continue;
    }
    std::string name = arg.substr(2);
    std::string value;
    size_t equals = name.find('=');
    if (equals != std::string::npos) {
      value = name.substr(equals + 1);
      name = name.substr(0, equals);
    } else if (i + 1 < argc) {
      value = argv[++i];
    }
    std::replace(name.begin(), name.end(), '_', '-');
    if (name == "results-dir") {
      line.results_dir = value;
    } else if (name == "repo-root") {
      line.repo_root = value;
    } else if (name == "delays-from") {
      line.delays_from = value;
    } else if (name == "log-level") {
      line.log_level = value;
    } else if (name == "seed") {
      uint64_t seed = 0;
      if (!absl::SimpleAtoi(value, &seed)) {
        return absl::InvalidArgumentError(absl::StrCat("invalid --seed=\"", value,
                                                       "\": expected a non-negative integer"));
      }
      line.seed = seed;
    } else if (name == "concurrency") {
      if (!absl::SimpleAtoi(value, &line.concurrency) || line.concurrency < 1) {
        return absl::InvalidArgumentError(absl::StrCat("invalid --concurrency=\"", value,
                                                       "\": expected an integer >= 1"));
      }
    } else {
      return absl::InvalidArgumentError(absl::StrCat("unknown flag --", name));
    }
  }
  if (line.scenarios.empty()) return absl::InvalidArgumentError("no scenario given");
  return line;
}

// Replaces the scenario's assumed delays with the means a live run measured, read from
// <dir>/<scenario>.json. Delays the live run has no sample of keep the scenario's value.
absl::Status ApplyMeasuredDelays(const std::string& dir, Scenario& scenario) {
  std::string path = absl::StrCat(dir, "/", scenario.name, ".json");
  std::ifstream file(path);
  if (!file) return absl::NotFoundError(absl::StrCat("--delays-from: cannot read ", path));
  nlohmann::json json = nlohmann::json::parse(file, nullptr, false);
  if (!json.is_object() || !json.contains("delays")) {
    return absl::InvalidArgumentError(absl::StrCat("--delays-from: ", path,
                                                   " is not a scalein-lab result"));
  }
  const nlohmann::json& delays = json["delays"];
  auto take = [&delays](const char* key, double& out) {
    if (!delays.contains(key) || delays[key].value("count", 0) == 0) return;
    out = delays[key].value("mean_ms", out);
  };
  take("process_start", scenario.delays.process_start_ms);
  take("management_stats_lag", scenario.delays.management_stats_lag_ms);
  take("grpc_round_trip", scenario.delays.grpc_round_trip_ms);
  take("broker_round_trip", scenario.delays.broker_round_trip_ms);
  return absl::OkStatus();
}

absl::Status WriteOutputs(const RunResult& result, const std::string& dir) {
  absl::Status status = WriteResultJson(result, absl::StrCat(dir, "/", result.scenario.name, ".json"));
  if (!status.ok()) return status;
  return WriteTextFile(absl::StrCat(dir, "/", result.scenario.name, ".svg"), TimelineSvg(result));
}

// Runs `experiments` on `concurrency` threads with `run_one`, keeping the input order.
std::vector<absl::StatusOr<RunResult>> RunAll(
    const std::vector<Experiment>& experiments, int concurrency,
    const std::function<absl::StatusOr<RunResult>(const Experiment&)>& run_one) {
  std::vector<absl::StatusOr<RunResult>> results(experiments.size(),
                                                 absl::UnknownError("not run"));
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t i = next++; i < experiments.size(); i = next++) {
      if (g_interrupted.load()) {
        results[i] = absl::CancelledError("interrupted");
        continue;
      }
      results[i] = run_one(experiments[i]);
    }
  };
  std::vector<std::thread> threads;
  int count = std::min<int>(concurrency, static_cast<int>(experiments.size()));
  for (int i = 0; i < count; ++i) threads.emplace_back(worker);
  for (std::thread& thread : threads) thread.join();
  return results;
}

// Loads every scenario of the command line with its manifests, applying --seed and
// --delays-from.
absl::StatusOr<std::vector<Experiment>> LoadExperiments(const CommandLine& line,
                                                       const std::string& repo_root) {
  std::vector<Experiment> experiments;
  for (const std::string& name : line.scenarios) {
    absl::StatusOr<Scenario> scenario = FindScenario(name, repo_root);
    if (!scenario.ok()) return scenario.status();
    if (line.seed.has_value()) scenario->workload.seed = *line.seed;
    if (!line.delays_from.empty()) {
      absl::Status status = ApplyMeasuredDelays(line.delays_from, *scenario);
      if (!status.ok()) return status;
    }

    absl::StatusOr<Experiment> experiment = LoadExperiment(*scenario, repo_root);
    if (!experiment.ok()) return experiment.status();
    experiments.push_back(*std::move(experiment));
  }
  return experiments;
}

absl::StatusOr<std::unique_ptr<LiveEnvironment>> StartLiveEnvironment(
    const std::string& repo_root) {
  LiveEnvironmentOptions options;
  options.repo_root = repo_root;
  options.bin_dir = ExecutableDir();
  options.work_dir = ExecutableDir() + "/../lab-work";
  mkdir(options.work_dir.c_str(), 0755);
  return LiveEnvironment::Start(options);
}

// Writes each result's JSON and SVG and the summary table, and prints the table. Returns the
// exit code: 1 when a run failed or missed its deadline or a file could not be written.
int Report(std::vector<absl::StatusOr<RunResult>> outcomes,
           const std::vector<Experiment>& experiments, const ReportHeader& header,
           const std::string& results_dir) {
  int exit_code = 0;
  std::vector<RunResult> results;
  for (size_t i = 0; i < outcomes.size(); ++i) {
    if (!outcomes[i].ok()) {
      std::cerr << "scalein-lab: " << experiments[i].scenario.name << ": "
                << outcomes[i].status().message() << "\n";
      exit_code = 1;
      continue;
    }
    if (!outcomes[i]->finished) exit_code = 1;
    absl::Status status = WriteOutputs(*outcomes[i], results_dir);
    if (!status.ok()) {
      std::cerr << "scalein-lab: " << status.message() << "\n";
      exit_code = 1;
    }
    results.push_back(*std::move(outcomes[i]));
  }

  absl::Status status =
      WriteTextFile(results_dir + "/summary.md", SummaryMarkdown(header, results));
  if (!status.ok()) {
    std::cerr << "scalein-lab: " << status.message() << "\n";
    exit_code = 1;
  }
  std::cout << "\n" << SummaryTableHead();
  for (const RunResult& result : results) std::cout << SummaryTableRow(result);
  std::cout << "\nresults written to " << results_dir << "\n";
  return exit_code;
}

int Run(const CommandLine& line, const std::string& command_text) {
  std::string repo_root = FindRepoRoot(line.repo_root);
  std::string results_dir = line.results_dir.empty() ? repo_root + "/results" : line.results_dir;
  mkdir(results_dir.c_str(), 0755);

  absl::StatusOr<std::vector<Experiment>> experiments = LoadExperiments(line, repo_root);
  if (!experiments.ok()) {
    std::cerr << "scalein-lab: " << experiments.status().message() << "\n";
    return 2;
  }

  bool live = line.mode == "run";
  std::unique_ptr<LiveEnvironment> environment;
  if (live) {
    absl::StatusOr<std::unique_ptr<LiveEnvironment>> started = StartLiveEnvironment(repo_root);
    if (!started.ok()) {
      std::cerr << "scalein-lab: cannot start the live environment: "
                << started.status().message() << "\n";
      return 1;
    }
    environment = *std::move(started);
  }

  ProgressReporter progress(stdout, isatty(fileno(stdout)) != 0);
  auto run_one = [&](const Experiment& experiment) -> absl::StatusOr<RunResult> {
    if (!live) {
      SimulateOptions options;
      options.progress = &progress;
      return SimulateRun(experiment, options);
    }
    LiveRunOptions options;
    options.progress = &progress;
    options.interrupted = &g_interrupted;
    return LiveRun(experiment, *environment, options);
  };
  std::vector<absl::StatusOr<RunResult>> outcomes =
      RunAll(*experiments, live ? line.concurrency : 1, run_one);
  environment.reset();  // stops the scaler, the analyzer and a broker this run started

  ReportHeader header = MakeReportHeader(command_text, live ? "live" : "simulate");
  return Report(std::move(outcomes), *experiments, header, results_dir);
}

}  // namespace

int RunLabCommand(int argc, char** argv) {
  if (argc < 2 || std::string(argv[1]) == "--help" || std::string(argv[1]) == "help") {
    std::cout << kUsage;
    return argc < 2 ? 2 : 0;
  }
  std::string mode = argv[1];
  if (mode == "explain") return RunExplain(argc - 1, argv + 1, std::cout);
  if (mode != "run" && mode != "simulate") {
    std::cerr << "scalein-lab: unknown command \"" << mode << "\"\n" << kUsage;
    return 2;
  }

  absl::StatusOr<CommandLine> line = ParseCommandLine(argc, argv);
  if (!line.ok()) {
    std::cerr << "scalein-lab: " << line.status().message() << "\n" << kUsage;
    return 2;
  }
  absl::StatusOr<LogLevel> level = ParseLogLevel(line->log_level);
  if (!level.ok()) {
    std::cerr << "scalein-lab: invalid --log-level=\"" << line->log_level
              << "\"; allowed: debug, info, warning, error\n";
    return 2;
  }
  SetLogLevel(*level);

  struct sigaction action {};
  action.sa_handler = OnSignal;
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);

  std::vector<std::string> words(argv, argv + argc);
  words[0] = "scalein-lab";
  return Run(*line, absl::StrJoin(words, " "));
}

}  // namespace krs::lab
