#include "scaler/trigger_config_cache.h"

#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace krs::scaler {
namespace {

using Metadata = std::map<std::string, std::string>;

Metadata ValidMetadata(const std::string& queue) {
  return {{"host", "amqp://guest:guest@rabbit/"}, {"queueName", queue}};
}

TEST(TriggerConfigCache, SameMapSamePointer) {
  TriggerConfigCache cache;
  auto first = cache.Get(ValidMetadata("orders"));
  auto second = cache.Get(ValidMetadata("orders"));
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(first->get(), second->get());
  EXPECT_EQ((*first)->query.queue_name, "orders");
  EXPECT_EQ(cache.size(), 1u);
}

TEST(TriggerConfigCache, DifferentMapsDifferentConfigs) {
  TriggerConfigCache cache;
  auto orders = cache.Get(ValidMetadata("orders"));
  auto invoices = cache.Get(ValidMetadata("invoices"));
  ASSERT_TRUE(orders.ok());
  ASSERT_TRUE(invoices.ok());
  EXPECT_NE(orders->get(), invoices->get());
  EXPECT_EQ((*invoices)->query.queue_name, "invoices");
}

TEST(TriggerConfigCache, KeysCannotCollide) {
  // "a=b" + "c" and "a" + "b=c" must be two entries.
  TriggerConfigCache cache;
  Metadata first = ValidMetadata("q");
  first["x=y"] = "z";
  Metadata second = ValidMetadata("q");
  second["x"] = "y=z";
  ASSERT_TRUE(cache.Get(first).ok());
  ASSERT_TRUE(cache.Get(second).ok());
  EXPECT_EQ(cache.size(), 2u);
}

TEST(TriggerConfigCache, ErrorsAreCached) {
  TriggerConfigCache cache;
  Metadata invalid = ValidMetadata("orders");
  invalid["pageSize"] = "0";
  auto first = cache.Get(invalid);
  auto second = cache.Get(invalid);
  EXPECT_EQ(first.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(first.status(), second.status());
  EXPECT_EQ(cache.size(), 1u);
}

TEST(TriggerConfigCache, EvictsLeastRecentlyUsed) {
  TriggerConfigCacheOptions options;
  options.max_entries = 2;
  TriggerConfigCache cache(options);
  auto a = cache.Get(ValidMetadata("a"));
  auto b = cache.Get(ValidMetadata("b"));
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(b.ok());
  ASSERT_TRUE(cache.Get(ValidMetadata("a")).ok());  // "a" is now the most recent
  ASSERT_TRUE(cache.Get(ValidMetadata("c")).ok());  // evicts "b"
  EXPECT_EQ(cache.size(), 2u);

  auto a_again = cache.Get(ValidMetadata("a"));
  ASSERT_TRUE(a_again.ok());
  EXPECT_EQ(a_again->get(), a->get());

  auto b_again = cache.Get(ValidMetadata("b"));  // parsed anew
  ASSERT_TRUE(b_again.ok());
  EXPECT_NE(b_again->get(), b->get());
  EXPECT_EQ(cache.size(), 2u);
}

TEST(TriggerConfigCache, UsesDefaultTimeoutOption) {
  TriggerConfigCacheOptions options;
  options.default_timeout = absl::Milliseconds(1234);
  TriggerConfigCache cache(options);
  auto config = cache.Get({{"host", "http://rabbit:15672/"}, {"queueName", "q"}});
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ((*config)->timeout, absl::Milliseconds(1234));
}

TEST(TriggerConfigCache, ConcurrentCallersShareOnePointer) {
  TriggerConfigCache cache;
  constexpr int kThreads = 8;
  std::vector<const TriggerConfig*> seen(kThreads, nullptr);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&cache, &seen, i] {
      for (int round = 0; round < 200; ++round) {
        auto config = cache.Get(ValidMetadata(absl::StrCat("q", round % 10)));
        if (config.ok() && round == 0) seen[i] = config->get();
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (int i = 1; i < kThreads; ++i) EXPECT_EQ(seen[i], seen[0]);
  EXPECT_EQ(cache.size(), 10u);
}

}  // namespace
}  // namespace krs::scaler
