// ProcessPodRuntime: the PodRuntime of live mode. Each pod or Job is one rmq-consumer process
// started with the pod template's command, args and env (already localized), plus
// POD_NAME=<name>. The pod is Running and Ready once forked and Succeeded or Failed when the
// process exits; pod-deletion-cost comes from the DeletionCostEndpoint. A SIGKILL is reported
// to the result-analyzer as a `killed` event before it is sent, so the analyzer ends the pod's
// open attempts at that moment.
//
// Process start is measured from fork until the consumer logs "consuming" (after its
// basic.consume). Thread-safe: the scheduler thread, preStop threads and the run's teardown
// may call it.
#ifndef KRS_LAB_LIVE_PROCESS_POD_RUNTIME_H_
#define KRS_LAB_LIVE_PROCESS_POD_RUNTIME_H_

#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "common/mutex.h"
#include "lab/control/pod_runtime.h"
#include "lab/control/scheduler.h"
#include "lab/live/child_process.h"
#include "lab/live/deletion_cost_endpoint.h"
#include "lab/report/run_result.h"

namespace krs::lab {

struct ProcessRuntimeOptions {
  std::string scenario;
  std::string namespace_name = "default";
  std::string analyzer_url;                        // for `killed` events; empty sends none
  std::string log_dir;                             // one <pod>.log per process
  std::map<std::string, std::string> base_env;     // PATH and the like, under the pod's env
  const DeletionCostEndpoint* deletion_cost = nullptr;
  double real_seconds_per_lab_second = 1;          // the scenario's time scale
};

class ProcessPodRuntime final : public PodRuntime {
 public:
  ProcessPodRuntime(Scheduler& scheduler, ProcessRuntimeOptions options);
  // Kills and reaps every process still running, without `killed` events.
  ~ProcessPodRuntime() override;

  absl::StatusOr<PodId> CreatePod(const PodTemplate& pod_template) override;
  std::vector<PodStatus> ListPods() override;
  absl::Status SendSignal(const PodId& pod, int signal) override;
  void RunPreStop(const PodId& pod, const std::vector<std::string>& command,
                  absl::Duration timeout, std::function<void(absl::Status)> done) override;
  absl::Status RemovePod(const PodId& pod) override;

  absl::StatusOr<JobId> CreateJob(const JobTemplate& job_template) override;
  std::vector<JobStatus> ListJobs() override;
  absl::Status DeleteJob(const JobId& job) override;

  // Stops every process: SIGTERM, then SIGKILL after `grace` (real time). No `killed` events:
  // the run has ended.
  void StopAll(absl::Duration grace);

  int64_t alive_pods();
  std::vector<KillMark> kills() const;
  std::vector<PodRecord> pod_records();
  // Fork-to-consuming delays measured so far, real milliseconds.
  std::vector<double> process_starts_ms() const;

 private:
  struct Pod {
    std::string name;
    std::string uid;
    std::string job;  // empty for Deployment pods
    std::unique_ptr<ChildProcess> process;
    std::map<std::string, std::string> env;
    std::string log_path;
    absl::Time created;  // lab time
    std::optional<absl::Time> ended;  // lab time
    bool start_measured = false;
  };

  absl::StatusOr<Pod*> Spawn(const PodTemplate& pod_template, const std::string& prefix)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Refresh(Pod& pod) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void KillAndReport(Pod& pod) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void ReportKilled(const std::string& pod_name);
  void WatchStarts();
  static PodRecord RecordOf(const Pod& pod);

  Scheduler& scheduler_;
  ProcessRuntimeOptions options_;
  mutable Mutex mu_;
  std::map<std::string, std::unique_ptr<Pod>> pods_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::string> jobs_ ABSL_GUARDED_BY(mu_);  // job -> pod name
  std::vector<PodRecord> removed_ ABSL_GUARDED_BY(mu_);
  std::vector<KillMark> kills_ ABSL_GUARDED_BY(mu_);
  std::vector<double> process_starts_ms_ ABSL_GUARDED_BY(mu_);
  uint64_t next_pod_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t salt_;
  std::vector<std::thread> hook_threads_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread start_watcher_;  // measures process starts every few real milliseconds
};

}  // namespace krs::lab

#endif  // KRS_LAB_LIVE_PROCESS_POD_RUNTIME_H_
