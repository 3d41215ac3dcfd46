#include "common/command_line.h"

#include <cstdlib>
#include <cstring>

#include "absl/flags/usage_config.h"
#include "absl/strings/match.h"

namespace krs {

void NormalizeFlagDashes(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    char* arg = argv[i];
    if (std::strcmp(arg, "--") == 0) return;
    if (arg[0] != '-') continue;
    char* name = arg + (arg[1] == '-' ? 2 : 1);
    for (char* c = name; *c != '\0' && *c != '='; ++c) {
      if (*c == '-') *c = '_';
    }
  }
}

void ShowFlagsInHelp(absl::string_view source_substring) {
  static std::string* substring = new std::string(source_substring);
  absl::FlagsUsageConfig config;
  config.contains_help_flags = [](absl::string_view path) {
    return absl::StrContains(path, *substring);
  };
  config.contains_helpshort_flags = config.contains_help_flags;
  absl::SetFlagsUsageConfig(config);
}

std::string FlagOrEnv(const std::string& flag_value, const char* env_name,
                      absl::string_view fallback) {
  if (!flag_value.empty()) return flag_value;
  const char* env = std::getenv(env_name);
  if (env != nullptr && env[0] != '\0') return env;
  return std::string(fallback);
}

}  // namespace krs
