#include "scaler/stream_set.h"

namespace krs::scaler {

bool StreamSet::Add(EndableStream* stream) {
  MutexLock lock(&mutex_);
  if (closed_) return false;
  streams_.insert(stream);
  return true;
}

void StreamSet::Remove(EndableStream* stream) {
  MutexLock lock(&mutex_);
  streams_.erase(stream);
}

void StreamSet::EndAll(const grpc::Status& status) {
  // The lock stays held while the streams end: a stream deletes itself only after Remove(),
  // which waits for it.
  MutexLock lock(&mutex_);
  closed_ = true;
  for (EndableStream* stream : streams_) stream->End(status);
}

size_t StreamSet::size() const {
  MutexLock lock(&mutex_);
  return streams_.size();
}

}  // namespace krs::scaler
