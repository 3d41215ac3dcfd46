// explain hpa: one HPA sync for a KEDA external metric.
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "lab/explain/explain_subcommands.h"
#include "lab/explain/flag_parser.h"
#include "lab/explain/trace_output.h"
#include "lab/manifests/manifest_loader.h"
#include "lab/manifests/yaml_util.h"
#include "lab/policy/hpa_calculator.h"

namespace krs::lab {

const char kExplainHpaHelp[] =
    R"(explain hpa: the replica count the HPA (Kubernetes 1.28) computes at one sync.

  --current=C             scale target spec.replicas (>= 0)
  --metric=U              metric value KEDA returns (sum over items, >= 0)
  --target=T              metric target (> 0)
  --metric-type=AverageValue|Value   (default AverageValue, KEDA's default)
  --ready=N               Running and Ready pods, used by Value (default C)
  --status-replicas=N     scale target status.replicas, used by AverageValue (default C)
  --min=M                 HPA minReplicas (default 1; KEDA sets max(1, minReplicaCount))
  --max=M                 HPA maxReplicas (default 100)
  --tolerance=F           --horizontal-pod-autoscaler-tolerance (default 0.1)
  --downscale-stabilization=S  --horizontal-pod-autoscaler-downscale-stabilization in
                          seconds (default 300)
  --behavior=FILE         an HPA v2 `behavior` block, YAML or JSON (without it: behavior nil)
  --history=FILE          earlier recommendations and scale events, YAML or JSON:
                            recommendations:   [{ageSeconds: 60, replicas: 5}, ...]
                            scaleUpEvents:     [{ageSeconds: 10, change: 2}, ...]
                            scaleDownEvents:   [{ageSeconds: 30, change: 1}, ...]
                          ages are seconds before this sync; changes are positive counts;
                          scale events only matter when a behavior is set
  --json                  print one JSON object; the result key is desired_replicas
)";

namespace {

// Any fixed instant works: history entries are placed at now − age.
const absl::Time kNow = absl::FromUnixSeconds(2000000000);

absl::Status ReadEvents(const YAML::Node& root, const char* key, const std::string& source,
                        bool recommendations, HpaHistory& history) {
  YAML::Node list = yaml_util::Child(root, key);
  if (!list.IsDefined() || list.IsNull()) return absl::OkStatus();
  std::string path = absl::StrCat(source, " ", key);
  if (!list.IsSequence()) return absl::InvalidArgumentError(absl::StrCat(path, ": want a list"));
  for (size_t i = 0; i < list.size(); ++i) {
    std::string item_path = absl::StrCat(path, "[", i, "]");
    auto age = yaml_util::GetInt(list[i], "ageSeconds", item_path);
    auto count =
        yaml_util::GetInt(list[i], recommendations ? "replicas" : "change", item_path);
    if (!age.ok()) return age.status();
    if (!count.ok()) return count.status();
    if (!age->has_value() || **age < 0 || !count->has_value() || **count < 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          item_path, ": want ageSeconds >= 0 and ", recommendations ? "replicas" : "change",
          " >= 0"));
    }
    absl::Time time = kNow - absl::Seconds(**age);
    auto value = static_cast<std::int32_t>(**count);
    if (recommendations) {
      history.recommendations.push_back({time, value});
    } else if (std::string(key) == "scaleUpEvents") {
      history.scale_up_events.push_back({time, value, false});
    } else {
      history.scale_down_events.push_back({time, value, false});
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<HpaHistory> LoadHistory(const std::string& path) {
  absl::StatusOr<std::string> content = yaml_util::ReadFile(path);
  if (!content.ok()) return content.status();
  auto documents = yaml_util::ParseDocuments(*content, path);
  if (!documents.ok()) return documents.status();
  HpaHistory history;
  if (documents->empty()) return history;
  try {
    const YAML::Node& root = documents->front();
    for (const char* key : {"recommendations", "scaleUpEvents", "scaleDownEvents"}) {
      absl::Status status =
          ReadEvents(root, key, path, std::string(key) == "recommendations", history);
      if (!status.ok()) return status;
    }
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": invalid history: ", e.msg));
  }
  return history;
}

struct HpaExplainInput {
  HpaSpec spec;
  HpaInput input;
  HpaHistory history;
};

absl::StatusOr<HpaExplainInput> ReadInput(const FlagSet& flags) {
  HpaExplainInput result;
  auto current = flags.Int("current", 0);
  auto metric = flags.Double("metric", 0);
  auto target = flags.Double("target", 0.001);
  auto type = flags.Choice("metric-type", {"AverageValue", "Value"}, "AverageValue");
  auto min = flags.Int("min", 1, 1);
  auto max = flags.Int("max", 1, 100);
  auto tolerance = flags.Double("tolerance", 0, 0.1);
  auto window = flags.Int("downscale-stabilization", 0, 300);
  for (const absl::Status& status :
       {current.status(), metric.status(), target.status(), type.status(), min.status(),
        max.status(), tolerance.status(), window.status()}) {
    if (!status.ok()) return status;
  }
  auto ready = flags.Int("ready", 0, *current);
  auto status_replicas = flags.Int("status-replicas", 0, *current);
  if (!ready.ok()) return ready.status();
  if (!status_replicas.ok()) return status_replicas.status();
  if (*min > *max) {
    return absl::InvalidArgumentError(absl::StrCat("invalid --min=", *min,
                                                   ": want at most --max (", *max, ")"));
  }

  result.spec.min_replicas = static_cast<std::int32_t>(*min);
  result.spec.max_replicas = static_cast<std::int32_t>(*max);
  result.spec.tolerance = *tolerance;
  result.spec.downscale_stabilization = absl::Seconds(*window);
  result.input.spec_replicas = static_cast<std::int32_t>(*current);
  result.input.status_replicas = static_cast<std::int32_t>(*status_replicas);
  result.input.ready_pods = static_cast<std::int32_t>(*ready);
  HpaMetric hpa_metric;
  hpa_metric.name = "metric";
  hpa_metric.type =
      *type == "Value" ? MetricTargetType::kValue : MetricTargetType::kAverageValue;
  hpa_metric.target = *target;
  hpa_metric.value = *metric;
  result.input.metrics.push_back(hpa_metric);

  if (flags.Has("behavior")) {
    std::string path = *flags.String("behavior");
    absl::StatusOr<std::string> content = yaml_util::ReadFile(path);
    if (!content.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid --behavior=", path, ": ", content.status().message()));
    }
    absl::StatusOr<HpaBehavior> behavior = ParseHpaBehavior(*content, path);
    if (!behavior.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid --behavior=", path, ": ", behavior.status().message()));
    }
    result.spec.behavior = *behavior;
  }
  if (flags.Has("history")) {
    std::string path = *flags.String("history");
    absl::StatusOr<HpaHistory> history = LoadHistory(path);
    if (!history.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid --history=", path, ": ", history.status().message()));
    }
    result.history = *history;
  }
  return result;
}

std::vector<std::string> FormulaFor(const HpaExplainInput& input) {
  std::vector<std::string> lines;
  if (input.input.metrics.front().type == MetricTargetType::kAverageValue) {
    lines.push_back("AverageValue: ratio = U / (T × status.replicas); "
                    "|1 − ratio| ≤ tolerance ? status.replicas : ceil(U / T)");
  } else {
    lines.push_back("Value: ratio = U / T; |1 − ratio| ≤ tolerance ? C : ceil(ratio × ready)");
  }
  if (!input.spec.behavior.has_value()) {
    lines.push_back("behavior nil: stabilized = max(recommendations of the last 300 s)");
    lines.push_back("desired = clamp(stabilized, min, min(max, max(2 × C, 4)))");
  } else {
    lines.push_back("behavior: stabilized = clamp(C, min(up-window recs), max(down-window recs))");
    lines.push_back("rate limit from period_start = C − added + removed in the period; "
                    "Pods ±v, Percent ceil(×(1+v/100)) / trunc(×(1−v/100)); select Max/Min");
    lines.push_back("desired = clamp(stabilized, max(min, down limit), min(max, up limit))");
  }
  return lines;
}

}  // namespace

