// The scaler in front of a slow or hung broker: a TcpProxy on 127.0.0.1 sits between the scaler
// and the test broker's AMQP and management ports. Calls through a stalled proxy end with
// DEADLINE_EXCEEDED at the scaler's broker timeout or at the caller's deadline, and meanwhile the
// scaler keeps answering for queues read directly from the broker.
#include <chrono>
#include <future>
#include <memory>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "externalscaler.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "common/url.h"
#include "tests/faults/tcp_proxy.h"
#include "tests/scaler/scaler_process.h"
#include "tests/testing/broker_env.h"

namespace krs::testing {
namespace {

using externalscaler::ExternalScaler;

// The scaler's broker timeout (--timeout and the http `timeout` key).
constexpr absl::Duration kBrokerTimeout = absl::Seconds(2);
// Far beyond kBrokerTimeout: a call that reaches it ignored the broker timeout.
constexpr absl::Duration kCallerDeadline = absl::Seconds(30);

int PortOf(const std::string& url) {
  absl::StatusOr<Url> parsed = ParseUrl(url);
  return parsed.ok() ? parsed->port : 0;
}

std::string WithPort(const std::string& scheme, int port) {
  return absl::StrCat(scheme, "://guest:guest@127.0.0.1:", port, scheme == "amqp" ? "/%2F" : "");
}

externalscaler::ScaledObjectRef Ref(const std::string& host, const std::string& queue) {
  externalscaler::ScaledObjectRef ref;
  ref.set_name(absl::StrCat("slow-", queue));
  ref.set_namespace_("faults");
  auto& metadata = *ref.mutable_scalermetadata();
  metadata["host"] = host;
  metadata["queueName"] = queue;
  metadata["mode"] = "QueueLength";
  metadata["value"] = "5";
  if (host.rfind("http", 0) == 0) {
    metadata["timeout"] = absl::StrCat(absl::ToInt64Milliseconds(kBrokerTimeout));
  }
  return ref;
}

struct CallResult {
  grpc::StatusCode code = grpc::StatusCode::UNKNOWN;
  std::string message;
  absl::Duration elapsed;
};

CallResult GetMetrics(ExternalScaler::Stub& stub, const externalscaler::ScaledObjectRef& ref,
                      absl::Duration deadline) {
  auto set_deadline = [&](grpc::ClientContext& context) {
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::milliseconds(absl::ToInt64Milliseconds(deadline)));
  };
  absl::Time start = absl::Now();
  grpc::ClientContext spec_context;
  set_deadline(spec_context);
  externalscaler::GetMetricSpecResponse spec;
  grpc::Status status = stub.GetMetricSpec(&spec_context, ref, &spec);
  if (!status.ok() || spec.metricspecs_size() == 0) {
    return {status.error_code(), status.error_message(), absl::Now() - start};
  }
  externalscaler::GetMetricsRequest request;
  *request.mutable_scaledobjectref() = ref;
  request.set_metricname(spec.metricspecs(0).metricname());
  grpc::ClientContext context;
  set_deadline(context);
  externalscaler::GetMetricsResponse response;
  status = stub.GetMetrics(&context, request, &response);
  return {status.error_code(), status.error_message(), absl::Now() - start};
}

class SlowBrokerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(management_.CheckReachable().ok()) << "the test broker is not running";
    amqp_proxy_ = std::make_unique<TcpProxy>(PortOf(TestAmqpUrl()));
    http_proxy_ = std::make_unique<TcpProxy>(PortOf(TestHttpUrl()));
    ASSERT_NE(amqp_proxy_->port(), 0);
    ASSERT_NE(http_proxy_->port(), 0);

    slow_queue_ = UniqueName("slow");
    direct_queue_ = UniqueName("direct");
    ASSERT_TRUE(management_.DeclareQueue("/", slow_queue_).ok());
    ASSERT_TRUE(management_.DeclareQueue("/", direct_queue_).ok());

    absl::StatusOr<std::unique_ptr<ScalerProcess>> scaler = ScalerProcess::Start(
        {absl::StrCat("--timeout=", absl::FormatDuration(kBrokerTimeout)), "--cache_ttl=0"});
    ASSERT_TRUE(scaler.ok()) << scaler.status();
    scaler_ = *std::move(scaler);
    stub_ = ExternalScaler::NewStub(
        grpc::CreateChannel(scaler_->address(), grpc::InsecureChannelCredentials()));
  }

  void TearDown() override {
    if (amqp_proxy_ != nullptr) amqp_proxy_->SetMode(TcpProxy::Mode::kForward);
    if (http_proxy_ != nullptr) http_proxy_->SetMode(TcpProxy::Mode::kForward);
    scaler_.reset();
    management_.DeleteQueue("/", slow_queue_).IgnoreError();
    management_.DeleteQueue("/", direct_queue_).IgnoreError();
  }

  ManagementClient management_;
  std::unique_ptr<TcpProxy> amqp_proxy_;
  std::unique_ptr<TcpProxy> http_proxy_;
  std::string slow_queue_;
  std::string direct_queue_;
  std::unique_ptr<ScalerProcess> scaler_;
  std::unique_ptr<ExternalScaler::Stub> stub_;
};

