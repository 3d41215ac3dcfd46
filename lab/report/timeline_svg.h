// Draws results/<scenario>.svg by hand: replicas (or Jobs) and busy pods in the upper panel,
// ready and unacknowledged messages in the lower panel, kills as red marks, simulated time on
// the x axis (minutes for runs under three hours, hours otherwise).
#ifndef KRS_LAB_REPORT_TIMELINE_SVG_H_
#define KRS_LAB_REPORT_TIMELINE_SVG_H_

#include <string>

#include "lab/report/run_result.h"

namespace krs::lab {

// Returns a standalone SVG document for `result`. Text is XML-escaped.
std::string TimelineSvg(const RunResult& result);

}  // namespace krs::lab

#endif  // KRS_LAB_REPORT_TIMELINE_SVG_H_
