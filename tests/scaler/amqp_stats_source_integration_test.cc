// AmqpStatsSource against the real RabbitMQ of scripts/rabbitmq.sh (RMQ_AMQP_URL, RMQ_HTTP_URL).
#include "scaler/amqp_stats_source.h"

#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/amqp_connection.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "scaler/broker_endpoint.h"
#include "scaler/management_stats_source.h"
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

class AmqpStatsSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_THAT(management_.CheckReachable(), IsOk());
    absl::StatusOr<BrokerEndpoint> endpoint = ParseBrokerEndpoint(TestAmqpUrl());
    ASSERT_THAT(endpoint, IsOk());
    endpoint_ = *endpoint;
  }

  void TearDown() override {
    for (const std::string& queue : queues_) management_.DeleteQueue("/", queue).IgnoreError();
  }

  std::string NewQueue(absl::string_view prefix) {
    std::string queue = UniqueName(prefix);
    EXPECT_THAT(management_.DeclareQueue("/", queue), IsOk());
    queues_.push_back(queue);
    return queue;
  }

  QueueQuery QueryFor(const std::string& queue) const {
    QueueQuery query;
    query.endpoint = endpoint_;
    query.queue_name = queue;
    return query;
  }

  // Options with a connection name no other test process uses, so connection counts are ours.
  AmqpStatsSourceOptions UniqueOptions() const {
    AmqpStatsSourceOptions options;
    options.connection_name = UniqueName("krs-amqp-stats-test");
    return options;
  }

  // Returns the broker's name of the only connection named `connection_name`, waiting for the
  // management API to list it; "" when none or several are listed.
  std::string ListedConnection(const std::string& connection_name) {
    std::string name;
    Eventually([&] {
      absl::StatusOr<nlohmann::json> connections = management_.ListConnections();
      if (!connections.ok()) return false;
      int matches = 0;
      for (const nlohmann::json& connection : *connections) {
        if (connection["client_properties"].value("connection_name", "") == connection_name) {
          name = connection.value("name", "");
          ++matches;
        }
      }
      if (matches != 1) name.clear();
      return matches == 1;
    });
    return name;
  }

  ManagementClient management_;
  BrokerEndpoint endpoint_;
  std::vector<std::string> queues_;
};

TEST_F(AmqpStatsSourceTest, CountsReadyMessagesOnly) {
  std::string queue = NewQueue("amqp-ready");
  ASSERT_THAT(management_.Publish("/", queue, "payload", 5), IsOk());
  absl::StatusOr<std::unique_ptr<AmqpConnection>> consumer =
      krs::testing::StartHoldingConsumer(TestAmqpUrl(), queue, /*prefetch=*/2);
  ASSERT_THAT(consumer, IsOk());
  AmqpStatsSource source(UniqueOptions());

  absl::StatusOr<QueueStats> stats;
  bool settled = Eventually([&] {
    stats = source.Read(QueryFor(queue), Deadline());
    return stats.ok() && stats->messages_ready == 3;
  });
  ASSERT_THAT(stats, IsOk());
  EXPECT_TRUE(settled) << "messages_ready stayed " << stats->messages_ready;
  EXPECT_EQ(stats->messages_ready, 3);
  EXPECT_EQ(stats->messages, 3);
  EXPECT_EQ(stats->messages_unacknowledged, 0);
  EXPECT_EQ(stats->consumers, 1);
  EXPECT_DOUBLE_EQ(stats->publish_rate, 0);
  EXPECT_EQ(source.open_connections(), 1);
}

TEST_F(AmqpStatsSourceTest, MissingQueueThenChannelRecovers) {
  std::string queue = NewQueue("amqp-present");
  ASSERT_THAT(management_.Publish("/", queue, "payload", 2), IsOk());
  AmqpStatsSource source(UniqueOptions());
  std::string missing = UniqueName("amqp-missing");

  EXPECT_THAT(source.Read(QueryFor(missing), Deadline()),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr(missing)));
  absl::StatusOr<QueueStats> stats = source.Read(QueryFor(queue), Deadline());
  ASSERT_THAT(stats, IsOk());
  EXPECT_EQ(stats->messages_ready, 2);
  EXPECT_EQ(source.open_connections(), 1);
}

TEST_F(AmqpStatsSourceTest, MissingVhostIsNotFound) {
  AmqpStatsSource source(UniqueOptions());
  QueueQuery query = QueryFor("jobs");
  query.endpoint.vhost = UniqueName("missing-vhost");

  EXPECT_THAT(source.Read(query, Deadline()),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr(query.endpoint.vhost)));
  EXPECT_EQ(source.open_connections(), 0);
}

