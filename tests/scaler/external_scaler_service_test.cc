// ExternalScalerServiceImpl behind a real ScalerServer on 127.0.0.1:0, called over a real gRPC
// channel, with a fake QueueStatsSource in place of the broker.
#include "common/mutex.h"
#include "scaler/external_scaler_service.h"

#include <map>
#include <optional>
#include <thread>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/logger.h"
#include "externalscaler.grpc.pb.h"
#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "scaler/scaler_options.h"
#include "scaler/scaler_server.h"
#include "tests/testing/broker_env.h"

namespace krs::scaler {
namespace {

using externalscaler::ExternalScaler;
using externalscaler::GetMetricSpecResponse;
using externalscaler::GetMetricsRequest;
using externalscaler::GetMetricsResponse;
using externalscaler::IsActiveResponse;
using externalscaler::ScaledObjectRef;
using ::krs::testing::Eventually;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kPassword[] = "s3cr3t-pw";
constexpr char kAmqpHost[] = "amqp://guest:s3cr3t-pw@127.0.0.1:5672/%2F";
constexpr char kHttpHost[] = "http://guest:s3cr3t-pw@127.0.0.1:15672";

// A QueueStatsSource with a programmable result. It counts reads, records the last deadline
// and, with the gate closed, holds every read until the test grants a permit.
class FakeStatsSource : public QueueStatsSource {
 public:
  absl::StatusOr<QueueStats> Read(const QueueQuery& query, absl::Time deadline) override {
    MutexLock lock(&mutex_);
    ++started_;
    mutex_.Await([this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) {
      return gate_open_ || permits_ > 0;
    });
    if (!gate_open_) --permits_;

    ++completed_;
    last_deadline_ = deadline;
    last_queue_ = query.queue_name;
    return result_;
  }

  void SetMessages(int64_t messages) {
    QueueStats stats;
    stats.messages = messages;
    stats.messages_ready = messages;
    SetResult(stats);
  }

  void SetResult(absl::StatusOr<QueueStats> result) {
    MutexLock lock(&mutex_);
    result_ = std::move(result);
  }

  void CloseGate() {
    MutexLock lock(&mutex_);
    gate_open_ = false;
  }

  void OpenGate() {
    MutexLock lock(&mutex_);
    gate_open_ = true;
  }

  void GrantReads(int count) {
    MutexLock lock(&mutex_);
    permits_ += count;
  }

  // Waits until `count` reads have completed in total; false after 20 s.
  bool WaitForCompletedReads(int count) {
    MutexLock lock(&mutex_);
    auto done = [this, count]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) {
      return completed_ >= count;
    };
    return mutex_.AwaitWithTimeout(done, absl::Seconds(20));
  }

  int completed() const {
    MutexLock lock(&mutex_);
    return completed_;
  }

  int started() const {
    MutexLock lock(&mutex_);
    return started_;
  }

  absl::Time last_deadline() const {
    MutexLock lock(&mutex_);
    return last_deadline_;
  }

 private:
  mutable Mutex mutex_;
  absl::StatusOr<QueueStats> result_ = QueueStats{};
  bool gate_open_ = true;
  int permits_ = 0;
  int started_ = 0;
  int completed_ = 0;
  absl::Time last_deadline_;
  std::string last_queue_;
};

ScaledObjectRef MakeRef(std::map<std::string, std::string> metadata,
                        const std::string& name = "orders-consumer") {
  ScaledObjectRef ref;
  ref.set_name(name);
  ref.set_namespace_("default");
  for (auto& [key, value] : metadata) (*ref.mutable_scalermetadata())[key] = value;
  return ref;
}

ScaledObjectRef AmqpRef(const std::string& queue, const std::string& value = "5") {
  return MakeRef({{"host", kAmqpHost}, {"queueName", queue}, {"mode", "QueueLength"},
                  {"value", value}});
}

GetMetricsRequest MetricsRequest(const ScaledObjectRef& ref, const std::string& metric_name) {
  GetMetricsRequest request;
  *request.mutable_scaledobjectref() = ref;
  request.set_metricname(metric_name);
  return request;
}

// Sets a deadline on every call, so that a missing message fails the test instead of hanging.
void SetTestDeadline(grpc::ClientContext& context) {
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
}

class ExternalScalerServiceTest : public ::testing::Test {
 protected:
  void SetUp() override { StartServer(ScalerOptions{}); }

