#include "scaler/management_stats_source.h"

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "scaler/broker_endpoint.h"
#include "tests/testing/fake_management_server.h"
#include "tests/testing/status_matchers.h"

namespace krs::scaler {
namespace {

using ::krs::testing::FakeManagementServer;
using ::krs::testing::IsOk;
using ::krs::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kFullQueueBody[] = R"({
  "name": "jobs", "vhost": "/", "messages": 12, "messages_ready": 9,
  "messages_unacknowledged": 3, "consumers": 2,
  "message_stats": {"publish": 100, "publish_details": {"rate": 4.5},
                    "deliver_get": 90, "deliver_get_details": {"rate": 2.25}}
})";

QueueQuery QueryFor(const FakeManagementServer& server, const std::string& queue,
                    const std::string& vhost = "/") {
  QueueQuery query;
  query.endpoint.protocol = BrokerProtocol::kHttp;
  query.endpoint.host = "127.0.0.1";
  query.endpoint.port = server.port();
  query.endpoint.username = "guest";
  query.endpoint.password = "s3cret-pw";
  query.endpoint.vhost = vhost;
  query.queue_name = queue;
  return query;
}

absl::Time Deadline() { return absl::Now() + absl::Seconds(5); }

void RespondJson(httplib::Response& response, const std::string& body, int status = 200) {
  response.status = status;
  response.set_content(body, "application/json");
}

TEST(ManagementStatsSource, EncodesVhostAndQueueAsPathSegments) {
  struct Case {
    std::string vhost;
    std::string queue;
    std::string path_prefix;
    std::string expected_target;
  };
  const std::vector<Case> cases = {
      {"/", "jobs", "", "/api/queues/%2F/jobs"},
      {"/", "my queue", "", "/api/queues/%2F/my%20queue"},
      {"/", "a+b#c?d", "", "/api/queues/%2F/a%2Bb%23c%3Fd"},
      {"/", "x/../../api/users", "", "/api/queues/%2F/x%2F..%2F..%2Fapi%2Fusers"},
      {"team a", "jobs", "", "/api/queues/team%20a/jobs"},
      {"/", "jobs", "/rabbitmq", "/rabbitmq/api/queues/%2F/jobs"},
  };
  for (const Case& c : cases) {
    FakeManagementServer server;
    server.SetHandler([](const httplib::Request&, httplib::Response& response) {
      RespondJson(response, kFullQueueBody);
    });
    ManagementStatsSource source;
    QueueQuery query = QueryFor(server, c.queue, c.vhost);
    query.endpoint.path_prefix = c.path_prefix;

    EXPECT_THAT(source.Read(query, Deadline()), IsOk()) << c.queue;
    std::vector<krs::testing::RecordedRequest> requests = server.requests();
    ASSERT_EQ(requests.size(), 1u) << c.queue;
    EXPECT_EQ(requests[0].method, "GET");
    EXPECT_EQ(requests[0].target, c.expected_target);
  }
}

TEST(ManagementStatsSource, DefaultVhostFromHostUrl) {
  FakeManagementServer server;
  server.SetHandler([](const httplib::Request&, httplib::Response& response) {
    RespondJson(response, kFullQueueBody);
  });
  absl::StatusOr<BrokerEndpoint> endpoint = ParseBrokerEndpoint(server.Url() + "/");
  ASSERT_THAT(endpoint, IsOk());
  QueueQuery query;
  query.endpoint = *endpoint;
  query.queue_name = "jobs";

  ManagementStatsSource source;
  ASSERT_THAT(source.Read(query, Deadline()), IsOk());
  ASSERT_EQ(server.requests().size(), 1u);
  EXPECT_EQ(server.requests()[0].target, "/api/queues/%2F/jobs");
}

TEST(ManagementStatsSource, SendsBasicAuth) {
  FakeManagementServer server;
  server.SetHandler([](const httplib::Request&, httplib::Response& response) {
    RespondJson(response, kFullQueueBody);
  });
  ManagementStatsSource source;

  ASSERT_THAT(source.Read(QueryFor(server, "jobs"), Deadline()), IsOk());
  ASSERT_EQ(server.requests().size(), 1u);
  // base64("guest:s3cret-pw")
  EXPECT_EQ(server.requests()[0].authorization, "Basic Z3Vlc3Q6czNjcmV0LXB3");
}

