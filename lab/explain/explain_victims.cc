// explain victims: which pods a ReplicaSet deletes on scale-in.
#include <map>
#include <set>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "lab/explain/explain_subcommands.h"
#include "lab/explain/flag_parser.h"
#include "lab/explain/trace_output.h"
#include "lab/manifests/yaml_util.h"
#include "lab/policy/pod_ranking.h"

namespace krs::lab {

const char kExplainVictimsHelp[] =
    R"(explain victims: the pods a ReplicaSet (Kubernetes 1.28) deletes to remove K replicas.

  --pods=FILE             the active pods, YAML or JSON (below)
  --count=K               how many replicas go (>= 0)
  --json                  print one JSON object; the result key is deleted (ids in order)

Pods file: a list (or a map with key `pods`) of
  - id: worker-a          required, unique
    uid: 6f1c...          compared as text on ties (default: the id)
    node: node-1          empty or missing = not scheduled
    phase: Running        Pending, Running, Unknown (default Running)
    ready: true           default true
    readySeconds: 120     seconds since the pod became Ready (missing = never)
    deletionCost: "100"   raw pod-deletion-cost annotation (missing = none)
    restarts: 0           max container restarts
    ageSeconds: 3600      seconds since creation (default 0)
    colocatedPods: 2      active pods of the ReplicaSet on its node, itself included
                          (missing = counted from the `node` fields of this file)
)";

namespace {

const absl::Time kNow = absl::FromUnixSeconds(2000000000);

absl::StatusOr<RankedPod> ReadPod(const YAML::Node& node, const std::string& path,
                                  bool& colocated_given) {
  RankedPod pod;
  auto id = yaml_util::GetString(node, "id", path);
  auto uid = yaml_util::GetString(node, "uid", path);
  auto host = yaml_util::GetString(node, "node", path);
  auto phase = yaml_util::GetString(node, "phase", path);
  auto ready = yaml_util::GetBool(node, "ready", path);
  auto ready_seconds = yaml_util::GetDouble(node, "readySeconds", path);
  auto cost = yaml_util::GetString(node, "deletionCost", path);
  auto restarts = yaml_util::GetInt32AtLeast(node, "restarts", path, 0);
  auto age = yaml_util::GetDouble(node, "ageSeconds", path);
  auto colocated = yaml_util::GetInt32AtLeast(node, "colocatedPods", path, 1);
  for (const absl::Status& status :
       {id.status(), uid.status(), host.status(), phase.status(), ready.status(),
        ready_seconds.status(), cost.status(), restarts.status(), age.status(),
        colocated.status()}) {
    if (!status.ok()) return status;
  }
  if (!id->has_value() || (*id)->empty()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ".id: missing"));
  }
  pod.id = **id;
  pod.uid = uid->value_or(pod.id);
  pod.node = host->value_or("");
  absl::StatusOr<PodPhase> parsed_phase = ParsePodPhase(phase->value_or("Running"));
  if (!parsed_phase.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ".phase: ", parsed_phase.status().message()));
  }
  pod.phase = *parsed_phase;
  pod.ready = ready->value_or(true);
  if (ready_seconds->has_value()) pod.ready_since = kNow - absl::Seconds(**ready_seconds);
  pod.deletion_cost = *cost;
  pod.restarts = restarts->value_or(0);
  pod.created = kNow - absl::Seconds(age->value_or(0));
  if (colocated->has_value()) {
    pod.colocated_pods = **colocated;
    colocated_given = true;
  }
  return pod;
}

