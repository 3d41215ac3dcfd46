#include "scaler/management_stats_json.h"

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace krs::scaler {
namespace {

using ::krs::testing::IsOk;
using ::krs::testing::StatusIs;
using ::testing::HasSubstr;

constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();
constexpr int64_t kInt64Min = std::numeric_limits<int64_t>::min();

TEST(ParseQueueStatsJson, ReadsEveryField) {
  absl::StatusOr<QueueStats> stats = ParseQueueStatsJson(
      R"({"messages": 12, "messages_ready": 9, "messages_unacknowledged": 3, "consumers": 2,
          "message_stats": {"publish_details": {"rate": 4.5},
                            "deliver_get_details": {"rate": 2.25}}})",
      "/api/queues/%2F/jobs");
  ASSERT_THAT(stats, IsOk());
  EXPECT_EQ(stats->messages, 12);
  EXPECT_EQ(stats->messages_ready, 9);
  EXPECT_EQ(stats->messages_unacknowledged, 3);
  EXPECT_EQ(stats->consumers, 2);
  EXPECT_DOUBLE_EQ(stats->publish_rate, 4.5);
  EXPECT_DOUBLE_EQ(stats->deliver_get_rate, 2.25);
  EXPECT_EQ(stats->queues_matched, 1);
}

// Found while writing fuzz/management_json_fuzzer, whose seeds keep these inputs: a count of
// 1e300 was cast to int64, which is undefined behaviour (UBSan float-cast-overflow), and a count
// above INT64_MAX wrapped to a negative value.
TEST(ParseQueueStatsJson, OutOfRangeCountsSaturate) {
  struct Case {
    std::string body;
    int64_t messages;
  };
  const std::vector<Case> cases = {
      {R"({"messages": 1e300})", kInt64Max},
      {R"({"messages": -1e300})", kInt64Min},
      {R"({"messages": 9223372036854775808.0})", kInt64Max},
      {R"({"messages": 18446744073709551615})", kInt64Max},
      {R"({"messages": 9223372036854775807})", kInt64Max},
      {R"({"messages": -9223372036854775808})", kInt64Min},
      {R"({"messages": 7.9})", 7},
      {R"({"messages": -0.5})", 0},
  };
  for (const Case& c : cases) {
    absl::StatusOr<QueueStats> stats = ParseQueueStatsJson(c.body, "q");
    ASSERT_THAT(stats, IsOk()) << c.body;
    EXPECT_EQ(stats->messages, c.messages) << c.body;
  }
}

TEST(ParseQueueStatsJson, NonObjectIsUnavailable) {
  for (const std::string body : {"[]", "not json", "42", "", "{\"a\":"}) {
    EXPECT_THAT(ParseQueueStatsJson(body, "/api/queues/%2F/jobs"),
                StatusIs(absl::StatusCode::kUnavailable, HasSubstr("/api/queues/%2F/jobs")))
        << body;
  }
}

TEST(ParseQueueStatsPageJson, SkipsNonObjectItems) {
  absl::StatusOr<QueueStatsPage> page = ParseQueueStatsPageJson(
      R"({"items": [{"messages": 1}, 5, null, {"messages": 2}], "page_count": 3})", "p");
  ASSERT_THAT(page, IsOk());
  ASSERT_EQ(page->items.size(), 2u);
  EXPECT_EQ(page->items[0].messages, 1);
  EXPECT_EQ(page->items[1].messages, 2);
  EXPECT_EQ(page->page_count, 3);
}

TEST(ParseQueueStatsPageJson, MissingItemsIsUnavailable) {
  EXPECT_THAT(ParseQueueStatsPageJson(R"({"page_count": 1})", "p"),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("items")));
  EXPECT_THAT(ParseQueueStatsPageJson(R"({"items": {}})", "p"),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("items")));
}

// Found while writing fuzz/management_json_fuzzer: summing two INT64_MAX counts overflowed a
// signed int.
TEST(QueueStatsCombiner, SumSaturatesInsteadOfOverflowing) {
  QueueStats big;
  big.messages = kInt64Max;
  big.consumers = kInt64Min;
  for (QueueOperation operation : {QueueOperation::kSum, QueueOperation::kAvg}) {
    QueueStatsCombiner combiner(operation);
    combiner.Add(big);
    combiner.Add(big);

    QueueStats result = combiner.Result();
    EXPECT_EQ(result.queues_matched, 2);
    if (operation == QueueOperation::kSum) {
      EXPECT_EQ(result.messages, kInt64Max);
      EXPECT_EQ(result.consumers, kInt64Min);
    } else {
      EXPECT_EQ(result.messages, kInt64Max / 2);
      EXPECT_EQ(result.consumers, kInt64Min / 2);
    }
  }
}

TEST(QueueStatsCombiner, NoMatchesIsZero) {
  QueueStatsCombiner combiner(QueueOperation::kAvg);
  QueueStats result = combiner.Result();
  EXPECT_EQ(result.queues_matched, 0);
  EXPECT_EQ(result.messages, 0);
  EXPECT_DOUBLE_EQ(result.publish_rate, 0);
}

}  // namespace
}  // namespace krs::scaler
