// The scaler server with its security and operations options, against the real RabbitMQ of
// scripts/rabbitmq.sh: gRPC mutual TLS, broker profiles (selection, unknown names, a reload by
// symlink swap under an open StreamIsActive) and the /metrics endpoint after a few calls.
#include <sys/stat.h>
#include <unistd.h>

#include <httplib.h>

#include <cmath>
#include <fstream>
#include <optional>
#include <vector>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/mutex.h"
#include "externalscaler.grpc.pb.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "scaler/broker_profile_store.h"
#include "scaler/metrics_http_server.h"
#include "scaler/scaler_metrics.h"
#include "scaler/scaler_options.h"
#include "scaler/scaler_server.h"
#include "scaler/stats_router.h"
#include "tests/testing/broker_env.h"
#include "tests/testing/prometheus_text.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/test_certs.h"
#include "tests/testing/test_secrets.h"

namespace krs::scaler {
namespace {

using externalscaler::ExternalScaler;
using externalscaler::GetMetricSpecResponse;
using externalscaler::GetMetricsRequest;
using externalscaler::GetMetricsResponse;
using externalscaler::IsActiveResponse;
using externalscaler::ScaledObjectRef;
using ::krs::testing::Eventually;
using ::krs::testing::IsOk;
using ::krs::testing::kProfilePassword;
using ::krs::testing::kRotatedPassword;
using ::krs::testing::ManagementClient;
using ::krs::testing::ParsePrometheusText;
using ::krs::testing::PrometheusText;
using ::krs::testing::ReadTestFile;
using ::krs::testing::TestCertDir;
using ::krs::testing::TestHttpUrl;
using ::krs::testing::UniqueName;
using ::testing::AllOf;
using ::testing::HasSubstr;

void WriteFile(const std::string& path, absl::string_view contents) {
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  file << contents;
  ASSERT_TRUE(file.good()) << path;
}

// Returns the value of the first sample named `name` with `labels`, or NaN (and a failure).
double ValueOf(const PrometheusText& text, const std::string& name,
               const std::map<std::string, std::string>& labels = {}) {
  std::vector<::krs::testing::PrometheusSample> samples = text.Find(name, labels);
  EXPECT_FALSE(samples.empty()) << "no sample " << name;
  return samples.empty() ? std::nan("") : samples[0].value;
}

ScaledObjectRef Ref(std::map<std::string, std::string> metadata) {
  ScaledObjectRef ref;
  ref.set_name("orders-worker");
  ref.set_namespace_("orders");
  for (const auto& [key, value] : metadata) (*ref.mutable_scalermetadata())[key] = value;
  return ref;
}

std::shared_ptr<grpc::ChannelCredentials> ClientTls(const std::string& ca, const std::string& cert,
                                                    const std::string& key) {
  grpc::SslCredentialsOptions options;
  options.pem_root_certs = ReadTestFile(ca);
  if (!cert.empty()) options.pem_cert_chain = ReadTestFile(cert);
  if (!key.empty()) options.pem_private_key = ReadTestFile(key);
  return grpc::SslCredentials(options);
}

// A scaler with mutual TLS, metrics and broker profiles, and a broker user whose password
// contains URL-special characters. The profile "main" reads over the management API through a
// Kubernetes-style Secret folder: password -> ..data/password, ..data -> ..v1.
class ScalerSecurityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_THAT(management_.CheckReachable(), IsOk());
    user_ = UniqueName("krs-security-user");
    ASSERT_THAT(management_.CreateUser(user_, kProfilePassword, "management", "/"), IsOk());
    queue_ = UniqueName("security");
    ASSERT_THAT(management_.DeclareQueue("/", queue_), IsOk());

