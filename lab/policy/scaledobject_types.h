// ScaledObject fields the KEDA policy reads: fallback settings and their behaviors
// (KEDA v2.20 apis/keda/v1alpha1/scaledobject_types.go).
#ifndef KRS_LAB_POLICY_SCALEDOBJECT_TYPES_H_
#define KRS_LAB_POLICY_SCALEDOBJECT_TYPES_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace krs::lab {

enum class FallbackBehavior {
  kStatic,
  kCurrentReplicas,
  kCurrentReplicasIfHigher,
  kCurrentReplicasIfLower,
};

// Parses "static", "currentReplicas", "currentReplicasIfHigher", "currentReplicasIfLower".
// "scalingModifiers" is rejected: the lab has no scaling modifiers.
absl::StatusOr<FallbackBehavior> ParseFallbackBehavior(absl::string_view text);
absl::string_view FallbackBehaviorName(FallbackBehavior behavior);

// spec.fallback.
struct FallbackSpec {
  std::int32_t failure_threshold = 0;
  std::int32_t replicas = 0;
  FallbackBehavior behavior = FallbackBehavior::kStatic;
};

}  // namespace krs::lab

#endif  // KRS_LAB_POLICY_SCALEDOBJECT_TYPES_H_
