#include "lab/policy/scaledobject_policy.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace krs::lab {
namespace {

// scaleFromZeroOrIdle: minReplicaCount if > 0, else 1.
std::int32_t ActivationReplicas(const ScaledObjectSpec& spec) {
  return spec.min_replica_count > 0 ? spec.min_replica_count : 1;
}

// getIdleOrMinimumReplicaCount.
std::int32_t IdleOrMinReplicas(const ScaledObjectSpec& spec) {
  return spec.idle_replica_count.value_or(spec.min_replica_count);
}

void DecideActive(const ScaledObjectSpec& spec, const ScaledObjectPollResult& poll,
                  absl::Time now, ScaledObjectState& state, ScaledObjectDecision& decision) {
  std::int32_t current = poll.current_replicas;
  bool below_min_with_idle =
      spec.idle_replica_count.has_value() && current < spec.min_replica_count;
  if (below_min_with_idle || current == 0) {
    decision.scale_to = ActivationReplicas(spec);
    state.last_active_time = now;
    decision.last_active_time_updated = true;
    decision.reason = absl::StrFormat("activation: scale from %d to %d", current,
                                      *decision.scale_to);
    decision.trace.Add("scale_to", *decision.scale_to, "minReplicaCount if > 0, else 1");
    return;
  }
  if (poll.error) {
    decision.ready_condition = "Unknown";
    decision.reason = "active, but some trigger failed: lastActiveTime not refreshed";
    return;
  }
  state.last_active_time = now;
  decision.last_active_time_updated = true;
  decision.reason = "active: lastActiveTime refreshed, the HPA sets the replica count";
}

// scaleToZeroOrIdle: scale only when the cooldown (or, before any activity, the initial
// cooldown counted from creation) has passed.
void DecideScaleIn(const ScaledObjectSpec& spec, const ScaledObjectPollResult& poll,
                   absl::Time now, const ScaledObjectState& state,
                   ScaledObjectDecision& decision) {
  std::int32_t target = IdleOrMinReplicas(spec);
  absl::Time since;
  absl::Duration period;
  std::string what;
  if (state.last_active_time.has_value()) {
    since = *state.last_active_time;
    period = absl::Seconds(spec.cooldown_period_seconds);
    what = "cooldownPeriod since lastActiveTime";
  } else {
    since = state.creation_time;
    period = absl::Seconds(spec.initial_cooldown_period_seconds);
    what = "initialCooldownPeriod since creation";
  }
  absl::Duration elapsed = now - since;
  decision.trace.Add("cooldown_elapsed_seconds", absl::ToDoubleSeconds(elapsed), what);
  decision.trace.Add("cooldown_seconds", absl::ToDoubleSeconds(period));

  if (since + period < now) {
    decision.scale_to = target;
    decision.reason = absl::StrFormat("inactive after %s: scale from %d to %d", what,
                                      poll.current_replicas, target);
    decision.trace.Add("scale_to", target, "idleReplicaCount if set, else minReplicaCount");
    return;
  }
  decision.reason = absl::StrFormat("cooling down: %.0fs of %.0fs elapsed",
                                    absl::ToDoubleSeconds(elapsed), absl::ToDoubleSeconds(period));
}

void DecideInactive(const ScaledObjectSpec& spec, const ScaledObjectPollResult& poll,
                    absl::Time now, const ScaledObjectState& state,
                    ScaledObjectDecision& decision) {
  std::int32_t current = poll.current_replicas;
  if (poll.error && spec.fallback.has_value() && spec.fallback->replicas != 0) {
    decision.reason = "inactive with errors: the HPA applies fallback.replicas after "
                      "failureThreshold";
    return;
  }
  if (poll.error && !spec.fallback.has_value()) {
    decision.ready_condition = "False";
    decision.reason = "inactive with errors and no fallback: no scale-in";
    return;
  }
  bool above_idle =
      spec.idle_replica_count.has_value() && current > *spec.idle_replica_count;
  if (above_idle || (current > 0 && spec.min_replica_count == 0)) {
    DecideScaleIn(spec, poll, now, state, decision);
    return;
  }
  if (!spec.idle_replica_count.has_value() && current < spec.min_replica_count) {
    decision.scale_to = spec.min_replica_count;
    decision.reason = absl::StrFormat("inactive below minReplicaCount: scale from %d to %d",
                                      current, spec.min_replica_count);
    return;
  }
  decision.reason = "inactive: nothing to do";
}

}  // namespace

