#include "lab/explain/explain_command.h"

#include <iostream>
#include <string>
#include <vector>

#include "lab/explain/explain_subcommands.h"

namespace krs::lab {
namespace {

constexpr char kUsage[] =
    R"(usage: scalein-lab explain SUBCOMMAND [--flag=value ...] [--json]

Runs one lab policy on the given values and prints the formula and every intermediate value.

  scaledjob   Jobs KEDA creates at one ScaledJob poll        (result: jobs_to_create)
  hpa         replicas the HPA computes at one sync           (result: desired_replicas)
  victims     pods a ReplicaSet deletes on scale-in           (result: deleted)

`scalein-lab explain SUBCOMMAND --help` lists the flags of a subcommand.
)";

}  // namespace

int RunExplain(int argc, char** argv, std::ostream& out, std::ostream& err) {
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) args.emplace_back(argv[i]);
  if (!args.empty() && args.front() == "explain") args.erase(args.begin());
  if (args.empty() || args.front() == "--help" || args.front() == "help") {
    (args.empty() ? err : out) << kUsage;
    return args.empty() ? 2 : 0;
  }

  std::string subcommand = args.front();
  args.erase(args.begin());
  if (subcommand == "scaledjob") return ExplainScaledJob(args, out, err);
  if (subcommand == "hpa") return ExplainHpa(args, out, err);
  if (subcommand == "victims") return ExplainVictims(args, out, err);
  err << "explain: unknown subcommand \"" << subcommand
      << "\": allowed are scaledjob, hpa, victims\n";
  return 2;
}

int RunExplain(int argc, char** argv, std::ostream& out) {
  return RunExplain(argc, argv, out, std::cerr);
}

}  // namespace krs::lab
