// ScaledObjectLoop: KEDA's ScaledObject polling, the HPA controller, the ReplicaSet controller
// and (through PodTerminator) the kubelet, on one Scheduler.
#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/logger.h"
#include "lab/control/control_plane.h"
#include "lab/control/pod_terminator.h"
#include "lab/control/trigger_client.h"
#include "lab/policy/hpa_calculator.h"
#include "lab/policy/pod_ranking.h"
#include "lab/policy/scaledobject_policy.h"

namespace krs::lab {

class ScaledObjectLoop::Impl : public std::enable_shared_from_this<ScaledObjectLoop::Impl> {
 public:
  Impl(Scheduler& scheduler, MetricsClient& metrics, PodRuntime& runtime,
       ScaledObjectSpec scaled_object, DeploymentSpec deployment, Observer& observer,
       ControlPlaneOptions options)
      : scheduler_(scheduler),
        metrics_(metrics),
        runtime_(runtime),
        so_(std::move(scaled_object)),
        deployment_(std::move(deployment)),
        observer_(observer),
        options_(std::move(options)),
        terminator_(scheduler, runtime, observer, options_.resync_period) {}

  absl::Status Start();
  void Stop();
  std::int32_t spec_replicas() const { return spec_replicas_; }

 private:
  // One metric of one trigger, as the HPA queries it.
  struct MetricRef {
    std::size_t trigger = 0;
    MetricSpec spec;
  };
  struct PodCounts {
    std::int32_t active = 0;
    std::int32_t ready = 0;
  };

  void Schedule(absl::Time when, void (Impl::*step)());
  void PollKeda();
  void SyncHpa();
  void Reconcile();
  void PeriodicReconcile();

  // Fetches each trigger's metric specs once, as KEDA does when it builds the HPA. Returns
  // false while some trigger's GetMetricSpec fails.
  bool EnsureMetricRefs(ScaledObjectSample& sample);
  HpaMetric QueryHpaMetric(const MetricRef& metric, const PodCounts& counts,
                           ScaledObjectSample& sample);
  void CountFailure(const std::string& metric, bool failed);
  bool FallbackActive(const std::string& metric) const;
  void SetReplicas(std::int32_t replicas);
  PodCounts CountPods();
  void Fill(ScaledObjectSample& sample);
  ScalerRef RefFor(std::size_t trigger) const;

  Scheduler& scheduler_;
  MetricsClient& metrics_;
  PodRuntime& runtime_;
  ScaledObjectSpec so_;
  DeploymentSpec deployment_;
  Observer& observer_;
  ControlPlaneOptions options_;
  PodTerminator terminator_;

