#include "common/mutex.h"
#include "scaler/activity_watcher.h"

#include <memory>
#include <optional>
#include <vector>

#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "scaler/warning_limiter.h"
#include "tests/testing/broker_env.h"

namespace krs::scaler {
namespace {

using ::krs::testing::Eventually;

// Returns `messages` for every query and counts the reads.
class CountingSource : public QueueStatsSource {
 public:
  absl::StatusOr<QueueStats> Read(const QueueQuery& query, absl::Time deadline) override {
    MutexLock lock(&mutex_);
    ++reads_;
    if (!status_.ok()) return status_;
    QueueStats stats;
    stats.messages = messages_;
    stats.messages_ready = messages_;
    return stats;
  }

  void set_messages(int64_t messages) {
    MutexLock lock(&mutex_);
    messages_ = messages;
  }

  void set_status(absl::Status status) {
    MutexLock lock(&mutex_);
    status_ = std::move(status);
  }

  int reads() const {
    MutexLock lock(&mutex_);
    return reads_;
  }

 private:
  mutable Mutex mutex_;
  int64_t messages_ = 0;
  absl::Status status_;
  int reads_ = 0;
};

// Records what a listener received. Tests declare recorders before the registry, which calls
// their listeners from its watcher threads until it is destroyed.
class Recorder {
 public:
  ActivityListener Listener() {
    return [this](bool active) {
      MutexLock lock(&mutex_);
      values_.push_back(active);
    };
  }

  std::vector<bool> values() const {
    MutexLock lock(&mutex_);
    return values_;
  }

  size_t size() const { return values().size(); }

 private:
  mutable Mutex mutex_;
  std::vector<bool> values_;
};

TriggerConfig QueueLengthConfig(const std::string& queue, double activation_value = 0) {
  TriggerConfig config;
  config.query.queue_name = queue;
  config.mode = ScalingMode::kQueueLength;
  config.value = 5;
  config.activation_value = activation_value;
  return config;
}

class ActivityWatcherRegistryTest : public ::testing::Test {
 protected:
  ActivityWatcherRegistry::Options Options(absl::Duration interval) {
    ActivityWatcherRegistry::Options options;
    options.check_interval = interval;
    return options;
  }

