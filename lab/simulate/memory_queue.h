// MemoryQueue: one RabbitMQ classic queue in memory, for simulate mode. It keeps RabbitMQ's
// AMQP 0-9-1 delivery semantics: a FIFO of ready messages, per-consumer unacknowledged
// deliveries limited by basic.qos prefetch, round-robin dispatch among consumers with room,
// ack, nack/reject with or without requeue, and requeue with redelivered=true when a channel
// closes (connection lost, consumer killed, delivery acknowledgement timeout).
//
// Pure data structure: no clock and no scheduler. Callers pass the time in and act on the
// deliveries that Dispatch() returns. Requeued messages go back to the head of the queue, in
// delivery-tag order, which is where RabbitMQ puts a message that was at the head when
// delivered (it restores the original position when it can).
#ifndef KRS_LAB_SIMULATE_MEMORY_QUEUE_H_
#define KRS_LAB_SIMULATE_MEMORY_QUEUE_H_

#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace krs::lab {

// A message as the queue stores it. `index` identifies it for the caller (e.g. a position in
// the workload), `work_seconds` is its job length.
struct QueuedMessage {
  int64_t index = 0;
  double work_seconds = 0;
  bool redelivered = false;
};

using ConsumerTag = int64_t;

// One basic.deliver.
struct Delivery {
  ConsumerTag consumer = 0;
  uint64_t delivery_tag = 0;  // per consumer channel, from 1
  QueuedMessage message;
  double delivered_at = 0;
};

class MemoryQueue {
 public:
  // basic.publish to the queue.
  void Publish(const QueuedMessage& message);

  // basic.qos(prefetch) + basic.consume on a new channel. prefetch 0 means unlimited.
  ConsumerTag AddConsumer(int prefetch);

  // basic.cancel: no more deliveries to `consumer`; its unacknowledged messages stay with it.
  absl::Status CancelConsumer(ConsumerTag consumer);

  // Channel or connection close: removes the consumer and requeues its unacknowledged
  // messages with redelivered=true. Returns the requeued deliveries, oldest first.
  absl::StatusOr<std::vector<Delivery>> CloseConsumer(ConsumerTag consumer);

  // Delivers ready messages to consumers with room, round robin, and returns the deliveries.
  std::vector<Delivery> Dispatch(double now);

  absl::Status Ack(ConsumerTag consumer, uint64_t delivery_tag);

  // basic.nack / basic.reject. With requeue the message goes back to the head of the queue
  // with redelivered=true; without it the message is dropped (no dead-lettering modelled).
  absl::Status Nack(ConsumerTag consumer, uint64_t delivery_tag, bool requeue);

  // The unacknowledged delivery with the lowest delivery tag of `consumer`, if any. The
  // delivery acknowledgement timeout is checked against it.
  const Delivery* OldestUnacked(ConsumerTag consumer) const;

  bool HasUnacked(ConsumerTag consumer, uint64_t delivery_tag) const;

  int64_t ready() const { return static_cast<int64_t>(ready_.size()); }
  int64_t unacked() const { return unacked_total_; }
  int64_t messages() const { return ready() + unacked(); }  // management API `messages`
  int64_t consumers() const;                                 // consumers still consuming
  int64_t published_total() const { return published_total_; }
  int64_t delivered_total() const { return delivered_total_; }
  int64_t acked_total() const { return acked_total_; }

 private:
  struct ConsumerState {
    int prefetch = 0;
    bool consuming = true;
    bool in_ring = false;
    uint64_t next_tag = 1;
    std::map<uint64_t, Delivery> unacked;  // by delivery tag
  };

  bool HasRoom(const ConsumerState& state) const;
  void OfferToRing(ConsumerTag tag, ConsumerState& state);
  void Requeue(std::vector<QueuedMessage> messages);

  std::deque<QueuedMessage> ready_;
  std::unordered_map<ConsumerTag, ConsumerState> consumers_;
  std::deque<ConsumerTag> ring_;  // consumers that may have room, in round-robin order
  ConsumerTag next_consumer_ = 1;
  int64_t unacked_total_ = 0;
  int64_t published_total_ = 0;
  int64_t delivered_total_ = 0;
  int64_t acked_total_ = 0;
};

}  // namespace krs::lab

#endif  // KRS_LAB_SIMULATE_MEMORY_QUEUE_H_
