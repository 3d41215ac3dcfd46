// The kubelet's side of deleting a pod: runs the preStop hook, sends SIGTERM, sends SIGKILL when
// the remaining grace period expires, and removes the pod once its container has exited.
// Timing comes from lab/policy/termination_policy.h. Internal to the control plane.
#ifndef KRS_LAB_CONTROL_POD_TERMINATOR_H_
#define KRS_LAB_CONTROL_POD_TERMINATOR_H_

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "absl/time/time.h"
#include "lab/control/control_plane.h"
#include "lab/control/pod_runtime.h"
#include "lab/control/scheduler.h"

namespace krs::lab {

class PodTerminator {
 public:
  // `poll_period` is how often a terminating pod is checked for an exited container.
  PodTerminator(Scheduler& scheduler, PodRuntime& runtime, Observer& observer,
                absl::Duration poll_period);
  ~PodTerminator();
  PodTerminator(const PodTerminator&) = delete;
  PodTerminator& operator=(const PodTerminator&) = delete;

  // Starts deleting `pod` with the grace period and preStop hook of `pod_template`. The
  // ReplicaSet has already chosen it; `reason` is reported with kSelectedForDeletion.
  void Terminate(const PodId& pod, const PodTemplate& pod_template, const std::string& reason);

  bool IsTerminating(const PodId& pod) const;
  int terminating_count() const { return static_cast<int>(pods_.size()); }

  // Ignores every pending callback from now on.
  void Stop();

 private:
  struct Termination {
    absl::Duration grace;
    absl::Time pre_stop_started;
    absl::Time kill_at;
    bool sigterm_sent = false;
    bool sigkill_sent = false;
    int polls_after_kill = 0;
  };

  void OnPreStopDone(const PodId& pod, const absl::Status& status);
  void SendStopSignal(const PodId& pod, absl::Duration remaining_grace);
  void Check(const PodId& pod);
  void Kill(const PodId& pod);
  void Remove(const PodId& pod, const std::string& reason);
  void Emit(const PodId& pod, PodEventType type, const std::string& reason);
  // Schedules `callback` unless the terminator has been stopped or destroyed by then.
  void Schedule(absl::Time when, std::function<void()> callback);

  Scheduler& scheduler_;
  PodRuntime& runtime_;
  Observer& observer_;
  absl::Duration poll_period_;
  std::map<PodId, Termination> pods_;
  std::shared_ptr<bool> alive_;
};

}  // namespace krs::lab

#endif  // KRS_LAB_CONTROL_POD_TERMINATOR_H_
