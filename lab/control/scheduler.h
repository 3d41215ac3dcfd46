// The event scheduler that drives the lab's control plane: KEDA polls, HPA syncs, ReplicaSet
// reconciles and kubelet timers are callbacks scheduled at a point in (lab) time.
//
// Live and simulate mode share the control plane and differ only in the Scheduler (and in the
// backends): VirtualScheduler (lab/control/virtual_scheduler.h) jumps from event to event, and
// live mode runs callbacks on a real-time clock.
#ifndef KRS_LAB_CONTROL_SCHEDULER_H_
#define KRS_LAB_CONTROL_SCHEDULER_H_

#include <functional>
#include <utility>

#include "absl/time/time.h"

namespace krs::lab {

// krs::lab::Scheduler
//
// Runs callbacks at a given lab time. Callbacks scheduled for the same time run in the order they
// were scheduled, and never before At() returns. A callback may schedule further callbacks.
//
// Thread-safety: an implementation used in live mode must accept Now() and At() from any thread
// (backends post completions such as "preStop finished" through At(Now(), ...)) and must run all
// callbacks on one thread. VirtualScheduler is single-threaded.
class Scheduler {
 public:
  virtual ~Scheduler() = default;

  // The current lab time.
  virtual absl::Time Now() const = 0;

  // Schedules `callback` to run at `when`. A time in the past means "as soon as possible".
  virtual void At(absl::Time when, std::function<void()> callback) = 0;

  // Schedules `callback` to run `delay` after Now().
  void After(absl::Duration delay, std::function<void()> callback) {
    At(Now() + delay, std::move(callback));
  }
};

}  // namespace krs::lab

#endif  // KRS_LAB_CONTROL_SCHEDULER_H_
