#include "lab/simulate/simulate_run.h"

#include <gtest/gtest.h>

#include <cstdlib>

#include "lab/report/result_json.h"
#include "lab/run/workload_plan.h"
#include "lab/scenario/scenario.h"

namespace krs::lab {
namespace {

std::string RepoRoot() {
  const char* root = std::getenv("KRS_SOURCE_DIR");
  return root != nullptr ? root : ".";
}

absl::StatusOr<RunResult> Simulate(const std::string& name, uint64_t seed) {
  absl::StatusOr<Scenario> scenario = FindScenario(name, RepoRoot());
  if (!scenario.ok()) return scenario.status();
  scenario->workload.seed = seed;
  absl::StatusOr<Experiment> experiment = LoadExperiment(*scenario, RepoRoot());
  if (!experiment.ok()) return experiment.status();
  return SimulateRun(*experiment, SimulateOptions{});
}

// The result without the wall-clock field, which differs between runs.
nlohmann::json Comparable(const RunResult& result) {
  nlohmann::json json = RunResultToJson(result);
  json["derived"].erase("real_seconds");
  return json;
}

TEST(SimulateRun, SameSeedSameResult) {
  absl::StatusOr<RunResult> first = Simulate("scaledobject-naive", 11);
  absl::StatusOr<RunResult> second = Simulate("scaledobject-naive", 11);
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_TRUE(second.ok()) << second.status();

  EXPECT_EQ(Comparable(*first), Comparable(*second));
  EXPECT_GT(first->summary.attempts, 0);
}

TEST(SimulateRun, OtherSeedOtherWorkload) {
  absl::StatusOr<RunResult> first = Simulate("scaledobject-naive", 11);
  absl::StatusOr<RunResult> second = Simulate("scaledobject-naive", 12);
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_TRUE(second.ok()) << second.status();

  nlohmann::json first_messages = Comparable(*first)["messages"];
  nlohmann::json second_messages = Comparable(*second)["messages"];
  ASSERT_FALSE(first_messages.empty());
  EXPECT_NE(first_messages[0]["work_seconds"], second_messages[0]["work_seconds"]);
}

TEST(SimulateRun, ScaledJobCompletesWithoutWaste) {
  absl::StatusOr<RunResult> result = Simulate("ci-scaledjob-accurate-ready", 2);
  ASSERT_TRUE(result.ok()) << result.status();

  EXPECT_TRUE(result->finished) << result->failure;
  EXPECT_EQ(result->summary.completed, result->summary.published);
  EXPECT_EQ(result->summary.wasted_processing_seconds, 0);
  EXPECT_EQ(result->kind, "ScaledJob");
}

TEST(SimulateRun, DrainWastesLessThanNaive) {
  absl::StatusOr<RunResult> naive = Simulate("scaledobject-naive", 7);
  absl::StatusOr<RunResult> drain = Simulate("scaledobject-drain", 7);
  ASSERT_TRUE(naive.ok()) << naive.status();
  ASSERT_TRUE(drain.ok()) << drain.status();

  EXPECT_GT(naive->summary.wasted_processing_seconds, 0);
  EXPECT_GT(naive->summary.killed, 0);
  EXPECT_EQ(drain->summary.wasted_processing_seconds, 0);
  EXPECT_TRUE(drain->finished) << drain->failure;
}

TEST(WorkloadPlan, MatchesProducerDraws) {
  Scenario scenario;
  scenario.name = "s";
  scenario.workload.messages = 4;
  scenario.workload.duration = "fixed:5";
  scenario.workload.arrivals = "waves:2,100";

  absl::StatusOr<std::vector<PlannedMessage>> plan = PlanWorkload(scenario);

  ASSERT_TRUE(plan.ok()) << plan.status();
  ASSERT_EQ(plan->size(), 4u);
  EXPECT_EQ((*plan)[0].id, "s-1");
  EXPECT_EQ((*plan)[3].id, "s-4");
  EXPECT_EQ((*plan)[1].offset_seconds, 0);
  EXPECT_EQ((*plan)[2].offset_seconds, 100);
  EXPECT_EQ((*plan)[2].work_seconds, 5);
}

TEST(Scenario, ParsesEveryField) {
  absl::StatusOr<Scenario> scenario = ParseScenario(R"(
name: s
manifests: manifests/experiments/x
workload: {messages: 3, duration: "fixed:10", arrivals: burst, seed: 9}
consumer: {on_sigterm: drain, prefetch: 2}
time: {real_ms_per_second: 4, deadline_seconds: 100}
delays: {process_start_ms: 7, management_stats_lag_ms: 500}
)", "test");

  ASSERT_TRUE(scenario.ok()) << scenario.status();
  EXPECT_EQ(scenario->workload.messages, 3);
  EXPECT_EQ(scenario->workload.seed, 9u);
  EXPECT_EQ(scenario->consumer.on_sigterm, "drain");
  EXPECT_EQ(scenario->consumer.prefetch, 2);
  EXPECT_DOUBLE_EQ(scenario->time_scale(), 0.004);
  EXPECT_EQ(scenario->delays.process_start_ms, 7);
  EXPECT_EQ(scenario->delays.management_stats_lag_ms, 500);
}

TEST(Scenario, RejectsInvalidValues) {
  struct Case {
    const char* name;
    const char* yaml;
    const char* expected;  // part of the error
  };
  const Case cases[] = {
      {"missing name", "manifests: m\nworkload: {messages: 1}\ntime: {}", "name: missing"},
      {"zero messages", "name: s\nmanifests: m\nworkload: {messages: 0}\ntime: {}",
       "workload.messages"},
      {"bad policy",
       "name: s\nmanifests: m\nworkload: {messages: 1}\nconsumer: {on_sigterm: stop}\ntime: {}",
       "allowed: ignore, requeue, drain"},
      {"bad scale",
       "name: s\nmanifests: m\nworkload: {messages: 1}\ntime: {real_ms_per_second: 0}",
       "time.real_ms_per_second"},
      {"no time", "name: s\nmanifests: m\nworkload: {messages: 1}", "time: missing"},
      {"not a number", "name: s\nmanifests: m\nworkload: {messages: x}\ntime: {}",
       "workload.messages: invalid value \"x\""},
  };
  for (const Case& c : cases) {
    absl::StatusOr<Scenario> scenario = ParseScenario(c.yaml, "test");
    ASSERT_FALSE(scenario.ok()) << c.name;
    EXPECT_EQ(scenario.status().code(), absl::StatusCode::kInvalidArgument) << c.name;
    EXPECT_NE(scenario.status().message().find(c.expected), std::string::npos)
        << c.name << ": " << scenario.status().message();
  }
}

TEST(Scenario, EveryShippedScenarioLoads) {
  for (const char* name :
       {"scaledobject-naive", "scaledobject-total", "scaledobject-drain",
        "scaledobject-deletion-cost", "scaledjob-default-total", "scaledjob-accurate-ready",
        "ci-scaledobject-naive", "ci-scaledjob-accurate-ready"}) {
    absl::StatusOr<Scenario> scenario = FindScenario(name, RepoRoot());
    ASSERT_TRUE(scenario.ok()) << name << ": " << scenario.status();
    EXPECT_EQ(scenario->name, name);
    absl::StatusOr<Experiment> experiment = LoadExperiment(*scenario, RepoRoot());
    EXPECT_TRUE(experiment.ok()) << name << ": " << experiment.status();
  }
}

}  // namespace
}  // namespace krs::lab
