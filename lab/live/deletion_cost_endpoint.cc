#include "lab/live/deletion_cost_endpoint.h"

#include <httplib.h>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "common/http_server_thread.h"
#include "workloads/common/defaults.h"

namespace krs::lab {
namespace {

void Reply(httplib::Response& response, int status, const nlohmann::json& body) {
  response.status = status;
  response.set_content(body.dump(), "application/json");
}

nlohmann::json StatusBody(int code, const std::string& message) {
  return {{"kind", "Status"}, {"apiVersion", "v1"}, {"status", "Failure"},
          {"message", message}, {"code", code}};
}

}  // namespace

DeletionCostEndpoint::DeletionCostEndpoint() : server_(std::make_unique<httplib::Server>()) {}

absl::StatusOr<std::unique_ptr<DeletionCostEndpoint>> DeletionCostEndpoint::Start() {
  std::unique_ptr<DeletionCostEndpoint> endpoint(new DeletionCostEndpoint());
  DeletionCostEndpoint* self = endpoint.get();

  self->server_->Patch(
      R"(/api/v1/namespaces/([^/]+)/pods/([^/]+))",
      [self](const httplib::Request& request, httplib::Response& response) {
        std::string name = request.matches[2];
        nlohmann::json patch = nlohmann::json::parse(request.body, nullptr, false);
        if (patch.is_discarded() || !patch.is_object()) {
          Reply(response, 400, StatusBody(400, "body is not a JSON merge patch object"));
          return;
        }
        const nlohmann::json& annotations =
            patch.value("metadata", nlohmann::json::object()).value("annotations",
                                                                    nlohmann::json::object());
        auto cost = annotations.find(workloads::kPodDeletionCostAnnotation);
        {
          MutexLock lock(&self->mu_);
          ++self->patches_;
          if (cost != annotations.end() && cost->is_string()) {
            self->costs_[name] = cost->get<std::string>();
          } else if (cost != annotations.end() && cost->is_null()) {
            self->costs_.erase(name);  // a merge patch null removes the annotation
          }
        }
        nlohmann::json pod = {{"kind", "Pod"},
                              {"apiVersion", "v1"},
                              {"metadata",
                               {{"name", name},
                                {"namespace", std::string(request.matches[1])},
                                {"annotations", annotations}}}};
        Reply(response, 200, pod);
      });

  self->port_ = self->server_->bind_to_any_port("127.0.0.1");
  if (self->port_ <= 0) {
    return absl::UnavailableError("deletion-cost endpoint: cannot bind 127.0.0.1");
  }
  self->thread_ = StartListeningThread(*self->server_);
  return endpoint;
}

DeletionCostEndpoint::~DeletionCostEndpoint() {
  server_->stop();
  if (thread_.joinable()) thread_.join();
}

std::string DeletionCostEndpoint::url() const { return absl::StrCat("http://127.0.0.1:", port_); }

std::optional<std::string> DeletionCostEndpoint::CostOf(const std::string& pod) const {
  MutexLock lock(&mu_);
  auto it = costs_.find(pod);
  if (it == costs_.end()) return std::nullopt;
  return it->second;
}

int64_t DeletionCostEndpoint::patches() const {
  MutexLock lock(&mu_);
  return patches_;
}

}  // namespace krs::lab