  void TearDown() override {
    source_->OpenGate();
    server_->Shutdown(absl::Now() + absl::Seconds(5));
  }

  void StartServer(ScalerOptions options) {
    options.listen = "127.0.0.1:0";
    options.stream_check_interval = absl::Milliseconds(20);
    source_ = std::make_shared<FakeStatsSource>();
    server_ = std::make_unique<ScalerServer>(options, source_);
    absl::StatusOr<int> port = server_->Start();
    ASSERT_TRUE(port.ok()) << port.status();
    port_ = *port;
    channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", port_),
                                   grpc::InsecureChannelCredentials());
    stub_ = ExternalScaler::NewStub(channel_);
  }

  grpc::Status CallGetMetricSpec(const ScaledObjectRef& ref, GetMetricSpecResponse* response) {
    grpc::ClientContext context;
    SetTestDeadline(context);
    return stub_->GetMetricSpec(&context, ref, response);
  }

  grpc::Status CallGetMetrics(const GetMetricsRequest& request, GetMetricsResponse* response) {
    grpc::ClientContext context;
    SetTestDeadline(context);
    return stub_->GetMetrics(&context, request, response);
  }

  grpc::Status CallIsActive(const ScaledObjectRef& ref, IsActiveResponse* response) {
    grpc::ClientContext context;
    SetTestDeadline(context);
    return stub_->IsActive(&context, ref, response);
  }

  std::shared_ptr<FakeStatsSource> source_;
  std::unique_ptr<ScalerServer> server_;
  int port_ = 0;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<ExternalScaler::Stub> stub_;
};

// An open StreamIsActive call. The destructor cancels it unless Finish() was called.
class ActivityStream {
 public:
  ActivityStream(ExternalScaler::Stub& stub, const ScaledObjectRef& ref) {
    SetTestDeadline(context_);
    reader_ = stub.StreamIsActive(&context_, ref);
  }

  ~ActivityStream() {
    if (finished_) return;
    context_.TryCancel();
    Finish();
  }

  // Returns the next message's result, or std::nullopt when the stream ended.
  std::optional<bool> Next() {
    IsActiveResponse response;
    if (!reader_->Read(&response)) return std::nullopt;
    return response.result();
  }

  void Cancel() { context_.TryCancel(); }

  // Drains the stream and returns its final status.
  grpc::Status Finish() {
    IsActiveResponse response;
    while (reader_->Read(&response)) {
    }
    finished_ = true;
    return reader_->Finish();
  }

 private:
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReader<IsActiveResponse>> reader_;
  bool finished_ = false;
};

TEST_F(ExternalScalerServiceTest, GetMetricSpecDoesNotReadBroker) {
  GetMetricSpecResponse response;
  grpc::Status status = CallGetMetricSpec(AmqpRef("orders", "2.5"), &response);

  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(response.metricspecs_size(), 1);
  EXPECT_EQ(response.metricspecs(0).metricname(), "rabbitmq-orders");
  EXPECT_DOUBLE_EQ(response.metricspecs(0).targetsizefloat(), 2.5);
  EXPECT_EQ(response.metricspecs(0).targetsize(), 3);  // max(1, ceil(2.5))
  EXPECT_EQ(source_->started(), 0);
}

TEST_F(ExternalScalerServiceTest, GetMetricSpecTargetSizeAtLeastOne) {
  GetMetricSpecResponse response;
  grpc::Status status = CallGetMetricSpec(AmqpRef("orders", "0.2"), &response);

  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(response.metricspecs_size(), 1);
  EXPECT_DOUBLE_EQ(response.metricspecs(0).targetsizefloat(), 0.2);
  EXPECT_EQ(response.metricspecs(0).targetsize(), 1);
}

TEST_F(ExternalScalerServiceTest, GetMetricsReturnsQueueLength) {
  source_->SetMessages(7);
  GetMetricsResponse response;
  grpc::Status status = CallGetMetrics(MetricsRequest(AmqpRef("orders"), "rabbitmq-orders"),
                                       &response);

  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(response.metricvalues_size(), 1);
  EXPECT_EQ(response.metricvalues(0).metricname(), "rabbitmq-orders");
  EXPECT_DOUBLE_EQ(response.metricvalues(0).metricvaluefloat(), 7);
  EXPECT_EQ(response.metricvalues(0).metricvalue(), 7);
  EXPECT_EQ(source_->completed(), 1);
}

