#include "lab/simulate/simulated_broker.h"

#include <utility>

namespace krs::lab {
namespace {

// History older than this is dropped; a management API lag longer than it reads the oldest
// entry kept.
constexpr absl::Duration kHistoryKept = absl::Hours(6);

}  // namespace

SimulatedBroker::SimulatedBroker(Scheduler& scheduler, absl::Duration consumer_timeout)
    : scheduler_(scheduler), consumer_timeout_(consumer_timeout) {
  Record();
}

void SimulatedBroker::Publish(const QueuedMessage& message) {
  queue_.Publish(message);
  DispatchAndRecord();
}

ConsumerTag SimulatedBroker::Consume(int prefetch, ConsumerCallbacks callbacks) {
  ConsumerTag tag = queue_.AddConsumer(prefetch);
  callbacks_[tag] = std::move(callbacks);
  Record();
  // Deliveries start after basic.consume-ok, once the caller knows its consumer tag.
  scheduler_.At(scheduler_.Now(), [this] { DispatchAndRecord(); });
  return tag;
}

void SimulatedBroker::Cancel(ConsumerTag consumer) {
  queue_.CancelConsumer(consumer).IgnoreError();  // unknown after a close: nothing to cancel
  Record();
}

void SimulatedBroker::Close(ConsumerTag consumer) {
  callbacks_.erase(consumer);
  queue_.CloseConsumer(consumer).IgnoreError();  // closing twice is harmless
  DispatchAndRecord();
}

void SimulatedBroker::Ack(ConsumerTag consumer, uint64_t delivery_tag) {
  queue_.Ack(consumer, delivery_tag).IgnoreError();  // after a timeout close: ack is lost
  DispatchAndRecord();
}

void SimulatedBroker::Nack(ConsumerTag consumer, uint64_t delivery_tag, bool requeue) {
  queue_.Nack(consumer, delivery_tag, requeue).IgnoreError();
  DispatchAndRecord();
}

void SimulatedBroker::DispatchAndRecord() {
  // A consumer callback may ack or publish, which dispatches again; the outer loop picks up
  // whatever that made deliverable.
  if (dispatching_) return;
  dispatching_ = true;
  while (true) {
    std::vector<Delivery> deliveries =
        queue_.Dispatch(absl::ToDoubleSeconds(scheduler_.Now() - absl::UnixEpoch()));
    if (deliveries.empty()) break;
    Record();
    for (const Delivery& delivery : deliveries) {
      WatchAckTimeout(delivery);
      auto it = callbacks_.find(delivery.consumer);
      if (it != callbacks_.end() && it->second.on_delivery) it->second.on_delivery(delivery);
    }
  }
  dispatching_ = false;
  Record();
}

void SimulatedBroker::WatchAckTimeout(const Delivery& delivery) {
  if (consumer_timeout_ <= absl::ZeroDuration()) return;
  ConsumerTag consumer = delivery.consumer;
  uint64_t tag = delivery.delivery_tag;
  scheduler_.After(consumer_timeout_, [this, consumer, tag] {
    if (!queue_.HasUnacked(consumer, tag)) return;
    // RabbitMQ closes the channel with 406 PRECONDITION_FAILED and requeues its deliveries.
    auto callbacks = callbacks_.find(consumer);
    std::function<void()> closed;
    if (callbacks != callbacks_.end()) closed = callbacks->second.on_channel_closed;
    Close(consumer);
    if (closed) closed();
  });
}

void SimulatedBroker::Record() {
  QueueCounts counts = CountsNow();
  absl::Time now = scheduler_.Now();
  if (!history_.empty()) {
    const QueueCounts& last = history_.back().second;
    if (last.ready == counts.ready && last.unacked == counts.unacked &&
        last.consumers == counts.consumers) {
      return;
    }
    if (history_.back().first == now) {
      history_.back().second = counts;
      return;
    }
  }
  history_.emplace_back(now, counts);
  while (history_.size() > 2 && history_[1].first < now - kHistoryKept) history_.pop_front();
}

QueueCounts SimulatedBroker::CountsNow() const {
  return QueueCounts{queue_.ready(), queue_.unacked(), queue_.consumers()};
}

QueueCounts SimulatedBroker::CountsLagged(absl::Duration lag) const {
  if (lag <= absl::ZeroDuration()) return CountsNow();
  absl::Time when = scheduler_.Now() - lag;
  // The last change at or before `when`.
  auto it = std::upper_bound(history_.begin(), history_.end(), when,
                             [](absl::Time time, const auto& entry) { return time < entry.first; });
  if (it == history_.begin()) return history_.empty() ? QueueCounts{} : history_.front().second;
  return std::prev(it)->second;
}

}  // namespace krs::lab
