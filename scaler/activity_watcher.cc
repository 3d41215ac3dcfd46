#include "scaler/activity_watcher.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/logger.h"
#include "common/url.h"
#include "scaler/metric.h"

namespace krs::scaler {

ActivityWatcher::ActivityWatcher(QueueQuery query, std::shared_ptr<QueueStatsSource> source,
                                 absl::Duration check_interval, absl::Duration read_timeout,
                                 WarningLimiter* warnings, Clock clock)
    : query_(std::move(query)),
      source_(std::move(source)),
      check_interval_(check_interval),
      read_timeout_(read_timeout),
      warnings_(warnings),
      clock_(std::move(clock)) {}

ActivityWatcher::~ActivityWatcher() {
  Stop();
  Join();
}

void ActivityWatcher::Start() { thread_ = std::thread([this] { Run(); }); }

void ActivityWatcher::Add(uint64_t id, TriggerConfig config, ActivityListener listener) {
  MutexLock lock(&mutex_);
  if (last_stats_.has_value()) listener(ComputeMetric(*last_stats_, config).active);
  subscribers_.emplace(id, Subscriber{std::move(config), std::move(listener)});
}

size_t ActivityWatcher::Remove(uint64_t id) {
  MutexLock lock(&mutex_);
  subscribers_.erase(id);
  return subscribers_.size();
}

void ActivityWatcher::Stop() {
  MutexLock lock(&mutex_);
  stop_requested_ = true;
}

bool ActivityWatcher::finished() const {
  MutexLock lock(&mutex_);
  return finished_;
}

void ActivityWatcher::Join() {
  if (thread_.joinable()) thread_.join();
}

void ActivityWatcher::Run() {
  while (true) {
    absl::StatusOr<QueueStats> stats = source_->Read(query_, clock_() + read_timeout_);
    if (!stats.ok()) LogReadError(stats.status());

    MutexLock lock(&mutex_);
    if (stats.ok() && !stop_requested_) {
      last_stats_ = *stats;
      NotifyLocked(*stats);
    }

    // Sleeps for one interval unless Stop() comes first.
    mutex_.AwaitWithTimeout(
        [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) { return stop_requested_; },
        check_interval_);
    if (stop_requested_) {
      finished_ = true;
      return;
    }
  }
}

void ActivityWatcher::NotifyLocked(const QueueStats& stats) {
  for (auto& [id, subscriber] : subscribers_) {
    subscriber.listener(ComputeMetric(stats, subscriber.config).active);
  }
}

void ActivityWatcher::LogReadError(const absl::Status& status) {
  std::string endpoint = query_.endpoint.Redacted();
  std::string key = absl::StrCat("stream-read|", endpoint, "|", query_.queue_name, "|",
                                 absl::StatusCodeToString(status.code()));
  std::optional<int64_t> suppressed = warnings_->Admit(key);
  if (!suppressed.has_value()) return;

  Log(LogLevel::kWarning, "queue stats read failed; StreamIsActive sends nothing until it succeeds",
      {{"queue", query_.queue_name},
       {"endpoint", endpoint},
       {"code", absl::StatusCodeToString(status.code())},
       {"error", RedactUrl(status.message())},
       {"suppressed", *suppressed}});
}

ActivityWatcherRegistry::ActivityWatcherRegistry(std::shared_ptr<QueueStatsSource> source,
                                                 Options options, WarningLimiter* warnings,
                                                 Clock clock)
    : source_(std::move(source)),
      options_(options),
      warnings_(warnings),
      clock_(std::move(clock)) {}

ActivityWatcherRegistry::~ActivityWatcherRegistry() { Shutdown(); }

std::optional<uint64_t> ActivityWatcherRegistry::Subscribe(const TriggerConfig& config,
                                                           ActivityListener listener) {
  MutexLock lock(&mutex_);
  if (shut_down_) return std::nullopt;
  JoinFinishedLocked();

  std::string key = config.query.CacheKey();
  std::shared_ptr<ActivityWatcher>& watcher = watchers_[key];
  if (watcher == nullptr) {
    absl::Duration timeout =
        config.timeout > absl::ZeroDuration() ? config.timeout : options_.default_timeout;
    watcher = std::make_shared<ActivityWatcher>(config.query, source_, options_.check_interval,
                                                timeout, warnings_, clock_);
    watcher->Start();
    Log(LogLevel::kDebug, "activity watcher started",
        {{"queue", config.query.queue_name}, {"endpoint", config.query.endpoint.Redacted()}});
  }

  uint64_t id = next_id_++;
  watcher->Add(id, config, std::move(listener));
  subscriptions_.emplace(id, key);
  return id;
}

void ActivityWatcherRegistry::Unsubscribe(uint64_t id) {
  MutexLock lock(&mutex_);
  auto subscription = subscriptions_.find(id);
  if (subscription == subscriptions_.end()) return;
  std::string key = subscription->second;
  subscriptions_.erase(subscription);

  auto it = watchers_.find(key);
  if (it == watchers_.end()) return;
  if (it->second->Remove(id) > 0) return;

  // The last subscriber left: the thread exits after its current read, and a later
  // Subscribe() or Shutdown() joins it.
  it->second->Stop();
  Log(LogLevel::kDebug, "activity watcher stopped",
      {{"queue", it->second->query().queue_name},
       {"endpoint", it->second->query().endpoint.Redacted()}});
  stopping_.push_back(std::move(it->second));
  watchers_.erase(it);
}

void ActivityWatcherRegistry::Shutdown() {
  std::vector<std::shared_ptr<ActivityWatcher>> to_join;
  {
    MutexLock lock(&mutex_);
    shut_down_ = true;
    for (auto& [key, watcher] : watchers_) {
      watcher->Stop();
      to_join.push_back(std::move(watcher));
    }
    watchers_.clear();
    subscriptions_.clear();
    for (auto& watcher : stopping_) to_join.push_back(std::move(watcher));
    stopping_.clear();
  }

  // Joined without the lock: a thread may be in a broker read for up to its timeout.
  for (auto& watcher : to_join) watcher->Join();
}

size_t ActivityWatcherRegistry::watcher_count() const {
  MutexLock lock(&mutex_);
  return watchers_.size();
}

size_t ActivityWatcherRegistry::subscriber_count() const {
  MutexLock lock(&mutex_);
  return subscriptions_.size();
}

void ActivityWatcherRegistry::JoinFinishedLocked() {
  std::vector<std::shared_ptr<ActivityWatcher>> still_stopping;
  for (auto& watcher : stopping_) {
    if (watcher->finished()) {
      watcher->Join();
    } else {
      still_stopping.push_back(std::move(watcher));
    }
  }
  stopping_ = std::move(still_stopping);
}

}  // namespace krs::scaler
