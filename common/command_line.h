// Command-line helpers shared by the project's binaries.
#ifndef KRS_COMMON_COMMAND_LINE_H_
#define KRS_COMMON_COMMAND_LINE_H_

#include <string>

#include "absl/strings/string_view.h"

namespace krs {

// Rewrites "--flag-name[=value]" to "--flag_name[=value]" in place, so that the dashed
// spelling used in manifests and docs reaches the Abseil flags (whose names cannot contain
// '-'). Values and arguments after a bare "--" are left unchanged.
void NormalizeFlagDashes(int argc, char** argv);

// Makes --help list the flags defined in source files whose path contains `source_substring`
// (e.g. "workloads/producer/"), instead of only files named after the binary.
void ShowFlagsInHelp(absl::string_view source_substring);

// Returns `flag_value` when it is not empty, else the environment variable `env_name` when it
// is set and not empty, else `fallback`.
std::string FlagOrEnv(const std::string& flag_value, const char* env_name,
                      absl::string_view fallback);

}  // namespace krs

#endif  // KRS_COMMON_COMMAND_LINE_H_