TEST_F(SlowBrokerTest, StalledBrokerEndsAtBrokerTimeout) {
  for (const std::string scheme : {"amqp", "http"}) {
    SCOPED_TRACE(scheme);
    TcpProxy& proxy = scheme == "amqp" ? *amqp_proxy_ : *http_proxy_;
    int direct_port = PortOf(scheme == "amqp" ? TestAmqpUrl() : TestHttpUrl());
    auto slow_ref = Ref(WithPort(scheme, proxy.port()), slow_queue_);
    auto direct_ref = Ref(WithPort(scheme, direct_port), direct_queue_);

    // Through the forwarding proxy first, so that a pooled connection exists when it stalls.
    CallResult warm = GetMetrics(*stub_, slow_ref, kCallerDeadline);
    ASSERT_EQ(warm.code, grpc::StatusCode::OK) << warm.message;

    proxy.SetMode(TcpProxy::Mode::kStall);
    std::future<CallResult> stalled = std::async(std::launch::async, [&] {
      return GetMetrics(*stub_, slow_ref, kCallerDeadline);
    });

    // While the stalled call waits, the scaler serves a queue read directly.
    CallResult direct = GetMetrics(*stub_, direct_ref, kCallerDeadline);
    EXPECT_EQ(direct.code, grpc::StatusCode::OK) << direct.message;
    EXPECT_EQ(stalled.wait_for(std::chrono::seconds(0)), std::future_status::timeout)
        << "the stalled call ended before the direct call did";

    CallResult slow = stalled.get();
    EXPECT_EQ(slow.code, grpc::StatusCode::DEADLINE_EXCEEDED) << slow.message;
    // Generous bound: the call ended at the scaler's broker timeout, long before the caller's.
    EXPECT_LT(slow.elapsed, kCallerDeadline / 2) << slow.message;
    std::printf("%s stalled call: %s after %s\n", scheme.c_str(),
                grpc::StatusCode::DEADLINE_EXCEEDED == slow.code ? "DEADLINE_EXCEEDED" : "other",
                absl::FormatDuration(slow.elapsed).c_str());

    // Once the proxy forwards again, the same trigger succeeds again. The first reads may still
    // fail: on the connection the stall broke, or, after a reconnect that timed out during the
    // stall, until the AMQP source's backoff (at most 5 s) lets it connect again.
    proxy.SetMode(TcpProxy::Mode::kForward);
    CallResult again;
    const absl::Time give_up = absl::Now() + absl::Seconds(15);
    do {
      again = GetMetrics(*stub_, slow_ref, kCallerDeadline);
      if (again.code != grpc::StatusCode::OK) absl::SleepFor(absl::Milliseconds(200));
    } while (again.code != grpc::StatusCode::OK && absl::Now() < give_up);
    EXPECT_EQ(again.code, grpc::StatusCode::OK) << again.message;
  }
}

TEST_F(SlowBrokerTest, CallerDeadlineShorterThanBrokerTimeout) {
  for (const std::string scheme : {"amqp", "http"}) {
    SCOPED_TRACE(scheme);
    TcpProxy& proxy = scheme == "amqp" ? *amqp_proxy_ : *http_proxy_;
    auto slow_ref = Ref(WithPort(scheme, proxy.port()), slow_queue_);
    proxy.SetMode(TcpProxy::Mode::kStall);

    CallResult slow = GetMetrics(*stub_, slow_ref, kBrokerTimeout / 4);
    EXPECT_EQ(slow.code, grpc::StatusCode::DEADLINE_EXCEEDED) << slow.message;

    proxy.SetMode(TcpProxy::Mode::kForward);
    CallResult direct = GetMetrics(
        *stub_, Ref(WithPort(scheme, PortOf(scheme == "amqp" ? TestAmqpUrl() : TestHttpUrl())),
                    direct_queue_),
        kCallerDeadline);
    EXPECT_EQ(direct.code, grpc::StatusCode::OK) << direct.message;
  }
}

TEST_F(SlowBrokerTest, DelayedBrokerStillAnswers) {
  amqp_proxy_->SetDelay(absl::Milliseconds(100));
  http_proxy_->SetDelay(absl::Milliseconds(100));
  for (const std::string scheme : {"amqp", "http"}) {
    SCOPED_TRACE(scheme);
    TcpProxy& proxy = scheme == "amqp" ? *amqp_proxy_ : *http_proxy_;
    CallResult result =
        GetMetrics(*stub_, Ref(WithPort(scheme, proxy.port()), slow_queue_), kCallerDeadline);
    EXPECT_EQ(result.code, grpc::StatusCode::OK) << result.message;
  }
}

}  // namespace
}  // namespace krs::testing