int ExplainHpa(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  absl::StatusOr<FlagSet> flags = FlagSet::Parse(
      args, {"current", "metric", "target", "metric-type", "ready", "status-replicas", "min",
             "max", "tolerance", "downscale-stabilization", "behavior", "history"});
  if (flags.ok() && flags->help()) {
    out << kExplainHpaHelp;
    return 0;
  }
  absl::StatusOr<HpaExplainInput> input =
      flags.ok() ? ReadInput(*flags) : absl::StatusOr<HpaExplainInput>(flags.status());
  if (!input.ok()) {
    err << "explain hpa: " << input.status().message() << "\n";
    return 2;
  }

  HpaResult result = ComputeHpaReplicas(input->spec, input->input, kNow, input->history);

  ExplainReport report;
  report.title = "HPA sync (Kubernetes 1.28 pkg/controller/podautoscaler/horizontal.go)";
  report.formula = FormulaFor(*input);
  report.trace = result.trace;
  report.result_key = "desired_replicas";
  report.result = result.desired_replicas;
  report.extra["rescale"] = result.rescale;
  report.extra["reason"] = result.reason;
  report.extra["scaling_disabled"] = result.scaling_disabled;
  PrintReport(report, flags->json(), out);
  return 0;
}

}  // namespace krs::lab
