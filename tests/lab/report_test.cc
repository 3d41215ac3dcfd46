#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

#include "lab/report/progress.h"
#include "lab/report/result_json.h"
#include "lab/report/run_result.h"
#include "lab/report/summary_table.h"
#include "lab/report/timeline_svg.h"
#include "lab/simulate/consumer_flags.h"

namespace krs::lab {
namespace {

using workloads::Event;
using workloads::EventType;

Event MakeEvent(EventType type, const std::string& message, const std::string& consumer,
                double time, bool redelivered = false) {
  Event event;
  event.type = type;
  event.scenario = "s";
  event.message_id = message;
  event.consumer_id = consumer;
  event.time = time;
  event.redelivered = redelivered;
  event.work_seconds = 100;
  return event;
}

// Two messages: m-1 killed once after 40 s on pod-a, then completed on pod-b; m-2 completed.
RunResult SampleResult() {
  RunResult result;
  result.scenario.name = "s";
  result.mode = "simulate";
  result.kind = "ScaledObject";
  result.events = {
      MakeEvent(EventType::kPublished, "m-1", "", 0),
      MakeEvent(EventType::kPublished, "m-2", "", 0),
      MakeEvent(EventType::kReceived, "m-1", "pod-a", 10),
      MakeEvent(EventType::kReceived, "m-2", "pod-c", 10),
      MakeEvent(EventType::kCompleted, "m-2", "pod-c", 110),
      MakeEvent(EventType::kReceived, "m-1", "pod-b", 60, true),
      MakeEvent(EventType::kCompleted, "m-1", "pod-b", 160),
  };
  Event killed;
  killed.type = EventType::kKilled;
  killed.scenario = "s";
  killed.consumer_id = "pod-a";
  killed.time = 50;
  result.events.push_back(killed);
  result.timeline = {{0, 2, 0, 1, 1, 0, 0}, {60, 0, 2, 3, 2, 2, 1}, {160, 0, 0, 2, 2, 0, 2}};
  result.kills = {{50, "pod-a", true}};
  result.pods = {{"pod-a", 0, 50}, {"pod-b", 55, -1}, {"pod-c", 0, 150}};
  result.end_time = 160;
  result.finished = true;
  Summarize(result);
  return result;
}

TEST(RunResult, SummaryFromEvents) {
  RunResult result = SampleResult();

  EXPECT_EQ(result.summary.published, 2);
  EXPECT_EQ(result.summary.completed, 2);
  EXPECT_EQ(result.summary.attempts, 3);
  EXPECT_EQ(result.summary.killed, 1);
  EXPECT_EQ(result.summary.redeliveries, 1);
  EXPECT_DOUBLE_EQ(result.summary.wasted_processing_seconds, 40);  // 10 s to 50 s on pod-a
  EXPECT_DOUBLE_EQ(result.useful_processing_seconds, 200);
  EXPECT_DOUBLE_EQ(result.wasted_percent(), 100.0 * 40 / 240);
  EXPECT_DOUBLE_EQ(result.pod_seconds(), 50 + 105 + 150);
  EXPECT_EQ(result.peak_replicas(), 3);
}

TEST(RunResult, AttemptsMatchAnalyzerRules) {
  RunResult result = SampleResult();

  std::vector<workloads::Attempt> attempts = BuildAllAttempts(result.events, result.end_time);

  ASSERT_EQ(attempts.size(), 3u);
  EXPECT_EQ(attempts[0].message_id, "m-1");
  EXPECT_EQ(attempts[0].outcome, "killed");
  EXPECT_DOUBLE_EQ(attempts[0].end_time, 50);
  EXPECT_EQ(attempts[1].message_id, "m-1");
  EXPECT_EQ(attempts[1].outcome, "completed");
  EXPECT_TRUE(attempts[1].redelivered);
  EXPECT_EQ(attempts[2].message_id, "m-2");
}

TEST(ResultJson, HasEveryKey) {
  nlohmann::json json = RunResultToJson(SampleResult());

  for (const char* key : {"scenario", "mode", "kind", "configuration", "finished", "failure",
                          "summary", "derived", "delays", "messages", "timeline", "kills"}) {
    EXPECT_TRUE(json.contains(key)) << key;
  }
  for (const char* key :
       {"published", "completed", "completed_more_than_once", "attempts", "redeliveries",
        "interrupted", "killed", "rejected", "idle_jobs", "wasted_processing_seconds",
        "makespan_seconds", "latency_p50_seconds", "latency_p95_seconds",
        "latency_max_seconds"}) {
    EXPECT_TRUE(json["summary"].contains(key)) << key;
  }
  for (const char* key : {"process_start", "grpc_round_trip", "broker_round_trip",
                          "management_stats_lag"}) {
    EXPECT_TRUE(json["delays"].contains(key)) << key;
  }
  ASSERT_EQ(json["messages"].size(), 2u);
  EXPECT_EQ(json["messages"][0]["id"], "m-1");
  EXPECT_EQ(json["messages"][0]["attempts"].size(), 2u);
  EXPECT_EQ(json["messages"][0]["attempts"][0]["outcome"], "killed");
  EXPECT_EQ(json["timeline"].size(), 3u);
  EXPECT_EQ(json["timeline"][1]["busy_pods"], 2);
  EXPECT_EQ(json["kills"][0]["pod"], "pod-a");
  EXPECT_EQ(json["configuration"]["scenario"]["name"], "s");
}

TEST(SummaryTable, RowHasEveryColumn) {
  RunResult result = SampleResult();

  std::string row = SummaryTableRow(result);
  std::string head = SummaryTableHead();

  EXPECT_EQ(row, "| s | simulate | 2/2 | 40 | 16.7 | 0 | 1 | 1 | 160 | 160 | 305 | 3 | ok |\n");
  size_t head_columns = std::count(head.begin(), head.begin() + head.find('\n'), '|');
  EXPECT_EQ(static_cast<size_t>(std::count(row.begin(), row.end(), '|')), head_columns);
}

TEST(SummaryTable, MarkdownHasHeaderAndRows) {
  ReportHeader header{"scalein-lab simulate s", "Linux x86_64, 2 CPUs", "2026-01-01T00:00:00Z",
                      "simulate"};
  RunResult failed = SampleResult();
  failed.scenario.name = "t";
  failed.finished = false;
  failed.failure = "deadline passed";

  std::string text = SummaryMarkdown(header, {SampleResult(), failed});

  EXPECT_NE(text.find("- command: `scalein-lab simulate s`"), std::string::npos);
  EXPECT_NE(text.find("- machine: Linux x86_64, 2 CPUs"), std::string::npos);
  EXPECT_NE(text.find("- date: 2026-01-01T00:00:00Z"), std::string::npos);
  EXPECT_NE(text.find("- mode: simulate"), std::string::npos);
  EXPECT_NE(text.find("| s | simulate |"), std::string::npos);
  EXPECT_NE(text.find("FAILED: deadline passed |"), std::string::npos);
}

// Checks that every element is closed in order: a small stand-in for an XML parser.
bool TagsBalanced(const std::string& svg, std::string& error) {
  std::vector<std::string> open;
  size_t pos = 0;
  while ((pos = svg.find('<', pos)) != std::string::npos) {
    size_t end = svg.find('>', pos);
    if (end == std::string::npos) {
      error = "unterminated tag";
      return false;
    }
    std::string tag = svg.substr(pos + 1, end - pos - 1);
    pos = end + 1;
    if (tag.empty() || tag[0] == '?' || tag[0] == '!') continue;
    if (tag.back() == '/') continue;
    if (tag[0] == '/') {
      std::string name = tag.substr(1);
      if (open.empty() || open.back() != name) {
        error = "unexpected </" + name + ">";
        return false;
      }
      open.pop_back();
      continue;
    }
    open.push_back(tag.substr(0, tag.find(' ')));
  }
  if (!open.empty()) error = "unclosed <" + open.back() + ">";
  return open.empty();
}

TEST(TimelineSvg, WellFormedWithKillMarks) {
  RunResult result = SampleResult();
  result.scenario.name = "s <&> \"quoted\"";

  std::string svg = TimelineSvg(result);

  std::string error;
  EXPECT_TRUE(TagsBalanced(svg, error)) << error;
  EXPECT_EQ(svg.rfind("<?xml", 0), 0u);
  EXPECT_NE(svg.find("<svg xmlns=\"http://www.w3.org/2000/svg\""), std::string::npos);
  EXPECT_NE(svg.find("SIGKILL pod-a"), std::string::npos);
  EXPECT_NE(svg.find("s &lt;&amp;&gt; &quot;quoted&quot;"), std::string::npos);
  EXPECT_EQ(svg.find("<&>"), std::string::npos);
}

TEST(TimelineSvg, EmptyTimelineStillWellFormed) {
  RunResult result;
  result.scenario.name = "empty";

  std::string error;
  EXPECT_TRUE(TagsBalanced(TimelineSvg(result), error)) << error;
}

TEST(ProgressReporter, PlainLinesWhenNotTerminal) {
  char buffer[4096] = {};
  std::FILE* out = fmemopen(buffer, sizeof(buffer), "w");
  ASSERT_NE(out, nullptr);
  {
    ProgressReporter progress(out, /*terminal=*/false, absl::Hours(1));
    progress.Update("s", Progress{3600, 7200, 1, 4, 3});
    progress.Update("s", Progress{7000, 7200, 2, 4, 3});  // within the interval: not printed
    progress.Finish("s", Progress{7200, 7200, 4, 4, 0}, "done");
  }
  std::fclose(out);
  std::string text(buffer);

  EXPECT_EQ(text,
            ProgressReporter::Line("s", Progress{3600, 7200, 1, 4, 3}) + "\n" +
                ProgressReporter::Line("s", Progress{7200, 7200, 4, 4, 0}) + ": done\n");
  EXPECT_EQ(text.find("\033["), std::string::npos);
  EXPECT_NE(text.find("1.0h/2.0h 1/4 done, 3 replicas"), std::string::npos);
}

TEST(ProgressReporter, SingularReplica) {
  EXPECT_THAT(ProgressReporter::Line("s", Progress{3600, 7200, 1, 4, 1}),
              ::testing::EndsWith("1/4 done, 1 replica"));
}

TEST(ConsumerFlags, ParsesBothSpellings) {
  absl::StatusOr<ConsumerFlags> flags = ParseConsumerFlags(
      {"--mode=job", "--prefetch", "3", "--on_sigterm=ignore", "--idle-timeout=12.5",
       "--deletion-cost-endpoint=http://x"});

  ASSERT_TRUE(flags.ok()) << flags.status();
  EXPECT_TRUE(flags->job_mode);
  EXPECT_EQ(flags->prefetch, 3);
  EXPECT_EQ(flags->on_sigterm, SigtermPolicy::kIgnore);
  EXPECT_EQ(flags->idle_timeout_seconds, 12.5);
  EXPECT_TRUE(flags->deletion_cost);
  EXPECT_FALSE(ParseConsumerFlags({"--on-sigterm=stop"}).ok());
}

TEST(ConsumerFlags, SetFlagReplacesEveryForm) {
  std::vector<std::string> args =
      SetFlag({"--time-scale=1", "--time_scale", "2", "--queue=jobs"}, "time-scale", "0.004");

  EXPECT_EQ(args, (std::vector<std::string>{"--queue=jobs", "--time-scale=0.004"}));
  EXPECT_EQ(FlagValue(args, "time_scale"), "0.004");
  EXPECT_EQ(FlagValue(args, "prefetch"), std::nullopt);
}

}  // namespace
}  // namespace krs::lab
