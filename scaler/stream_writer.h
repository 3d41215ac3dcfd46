// StreamWriter: a server-streaming reactor (gRPC callback API) that queues responses and
// writes them one at a time. It finishes the stream exactly once, on the first of: a client
// cancel, a failed write, or End() from the server (shutdown, invalid request).
//
// The callback API keeps an open stream off the thread pool: a stream that waits for the next
// change holds no thread.
#ifndef KRS_SCALER_STREAM_WRITER_H_
#define KRS_SCALER_STREAM_WRITER_H_

#include <deque>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "grpcpp/grpcpp.h"

#include "common/mutex.h"

namespace krs::scaler {

// A stream that the server can end, e.g. on shutdown.
class EndableStream {
 public:
  virtual ~EndableStream() = default;

  // Finishes the stream with `status` after the write in flight. Thread-safe; calls after the
  // first are ignored.
  virtual void End(grpc::Status status) = 0;
};

template <typename Response>
class StreamWriter : public grpc::ServerWriteReactor<Response>, public EndableStream {
 public:
  // Queues `response` for writing. Dropped once the stream is ending. Thread-safe.
  void Send(Response response) {
    {
      MutexLock lock(&mutex_);
      if (ending_) return;
      queue_.push_back(std::move(response));
      if (!StartNextWriteLocked()) return;
    }
    this->StartWrite(&in_flight_);
  }

  void End(grpc::Status status) override {
    {
      MutexLock lock(&mutex_);
      if (ending_) return;
      ending_ = true;
      status_ = std::move(status);
      queue_.clear();
    }

    // Runs without the lock: OnEnding() may wait for other threads that call Send().
    OnEnding();

    grpc::Status final_status;
    {
      MutexLock lock(&mutex_);
      ending_hooks_done_ = true;
      if (writing_ || finished_) return;  // OnWriteDone() finishes the stream
      finished_ = true;
      final_status = status_;
    }
    this->Finish(final_status);
  }

  void OnCancel() override { End(grpc::Status::CANCELLED); }

  void OnWriteDone(bool ok) override {
    enum class Next { kNothing, kWrite, kFinish, kEnd };
    Next next = Next::kNothing;
    grpc::Status final_status;
    {
      MutexLock lock(&mutex_);
      writing_ = false;
      if (ending_) {
        // When End() is still in OnEnding(), End() finishes the stream itself.
        if (ending_hooks_done_ && !finished_) {
          finished_ = true;
          final_status = status_;
          next = Next::kFinish;
        }
      } else if (!ok) {
        next = Next::kEnd;
      } else if (StartNextWriteLocked()) {
        next = Next::kWrite;
      }
    }

    switch (next) {
      case Next::kNothing:
        return;
      case Next::kWrite:
        this->StartWrite(&in_flight_);
        return;
      case Next::kFinish:
        this->Finish(final_status);
        return;
      case Next::kEnd:
        End(grpc::Status(grpc::StatusCode::CANCELLED, "write failed: the client went away"));
        return;
    }
  }

  void OnDone() override {
    OnStreamDone();
    delete this;
  }

 protected:
  // Runs once when the stream starts ending, before it finishes. Unsubscribe here so that
  // nothing calls Send() on a finished stream.
  virtual void OnEnding() {}

  // Runs last, right before the reactor deletes itself.
  virtual void OnStreamDone() {}

 private:
  // Moves the next queued response into the write buffer. Returns false when a write is in
  // flight or nothing is queued.
  bool StartNextWriteLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) {
    if (writing_ || queue_.empty()) return false;
    in_flight_ = std::move(queue_.front());
    queue_.pop_front();
    writing_ = true;
    return true;
  }

  Mutex mutex_;
  std::deque<Response> queue_ ABSL_GUARDED_BY(mutex_);
  Response in_flight_;  // written by StartWrite(); untouched until OnWriteDone()
  bool writing_ ABSL_GUARDED_BY(mutex_) = false;
  bool ending_ ABSL_GUARDED_BY(mutex_) = false;
  bool ending_hooks_done_ ABSL_GUARDED_BY(mutex_) = false;
  bool finished_ ABSL_GUARDED_BY(mutex_) = false;
  grpc::Status status_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace krs::scaler

#endif  // KRS_SCALER_STREAM_WRITER_H_
