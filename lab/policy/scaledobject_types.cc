#include "lab/policy/scaledobject_types.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace krs::lab {

absl::StatusOr<FallbackBehavior> ParseFallbackBehavior(absl::string_view text) {
  for (FallbackBehavior behavior :
       {FallbackBehavior::kStatic, FallbackBehavior::kCurrentReplicas,
        FallbackBehavior::kCurrentReplicasIfHigher, FallbackBehavior::kCurrentReplicasIfLower}) {
    if (text == FallbackBehaviorName(behavior)) return behavior;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "invalid fallback behavior \"", text,
      "\": allowed are static, currentReplicas, currentReplicasIfHigher, currentReplicasIfLower "
      "(scalingModifiers is not supported by the lab)"));
}

absl::string_view FallbackBehaviorName(FallbackBehavior behavior) {
  switch (behavior) {
    case FallbackBehavior::kStatic:
      return "static";
    case FallbackBehavior::kCurrentReplicas:
      return "currentReplicas";
    case FallbackBehavior::kCurrentReplicasIfHigher:
      return "currentReplicasIfHigher";
    case FallbackBehavior::kCurrentReplicasIfLower:
      return "currentReplicasIfLower";
  }
  return "static";
}

}  // namespace krs::lab
