// GrpcMetricsInterceptor on a real gRPC server: calls counted by method and code, durations
// observed, and open streams tracked while a stream is open.
#include "common/notification.h"
#include "scaler/grpc_metrics_interceptor.h"

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/server.h"
#include "grpcpp/server_builder.h"
#include "gtest/gtest.h"
#include "tests/testing/prometheus_text.h"
#include "tests/testing/status_matchers.h"

namespace krs::scaler {
namespace {

using ::krs::testing::IsOk;
using ::krs::testing::ParsePrometheusText;
using ::krs::testing::PrometheusText;

constexpr char kCheck[] = "/grpc.health.v1.Health/Check";
constexpr char kWatch[] = "/grpc.health.v1.Health/Watch";

// Check answers SERVING, or NOT_FOUND for the service "missing". Watch sends one message and
// stays open until `release_watch` is notified.
class TestHealth : public grpc::health::v1::Health::Service {
 public:
  grpc::Status Check(grpc::ServerContext*, const grpc::health::v1::HealthCheckRequest* request,
                     grpc::health::v1::HealthCheckResponse* response) override {
    if (request->service() == "missing") return grpc::Status(grpc::StatusCode::NOT_FOUND, "no");
    response->set_status(grpc::health::v1::HealthCheckResponse::SERVING);
    return grpc::Status::OK;
  }

  grpc::Status Watch(grpc::ServerContext*, const grpc::health::v1::HealthCheckRequest*,
                     grpc::ServerWriter<grpc::health::v1::HealthCheckResponse>* writer) override {
    grpc::health::v1::HealthCheckResponse response;
    response.set_status(grpc::health::v1::HealthCheckResponse::SERVING);
    writer->Write(response);
    release_watch.WaitForNotification();
    return grpc::Status::OK;
  }

  Notification release_watch;
};

class GrpcMetricsInterceptorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(&service_);
    builder.experimental().SetInterceptorCreators(MakeGrpcMetricsInterceptors(metrics_));
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    stub_ = grpc::health::v1::Health::NewStub(
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials()));
  }

  void TearDown() override {
    if (!service_.release_watch.HasBeenNotified()) service_.release_watch.Notify();
    server_->Shutdown();
  }

  grpc::Status Check(const std::string& service) {
    grpc::ClientContext context;
    grpc::health::v1::HealthCheckRequest request;
    request.set_service(service);
    grpc::health::v1::HealthCheckResponse response;
    return stub_->Check(&context, request, &response);
  }

  PrometheusText Scrape() {
    absl::StatusOr<PrometheusText> parsed = ParsePrometheusText(metrics_->registry.RenderText());
    EXPECT_THAT(parsed, IsOk());
    return parsed.ok() ? *parsed : PrometheusText();
  }

  double Value(const std::string& name, const std::map<std::string, std::string>& labels) {
    std::vector<::krs::testing::PrometheusSample> samples = Scrape().Find(name, labels);
    EXPECT_EQ(samples.size(), 1u) << name;
    return samples.empty() ? -1 : samples[0].value;
  }

  std::shared_ptr<ScalerMetrics> metrics_ = std::make_shared<ScalerMetrics>();
  TestHealth service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<grpc::health::v1::Health::Stub> stub_;
};

TEST_F(GrpcMetricsInterceptorTest, CountsUnaryCallsByCode) {
  ASSERT_TRUE(Check("").ok());
  ASSERT_TRUE(Check("").ok());
  ASSERT_EQ(Check("missing").error_code(), grpc::StatusCode::NOT_FOUND);

  EXPECT_EQ(Value("rabbitmq_scaler_grpc_requests_total", {{"method", kCheck}, {"code", "OK"}}), 2);
  EXPECT_EQ(Value("rabbitmq_scaler_grpc_requests_total",
                  {{"method", kCheck}, {"code", "NOT_FOUND"}}),
            1);
  EXPECT_EQ(Value("rabbitmq_scaler_grpc_request_duration_seconds_count", {{"method", kCheck}}), 3);
  EXPECT_EQ(Value("rabbitmq_scaler_grpc_request_duration_seconds_bucket",
                  {{"method", kCheck}, {"le", "+Inf"}}),
            3);
}

TEST_F(GrpcMetricsInterceptorTest, TracksOpenStreams) {
  grpc::ClientContext context;
  grpc::health::v1::HealthCheckRequest request;
  std::unique_ptr<grpc::ClientReader<grpc::health::v1::HealthCheckResponse>> reader =
      stub_->Watch(&context, request);
  grpc::health::v1::HealthCheckResponse response;
  ASSERT_TRUE(reader->Read(&response));

  EXPECT_EQ(Value("rabbitmq_scaler_grpc_open_streams", {{"method", kWatch}}), 1);

  service_.release_watch.Notify();
  EXPECT_FALSE(reader->Read(&response));
  ASSERT_TRUE(reader->Finish().ok());
  // The interceptor is destroyed right after the status is sent, which may be a moment after the
  // client saw it.
  for (int i = 0; i < 100 && Value("rabbitmq_scaler_grpc_open_streams", {{"method", kWatch}}) != 0;
       ++i) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_EQ(Value("rabbitmq_scaler_grpc_open_streams", {{"method", kWatch}}), 0);
  EXPECT_EQ(Value("rabbitmq_scaler_grpc_requests_total", {{"method", kWatch}, {"code", "OK"}}), 1);
}

}  // namespace
}  // namespace krs::scaler
