// Publishing on top of krs::AmqpConnection: the job topology (durable direct exchange, durable
// queue, binding) and ConfirmingPublisher, which publishes persistent mandatory messages with
// publisher confirms and tracks which of them the broker confirmed.
#ifndef KRS_WORKLOADS_COMMON_AMQP_PUBLISHER_H_
#define KRS_WORKLOADS_COMMON_AMQP_PUBLISHER_H_

#include <amqp.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/amqp_connection.h"

namespace krs::workloads {

struct JobTopology {
  std::string exchange;
  std::string queue;
  std::string routing_key;
};

// Declares the durable direct exchange, the durable queue and the binding between them.
// Declaring what already exists with the same settings is a no-op; different settings fail
// with the broker's 406 PRECONDITION_FAILED as FAILED_PRECONDITION.
absl::Status DeclareJobTopology(AmqpConnection& connection, amqp_channel_t channel,
                                const JobTopology& topology);

class ConfirmingPublisher {
 public:
  // Puts `channel` (already open) into confirm mode (confirm.select).
  static absl::StatusOr<ConfirmingPublisher> Create(AmqpConnection& connection,
                                                    amqp_channel_t channel);

  // Publishes one persistent (delivery_mode 2), mandatory message whose message_id property
  // is `message_id`, with content type application/json. Reads any confirms already waiting.
  absl::Status Publish(absl::string_view exchange, absl::string_view routing_key,
                       absl::string_view message_id, absl::string_view body);

  // Processes confirms, nacks and returns that arrive within `wait`; returns early once nothing
  // is outstanding. Returns an error when the channel or connection fails.
  absl::Status WaitForConfirms(absl::Duration wait);

  // Like WaitForConfirms() but always waits the whole `wait`. An idle producer calls it so that
  // its connection stays alive, because rabbitmq-c sends heartbeats only from inside its reads.
  absl::Status Pump(absl::Duration wait);

  size_t outstanding() const { return outstanding_.size(); }
  int64_t confirmed() const { return confirmed_; }
  // Ids of messages the broker nacked or returned (unroutable), in the order seen.
  const std::vector<std::string>& failed_ids() const { return failed_ids_; }

 private:
  ConfirmingPublisher(AmqpConnection& connection, amqp_channel_t channel)
      : connection_(&connection), channel_(channel) {}

  // Reads one frame if one arrives within `timeout`. Returns OK on timeout too.
  absl::Status ProcessOneFrame(absl::Duration timeout);
  void Settle(uint64_t delivery_tag, bool multiple, bool ok);

  AmqpConnection* connection_;
  amqp_channel_t channel_;
  uint64_t next_delivery_tag_ = 1;
  std::map<uint64_t, std::string> outstanding_;  // delivery tag -> message id
  std::vector<std::string> returned_ids_;        // basic.return seen, ack still to come
  std::vector<std::string> failed_ids_;
  int64_t confirmed_ = 0;
};

// Returns an amqp_bytes_t view of `text` (no copy; valid while `text` is).
amqp_bytes_t BytesOf(absl::string_view text);

// Copies an amqp_bytes_t into a string.
std::string StringOf(amqp_bytes_t bytes);

}  // namespace krs::workloads

#endif  // KRS_WORKLOADS_COMMON_AMQP_PUBLISHER_H_
