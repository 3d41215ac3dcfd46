// Structured logging: one line per event, `ts=... level=... msg="..." key=value ...`, on stderr.
//
// Absl 20220623 has no absl/log, so the project uses this small facade. The default level is
// info: services log starts, stops, retries and errors there, and per-request detail at debug.
// Values are quoted when they contain spaces or quotes. Never pass a secret as a field value:
// redact URLs with RedactUrl() (common/url.h) first.
#ifndef KRS_COMMON_LOGGER_H_
#define KRS_COMMON_LOGGER_H_

#include <functional>
#include <initializer_list>
#include <string>
#include <type_traits>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace krs {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3 };

// One key=value pair of a log line; the value is formatted when the field is built.
struct LogField {
  LogField(absl::string_view key, const absl::AlphaNum& value)
      : key(key), value(value.Piece()) {}
  template <typename T, std::enable_if_t<std::is_same_v<T, bool>, int> = 0>
  LogField(absl::string_view key, T value) : key(key), value(value ? "true" : "false") {}

  std::string key;
  std::string value;
};

// Parses "debug", "info", "warning" (or "warn") and "error".
absl::StatusOr<LogLevel> ParseLogLevel(absl::string_view text);

// Sets the lowest level that is written. Thread-safe.
void SetLogLevel(LogLevel level);
LogLevel GetLogLevel();

// Replaces the output (stderr by default) with `sink`, which receives every formatted line
// without its trailing newline. Pass nullptr to restore stderr. Meant for tests that inspect
// what was logged.
void SetLogSinkForTest(std::function<void(const std::string&)> sink);

// Writes one line if `level` is at or above the current level. Thread-safe.
void Log(LogLevel level, absl::string_view message, std::initializer_list<LogField> fields = {});

// Formats a line as Log() writes it, without the timestamp. Exposed for tests.
std::string FormatLogLine(LogLevel level, absl::string_view message,
                          std::initializer_list<LogField> fields);

}  // namespace krs

#endif  // KRS_COMMON_LOGGER_H_
