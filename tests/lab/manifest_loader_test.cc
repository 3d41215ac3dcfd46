#include "lab/manifests/manifest_loader.h"

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "lab/manifests/kustomization.h"

namespace krs::lab {
namespace {

namespace fs = std::filesystem;

std::string SourceDir() {
  const char* dir = std::getenv("KRS_SOURCE_DIR");
  return dir == nullptr ? std::string(".") : std::string(dir);
}

TEST(ManifestLoader, ScaledObjectDefaults) {
  absl::StatusOr<ManifestSet> set = ParseManifests(R"(
apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata: {name: so, namespace: lab}
spec:
  scaleTargetRef: {name: worker}
  triggers:
    - type: external
      metadata: {scalerAddress: "127.0.0.1:9090", queueName: jobs}
)",
                                                   "inline");
  ASSERT_TRUE(set.ok()) << set.status();
  ASSERT_EQ(set->scaled_objects.size(), 1u);
  const ScaledObjectSpec& so = set->scaled_objects.front();
  EXPECT_EQ(so.namespace_name, "lab");
  EXPECT_EQ(so.polling_interval_seconds, 30);
  EXPECT_EQ(so.cooldown_period_seconds, 300);
  EXPECT_EQ(so.min_replica_count, 0);
  EXPECT_EQ(so.max_replica_count, 100);
  EXPECT_FALSE(so.hpa_behavior.has_value());
  EXPECT_EQ(so.triggers.front().metadata.at("queueName"), "jobs");
  EXPECT_EQ(so.triggers.front().metric_type, MetricTargetType::kAverageValue);
}

TEST(ManifestLoader, ScaledObjectBehaviorAndFallback) {
  absl::StatusOr<ManifestSet> set = ParseManifests(R"(
kind: ScaledObject
metadata: {name: so}
spec:
  scaleTargetRef: {name: worker}
  fallback: {failureThreshold: 3, replicas: 6, behavior: currentReplicasIfHigher}
  advanced:
    horizontalPodAutoscalerConfig:
      behavior:
        scaleDown:
          stabilizationWindowSeconds: 60
          selectPolicy: Min
          policies:
            - {type: Pods, value: 1, periodSeconds: 30}
  triggers:
    - type: external
      metricType: Value
      metadata: {scalerAddress: "127.0.0.1:9090"}
)",
                                                   "inline");
  ASSERT_TRUE(set.ok()) << set.status();
  const ScaledObjectSpec& so = set->scaled_objects.front();
  ASSERT_TRUE(so.fallback.has_value());
  EXPECT_EQ(so.fallback->behavior, FallbackBehavior::kCurrentReplicasIfHigher);
  ASSERT_TRUE(so.hpa_behavior.has_value());
  ASSERT_TRUE(so.hpa_behavior->scale_down.has_value());
  EXPECT_EQ(so.hpa_behavior->scale_down->stabilization_window_seconds, 60);
  EXPECT_EQ(so.hpa_behavior->scale_down->select_policy, HpaSelectPolicy::kMin);
  EXPECT_EQ(so.hpa_behavior->scale_down->policies->front().period_seconds, 30);
  EXPECT_FALSE(so.hpa_behavior->scale_up.has_value());
  EXPECT_EQ(so.triggers.front().metric_type, MetricTargetType::kValue);
}

TEST(ManifestLoader, ScaledJobDefaultsAndStrategy) {
  absl::StatusOr<ManifestSet> set = ParseManifests(R"(
kind: ScaledJob
metadata: {name: sj}
spec:
  scalingStrategy:
    strategy: custom
    customScalingQueueLengthDeduction: 1
    customScalingRunningJobPercentage: "0.5"
  jobTargetRef:
    template:
      spec:
        containers:
          - name: consumer
            args: [--mode=job]
  triggers:
    - type: external
      metadata: {scalerAddress: "127.0.0.1:9090"}
)",
                                                   "inline");
  ASSERT_TRUE(set.ok()) << set.status();
  const ScaledJobSpec& sj = set->scaled_jobs.front();
  EXPECT_EQ(sj.polling_interval_seconds, 30);
  EXPECT_FALSE(sj.max_replica_count.has_value());
  EXPECT_EQ(sj.successful_jobs_history_limit, 100);
  EXPECT_EQ(sj.failed_jobs_history_limit, 100);
  EXPECT_EQ(sj.scaling_strategy.strategy, ScaledJobStrategy::kCustom);
  EXPECT_EQ(sj.scaling_strategy.custom_queue_length_deduction, 1);
  EXPECT_EQ(sj.scaling_strategy.custom_running_job_percentage, "0.5");
  EXPECT_EQ(sj.job_template.pod.restart_policy, "OnFailure");
  EXPECT_EQ(sj.job_template.pod.containers.front().args.front(), "--mode=job");
}

