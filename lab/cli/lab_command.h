// The `scalein-lab` command line: `run` (live), `simulate` and `explain`. main.cc only calls
// RunLabCommand.
//
//   scalein-lab run SCENARIO... [--results-dir=DIR] [--seed=N] [--concurrency=N]
//   scalein-lab simulate SCENARIO... [--results-dir=DIR] [--seed=N] [--delays-from=DIR]
//   scalein-lab explain SUBCOMMAND [flags]
//
// SCENARIO is a name under lab/scenarios/ (without .yaml) or a path to a scenario file.
#ifndef KRS_LAB_CLI_LAB_COMMAND_H_
#define KRS_LAB_CLI_LAB_COMMAND_H_

namespace krs::lab {

// Returns the process exit code: 0 when every scenario completed all its messages, 1 when a
// scenario failed (deadline passed, error), 2 for invalid usage.
int RunLabCommand(int argc, char** argv);

}  // namespace krs::lab

#endif  // KRS_LAB_CLI_LAB_COMMAND_H_
