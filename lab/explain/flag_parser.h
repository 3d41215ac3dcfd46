// Flag parsing for `scalein-lab explain`: `--name=value` or `--name value`, plus the boolean
// `--json`. Every error names the flag, the rejected value and what is allowed. Internal to
// lab/explain.
#ifndef KRS_LAB_EXPLAIN_FLAG_PARSER_H_
#define KRS_LAB_EXPLAIN_FLAG_PARSER_H_

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace krs::lab {

class FlagSet {
 public:
  // Parses `args` (no subcommand). `allowed` lists the flag names without dashes; `json` and
  // `help` are always allowed and take no value.
  static absl::StatusOr<FlagSet> Parse(const std::vector<std::string>& args,
                                       const std::set<std::string>& allowed);

  bool Has(const std::string& name) const { return values_.count(name) != 0; }
  bool json() const { return json_; }
  bool help() const { return help_; }

  // Typed getters. Without the flag: `fallback` if given, else InvalidArgument "missing".
  absl::StatusOr<std::int64_t> Int(const std::string& name, std::int64_t minimum,
                                   std::optional<std::int64_t> fallback = std::nullopt) const;
  absl::StatusOr<double> Double(const std::string& name, double minimum,
                                std::optional<double> fallback = std::nullopt) const;
  absl::StatusOr<bool> Bool(const std::string& name, bool fallback) const;
  absl::StatusOr<std::string> String(const std::string& name,
                                     std::optional<std::string> fallback = std::nullopt) const;
  // A string that must be one of `choices`.
  absl::StatusOr<std::string> Choice(const std::string& name,
                                     const std::vector<std::string>& choices,
                                     std::optional<std::string> fallback = std::nullopt) const;

 private:
  std::map<std::string, std::string> values_;
  bool json_ = false;
  bool help_ = false;
};

}  // namespace krs::lab

#endif  // KRS_LAB_EXPLAIN_FLAG_PARSER_H_
