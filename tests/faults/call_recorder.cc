#include "tests/faults/call_recorder.h"

#include <chrono>
#include <utility>

#include "absl/time/clock.h"

namespace krs::testing {

CallRecorder::CallRecorder(const std::string& address,
                           std::vector<externalscaler::ScaledObjectRef> refs,
                           absl::Duration call_deadline, absl::Duration pause)
    : stub_(externalscaler::ExternalScaler::NewStub(
          grpc::CreateChannel(address, grpc::InsecureChannelCredentials()))),
      call_deadline_(call_deadline),
      pause_(pause) {
  for (externalscaler::ScaledObjectRef& ref : refs) {
    threads_.emplace_back([this, ref = std::move(ref)] { Run(ref); });
  }
}

CallRecorder::~CallRecorder() { Stop(); }

void CallRecorder::Stop() {
  stopping_.store(true);
  for (std::thread& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
}

std::vector<CallRecord> CallRecorder::records() const {
  MutexLock lock(&mu_);
  return records_;
}

void CallRecorder::Record(CallRecord record) {
  MutexLock lock(&mu_);
  records_.push_back(std::move(record));
}

void CallRecorder::Run(externalscaler::ScaledObjectRef ref) {
  auto deadline = [this] {
    return std::chrono::system_clock::now() +
           std::chrono::milliseconds(absl::ToInt64Milliseconds(call_deadline_));
  };

  // GetMetrics needs the metric name that GetMetricSpec returns, as KEDA sends it.
  externalscaler::GetMetricsRequest metrics_request;
  *metrics_request.mutable_scaledobjectref() = ref;
  while (!stopping_.load() && metrics_request.metricname().empty()) {
    CallRecord spec_call;
    spec_call.trigger = ref.name();
    spec_call.start = absl::Now();
    grpc::ClientContext context;
    context.set_deadline(deadline());
    externalscaler::GetMetricSpecResponse response;
    grpc::Status status = stub_->GetMetricSpec(&context, ref, &response);
    spec_call.end = absl::Now();
    spec_call.code = status.error_code();
    spec_call.message = status.error_message();
    if (status.ok() && response.metricspecs_size() > 0) {
      metrics_request.set_metricname(response.metricspecs(0).metricname());
    }
    Record(std::move(spec_call));
  }

  while (!stopping_.load()) {
    CallRecord metrics;
    metrics.trigger = ref.name();
    metrics.start = absl::Now();
    {
      grpc::ClientContext context;
      context.set_deadline(deadline());
      externalscaler::GetMetricsResponse response;
      grpc::Status status = stub_->GetMetrics(&context, metrics_request, &response);
      metrics.end = absl::Now();
      metrics.code = status.error_code();
      metrics.message = status.error_message();
    }
    Record(std::move(metrics));

    CallRecord active;
    active.trigger = ref.name();
    active.start = absl::Now();
    {
      grpc::ClientContext context;
      context.set_deadline(deadline());
      externalscaler::IsActiveResponse response;
      grpc::Status status = stub_->IsActive(&context, ref, &response);
      active.end = absl::Now();
      active.code = status.error_code();
      active.message = status.error_message();
    }
    Record(std::move(active));
    absl::SleepFor(pause_);
  }
}

}  // namespace krs::testing
