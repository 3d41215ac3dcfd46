#include "lab/policy/pod_ranking.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"

namespace krs::lab {
namespace {

// podPhaseToOrdinal: Pending < Unknown < Running (others sort with Pending).
int PhaseOrdinal(PodPhase phase) {
  switch (phase) {
    case PodPhase::kPending:
      return 0;
    case PodPhase::kUnknown:
      return 1;
    case PodPhase::kRunning:
      return 2;
    default:
      return 0;
  }
}

// afterOrZero: a zero time sorts first, then the later time first.
bool AfterOrZero(std::optional<absl::Time> t1, std::optional<absl::Time> t2) {
  if (!t1.has_value() || !t2.has_value()) return !t1.has_value();
  return *t1 > *t2;
}

void SetRule(std::string* rule, const char* text) {
  if (rule != nullptr) *rule = text;
}

// Rules 6 and 8 with LogarithmicScaleDown: compare log2 buckets of the age, newer first, and
// break a tie by the lower UID.
bool LogarithmicBefore(absl::Time t1, absl::Time t2, const RankedPod& a, const RankedPod& b,
                       absl::Time now) {
  std::int64_t diff = LogarithmicTimeBucket(t1, now) - LogarithmicTimeBucket(t2, now);
  if (diff == 0) return a.uid < b.uid;
  return diff < 0;
}

}  // namespace

std::int32_t ParsePodDeletionCost(const std::optional<std::string>& value) {
  // Kubernetes 1.28 pkg/apis/core/helper: GetDeletionCostFromPodAnnotations.
  if (!value.has_value() || value->empty()) return 0;
  const std::string& text = *value;
  char first = text[0];
  bool valid_first = first == '-' || text == "0" || (first >= '1' && first <= '9');
  if (!valid_first) return 0;
  for (size_t i = (first == '-') ? 1 : 0; i < text.size(); ++i) {
    if (text[i] < '0' || text[i] > '9') return 0;
  }
  if (text == "-") return 0;
  std::int64_t parsed = 0;
  if (!absl::SimpleAtoi(text, &parsed)) return 0;
  if (parsed < std::numeric_limits<std::int32_t>::min() ||
      parsed > std::numeric_limits<std::int32_t>::max()) {
    return 0;
  }
  return static_cast<std::int32_t>(parsed);
}

std::int64_t LogarithmicTimeBucket(absl::Time t, absl::Time now) {
  absl::Duration age = now - t;
  if (age <= absl::ZeroDuration()) return -1;
  double nanoseconds = absl::ToDoubleNanoseconds(age);
  return static_cast<std::int64_t>(std::log2(nanoseconds));
}

bool DeletePodBefore(const RankedPod& a, const RankedPod& b, absl::Time now, std::string* rule) {
  // Kubernetes 1.28 pkg/controller/controller_utils.go: ActivePodsWithRanks.Less.
  if (a.node != b.node && (a.node.empty() || b.node.empty())) {
    SetRule(rule, "1 unassigned before assigned");
    return a.node.empty();
  }

  if (PhaseOrdinal(a.phase) != PhaseOrdinal(b.phase)) {
    SetRule(rule, "2 phase Pending < Unknown < Running");
    return PhaseOrdinal(a.phase) < PhaseOrdinal(b.phase);
  }

  if (a.ready != b.ready) {
    SetRule(rule, "3 not ready before ready");
    return !a.ready;
  }

  std::int32_t cost_a = ParsePodDeletionCost(a.deletion_cost);
  std::int32_t cost_b = ParsePodDeletionCost(b.deletion_cost);
  if (cost_a != cost_b) {
    SetRule(rule, "4 lower pod-deletion-cost first");
    return cost_a < cost_b;
  }

  if (a.colocated_pods != b.colocated_pods) {
    SetRule(rule, "5 more pods on the same node first");
    return a.colocated_pods > b.colocated_pods;
  }

  if (a.ready && b.ready) {
    std::optional<absl::Time> ready_a = a.ready_since;
    std::optional<absl::Time> ready_b = b.ready_since;
    if (ready_a != ready_b) {
      SetRule(rule, "6 ready more recently first (log2 buckets, then lower UID)");
      if (!ready_a.has_value() || !ready_b.has_value()) return AfterOrZero(ready_a, ready_b);
      return LogarithmicBefore(*ready_a, *ready_b, a, b, now);
    }
  }

  if (a.restarts != b.restarts) {
    SetRule(rule, "7 more container restarts first");
    return a.restarts > b.restarts;
  }

  if (a.created != b.created) {
    SetRule(rule, "8 newer first (log2 buckets, then lower UID)");
    return LogarithmicBefore(a.created, b.created, a, b, now);
  }

  SetRule(rule, "equal");
  return false;
}

void SetColocatedPodCounts(std::vector<RankedPod>& pods) {
  std::map<std::string, std::int32_t> per_node;
  for (const RankedPod& pod : pods) ++per_node[pod.node];
  for (RankedPod& pod : pods) pod.colocated_pods = per_node[pod.node];
}

PodDeletionChoice SelectPodsToDelete(const std::vector<RankedPod>& pods, std::int32_t count,
                                     absl::Time now) {
  PodDeletionChoice choice;
  std::int32_t total = static_cast<std::int32_t>(pods.size());
  std::int32_t diff = std::min({std::max(count, 0), kMaxPodDeletionsPerSync, total});
  choice.trace.Add("active_pods", total);
  choice.trace.Add("requested", count);
  choice.trace.Add("diff", diff, "min(requested, 500, active pods)");

  // Kubernetes 1.28 pkg/controller/replicaset/replica_set.go: getPodsToDelete sorts only when
  // some pods stay.
  std::vector<RankedPod> order = pods;
  if (diff < total) {
    std::stable_sort(order.begin(), order.end(), [now](const RankedPod& a, const RankedPod& b) {
      return DeletePodBefore(a, b, now, nullptr);
    });
  }
  for (std::int32_t i = 0; i < diff; ++i) {
    choice.deleted.push_back(order[i].id);
    std::string reason = "all pods go";
    if (diff < total) {
      DeletePodBefore(order[i], order[i + 1], now, &reason);
      reason = absl::StrFormat("before %s: %s", order[i + 1].id, reason);
    }
    choice.reasons.push_back(reason);
    choice.trace.AddText(absl::StrFormat("victim[%d]", i), order[i].id, reason);
  }
  return choice;
}

}  // namespace krs::lab
