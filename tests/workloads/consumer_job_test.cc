// Job mode (one message per process, idle exit) and malformed bodies.
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/workloads/workload_harness.h"

namespace krs::workloads {
namespace {

using ::testing::HasSubstr;

class ConsumerJobTest : public WorkloadBrokerTest {};

TEST_F(ConsumerJobTest, ProcessesOneMessagePerProcess) {
  ASSERT_EQ(RunProducer(2, "fixed:0.2"), 0);

  Process* first = StartConsumer("job-1", {"--mode", "job", "--idle-timeout", "10"});
  ASSERT_EQ(first->Wait(absl::Seconds(15)), 0) << first->log();
  ASSERT_TRUE(WaitForSummary([](const nlohmann::json& s) { return s["completed"] == 1; }));
  EXPECT_EQ(ReadyMessages(), 1);

  Process* second = StartConsumer("job-2", {"--mode", "job", "--idle-timeout", "10"});
  ASSERT_EQ(second->Wait(absl::Seconds(15)), 0) << second->log();
  ASSERT_TRUE(WaitForSummary([](const nlohmann::json& s) { return s["completed"] == 2; }));
  EXPECT_EQ(ReadyMessages(), 0);

  Process* idle = StartConsumer("job-3", {"--mode", "job", "--idle-timeout", "1"});
  ASSERT_EQ(idle->Wait(absl::Seconds(15)), 0) << idle->log();
  ASSERT_TRUE(WaitForSummary([](const nlohmann::json& s) { return s["idle_jobs"] == 1; }));
  nlohmann::json summary = Summary();
  EXPECT_EQ(summary["attempts"], 2);
  EXPECT_EQ(summary["killed"], 0);
  std::vector<Event> idle_events = EventsOfType(StoredEvents(), EventType::kIdle);
  ASSERT_EQ(idle_events.size(), 1u);
  EXPECT_EQ(idle_events[0].consumer_id, "job-3");
}

TEST_F(ConsumerJobTest, JobsInSequenceCauseNoRedelivery) {
  // Each job cancels its consumer before the ack. Otherwise the broker delivers the next
  // message into the prefetch slot that the ack frees, and the job requeues it at exit.
  constexpr int kJobs = 5;
  ASSERT_EQ(RunProducer(kJobs, "fixed:0.1"), 0);

  for (int i = 1; i <= kJobs; ++i) {
    SCOPED_TRACE(i);
    std::string name = absl::StrCat("seq-", i);
    Process* job = StartConsumer(name, {"--mode", "job", "--idle-timeout", "10"});
    ASSERT_EQ(job->Wait(absl::Seconds(15)), 0) << job->log();
    ASSERT_TRUE(WaitForSummary([&](const nlohmann::json& s) { return s["completed"] == i; }));
    EXPECT_EQ(EventsOfType(StoredEvents(), EventType::kReceived, name).size(), 1u);
    EXPECT_EQ(ReadyMessages(), kJobs - i);
  }

  nlohmann::json summary = Summary();
  EXPECT_EQ(summary["attempts"], kJobs);
  EXPECT_EQ(summary["redeliveries"], 0);
  for (const Event& event : EventsOfType(StoredEvents(), EventType::kReceived)) {
    EXPECT_FALSE(event.redelivered) << event.message_id;
  }
}

TEST_F(ConsumerJobTest, MalformedBodiesAreRejectedWithoutRequeue) {
  Process* worker = StartConsumer("strict");
  PublishRaw("not json at all");
  PublishRaw(R"({"id":"half","scenario":"x"})");
  ASSERT_EQ(RunProducer(1, "fixed:0.1"), 0);

  ASSERT_TRUE(WaitForSummary(
      [](const nlohmann::json& s) { return s["completed"] == 1 && s["rejected"] == 2; }));
  EXPECT_TRUE(worker->running());
  EXPECT_EQ(ReadyMessages(), 0);

  std::vector<Event> rejected = EventsOfType(StoredEvents(), EventType::kRejected);
  ASSERT_EQ(rejected.size(), 2u);
  EXPECT_THAT(rejected[0].reason, HasSubstr("not valid JSON"));
  EXPECT_THAT(rejected[1].reason, HasSubstr("missing field \"work_seconds\""));
  EXPECT_EQ(Summary()["killed"], 0);
}

}  // namespace
}  // namespace krs::workloads
