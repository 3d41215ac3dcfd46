#include "lab/simulate/simulated_pod_runtime.h"

#include <gtest/gtest.h>

#include <csignal>

#include "absl/strings/str_cat.h"
#include "lab/control/virtual_scheduler.h"
#include "lab/simulate/simulated_broker.h"
#include "lab/simulate/simulated_metrics_client.h"

namespace krs::lab {
namespace {

using workloads::EventType;

// A simulated broker and runtime on a virtual clock, recording the consumers' events.
class SimulatedCluster {
 public:
  SimulatedCluster()
      : broker_(scheduler_, absl::ZeroDuration()),
        runtime_(
            scheduler_, broker_, [](int64_t index) { return absl::StrCat("m-", index); },
            [this](const workloads::Event& event) { events_.push_back(event); },
            SimulatedRuntimeOptions{"test", absl::Seconds(5), "worker"}) {}

  PodTemplate Template(std::vector<std::string> args) {
    PodTemplate pod;
    ContainerSpec container;
    container.name = "consumer";
    container.args = std::move(args);
    pod.containers.push_back(container);
    return pod;
  }

  void Publish(int64_t index, double work_seconds) {
    broker_.Publish(QueuedMessage{index, work_seconds, false});
  }

  std::vector<EventType> Types() const {
    std::vector<EventType> types;
    for (const workloads::Event& event : events_) types.push_back(event.type);
    return types;
  }

  std::optional<PodStatus> Status(const PodId& id) {
    for (PodStatus& status : runtime_.ListPods()) {
      if (status.id == id) return status;
    }
    return std::nullopt;
  }

