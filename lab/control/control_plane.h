// The lab's control plane, shared by live and simulate mode: KEDA's ScaledObject and ScaledJob
// loops, the HPA controller, the ReplicaSet controller and the kubelet's termination sequence,
// all running on a Scheduler against a MetricsClient and a PodRuntime.
//
//   ScaledObjectLoop: KEDA polling every pollingInterval (activation, cooldown, fallback), an HPA
//     sync every 15 s, ReplicaSet reconcile (victims ranked like Kubernetes 1.28) and the kubelet
//     termination of deleted pods (preStop, SIGTERM, grace period, SIGKILL).
//   ScaledJobLoop: KEDA ScaledJob polling, Job creation after a startup delay (counted as pending
//     meanwhile) and history limits.
//
// Both report what they see and do to an Observer, which the reports are built from.
#ifndef KRS_LAB_CONTROL_CONTROL_PLANE_H_
#define KRS_LAB_CONTROL_CONTROL_PLANE_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "lab/control/metrics_client.h"
#include "lab/control/pod_runtime.h"
#include "lab/control/scheduler.h"
#include "lab/manifests/workload_specs.h"

namespace krs::lab {

// The part of the control plane that produced a sample.
enum class SampleSource { kKedaPoll, kHpaSync, kReplicaSet };
const char* SampleSourceName(SampleSource source);

// One timeline point of a ScaledObject and its Deployment.
struct ScaledObjectSample {
  absl::Time time;
  std::string scaled_object;
  SampleSource source = SampleSource::kKedaPoll;
  // Deployment spec.replicas after this step.
  std::int32_t spec_replicas = 0;
  // What this step computed: KEDA's scale request (poll) or the HPA's desiredReplicas (sync);
  // for a ReplicaSet sample, equal to spec_replicas.
  std::int32_t desired_replicas = 0;
  std::int32_t active_pods = 0;       // not terminating, not exited
  std::int32_t ready_pods = 0;        // active, Running and Ready
  std::int32_t terminating_pods = 0;  // deleted, containers not stopped yet
  bool active = false;                // KEDA activity (poll samples)
  bool error = false;                 // some trigger or metric call failed in this step
  bool fallback_active = false;
  // Metric name (as returned by GetMetricSpec) to value, as read in this step.
  std::map<std::string, double> metrics;
  // A one-line account of the decision, e.g. "cooldown: 120s of 300s elapsed".
  std::string reason;
};

// One timeline point of a ScaledJob, taken at each poll.
struct ScaledJobSample {
  absl::Time time;
  std::string scaled_job;
  std::int32_t running_jobs = 0;  // not finished (KEDA's "running"), pending ones included
  std::int32_t pending_jobs = 0;
  std::int32_t succeeded_jobs = 0;
  std::int32_t failed_jobs = 0;
  std::int32_t jobs_to_create = 0;
  bool active = false;
  bool error = false;
  double queue_length = 0;  // QL after combining triggers
  double max_scale = 0;     // MS after combining triggers
  std::map<std::string, double> metrics;
  std::string reason;
};

enum class PodEventType {
  kCreated,
  kSelectedForDeletion,  // the ReplicaSet picked it, and reason gives rank and deciding rule
  kPreStopStarted,
  kPreStopFinished,
  kSigterm,
  kSigkill,  // reason is "grace period expired"
  kExited,   // the container stopped, and reason gives the exit code
  kRemoved,
};
const char* PodEventTypeName(PodEventType type);

struct PodEvent {
  absl::Time time;
  PodId pod;
  PodEventType type = PodEventType::kCreated;
  std::string reason;
  // PodStatus::busy at the time of the event, when known.
  std::optional<bool> busy;
};

enum class JobEventType { kRequested, kCreated, kFinished, kDeleted };
const char* JobEventTypeName(JobEventType type);

struct JobEvent {
  absl::Time time;
  // The runtime's id; for kRequested (before CreateJob) a lab id "requested-<n>".
  JobId job;
  JobEventType type = JobEventType::kRequested;
  std::string reason;
};

// krs::lab::Observer
//
// Receives the control plane's timeline. Called on the scheduler's thread. Default methods
// ignore the call.
class Observer {
 public:
  virtual ~Observer() = default;

