// A worker SIGKILLed in the middle of a message: RabbitMQ redelivers the message to the other
// worker, and the analyzer counts one killed attempt whose wasted time is what it ran.
#include <signal.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/workloads/workload_harness.h"

namespace krs::workloads {
namespace {

// Returns the received event of w1's current message once it has run at least `min_age`
// seconds but less than `max_age` (so the kill lands in the middle of the 0.5 s message).
std::optional<Event> RunningAttempt(const std::vector<Event>& events, const std::string& consumer,
                                    double min_age, double max_age) {
  std::vector<Event> received = EventsOfType(events, EventType::kReceived, consumer);
  if (received.empty()) return std::nullopt;
  const Event& last = received.back();
  for (const Event& event : events) {
    if (event.consumer_id == consumer && event.message_id == last.message_id &&
        event.type != EventType::kReceived && event.time >= last.time) {
      return std::nullopt;
    }
  }
  double age = UnixNowSeconds() - last.time;
  if (age < min_age || age > max_age) return std::nullopt;
  return last;
}

class ConsumerKillTest : public WorkloadBrokerTest {};

TEST_F(ConsumerKillTest, KilledMessageIsRedeliveredAndCompletedElsewhere) {
  ASSERT_EQ(RunProducer(20, "fixed:0.5"), 0);
  Process* w1 = StartConsumer("w1");
  StartConsumer("w2");

  std::optional<Event> victim;
  ASSERT_TRUE(testing::Eventually(
      [&] {
        victim = RunningAttempt(StoredEvents(), "w1", 0.15, 0.35);
        return victim.has_value();
      },
      absl::Seconds(20), absl::Milliseconds(20)));
  double killed_at = UnixNowSeconds();
  w1->Signal(SIGKILL);
  ASSERT_EQ(w1->Wait(absl::Seconds(5)), 128 + SIGKILL);

  // The lab reports the kill so the attempt ends at the kill time, not at the redelivery.
  Event killed;
  killed.type = EventType::kKilled;
  killed.consumer_id = "w1";
  killed.time = killed_at;
  PostEvent(killed);

  ASSERT_TRUE(WaitForSummary([](const nlohmann::json& s) { return s["completed"] == 20; },
                             absl::Seconds(30)))
      << Summary().dump();
  nlohmann::json summary = Summary();
  EXPECT_EQ(summary["published"], 20);
  EXPECT_EQ(summary["completed"], 20);
  EXPECT_EQ(summary["completed_more_than_once"], 0);
  EXPECT_EQ(summary["killed"], 1);
  EXPECT_EQ(summary["attempts"], 21);
  EXPECT_EQ(summary["redeliveries"], 1);
  EXPECT_EQ(summary["interrupted"], 0);
  double ran = killed_at - victim->time;
  EXPECT_NEAR(summary["wasted_processing_seconds"].get<double>(), ran, 0.01);
  EXPECT_GE(ran, 0.15);

  std::vector<Event> completions = EventsOfType(StoredEvents(), EventType::kCompleted);
  std::vector<Event> victim_completions;
  for (const Event& event : completions) {
    if (event.message_id == victim->message_id) victim_completions.push_back(event);
  }
  ASSERT_EQ(victim_completions.size(), 1u);
  EXPECT_EQ(victim_completions[0].consumer_id, "w2");
  EXPECT_TRUE(victim_completions[0].redelivered);
  EXPECT_EQ(ReadyMessages(), 0);
}

}  // namespace
}  // namespace krs::workloads
