// The choice of pods a ReplicaSet deletes on scale-in: getPodsToDelete and ActivePodsWithRanks.Less of
// Kubernetes 1.28 pkg/controller/replicaset/replica_set.go and pkg/controller/controller_utils.go,
// with the PodDeletionCost and LogarithmicScaleDown feature gates on (their 1.28 defaults).
#ifndef KRS_LAB_POLICY_POD_RANKING_H_
#define KRS_LAB_POLICY_POD_RANKING_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "lab/policy/pod_phase.h"
#include "lab/policy/trace.h"

namespace krs::lab {

// The ReplicaSet controller's burst limit: at most this many deletions per sync.
inline constexpr std::int32_t kMaxPodDeletionsPerSync = 500;

// The fields of one active pod that the ranking reads.
struct RankedPod {
  std::string id;
  std::string uid;
  std::string node;  // empty = not scheduled
  PodPhase phase = PodPhase::kRunning;
  bool ready = false;
  std::optional<absl::Time> ready_since;  // Ready condition lastTransitionTime
  absl::Time created;
  std::int32_t restarts = 0;                 // max over containers
  std::optional<std::string> deletion_cost;  // raw annotation value
  // Active pods of the same owner family on the pod's node, the pod included.
  std::int32_t colocated_pods = 1;
};

// Parses controller.kubernetes.io/pod-deletion-cost: a base-10 int32; an empty value, a leading
// `+`, leading zeros or an out-of-range value count as 0.
std::int32_t ParsePodDeletionCost(const std::optional<std::string>& value);

// Returns ActivePodsWithRanks.Less: true when `a` is deleted before `b`. `rule`, when not null,
// receives the deciding rule, numbered 1 to 8 as in the controller ("4 lower
// pod-deletion-cost first"), or "equal" when no rule decides.
bool DeletePodBefore(const RankedPod& a, const RankedPod& b, absl::Time now, std::string* rule);

// floor(log2(nanoseconds from `t` to `now`)), or -1 when `t` is not before `now`.
std::int64_t LogarithmicTimeBucket(absl::Time t, absl::Time now);

struct PodDeletionChoice {
  std::vector<std::string> deleted;  // pod ids in deletion order
  // For each deleted pod, why it sorted before the next pod kept (or "all pods go").
  std::vector<std::string> reasons;
  Trace trace;
};

// Returns getPodsToDelete: the first min(count, 500, pods) pods in deletion order. When every
// pod goes, the controller does not sort, so the order is the input order.
PodDeletionChoice SelectPodsToDelete(const std::vector<RankedPod>& pods, std::int32_t count,
                                     absl::Time now);

// Counts active pods per node and sets `colocated_pods` of each pod
// (getPodsRankedByRelatedPodsOnSameNode).
void SetColocatedPodCounts(std::vector<RankedPod>& pods);

}  // namespace krs::lab

#endif  // KRS_LAB_POLICY_POD_RANKING_H_
