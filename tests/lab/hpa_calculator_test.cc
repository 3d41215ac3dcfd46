#include "lab/policy/hpa_calculator.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace krs::lab {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(1000000);

HpaInput OneMetric(std::int32_t current, double value, double target,
                   MetricTargetType type = MetricTargetType::kAverageValue) {
  HpaInput input;
  input.spec_replicas = current;
  input.status_replicas = current;
  input.ready_pods = current;
  HpaMetric metric;
  metric.name = "m";
  metric.type = type;
  metric.target = target;
  metric.value = value;
  input.metrics.push_back(metric);
  return input;
}

struct ProposalCase {
  const char* name;
  std::int32_t current;
  double value;
  double target;
  MetricTargetType type;
  std::int32_t ready;
  std::int32_t want;
};

TEST(HpaCalculator, MetricProposalTable) {
  const std::vector<ProposalCase> cases = {
      // AverageValue: ratio = 10.5 / (1 × 10) = 1.05 is within the tolerance 0.1.
      {"average within tolerance", 10, 10.5, 1, MetricTargetType::kAverageValue, 10, 10},
      // ratio 1.1 is not within: in float64, |1 − 1.1| = 0.10000000000000009 > 0.1, as in the
      // controller's Go code. ceil(11 / 1) = 11.
      {"average at upper edge scales", 10, 11, 1, MetricTargetType::kAverageValue, 10, 11},
      // ratio 11.1/10 = 1.11 > 1.1: ceil(11.1 / 1) = 12.
      {"average just above edge", 10, 11.1, 1, MetricTargetType::kAverageValue, 10, 12},
      // ratio 0.9: |1 − 0.9| = 0.09999999999999998 is within, keeps 10.
      {"average within lower edge", 10, 9, 1, MetricTargetType::kAverageValue, 10, 10},
      // ratio 0.89: ceil(8.9) = 9.
      {"average just below edge", 10, 8.9, 1, MetricTargetType::kAverageValue, 10, 9},
      // 45 messages, target 10 per pod: ceil(4.5) = 5 (the limit from 3 is max(6, 4) = 6).
      {"average scale up", 3, 45, 10, MetricTargetType::kAverageValue, 3, 5},
      // Value: ratio = 30 / 10 = 3, ceil(3 × ready 2) = 6.
      {"value uses ready pods", 4, 30, 10, MetricTargetType::kValue, 2, 6},
      // Value: ratio 1.05 within the tolerance keeps spec.replicas.
      {"value within tolerance", 4, 10.5, 10, MetricTargetType::kValue, 2, 4},
  };
  for (const ProposalCase& c : cases) {
    SCOPED_TRACE(c.name);
    HpaSpec spec;
    spec.min_replicas = 1;
    spec.max_replicas = 100;
    HpaInput input = OneMetric(c.current, c.value, c.target, c.type);
    input.ready_pods = c.ready;
    HpaHistory history;
    HpaResult result = ComputeHpaReplicas(spec, input, kNow, history);
    EXPECT_EQ(result.desired_replicas, c.want);
  }
}

TEST(HpaCalculator, ScalingDisabledAtZeroReplicas) {
  HpaSpec spec;
  HpaHistory history;
  HpaResult result = ComputeHpaReplicas(spec, OneMetric(0, 100, 1), kNow, history);
  EXPECT_TRUE(result.scaling_disabled);
  EXPECT_FALSE(result.rescale);
  EXPECT_EQ(result.desired_replicas, 0);
  EXPECT_TRUE(history.recommendations.empty());
}

TEST(HpaCalculator, ClampsOutsideMinMaxWithoutMetrics) {
  HpaSpec spec;
  spec.min_replicas = 2;
  spec.max_replicas = 5;
  HpaHistory history;
  EXPECT_EQ(ComputeHpaReplicas(spec, OneMetric(8, 0, 1), kNow, history).desired_replicas, 5);
  EXPECT_EQ(ComputeHpaReplicas(spec, OneMetric(1, 100, 1), kNow, history).desired_replicas, 2);
  EXPECT_TRUE(history.recommendations.empty());
}

TEST(HpaCalculator, DefaultBehaviorLimitsScaleUp) {
  HpaSpec spec;
  spec.max_replicas = 100;
  HpaHistory history;
  // 50 messages at target 1 want 50 pods; from 1 replica the limit is max(2 × 1, 4) = 4.
  EXPECT_EQ(ComputeHpaReplicas(spec, OneMetric(1, 50, 1), kNow, history).desired_replicas, 4);
  HpaHistory history2;
  // From 10 replicas: max(20, 4) = 20.
  HpaResult result = ComputeHpaReplicas(spec, OneMetric(10, 50, 1), kNow, history2);
  EXPECT_EQ(result.desired_replicas, 20);
  EXPECT_EQ(result.reason, "ScaleUpLimit");
}

