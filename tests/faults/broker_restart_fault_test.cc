// The scaler under load while its broker is stopped and started again: errors only during the
// outage and only UNAVAILABLE, recovery within a bound once the broker is back, no crash, and
// file descriptors and broker connections back to their level before the outage. Uses a node of
// its own (tests/faults/fault_env.h), never the shared test broker.
//
// The recovery time is printed as "recovery_seconds=..." for docs/reliability.md; the test only
// checks the generous bound kRecoveryBound.
#include <signal.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "tests/faults/call_recorder.h"
#include "tests/faults/fault_env.h"
#include "tests/scaler/scaler_process.h"
#include "tests/testing/broker_env.h"

namespace krs::testing {
namespace {

constexpr absl::Duration kRecoveryBound = absl::Seconds(10);
constexpr absl::Duration kOutage = absl::Seconds(4);

externalscaler::ScaledObjectRef Ref(const std::string& name, const std::string& host,
                                    const std::string& queue) {
  externalscaler::ScaledObjectRef ref;
  ref.set_name(name);
  ref.set_namespace_("faults");
  auto& metadata = *ref.mutable_scalermetadata();
  metadata["host"] = host;
  metadata["queueName"] = queue;
  metadata["mode"] = "QueueLength";
  metadata["value"] = "5";
  return ref;
}

// Durable, so that it outlives the restart.
absl::Status DeclareDurableQueue(ManagementClient& management, const std::string& queue) {
  return management
      .Request("PUT", absl::StrCat("/api/queues/%2F/", queue), R"({"durable":true})")
      .status();
}

absl::StatusOr<int> CountConnections(ManagementClient& management) {
  absl::StatusOr<nlohmann::json> connections = management.ListConnections();
  if (!connections.ok()) return connections.status();
  return static_cast<int>(connections->size());
}

TEST(BrokerRestart, RecoversAfterOutage) {
  FaultBroker broker;
  ASSERT_TRUE(broker.Start().ok()) << "cannot start the fault-test RabbitMQ node";
  ManagementClient management(broker.HttpUrl());
  ASSERT_TRUE(management.CheckReachable().ok());
  const std::string queue = UniqueName("restart");
  ASSERT_TRUE(DeclareDurableQueue(management, queue).ok());
  ASSERT_TRUE(management.Publish("/", queue, "m", 3).ok());

  absl::StatusOr<std::unique_ptr<ScalerProcess>> scaler =
      ScalerProcess::Start({"--cache_ttl=200ms", "--timeout=2s"});
  ASSERT_TRUE(scaler.ok()) << scaler.status();
  const pid_t pid = (*scaler)->pid();

  CallRecorder recorder((*scaler)->address(),
                        {Ref("amqp-1", broker.AmqpUrl(), queue), Ref("amqp-2", broker.AmqpUrl(), queue),
                         Ref("http-1", broker.HttpUrl(), queue), Ref("http-2", broker.HttpUrl(), queue)},
                        absl::Seconds(5), absl::Milliseconds(50));

  // Steady state before the outage.
  absl::SleepFor(absl::Seconds(3));
  const int fds_before = CountOpenFds(pid);
  absl::StatusOr<int> connections_before = CountConnections(management);
  ASSERT_GT(fds_before, 0);
  ASSERT_TRUE(connections_before.ok());

  const absl::Time stop_begin = absl::Now();
  ASSERT_TRUE(broker.Stop().ok());
  absl::SleepFor(kOutage);
  ASSERT_TRUE(broker.Start().ok());
  const absl::Time broker_back = absl::Now();

  // Recovered when every trigger has had a successful GetMetrics and IsActive pair that started
  // after the broker was back.
  std::map<std::string, absl::Time> first_ok;
  while (first_ok.size() < 4 && absl::Now() - broker_back < kRecoveryBound + absl::Seconds(5)) {
    absl::SleepFor(absl::Milliseconds(100));
    for (const CallRecord& record : recorder.records()) {
      if (record.start >= broker_back && record.code == grpc::StatusCode::OK &&
          first_ok.count(record.trigger) == 0) {
        first_ok[record.trigger] = record.end;
      }
    }
  }
  ASSERT_EQ(first_ok.size(), 4u) << "a trigger never answered after the broker came back";
  absl::Time recovered = broker_back;
  for (const auto& [trigger, time] : first_ok) recovered = std::max(recovered, time);
  const absl::Duration recovery = recovered - broker_back;
  std::printf("outage_seconds=%.1f recovery_seconds=%.3f\n",
              absl::ToDoubleSeconds(broker_back - stop_begin), absl::ToDoubleSeconds(recovery));
  EXPECT_LE(recovery, kRecoveryBound);

  // File descriptors and broker connections return to their level while the load goes on.
  int fds_after = -1;
  EXPECT_TRUE(Eventually([&] {
    fds_after = CountOpenFds(pid);
    return fds_after <= fds_before;
  })) << "open fds before the outage " << fds_before << ", after " << fds_after;
  int connections_after = -1;
  EXPECT_TRUE(Eventually([&] {
    absl::StatusOr<int> count = CountConnections(management);
    connections_after = count.ok() ? *count : -1;
    return connections_after == *connections_before;
  })) << "broker connections before " << *connections_before << ", after " << connections_after;
  std::printf("fds_before=%d fds_after=%d connections_before=%d connections_after=%d\n",
              fds_before, fds_after, *connections_before, connections_after);

  recorder.Stop();
  const absl::Time load_end = absl::Now();

  // Errors only during the outage (up to recovery), and only UNAVAILABLE.
  std::map<grpc::StatusCode, int> codes;
  int calls = 0;
  for (const CallRecord& record : recorder.records()) {
    ++calls;
    ++codes[record.code];
    if (record.code == grpc::StatusCode::OK) continue;
    EXPECT_EQ(record.code, grpc::StatusCode::UNAVAILABLE)
        << record.trigger << ": " << record.message;
    EXPECT_GE(record.end, stop_begin) << record.trigger << ": " << record.message;
    EXPECT_LE(record.start, recovered) << record.trigger << ": " << record.message;
  }
  std::printf("calls=%d ok=%d unavailable=%d other_errors=%d load_seconds=%.0f\n", calls,
              codes[grpc::StatusCode::OK], codes[grpc::StatusCode::UNAVAILABLE],
              calls - codes[grpc::StatusCode::OK] - codes[grpc::StatusCode::UNAVAILABLE],
              absl::ToDoubleSeconds(load_end - stop_begin));

  // No crash: the scaler is still running and stops cleanly.
  (*scaler)->Signal(SIGTERM);
  absl::StatusOr<int> exit_code = (*scaler)->WaitForExit(absl::Seconds(15));
  ASSERT_TRUE(exit_code.ok()) << exit_code.status();
  EXPECT_EQ(*exit_code, 0) << (*scaler)->Log();

  management.DeleteQueue("/", queue).IgnoreError();
  EXPECT_TRUE(broker.Stop().ok());
}

}  // namespace
}  // namespace krs::testing