TEST_F(ExternalScalerServiceTest, GetMetricsFractionalRateHasIntegerCeiling) {
  QueueStats stats;
  stats.publish_rate = 0.5;
  source_->SetResult(stats);
  ScaledObjectRef ref = MakeRef({{"host", kHttpHost}, {"queueName", "orders"},
                                 {"mode", "MessageRate"}, {"value", "2"}});

  GetMetricsResponse response;
  grpc::Status status = CallGetMetrics(MetricsRequest(ref, "rabbitmq-orders"), &response);

  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(response.metricvalues_size(), 1);
  EXPECT_DOUBLE_EQ(response.metricvalues(0).metricvaluefloat(), 0.5);
  EXPECT_EQ(response.metricvalues(0).metricvalue(), 1);
}

TEST_F(ExternalScalerServiceTest, GetMetricsWrongMetricNameIsInvalidArgument) {
  GetMetricsResponse response;
  grpc::Status status =
      CallGetMetrics(MetricsRequest(AmqpRef("orders"), "s0-rabbitmq-orders"), &response);

  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("\"s0-rabbitmq-orders\""));
  EXPECT_THAT(status.error_message(), HasSubstr("\"rabbitmq-orders\""));
  EXPECT_EQ(source_->started(), 0);
}

TEST_F(ExternalScalerServiceTest, IsActiveComparesWithActivationValue) {
  struct Case {
    int64_t messages;
    std::string activation_value;
    bool expected;
  };
  const Case cases[] = {
      {0, "0", false},
      {1, "0", true},   // strict >: one message activates with activationValue 0
      {5, "5", false},  // 5 > 5 is false
      {6, "5", true},
  };

  for (const Case& c : cases) {
    SCOPED_TRACE(absl::StrCat("messages=", c.messages, " activationValue=", c.activation_value));
    source_->SetMessages(c.messages);
    ScaledObjectRef ref = MakeRef({{"host", kAmqpHost}, {"queueName", "orders"},
                                   {"mode", "QueueLength"}, {"value", "5"},
                                   {"activationValue", c.activation_value}});
    IsActiveResponse response;
    grpc::Status status = CallIsActive(ref, &response);

    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(response.result(), c.expected);
  }
}

