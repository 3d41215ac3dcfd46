#include "workloads/common/event_reporter.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "workloads/analyzer/analyzer_server.h"

namespace krs::workloads {
namespace {

// Returns a port that was free a moment ago (bind to port 0, read it, close).
int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
  socklen_t length = sizeof(address);
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  close(fd);
  return ntohs(address.sin_port);
}

std::unique_ptr<AnalyzerServer> StartAnalyzer(int port) {
  AnalyzerServerOptions options;
  options.host = "127.0.0.1";
  options.port = port;
  auto server = AnalyzerServer::Start(std::move(options));
  EXPECT_TRUE(server.ok()) << server.status();
  return server.ok() ? *std::move(server) : nullptr;
}

std::unique_ptr<EventReporter> MakeReporter(int port, size_t capacity = 10000,
                                            size_t batch_size = 7) {
  EventReporterOptions options;
  options.analyzer_url = absl::StrCat("http://127.0.0.1:", port);
  options.buffer_capacity = capacity;
  options.batch_size = batch_size;
  options.max_backoff = absl::Milliseconds(200);
  options.request_timeout = absl::Seconds(2);
  options.event_id_prefix = "test";
  auto reporter = EventReporter::Create(std::move(options));
  EXPECT_TRUE(reporter.ok()) << reporter.status();
  return *std::move(reporter);
}

Event Published(int n) {
  Event event;
  event.type = EventType::kPublished;
  event.scenario = "s";
  event.message_id = absl::StrCat("s-", n);
  event.time = n;
  return event;
}

TEST(EventReporter, DeliversEverythingReported) {
  int port = FreePort();
  auto analyzer = StartAnalyzer(port);
  ASSERT_NE(analyzer, nullptr);
  auto reporter = MakeReporter(port);
  for (int i = 1; i <= 50; ++i) reporter->Report(Published(i));

  EXPECT_EQ(reporter->Flush(absl::Seconds(10)), 0u);
  EXPECT_EQ(analyzer->event_count(), 50u);
  EXPECT_EQ(reporter->delivered(), 50);
  EXPECT_EQ(reporter->dropped(), 0);
}

TEST(EventReporter, BuffersWhileAnalyzerIsDown) {
  int port = FreePort();
  auto reporter = MakeReporter(port);
  for (int i = 1; i <= 30; ++i) reporter->Report(Published(i));
  EXPECT_EQ(reporter->Flush(absl::Milliseconds(300)), 30u);

  auto analyzer = StartAnalyzer(port);
  ASSERT_NE(analyzer, nullptr);
  EXPECT_EQ(reporter->Flush(absl::Seconds(10)), 0u);
  EXPECT_EQ(analyzer->event_count(), 30u);
  EXPECT_EQ(reporter->dropped(), 0);
}

// The sender may hold one event (batch size 1) outside the buffer of 5 while the analyzer is
// down, so 2 or 3 of the 8 events are dropped. Each event is either delivered or dropped,
// never both.
TEST(EventReporter, DropsOldestWhenBufferIsFull) {
  int port = FreePort();
  auto reporter = MakeReporter(port, /*capacity=*/5, /*batch_size=*/1);
  for (int i = 1; i <= 8; ++i) reporter->Report(Published(i));
  EXPECT_GE(reporter->dropped(), 2);
  EXPECT_LE(reporter->dropped(), 3);
  EXPECT_EQ(static_cast<int64_t>(reporter->buffered()) + reporter->dropped(), 8);

  auto analyzer = StartAnalyzer(port);
  ASSERT_NE(analyzer, nullptr);
  EXPECT_EQ(reporter->Flush(absl::Seconds(10)), 0u);
  EXPECT_EQ(reporter->delivered() + reporter->dropped(), 8);
  auto http = httplib::Client("127.0.0.1", port).Get("/results");
  ASSERT_TRUE(http);
  EXPECT_EQ(http->status, 200);
  EXPECT_EQ(nlohmann::json::parse(http->body)["s"]["published"], reporter->delivered());
}

TEST(EventReporter, RejectsInvalidUrl) {
  for (const char* url : {"127.0.0.1:8080", "ftp://host:1", "http://"}) {
    SCOPED_TRACE(url);
    EventReporterOptions options;
    options.analyzer_url = url;
    EXPECT_FALSE(EventReporter::Create(options).ok());
  }
}

TEST(EventReporter, EmptyUrlGivesNullSink) {
  auto sink = MakeEventSink(EventReporterOptions{});
  ASSERT_TRUE(sink.ok());
  (*sink)->Report(Published(1));
  EXPECT_EQ((*sink)->Flush(absl::ZeroDuration()), 0u);
}

}  // namespace
}  // namespace krs::workloads
