#include "lab/explain/flag_parser.h"

#include <cmath>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace krs::lab {
namespace {

absl::Status Invalid(const std::string& name, const std::string& value, const std::string& want) {
  return absl::InvalidArgumentError(
      absl::StrCat("invalid --", name, "=", value, ": want ", want));
}

absl::Status Missing(const std::string& name, const std::string& want) {
  return absl::InvalidArgumentError(absl::StrCat("missing --", name, ": want ", want));
}

}  // namespace

absl::StatusOr<FlagSet> FlagSet::Parse(const std::vector<std::string>& args,
                                       const std::set<std::string>& allowed) {
  FlagSet flags;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (!absl::StartsWith(arg, "--") || arg.size() == 2) {
      return absl::InvalidArgumentError(
          absl::StrCat("unexpected argument \"", arg, "\": flags are written --name=value"));
    }
    std::string body = arg.substr(2);
    std::string name = body;
    std::optional<std::string> value;
    size_t equals = body.find('=');
    if (equals != std::string::npos) {
      name = body.substr(0, equals);
      value = body.substr(equals + 1);
    }
    if (name == "json" || name == "help") {
      if (value.has_value() && *value != "true") {
        return Invalid(name, *value, "no value (the flag alone turns it on)");
      }
      (name == "json" ? flags.json_ : flags.help_) = true;
      continue;
    }
    if (allowed.count(name) == 0) {
      return absl::InvalidArgumentError(absl::StrCat("unknown flag --", name, ": allowed are --",
                                                     absl::StrJoin(allowed, ", --"), ", --json"));
    }
    if (!value.has_value()) {
      if (i + 1 >= args.size()) return Missing(name, "a value after the flag");
      value = args[++i];
    }
    if (flags.values_.count(name) != 0) {
      return absl::InvalidArgumentError(absl::StrCat("--", name, " given more than once"));
    }
    flags.values_[name] = *value;
  }
  return flags;
}

absl::StatusOr<std::int64_t> FlagSet::Int(const std::string& name, std::int64_t minimum,
                                          std::optional<std::int64_t> fallback) const {
  std::string want = absl::StrCat("an integer >= ", minimum);
  auto it = values_.find(name);
  if (it == values_.end()) {
    if (fallback.has_value()) return *fallback;
    return Missing(name, want);
  }
  std::int64_t value = 0;
  if (!absl::SimpleAtoi(it->second, &value) || value < minimum) {
    return Invalid(name, it->second, want);
  }
  return value;
}

absl::StatusOr<double> FlagSet::Double(const std::string& name, double minimum,
                                       std::optional<double> fallback) const {
  std::string want = absl::StrCat("a number >= ", minimum);
  auto it = values_.find(name);
  if (it == values_.end()) {
    if (fallback.has_value()) return *fallback;
    return Missing(name, want);
  }
  double value = 0;
  if (!absl::SimpleAtod(it->second, &value) || !std::isfinite(value) || value < minimum) {
    return Invalid(name, it->second, want);
  }
  return value;
}

absl::StatusOr<bool> FlagSet::Bool(const std::string& name, bool fallback) const {
  auto it = values_.find(name);
  if (it == values_.end()) return fallback;
  if (it->second == "true") return true;
  if (it->second == "false") return false;
  return Invalid(name, it->second, "true or false");
}

absl::StatusOr<std::string> FlagSet::String(const std::string& name,
                                            std::optional<std::string> fallback) const {
  auto it = values_.find(name);
  if (it == values_.end()) {
    if (fallback.has_value()) return *fallback;
    return Missing(name, "a value");
  }
  return it->second;
}

absl::StatusOr<std::string> FlagSet::Choice(const std::string& name,
                                            const std::vector<std::string>& choices,
                                            std::optional<std::string> fallback) const {
  std::string want = absl::StrCat("one of ", absl::StrJoin(choices, ", "));
  auto it = values_.find(name);
  if (it == values_.end()) {
    if (fallback.has_value()) return *fallback;
    return Missing(name, want);
  }
  for (const std::string& choice : choices) {
    if (it->second == choice) return choice;
  }
  return Invalid(name, it->second, want);
}

}  // namespace krs::lab
