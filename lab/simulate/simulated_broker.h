// SimulatedBroker: the simulated RabbitMQ of simulate mode, with one MemoryQueue. It routes
// deliveries to the simulated consumers that registered for them and applies the delivery
// acknowledgement timeout (consumer_timeout). It keeps a history of queue counts, so reads
// through the management API can lag behind as the real one does.
#ifndef KRS_LAB_SIMULATE_SIMULATED_BROKER_H_
#define KRS_LAB_SIMULATE_SIMULATED_BROKER_H_

#include <deque>
#include <functional>
#include <optional>
#include <unordered_map>
#include <vector>

#include "absl/time/time.h"
#include "lab/control/scheduler.h"
#include "lab/simulate/memory_queue.h"

namespace krs::lab {

// Queue counts at one moment.
struct QueueCounts {
  int64_t ready = 0;
  int64_t unacked = 0;
  int64_t consumers = 0;
};

class SimulatedBroker {
 public:
  // Receives a delivery (kind kDeliver) or the closing of its channel by the broker (kClosed,
  // after consumer_timeout; the unacknowledged messages are already requeued).
  struct ConsumerCallbacks {
    std::function<void(const Delivery&)> on_delivery;
    std::function<void()> on_channel_closed;
  };

  // `consumer_timeout` zero or negative disables the delivery acknowledgement timeout.
  SimulatedBroker(Scheduler& scheduler, absl::Duration consumer_timeout);

  void Publish(const QueuedMessage& message);
  // basic.qos + basic.consume. The first deliveries come in a scheduler callback at Now(), so
  // the caller can store the returned tag before its callbacks run.
  ConsumerTag Consume(int prefetch, ConsumerCallbacks callbacks);
  void Cancel(ConsumerTag consumer);
  // Closes the consumer's channel (connection lost or process killed); requeues its unacked.
  void Close(ConsumerTag consumer);
  void Ack(ConsumerTag consumer, uint64_t delivery_tag);
  void Nack(ConsumerTag consumer, uint64_t delivery_tag, bool requeue);

  // The counts now (AMQP queue.declare-ok is immediate) or as the management API showed them
  // `lag` ago.
  QueueCounts CountsNow() const;
  QueueCounts CountsLagged(absl::Duration lag) const;

  const MemoryQueue& queue() const { return queue_; }

 private:
  void DispatchAndRecord();
  void Record();
  void WatchAckTimeout(const Delivery& delivery);

  Scheduler& scheduler_;
  absl::Duration consumer_timeout_;
  MemoryQueue queue_;
  std::unordered_map<ConsumerTag, ConsumerCallbacks> callbacks_;
  std::deque<std::pair<absl::Time, QueueCounts>> history_;  // changes in time order
  bool dispatching_ = false;
};

}  // namespace krs::lab

#endif  // KRS_LAB_SIMULATE_SIMULATED_BROKER_H_
