#include "tests/testing/prometheus_text.h"

#include <cmath>
#include <cstdlib>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace krs::testing {
namespace {

bool IsNameChar(char c, bool first) {
  return absl::ascii_isalpha(static_cast<unsigned char>(c)) || c == '_' || c == ':' ||
         (!first && absl::ascii_isdigit(static_cast<unsigned char>(c)));
}

absl::Status LineError(size_t line, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("line ", line, ": ", what));
}

// Parses `{a="x",b="y"}` at the start of `rest` and removes it.
absl::Status ParseLabels(size_t line, absl::string_view* rest,
                         std::map<std::string, std::string>* labels) {
  rest->remove_prefix(1);  // '{'
  while (!rest->empty() && rest->front() != '}') {
    size_t eq = rest->find('=');
    if (eq == absl::string_view::npos || eq + 1 >= rest->size() || (*rest)[eq + 1] != '"') {
      return LineError(line, "a label needs name=\"value\"");
    }
    std::string name(rest->substr(0, eq));
    rest->remove_prefix(eq + 2);
    std::string value;
    bool closed = false;
    while (!rest->empty()) {
      char c = rest->front();
      rest->remove_prefix(1);
      if (c == '"') {
        closed = true;
        break;
      }
      if (c != '\\') {
        value.push_back(c);
        continue;
      }
      if (rest->empty()) return LineError(line, "a label value ends in a backslash");
      char escaped = rest->front();
      rest->remove_prefix(1);
      if (escaped == 'n') {
        value.push_back('\n');
      } else if (escaped == '\\' || escaped == '"') {
        value.push_back(escaped);
      } else {
        return LineError(line, "invalid escape in a label value");
      }
    }
    if (!closed) return LineError(line, "a label value is not closed");
    (*labels)[name] = value;
    if (!rest->empty() && rest->front() == ',') rest->remove_prefix(1);
  }
  if (rest->empty()) return LineError(line, "the label set is not closed");
  rest->remove_prefix(1);  // '}'
  return absl::OkStatus();
}

absl::StatusOr<double> ParseValue(size_t line, absl::string_view text) {
  if (text == "+Inf") return INFINITY;
  if (text == "-Inf") return -INFINITY;
  if (text == "NaN") return NAN;
  std::string copy(text);
  char* end = nullptr;
  double value = std::strtod(copy.c_str(), &end);
  if (copy.empty() || end != copy.c_str() + copy.size()) {
    return LineError(line, absl::StrCat("invalid value \"", text, "\""));
  }
  return value;
}

// Returns the family of a sample name: foo_bucket, foo_sum and foo_count belong to foo when foo
// is a histogram.
std::string FamilyOf(const std::string& name, const std::map<std::string, std::string>& types) {
  for (absl::string_view suffix : {"_bucket", "_sum", "_count"}) {
    if (!absl::EndsWith(name, suffix)) continue;
    std::string base = name.substr(0, name.size() - suffix.size());
    auto it = types.find(base);
    if (it != types.end() && (it->second == "histogram" || it->second == "summary")) return base;
  }
  return name;
}

}  // namespace

std::vector<PrometheusSample> PrometheusText::Find(
    const std::string& name, const std::map<std::string, std::string>& labels) const {
  std::vector<PrometheusSample> found;
  for (const PrometheusSample& sample : samples) {
    if (sample.name != name) continue;
    bool match = true;
    for (const auto& [key, value] : labels) {
      auto it = sample.labels.find(key);
      match = match && it != sample.labels.end() && it->second == value;
    }
    if (match) found.push_back(sample);
  }
  return found;
}

absl::StatusOr<PrometheusText> ParsePrometheusText(absl::string_view text) {
  PrometheusText parsed;
  size_t number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++number;
    if (line.empty()) continue;
    if (absl::StartsWith(line, "# HELP ") || absl::StartsWith(line, "# TYPE ")) {
      std::vector<std::string> parts = absl::StrSplit(line.substr(7), absl::MaxSplits(' ', 1));
      if (parts.size() != 2) return LineError(number, "a comment needs a name and a text");
      if (absl::StartsWith(line, "# HELP ")) {
        parsed.help[parts[0]] = parts[1];
        continue;
      }
      const std::string& type = parts[1];
      if (type != "counter" && type != "gauge" && type != "histogram" && type != "summary" &&
          type != "untyped") {
        return LineError(number, absl::StrCat("unknown type \"", type, "\""));
      }
      parsed.types[parts[0]] = type;
      continue;
    }
    if (line.front() == '#') continue;

    PrometheusSample sample;
    size_t i = 0;
    while (i < line.size() && IsNameChar(line[i], i == 0)) ++i;
    if (i == 0) return LineError(number, "a sample must start with a metric name");
    sample.name = std::string(line.substr(0, i));
    absl::string_view rest = line.substr(i);
    if (!rest.empty() && rest.front() == '{') {
      absl::Status status = ParseLabels(number, &rest, &sample.labels);
      if (!status.ok()) return status;
    }
    if (rest.empty() || rest.front() != ' ') return LineError(number, "a value must follow");
    rest.remove_prefix(1);
    std::vector<absl::string_view> fields = absl::StrSplit(rest, ' ');
    if (fields.empty() || fields.size() > 2) return LineError(number, "expected value [timestamp]");
    absl::StatusOr<double> value = ParseValue(number, fields[0]);
    if (!value.ok()) return value.status();
    sample.value = *value;
    if (parsed.types.count(FamilyOf(sample.name, parsed.types)) == 0) {
      return LineError(number, absl::StrCat("sample \"", sample.name, "\" has no # TYPE line"));
    }
    parsed.samples.push_back(std::move(sample));
  }
  return parsed;
}

}  // namespace krs::testing
