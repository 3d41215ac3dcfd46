#include "common/mutex.h"

#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/notification.h"
#include "gtest/gtest.h"

namespace krs {
namespace {

TEST(Mutex, ExcludesConcurrentWriters) {
  Mutex mutex;
  int counter = 0;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 20000; ++i) {
        MutexLock lock(&mutex);
        ++counter;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();

  MutexLock lock(&mutex);
  EXPECT_EQ(counter, 80000);
}

TEST(Mutex, AwaitWakesOnConditionChange) {
  Mutex mutex;
  bool ready = false;
  std::thread setter([&] {
    absl::SleepFor(absl::Milliseconds(20));
    MutexLock lock(&mutex);
    ready = true;
  });

  {
    MutexLock lock(&mutex);
    mutex.Await([&ready] { return ready; });
    EXPECT_TRUE(ready);
  }
  setter.join();
}

TEST(Mutex, AwaitWithTimeoutExpires) {
  Mutex mutex;
  MutexLock lock(&mutex);
  absl::Time start = absl::Now();

  EXPECT_FALSE(mutex.AwaitWithTimeout([] { return false; }, absl::Milliseconds(30)));
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(30));
}

TEST(Mutex, AwaitWithTimeoutWakesOnChange) {
  Mutex mutex;
  int value = 0;
  std::thread setter([&] {
    absl::SleepFor(absl::Milliseconds(20));
    MutexLock lock(&mutex);
    value = 7;
  });

  {
    MutexLock lock(&mutex);
    EXPECT_TRUE(mutex.AwaitWithTimeout([&value] { return value == 7; }, absl::Seconds(30)));
  }
  setter.join();
}

// A thread that changes state and then waits in the same critical section releases the lock
// inside the wait, and the threads waiting for that change must wake as after Unlock().
TEST(Mutex, AwaitWakesWaitersOfEarlierChanges) {
  Mutex mutex;
  bool request = false;
  bool reply = false;
  std::thread responder([&] {
    MutexLock lock(&mutex);
    mutex.AwaitWithTimeout([&request] { return request; }, absl::Seconds(60));
    reply = true;
  });
  absl::SleepFor(absl::Milliseconds(50));  // lets the responder block first, most of the time

  {
    MutexLock lock(&mutex);
    request = true;
    EXPECT_TRUE(mutex.AwaitWithTimeout([&reply] { return reply; }, absl::Seconds(10)));
  }
  responder.join();
}

// Extreme timeouts must not overflow the deadline, and a true condition returns at once.
TEST(Mutex, AwaitWithTimeoutHandlesExtremeTimeouts) {
  struct Case {
    absl::Duration timeout;
    bool condition;
  };
  const Case cases[] = {
      {absl::InfiniteDuration(), true},   {-absl::InfiniteDuration(), false},
      {absl::Seconds(-5), false},         {absl::ZeroDuration(), false},
      {absl::Hours(1e9), true},
  };
  Mutex mutex;
  for (const Case& c : cases) {
    MutexLock lock(&mutex);
    EXPECT_EQ(mutex.AwaitWithTimeout([&c] { return c.condition; }, c.timeout), c.condition)
        << absl::FormatDuration(c.timeout);
  }
}

TEST(Notification, WaitsUntilNotified) {
  Notification notification;
  EXPECT_FALSE(notification.HasBeenNotified());
  EXPECT_FALSE(notification.WaitForNotificationWithTimeout(absl::Milliseconds(10)));

  std::thread notifier([&] {
    absl::SleepFor(absl::Milliseconds(20));
    notification.Notify();
  });
  notification.WaitForNotification();
  notifier.join();

  EXPECT_TRUE(notification.HasBeenNotified());
  EXPECT_TRUE(notification.WaitForNotificationWithTimeout(absl::ZeroDuration()));
}

}  // namespace
}  // namespace krs
