#include "workloads/common/amqp_consumer_channel.h"

#include <sys/time.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "workloads/common/amqp_publisher.h"

namespace krs::workloads {
namespace {

// Converts one header value to text; returns false for kinds that have no plain text form.
bool HeaderValueText(const amqp_field_value_t& value, std::string& out) {
  switch (value.kind) {
    case AMQP_FIELD_KIND_UTF8:
    case AMQP_FIELD_KIND_BYTES:
      out = StringOf(value.value.bytes);
      return true;
    case AMQP_FIELD_KIND_BOOLEAN:
      out = value.value.boolean ? "true" : "false";
      return true;
    case AMQP_FIELD_KIND_I8:
      out = absl::StrCat(value.value.i8);
      return true;
    case AMQP_FIELD_KIND_U8:
      out = absl::StrCat(value.value.u8);
      return true;
    case AMQP_FIELD_KIND_I16:
      out = absl::StrCat(value.value.i16);
      return true;
    case AMQP_FIELD_KIND_U16:
      out = absl::StrCat(value.value.u16);
      return true;
    case AMQP_FIELD_KIND_I32:
      out = absl::StrCat(value.value.i32);
      return true;
    case AMQP_FIELD_KIND_U32:
      out = absl::StrCat(value.value.u32);
      return true;
    case AMQP_FIELD_KIND_I64:
    case AMQP_FIELD_KIND_TIMESTAMP:
      out = absl::StrCat(value.value.i64);
      return true;
    case AMQP_FIELD_KIND_U64:
      out = absl::StrCat(value.value.u64);
      return true;
    case AMQP_FIELD_KIND_F32:
      out = absl::StrCat(value.value.f32);
      return true;
    case AMQP_FIELD_KIND_F64:
      out = absl::StrCat(value.value.f64);
      return true;
    default:
      return false;
  }
}

Delivery CopyEnvelope(const amqp_envelope_t& envelope) {
  Delivery delivery;
  delivery.delivery_tag = envelope.delivery_tag;
  delivery.redelivered = envelope.redelivered != 0;
  delivery.exchange = StringOf(envelope.exchange);
  delivery.routing_key = StringOf(envelope.routing_key);
  delivery.consumer_tag = StringOf(envelope.consumer_tag);
  delivery.body = StringOf(envelope.message.body);

  const amqp_basic_properties_t& properties = envelope.message.properties;
  if (properties._flags & AMQP_BASIC_MESSAGE_ID_FLAG) {
    delivery.message_id = StringOf(properties.message_id);
  }
  if (properties._flags & AMQP_BASIC_CONTENT_TYPE_FLAG) {
    delivery.content_type = StringOf(properties.content_type);
  }
  if (properties._flags & AMQP_BASIC_CORRELATION_ID_FLAG) {
    delivery.correlation_id = StringOf(properties.correlation_id);
  }
  if (properties._flags & AMQP_BASIC_HEADERS_FLAG) {
    for (int i = 0; i < properties.headers.num_entries; ++i) {
      const amqp_table_entry_t& entry = properties.headers.entries[i];
      std::string text;
      if (HeaderValueText(entry.value, text)) delivery.headers[StringOf(entry.key)] = text;
    }
  }
  return delivery;
}

}  // namespace

absl::StatusOr<AmqpConsumerChannel> AmqpConsumerChannel::Start(AmqpConnection& connection,
                                                               amqp_channel_t channel,
                                                               const std::string& queue,
                                                               int prefetch) {
  amqp_connection_state_t state = connection.state();
  amqp_basic_qos(state, channel, 0, static_cast<uint16_t>(prefetch), /*global=*/0);
  absl::Status status = connection.CheckReply(amqp_get_rpc_reply(state), channel, "basic.qos");
  if (!status.ok()) return status;

  amqp_basic_consume_ok_t* consume_ok =
      amqp_basic_consume(state, channel, BytesOf(queue), amqp_empty_bytes, /*no_local=*/0,
                         /*no_ack=*/0, /*exclusive=*/0, amqp_empty_table);
  status = connection.CheckReply(amqp_get_rpc_reply(state), channel,
                                 absl::StrCat("basic.consume ", queue));
  if (!status.ok()) return status;
  std::string tag = consume_ok != nullptr ? StringOf(consume_ok->consumer_tag) : "";
  return AmqpConsumerChannel(connection, channel, std::move(tag), prefetch);
}

absl::StatusOr<std::optional<Delivery>> AmqpConsumerChannel::NextDelivery(
    absl::Duration timeout) {
  if (!kept_.empty()) {
    Delivery delivery = std::move(kept_.front());
    kept_.pop_front();
    return std::optional<Delivery>(std::move(delivery));
  }
  return ReadOne(timeout);
}

absl::Status AmqpConsumerChannel::Poll(absl::Duration timeout) {
  absl::StatusOr<std::optional<Delivery>> delivery = ReadOne(timeout);
  if (!delivery.ok()) return delivery.status();
  if (delivery->has_value()) kept_.push_back(**std::move(delivery));
  return absl::OkStatus();
}

absl::StatusOr<std::optional<Delivery>> AmqpConsumerChannel::ReadOne(absl::Duration timeout) {
  if (!connection_->is_open()) return absl::UnavailableError("the AMQP connection is closed");
  amqp_connection_state_t state = connection_->state();
  amqp_maybe_release_buffers(state);

  timeval tv = absl::ToTimeval(timeout);
  amqp_envelope_t envelope;
  amqp_rpc_reply_t reply = amqp_consume_message(state, &envelope, &tv, 0);
  if (reply.reply_type == AMQP_RESPONSE_NORMAL) {
    Delivery delivery = CopyEnvelope(envelope);
    amqp_destroy_envelope(&envelope);
    return std::optional<Delivery>(std::move(delivery));
  }
  if (reply.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION) {
    if (reply.library_error == AMQP_STATUS_TIMEOUT) return std::optional<Delivery>();
    if (reply.library_error == AMQP_STATUS_UNEXPECTED_STATE) {
      absl::Status status = HandleNonDeliveryFrame();
      if (!status.ok()) return status;
      return std::optional<Delivery>();
    }
  }
  return connection_->CheckReply(reply, channel_, "waiting for deliveries");
}

absl::Status AmqpConsumerChannel::HandleNonDeliveryFrame() {
  amqp_connection_state_t state = connection_->state();
  amqp_frame_t frame;
  int rc = amqp_simple_wait_frame(state, &frame);
  if (rc != AMQP_STATUS_OK) return connection_->CheckLibraryStatus(rc, "reading a frame");
  if (frame.frame_type != AMQP_FRAME_METHOD) return absl::OkStatus();

  switch (frame.payload.method.id) {
    case AMQP_BASIC_CANCEL_OK_METHOD:
    case AMQP_BASIC_ACK_METHOD:
      return absl::OkStatus();
    case AMQP_BASIC_CANCEL_METHOD:
      // The broker cancels consumers of a deleted queue.
      cancelled_ = true;
      return absl::UnavailableError("the broker cancelled the consumer (queue deleted?)");
    case AMQP_CHANNEL_CLOSE_METHOD:
    case AMQP_CONNECTION_CLOSE_METHOD: {
      amqp_rpc_reply_t reply{};
      reply.reply_type = AMQP_RESPONSE_SERVER_EXCEPTION;
      reply.reply = frame.payload.method;
      return connection_->CheckReply(reply, channel_, "consuming");
    }
    default:
      return absl::OkStatus();
  }
}

int AmqpConsumerChannel::socket_fd() const {
  if (!connection_->is_open()) return -1;
  return amqp_get_sockfd(connection_->state());
}

bool AmqpConsumerChannel::HasBufferedInput() const {
  if (!connection_->is_open()) return false;
  amqp_connection_state_t state = connection_->state();
  return amqp_data_in_buffer(state) != 0 || amqp_frames_enqueued(state) != 0;
}

absl::Status AmqpConsumerChannel::Ack(uint64_t delivery_tag) {
  int rc = amqp_basic_ack(connection_->state(), channel_, delivery_tag, /*multiple=*/0);
  return connection_->CheckLibraryStatus(rc, "basic.ack");
}

absl::Status AmqpConsumerChannel::Reject(uint64_t delivery_tag, bool requeue) {
  int rc = amqp_basic_reject(connection_->state(), channel_, delivery_tag, requeue ? 1 : 0);
  return connection_->CheckLibraryStatus(rc, "basic.reject");
}

absl::Status AmqpConsumerChannel::Cancel() {
  if (cancelled_) return absl::OkStatus();
  cancelled_ = true;
  // Sent without waiting for cancel-ok: deliveries already in flight may arrive first, and
  // Poll()/NextDelivery() keep them; cancel-ok is skipped when it arrives.
  amqp_basic_cancel_t cancel{};
  cancel.consumer_tag = BytesOf(consumer_tag_);
  cancel.nowait = 0;
  int rc = amqp_send_method(connection_->state(), channel_, AMQP_BASIC_CANCEL_METHOD, &cancel);
  return connection_->CheckLibraryStatus(rc, "basic.cancel");
}

absl::Status AmqpConsumerChannel::Sync() {
  amqp_basic_qos(connection_->state(), channel_, 0, static_cast<uint16_t>(prefetch_), 0);
  return connection_->CheckReply(amqp_get_rpc_reply(connection_->state()), channel_,
                                 "basic.qos (sync)");
}

absl::Status AmqpConsumerChannel::RequeueKept() {
  absl::Status first;
  while (!kept_.empty()) {
    absl::Status status = Reject(kept_.front().delivery_tag, /*requeue=*/true);
    if (first.ok()) first = status;
    kept_.pop_front();
  }
  return first;
}

}  // namespace krs::workloads
