// SimulateRun: runs one scenario on a virtual clock. The lab's control plane (the same code as
// live mode) drives simulated consumers on an in-memory queue; the producer's messages,
// durations and arrival times come from the same workload code as rmq-producer. Deterministic
// for a scenario and seed, and fast: time jumps from event to event.
#ifndef KRS_LAB_SIMULATE_SIMULATE_RUN_H_
#define KRS_LAB_SIMULATE_SIMULATE_RUN_H_

#include <string>

#include "absl/status/statusor.h"
#include "lab/report/progress.h"
#include "lab/report/run_result.h"
#include "lab/run/experiment.h"

namespace krs::lab {

struct SimulateOptions {
  // Simulated seconds between timeline samples; 0 picks deadline / 2000 (at least 15 s).
  double sample_interval_seconds = 0;
  // The delivery acknowledgement timeout, simulated seconds; 0 disables it. A live run's
  // broker timeout (3 h of real time) is never reached under time compression.
  double consumer_timeout_seconds = 0;
  ProgressReporter* progress = nullptr;  // optional
};

// Runs `experiment` (already loaded; Localize is applied here with placeholder endpoints).
absl::StatusOr<RunResult> SimulateRun(Experiment experiment, const SimulateOptions& options);

}  // namespace krs::lab

#endif  // KRS_LAB_SIMULATE_SIMULATE_RUN_H_
