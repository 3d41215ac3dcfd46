#include "workloads/analyzer/analyzer_server.h"

#include <httplib.h>
#include <unistd.h>

#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace krs::workloads {
namespace {

using ::testing::HasSubstr;

constexpr char kPublished[] =
    R"({"type":"published","scenario":"s","message_id":"s-1","time":10,"event_id":"p-1"})";
constexpr char kReceived[] =
    R"({"type":"received","scenario":"s","message_id":"s-1","consumer_id":"a","time":11})";
constexpr char kCompleted[] =
    R"({"type":"completed","scenario":"s","message_id":"s-1","consumer_id":"a","time":13})";

std::string TempLogPath(const std::string& name) {
  std::string path = absl::StrCat(::testing::TempDir(), "/analyzer-", getpid(), "-", name, ".jsonl");
  unlink(path.c_str());
  return path;
}

class AnalyzerServerTest : public ::testing::Test {
 protected:
  void StartServer(const std::string& log_path, size_t max_body_bytes = 1024 * 1024) {
    server_.reset();
    AnalyzerServerOptions options;
    options.host = "127.0.0.1";
    options.port = 0;
    options.event_log_path = log_path;
    options.max_body_bytes = max_body_bytes;
    options.clock = [] { return absl::FromUnixSeconds(1000); };
    auto server = AnalyzerServer::Start(std::move(options));
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    client_ = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
  }

  httplib::Result Post(const std::string& body) {
    return client_->Post("/events", body, "application/json");
  }

  nlohmann::json Results() {
    auto response = client_->Get("/results");
    EXPECT_TRUE(response);
    EXPECT_EQ(response->status, 200);
    return nlohmann::json::parse(response->body);
  }

  std::unique_ptr<AnalyzerServer> server_;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(AnalyzerServerTest, AcceptsOneEventOrAnArray) {
  StartServer("");
  auto single = Post(kPublished);
  ASSERT_TRUE(single);
  EXPECT_EQ(single->status, 202);
  EXPECT_EQ(nlohmann::json::parse(single->body)["accepted"], 1);

  auto many = Post(absl::StrCat("[", kReceived, ",", kCompleted, "]"));
  ASSERT_TRUE(many);
  EXPECT_EQ(many->status, 202);
  EXPECT_EQ(nlohmann::json::parse(many->body)["accepted"], 2);

  nlohmann::json results = Results();
  EXPECT_EQ(results["s"]["published"], 1);
  EXPECT_EQ(results["s"]["completed"], 1);
  EXPECT_EQ(results["s"]["latency_max_seconds"], 3.0);
}

TEST_F(AnalyzerServerTest, RejectsInvalidBodiesWithReason) {
  StartServer("");
  struct Case {
    std::string body;
    const char* reason;
  };
  const Case cases[] = {
      {"{not json", "not valid JSON"},
      {R"({"type":"teleported","scenario":"s","time":1})", "unknown event type \"teleported\""},
      {R"({"type":"received","scenario":"s","message_id":"m","time":1})", "consumer_id"},
      {absl::StrCat("[", kPublished, ", 5]"), "event [1]"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.body);
    auto response = Post(c.body);
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 400);
    EXPECT_THAT(nlohmann::json::parse(response->body)["error"].get<std::string>(),
                HasSubstr(c.reason));
  }
  // The valid first element of the rejected array was not stored either.
  EXPECT_EQ(server_->event_count(), 0u);
}

TEST_F(AnalyzerServerTest, RejectsOversizedBodyWith413) {
  StartServer("", /*max_body_bytes=*/512);
  std::string big = absl::StrCat("[", kPublished);
  while (big.size() < 600) absl::StrAppend(&big, ",", kReceived);
  absl::StrAppend(&big, "]");
  auto response = Post(big);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 413);
  EXPECT_EQ(server_->event_count(), 0u);

  auto small = Post(kPublished);
  ASSERT_TRUE(small);
  EXPECT_EQ(small->status, 202);
}

TEST_F(AnalyzerServerTest, ReplaysLogAfterRestart) {
  std::string log = TempLogPath("replay");
  StartServer(log);
  ASSERT_EQ(Post(absl::StrCat("[", kPublished, ",", kReceived, ",", kCompleted, "]"))->status,
            202);
  nlohmann::json before = Results();

  StartServer(log);
  EXPECT_EQ(server_->event_count(), 3u);
  EXPECT_EQ(Results(), before);
  // The replayed event id still deduplicates a retried send.
  auto retry = Post(kPublished);
  ASSERT_TRUE(retry);
  EXPECT_EQ(nlohmann::json::parse(retry->body)["duplicates"], 1);
  EXPECT_EQ(server_->event_count(), 3u);
}

TEST_F(AnalyzerServerTest, SkipsTornLastLineAndAppendsCleanly) {
  std::string log = TempLogPath("torn");
  {
    std::ofstream file(log);
    file << kPublished << "\n" << R"({"type":"received","scenario":"s","mess)";
  }
  StartServer(log);
  EXPECT_EQ(server_->event_count(), 1u);
  ASSERT_EQ(Post(kReceived)->status, 202);

  StartServer(log);
  EXPECT_EQ(server_->event_count(), 2u);
  std::ifstream file(log);
  std::stringstream content;
  content << file.rdbuf();
  EXPECT_THAT(content.str(), ::testing::Not(HasSubstr("mess{")));
}

TEST_F(AnalyzerServerTest, RecordsReceiveTime) {
  std::string log = TempLogPath("received-at");
  StartServer(log);
  ASSERT_EQ(Post(kPublished)->status, 202);
  std::ifstream file(log);
  std::string line;
  std::getline(file, line);
  EXPECT_EQ(nlohmann::json::parse(line)["received_at"], 1000.0);
}

TEST_F(AnalyzerServerTest, ServesMessageAttemptsAndHealth) {
  StartServer("");
  ASSERT_EQ(Post(absl::StrCat("[", kPublished, ",", kReceived, ",", kCompleted, "]"))->status,
            202);
  auto message = client_->Get("/messages/s-1");
  ASSERT_TRUE(message);
  EXPECT_EQ(message->status, 200);
  nlohmann::json json = nlohmann::json::parse(message->body);
  ASSERT_EQ(json["attempts"].size(), 1u);
  EXPECT_EQ(json["attempts"][0]["outcome"], "completed");
  EXPECT_EQ(json["attempts"][0]["seconds"], 2.0);
  EXPECT_EQ(json["events"].size(), 3u);

  auto missing = client_->Get("/messages/nope");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);

  auto health = client_->Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
}

TEST(ParseEventsBody, AcceptsEmptyArray) {
  auto events = ParseEventsBody("[]");
  ASSERT_TRUE(events.ok());
  EXPECT_TRUE(events->empty());
}

}  // namespace
}  // namespace krs::workloads
