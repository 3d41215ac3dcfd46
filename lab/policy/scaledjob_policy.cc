#include "lab/policy/scaledjob_policy.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace krs::lab {
namespace {

// Per trigger: QL and MS (CalculateQueueLengthAndMaxValue in pkg/scaling/scaledjob/metrics.go).
struct TriggerValues {
  double queue_length = 0;
  double max_value = 0;
  bool active = false;
};

// GetTargetAverageValue: mean of the specs' AverageValue targets, a Value target counting 0.
double MeanAverageValueTarget(const std::vector<ScaledJobMetricSpec>& specs) {
  if (specs.empty()) return 0;
  double total = 0;
  for (const ScaledJobMetricSpec& spec : specs) {
    if (spec.type == MetricTargetType::kAverageValue) total += spec.target;
  }
  return total / static_cast<double>(specs.size());
}

TriggerValues ComputeTrigger(const ScaledJobTriggerMetrics& trigger, double max_replicas,
                             Trace& trace) {
  TriggerValues values;
  values.active = trigger.active;
  const std::string prefix = trigger.trigger + ".";
  if (trigger.specs.empty()) return values;

  const std::string& counted_name = trigger.specs.front().name;
  for (const auto& [name, value] : trigger.values) {
    if (name == counted_name) values.queue_length += value;
  }
  double target = MeanAverageValueTarget(trigger.specs);
  if (target != 0) values.max_value = std::min(values.queue_length / target, max_replicas);

  trace.Add(prefix + "queue_length", values.queue_length, "sum of values named like spec 0");
  trace.Add(prefix + "target", target, "mean AverageValue target (Value counts 0)");
  trace.Add(prefix + "max_scale", values.max_value,
            target != 0 ? "min(queue_length / target, Max())" : "target is 0");
  trace.AddBool(prefix + "active", values.active);
  return values;
}

// IsScaledJobActive: combine the triggers; only active ones count.
TriggerValues Combine(const std::vector<TriggerValues>& all, MultipleScalersCalculation how) {
  TriggerValues result;
  switch (how) {
    case MultipleScalersCalculation::kMin:
      for (const TriggerValues& t : all) {
        if ((result.queue_length == 0 || t.queue_length < result.queue_length) && t.active) {
          result = t;
        }
      }
      break;
    case MultipleScalersCalculation::kAvg: {
      int count = 0;
      for (const TriggerValues& t : all) {
        if (!t.active) continue;
        result.queue_length += t.queue_length;
        result.max_value += t.max_value;
        result.active = true;
        ++count;
      }
      if (count != 0) {
        result.queue_length /= count;
        result.max_value /= count;
      }
      break;
    }
    case MultipleScalersCalculation::kSum:
      for (const TriggerValues& t : all) {
        if (!t.active) continue;
        result.queue_length += t.queue_length;
        result.max_value += t.max_value;
        result.active = true;
      }
      break;
    case MultipleScalersCalculation::kMax:
      // A trigger wins only with a queue length strictly above the best so far (starting at
      // 0), so active triggers with queue length 0 leave the ScaledJob inactive.
      for (const TriggerValues& t : all) {
        if (t.queue_length > result.queue_length && t.active) result = t;
      }
      break;
  }
  return result;
}

// Parses like Go's strconv.ParseFloat(s, 64): the whole string must be a number.
std::optional<double> ParseGoFloat(const std::optional<std::string>& text) {
  if (!text.has_value() || text->empty()) return std::nullopt;
  if (std::isspace(static_cast<unsigned char>(text->front()))) return std::nullopt;
  errno = 0;
  char* end = nullptr;
  double value = std::strtod(text->c_str(), &end);
  if (end != text->c_str() + text->size() || errno == ERANGE) return std::nullopt;
  return value;
}

// getScalingDecision and the strategies' GetEffectiveMaxScale (scale_jobs.go). `running` is
// R = running − Min().
std::int64_t EffectiveMaxScale(const ScaledJobSpec& spec, std::int64_t max_scale,
                               std::int64_t running, std::int64_t pending,
                               std::int64_t max_replicas, ScaledJobDecision& decision) {
  const ScaledJobScalingStrategy& strategy = spec.scaling_strategy;
  Trace& trace = decision.trace;
  switch (strategy.strategy) {
    case ScaledJobStrategy::kCustom: {
      std::optional<double> percentage = ParseGoFloat(strategy.custom_running_job_percentage);
      if (!percentage.has_value()) {
        trace.AddText("custom_fallback", "default",
                      "customScalingRunningJobPercentage is not a float");
        break;
      }
      decision.strategy_used = ScaledJobStrategy::kCustom;
      std::int64_t deduction = strategy.custom_queue_length_deduction.value_or(0);
      auto running_share = static_cast<std::int64_t>(static_cast<double>(running) * *percentage);
      trace.Add("custom_deduction", static_cast<double>(deduction));
      trace.Add("custom_running_percentage", *percentage);
      trace.Add("trunc_R_x_percentage", static_cast<double>(running_share), "trunc(R × pct)");
      std::int64_t eff = std::min(max_scale - deduction - running_share, max_replicas);
      trace.Add("eff", static_cast<double>(eff), "min(M − deduction − trunc(R × pct), MR)");
      return eff;
    }
    case ScaledJobStrategy::kAccurate: {
      decision.strategy_used = ScaledJobStrategy::kAccurate;
      std::int64_t sum = max_scale + running - pending;
      trace.Add("M_plus_R_minus_P", static_cast<double>(sum), "M + R − P");
      if (sum > max_replicas) {
        trace.Add("eff", static_cast<double>(max_replicas - running), "M + R − P > MR: MR − R");
        return max_replicas - running;
      }
      trace.Add("eff", static_cast<double>(max_scale - pending), "M + R − P ≤ MR: M − P");
      return max_scale - pending;
    }
    case ScaledJobStrategy::kEager: {
      decision.strategy_used = ScaledJobStrategy::kEager;
      decision.scale_to = max_replicas;
      std::int64_t eff = std::min(max_replicas - running - pending, max_scale);
      trace.Add("eff", static_cast<double>(eff), "min(MR − R − P, M)");
      trace.Add("scale_to", static_cast<double>(max_replicas), "eager: scaleTo = MR");
      return eff;
    }
    case ScaledJobStrategy::kDefault:
      break;
  }
  decision.strategy_used = ScaledJobStrategy::kDefault;
  trace.Add("eff", static_cast<double>(max_scale - running), "M − R");
  return max_scale - running;
}

}  // namespace

