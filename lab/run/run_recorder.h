// RunRecorder: collects what a scenario run produces, in simulated seconds, for the reports:
// the consumers' and producer's events, the control plane's replica or Job counts (as the
// control plane's Observer), timeline samples and errors. Live and simulate runs both use it.
#ifndef KRS_LAB_RUN_RUN_RECORDER_H_
#define KRS_LAB_RUN_RUN_RECORDER_H_

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "lab/control/control_plane.h"
#include "lab/report/run_result.h"
#include "workloads/common/event.h"

namespace krs::lab {

class RunRecorder final : public Observer {
 public:
  // `origin` is the lab time that counts as simulated second 0.
  explicit RunRecorder(absl::Time origin) : origin_(origin) {}

  // Stores an event whose `time` is already in simulated seconds.
  void AddEvent(const workloads::Event& event);

  // Appends a timeline sample; `replicas` comes from the last control plane sample.
  void AddSample(absl::Time time, int64_t ready, int64_t unacked, int64_t pods, int64_t busy);

  double Seconds(absl::Time time) const { return absl::ToDoubleSeconds(time - origin_); }

  int64_t published() const { return static_cast<int64_t>(published_.size()); }
  int64_t completed() const { return static_cast<int64_t>(completed_.size()); }
  int64_t replicas() const { return replicas_; }
  int64_t errors() const { return errors_; }
  const std::string& last_error() const { return last_error_; }

  // Moves the events and the timeline into `result`.
  void MoveInto(RunResult& result);

  // Observer:
  void OnScaledObjectSample(const ScaledObjectSample& sample) override;
  void OnScaledJobSample(const ScaledJobSample& sample) override;
  void OnError(absl::Time time, absl::string_view source, const absl::Status& status) override;

 private:
  absl::Time origin_;
  std::vector<workloads::Event> events_;
  std::vector<TimelineSample> timeline_;
  std::set<std::string> published_;
  std::set<std::string> completed_;
  int64_t replicas_ = 0;
  int64_t errors_ = 0;
  std::string last_error_;
};

}  // namespace krs::lab

#endif  // KRS_LAB_RUN_RUN_RECORDER_H_
