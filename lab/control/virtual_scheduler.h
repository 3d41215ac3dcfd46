// A discrete-event Scheduler for simulate mode and tests: time does not advance while callbacks run
// and jumps to the next scheduled event.
#ifndef KRS_LAB_CONTROL_VIRTUAL_SCHEDULER_H_
#define KRS_LAB_CONTROL_VIRTUAL_SCHEDULER_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <queue>
#include <vector>

#include "absl/time/time.h"
#include "lab/control/scheduler.h"

namespace krs::lab {

// krs::lab::VirtualScheduler
//
// Single-threaded. Example:
//
//   VirtualScheduler scheduler(absl::UnixEpoch());
//   scheduler.After(absl::Seconds(30), [] { ... });
//   scheduler.RunFor(absl::Minutes(10));
class VirtualScheduler final : public Scheduler {
 public:
  explicit VirtualScheduler(absl::Time start = absl::UnixEpoch());

  absl::Time Now() const override;
  void At(absl::Time when, std::function<void()> callback) override;

  // Runs the earliest event, moving Now() to its time (never backwards). Returns false when no
  // event is scheduled.
  bool RunNext();

  // Runs every event scheduled at or before `until`, then sets Now() to `until` (if later).
  void RunUntil(absl::Time until);

  // RunUntil(Now() + duration).
  void RunFor(absl::Duration duration);

  // The number of events not run yet.
  std::size_t pending_events() const;

 private:
  struct Event {
    absl::Time when;
    std::uint64_t sequence;
    std::function<void()> callback;
  };
  struct Later {
    bool operator()(const Event& a, const Event& b) const;
  };

  absl::Time now_;
  std::uint64_t next_sequence_ = 0;
  std::priority_queue<Event, std::vector<Event>, Later> events_;
};

}  // namespace krs::lab

#endif  // KRS_LAB_CONTROL_VIRTUAL_SCHEDULER_H_