  std::shared_ptr<CountingSource> source_ = std::make_shared<CountingSource>();
  WarningLimiter warnings_{absl::Seconds(30)};
};

TEST_F(ActivityWatcherRegistryTest, FirstCheckNotifiesSubscriber) {
  source_->set_messages(3);
  Recorder recorder;
  ActivityWatcherRegistry registry(source_, Options(absl::Hours(1)), &warnings_);

  ASSERT_TRUE(registry.Subscribe(QueueLengthConfig("orders"), recorder.Listener()).has_value());

  ASSERT_TRUE(Eventually([&] { return recorder.size() == 1; }));
  EXPECT_EQ(recorder.values(), std::vector<bool>{true});
}

TEST_F(ActivityWatcherRegistryTest, LateSubscriberGetsCurrentStateWithoutRead) {
  source_->set_messages(3);
  Recorder first;
  Recorder second;
  ActivityWatcherRegistry registry(source_, Options(absl::Hours(1)), &warnings_);
  registry.Subscribe(QueueLengthConfig("orders"), first.Listener());
  ASSERT_TRUE(Eventually([&] { return first.size() == 1; }));

  registry.Subscribe(QueueLengthConfig("orders"), second.Listener());

  EXPECT_EQ(second.values(), std::vector<bool>{true});  // delivered inside Subscribe()
  EXPECT_EQ(source_->reads(), 1);
  EXPECT_EQ(registry.watcher_count(), 1u);
  EXPECT_EQ(registry.subscriber_count(), 2u);
}

TEST_F(ActivityWatcherRegistryTest, EachSubscriberUsesItsOwnActivationValue) {
  source_->set_messages(5);
  Recorder low;
  Recorder high;
  ActivityWatcherRegistry registry(source_, Options(absl::Hours(1)), &warnings_);

  registry.Subscribe(QueueLengthConfig("orders", 0), low.Listener());
  registry.Subscribe(QueueLengthConfig("orders", 10), high.Listener());

  ASSERT_TRUE(Eventually([&] { return low.size() == 1; }));
  ASSERT_TRUE(Eventually([&] { return high.size() == 1; }));
  EXPECT_EQ(low.values(), std::vector<bool>{true});    // 5 > 0
  EXPECT_EQ(high.values(), std::vector<bool>{false});  // 5 > 10 is false
  EXPECT_EQ(registry.watcher_count(), 1u);
}

TEST_F(ActivityWatcherRegistryTest, FailedReadsNotifyNobody) {
  source_->set_status(absl::UnavailableError("connection refused"));
  Recorder recorder;
  ActivityWatcherRegistry registry(source_, Options(absl::Milliseconds(5)), &warnings_);
  registry.Subscribe(QueueLengthConfig("orders"), recorder.Listener());

  ASSERT_TRUE(Eventually([&] { return source_->reads() >= 5; }));
  EXPECT_EQ(recorder.size(), 0u);

  source_->set_status(absl::OkStatus());
  EXPECT_TRUE(Eventually([&] { return recorder.size() > 0; }));
}

TEST_F(ActivityWatcherRegistryTest, UnsubscribedListenerIsNotCalledAgain) {
  Recorder leaving;
  Recorder staying;
  ActivityWatcherRegistry registry(source_, Options(absl::Milliseconds(5)), &warnings_);
  std::optional<uint64_t> leaving_id =
      registry.Subscribe(QueueLengthConfig("orders"), leaving.Listener());
  registry.Subscribe(QueueLengthConfig("orders"), staying.Listener());
  ASSERT_TRUE(Eventually([&] { return leaving.size() >= 2; }));

  registry.Unsubscribe(*leaving_id);
  size_t calls_at_unsubscribe = leaving.size();
  size_t staying_calls = staying.size();
  ASSERT_TRUE(Eventually([&] { return staying.size() >= staying_calls + 3; }));

  EXPECT_EQ(leaving.size(), calls_at_unsubscribe);
}

TEST_F(ActivityWatcherRegistryTest, LastUnsubscribeStopsWatcher) {
  Recorder recorder;
  ActivityWatcherRegistry registry(source_, Options(absl::Milliseconds(5)), &warnings_);
  std::optional<uint64_t> id = registry.Subscribe(QueueLengthConfig("orders"), recorder.Listener());
  ASSERT_TRUE(Eventually([&] { return recorder.size() >= 1; }));
  EXPECT_EQ(registry.watcher_count(), 1u);

  registry.Unsubscribe(*id);

  EXPECT_EQ(registry.watcher_count(), 0u);
  EXPECT_EQ(registry.subscriber_count(), 0u);
  // The stopped watcher's thread ends; reads stop growing.
  int reads = 0;
  ASSERT_TRUE(Eventually([&] {
    int now = source_->reads();
    bool stable = now == reads;
    reads = now;
    return stable;
  }, absl::Seconds(5), absl::Milliseconds(50)));
}

TEST_F(ActivityWatcherRegistryTest, DifferentQueuesGetDifferentWatchers) {
  Recorder orders;
  Recorder invoices;
  ActivityWatcherRegistry registry(source_, Options(absl::Hours(1)), &warnings_);

  registry.Subscribe(QueueLengthConfig("orders"), orders.Listener());
  registry.Subscribe(QueueLengthConfig("invoices"), invoices.Listener());

  EXPECT_EQ(registry.watcher_count(), 2u);
  ASSERT_TRUE(Eventually([&] { return source_->reads() == 2; }));
}

TEST_F(ActivityWatcherRegistryTest, SubscribeAfterShutdownFails) {
  Recorder recorder;
  ActivityWatcherRegistry registry(source_, Options(absl::Hours(1)), &warnings_);
  registry.Subscribe(QueueLengthConfig("orders"), recorder.Listener());

  registry.Shutdown();

  EXPECT_EQ(registry.watcher_count(), 0u);
  EXPECT_FALSE(registry.Subscribe(QueueLengthConfig("orders"), recorder.Listener()).has_value());
}

}  // namespace
}  // namespace krs::scaler