TEST_F(ExternalScalerServiceTest, InvalidMetadataNamesKeyAndValue) {
  struct Case {
    std::map<std::string, std::string> metadata;
    std::string key;
    std::string value;
  };
  const Case cases[] = {
      {{{"host", kAmqpHost}, {"queueName", "orders"}, {"mode", "Bogus"}, {"value", "5"}},
       "mode",
       "Bogus"},
      {{{"host", kAmqpHost}, {"queueName", "orders"}, {"mode", "QueueLength"}, {"value", "abc"}},
       "value",
       "abc"},
      {{{"host", kAmqpHost}, {"queueName", "orders"}, {"protocol", "smtp"}}, "protocol", "smtp"},
  };

  for (const Case& c : cases) {
    SCOPED_TRACE(absl::StrCat(c.key, "=", c.value));
    ScaledObjectRef ref = MakeRef(c.metadata);

    GetMetricSpecResponse spec;
    grpc::Status spec_status = CallGetMetricSpec(ref, &spec);
    EXPECT_EQ(spec_status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(spec_status.error_message(), HasSubstr(c.key));
    EXPECT_THAT(spec_status.error_message(), HasSubstr(c.value));

    GetMetricsResponse metrics;
    grpc::Status metrics_status = CallGetMetrics(MetricsRequest(ref, "rabbitmq-orders"), &metrics);
    EXPECT_EQ(metrics_status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);

    IsActiveResponse active;
    grpc::Status active_status = CallIsActive(ref, &active);
    EXPECT_EQ(active_status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  }
  EXPECT_EQ(source_->started(), 0);
}

TEST_F(ExternalScalerServiceTest, MissingQueueNameIsInvalidArgument) {
  GetMetricSpecResponse response;
  grpc::Status status = CallGetMetricSpec(MakeRef({{"host", kAmqpHost}}), &response);

  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("queueName"));
}

TEST_F(ExternalScalerServiceTest, SourceErrorsKeepTheirCode) {
  const std::pair<absl::Status, grpc::StatusCode> cases[] = {
      {absl::NotFoundError("queue \"orders\" not found in vhost \"/\""),
       grpc::StatusCode::NOT_FOUND},
      {absl::UnavailableError("connection refused"), grpc::StatusCode::UNAVAILABLE},
      {absl::DeadlineExceededError("timed out after 3s"), grpc::StatusCode::DEADLINE_EXCEEDED},
      {absl::PermissionDeniedError("access refused to vhost \"/\""),
       grpc::StatusCode::PERMISSION_DENIED},
      {absl::UnauthenticatedError("login refused"), grpc::StatusCode::UNAUTHENTICATED},
  };

  for (const auto& [source_status, expected_code] : cases) {
    SCOPED_TRACE(source_status.ToString());
    source_->SetResult(source_status);

    GetMetricsResponse metrics;
    grpc::Status metrics_status =
        CallGetMetrics(MetricsRequest(AmqpRef("orders"), "rabbitmq-orders"), &metrics);
    EXPECT_EQ(metrics_status.error_code(), expected_code);
    EXPECT_EQ(metrics_status.error_message(), source_status.message());

    IsActiveResponse active;
    grpc::Status active_status = CallIsActive(AmqpRef("orders"), &active);
    EXPECT_EQ(active_status.error_code(), expected_code);
  }
}

TEST_F(ExternalScalerServiceTest, ReadDeadlineIsRpcDeadlineWhenEarlier) {
  grpc::ClientContext context;
  absl::Time rpc_deadline = absl::Now() + absl::Milliseconds(700);
  context.set_deadline(absl::ToChronoTime(rpc_deadline));
  IsActiveResponse response;
  grpc::Status status = stub_->IsActive(&context, AmqpRef("orders"), &response);

  ASSERT_TRUE(status.ok()) << status.error_message();
  // gRPC sends the deadline as a timeout, so the server's copy may differ by transit time.
  EXPECT_LE(source_->last_deadline(), rpc_deadline + absl::Milliseconds(100));
}

TEST_F(ExternalScalerServiceTest, ReadDeadlineIsDefaultTimeoutWithoutRpcDeadline) {
  absl::Time before = absl::Now();
  grpc::ClientContext context;  // no deadline
  IsActiveResponse response;
  grpc::Status status = stub_->IsActive(&context, AmqpRef("orders"), &response);

  ASSERT_TRUE(status.ok()) << status.error_message();
  // ScalerOptions' default timeout is 3 s.
  EXPECT_GE(source_->last_deadline(), before + absl::Seconds(3));
  EXPECT_LE(source_->last_deadline(), absl::Now() + absl::Seconds(3));
}

TEST_F(ExternalScalerServiceTest, StreamIsActiveSendsOnlyTransitions) {
  source_->SetMessages(0);
  ActivityStream stream(*stub_, AmqpRef("orders"));

  EXPECT_EQ(stream.Next(), false);  // the state when the stream opens
  int reads = source_->completed();
  ASSERT_TRUE(source_->WaitForCompletedReads(reads + 3));  // still 0: nothing sent

  source_->SetMessages(8);
  EXPECT_EQ(stream.Next(), true);
  reads = source_->completed();
  ASSERT_TRUE(source_->WaitForCompletedReads(reads + 3));  // still 8: nothing sent

  source_->SetMessages(0);
  EXPECT_EQ(stream.Next(), false);
  reads = source_->completed();
  ASSERT_TRUE(source_->WaitForCompletedReads(reads + 3));  // still 0: nothing sent

  // The server ends the stream; every message sent before arrives first, so a duplicate
  // would show up here.
  server_->service().Shutdown();
  EXPECT_EQ(stream.Next(), std::nullopt);
  grpc::Status status = stream.Finish();
  EXPECT_TRUE(status.ok()) << status.error_message();
}

TEST_F(ExternalScalerServiceTest, TwentyStreamsOnOneQueueShareOneRead) {
  constexpr int kStreams = 20;
  source_->SetMessages(0);
  source_->CloseGate();

  std::vector<std::unique_ptr<ActivityStream>> streams;
  for (int i = 0; i < kStreams; ++i) {
    streams.push_back(
        std::make_unique<ActivityStream>(*stub_, AmqpRef("orders")));
  }
  ASSERT_TRUE(Eventually([&] {
    return server_->service().watchers().subscriber_count() == kStreams;
  }));
  EXPECT_EQ(server_->service().watchers().watcher_count(), 1u);

  source_->GrantReads(1);
  for (auto& stream : streams) EXPECT_EQ(stream->Next(), false);
  EXPECT_EQ(source_->completed(), 1);

  source_->SetMessages(3);
  source_->GrantReads(1);
  for (auto& stream : streams) EXPECT_EQ(stream->Next(), true);
  EXPECT_EQ(source_->completed(), 2);
}

TEST_F(ExternalScalerServiceTest, StreamsOnDifferentQueuesHaveOwnWatchers) {
  ActivityStream orders(*stub_, AmqpRef("orders"));
  ActivityStream invoices(*stub_, AmqpRef("invoices"));
  ActivityStream orders_again(*stub_, AmqpRef("orders", "10"));  // same query, other target

  EXPECT_EQ(orders.Next(), false);
  EXPECT_EQ(invoices.Next(), false);
  EXPECT_EQ(orders_again.Next(), false);
  EXPECT_EQ(server_->service().watchers().watcher_count(), 2u);
}

TEST_F(ExternalScalerServiceTest, StreamSilentWhileBrokerFails) {
  source_->SetResult(absl::UnavailableError("connection refused"));
  ActivityStream stream(*stub_, AmqpRef("orders"));
  ASSERT_TRUE(source_->WaitForCompletedReads(5));
  EXPECT_EQ(server_->service().open_stream_count(), 1u);

  // The first message is the first state read successfully: nothing was sent before it.
  source_->SetMessages(2);
  EXPECT_EQ(stream.Next(), true);
}

TEST_F(ExternalScalerServiceTest, StreamIsActiveInvalidMetadataEndsStream) {
  ActivityStream stream(*stub_, MakeRef({{"host", kAmqpHost}, {"queueName", "orders"},
                                         {"mode", "Bogus"}}));

  EXPECT_EQ(stream.Next(), std::nullopt);
  grpc::Status status = stream.Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("Bogus"));
}

