// The lab's kubelet and container runtime: starts the pods of a Deployment and the Jobs of a
// ScaledJob, sends signals, runs preStop hooks and reports pod and Job status.
//
// The runtime offers primitives only. The ReplicaSet choice of victims and the kubelet
// termination sequence (preStop, SIGTERM, grace period, SIGKILL) are lab policy, driven by the
// control plane (lab/control/control_plane.h). Live mode runs rmq-consumer processes; simulate
// mode runs simulated consumers.
#ifndef KRS_LAB_CONTROL_POD_RUNTIME_H_
#define KRS_LAB_CONTROL_POD_RUNTIME_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "lab/manifests/pod_template.h"
#include "lab/policy/pod_phase.h"

namespace krs::lab {

using PodId = std::string;
using JobId = std::string;

// The status of one pod, as the ReplicaSet controller and the reports read it.
struct PodStatus {
  PodId id;
  std::string uid;
  PodPhase phase = PodPhase::kPending;
  bool ready = false;
  // Last transition of the Ready condition to true; unset while never ready.
  std::optional<absl::Time> ready_since;
  absl::Time created;
  std::int32_t restarts = 0;
  // Raw value of the controller.kubernetes.io/pod-deletion-cost annotation; unset when absent.
  // Live mode reads it from the lab's annotation endpoint, simulate mode from the simulated
  // consumer. The ranking parses it (lab/policy/pod_ranking.h).
  std::optional<std::string> deletion_cost;
  // spec.nodeName; empty means not scheduled yet.
  std::string node;
  // Whether the consumer is processing a message; unset when the backend cannot tell.
  std::optional<bool> busy;
  // The container's main process has exited (for good: the lab does not restart containers).
  bool exited = false;
  int exit_code = 0;
};

// The status of one Job, as the ScaledJob loop reads it. A Job is finished when succeeded or failed.
struct JobStatus {
  JobId id;
  absl::Time created;
  // The Job's pod exists but is not Running yet (KEDA's "pending" without pendingPodConditions).
  bool pending = false;
  // The Job's pod is Running.
  bool running = false;
  bool succeeded = false;
  bool failed = false;
  std::optional<absl::Time> completion_time;
};

// krs::lab::PodRuntime
//
// Calls come from the control plane's scheduler thread. Methods taking an unknown id return
// NotFound.
class PodRuntime {
 public:
  virtual ~PodRuntime() = default;

  // Pods of a Deployment.
  virtual absl::StatusOr<PodId> CreatePod(const PodTemplate& pod_template) = 0;
  virtual std::vector<PodStatus> ListPods() = 0;
  // Sends `signal` (SIGTERM or SIGKILL from <csignal>) to the pod's main container process.
  virtual absl::Status SendSignal(const PodId& pod, int signal) = 0;
  // Starts the exec preStop hook `command` in the pod and returns at once. `done` runs exactly
  // once, with the hook's result, when it exits or when `timeout` has passed (the runtime then
  // abandons the hook and passes DeadlineExceeded). `done` may run on any thread.
  virtual void RunPreStop(const PodId& pod, const std::vector<std::string>& command,
                          absl::Duration timeout, std::function<void(absl::Status)> done) = 0;
  // Forgets a pod whose containers have stopped: the API object is gone.
  virtual absl::Status RemovePod(const PodId& pod) = 0;

  // Jobs of a ScaledJob. The lab's startup delay is applied by the control plane before
  // CreateJob(); from CreateJob() on, the runtime reports the Job's own pending/running state.
  virtual absl::StatusOr<JobId> CreateJob(const JobTemplate& job_template) = 0;
  virtual std::vector<JobStatus> ListJobs() = 0;
  // Deletes a Job and its pod (background propagation): a running pod gets SIGKILL.
  virtual absl::Status DeleteJob(const JobId& job) = 0;
};

}  // namespace krs::lab

#endif  // KRS_LAB_CONTROL_POD_RUNTIME_H_
