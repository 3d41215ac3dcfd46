#include "scaler/stats_router.h"

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace krs::scaler {
namespace {

// Returns a fixed result and counts its reads.
class FixedSource : public QueueStatsSource {
 public:
  explicit FixedSource(absl::StatusOr<QueueStats> result) : result_(std::move(result)) {}

  absl::StatusOr<QueueStats> Read(const QueueQuery& query, absl::Time deadline) override {
    ++reads;
    return result_;
  }

  int reads = 0;

 private:
  absl::StatusOr<QueueStats> result_;
};

QueueStats StatsWithMessages(int64_t messages) {
  QueueStats stats;
  stats.messages = messages;
  return stats;
}

QueueQuery QueryFor(BrokerProtocol protocol) {
  QueueQuery query;
  query.endpoint.protocol = protocol;
  query.queue_name = "orders";
  return query;
}

TEST(StatsRouter, RoutesByProtocol) {
  auto amqp = std::make_shared<FixedSource>(StatsWithMessages(1));
  auto management = std::make_shared<FixedSource>(StatsWithMessages(2));
  StatsRouter router(amqp, management);

  absl::StatusOr<QueueStats> from_amqp =
      router.Read(QueryFor(BrokerProtocol::kAmqp), absl::Now() + absl::Seconds(1));
  absl::StatusOr<QueueStats> from_management =
      router.Read(QueryFor(BrokerProtocol::kHttp), absl::Now() + absl::Seconds(1));

  ASSERT_TRUE(from_amqp.ok());
  ASSERT_TRUE(from_management.ok());
  EXPECT_EQ(from_amqp->messages, 1);
  EXPECT_EQ(from_management->messages, 2);
  EXPECT_EQ(amqp->reads, 1);
  EXPECT_EQ(management->reads, 1);
}

TEST(StatsRouter, PassesErrorsUnchanged) {
  auto amqp = std::make_shared<FixedSource>(absl::NotFoundError("queue \"orders\" not found"));
  auto management = std::make_shared<FixedSource>(StatsWithMessages(2));
  StatsRouter router(amqp, management);

  absl::StatusOr<QueueStats> stats =
      router.Read(QueryFor(BrokerProtocol::kAmqp), absl::Now() + absl::Seconds(1));

  EXPECT_EQ(stats.status(), absl::NotFoundError("queue \"orders\" not found"));
}

}  // namespace
}  // namespace krs::scaler
