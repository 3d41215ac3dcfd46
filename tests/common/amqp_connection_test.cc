#include "common/amqp_connection.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace krs {
namespace {

using ::krs::testing::IsOk;
using ::krs::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

TEST(AmqpConnectionOptions, FromUrlParsesParts) {
  struct Case {
    std::string url;
    bool tls;
    std::string host;
    int port;
    std::string vhost;
    std::string username;
    std::string password;
  };
  const std::vector<Case> cases = {
      {"amqp://guest:guest@127.0.0.1:5672/%2F", false, "127.0.0.1", 5672, "/", "guest", "guest"},
      {"amqp://u:p@rabbit", false, "rabbit", 5672, "/", "u", "p"},
      {"amqp://u:p@rabbit/", false, "rabbit", 5672, "/", "u", "p"},
      {"amqps://u:p@rabbit", true, "rabbit", 5671, "/", "u", "p"},
      {"AMQPS://u:p@rabbit:6000/orders", true, "rabbit", 6000, "orders", "u", "p"},
      {"amqp://us%40er:p%3Aw%2Fd@rabbit/my%20vhost", false, "rabbit", 5672, "my vhost", "us@er",
       "p:w/d"},
      {"amqp://rabbit", false, "rabbit", 5672, "/", "guest", "guest"},
      {"amqp://u:p@[::1]:5673/x?heartbeat=10", false, "::1", 5673, "x", "u", "p"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<AmqpConnectionOptions> options = AmqpConnectionOptions::FromUrl(c.url);
    ASSERT_THAT(options, IsOk()) << c.url;
    EXPECT_EQ(options->tls, c.tls) << c.url;
    EXPECT_EQ(options->host, c.host) << c.url;
    EXPECT_EQ(options->port, c.port) << c.url;
    EXPECT_EQ(options->vhost, c.vhost) << c.url;
    EXPECT_EQ(options->username, c.username) << c.url;
    EXPECT_EQ(options->password, c.password) << c.url;
  }
}

TEST(AmqpConnectionOptions, FromUrlRejectsInvalidUrls) {
  const std::vector<std::string> urls = {
      "http://u:secret-pw@rabbit/",
      "rabbit:5672",
      "amqp://u:secret-pw@rabbit:notaport/",
      "amqp://u:secret-pw@rabbit/%zz",
      "amqp://u:secret-pw@/vhost",
  };
  for (const std::string& url : urls) {
    absl::StatusOr<AmqpConnectionOptions> options = AmqpConnectionOptions::FromUrl(url);
    EXPECT_THAT(options, StatusIs(absl::StatusCode::kInvalidArgument)) << url;
    EXPECT_THAT(options, StatusIs(absl::StatusCode::kInvalidArgument, Not(HasSubstr("secret-pw"))))
        << url;
  }
}

TEST(AmqpConnectionOptions, RedactedHidesPassword) {
  absl::StatusOr<AmqpConnectionOptions> options =
      AmqpConnectionOptions::FromUrl("amqps://user:secret-pw@rabbit:5671/%2F");
  ASSERT_THAT(options, IsOk());

  EXPECT_EQ(options->Redacted(), "amqps://user:***@rabbit:5671/%2F");
}

amqp_rpc_reply_t LibraryError(int error) {
  amqp_rpc_reply_t reply{};
  reply.reply_type = AMQP_RESPONSE_LIBRARY_EXCEPTION;
  reply.library_error = error;
  return reply;
}

// Holds the decoded close method that a server-exception reply points to.
struct ServerException {
  amqp_connection_close_t connection_close{};
  amqp_channel_close_t channel_close{};
  amqp_rpc_reply_t reply{};

  ServerException(bool connection_level, int code, const char* text) {
    reply.reply_type = AMQP_RESPONSE_SERVER_EXCEPTION;
    if (connection_level) {
      connection_close.reply_code = static_cast<uint16_t>(code);
      connection_close.reply_text = amqp_cstring_bytes(text);
      reply.reply.id = AMQP_CONNECTION_CLOSE_METHOD;
      reply.reply.decoded = &connection_close;
    } else {
      channel_close.reply_code = static_cast<uint16_t>(code);
      channel_close.reply_text = amqp_cstring_bytes(text);
      reply.reply.id = AMQP_CHANNEL_CLOSE_METHOD;
      reply.reply.decoded = &channel_close;
    }
  }
};

TEST(StatusFromReply, MapsLibraryErrors) {
  amqp_rpc_reply_t normal{};
  normal.reply_type = AMQP_RESPONSE_NORMAL;

  EXPECT_THAT(StatusFromReply(normal, "queue.declare"), IsOk());
  EXPECT_THAT(StatusFromReply(LibraryError(AMQP_STATUS_TIMEOUT), "queue.declare"),
              StatusIs(absl::StatusCode::kDeadlineExceeded, HasSubstr("queue.declare")));
  EXPECT_THAT(StatusFromReply(LibraryError(AMQP_STATUS_SOCKET_ERROR), "login"),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("login")));
  EXPECT_THAT(StatusFromReply(LibraryError(AMQP_STATUS_CONNECTION_CLOSED), "login"),
              StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(StatusFromReply(LibraryError(AMQP_STATUS_SSL_CONNECTION_FAILED), "login"),
              StatusIs(absl::StatusCode::kUnavailable));
}

TEST(StatusFromReply, MapsBrokerExceptions) {
  struct Case {
    bool connection_level;
    int code;
    const char* text;
    absl::StatusCode expected;
  };
  const std::vector<Case> cases = {
      {true, 403, "ACCESS_REFUSED - Login was refused", absl::StatusCode::kUnauthenticated},
      {false, 403, "ACCESS_REFUSED - access to queue 'q' refused",
       absl::StatusCode::kPermissionDenied},
      {false, 404, "NOT_FOUND - no queue 'q' in vhost '/'", absl::StatusCode::kNotFound},
      {false, 405, "RESOURCE_LOCKED - exclusive queue", absl::StatusCode::kFailedPrecondition},
      {false, 406, "PRECONDITION_FAILED - delivery acknowledgement timed out",
       absl::StatusCode::kFailedPrecondition},
      {true, 530, "NOT_ALLOWED - vhost orders not found", absl::StatusCode::kNotFound},
      {true, 530, "NOT_ALLOWED - access to vhost 'orders' refused for user 'u'",
       absl::StatusCode::kPermissionDenied},
      {true, 320, "CONNECTION_FORCED - broker forced connection closure",
       absl::StatusCode::kUnavailable},
  };
  for (const Case& c : cases) {
    ServerException exception(c.connection_level, c.code, c.text);

    EXPECT_THAT(StatusFromReply(exception.reply, "queue.declare"),
                StatusIs(c.expected, HasSubstr(c.text)))
        << c.code << " " << c.text;
  }
}

TEST(AmqpConnection, OpenFailsOnClosedPortWithoutPassword) {
  AmqpConnectionOptions options;
  options.host = "127.0.0.1";
  options.port = 1;  // nothing listens on port 1 of 127.0.0.1
  options.password = "secret-pw";

  absl::StatusOr<std::unique_ptr<AmqpConnection>> connection = AmqpConnection::Open(options);
  EXPECT_THAT(connection, StatusIs(absl::StatusCode::kUnavailable, HasSubstr("127.0.0.1:1")));
  EXPECT_THAT(connection, StatusIs(absl::StatusCode::kUnavailable, Not(HasSubstr("secret-pw"))));
}

}  // namespace
}  // namespace krs
