// QueueStatsCache: a QueueStatsSource decorator that caches results for a short TTL and
// coalesces concurrent reads of the same query into one read of the wrapped source.
//
// KEDA calls GetMetrics and IsActive for every trigger on every polling interval, and several
// ScaledObjects may watch the same queue; the cache turns those calls into one broker read per
// query and TTL.
#ifndef KRS_SCALER_STATS_CACHE_H_
#define KRS_SCALER_STATS_CACHE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "common/mutex.h"
#include "scaler/queue_stats.h"

namespace krs::scaler {

struct QueueStatsCacheOptions {
  // How long a successful read is served from the cache.
  absl::Duration ttl = absl::Seconds(1);
  // How long a failed read is served from the cache. Zero caches errors only while the read is
  // in flight: callers that arrive after it failed start a new read.
  absl::Duration negative_ttl = absl::ZeroDuration();
  // Entries kept at most. When an insert finds the cache full, expired entries are removed
  // first, then the entry that expires soonest. Reads in flight are never removed. Inserts
  // also sweep expired entries once per TTL.
  size_t max_entries = 10000;
};

// Counters since construction.
struct QueueStatsCacheCounters {
  int64_t hits = 0;             // served from a cached result
  int64_t misses = 0;           // reads of the wrapped source
  int64_t coalesced_waits = 0;  // calls that waited for another caller's read
  int64_t waiter_timeouts = 0;  // waits that ended at the caller's deadline
  size_t entries = 0;           // current entries, including reads in flight
};

class QueueStatsCache : public QueueStatsSource {
 public:
  // `clock` decides expiry and deadlines. Waiting for a read in flight blocks for the real time
  // between the clock's now and the deadline.
  explicit QueueStatsCache(std::shared_ptr<QueueStatsSource> source,
                           QueueStatsCacheOptions options = {}, Clock clock = SystemClock());

  // Returns the cached result for query.CacheKey() if it has not expired. Otherwise the first
  // caller reads the wrapped source with its own deadline and later callers with the same key
  // wait for that read and get the same result or error. A waiter whose deadline passes first
  // gets DEADLINE_EXCEEDED; the read goes on for the others.
  absl::StatusOr<QueueStats> Read(const QueueQuery& query, absl::Time deadline) override;

  QueueStatsCacheCounters Stats() const;

 private:
  // One read of the wrapped source that callers can wait for.
  struct Flight {
    bool done = false;
    absl::StatusOr<QueueStats> result;
  };

  struct Entry {
    std::optional<absl::StatusOr<QueueStats>> result;  // set once the read finished
    absl::Time expires = absl::InfinitePast();
    std::shared_ptr<Flight> flight;                     // set while the read is in flight
  };

  // Takes `flight` by value: FinishFlight clears the entry's pointer while waiters still wait.
  absl::StatusOr<QueueStats> WaitForFlight(std::shared_ptr<Flight> flight,
                                           absl::Time deadline)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void FinishFlight(const std::string& key, const std::shared_ptr<Flight>& flight,
                    const absl::StatusOr<QueueStats>& result);
  void MakeRoom(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  std::shared_ptr<QueueStatsSource> source_;
  QueueStatsCacheOptions options_;
  Clock clock_;

  mutable Mutex mu_;
  std::unordered_map<std::string, Entry> entries_ ABSL_GUARDED_BY(mu_);
  QueueStatsCacheCounters counters_ ABSL_GUARDED_BY(mu_);
  absl::Time next_sweep_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
};

}  // namespace krs::scaler

#endif  // KRS_SCALER_STATS_CACHE_H_
