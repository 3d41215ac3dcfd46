// EventLog: the result-analyzer's durable record, one JSON event per line. Every accepted
// event is appended and fsync'd before the HTTP response goes out, and the log is replayed
// when the analyzer starts, so a restart loses nothing that was acknowledged.
#ifndef KRS_WORKLOADS_ANALYZER_EVENT_LOG_H_
#define KRS_WORKLOADS_ANALYZER_EVENT_LOG_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "workloads/common/event.h"

namespace krs::workloads {

class EventLog {
 public:
  // The events and problems Open() found in an existing log.
  struct Replay {
    std::vector<Event> events;
    int64_t skipped_lines = 0;  // lines that were not valid events (logged with warnings)
    bool torn_tail = false;     // the last line had no newline; it was skipped and cut off
  };

  // Opens (creating if needed) the log at `path` and reads every event in it into `replay`.
  // A last line without a newline is a write cut short by a crash: it is skipped with a
  // warning and truncated away, so the next append starts on a fresh line. Returns an error
  // naming the path when the file cannot be opened, read or truncated.
  static absl::StatusOr<std::unique_ptr<EventLog>> Open(const std::string& path, Replay& replay);

  ~EventLog();
  EventLog(const EventLog&) = delete;
  EventLog& operator=(const EventLog&) = delete;

  // Appends one line per event in a single write() and fsyncs. Not thread-safe; the caller
  // serializes appends.
  absl::Status Append(const std::vector<Event>& events);

  const std::string& path() const { return path_; }

 private:
  EventLog(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}

  std::string path_;
  int fd_;
};

}  // namespace krs::workloads

#endif  // KRS_WORKLOADS_ANALYZER_EVENT_LOG_H_
