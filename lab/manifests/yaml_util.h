// Helpers for reading typed fields out of yaml-cpp nodes without exceptions: every getter
// catches yaml-cpp's exceptions and returns an absl::Status naming the field path and the
// rejected value. Internal to lab/manifests.
#ifndef KRS_LAB_MANIFESTS_YAML_UTIL_H_
#define KRS_LAB_MANIFESTS_YAML_UTIL_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace krs::lab::yaml_util {

// The child `key` of a map node, or an undefined node when `node` is not a map or lacks it.
YAML::Node Child(const YAML::Node& node, absl::string_view key);

// Joins a field path: Path("spec", "triggers[0]") = "spec.triggers[0]".
std::string Path(absl::string_view parent, absl::string_view key);

// Typed getters: unset when the key is missing or null; InvalidArgument when present with the
// wrong type. `path` is the field path used in messages.
absl::StatusOr<std::optional<std::string>> GetString(const YAML::Node& node, absl::string_view key,
                                                     absl::string_view path);
absl::StatusOr<std::optional<std::int64_t>> GetInt(const YAML::Node& node, absl::string_view key,
                                                   absl::string_view path);
absl::StatusOr<std::optional<double>> GetDouble(const YAML::Node& node, absl::string_view key,
                                                absl::string_view path);
absl::StatusOr<std::optional<bool>> GetBool(const YAML::Node& node, absl::string_view key,
                                            absl::string_view path);
absl::StatusOr<std::vector<std::string>> GetStringList(const YAML::Node& node,
                                                       absl::string_view key,
                                                       absl::string_view path);
absl::StatusOr<std::map<std::string, std::string>> GetStringMap(const YAML::Node& node,
                                                                absl::string_view key,
                                                                absl::string_view path);

// An int64 getter that also checks the int32 range and a lower bound.
absl::StatusOr<std::optional<std::int32_t>> GetInt32AtLeast(const YAML::Node& node,
                                                           absl::string_view key,
                                                           absl::string_view path,
                                                           std::int32_t minimum);

// Parses every document of a YAML stream; null documents are skipped.
absl::StatusOr<std::vector<YAML::Node>> ParseDocuments(absl::string_view yaml,
                                                       absl::string_view source);

// Reads a whole file.
absl::StatusOr<std::string> ReadFile(const std::string& path);

// Emits documents as one YAML stream separated by "---".
std::string EmitDocuments(const std::vector<YAML::Node>& documents);
}  // namespace krs::lab::yaml_util

#endif  // KRS_LAB_MANIFESTS_YAML_UTIL_H_
