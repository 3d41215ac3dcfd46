// explain scaledjob: KEDA's ScaledJob decision for one poll.
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "lab/explain/explain_subcommands.h"
#include "lab/explain/flag_parser.h"
#include "lab/explain/trace_output.h"
#include "lab/policy/scaledjob_policy.h"

namespace krs::lab {

const char kExplainScaledJobHelp[] =
    R"(explain scaledjob: how many Jobs KEDA v2.20 creates at one poll of a ScaledJob.

  --strategy=default|custom|accurate|eager   scalingStrategy.strategy (default: default)
  --queue-length=N        metric value of the trigger: messages counted by the scaler (>= 0)
  --target=T              the trigger's AverageValue target, messages per Job (>= 0)
  --running=R             Jobs not finished, pending ones included (default 0)
  --pending=P             Jobs whose pod is not Running yet, P <= R (default 0)
  --min=M                 minReplicaCount (default 0)
  --max=M                 maxReplicaCount (default: unset, KEDA uses 100)
  --custom-deduction=D    customScalingQueueLengthDeduction (custom strategy)
  --custom-running-percentage=F  customScalingRunningJobPercentage (custom strategy; a value
                          that is not a float makes KEDA use the default strategy)
  --active=true|false     the trigger's IsActive (default: queue length > 0)
  --json                  print one JSON object; the result key is jobs_to_create
)";

namespace {

struct ScaledJobInput {
  ScaledJobSpec spec;
  double queue_length = 0;
  double target = 0;
  bool active = false;
  ScaledJobCounts counts;
};

absl::StatusOr<ScaledJobInput> ReadInput(const FlagSet& flags) {
  ScaledJobInput input;
  auto strategy = flags.Choice("strategy", {"default", "custom", "accurate", "eager"}, "default");
  auto queue_length = flags.Double("queue-length", 0);
  auto target = flags.Double("target", 0);
  auto running = flags.Int("running", 0, 0);
  auto pending = flags.Int("pending", 0, 0);
  auto min = flags.Int("min", 0, 0);
  for (const absl::Status& status : {strategy.status(), queue_length.status(), target.status(),
                                     running.status(), pending.status(), min.status()}) {
    if (!status.ok()) return status;
  }
  if (*pending > *running) {
    return absl::InvalidArgumentError(absl::StrCat(
        "invalid --pending=", *pending, ": want at most --running (", *running,
        "), because pending Jobs are counted among running Jobs"));
  }
  input.queue_length = *queue_length;
  input.target = *target;
  input.counts = {*running, *pending};
  input.spec.name = "explain";
  input.spec.min_replica_count = static_cast<std::int32_t>(*min);
  input.spec.scaling_strategy.strategy = *ParseScaledJobStrategy(*strategy);

  if (flags.Has("max")) {
    auto max = flags.Int("max", 0);
    if (!max.ok()) return max.status();
    input.spec.max_replica_count = static_cast<std::int32_t>(*max);
  }
  if (flags.Has("custom-deduction")) {
    auto deduction = flags.Int("custom-deduction", INT32_MIN);
    if (!deduction.ok()) return deduction.status();
    input.spec.scaling_strategy.custom_queue_length_deduction = *deduction;
  }
  if (flags.Has("custom-running-percentage")) {
    input.spec.scaling_strategy.custom_running_job_percentage =
        *flags.String("custom-running-percentage");
  }
  auto active = flags.Bool("active", input.queue_length > 0);
  if (!active.ok()) return active.status();
  input.active = *active;
  return input;
}

std::vector<std::string> FormulaFor(ScaledJobStrategy strategy) {
  std::vector<std::string> lines = {
      "MS = min(QL / T, MR);  S = ceil(QL);  M = ceil(MS);  R = running − Min;  P = pending",
      "running < Min: create Min − running",
  };
  switch (strategy) {
    case ScaledJobStrategy::kDefault:
      lines.push_back("default: eff = M − R");
      break;
    case ScaledJobStrategy::kCustom:
      lines.push_back("custom: eff = min(M − deduction − trunc(R × pct), MR)");
      break;
    case ScaledJobStrategy::kAccurate:
      lines.push_back("accurate: eff = MR − R if M + R − P > MR, else M − P");
      break;
    case ScaledJobStrategy::kEager:
      lines.push_back("eager: eff = min(MR − R − P, M);  S = MR");
      break;
  }
  lines.push_back("jobs_to_create = min(S, max(eff, 0)) when active, else 0");
  return lines;
}

}  // namespace

int ExplainScaledJob(const std::vector<std::string>& args, std::ostream& out,
                     std::ostream& err) {
  absl::StatusOr<FlagSet> flags = FlagSet::Parse(
      args, {"strategy", "queue-length", "target", "running", "pending", "min", "max",
             "custom-deduction", "custom-running-percentage", "active"});
  if (flags.ok() && flags->help()) {
    out << kExplainScaledJobHelp;
    return 0;
  }
  absl::StatusOr<ScaledJobInput> input =
      flags.ok() ? ReadInput(*flags) : absl::StatusOr<ScaledJobInput>(flags.status());
  if (!input.ok()) {
    err << "explain scaledjob: " << input.status().message() << "\n";
    return 2;
  }

  ScaledJobTriggerMetrics trigger;
  trigger.trigger = "trigger";
  trigger.active = input->active;
  trigger.specs.push_back({"queue", MetricTargetType::kAverageValue, input->target});
  trigger.values.emplace_back("queue", input->queue_length);
  ScaledJobDecision decision = DecideScaledJobScale(input->spec, {trigger}, input->counts);

  ExplainReport report;
  report.title = absl::StrCat("ScaledJob poll (KEDA v2.20 pkg/scaling/executor/scale_jobs.go), "
                              "strategy ",
                              ScaledJobStrategyName(input->spec.scaling_strategy.strategy));
  report.formula = FormulaFor(decision.strategy_used);
  report.trace = decision.trace;
  report.result_key = "jobs_to_create";
  report.result = decision.jobs_to_create;
  report.extra["strategy"] = ScaledJobStrategyName(input->spec.scaling_strategy.strategy);
  report.extra["strategy_used"] = ScaledJobStrategyName(decision.strategy_used);
  report.extra["active"] = decision.active;
  report.extra["effective_max_scale"] = decision.effective_max_scale;
  report.extra["scale_to"] = decision.scale_to;
  PrintReport(report, flags->json(), out);
  return 0;
}

}  // namespace krs::lab
