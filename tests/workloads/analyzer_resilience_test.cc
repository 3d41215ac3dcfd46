// The real result-analyzer binary is restarted mid-run, or down while the workloads run. Every
// event still reaches it exactly once, because the senders buffer and retry and the analyzer
// deduplicates by event id.
#include <signal.h>

#include <httplib.h>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/workloads/workload_harness.h"

namespace krs::workloads {
namespace {

class AnalyzerResilienceTest : public WorkloadBrokerTest {
 protected:
  void SetUp() override {
    WorkloadBrokerTest::SetUp();
    port_ = FreePort();
    url_ = absl::StrCat("http://127.0.0.1:", port_);
  }

  Process* StartAnalyzer() {
    processes_.push_back(Process::Start(
        {BinaryPath("result-analyzer"), "--listen", absl::StrCat("127.0.0.1:", port_),
         "--event-log", absl::StrCat(work_dir_, "/standalone.jsonl")},
        {}, LogPath("analyzer")));
    Process* analyzer = processes_.back().get();
    EXPECT_TRUE(testing::Eventually([&] {
      auto response = httplib::Client("127.0.0.1", port_).Get("/healthz");
      return response && response->status == 200;
    }));
    return analyzer;
  }

  nlohmann::json StandaloneSummary() {
    auto response = httplib::Client("127.0.0.1", port_).Get("/results");
    if (!response || response->status != 200) return nlohmann::json::object();
    nlohmann::json results = nlohmann::json::parse(response->body, nullptr, false);
    return results.is_object() && results.contains(scenario_) ? results[scenario_]
                                                               : nlohmann::json::object();
  }

  bool WaitForAll(int count) {
    return testing::Eventually(
        [&] {
          nlohmann::json s = StandaloneSummary();
          return !s.empty() && s["published"] == count && s["completed"] == count &&
                 s["attempts"] == count;
        },
        absl::Seconds(40), absl::Milliseconds(200));
  }

  int port_ = 0;
  std::string url_;
};

TEST_F(AnalyzerResilienceTest, RestartMidRunKeepsEveryEvent) {
  Process* analyzer = StartAnalyzer();
  StartConsumer("r1", {"--analyzer-url", url_});
  StartConsumer("r2", {"--analyzer-url", url_});
  Process* producer =
      StartProducer(20, "fixed:0.3", {"--arrival", "rate:8", "--analyzer-url", url_});

  absl::SleepFor(absl::Seconds(1));
  analyzer->Signal(SIGKILL);
  ASSERT_TRUE(analyzer->Wait(absl::Seconds(5)).has_value());
  absl::SleepFor(absl::Seconds(1));
  StartAnalyzer();

  ASSERT_EQ(producer->Wait(absl::Seconds(30)), 0) << producer->log();
  ASSERT_TRUE(WaitForAll(20)) << StandaloneSummary().dump();
  nlohmann::json summary = StandaloneSummary();
  EXPECT_EQ(summary["completed_more_than_once"], 0);
  EXPECT_EQ(summary["killed"], 0);
}

TEST_F(AnalyzerResilienceTest, DownWhileConsumersRunThenUp) {
  StartConsumer("d1", {"--analyzer-url", url_});
  StartConsumer("d2", {"--analyzer-url", url_});
  Process* producer = StartProducer(
      20, "fixed:0.2", {"--analyzer-url", url_, "--event-flush-timeout", "60"});

  // All the work happens while nothing listens on the analyzer's port.
  // The producer stays up meanwhile, holding its published events for the analyzer.
  ASSERT_TRUE(testing::Eventually([&] { return ReadyMessages() == 0; }, absl::Seconds(30)))
      << "messages left in the queue";
  absl::SleepFor(absl::Seconds(2));  // 20 x 0.2 s over two workers is done by now

  StartAnalyzer();
  ASSERT_TRUE(WaitForAll(20)) << StandaloneSummary().dump();
  EXPECT_EQ(producer->Wait(absl::Seconds(30)), 0);
}

}  // namespace
}  // namespace krs::workloads
