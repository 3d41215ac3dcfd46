// The project's mutex: the part of absl::Mutex's interface this code uses (scoped locking and
// waiting for a condition), built on std::mutex and std::condition_variable.
//
// Why not absl::Mutex: Debian's Abseil is not compiled with ThreadSanitizer, and absl::Mutex
// synchronizes through its own futex code, which TSan cannot see. TSan does intercept the
// pthread calls under std::mutex, so it tracks the order this class imposes. The Abseil
// thread-safety annotations are kept, so clang's -Wthread-safety can still check
// ABSL_GUARDED_BY fields.
#ifndef KRS_COMMON_MUTEX_H_
#define KRS_COMMON_MUTEX_H_

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>

#include "absl/base/thread_annotations.h"
#include "absl/functional/function_ref.h"
#include "absl/time/time.h"

namespace krs {

// A non-recursive exclusive lock. As with absl::Mutex, every Unlock() wakes the threads blocked
// in Await() so that they check their condition again. A condition must therefore read only
// state that is changed under this mutex.
class ABSL_LOCKABLE Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void Lock() ABSL_EXCLUSIVE_LOCK_FUNCTION() { mutex_.lock(); }

  // Notifies before releasing: a woken waiter cannot return, and perhaps destroy the mutex,
  // until the unlock, so the notification never touches a destroyed condition variable.
  void Unlock() ABSL_UNLOCK_FUNCTION() {
    changed_.notify_all();
    mutex_.unlock();
  }

  // Releases the lock until `condition` holds, then returns with the lock held again.
  void Await(absl::FunctionRef<bool()> condition) ABSL_EXCLUSIVE_LOCKS_REQUIRED(this) {
    if (condition()) return;

    std::unique_lock<std::mutex> lock(mutex_, std::adopt_lock);
    WakeOthersBeforeWaiting();
    changed_.wait(lock, [&] { return condition(); });
    lock.release();
  }

  // Like Await, but gives up after `timeout`. Returns whether `condition` holds, and the lock is
  // held again either way.
  bool AwaitWithTimeout(absl::FunctionRef<bool()> condition, absl::Duration timeout)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(this) {
    if (condition()) return true;

    std::unique_lock<std::mutex> lock(mutex_, std::adopt_lock);
    WakeOthersBeforeWaiting();
    const bool satisfied =
        changed_.wait_until(lock, DeadlineAfter(timeout), [&] { return condition(); });
    lock.release();
    return satisfied;
  }

 private:
  // A wait releases the lock without notifying anyone. This wakes the other waiters as Unlock()
  // would, because the caller may have changed their conditions in this critical section.
  void WakeOthersBeforeWaiting() { changed_.notify_all(); }

  // Converts a timeout to a steady-clock deadline. Negative timeouts mean now, and very long
  // ones are capped at about a century so that the addition cannot overflow.
  static std::chrono::steady_clock::time_point DeadlineAfter(absl::Duration timeout) {
    const absl::Duration capped =
        std::clamp(timeout, absl::ZeroDuration(), absl::Hours(24 * 36500));
    return std::chrono::steady_clock::now() + absl::ToChronoNanoseconds(capped);
  }

  std::mutex mutex_;
  std::condition_variable changed_;
};

// Holds a Mutex for the lifetime of the object.
class ABSL_SCOPED_LOCKABLE MutexLock {
 public:
  explicit MutexLock(Mutex* mutex) ABSL_EXCLUSIVE_LOCK_FUNCTION(mutex) : mutex_(mutex) {
    mutex_->Lock();
  }
  ~MutexLock() ABSL_UNLOCK_FUNCTION() { mutex_->Unlock(); }

  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  Mutex* const mutex_;
};

}  // namespace krs

#endif  // KRS_COMMON_MUTEX_H_
