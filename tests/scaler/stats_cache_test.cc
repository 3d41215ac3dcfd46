#include "common/mutex.h"
#include "common/notification.h"
#include "scaler/stats_cache.h"

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace krs::scaler {
namespace {

using ::krs::testing::IsOk;
using ::krs::testing::StatusIs;

// A source that counts reads, returns a programmable result and can hold every read until the
// test releases it.
class FakeSource : public QueueStatsSource {
 public:
  absl::StatusOr<QueueStats> Read(const QueueQuery& query, absl::Time /*deadline*/) override {
    reads_.fetch_add(1);
    started_.fetch_add(1);
    if (hold_) release_.WaitForNotification();
    MutexLock lock(&mu_);
    if (!next_status_.ok()) return next_status_;
    QueueStats stats;
    stats.messages = messages_;
    stats.messages_ready = static_cast<int64_t>(query.queue_name.size());
    return stats;
  }

  void set_messages(int64_t messages) {
    MutexLock lock(&mu_);
    messages_ = messages;
  }
  void set_status(absl::Status status) {
    MutexLock lock(&mu_);
    next_status_ = std::move(status);
  }
  void HoldReads() { hold_ = true; }
  void ReleaseReads() { release_.Notify(); }
  int reads() const { return reads_.load(); }
  int started() const { return started_.load(); }

 private:
  std::atomic<int> reads_{0};
  std::atomic<int> started_{0};
  std::atomic<bool> hold_{false};
  Notification release_;
  Mutex mu_;
  int64_t messages_ = 7;
  absl::Status next_status_;
};

// A clock the test steps by hand.
class SteppedClock {
 public:
  absl::Time Now() const {
    MutexLock lock(&mu_);
    return now_;
  }
  void Advance(absl::Duration step) {
    MutexLock lock(&mu_);
    now_ += step;
  }
  Clock AsClock() {
    return [this] { return Now(); };
  }

 private:
  mutable Mutex mu_;
  absl::Time now_ = absl::FromUnixSeconds(1'800'000'000);
};

QueueQuery MakeQuery(const std::string& queue) {
  QueueQuery query;
  query.endpoint.protocol = BrokerProtocol::kHttp;
  query.endpoint.host = "127.0.0.1";
  query.endpoint.port = 15672;
  query.endpoint.username = "guest";
  query.endpoint.password = "guest";
  query.endpoint.vhost = "/";
  query.queue_name = queue;
  return query;
}

// Waits (bounded) until `count` reads have started, so that the next calls find them in flight.
void WaitForStartedReads(const FakeSource& source, int count) {
  absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (source.started() < count && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(1));
  ASSERT_GE(source.started(), count);
}

TEST(QueueStatsCache, HitWithinTtlMissAfter) {
  auto source = std::make_shared<FakeSource>();
  SteppedClock clock;
  QueueStatsCache cache(source, {}, clock.AsClock());
  QueueQuery query = MakeQuery("jobs");
  absl::Time deadline = clock.Now() + absl::Seconds(5);

  ASSERT_THAT(cache.Read(query, deadline), IsOk());
  source->set_messages(9);
  clock.Advance(absl::Milliseconds(999));
  absl::StatusOr<QueueStats> cached = cache.Read(query, deadline);
  ASSERT_THAT(cached, IsOk());
  EXPECT_EQ(cached->messages, 7);
  EXPECT_EQ(source->reads(), 1);

  clock.Advance(absl::Milliseconds(1));
  absl::StatusOr<QueueStats> fresh = cache.Read(query, deadline + absl::Seconds(1));
  ASSERT_THAT(fresh, IsOk());
  EXPECT_EQ(fresh->messages, 9);
  EXPECT_EQ(source->reads(), 2);

  QueueStatsCacheCounters counters = cache.Stats();
  EXPECT_EQ(counters.hits, 1);
  EXPECT_EQ(counters.misses, 2);
  EXPECT_EQ(counters.coalesced_waits, 0);
  EXPECT_EQ(counters.entries, 1u);
}

TEST(QueueStatsCache, TtlOptionIsHonoured) {
  auto source = std::make_shared<FakeSource>();
  SteppedClock clock;
  QueueStatsCacheOptions options;
  options.ttl = absl::Seconds(10);
  QueueStatsCache cache(source, options, clock.AsClock());
  QueueQuery query = MakeQuery("jobs");

  ASSERT_THAT(cache.Read(query, clock.Now() + absl::Seconds(5)), IsOk());
  clock.Advance(absl::Seconds(9));
  ASSERT_THAT(cache.Read(query, clock.Now() + absl::Seconds(5)), IsOk());
  EXPECT_EQ(source->reads(), 1);
  clock.Advance(absl::Seconds(1));
  ASSERT_THAT(cache.Read(query, clock.Now() + absl::Seconds(5)), IsOk());
  EXPECT_EQ(source->reads(), 2);
}

TEST(QueueStatsCache, DifferentQueriesAreCachedApart) {
  auto source = std::make_shared<FakeSource>();
  SteppedClock clock;
  QueueStatsCache cache(source, {}, clock.AsClock());
  absl::Time deadline = clock.Now() + absl::Seconds(5);

  absl::StatusOr<QueueStats> short_name = cache.Read(MakeQuery("a"), deadline);
  absl::StatusOr<QueueStats> long_name = cache.Read(MakeQuery("abc"), deadline);
  QueueQuery other_password = MakeQuery("a");
  other_password.endpoint.password = "other";
  ASSERT_THAT(cache.Read(other_password, deadline), IsOk());

  ASSERT_THAT(short_name, IsOk());
  ASSERT_THAT(long_name, IsOk());
  EXPECT_EQ(short_name->messages_ready, 1);
  EXPECT_EQ(long_name->messages_ready, 3);
  EXPECT_EQ(source->reads(), 3);
}

TEST(QueueStatsCache, ConcurrentMissesShareOneRead) {
  constexpr int kThreads = 16;
  auto source = std::make_shared<FakeSource>();
  source->HoldReads();
  QueueStatsCache cache(source);
  QueueQuery query = MakeQuery("jobs");
  absl::Time deadline = absl::Now() + absl::Seconds(30);

  std::vector<absl::StatusOr<QueueStats>> results(kThreads);
  std::vector<std::thread> threads;
  threads.emplace_back([&] { results[0] = cache.Read(query, deadline); });
  WaitForStartedReads(*source, 1);
  for (int i = 1; i < kThreads; ++i) {
    threads.emplace_back([&, i] { results[i] = cache.Read(query, deadline); });
  }
  // Every waiter is counted before it blocks, so this loop ends once all 15 wait.
  absl::Time wait_deadline = absl::Now() + absl::Seconds(10);
  while (cache.Stats().coalesced_waits < kThreads - 1 && absl::Now() < wait_deadline) {
    absl::SleepFor(absl::Milliseconds(1));
  }
  source->ReleaseReads();
  for (std::thread& thread : threads) thread.join();

  EXPECT_EQ(source->reads(), 1);
  for (int i = 0; i < kThreads; ++i) {
    ASSERT_THAT(results[i], IsOk()) << "thread " << i;
    EXPECT_EQ(results[i]->messages, 7) << "thread " << i;
  }
  QueueStatsCacheCounters counters = cache.Stats();
  EXPECT_EQ(counters.misses, 1);
  EXPECT_EQ(counters.coalesced_waits, kThreads - 1);
}

TEST(QueueStatsCache, ErrorReachesEveryWaiter) {
  constexpr int kThreads = 8;
  auto source = std::make_shared<FakeSource>();
  source->set_status(absl::NotFoundError("no queue 'jobs'"));
  source->HoldReads();
  QueueStatsCache cache(source);
  QueueQuery query = MakeQuery("jobs");
  absl::Time deadline = absl::Now() + absl::Seconds(30);

  std::vector<absl::StatusOr<QueueStats>> results(kThreads);
  std::vector<std::thread> threads;
  threads.emplace_back([&] { results[0] = cache.Read(query, deadline); });
  WaitForStartedReads(*source, 1);
  for (int i = 1; i < kThreads; ++i) {
    threads.emplace_back([&, i] { results[i] = cache.Read(query, deadline); });
  }
  absl::Time wait_deadline = absl::Now() + absl::Seconds(10);
  while (cache.Stats().coalesced_waits < kThreads - 1 && absl::Now() < wait_deadline) {
    absl::SleepFor(absl::Milliseconds(1));
  }
  source->ReleaseReads();
  for (std::thread& thread : threads) thread.join();

  EXPECT_EQ(source->reads(), 1);
  for (int i = 0; i < kThreads; ++i) {
    EXPECT_THAT(results[i], StatusIs(absl::StatusCode::kNotFound, ::testing::HasSubstr("jobs")))
        << "thread " << i;
  }
}

TEST(QueueStatsCache, ErrorsAreNotCachedByDefault) {
  auto source = std::make_shared<FakeSource>();
  SteppedClock clock;
  QueueStatsCache cache(source, {}, clock.AsClock());
  QueueQuery query = MakeQuery("jobs");
  absl::Time deadline = clock.Now() + absl::Seconds(5);

  source->set_status(absl::UnavailableError("broker down"));
  EXPECT_THAT(cache.Read(query, deadline), StatusIs(absl::StatusCode::kUnavailable));
  source->set_status(absl::OkStatus());
  EXPECT_THAT(cache.Read(query, deadline), IsOk());
  EXPECT_EQ(source->reads(), 2);
}

TEST(QueueStatsCache, NegativeTtlCachesErrors) {
  auto source = std::make_shared<FakeSource>();
  SteppedClock clock;
  QueueStatsCacheOptions options;
  options.negative_ttl = absl::Milliseconds(500);
  QueueStatsCache cache(source, options, clock.AsClock());
  QueueQuery query = MakeQuery("jobs");
  absl::Time deadline = clock.Now() + absl::Seconds(5);

  source->set_status(absl::UnavailableError("broker down"));
  EXPECT_THAT(cache.Read(query, deadline), StatusIs(absl::StatusCode::kUnavailable));
  source->set_status(absl::OkStatus());
  clock.Advance(absl::Milliseconds(499));
  EXPECT_THAT(cache.Read(query, deadline), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(source->reads(), 1);
  clock.Advance(absl::Milliseconds(1));
  EXPECT_THAT(cache.Read(query, deadline), IsOk());
  EXPECT_EQ(source->reads(), 2);
}

TEST(QueueStatsCache, WaiterGivesUpAtItsDeadline) {
  auto source = std::make_shared<FakeSource>();
  source->HoldReads();
  QueueStatsCache cache(source);
  QueueQuery query = MakeQuery("jobs");

  absl::StatusOr<QueueStats> leader_result;
  std::thread leader([&] { leader_result = cache.Read(query, absl::Now() + absl::Seconds(30)); });
  WaitForStartedReads(*source, 1);

  absl::StatusOr<QueueStats> waiter_result =
      cache.Read(query, absl::Now() + absl::Milliseconds(50));
  EXPECT_THAT(waiter_result,
              StatusIs(absl::StatusCode::kDeadlineExceeded, ::testing::HasSubstr("in flight")));
  EXPECT_EQ(cache.Stats().waiter_timeouts, 1);

  source->ReleaseReads();
  leader.join();
  EXPECT_THAT(leader_result, IsOk());
  EXPECT_EQ(source->reads(), 1);
}

TEST(QueueStatsCache, PassedDeadlineSkipsTheRead) {
  auto source = std::make_shared<FakeSource>();
  SteppedClock clock;
  QueueStatsCache cache(source, {}, clock.AsClock());

  EXPECT_THAT(cache.Read(MakeQuery("jobs"), clock.Now()),
              StatusIs(absl::StatusCode::kDeadlineExceeded));
  EXPECT_EQ(source->reads(), 0);
}

TEST(QueueStatsCache, SizeStaysBounded) {
  auto source = std::make_shared<FakeSource>();
  SteppedClock clock;
  QueueStatsCacheOptions options;
  options.max_entries = 4;
  options.ttl = absl::Hours(1);
  QueueStatsCache cache(source, options, clock.AsClock());
  absl::Time deadline = clock.Now() + absl::Seconds(5);

  for (int i = 0; i < 20; ++i) {
    ASSERT_THAT(cache.Read(MakeQuery(absl::StrCat("queue-", i)), deadline), IsOk());
    clock.Advance(absl::Milliseconds(1));
    EXPECT_LE(cache.Stats().entries, 4u) << "after query " << i;
  }
  // The most recent entry survives eviction.
  ASSERT_THAT(cache.Read(MakeQuery("queue-19"), deadline), IsOk());
  EXPECT_EQ(cache.Stats().hits, 1);
}

TEST(QueueStatsCache, SweepRemovesExpiredEntries) {
  auto source = std::make_shared<FakeSource>();
  SteppedClock clock;
  QueueStatsCache cache(source, {}, clock.AsClock());

  for (int i = 0; i < 5; ++i) {
    ASSERT_THAT(cache.Read(MakeQuery(absl::StrCat("queue-", i)), clock.Now() + absl::Seconds(5)),
                IsOk());
  }
  EXPECT_EQ(cache.Stats().entries, 5u);
  clock.Advance(absl::Seconds(2));
  ASSERT_THAT(cache.Read(MakeQuery("other"), clock.Now() + absl::Seconds(5)), IsOk());
  EXPECT_EQ(cache.Stats().entries, 1u);
}

}  // namespace
}  // namespace krs::scaler
