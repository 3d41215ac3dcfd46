// SimulatedPodRuntime: the PodRuntime of simulate mode. Each pod runs a simulated
// rmq-consumer on the SimulatedBroker. It reads the same args as the real one (--mode,
// --prefetch, --on-sigterm, --idle-timeout, --deletion-cost-endpoint). It reports the events
// the real consumer sends to the result-analyzer, plus `killed` when it is SIGKILLed, as the
// live lab does.
//
// What a simulated consumer does:
//   start       Running and Ready at creation; basic.qos(prefetch) + basic.consume after
//               `process_start`.
//   delivery    works on one message at a time for work_seconds, then acks (`received`,
//               `completed`); other prefetched messages wait in its buffer.
//   SIGTERM     idle (no message in hand): exits 0 under every policy. Otherwise ignore:
//               nothing changes, it works and consumes on until SIGKILL. requeue: nacks the
//               current message with requeue (`interrupted`) and exits 0. drain: basic.cancel,
//               requeues the prefetched messages it has not started, finishes and acks the
//               current one, exits 0.
//   SIGKILL     exits 137 at once; the broker requeues every unacked message (redelivered).
//   job mode    exits 0 after its first message is acked, or after --idle-timeout without one
//               (`idle`).
//   deletion cost  with --deletion-cost-endpoint, the pod's annotation is set to
//               kBusyDeletionCost while a message is in progress and kIdleDeletionCost otherwise.
#ifndef KRS_LAB_SIMULATE_SIMULATED_POD_RUNTIME_H_
#define KRS_LAB_SIMULATE_SIMULATED_POD_RUNTIME_H_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "lab/control/pod_runtime.h"
#include "lab/control/scheduler.h"
#include "lab/report/run_result.h"
#include "lab/simulate/consumer_flags.h"
#include "lab/simulate/simulated_broker.h"
#include "workloads/common/event.h"

namespace krs::lab {

// NOTE: the values rmq-consumer writes to the pod-deletion-cost annotation; keep them equal to
// the consumer's (workloads/consumer).
inline constexpr char kBusyDeletionCost[] = "1000";
inline constexpr char kIdleDeletionCost[] = "0";

// Returns the UID of the `number`-th pod (from 0) of a runtime. Live and simulate mode use the
// same UIDs, so the ReplicaSet's UID tie-break picks the same victims in both.
std::string PodUid(uint64_t number);

struct SimulatedRuntimeOptions {
  std::string scenario;                              // event label and message id prefix
  absl::Duration process_start = absl::Milliseconds(40);  // pod creation to basic.consume
  std::string pod_name_prefix = "worker";
};

class SimulatedPodRuntime final : public PodRuntime {
 public:
  using EventSink = std::function<void(const workloads::Event&)>;

  // `message_ids` maps a QueuedMessage::index to its message id.
  SimulatedPodRuntime(Scheduler& scheduler, SimulatedBroker& broker,
                      std::function<std::string(int64_t)> message_ids, EventSink sink,
                      SimulatedRuntimeOptions options);
  ~SimulatedPodRuntime() override;

  absl::StatusOr<PodId> CreatePod(const PodTemplate& pod_template) override;
  std::vector<PodStatus> ListPods() override;
  absl::Status SendSignal(const PodId& pod, int signal) override;
  void RunPreStop(const PodId& pod, const std::vector<std::string>& command,
                  absl::Duration timeout, std::function<void(absl::Status)> done) override;
  absl::Status RemovePod(const PodId& pod) override;

  absl::StatusOr<JobId> CreateJob(const JobTemplate& job_template) override;
  std::vector<JobStatus> ListJobs() override;
  absl::Status DeleteJob(const JobId& job) override;

  // For the timeline and the report.
  int64_t alive_pods() const;
  int64_t busy_pods() const { return busy_pods_; }
  int64_t completed() const { return completed_; }
  const std::vector<KillMark>& kills() const { return kills_; }
  std::vector<PodRecord> pod_records() const;

 private:
  struct Pod;

  absl::StatusOr<Pod*> StartPod(const PodTemplate& pod_template, const std::string& prefix);
  Pod* Find(const std::string& id);
  void Connect(Pod& pod);
  void OnDelivery(Pod& pod, const Delivery& delivery);
  void StartNext(Pod& pod);
  void FinishWork(Pod& pod, uint64_t delivery_tag);
  void OnChannelClosed(Pod& pod);
  void Terminate(Pod& pod);
  void ReleaseBuffered(Pod& pod);
  void Kill(Pod& pod);
  void Exit(Pod& pod, int exit_code);
  void SetBusy(Pod& pod, bool busy);
  void Emit(workloads::EventType type, const Pod& pod, const Delivery* delivery);
  double NowSeconds() const;
  void Forget(const std::string& id);
  PodRecord RecordOf(const Pod& pod) const;

  Scheduler& scheduler_;
  SimulatedBroker& broker_;
  std::function<std::string(int64_t)> message_ids_;
  EventSink sink_;
  SimulatedRuntimeOptions options_;
  std::map<std::string, std::unique_ptr<Pod>> pods_;  // by pod name, until removed
  std::vector<PodRecord> removed_records_;
  std::map<std::string, std::string> jobs_;           // job id -> pod name
  int64_t next_pod_ = 0;
  int64_t busy_pods_ = 0;
  int64_t completed_ = 0;
  std::vector<KillMark> kills_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace krs::lab

#endif  // KRS_LAB_SIMULATE_SIMULATED_POD_RUNTIME_H_