TEST(ManifestLoader, DeploymentContainer) {
  absl::StatusOr<ManifestSet> set = ParseManifests(R"(
apiVersion: apps/v1
kind: Deployment
metadata: {name: worker}
spec:
  template:
    spec:
      terminationGracePeriodSeconds: 60
      containers:
        - name: consumer
          command: [/usr/local/bin/rmq-consumer]
          args: [--mode=worker]
          env:
            - {name: A, value: "1"}
            - name: B
              valueFrom: {secretKeyRef: {name: s, key: k}}
          lifecycle:
            preStop:
              exec: {command: [sleep, "5"]}
)",
                                                   "inline");
  ASSERT_TRUE(set.ok()) << set.status();
  const DeploymentSpec* deployment = set->FindDeployment("worker");
  ASSERT_NE(deployment, nullptr);
  EXPECT_FALSE(deployment->replicas.has_value());
  EXPECT_EQ(deployment->pod.termination_grace_period_seconds, 60);
  const ContainerSpec& container = deployment->pod.containers.front();
  EXPECT_EQ(container.env.at(0).value, "1");
  EXPECT_EQ(container.env.at(1).value_from, "secretKeyRef");
  ASSERT_TRUE(container.pre_stop_command.has_value());
  EXPECT_EQ(container.pre_stop_command->at(1), "5");
}

TEST(ManifestLoader, ErrorsNameFieldAndValue) {
  absl::StatusOr<ManifestSet> set = ParseManifests(R"(
kind: ScaledObject
metadata: {name: so}
spec:
  scaleTargetRef: {name: worker}
  minReplicaCount: many
  triggers: [{type: external}]
)",
                                                   "so.yaml");
  ASSERT_FALSE(set.ok());
  EXPECT_NE(set.status().message().find("spec.minReplicaCount"), std::string::npos)
      << set.status();
  EXPECT_NE(set.status().message().find("\"many\""), std::string::npos) << set.status();
}

TEST(ManifestLoader, InvalidYamlIsAnError) {
  EXPECT_FALSE(ParseManifests("kind: [unclosed", "bad.yaml").ok());
  EXPECT_FALSE(ParseHpaBehavior("scaleUp: {selectPolicy: Sometimes}", "b.yaml").ok());
}

TEST(ManifestLoader, BehaviorFromJson) {
  absl::StatusOr<HpaBehavior> behavior = ParseHpaBehavior(
      R"({"scaleUp": {"policies": [{"type": "Percent", "value": 50, "periodSeconds": 60}]}})",
      "b.json");
  ASSERT_TRUE(behavior.ok()) << behavior.status();
  ASSERT_TRUE(behavior->scale_up.has_value());
  EXPECT_EQ(behavior->scale_up->policies->front().type, HpaPolicyType::kPercent);
}

