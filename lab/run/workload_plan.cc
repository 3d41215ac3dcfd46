#include "lab/run/workload_plan.h"

#include <random>

#include "absl/strings/str_cat.h"
#include "workloads/common/arrival_schedule.h"
#include "workloads/common/duration_distribution.h"
#include "workloads/common/message_body.h"

namespace krs::lab {

absl::StatusOr<std::vector<PlannedMessage>> PlanWorkload(const Scenario& scenario) {
  absl::StatusOr<workloads::DurationDistribution> duration =
      workloads::DurationDistribution::Parse(scenario.workload.duration);
  if (!duration.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(scenario.source_path, ": workload.duration: ", duration.status().message()));
  }
  absl::StatusOr<workloads::ArrivalSchedule> arrivals =
      workloads::ArrivalSchedule::Parse(scenario.workload.arrivals);
  if (!arrivals.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(scenario.source_path, ": workload.arrivals: ", arrivals.status().message()));
  }

  // NOTE: the order of draws must stay rmq-producer's: one generator, one sample per message.
  std::mt19937_64 generator(scenario.workload.seed);
  std::vector<PlannedMessage> plan;
  plan.reserve(static_cast<size_t>(scenario.workload.messages));
  for (int64_t index = 0; index < scenario.workload.messages; ++index) {
    PlannedMessage message;
    message.id = workloads::MessageId(scenario.name, index + 1);
    message.work_seconds = duration->Sample(generator);
    message.offset_seconds = arrivals->OffsetSeconds(index);
    plan.push_back(std::move(message));
  }
  return plan;
}

}  // namespace krs::lab
