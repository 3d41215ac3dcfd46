#include "workloads/analyzer/event_store.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace krs::workloads {
namespace {

Event Published(const std::string& id, double time) {
  Event event;
  event.type = EventType::kPublished;
  event.scenario = "s";
  event.message_id = id;
  event.time = time;
  return event;
}

Event ConsumerEvent(EventType type, const std::string& id, const std::string& consumer,
                    double time, bool redelivered = false) {
  Event event;
  event.type = type;
  event.scenario = "s";
  event.message_id = id;
  event.consumer_id = consumer;
  event.redelivered = redelivered;
  event.time = time;
  return event;
}

Event Received(const std::string& id, const std::string& consumer, double time,
               bool redelivered = false) {
  return ConsumerEvent(EventType::kReceived, id, consumer, time, redelivered);
}

Event Killed(const std::string& consumer, double time) {
  Event event;
  event.type = EventType::kKilled;
  event.consumer_id = consumer;
  event.time = time;
  return event;
}

ScenarioSummary Summarize(const std::vector<Event>& events, double now) {
  EventStore store;
  for (const Event& event : events) store.Add(event);
  return store.Summarize(now)["s"];
}

constexpr EventType kCompleted = EventType::kCompleted;

TEST(EventStore, SummarizesCleanRun) {
  ScenarioSummary summary = Summarize(
      {Published("m1", 0), Published("m2", 0), Published("m3", 1), Received("m1", "a", 1),
       Received("m2", "b", 1), ConsumerEvent(kCompleted, "m2", "b", 2),
       ConsumerEvent(kCompleted, "m1", "a", 3), Received("m3", "a", 3),
       ConsumerEvent(kCompleted, "m3", "a", 4)},
      100);
  EXPECT_EQ(summary.published, 3);
  EXPECT_EQ(summary.completed, 3);
  EXPECT_EQ(summary.completed_more_than_once, 0);
  EXPECT_EQ(summary.attempts, 3);
  EXPECT_EQ(summary.redeliveries, 0);
  EXPECT_EQ(summary.killed, 0);
  EXPECT_DOUBLE_EQ(summary.wasted_processing_seconds, 0);
  EXPECT_DOUBLE_EQ(summary.makespan_seconds, 4);  // publish at 0, last completion at 4
  // Latencies m1 3, m2 2, m3 3 -> sorted [2, 3, 3]; p50 is rank ceil(1.5) = 2, p95 rank 3.
  EXPECT_DOUBLE_EQ(summary.latency_p50_seconds, 3);
  EXPECT_DOUBLE_EQ(summary.latency_p95_seconds, 3);
  EXPECT_DOUBLE_EQ(summary.latency_max_seconds, 3);
}

TEST(EventStore, AttemptOutcomesTable) {
  struct Case {
    const char* name;
    std::vector<Event> events;
    double now;
    int64_t attempts;
    int64_t killed;
    int64_t interrupted;
    int64_t rejected;
    double wasted;
  };
  const Case cases[] = {
      // A SIGKILLed attempt ends at the next received of the same message: 5 - 1 = 4.
      {"killed, ended by redelivery",
       {Published("m1", 0), Received("m1", "a", 1), Received("m1", "b", 5, true),
        ConsumerEvent(kCompleted, "m1", "b", 6)},
       100, 2, 1, 0, 0, 4},
      // The lab's killed event ends it precisely: 2.5 - 1 = 1.5.
      {"killed, ended by killed event",
       {Published("m1", 0), Received("m1", "a", 1), Killed("a", 2.5),
        Received("m1", "b", 5, true), ConsumerEvent(kCompleted, "m1", "b", 6)},
       100, 2, 1, 0, 0, 1.5},
      // Still open: it runs to the query time, 10 - 1 = 9.
      {"open at query time", {Published("m1", 0), Received("m1", "a", 1)}, 10, 1, 1, 0, 0, 9},
      {"interrupted",
       {Published("m1", 0), Received("m1", "a", 1),
        ConsumerEvent(EventType::kInterrupted, "m1", "a", 1.5), Received("m1", "b", 2, true),
        ConsumerEvent(kCompleted, "m1", "b", 3)},
       100, 2, 0, 1, 0, 0.5},
      {"rejected",
       {Received("m1", "a", 1), ConsumerEvent(EventType::kRejected, "m1", "a", 1.25)},
       100, 1, 0, 0, 1, 0.25},
      // A lost ack counts as killed: the message comes back and the work was wasted.
      {"ack failed",
       {Published("m1", 0), Received("m1", "a", 1),
        ConsumerEvent(EventType::kAckFailed, "m1", "a", 3)},
       100, 1, 1, 0, 0, 2},
      // A completion from another consumer does not end a's attempt.
      {"completion by another consumer ignored",
       {Received("m1", "a", 1), ConsumerEvent(kCompleted, "m1", "b", 2)}, 5, 1, 1, 0, 0, 4},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    ScenarioSummary summary = Summarize(c.events, c.now);
    EXPECT_EQ(summary.attempts, c.attempts);
    EXPECT_EQ(summary.killed, c.killed);
    EXPECT_EQ(summary.interrupted, c.interrupted);
    EXPECT_EQ(summary.rejected, c.rejected);
    EXPECT_DOUBLE_EQ(summary.wasted_processing_seconds, c.wasted);
  }
}

TEST(EventStore, CountsRedeliveriesAndDoubleCompletions) {
  ScenarioSummary summary = Summarize(
      {Published("m1", 0), Received("m1", "a", 1), ConsumerEvent(kCompleted, "m1", "a", 2),
       Received("m1", "b", 3, true), ConsumerEvent(kCompleted, "m1", "b", 4)},
      100);
  EXPECT_EQ(summary.completed, 1);
  EXPECT_EQ(summary.completed_more_than_once, 1);
  EXPECT_EQ(summary.redeliveries, 1);
  EXPECT_DOUBLE_EQ(summary.latency_max_seconds, 2);  // publish to the first completion
  EXPECT_DOUBLE_EQ(summary.makespan_seconds, 4);
}

TEST(EventStore, UsesNearestRankPercentiles) {
  std::vector<Event> events;
  for (int i = 1; i <= 20; ++i) {
    std::string id = "m" + std::to_string(i);
    events.push_back(Published(id, 0));
    events.push_back(Received(id, "a", 0));
    events.push_back(ConsumerEvent(kCompleted, id, "a", i));
  }
  ScenarioSummary summary = Summarize(events, 100);
  EXPECT_DOUBLE_EQ(summary.latency_p50_seconds, 10);  // rank ceil(0.50 * 20) = 10
  EXPECT_DOUBLE_EQ(summary.latency_p95_seconds, 19);  // rank ceil(0.95 * 20) = 19
  EXPECT_DOUBLE_EQ(summary.latency_max_seconds, 20);
}

TEST(EventStore, OrdersByEventTimeNotArrival) {
  // The retry buffer of consumer a delivers its events after b's.
  ScenarioSummary summary = Summarize(
      {Published("m1", 0), Received("m1", "b", 5, true), ConsumerEvent(kCompleted, "m1", "b", 6),
       Received("m1", "a", 1)},
      100);
  EXPECT_EQ(summary.attempts, 2);
  EXPECT_EQ(summary.killed, 1);
  EXPECT_DOUBLE_EQ(summary.wasted_processing_seconds, 4);
}

TEST(EventStore, CountsIdleJobsAndEmptySummaryIsZero) {
  Event idle = ConsumerEvent(EventType::kIdle, "", "job-1", 1);
  ScenarioSummary summary = Summarize({idle, idle}, 5);
  EXPECT_EQ(summary.idle_jobs, 2);
  EXPECT_EQ(summary.published, 0);
  EXPECT_DOUBLE_EQ(summary.makespan_seconds, 0);
  EXPECT_DOUBLE_EQ(summary.latency_p50_seconds, 0);
}

TEST(EventStore, IgnoresRepeatedEventIds) {
  EventStore store;
  Event event = Published("m1", 0);
  event.event_id = "producer-1";
  EXPECT_TRUE(store.Add(event));
  EXPECT_FALSE(store.Add(event));
  EXPECT_EQ(store.size(), 1u);
  EXPECT_EQ(store.Summarize(1)["s"].published, 1);
}

TEST(EventStore, KeepsScenariosApart) {
  EventStore store;
  Event other = Received("o1", "a", 1);
  other.scenario = "other";
  store.Add(other);
  store.Add(Received("m1", "a", 1));
  store.Add(Killed("a", 2));  // no scenario: applies to a's open attempts everywhere
  auto summaries = store.Summarize(10);
  ASSERT_EQ(summaries.size(), 2u);
  EXPECT_DOUBLE_EQ(summaries["s"].wasted_processing_seconds, 1);
  EXPECT_DOUBLE_EQ(summaries["other"].wasted_processing_seconds, 1);
  EXPECT_EQ(summaries["other"].attempts, 1);
}

TEST(EventStore, ListsAttemptsOfOneMessage) {
  EventStore store;
  for (const Event& event :
       {Published("m1", 0), Received("m1", "a", 1), Killed("a", 2), Received("m1", "b", 3, true),
        ConsumerEvent(kCompleted, "m1", "b", 4), Published("m2", 0)}) {
    store.Add(event);
  }
  std::vector<Attempt> attempts = store.AttemptsOf("m1", 10);
  ASSERT_EQ(attempts.size(), 2u);
  EXPECT_EQ(attempts[0].consumer_id, "a");
  EXPECT_EQ(attempts[0].outcome, "killed");
  EXPECT_DOUBLE_EQ(attempts[0].end_time, 2);
  EXPECT_EQ(attempts[1].outcome, "completed");
  EXPECT_TRUE(attempts[1].redelivered);
  EXPECT_TRUE(store.AttemptsOf("m2", 10).empty());
  EXPECT_EQ(store.EventsOf("m1").size(), 4u);
}

TEST(ScenarioSummary, JsonHasExactlyTheDocumentedKeys) {
  nlohmann::json json = ScenarioSummary().ToJson();
  std::vector<std::string> keys;
  for (auto it = json.begin(); it != json.end(); ++it) keys.push_back(it.key());
  EXPECT_THAT(keys, ::testing::UnorderedElementsAre(
                        "published", "completed", "completed_more_than_once", "attempts",
                        "redeliveries", "interrupted", "killed", "rejected", "idle_jobs",
                        "wasted_processing_seconds", "makespan_seconds", "latency_p50_seconds",
                        "latency_p95_seconds", "latency_max_seconds"));
}

}  // namespace
}  // namespace krs::workloads
