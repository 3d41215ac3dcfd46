#include "lab/policy/hpa_calculator.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace krs::lab {
namespace {

// The tolerance band around a usage ratio of 1.0 within which the HPA keeps the replica count.
// Kubernetes 1.28 has one value, |1 − ratio| ≤ tolerance; Kubernetes 1.33 adds per-direction
// values (behavior.scaleUp/scaleDown.tolerance) checked as (1 − down) ≤ ratio ≤ (1 + up).
struct ToleranceBand {
  double down = 0.1;
  double up = 0.1;
  bool per_direction = false;

  bool Contains(double ratio) const {
    if (!per_direction) return std::fabs(1.0 - ratio) <= up;
    return 1.0 - down <= ratio && ratio <= 1.0 + up;
  }
};

ToleranceBand ToleranceFor(const HpaSpec& spec) {
  ToleranceBand band{spec.tolerance, spec.tolerance, false};
  if (!spec.behavior.has_value()) return band;
  const HpaBehavior& behavior = *spec.behavior;
  if (behavior.scale_down.has_value() && behavior.scale_down->tolerance.has_value()) {
    band.down = *behavior.scale_down->tolerance;
    band.per_direction = true;
  }
  if (behavior.scale_up.has_value() && behavior.scale_up->tolerance.has_value()) {
    band.up = *behavior.scale_up->tolerance;
    band.per_direction = true;
  }
  return band;
}

// KEDA formats values and targets with "%.3f" before the HPA reads them as quantities, so the
// controller computes in milli-units (Quantity.MilliValue()).
std::int64_t ToMilli(double value) { return std::llround(value * 1000.0); }

std::int32_t CeilToInt32(double value) {
  double rounded = std::ceil(value);
  if (!(rounded < static_cast<double>(std::numeric_limits<std::int32_t>::max()))) {
    return std::numeric_limits<std::int32_t>::max();
  }
  return static_cast<std::int32_t>(rounded);
}

// GetExternalPerPodMetricReplicas (replica_calculator.go, Kubernetes 1.28).
std::int32_t AverageValueProposal(const HpaInput& input, const HpaMetric& metric,
                                  const ToleranceBand& band, Trace& trace) {
  const std::string prefix = metric.name + ".";
  double usage = static_cast<double>(ToMilli(*metric.value));
  double target = static_cast<double>(ToMilli(metric.target));
  double ratio = usage / (target * input.status_replicas);
  trace.Add(prefix + "usage_ratio", ratio, "usage / (target × status.replicas)");

  std::int32_t proposal = input.status_replicas;
  if (band.Contains(ratio)) {
    trace.AddBool(prefix + "within_tolerance", true, "proposal = status.replicas");
  } else {
    proposal = CeilToInt32(usage / target);
    trace.AddBool(prefix + "within_tolerance", false, "proposal = ceil(usage / target)");
  }
  trace.Add(prefix + "proposal", proposal);
  return proposal;
}

// GetExternalMetricReplicas and getUsageRatioReplicaCount (replica_calculator.go, 1.28).
std::int32_t ValueProposal(const HpaInput& input, const HpaMetric& metric,
                           const ToleranceBand& band, Trace& trace) {
  const std::string prefix = metric.name + ".";
  double usage = static_cast<double>(ToMilli(*metric.value));
  double target = static_cast<double>(ToMilli(metric.target));
  double ratio = usage / target;
  trace.Add(prefix + "usage_ratio", ratio, "usage / target");

  std::int32_t proposal = 0;
  if (input.spec_replicas == 0) {
    proposal = CeilToInt32(ratio);
    trace.AddText(prefix + "rule", "spec.replicas is 0", "proposal = ceil(ratio)");
  } else if (band.Contains(ratio)) {
    proposal = input.spec_replicas;
    trace.AddBool(prefix + "within_tolerance", true, "proposal = spec.replicas");
  } else {
    proposal = CeilToInt32(ratio * input.ready_pods);
    trace.AddBool(prefix + "within_tolerance", false, "proposal = ceil(ratio × ready pods)");
  }
  trace.Add(prefix + "proposal", proposal);
  return proposal;
}

// computeReplicasForMetrics: the largest proposal of the valid metrics, or -1 when the HPA must
// not scale (all metrics invalid, or some invalid and the result would scale down).
std::int32_t ProposeFromMetrics(const HpaSpec& spec, const HpaInput& input, HpaResult& result) {
  Trace& trace = result.trace;
  ToleranceBand band = ToleranceFor(spec);
  trace.Add("tolerance_down", band.down);
  trace.Add("tolerance_up", band.up);

  std::int32_t replicas = 0;
  std::int32_t invalid = 0;
  for (const HpaMetric& metric : input.metrics) {
    const std::string prefix = metric.name + ".";
    trace.AddText(prefix + "type",
                  metric.type == MetricTargetType::kAverageValue ? "AverageValue" : "Value");
    trace.Add(prefix + "target", metric.target);
    if (!metric.value.has_value() || ToMilli(metric.target) <= 0) {
      ++invalid;
      std::string error = metric.value.has_value() ? "target is 0" : metric.error;
      trace.AddText(prefix + "invalid", error.empty() ? "no value" : error);
      continue;
    }
    trace.Add(prefix + "usage", *metric.value, "sum of the values KEDA returned");
    std::int32_t proposal = metric.type == MetricTargetType::kAverageValue
                                ? AverageValueProposal(input, metric, band, trace)
                                : ValueProposal(input, metric, band, trace);
    if (replicas == 0 || proposal > replicas) replicas = proposal;
  }

  std::int32_t metric_count = static_cast<std::int32_t>(input.metrics.size());
  if (invalid >= metric_count || (invalid > 0 && replicas < input.spec_replicas)) {
    trace.AddText("metrics", absl::StrFormat("%d of %d invalid", invalid, metric_count),
                  "all invalid, or some invalid and the result would scale down: no scaling");
    return -1;
  }
  trace.Add("metric_proposal", replicas, "largest proposal of the valid metrics");
  return replicas;
}

// stabilizeRecommendation (behavior nil): the largest recommendation of the downscale window,
// the new one included. Records the new one, reusing a slot older than the window.
std::int32_t StabilizeWithoutBehavior(const HpaSpec& spec, std::int32_t proposal, absl::Time now,
                                      HpaHistory& history, Trace& trace) {
  std::int32_t max_recommendation = proposal;
  absl::Time cutoff = now - spec.downscale_stabilization;
  int old_index = -1;
  for (size_t i = 0; i < history.recommendations.size(); ++i) {
    const HpaRecommendation& rec = history.recommendations[i];
    if (rec.time < cutoff) {
      old_index = static_cast<int>(i);
    } else if (rec.replicas > max_recommendation) {
      max_recommendation = rec.replicas;
    }
  }
  HpaRecommendation recorded{now, proposal};
  if (old_index >= 0) {
    history.recommendations[old_index] = recorded;
  } else {
    history.recommendations.push_back(recorded);
  }
  trace.Add("stabilization_window_seconds", absl::ToDoubleSeconds(spec.downscale_stabilization));
  trace.Add("stabilized", max_recommendation,
            "max(recommendations of the last window, proposal)");
  return max_recommendation;
}

// convertDesiredReplicasWithRules: clamp to [min, min(max, max(2 × current, 4))].
std::int32_t LimitWithoutBehavior(const HpaSpec& spec, std::int32_t current,
                                  std::int32_t desired, HpaResult& result) {
  std::int32_t scale_up_limit = static_cast<std::int32_t>(
      std::max(2.0 * static_cast<double>(current), 4.0));
  result.trace.Add("scale_up_limit", scale_up_limit, "max(2 × current, 4)");

  std::int32_t maximum = spec.max_replicas;
  std::string limiting = "TooManyReplicas";
  if (spec.max_replicas > scale_up_limit) {
    maximum = scale_up_limit;
    limiting = "ScaleUpLimit";
  }
  result.trace.Add("max_allowed", maximum, "min(maxReplicas, scale_up_limit)");
  result.trace.Add("min_allowed", spec.min_replicas, "minReplicas");

  if (desired < spec.min_replicas) {
    result.reason = "TooFewReplicas";
    return spec.min_replicas;
  }
  if (desired > maximum) {
    result.reason = limiting;
    return maximum;
  }
  result.reason = "DesiredWithinRange";
  return desired;
}

std::int32_t WindowSeconds(const HpaScalingRules& rules) {
  return rules.stabilization_window_seconds.value_or(0);
}

// stabilizeRecommendationWithBehaviors: the current count raised to the smallest
// recommendation of the scale-up window and lowered to the largest of the scale-down window.
std::int32_t StabilizeWithBehavior(const HpaBehavior& behavior, std::int32_t current,
                                   std::int32_t proposal, absl::Time now, HpaHistory& history,
                                   Trace& trace) {
  std::int32_t up_window = WindowSeconds(*behavior.scale_up);
  std::int32_t down_window = WindowSeconds(*behavior.scale_down);
  absl::Time up_cutoff = now - absl::Seconds(up_window);
  absl::Time down_cutoff = now - absl::Seconds(down_window);
  trace.Add("scale_up_stabilization_window_seconds", up_window);
  trace.Add("scale_down_stabilization_window_seconds", down_window);

  std::int32_t up_recommendation = proposal;
  std::int32_t down_recommendation = proposal;
  int old_index = -1;
  for (size_t i = 0; i < history.recommendations.size(); ++i) {
    const HpaRecommendation& rec = history.recommendations[i];
    if (rec.time > up_cutoff) up_recommendation = std::min(rec.replicas, up_recommendation);
    if (rec.time > down_cutoff) {
      down_recommendation = std::max(rec.replicas, down_recommendation);
    }
    if (rec.time < up_cutoff && rec.time < down_cutoff) old_index = static_cast<int>(i);
  }
  trace.Add("up_recommendation", up_recommendation, "min(recommendations in the up window)");
  trace.Add("down_recommendation", down_recommendation,
            "max(recommendations in the down window)");

  std::int32_t recommendation = current;
  if (recommendation < up_recommendation) recommendation = up_recommendation;
  if (recommendation > down_recommendation) recommendation = down_recommendation;
  trace.Add("stabilized", recommendation,
            "current raised to up_recommendation, lowered to down_recommendation");

  HpaRecommendation recorded{now, proposal};
  if (old_index >= 0) {
    history.recommendations[old_index] = recorded;
  } else {
    history.recommendations.push_back(recorded);
  }
  return recommendation;
}

// getReplicasChangePerPeriod: the replicas changed by events younger than the period.
std::int32_t ChangeInPeriod(std::int32_t period_seconds, const std::vector<HpaScaleEvent>& events,
                            absl::Time now) {
  absl::Time cutoff = now - absl::Seconds(period_seconds);
  std::int32_t change = 0;
  for (const HpaScaleEvent& event : events) {
    if (event.time > cutoff) change += event.replica_change;
  }
  return change;
}

std::string PolicyLabel(const HpaScalingPolicy& policy) {
  return absl::StrFormat("%s %d/%ds", HpaPolicyTypeName(policy.type), policy.value,
                         policy.period_seconds);
}

// calculateScaleUpLimitWithScalingRules.
std::int32_t ScaleUpLimit(std::int32_t current, const HpaHistory& history,
                          const HpaScalingRules& rules, absl::Time now, Trace& trace) {
  HpaSelectPolicy select = rules.select_policy.value_or(HpaSelectPolicy::kMax);
  trace.AddText("scale_up_select_policy", HpaSelectPolicyName(select));
  if (select == HpaSelectPolicy::kDisabled) return current;

  bool pick_min = select == HpaSelectPolicy::kMin;
  std::int32_t result = pick_min ? std::numeric_limits<std::int32_t>::max()
                                 : std::numeric_limits<std::int32_t>::min();
  for (const HpaScalingPolicy& policy : rules.policies.value_or(std::vector<HpaScalingPolicy>{})) {
    std::int32_t added = ChangeInPeriod(policy.period_seconds, history.scale_up_events, now);
    std::int32_t removed = ChangeInPeriod(policy.period_seconds, history.scale_down_events, now);
    std::int32_t start = current - added + removed;
    std::int32_t proposed = 0;
    std::string formula;
    if (policy.type == HpaPolicyType::kPods) {
      proposed = start + policy.value;
      formula = "period_start + value";
    } else {
      proposed = static_cast<std::int32_t>(
          std::ceil(static_cast<double>(start) * (1.0 + policy.value / 100.0)));
      formula = "ceil(period_start × (1 + value/100))";
    }
    trace.Add("scale_up_policy[" + PolicyLabel(policy) + "].period_start", start,
              absl::StrFormat("current − added (%d) + removed (%d)", added, removed));
    trace.Add("scale_up_policy[" + PolicyLabel(policy) + "].limit", proposed, formula);
    result = pick_min ? std::min(result, proposed) : std::max(result, proposed);
  }
  return result;
}

// calculateScaleDownLimitWithBehaviors.
std::int32_t ScaleDownLimit(std::int32_t current, const HpaHistory& history,
                            const HpaScalingRules& rules, absl::Time now, Trace& trace) {
  HpaSelectPolicy select = rules.select_policy.value_or(HpaSelectPolicy::kMax);
  trace.AddText("scale_down_select_policy", HpaSelectPolicyName(select));
  if (select == HpaSelectPolicy::kDisabled) return current;

  // For scale-down the smallest change is the largest limit.
  bool pick_min_change = select == HpaSelectPolicy::kMin;
  std::int32_t result = pick_min_change ? std::numeric_limits<std::int32_t>::min()
                                        : std::numeric_limits<std::int32_t>::max();
  for (const HpaScalingPolicy& policy : rules.policies.value_or(std::vector<HpaScalingPolicy>{})) {
    std::int32_t added = ChangeInPeriod(policy.period_seconds, history.scale_up_events, now);
    std::int32_t removed = ChangeInPeriod(policy.period_seconds, history.scale_down_events, now);
    std::int32_t start = current - added + removed;
    std::int32_t proposed = 0;
    std::string formula;
    if (policy.type == HpaPolicyType::kPods) {
      proposed = start - policy.value;
      formula = "period_start − value";
    } else {
      proposed = static_cast<std::int32_t>(static_cast<double>(start) *
                                           (1.0 - policy.value / 100.0));
      formula = "trunc(period_start × (1 − value/100))";
    }
    trace.Add("scale_down_policy[" + PolicyLabel(policy) + "].period_start", start,
              absl::StrFormat("current − added (%d) + removed (%d)", added, removed));
    trace.Add("scale_down_policy[" + PolicyLabel(policy) + "].limit", proposed, formula);
    result = pick_min_change ? std::max(result, proposed) : std::min(result, proposed);
  }
  return result;
}

// convertDesiredReplicasWithBehaviorRate.
std::int32_t LimitWithBehavior(const HpaSpec& spec, const HpaBehavior& behavior,
                               std::int32_t current, std::int32_t desired,
                               const HpaHistory& history, absl::Time now, HpaResult& result) {
  Trace& trace = result.trace;
  if (desired > current) {
    std::int32_t limit = ScaleUpLimit(current, history, *behavior.scale_up, now, trace);
    if (limit < current) limit = current;
    trace.Add("scale_up_limit", limit, "selected policy limit, at least current");
    std::int32_t maximum = spec.max_replicas;
    std::string limiting = "TooManyReplicas";
    if (maximum > limit) {
      maximum = limit;
      limiting = "ScaleUpLimit";
    }
    trace.Add("max_allowed", maximum, "min(maxReplicas, scale_up_limit)");
    if (desired > maximum) {
      result.reason = limiting;
      return maximum;
    }
  } else if (desired < current) {
    std::int32_t limit = ScaleDownLimit(current, history, *behavior.scale_down, now, trace);
    if (limit > current) limit = current;
    trace.Add("scale_down_limit", limit, "selected policy limit, at most current");
    std::int32_t minimum = spec.min_replicas;
    std::string limiting = "TooFewReplicas";
    if (minimum < limit) {
      minimum = limit;
      limiting = "ScaleDownLimit";
    }
    trace.Add("min_allowed", minimum, "max(minReplicas, scale_down_limit)");
    if (desired < minimum) {
      result.reason = limiting;
      return minimum;
    }
  }
  result.reason = "DesiredWithinRange";
  return desired;
}

HpaBehavior EffectiveBehavior(const HpaSpec& spec) {
  HpaBehavior behavior = DefaultHpaBehavior(*spec.behavior);
  // maybeInitScaleDownStabilizationWindow: an unset window takes the controller flag.
  if (!behavior.scale_down->stabilization_window_seconds.has_value()) {
    behavior.scale_down->stabilization_window_seconds =
        static_cast<std::int32_t>(absl::ToInt64Seconds(spec.downscale_stabilization));
  }
  return behavior;
}

std::int32_t Normalize(const HpaSpec& spec, const HpaInput& input, std::int32_t proposal,
                       absl::Time now, HpaHistory& history, HpaResult& result) {
  std::int32_t current = input.spec_replicas;
  if (!spec.behavior.has_value()) {
    result.trace.AddText("behavior", "nil",
                         "5 min scale-down stabilization, scale-up limit max(2 × current, 4)");
    std::int32_t stabilized = StabilizeWithoutBehavior(spec, proposal, now, history, result.trace);
    return LimitWithoutBehavior(spec, current, stabilized, result);
  }

  result.trace.AddText("behavior", "set", "API defaults applied, then windows and policies");
  HpaBehavior behavior = EffectiveBehavior(spec);
  std::int32_t stabilized =
      StabilizeWithBehavior(behavior, current, proposal, now, history, result.trace);
  return LimitWithBehavior(spec, behavior, current, stabilized, history, now, result);
}

void StoreEvent(std::vector<HpaScaleEvent>& events, const HpaScalingRules& rules,
                std::int32_t change, absl::Time now) {
  std::int32_t longest = 0;
  for (const HpaScalingPolicy& policy : rules.policies.value_or(std::vector<HpaScalingPolicy>{})) {
    longest = std::max(longest, policy.period_seconds);
  }
  absl::Time cutoff = now - absl::Seconds(longest);
  int old_index = -1;
  for (size_t i = 0; i < events.size(); ++i) {
    if (events[i].time < cutoff) events[i].outdated = true;
    if (events[i].outdated) old_index = static_cast<int>(i);
  }
  HpaScaleEvent event{now, change, false};
  if (old_index >= 0) {
    events[old_index] = event;
  } else {
    events.push_back(event);
  }
}

}  // namespace

