#include "lab/policy/trace.h"

#include <cmath>
#include <string>

#include "absl/strings/str_format.h"

namespace krs::lab {

void Trace::Add(absl::string_view name, double value, absl::string_view detail) {
  entries_.push_back(
      {std::string(name), FormatTraceNumber(value), std::string(detail), value});
}

void Trace::AddText(absl::string_view name, absl::string_view value, absl::string_view detail) {
  entries_.push_back({std::string(name), std::string(value), std::string(detail), std::nullopt});
}

void Trace::AddBool(absl::string_view name, bool value, absl::string_view detail) {
  AddText(name, value ? "true" : "false", detail);
}

const TraceEntry* Trace::Find(absl::string_view name) const {
  for (auto it = entries_.rbegin(); it != entries_.rend(); ++it) {
    if (it->name == name) return &*it;
  }
  return nullptr;
}

std::string FormatTraceNumber(double value) {
  if (std::isfinite(value) && value == std::trunc(value) && std::fabs(value) < 1e15) {
    return absl::StrFormat("%.0f", value);
  }
  return absl::StrFormat("%.6g", value);
}

}  // namespace krs::lab