  VirtualScheduler scheduler_;
  SimulatedBroker broker_;
  SimulatedPodRuntime runtime_;
  std::vector<workloads::Event> events_;
};

TEST(SimulatedPodRuntime, WorkerCompletesMessage) {
  SimulatedCluster cluster;
  cluster.Publish(1, 100);
  absl::StatusOr<PodId> pod = cluster.runtime_.CreatePod(cluster.Template({"--mode=worker"}));
  ASSERT_TRUE(pod.ok());

  cluster.scheduler_.RunFor(absl::Seconds(50));
  EXPECT_EQ(cluster.runtime_.busy_pods(), 1);
  EXPECT_EQ(cluster.Status(*pod)->deletion_cost, std::nullopt);
  cluster.scheduler_.RunFor(absl::Seconds(100));

  EXPECT_EQ(cluster.Types(), (std::vector<EventType>{EventType::kReceived, EventType::kCompleted}));
  EXPECT_EQ(cluster.events_[1].time, 105);  // started at 5 s (process start), 100 s of work
  EXPECT_EQ(cluster.events_[1].message_id, "m-1");
  EXPECT_EQ(cluster.runtime_.busy_pods(), 0);
  EXPECT_EQ(cluster.broker_.queue().messages(), 0);
}

TEST(SimulatedPodRuntime, SigtermRequeueInterrupts) {
  SimulatedCluster cluster;
  cluster.Publish(1, 100);
  absl::StatusOr<PodId> pod =
      cluster.runtime_.CreatePod(cluster.Template({"--on-sigterm=requeue"}));
  ASSERT_TRUE(pod.ok());
  cluster.scheduler_.RunFor(absl::Seconds(20));

  ASSERT_TRUE(cluster.runtime_.SendSignal(*pod, SIGTERM).ok());

  EXPECT_EQ(cluster.Types(),
            (std::vector<EventType>{EventType::kReceived, EventType::kInterrupted}));
  EXPECT_EQ(cluster.broker_.queue().ready(), 1);
  std::optional<PodStatus> status = cluster.Status(*pod);
  ASSERT_TRUE(status.has_value());
  EXPECT_TRUE(status->exited);
  EXPECT_EQ(status->exit_code, 0);
}

TEST(SimulatedPodRuntime, SigtermIgnoredUntilKill) {
  SimulatedCluster cluster;
  cluster.Publish(1, 100);
  absl::StatusOr<PodId> pod =
      cluster.runtime_.CreatePod(cluster.Template({"--on-sigterm", "ignore"}));
  ASSERT_TRUE(pod.ok());
  cluster.scheduler_.RunFor(absl::Seconds(20));

  ASSERT_TRUE(cluster.runtime_.SendSignal(*pod, SIGTERM).ok());
  cluster.scheduler_.RunFor(absl::Seconds(30));
  EXPECT_FALSE(cluster.Status(*pod)->exited);
  ASSERT_TRUE(cluster.runtime_.SendSignal(*pod, SIGKILL).ok());

  EXPECT_EQ(cluster.Types(), (std::vector<EventType>{EventType::kReceived, EventType::kKilled}));
  EXPECT_EQ(cluster.Status(*pod)->exit_code, 137);
  ASSERT_EQ(cluster.runtime_.kills().size(), 1u);
  EXPECT_TRUE(cluster.runtime_.kills()[0].busy);

  // The killed pod's message is redelivered to the next consumer.
  absl::StatusOr<PodId> next = cluster.runtime_.CreatePod(cluster.Template({}));
  ASSERT_TRUE(next.ok());
  cluster.scheduler_.RunFor(absl::Seconds(10));
  ASSERT_EQ(cluster.events_.size(), 3u);
  EXPECT_EQ(cluster.events_[2].type, EventType::kReceived);
  EXPECT_TRUE(cluster.events_[2].redelivered);
}

TEST(SimulatedPodRuntime, SigtermDrainFinishesThenExits) {
  SimulatedCluster cluster;
  cluster.Publish(1, 100);
  cluster.Publish(2, 100);
  absl::StatusOr<PodId> pod = cluster.runtime_.CreatePod(cluster.Template({"--on-sigterm=drain"}));
  ASSERT_TRUE(pod.ok());
  cluster.scheduler_.RunFor(absl::Seconds(20));

  ASSERT_TRUE(cluster.runtime_.SendSignal(*pod, SIGTERM).ok());
  cluster.scheduler_.RunFor(absl::Seconds(200));

  EXPECT_EQ(cluster.Types(), (std::vector<EventType>{EventType::kReceived, EventType::kCompleted}));
  EXPECT_TRUE(cluster.Status(*pod)->exited);
  EXPECT_EQ(cluster.broker_.queue().ready(), 1);
}

TEST(SimulatedPodRuntime, IdleSigtermExitsUnderIgnore) {
  SimulatedCluster cluster;
  absl::StatusOr<PodId> pod =
      cluster.runtime_.CreatePod(cluster.Template({"--on-sigterm=ignore"}));
  ASSERT_TRUE(pod.ok());
  cluster.scheduler_.RunFor(absl::Seconds(20));

  ASSERT_TRUE(cluster.runtime_.SendSignal(*pod, SIGTERM).ok());

  EXPECT_TRUE(cluster.Status(*pod)->exited);
  EXPECT_TRUE(cluster.events_.empty());
}

TEST(SimulatedPodRuntime, DeletionCostFollowsWork) {
  SimulatedCluster cluster;
  cluster.Publish(1, 100);
  absl::StatusOr<PodId> pod = cluster.runtime_.CreatePod(
      cluster.Template({"--deletion-cost-endpoint=http://127.0.0.1:1"}));
  ASSERT_TRUE(pod.ok());

  cluster.scheduler_.RunFor(absl::Seconds(50));
  EXPECT_EQ(cluster.Status(*pod)->deletion_cost, std::string(kBusyDeletionCost));
  cluster.scheduler_.RunFor(absl::Seconds(100));
  EXPECT_EQ(cluster.Status(*pod)->deletion_cost, std::string(kIdleDeletionCost));
}

TEST(SimulatedPodRuntime, JobReportsIdleAfterTimeout) {
  SimulatedCluster cluster;
  JobTemplate job;
  job.pod = cluster.Template({"--mode=job", "--idle-timeout=60"});
  absl::StatusOr<JobId> id = cluster.runtime_.CreateJob(job);
  ASSERT_TRUE(id.ok());

  std::vector<JobStatus> before = cluster.runtime_.ListJobs();
  ASSERT_EQ(before.size(), 1u);
  EXPECT_TRUE(before[0].running);
  cluster.scheduler_.RunFor(absl::Seconds(100));

  EXPECT_EQ(cluster.Types(), (std::vector<EventType>{EventType::kIdle}));
  std::vector<JobStatus> after = cluster.runtime_.ListJobs();
  ASSERT_EQ(after.size(), 1u);
  EXPECT_TRUE(after[0].succeeded);
  ASSERT_TRUE(after[0].completion_time.has_value());
  EXPECT_EQ(*after[0].completion_time, absl::UnixEpoch() + absl::Seconds(65));
}

TEST(SimulatedPodRuntime, JobProcessesOneMessage) {
  SimulatedCluster cluster;
  cluster.Publish(1, 30);
  cluster.Publish(2, 30);
  JobTemplate job;
  job.pod = cluster.Template({"--mode=job"});
  ASSERT_TRUE(cluster.runtime_.CreateJob(job).ok());

  cluster.scheduler_.RunFor(absl::Seconds(100));

  EXPECT_EQ(cluster.Types(), (std::vector<EventType>{EventType::kReceived, EventType::kCompleted}));
  EXPECT_EQ(cluster.broker_.queue().ready(), 1);
  EXPECT_TRUE(cluster.runtime_.ListJobs()[0].succeeded);
}

TEST(SimulatedMetricsClient, AmqpCountsReadyHttpCountsTotalWithLag) {
  SimulatedCluster cluster;
  cluster.scheduler_.RunFor(absl::Seconds(30));
  for (int i = 0; i < 3; ++i) cluster.Publish(i, 1000);
  ASSERT_TRUE(cluster.runtime_.CreatePod(cluster.Template({})).ok());
  cluster.scheduler_.RunFor(absl::Seconds(10));  // published at 30 s, one taken at 35 s
  SimulatedMetricsClient metrics(cluster.broker_, absl::Seconds(20),
                                 {{"AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/%2F"},
                                  {"HTTP_URL", "http://guest:guest@127.0.0.1:15672"}});
  ScalerRef amqp{"so", "ns",
                 {{"queueName", "q"}, {"mode", "QueueLength"}, {"value", "1"},
                  {"hostFromEnv", "AMQP_URL"}}};
  ScalerRef http{"so", "ns",
                 {{"queueName", "q"}, {"mode", "QueueLength"}, {"value", "1"},
                  {"hostFromEnv", "HTTP_URL"}}};

  absl::StatusOr<double> ready = metrics.GetMetrics(amqp, "");
  absl::StatusOr<double> lagged = metrics.GetMetrics(http, "");
  cluster.scheduler_.RunFor(absl::Seconds(30));
  absl::StatusOr<double> total = metrics.GetMetrics(http, "");

  ASSERT_TRUE(ready.ok()) << ready.status();
  ASSERT_TRUE(lagged.ok()) << lagged.status();
  ASSERT_TRUE(total.ok()) << total.status();
  EXPECT_EQ(*ready, 2);   // passive declare: ready only
  EXPECT_EQ(*lagged, 0);  // 20 s ago (t = 20 s) the queue was empty
  EXPECT_EQ(*total, 3);   // ready + unacknowledged
  absl::StatusOr<std::vector<MetricSpec>> specs = metrics.GetMetricSpec(amqp);
  ASSERT_TRUE(specs.ok());
  ASSERT_EQ(specs->size(), 1u);
  EXPECT_EQ((*specs)[0].target, 1);
}

}  // namespace
}  // namespace krs::lab
