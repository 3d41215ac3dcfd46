// The three --on-sigterm policies with a message in hand, and an idle worker under each.
#include <signal.h>

#include "absl/strings/str_cat.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/workloads/workload_harness.h"

namespace krs::workloads {
namespace {

class ConsumerSigtermTest : public WorkloadBrokerTest {
 protected:
  // Waits until `consumer` has reported `count` received events.
  void WaitForReceived(const std::string& consumer, size_t count = 1) {
    ASSERT_TRUE(testing::Eventually(
        [&] { return EventsOfType(StoredEvents(), EventType::kReceived, consumer).size() >= count; },
        absl::Seconds(15), absl::Milliseconds(20)));
  }
};

TEST_F(ConsumerSigtermTest, DrainFinishesCurrentMessageAndStopsConsuming) {
  ASSERT_EQ(RunProducer(2, "fixed:1.5"), 0);
  Process* consumer = StartConsumer("drain", {"--on-sigterm", "drain"});
  WaitForReceived("drain");
  absl::SleepFor(absl::Milliseconds(300));
  consumer->Signal(SIGTERM);

  ASSERT_EQ(consumer->Wait(absl::Seconds(10)), 0);
  ASSERT_TRUE(WaitForSummary([](const nlohmann::json& s) { return s["completed"] == 1; }));
  nlohmann::json summary = Summary();
  EXPECT_EQ(summary["attempts"], 1);
  EXPECT_EQ(summary["interrupted"], 0);
  EXPECT_EQ(summary["killed"], 0);
  EXPECT_EQ(summary["wasted_processing_seconds"], 0.0);
  // The second message was never taken: basic.cancel went out before the ack.
  EXPECT_EQ(ReadyMessages(), 1);
  std::vector<Event> events = StoredEvents();
  double worked = EventsOfType(events, EventType::kCompleted)[0].time -
                  EventsOfType(events, EventType::kReceived)[0].time;
  EXPECT_GE(worked, 1.5);
}

TEST_F(ConsumerSigtermTest, RequeueInterruptsAndLosesNothing) {
  ASSERT_EQ(RunProducer(1, "fixed:30"), 0);
  Process* consumer = StartConsumer("requeue", {"--on-sigterm", "requeue"});
  WaitForReceived("requeue");
  consumer->Signal(SIGTERM);

  // Far less than the 30 s of work: the consumer did not finish the message first.
  ASSERT_EQ(consumer->Wait(absl::Seconds(10)), 0);
  ASSERT_TRUE(WaitForSummary([](const nlohmann::json& s) { return s["interrupted"] == 1; }));
  nlohmann::json summary = Summary();
  EXPECT_EQ(summary["completed"], 0);
  EXPECT_EQ(summary["killed"], 0);
  EXPECT_GT(summary["wasted_processing_seconds"].get<double>(), 0.0);
  EXPECT_EQ(ReadyMessages(), 1);

  // Another worker completes the requeued message (30 work seconds at 0.01 real s each).
  StartConsumer("second", {"--time-scale", "0.01"});
  ASSERT_TRUE(WaitForSummary([](const nlohmann::json& s) { return s["completed"] == 1; }));
  summary = Summary();
  EXPECT_EQ(summary["redeliveries"], 1);
  EXPECT_EQ(summary["attempts"], 2);
}

TEST_F(ConsumerSigtermTest, IgnoreKeepsWorkingUntilSigkill) {
  ASSERT_EQ(RunProducer(2, "fixed:1"), 0);
  Process* consumer = StartConsumer("ignore", {"--on-sigterm", "ignore"});
  WaitForReceived("ignore");
  consumer->Signal(SIGTERM);

  // Both messages complete, the second one taken after the SIGTERM.
  ASSERT_TRUE(WaitForSummary([](const nlohmann::json& s) { return s["completed"] == 2; }));
  EXPECT_TRUE(consumer->running());
  consumer->Signal(SIGKILL);
  EXPECT_EQ(consumer->Wait(absl::Seconds(5)), 128 + SIGKILL);
  EXPECT_EQ(Summary()["interrupted"], 0);
}

TEST_F(ConsumerSigtermTest, IdleWorkerExitsAtOnceUnderEveryPolicy) {
  for (const char* policy : {"ignore", "requeue", "drain"}) {
    SCOPED_TRACE(policy);
    Process* consumer = StartConsumer(absl::StrCat("idle-", policy), {"--on-sigterm", policy});
    ASSERT_TRUE(testing::Eventually([&] { return consumer->log().find("consuming") != std::string::npos; }));
    consumer->Signal(SIGTERM);
    EXPECT_EQ(consumer->Wait(absl::Seconds(5)), 0) << consumer->log();
  }
}

}  // namespace
}  // namespace krs::workloads
