// ScaledJobLoop: KEDA's ScaledJob polling (KEDA v2.20 pkg/scaling/executor/scale_jobs.go), with
// a startup delay between creating a Job and the runtime starting it, and history limits.
#include <algorithm>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/logger.h"
#include "lab/control/control_plane.h"
#include "lab/control/trigger_client.h"
#include "lab/policy/scaledjob_policy.h"

namespace krs::lab {

class ScaledJobLoop::Impl : public std::enable_shared_from_this<ScaledJobLoop::Impl> {
 public:
  Impl(Scheduler& scheduler, MetricsClient& metrics, PodRuntime& runtime,
       ScaledJobSpec scaled_job, Observer& observer, ControlPlaneOptions options)
      : scheduler_(scheduler),
        metrics_(metrics),
        runtime_(runtime),
        sj_(std::move(scaled_job)),
        observer_(observer),
        options_(std::move(options)) {}

  absl::Status Start();
  void Stop() { stopped_ = true; }

 private:
  void Schedule(absl::Time when, std::function<void(Impl&)> step);
  void Poll();
  std::vector<ScaledJobTriggerMetrics> ReadTriggers(ScaledJobSample& sample);
  void CreateJobs(std::int64_t count);
  void StartJob(const std::string& requested_id);
  void ReportFinished(const std::vector<JobStatus>& jobs);
  void CleanUpHistory(const std::vector<JobStatus>& jobs);

  Scheduler& scheduler_;
  MetricsClient& metrics_;
  PodRuntime& runtime_;
  ScaledJobSpec sj_;
  Observer& observer_;
  ControlPlaneOptions options_;

  bool stopped_ = false;
  // Jobs KEDA created that the runtime has not started yet (the startup delay).
  std::set<std::string> requested_;
  std::int64_t next_requested_ = 0;
  std::set<JobId> reported_finished_;
};

absl::Status ScaledJobLoop::Impl::Start() {
  if (sj_.triggers.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("ScaledJob ", sj_.name, ": spec.triggers is empty; at least one is "
                     "required"));
  }
  if (!sj_.scaling_strategy.pending_pod_conditions.empty()) {
    Log(LogLevel::kWarning,
        "pendingPodConditions is not supported by the lab; a Job counts as pending until its "
        "pod runs",
        {{"scaledjob", sj_.name}});
  }
  Log(LogLevel::kInfo, "ScaledJob loop started", {{"scaledjob", sj_.name}});
  Schedule(scheduler_.Now(), [](Impl& self) { self.Poll(); });
  return absl::OkStatus();
}

void ScaledJobLoop::Impl::Schedule(absl::Time when, std::function<void(Impl&)> step) {
  std::weak_ptr<Impl> weak = weak_from_this();
  scheduler_.At(when, [weak, step = std::move(step)] {
    std::shared_ptr<Impl> self = weak.lock();
    if (self && !self->stopped_) step(*self);
  });
}

// KEDA v2.20 pkg/scaling/scale_handler.go (getScaledJobMetrics): a trigger whose
// GetMetricSpec fails is skipped silently; a failing GetMetrics/IsActive marks it failed.
std::vector<ScaledJobTriggerMetrics> ScaledJobLoop::Impl::ReadTriggers(ScaledJobSample& sample) {
  std::vector<ScaledJobTriggerMetrics> triggers;
  const PodTemplate* env_source = &sj_.job_template.pod;
  for (std::size_t i = 0; i < sj_.triggers.size(); ++i) {
    ScalerRef ref = MakeScalerRef(sj_.name, sj_.namespace_name, sj_.triggers[i], env_source,
                                  options_.env_overrides);
    ScaledJobTriggerMetrics trigger;
    trigger.trigger = sj_.triggers[i].name.empty() ? absl::StrCat("trigger", i)
                                                   : sj_.triggers[i].name;
    absl::StatusOr<std::vector<MetricSpec>> specs = metrics_.GetMetricSpec(ref);
    if (!specs.ok()) {
      sample.error = true;
      observer_.OnError(scheduler_.Now(), "keda-scaledjob-poll", specs.status());
      continue;
    }
    for (const MetricSpec& spec : *specs) {
      trigger.specs.push_back({spec.name, sj_.triggers[i].metric_type, spec.target});
      absl::StatusOr<MetricAndActivity> read = GetMetricsAndActivity(metrics_, ref, spec.name);
      if (!read.ok()) {
        trigger.error = true;
        sample.error = true;
        observer_.OnError(scheduler_.Now(), "keda-scaledjob-poll", read.status());
        break;
      }
      trigger.values.emplace_back(spec.name, read->value);
      sample.metrics[spec.name] = read->value;
      if (read->active) trigger.active = true;
    }
    triggers.push_back(std::move(trigger));
  }
  return triggers;
}

