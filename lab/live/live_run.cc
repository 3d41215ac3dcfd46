#include "lab/live/live_run.h"

#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/logger.h"
#include "lab/control/control_plane.h"
#include "lab/live/child_process.h"
#include "lab/live/deletion_cost_endpoint.h"
#include "lab/live/process_pod_runtime.h"
#include "lab/live/real_time_scheduler.h"
#include "lab/live/scaler_metrics_client.h"
#include "lab/run/run_recorder.h"
#include "nlohmann/json.hpp"
#include "workloads/common/event.h"

namespace krs::lab {
namespace {

// Reads the analyzer's event log as it grows, one complete line at a time.
class EventLogTailer {
 public:
  explicit EventLogTailer(std::string path) : path_(std::move(path)) {}

  // Returns the events appended since the last call.
  std::vector<workloads::Event> ReadNew() {
    std::vector<workloads::Event> events;
    std::ifstream file(path_, std::ios::binary);
    if (!file) return events;
    file.seekg(offset_);
    std::string line;
    while (std::getline(file, line)) {
      if (file.eof()) break;  // no newline yet: a line still being written
      offset_ += static_cast<std::streamoff>(line.size() + 1);
      nlohmann::json json = nlohmann::json::parse(line, nullptr, false);
      if (json.is_discarded()) continue;
      absl::StatusOr<workloads::Event> event = workloads::EventFromJson(json);
      if (event.ok()) events.push_back(*std::move(event));
    }
    return events;
  }

