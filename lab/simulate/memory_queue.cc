#include "lab/simulate/memory_queue.h"

#include "absl/strings/str_cat.h"

namespace krs::lab {
namespace {

absl::Status UnknownConsumer(ConsumerTag consumer) {
  return absl::NotFoundError(absl::StrCat("unknown consumer ", consumer));
}

absl::Status UnknownDeliveryTag(ConsumerTag consumer, uint64_t tag) {
  // RabbitMQ answers this with a PRECONDITION_FAILED channel exception.
  return absl::FailedPreconditionError(
      absl::StrCat("unknown delivery tag ", tag, " on consumer ", consumer));
}

}  // namespace

void MemoryQueue::Publish(const QueuedMessage& message) {
  ready_.push_back(message);
  ++published_total_;
}

ConsumerTag MemoryQueue::AddConsumer(int prefetch) {
  ConsumerTag tag = next_consumer_++;
  ConsumerState& state = consumers_[tag];
  state.prefetch = prefetch;
  OfferToRing(tag, state);
  return tag;
}

absl::Status MemoryQueue::CancelConsumer(ConsumerTag consumer) {
  auto it = consumers_.find(consumer);
  if (it == consumers_.end()) return UnknownConsumer(consumer);
  it->second.consuming = false;
  return absl::OkStatus();
}

absl::StatusOr<std::vector<Delivery>> MemoryQueue::CloseConsumer(ConsumerTag consumer) {
  auto it = consumers_.find(consumer);
  if (it == consumers_.end()) return UnknownConsumer(consumer);

  std::vector<Delivery> requeued;
  std::vector<QueuedMessage> messages;
  for (auto& [tag, delivery] : it->second.unacked) {
    requeued.push_back(delivery);
    messages.push_back(delivery.message);
  }
  unacked_total_ -= static_cast<int64_t>(messages.size());
  consumers_.erase(it);
  Requeue(std::move(messages));
  return requeued;
}

bool MemoryQueue::HasRoom(const ConsumerState& state) const {
  if (!state.consuming) return false;
  return state.prefetch == 0 || static_cast<int>(state.unacked.size()) < state.prefetch;
}

void MemoryQueue::OfferToRing(ConsumerTag tag, ConsumerState& state) {
  if (state.in_ring || !HasRoom(state)) return;
  state.in_ring = true;
  ring_.push_back(tag);
}

std::vector<Delivery> MemoryQueue::Dispatch(double now) {
  std::vector<Delivery> deliveries;
  while (!ready_.empty() && !ring_.empty()) {
    ConsumerTag tag = ring_.front();
    ring_.pop_front();
    auto it = consumers_.find(tag);
    if (it == consumers_.end()) continue;  // closed while waiting in the ring
    ConsumerState& state = it->second;
    state.in_ring = false;
    if (!HasRoom(state)) continue;

    Delivery delivery;
    delivery.consumer = tag;
    delivery.delivery_tag = state.next_tag++;
    delivery.message = ready_.front();
    delivery.delivered_at = now;
    ready_.pop_front();
    state.unacked.emplace(delivery.delivery_tag, delivery);
    ++unacked_total_;
    ++delivered_total_;
    deliveries.push_back(delivery);

    OfferToRing(tag, state);
  }
  return deliveries;
}

absl::Status MemoryQueue::Ack(ConsumerTag consumer, uint64_t delivery_tag) {
  auto it = consumers_.find(consumer);
  if (it == consumers_.end()) return UnknownConsumer(consumer);
  if (it->second.unacked.erase(delivery_tag) == 0) {
    return UnknownDeliveryTag(consumer, delivery_tag);
  }
  --unacked_total_;
  ++acked_total_;
  OfferToRing(consumer, it->second);
  return absl::OkStatus();
}

absl::Status MemoryQueue::Nack(ConsumerTag consumer, uint64_t delivery_tag, bool requeue) {
  auto it = consumers_.find(consumer);
  if (it == consumers_.end()) return UnknownConsumer(consumer);
  auto delivery = it->second.unacked.find(delivery_tag);
  if (delivery == it->second.unacked.end()) return UnknownDeliveryTag(consumer, delivery_tag);

  QueuedMessage message = delivery->second.message;
  it->second.unacked.erase(delivery);
  --unacked_total_;
  OfferToRing(consumer, it->second);
  if (requeue) Requeue({message});
  return absl::OkStatus();
}

void MemoryQueue::Requeue(std::vector<QueuedMessage> messages) {
  for (auto it = messages.rbegin(); it != messages.rend(); ++it) {
    it->redelivered = true;
    ready_.push_front(*it);
  }
}

const Delivery* MemoryQueue::OldestUnacked(ConsumerTag consumer) const {
  auto it = consumers_.find(consumer);
  if (it == consumers_.end() || it->second.unacked.empty()) return nullptr;
  return &it->second.unacked.begin()->second;
}

bool MemoryQueue::HasUnacked(ConsumerTag consumer, uint64_t delivery_tag) const {
  auto it = consumers_.find(consumer);
  return it != consumers_.end() && it->second.unacked.count(delivery_tag) > 0;
}

int64_t MemoryQueue::consumers() const {
  int64_t count = 0;
  for (const auto& [tag, state] : consumers_) {
    if (state.consuming) ++count;
  }
  return count;
}

}  // namespace krs::lab
