// The test PKI of scripts/make-test-certs.sh, for TLS tests.
#ifndef KRS_TESTS_TESTING_TEST_CERTS_H_
#define KRS_TESTS_TESTING_TEST_CERTS_H_

#include <string>

namespace krs::testing {

// Returns the folder with ca.pem, server.pem, client.pem, wrong-host.pem, other-ca.pem, ...:
// RMQ_TLS_DIR when set (the certificates the test broker uses), else <KRS_BIN_DIR>/../certs,
// which is created with scripts/make-test-certs.sh on first use. Fails the calling test when
// the script fails.
std::string TestCertDir();

// Returns the contents of `path`, or "" (and a test failure) when it cannot be read.
std::string ReadTestFile(const std::string& path);

}  // namespace krs::testing

#endif  // KRS_TESTS_TESTING_TEST_CERTS_H_