TEST_F(ExternalScalerServiceTest, ClientCancelEndsStreamAndStopsWatcher) {
  auto stream = std::make_unique<ActivityStream>(*stub_, AmqpRef("orders"));
  EXPECT_EQ(stream->Next(), false);
  EXPECT_EQ(server_->service().watchers().watcher_count(), 1u);

  stream->Cancel();
  EXPECT_EQ(stream->Next(), std::nullopt);
  EXPECT_EQ(stream->Finish().error_code(), grpc::StatusCode::CANCELLED);

  EXPECT_TRUE(Eventually([&] { return server_->service().open_stream_count() == 0; }));
  EXPECT_TRUE(Eventually([&] { return server_->service().watchers().watcher_count() == 0; }));
}

TEST_F(ExternalScalerServiceTest, StreamMetricSpecSendsSpecOnce) {
  grpc::ClientContext context;
  SetTestDeadline(context);
  std::unique_ptr<grpc::ClientReader<GetMetricSpecResponse>> reader =
      stub_->StreamMetricSpec(&context, AmqpRef("orders", "4"));

  GetMetricSpecResponse response;
  ASSERT_TRUE(reader->Read(&response));
  ASSERT_EQ(response.metricspecs_size(), 1);
  EXPECT_EQ(response.metricspecs(0).metricname(), "rabbitmq-orders");
  EXPECT_DOUBLE_EQ(response.metricspecs(0).targetsizefloat(), 4);
  EXPECT_EQ(server_->service().open_stream_count(), 1u);

  server_->service().Shutdown();
  EXPECT_FALSE(reader->Read(&response));
  EXPECT_TRUE(reader->Finish().ok());
  EXPECT_EQ(source_->started(), 0);
}

TEST_F(ExternalScalerServiceTest, ServerShutdownEndsStreams) {
  ActivityStream activity(*stub_, AmqpRef("orders"));
  EXPECT_EQ(activity.Next(), false);
  grpc::ClientContext spec_context;
  SetTestDeadline(spec_context);
  auto spec_reader = stub_->StreamMetricSpec(&spec_context, AmqpRef("orders"));
  GetMetricSpecResponse spec;
  ASSERT_TRUE(spec_reader->Read(&spec));

  server_->Shutdown(absl::Now() + absl::Seconds(5));

  EXPECT_EQ(activity.Next(), std::nullopt);
  EXPECT_TRUE(activity.Finish().ok());
  EXPECT_FALSE(spec_reader->Read(&spec));
  EXPECT_TRUE(spec_reader->Finish().ok());
}

