#include "tests/testing/test_certs.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace krs::testing {
namespace {

std::string EnvOr(const char* name, const std::string& fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? value : fallback;
}

}  // namespace

std::string TestCertDir() {
  const std::string from_broker = EnvOr("RMQ_TLS_DIR", "");
  if (!from_broker.empty()) return from_broker;

  const std::string source_dir = EnvOr("KRS_SOURCE_DIR", ".");
  const std::string dir = absl::StrCat(EnvOr("KRS_BIN_DIR", "build/bin"), "/../certs");
  // The script keeps existing valid files, so calling it from every test is cheap.
  const std::string command =
      absl::StrCat("bash '", source_dir, "/scripts/make-test-certs.sh' '", dir, "' >/dev/null");
  int exit_code = std::system(command.c_str());
  EXPECT_EQ(exit_code, 0) << "creating test certificates failed: " << command;
  return dir;
}

std::string ReadTestFile(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  EXPECT_TRUE(file.good()) << "cannot read " << path;
  std::ostringstream contents;
  contents << file.rdbuf();
  return contents.str();
}

}  // namespace krs::testing
