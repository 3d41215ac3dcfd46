// The real rabbitmq-scaler binary against the real local RabbitMQ (scripts/rabbitmq.sh), called
// over gRPC as KEDA calls it.
#include <signal.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/mutex.h"
#include "common/notification.h"
#include "externalscaler.grpc.pb.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "tests/scaler/scaler_process.h"
#include "tests/testing/broker_env.h"
#include "tests/testing/fake_management_server.h"

namespace krs::testing {
namespace {

using externalscaler::ExternalScaler;
using externalscaler::GetMetricSpecResponse;
using externalscaler::GetMetricsRequest;
using externalscaler::GetMetricsResponse;
using externalscaler::IsActiveResponse;
using externalscaler::ScaledObjectRef;
using ::testing::HasSubstr;

constexpr int kMessages = 5;

ScaledObjectRef MakeRef(const std::string& host, const std::string& queue) {
  ScaledObjectRef ref;
  ref.set_name("e2e-consumer");
  ref.set_namespace_("default");
  auto& metadata = *ref.mutable_scalermetadata();
  metadata["host"] = host;
  metadata["queueName"] = queue;
  metadata["mode"] = "QueueLength";
  metadata["value"] = "2";
  metadata["scalerAddress"] = "rabbitmq-scaler.keda:9090";  // KEDA sends its own keys too
  return ref;
}

void SetTestDeadline(grpc::ClientContext& context) {
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
}

class ScalerEndToEndTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    absl::StatusOr<std::unique_ptr<ScalerProcess>> process =
        ScalerProcess::Start({"--stream-check-interval=200ms"});  // dashes work too
    ASSERT_TRUE(process.ok()) << process.status();
    process_ = std::move(process).value().release();
  }

  static void TearDownTestSuite() {
    delete process_;
    process_ = nullptr;
  }

  void SetUp() override {
    ASSERT_NE(process_, nullptr) << "rabbitmq-scaler did not start";
    absl::Status reachable = management_.CheckReachable();
    ASSERT_TRUE(reachable.ok()) << reachable;

    stub_ = ExternalScaler::NewStub(
        grpc::CreateChannel(process_->address(), grpc::InsecureChannelCredentials()));
    queue_ = UniqueName("e2e");
    ASSERT_TRUE(management_.DeclareQueue("/", queue_).ok());
  }

  void TearDown() override { management_.DeleteQueue("/", queue_).IgnoreError(); }

  std::string MetricName(const ScaledObjectRef& ref) {
    grpc::ClientContext context;
    SetTestDeadline(context);
    GetMetricSpecResponse response;
    grpc::Status status = stub_->GetMetricSpec(&context, ref, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    if (response.metricspecs_size() != 1) return "";
    return response.metricspecs(0).metricname();
  }

  grpc::Status GetMetrics(const ScaledObjectRef& ref, const std::string& metric_name,
                          GetMetricsResponse* response) {
    GetMetricsRequest request;
    *request.mutable_scaledobjectref() = ref;
    request.set_metricname(metric_name);
    grpc::ClientContext context;
    SetTestDeadline(context);
    return stub_->GetMetrics(&context, request, response);
  }

  // Polls GetMetrics until it returns `expected` (the management API lags about a second).
  void ExpectMetricEventually(const ScaledObjectRef& ref, int64_t expected) {
    std::string metric_name = MetricName(ref);
    ASSERT_EQ(metric_name, absl::StrCat("rabbitmq-", queue_));

    GetMetricsResponse last;
    grpc::Status last_status;
    bool matched = Eventually([&] {
      last.Clear();
      last_status = GetMetrics(ref, metric_name, &last);
      return last_status.ok() && last.metricvalues_size() == 1 &&
             last.metricvalues(0).metricvalue() == expected;
    });
    ASSERT_TRUE(matched) << "last status: " << last_status.error_message()
                         << " last response: " << last.ShortDebugString();
    EXPECT_DOUBLE_EQ(last.metricvalues(0).metricvaluefloat(), static_cast<double>(expected));
  }

  bool IsActive(const ScaledObjectRef& ref) {
    grpc::ClientContext context;
    SetTestDeadline(context);
    IsActiveResponse response;
    grpc::Status status = stub_->IsActive(&context, ref, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.result();
  }

  static ScalerProcess* process_;
  ManagementClient management_;
  std::unique_ptr<ExternalScaler::Stub> stub_;
  std::string queue_;
};

ScalerProcess* ScalerEndToEndTest::process_ = nullptr;

TEST_F(ScalerEndToEndTest, AmqpTriggerReportsQueueLength) {
  ScaledObjectRef ref = MakeRef(TestAmqpUrl(), queue_);
  EXPECT_FALSE(IsActive(ref));

  ASSERT_TRUE(management_.Publish("/", queue_, "{}", kMessages).ok());

  ExpectMetricEventually(ref, kMessages);
  EXPECT_TRUE(IsActive(ref));
}

TEST_F(ScalerEndToEndTest, HttpTriggerReportsQueueLength) {
  ScaledObjectRef ref = MakeRef(TestHttpUrl(), queue_);
  ASSERT_TRUE(management_.Publish("/", queue_, "{}", kMessages).ok());

  ExpectMetricEventually(ref, kMessages);
  EXPECT_TRUE(IsActive(ref));
}

TEST_F(ScalerEndToEndTest, MissingQueueIsNotFound) {
  std::string missing = UniqueName("e2e-missing");
  for (const std::string& host : {TestAmqpUrl(), TestHttpUrl()}) {
    SCOPED_TRACE(host);
    ScaledObjectRef ref = MakeRef(host, missing);
    GetMetricsResponse response;
    grpc::Status status = GetMetrics(ref, absl::StrCat("rabbitmq-", missing), &response);

    EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND) << status.error_message();
    EXPECT_THAT(status.error_message(), HasSubstr(missing));
    EXPECT_THAT(status.error_message(), ::testing::Not(HasSubstr("guest:guest")));
  }
}

TEST_F(ScalerEndToEndTest, StreamIsActiveTurnsTrueOnPublish) {
  ScaledObjectRef ref = MakeRef(TestAmqpUrl(), queue_);
  grpc::ClientContext context;
  SetTestDeadline(context);
  std::unique_ptr<grpc::ClientReader<IsActiveResponse>> reader =
      stub_->StreamIsActive(&context, ref);

  IsActiveResponse response;
  ASSERT_TRUE(reader->Read(&response));
  EXPECT_FALSE(response.result());

  ASSERT_TRUE(management_.Publish("/", queue_, "{}", 1).ok());
  ASSERT_TRUE(reader->Read(&response));
  EXPECT_TRUE(response.result());

  context.TryCancel();
  while (reader->Read(&response)) {
  }
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::CANCELLED);
}

