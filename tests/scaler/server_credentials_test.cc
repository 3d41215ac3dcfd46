// MakeServerCredentials against real gRPC servers and clients on 127.0.0.1: plaintext, TLS and
// mutual TLS, with the certificates of scripts/make-test-certs.sh (created by the test when
// missing).
#include "scaler/server_credentials.h"

#include <cstdlib>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/server.h"
#include "grpcpp/server_builder.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/test_certs.h"

namespace krs::scaler {
namespace {

using ::krs::testing::IsOk;
using ::krs::testing::ReadTestFile;
using ::krs::testing::StatusIs;
using ::krs::testing::TestCertDir;
using ::testing::HasSubstr;

// Returns SERVING for every Health/Check.
class ServingHealth : public grpc::health::v1::Health::Service {
 public:
  grpc::Status Check(grpc::ServerContext*, const grpc::health::v1::HealthCheckRequest*,
                     grpc::health::v1::HealthCheckResponse* response) override {
    response->set_status(grpc::health::v1::HealthCheckResponse::SERVING);
    return grpc::Status::OK;
  }
};

// A gRPC server that serves only grpc.health.v1.Health, with the given credentials.
class HealthServer {
 public:
  explicit HealthServer(std::shared_ptr<grpc::ServerCredentials> credentials) {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", std::move(credentials), &port_);
    builder.RegisterService(&service_);
    server_ = builder.BuildAndStart();
  }
  ~HealthServer() {
    if (server_ != nullptr) server_->Shutdown(std::chrono::system_clock::now());
  }

  bool started() const { return server_ != nullptr && port_ > 0; }
  std::string address() const { return absl::StrCat("localhost:", port_); }

 private:
  int port_ = 0;
  ServingHealth service_;
  std::unique_ptr<grpc::Server> server_;
};

grpc::Status Check(const std::string& address,
                   const std::shared_ptr<grpc::ChannelCredentials>& credentials) {
  auto channel = grpc::CreateChannel(address, credentials);
  auto stub = grpc::health::v1::Health::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  grpc::health::v1::HealthCheckRequest request;
  grpc::health::v1::HealthCheckResponse response;
  return stub->Check(&context, request, &response);
}

std::shared_ptr<grpc::ChannelCredentials> ClientTls(const std::string& ca, const std::string& cert,
                                                    const std::string& key) {
  grpc::SslCredentialsOptions options;
  options.pem_root_certs = ReadTestFile(ca);
  if (!cert.empty()) options.pem_cert_chain = ReadTestFile(cert);
  if (!key.empty()) options.pem_private_key = ReadTestFile(key);
  return grpc::SslCredentials(options);
}

ServerTlsOptions ServerTls(bool mutual) {
  const std::string dir = TestCertDir();
  ServerTlsOptions options;
  options.cert_file = dir + "/server.pem";
  options.key_file = dir + "/server.key";
  if (mutual) options.client_ca_file = dir + "/ca.pem";
  return options;
}

TEST(ServerCredentials, PlaintextWithoutFiles) {
  auto credentials = MakeServerCredentials({});
  ASSERT_THAT(credentials, IsOk());
  HealthServer server(*credentials);
  ASSERT_TRUE(server.started());

  EXPECT_TRUE(Check(server.address(), grpc::InsecureChannelCredentials()).ok());
}

TEST(ServerCredentials, TlsAcceptsClientTrustingCa) {
  auto credentials = MakeServerCredentials(ServerTls(/*mutual=*/false));
  ASSERT_THAT(credentials, IsOk());
  HealthServer server(*credentials);
  ASSERT_TRUE(server.started());
  const std::string dir = TestCertDir();

  grpc::Status status = Check(server.address(), ClientTls(dir + "/ca.pem", "", ""));

  EXPECT_TRUE(status.ok()) << status.error_message();
}

TEST(ServerCredentials, TlsRejectsClientWithWrongCa) {
  auto credentials = MakeServerCredentials(ServerTls(/*mutual=*/false));
  ASSERT_THAT(credentials, IsOk());
  HealthServer server(*credentials);
  ASSERT_TRUE(server.started());
  const std::string dir = TestCertDir();

  grpc::Status status = Check(server.address(), ClientTls(dir + "/other-ca.pem", "", ""));

  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
}

TEST(ServerCredentials, TlsRejectsPlaintextClient) {
  auto credentials = MakeServerCredentials(ServerTls(/*mutual=*/false));
  ASSERT_THAT(credentials, IsOk());
  HealthServer server(*credentials);
  ASSERT_TRUE(server.started());

  grpc::Status status = Check(server.address(), grpc::InsecureChannelCredentials());

  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
}

TEST(ServerCredentials, MutualTlsAcceptsClientCertificate) {
  auto credentials = MakeServerCredentials(ServerTls(/*mutual=*/true));
  ASSERT_THAT(credentials, IsOk());
  HealthServer server(*credentials);
  ASSERT_TRUE(server.started());
  const std::string dir = TestCertDir();

  grpc::Status status = Check(
      server.address(), ClientTls(dir + "/ca.pem", dir + "/client.pem", dir + "/client.key"));

  EXPECT_TRUE(status.ok()) << status.error_message();
}

TEST(ServerCredentials, MutualTlsRejectsClientWithoutCertificate) {
  auto credentials = MakeServerCredentials(ServerTls(/*mutual=*/true));
  ASSERT_THAT(credentials, IsOk());
  HealthServer server(*credentials);
  ASSERT_TRUE(server.started());
  const std::string dir = TestCertDir();

  grpc::Status status = Check(server.address(), ClientTls(dir + "/ca.pem", "", ""));

  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
}

TEST(ServerCredentials, MutualTlsRejectsCertificateOfOtherCa) {
  auto credentials = MakeServerCredentials(ServerTls(/*mutual=*/true));
  ASSERT_THAT(credentials, IsOk());
  HealthServer server(*credentials);
  ASSERT_TRUE(server.started());
  const std::string dir = TestCertDir();

  grpc::Status status =
      Check(server.address(),
            ClientTls(dir + "/ca.pem", dir + "/other-client.pem", dir + "/other-client.key"));

  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
}

TEST(ServerCredentials, InvalidFileCombinations) {
  const std::string dir = TestCertDir();
  struct Case {
    const char* name;
    ServerTlsOptions options;
    const char* message;
  };
  const Case cases[] = {
      {"key without certificate", {"", dir + "/server.key", ""}, "--tls-key-file is set without"},
      {"certificate without key", {dir + "/server.pem", "", ""}, "--tls-cert-file is set without"},
      {"client CA alone", {"", "", dir + "/ca.pem"}, "--tls-client-ca-file needs"},
      {"missing file", {dir + "/missing.pem", dir + "/server.key", ""}, "cannot be read"},
      {"key of another certificate", {dir + "/server.pem", dir + "/client.key", ""},
       "is not the key of"},
      {"key file holds a certificate", {dir + "/server.pem", dir + "/server.pem", ""},
       "no unencrypted PEM private key"},
      {"client CA holds a key", {dir + "/server.pem", dir + "/server.key", dir + "/ca.key"},
       "contains no PEM certificate"},
  };
  for (const Case& test_case : cases) {
    SCOPED_TRACE(test_case.name);
    EXPECT_THAT(MakeServerCredentials(test_case.options),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(test_case.message)));
  }
}

}  // namespace
}  // namespace krs::scaler
