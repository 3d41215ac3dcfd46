// Writes results/<scenario>.json: the configuration, the analyzer-style summary, every
// message's attempts, the timeline, the kills and the measured real-time delays.
#ifndef KRS_LAB_REPORT_RESULT_JSON_H_
#define KRS_LAB_REPORT_RESULT_JSON_H_

#include <string>

#include "absl/status/status.h"
#include "lab/report/run_result.h"
#include "nlohmann/json.hpp"

namespace krs::lab {

// Returns the JSON document of `result`. Top-level keys: scenario, mode, kind, configuration,
// finished, failure, summary, derived, delays, messages, timeline, kills.
nlohmann::json RunResultToJson(const RunResult& result);

// Writes RunResultToJson(result) to `path` (pretty-printed). Returns an error naming the path.
absl::Status WriteResultJson(const RunResult& result, const std::string& path);

// Writes `text` to `path`, replacing it. Returns an error naming the path.
absl::Status WriteTextFile(const std::string& path, const std::string& text);

}  // namespace krs::lab

#endif  // KRS_LAB_REPORT_RESULT_JSON_H_
