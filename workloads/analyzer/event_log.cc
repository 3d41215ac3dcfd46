#include "workloads/analyzer/event_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/logger.h"

namespace krs::workloads {
namespace {

absl::Status ErrnoStatus(absl::string_view operation, const std::string& path) {
  return absl::InternalError(
      absl::StrCat(operation, " event log ", path, " failed: ", std::strerror(errno)));
}

absl::StatusOr<std::string> ReadWholeFile(int fd, const std::string& path) {
  std::string content;
  char buffer[65536];
  while (true) {
    ssize_t n = read(fd, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoStatus("reading", path);
    if (n == 0) break;
    content.append(buffer, static_cast<size_t>(n));
  }
  return content;
}

void ParseLines(absl::string_view complete, const std::string& path, EventLog::Replay& replay) {
  int64_t line_number = 0;
  for (absl::string_view line : absl::StrSplit(complete, '\n', absl::SkipEmpty())) {
    ++line_number;
    nlohmann::json json =
        nlohmann::json::parse(line.begin(), line.end(), nullptr, /*allow_exceptions=*/false);
    absl::StatusOr<Event> event = json.is_discarded()
                                      ? absl::InvalidArgumentError("not valid JSON")
                                      : EventFromJson(json);
    if (!event.ok()) {
      ++replay.skipped_lines;
      Log(LogLevel::kWarning, "skipping invalid event log line",
          {{"path", path}, {"line", line_number}, {"error", event.status().message()}});
      continue;
    }
    replay.events.push_back(*std::move(event));
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<EventLog>> EventLog::Open(const std::string& path,
                                                         Replay& replay) {
  int fd = open(path.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoStatus("opening", path);
  std::unique_ptr<EventLog> log(new EventLog(path, fd));

  absl::StatusOr<std::string> content = ReadWholeFile(fd, path);
  if (!content.ok()) return content.status();

  size_t complete_length = content->rfind('\n') == std::string::npos ? 0 : content->rfind('\n') + 1;
  if (complete_length < content->size()) {
    replay.torn_tail = true;
    Log(LogLevel::kWarning, "skipping torn last line of the event log",
        {{"path", path}, {"bytes", content->size() - complete_length}});
    if (ftruncate(fd, static_cast<off_t>(complete_length)) != 0) {
      return ErrnoStatus("truncating", path);
    }
  }
  ParseLines(absl::string_view(*content).substr(0, complete_length), path, replay);
  return log;
}

EventLog::~EventLog() { close(fd_); }

absl::Status EventLog::Append(const std::vector<Event>& events) {
  std::string text;
  for (const Event& event : events) absl::StrAppend(&text, EventToJson(event).dump(), "\n");

  size_t written = 0;
  while (written < text.size()) {
    ssize_t n = write(fd_, text.data() + written, text.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoStatus("appending to", path_);
    written += static_cast<size_t>(n);
  }
  if (fsync(fd_) != 0) return ErrnoStatus("syncing", path_);
  return absl::OkStatus();
}

}  // namespace krs::workloads
