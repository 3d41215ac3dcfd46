// Builds results/summary.md: a header saying how, where and when the results were made, and
// one Markdown table row per scenario run.
#ifndef KRS_LAB_REPORT_SUMMARY_TABLE_H_
#define KRS_LAB_REPORT_SUMMARY_TABLE_H_

#include <string>
#include <vector>

#include "lab/report/run_result.h"

namespace krs::lab {

// How the table was made, for its header.
struct ReportHeader {
  std::string command;   // the command line
  std::string machine;   // e.g. "Linux 6.1 x86_64, 2 CPUs"
  std::string date;      // UTC, RFC 3339
  std::string mode;      // live, simulate or both
};

// Returns the table's column header and separator lines.
std::string SummaryTableHead();

// Returns one table row (with trailing newline) for `result`.
std::string SummaryTableRow(const RunResult& result);

// Returns the whole summary.md text.
std::string SummaryMarkdown(const ReportHeader& header, const std::vector<RunResult>& results);

// Returns a header filled from the running machine and the current time.
ReportHeader MakeReportHeader(const std::string& command, const std::string& mode);

}  // namespace krs::lab

#endif  // KRS_LAB_REPORT_SUMMARY_TABLE_H_
