// The secret check, linked into a test binary, collects every log line (through
// SetLogSinkForTest) and every assertion failure message. At the end of the binary it fails the
// binary when a password from test_secrets.h appears in any of them or in a registered file.
//
// Link the object library krs::testing_secret_check (LIBS in krs_add_test); it registers itself
// with GoogleTest before main() runs. Lines still go to stderr as well.
#ifndef KRS_TESTS_TESTING_SECRET_CHECK_H_
#define KRS_TESTS_TESTING_SECRET_CHECK_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace krs::testing {

// Scans `path` at the end of the binary, e.g. the stderr file of a subprocess. A file that
// does not exist then is skipped.
void ScanFileForSecretsAtExit(const std::string& path);

// Adds `text`, e.g. the stderr that a test collected from a subprocess through a pipe, to the
// lines checked at the end of the binary. `source` names it in a failure.
void AddTextForSecretScan(absl::string_view source, absl::string_view text);

// Returns the passwords of test_secrets.h that occur in `text`, in its raw and in its
// percent-encoded spelling.
std::vector<std::string> FindTestSecrets(absl::string_view text);

// The log lines collected so far, for tests of the check itself.
std::vector<std::string> CollectedLogLines();

// Installs the collecting log sink again. A test that replaced the sink with its own calls
// this when done instead of SetLogSinkForTest(nullptr); the check also reinstalls it after
// every test.
void InstallSecretCheckLogSink();

}  // namespace krs::testing

#endif  // KRS_TESTS_TESTING_SECRET_CHECK_H_
