#include "lab/policy/hpa_behavior.h"

namespace krs::lab {
namespace {

// Kubernetes 1.28 pkg/apis/autoscaling/v2/defaults.go: copyHPAScalingRules keeps every field
// the user set and takes the rest from the defaults.
HpaScalingRules FillRules(const std::optional<HpaScalingRules>& given, HpaScalingRules defaults) {
  if (!given.has_value()) return defaults;
  if (given->select_policy.has_value()) defaults.select_policy = given->select_policy;
  if (given->stabilization_window_seconds.has_value()) {
    defaults.stabilization_window_seconds = given->stabilization_window_seconds;
  }
  if (given->policies.has_value()) defaults.policies = given->policies;
  if (given->tolerance.has_value()) defaults.tolerance = given->tolerance;
  return defaults;
}

}  // namespace

absl::string_view HpaPolicyTypeName(HpaPolicyType type) {
  return type == HpaPolicyType::kPods ? "Pods" : "Percent";
}

absl::string_view HpaSelectPolicyName(HpaSelectPolicy policy) {
  switch (policy) {
    case HpaSelectPolicy::kMax:
      return "Max";
    case HpaSelectPolicy::kMin:
      return "Min";
    case HpaSelectPolicy::kDisabled:
      return "Disabled";
  }
  return "Max";
}

HpaBehavior DefaultHpaBehavior(const HpaBehavior& behavior) {
  HpaScalingRules up_defaults;
  up_defaults.stabilization_window_seconds = 0;
  up_defaults.select_policy = HpaSelectPolicy::kMax;
  up_defaults.policies = std::vector<HpaScalingPolicy>{{HpaPolicyType::kPods, 4, 15},
                                                       {HpaPolicyType::kPercent, 100, 15}};

  // The scale-down window stays unset so that the controller's
  // --horizontal-pod-autoscaler-downscale-stabilization applies.
  HpaScalingRules down_defaults;
  down_defaults.select_policy = HpaSelectPolicy::kMax;
  down_defaults.policies = std::vector<HpaScalingPolicy>{{HpaPolicyType::kPercent, 100, 15}};

  HpaBehavior result;
  result.scale_up = FillRules(behavior.scale_up, up_defaults);
  result.scale_down = FillRules(behavior.scale_down, down_defaults);
  return result;
}

}  // namespace krs::lab