ScaledObjectDecision DecideScaledObjectScale(const ScaledObjectSpec& spec,
                                             const ScaledObjectPollResult& poll, absl::Time now,
                                             ScaledObjectState& state) {
  ScaledObjectDecision decision;
  decision.trace.Add("current_replicas", poll.current_replicas);
  decision.trace.AddBool("active", poll.active);
  decision.trace.AddBool("error", poll.error);
  decision.trace.Add("min_replica_count", spec.min_replica_count);
  if (spec.idle_replica_count.has_value()) {
    decision.trace.Add("idle_replica_count", *spec.idle_replica_count);
  }

  // KEDA v2.20 pkg/scaling/executor/scale_scaledobjects.go, RequestScale.
  if (poll.active) {
    DecideActive(spec, poll, now, state, decision);
  } else {
    DecideInactive(spec, poll, now, state, decision);
  }
  decision.trace.AddText("decision", decision.reason);
  return decision;
}

std::int32_t HpaMinReplicasFor(const ScaledObjectSpec& spec) {
  return std::max<std::int32_t>(1, spec.min_replica_count);
}

bool IsFallbackActive(const std::optional<FallbackSpec>& fallback, std::int32_t failures) {
  if (!fallback.has_value()) return false;
  if (fallback->failure_threshold < 0 || fallback->replicas < 0) return false;
  return failures > fallback->failure_threshold;
}

std::int32_t FallbackReplicas(const FallbackSpec& fallback, std::int32_t current_replicas) {
  switch (fallback.behavior) {
    case FallbackBehavior::kStatic:
      return fallback.replicas;
    case FallbackBehavior::kCurrentReplicas:
      return current_replicas;
    case FallbackBehavior::kCurrentReplicasIfHigher:
      return std::max(current_replicas, fallback.replicas);
    case FallbackBehavior::kCurrentReplicasIfLower:
      return std::min(current_replicas, fallback.replicas);
  }
  return fallback.replicas;
}

absl::StatusOr<double> FallbackMetricValue(const FallbackSpec& fallback, MetricTargetType type,
                                           double target, std::int32_t current_replicas,
                                           std::int32_t ready_pods, Trace* trace) {
  // KEDA v2.20 pkg/fallback/fallback.go: the HPA receives a value that makes it compute R.
  std::int32_t replicas = FallbackReplicas(fallback, current_replicas);
  double value = target * replicas;
  std::string formula = "target × R";
  if (type == MetricTargetType::kValue) {
    if (ready_pods <= 0) {
      return absl::FailedPreconditionError(
          "fallback for a Value metric needs at least one ready pod; found 0");
    }
    value = value / ready_pods;
    formula = "target × R / ready pods";
  }
  // The quantity is built in milli-units from a truncated integer.
  value = std::trunc(value * 1000.0) / 1000.0;
  if (trace != nullptr) {
    trace->AddText("fallback_behavior", FallbackBehaviorName(fallback.behavior));
    trace->Add("fallback_replicas", replicas, "R");
    trace->Add("fallback_metric_value", value, formula);
  }
  return value;
}

absl::Status ValidateScaledObjectSpec(const ScaledObjectSpec& spec) {
  if (spec.min_replica_count > spec.max_replica_count) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "ScaledObject %s: minReplicaCount (%d) must not be greater than maxReplicaCount (%d)",
        spec.name, spec.min_replica_count, spec.max_replica_count));
  }
  if (spec.idle_replica_count.has_value() &&
      *spec.idle_replica_count >= spec.min_replica_count) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "ScaledObject %s: idleReplicaCount (%d) must be less than minReplicaCount (%d)",
        spec.name, *spec.idle_replica_count, spec.min_replica_count));
  }
  if (spec.fallback.has_value() &&
      (spec.fallback->failure_threshold < 0 || spec.fallback->replicas < 0)) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "ScaledObject %s: fallback.failureThreshold (%d) and fallback.replicas (%d) must be >= 0",
        spec.name, spec.fallback->failure_threshold, spec.fallback->replicas));
  }
  if (spec.triggers.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("ScaledObject ", spec.name, ": spec.triggers is empty; at least one is "
                     "required"));
  }
  return absl::OkStatus();
}

}  // namespace krs::lab
