#include "scaler/stats_cache.h"

#include <algorithm>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace krs::scaler {

QueueStatsCache::QueueStatsCache(std::shared_ptr<QueueStatsSource> source,
                                 QueueStatsCacheOptions options, Clock clock)
    : source_(std::move(source)), options_(options), clock_(std::move(clock)) {}

absl::StatusOr<QueueStats> QueueStatsCache::Read(const QueueQuery& query, absl::Time deadline) {
  std::string key = query.CacheKey();
  std::shared_ptr<Flight> flight;
  {
    MutexLock lock(&mu_);
    absl::Time now = clock_();
    auto it = entries_.find(key);
    if (it != entries_.end() && it->second.flight != nullptr) {
      ++counters_.coalesced_waits;
      return WaitForFlight(it->second.flight, deadline);
    }
    if (it != entries_.end() && it->second.result.has_value() && now < it->second.expires) {
      ++counters_.hits;
      return *it->second.result;
    }
    if (deadline <= now) {
      return absl::DeadlineExceededError(
          "reading queue stats: the deadline passed before the read started");
    }

    if (it == entries_.end()) {
      MakeRoom(now);
      it = entries_.emplace(key, Entry{}).first;
    }
    ++counters_.misses;
    flight = std::make_shared<Flight>();
    it->second.flight = flight;
  }

  absl::StatusOr<QueueStats> result = source_->Read(query, deadline);
  FinishFlight(key, flight, result);
  return result;
}

absl::StatusOr<QueueStats> QueueStatsCache::WaitForFlight(std::shared_ptr<Flight> flight,
                                                          absl::Time deadline) {
  while (!flight->done) {
    absl::Duration remaining = deadline - clock_();
    if (remaining <= absl::ZeroDuration()) {
      ++counters_.waiter_timeouts;
      return absl::DeadlineExceededError(
          "reading queue stats: the deadline passed while waiting for a read in flight");
    }
    mu_.AwaitWithTimeout([&flight]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return flight->done; },
                         remaining);
  }
  return flight->result;
}

void QueueStatsCache::FinishFlight(const std::string& key, const std::shared_ptr<Flight>& flight,
                                   const absl::StatusOr<QueueStats>& result) {
  MutexLock lock(&mu_);
  flight->result = result;
  flight->done = true;

  auto it = entries_.find(key);
  if (it == entries_.end() || it->second.flight != flight) return;
  it->second.flight = nullptr;

  absl::Duration ttl = result.ok() ? options_.ttl : options_.negative_ttl;
  if (ttl <= absl::ZeroDuration()) {
    entries_.erase(it);
    return;
  }
  it->second.result = result;
  it->second.expires = clock_() + ttl;
}

void QueueStatsCache::MakeRoom(absl::Time now) {
  // Expired entries are swept once per TTL (at least once a second) so that queues nobody asks
  // for any more do not stay until the cache is full.
  bool sweep_due = now >= next_sweep_;
  if (entries_.size() < options_.max_entries && !sweep_due) return;

  next_sweep_ = now + std::max(options_.ttl, absl::Seconds(1));
  for (auto it = entries_.begin(); it != entries_.end();) {
    bool expired = it->second.flight == nullptr && it->second.expires <= now;
    it = expired ? entries_.erase(it) : std::next(it);
  }
  if (entries_.size() < options_.max_entries) return;

  auto soonest = entries_.end();
  for (auto it = entries_.begin(); it != entries_.end(); ++it) {
    if (it->second.flight != nullptr) continue;
    if (soonest == entries_.end() || it->second.expires < soonest->second.expires) soonest = it;
  }
  // NOTE: when every entry is a read in flight, the cache grows past max_entries until those
  // reads finish.
  if (soonest != entries_.end()) entries_.erase(soonest);
}

QueueStatsCacheCounters QueueStatsCache::Stats() const {
  MutexLock lock(&mu_);
  QueueStatsCacheCounters counters = counters_;
  counters.entries = entries_.size();
  return counters;
}

}  // namespace krs::scaler
