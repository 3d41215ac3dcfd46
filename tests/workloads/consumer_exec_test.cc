// --exec: the command gets the body on stdin and the delivery in AMQP_* variables. Its exit
// status decides between ack and reject, and the SIGTERM policies apply to the child.
#include <signal.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/workloads/workload_harness.h"

namespace krs::workloads {
namespace {

using ::testing::HasSubstr;

std::string ReadFile(const std::string& path) {
  std::ifstream file(path);
  std::stringstream content;
  content << file.rdbuf();
  return content.str();
}

bool FileExists(const std::string& path) { return access(path.c_str(), F_OK) == 0; }

class ConsumerExecTest : public WorkloadBrokerTest {
 protected:
  std::string Path(const std::string& name) { return absl::StrCat(work_dir_, "/", name); }

  void WaitForReceived(const std::string& consumer) {
    ASSERT_TRUE(testing::Eventually(
        [&] { return !EventsOfType(StoredEvents(), EventType::kReceived, consumer).empty(); },
        absl::Seconds(15), absl::Milliseconds(20)));
  }
};

TEST_F(ConsumerExecTest, SuccessGetsBodyAndPropertiesAndAcks) {
  std::string command = absl::StrCat("cat > ", Path("$AMQP_MESSAGE_ID.body"),
                                     "; env | grep ^AMQP_ > ", Path("$AMQP_MESSAGE_ID.env"));
  StartConsumer("exec-ok", {"--exec", command});
  PublishRaw("payload-1", {{"message_id", "m-1"}, {"headers", {{"x-tenant", "acme"}}}});

  ASSERT_TRUE(WaitForSummary([](const nlohmann::json& s) { return s["completed"] == 1; }));
  EXPECT_EQ(ReadFile(Path("m-1.body")), "payload-1");
  std::string env = ReadFile(Path("m-1.env"));
  EXPECT_THAT(env, HasSubstr("AMQP_MESSAGE_ID=m-1\n"));
  EXPECT_THAT(env, HasSubstr("AMQP_REDELIVERED=false\n"));
  EXPECT_THAT(env, HasSubstr(absl::StrCat("AMQP_ROUTING_KEY=", queue_, "\n")));
  EXPECT_THAT(env, HasSubstr("AMQP_HEADER_X_TENANT=acme\n"));
  EXPECT_THAT(env, HasSubstr("AMQP_CONSUMER_ID=exec-ok\n"));
  EXPECT_EQ(ReadyMessages(), 0);
}

TEST_F(ConsumerExecTest, FailureWithRejectDropsMessage) {
  StartConsumer("exec-reject", {"--exec", "exit 3", "--exec-failure", "reject"});
  ASSERT_EQ(RunProducer(1, "fixed:0"), 0);

  ASSERT_TRUE(WaitForSummary([](const nlohmann::json& s) { return s["rejected"] == 1; }));
  absl::SleepFor(absl::Milliseconds(500));  // a requeue would show up as a second attempt
  nlohmann::json summary = Summary();
  EXPECT_EQ(summary["attempts"], 1);
  EXPECT_EQ(summary["completed"], 0);
  EXPECT_EQ(ReadyMessages(), 0);
  EXPECT_THAT(EventsOfType(StoredEvents(), EventType::kRejected)[0].reason,
              HasSubstr("exit status 3"));
}

TEST_F(ConsumerExecTest, FailureWithRequeueRedelivers) {
  Process* consumer = StartConsumer("exec-requeue", {"--exec", "exit 3"});
  ASSERT_EQ(RunProducer(1, "fixed:0"), 0);

  ASSERT_TRUE(WaitForSummary([](const nlohmann::json& s) {
    return s["rejected"] >= 2 && s["redeliveries"] >= 1;
  }));
  consumer->Signal(SIGTERM);
  ASSERT_EQ(consumer->Wait(absl::Seconds(10)), 0);
  EXPECT_TRUE(testing::Eventually([&] { return ReadyMessages() == 1; }));
}

TEST_F(ConsumerExecTest, SigtermRequeueStopsChild) {
  std::string command =
      absl::StrCat("trap 'touch ", Path("terminated"), "; kill $!; exit 143' TERM; sleep 5 & wait");
  Process* consumer = StartConsumer("exec-term", {"--exec", command, "--on-sigterm", "requeue"});
  ASSERT_EQ(RunProducer(1, "fixed:0"), 0);
  WaitForReceived("exec-term");
  absl::SleepFor(absl::Milliseconds(200));  // let the shell install its trap
  consumer->Signal(SIGTERM);

  ASSERT_EQ(consumer->Wait(absl::Seconds(10)), 0) << consumer->log();
  EXPECT_TRUE(FileExists(Path("terminated")));
  ASSERT_TRUE(WaitForSummary([](const nlohmann::json& s) { return s["interrupted"] == 1; }));
  EXPECT_EQ(Summary()["completed"], 0);
  EXPECT_EQ(ReadyMessages(), 1);
}

TEST_F(ConsumerExecTest, SigtermDrainWaitsForChild) {
  std::string command = absl::StrCat("sleep 1; touch ", Path("finished"));
  Process* consumer = StartConsumer("exec-drain", {"--exec", command, "--on-sigterm", "drain"});
  ASSERT_EQ(RunProducer(1, "fixed:0"), 0);
  WaitForReceived("exec-drain");
  consumer->Signal(SIGTERM);

  ASSERT_EQ(consumer->Wait(absl::Seconds(10)), 0) << consumer->log();
  EXPECT_TRUE(FileExists(Path("finished")));
  ASSERT_TRUE(WaitForSummary([](const nlohmann::json& s) { return s["completed"] == 1; }));
  EXPECT_EQ(ReadyMessages(), 0);
}

TEST_F(ConsumerExecTest, SigtermIgnoreLeavesChildRunning) {
  std::string command = absl::StrCat("sleep 1; touch ", Path("finished"));
  Process* consumer = StartConsumer("exec-ignore", {"--exec", command, "--on-sigterm", "ignore"});
  ASSERT_EQ(RunProducer(1, "fixed:0"), 0);
  WaitForReceived("exec-ignore");
  consumer->Signal(SIGTERM);

  ASSERT_TRUE(WaitForSummary([](const nlohmann::json& s) { return s["completed"] == 1; }));
  EXPECT_TRUE(FileExists(Path("finished")));
  EXPECT_TRUE(consumer->running());
}

}  // namespace
}  // namespace krs::workloads
