// WarningLimiter: lets one warning per key through per interval and counts the ones it holds
// back, so a broker that stays down does not flood the log.
#ifndef KRS_SCALER_WARNING_LIMITER_H_
#define KRS_SCALER_WARNING_LIMITER_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "common/mutex.h"

namespace krs::scaler {

class WarningLimiter {
 public:
  explicit WarningLimiter(absl::Duration interval, Clock clock = SystemClock());

  // Returns std::nullopt, and counts the warning, while `key` had a warning written less than
  // one interval ago. Otherwise returns how many were held back since then. Thread-safe.
  std::optional<int64_t> Admit(absl::string_view key);

 private:
  struct Entry {
    absl::Time last_written;
    int64_t suppressed = 0;
  };

  const absl::Duration interval_;
  const Clock clock_;
  Mutex mutex_;
  absl::flat_hash_map<std::string, Entry> entries_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace krs::scaler

#endif  // KRS_SCALER_WARNING_LIMITER_H_
