// The rabbitmq-scaler binary with its security and operations flags, as a child process:
// startup errors for bad TLS and broker config flags, and a server with mutual TLS, broker
// profiles and --metrics-listen. Its whole stderr goes through the secret check.
#include <signal.h>

#include <httplib.h>

#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "externalscaler.grpc.pb.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "tests/scaler/scaler_process.h"
#include "tests/testing/prometheus_text.h"
#include "tests/testing/secret_check.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/test_certs.h"
#include "tests/testing/test_secrets.h"

namespace krs::testing {
namespace {

using externalscaler::ExternalScaler;
using externalscaler::GetMetricSpecResponse;
using externalscaler::ScaledObjectRef;
using ::testing::HasSubstr;

// Returns the port of the "metrics server started address=HOST:PORT" log line, or 0.
int MetricsPort(const std::string& log) {
  const std::string marker = "msg=\"metrics server started\" address=";
  size_t start = log.find(marker);
  if (start == std::string::npos) return 0;
  size_t colon = log.find(':', start + marker.size());
  size_t end = log.find_first_of(" \n", colon);
  int port = 0;
  if (colon == std::string::npos ||
      !absl::SimpleAtoi(log.substr(colon + 1, end - colon - 1), &port)) {
    return 0;
  }
  return port;
}

class ScalerFlagsSecurityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    certs_ = TestCertDir();
    char pattern[] = "/tmp/krs-flags-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
    std::ofstream(dir_ + "/password") << kProfilePassword << "\n";
    std::ofstream(dir_ + "/brokers.yaml")
        << "brokers:\n  - name: main\n    url: amqp://127.0.0.1:1/%2F\n"
           "    username: scaler\n    password_file: password\n";
  }

  void TearDown() override {
    std::string command = absl::StrCat("rm -rf '", dir_, "'");
    EXPECT_EQ(std::system(command.c_str()), 0);
  }

  // Starts the binary and expects it to fail at startup; returns what Start() reported.
  std::string StartupError(const std::vector<std::string>& args) {
    absl::StatusOr<std::unique_ptr<ScalerProcess>> process = ScalerProcess::Start(args);
    EXPECT_FALSE(process.ok()) << "the scaler started with invalid flags";
    std::string message = process.ok() ? "" : std::string(process.status().message());
    AddTextForSecretScan("rabbitmq-scaler stderr", message);
    return message;
  }

  std::string certs_;
  std::string dir_;
};

TEST_F(ScalerFlagsSecurityTest, KeyWithoutCertificateFailsStartup) {
  EXPECT_THAT(StartupError({"--tls-key-file=" + certs_ + "/server.key"}),
              HasSubstr("--tls-cert-file and --tls-key-file must be set together"));
}

TEST_F(ScalerFlagsSecurityTest, BrokerKeyWithoutCertificateFailsStartup) {
  EXPECT_THAT(StartupError({"--broker-key-file=" + certs_ + "/client.key"}),
              HasSubstr("without a client certificate"));
}

TEST_F(ScalerFlagsSecurityTest, MissingBrokerConfigFailsStartup) {
  EXPECT_THAT(StartupError({"--broker-config=" + dir_ + "/missing.yaml"}),
              HasSubstr("cannot be read"));
}

TEST_F(ScalerFlagsSecurityTest, InvalidMetricsListenFailsStartup) {
  EXPECT_THAT(StartupError({"--metrics-listen=9091"}), HasSubstr("--metrics-listen"));
}

TEST_F(ScalerFlagsSecurityTest, ServesMutualTlsAndMetrics) {
  absl::StatusOr<std::unique_ptr<ScalerProcess>> process = ScalerProcess::Start(
      {"--tls-cert-file=" + certs_ + "/server.pem", "--tls-key-file=" + certs_ + "/server.key",
       "--tls-client-ca-file=" + certs_ + "/ca.pem", "--broker-config=" + dir_ + "/brokers.yaml",
       "--metrics-listen=127.0.0.1:0"});
  ASSERT_THAT(process, IsOk());
  grpc::SslCredentialsOptions tls;
  tls.pem_root_certs = ReadTestFile(certs_ + "/ca.pem");
  tls.pem_cert_chain = ReadTestFile(certs_ + "/client.pem");
  tls.pem_private_key = ReadTestFile(certs_ + "/client.key");
  auto stub = ExternalScaler::NewStub(grpc::CreateChannel(
      absl::StrCat("localhost:", (*process)->port()), grpc::SslCredentials(tls)));
  ScaledObjectRef ref;
  ref.set_name("orders-worker");
  ref.set_namespace_("orders");
  (*ref.mutable_scalermetadata())["broker"] = "main";
  (*ref.mutable_scalermetadata())["queueName"] = "orders";

  grpc::ClientContext context;
  GetMetricSpecResponse response;
  grpc::Status status = stub->GetMetricSpec(&context, ref, &response);
  EXPECT_TRUE(status.ok()) << status.error_message();

  int metrics_port = MetricsPort((*process)->Log());
  ASSERT_NE(metrics_port, 0) << (*process)->Log();
  httplib::Client client("127.0.0.1", metrics_port);
  httplib::Result result = client.Get("/metrics");
  ASSERT_TRUE(result);
  absl::StatusOr<PrometheusText> text = ParsePrometheusText(result->body);
  ASSERT_THAT(text, IsOk());
  EXPECT_EQ(text->Find("rabbitmq_scaler_grpc_requests_total",
                       {{"method", "/externalscaler.ExternalScaler/GetMetricSpec"},
                        {"code", "OK"}})
                .size(),
            1u);
  EXPECT_EQ(text->Find("rabbitmq_scaler_broker_config_reloads_total").size(), 2u);

  (*process)->Signal(SIGTERM);
  absl::StatusOr<int> exit_code = (*process)->WaitForExit(absl::Seconds(15));
  ASSERT_THAT(exit_code, IsOk());
  EXPECT_EQ(*exit_code, 0);
  EXPECT_THAT((*process)->Log(), HasSubstr("tls=mtls"));
  AddTextForSecretScan("rabbitmq-scaler stderr", (*process)->Log());
}

}  // namespace
}  // namespace krs::testing