    char pattern[] = "/tmp/krs-security-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
    ASSERT_EQ(mkdir((dir_ + "/..v1").c_str(), 0755), 0);
    WriteFile(dir_ + "/..v1/password", kProfilePassword);
    ASSERT_EQ(symlink("..v1", (dir_ + "/..data").c_str()), 0);
    ASSERT_EQ(symlink("..data/password", (dir_ + "/password").c_str()), 0);
    absl::StatusOr<BrokerEndpoint> http = ParseBrokerEndpoint(TestHttpUrl());
    ASSERT_THAT(http, IsOk());
    WriteFile(dir_ + "/brokers.yaml",
              absl::StrCat("brokers:\n"
                           "  - name: main\n"
                           "    url: http://", http->host, ":", http->port, "/%2F\n",
                           "    username: ", user_, "\n"
                           "    password_file: password\n"
                           "  - name: other\n"
                           "    url: amqp://127.0.0.1:1/%2F\n"));
    auto store = BrokerProfileStore::Load({dir_ + "/brokers.yaml"});
    ASSERT_THAT(store, IsOk());
    store_ = *store;

    certs_ = TestCertDir();
    ScalerOptions options;
    options.listen = "127.0.0.1:0";
    options.stream_check_interval = absl::Milliseconds(200);
    options.cache_ttl = absl::Milliseconds(100);
    options.tls.cert_file = certs_ + "/server.pem";
    options.tls.key_file = certs_ + "/server.key";
    options.tls.client_ca_file = certs_ + "/ca.pem";
    options.brokers = store_;
    options.metrics = metrics_;
    server_ = std::make_unique<ScalerServer>(options, MakeScalerStatsSource(options));
    absl::StatusOr<int> port = server_->Start();
    ASSERT_THAT(port, IsOk());
    address_ = absl::StrCat("localhost:", *port);
    stub_ = ExternalScaler::NewStub(grpc::CreateChannel(
        address_, ClientTls(certs_ + "/ca.pem", certs_ + "/client.pem", certs_ + "/client.key")));
  }

  void TearDown() override {
    if (server_ != nullptr) server_->Shutdown(absl::Now() + absl::Seconds(2));
    management_.DeleteQueue("/", queue_).IgnoreError();
    management_.DeleteUser(user_).IgnoreError();
    std::string command = absl::StrCat("rm -rf '", dir_, "'");
    EXPECT_EQ(std::system(command.c_str()), 0);
  }

  grpc::Status IsActive(ExternalScaler::Stub& stub, const ScaledObjectRef& ref,
                        IsActiveResponse* response) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    return stub.IsActive(&context, ref, response);
  }

  ManagementClient management_;
  std::string user_;
  std::string queue_;
  std::string dir_;
  std::string certs_;
  std::string address_;
  std::shared_ptr<BrokerProfileStore> store_;
  std::shared_ptr<ScalerMetrics> metrics_ = std::make_shared<ScalerMetrics>();
  std::unique_ptr<ScalerServer> server_;
  std::unique_ptr<ExternalScaler::Stub> stub_;
};

TEST_F(ScalerSecurityTest, MutualTlsClientWithCertificateCalls) {
  IsActiveResponse response;
  grpc::Status status = IsActive(*stub_, Ref({{"broker", "main"}, {"queueName", queue_}}), &response);

  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_FALSE(response.result());
}

TEST_F(ScalerSecurityTest, MutualTlsClientWithoutCertificateRejected) {
  auto stub = ExternalScaler::NewStub(
      grpc::CreateChannel(address_, ClientTls(certs_ + "/ca.pem", "", "")));
  IsActiveResponse response;

  grpc::Status status = IsActive(*stub, Ref({{"broker", "main"}, {"queueName", queue_}}), &response);

  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
}

TEST_F(ScalerSecurityTest, TlsClientTrustingWrongCaRejected) {
  auto stub = ExternalScaler::NewStub(grpc::CreateChannel(
      address_,
      ClientTls(certs_ + "/other-ca.pem", certs_ + "/client.pem", certs_ + "/client.key")));
  IsActiveResponse response;

  grpc::Status status = IsActive(*stub, Ref({{"broker", "main"}, {"queueName", queue_}}), &response);

  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
}

TEST_F(ScalerSecurityTest, PlaintextClientRejected) {
  auto stub = ExternalScaler::NewStub(
      grpc::CreateChannel(address_, grpc::InsecureChannelCredentials()));
  IsActiveResponse response;

  grpc::Status status = IsActive(*stub, Ref({{"broker", "main"}, {"queueName", queue_}}), &response);

  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
}

