#include "scaler/warning_limiter.h"

#include <optional>

#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace krs::scaler {
namespace {

TEST(WarningLimiter, AdmitsOncePerIntervalAndCountsTheRest) {
  absl::Time now = absl::FromUnixSeconds(1000);
  WarningLimiter limiter(absl::Seconds(30), [&now] { return now; });

  EXPECT_EQ(limiter.Admit("broker down"), std::optional<int64_t>(0));
  now += absl::Seconds(10);
  EXPECT_EQ(limiter.Admit("broker down"), std::nullopt);
  now += absl::Seconds(10);
  EXPECT_EQ(limiter.Admit("broker down"), std::nullopt);

  now += absl::Seconds(10);  // 30 s after the first warning
  EXPECT_EQ(limiter.Admit("broker down"), std::optional<int64_t>(2));
  EXPECT_EQ(limiter.Admit("broker down"), std::nullopt);
}

TEST(WarningLimiter, KeysAreIndependent) {
  absl::Time now = absl::FromUnixSeconds(1000);
  WarningLimiter limiter(absl::Seconds(30), [&now] { return now; });

  EXPECT_EQ(limiter.Admit("queue a"), std::optional<int64_t>(0));
  EXPECT_EQ(limiter.Admit("queue b"), std::optional<int64_t>(0));
  EXPECT_EQ(limiter.Admit("queue a"), std::nullopt);
}

TEST(WarningLimiter, ZeroIntervalAdmitsEverything) {
  absl::Time now = absl::FromUnixSeconds(1000);
  WarningLimiter limiter(absl::ZeroDuration(), [&now] { return now; });

  EXPECT_EQ(limiter.Admit("x"), std::optional<int64_t>(0));
  EXPECT_EQ(limiter.Admit("x"), std::optional<int64_t>(0));
}

}  // namespace
}  // namespace krs::scaler
