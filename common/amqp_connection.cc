#include "common/amqp_connection.h"

#include <amqp_ssl_socket.h>
#include <amqp_tcp_socket.h>
#include <openssl/ssl.h>
#include <sys/time.h>

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/url.h"

namespace krs {
namespace {

constexpr int kDefaultAmqpPort = 5672;
constexpr int kDefaultAmqpsPort = 5671;

std::string BytesToString(amqp_bytes_t bytes) {
  if (bytes.bytes == nullptr) return "";
  return std::string(static_cast<const char*>(bytes.bytes), bytes.len);
}

timeval TimevalFromDuration(absl::Duration duration) {
  duration = std::max(duration, absl::Milliseconds(1));
  return absl::ToTimeval(duration);
}

std::string ServerExceptionText(const amqp_rpc_reply_t& reply, int* code) {
  if (reply.reply.id == AMQP_CONNECTION_CLOSE_METHOD && reply.reply.decoded != nullptr) {
    auto* close = static_cast<const amqp_connection_close_t*>(reply.reply.decoded);
    *code = close->reply_code;
    return BytesToString(close->reply_text);
  }
  if (reply.reply.id == AMQP_CHANNEL_CLOSE_METHOD && reply.reply.decoded != nullptr) {
    auto* close = static_cast<const amqp_channel_close_t*>(reply.reply.decoded);
    *code = close->reply_code;
    return BytesToString(close->reply_text);
  }
  *code = 0;
  return absl::StrFormat("unexpected method 0x%08x", reply.reply.id);
}

absl::StatusCode CodeForServerException(bool connection_level, int reply_code,
                                        absl::string_view text) {
  switch (reply_code) {
    case AMQP_ACCESS_REFUSED:
      return connection_level ? absl::StatusCode::kUnauthenticated
                              : absl::StatusCode::kPermissionDenied;
    case AMQP_NOT_FOUND:
      return absl::StatusCode::kNotFound;
    case AMQP_RESOURCE_LOCKED:
    case AMQP_PRECONDITION_FAILED:
      return absl::StatusCode::kFailedPrecondition;
    case AMQP_NOT_ALLOWED:
      // RabbitMQ closes the connection with 530 for both, with the text "vhost x not found"
      // for a missing vhost and "access to vhost 'x' refused for user 'y'" otherwise.
      return absl::StrContains(absl::AsciiStrToLower(text), "not found")
                 ? absl::StatusCode::kNotFound
                 : absl::StatusCode::kPermissionDenied;
    case AMQP_CONNECTION_FORCED:
    case AMQP_RESOURCE_ERROR:
      return absl::StatusCode::kUnavailable;
    case AMQP_NOT_IMPLEMENTED:
      return absl::StatusCode::kUnimplemented;
    case AMQP_CONTENT_TOO_LARGE:
      return absl::StatusCode::kResourceExhausted;
    case AMQP_NO_CONSUMERS:
      return absl::StatusCode::kFailedPrecondition;
    default:
      return absl::StatusCode::kInternal;
  }
}

// The socket-level errors after which the connection cannot be used again.
bool BreaksConnection(int library_error) {
  return library_error != AMQP_STATUS_OK && library_error != AMQP_STATUS_INVALID_PARAMETER &&
         library_error != AMQP_STATUS_TABLE_TOO_BIG && library_error != AMQP_STATUS_NO_MEMORY;
}

}  // namespace

absl::StatusOr<AmqpConnectionOptions> AmqpConnectionOptions::FromUrl(
    absl::string_view amqp_url) {
  absl::StatusOr<Url> url = ParseUrl(amqp_url);
  if (!url.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("invalid AMQP URL \"", RedactSingleUrl(amqp_url),
                                                   "\": ", url.status().message()));
  }

  AmqpConnectionOptions options;
  if (url->scheme == "amqp") {
    options.tls = false;
    options.port = kDefaultAmqpPort;
  } else if (url->scheme == "amqps") {
    options.tls = true;
    options.port = kDefaultAmqpsPort;
  } else {
    return absl::InvalidArgumentError(absl::StrCat("invalid AMQP URL \"", RedactSingleUrl(amqp_url),
                                                   "\": scheme \"", url->scheme,
                                                   "\" is not supported; use amqp or amqps"));
  }
  if (url->host.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid AMQP URL \"", RedactSingleUrl(amqp_url), "\": the host is empty"));
  }
  options.host = url->host;
  if (url->port != 0) options.port = url->port;
  // Without userinfo the defaults (guest) stay, as in the Go amqp091 client and rabbitmq-c.
  if (!url->username.empty() || url->has_password) {
    options.username = url->username;
    options.password = url->password;
  }

  // Like the Go amqp091 client: an empty path or "/" is the default vhost, "/x" is "x".
  absl::string_view raw_vhost = url->raw_path;
  if (!raw_vhost.empty()) raw_vhost.remove_prefix(1);
  absl::StatusOr<std::string> vhost = PercentDecode(raw_vhost);
  if (!vhost.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("invalid AMQP URL \"", RedactSingleUrl(amqp_url),
                                                   "\": vhost: ", vhost.status().message()));
  }
  options.vhost = vhost->empty() ? "/" : *std::move(vhost);
  return options;
}

