#include "lab/control/virtual_scheduler.h"

#include <utility>

namespace krs::lab {

bool VirtualScheduler::Later::operator()(const Event& a, const Event& b) const {
  if (a.when != b.when) return a.when > b.when;
  return a.sequence > b.sequence;
}

VirtualScheduler::VirtualScheduler(absl::Time start) : now_(start) {}

absl::Time VirtualScheduler::Now() const { return now_; }

void VirtualScheduler::At(absl::Time when, std::function<void()> callback) {
  events_.push(Event{when, next_sequence_++, std::move(callback)});
}

bool VirtualScheduler::RunNext() {
  if (events_.empty()) return false;
  Event event = events_.top();
  events_.pop();
  if (event.when > now_) now_ = event.when;
  event.callback();
  return true;
}

void VirtualScheduler::RunUntil(absl::Time until) {
  while (!events_.empty() && events_.top().when <= until) RunNext();
  if (until > now_) now_ = until;
}

void VirtualScheduler::RunFor(absl::Duration duration) { RunUntil(now_ + duration); }

std::size_t VirtualScheduler::pending_events() const { return events_.size(); }

}  // namespace krs::lab
