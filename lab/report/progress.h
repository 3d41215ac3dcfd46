// ProgressReporter: shows how far scenario runs are. On a terminal (isatty) it redraws one
// bar per line set in place; otherwise it prints a plain line at most every `interval` of
// real time, so logs stay short. Thread-safe: concurrent live runs share one reporter.
#ifndef KRS_LAB_REPORT_PROGRESS_H_
#define KRS_LAB_REPORT_PROGRESS_H_

#include <cstdint>
#include <cstdio>
#include <map>
#include <string>

#include "absl/time/time.h"

#include "common/mutex.h"

namespace krs::lab {

struct Progress {
  double simulated_seconds = 0;
  double deadline_seconds = 0;
  int64_t completed = 0;
  int64_t messages = 0;
  int64_t replicas = 0;  // replicas or Jobs
};

class ProgressReporter {
 public:
  // Writes to `out`; `terminal` selects the redrawn bar (pass isatty(fileno(out))).
  ProgressReporter(std::FILE* out, bool terminal, absl::Duration interval = absl::Seconds(10));

  // Records the progress of `scenario` and redraws or prints when due.
  void Update(const std::string& scenario, const Progress& progress);

  // Prints the final line of `scenario`.
  void Finish(const std::string& scenario, const Progress& progress, const std::string& outcome);

  // Returns the one-line text for a progress, e.g.
  // "scaledobject-naive [#####.....] 3.2h/18.0h 12/40 done, 4 replicas".
  static std::string Line(const std::string& scenario, const Progress& progress);

 private:
  void Redraw() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  std::FILE* out_;
  bool terminal_;
  absl::Duration interval_;
  Mutex mu_;
  std::map<std::string, Progress> current_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, absl::Time> last_printed_ ABSL_GUARDED_BY(mu_);
  absl::Time last_redraw_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  int lines_drawn_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace krs::lab

#endif  // KRS_LAB_REPORT_PROGRESS_H_