TEST_F(ScalerSecurityTest, BrokerProfileReadsQueue) {
  ASSERT_THAT(management_.Publish("/", queue_, "m", 2), IsOk());
  GetMetricsRequest request;
  *request.mutable_scaledobjectref() = Ref({{"broker", "main"}, {"queueName", queue_}});
  request.set_metricname(absl::StrCat("rabbitmq-", queue_));

  bool seen = Eventually([&] {
    grpc::ClientContext context;
    GetMetricsResponse response;
    grpc::Status status = stub_->GetMetrics(&context, request, &response);
    return status.ok() && response.metricvalues_size() == 1 &&
           response.metricvalues(0).metricvaluefloat() == 2;
  });

  EXPECT_TRUE(seen);
}

TEST_F(ScalerSecurityTest, UnknownProfileIsInvalidArgument) {
  IsActiveResponse response;

  grpc::Status status = IsActive(*stub_, Ref({{"broker", "mian"}, {"queueName", queue_}}), &response);

  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(),
              AllOf(HasSubstr("\"mian\""), HasSubstr("known profiles: main, other")));
}

// Collects the values an open StreamIsActive delivers.
class StreamReader {
 public:
  StreamReader(ExternalScaler::Stub& stub, const ScaledObjectRef& ref)
      : reader_(stub.StreamIsActive(&context_, ref)), thread_([this] { Run(); }) {}
  ~StreamReader() {
    context_.TryCancel();
    thread_.join();
  }

  bool WaitFor(bool value) {
    MutexLock lock(&mutex_);
    auto seen = [this, value]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) {
      return last_.has_value() && *last_ == value;
    };
    return mutex_.AwaitWithTimeout(seen, absl::Seconds(20));
  }

  bool ended() {
    MutexLock lock(&mutex_);
    return ended_;
  }

 private:
  void Run() {
    IsActiveResponse response;
    while (reader_->Read(&response)) {
      MutexLock lock(&mutex_);
      last_ = response.result();
    }
    MutexLock lock(&mutex_);
    ended_ = true;
  }

  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReader<IsActiveResponse>> reader_;
  Mutex mutex_;
  std::optional<bool> last_ ABSL_GUARDED_BY(mutex_);
  bool ended_ ABSL_GUARDED_BY(mutex_) = false;
  std::thread thread_;
};

// The password is rotated in the broker and in the Secret folder (a symlink swap, as Kubernetes
// does). The open stream must stay open and report the queue's next change, which it can read
// only with the new password.
TEST_F(ScalerSecurityTest, StreamSurvivesProfileReloadBySymlinkSwap) {
  StreamReader stream(*stub_, Ref({{"broker", "main"}, {"queueName", queue_}}));
  ASSERT_TRUE(stream.WaitFor(false));

  ASSERT_THAT(management_.CreateUser(user_, kRotatedPassword, "management", "/"), IsOk());
  ASSERT_EQ(mkdir((dir_ + "/..v2").c_str(), 0755), 0);
  WriteFile(dir_ + "/..v2/password", kRotatedPassword);
  ASSERT_EQ(symlink("..v2", (dir_ + "/..data_tmp").c_str()), 0);
  ASSERT_EQ(rename((dir_ + "/..data_tmp").c_str(), (dir_ + "/..data").c_str()), 0);
  ASSERT_TRUE(store_->CheckForChanges());
  ASSERT_THAT(management_.Publish("/", queue_, "m", 1), IsOk());

  EXPECT_TRUE(stream.WaitFor(true));
  EXPECT_FALSE(stream.ended());
}

