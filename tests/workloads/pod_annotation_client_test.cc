#include "common/mutex.h"
#include "workloads/consumer/pod_annotation_client.h"

#include <httplib.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "common/http_server_thread.h"

namespace krs::workloads {
namespace {

using ::testing::HasSubstr;

// A stand-in for the Kubernetes API server that records every request.
class FakeApiServer {
 public:
  struct Request {
    std::string method;
    std::string path;
    std::string content_type;
    std::string authorization;
    std::string body;
  };

  explicit FakeApiServer(int status = 200) : status_(status) {
    server_.Patch(R"(/api/v1/namespaces/([^/]+)/pods/([^/]+))",
                  [this](const httplib::Request& request, httplib::Response& response) {
                    Record(request);
                    response.status = status_;
                    response.set_content("{}", "application/json");
                  });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = krs::StartListeningThread(server_);
  }
  ~FakeApiServer() {
    server_.stop();
    thread_.join();
  }

  std::string url() const { return absl::StrCat("http://127.0.0.1:", port_); }
  std::vector<Request> requests() {
    MutexLock lock(&mutex_);
    return requests_;
  }

 private:
  void Record(const httplib::Request& request) {
    MutexLock lock(&mutex_);
    requests_.push_back({request.method, request.path, request.get_header_value("Content-Type"),
                         request.get_header_value("Authorization"), request.body});
  }

  int status_;
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  Mutex mutex_;
  std::vector<Request> requests_;
};

std::string WriteTempFile(const std::string& name, const std::string& content) {
  std::string path = absl::StrCat(::testing::TempDir(), "/", getpid(), "-", name);
  std::ofstream(path) << content;
  return path;
}

PodAnnotationClientOptions Options(const std::string& endpoint, const std::string& namespace_name,
                                   const std::string& pod_name) {
  PodAnnotationClientOptions options;
  options.endpoint = endpoint;
  options.namespace_name = namespace_name;
  options.pod_name = pod_name;
  return options;
}

PodAnnotationClient MakeClient(const std::string& url, const std::string& token_file = "") {
  PodAnnotationClientOptions options;
  options.endpoint = url;
  options.namespace_name = "jobs";
  options.pod_name = "worker-7d9f";
  options.token_file = token_file;
  auto client = PodAnnotationClient::Create(options);
  EXPECT_TRUE(client.ok()) << client.status();
  return *std::move(client);
}

TEST(PodAnnotationClient, SendsMergePatchWithBearerToken) {
  FakeApiServer api;
  PodAnnotationClient client = MakeClient(api.url(), WriteTempFile("token", "secret-token\n"));

  ASSERT_TRUE(client.SetDeletionCost(1000).ok());

  std::vector<FakeApiServer::Request> requests = api.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "PATCH");
  EXPECT_EQ(requests[0].path, "/api/v1/namespaces/jobs/pods/worker-7d9f");
  EXPECT_EQ(requests[0].content_type, "application/merge-patch+json");
  EXPECT_EQ(requests[0].authorization, "Bearer secret-token");
  EXPECT_EQ(nlohmann::json::parse(requests[0].body),
            nlohmann::json::parse(R"({"metadata":{"annotations":{)"
                                  R"("controller.kubernetes.io/pod-deletion-cost":"1000"}}})"));
}

TEST(PodAnnotationClient, SkipsUnchangedCostAndSendsChanges) {
  FakeApiServer api;
  PodAnnotationClient client = MakeClient(api.url());
  ASSERT_TRUE(client.SetDeletionCost(1000).ok());
  ASSERT_TRUE(client.SetDeletionCost(1000).ok());
  ASSERT_TRUE(client.SetDeletionCost(0).ok());

  std::vector<FakeApiServer::Request> requests = api.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_THAT(requests[1].body, HasSubstr(R"("controller.kubernetes.io/pod-deletion-cost":"0")"));
  EXPECT_EQ(requests[1].authorization, "");
  EXPECT_EQ(client.successes(), 2);
}

TEST(PodAnnotationClient, CountsFailures) {
  FakeApiServer api(/*status=*/403);
  PodAnnotationClient client = MakeClient(api.url());
  absl::Status status = client.SetDeletionCost(1000);
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(status.message(), HasSubstr("HTTP 403"));

  PodAnnotationClient unreachable = MakeClient("http://127.0.0.1:1");
  EXPECT_FALSE(unreachable.SetDeletionCost(1000).ok());
  EXPECT_FALSE(unreachable.SetDeletionCost(1000).ok());  // a failed value is retried
  EXPECT_EQ(client.failures(), 1);
  EXPECT_EQ(unreachable.failures(), 2);
}

TEST(PodAnnotationClient, EncodesPathSegments) {
  auto client = PodAnnotationClient::Create(Options("http://127.0.0.1:1", "a/b", "pod 1"));
  ASSERT_TRUE(client.ok());
  EXPECT_EQ(client->PodPath(), "/api/v1/namespaces/a%2Fb/pods/pod%201");
}

TEST(PodAnnotationClient, RejectsIncompleteOptions) {
  EXPECT_FALSE(PodAnnotationClient::Create(Options("ftp://x", "ns", "pod")).ok());
  EXPECT_FALSE(PodAnnotationClient::Create(Options("http://x", "", "pod")).ok());
  EXPECT_FALSE(PodAnnotationClient::Create(Options("http://x", "ns", "")).ok());
}

TEST(PodAnnotationClient, ReadsServiceAccountDirectory) {
  std::string dir = absl::StrCat(::testing::TempDir(), "/sa-", getpid());
  mkdir(dir.c_str(), 0755);
  std::ofstream(dir + "/namespace") << "team-a\n";
  std::ofstream(dir + "/token") << "t";
  setenv("POD_NAME", "worker-1", 1);
  unsetenv("POD_NAMESPACE");
  unsetenv("KUBERNETES_SERVICE_HOST");

  auto options = PodAnnotationClient::OptionsFromEnvironment("http://127.0.0.1:9", dir);
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->namespace_name, "team-a");
  EXPECT_EQ(options->pod_name, "worker-1");
  EXPECT_EQ(options->token_file, dir + "/token");
  EXPECT_EQ(options->ca_file, "");  // no ca.crt in the folder

  EXPECT_FALSE(PodAnnotationClient::OptionsFromEnvironment("in-cluster", dir).ok());
  setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1", 1);
  setenv("KUBERNETES_SERVICE_PORT", "443", 1);
  setenv("POD_NAMESPACE", "team-b", 1);
  auto in_cluster = PodAnnotationClient::OptionsFromEnvironment("in-cluster", dir);
  ASSERT_TRUE(in_cluster.ok()) << in_cluster.status();
  EXPECT_EQ(in_cluster->endpoint, "https://10.96.0.1:443");
  EXPECT_EQ(in_cluster->namespace_name, "team-b");
}

}  // namespace
}  // namespace krs::workloads
