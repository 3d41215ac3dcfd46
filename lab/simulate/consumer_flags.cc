#include "lab/simulate/consumer_flags.h"

#include <map>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace krs::lab {
namespace {

// Returns the flag name with '_' spelled '-': rmq-consumer accepts both spellings.
std::string NormalName(std::string name) {
  for (char& c : name) {
    if (c == '_') c = '-';
  }
  return name;
}

// Returns the normalized name of "--name" or "--name=value"; "" for other arguments.
std::string FlagName(const std::string& arg) {
  if (!absl::StartsWith(arg, "--") || arg == "--") return "";
  return NormalName(arg.substr(2, arg.find('=') == std::string::npos ? std::string::npos
                                                                     : arg.find('=') - 2));
}

// Collects "--name=value" and "--name value" pairs. A flag without a value maps to "".
std::map<std::string, std::string> CollectFlags(const std::vector<std::string>& args) {
  std::map<std::string, std::string> flags;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    std::string name = FlagName(arg);
    if (name.empty()) continue;
    size_t equals = arg.find('=');
    if (equals != std::string::npos) {
      flags[name] = arg.substr(equals + 1);
    } else if (i + 1 < args.size() && !absl::StartsWith(args[i + 1], "--")) {
      flags[name] = args[++i];
    } else {
      flags[name] = "";
    }
  }
  return flags;
}

absl::Status InvalidFlag(const std::string& flag, const std::string& value,
                         absl::string_view allowed) {
  return absl::InvalidArgumentError(
      absl::StrCat("invalid --", flag, "=\"", value, "\"; allowed: ", allowed));
}

}  // namespace

std::optional<std::string> FlagValue(const std::vector<std::string>& args,
                                     const std::string& flag) {
  std::map<std::string, std::string> flags = CollectFlags(args);
  auto it = flags.find(NormalName(flag));
  if (it == flags.end()) return std::nullopt;
  return it->second;
}

absl::StatusOr<ConsumerFlags> ParseConsumerFlags(const std::vector<std::string>& args) {
  std::map<std::string, std::string> flags = CollectFlags(args);
  ConsumerFlags result;

  if (auto it = flags.find("mode"); it != flags.end()) {
    if (it->second != "worker" && it->second != "job") {
      return InvalidFlag("mode", it->second, "worker, job");
    }
    result.job_mode = it->second == "job";
  }
  if (auto it = flags.find("prefetch"); it != flags.end()) {
    if (!absl::SimpleAtoi(it->second, &result.prefetch) || result.prefetch < 0) {
      return InvalidFlag("prefetch", it->second, "an integer >= 0");
    }
  }
  if (auto it = flags.find("on-sigterm"); it != flags.end()) {
    if (it->second == "ignore") {
      result.on_sigterm = SigtermPolicy::kIgnore;
    } else if (it->second == "requeue") {
      result.on_sigterm = SigtermPolicy::kRequeue;
    } else if (it->second == "drain") {
      result.on_sigterm = SigtermPolicy::kDrain;
    } else {
      return InvalidFlag("on-sigterm", it->second, "ignore, requeue, drain");
    }
  }
  if (auto it = flags.find("idle-timeout"); it != flags.end()) {
    if (!absl::SimpleAtod(it->second, &result.idle_timeout_seconds) ||
        result.idle_timeout_seconds < 0) {
      return InvalidFlag("idle-timeout", it->second, "seconds >= 0");
    }
  }
  if (auto it = flags.find("deletion-cost-endpoint"); it != flags.end()) {
    result.deletion_cost = !it->second.empty();
  }
  return result;
}

std::vector<std::string> RemoveFlag(std::vector<std::string> args, const std::string& flag) {
  std::string name = NormalName(flag);
  std::vector<std::string> out;
  for (size_t i = 0; i < args.size(); ++i) {
    if (FlagName(args[i]) != name) {
      out.push_back(args[i]);
      continue;
    }
    bool separate_value = args[i].find('=') == std::string::npos;
    if (separate_value && i + 1 < args.size() && !absl::StartsWith(args[i + 1], "--")) ++i;
  }
  return out;
}

std::vector<std::string> SetFlag(std::vector<std::string> args, const std::string& flag,
                                 const std::string& value) {
  std::vector<std::string> out = RemoveFlag(std::move(args), flag);
  out.push_back(absl::StrCat("--", flag, "=", value));
  return out;
}

}  // namespace krs::lab
