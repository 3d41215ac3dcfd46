#include "lab/policy/pod_ranking.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace krs::lab {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(2000000000);

// A ready Running pod on node-1, ready for 100 s, created 200 s ago.
RankedPod Pod(const std::string& id) {
  RankedPod pod;
  pod.id = id;
  pod.uid = id;
  pod.node = "node-1";
  pod.phase = PodPhase::kRunning;
  pod.ready = true;
  pod.ready_since = kNow - absl::Seconds(100);
  pod.created = kNow - absl::Seconds(200);
  pod.colocated_pods = 1;
  return pod;
}

// Checks that `first` is deleted before `second` by `rule`, in both argument orders.
void ExpectBefore(const RankedPod& first, const RankedPod& second, const std::string& rule) {
  std::string decided;
  EXPECT_TRUE(DeletePodBefore(first, second, kNow, &decided));
  EXPECT_EQ(decided.substr(0, rule.size()), rule);
  EXPECT_FALSE(DeletePodBefore(second, first, kNow, nullptr));
}

TEST(PodRanking, UnassignedFirst) {
  RankedPod unassigned = Pod("a");
  unassigned.node = "";
  ExpectBefore(unassigned, Pod("b"), "1");
}

TEST(PodRanking, PhaseOrder) {
  RankedPod pending = Pod("a");
  pending.phase = PodPhase::kPending;
  RankedPod unknown = Pod("b");
  unknown.phase = PodPhase::kUnknown;
  ExpectBefore(pending, unknown, "2");
  ExpectBefore(unknown, Pod("c"), "2");
}

TEST(PodRanking, NotReadyFirst) {
  RankedPod not_ready = Pod("a");
  not_ready.ready = false;
  ExpectBefore(not_ready, Pod("b"), "3");
}

TEST(PodRanking, LowerDeletionCostFirst) {
  RankedPod cheap = Pod("a");
  cheap.deletion_cost = "-5";
  RankedPod expensive = Pod("b");
  expensive.deletion_cost = "100";
  ExpectBefore(cheap, expensive, "4");
  // No annotation counts as 0.
  ExpectBefore(cheap, Pod("c"), "4");
}

TEST(PodRanking, DeletionCostParsing) {
  EXPECT_EQ(ParsePodDeletionCost(std::nullopt), 0);
  EXPECT_EQ(ParsePodDeletionCost(std::string("100")), 100);
  EXPECT_EQ(ParsePodDeletionCost(std::string("-7")), -7);
  EXPECT_EQ(ParsePodDeletionCost(std::string("0")), 0);
  EXPECT_EQ(ParsePodDeletionCost(std::string("+10")), 0);
  EXPECT_EQ(ParsePodDeletionCost(std::string("008")), 0);
  EXPECT_EQ(ParsePodDeletionCost(std::string("")), 0);
  EXPECT_EQ(ParsePodDeletionCost(std::string("abc")), 0);
  EXPECT_EQ(ParsePodDeletionCost(std::string("2147483647")), 2147483647);
  EXPECT_EQ(ParsePodDeletionCost(std::string("2147483648")), 0);
  EXPECT_EQ(ParsePodDeletionCost(std::string("1.5")), 0);
}

TEST(PodRanking, MoreColocatedFirst) {
  RankedPod crowded = Pod("a");
  crowded.colocated_pods = 3;
  ExpectBefore(crowded, Pod("b"), "5");
}

TEST(PodRanking, RecentlyReadyFirstByLogBucket) {
  RankedPod recent = Pod("b");
  recent.ready_since = kNow - absl::Seconds(10);
  RankedPod old = Pod("a");
  old.ready_since = kNow - absl::Seconds(1000);
  ExpectBefore(recent, old, "6");
}

TEST(PodRanking, SameLogBucketBreaksTieByLowerUid) {
  // 100 s and 120 s since Ready: floor(log2(1e11)) = floor(log2(1.2e11)) = 36.
  ASSERT_EQ(LogarithmicTimeBucket(kNow - absl::Seconds(100), kNow),
            LogarithmicTimeBucket(kNow - absl::Seconds(120), kNow));
  RankedPod older_low_uid = Pod("x");
  older_low_uid.uid = "aaa";
  older_low_uid.ready_since = kNow - absl::Seconds(120);
  RankedPod newer_high_uid = Pod("y");
  newer_high_uid.uid = "bbb";
  newer_high_uid.ready_since = kNow - absl::Seconds(100);
  // Without buckets the newer pod would go first; within one bucket the lower UID goes.
  ExpectBefore(older_low_uid, newer_high_uid, "6");
}

TEST(PodRanking, LogBucketValues) {
  EXPECT_EQ(LogarithmicTimeBucket(kNow - absl::Nanoseconds(1), kNow), 0);
  EXPECT_EQ(LogarithmicTimeBucket(kNow - absl::Nanoseconds(1024), kNow), 10);
  EXPECT_EQ(LogarithmicTimeBucket(kNow - absl::Nanoseconds(2047), kNow), 10);
  EXPECT_EQ(LogarithmicTimeBucket(kNow, kNow), -1);
}

TEST(PodRanking, MoreRestartsFirst) {
  RankedPod restarted = Pod("a");
  restarted.restarts = 2;
  ExpectBefore(restarted, Pod("b"), "7");
}

TEST(PodRanking, NewerCreationFirst) {
  RankedPod newer = Pod("b");
  newer.created = kNow - absl::Seconds(10);
  ExpectBefore(newer, Pod("a"), "8");
  // Same bucket: lower UID first.
  RankedPod low = Pod("p");
  low.uid = "1";
  low.created = kNow - absl::Seconds(210);
  RankedPod high = Pod("q");
  high.uid = "2";
  ExpectBefore(low, high, "8");
}

TEST(PodRanking, SelectPodsToDeleteOrdersAndLimits) {
  RankedPod busy = Pod("busy");
  busy.deletion_cost = "1000";
  RankedPod idle = Pod("idle");
  RankedPod not_ready = Pod("starting");
  not_ready.ready = false;
  PodDeletionChoice choice = SelectPodsToDelete({busy, idle, not_ready}, 2, kNow);
  EXPECT_EQ(choice.deleted, (std::vector<std::string>{"starting", "idle"}));
  ASSERT_EQ(choice.reasons.size(), 2u);
}

TEST(PodRanking, AllMustGoKeepsInputOrder) {
  RankedPod a = Pod("a");
  a.deletion_cost = "1000";
  PodDeletionChoice choice = SelectPodsToDelete({a, Pod("b")}, 5, kNow);
  EXPECT_EQ(choice.deleted, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(choice.reasons.front(), "all pods go");
}

TEST(PodRanking, AtMost500PerSync) {
  std::vector<RankedPod> pods;
  for (int i = 0; i < 600; ++i) pods.push_back(Pod("p" + std::to_string(i)));
  EXPECT_EQ(SelectPodsToDelete(pods, 550, kNow).deleted.size(), 500u);
}

TEST(PodRanking, ColocatedCounts) {
  std::vector<RankedPod> pods = {Pod("a"), Pod("b"), Pod("c")};
  pods[2].node = "node-2";
  SetColocatedPodCounts(pods);
  EXPECT_EQ(pods[0].colocated_pods, 2);
  EXPECT_EQ(pods[2].colocated_pods, 1);
}

}  // namespace
}  // namespace krs::lab