TEST(ManagementStatsSource, ParsesQueueFields) {
  FakeManagementServer server;
  server.SetHandler([](const httplib::Request&, httplib::Response& response) {
    RespondJson(response, kFullQueueBody);
  });
  ManagementStatsSource source;

  absl::StatusOr<QueueStats> stats = source.Read(QueryFor(server, "jobs"), Deadline());
  ASSERT_THAT(stats, IsOk());
  EXPECT_EQ(stats->messages, 12);
  EXPECT_EQ(stats->messages_ready, 9);
  EXPECT_EQ(stats->messages_unacknowledged, 3);
  EXPECT_EQ(stats->consumers, 2);
  EXPECT_DOUBLE_EQ(stats->publish_rate, 4.5);
  EXPECT_DOUBLE_EQ(stats->deliver_get_rate, 2.25);
  EXPECT_EQ(stats->queues_matched, 1);
}

TEST(ManagementStatsSource, MissingFieldsAreZero) {
  const std::vector<std::string> bodies = {
      R"({"name": "jobs"})",
      R"({"name": "jobs", "message_stats": {}})",
      R"({"name": "jobs", "message_stats": {"publish_details": {}}, "messages": null})",
      R"({"name": "jobs", "messages": "many", "message_stats": [1, 2]})",
  };
  for (const std::string& body : bodies) {
    FakeManagementServer server;
    server.SetHandler([body](const httplib::Request&, httplib::Response& response) {
      RespondJson(response, body);
    });
    ManagementStatsSource source;

    absl::StatusOr<QueueStats> stats = source.Read(QueryFor(server, "jobs"), Deadline());
    ASSERT_THAT(stats, IsOk()) << body;
    EXPECT_EQ(stats->messages, 0) << body;
    EXPECT_EQ(stats->messages_ready, 0) << body;
    EXPECT_EQ(stats->messages_unacknowledged, 0) << body;
    EXPECT_EQ(stats->consumers, 0) << body;
    EXPECT_DOUBLE_EQ(stats->publish_rate, 0) << body;
    EXPECT_DOUBLE_EQ(stats->deliver_get_rate, 0) << body;
  }
}

TEST(ManagementStatsSource, NonObjectBodyIsUnavailable) {
  for (const std::string body : {"[]", "not json", "42", ""}) {
    FakeManagementServer server;
    server.SetHandler([body](const httplib::Request&, httplib::Response& response) {
      RespondJson(response, body);
    });
    ManagementStatsSource source;

    EXPECT_THAT(source.Read(QueryFor(server, "jobs"), Deadline()),
                StatusIs(absl::StatusCode::kUnavailable, HasSubstr("JSON")))
        << body;
  }
}

// Serves `queues` (a JSON array) in pages of the requested page_size, like the management API.
void ServePages(FakeManagementServer& server, const nlohmann::json& queues) {
  server.SetHandler([queues](const httplib::Request& request, httplib::Response& response) {
    int page = std::stoi(request.get_param_value("page"));
    int page_size = std::stoi(request.get_param_value("page_size"));
    int total = static_cast<int>(queues.size());
    int page_count = (total + page_size - 1) / page_size;
    nlohmann::json items = nlohmann::json::array();
    for (int i = (page - 1) * page_size; i < std::min(total, page * page_size); ++i) {
      items.push_back(queues[i]);
    }
    nlohmann::json body = {{"items", items},         {"page", page},
                           {"page_size", page_size}, {"page_count", page_count},
                           {"filtered_count", total}, {"item_count", items.size()}};
    RespondJson(response, body.dump());
  });
}

nlohmann::json QueueJson(int messages, int ready, int consumers, double publish, double deliver) {
  return {{"name", absl::StrCat("q", messages)},
          {"messages", messages},
          {"messages_ready", ready},
          {"messages_unacknowledged", messages - ready},
          {"consumers", consumers},
          {"message_stats",
           {{"publish_details", {{"rate", publish}}},
            {"deliver_get_details", {{"rate", deliver}}}}}};
}

