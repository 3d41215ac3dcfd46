// A one-shot event that threads can wait for. It has the part of absl::Notification's interface
// this code uses and is built on krs::Mutex, which ThreadSanitizer can check (see common/mutex.h).
#ifndef KRS_COMMON_NOTIFICATION_H_
#define KRS_COMMON_NOTIFICATION_H_

#include "absl/base/thread_annotations.h"
#include "absl/time/time.h"
#include "common/mutex.h"

namespace krs {

class Notification {
 public:
  Notification() = default;
  Notification(const Notification&) = delete;
  Notification& operator=(const Notification&) = delete;

  // Wakes every waiter, now and later. Calling it more than once is harmless.
  void Notify() {
    MutexLock lock(&mutex_);
    notified_ = true;
  }

  bool HasBeenNotified() const {
    MutexLock lock(&mutex_);
    return notified_;
  }

  void WaitForNotification() const {
    MutexLock lock(&mutex_);
    mutex_.Await([this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) { return notified_; });
  }

  // Returns whether Notify() was called before `timeout` passed.
  bool WaitForNotificationWithTimeout(absl::Duration timeout) const {
    MutexLock lock(&mutex_);
    return mutex_.AwaitWithTimeout(
        [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) { return notified_; }, timeout);
  }

 private:
  mutable Mutex mutex_;
  bool notified_ ABSL_GUARDED_BY(mutex_) = false;
};

}  // namespace krs

#endif  // KRS_COMMON_NOTIFICATION_H_
