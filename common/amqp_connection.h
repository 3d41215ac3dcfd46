// AmqpConnection: an owning wrapper of one rabbitmq-c 0.11 connection (TCP or TLS) with
// deadlines on connect and on every RPC, and absl::Status errors that never show the password.
//
// rabbitmq-c is not thread-safe: one AmqpConnection must be used by one thread at a time.
// Callers that need more than this class offers (publish, consume) call rabbitmq-c directly
// through state() and report the results through CheckReply(), which keeps the channel and
// connection bookkeeping right after a broker exception.
//
//   auto options = AmqpConnectionOptions::FromUrl("amqp://guest:guest@127.0.0.1:5672/%2F");
//   auto connection = AmqpConnection::Open(*options);
//   auto status = (*connection)->OpenChannel(1);
//   auto declare_ok = (*connection)->DeclareQueuePassive(1, "jobs");
#ifndef KRS_COMMON_AMQP_CONNECTION_H_
#define KRS_COMMON_AMQP_CONNECTION_H_

#include <amqp.h>

#include <cstdint>
#include <memory>
#include <set>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace krs {

// Settings for one AMQP connection. Defaults match a local RabbitMQ with the guest user.
struct AmqpConnectionOptions {
  std::string host = "127.0.0.1";
  int port = 5672;
  std::string vhost = "/";          // decoded, e.g. "/" for the default vhost
  std::string username = "guest";
  std::string password = "guest";   // never logged or put in an error

  bool tls = false;                 // amqps://
  std::string ca_file;              // PEM CA bundle; empty uses the system CA store
  std::string cert_file;            // PEM client certificate, together with key_file
  std::string key_file;             // PEM client key, together with cert_file
  bool verify_peer = true;
  bool verify_hostname = true;

  absl::Duration connect_timeout = absl::Seconds(5);  // TCP connect, TLS and AMQP handshake
  absl::Duration rpc_timeout = absl::Seconds(5);      // each synchronous AMQP method
  int heartbeat_seconds = 0;        // 0 disables heartbeats
  int frame_max = 131072;           // bytes
  std::string connection_name;      // client property `connection_name`; empty sends none

  // Parses amqp://user:password@host:port/vhost or amqps://... . Userinfo and vhost are
  // percent-decoded once; an empty path or "/" selects the default vhost "/", and "%2F" decodes
  // to "/". The port defaults to 5672 (amqp) or 5671 (amqps). A query string is ignored.
  static absl::StatusOr<AmqpConnectionOptions> FromUrl(absl::string_view amqp_url);

  // Returns amqp[s]://user:***@host:port/vhost, for logs and errors.
  std::string Redacted() const;
};

// The reply to a passive queue.declare.
struct QueueDeclareOk {
  int64_t message_count = 0;   // ready messages only; unacknowledged ones are not counted
  int64_t consumer_count = 0;
};

// Maps a rabbitmq-c reply to a status. `operation` names the call in the message, e.g.
// "queue.declare". Socket and library errors become UNAVAILABLE, and a timeout becomes
// DEADLINE_EXCEEDED. Broker exceptions keep the broker's reply text and map by reply code:
// connection 403 (login refused) UNAUTHENTICATED, channel 403 PERMISSION_DENIED, 404 NOT_FOUND,
// 405 and 406 FAILED_PRECONDITION, 530 NOT_FOUND for a missing vhost and PERMISSION_DENIED
// otherwise, 320 UNAVAILABLE.
absl::Status StatusFromReply(const amqp_rpc_reply_t& reply, absl::string_view operation);

// Maps a rabbitmq-c status code (the int most calls return) to a status.
absl::Status StatusFromLibraryError(int library_error, absl::string_view operation);

class AmqpConnection {
 public:
  // Connects, logs in and opens the virtual host, all within options.connect_timeout.
  static absl::StatusOr<std::unique_ptr<AmqpConnection>> Open(
      const AmqpConnectionOptions& options);

  // Closes the open channels and the connection (each bounded by the RPC timeout), then frees
  // the rabbitmq-c state.
  ~AmqpConnection();

  AmqpConnection(const AmqpConnection&) = delete;
  AmqpConnection& operator=(const AmqpConnection&) = delete;

  // The raw rabbitmq-c state, for calls this class does not wrap.
  amqp_connection_state_t state() { return state_; }
  const AmqpConnectionOptions& options() const { return options_; }

  absl::Status OpenChannel(amqp_channel_t channel);
  absl::Status CloseChannel(amqp_channel_t channel);

  // Sends a passive queue.declare for `queue` on an open channel. A missing queue returns
  // NOT_FOUND and leaves the channel closed (the broker closes it); reopen it to go on.
  absl::StatusOr<QueueDeclareOk> DeclareQueuePassive(amqp_channel_t channel,
                                                     absl::string_view queue);

  // Sets the timeout of every following synchronous AMQP method; zero or negative durations
  // are raised to one millisecond. rabbitmq-c closes the connection when an RPC times out.
  absl::Status SetRpcTimeout(absl::Duration timeout);

  // Converts a reply of a raw rabbitmq-c call into a status like StatusFromReply and handles a
  // broker exception. A channel exception is acknowledged (channel.close-ok) and the channel
  // marked closed. A connection exception or a socket error marks the connection closed.
  absl::Status CheckReply(const amqp_rpc_reply_t& reply, amqp_channel_t channel,
                          absl::string_view operation);

  // Same for the int status of calls such as amqp_basic_publish: a socket-level failure marks
  // the connection closed.
  absl::Status CheckLibraryStatus(int library_error, absl::string_view operation);

  // False after a connection exception, a socket error or an RPC timeout; the object must then
  // be replaced.
  bool is_open() const { return open_; }
  bool is_channel_open(amqp_channel_t channel) const { return channels_.count(channel) > 0; }

 private:
  explicit AmqpConnection(const AmqpConnectionOptions& options);

  absl::Status Connect();
  absl::Status OpenSocket();
  // Explains a failed TLS open: untrusted certificate, wrong host name or failed handshake.
  absl::Status TlsOpenError(int library_error) const;
  absl::Status Login();

  AmqpConnectionOptions options_;
  amqp_connection_state_t state_ = nullptr;
  bool open_ = false;
  std::set<amqp_channel_t> channels_;
};

}  // namespace krs

#endif  // KRS_COMMON_AMQP_CONNECTION_H_
