// A message longer than the heartbeat timeout keeps its connection because the work loop
// keeps calling into rabbitmq-c, which sends the heartbeats.
//
// With --heartbeat 2 the broker closes a silent connection after about two missed intervals
// (about 4 s). The message takes 12 real seconds, three such windows, instead of the 30 s
// that would make the point at a 10 s heartbeat: what matters is several timeout windows.
#include "absl/strings/str_cat.h"
#include "common/url.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/workloads/workload_harness.h"

namespace krs::workloads {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class ConsumerHeartbeatTest : public WorkloadBrokerTest {};

TEST_F(ConsumerHeartbeatTest, LongMessageKeepsConnection) {
  ASSERT_EQ(RunProducer(1, "fixed:12"), 0);
  Process* consumer = StartConsumer("hb", {"--heartbeat", "2"});

  // The broker enforces the negotiated 2 s heartbeat on this connection.
  bool negotiated = testing::Eventually(
      [&] {
        auto connections = management_.ListConnections();
        if (!connections.ok()) return false;
        for (const auto& connection : *connections) {
          const auto& properties = connection.value("client_properties", nlohmann::json::object());
          if (properties.value("connection_name", "") == "rmq-consumer hb") {
            return connection.value("timeout", 0) == 2;
          }
        }
        return false;
      },
      absl::Seconds(10), absl::Milliseconds(250));
  EXPECT_TRUE(negotiated);

  ASSERT_TRUE(WaitForSummary([](const nlohmann::json& s) { return s["completed"] == 1; },
                             absl::Seconds(30)))
      << consumer->log();
  nlohmann::json summary = Summary();
  EXPECT_EQ(summary["attempts"], 1);
  EXPECT_EQ(summary["killed"], 0);
  EXPECT_EQ(summary["redeliveries"], 0);
  EXPECT_TRUE(EventsOfType(StoredEvents(), EventType::kAckFailed).empty());
  EXPECT_THAT(consumer->log(), Not(HasSubstr("connection lost")));
  EXPECT_EQ(ReadyMessages(), 0);
}

TEST_F(ConsumerHeartbeatTest, ClosedConnectionReportsAckFailedAndReconnects) {
  ASSERT_EQ(RunProducer(1, "fixed:3"), 0);
  Process* consumer = StartConsumer("closed");
  ASSERT_TRUE(testing::Eventually(
      [&] { return !EventsOfType(StoredEvents(), EventType::kReceived).empty(); }));

  // Close the consumer's connection from the broker side while it works on the message.
  std::string connection_name;
  ASSERT_TRUE(testing::Eventually(
      [&] {
        auto connections = management_.ListConnections();
        if (!connections.ok()) return false;
        for (const auto& connection : *connections) {
          const auto& properties = connection.value("client_properties", nlohmann::json::object());
          if (properties.value("connection_name", "") == "rmq-consumer closed") {
            connection_name = connection.value("name", "");
          }
        }
        return !connection_name.empty();
      },
      absl::Seconds(10), absl::Milliseconds(200)));
  ASSERT_TRUE(management_
                  .Request("DELETE", absl::StrCat("/api/connections/",
                                                  PercentEncodePathSegment(connection_name)))
                  .ok());

  ASSERT_TRUE(WaitForSummary([](const nlohmann::json& s) { return s["completed"] == 1; },
                             absl::Seconds(30)))
      << consumer->log();
  nlohmann::json summary = Summary();
  EXPECT_EQ(summary["attempts"], 2);
  EXPECT_EQ(summary["redeliveries"], 1);
  EXPECT_EQ(summary["killed"], 1);  // the attempt that lost its connection
  EXPECT_EQ(EventsOfType(StoredEvents(), EventType::kAckFailed).size(), 1u);
  EXPECT_TRUE(consumer->running());
}

}  // namespace
}  // namespace krs::workloads
