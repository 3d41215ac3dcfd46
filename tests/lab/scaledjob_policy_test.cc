#include "lab/policy/scaledjob_policy.h"

#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace krs::lab {
namespace {

ScaledJobSpec Spec(ScaledJobStrategy strategy, std::int32_t min = 0,
                   std::optional<std::int32_t> max = 10) {
  ScaledJobSpec spec;
  spec.name = "jobs";
  spec.min_replica_count = min;
  spec.max_replica_count = max;
  spec.scaling_strategy.strategy = strategy;
  return spec;
}

ScaledJobTriggerMetrics Trigger(double queue_length, double target = 1,
                                std::optional<bool> active = std::nullopt,
                                const std::string& name = "queue") {
  ScaledJobTriggerMetrics trigger;
  trigger.trigger = name;
  trigger.active = active.value_or(queue_length > 0);
  trigger.specs.push_back({name, MetricTargetType::kAverageValue, target});
  trigger.values.emplace_back(name, queue_length);
  return trigger;
}

struct StrategyCase {
  const char* name;
  ScaledJobStrategy strategy;
  double queue_length;
  std::int64_t running;
  std::int64_t pending;
  std::int64_t want;
};

// maxReplicaCount 10, minReplicaCount 0, target 1: Min = 0, MR = 10.
TEST(ScaledJobPolicy, StrategiesTable) {
  const std::vector<StrategyCase> cases = {
      {"default from idle", ScaledJobStrategy::kDefault, 5, 0, 0, 5},
      // 3 running Jobs each hold one unacknowledged message and 2 new messages arrive.
      // A ready-only count (amqp mode) gives QL = 2: default eff = 2 − 3 < 0, so the new
      // messages wait until Jobs finish.
      {"default ready-only count starves", ScaledJobStrategy::kDefault, 2, 3, 0, 0},
      // A total count (ready + unacked) gives QL = 5: eff = 5 − 3 = 2.
      {"default total count", ScaledJobStrategy::kDefault, 5, 3, 0, 2},
      // accurate with the ready-only count: M + R − P = 5 ≤ 10, eff = M − P = 2.
      {"accurate ready-only count", ScaledJobStrategy::kAccurate, 2, 3, 0, 2},
      // accurate with the total count over-creates: eff = 5, create min(5, 5) = 5.
      {"accurate total count overcreates", ScaledJobStrategy::kAccurate, 5, 3, 0, 5},
      // Pending Jobs have not taken a message yet, so the ready count still includes theirs.
      {"accurate subtracts pending", ScaledJobStrategy::kAccurate, 2, 3, 2, 0},
      // M + R − P = 9 + 5 = 14 > 10: eff = MR − R = 5.
      {"accurate capped by max", ScaledJobStrategy::kAccurate, 9, 5, 0, 5},
      // eager: eff = min(MR − R − P, M) = min(7, 2) = 2, scaleTo = MR = 10.
      {"eager ready-only count", ScaledJobStrategy::kEager, 2, 3, 0, 2},
      {"eager with pending", ScaledJobStrategy::kEager, 2, 3, 2, 2},
      // eager near the cap: min(10 − 8 − 1, 5) = 1.
      {"eager near max", ScaledJobStrategy::kEager, 5, 8, 1, 1},
      {"default nothing queued", ScaledJobStrategy::kDefault, 0, 0, 0, 0},
  };
  for (const StrategyCase& c : cases) {
    SCOPED_TRACE(c.name);
    ScaledJobDecision decision =
        DecideScaledJobScale(Spec(c.strategy), {Trigger(c.queue_length)}, {c.running, c.pending});
    EXPECT_EQ(decision.jobs_to_create, c.want);
  }
}

TEST(ScaledJobPolicy, EagerScaleToIsMax) {
  ScaledJobDecision decision =
      DecideScaledJobScale(Spec(ScaledJobStrategy::kEager), {Trigger(2)}, {3, 0});
  EXPECT_EQ(decision.scale_to, 10);
  EXPECT_EQ(decision.effective_max_scale, 2);
}

TEST(ScaledJobPolicy, CustomStrategy) {
  ScaledJobSpec spec = Spec(ScaledJobStrategy::kCustom);
  spec.scaling_strategy.custom_queue_length_deduction = 1;
  spec.scaling_strategy.custom_running_job_percentage = "0.5";
  // eff = min(5 − 1 − trunc(3 × 0.5), 10) = min(5 − 1 − 1, 10) = 3; create min(5, 3).
  ScaledJobDecision decision = DecideScaledJobScale(spec, {Trigger(5)}, {3, 0});
  EXPECT_EQ(decision.strategy_used, ScaledJobStrategy::kCustom);
  EXPECT_EQ(decision.jobs_to_create, 3);
}

TEST(ScaledJobPolicy, CustomWithoutDeductionUsesZero) {
  ScaledJobSpec spec = Spec(ScaledJobStrategy::kCustom);
  spec.scaling_strategy.custom_running_job_percentage = "1";
  // eff = 5 − 0 − 3 = 2.
  EXPECT_EQ(DecideScaledJobScale(spec, {Trigger(5)}, {3, 0}).jobs_to_create, 2);
}

TEST(ScaledJobPolicy, CustomUnparseablePercentageFallsBackToDefault) {
  for (std::optional<std::string> percentage :
       {std::optional<std::string>("abc"), std::optional<std::string>(""),
        std::optional<std::string>(" 0.5"), std::optional<std::string>()}) {
    SCOPED_TRACE(percentage.value_or("(unset)"));
    ScaledJobSpec spec = Spec(ScaledJobStrategy::kCustom);
    spec.scaling_strategy.custom_queue_length_deduction = 4;
    spec.scaling_strategy.custom_running_job_percentage = percentage;
    ScaledJobDecision decision = DecideScaledJobScale(spec, {Trigger(5)}, {3, 0});
    EXPECT_EQ(decision.strategy_used, ScaledJobStrategy::kDefault);
    // default: eff = 5 − 3 = 2 (the deduction is ignored).
    EXPECT_EQ(decision.jobs_to_create, 2);
  }
}

TEST(ScaledJobPolicy, RunningBelowMinCreatesDifference) {
  // min 2, max 10: Min = 2, MR = 8. Inactive trigger, but Min > 0 forces active.
  ScaledJobDecision decision =
      DecideScaledJobScale(Spec(ScaledJobStrategy::kDefault, 2), {Trigger(0)}, {0, 0});
  EXPECT_TRUE(decision.active);
  EXPECT_EQ(decision.jobs_to_create, 2);
  EXPECT_EQ(DecideScaledJobScale(Spec(ScaledJobStrategy::kDefault, 2), {Trigger(0)}, {1, 0})
                .jobs_to_create,
            1);
}

TEST(ScaledJobPolicy, RunningMinusMinIsSubtracted) {
  // Min = 2, MR = 8, running 4 → R = 2; QL 5: default eff = 5 − 2 = 3.
  EXPECT_EQ(DecideScaledJobScale(Spec(ScaledJobStrategy::kDefault, 2), {Trigger(5)}, {4, 0})
                .jobs_to_create,
            3);
}

TEST(ScaledJobPolicy, InactiveCreatesNothing) {
  ScaledJobDecision decision =
      DecideScaledJobScale(Spec(ScaledJobStrategy::kDefault), {Trigger(5, 1, false)}, {0, 0});
  EXPECT_FALSE(decision.active);
  EXPECT_EQ(decision.jobs_to_create, 0);
}

TEST(ScaledJobPolicy, EffectiveMinAndMax) {
  EXPECT_EQ(ScaledJobMinReplicas(Spec(ScaledJobStrategy::kDefault, 5, 3)), 3);
  EXPECT_EQ(ScaledJobMaxReplicas(Spec(ScaledJobStrategy::kDefault, 5, 3)), 3);
  EXPECT_EQ(ScaledJobMaxReplicas(Spec(ScaledJobStrategy::kDefault, 2, 10)), 8);
  // Max unset: 100, without subtracting Min.
  EXPECT_EQ(ScaledJobMaxReplicas(Spec(ScaledJobStrategy::kDefault, 2, std::nullopt)), 100);
}

TEST(ScaledJobPolicy, MaxScaleCappedByMax) {
  // QL 50, target 2 → 25 > MR 10: MS = 10.
  ScaledJobDecision decision =
      DecideScaledJobScale(Spec(ScaledJobStrategy::kDefault), {Trigger(50, 2)}, {0, 0});
  EXPECT_DOUBLE_EQ(decision.max_value, 10);
  EXPECT_EQ(decision.jobs_to_create, 10);
}

TEST(ScaledJobPolicy, ZeroOrValueTargetCreatesNothing) {
  EXPECT_EQ(DecideScaledJobScale(Spec(ScaledJobStrategy::kDefault), {Trigger(5, 0)}, {0, 0})
                .jobs_to_create,
            0);
  ScaledJobTriggerMetrics value_target = Trigger(5, 1);
  value_target.specs.front().type = MetricTargetType::kValue;
  EXPECT_EQ(DecideScaledJobScale(Spec(ScaledJobStrategy::kDefault), {value_target}, {0, 0})
                .jobs_to_create,
            0);
}

TEST(ScaledJobPolicy, OnlyValuesNamedLikeFirstSpecCount) {
  ScaledJobTriggerMetrics trigger = Trigger(3);
  trigger.values.emplace_back("queue", 2);
  trigger.values.emplace_back("other", 100);
  // QL = 3 + 2 = 5.
  ScaledJobDecision decision =
      DecideScaledJobScale(Spec(ScaledJobStrategy::kDefault), {trigger}, {0, 0});
  EXPECT_DOUBLE_EQ(decision.queue_length, 5);
}

struct CombineCase {
  const char* name;
  MultipleScalersCalculation calculation;
  double want_queue_length;
  bool want_active;
};

TEST(ScaledJobPolicy, MultipleScalersTable) {
  // Triggers: a = 4 active, b = 6 active, c = 9 inactive.
  const std::vector<CombineCase> cases = {
      {"max", MultipleScalersCalculation::kMax, 6, true},
      {"min", MultipleScalersCalculation::kMin, 4, true},
      {"avg", MultipleScalersCalculation::kAvg, 5, true},
      {"sum", MultipleScalersCalculation::kSum, 10, true},
  };
  for (const CombineCase& c : cases) {
    SCOPED_TRACE(c.name);
    ScaledJobSpec spec = Spec(ScaledJobStrategy::kDefault, 0, 100);
    spec.scaling_strategy.multiple_scalers_calculation = c.calculation;
    ScaledJobDecision decision = DecideScaledJobScale(
        spec, {Trigger(4, 1, true, "a"), Trigger(6, 1, true, "b"), Trigger(9, 1, false, "c")},
        {0, 0});
    EXPECT_DOUBLE_EQ(decision.queue_length, c.want_queue_length);
    EXPECT_EQ(decision.active, c.want_active);
  }
}

TEST(ScaledJobPolicy, MaxWithActiveZeroQueueIsInactive) {
  // The trigger is active but its queue length 0 is not above the starting best 0.
  ScaledJobDecision decision =
      DecideScaledJobScale(Spec(ScaledJobStrategy::kDefault), {Trigger(0, 1, true)}, {0, 0});
  EXPECT_FALSE(decision.active);
}

TEST(ScaledJobPolicy, FailedTriggerIsSkipped) {
  ScaledJobTriggerMetrics failed = Trigger(100, 1, true, "failed");
  failed.error = true;
  ScaledJobDecision decision = DecideScaledJobScale(Spec(ScaledJobStrategy::kDefault),
                                                    {failed, Trigger(3, 1, true, "ok")}, {0, 0});
  EXPECT_DOUBLE_EQ(decision.queue_length, 3);
  EXPECT_EQ(decision.jobs_to_create, 3);
}

}  // namespace
}  // namespace krs::lab
