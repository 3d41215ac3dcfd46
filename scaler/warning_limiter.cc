#include "scaler/warning_limiter.h"

#include <utility>

namespace krs::scaler {
namespace {

// Keys come from queue names and ScaledObject names, so the configuration bounds the map.
// This cap only guards against a client that sends endless distinct names.
constexpr size_t kMaxKeys = 10000;

}  // namespace

WarningLimiter::WarningLimiter(absl::Duration interval, Clock clock)
    : interval_(interval), clock_(std::move(clock)) {}

std::optional<int64_t> WarningLimiter::Admit(absl::string_view key) {
  absl::Time now = clock_();
  MutexLock lock(&mutex_);

  auto it = entries_.find(key);
  if (it == entries_.end()) {
    if (entries_.size() >= kMaxKeys) entries_.clear();
    entries_.emplace(std::string(key), Entry{now, 0});
    return 0;
  }

  Entry& entry = it->second;
  if (now - entry.last_written < interval_) {
    ++entry.suppressed;
    return std::nullopt;
  }

  int64_t suppressed = entry.suppressed;
  entry = Entry{now, 0};
  return suppressed;
}

}  // namespace krs::scaler
