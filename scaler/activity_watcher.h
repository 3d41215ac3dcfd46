// ActivityWatcher: checks one queue every interval and reports to each subscribed stream
// whether its trigger is active. All StreamIsActive streams on the same query share one watcher, so
// they cost one broker read per check, however many there are.
//
// ActivityWatcherRegistry maps queries to watchers: it starts a watcher for the first
// subscriber of a query and stops it when the last one leaves.
#ifndef KRS_SCALER_ACTIVITY_WATCHER_H_
#define KRS_SCALER_ACTIVITY_WATCHER_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "common/mutex.h"
#include "scaler/queue_stats.h"
#include "scaler/trigger_metadata.h"
#include "scaler/warning_limiter.h"

namespace krs::scaler {

// Receives the activity of one trigger after every successful check. It runs on the watcher's
// thread (or inside Add() for the first value), one call at a time, with the watcher's lock
// held: it must be quick and must not call back into the watcher or its registry.
using ActivityListener = std::function<void(bool active)>;

class ActivityWatcher {
 public:
  // `read_timeout` bounds each broker read. `warnings` must outlive the watcher.
  ActivityWatcher(QueueQuery query, std::shared_ptr<QueueStatsSource> source,
                  absl::Duration check_interval, absl::Duration read_timeout,
                  WarningLimiter* warnings, Clock clock = SystemClock());

  // Stops the thread and waits for it.
  ~ActivityWatcher();

  ActivityWatcher(const ActivityWatcher&) = delete;
  ActivityWatcher& operator=(const ActivityWatcher&) = delete;

  // Starts the checking thread; the first check runs at once.
  void Start();

  // Adds a subscriber. When a check has already succeeded, `listener` gets the activity from
  // those stats at once, so a new stream learns the current state without a broker read.
  void Add(uint64_t id, TriggerConfig config, ActivityListener listener);

  // Removes a subscriber and returns how many are left. After it returns, the listener of `id`
  // is never called again.
  size_t Remove(uint64_t id);

  // Asks the thread to stop after the read in progress; returns at once.
  void Stop();

  // True once the thread has exited (Join() then returns at once).
  bool finished() const;

  // Waits for the thread to exit.
  void Join();

  const QueueQuery& query() const { return query_; }

 private:
  struct Subscriber {
    TriggerConfig config;
    ActivityListener listener;
  };

  void Run();
  void NotifyLocked(const QueueStats& stats) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  void LogReadError(const absl::Status& status);

  const QueueQuery query_;
  const std::shared_ptr<QueueStatsSource> source_;
  const absl::Duration check_interval_;
  const absl::Duration read_timeout_;
  WarningLimiter* const warnings_;
  const Clock clock_;

  mutable Mutex mutex_;
  bool stop_requested_ ABSL_GUARDED_BY(mutex_) = false;
  bool finished_ ABSL_GUARDED_BY(mutex_) = false;
  std::optional<QueueStats> last_stats_ ABSL_GUARDED_BY(mutex_);
  std::map<uint64_t, Subscriber> subscribers_ ABSL_GUARDED_BY(mutex_);
  std::thread thread_;
};

class ActivityWatcherRegistry {
 public:
  struct Options {
    absl::Duration check_interval = absl::Seconds(1);
    // Read timeout for triggers without their own (AMQP triggers, http without `timeout`).
    absl::Duration default_timeout = absl::Seconds(3);
  };

  // `warnings` must outlive the registry.
  ActivityWatcherRegistry(std::shared_ptr<QueueStatsSource> source, Options options,
                          WarningLimiter* warnings, Clock clock = SystemClock());

  // Calls Shutdown().
  ~ActivityWatcherRegistry();

  // Subscribes `listener` to the activity of `config`, starting a watcher for config.query
  // unless one is running. Returns the id for Unsubscribe(), or std::nullopt after Shutdown().
  std::optional<uint64_t> Subscribe(const TriggerConfig& config, ActivityListener listener);

  // Removes the subscriber; the watcher stops when it was the last one. Unknown ids are
  // ignored. Does not wait for the watcher's broker read to end.
  void Unsubscribe(uint64_t id);

  // Stops every watcher and waits for their threads. Later Subscribe() calls fail.
  void Shutdown();

  // Running watchers (one per distinct query) and subscribers, for tests and logs.
  size_t watcher_count() const;
  size_t subscriber_count() const;

 private:
  void JoinFinishedLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);

  const std::shared_ptr<QueueStatsSource> source_;
  const Options options_;
  WarningLimiter* const warnings_;
  const Clock clock_;

  mutable Mutex mutex_;
  bool shut_down_ ABSL_GUARDED_BY(mutex_) = false;
  uint64_t next_id_ ABSL_GUARDED_BY(mutex_) = 1;
  // Query cache key -> its watcher.
  std::map<std::string, std::shared_ptr<ActivityWatcher>> watchers_ ABSL_GUARDED_BY(mutex_);
  // Subscriber id -> query cache key.
  std::map<uint64_t, std::string> subscriptions_ ABSL_GUARDED_BY(mutex_);
  // Stopped watchers whose thread may still be in a broker read. Joined once finished.
  std::vector<std::shared_ptr<ActivityWatcher>> stopping_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace krs::scaler

#endif  // KRS_SCALER_ACTIVITY_WATCHER_H_