std::string AmqpConnectionOptions::Redacted() const {
  std::string host_part = absl::StrContains(host, ':') ? absl::StrCat("[", host, "]") : host;
  std::string userinfo = username.empty() && password.empty()
                             ? ""
                             : absl::StrCat(username, password.empty() ? "" : ":***", "@");
  return absl::StrCat(tls ? "amqps" : "amqp", "://", userinfo, host_part, ":", port, "/",
                      PercentEncodePathSegment(vhost));
}

absl::Status StatusFromLibraryError(int library_error, absl::string_view operation) {
  if (library_error == AMQP_STATUS_OK) return absl::OkStatus();
  std::string message =
      absl::StrCat(operation, " failed: ", amqp_error_string2(library_error));
  switch (library_error) {
    case AMQP_STATUS_TIMEOUT:
      return absl::DeadlineExceededError(absl::StrCat(operation, " timed out"));
    case AMQP_STATUS_NO_MEMORY:
      return absl::ResourceExhaustedError(message);
    case AMQP_STATUS_BAD_URL:
    case AMQP_STATUS_INVALID_PARAMETER:
    case AMQP_STATUS_TABLE_TOO_BIG:
      return absl::InvalidArgumentError(message);
    case AMQP_STATUS_BROKER_UNSUPPORTED_SASL_METHOD:
      return absl::UnauthenticatedError(message);
    default:
      return absl::UnavailableError(message);
  }
}

absl::Status StatusFromReply(const amqp_rpc_reply_t& reply, absl::string_view operation) {
  switch (reply.reply_type) {
    case AMQP_RESPONSE_NORMAL:
      return absl::OkStatus();
    case AMQP_RESPONSE_NONE:
      return absl::InternalError(absl::StrCat(operation, " failed: no reply from rabbitmq-c"));
    case AMQP_RESPONSE_LIBRARY_EXCEPTION:
      return StatusFromLibraryError(reply.library_error, operation);
    case AMQP_RESPONSE_SERVER_EXCEPTION:
      break;
  }

  int reply_code = 0;
  std::string text = ServerExceptionText(reply, &reply_code);
  bool connection_level = reply.reply.id == AMQP_CONNECTION_CLOSE_METHOD;
  absl::StatusCode code = CodeForServerException(connection_level, reply_code, text);
  return absl::Status(code, absl::StrCat(operation, " failed: the broker closed the ",
                                         connection_level ? "connection" : "channel", ": ",
                                         text));
}

AmqpConnection::AmqpConnection(const AmqpConnectionOptions& options) : options_(options) {}

absl::StatusOr<std::unique_ptr<AmqpConnection>> AmqpConnection::Open(
    const AmqpConnectionOptions& options) {
  std::unique_ptr<AmqpConnection> connection(new AmqpConnection(options));
  absl::Status status = connection->Connect();
  if (!status.ok()) {
    return absl::Status(status.code(), absl::StrCat("connecting to ", options.Redacted(),
                                                    ": ", status.message()));
  }
  return connection;
}

absl::Status AmqpConnection::Connect() {
  state_ = amqp_new_connection();
  if (state_ == nullptr) return absl::ResourceExhaustedError("amqp_new_connection failed");

  absl::Time deadline = absl::Now() + options_.connect_timeout;
  absl::Status status = OpenSocket();
  if (!status.ok()) return status;

  timeval handshake_timeout = TimevalFromDuration(deadline - absl::Now());
  amqp_set_handshake_timeout(state_, &handshake_timeout);
  status = Login();
  if (!status.ok()) return status;

  open_ = true;
  return SetRpcTimeout(options_.rpc_timeout);
}

