// ManagementStatsSource against the real RabbitMQ of scripts/rabbitmq.sh (RMQ_HTTP_URL,
// RMQ_AMQP_URL). The management API refreshes its counts about once a second, so checks poll.
#include "scaler/management_stats_source.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/amqp_connection.h"
#include "common/url.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "scaler/amqp_stats_source.h"
#include "scaler/broker_endpoint.h"
#include "tests/testing/broker_env.h"
#include "tests/testing/status_matchers.h"

namespace krs::scaler {
namespace {

using ::krs::testing::Eventually;
using ::krs::testing::IsOk;
using ::krs::testing::ManagementClient;
using ::krs::testing::StatusIs;
using ::krs::testing::TestAmqpUrl;
using ::krs::testing::TestHttpUrl;
using ::krs::testing::UniqueName;
using ::testing::HasSubstr;
using ::testing::Not;

absl::Time Deadline() { return absl::Now() + absl::Seconds(10); }

class ManagementStatsSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_THAT(management_.CheckReachable(), IsOk());
    absl::StatusOr<BrokerEndpoint> endpoint = ParseBrokerEndpoint(TestHttpUrl());
    ASSERT_THAT(endpoint, IsOk());
    endpoint_ = *endpoint;
  }

  void TearDown() override {
    for (const auto& [vhost, queue] : queues_) management_.DeleteQueue(vhost, queue).IgnoreError();
    for (const std::string& vhost : vhosts_) management_.DeleteVhost(vhost).IgnoreError();
  }

  std::string NewQueue(absl::string_view name, absl::string_view vhost = "/") {
    std::string queue(name);
    EXPECT_THAT(management_.DeclareQueue(vhost, queue), IsOk());
    queues_.emplace_back(std::string(vhost), queue);
    return queue;
  }

  QueueQuery QueryFor(const std::string& queue) const {
    QueueQuery query;
    query.endpoint = endpoint_;
    query.queue_name = queue;
    return query;
  }

  // Reads until `done` accepts the stats or 15 s pass; returns the last result.
  absl::StatusOr<QueueStats> ReadUntil(const QueueQuery& query,
                                       const std::function<bool(const QueueStats&)>& done) {
    absl::StatusOr<QueueStats> stats;
    Eventually([&] {
      stats = source_.Read(query, Deadline());
      return stats.ok() && done(*stats);
    });
    return stats;
  }

  ManagementClient management_;
  ManagementStatsSource source_;
  BrokerEndpoint endpoint_;
  std::vector<std::pair<std::string, std::string>> queues_;
  std::vector<std::string> vhosts_;
};

TEST_F(ManagementStatsSourceTest, ReadyAndUnacknowledgedCounts) {
  std::string queue = NewQueue(UniqueName("mgmt-unacked"));
  ASSERT_THAT(management_.Publish("/", queue, "payload", 5), IsOk());
  absl::StatusOr<std::unique_ptr<AmqpConnection>> consumer =
      krs::testing::StartHoldingConsumer(TestAmqpUrl(), queue, /*prefetch=*/2);
  ASSERT_THAT(consumer, IsOk());

  absl::StatusOr<QueueStats> stats = ReadUntil(QueryFor(queue), [](const QueueStats& s) {
    return s.messages_unacknowledged == 2 && s.consumers == 1;
  });
  ASSERT_THAT(stats, IsOk());
  EXPECT_EQ(stats->messages, 5);
  EXPECT_EQ(stats->messages_ready, 3);
  EXPECT_EQ(stats->messages_unacknowledged, 2);
  EXPECT_EQ(stats->consumers, 1);

  // AMQP reads the same queue in real time but counts ready messages only.
  absl::StatusOr<BrokerEndpoint> amqp_endpoint = ParseBrokerEndpoint(TestAmqpUrl());
  ASSERT_THAT(amqp_endpoint, IsOk());
  QueueQuery amqp_query{*amqp_endpoint, queue};
  AmqpStatsSource amqp_source;
  absl::StatusOr<QueueStats> amqp_stats = amqp_source.Read(amqp_query, Deadline());
  ASSERT_THAT(amqp_stats, IsOk());
  EXPECT_EQ(amqp_stats->messages_ready, 3);
  EXPECT_EQ(amqp_stats->consumers, 1);
}

TEST_F(ManagementStatsSourceTest, RegexReadsMoreQueuesThanOnePage) {
  // Seven queues holding 1..7 messages, read in pages of three: sum 28, avg 28/7 = 4, max 7.
  std::string prefix = UniqueName("mgmt-regex");
  for (int i = 1; i <= 7; ++i) {
    std::string queue = NewQueue(absl::StrCat(prefix, "-q", i));
    ASSERT_THAT(management_.Publish("/", queue, "payload", i), IsOk());
  }
  QueueQuery query = QueryFor(absl::StrCat("^", prefix, "-q[0-9]$"));
  query.use_regex = true;
  query.page_size = 3;

  query.operation = QueueOperation::kSum;
  absl::StatusOr<QueueStats> sum =
      ReadUntil(query, [](const QueueStats& s) { return s.messages == 28; });
  ASSERT_THAT(sum, IsOk());
  EXPECT_EQ(sum->queues_matched, 7);
  EXPECT_EQ(sum->messages, 28);
  EXPECT_EQ(sum->messages_ready, 28);

  query.operation = QueueOperation::kAvg;
  absl::StatusOr<QueueStats> avg = source_.Read(query, Deadline());
  ASSERT_THAT(avg, IsOk());
  EXPECT_EQ(avg->queues_matched, 7);
  EXPECT_EQ(avg->messages, 4);

  query.operation = QueueOperation::kMax;
  absl::StatusOr<QueueStats> max = source_.Read(query, Deadline());
  ASSERT_THAT(max, IsOk());
  EXPECT_EQ(max->queues_matched, 7);
  EXPECT_EQ(max->messages, 7);
}

