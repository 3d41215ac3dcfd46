// StreamSet: the open server streams, so that shutdown can end them all.
#ifndef KRS_SCALER_STREAM_SET_H_
#define KRS_SCALER_STREAM_SET_H_

#include <cstddef>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "grpcpp/support/status.h"
#include "common/mutex.h"
#include "scaler/stream_writer.h"

namespace krs::scaler {

class StreamSet {
 public:
  // Adds `stream`. Returns false once EndAll() has run: the caller ends the stream itself.
  bool Add(EndableStream* stream);

  // Removes `stream`; call it before the stream is deleted. Waits while EndAll() runs, so that
  // EndAll() never touches a deleted stream.
  void Remove(EndableStream* stream);

  // Ends every stream with `status` and makes later Add() calls fail. A stream's End() must
  // not call Add() or Remove() on this set.
  void EndAll(const grpc::Status& status);

  size_t size() const;

 private:
  mutable Mutex mutex_;
  bool closed_ ABSL_GUARDED_BY(mutex_) = false;
  absl::flat_hash_set<EndableStream*> streams_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace krs::scaler

#endif  // KRS_SCALER_STREAM_SET_H_