TEST(HpaCalculator, DefaultBehaviorStabilizesScaleDownForFiveMinutes) {
  HpaSpec spec;
  HpaHistory history;
  EXPECT_EQ(ComputeHpaReplicas(spec, OneMetric(8, 8, 1), kNow, history).desired_replicas, 8);
  // The queue drains: the proposal is 2, but the recommendation 8 of 4 min ago still counts.
  HpaResult held = ComputeHpaReplicas(spec, OneMetric(8, 2, 1), kNow + absl::Minutes(4), history);
  EXPECT_EQ(held.desired_replicas, 8);
  EXPECT_FALSE(held.rescale);
  // 5 min and 1 s after the first sync only the recommendation 2 is left in the window.
  HpaResult dropped = ComputeHpaReplicas(spec, OneMetric(8, 2, 1),
                                         kNow + absl::Minutes(5) + absl::Seconds(1), history);
  EXPECT_EQ(dropped.desired_replicas, 2);
}

TEST(HpaCalculator, MultipleMetricsTakeLargestProposal) {
  HpaSpec spec;
  HpaInput input = OneMetric(4, 8, 1);
  HpaMetric second = input.metrics.front();
  second.name = "second";
  second.value = 20;
  input.metrics.push_back(second);
  HpaHistory history;
  EXPECT_EQ(ComputeHpaReplicas(spec, input, kNow, history).desired_replicas, 8);
}

TEST(HpaCalculator, InvalidMetricBlocksScaleDownOnly) {
  HpaSpec spec;
  HpaInput input = OneMetric(4, 1, 1);
  HpaMetric broken = input.metrics.front();
  broken.name = "broken";
  broken.value.reset();
  broken.error = "unavailable";
  input.metrics.push_back(broken);
  HpaHistory history;
  // The valid metric wants 1 < 4: with an invalid metric the HPA must not scale down.
  HpaResult down = ComputeHpaReplicas(spec, input, kNow, history);
  EXPECT_TRUE(down.metrics_invalid);
  EXPECT_EQ(down.desired_replicas, 4);
  // Wanting 8 > 4 still scales up.
  input.metrics.front().value = 8;
  HpaResult up = ComputeHpaReplicas(spec, input, kNow, history);
  EXPECT_FALSE(up.metrics_invalid);
  EXPECT_EQ(up.desired_replicas, 8);
}

TEST(HpaCalculator, AllMetricsInvalidMeansNoScaling) {
  HpaSpec spec;
  HpaInput input = OneMetric(4, 1, 1);
  input.metrics.front().value.reset();
  HpaHistory history;
  HpaResult result = ComputeHpaReplicas(spec, input, kNow, history);
  EXPECT_TRUE(result.metrics_invalid);
  EXPECT_FALSE(result.rescale);
}

HpaBehavior Behavior(std::optional<HpaScalingRules> up, std::optional<HpaScalingRules> down) {
  HpaBehavior behavior;
  behavior.scale_up = up;
  behavior.scale_down = down;
  return behavior;
}

HpaScalingRules Rules(std::vector<HpaScalingPolicy> policies, HpaSelectPolicy select,
                      std::int32_t window) {
  HpaScalingRules rules;
  rules.policies = policies;
  rules.select_policy = select;
  rules.stabilization_window_seconds = window;
  return rules;
}

struct BehaviorCase {
  const char* name;
  HpaBehavior behavior;
  std::int32_t current;
  double value;
  std::int32_t want;
};

TEST(HpaCalculator, BehaviorPoliciesTable) {
  const HpaScalingPolicy pods2{HpaPolicyType::kPods, 2, 60};
  const HpaScalingPolicy percent50{HpaPolicyType::kPercent, 50, 60};
  const std::vector<BehaviorCase> cases = {
      // Defaults: scaleUp Pods 4 and Percent 100 per 15 s, Max: from 3, max(3+4, 6) = 7.
      {"defaulted scale up", Behavior(HpaScalingRules{}, std::nullopt), 3, 50, 7},
      // Max of Pods 2 (10+2 = 12) and Percent 50 (ceil(10 × 1.5) = 15) = 15.
      {"scale up select max", Behavior(Rules({pods2, percent50}, HpaSelectPolicy::kMax, 0),
                                       std::nullopt),
       10, 50, 15},
      {"scale up select min", Behavior(Rules({pods2, percent50}, HpaSelectPolicy::kMin, 0),
                                       std::nullopt),
       10, 50, 12},
      {"scale up disabled", Behavior(Rules({pods2}, HpaSelectPolicy::kDisabled, 0),
                                     std::nullopt),
       10, 50, 10},
      // Down from 10 to 1 (window 0): Pods 2 → 8, Percent 50 → trunc(5) = 5. Max change = 5.
      {"scale down select max", Behavior(std::nullopt,
                                         Rules({pods2, percent50}, HpaSelectPolicy::kMax, 0)),
       10, 1, 5},
      {"scale down select min", Behavior(std::nullopt,
                                         Rules({pods2, percent50}, HpaSelectPolicy::kMin, 0)),
       10, 1, 8},
      {"scale down disabled", Behavior(std::nullopt,
                                       Rules({pods2}, HpaSelectPolicy::kDisabled, 0)),
       10, 1, 10},
      // Percent 50 down from 3: trunc(1.5) = 1.
      {"percent down truncates", Behavior(std::nullopt,
                                          Rules({percent50}, HpaSelectPolicy::kMax, 0)),
       3, 0.5, 1},
  };
  for (const BehaviorCase& c : cases) {
    SCOPED_TRACE(c.name);
    HpaSpec spec;
    spec.behavior = c.behavior;
    HpaHistory history;
    HpaResult result = ComputeHpaReplicas(spec, OneMetric(c.current, c.value, 1), kNow, history);
    EXPECT_EQ(result.desired_replicas, c.want);
  }
}

