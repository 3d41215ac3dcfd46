// PlanWorkload: the messages a scenario's producer publishes (id, work seconds, offset), drawn
// with rmq-producer's own code: one std::mt19937_64 seeded with the scenario's seed, one
// DurationDistribution sample per message in order, and ArrivalSchedule offsets.
#ifndef KRS_LAB_RUN_WORKLOAD_PLAN_H_
#define KRS_LAB_RUN_WORKLOAD_PLAN_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "lab/scenario/scenario.h"

namespace krs::lab {

struct PlannedMessage {
  std::string id;               // workloads::MessageId(scenario, index + 1)
  double work_seconds = 0;      // simulated seconds of work
  double offset_seconds = 0;    // simulated seconds after the producer starts
};

// Returns INVALID_ARGUMENT for an invalid duration or arrivals spec.
absl::StatusOr<std::vector<PlannedMessage>> PlanWorkload(const Scenario& scenario);

}  // namespace krs::lab

#endif  // KRS_LAB_RUN_WORKLOAD_PLAN_H_
