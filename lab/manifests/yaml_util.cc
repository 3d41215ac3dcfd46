#include "lab/manifests/yaml_util.h"

#include <fstream>
#include <limits>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace krs::lab::yaml_util {
namespace {

absl::Status WrongType(absl::string_view path, const YAML::Node& value, absl::string_view want) {
  std::string shown;
  if (value.IsScalar()) {
    shown = absl::StrCat("\"", value.Scalar(), "\"");
  } else if (value.IsSequence()) {
    shown = "a list";
  } else {
    shown = "a map";
  }
  return absl::InvalidArgumentError(
      absl::StrCat(path, ": invalid value ", shown, ": want ", want));
}

// The node under `key`, or unset when missing or null.
std::optional<YAML::Node> Present(const YAML::Node& node, absl::string_view key) {
  YAML::Node child = Child(node, key);
  if (!child.IsDefined() || child.IsNull()) return std::nullopt;
  return child;
}

}  // namespace

YAML::Node Child(const YAML::Node& node, absl::string_view key) {
  if (!node.IsMap()) return YAML::Node(YAML::NodeType::Undefined);
  for (const auto& entry : node) {
    if (entry.first.IsScalar() && entry.first.Scalar() == key) return entry.second;
  }
  return YAML::Node(YAML::NodeType::Undefined);
}

std::string Path(absl::string_view parent, absl::string_view key) {
  if (parent.empty()) return std::string(key);
  if (!key.empty() && key.front() == '[') return absl::StrCat(parent, key);
  return absl::StrCat(parent, ".", key);
}

absl::StatusOr<std::optional<std::string>> GetString(const YAML::Node& node, absl::string_view key,
                                                     absl::string_view path) {
  std::optional<YAML::Node> value = Present(node, key);
  if (!value.has_value()) return std::optional<std::string>();
  if (!value->IsScalar()) return WrongType(Path(path, key), *value, "a string");
  return std::optional<std::string>(value->Scalar());
}

absl::StatusOr<std::optional<std::int64_t>> GetInt(const YAML::Node& node, absl::string_view key,
                                                   absl::string_view path) {
  std::optional<YAML::Node> value = Present(node, key);
  if (!value.has_value()) return std::optional<std::int64_t>();
  std::int64_t parsed = 0;
  if (!value->IsScalar() || !absl::SimpleAtoi(value->Scalar(), &parsed)) {
    return WrongType(Path(path, key), *value, "an integer");
  }
  return std::optional<std::int64_t>(parsed);
}

absl::StatusOr<std::optional<double>> GetDouble(const YAML::Node& node, absl::string_view key,
                                                absl::string_view path) {
  std::optional<YAML::Node> value = Present(node, key);
  if (!value.has_value()) return std::optional<double>();
  double parsed = 0;
  if (!value->IsScalar() || !absl::SimpleAtod(value->Scalar(), &parsed)) {
    return WrongType(Path(path, key), *value, "a number");
  }
  return std::optional<double>(parsed);
}

absl::StatusOr<std::optional<bool>> GetBool(const YAML::Node& node, absl::string_view key,
                                            absl::string_view path) {
  std::optional<YAML::Node> value = Present(node, key);
  if (!value.has_value()) return std::optional<bool>();
  if (value->IsScalar()) {
    const std::string& text = value->Scalar();
    if (text == "true" || text == "True") return std::optional<bool>(true);
    if (text == "false" || text == "False") return std::optional<bool>(false);
  }
  return WrongType(Path(path, key), *value, "true or false");
}

absl::StatusOr<std::vector<std::string>> GetStringList(const YAML::Node& node,
                                                       absl::string_view key,
                                                       absl::string_view path) {
  std::vector<std::string> result;
  std::optional<YAML::Node> value = Present(node, key);
  if (!value.has_value()) return result;
  if (!value->IsSequence()) return WrongType(Path(path, key), *value, "a list of strings");
  for (size_t i = 0; i < value->size(); ++i) {
    YAML::Node item = (*value)[i];
    if (!item.IsScalar()) {
      return WrongType(absl::StrCat(Path(path, key), "[", i, "]"), item, "a string");
    }
    result.push_back(item.Scalar());
  }
  return result;
}

absl::StatusOr<std::map<std::string, std::string>> GetStringMap(const YAML::Node& node,
                                                                absl::string_view key,
                                                                absl::string_view path) {
  std::map<std::string, std::string> result;
  std::optional<YAML::Node> value = Present(node, key);
  if (!value.has_value()) return result;
  if (!value->IsMap()) return WrongType(Path(path, key), *value, "a map of strings");
  for (const auto& entry : *value) {
    std::string name = entry.first.Scalar();
    if (entry.second.IsNull()) {
      result[name] = "";
      continue;
    }
    if (!entry.second.IsScalar()) {
      return WrongType(Path(Path(path, key), name), entry.second, "a string");
    }
    result[name] = entry.second.Scalar();
  }
  return result;
}

absl::StatusOr<std::optional<std::int32_t>> GetInt32AtLeast(const YAML::Node& node,
                                                           absl::string_view key,
                                                           absl::string_view path,
                                                           std::int32_t minimum) {
  absl::StatusOr<std::optional<std::int64_t>> value = GetInt(node, key, path);
  if (!value.ok()) return value.status();
  if (!value->has_value()) return std::optional<std::int32_t>();
  std::int64_t number = **value;
  if (number < minimum || number > std::numeric_limits<std::int32_t>::max()) {
    return absl::InvalidArgumentError(absl::StrCat(Path(path, key), ": invalid value ", number,
                                                   ": want an integer from ", minimum, " to ",
                                                   std::numeric_limits<std::int32_t>::max()));
  }
  return std::optional<std::int32_t>(static_cast<std::int32_t>(number));
}

absl::StatusOr<std::vector<YAML::Node>> ParseDocuments(absl::string_view yaml,
                                                       absl::string_view source) {
  std::vector<YAML::Node> documents;
  try {
    for (const YAML::Node& document : YAML::LoadAll(std::string(yaml))) {
      if (document.IsDefined() && !document.IsNull()) documents.push_back(document);
    }
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat(source, ": invalid YAML at line ", e.mark.line + 1, ", column ",
                     e.mark.column + 1, ": ", e.msg));
  }
  return documents;
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open ", path));
  std::ostringstream content;
  content << in.rdbuf();
  if (in.bad()) return absl::DataLossError(absl::StrCat("failed to read ", path));
  return content.str();
}

std::string EmitDocuments(const std::vector<YAML::Node>& documents) {
  std::string out;
  for (const YAML::Node& document : documents) {
    YAML::Emitter emitter;
    emitter << document;
    absl::StrAppend(&out, "---\n", emitter.c_str(), "\n");
  }
  return out;
}

}  // namespace krs::lab::yaml_util
