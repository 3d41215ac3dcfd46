// LiveRun: runs one scenario live. The lab's control plane runs on a RealTimeScheduler at the
// scenario's time scale. It drives rmq-consumer processes (ProcessPodRuntime) with metrics from
// the real rabbitmq-scaler (ScalerMetricsClient). rmq-producer publishes the workload to the
// scenario's own queue on the shared broker, and events come back from the result-analyzer's
// event log. The run ends when every message is completed or the deadline passes (a
// failure), and every process it started is stopped on every path.
#ifndef KRS_LAB_LIVE_LIVE_RUN_H_
#define KRS_LAB_LIVE_LIVE_RUN_H_

#include <atomic>

#include "absl/status/statusor.h"
#include "lab/live/live_environment.h"
#include "lab/report/progress.h"
#include "lab/report/run_result.h"
#include "lab/run/experiment.h"

namespace krs::lab {

struct LiveRunOptions {
  // Simulated seconds between timeline samples; 0 picks deadline / 1000 (at least 30 s).
  double sample_interval_seconds = 0;
  ProgressReporter* progress = nullptr;  // optional
  // Set (e.g. by a SIGINT handler) to end the run early; it is then reported as failed.
  const std::atomic<bool>* interrupted = nullptr;
};

absl::StatusOr<RunResult> LiveRun(Experiment experiment, LiveEnvironment& environment,
                                  const LiveRunOptions& options);

}  // namespace krs::lab

#endif  // KRS_LAB_LIVE_LIVE_RUN_H_
