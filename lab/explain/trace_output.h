// Prints an explain result: a human-readable report with the formula and every trace entry, or
// one JSON object holding the result key, extra fields and the trace. Internal to lab/explain.
#ifndef KRS_LAB_EXPLAIN_TRACE_OUTPUT_H_
#define KRS_LAB_EXPLAIN_TRACE_OUTPUT_H_

#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "lab/policy/trace.h"

namespace krs::lab {

struct ExplainReport {
  std::string title;
  std::vector<std::string> formula;  // lines
  Trace trace;
  std::string result_key;
  nlohmann::json result;
  // Extra top-level JSON fields (and lines after the result in human output).
  nlohmann::json extra = nlohmann::json::object();
};

// The trace as a JSON array of {name, value, detail}; numeric values stay numbers.
nlohmann::json TraceToJson(const Trace& trace);

void PrintReport(const ExplainReport& report, bool json, std::ostream& out);

}  // namespace krs::lab

#endif  // KRS_LAB_EXPLAIN_TRACE_OUTPUT_H_
