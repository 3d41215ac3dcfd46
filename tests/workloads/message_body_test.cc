#include "workloads/common/message_body.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "common/command_line.h"
#include "workloads/common/event.h"

namespace krs::workloads {
namespace {

using ::testing::HasSubstr;

TEST(MessageBody, RoundTrips) {
  MessageBody body{MessageId("scale-in", 7), "scale-in", 2.25, 1764880000.125};
  auto parsed = ParseMessageBody(SerializeMessageBody(body));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->id, "scale-in-7");
  EXPECT_EQ(parsed->scenario, "scale-in");
  EXPECT_DOUBLE_EQ(parsed->work_seconds, 2.25);
  EXPECT_DOUBLE_EQ(parsed->published_at, 1764880000.125);
}

TEST(MessageBody, RejectsMalformedBodies) {
  struct Case {
    const char* body;
    const char* error;
  };
  const Case cases[] = {
      {"not json", "not valid JSON"},
      {"", "not valid JSON"},
      {"[1,2]", "not a JSON object"},
      {R"({"scenario":"s","work_seconds":1,"published_at":1})", "missing field \"id\""},
      {R"({"id":"a","work_seconds":1,"published_at":1})", "missing field \"scenario\""},
      {R"({"id":"a","scenario":"s","published_at":1})", "missing field \"work_seconds\""},
      {R"({"id":"a","scenario":"s","work_seconds":1})", "missing field \"published_at\""},
      {R"({"id":7,"scenario":"s","work_seconds":1,"published_at":1})", "must be a string"},
      {R"({"id":"a","scenario":"s","work_seconds":"1","published_at":1})", "must be a number"},
      {R"({"id":"","scenario":"s","work_seconds":1,"published_at":1})", "is empty"},
      {R"({"id":"a","scenario":"s","work_seconds":-1,"published_at":1})", ">= 0"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.body);
    auto parsed = ParseMessageBody(c.body);
    ASSERT_FALSE(parsed.ok());
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(parsed.status().message(), HasSubstr(c.error));
  }
}

TEST(Event, RoundTripsThroughJson) {
  Event event;
  event.type = EventType::kAckFailed;
  event.scenario = "s";
  event.message_id = "s-1";
  event.consumer_id = "pod-a";
  event.event_id = "pod-a-1";
  event.reason = "connection lost";
  event.delivery_tag = 12;
  event.redelivered = true;
  event.work_seconds = 1.5;
  event.time = 100.25;
  auto parsed = EventFromJson(EventToJson(event));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->type, EventType::kAckFailed);
  EXPECT_EQ(parsed->scenario, "s");
  EXPECT_EQ(parsed->message_id, "s-1");
  EXPECT_EQ(parsed->consumer_id, "pod-a");
  EXPECT_EQ(parsed->event_id, "pod-a-1");
  EXPECT_EQ(parsed->reason, "connection lost");
  EXPECT_EQ(parsed->delivery_tag, 12);
  EXPECT_TRUE(parsed->redelivered);
  EXPECT_DOUBLE_EQ(parsed->work_seconds, 1.5);
  EXPECT_DOUBLE_EQ(parsed->time, 100.25);
}

TEST(Event, RejectsInvalidEvents) {
  struct Case {
    const char* json;
    const char* error;
  };
  const Case cases[] = {
      {R"([])", "must be a JSON object"},
      {R"({"scenario":"s","time":1})", "missing field \"type\""},
      {R"({"type":"exploded","scenario":"s","time":1})", "unknown event type \"exploded\""},
      {R"({"type":"published","message_id":"m","time":1})", "missing field \"scenario\""},
      {R"({"type":"published","scenario":"s","time":1})", "missing field \"message_id\""},
      {R"({"type":"received","scenario":"s","message_id":"m","time":1})",
       "missing field \"consumer_id\""},
      {R"({"type":"idle","scenario":"s","consumer_id":"c"})", "missing field \"time\""},
      {R"({"type":"idle","scenario":"s","consumer_id":"c","time":"now"})", "must be a number"},
      {R"({"type":"killed","consumer_id":"c","time":1,"delivery_tag":1.5})", "integer"},
      {R"({"type":"killed","consumer_id":"c","time":1,"redelivered":"yes"})", "true or false"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.json);
    auto parsed = EventFromJson(nlohmann::json::parse(c.json));
    ASSERT_FALSE(parsed.ok());
    EXPECT_THAT(parsed.status().message(), HasSubstr(c.error));
  }
}

TEST(Event, KilledNeedsOnlyConsumerAndTime) {
  auto parsed = EventFromJson(nlohmann::json::parse(R"({"type":"killed","consumer_id":"c","time":3})"));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->type, EventType::kKilled);
  EXPECT_TRUE(parsed->scenario.empty());
}

TEST(CommandLine, NormalizesDashedFlagNames) {
  std::string args[] = {"prog", "--amqp-url=amqp://h/a-b", "--on-sigterm", "drain",
                        "-time-scale=0.1", "--", "--not-a-flag"};
  char* argv[7];
  for (int i = 0; i < 7; ++i) argv[i] = args[i].data();
  krs::NormalizeFlagDashes(7, argv);
  EXPECT_STREQ(argv[1], "--amqp_url=amqp://h/a-b");
  EXPECT_STREQ(argv[2], "--on_sigterm");
  EXPECT_STREQ(argv[3], "drain");
  EXPECT_STREQ(argv[4], "-time_scale=0.1");
  EXPECT_STREQ(argv[6], "--not-a-flag");
}

}  // namespace
}  // namespace krs::workloads
