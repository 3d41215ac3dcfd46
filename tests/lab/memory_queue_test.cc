#include "lab/simulate/memory_queue.h"

#include <gtest/gtest.h>

namespace krs::lab {
namespace {

QueuedMessage Message(int64_t index) { return QueuedMessage{index, 10.0, false}; }

TEST(MemoryQueue, PrefetchLimitsUnackedPerConsumer) {
  MemoryQueue queue;
  for (int i = 0; i < 5; ++i) queue.Publish(Message(i));
  ConsumerTag consumer = queue.AddConsumer(/*prefetch=*/2);

  std::vector<Delivery> deliveries = queue.Dispatch(0);

  ASSERT_EQ(deliveries.size(), 2u);
  EXPECT_EQ(deliveries[0].message.index, 0);
  EXPECT_EQ(deliveries[1].message.index, 1);
  EXPECT_EQ(deliveries[0].consumer, consumer);
  EXPECT_EQ(queue.ready(), 3);
  EXPECT_EQ(queue.unacked(), 2);
  EXPECT_EQ(queue.messages(), 5);
  EXPECT_TRUE(queue.Dispatch(1).empty());
}

TEST(MemoryQueue, AckFreesPrefetchSlot) {
  MemoryQueue queue;
  for (int i = 0; i < 3; ++i) queue.Publish(Message(i));
  ConsumerTag consumer = queue.AddConsumer(1);
  std::vector<Delivery> first = queue.Dispatch(0);
  ASSERT_EQ(first.size(), 1u);

  ASSERT_TRUE(queue.Ack(consumer, first[0].delivery_tag).ok());
  std::vector<Delivery> second = queue.Dispatch(1);

  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].message.index, 1);
  EXPECT_EQ(second[0].delivery_tag, first[0].delivery_tag + 1);
  EXPECT_EQ(queue.acked_total(), 1);
  EXPECT_EQ(queue.messages(), 2);
}

TEST(MemoryQueue, RoundRobinAmongConsumers) {
  MemoryQueue queue;
  ConsumerTag a = queue.AddConsumer(0);
  ConsumerTag b = queue.AddConsumer(0);
  for (int i = 0; i < 4; ++i) queue.Publish(Message(i));

  std::vector<Delivery> deliveries = queue.Dispatch(0);

  ASSERT_EQ(deliveries.size(), 4u);
  EXPECT_EQ(deliveries[0].consumer, a);
  EXPECT_EQ(deliveries[1].consumer, b);
  EXPECT_EQ(deliveries[2].consumer, a);
  EXPECT_EQ(deliveries[3].consumer, b);
}

TEST(MemoryQueue, NackWithRequeueRedeliversFromHead) {
  MemoryQueue queue;
  for (int i = 0; i < 3; ++i) queue.Publish(Message(i));
  ConsumerTag consumer = queue.AddConsumer(1);
  std::vector<Delivery> first = queue.Dispatch(0);
  ASSERT_EQ(first.size(), 1u);

  ASSERT_TRUE(queue.Nack(consumer, first[0].delivery_tag, /*requeue=*/true).ok());
  std::vector<Delivery> again = queue.Dispatch(1);

  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].message.index, 0);
  EXPECT_TRUE(again[0].message.redelivered);
  EXPECT_FALSE(first[0].message.redelivered);
}

TEST(MemoryQueue, NackWithoutRequeueDropsMessage) {
  MemoryQueue queue;
  queue.Publish(Message(0));
  ConsumerTag consumer = queue.AddConsumer(1);
  std::vector<Delivery> first = queue.Dispatch(0);
  ASSERT_EQ(first.size(), 1u);

  ASSERT_TRUE(queue.Nack(consumer, first[0].delivery_tag, /*requeue=*/false).ok());

  EXPECT_EQ(queue.messages(), 0);
  EXPECT_TRUE(queue.Dispatch(1).empty());
}

TEST(MemoryQueue, CloseRequeuesUnackedAsRedelivered) {
  MemoryQueue queue;
  for (int i = 0; i < 4; ++i) queue.Publish(Message(i));
  ConsumerTag killed = queue.AddConsumer(2);
  ASSERT_EQ(queue.Dispatch(0).size(), 2u);

  absl::StatusOr<std::vector<Delivery>> requeued = queue.CloseConsumer(killed);
  ASSERT_TRUE(requeued.ok());
  EXPECT_EQ(requeued->size(), 2u);
  EXPECT_EQ(queue.unacked(), 0);
  EXPECT_EQ(queue.ready(), 4);

  queue.AddConsumer(0);
  std::vector<Delivery> redelivered = queue.Dispatch(1);
  ASSERT_EQ(redelivered.size(), 4u);
  // The requeued messages come back first, in their original order.
  EXPECT_EQ(redelivered[0].message.index, 0);
  EXPECT_TRUE(redelivered[0].message.redelivered);
  EXPECT_EQ(redelivered[1].message.index, 1);
  EXPECT_TRUE(redelivered[1].message.redelivered);
  EXPECT_EQ(redelivered[2].message.index, 2);
  EXPECT_FALSE(redelivered[2].message.redelivered);
}

TEST(MemoryQueue, CancelStopsDeliveriesKeepsUnacked) {
  MemoryQueue queue;
  for (int i = 0; i < 3; ++i) queue.Publish(Message(i));
  ConsumerTag consumer = queue.AddConsumer(1);
  std::vector<Delivery> first = queue.Dispatch(0);
  ASSERT_EQ(first.size(), 1u);

  ASSERT_TRUE(queue.CancelConsumer(consumer).ok());
  ASSERT_TRUE(queue.Ack(consumer, first[0].delivery_tag).ok());

  EXPECT_TRUE(queue.Dispatch(1).empty());
  EXPECT_EQ(queue.consumers(), 0);
  EXPECT_EQ(queue.ready(), 2);
}

TEST(MemoryQueue, UnknownDeliveryTagFails) {
  MemoryQueue queue;
  ConsumerTag consumer = queue.AddConsumer(1);

  EXPECT_EQ(queue.Ack(consumer, 42).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(queue.Ack(consumer + 1, 1).code(), absl::StatusCode::kNotFound);
}

TEST(MemoryQueue, OldestUnackedIsLowestTag) {
  MemoryQueue queue;
  for (int i = 0; i < 2; ++i) queue.Publish(Message(i));
  ConsumerTag consumer = queue.AddConsumer(2);
  std::vector<Delivery> deliveries = queue.Dispatch(5);
  ASSERT_EQ(deliveries.size(), 2u);

  const Delivery* oldest = queue.OldestUnacked(consumer);

  ASSERT_NE(oldest, nullptr);
  EXPECT_EQ(oldest->delivery_tag, deliveries[0].delivery_tag);
  EXPECT_EQ(oldest->delivered_at, 5);
}

}  // namespace
}  // namespace krs::lab
