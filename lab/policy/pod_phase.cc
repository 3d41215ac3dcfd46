#include "lab/policy/pod_phase.h"

#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace krs::lab {

absl::string_view PodPhaseName(PodPhase phase) {
  switch (phase) {
    case PodPhase::kPending:
      return "Pending";
    case PodPhase::kRunning:
      return "Running";
    case PodPhase::kSucceeded:
      return "Succeeded";
    case PodPhase::kFailed:
      return "Failed";
    case PodPhase::kUnknown:
      return "Unknown";
  }
  return "Unknown";
}

absl::StatusOr<PodPhase> ParsePodPhase(absl::string_view text) {
  for (PodPhase phase : {PodPhase::kPending, PodPhase::kRunning, PodPhase::kSucceeded,
                         PodPhase::kFailed, PodPhase::kUnknown}) {
    if (text == PodPhaseName(phase)) return phase;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("invalid pod phase \"", text,
                   "\": allowed are Pending, Running, Succeeded, Failed, Unknown"));
}

}  // namespace krs::lab
