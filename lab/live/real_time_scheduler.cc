#include "lab/live/real_time_scheduler.h"

#include <algorithm>

#include "absl/time/clock.h"

namespace krs::lab {

RealTimeScheduler::RealTimeScheduler(double real_ms_per_second, absl::Time lab_origin)
    : speedup_(1000.0 / real_ms_per_second), real_origin_(absl::Now()), lab_origin_(lab_origin) {}

absl::Time RealTimeScheduler::LabTimeOf(absl::Time real_time) const {
  return lab_origin_ + (real_time - real_origin_) * speedup_;
}

absl::Time RealTimeScheduler::RealTimeOf(absl::Time lab_time) const {
  return real_origin_ + (lab_time - lab_origin_) / speedup_;
}

absl::Time RealTimeScheduler::Now() const { return LabTimeOf(absl::Now()); }

void RealTimeScheduler::At(absl::Time when, std::function<void()> callback) {
  MutexLock lock(&mu_);
  events_.push(Event{when, next_sequence_++, std::move(callback)});
}

void RealTimeScheduler::RunUntil(absl::Time until, const std::function<bool()>& stop,
                                 absl::Duration check_interval) {
  while (!stop()) {
    absl::Time now = Now();
    if (now >= until) return;

    std::function<void()> callback;
    {
      MutexLock lock(&mu_);
      if (!events_.empty() && events_.top().when <= now) {
        const Event& event = events_.top();
        double late_ms = absl::ToDoubleMilliseconds(absl::Now() - RealTimeOf(event.when));
        max_lateness_ms_ = std::max(max_lateness_ms_, late_ms);
        callback = std::move(const_cast<Event&>(event).callback);
        events_.pop();
      }
    }
    if (callback) {
      callback();
      continue;
    }

    // Sleep until the next event, a new earlier event (At() from another thread is picked up
    // within check_interval), or the next stop check.
    absl::Time wake = absl::Now() + check_interval;
    {
      MutexLock lock(&mu_);
      if (!events_.empty()) wake = std::min(wake, RealTimeOf(events_.top().when));
    }
    wake = std::min(wake, RealTimeOf(until));
    absl::Duration sleep = wake - absl::Now();
    if (sleep > absl::ZeroDuration()) absl::SleepFor(sleep);
  }
}

double RealTimeScheduler::max_lateness_ms() const {
  MutexLock lock(&mu_);
  return max_lateness_ms_;
}

}  // namespace krs::lab
