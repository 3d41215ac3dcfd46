#include "workloads/consumer/exec_runner.h"

#include <signal.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace krs::workloads {
namespace {

int RunToEnd(ChildProcess& child) {
  absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (absl::Now() < deadline) {
    std::optional<int> status = child.Poll();
    if (status.has_value()) return *status;
    absl::SleepFor(absl::Milliseconds(10));
  }
  ADD_FAILURE() << "child did not exit";
  return -1;
}

std::string ReadFile(const std::string& path) {
  std::ifstream file(path);
  std::stringstream content;
  content << file.rdbuf();
  return content.str();
}

TEST(HeaderEnvName, UpperCasesAndReplacesOtherCharacters) {
  EXPECT_EQ(HeaderEnvName("x-tenant"), "AMQP_HEADER_X_TENANT");
  EXPECT_EQ(HeaderEnvName("retry.count2"), "AMQP_HEADER_RETRY_COUNT2");
}

TEST(ChildProcess, PassesBodyAndEnvironment) {
  std::string out = absl::StrCat(::testing::TempDir(), "/exec-", getpid());
  auto child = ChildProcess::Start(
      absl::StrCat("cat > ", out, ".body; printf %s \"$AMQP_MESSAGE_ID\" > ", out, ".env"),
      "hello body", {{"AMQP_MESSAGE_ID", "s-1"}});
  ASSERT_TRUE(child.ok()) << child.status();
  int status = RunToEnd(**child);
  EXPECT_TRUE(WaitStatusSucceeded(status)) << DescribeWaitStatus(status);
  EXPECT_EQ(ReadFile(out + ".body"), "hello body");
  EXPECT_EQ(ReadFile(out + ".env"), "s-1");
}

TEST(ChildProcess, ReportsExitStatusAndSignal) {
  auto failing = ChildProcess::Start("exit 3", "", {});
  ASSERT_TRUE(failing.ok());
  int status = RunToEnd(**failing);
  EXPECT_FALSE(WaitStatusSucceeded(status));
  EXPECT_EQ(DescribeWaitStatus(status), "exit status 3");

  auto sleeping = ChildProcess::Start("exec sleep 30", "", {});
  ASSERT_TRUE(sleeping.ok());
  (*sleeping)->Signal(SIGTERM);
  EXPECT_EQ(DescribeWaitStatus(RunToEnd(**sleeping)), "killed by signal 15");
}

TEST(ChildProcess, FeedsLargeBodyWithoutBlocking) {
  // 1 MiB is far more than a pipe buffer (64 KiB), so Start() must not write it all at once.
  std::string body(1 << 20, 'x');
  auto child = ChildProcess::Start("wc -c | grep -q '^1048576$'", body, {});
  ASSERT_TRUE(child.ok());
  EXPECT_TRUE(WaitStatusSucceeded(RunToEnd(**child)));
}

TEST(ChildProcess, ChildThatIgnoresStdinStillSucceeds) {
  std::string body(1 << 20, 'x');
  auto child = ChildProcess::Start("exit 0", body, {});
  ASSERT_TRUE(child.ok());
  EXPECT_TRUE(WaitStatusSucceeded(RunToEnd(**child)));
}

}  // namespace
}  // namespace krs::workloads