void ScaledJobLoop::Impl::Poll() {
  Schedule(scheduler_.Now() + absl::Seconds(sj_.polling_interval_seconds),
           [](Impl& self) { self.Poll(); });
  ScaledJobSample sample;
  sample.time = scheduler_.Now();
  sample.scaled_job = sj_.name;

  // Job counting: running = not finished; pending = no pod Running yet. Requested Jobs in
  // their startup delay count as both.
  std::vector<JobStatus> jobs = runtime_.ListJobs();
  ScaledJobCounts counts;
  counts.running = static_cast<std::int64_t>(requested_.size());
  counts.pending = static_cast<std::int64_t>(requested_.size());
  for (const JobStatus& job : jobs) {
    if (job.succeeded) ++sample.succeeded_jobs;
    if (job.failed) ++sample.failed_jobs;
    if (job.succeeded || job.failed) continue;
    ++counts.running;
    if (job.pending || !job.running) ++counts.pending;
  }
  ReportFinished(jobs);

  std::vector<ScaledJobTriggerMetrics> triggers = ReadTriggers(sample);
  ScaledJobDecision decision = DecideScaledJobScale(sj_, triggers, counts);
  CreateJobs(decision.jobs_to_create);
  CleanUpHistory(jobs);

  sample.running_jobs = static_cast<std::int32_t>(counts.running);
  sample.pending_jobs = static_cast<std::int32_t>(counts.pending);
  sample.jobs_to_create = static_cast<std::int32_t>(decision.jobs_to_create);
  sample.active = decision.active;
  sample.queue_length = decision.queue_length;
  sample.max_scale = decision.max_value;
  sample.reason = absl::StrFormat(
      "%s: QL=%g MS=%g running=%d pending=%d eff=%d create=%d",
      ScaledJobStrategyName(decision.strategy_used), decision.queue_length, decision.max_value,
      counts.running, counts.pending, decision.effective_max_scale, decision.jobs_to_create);
  observer_.OnScaledJobSample(sample);
}

void ScaledJobLoop::Impl::CreateJobs(std::int64_t count) {
  for (std::int64_t i = 0; i < count; ++i) {
    std::string requested_id = absl::StrCat("requested-", ++next_requested_);
    if (options_.job_startup_delay <= absl::ZeroDuration()) {
      StartJob(requested_id);
      continue;
    }
    requested_.insert(requested_id);
    observer_.OnJobEvent({scheduler_.Now(), requested_id, JobEventType::kRequested,
                          absl::StrFormat("starts after %gs",
                                          absl::ToDoubleSeconds(options_.job_startup_delay))});
    Schedule(scheduler_.Now() + options_.job_startup_delay,
             [requested_id](Impl& self) { self.StartJob(requested_id); });
  }
}

void ScaledJobLoop::Impl::StartJob(const std::string& requested_id) {
  requested_.erase(requested_id);
  absl::StatusOr<JobId> job = runtime_.CreateJob(sj_.job_template);
  if (!job.ok()) {
    observer_.OnError(scheduler_.Now(), "keda-scaledjob-create", job.status());
    return;
  }
  observer_.OnJobEvent({scheduler_.Now(), *job, JobEventType::kCreated,
                        absl::StrCat("for ", requested_id)});
}

void ScaledJobLoop::Impl::ReportFinished(const std::vector<JobStatus>& jobs) {
  for (const JobStatus& job : jobs) {
    if (!(job.succeeded || job.failed) || reported_finished_.count(job.id) != 0) continue;
    reported_finished_.insert(job.id);
    observer_.OnJobEvent({scheduler_.Now(), job.id, JobEventType::kFinished,
                          job.succeeded ? "succeeded" : "failed"});
  }
}

// KEDA deletes finished Jobs beyond successfulJobsHistoryLimit / failedJobsHistoryLimit,
// oldest completionTime first.
void ScaledJobLoop::Impl::CleanUpHistory(const std::vector<JobStatus>& jobs) {
  for (bool succeeded : {true, false}) {
    std::vector<JobStatus> finished;
    for (const JobStatus& job : jobs) {
      if (succeeded ? job.succeeded : (job.failed && !job.succeeded)) finished.push_back(job);
    }
    std::int32_t limit =
        succeeded ? sj_.successful_jobs_history_limit : sj_.failed_jobs_history_limit;
    if (static_cast<std::int32_t>(finished.size()) <= limit) continue;
    std::stable_sort(finished.begin(), finished.end(),
                     [](const JobStatus& a, const JobStatus& b) {
                       return a.completion_time.value_or(a.created) <
                              b.completion_time.value_or(b.created);
                     });
    std::size_t excess = finished.size() - static_cast<std::size_t>(limit);
    for (std::size_t i = 0; i < excess; ++i) {
      absl::Status status = runtime_.DeleteJob(finished[i].id);
      if (!status.ok()) {
        observer_.OnError(scheduler_.Now(), "keda-scaledjob-cleanup", status);
        continue;
      }
      observer_.OnJobEvent({scheduler_.Now(), finished[i].id, JobEventType::kDeleted,
                            "beyond the history limit"});
    }
  }
}

ScaledJobLoop::ScaledJobLoop(Scheduler& scheduler, MetricsClient& metrics, PodRuntime& runtime,
                             ScaledJobSpec scaled_job, Observer& observer,
                             ControlPlaneOptions options)
    : impl_(std::make_shared<Impl>(scheduler, metrics, runtime, std::move(scaled_job), observer,
                                   std::move(options))) {}

ScaledJobLoop::~ScaledJobLoop() { impl_->Stop(); }

absl::Status ScaledJobLoop::Start() { return impl_->Start(); }

void ScaledJobLoop::Stop() { impl_->Stop(); }

}  // namespace krs::lab
