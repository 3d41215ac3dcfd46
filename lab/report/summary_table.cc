#include "lab/report/summary_table.h"

#include <sys/utsname.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace krs::lab {

std::string SummaryTableHead() {
  return "| scenario | mode | completed | wasted s | wasted % | interrupted | killed | "
         "redeliveries | makespan s | p95 latency s | pod-seconds | peak replicas | result |\n"
         "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n";
}

std::string SummaryTableRow(const RunResult& result) {
  const workloads::ScenarioSummary& s = result.summary;
  std::string outcome = result.finished ? "ok" : absl::StrCat("FAILED: ", result.failure);
  return absl::StrFormat("| %s | %s | %d/%d | %.0f | %.1f | %d | %d | %d | %.0f | %.0f | %.0f | %d | %s |\n",
                         result.scenario.name, result.mode, s.completed, s.published,
                         s.wasted_processing_seconds, result.wasted_percent(), s.interrupted,
                         s.killed, s.redeliveries, s.makespan_seconds, s.latency_p95_seconds,
                         result.pod_seconds(), result.peak_replicas(), outcome);
}

std::string SummaryMarkdown(const ReportHeader& header, const std::vector<RunResult>& results) {
  std::string text = "# Scale-in lab results\n\n";
  absl::StrAppend(&text, "- command: `", header.command, "`\n");
  absl::StrAppend(&text, "- mode: ", header.mode, "\n");
  absl::StrAppend(&text, "- machine: ", header.machine, "\n");
  absl::StrAppend(&text, "- date: ", header.date, "\n");
  absl::StrAppend(&text,
                  "- times are simulated seconds; wasted = processing time of attempts that did "
                  "not complete (interrupted, killed or lost), wasted % = wasted / (wasted + "
                  "useful) processing time\n\n");
  absl::StrAppend(&text, SummaryTableHead());
  for (const RunResult& result : results) absl::StrAppend(&text, SummaryTableRow(result));
  return text;
}

ReportHeader MakeReportHeader(const std::string& command, const std::string& mode) {
  ReportHeader header;
  header.command = command;
  header.mode = mode;
  header.date = absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::Now(), absl::UTCTimeZone());

  struct utsname name;
  std::string system = "unknown system";
  if (uname(&name) == 0) {
    system = absl::StrCat(name.sysname, " ", name.release, " ", name.machine);
  }
  header.machine = absl::StrCat(system, ", ", sysconf(_SC_NPROCESSORS_ONLN), " CPUs");
  return header;
}

}  // namespace krs::lab
