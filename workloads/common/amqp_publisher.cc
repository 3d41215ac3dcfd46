#include "workloads/common/amqp_publisher.h"

#include <sys/time.h>

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace krs::workloads {

amqp_bytes_t BytesOf(absl::string_view text) {
  amqp_bytes_t bytes;
  bytes.len = text.size();
  bytes.bytes = const_cast<char*>(text.data());
  return bytes;
}

std::string StringOf(amqp_bytes_t bytes) {
  if (bytes.bytes == nullptr) return "";
  return std::string(static_cast<const char*>(bytes.bytes), bytes.len);
}

absl::Status DeclareJobTopology(AmqpConnection& connection, amqp_channel_t channel,
                                const JobTopology& topology) {
  amqp_connection_state_t state = connection.state();
  amqp_exchange_declare(state, channel, BytesOf(topology.exchange), amqp_cstring_bytes("direct"),
                        /*passive=*/0, /*durable=*/1, /*auto_delete=*/0, /*internal=*/0,
                        amqp_empty_table);
  absl::Status status = connection.CheckReply(amqp_get_rpc_reply(state), channel,
                                              absl::StrCat("exchange.declare ", topology.exchange));
  if (!status.ok()) return status;

  amqp_queue_declare(state, channel, BytesOf(topology.queue), /*passive=*/0, /*durable=*/1,
                     /*exclusive=*/0, /*auto_delete=*/0, amqp_empty_table);
  status = connection.CheckReply(amqp_get_rpc_reply(state), channel,
                                 absl::StrCat("queue.declare ", topology.queue));
  if (!status.ok()) return status;

  amqp_queue_bind(state, channel, BytesOf(topology.queue), BytesOf(topology.exchange),
                  BytesOf(topology.routing_key), amqp_empty_table);
  return connection.CheckReply(amqp_get_rpc_reply(state), channel,
                               absl::StrCat("queue.bind ", topology.queue));
}

absl::StatusOr<ConfirmingPublisher> ConfirmingPublisher::Create(AmqpConnection& connection,
                                                                amqp_channel_t channel) {
  amqp_confirm_select(connection.state(), channel);
  absl::Status status =
      connection.CheckReply(amqp_get_rpc_reply(connection.state()), channel, "confirm.select");
  if (!status.ok()) return status;
  return ConfirmingPublisher(connection, channel);
}

absl::Status ConfirmingPublisher::Publish(absl::string_view exchange,
                                          absl::string_view routing_key,
                                          absl::string_view message_id, absl::string_view body) {
  amqp_basic_properties_t properties{};
  properties._flags = AMQP_BASIC_DELIVERY_MODE_FLAG | AMQP_BASIC_CONTENT_TYPE_FLAG |
                      AMQP_BASIC_MESSAGE_ID_FLAG;
  properties.delivery_mode = AMQP_DELIVERY_PERSISTENT;
  properties.content_type = amqp_cstring_bytes("application/json");
  properties.message_id = BytesOf(message_id);

  int rc = amqp_basic_publish(connection_->state(), channel_, BytesOf(exchange),
                              BytesOf(routing_key), /*mandatory=*/1, /*immediate=*/0,
                              &properties, BytesOf(body));
  absl::Status status = connection_->CheckLibraryStatus(rc, "basic.publish");
  if (!status.ok()) return status;
  outstanding_[next_delivery_tag_++] = std::string(message_id);

  // Drain what is already buffered so confirms do not pile up during a burst.
  return ProcessOneFrame(absl::ZeroDuration());
}

absl::Status ConfirmingPublisher::WaitForConfirms(absl::Duration wait) {
  absl::Time deadline = absl::Now() + wait;
  while (true) {
    absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) return absl::OkStatus();
    if (outstanding_.empty()) return absl::OkStatus();
    absl::Status status = ProcessOneFrame(std::min(left, absl::Milliseconds(200)));
    if (!status.ok()) return status;
  }
}

absl::Status ConfirmingPublisher::Pump(absl::Duration wait) {
  absl::Time deadline = absl::Now() + wait;
  while (true) {
    absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) return absl::OkStatus();
    absl::Status status = ProcessOneFrame(std::min(left, absl::Milliseconds(200)));
    if (!status.ok()) return status;
  }
}

void ConfirmingPublisher::Settle(uint64_t delivery_tag, bool multiple, bool ok) {
  auto end = multiple ? outstanding_.upper_bound(delivery_tag) : outstanding_.find(delivery_tag);
  auto begin = multiple ? outstanding_.begin() : end;
  if (!multiple) {
    if (end == outstanding_.end()) return;
    ++end;
  }
  for (auto it = begin; it != end; ++it) {
    bool was_returned =
        std::find(returned_ids_.begin(), returned_ids_.end(), it->second) != returned_ids_.end();
    if (ok && !was_returned) {
      ++confirmed_;
    } else {
      failed_ids_.push_back(it->second);
    }
  }
  outstanding_.erase(begin, end);
}

absl::Status ConfirmingPublisher::ProcessOneFrame(absl::Duration timeout) {
  amqp_connection_state_t state = connection_->state();
  timeval tv = absl::ToTimeval(timeout);
  amqp_frame_t frame;
  int rc = amqp_simple_wait_frame_noblock(state, &frame, &tv);
  if (rc == AMQP_STATUS_TIMEOUT) return absl::OkStatus();
  if (rc != AMQP_STATUS_OK) return connection_->CheckLibraryStatus(rc, "waiting for confirms");
  if (frame.frame_type != AMQP_FRAME_METHOD) return absl::OkStatus();

  switch (frame.payload.method.id) {
    case AMQP_BASIC_ACK_METHOD: {
      auto* ack = static_cast<amqp_basic_ack_t*>(frame.payload.method.decoded);
      Settle(ack->delivery_tag, ack->multiple != 0, /*ok=*/true);
      break;
    }
    case AMQP_BASIC_NACK_METHOD: {
      auto* nack = static_cast<amqp_basic_nack_t*>(frame.payload.method.decoded);
      Settle(nack->delivery_tag, nack->multiple != 0, /*ok=*/false);
      break;
    }
    case AMQP_BASIC_RETURN_METHOD: {
      // The returned message's header and body frames follow; read them to stay in sync.
      amqp_message_t message;
      amqp_rpc_reply_t reply = amqp_read_message(state, frame.channel, &message, 0);
      absl::Status status = connection_->CheckReply(reply, channel_, "reading basic.return");
      if (!status.ok()) return status;
      returned_ids_.push_back(StringOf(message.properties.message_id));
      amqp_destroy_message(&message);
      break;
    }
    case AMQP_CHANNEL_CLOSE_METHOD:
    case AMQP_CONNECTION_CLOSE_METHOD: {
      amqp_rpc_reply_t reply{};
      reply.reply_type = AMQP_RESPONSE_SERVER_EXCEPTION;
      reply.reply = frame.payload.method;
      return connection_->CheckReply(reply, channel_, "waiting for confirms");
    }
    default:
      break;
  }
  amqp_maybe_release_buffers_on_channel(state, channel_);
  return absl::OkStatus();
}

}  // namespace krs::workloads
