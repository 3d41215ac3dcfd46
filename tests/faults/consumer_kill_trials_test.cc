// Consumers killed with SIGKILL at random points and the result-analyzer killed and restarted
// mid-run, over many seeded trials, with the real rmq-producer, rmq-consumer and
// result-analyzer binaries against the test broker. Every published message must be completed
// at least once; messages completed more than once are counted and printed, not hidden.
//
// The consumer acknowledges a message and then reports `completed` from an in-memory buffer, so
// a SIGKILL between the two loses the report although the work was done. Such a message is
// accepted as completed only with proof: the queue drained (nothing ready or unacknowledged),
// the message's last `received` came from a consumer this test killed, and it was never
// received again, so that consumer's acknowledgement reached the broker. The count of lost
// reports is printed with the duplicates.
//
// KRS_FAULT_TRIALS sets the number of trials (default 5, the form CI runs; the `slow` variant
// runs 50) and KRS_FAULT_SEED the seed (default 1). Each trial prints one line.
#include <signal.h>

#include <httplib.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/workloads/workload_harness.h"

namespace krs::workloads {
namespace {

constexpr int kMessagesPerTrial = 30;
constexpr int kConsumers = 3;
constexpr int kKillsPerTrial = 3;

int EnvInt(const char* name, int fallback) {
  const char* value = std::getenv(name);
  int parsed = 0;
  return value != nullptr && absl::SimpleAtoi(value, &parsed) ? parsed : fallback;
}

class ConsumerKillTrialsTest : public WorkloadBrokerTest {
 protected:
  void SetUp() override {
    WorkloadBrokerTest::SetUp();
    port_ = FreePort();
    url_ = absl::StrCat("http://127.0.0.1:", port_);
  }

  // A result-analyzer process with an event log that survives its restarts.
  Process* StartAnalyzer() {
    processes_.push_back(Process::Start(
        {BinaryPath("result-analyzer"), "--listen", absl::StrCat("127.0.0.1:", port_),
         "--event-log", absl::StrCat(work_dir_, "/trials.jsonl")},
        {}, LogPath(absl::StrCat("analyzer-", ++analyzer_starts_))));
    Process* analyzer = processes_.back().get();
    EXPECT_TRUE(testing::Eventually([&] {
      auto response = httplib::Client("127.0.0.1", port_).Get("/healthz");
      return response && response->status == 200;
    }));
    return analyzer;
  }

  Process* StartWorker(std::string* name) {
    *name = absl::StrCat("k", ++consumer_starts_);
    return StartConsumer(*name, {"--analyzer-url", url_});
  }

  // Per message id of `scenario`, from the analyzer's event log: the consumer of each
  // `received` in order, and whether a `completed` was stored.
  struct MessageHistory {
    std::vector<std::string> receivers;
    bool completed = false;
  };
  std::map<std::string, MessageHistory> Histories(const std::string& scenario) {
    std::map<std::string, MessageHistory> histories;
    std::ifstream log(absl::StrCat(work_dir_, "/trials.jsonl"));
    std::string line;
    while (std::getline(log, line)) {
      nlohmann::json event = nlohmann::json::parse(line, nullptr, false);
      if (!event.is_object() || event.value("scenario", "") != scenario) continue;
      std::string type = event.value("type", "");
      std::string id = event.value("message_id", "");
      if (type == "published") histories[id];
      if (type == "received") histories[id].receivers.push_back(event.value("consumer_id", ""));
      if (type == "completed") histories[id].completed = true;
    }
    return histories;
  }

  // Returns messages_ready + messages_unacknowledged from the management API, -1 on error.
  int64_t QueueDepth() {
    absl::StatusOr<nlohmann::json> queue = management_.GetQueue("/", queue_);
    if (!queue.ok()) return -1;
    return queue->value("messages_ready", int64_t{-1}) +
           queue->value("messages_unacknowledged", int64_t{0});
  }

  nlohmann::json AnalyzerSummary(const std::string& scenario) {
    auto response = httplib::Client("127.0.0.1", port_).Get("/results");
    if (!response || response->status != 200) return nlohmann::json::object();
    nlohmann::json results = nlohmann::json::parse(response->body, nullptr, false);
    return results.is_object() && results.contains(scenario) ? results[scenario]
                                                              : nlohmann::json::object();
  }

