// RealTimeScheduler: the Scheduler of live mode. Lab time runs `1000 / real_ms_per_second`
// times faster than the wall clock from the moment of construction: with 4 real ms per
// simulated second, a 15 s polling interval is 60 ms of real time.
//
// Now() and At() may be called from any thread; callbacks run on the thread that calls
// RunUntil(), one at a time, in time order (ties in the order scheduled).
#ifndef KRS_LAB_LIVE_REAL_TIME_SCHEDULER_H_
#define KRS_LAB_LIVE_REAL_TIME_SCHEDULER_H_

#include <cstdint>
#include <functional>
#include <queue>
#include <vector>

#include "absl/time/time.h"
#include "common/mutex.h"
#include "lab/control/scheduler.h"

namespace krs::lab {

class RealTimeScheduler final : public Scheduler {
 public:
  // Lab time starts at `lab_origin` now.
  RealTimeScheduler(double real_ms_per_second, absl::Time lab_origin = absl::UnixEpoch());

  absl::Time Now() const override;
  void At(absl::Time when, std::function<void()> callback) override;

  // Runs callbacks as they fall due until `stop()` returns true (checked after each callback
  // and at least every `check_interval` of real time) or the lab time reaches `until`.
  void RunUntil(absl::Time until, const std::function<bool()>& stop,
                absl::Duration check_interval = absl::Milliseconds(20));

  // Converts between lab time and wall-clock time.
  absl::Time RealTimeOf(absl::Time lab_time) const;
  absl::Time LabTimeOf(absl::Time real_time) const;

  // How late callbacks ran behind their due time, in real milliseconds (max so far).
  double max_lateness_ms() const;

 private:
  struct Event {
    absl::Time when;
    uint64_t sequence;
    std::function<void()> callback;
  };
  struct Later {
    bool operator()(const Event& a, const Event& b) const {
      if (a.when != b.when) return a.when > b.when;
      return a.sequence > b.sequence;
    }
  };

  const double speedup_;  // simulated seconds per real second
  const absl::Time real_origin_;
  const absl::Time lab_origin_;
  mutable Mutex mu_;
  std::priority_queue<Event, std::vector<Event>, Later> events_ ABSL_GUARDED_BY(mu_);
  uint64_t next_sequence_ ABSL_GUARDED_BY(mu_) = 0;
  double max_lateness_ms_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace krs::lab

#endif  // KRS_LAB_LIVE_REAL_TIME_SCHEDULER_H_
