// Runs the CI scenario pair live on the local RabbitMQ with the real scaler, consumers,
// producer and analyzer (through the scalein-lab binary), then simulated, and compares.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"

namespace {

std::string Env(const char* name, const std::string& fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? value : fallback;
}

nlohmann::json ReadJson(const std::string& path) {
  std::ifstream file(path);
  std::stringstream text;
  text << file.rdbuf();
  return nlohmann::json::parse(text.str(), nullptr, false);
}

// Runs `scalein-lab MODE ci-scaledobject-naive ci-scaledjob-accurate-ready` into `dir`.
int RunLab(const std::string& mode, const std::string& dir, const std::string& extra_flags) {
  std::string command = absl::StrCat(
      Env("KRS_BIN_DIR", "build/bin"), "/scalein-lab ", mode,
      " ci-scaledobject-naive ci-scaledjob-accurate-ready --results-dir=", dir,
      " --repo-root=", Env("KRS_SOURCE_DIR", "."), " ", extra_flags, " > ", dir, "/", mode,
      ".out 2>&1");
  int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

double RelativeDifference(double a, double b) {
  double scale = std::max(std::fabs(a), std::fabs(b));
  return scale == 0 ? 0 : std::fabs(a - b) / scale;
}

class LiveLabTest : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    root_ = absl::StrCat(testing::TempDir(), "/live_lab_test");
    std::system(absl::StrCat("rm -rf ", root_, " && mkdir -p ", root_, "/live ", root_,
                             "/simulate")
                    .c_str());
    live_exit_ = RunLab("run", root_ + "/live", "--concurrency=2");
    // The simulation models the real-time delays (process start, management API lag) that
    // the live run measured on this machine.
    simulate_exit_ = RunLab("simulate", root_ + "/simulate", "--delays-from=" + root_ + "/live");
  }

  static nlohmann::json Result(const std::string& mode, const std::string& scenario) {
    return ReadJson(absl::StrCat(root_, "/", mode, "/", scenario, ".json"));
  }

  static std::string root_;
  static int live_exit_;
  static int simulate_exit_;
};

std::string LiveLabTest::root_;
int LiveLabTest::live_exit_ = -1;
int LiveLabTest::simulate_exit_ = -1;

TEST_F(LiveLabTest, LiveRunCompletesEveryMessage) {
  ASSERT_EQ(live_exit_, 0) << "scalein-lab run failed (is the broker at RMQ_HTTP_URL up?); "
                              "see " << root_ << "/live/run.out";
  for (const char* scenario : {"ci-scaledobject-naive", "ci-scaledjob-accurate-ready"}) {
    nlohmann::json result = Result("live", scenario);
    ASSERT_TRUE(result.is_object()) << scenario;
    EXPECT_EQ(result["mode"], "live");
    EXPECT_GT(result["summary"]["published"].get<int>(), 0) << scenario;
    EXPECT_EQ(result["summary"]["completed"], result["summary"]["published"]) << scenario;
    EXPECT_TRUE(result["finished"].get<bool>()) << scenario << ": " << result["failure"];
  }
}

TEST_F(LiveLabTest, ScaledJobWastesNothing) {
  nlohmann::json result = Result("live", "ci-scaledjob-accurate-ready");
  ASSERT_TRUE(result.is_object());

  EXPECT_EQ(result["summary"]["wasted_processing_seconds"].get<double>(), 0);
  EXPECT_EQ(result["summary"]["killed"].get<int>(), 0);
}

TEST_F(LiveLabTest, NaiveScaledObjectWastesWork) {
  nlohmann::json result = Result("live", "ci-scaledobject-naive");
  ASSERT_TRUE(result.is_object());

  EXPECT_GT(result["summary"]["wasted_processing_seconds"].get<double>(), 0);
  EXPECT_GT(result["summary"]["killed"].get<int>(), 0);
}

TEST_F(LiveLabTest, LiveAndSimulatedAgree) {
  ASSERT_EQ(simulate_exit_, 0) << "see " << root_ << "/simulate/simulate.out";
  for (const char* scenario : {"ci-scaledobject-naive", "ci-scaledjob-accurate-ready"}) {
    nlohmann::json live = Result("live", scenario);
    nlohmann::json simulated = Result("simulate", scenario);
    ASSERT_TRUE(live.is_object()) << scenario;
    ASSERT_TRUE(simulated.is_object()) << scenario;
    double live_waste = live["summary"]["wasted_processing_seconds"];
    double simulated_waste = simulated["summary"]["wasted_processing_seconds"];
    double live_makespan = live["summary"]["makespan_seconds"];
    double simulated_makespan = simulated["summary"]["makespan_seconds"];

    EXPECT_LE(RelativeDifference(live_makespan, simulated_makespan), 0.10)
        << scenario << ": live " << live_makespan << " s, simulated " << simulated_makespan;
    // Live waste depends on when the real-time HPA loop samples the metric, so it spreads
    // more: six live runs of the naive pair differed from the simulation by 3 % to 16 %.
    EXPECT_LE(RelativeDifference(live_waste, simulated_waste), 0.25)
        << scenario << ": live " << live_waste << " s, simulated " << simulated_waste;
  }
}

}  // namespace
