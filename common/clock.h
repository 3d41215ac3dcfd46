// The clock that time-dependent code takes as a constructor argument, so that tests and the
// lab's simulate mode can step time instead of sleeping.
#ifndef KRS_COMMON_CLOCK_H_
#define KRS_COMMON_CLOCK_H_

#include <functional>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace krs {

// Returns the current time. The default is the system clock.
using Clock = std::function<absl::Time()>;

inline Clock SystemClock() {
  return [] { return absl::Now(); };
}

}  // namespace krs

#endif  // KRS_COMMON_CLOCK_H_