TEST(ManagementStatsSource, RegexReadsEveryPageAndCombines) {
  // Five queues over three pages of two. Counts: messages 10+20+5+1+4 = 40, ready
  // 10+0+5+1+0 = 16; avg uses integer division (40/5 = 8, 16/5 = 3).
  nlohmann::json queues = nlohmann::json::array({
      QueueJson(10, 10, 1, 1.0, 0.5),
      QueueJson(20, 0, 3, 2.0, 0.0),
      QueueJson(5, 5, 0, 0.0, 4.0),
      QueueJson(1, 1, 0, 0.5, 0.0),
      QueueJson(4, 0, 1, 0.0, 1.5),
  });
  struct Case {
    QueueOperation operation;
    int64_t messages;
    int64_t ready;
    int64_t consumers;
    double publish;
    double deliver;
  };
  const std::vector<Case> cases = {
      {QueueOperation::kSum, 40, 16, 5, 3.5, 6.0},
      {QueueOperation::kAvg, 8, 3, 1, 0.7, 1.2},
      {QueueOperation::kMax, 20, 10, 3, 2.0, 4.0},
  };
  for (const Case& c : cases) {
    FakeManagementServer server;
    ServePages(server, queues);
    ManagementStatsSource source;
    QueueQuery query = QueryFor(server, "^q.*");
    query.use_regex = true;
    query.page_size = 2;
    query.operation = c.operation;

    absl::StatusOr<QueueStats> stats = source.Read(query, Deadline());
    ASSERT_THAT(stats, IsOk());
    EXPECT_EQ(stats->queues_matched, 5);
    EXPECT_EQ(stats->messages, c.messages);
    EXPECT_EQ(stats->messages_ready, c.ready);
    EXPECT_EQ(stats->consumers, c.consumers);
    EXPECT_DOUBLE_EQ(stats->publish_rate, c.publish);
    EXPECT_DOUBLE_EQ(stats->deliver_get_rate, c.deliver);

    std::vector<krs::testing::RecordedRequest> requests = server.requests();
    ASSERT_EQ(requests.size(), 3u);
    for (int page = 1; page <= 3; ++page) {
      EXPECT_THAT(requests[page - 1].target,
                  HasSubstr(absl::StrCat("/api/queues/%2F?page=", page, "&page_size=2")));
      EXPECT_THAT(requests[page - 1].target, HasSubstr("name=%5Eq.%2A"));
      EXPECT_THAT(requests[page - 1].target, HasSubstr("use_regex=true"));
    }
  }
}

TEST(ManagementStatsSource, RegexWithoutMatchesIsZero) {
  FakeManagementServer server;
  ServePages(server, nlohmann::json::array());
  ManagementStatsSource source;
  QueueQuery query = QueryFor(server, "nothing-matches");
  query.use_regex = true;
  query.operation = QueueOperation::kAvg;

  absl::StatusOr<QueueStats> stats = source.Read(query, Deadline());
  ASSERT_THAT(stats, IsOk());
  EXPECT_EQ(stats->queues_matched, 0);
  EXPECT_EQ(stats->messages, 0);
  EXPECT_DOUBLE_EQ(stats->publish_rate, 0);
  EXPECT_EQ(server.requests().size(), 1u);
}

TEST(ManagementStatsSource, AbsurdPageCountFails) {
  FakeManagementServer server;
  server.SetHandler([](const httplib::Request&, httplib::Response& response) {
    RespondJson(response, R"({"items": [], "page": 1, "page_count": 1000000000})");
  });
  ManagementStatsSource source;
  QueueQuery query = QueryFor(server, ".*");
  query.use_regex = true;

  EXPECT_THAT(source.Read(query, Deadline()),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("10000 pages")));
  EXPECT_EQ(server.requests().size(), 1u);
}

TEST(ManagementStatsSource, RegexWithoutItemsIsUnavailable) {
  FakeManagementServer server;
  server.SetHandler([](const httplib::Request&, httplib::Response& response) {
    RespondJson(response, R"({"page_count": 1})");
  });
  ManagementStatsSource source;
  QueueQuery query = QueryFor(server, ".*");
  query.use_regex = true;

  EXPECT_THAT(source.Read(query, Deadline()),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("items")));
}

TEST(ManagementStatsSource, SlowAnswerExceedsDeadline) {
  FakeManagementServer server;
  server.SetHandler([](const httplib::Request&, httplib::Response& response) {
    absl::SleepFor(absl::Seconds(2));
    RespondJson(response, kFullQueueBody);
  });
  ManagementStatsSource source;

  EXPECT_THAT(source.Read(QueryFor(server, "jobs"), absl::Now() + absl::Milliseconds(300)),
              StatusIs(absl::StatusCode::kDeadlineExceeded));
}

TEST(ManagementStatsSource, PassedDeadlineSendsNothing) {
  FakeManagementServer server;
  ManagementStatsSource source;

  EXPECT_THAT(source.Read(QueryFor(server, "jobs"), absl::Now() - absl::Seconds(1)),
              StatusIs(absl::StatusCode::kDeadlineExceeded));
  EXPECT_TRUE(server.requests().empty());
}