absl::Status AmqpConnection::OpenSocket() {
  amqp_socket_t* socket = nullptr;
  if (options_.tls) {
    if (!options_.key_file.empty() && options_.cert_file.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "the TLS client key \"", options_.key_file,
          "\" is set without a client certificate; set both or neither"));
    }
    if (!options_.cert_file.empty() && options_.key_file.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "the TLS client certificate \"", options_.cert_file,
          "\" is set without its key; set both or neither"));
    }
    socket = amqp_ssl_socket_new(state_);
    if (socket == nullptr) return absl::InternalError("creating the TLS socket failed");
    amqp_ssl_socket_set_verify_peer(socket, options_.verify_peer ? 1 : 0);
    amqp_ssl_socket_set_verify_hostname(socket, options_.verify_hostname ? 1 : 0);
    if (options_.ca_file.empty()) {
      // rabbitmq-c 0.11 trusts no CA unless one is set, so load the system store, as the
      // management API client (cpp-httplib) does.
      auto* context = static_cast<SSL_CTX*>(amqp_ssl_socket_get_context(socket));
      if (context == nullptr || SSL_CTX_set_default_verify_paths(context) != 1) {
        return absl::InternalError("loading the system CA store failed");
      }
    } else {
      int rc = amqp_ssl_socket_set_cacert(socket, options_.ca_file.c_str());
      if (rc != AMQP_STATUS_OK) {
        return absl::InvalidArgumentError(absl::StrCat("loading the CA file \"", options_.ca_file,
                                                       "\" failed: ", amqp_error_string2(rc)));
      }
    }
    if (!options_.cert_file.empty() || !options_.key_file.empty()) {
      int rc = amqp_ssl_socket_set_key(socket, options_.cert_file.c_str(),
                                       options_.key_file.c_str());
      if (rc != AMQP_STATUS_OK) {
        return absl::InvalidArgumentError(absl::StrCat(
            "loading the client certificate \"", options_.cert_file, "\" and key \"",
            options_.key_file, "\" failed: ", amqp_error_string2(rc)));
      }
    }
  } else {
    socket = amqp_tcp_socket_new(state_);
    if (socket == nullptr) return absl::InternalError("creating the TCP socket failed");
  }

  timeval timeout = TimevalFromDuration(options_.connect_timeout);
  int rc = amqp_socket_open_noblock(socket, options_.host.c_str(), options_.port, &timeout);
  if (options_.tls && rc != AMQP_STATUS_OK && rc != AMQP_STATUS_TIMEOUT) {
    return TlsOpenError(rc);
  }
  return StatusFromLibraryError(rc, "opening the socket");
}

absl::Status AmqpConnection::TlsOpenError(int library_error) const {
  const std::string trusted =
      options_.ca_file.empty() ? "the system CA store (no CA file is set)" : absl::StrCat("CA file \"", options_.ca_file, "\"");
  switch (library_error) {
    case AMQP_STATUS_SSL_PEER_VERIFY_FAILED:
      return absl::UnavailableError(absl::StrCat(
          "TLS certificate verification failed: the broker's certificate is not signed by a CA "
          "in ", trusted, "; set the broker's CA file, or unsafeSsl: true to skip the checks"));
    case AMQP_STATUS_SSL_HOSTNAME_VERIFY_FAILED:
      return absl::UnavailableError(absl::StrCat(
          "TLS host name verification failed: the broker's certificate is not valid for \"",
          options_.host, "\"; connect with a name the certificate lists, or set unsafeSsl: true "
          "to skip the checks"));
    case AMQP_STATUS_SSL_CONNECTION_FAILED:
    case AMQP_STATUS_SSL_ERROR:
      return absl::UnavailableError(absl::StrCat(
          "TLS handshake failed (", amqp_error_string2(library_error), "): the broker may not "
          "trust the client certificate or require one, or the certificate was rejected by ",
          trusted, ", or the port does not serve TLS"));
    default:
      return StatusFromLibraryError(library_error, "opening the TLS socket");
  }
}

absl::Status AmqpConnection::Login() {
  std::vector<amqp_table_entry_t> entries;
  if (!options_.connection_name.empty()) {
    amqp_table_entry_t entry;
    entry.key = amqp_cstring_bytes("connection_name");
    entry.value.kind = AMQP_FIELD_KIND_UTF8;
    entry.value.value.bytes = amqp_cstring_bytes(options_.connection_name.c_str());
    entries.push_back(entry);
  }
  amqp_table_t properties;
  properties.num_entries = static_cast<int>(entries.size());
  properties.entries = entries.empty() ? nullptr : entries.data();

  // With a client certificate and no password, authenticate by the certificate (SASL EXTERNAL),
  // as KEDA does.
  bool external = options_.tls && !options_.cert_file.empty() && options_.password.empty();
  amqp_rpc_reply_t reply =
      external ? amqp_login_with_properties(state_, options_.vhost.c_str(), 0, options_.frame_max,
                                            options_.heartbeat_seconds, &properties,
                                            AMQP_SASL_METHOD_EXTERNAL, options_.username.c_str())
               : amqp_login_with_properties(state_, options_.vhost.c_str(), 0, options_.frame_max,
                                            options_.heartbeat_seconds, &properties,
                                            AMQP_SASL_METHOD_PLAIN, options_.username.c_str(),
                                            options_.password.c_str());
  if (reply.reply_type == AMQP_RESPONSE_SERVER_EXCEPTION &&
      reply.reply.id == AMQP_CONNECTION_CLOSE_METHOD) {
    amqp_connection_close_ok_t close_ok{};
    amqp_send_method(state_, 0, AMQP_CONNECTION_CLOSE_OK_METHOD, &close_ok);
  }
  // With TLS 1.3 the broker checks the client certificate after the client's side of the
  // handshake is done, so a rejected or missing certificate shows up here as a TLS error.
  if (options_.tls && reply.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION &&
      (reply.library_error == AMQP_STATUS_SSL_ERROR ||
       reply.library_error == AMQP_STATUS_CONNECTION_CLOSED)) {
    return absl::UnavailableError(absl::StrCat(
        "login failed: ", amqp_error_string2(reply.library_error),
        "; the broker may have rejected the TLS client certificate or require one"));
  }
  return StatusFromReply(reply, "login");
}

