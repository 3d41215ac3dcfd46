// The passwords that tests use for broker users and in trigger metadata. None of them may
// appear in a log line or error message that a test binary produced: the secret check
// (secret_check.h) fails the binary when one does. Add every new test password here.
#ifndef KRS_TESTS_TESTING_TEST_SECRETS_H_
#define KRS_TESTS_TESTING_TEST_SECRETS_H_

#include "absl/strings/string_view.h"

namespace krs::testing {

// A broker user's password with every character that needs percent-encoding in a URL.
inline constexpr absl::string_view kProfilePassword = "Pr0file-p@ss:/%#?x";
// A second password, for credential rotation tests.
inline constexpr absl::string_view kRotatedPassword = "R0tated-p@ss:/%#?y";
// Passwords written in metadata and URL tests.
inline constexpr absl::string_view kMetadataPassword = "s3cr3t-P@ss";
inline constexpr absl::string_view kEnvPassword = "p@ss:word/%";
inline constexpr absl::string_view kWrongPassword = "wrong-Pa55word";

// Every password above. The guest user's password "guest" is not listed: it equals its user
// name, which logs may show.
inline constexpr absl::string_view kTestSecrets[] = {
    kProfilePassword, kRotatedPassword, kMetadataPassword, kEnvPassword, kWrongPassword,
};

}  // namespace krs::testing

#endif  // KRS_TESTS_TESTING_TEST_SECRETS_H_
