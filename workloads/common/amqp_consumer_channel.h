// AmqpConsumerChannel: consuming on one channel of a krs::AmqpConnection with rabbitmq-c 0.11:
// basic.qos + basic.consume, waiting for deliveries with a timeout, ack / reject / nack and
// basic.cancel.
//
// rabbitmq-c sends heartbeats only from inside its own calls, so a caller that works on a
// message must keep calling Poll() (or NextDelivery()) with a short timeout between slices of
// work. Poll() also detects the broker closing the channel or the connection. Deliveries that
// arrive while the caller is busy (prefetch > 1, or the ones in flight at basic.cancel) are
// kept in order and returned by later NextDelivery() calls.
#ifndef KRS_WORKLOADS_COMMON_AMQP_CONSUMER_CHANNEL_H_
#define KRS_WORKLOADS_COMMON_AMQP_CONSUMER_CHANNEL_H_

#include <amqp.h>

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/amqp_connection.h"

namespace krs::workloads {

// A copy of one basic.deliver with the properties the workloads use.
struct Delivery {
  uint64_t delivery_tag = 0;
  bool redelivered = false;
  std::string exchange;
  std::string routing_key;
  std::string consumer_tag;
  std::string message_id;      // property message_id; empty when absent
  std::string content_type;
  std::string correlation_id;
  std::string body;
  // Header values that are strings, numbers or booleans, converted to text; other kinds
  // (tables, arrays, decimals) are left out.
  std::map<std::string, std::string> headers;
};

class AmqpConsumerChannel {
 public:
  // Sets basic.qos prefetch and starts a consumer on `queue` over the open `channel`.
  static absl::StatusOr<AmqpConsumerChannel> Start(AmqpConnection& connection,
                                                   amqp_channel_t channel,
                                                   const std::string& queue, int prefetch);

  // Returns the next delivery: a kept one first, else one that arrives within `timeout`;
  // std::nullopt when none arrives. Errors mean the channel or connection is gone (the
  // broker cancelled the consumer, closed the channel, or the socket failed).
  absl::StatusOr<std::optional<Delivery>> NextDelivery(absl::Duration timeout);

  // Waits up to `timeout` for traffic and handles it (heartbeats, deliveries kept for later,
  // broker closes). Returns an error when the channel or connection is gone.
  absl::Status Poll(absl::Duration timeout);

  absl::Status Ack(uint64_t delivery_tag);
  absl::Status Reject(uint64_t delivery_tag, bool requeue);

  // Sends basic.cancel so the broker stops delivering; deliveries already sent are kept.
  absl::Status Cancel();

  // Confirms that the broker has processed every earlier method on this channel (an ack, for
  // instance) with a synchronous basic.qos round trip.
  absl::Status Sync();

  // Rejects with requeue every kept delivery. Returns the first error.
  absl::Status RequeueKept();

  size_t kept() const { return kept_.size(); }

  // The connection's socket, for callers that poll(2) it together with other file descriptors
  // and then call Poll(absl::ZeroDuration()).
  int socket_fd() const;

  // True when rabbitmq-c has already read bytes or frames from the socket that no call has
  // handled yet, which a poll(2) on socket_fd() would not report. Kept deliveries do not count.
  bool HasBufferedInput() const;

 private:
  AmqpConsumerChannel(AmqpConnection& connection, amqp_channel_t channel, std::string tag,
                      int prefetch)
      : connection_(&connection), channel_(channel), consumer_tag_(std::move(tag)),
        prefetch_(prefetch) {}

  // Waits for one delivery or other frame; a delivery is returned, everything else handled.
  absl::StatusOr<std::optional<Delivery>> ReadOne(absl::Duration timeout);
  absl::Status HandleNonDeliveryFrame();

  AmqpConnection* connection_;
  amqp_channel_t channel_;
  std::string consumer_tag_;
  int prefetch_;
  bool cancelled_ = false;
  std::deque<Delivery> kept_;
};

}  // namespace krs::workloads

#endif  // KRS_WORKLOADS_COMMON_AMQP_CONSUMER_CHANNEL_H_
