#include "lab/policy/scaledobject_policy.h"

#include <gtest/gtest.h>

namespace krs::lab {
namespace {

const absl::Time kStart = absl::FromUnixSeconds(1000000);

ScaledObjectSpec Spec() {
  ScaledObjectSpec spec;
  spec.name = "so";
  spec.scale_target_name = "worker";
  spec.cooldown_period_seconds = 300;
  spec.triggers.push_back(TriggerSpec{"external", "", {}, MetricTargetType::kAverageValue,
                                      false, ""});
  return spec;
}

ScaledObjectPollResult Poll(std::int32_t current, bool active, bool error = false) {
  return {current, active, error};
}

TEST(ScaledObjectPolicy, ActivationFromZeroToOne) {
  ScaledObjectState state{kStart, std::nullopt};
  ScaledObjectDecision decision = DecideScaledObjectScale(Spec(), Poll(0, true), kStart, state);
  ASSERT_TRUE(decision.scale_to.has_value());
  EXPECT_EQ(*decision.scale_to, 1);
  EXPECT_EQ(state.last_active_time, kStart);
}

TEST(ScaledObjectPolicy, ActivationToMinReplicaCount) {
  ScaledObjectSpec spec = Spec();
  spec.min_replica_count = 3;
  spec.idle_replica_count = 0;
  ScaledObjectState state{kStart, std::nullopt};
  // With idleReplicaCount set, active below min scales to min.
  ScaledObjectDecision decision = DecideScaledObjectScale(spec, Poll(0, true), kStart, state);
  ASSERT_TRUE(decision.scale_to.has_value());
  EXPECT_EQ(*decision.scale_to, 3);
}

TEST(ScaledObjectPolicy, ActiveAboveZeroLeavesItToHpa) {
  ScaledObjectState state{kStart, std::nullopt};
  ScaledObjectDecision decision =
      DecideScaledObjectScale(Spec(), Poll(4, true), kStart + absl::Seconds(30), state);
  EXPECT_FALSE(decision.scale_to.has_value());
  EXPECT_EQ(state.last_active_time, kStart + absl::Seconds(30));
}

TEST(ScaledObjectPolicy, ScaleToZeroOnlyAfterCooldown) {
  ScaledObjectState state{kStart, kStart};
  // 300 s after the last activity the cooldown has not passed yet (strictly before now).
  ScaledObjectDecision cooling =
      DecideScaledObjectScale(Spec(), Poll(2, false), kStart + absl::Seconds(300), state);
  EXPECT_FALSE(cooling.scale_to.has_value());
  ScaledObjectDecision scaled =
      DecideScaledObjectScale(Spec(), Poll(2, false), kStart + absl::Seconds(301), state);
  ASSERT_TRUE(scaled.scale_to.has_value());
  EXPECT_EQ(*scaled.scale_to, 0);
}

TEST(ScaledObjectPolicy, ScaleToIdleReplicaCount) {
  ScaledObjectSpec spec = Spec();
  spec.min_replica_count = 2;
  spec.idle_replica_count = 1;
  ScaledObjectState state{kStart, kStart};
  ScaledObjectDecision decision =
      DecideScaledObjectScale(spec, Poll(2, false), kStart + absl::Seconds(301), state);
  ASSERT_TRUE(decision.scale_to.has_value());
  EXPECT_EQ(*decision.scale_to, 1);
}

TEST(ScaledObjectPolicy, InitialCooldownCountsFromCreation) {
  ScaledObjectSpec spec = Spec();
  spec.initial_cooldown_period_seconds = 120;
  ScaledObjectState state{kStart, std::nullopt};
  EXPECT_FALSE(DecideScaledObjectScale(spec, Poll(1, false), kStart + absl::Seconds(60), state)
                   .scale_to.has_value());
  ScaledObjectDecision decision =
      DecideScaledObjectScale(spec, Poll(1, false), kStart + absl::Seconds(121), state);
  ASSERT_TRUE(decision.scale_to.has_value());
  EXPECT_EQ(*decision.scale_to, 0);
}

TEST(ScaledObjectPolicy, ErrorsBlockScaleToZero) {
  ScaledObjectState state{kStart, kStart};
  ScaledObjectDecision decision =
      DecideScaledObjectScale(Spec(), Poll(3, false, true), kStart + absl::Hours(1), state);
  EXPECT_FALSE(decision.scale_to.has_value());
  EXPECT_EQ(decision.ready_condition, "False");
}

TEST(ScaledObjectPolicy, ErrorsWithFallbackReplicasDoNothing) {
  ScaledObjectSpec spec = Spec();
  spec.fallback = FallbackSpec{3, 5, FallbackBehavior::kStatic};
  ScaledObjectState state{kStart, kStart};
  ScaledObjectDecision decision =
      DecideScaledObjectScale(spec, Poll(3, false, true), kStart + absl::Hours(1), state);
  EXPECT_FALSE(decision.scale_to.has_value());
  EXPECT_EQ(decision.ready_condition, "True");
}

TEST(ScaledObjectPolicy, ActiveWithErrorKeepsLastActiveTime) {
  ScaledObjectState state{kStart, kStart};
  ScaledObjectDecision decision =
      DecideScaledObjectScale(Spec(), Poll(3, true, true), kStart + absl::Minutes(1), state);
  EXPECT_EQ(decision.ready_condition, "Unknown");
  EXPECT_EQ(state.last_active_time, kStart);
}

TEST(ScaledObjectPolicy, InactiveBelowMinScalesToMin) {
  ScaledObjectSpec spec = Spec();
  spec.min_replica_count = 2;
  ScaledObjectState state{kStart, std::nullopt};
  ScaledObjectDecision decision = DecideScaledObjectScale(spec, Poll(1, false), kStart, state);
  ASSERT_TRUE(decision.scale_to.has_value());
  EXPECT_EQ(*decision.scale_to, 2);
}

TEST(ScaledObjectPolicy, HpaMinReplicasAtLeastOne) {
  ScaledObjectSpec spec = Spec();
  EXPECT_EQ(HpaMinReplicasFor(spec), 1);
  spec.min_replica_count = 3;
  EXPECT_EQ(HpaMinReplicasFor(spec), 3);
}

TEST(ScaledObjectPolicy, FallbackActiveAfterThreshold) {
  std::optional<FallbackSpec> fallback = FallbackSpec{3, 5, FallbackBehavior::kStatic};
  EXPECT_FALSE(IsFallbackActive(fallback, 3));
  EXPECT_TRUE(IsFallbackActive(fallback, 4));
  EXPECT_FALSE(IsFallbackActive(std::nullopt, 100));
}

struct FallbackCase {
  const char* name;
  FallbackBehavior behavior;
  std::int32_t current;
  std::int32_t want_replicas;
};

TEST(ScaledObjectPolicy, FallbackBehaviorsTable) {
  const FallbackCase cases[] = {
      {"static", FallbackBehavior::kStatic, 2, 5},
      {"currentReplicas", FallbackBehavior::kCurrentReplicas, 2, 2},
      {"currentReplicasIfHigher below", FallbackBehavior::kCurrentReplicasIfHigher, 2, 5},
      {"currentReplicasIfHigher above", FallbackBehavior::kCurrentReplicasIfHigher, 7, 7},
      {"currentReplicasIfLower below", FallbackBehavior::kCurrentReplicasIfLower, 2, 2},
      {"currentReplicasIfLower above", FallbackBehavior::kCurrentReplicasIfLower, 7, 5},
  };
  for (const FallbackCase& c : cases) {
    SCOPED_TRACE(c.name);
    FallbackSpec fallback{3, 5, c.behavior};
    EXPECT_EQ(FallbackReplicas(fallback, c.current), c.want_replicas);
  }
}

TEST(ScaledObjectPolicy, FallbackMetricValue) {
  FallbackSpec fallback{3, 5, FallbackBehavior::kStatic};
  // AverageValue: target × R = 2 × 5 = 10, so the HPA computes ceil(10 / 2) = 5.
  absl::StatusOr<double> average =
      FallbackMetricValue(fallback, MetricTargetType::kAverageValue, 2, 1, 1, nullptr);
  ASSERT_TRUE(average.ok());
  EXPECT_DOUBLE_EQ(*average, 10);
  // Value: target × R / ready = 2 × 5 / 3 = 3.333 (milli-truncated).
  absl::StatusOr<double> value =
      FallbackMetricValue(fallback, MetricTargetType::kValue, 2, 1, 3, nullptr);
  ASSERT_TRUE(value.ok());
  EXPECT_DOUBLE_EQ(*value, 3.333);
  EXPECT_FALSE(FallbackMetricValue(fallback, MetricTargetType::kValue, 2, 1, 0, nullptr).ok());
}

TEST(ScaledObjectPolicy, ValidateRejectsBadCounts) {
  ScaledObjectSpec spec = Spec();
  spec.min_replica_count = 5;
  spec.max_replica_count = 3;
  EXPECT_FALSE(ValidateScaledObjectSpec(spec).ok());
  spec = Spec();
  spec.min_replica_count = 1;
  spec.idle_replica_count = 1;
  EXPECT_FALSE(ValidateScaledObjectSpec(spec).ok());
  EXPECT_TRUE(ValidateScaledObjectSpec(Spec()).ok());
}

}  // namespace
}  // namespace krs::lab