absl::StatusOr<std::vector<RankedPod>> LoadPods(const std::string& path) {
  absl::StatusOr<std::string> content = yaml_util::ReadFile(path);
  if (!content.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid --pods=", path, ": ", content.status().message()));
  }
  auto documents = yaml_util::ParseDocuments(*content, path);
  if (!documents.ok()) return documents.status();
  if (documents->size() != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid --pods=", path, ": want one list of pods"));
  }
  YAML::Node list = documents->front();
  if (list.IsMap()) list = yaml_util::Child(list, "pods");
  if (!list.IsSequence()) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid --pods=", path, ": want a list of pods (or a map with `pods`)"));
  }

  std::vector<RankedPod> pods;
  std::vector<bool> given;
  std::set<std::string> ids;
  try {
    for (size_t i = 0; i < list.size(); ++i) {
      bool colocated_given = false;
      auto pod = ReadPod(list[i], absl::StrCat(path, " pods[", i, "]"), colocated_given);
      if (!pod.ok()) return pod.status();
      if (!ids.insert(pod->id).second) {
        return absl::InvalidArgumentError(
            absl::StrCat(path, " pods[", i, "].id: duplicate id \"", pod->id, "\""));
      }
      pods.push_back(*pod);
      given.push_back(colocated_given);
    }
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": invalid pods file: ", e.msg));
  }

  std::vector<RankedPod> counted = pods;
  SetColocatedPodCounts(counted);
  for (size_t i = 0; i < pods.size(); ++i) {
    if (!given[i]) pods[i].colocated_pods = counted[i].colocated_pods;
  }
  return pods;
}

}  // namespace

int ExplainVictims(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  absl::StatusOr<FlagSet> flags = FlagSet::Parse(args, {"pods", "count"});
  if (flags.ok() && flags->help()) {
    out << kExplainVictimsHelp;
    return 0;
  }
  absl::StatusOr<std::int64_t> count =
      flags.ok() ? flags->Int("count", 0) : absl::StatusOr<std::int64_t>(flags.status());
  absl::StatusOr<std::string> path =
      count.ok() ? flags->String("pods") : absl::StatusOr<std::string>(count.status());
  absl::StatusOr<std::vector<RankedPod>> pods =
      path.ok() ? LoadPods(*path) : absl::StatusOr<std::vector<RankedPod>>(path.status());
  if (!pods.ok() && path.ok() && !absl::StartsWith(pods.status().message(), "invalid --pods")) {
    pods = absl::InvalidArgumentError(
        absl::StrCat("invalid --pods=", *path, ": ", pods.status().message()));
  }
  if (!pods.ok()) {
    err << "explain victims: " << pods.status().message() << "\n";
    return 2;
  }

  std::int32_t requested =
      static_cast<std::int32_t>(std::min<std::int64_t>(*count, INT32_MAX));
  PodDeletionChoice choice = SelectPodsToDelete(*pods, requested, kNow);

  ExplainReport report;
  report.title = "ReplicaSet scale-in (Kubernetes 1.28 getPodsToDelete, ActivePodsWithRanks)";
  report.formula = {
      "delete the first min(K, 500) pods of this order (no sort when every pod goes):",
      "1 unassigned < assigned; 2 Pending < Unknown < Running; 3 not ready < ready;",
      "4 lower pod-deletion-cost; 5 more pods on the same node; 6 both ready: newer Ready",
      "  by floor(log2(ns since Ready)), tie: lower UID; 7 more restarts;",
      "8 newer creation by floor(log2(ns since creation)), tie: lower UID",
  };
  for (const RankedPod& pod : *pods) {
    report.trace.AddText(
        "pod " + pod.id,
        absl::StrCat("node=", pod.node.empty() ? "(none)" : pod.node,
                     " phase=", PodPhaseName(pod.phase), " ready=", pod.ready ? "true" : "false",
                     " cost=", ParsePodDeletionCost(pod.deletion_cost),
                     " colocated=", pod.colocated_pods, " restarts=", pod.restarts),
        pod.ready_since.has_value()
            ? absl::StrCat("ready bucket ", LogarithmicTimeBucket(*pod.ready_since, kNow),
                           ", age bucket ", LogarithmicTimeBucket(pod.created, kNow))
            : absl::StrCat("never ready, age bucket ",
                           LogarithmicTimeBucket(pod.created, kNow)));
  }
  for (const TraceEntry& entry : choice.trace.entries()) report.trace.AddText(
      entry.name, entry.value, entry.detail);
  report.result_key = "deleted";
  report.result = choice.deleted;
  report.extra["reasons"] = choice.reasons;
  PrintReport(report, flags->json(), out);
  return 0;
}

}  // namespace krs::lab