HpaResult ComputeHpaReplicas(const HpaSpec& spec, const HpaInput& input, absl::Time now,
                             HpaHistory& history) {
  HpaResult result;
  Trace& trace = result.trace;
  std::int32_t current = input.spec_replicas;
  trace.Add("current_replicas", current, "scale target spec.replicas");
  trace.Add("status_replicas", input.status_replicas);
  trace.Add("ready_pods", input.ready_pods);
  trace.Add("min_replicas", spec.min_replicas);
  trace.Add("max_replicas", spec.max_replicas);

  result.desired_replicas = current;
  if (current == 0 && spec.min_replicas != 0) {
    result.scaling_disabled = true;
    result.reason = "ScalingDisabled";
    result.desired_replicas = 0;
    trace.AddText("rule", "ScalingDisabled", "spec.replicas is 0 and minReplicas is not");
    trace.Add("desired_replicas", 0);
    return result;
  }
  if (current > spec.max_replicas) {
    result.desired_replicas = spec.max_replicas;
    result.reason = "TooManyReplicas";
    trace.AddText("rule", "current above maxReplicas", "desired = maxReplicas");
  } else if (current < spec.min_replicas) {
    result.desired_replicas = spec.min_replicas;
    result.reason = "TooFewReplicas";
    trace.AddText("rule", "current below minReplicas", "desired = minReplicas");
  } else {
    std::int32_t proposal = ProposeFromMetrics(spec, input, result);
    if (proposal < 0) {
      result.metrics_invalid = true;
      result.reason = "FailedGetExternalMetric";
      trace.Add("desired_replicas", current);
      return result;
    }
    result.desired_replicas = Normalize(spec, input, proposal, now, history, result);
  }

  result.rescale = result.desired_replicas != current;
  trace.AddText("limit_reason", result.reason);
  trace.Add("desired_replicas", result.desired_replicas);
  return result;
}

void RecordHpaScale(const HpaSpec& spec, std::int32_t previous, std::int32_t next,
                    absl::Time now, HpaHistory& history) {
  if (!spec.behavior.has_value() || previous == next) return;
  HpaBehavior behavior = DefaultHpaBehavior(*spec.behavior);
  if (next > previous) {
    StoreEvent(history.scale_up_events, *behavior.scale_up, next - previous, now);
  } else {
    StoreEvent(history.scale_down_events, *behavior.scale_down, previous - next, now);
  }
}

}  // namespace krs::lab