TEST_F(AmqpStatsSourceTest, WrongPasswordIsUnauthenticated) {
  AmqpStatsSource source(UniqueOptions());
  QueueQuery query = QueryFor("jobs");
  query.endpoint.password = "wrong-Pa55word";

  absl::StatusOr<QueueStats> first = source.Read(query, Deadline());
  EXPECT_THAT(first, StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(first, StatusIs(absl::StatusCode::kUnauthenticated, Not(HasSubstr("wrong-Pa55word"))));
  EXPECT_THAT(first, StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("***")));

  // While in backoff the answer comes without a new attempt and keeps its code.
  absl::StatusOr<QueueStats> second = source.Read(query, Deadline());
  EXPECT_THAT(second, StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("backoff")));
  EXPECT_THAT(second, StatusIs(absl::StatusCode::kUnauthenticated, Not(HasSubstr("wrong-Pa55word"))));
}

TEST_F(AmqpStatsSourceTest, ConnectionCountFlatOverMissingQueueReads) {
  constexpr int kReads = 1000;
  AmqpStatsSourceOptions options = UniqueOptions();
  AmqpStatsSource source(options);
  QueueQuery query = QueryFor(UniqueName("amqp-never-declared"));

  ASSERT_THAT(source.Read(query, Deadline()), StatusIs(absl::StatusCode::kNotFound));
  std::string first_connection = ListedConnection(options.connection_name);
  ASSERT_FALSE(first_connection.empty()) << "no connection named " << options.connection_name;

  for (int i = 1; i < kReads; ++i) {
    ASSERT_THAT(source.Read(query, Deadline()), StatusIs(absl::StatusCode::kNotFound))
        << "read " << i;
  }
  EXPECT_EQ(source.open_connections(), 1);

  // The same single connection (the broker names it after the client port) is still the only
  // one, with at most one channel open.
  absl::StatusOr<nlohmann::json> connections = management_.ListConnections();
  ASSERT_THAT(connections, IsOk());
  int count = 0;
  for (const nlohmann::json& connection : *connections) {
    if (connection["client_properties"].value("connection_name", "") != options.connection_name) {
      continue;
    }
    ++count;
    EXPECT_EQ(connection.value("name", ""), first_connection);
    EXPECT_LE(connection.value("channels", 0), 1) << connection.dump();
  }
  EXPECT_EQ(count, 1);
}

TEST_F(AmqpStatsSourceTest, ConcurrentReadsShareOneConnection) {
  constexpr int kThreads = 8;
  std::string queue = NewQueue("amqp-concurrent");
  ASSERT_THAT(management_.Publish("/", queue, "payload", 4), IsOk());
  AmqpStatsSource source(UniqueOptions());

  std::vector<absl::StatusOr<QueueStats>> results(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      for (int j = 0; j < 20; ++j) results[i] = source.Read(QueryFor(queue), Deadline());
    });
  }
  for (std::thread& thread : threads) thread.join();

  for (int i = 0; i < kThreads; ++i) {
    ASSERT_THAT(results[i], IsOk()) << "thread " << i;
    EXPECT_EQ(results[i]->messages_ready, 4) << "thread " << i;
  }
  EXPECT_EQ(source.open_connections(), 1);
}