  bool stopped_ = false;
  std::int32_t spec_replicas_ = 0;
  ScaledObjectState keda_state_;
  HpaSpec hpa_spec_;
  HpaHistory hpa_history_;
  std::vector<MetricRef> metric_refs_;
  // status.health[metric].numberOfFailures.
  std::map<std::string, std::int32_t> failures_;
  // The last polled value per metric, served to the HPA for triggers with useCachedMetrics.
  std::map<std::string, double> cached_values_;
};

absl::Status ScaledObjectLoop::Impl::Start() {
  absl::Status valid = ValidateScaledObjectSpec(so_);
  if (!valid.ok()) return valid;
  if (so_.scale_target_name != deployment_.name) {
    return absl::InvalidArgumentError(absl::StrCat(
        "ScaledObject ", so_.name, ": scaleTargetRef.name is \"", so_.scale_target_name,
        "\" but the Deployment given is \"", deployment_.name, "\""));
  }

  // KEDA v2.20 controllers/keda/hpa.go: the HPA KEDA creates.
  hpa_spec_.min_replicas = HpaMinReplicasFor(so_);
  hpa_spec_.max_replicas = so_.max_replica_count;
  hpa_spec_.behavior = so_.hpa_behavior;
  hpa_spec_.tolerance = options_.hpa_tolerance;
  hpa_spec_.downscale_stabilization = options_.downscale_stabilization;

  keda_state_.creation_time = scheduler_.Now();
  spec_replicas_ = deployment_.replicas.value_or(1);
  Log(LogLevel::kInfo, "ScaledObject loop started",
      {{"scaledobject", so_.name}, {"deployment", deployment_.name},
       {"replicas", spec_replicas_}});

  // The HPA controller syncs a new HPA at once, after KEDA's first poll.
  absl::Time now = scheduler_.Now();
  Schedule(now, &Impl::PeriodicReconcile);
  Schedule(now, &Impl::PollKeda);
  Schedule(now, &Impl::SyncHpa);
  return absl::OkStatus();
}

void ScaledObjectLoop::Impl::Stop() {
  stopped_ = true;
  terminator_.Stop();
}

void ScaledObjectLoop::Impl::Schedule(absl::Time when, void (Impl::*step)()) {
  std::weak_ptr<Impl> weak = weak_from_this();
  scheduler_.At(when, [weak, step] {
    std::shared_ptr<Impl> self = weak.lock();
    if (self && !self->stopped_) ((*self).*step)();
  });
}

ScalerRef ScaledObjectLoop::Impl::RefFor(std::size_t trigger) const {
  return MakeScalerRef(so_.name, so_.namespace_name, so_.triggers[trigger], &deployment_.pod,
                       options_.env_overrides);
}

bool ScaledObjectLoop::Impl::EnsureMetricRefs(ScaledObjectSample& sample) {
  if (!metric_refs_.empty()) return true;
  std::vector<MetricRef> refs;
  for (std::size_t i = 0; i < so_.triggers.size(); ++i) {
    absl::StatusOr<std::vector<MetricSpec>> specs = GetMetricSpecWithRetry(metrics_, RefFor(i));
    if (!specs.ok()) {
      sample.error = true;
      observer_.OnError(scheduler_.Now(), "keda-poll", specs.status());
      return false;
    }
    for (const MetricSpec& spec : *specs) refs.push_back({i, spec});
  }
  metric_refs_ = std::move(refs);
  return true;
}

void ScaledObjectLoop::Impl::CountFailure(const std::string& metric, bool failed) {
  if (failed) {
    ++failures_[metric];
  } else {
    failures_[metric] = 0;
  }
}

bool ScaledObjectLoop::Impl::FallbackActive(const std::string& metric) const {
  auto it = failures_.find(metric);
  return IsFallbackActive(so_.fallback, it == failures_.end() ? 0 : it->second);
}

// KEDA v2.20 pkg/scaling/scale_handler.go: each poll calls GetMetricSpec on every trigger and
// GetMetrics and IsActive for each spec. Then executor/scale_scaledobjects.go decides.
void ScaledObjectLoop::Impl::PollKeda() {
  ScaledObjectSample sample;
  sample.source = SampleSource::kKedaPoll;
  ScaledObjectPollResult poll;
  poll.current_replicas = spec_replicas_;

  for (std::size_t i = 0; i < so_.triggers.size(); ++i) {
    ScalerRef ref = RefFor(i);
    absl::StatusOr<std::vector<MetricSpec>> specs = GetMetricSpecWithRetry(metrics_, ref);
    if (!specs.ok()) {
      poll.error = true;
      observer_.OnError(scheduler_.Now(), "keda-poll", specs.status());
      continue;
    }
    for (const MetricSpec& spec : *specs) {
      absl::StatusOr<MetricAndActivity> read = GetMetricsAndActivity(metrics_, ref, spec.name);
      CountFailure(spec.name, !read.ok());
      if (!read.ok()) {
        poll.error = true;
        observer_.OnError(scheduler_.Now(), "keda-poll", read.status());
        if (FallbackActive(spec.name)) {
          poll.active = true;
          sample.fallback_active = true;
        }
        continue;
      }
      sample.metrics[spec.name] = read->value;
      cached_values_[spec.name] = read->value;
      if (read->active) poll.active = true;
    }
  }

  ScaledObjectDecision decision =
      DecideScaledObjectScale(so_, poll, scheduler_.Now(), keda_state_);
  if (decision.scale_to.has_value() && *decision.scale_to != spec_replicas_) {
    SetReplicas(*decision.scale_to);
  }

  sample.active = poll.active;
  sample.error = poll.error;
  sample.desired_replicas = decision.scale_to.value_or(spec_replicas_);
  sample.reason = decision.reason;
  Fill(sample);
  observer_.OnScaledObjectSample(sample);
  Schedule(scheduler_.Now() + absl::Seconds(so_.polling_interval_seconds), &Impl::PollKeda);
}

// Queries one metric as KEDA's metrics server serves it to the HPA: fresh, or the last polled
// value with useCachedMetrics. On an error past the failure threshold, the result is the
// fallback value (KEDA v2.20 pkg/fallback/fallback.go).
HpaMetric ScaledObjectLoop::Impl::QueryHpaMetric(const MetricRef& metric,
                                                 const PodCounts& counts,
                                                 ScaledObjectSample& sample) {
  const TriggerSpec& trigger = so_.triggers[metric.trigger];
  HpaMetric result;
  result.name = metric.spec.name;
  result.type = trigger.metric_type;
  result.target = metric.spec.target;

  absl::StatusOr<double> value = absl::UnavailableError("no cached value");
  if (trigger.use_cached_metrics && cached_values_.count(metric.spec.name) != 0) {
    value = cached_values_[metric.spec.name];
  } else {
    ScalerRef ref = RefFor(metric.trigger);
    absl::Status specs_status;
    for (std::size_t i = 0; i < so_.triggers.size() && specs_status.ok(); ++i) {
      specs_status = GetMetricSpecWithRetry(metrics_, RefFor(i)).status();
    }
    absl::StatusOr<MetricAndActivity> read =
        specs_status.ok() ? GetMetricsAndActivity(metrics_, ref, metric.spec.name)
                          : absl::StatusOr<MetricAndActivity>(specs_status);
    value = read.ok() ? absl::StatusOr<double>(read->value) : read.status();
    CountFailure(metric.spec.name, !read.ok());
  }

  if (value.ok()) {
    result.value = *value;
    sample.metrics[metric.spec.name] = *value;
    return result;
  }
  sample.error = true;
  observer_.OnError(scheduler_.Now(), "hpa-sync", value.status());
  if (!FallbackActive(metric.spec.name)) {
    result.error = std::string(value.status().message());
    return result;
  }
  absl::StatusOr<double> fallback = FallbackMetricValue(
      *so_.fallback, trigger.metric_type, metric.spec.target, spec_replicas_, counts.ready,
      nullptr);
  sample.fallback_active = true;
  if (fallback.ok()) {
    result.value = *fallback;
    sample.metrics[metric.spec.name] = *fallback;
  } else {
    result.error = std::string(fallback.status().message());
  }
  return result;
}

void ScaledObjectLoop::Impl::SyncHpa() {
  Schedule(scheduler_.Now() + options_.hpa_sync_period, &Impl::SyncHpa);
  ScaledObjectSample sample;
  sample.source = SampleSource::kHpaSync;
  PodCounts counts = CountPods();

  HpaInput input;
  input.spec_replicas = spec_replicas_;
  input.status_replicas = counts.active;
  input.ready_pods = counts.ready;
  // The controller reads metrics only when min ≤ replicas ≤ max and scaling is not disabled.
  bool reads_metrics = spec_replicas_ != 0 && spec_replicas_ >= hpa_spec_.min_replicas &&
                       spec_replicas_ <= hpa_spec_.max_replicas;
  if (reads_metrics && EnsureMetricRefs(sample)) {
    for (const MetricRef& metric : metric_refs_) {
      input.metrics.push_back(QueryHpaMetric(metric, counts, sample));
    }
  }

  HpaResult result = ComputeHpaReplicas(hpa_spec_, input, scheduler_.Now(), hpa_history_);
  if (result.rescale) {
    RecordHpaScale(hpa_spec_, spec_replicas_, result.desired_replicas, scheduler_.Now(),
                   hpa_history_);
    SetReplicas(result.desired_replicas);
  }
  sample.desired_replicas = result.desired_replicas;
  sample.reason = result.reason;
  Fill(sample);
  observer_.OnScaledObjectSample(sample);
}

void ScaledObjectLoop::Impl::SetReplicas(std::int32_t replicas) {
  spec_replicas_ = replicas;
  Reconcile();
}

ScaledObjectLoop::Impl::PodCounts ScaledObjectLoop::Impl::CountPods() {
  PodCounts counts;
  for (const PodStatus& pod : runtime_.ListPods()) {
    if (terminator_.IsTerminating(pod.id) || pod.exited) continue;
    ++counts.active;
    if (pod.phase == PodPhase::kRunning && pod.ready) ++counts.ready;
  }
  return counts;
}

void ScaledObjectLoop::Impl::Fill(ScaledObjectSample& sample) {
  PodCounts counts = CountPods();
  sample.time = scheduler_.Now();
  sample.scaled_object = so_.name;
  sample.spec_replicas = spec_replicas_;
  sample.active_pods = counts.active;
  sample.ready_pods = counts.ready;
  sample.terminating_pods = terminator_.terminating_count();
}

void ScaledObjectLoop::Impl::PeriodicReconcile() {
  Reconcile();
  Schedule(scheduler_.Now() + options_.resync_period, &Impl::PeriodicReconcile);
}

// Kubernetes 1.28 pkg/controller/replicaset/replica_set.go, manageReplicas: create or delete
// the difference, at most max_pod_changes_per_sync per sync.
void ScaledObjectLoop::Impl::Reconcile() {
  std::vector<RankedPod> active;
  for (const PodStatus& pod : runtime_.ListPods()) {
    if (terminator_.IsTerminating(pod.id)) continue;
    if (pod.exited) {
      // NOTE: a Deployment pod's kubelet restarts an exited container in place (restartPolicy
      // Always); the lab replaces the pod instead.
      observer_.OnPodEvent({scheduler_.Now(), pod.id, PodEventType::kExited,
                            absl::StrCat("exited without deletion, exit code ", pod.exit_code),
                            pod.busy});
      absl::Status removed = runtime_.RemovePod(pod.id);
      if (!removed.ok()) observer_.OnError(scheduler_.Now(), "replicaset", removed);
      observer_.OnPodEvent({scheduler_.Now(), pod.id, PodEventType::kRemoved,
                            "replaced by the ReplicaSet", std::nullopt});
      continue;
    }
    active.push_back({pod.id, pod.uid, pod.node, pod.phase, pod.ready, pod.ready_since,
                      pod.created, pod.restarts, pod.deletion_cost, 1});
  }

  std::int32_t diff = static_cast<std::int32_t>(active.size()) - spec_replicas_;
  if (diff == 0) return;
  if (diff < 0) {
    std::int32_t create = std::min(-diff, options_.max_pod_changes_per_sync);
    for (std::int32_t i = 0; i < create; ++i) {
      absl::StatusOr<PodId> pod = runtime_.CreatePod(deployment_.pod);
      if (!pod.ok()) {
        observer_.OnError(scheduler_.Now(), "replicaset", pod.status());
        break;
      }
      observer_.OnPodEvent({scheduler_.Now(), *pod, PodEventType::kCreated,
                            absl::StrFormat("scale up to %d", spec_replicas_), std::nullopt});
    }
  } else {
    SetColocatedPodCounts(active);
    std::int32_t count = std::min(diff, options_.max_pod_changes_per_sync);
    PodDeletionChoice choice = SelectPodsToDelete(active, count, scheduler_.Now());
    for (std::size_t i = 0; i < choice.deleted.size(); ++i) {
      terminator_.Terminate(choice.deleted[i], deployment_.pod,
                            absl::StrFormat("scale in to %d; rank %d: %s", spec_replicas_,
                                            static_cast<int>(i) + 1, choice.reasons[i]));
    }
  }

  ScaledObjectSample sample;
  sample.source = SampleSource::kReplicaSet;
  sample.desired_replicas = spec_replicas_;
  sample.reason = diff < 0 ? "pods created" : "pods deleted";
  Fill(sample);
  observer_.OnScaledObjectSample(sample);
}

ScaledObjectLoop::ScaledObjectLoop(Scheduler& scheduler, MetricsClient& metrics,
                                   PodRuntime& runtime, ScaledObjectSpec scaled_object,
                                   DeploymentSpec deployment, Observer& observer,
                                   ControlPlaneOptions options)
    : impl_(std::make_shared<Impl>(scheduler, metrics, runtime, std::move(scaled_object),
                                   std::move(deployment), observer, std::move(options))) {}

ScaledObjectLoop::~ScaledObjectLoop() { impl_->Stop(); }

absl::Status ScaledObjectLoop::Start() { return impl_->Start(); }

void ScaledObjectLoop::Stop() { impl_->Stop(); }

std::int32_t ScaledObjectLoop::spec_replicas() const { return impl_->spec_replicas(); }

}  // namespace krs::lab
