// The pod phase (core/v1 PodPhase), shared by the pod runtime and the ReplicaSet ranking.
#ifndef KRS_LAB_POLICY_POD_PHASE_H_
#define KRS_LAB_POLICY_POD_PHASE_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace krs::lab {

enum class PodPhase { kPending, kRunning, kSucceeded, kFailed, kUnknown };

// "Pending", "Running", "Succeeded", "Failed", "Unknown".
absl::string_view PodPhaseName(PodPhase phase);
absl::StatusOr<PodPhase> ParsePodPhase(absl::string_view text);

}  // namespace krs::lab

#endif  // KRS_LAB_POLICY_POD_PHASE_H_
