#include "lab/control/control_plane.h"

#include <csignal>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "lab/control/virtual_scheduler.h"

namespace krs::lab {
namespace {

const absl::Time kStart = absl::FromUnixSeconds(1000000);

// A scaler with one metric whose value and availability the test sets.
class FakeMetricsClient : public MetricsClient {
 public:
  absl::StatusOr<std::vector<MetricSpec>> GetMetricSpec(const ScalerRef& ref) override {
    last_ref = ref;
    if (failing) return absl::UnavailableError("scaler down");
    return std::vector<MetricSpec>{{"queue", target}};
  }
  absl::StatusOr<double> GetMetrics(const ScalerRef& ref, const std::string& name) override {
    if (failing) return absl::UnavailableError("scaler down");
    return value;
  }
  absl::StatusOr<bool> IsActive(const ScalerRef& ref) override {
    if (failing) return absl::UnavailableError("scaler down");
    return value > 0;
  }

  double value = 0;
  double target = 1;
  bool failing = false;
  ScalerRef last_ref;
};

// Pods that start Running and Ready at once. Each pod exits on SIGTERM unless
// `ignore_sigterm`, and always on SIGKILL. preStop hooks take `pre_stop_duration`.
class FakePodRuntime : public PodRuntime {
 public:
  explicit FakePodRuntime(Scheduler& scheduler) : scheduler_(scheduler) {}

  absl::StatusOr<PodId> CreatePod(const PodTemplate&) override {
    PodStatus pod;
    ++created_;
    pod.id = "pod-" + std::to_string(created_);
    pod.uid = "uid-" + std::to_string(1000 + created_);
    pod.phase = PodPhase::kRunning;
    pod.ready = true;
    pod.ready_since = scheduler_.Now();
    pod.created = scheduler_.Now();
    pod.node = "node-1";
    pods_[pod.id] = pod;
    return pod.id;
  }
  std::vector<PodStatus> ListPods() override {
    std::vector<PodStatus> result;
    for (const auto& [id, pod] : pods_) result.push_back(pod);
    return result;
  }
  absl::Status SendSignal(const PodId& id, int signal) override {
    auto it = pods_.find(id);
    if (it == pods_.end()) return absl::NotFoundError(id);
    signals.push_back({id, signal, scheduler_.Now()});
    if (signal == SIGKILL || !ignore_sigterm) {
      it->second.exited = true;
      it->second.exit_code = signal == SIGKILL ? 137 : 0;
    }
    return absl::OkStatus();
  }
  void RunPreStop(const PodId& id, const std::vector<std::string>& command,
                  absl::Duration timeout, std::function<void(absl::Status)> done) override {
    absl::Duration took = std::min(pre_stop_duration, timeout);
    scheduler_.After(took, [done] { done(absl::OkStatus()); });
  }
  absl::Status RemovePod(const PodId& id) override {
    removed.push_back(id);
    pods_.erase(id);
    return absl::OkStatus();
  }

  absl::StatusOr<JobId> CreateJob(const JobTemplate&) override {
    JobStatus job;
    job.id = "job-" + std::to_string(jobs_.size() + 1);
    job.created = scheduler_.Now();
    job.running = true;
    jobs_[job.id] = job;
    job_created_at.push_back(scheduler_.Now());
    if (on_job_created) on_job_created();
    return job.id;
  }
  std::vector<JobStatus> ListJobs() override {
    std::vector<JobStatus> result;
    for (const auto& [id, job] : jobs_) result.push_back(job);
    return result;
  }
  absl::Status DeleteJob(const JobId& id) override {
    deleted_jobs.push_back(id);
    jobs_.erase(id);
    return absl::OkStatus();
  }

  void SetDeletionCost(const PodId& id, const std::string& cost) {
    pods_[id].deletion_cost = cost;
  }
  void FinishJob(const JobId& id) {
    jobs_[id].running = false;
    jobs_[id].succeeded = true;
    jobs_[id].completion_time = scheduler_.Now();
  }
  std::size_t pod_count() const { return pods_.size(); }

  struct Signal {
    PodId pod;
    int signal;
    absl::Time time;
  };
  std::vector<Signal> signals;
  std::vector<PodId> removed;
  std::vector<JobId> deleted_jobs;
  std::vector<absl::Time> job_created_at;
  std::function<void()> on_job_created;
  bool ignore_sigterm = false;
  absl::Duration pre_stop_duration = absl::ZeroDuration();

 private:
  Scheduler& scheduler_;
  int created_ = 0;
  std::map<PodId, PodStatus> pods_;
  std::map<JobId, JobStatus> jobs_;
};

class RecordingObserver : public Observer {
 public:
  void OnScaledObjectSample(const ScaledObjectSample& sample) override {
    samples.push_back(sample);
  }
  void OnScaledJobSample(const ScaledJobSample& sample) override { job_samples.push_back(sample); }
  void OnPodEvent(const PodEvent& event) override { pod_events.push_back(event); }
  void OnJobEvent(const JobEvent& event) override { job_events.push_back(event); }
  void OnError(absl::Time, absl::string_view, const absl::Status&) override { ++errors; }

