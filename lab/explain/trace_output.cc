#include "lab/explain/trace_output.h"

#include <algorithm>
#include <cmath>

namespace krs::lab {
namespace {

std::string ResultText(const nlohmann::json& value) {
  if (value.is_string()) return value.get<std::string>();
  return value.dump();
}

}  // namespace

nlohmann::json TraceToJson(const Trace& trace) {
  nlohmann::json entries = nlohmann::json::array();
  for (const TraceEntry& entry : trace.entries()) {
    nlohmann::json item;
    item["name"] = entry.name;
    if (entry.number.has_value() && std::isfinite(*entry.number)) {
      item["value"] = *entry.number;
    } else if (entry.value == "true" || entry.value == "false") {
      item["value"] = entry.value == "true";
    } else {
      item["value"] = entry.value;
    }
    if (!entry.detail.empty()) item["detail"] = entry.detail;
    entries.push_back(item);
  }
  return entries;
}

void PrintReport(const ExplainReport& report, bool json, std::ostream& out) {
  if (json) {
    nlohmann::json object = report.extra;
    object[report.result_key] = report.result;
    object["formula"] = report.formula;
    object["trace"] = TraceToJson(report.trace);
    out << object.dump() << "\n";
    return;
  }

  out << report.title << "\n\n";
  for (const std::string& line : report.formula) out << "  " << line << "\n";
  out << "\n";
  size_t width = 0;
  for (const TraceEntry& entry : report.trace.entries()) {
    width = std::max(width, entry.name.size() + 3 + entry.value.size());
  }
  for (const TraceEntry& entry : report.trace.entries()) {
    std::string left = entry.name + " = " + entry.value;
    out << "  " << left;
    if (!entry.detail.empty()) {
      out << std::string(width - left.size() + 2, ' ') << "# " << entry.detail;
    }
    out << "\n";
  }
  out << "\n" << report.result_key << " = " << ResultText(report.result) << "\n";
}

}  // namespace krs::lab