  virtual void OnScaledObjectSample(const ScaledObjectSample& sample) {}
  virtual void OnScaledJobSample(const ScaledJobSample& sample) {}
  virtual void OnPodEvent(const PodEvent& event) {}
  virtual void OnJobEvent(const JobEvent& event) {}
  // `source` names the step, e.g. "keda-poll", "hpa-sync", "replicaset", "kubelet".
  virtual void OnError(absl::Time time, absl::string_view source, const absl::Status& status) {}
};

// Timing of the emulated controllers. Defaults are the Kubernetes 1.28 and kubelet defaults.
struct ControlPlaneOptions {
  // --horizontal-pod-autoscaler-sync-period.
  absl::Duration hpa_sync_period = absl::Seconds(15);
  // --horizontal-pod-autoscaler-downscale-stabilization.
  absl::Duration downscale_stabilization = absl::Minutes(5);
  // --horizontal-pod-autoscaler-tolerance.
  double hpa_tolerance = 0.1;
  // How often the ReplicaSet controller reconciles without a change of spec.replicas, and how
  // often the kubelet checks whether a terminating pod's container has exited.
  absl::Duration resync_period = absl::Seconds(1);
  // The ReplicaSet controller's burst of creations or deletions per sync.
  std::int32_t max_pod_changes_per_sync = 500;
  // Time between KEDA creating a Job and the runtime starting it, during which the Job counts
  // as pending (image pull and scheduling in a cluster).
  absl::Duration job_startup_delay = absl::ZeroDuration();
  // Values for the env vars that KEDA reads from the scale target's container to resolve
  // `...FromEnv` trigger metadata (e.g. AMQP_URL of the local broker). They take precedence
  // over the manifest's literal `value`s; env entries with `valueFrom` resolve only from here.
  std::map<std::string, std::string> env_overrides;
};

// krs::lab::ScaledObjectLoop
//
// KEDA + HPA + ReplicaSet + kubelet for one ScaledObject whose target is `deployment`. All work
// runs in scheduler callbacks; the loop must outlive the scheduler's pending events or be
// stopped first (callbacks of a stopped loop do nothing).
class ScaledObjectLoop {
 public:
  ScaledObjectLoop(Scheduler& scheduler, MetricsClient& metrics, PodRuntime& runtime,
                   ScaledObjectSpec scaled_object, DeploymentSpec deployment, Observer& observer,
                   ControlPlaneOptions options = {});
  ~ScaledObjectLoop();
  ScaledObjectLoop(const ScaledObjectLoop&) = delete;
  ScaledObjectLoop& operator=(const ScaledObjectLoop&) = delete;

  // Checks the specs (min ≤ max, idle < min, at least one trigger, target name matches),
  // sets spec.replicas to the Deployment's replicas (1 if unset) and schedules the first KEDA
  // poll, HPA sync and ReplicaSet reconcile at Now().
  absl::Status Start();
  // Stops scheduling: pending callbacks of this loop do nothing. Pods are left as they are.
  void Stop();

  // Deployment spec.replicas as the loop last set it.
  std::int32_t spec_replicas() const;

 private:
  class Impl;
  std::shared_ptr<Impl> impl_;
};

// krs::lab::ScaledJobLoop
//
// KEDA's ScaledJob controller for one ScaledJob.
class ScaledJobLoop {
 public:
  ScaledJobLoop(Scheduler& scheduler, MetricsClient& metrics, PodRuntime& runtime,
                ScaledJobSpec scaled_job, Observer& observer, ControlPlaneOptions options = {});
  ~ScaledJobLoop();
  ScaledJobLoop(const ScaledJobLoop&) = delete;
  ScaledJobLoop& operator=(const ScaledJobLoop&) = delete;

  // Checks the spec and schedules the first poll at Now().
  absl::Status Start();
  void Stop();

 private:
  class Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace krs::lab

#endif  // KRS_LAB_CONTROL_CONTROL_PLANE_H_
