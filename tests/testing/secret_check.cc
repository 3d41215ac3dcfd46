#include "common/mutex.h"
#include "tests/testing/secret_check.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/logger.h"
#include "common/url.h"
#include "tests/testing/test_secrets.h"

namespace krs::testing {
namespace {

struct Collected {
  Mutex mutex;
  std::vector<std::string> lines ABSL_GUARDED_BY(mutex);
  std::vector<std::string> files ABSL_GUARDED_BY(mutex);
};

Collected& State() {
  static Collected* state = new Collected();
  return *state;
}

void AddLine(std::string line) {
  Collected& state = State();
  MutexLock lock(&state.mutex);
  state.lines.push_back(std::move(line));
}

// Reports every secret found in `text`. `where` names the line or file it came from.
void ReportSecrets(const std::string& where, absl::string_view text) {
  for (const std::string& secret : FindTestSecrets(text)) {
    ADD_FAILURE() << "a test password (" << secret.size() << " characters, starting \""
                  << secret.substr(0, 3) << "\") appears in " << where
                  << "; a log line or error message leaked it";
  }
}

// Collects failure messages of assertions and reinstalls the sink around every test.
class SecretCheckListener : public ::testing::EmptyTestEventListener {
 public:
  void OnTestStart(const ::testing::TestInfo&) override { InstallSecretCheckLogSink(); }
  void OnTestEnd(const ::testing::TestInfo&) override { InstallSecretCheckLogSink(); }
  void OnTestPartResult(const ::testing::TestPartResult& result) override {
    if (result.failed() && result.message() != nullptr) {
      AddLine(absl::StrCat("assertion failure: ", result.message()));
    }
  }
};

class SecretCheckEnvironment : public ::testing::Environment {
 public:
  void SetUp() override { InstallSecretCheckLogSink(); }

  void TearDown() override {
    std::vector<std::string> lines;
    std::vector<std::string> files;
    {
      Collected& state = State();
      MutexLock lock(&state.mutex);
      lines = state.lines;
      files = state.files;
    }
    for (size_t i = 0; i < lines.size(); ++i) {
      ReportSecrets(absl::StrCat("collected line ", i + 1), lines[i]);
    }
    for (const std::string& path : files) {
      std::ifstream file(path, std::ios::binary);
      if (!file) continue;
      std::ostringstream contents;
      contents << file.rdbuf();
      ReportSecrets(absl::StrCat("file ", path), contents.str());
    }
  }
};

const bool kRegistered = [] {
  ::testing::AddGlobalTestEnvironment(new SecretCheckEnvironment());
  ::testing::UnitTest::GetInstance()->listeners().Append(new SecretCheckListener());
  return true;
}();

}  // namespace

void InstallSecretCheckLogSink() {
  SetLogSinkForTest([](const std::string& line) {
    std::fprintf(stderr, "%s\n", line.c_str());
    AddLine(line);
  });
}

void AddTextForSecretScan(absl::string_view source, absl::string_view text) {
  AddLine(absl::StrCat(source, ": ", text));
}

void ScanFileForSecretsAtExit(const std::string& path) {
  Collected& state = State();
  MutexLock lock(&state.mutex);
  state.files.push_back(path);
}

std::vector<std::string> FindTestSecrets(absl::string_view text) {
  std::vector<std::string> found;
  for (absl::string_view secret : kTestSecrets) {
    if (absl::StrContains(text, secret) ||
        absl::StrContains(text, PercentEncodeQueryValue(secret)) ||
        absl::StrContains(text, PercentEncodePathSegment(secret))) {
      found.emplace_back(secret);
    }
  }
  return found;
}

std::vector<std::string> CollectedLogLines() {
  Collected& state = State();
  MutexLock lock(&state.mutex);
  return state.lines;
}

}  // namespace krs::testing
