#include "lab/simulate/simulate_run.h"

#include <algorithm>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "lab/control/control_plane.h"
#include "lab/control/virtual_scheduler.h"
#include "lab/run/run_recorder.h"
#include "lab/run/workload_plan.h"
#include "lab/simulate/simulated_broker.h"
#include "lab/simulate/simulated_metrics_client.h"
#include "lab/simulate/simulated_pod_runtime.h"

namespace krs::lab {
namespace {

// Converts a real-time delay in milliseconds to simulated time with the scenario's scale.
absl::Duration Simulated(const Scenario& scenario, double real_ms) {
  return absl::Seconds(real_ms / scenario.real_ms_per_second);
}

double SampleInterval(const Scenario& scenario, const SimulateOptions& options) {
  if (options.sample_interval_seconds > 0) return options.sample_interval_seconds;
  return std::max(15.0, scenario.deadline_seconds / 2000);
}

// Fills the delays of a simulate run: what the scenario assumes, one sample each.
MeasuredDelays AssumedDelays(const Scenario& scenario) {
  auto one = [](double ms) {
    std::vector<double> samples{ms};
    return DelayStats::Of(samples);
  };
  MeasuredDelays delays;
  delays.process_start = one(scenario.delays.process_start_ms);
  delays.grpc_round_trip = one(scenario.delays.grpc_round_trip_ms);
  delays.broker_round_trip = one(scenario.delays.broker_round_trip_ms);
  delays.management_stats_lag = one(scenario.delays.management_stats_lag_ms);
  return delays;
}

}  // namespace

absl::StatusOr<RunResult> SimulateRun(Experiment experiment, const SimulateOptions& options) {
  absl::Time real_start = absl::Now();
  const Scenario& scenario = experiment.scenario;
  Localize(experiment, LocalEndpoints{});

  absl::StatusOr<std::vector<PlannedMessage>> plan = PlanWorkload(scenario);
  if (!plan.ok()) return plan.status();
  const int64_t total = static_cast<int64_t>(plan->size());

  VirtualScheduler scheduler(absl::UnixEpoch());
  RunRecorder recorder(absl::UnixEpoch());
  SimulatedBroker broker(scheduler, absl::Seconds(options.consumer_timeout_seconds));
  SimulatedRuntimeOptions runtime_options;
  runtime_options.scenario = scenario.name;
  runtime_options.process_start = Simulated(scenario, scenario.delays.process_start_ms);
  runtime_options.pod_name_prefix =
      experiment.is_job() ? experiment.scaled_job->name : experiment.deployment->name;
  const std::vector<PlannedMessage>& messages = *plan;
  SimulatedPodRuntime runtime(
      scheduler, broker, [&messages](int64_t index) { return messages[index].id; },
      [&recorder](const workloads::Event& event) { recorder.AddEvent(event); }, runtime_options);
  SimulatedMetricsClient metrics(
      broker, Simulated(scenario, scenario.delays.management_stats_lag_ms),
      experiment.ConsumerEnv());

  // The producer: its process starts like a pod, then publishes on the arrival schedule.
  absl::Duration producer_start = Simulated(scenario, scenario.delays.process_start_ms);
  for (int64_t index = 0; index < total; ++index) {
    const PlannedMessage& message = messages[index];
    scheduler.At(absl::UnixEpoch() + producer_start + absl::Seconds(message.offset_seconds),
                 [&, index] {
                   workloads::Event event;
                   event.type = workloads::EventType::kPublished;
                   event.scenario = scenario.name;
                   event.message_id = messages[index].id;
                   event.work_seconds = messages[index].work_seconds;
                   event.time = recorder.Seconds(scheduler.Now());
                   recorder.AddEvent(event);
                   broker.Publish(QueuedMessage{index, messages[index].work_seconds, false});
                 });
  }

  ControlPlaneOptions control_options;
  std::unique_ptr<ScaledObjectLoop> object_loop;
  std::unique_ptr<ScaledJobLoop> job_loop;
  absl::Status started;
  if (experiment.is_job()) {
    job_loop = std::make_unique<ScaledJobLoop>(scheduler, metrics, runtime,
                                               *experiment.scaled_job, recorder, control_options);
    started = job_loop->Start();
  } else {
    object_loop = std::make_unique<ScaledObjectLoop>(scheduler, metrics, runtime,
                                                     *experiment.scaled_object,
                                                     *experiment.deployment, recorder,
                                                     control_options);
    started = object_loop->Start();
  }
  if (!started.ok()) return started;

  // Timeline samples, progress and the stop condition, on a fixed simulated interval.
  const absl::Duration interval = absl::Seconds(SampleInterval(scenario, options));
  const absl::Time deadline = absl::UnixEpoch() + absl::Seconds(scenario.deadline_seconds);
  bool done = false;
  std::function<void()> sample = [&] {
    QueueCounts counts = broker.CountsNow();
    recorder.AddSample(scheduler.Now(), counts.ready, counts.unacked, runtime.alive_pods(),
                       runtime.busy_pods());
    if (options.progress != nullptr) {
      options.progress->Update(scenario.name,
                               Progress{recorder.Seconds(scheduler.Now()), scenario.deadline_seconds,
                                        recorder.completed(), total, recorder.replicas()});
    }
    if (recorder.completed() >= total || scheduler.Now() >= deadline) {
      done = true;
      return;
    }
    scheduler.After(interval, sample);
  };
  scheduler.At(absl::UnixEpoch(), sample);
  scheduler.At(deadline, [&done] { done = true; });

  // Stop right at the last completion rather than at the next sample.
  while (!done && scheduler.RunNext()) {
    if (recorder.completed() >= total) break;
  }
  absl::Time end = std::min(scheduler.Now(), deadline);
  if (object_loop) object_loop->Stop();
  if (job_loop) job_loop->Stop();

  QueueCounts counts = broker.CountsNow();
  recorder.AddSample(end, counts.ready, counts.unacked, runtime.alive_pods(), runtime.busy_pods());

  RunResult result;
  result.scenario = scenario;
  result.mode = "simulate";
  result.kind = experiment.kind();
  result.configuration = experiment.Configuration();
  result.end_time = recorder.Seconds(end);
  result.finished = recorder.completed() >= total;
  if (!result.finished) {
    result.failure = absl::StrCat("deadline of ", scenario.deadline_seconds, " s passed with ",
                                  recorder.completed(), " of ", total, " messages completed");
  }
  result.kills = runtime.kills();
  result.pods = runtime.pod_records();
  result.delays = AssumedDelays(scenario);
  recorder.MoveInto(result);
  Summarize(result);
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