TEST_F(ScalerSecurityTest, MetricsEndpointExposesEveryMetric) {
  MetricsHttpServer metrics_server(metrics_);
  absl::StatusOr<int> port = metrics_server.Start("127.0.0.1:0");
  ASSERT_THAT(port, IsOk());
  ASSERT_THAT(management_.Publish("/", queue_, "m", 1), IsOk());
  IsActiveResponse response;
  ASSERT_TRUE(IsActive(*stub_, Ref({{"broker", "main"}, {"queueName", queue_}}), &response).ok());
  ASSERT_TRUE(IsActive(*stub_, Ref({{"broker", "main"}, {"queueName", queue_}}), &response).ok());
  ASSERT_FALSE(IsActive(*stub_, Ref({{"broker", "other"}, {"queueName", queue_}}), &response).ok());
  ASSERT_FALSE(IsActive(*stub_, Ref({{"broker", "mian"}, {"queueName", queue_}}), &response).ok());
  {
    StreamReader stream(*stub_, Ref({{"broker", "main"}, {"queueName", queue_}}));
    ASSERT_TRUE(stream.WaitFor(true));

    httplib::Client client("127.0.0.1", *port);
    httplib::Result result = client.Get("/metrics");
    ASSERT_TRUE(result);
    absl::StatusOr<PrometheusText> text = ParsePrometheusText(result->body);
    ASSERT_THAT(text, IsOk());

    const std::string is_active = "/externalscaler.ExternalScaler/IsActive";
    const std::string stream_method = "/externalscaler.ExternalScaler/StreamIsActive";
    EXPECT_EQ(ValueOf(*text, "rabbitmq_scaler_grpc_requests_total",
                         {{"method", is_active}, {"code", "OK"}}), 2);
    EXPECT_EQ(text->Find("rabbitmq_scaler_grpc_requests_total",
                         {{"method", is_active}, {"code", "INVALID_ARGUMENT"}}).size(), 1u);
    EXPECT_EQ(ValueOf(*text, "rabbitmq_scaler_grpc_request_duration_seconds_count",
                         {{"method", is_active}}), 4);
    EXPECT_EQ(ValueOf(*text, "rabbitmq_scaler_grpc_open_streams", {{"method", stream_method}}),
              1);
    EXPECT_GE(ValueOf(*text, "rabbitmq_scaler_broker_queries_total", {{"protocol", "http"}}), 1);
    EXPECT_EQ(text->Find("rabbitmq_scaler_broker_errors_total",
                         {{"endpoint", "amqp://127.0.0.1:1/%2F"}, {"code", "UNAVAILABLE"}}).size(),
              1u);
    EXPECT_EQ(text->Find("rabbitmq_scaler_broker_query_duration_seconds_count").size(), 2u);
    EXPECT_GT(ValueOf(*text, "rabbitmq_scaler_broker_last_success_timestamp_seconds",
                         {{"protocol", "http"}}),
              1.7e9);
    EXPECT_EQ(text->Find("rabbitmq_scaler_broker_connections_open").size(), 1u);
    EXPECT_EQ(text->Find("rabbitmq_scaler_cache_hits_total").size(), 1u);
    EXPECT_EQ(text->Find("rabbitmq_scaler_cache_coalesced_waits_total").size(), 1u);
    EXPECT_GE(ValueOf(*text, "rabbitmq_scaler_cache_misses_total"), 1);
    for (const char* family :
         {"rabbitmq_scaler_grpc_requests_total", "rabbitmq_scaler_grpc_request_duration_seconds",
          "rabbitmq_scaler_grpc_open_streams", "rabbitmq_scaler_broker_queries_total",
          "rabbitmq_scaler_broker_errors_total", "rabbitmq_scaler_broker_query_duration_seconds",
          "rabbitmq_scaler_broker_last_success_timestamp_seconds",
          "rabbitmq_scaler_broker_connections_open", "rabbitmq_scaler_cache_hits_total",
          "rabbitmq_scaler_cache_misses_total", "rabbitmq_scaler_cache_coalesced_waits_total",
          "rabbitmq_scaler_broker_config_reloads_total"}) {
      EXPECT_EQ(text->types.count(family), 1u) << family;
    }
    EXPECT_THAT(result->body, ::testing::Not(HasSubstr(user_)));
  }
}

}  // namespace
}  // namespace krs::scaler
