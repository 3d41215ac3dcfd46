#include "lab/run/run_recorder.h"

#include "absl/strings/str_cat.h"
#include "common/logger.h"

namespace krs::lab {

void RunRecorder::AddEvent(const workloads::Event& event) {
  if (event.type == workloads::EventType::kPublished) published_.insert(event.message_id);
  if (event.type == workloads::EventType::kCompleted) completed_.insert(event.message_id);
  events_.push_back(event);
}

void RunRecorder::AddSample(absl::Time time, int64_t ready, int64_t unacked, int64_t pods,
                            int64_t busy) {
  TimelineSample sample;
  sample.time = Seconds(time);
  sample.ready = ready;
  sample.unacked = unacked;
  sample.replicas = replicas_;
  sample.pods = pods;
  sample.busy_pods = busy;
  sample.completed = completed();
  timeline_.push_back(sample);
}

void RunRecorder::MoveInto(RunResult& result) {
  result.events = std::move(events_);
  result.timeline = std::move(timeline_);
}

void RunRecorder::OnScaledObjectSample(const ScaledObjectSample& sample) {
  replicas_ = sample.spec_replicas;
}

void RunRecorder::OnScaledJobSample(const ScaledJobSample& sample) {
  replicas_ = sample.running_jobs;
}

void RunRecorder::OnError(absl::Time time, absl::string_view source, const absl::Status& status) {
  ++errors_;
  last_error_ = absl::StrCat(source, ": ", status.ToString());
  // The first error and then every hundredth, so a broken scaler does not flood the output.
  if (errors_ == 1 || errors_ % 100 == 0) {
    Log(LogLevel::kWarning, "control plane error",
        {{"source", source}, {"error", status.ToString()}, {"count", errors_},
         {"at_seconds", Seconds(time)}});
  }
}

}  // namespace krs::lab
