// rmq-producer against the test broker: persistent confirmed messages with reproducible
// bodies, the arrival schedule under --time-scale, and a non-zero exit on nacks.
#include <random>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/workloads/workload_harness.h"
#include "workloads/common/duration_distribution.h"
#include "workloads/common/message_body.h"

namespace krs::workloads {
namespace {

using ::testing::HasSubstr;

class ProducerTest : public WorkloadBrokerTest {
 protected:
  // Takes up to `count` messages off the queue through the management API.
  nlohmann::json GetMessages(int count) {
    nlohmann::json request = {{"count", count},
                              {"ackmode", "ack_requeue_false"},
                              {"encoding", "auto"}};
    auto response = management_.Request(
        "POST", absl::StrCat("/api/queues/%2F/", queue_, "/get"), request.dump());
    EXPECT_TRUE(response.ok()) << response.status();
    return response.ok() ? nlohmann::json::parse(*response) : nlohmann::json::array();
  }
};

TEST_F(ProducerTest, PublishesPersistentReproducibleMessages) {
  ASSERT_EQ(RunProducer(5, "uniform:1,2", {"--seed", "9"}), 0);
  EXPECT_EQ(ReadyMessages(), 5);

  DurationDistribution distribution = *DurationDistribution::Parse("uniform:1,2");
  std::mt19937_64 generator(9);
  nlohmann::json messages = GetMessages(5);
  ASSERT_EQ(messages.size(), 5u);
  for (int i = 0; i < 5; ++i) {
    SCOPED_TRACE(i);
    const nlohmann::json& message = messages[i];
    EXPECT_EQ(message["properties"]["delivery_mode"], 2);
    auto body = ParseMessageBody(message["payload"].get<std::string>());
    ASSERT_TRUE(body.ok()) << body.status();
    EXPECT_EQ(body->id, absl::StrCat(scenario_, "-", i + 1));
    EXPECT_EQ(message["properties"]["message_id"], body->id);
    EXPECT_EQ(body->scenario, scenario_);
    EXPECT_DOUBLE_EQ(body->work_seconds, distribution.Sample(generator));
  }
  ASSERT_TRUE(WaitForSummary([](const nlohmann::json& s) { return s["published"] == 5; }));
}

TEST_F(ProducerTest, FollowsScaledArrivalSchedule) {
  // Two waves of two, 10 schedule seconds apart, at 0.02 real seconds per schedule second.
  ASSERT_EQ(RunProducer(4, "fixed:1", {"--arrival", "waves:2,10", "--time-scale", "0.02"}), 0);
  ASSERT_TRUE(WaitForSummary([](const nlohmann::json& s) { return s["published"] == 4; }));
  std::vector<Event> published = EventsOfType(StoredEvents(), EventType::kPublished);
  ASSERT_EQ(published.size(), 4u);
  // The second wave is due 0.2 s after the first. Each publish time is taken just after the
  // message's due time, so the check allows a few milliseconds of jitter.
  EXPECT_GE(published[2].time - published[0].time, 0.19);
  EXPECT_LT(published[1].time - published[0].time, 0.1);
}

TEST_F(ProducerTest, ExitsNonZeroWhenBrokerNacks) {
  // A reject-publish length limit makes the broker nack everything past two messages.
  std::string policy = absl::StrCat("/api/policies/%2F/", queue_);
  nlohmann::json definition = {{"pattern", absl::StrCat("^", queue_, "$")},
                               {"definition", {{"max-length", 2}, {"overflow", "reject-publish"}}},
                               {"apply-to", "queues"}};
  ASSERT_TRUE(management_.Request("PUT", policy, definition.dump()).ok());

  int code = RunProducer(5, "fixed:1");
  management_.Request("DELETE", policy).IgnoreError();
  EXPECT_EQ(code, 1);
  EXPECT_THAT(processes_.back()->log(), HasSubstr("3 message(s) not confirmed"));
  EXPECT_EQ(ReadyMessages(), 2);
}

TEST_F(ProducerTest, ExitsNonZeroWhenMessagesAreReturned) {
  // Deleting the queue mid-run makes the later mandatory publishes unroutable: the broker
  // sends basic.return and then basic.ack for each of them.
  Process* producer = StartProducer(6, "fixed:1", {"--arrival", "rate:4"});
  ASSERT_TRUE(WaitForSummary([](const nlohmann::json& s) { return s["published"] >= 1; }));
  ASSERT_TRUE(management_.DeleteQueue("/", queue_).ok());

  EXPECT_EQ(producer->Wait(absl::Seconds(15)), 1);
  EXPECT_THAT(producer->log(), HasSubstr("not confirmed"));
  EXPECT_THAT(producer->log(), HasSubstr(absl::StrCat(scenario_, "-6")));
}

TEST_F(ProducerTest, ExitsNonZeroWhenBrokerIsUnreachable) {
  std::unique_ptr<Process> producer = Process::Start(
      {BinaryPath("rmq-producer"), "--amqp-url", "amqp://guest:secret@127.0.0.1:1/%2F",
       "--count", "1"},
      {}, LogPath("unreachable"));
  EXPECT_EQ(producer->Wait(absl::Seconds(15)), 1);
  EXPECT_THAT(producer->log(), ::testing::Not(HasSubstr("secret")));
}

}  // namespace
}  // namespace krs::workloads