// SIGTERM while a GetMetrics call waits on a slow management API: the call completes with its
// value, an open stream ends with OK and the process exits 0.
TEST(ScalerProcessTest, SigtermFinishesInFlightCalls) {
  FakeManagementServer management;
  Notification request_arrived;
  management.SetHandler([&](const httplib::Request& request, httplib::Response& response) {
    if (!request_arrived.HasBeenNotified()) request_arrived.Notify();
    absl::SleepFor(absl::Milliseconds(1500));
    response.set_content(R"({"name":"slow","messages":9,"messages_ready":9})",
                         "application/json");
  });

  absl::StatusOr<std::unique_ptr<ScalerProcess>> process = ScalerProcess::Start();
  ASSERT_TRUE(process.ok()) << process.status();
  auto stub = ExternalScaler::NewStub(
      grpc::CreateChannel((*process)->address(), grpc::InsecureChannelCredentials()));

  ScaledObjectRef ref = MakeRef(management.Url(), "slow");
  grpc::ClientContext stream_context;
  SetTestDeadline(stream_context);
  auto stream = stub->StreamMetricSpec(&stream_context, ref);
  GetMetricSpecResponse spec;
  ASSERT_TRUE(stream->Read(&spec));

  GetMetricsRequest request;
  *request.mutable_scaledobjectref() = ref;
  request.set_metricname("rabbitmq-slow");
  GetMetricsResponse response;
  grpc::ClientContext context;
  SetTestDeadline(context);
  Mutex mutex;
  std::optional<grpc::Status> status;
  stub->async()->GetMetrics(&context, &request, &response, [&](grpc::Status s) {
    MutexLock lock(&mutex);
    status = std::move(s);
  });
  ASSERT_TRUE(request_arrived.WaitForNotificationWithTimeout(absl::Seconds(10)));

  (*process)->Signal(SIGTERM);

  {
    MutexLock lock(&mutex);
    mutex.Await([&status] { return status.has_value(); });
    EXPECT_TRUE(status->ok()) << status->error_message();
  }
  ASSERT_EQ(response.metricvalues_size(), 1);
  EXPECT_EQ(response.metricvalues(0).metricvalue(), 9);

  EXPECT_FALSE(stream->Read(&spec));
  EXPECT_TRUE(stream->Finish().ok());

  absl::StatusOr<int> exit_code = (*process)->WaitForExit(absl::Seconds(15));
  ASSERT_TRUE(exit_code.ok()) << exit_code.status();
  EXPECT_EQ(*exit_code, 0) << (*process)->Log();
  EXPECT_THAT((*process)->Log(), HasSubstr("msg=\"scaler stopped\""));
}

}  // namespace
}  // namespace krs::testing