AmqpConnection::~AmqpConnection() {
  if (state_ == nullptr) return;
  if (open_) {
    for (amqp_channel_t channel : channels_) {
      amqp_channel_close(state_, channel, AMQP_REPLY_SUCCESS);
    }
    amqp_connection_close(state_, AMQP_REPLY_SUCCESS);
  }
  amqp_destroy_connection(state_);
}

absl::Status AmqpConnection::SetRpcTimeout(absl::Duration timeout) {
  timeval value = TimevalFromDuration(timeout);
  return StatusFromLibraryError(amqp_set_rpc_timeout(state_, &value), "setting the RPC timeout");
}

absl::Status AmqpConnection::CheckLibraryStatus(int library_error, absl::string_view operation) {
  if (BreaksConnection(library_error)) open_ = false;
  return StatusFromLibraryError(library_error, operation);
}

absl::Status AmqpConnection::CheckReply(const amqp_rpc_reply_t& reply, amqp_channel_t channel,
                                        absl::string_view operation) {
  if (reply.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION) {
    return CheckLibraryStatus(reply.library_error, operation);
  }
  if (reply.reply_type == AMQP_RESPONSE_SERVER_EXCEPTION) {
    if (reply.reply.id == AMQP_CHANNEL_CLOSE_METHOD) {
      amqp_channel_close_ok_t close_ok{};
      amqp_send_method(state_, channel, AMQP_CHANNEL_CLOSE_OK_METHOD, &close_ok);
      channels_.erase(channel);
    } else if (reply.reply.id == AMQP_CONNECTION_CLOSE_METHOD) {
      amqp_connection_close_ok_t close_ok{};
      amqp_send_method(state_, 0, AMQP_CONNECTION_CLOSE_OK_METHOD, &close_ok);
      open_ = false;
      channels_.clear();
    }
  }
  return StatusFromReply(reply, operation);
}

absl::Status AmqpConnection::OpenChannel(amqp_channel_t channel) {
  if (!open_) return absl::FailedPreconditionError("channel.open: the connection is closed");
  if (channels_.count(channel) > 0) return absl::OkStatus();

  amqp_channel_open(state_, channel);
  absl::Status status = CheckReply(amqp_get_rpc_reply(state_), channel, "channel.open");
  if (status.ok()) channels_.insert(channel);
  return status;
}

absl::Status AmqpConnection::CloseChannel(amqp_channel_t channel) {
  if (channels_.count(channel) == 0) return absl::OkStatus();
  if (!open_) {
    channels_.erase(channel);
    return absl::OkStatus();
  }

  amqp_rpc_reply_t reply = amqp_channel_close(state_, channel, AMQP_REPLY_SUCCESS);
  channels_.erase(channel);
  return CheckReply(reply, channel, "channel.close");
}

absl::StatusOr<QueueDeclareOk> AmqpConnection::DeclareQueuePassive(amqp_channel_t channel,
                                                                   absl::string_view queue) {
  if (!open_) return absl::FailedPreconditionError("queue.declare: the connection is closed");
  if (channels_.count(channel) == 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("queue.declare: channel ", channel, " is not open"));
  }

  amqp_bytes_t name;
  name.bytes = const_cast<char*>(queue.data());
  name.len = queue.size();
  amqp_queue_declare_ok_t* declare_ok =
      amqp_queue_declare(state_, channel, name, /*passive=*/1, /*durable=*/0, /*exclusive=*/0,
                         /*auto_delete=*/0, amqp_empty_table);
  absl::Status status = CheckReply(amqp_get_rpc_reply(state_), channel, "queue.declare");
  if (!status.ok()) return status;
  if (declare_ok == nullptr) return absl::InternalError("queue.declare returned no reply");

  QueueDeclareOk result;
  result.message_count = declare_ok->message_count;
  result.consumer_count = declare_ok->consumer_count;
  amqp_maybe_release_buffers_on_channel(state_, channel);
  return result;
}

}  // namespace krs
