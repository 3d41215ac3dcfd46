// --deletion-cost-endpoint: the consumer marks its pod busy before the work and idle after
// the ack, through a fake Kubernetes API server on 127.0.0.1.
#include <httplib.h>

#include <thread>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "common/http_server_thread.h"
#include "common/mutex.h"
#include "tests/workloads/workload_harness.h"

namespace krs::workloads {
namespace {

class ConsumerDeletionCostTest : public WorkloadBrokerTest {
 protected:
  void SetUp() override {
    WorkloadBrokerTest::SetUp();
    api_.Patch(R"(/api/v1/namespaces/([^/]+)/pods/([^/]+))",
               [this](const httplib::Request& request, httplib::Response& response) {
                 MutexLock lock(&mutex_);
                 paths_.push_back(request.path);
                 costs_.push_back(nlohmann::json::parse(request.body)["metadata"]["annotations"]
                                                       ["controller.kubernetes.io/pod-deletion-cost"]);
                 response.set_content("{}", "application/json");
               });
    api_port_ = api_.bind_to_any_port("127.0.0.1");
    api_thread_ = krs::StartListeningThread(api_);
  }

  void TearDown() override {
    WorkloadBrokerTest::TearDown();
    api_.stop();
    api_thread_.join();
  }

  std::vector<std::string> costs() {
    MutexLock lock(&mutex_);
    return costs_;
  }

  httplib::Server api_;
  int api_port_ = 0;
  std::thread api_thread_;
  Mutex mutex_;
  std::vector<std::string> paths_;
  std::vector<std::string> costs_;
};

TEST_F(ConsumerDeletionCostTest, MarksPodBusyThenIdle) {
  ASSERT_EQ(RunProducer(1, "fixed:0.2"), 0);
  Process* job = StartConsumer(
      "cost", {"--mode", "job", "--deletion-cost-endpoint",
               absl::StrCat("http://127.0.0.1:", api_port_), "--busy-cost", "500",
               "--service-account-dir", work_dir_},
      {{"POD_NAME", "worker-abc"}, {"POD_NAMESPACE", "lab"}});
  ASSERT_EQ(job->Wait(absl::Seconds(15)), 0) << job->log();

  EXPECT_THAT(costs(), ::testing::ElementsAre("500", "0"));
  MutexLock lock(&mutex_);
  ASSERT_FALSE(paths_.empty());
  EXPECT_EQ(paths_[0], "/api/v1/namespaces/lab/pods/worker-abc");
}

TEST_F(ConsumerDeletionCostTest, UnreachableApiIsNotFatal) {
  ASSERT_EQ(RunProducer(1, "fixed:0.1"), 0);
  Process* job = StartConsumer(
      "cost-down", {"--mode", "job", "--deletion-cost-endpoint", "http://127.0.0.1:1",
                    "--service-account-dir", work_dir_},
      {{"POD_NAME", "worker-abc"}, {"POD_NAMESPACE", "lab"}});
  ASSERT_EQ(job->Wait(absl::Seconds(15)), 0) << job->log();
  ASSERT_TRUE(WaitForSummary([](const nlohmann::json& s) { return s["completed"] == 1; }));
  EXPECT_THAT(job->log(), ::testing::HasSubstr("cannot set the pod deletion cost"));
}

}  // namespace
}  // namespace krs::workloads