  int port_ = 0;
  std::string url_;
  int analyzer_starts_ = 0;
  int consumer_starts_ = 0;
};

TEST_F(ConsumerKillTrialsTest, EveryMessageCompletedDespiteKills) {
  const int trials = EnvInt("KRS_FAULT_TRIALS", 5);
  const int seed = EnvInt("KRS_FAULT_SEED", 1);
  std::mt19937 random(static_cast<uint32_t>(seed));
  std::printf("trials=%d seed=%d messages_per_trial=%d consumers=%d kills_per_trial=%d\n",
              trials, seed, kMessagesPerTrial, kConsumers, kKillsPerTrial);

  Process* analyzer = StartAnalyzer();
  std::vector<Process*> workers(kConsumers);
  std::vector<std::string> names(kConsumers);
  for (int i = 0; i < kConsumers; ++i) workers[i] = StartWorker(&names[i]);
  std::set<std::string> killed;
  int64_t total_lost_reports = 0;

  int64_t total_duplicates = 0;
  for (int trial = 1; trial <= trials; ++trial) {
    // A scenario per trial: the producer derives message ids from the scenario and the index.
    const std::string scenario = absl::StrCat(scenario_, "-t", trial);
    Process* producer =
        StartProducer(kMessagesPerTrial, "fixed:0.1",
                      {"--analyzer-url", url_, "--event-flush-timeout", "60", "--scenario", scenario});

    // Kills at random points of the run; each killed consumer is replaced at once. The
    // analyzer is killed and restarted at one random kill of the trial.
    std::uniform_int_distribution<int> pause_ms(50, 600);
    std::uniform_int_distribution<int> pick(0, kConsumers - 1);
    std::uniform_int_distribution<int> analyzer_kill(0, kKillsPerTrial - 1);
    const int analyzer_kill_at = analyzer_kill(random);
    for (int kill = 0; kill < kKillsPerTrial; ++kill) {
      absl::SleepFor(absl::Milliseconds(pause_ms(random)));
      int victim = pick(random);
      workers[victim]->Signal(SIGKILL);
      ASSERT_EQ(workers[victim]->Wait(absl::Seconds(5)), 128 + SIGKILL);
      killed.insert(names[victim]);
      workers[victim] = StartWorker(&names[victim]);

      if (kill == analyzer_kill_at) {
        analyzer->Signal(SIGKILL);
        ASSERT_TRUE(analyzer->Wait(absl::Seconds(5)).has_value());
        analyzer = StartAnalyzer();
      }
    }

    ASSERT_EQ(producer->Wait(absl::Seconds(60)), 0) << producer->log();

    // Done when every message has a completion or the queue has drained (the management API
    // lags a few seconds behind the broker).
    ASSERT_TRUE(testing::Eventually(
        [&] {
          nlohmann::json s = AnalyzerSummary(scenario);
          if (s.empty() || s["published"] != kMessagesPerTrial) return false;
          return s["completed"] == kMessagesPerTrial || QueueDepth() == 0;
        },
        absl::Seconds(60), absl::Milliseconds(200)))
        << "trial " << trial << ": " << AnalyzerSummary(scenario).dump();
    EXPECT_TRUE(testing::Eventually([&] { return ReadyMessages() == 0; }, absl::Seconds(10)));

    // Wait for the reports still in flight, then check every message.
    testing::Eventually([&] { return AnalyzerSummary(scenario)["completed"] == kMessagesPerTrial; },
                        absl::Seconds(5));
    std::map<std::string, MessageHistory> histories = Histories(scenario);
    EXPECT_EQ(histories.size(), static_cast<size_t>(kMessagesPerTrial));
    int lost_reports = 0;
    for (const auto& [id, history] : histories) {
      if (history.completed) continue;
      ++lost_reports;
      EXPECT_EQ(QueueDepth(), 0) << "message " << id << " may still be in the queue";
      // With the analyzer down, a killed consumer can lose its `received` report as well; the
      // drained queue is then the only evidence, and the count below stays bounded by the kills.
      if (history.receivers.empty()) continue;
      EXPECT_TRUE(killed.count(history.receivers.back()) > 0)
          << "message " << id << " has no completion and its last consumer "
          << history.receivers.back() << " was not killed";
    }
    total_lost_reports += lost_reports;
    EXPECT_LE(lost_reports, kKillsPerTrial);

    nlohmann::json summary = AnalyzerSummary(scenario);
    EXPECT_EQ(summary["published"], kMessagesPerTrial);
    EXPECT_EQ(summary["completed"].get<int>() + lost_reports, kMessagesPerTrial);
    EXPECT_EQ(summary["rejected"], 0);
    int64_t duplicates = summary["completed_more_than_once"].get<int64_t>();
    total_duplicates += duplicates;
    std::printf("trial=%d published=%d completed=%d lost_completion_reports=%d "
                "completed_more_than_once=%lld redeliveries=%lld attempts=%lld\n",
                trial, summary["published"].get<int>(), summary["completed"].get<int>(),
                lost_reports, static_cast<long long>(duplicates),
                static_cast<long long>(summary["redeliveries"].get<int64_t>()),
                static_cast<long long>(summary["attempts"].get<int64_t>()));
  }
  std::printf("total_lost_completion_reports=%lld\n", static_cast<long long>(total_lost_reports));
  std::printf("total_completed_more_than_once=%lld\n", static_cast<long long>(total_duplicates));
}

}  // namespace
}  // namespace krs::workloads