TEST_F(ManagementStatsSourceTest, RegexWithoutMatchesIsZero) {
  QueueQuery query = QueryFor(absl::StrCat("^", UniqueName("mgmt-nothing"), "$"));
  query.use_regex = true;

  absl::StatusOr<QueueStats> stats = source_.Read(query, Deadline());
  ASSERT_THAT(stats, IsOk());
  EXPECT_EQ(stats->queues_matched, 0);
  EXPECT_EQ(stats->messages, 0);
}

TEST_F(ManagementStatsSourceTest, RegexPageSizeAboveLimitIsInvalid) {
  QueueQuery query = QueryFor(".*");
  query.use_regex = true;
  query.page_size = 501;

  EXPECT_THAT(source_.Read(query, Deadline()), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(ManagementStatsSourceTest, MissingQueueIsNotFound) {
  std::string missing = UniqueName("mgmt-missing");

  EXPECT_THAT(source_.Read(QueryFor(missing), Deadline()),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("queue not found")));
}

TEST_F(ManagementStatsSourceTest, MissingVhostIsNotFound) {
  QueueQuery query = QueryFor("jobs");
  query.endpoint.vhost = UniqueName("mgmt-missing-vhost");

  EXPECT_THAT(source_.Read(query, Deadline()),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("vhost \"" + query.endpoint.vhost +
                                                              "\" not found")));
  query.use_regex = true;
  EXPECT_THAT(source_.Read(query, Deadline()), StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(ManagementStatsSourceTest, WrongPasswordIsUnauthenticated) {
  QueueQuery query = QueryFor("jobs");
  query.endpoint.password = "wrong-Pa55word";

  absl::StatusOr<QueueStats> stats = source_.Read(query, Deadline());
  EXPECT_THAT(stats, StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(stats, StatusIs(absl::StatusCode::kUnauthenticated, Not(HasSubstr("wrong-Pa55word"))));
}

TEST_F(ManagementStatsSourceTest, UserWithoutManagementTagIsDenied) {
  std::string user = UniqueName("mgmt-no-tag");
  ASSERT_THAT(management_.CreateUser(user, "user-pw", "", "/"), IsOk());
  QueueQuery query = QueryFor(NewQueue(UniqueName("mgmt-denied")));
  query.endpoint.username = user;
  query.endpoint.password = "user-pw";

  absl::StatusOr<QueueStats> stats = source_.Read(query, Deadline());
  management_.DeleteUser(user).IgnoreError();
  EXPECT_THAT(stats, StatusIs(absl::StatusCode::kPermissionDenied,
                              HasSubstr("Not management user")));
}

TEST_F(ManagementStatsSourceTest, UserWithoutVhostAccessIsDenied) {
  std::string vhost = UniqueName("mgmt-private");
  ASSERT_THAT(management_.DeclareVhost(vhost), IsOk());
  vhosts_.push_back(vhost);
  std::string user = UniqueName("mgmt-other-vhost");
  ASSERT_THAT(management_.CreateUser(user, "user-pw", "management", "/"), IsOk());
  QueueQuery query = QueryFor("jobs");
  query.endpoint.vhost = vhost;
  query.endpoint.username = user;
  query.endpoint.password = "user-pw";

  absl::StatusOr<QueueStats> stats = source_.Read(query, Deadline());
  management_.DeleteUser(user).IgnoreError();
  EXPECT_THAT(stats, StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("virtual host")));
}

TEST_F(ManagementStatsSourceTest, VhostAndQueueWithSpecialCharacters) {
  std::string vhost = UniqueName("team a/b");
  ASSERT_THAT(management_.DeclareVhost(vhost), IsOk());
  vhosts_.push_back(vhost);
  ASSERT_THAT(management_.GrantPermissions(vhost, "guest"), IsOk());
  std::string queue = NewQueue(UniqueName("jobs +#?%"), vhost);
  ASSERT_THAT(management_.Publish(vhost, queue, "payload", 3), IsOk());
  QueueQuery query = QueryFor(queue);
  query.endpoint.vhost = vhost;

  absl::StatusOr<QueueStats> stats =
      ReadUntil(query, [](const QueueStats& s) { return s.messages == 3; });
  ASSERT_THAT(stats, IsOk());
  EXPECT_EQ(stats->messages, 3);

  // The same vhost through an amqp:// host URL, where the vhost is one encoded path.
  absl::StatusOr<Url> amqp_url = ParseUrl(TestAmqpUrl());
  ASSERT_THAT(amqp_url, IsOk());
  absl::StatusOr<BrokerEndpoint> amqp_endpoint = ParseBrokerEndpoint(
      absl::StrCat("amqp://guest:guest@", amqp_url->host, ":", amqp_url->port, "/",
                   PercentEncodePathSegment(vhost)));
  ASSERT_THAT(amqp_endpoint, IsOk());
  EXPECT_EQ(amqp_endpoint->vhost, vhost);
  QueueQuery amqp_query{*amqp_endpoint, queue};
  AmqpStatsSource amqp_source;
  absl::StatusOr<QueueStats> amqp_stats = amqp_source.Read(amqp_query, Deadline());
  ASSERT_THAT(amqp_stats, IsOk());
  EXPECT_EQ(amqp_stats->messages_ready, 3);
}

}  // namespace
}  // namespace krs::scaler