TEST(ManagementStatsSource, MapsHttpStatus) {
  struct Case {
    int http_status;
    absl::StatusCode code;
    std::string message_part;
  };
  const std::vector<Case> cases = {
      {401, absl::StatusCode::kUnauthenticated, "credentials"},
      {403, absl::StatusCode::kPermissionDenied, "HTTP 403"},
      {400, absl::StatusCode::kInvalidArgument, "HTTP 400"},
      {405, absl::StatusCode::kInvalidArgument, "HTTP 405"},
      {500, absl::StatusCode::kUnavailable, "HTTP 500"},
      {503, absl::StatusCode::kUnavailable, "HTTP 503"},
  };
  for (const Case& c : cases) {
    FakeManagementServer server;
    server.SetHandler([&c](const httplib::Request&, httplib::Response& response) {
      RespondJson(response, R"({"error":"some_error","reason":"a reason"})", c.http_status);
    });
    ManagementStatsSource source;

    absl::StatusOr<QueueStats> stats = source.Read(QueryFor(server, "jobs"), Deadline());
    EXPECT_THAT(stats, StatusIs(c.code, HasSubstr(c.message_part))) << c.http_status;
    EXPECT_THAT(stats, StatusIs(c.code, HasSubstr("a reason"))) << c.http_status;
    EXPECT_THAT(stats, StatusIs(c.code, Not(HasSubstr("s3cret-pw")))) << c.http_status;
  }
}

TEST(ManagementStatsSource, Maps401ByReason) {
  struct Case {
    std::string body;
    absl::StatusCode code;
  };
  const std::vector<Case> cases = {
      {R"({"error":"not_authorized","reason":"Login failed"})",
       absl::StatusCode::kUnauthenticated},
      {R"({"error":"not_authorised","reason":"Not management user"})",
       absl::StatusCode::kPermissionDenied},
      {R"({"error":"not_authorised","reason":"User not authorised to access virtual host"})",
       absl::StatusCode::kPermissionDenied},
      {"unauthorized", absl::StatusCode::kUnauthenticated},
  };
  for (const Case& c : cases) {
    FakeManagementServer server;
    server.SetHandler([&c](const httplib::Request&, httplib::Response& response) {
      RespondJson(response, c.body, 401);
    });
    ManagementStatsSource source;

    EXPECT_THAT(source.Read(QueryFor(server, "jobs"), Deadline()), StatusIs(c.code)) << c.body;
  }
}

TEST(ManagementStatsSource, TruncatesLongErrorBody) {
  FakeManagementServer server;
  server.SetHandler([](const httplib::Request&, httplib::Response& response) {
    RespondJson(response, std::string(5000, 'x'), 400);
  });
  ManagementStatsSource source;

  absl::StatusOr<QueueStats> stats = source.Read(QueryFor(server, "jobs"), Deadline());
  ASSERT_THAT(stats, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_LT(stats.status().message().size(), 600u);
}

TEST(ManagementStatsSource, NotFoundNamesQueueOrVhost) {
  struct Case {
    bool vhost_exists;
    std::string message_part;
  };
  for (const Case& c : std::vector<Case>{{true, "queue not found in vhost \"/\""},
                                         {false, "vhost \"/\" not found"}}) {
    FakeManagementServer server;
    server.SetHandler([&c](const httplib::Request& request, httplib::Response& response) {
      if (request.path == "/api/vhosts//" && c.vhost_exists) {
        RespondJson(response, R"({"name": "/"})");
        return;
      }
      RespondJson(response, R"({"error":"Object Not Found","reason":"Not Found"})", 404);
    });
    ManagementStatsSource source;

    EXPECT_THAT(source.Read(QueryFor(server, "jobs"), Deadline()),
                StatusIs(absl::StatusCode::kNotFound, HasSubstr(c.message_part)));
    std::vector<krs::testing::RecordedRequest> requests = server.requests();
    ASSERT_EQ(requests.size(), 2u);
    EXPECT_EQ(requests[1].target, "/api/vhosts/%2F");
  }
}

TEST(ManagementStatsSource, RegexNotFoundIsVhost) {
  FakeManagementServer server;
  ManagementStatsSource source;
  QueueQuery query = QueryFor(server, ".*", "missing");
  query.use_regex = true;

  EXPECT_THAT(source.Read(query, Deadline()),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("vhost \"missing\" not found")));
}

TEST(ManagementStatsSource, ConnectionRefusedIsUnavailable) {
  int closed_port = 0;
  {
    FakeManagementServer server;
    closed_port = server.port();
  }
  QueueQuery query;
  query.endpoint.protocol = BrokerProtocol::kHttp;
  query.endpoint.host = "127.0.0.1";
  query.endpoint.port = closed_port;
  query.endpoint.vhost = "/";
  query.queue_name = "jobs";
  ManagementStatsSource source;

  EXPECT_THAT(source.Read(query, Deadline()), StatusIs(absl::StatusCode::kUnavailable));
}

TEST(ManagementStatsSource, RejectsAmqpEndpoint) {
  FakeManagementServer server;
  QueueQuery query = QueryFor(server, "jobs");
  query.endpoint.protocol = BrokerProtocol::kAmqp;
  ManagementStatsSource source;

  EXPECT_THAT(source.Read(query, Deadline()), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_TRUE(server.requests().empty());
}

}  // namespace
}  // namespace krs::scaler