TEST(Kustomization, StrategicMergeOfContainers) {
  fs::path dir = fs::temp_directory_path() / "krs-kustomization-test";
  fs::remove_all(dir);
  fs::create_directories(dir / "base");
  auto write = [](const fs::path& path, const std::string& text) {
    FILE* file = std::fopen(path.c_str(), "w");
    ASSERT_NE(file, nullptr);
    std::fputs(text.c_str(), file);
    std::fclose(file);
  };
  write(dir / "base" / "kustomization.yaml", "resources: [worker.yaml]\n");
  write(dir / "base" / "worker.yaml", R"(
apiVersion: apps/v1
kind: Deployment
metadata: {name: worker}
spec:
  template:
    spec:
      terminationGracePeriodSeconds: 30
      containers:
        - name: consumer
          args: [--a, --b]
          env: [{name: X, value: "1"}, {name: Y, value: "2"}]
        - name: sidecar
          args: [--s]
---
apiVersion: v1
kind: Service
metadata: {name: gone}
)");
  write(dir / "kustomization.yaml", R"(
namespace: lab
resources: [base]
patches:
  - path: patch.yaml
  - patch: |
      $patch: delete
      apiVersion: v1
      kind: Service
      metadata: {name: gone}
)");
  write(dir / "patch.yaml", R"(
apiVersion: apps/v1
kind: Deployment
metadata: {name: worker}
spec:
  template:
    spec:
      terminationGracePeriodSeconds: 600
      containers:
        - name: consumer
          args: [--c]
          env: [{name: Y, value: "3"}, {name: Z, value: "4"}, {name: X, $patch: delete}]
)");
  absl::StatusOr<ManifestSet> set = LoadKustomization(dir.string());
  ASSERT_TRUE(set.ok()) << set.status();
  ASSERT_EQ(set->deployments.size(), 1u);
  EXPECT_TRUE(set->other_objects.empty());
  const DeploymentSpec& worker = set->deployments.front();
  EXPECT_EQ(worker.namespace_name, "lab");
  EXPECT_EQ(worker.pod.termination_grace_period_seconds, 600);
  ASSERT_EQ(worker.pod.containers.size(), 2u);
  const ContainerSpec& consumer = worker.pod.containers.front();
  EXPECT_EQ(consumer.args, (std::vector<std::string>{"--c"}));
  // X is deleted, Y merged, Z appended.
  ASSERT_EQ(consumer.env.size(), 2u);
  EXPECT_EQ(consumer.env[0].name, "Y");
  EXPECT_EQ(consumer.env[0].value, "3");
  EXPECT_EQ(consumer.env[1].name, "Z");
  EXPECT_EQ(worker.pod.containers[1].args, (std::vector<std::string>{"--s"}));
  fs::remove_all(dir);
}

TEST(Kustomization, MissingPatchTargetIsAnError) {
  fs::path dir = fs::temp_directory_path() / "krs-kustomization-missing";
  fs::remove_all(dir);
  fs::create_directories(dir);
  FILE* file = std::fopen((dir / "kustomization.yaml").c_str(), "w");
  ASSERT_NE(file, nullptr);
  std::fputs("patches:\n  - patch: |\n      kind: Deployment\n      metadata: {name: x}\n", file);
  std::fclose(file);
  absl::StatusOr<ManifestSet> set = LoadKustomization(dir.string());
  EXPECT_FALSE(set.ok());
  fs::remove_all(dir);
}

// Every experiment under manifests/experiments builds and carries one ScaledObject (with the
// Deployment it scales) or one ScaledJob.
TEST(Kustomization, LoadsEveryExperiment) {
  fs::path experiments = fs::path(SourceDir()) / "manifests" / "experiments";
  ASSERT_TRUE(fs::is_directory(experiments)) << experiments;
  int loaded = 0;
  for (const fs::directory_entry& entry : fs::directory_iterator(experiments)) {
    if (!entry.is_directory()) continue;
    SCOPED_TRACE(entry.path().string());
    absl::StatusOr<ManifestSet> set = LoadKustomization(entry.path().string());
    ASSERT_TRUE(set.ok()) << set.status();
    EXPECT_EQ(set->scaled_objects.size() + set->scaled_jobs.size(), 1u);
    for (const ScaledObjectSpec& so : set->scaled_objects) {
      const DeploymentSpec* target = set->FindDeployment(so.scale_target_name);
      ASSERT_NE(target, nullptr) << so.scale_target_name;
      EXPECT_FALSE(target->pod.containers.empty());
      EXPECT_FALSE(target->pod.containers.front().args.empty());
      EXPECT_FALSE(so.triggers.front().type.empty());
    }
    for (const ScaledJobSpec& sj : set->scaled_jobs) {
      EXPECT_FALSE(sj.job_template.pod.containers.empty());
      EXPECT_EQ(set->FindDeployment("worker"), nullptr);
    }
    ++loaded;
  }
  EXPECT_GT(loaded, 0);
}

}  // namespace
}  // namespace krs::lab
