// CallRecorder: background threads that keep calling GetMetrics and IsActive for a set of
// ScaledObjectRefs, as KEDA would under load, and record every call's times and status.
#ifndef KRS_TESTS_FAULTS_CALL_RECORDER_H_
#define KRS_TESTS_FAULTS_CALL_RECORDER_H_

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/time/time.h"
#include "common/mutex.h"
#include "externalscaler.grpc.pb.h"
#include "grpcpp/grpcpp.h"

namespace krs::testing {

struct CallRecord {
  std::string trigger;  // the ScaledObjectRef's name
  absl::Time start;
  absl::Time end;
  grpc::StatusCode code = grpc::StatusCode::OK;
  std::string message;
};

class CallRecorder {
 public:
  // One thread per ref calls GetMetrics then IsActive, each with `call_deadline`, and pauses
  // `pause` between pairs.
  CallRecorder(const std::string& address, std::vector<externalscaler::ScaledObjectRef> refs,
               absl::Duration call_deadline, absl::Duration pause);
  // Stops and joins the threads.
  ~CallRecorder();

  void Stop();
  std::vector<CallRecord> records() const;

 private:
  void Run(externalscaler::ScaledObjectRef ref);
  void Record(CallRecord record);

  std::unique_ptr<externalscaler::ExternalScaler::Stub> stub_;
  absl::Duration call_deadline_;
  absl::Duration pause_;
  std::atomic<bool> stopping_{false};
  std::vector<std::thread> threads_;

  mutable Mutex mu_;
  std::vector<CallRecord> records_ ABSL_GUARDED_BY(mu_);
};

}  // namespace krs::testing

#endif  // KRS_TESTS_FAULTS_CALL_RECORDER_H_
