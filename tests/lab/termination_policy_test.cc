#include "lab/policy/termination_policy.h"

#include <gtest/gtest.h>

namespace krs::lab {
namespace {

TEST(TerminationPolicy, GraceDefaultsToThirtySeconds) {
  PodTemplate pod;
  EXPECT_EQ(TerminationGracePeriod(pod), absl::Seconds(30));
  pod.termination_grace_period_seconds = 14400;
  EXPECT_EQ(TerminationGracePeriod(pod), absl::Seconds(14400));
  EXPECT_EQ(TerminationGracePeriod(pod, 5), absl::Seconds(5));
}

TEST(TerminationPolicy, RemainingGraceAfterPreStop) {
  // 30 s grace, preStop took 12.7 s: the whole seconds (12) are subtracted.
  EXPECT_EQ(RemainingGraceAfterPreStop(absl::Seconds(30), absl::Milliseconds(12700)),
            absl::Seconds(18));
  // A preStop that used the whole grace period leaves the 2 s floor.
  EXPECT_EQ(RemainingGraceAfterPreStop(absl::Seconds(30), absl::Seconds(30)), absl::Seconds(2));
  EXPECT_EQ(RemainingGraceAfterPreStop(absl::Seconds(30), absl::Seconds(29)), absl::Seconds(2));
}

TEST(TerminationPolicy, PreStopRunsOnlyWithGrace) {
  PodTemplate pod;
  pod.containers.push_back(ContainerSpec{});
  EXPECT_FALSE(RunsPreStop(pod, absl::Seconds(30)));
  pod.containers.front().pre_stop_command = std::vector<std::string>{"sleep", "5"};
  EXPECT_TRUE(RunsPreStop(pod, absl::Seconds(30)));
  EXPECT_FALSE(RunsPreStop(pod, absl::ZeroDuration()));
  ASSERT_TRUE(PreStopCommand(pod).has_value());
  EXPECT_EQ(PreStopCommand(pod)->front(), "sleep");
}

}  // namespace
}  // namespace krs::lab