TEST_F(ExternalScalerServiceTest, ShutdownLetsInFlightCallFinish) {
  source_->SetMessages(4);
  source_->CloseGate();
  grpc::ClientContext context;
  SetTestDeadline(context);
  GetMetricsResponse response;
  grpc::Status status;
  bool done = false;
  Mutex mutex;
  GetMetricsRequest request = MetricsRequest(AmqpRef("orders"), "rabbitmq-orders");
  stub_->async()->GetMetrics(&context, &request, &response, [&](grpc::Status s) {
                               MutexLock lock(&mutex);
                               status = std::move(s);
                               done = true;
                             });
  ASSERT_TRUE(Eventually([&] { return source_->started() == 1; }));

  std::thread shutdown([&] { server_->Shutdown(absl::Now() + absl::Seconds(10)); });
  // Health turns NOT_SERVING (or the server rejects the check) once shutdown has begun.
  auto health = grpc::health::v1::Health::NewStub(channel_);
  ASSERT_TRUE(Eventually([&] {
    grpc::ClientContext health_context;
    grpc::health::v1::HealthCheckRequest request;
    grpc::health::v1::HealthCheckResponse health_response;
    grpc::Status health_status = health->Check(&health_context, request, &health_response);
    return !health_status.ok() ||
           health_response.status() != grpc::health::v1::HealthCheckResponse::SERVING;
  }));
  source_->GrantReads(1);
  shutdown.join();

  MutexLock lock(&mutex);
  mutex.Await([&done] { return done; });
  EXPECT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(response.metricvalues_size(), 1);
  EXPECT_EQ(response.metricvalues(0).metricvalue(), 4);
}

TEST_F(ExternalScalerServiceTest, HealthIsServing) {
  auto health = grpc::health::v1::Health::NewStub(channel_);
  for (const std::string service : {"", "externalscaler.ExternalScaler"}) {
    SCOPED_TRACE(service);
    grpc::ClientContext context;
    SetTestDeadline(context);
    grpc::health::v1::HealthCheckRequest request;
    request.set_service(service);
    grpc::health::v1::HealthCheckResponse response;
    grpc::Status status = health->Check(&context, request, &response);

    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(response.status(), grpc::health::v1::HealthCheckResponse::SERVING);
  }
}

TEST_F(ExternalScalerServiceTest, PortInUseFailsToStart) {
  ScalerOptions options;
  options.listen = absl::StrCat("127.0.0.1:", port_);
  ScalerServer second(options, source_);

  absl::StatusOr<int> port = second.Start();

  EXPECT_EQ(port.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(port.status().message()), HasSubstr(options.listen));
}

TEST_F(ExternalScalerServiceTest, NoPasswordInErrorsOrLogs) {
  Mutex mutex;
  std::vector<std::string> lines;
  SetLogSinkForTest([&](const std::string& line) {
    MutexLock lock(&mutex);
    lines.push_back(line);
  });
  SetLogLevel(LogLevel::kDebug);

  std::vector<std::string> messages;
  // A source that forgot to redact its URL: the RPC edge still must not leak it.
  source_->SetResult(absl::UnavailableError(absl::StrCat("connect to ", kAmqpHost, " failed")));
  for (const ScaledObjectRef& ref :
       {AmqpRef("orders"),
        MakeRef({{"host", kAmqpHost}, {"queueName", "orders"}, {"mode", "Bogus"}}),
        MakeRef({{"host", kHttpHost}, {"queueName", "orders"}, {"mode", "QueueLength"},
                 {"value", "x"}})}) {
    GetMetricSpecResponse spec;
    messages.push_back(CallGetMetricSpec(ref, &spec).error_message());
    GetMetricsResponse metrics;
    messages.push_back(CallGetMetrics(MetricsRequest(ref, "rabbitmq-orders"), &metrics)
                           .error_message());
    IsActiveResponse active;
    messages.push_back(CallIsActive(ref, &active).error_message());
  }
  {
    ActivityStream stream(*stub_, AmqpRef("orders"));
    ASSERT_TRUE(source_->WaitForCompletedReads(source_->completed() + 2));
  }

  SetLogLevel(LogLevel::kInfo);
  SetLogSinkForTest(nullptr);

  EXPECT_THAT(messages, ::testing::Contains(HasSubstr("***")));
  for (const std::string& message : messages) EXPECT_THAT(message, Not(HasSubstr(kPassword)));
  MutexLock lock(&mutex);
  EXPECT_FALSE(lines.empty());
  for (const std::string& line : lines) EXPECT_THAT(line, Not(HasSubstr(kPassword)));
}

}  // namespace
}  // namespace krs::scaler