  std::vector<PodId> PodsWith(PodEventType type) const {
    std::vector<PodId> ids;
    for (const PodEvent& event : pod_events) {
      if (event.type == type) ids.push_back(event.pod);
    }
    return ids;
  }
  const PodEvent* Find(PodEventType type, const PodId& pod) const {
    for (const PodEvent& event : pod_events) {
      if (event.type == type && event.pod == pod) return &event;
    }
    return nullptr;
  }

  std::vector<ScaledObjectSample> samples;
  std::vector<ScaledJobSample> job_samples;
  std::vector<PodEvent> pod_events;
  std::vector<JobEvent> job_events;
  int errors = 0;
};

ScaledObjectSpec SoSpec() {
  ScaledObjectSpec so;
  so.name = "so";
  so.scale_target_name = "worker";
  so.polling_interval_seconds = 30;
  so.max_replica_count = 10;
  TriggerSpec trigger;
  trigger.type = "external";
  trigger.metadata = {{"scalerAddress", "127.0.0.1:1"}, {"hostFromEnv", "AMQP_URL"}};
  so.triggers.push_back(trigger);
  return so;
}

DeploymentSpec Worker(std::int32_t replicas) {
  DeploymentSpec deployment;
  deployment.name = "worker";
  deployment.replicas = replicas;
  ContainerSpec container;
  container.name = "consumer";
  container.env.push_back({"AMQP_URL", "amqp://manifest", ""});
  deployment.pod.containers.push_back(container);
  return deployment;
}

struct Fixture {
  VirtualScheduler scheduler{kStart};
  FakeMetricsClient metrics;
  FakePodRuntime runtime{scheduler};
  RecordingObserver observer;
};

TEST(ScaledObjectLoop, ScalesUpFromZero) {
  Fixture f;
  f.metrics.value = 5;
  ScaledObjectLoop loop(f.scheduler, f.metrics, f.runtime, SoSpec(), Worker(0), f.observer);
  ASSERT_TRUE(loop.Start().ok());

  // KEDA activates to 1 at once, then the HPA's first sync is limited to max(2 × 1, 4) = 4.
  // The sync at 15 s reaches ceil(5 / 1) = 5.
  f.scheduler.RunFor(absl::Seconds(1));
  EXPECT_EQ(loop.spec_replicas(), 4);
  EXPECT_EQ(f.runtime.pod_count(), 4u);
  ASSERT_FALSE(f.observer.samples.empty());
  EXPECT_EQ(f.observer.samples.front().desired_replicas, 1);
  f.scheduler.RunFor(absl::Seconds(15));
  EXPECT_EQ(loop.spec_replicas(), 5);
  EXPECT_EQ(f.runtime.pod_count(), 5u);
  EXPECT_EQ(f.observer.PodsWith(PodEventType::kCreated).size(), 5u);
}

TEST(ScaledObjectLoop, ResolvesFromEnvMetadata) {
  Fixture f;
  ControlPlaneOptions options;
  options.env_overrides["AMQP_URL"] = "amqp://127.0.0.1:29672";
  ScaledObjectLoop loop(f.scheduler, f.metrics, f.runtime, SoSpec(), Worker(1), f.observer,
                        options);
  ASSERT_TRUE(loop.Start().ok());
  f.scheduler.RunFor(absl::Seconds(1));
  EXPECT_EQ(f.metrics.last_ref.name, "so");
  EXPECT_EQ(f.metrics.last_ref.metadata.at("hostFromEnv"), "amqp://127.0.0.1:29672");
}

TEST(ScaledObjectLoop, ScaleInPicksVictimsByRank) {
  Fixture f;
  f.metrics.value = 3;
  ScaledObjectLoop loop(f.scheduler, f.metrics, f.runtime, SoSpec(), Worker(3), f.observer);
  ASSERT_TRUE(loop.Start().ok());
  f.scheduler.RunFor(absl::Seconds(1));
  ASSERT_EQ(f.runtime.pod_count(), 3u);
  f.runtime.SetDeletionCost("pod-1", "100");
  f.runtime.SetDeletionCost("pod-2", "0");
  f.runtime.SetDeletionCost("pod-3", "50");

  // The queue drops to 1 message; after the 5 min stabilization the HPA wants 1 replica.
  f.metrics.value = 1;
  f.scheduler.RunFor(absl::Minutes(7));
  EXPECT_EQ(loop.spec_replicas(), 1);
  EXPECT_EQ(f.observer.PodsWith(PodEventType::kSelectedForDeletion),
            (std::vector<PodId>{"pod-2", "pod-3"}));
  EXPECT_EQ(f.runtime.pod_count(), 1u);
  EXPECT_EQ(f.observer.PodsWith(PodEventType::kRemoved).size(), 2u);
  EXPECT_TRUE(f.observer.PodsWith(PodEventType::kSigkill).empty());
}

TEST(ScaledObjectLoop, GracePeriodThenSigkill) {
  Fixture f;
  f.metrics.value = 2;
  f.runtime.ignore_sigterm = true;
  DeploymentSpec worker = Worker(2);
  worker.pod.termination_grace_period_seconds = 30;
  ScaledObjectLoop loop(f.scheduler, f.metrics, f.runtime, SoSpec(), worker, f.observer);
  ASSERT_TRUE(loop.Start().ok());
  f.scheduler.RunFor(absl::Seconds(1));
  f.metrics.value = 1;
  f.scheduler.RunFor(absl::Minutes(7));

  ASSERT_EQ(f.runtime.signals.size(), 2u);
  EXPECT_EQ(f.runtime.signals[0].signal, SIGTERM);
  EXPECT_EQ(f.runtime.signals[1].signal, SIGKILL);
  EXPECT_EQ(f.runtime.signals[1].time - f.runtime.signals[0].time, absl::Seconds(30));
  const PodEvent* kill = f.observer.Find(PodEventType::kSigkill, f.runtime.signals[0].pod);
  ASSERT_NE(kill, nullptr);
  EXPECT_EQ(kill->reason, "grace period expired");
}

TEST(ScaledObjectLoop, PreStopRunsBeforeSigterm) {
  Fixture f;
  f.metrics.value = 2;
  f.runtime.ignore_sigterm = true;
  f.runtime.pre_stop_duration = absl::Seconds(10);
  DeploymentSpec worker = Worker(2);
  worker.pod.termination_grace_period_seconds = 30;
  worker.pod.containers.front().pre_stop_command = std::vector<std::string>{"sleep", "10"};
  ScaledObjectLoop loop(f.scheduler, f.metrics, f.runtime, SoSpec(), worker, f.observer);
  ASSERT_TRUE(loop.Start().ok());
  f.scheduler.RunFor(absl::Seconds(1));
  f.metrics.value = 1;
  f.scheduler.RunFor(absl::Minutes(7));

  ASSERT_EQ(f.runtime.signals.size(), 2u);
  const PodId victim = f.runtime.signals[0].pod;
  const PodEvent* selected = f.observer.Find(PodEventType::kSelectedForDeletion, victim);
  ASSERT_NE(selected, nullptr);
  // preStop 10 s, then SIGTERM; SIGKILL after the remaining 30 − 10 = 20 s.
  EXPECT_EQ(f.runtime.signals[0].time - selected->time, absl::Seconds(10));
  EXPECT_EQ(f.runtime.signals[1].time - f.runtime.signals[0].time, absl::Seconds(20));
}

TEST(ScaledObjectLoop, ScalesToZeroAfterCooldown) {
  Fixture f;
  f.metrics.value = 2;
  ScaledObjectSpec so = SoSpec();
  so.cooldown_period_seconds = 300;
  ScaledObjectLoop loop(f.scheduler, f.metrics, f.runtime, so, Worker(0), f.observer);
  ASSERT_TRUE(loop.Start().ok());
  f.scheduler.RunFor(absl::Minutes(1));
  ASSERT_GT(loop.spec_replicas(), 0);

  // Last active poll at 60 s; the queue is empty from 61 s on.
  f.metrics.value = 0;
  absl::Time emptied = f.scheduler.Now();
  f.scheduler.RunFor(absl::Seconds(250));
  EXPECT_GT(loop.spec_replicas(), 0);
  f.scheduler.RunFor(absl::Seconds(120));
  EXPECT_EQ(loop.spec_replicas(), 0);
  EXPECT_EQ(f.runtime.pod_count(), 0u);

  absl::Time zero_at;
  for (const ScaledObjectSample& sample : f.observer.samples) {
    if (sample.source == SampleSource::kKedaPoll && sample.desired_replicas == 0 &&
        zero_at == absl::Time()) {
      zero_at = sample.time;
    }
  }
  EXPECT_GT(zero_at - emptied, absl::Seconds(300) - absl::Seconds(30));
}

TEST(ScaledObjectLoop, ErrorsBlockScaleToZero) {
  Fixture f;
  f.metrics.value = 2;
  ScaledObjectLoop loop(f.scheduler, f.metrics, f.runtime, SoSpec(), Worker(0), f.observer);
  ASSERT_TRUE(loop.Start().ok());
  f.scheduler.RunFor(absl::Minutes(1));
  std::int32_t replicas = loop.spec_replicas();
  ASSERT_GT(replicas, 0);

  f.metrics.failing = true;
  f.scheduler.RunFor(absl::Minutes(30));
  EXPECT_EQ(loop.spec_replicas(), replicas);
  EXPECT_GT(f.observer.errors, 0);
}

TEST(ScaledObjectLoop, FallbackReplicasOnErrors) {
  Fixture f;
  f.metrics.value = 2;
  ScaledObjectSpec so = SoSpec();
  so.fallback = FallbackSpec{2, 6, FallbackBehavior::kStatic};
  ScaledObjectLoop loop(f.scheduler, f.metrics, f.runtime, so, Worker(0), f.observer);
  ASSERT_TRUE(loop.Start().ok());
  f.scheduler.RunFor(absl::Minutes(1));
  ASSERT_EQ(loop.spec_replicas(), 2);

  // After more than 2 failures KEDA returns target × 6 to the HPA, which scales to 6.
  f.metrics.failing = true;
  f.scheduler.RunFor(absl::Minutes(3));
  EXPECT_EQ(loop.spec_replicas(), 6);
  bool fallback_seen = false;
  for (const ScaledObjectSample& sample : f.observer.samples) fallback_seen |= sample.fallback_active;
  EXPECT_TRUE(fallback_seen);
}

TEST(ScaledObjectLoop, RejectsMismatchedTarget) {
  Fixture f;
  ScaledObjectSpec so = SoSpec();
  so.scale_target_name = "other";
  ScaledObjectLoop loop(f.scheduler, f.metrics, f.runtime, so, Worker(0), f.observer);
  EXPECT_FALSE(loop.Start().ok());
}

ScaledJobSpec SjSpec(ScaledJobStrategy strategy) {
  ScaledJobSpec sj;
  sj.name = "sj";
  sj.polling_interval_seconds = 10;
  sj.max_replica_count = 10;
  sj.scaling_strategy.strategy = strategy;
  sj.job_template.pod.containers.push_back(ContainerSpec{});
  TriggerSpec trigger;
  trigger.type = "external";
  sj.triggers.push_back(trigger);
  return sj;
}

TEST(ScaledJobLoop, StartupDelayCountsAsPending) {
  Fixture f;
  f.metrics.value = 3;  // ready messages; each started Job takes one
  f.runtime.on_job_created = [&f] { f.metrics.value -= 1; };
  ControlPlaneOptions options;
  options.job_startup_delay = absl::Seconds(20);
  ScaledJobLoop loop(f.scheduler, f.metrics, f.runtime, SjSpec(ScaledJobStrategy::kAccurate),
                     f.observer, options);
  ASSERT_TRUE(loop.Start().ok());
  f.scheduler.RunFor(absl::Seconds(45));

  // t=0 requests 3 Jobs; at t=10 they are running and pending (M − P = 3 − 3 = 0, no more);
  // at t=20 the runtime starts them and they take the 3 messages.
  ASSERT_GE(f.observer.job_samples.size(), 3u);
  EXPECT_EQ(f.observer.job_samples[0].jobs_to_create, 3);
  EXPECT_EQ(f.observer.job_samples[1].running_jobs, 3);
  EXPECT_EQ(f.observer.job_samples[1].pending_jobs, 3);
  EXPECT_EQ(f.observer.job_samples[1].jobs_to_create, 0);
  EXPECT_EQ(f.observer.job_samples[2].pending_jobs, 0);
  ASSERT_EQ(f.runtime.job_created_at.size(), 3u);
  EXPECT_EQ(f.runtime.job_created_at.front(), kStart + absl::Seconds(20));
}

TEST(ScaledJobLoop, HistoryLimitDeletesOldestFinished) {
  Fixture f;
  f.metrics.value = 3;
  f.runtime.on_job_created = [&f] { f.metrics.value -= 1; };
  ScaledJobSpec sj = SjSpec(ScaledJobStrategy::kDefault);
  sj.successful_jobs_history_limit = 1;
  ScaledJobLoop loop(f.scheduler, f.metrics, f.runtime, sj, f.observer);
  ASSERT_TRUE(loop.Start().ok());
  f.scheduler.RunFor(absl::Seconds(1));
  ASSERT_EQ(f.runtime.job_created_at.size(), 3u);

  f.runtime.FinishJob("job-2");
  f.scheduler.RunFor(absl::Seconds(1));
  f.runtime.FinishJob("job-1");
  f.runtime.FinishJob("job-3");
  f.scheduler.RunFor(absl::Seconds(10));
  // Three succeeded, limit 1: the two oldest completions (job-2, then job-1) go.
  EXPECT_EQ(f.runtime.deleted_jobs, (std::vector<JobId>{"job-2", "job-1"}));
}

}  // namespace
}  // namespace krs::lab
