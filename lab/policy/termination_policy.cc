#include "lab/policy/termination_policy.h"

#include <algorithm>

namespace krs::lab {

absl::Duration TerminationGracePeriod(const PodTemplate& pod,
                                      std::optional<std::int64_t> override_seconds) {
  if (override_seconds.has_value()) return absl::Seconds(*override_seconds);
  return absl::Seconds(
      pod.termination_grace_period_seconds.value_or(kDefaultTerminationGracePeriodSeconds));
}

std::optional<std::vector<std::string>> PreStopCommand(const PodTemplate& pod) {
  for (const ContainerSpec& container : pod.containers) {
    if (container.pre_stop_command.has_value()) return container.pre_stop_command;
  }
  return std::nullopt;
}

absl::Duration RemainingGraceAfterPreStop(absl::Duration grace, absl::Duration pre_stop_used) {
  // executePreStopHook returns the whole seconds the hook took; killContainer subtracts them
  // and raises the result to minimumGracePeriodInSeconds.
  std::int64_t used_seconds = absl::ToInt64Seconds(pre_stop_used);
  std::int64_t remaining = absl::ToInt64Seconds(grace) - used_seconds;
  return absl::Seconds(std::max(remaining, kMinimumGracePeriodSeconds));
}

bool RunsPreStop(const PodTemplate& pod, absl::Duration grace) {
  return PreStopCommand(pod).has_value() && grace > absl::ZeroDuration();
}

}  // namespace krs::lab
