#include "tests/testing/fake_management_server.h"

#include <cstdlib>
#include <iostream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/http_server_thread.h"

namespace krs::testing {

FakeManagementServer::FakeManagementServer() {
  handler_ = [](const httplib::Request&, httplib::Response& response) {
    response.status = 404;
    response.set_content(R"({"error":"Object Not Found","reason":"Not Found"})",
                         "application/json");
  };
  auto handle = [this](const httplib::Request& request, httplib::Response& response) {
    Handle(request, response);
  };
  server_.Get(".*", handle);
  server_.Put(".*", handle);
  server_.Post(".*", handle);
  server_.Delete(".*", handle);

  port_ = server_.bind_to_any_port("127.0.0.1");
  if (port_ <= 0) {
    std::cerr << "FakeManagementServer: binding 127.0.0.1 to a free port failed\n";
    std::abort();
  }
  thread_ = krs::StartListeningThread(server_);

  // httplib's stop() does nothing until the listen loop runs, so a server destroyed right away
  // would leave its thread behind: wait until it is running.
  absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (!server_.is_running()) {
    if (absl::Now() >= deadline) {
      std::cerr << "FakeManagementServer: the listen loop did not start within 10 s\n";
      std::abort();
    }
    absl::SleepFor(absl::Milliseconds(1));
  }
}

FakeManagementServer::~FakeManagementServer() {
  server_.stop();
  if (thread_.joinable()) thread_.join();
}

std::string FakeManagementServer::Url(absl::string_view userinfo) const {
  if (userinfo.empty()) return absl::StrCat("http://127.0.0.1:", port_);
  return absl::StrCat("http://", userinfo, "@127.0.0.1:", port_);
}

void FakeManagementServer::SetHandler(Handler handler) {
  MutexLock lock(&mu_);
  handler_ = std::move(handler);
}

std::vector<RecordedRequest> FakeManagementServer::requests() const {
  MutexLock lock(&mu_);
  return requests_;
}

void FakeManagementServer::Handle(const httplib::Request& request, httplib::Response& response) {
  Handler handler;
  {
    MutexLock lock(&mu_);
    requests_.push_back(RecordedRequest{request.method, request.path, request.target,
                                        request.get_header_value("Authorization")});
    handler = handler_;
  }
  // The handler runs without the lock so that a slow handler does not block requests().
  handler(request, response);
}

}  // namespace krs::testing