TEST_F(AmqpStatsSourceTest, RejectsRegexAndHttp) {
  AmqpStatsSource source(UniqueOptions());
  QueueQuery regex = QueryFor(".*");
  regex.use_regex = true;
  QueueQuery http = QueryFor("jobs");
  http.endpoint.protocol = BrokerProtocol::kHttp;

  EXPECT_THAT(source.Read(regex, Deadline()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("http")));
  EXPECT_THAT(source.Read(http, Deadline()), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(source.open_connections(), 0);
}

TEST_F(AmqpStatsSourceTest, PassedDeadlineIsDeadlineExceeded) {
  AmqpStatsSource source(UniqueOptions());

  EXPECT_THAT(source.Read(QueryFor("jobs"), absl::Now() - absl::Seconds(1)),
              StatusIs(absl::StatusCode::kDeadlineExceeded));
}

TEST_F(AmqpStatsSourceTest, UnreachableBrokerFailsFastInBackoff) {
  AmqpStatsSourceOptions options = UniqueOptions();
  options.initial_backoff = absl::Minutes(1);
  AmqpStatsSource source(options);
  QueueQuery query = QueryFor("jobs");
  query.endpoint.port = 1;  // nothing listens on port 1 of 127.0.0.1

  EXPECT_THAT(source.Read(query, Deadline()), StatusIs(absl::StatusCode::kUnavailable));
  absl::StatusOr<QueueStats> second = source.Read(query, Deadline());
  EXPECT_THAT(second, StatusIs(absl::StatusCode::kUnavailable, HasSubstr("backoff until")));
  EXPECT_THAT(second, StatusIs(absl::StatusCode::kUnavailable, HasSubstr("127.0.0.1:1")));
}

// A broker of its own, started and stopped through scripts/rabbitmq.sh, so that stopping it
// does not disturb the other tests. The destructor stops it even when the test fails.
// Its ports lie below Linux's default ephemeral range, 32768 to 60999. The node restarts while
// other suites open client connections, and one of those could hold a port in that range.
class OwnBroker {
 public:
  static constexpr int kAmqpPort = 27672;
  static constexpr int kHttpPort = 27673;
  static constexpr int kDistPort = 27674;

  OwnBroker() {
    const char* source_dir = std::getenv("KRS_SOURCE_DIR");
    script_ = absl::StrCat(source_dir != nullptr ? source_dir : ".", "/scripts/rabbitmq.sh");
  }
  ~OwnBroker() { Run("stop"); }

  bool Run(absl::string_view action) {
    // RMQ_DIR is cleared because `scripts/rabbitmq.sh env` exports the test broker's folder,
    // which holds that broker's pid file and configuration.
    std::string command = absl::StrCat("env -u RMQ_DIR RMQ_NODE=recovery RMQ_AMQP_PORT=", kAmqpPort,
                                       " RMQ_HTTP_PORT=", kHttpPort,
                                       " RMQ_DIST_PORT=", kDistPort, " bash ", script_, " ",
                                       action, " >&2");
    return std::system(command.c_str()) == 0;
  }
  const std::string& script() const { return script_; }

 private:
  std::string script_;
};

TEST(StatsSourceRecovery, BrokerRestartRecoversWithoutNewSource) {
  OwnBroker broker;
  ASSERT_TRUE(broker.Run("start")) << "starting a broker with " << broker.script()
                                   << " failed; set KRS_SOURCE_DIR to the repository root";
  ManagementClient management(absl::StrCat("http://guest:guest@127.0.0.1:", OwnBroker::kHttpPort));
  std::string queue = UniqueName("recovery");
  ASSERT_THAT(management.DeclareQueue("/", queue), IsOk());

  absl::StatusOr<BrokerEndpoint> amqp_endpoint =
      ParseBrokerEndpoint(absl::StrCat("amqp://guest:guest@127.0.0.1:", OwnBroker::kAmqpPort, "/"));
  absl::StatusOr<BrokerEndpoint> http_endpoint =
      ParseBrokerEndpoint(absl::StrCat("http://guest:guest@127.0.0.1:", OwnBroker::kHttpPort, "/"));
  ASSERT_THAT(amqp_endpoint, IsOk());
  ASSERT_THAT(http_endpoint, IsOk());
  QueueQuery amqp_query{*amqp_endpoint, queue};
  QueueQuery http_query{*http_endpoint, queue};

  AmqpStatsSourceOptions options;
  options.connection_name = UniqueName("krs-recovery-test");
  options.initial_backoff = absl::Milliseconds(100);
  options.max_backoff = absl::Seconds(1);
  AmqpStatsSource amqp_source(options);
  ManagementStatsSource http_source;
  ASSERT_THAT(amqp_source.Read(amqp_query, Deadline()), IsOk());
  ASSERT_THAT(http_source.Read(http_query, Deadline()), IsOk());

  ASSERT_TRUE(broker.Run("stop"));
  EXPECT_THAT(amqp_source.Read(amqp_query, Deadline()), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(http_source.Read(http_query, Deadline()), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(amqp_source.open_connections(), 0);

  ASSERT_TRUE(broker.Run("start"));
  // The queue is not durable, so the restarted broker needs it declared again.
  ASSERT_THAT(management.DeclareQueue("/", queue), IsOk());
  absl::StatusOr<QueueStats> amqp_stats;
  EXPECT_TRUE(Eventually(
      [&] {
        amqp_stats = amqp_source.Read(amqp_query, Deadline());
        return amqp_stats.ok();
      },
      absl::Seconds(30)))
      << amqp_stats.status();
  EXPECT_THAT(http_source.Read(http_query, Deadline()), IsOk());
  EXPECT_EQ(amqp_source.open_connections(), 1);
}

}  // namespace
}  // namespace krs::scaler