 private:
  std::string path_;
  std::streamoff offset_ = 0;
};

std::map<std::string, std::string> PodBaseEnv() {
  std::map<std::string, std::string> current = CurrentEnvironment();
  std::map<std::string, std::string> env;
  for (const char* name : {"PATH", "HOME", "LANG", "TZ"}) {
    auto it = current.find(name);
    if (it != current.end()) env[name] = it->second;
  }
  return env;
}

absl::StatusOr<std::unique_ptr<ChildProcess>> StartProducer(const Experiment& experiment,
                                                           LiveEnvironment& environment,
                                                           const std::string& log_path) {
  const Scenario& scenario = experiment.scenario;
  ChildOptions child;
  child.argv = {absl::StrCat(environment.options().bin_dir, "/rmq-producer"),
                absl::StrCat("--amqp_url=", environment.amqp_url()),
                absl::StrCat("--queue=", experiment.queue),
                absl::StrCat("--routing_key=", experiment.queue),
                absl::StrCat("--scenario=", scenario.name),
                absl::StrCat("--count=", scenario.workload.messages),
                absl::StrCat("--duration=", scenario.workload.duration),
                absl::StrCat("--arrival=", scenario.workload.arrivals),
                absl::StrCat("--seed=", scenario.workload.seed),
                absl::StrCat("--time_scale=", scenario.time_scale()),
                absl::StrCat("--analyzer_url=", environment.analyzer_url()),
                "--progress_interval=0"};
  child.env = PodBaseEnv();
  child.log_path = log_path;
  return ChildProcess::Start(child);
}

// Fills each kill's `busy` and each sample's busy pod count from the attempts.
void FillBusyFromAttempts(RunResult& result) {
  std::vector<workloads::Attempt> attempts = BuildAllAttempts(result.events, result.end_time);
  for (KillMark& kill : result.kills) {
    for (const workloads::Attempt& attempt : attempts) {
      if (attempt.consumer_id == kill.pod && attempt.received_time <= kill.time &&
          attempt.end_time >= kill.time - 1e-6) {
        kill.busy = true;
      }
    }
  }
  for (TimelineSample& sample : result.timeline) {
    int64_t busy = 0;
    for (const workloads::Attempt& attempt : attempts) {
      if (attempt.received_time <= sample.time && sample.time < attempt.end_time) ++busy;
    }
    sample.busy_pods = busy;
  }
}

}  // namespace

absl::StatusOr<RunResult> LiveRun(Experiment experiment, LiveEnvironment& environment,
                                  const LiveRunOptions& options) {
  absl::Time real_start = absl::Now();
  const Scenario scenario = experiment.scenario;
  const int64_t total = scenario.workload.messages;
  std::string work_dir = absl::StrCat(environment.options().work_dir, "/", scenario.name);
  mkdir(work_dir.c_str(), 0755);

  absl::StatusOr<std::unique_ptr<DeletionCostEndpoint>> cost = DeletionCostEndpoint::Start();
  if (!cost.ok()) return cost.status();
  LocalEndpoints endpoints;
  endpoints.amqp_url = environment.amqp_url();
  endpoints.http_url = environment.http_url();
  endpoints.analyzer_url = environment.analyzer_url();
  endpoints.scaler_address = environment.scaler_address();
  endpoints.consumer_binary = absl::StrCat(environment.options().bin_dir, "/rmq-consumer");
  endpoints.deletion_cost_endpoint = (*cost)->url();
  endpoints.scale_idle_timeout = true;
  Localize(experiment, endpoints);

  absl::Status status = environment.PrepareQueue(experiment.queue);
  if (!status.ok()) return status;

  RealTimeScheduler scheduler(scenario.real_ms_per_second, absl::UnixEpoch());
  RunRecorder recorder(absl::UnixEpoch());
  ScalerMetricsClient metrics(environment.scaler_address(), experiment.ConsumerEnv());
  if (!metrics.WaitForConnected(absl::Seconds(10))) {
    return absl::UnavailableError(
        absl::StrCat("cannot connect to rabbitmq-scaler at ", environment.scaler_address()));
  }
  ProcessRuntimeOptions runtime_options;
  runtime_options.scenario = scenario.name;
  runtime_options.namespace_name = experiment.is_job() ? experiment.scaled_job->namespace_name
                                                       : experiment.deployment->namespace_name;
  runtime_options.analyzer_url = environment.analyzer_url();
  runtime_options.log_dir = work_dir;
  runtime_options.base_env = PodBaseEnv();
  runtime_options.deletion_cost = cost->get();
  runtime_options.real_seconds_per_lab_second = scenario.time_scale();
  ProcessPodRuntime runtime(scheduler, runtime_options);

  absl::StatusOr<std::unique_ptr<ChildProcess>> producer =
      StartProducer(experiment, environment, absl::StrCat(work_dir, "/producer.log"));
  if (!producer.ok()) return producer.status();

  std::unique_ptr<ScaledObjectLoop> object_loop;
  std::unique_ptr<ScaledJobLoop> job_loop;
  if (experiment.is_job()) {
    job_loop = std::make_unique<ScaledJobLoop>(scheduler, metrics, runtime,
                                               *experiment.scaled_job, recorder);
    status = job_loop->Start();
  } else {
    object_loop = std::make_unique<ScaledObjectLoop>(
        scheduler, metrics, runtime, *experiment.scaled_object, *experiment.deployment, recorder);
    status = object_loop->Start();
  }
  if (!status.ok()) return status;

  // Events: the analyzer's log, filtered to this scenario, times turned into lab seconds.
  EventLogTailer tailer(environment.event_log_path());
  auto take_events = [&] {
    for (workloads::Event& event : tailer.ReadNew()) {
      if (event.scenario != scenario.name) continue;
      absl::Time real = absl::FromUnixMicros(static_cast<int64_t>(event.time * 1e6));
      event.time = recorder.Seconds(scheduler.LabTimeOf(real));
      recorder.AddEvent(event);
    }
  };

  double interval_seconds = options.sample_interval_seconds > 0
                                ? options.sample_interval_seconds
                                : std::max(30.0, scenario.deadline_seconds / 1000);
  std::function<void()> sample = [&] {
    take_events();
    absl::StatusOr<std::pair<int64_t, int64_t>> counts = environment.QueueCounts(experiment.queue);
    int64_t ready = counts.ok() ? counts->first : 0;
    int64_t unacked = counts.ok() ? counts->second : 0;
    recorder.AddSample(scheduler.Now(), ready, unacked, runtime.alive_pods(), 0);
    if (options.progress != nullptr) {
      options.progress->Update(scenario.name,
                               Progress{recorder.Seconds(scheduler.Now()), scenario.deadline_seconds,
                                        recorder.completed(), total, recorder.replicas()});
    }
    scheduler.After(absl::Seconds(interval_seconds), sample);
  };
  scheduler.At(absl::UnixEpoch(), sample);

  const absl::Time deadline = absl::UnixEpoch() + absl::Seconds(scenario.deadline_seconds);
  absl::Time last_tail = absl::InfinitePast();
  scheduler.RunUntil(deadline, [&] {
    if (absl::Now() - last_tail >= absl::Milliseconds(20)) {
      last_tail = absl::Now();
      take_events();
    }
    bool interrupted = options.interrupted != nullptr && options.interrupted->load();
    return interrupted || recorder.completed() >= total;
  });
  absl::Time end = std::min(scheduler.Now(), deadline);

  // Teardown: stop the controllers first so nothing new starts, then every process.
  if (object_loop) object_loop->Stop();
  if (job_loop) job_loop->Stop();
  runtime.StopAll(absl::Seconds(2));
  (*producer)->Stop(absl::Seconds(2));
  absl::SleepFor(absl::Milliseconds(300));  // events still on their way to the analyzer
  take_events();
  absl::StatusOr<std::pair<int64_t, int64_t>> counts = environment.QueueCounts(experiment.queue);
  recorder.AddSample(end, counts.ok() ? counts->first : 0, counts.ok() ? counts->second : 0,
                     runtime.alive_pods(), 0);

  RunResult result;
  result.scenario = scenario;
  result.mode = "live";
  result.kind = experiment.kind();
  result.configuration = experiment.Configuration();
  result.configuration["control_plane_errors"] = recorder.errors();
  result.configuration["control_plane_last_error"] = recorder.last_error();
  result.configuration["deletion_cost_patches"] = (*cost)->patches();
  result.configuration["max_scheduler_lateness_real_ms"] = scheduler.max_lateness_ms();
  result.end_time = recorder.Seconds(end);
  result.finished = recorder.completed() >= total;
  if (!result.finished && options.interrupted != nullptr && options.interrupted->load()) {
    result.failure = "interrupted";
  } else if (!result.finished) {
    result.failure = absl::StrCat("deadline of ", scenario.deadline_seconds, " s passed with ",
                                  recorder.completed(), " of ", total, " messages completed");
  }
  result.kills = runtime.kills();
  result.pods = runtime.pod_records();
  std::vector<double> starts = runtime.process_starts_ms();
  std::vector<double> grpc = metrics.round_trips_ms();
  std::vector<double> broker = environment.broker_round_trips_ms();
  std::vector<double> lag = environment.management_lags_ms();
  result.delays.process_start = DelayStats::Of(starts);
  result.delays.grpc_round_trip = DelayStats::Of(grpc);
  result.delays.broker_round_trip = DelayStats::Of(broker);
  result.delays.management_stats_lag = DelayStats::Of(lag);
  recorder.MoveInto(result);
  Summarize(result);
  FillBusyFromAttempts(result);
  result.real_seconds = absl::ToDoubleSeconds(absl::Now() - real_start);
  if (options.progress != nullptr) {
    options.progress->Finish(scenario.name,
                             Progress{result.end_time, scenario.deadline_seconds,
                                      result.summary.completed, total, recorder.replicas()},
                             result.finished ? "done" : result.failure);
  }
  return result;
}

}  // namespace krs::lab
