// The secret check of tests/testing/secret_check.h: it collects log lines, finds test
// passwords raw and percent-encoded, and fails a whole test binary that leaked one.
#include "tests/testing/secret_check.h"

#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/logger.h"
#include "common/url.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/test_secrets.h"

namespace krs::testing {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// Set in the child process that SecretCheck.FailsBinaryThatLeaks starts.
constexpr char kLeakEnv[] = "KRS_SECRET_CHECK_LEAK";

TEST(SecretCheck, CollectsLogLines) {
  Log(LogLevel::kWarning, "collected-line-marker", {{"key", "value"}});

  EXPECT_THAT(CollectedLogLines(), Contains(HasSubstr("collected-line-marker")));
}

TEST(SecretCheck, FindsRawAndEncodedPasswords) {
  EXPECT_THAT(FindTestSecrets(absl::StrCat("error: ", kProfilePassword)),
              ElementsAre(std::string(kProfilePassword)));
  EXPECT_THAT(FindTestSecrets(absl::StrCat("amqp://u:", PercentEncodeQueryValue(kProfilePassword),
                                           "@h/")),
              ElementsAre(std::string(kProfilePassword)));
  EXPECT_THAT(FindTestSecrets("amqp://u:***@h/"), IsEmpty());
}

// Only runs inside the child process: logs a password so that the check fails the binary.
TEST(SecretCheck, LeakForChildProcess) {
  if (std::getenv(kLeakEnv) == nullptr) GTEST_SKIP() << "runs only in the child process";
  Log(LogLevel::kError, "leak", {{"password", kWrongPassword}});
}

TEST(SecretCheck, FailsBinaryThatLeaks) {
  const std::string output = ::testing::TempDir() + "secret_check_child.txt";
  const std::string command =
      absl::StrCat(kLeakEnv, "=1 /proc/", getpid(),
                   "/exe --gtest_filter=SecretCheck.LeakForChildProcess >'", output, "' 2>&1");

  int status = std::system(command.c_str());

  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_NE(WEXITSTATUS(status), 0) << "the child leaked a password and still passed";
  std::ifstream file(output);
  std::stringstream text;
  text << file.rdbuf();
  EXPECT_THAT(text.str(), HasSubstr("a test password"));
  std::remove(output.c_str());
}

}  // namespace
}  // namespace krs::testing
