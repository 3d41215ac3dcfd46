#include "common/logger.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace krs {
namespace {

TEST(FormatLogLine, WritesKeyValueFields) {
  std::string line = FormatLogLine(LogLevel::kInfo, "scaler started",
                                   {{"listen", "0.0.0.0:9090"}, {"streams", 3}});
  EXPECT_EQ(line, "level=info msg=\"scaler started\" listen=0.0.0.0:9090 streams=3");
}

TEST(FormatLogLine, QuotesAndEscapesValues) {
  std::string line = FormatLogLine(LogLevel::kError, "failed", {{"error", "say \"no\"\nnow"}});
  EXPECT_EQ(line, "level=error msg=failed error=\"say \\\"no\\\"\\nnow\"");
}

TEST(FormatLogLine, WritesBooleansAsWords) {
  EXPECT_EQ(FormatLogLine(LogLevel::kDebug, "x", {{"ok", true}}), "level=debug msg=x ok=true");
}

TEST(ParseLogLevel, AcceptsKnownNamesInAnyCase) {
  EXPECT_EQ(*ParseLogLevel("DEBUG"), LogLevel::kDebug);
  EXPECT_EQ(*ParseLogLevel("warn"), LogLevel::kWarning);
  EXPECT_EQ(*ParseLogLevel("error"), LogLevel::kError);
}

TEST(ParseLogLevel, RejectsUnknownNameWithAllowedValues) {
  absl::StatusOr<LogLevel> level = ParseLogLevel("loud");
  ASSERT_FALSE(level.ok());
  EXPECT_EQ(level.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(level.status().message().find("\"loud\""), std::string::npos);
  EXPECT_NE(level.status().message().find("debug, info, warning, error"), std::string::npos);
}

TEST(Log, DropsLinesBelowLevel) {
  std::vector<std::string> lines;
  SetLogSinkForTest([&lines](const std::string& line) { lines.push_back(line); });
  SetLogLevel(LogLevel::kWarning);

  Log(LogLevel::kInfo, "hidden");
  Log(LogLevel::kError, "shown", {{"queue", "jobs"}});

  SetLogLevel(LogLevel::kInfo);
  SetLogSinkForTest(nullptr);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].find("level=error msg=shown queue=jobs"), std::string::npos);
  EXPECT_EQ(lines[0].rfind("ts=", 0), 0u);
}

}  // namespace
}  // namespace krs