TEST(HpaCalculator, BehaviorDefaultScaleDownWindowIsFlag) {
  HpaSpec spec;
  spec.behavior = HpaBehavior{};
  HpaHistory history;
  history.recommendations.push_back({kNow - absl::Seconds(200), 9});
  // scaleDown window unset → 300 s: the recommendation 9 of 200 s ago keeps the count at 9.
  HpaResult result = ComputeHpaReplicas(spec, OneMetric(10, 2, 1), kNow, history);
  EXPECT_EQ(result.desired_replicas, 9);
}

TEST(HpaCalculator, BehaviorScaleUpWindowTakesMinimum) {
  HpaSpec spec;
  spec.behavior = Behavior(Rules({{HpaPolicyType::kPods, 100, 15}}, HpaSelectPolicy::kMax, 60),
                           std::nullopt);
  HpaHistory history;
  history.recommendations.push_back({kNow - absl::Seconds(30), 4});
  // The proposal is 10, but the up window contains a recommendation of 4: raise to 4 only.
  HpaResult result = ComputeHpaReplicas(spec, OneMetric(2, 10, 1), kNow, history);
  EXPECT_EQ(result.desired_replicas, 4);
}

TEST(HpaCalculator, RateLimitCountsEventsInPeriod) {
  HpaSpec spec;
  spec.behavior = Behavior(Rules({{HpaPolicyType::kPods, 4, 60}}, HpaSelectPolicy::kMax, 0),
                           std::nullopt);
  HpaHistory history;
  // 3 replicas were added 30 s ago: period start = 7 − 3 = 4, limit 4 + 4 = 8.
  history.scale_up_events.push_back({kNow - absl::Seconds(30), 3, false});
  HpaResult result = ComputeHpaReplicas(spec, OneMetric(7, 50, 1), kNow, history);
  EXPECT_EQ(result.desired_replicas, 8);
  // An event older than the period does not count: limit 7 + 4 = 11.
  HpaHistory old_history;
  old_history.scale_up_events.push_back({kNow - absl::Seconds(90), 3, false});
  EXPECT_EQ(ComputeHpaReplicas(spec, OneMetric(7, 50, 1), kNow, old_history).desired_replicas,
            11);
}

TEST(HpaCalculator, RecordHpaScaleOnlyWithBehavior) {
  HpaSpec spec;
  HpaHistory history;
  RecordHpaScale(spec, 2, 5, kNow, history);
  EXPECT_TRUE(history.scale_up_events.empty());
  spec.behavior = HpaBehavior{};
  RecordHpaScale(spec, 2, 5, kNow, history);
  RecordHpaScale(spec, 5, 4, kNow, history);
  ASSERT_EQ(history.scale_up_events.size(), 1u);
  EXPECT_EQ(history.scale_up_events.front().replica_change, 3);
  ASSERT_EQ(history.scale_down_events.size(), 1u);
  EXPECT_EQ(history.scale_down_events.front().replica_change, 1);
}

TEST(HpaCalculator, PerDirectionTolerance) {
  HpaScalingRules up;
  up.tolerance = 0.5;
  HpaSpec spec;
  spec.behavior = Behavior(up, std::nullopt);
  HpaHistory history;
  // ratio 14/10 = 1.4 is within the 1.33 per-direction band [0.9, 1.5]: keep 10.
  EXPECT_EQ(ComputeHpaReplicas(spec, OneMetric(10, 14, 1), kNow, history).desired_replicas, 10);
}

TEST(HpaCalculator, TraceHasEveryStep) {
  HpaSpec spec;
  HpaHistory history;
  HpaResult result = ComputeHpaReplicas(spec, OneMetric(3, 45, 10), kNow, history);
  ASSERT_NE(result.trace.Find("m.usage_ratio"), nullptr);
  EXPECT_DOUBLE_EQ(*result.trace.Find("m.usage_ratio")->number, 1.5);
  ASSERT_NE(result.trace.Find("desired_replicas"), nullptr);
  EXPECT_EQ(result.trace.Find("desired_replicas")->value, "5");
}

}  // namespace
}  // namespace krs::lab
