#include "lab/explain/explain_command.h"

#include <cstdio>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace krs::lab {
namespace {

namespace fs = std::filesystem;

struct ExplainRun {
  int code = 0;
  std::string out;
  std::string err;
};

ExplainRun Explain(std::vector<std::string> args) {
  args.insert(args.begin(), "explain");
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  std::ostringstream out;
  std::ostringstream err;
  ExplainRun run;
  run.code = RunExplain(static_cast<int>(argv.size()), argv.data(), out, err);
  run.out = out.str();
  run.err = err.str();
  return run;
}

std::string WriteTemp(const std::string& name, const std::string& content) {
  fs::path path = fs::temp_directory_path() / name;
  FILE* file = std::fopen(path.c_str(), "w");
  std::fputs(content.c_str(), file);
  std::fclose(file);
  return path.string();
}

struct ScaledJobCase {
  const char* name;
  std::vector<std::string> flags;
  int want;
};

TEST(ExplainCommand, ScaledJobJsonTable) {
  const std::vector<ScaledJobCase> cases = {
      {"default ready-only", {"--strategy=default", "--queue-length=2", "--target=1",
                              "--running=3", "--pending=0", "--max=10"}, 0},
      {"accurate ready-only", {"--strategy=accurate", "--queue-length=2", "--target=1",
                               "--running=3", "--pending=0", "--max=10"}, 2},
      {"eager", {"--strategy=eager", "--queue-length=2", "--target=1", "--running=3",
                 "--pending=2", "--max=10"}, 2},
      {"custom", {"--strategy=custom", "--queue-length=5", "--target=1", "--running=3",
                  "--pending=0", "--max=10", "--custom-deduction=1",
                  "--custom-running-percentage=0.5"}, 3},
      {"custom unparseable", {"--strategy=custom", "--queue-length=5", "--target=1",
                              "--running=3", "--pending=0", "--max=10",
                              "--custom-running-percentage=half"}, 2},
  };
  for (const ScaledJobCase& c : cases) {
    SCOPED_TRACE(c.name);
    std::vector<std::string> args = {"scaledjob", "--json"};
    args.insert(args.end(), c.flags.begin(), c.flags.end());
    ExplainRun run = Explain(args);
    ASSERT_EQ(run.code, 0) << run.err;
    nlohmann::json result = nlohmann::json::parse(run.out);
    EXPECT_EQ(result["jobs_to_create"], c.want);
    EXPECT_TRUE(result["trace"].is_array());
    EXPECT_FALSE(result["trace"].empty());
  }
}

TEST(ExplainCommand, ScaledJobHumanOutputShowsFormula) {
  ExplainRun run = Explain({"scaledjob", "--strategy=accurate", "--queue-length=2", "--target=1",
                     "--running=3", "--pending=1"});
  ASSERT_EQ(run.code, 0) << run.err;
  EXPECT_NE(run.out.find("M + R − P"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("jobs_to_create = 1"), std::string::npos) << run.out;
}

TEST(ExplainCommand, BadInputNamesFlagAndExitsTwo) {
  ExplainRun run = Explain({"scaledjob", "--strategy=fast", "--queue-length=1", "--target=1"});
  EXPECT_EQ(run.code, 2);
  EXPECT_NE(run.err.find("--strategy=fast"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("accurate"), std::string::npos) << run.err;

  ExplainRun negative = Explain({"scaledjob", "--queue-length=-1", "--target=1"});
  EXPECT_EQ(negative.code, 2);
  EXPECT_NE(negative.err.find("--queue-length=-1"), std::string::npos) << negative.err;

  ExplainRun missing = Explain({"hpa", "--current=2", "--target=1"});
  EXPECT_EQ(missing.code, 2);
  EXPECT_NE(missing.err.find("--metric"), std::string::npos) << missing.err;

  ExplainRun unknown = Explain({"hpa", "--bogus=1"});
  EXPECT_EQ(unknown.code, 2);
  EXPECT_NE(unknown.err.find("--bogus"), std::string::npos) << unknown.err;

  EXPECT_EQ(Explain({"nothing"}).code, 2);
  EXPECT_EQ(Explain({}).code, 2);
}

TEST(ExplainCommand, HpaJson) {
  ExplainRun run = Explain({"hpa", "--json", "--current=3", "--metric=45", "--target=10"});
  ASSERT_EQ(run.code, 0) << run.err;
  nlohmann::json result = nlohmann::json::parse(run.out);
  EXPECT_EQ(result["desired_replicas"], 5);
  EXPECT_EQ(result["reason"], "DesiredWithinRange");
}

TEST(ExplainCommand, HpaWithBehaviorAndHistory) {
  std::string behavior = WriteTemp("krs-explain-behavior.yaml", R"(
scaleDown:
  stabilizationWindowSeconds: 0
  selectPolicy: Max
  policies:
    - {type: Pods, value: 1, periodSeconds: 60}
)");
  std::string history = WriteTemp("krs-explain-history.json",
                                  R"({"scaleDownEvents": [{"ageSeconds": 30, "change": 1}]})");
  // Down from 5 to 1 with Pods 1/60 s: one pod already removed 30 s ago, so the period
  // started at 6 and the limit is 6 − 1 = 5: no scale-down now.
  ExplainRun run = Explain({"hpa", "--json", "--current=5", "--metric=1", "--target=1",
                     "--behavior=" + behavior, "--history=" + history});
  ASSERT_EQ(run.code, 0) << run.err;
  nlohmann::json result = nlohmann::json::parse(run.out);
  EXPECT_EQ(result["desired_replicas"], 5);
  EXPECT_EQ(result["reason"], "ScaleDownLimit");

  ExplainRun without_history = Explain({"hpa", "--json", "--current=5", "--metric=1", "--target=1",
                                 "--behavior=" + behavior});
  ASSERT_EQ(without_history.code, 0) << without_history.err;
  EXPECT_EQ(nlohmann::json::parse(without_history.out)["desired_replicas"], 4);
}

TEST(ExplainCommand, HpaMissingBehaviorFile) {
  ExplainRun run = Explain({"hpa", "--current=5", "--metric=1", "--target=1",
                     "--behavior=/nonexistent/behavior.yaml"});
  EXPECT_EQ(run.code, 2);
  EXPECT_NE(run.err.find("--behavior=/nonexistent/behavior.yaml"), std::string::npos) << run.err;
}

TEST(ExplainCommand, VictimsJson) {
  std::string pods = WriteTemp("krs-explain-pods.yaml", R"(
pods:
  - {id: busy, uid: "3", node: n1, readySeconds: 600, ageSeconds: 700, deletionCost: "1000"}
  - {id: idle-old, uid: "2", node: n1, readySeconds: 3000, ageSeconds: 3100}
  - {id: idle-new, uid: "1", node: n1, readySeconds: 60, ageSeconds: 90}
  - {id: starting, uid: "4", node: n1, ready: false, ageSeconds: 5}
)");
  ExplainRun run = Explain({"victims", "--json", "--pods=" + pods, "--count=3"});
  ASSERT_EQ(run.code, 0) << run.err;
  nlohmann::json result = nlohmann::json::parse(run.out);
  EXPECT_EQ(result["deleted"], (std::vector<std::string>{"starting", "idle-new", "idle-old"}));
  EXPECT_EQ(result["reasons"].size(), 3u);
}

TEST(ExplainCommand, VictimsRejectsBadPodsFile) {
  std::string pods = WriteTemp("krs-explain-bad-pods.yaml", "pods:\n  - {id: a, phase: Done}\n");
  ExplainRun run = Explain({"victims", "--pods=" + pods, "--count=1"});
  EXPECT_EQ(run.code, 2);
  EXPECT_NE(run.err.find("Done"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("--pods="), std::string::npos) << run.err;
}

TEST(ExplainCommand, HpaBadBehaviorNamesFlag) {
  std::string behavior =
      WriteTemp("krs-explain-bad-behavior.yaml", "scaleUp: {selectPolicy: Sometimes}\n");
  ExplainRun run = Explain({"hpa", "--current=5", "--metric=1", "--target=1",
                            "--behavior=" + behavior});
  EXPECT_EQ(run.code, 2);
  EXPECT_NE(run.err.find("--behavior="), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("Sometimes"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("Max, Min, Disabled"), std::string::npos) << run.err;
}

TEST(ExplainCommand, HelpListsFlags) {
  ExplainRun run = Explain({"hpa", "--help"});
  EXPECT_EQ(run.code, 0);
  EXPECT_NE(run.out.find("--history=FILE"), std::string::npos);
}

}  // namespace
}  // namespace krs::lab
