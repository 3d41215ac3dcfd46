// The three --on-sigterm policies with a message in hand, an idle worker under each, and how
// soon a stop signal ends a wait.
#include <signal.h>

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/workloads/workload_harness.h"

namespace krs::workloads {
namespace {

// How long a consumer run with --poll-slice 5 may take from SIGTERM to exit. A consumer that
// checks for stop signals only between slices needs up to the whole 5 s slice. One whose
// wait the signal ends needs a few milliseconds plus its broker round trips, so the bound
// leaves a wide margin for a loaded machine. In the lab, 4 real ms per simulated second turn
// a 30 s grace period into 120 ms.
constexpr absl::Duration kPromptStopBound = absl::Milliseconds(500);

class ConsumerSigtermTest : public WorkloadBrokerTest {
 protected:
  // Waits up to kPromptStopBound for `consumer` to exit, SIGKILLs it when it has not, and
  // returns the exit code it had within the bound.
  std::optional<int> WaitOrKill(Process* consumer) {
    std::optional<int> exit_code = consumer->Wait(kPromptStopBound);
    if (!exit_code.has_value()) {
      consumer->Signal(SIGKILL);
      consumer->Wait(absl::Seconds(5));
    }
    return exit_code;
  }

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

struct PromptStopCase {
  std::string state;
  std::vector<std::string> extra_args;
};

TEST_F(ConsumerSigtermTest, RequeueStopsPromptlyWhileWorking) {
  // One message, interrupted and requeued by each consumer in turn. "exec sleep" makes the
  // shell's SIGTERM reach sleep itself.
  const std::vector<PromptStopCase> cases = {
      {"sleep", {}},
      {"burn", {"--burn-cpu"}},
      {"exec", {"--exec", "exec sleep 30"}},
  };
  ASSERT_EQ(RunProducer(1, "fixed:30"), 0);

  int interrupted = 0;
  for (const PromptStopCase& test_case : cases) {
    SCOPED_TRACE(test_case.state);
    std::string name = absl::StrCat("prompt-", test_case.state);
    std::vector<std::string> args = {"--on-sigterm", "requeue", "--poll-slice", "5"};
    args.insert(args.end(), test_case.extra_args.begin(), test_case.extra_args.end());
    Process* consumer = StartConsumer(name, args);
    WaitForReceived(name);
    absl::SleepFor(absl::Milliseconds(300));  // inside the first 5 s slice of work
    consumer->Signal(SIGTERM);

    ASSERT_EQ(WaitOrKill(consumer), 0) << consumer->log();
    ++interrupted;
    ASSERT_TRUE(WaitForSummary(
        [&](const nlohmann::json& s) { return s["interrupted"] == interrupted; }));
    nlohmann::json summary = Summary();
    EXPECT_EQ(summary["killed"], 0);
    EXPECT_EQ(summary["completed"], 0);
    EXPECT_EQ(ReadyMessages(), 1);
  }
}

TEST_F(ConsumerSigtermTest, IdleStopsPromptly) {
  Process* consumer =
      StartConsumer("prompt-idle", {"--on-sigterm", "requeue", "--poll-slice", "5"});
  ASSERT_TRUE(testing::Eventually(
      [&] { return consumer->log().find("consuming") != std::string::npos; }));
  absl::SleepFor(absl::Milliseconds(300));  // inside the first 5 s wait for a delivery
  consumer->Signal(SIGTERM);

  EXPECT_EQ(WaitOrKill(consumer), 0) << consumer->log();
}

}  // namespace
}  // namespace krs::workloads