std::int64_t ScaledJobMinReplicas(const ScaledJobSpec& spec) {
  if (spec.max_replica_count.has_value() && spec.min_replica_count > *spec.max_replica_count) {
    return *spec.max_replica_count;
  }
  return spec.min_replica_count;
}

std::int64_t ScaledJobMaxReplicas(const ScaledJobSpec& spec) {
  if (!spec.max_replica_count.has_value()) return 100;
  if (spec.min_replica_count > *spec.max_replica_count) return *spec.max_replica_count;
  return *spec.max_replica_count - spec.min_replica_count;
}

ScaledJobDecision DecideScaledJobScale(const ScaledJobSpec& spec,
                                       const std::vector<ScaledJobTriggerMetrics>& triggers,
                                       const ScaledJobCounts& counts) {
  ScaledJobDecision decision;
  Trace& trace = decision.trace;
  std::int64_t min_replicas = ScaledJobMinReplicas(spec);
  std::int64_t max_replicas = ScaledJobMaxReplicas(spec);
  trace.Add("Min", static_cast<double>(min_replicas), "spec.min, or spec.max if min > max");
  trace.Add("MR", static_cast<double>(max_replicas),
            "Max(): spec.max − Min(), spec.max if min > max, 100 if max unset");

  // KEDA v2.20 pkg/scaling/scaledjob/metrics.go: per trigger, then combined.
  std::vector<TriggerValues> values;
  for (const ScaledJobTriggerMetrics& trigger : triggers) {
    if (trigger.error) {
      trace.AddText(trigger.trigger + ".skipped", "error", "a failed trigger is skipped");
      continue;
    }
    values.push_back(ComputeTrigger(trigger, static_cast<double>(max_replicas), trace));
  }
  TriggerValues combined =
      Combine(values, spec.scaling_strategy.multiple_scalers_calculation);
  if (min_replicas > 0) combined.active = true;
  combined.max_value = std::min(combined.max_value, static_cast<double>(max_replicas));

  decision.active = combined.active;
  decision.queue_length = combined.queue_length;
  decision.max_value = combined.max_value;
  decision.scale_to = static_cast<std::int64_t>(std::ceil(combined.queue_length));
  decision.max_scale = static_cast<std::int64_t>(std::ceil(combined.max_value));
  trace.AddText("multiple_scalers_calculation",
                MultipleScalersCalculationName(spec.scaling_strategy.multiple_scalers_calculation));
  trace.Add("QL", combined.queue_length);
  trace.Add("MS", combined.max_value, "min(MS, MR)");
  trace.AddBool("active", combined.active, "some trigger active, or Min() > 0");
  trace.Add("S", static_cast<double>(decision.scale_to), "scaleTo = ceil(QL)");
  trace.Add("M", static_cast<double>(decision.max_scale), "maxScale = ceil(MS)");
  trace.Add("running", static_cast<double>(counts.running), "Jobs not finished");
  trace.Add("P", static_cast<double>(counts.pending), "pending Jobs");

  // KEDA v2.20 pkg/scaling/executor/scale_jobs.go: getScalingDecision.
  std::int64_t eff = 0;
  if (counts.running < min_replicas) {
    eff = min_replicas - counts.running;
    decision.scale_to = eff;
    trace.Add("eff", static_cast<double>(eff), "running < Min(): Min() − running");
  } else {
    std::int64_t r = counts.running - min_replicas;
    trace.Add("R", static_cast<double>(r), "running − Min()");
    trace.AddText("strategy", ScaledJobStrategyName(spec.scaling_strategy.strategy));
    eff = EffectiveMaxScale(spec, decision.max_scale, r, counts.pending, max_replicas, decision);
  }
  if (eff < 0) eff = 0;
  decision.effective_max_scale = eff;

  // createJobs: min(scaleTo, eff) when active and eff > 0.
  if (decision.active && eff > 0) {
    decision.jobs_to_create = std::min(decision.scale_to, eff);
  }
  trace.Add("jobs_to_create", static_cast<double>(decision.jobs_to_create),
            decision.active ? "min(scaleTo, max(eff, 0))" : "inactive: none");
  return decision;
}

}  // namespace krs::lab
