// `scalein-lab explain`: runs one lab policy on values given as flags and prints the result with
// its formula and every intermediate value (or one JSON object with --json).
//
//   explain scaledjob --strategy=... --queue-length=N --target=T --running=R --pending=P ...
//   explain hpa --current=C --metric=U --target=T ...
//   explain victims --pods=FILE --count=K
//
// `explain --help` prints the flags of each subcommand and the formats of the files they read.
#ifndef KRS_LAB_EXPLAIN_EXPLAIN_COMMAND_H_
#define KRS_LAB_EXPLAIN_EXPLAIN_COMMAND_H_

#include <ostream>

namespace krs::lab {

// Runs `explain`: argv[0] is skipped (the program or "explain"), then an "explain" word if present,
// then comes the subcommand and its flags. Writes the result to
// `out` and errors to `err`. Returns the process exit code: 0 on success, 2 on invalid input
// (the message names the flag, the value and what is allowed).
int RunExplain(int argc, char** argv, std::ostream& out, std::ostream& err);

// RunExplain writing errors to std::cerr.
int RunExplain(int argc, char** argv, std::ostream& out);

}  // namespace krs::lab

#endif  // KRS_LAB_EXPLAIN_EXPLAIN_COMMAND_H_
