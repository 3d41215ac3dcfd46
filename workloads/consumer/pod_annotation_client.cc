#include "workloads/consumer/pod_annotation_client.h"

#include <httplib.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/url.h"
#include "nlohmann/json.hpp"
#include "workloads/common/defaults.h"

namespace krs::workloads {
namespace {

std::optional<std::string> ReadTrimmedFile(const std::string& path) {
  std::ifstream file(path);
  if (!file) return std::nullopt;
  std::stringstream content;
  content << file.rdbuf();
  return std::string(absl::StripAsciiWhitespace(content.str()));
}

bool FileExists(const std::string& path) { return access(path.c_str(), R_OK) == 0; }

std::string GetEnv(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? "" : value;
}

}  // namespace

absl::StatusOr<PodAnnotationClient> PodAnnotationClient::Create(
    PodAnnotationClientOptions options) {
  absl::StatusOr<Url> url = ParseUrl(options.endpoint);
  if (!url.ok() || (url->scheme != "http" && url->scheme != "https")) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid --deletion-cost-endpoint \"", RedactUrl(options.endpoint),
                     "\": expected an http:// or https:// URL, or in-cluster"));
  }
  if (options.namespace_name.empty()) {
    return absl::InvalidArgumentError(
        "pod deletion cost: the namespace is unknown; set POD_NAMESPACE");
  }
  if (options.pod_name.empty()) {
    return absl::InvalidArgumentError("pod deletion cost: the pod name is unknown; set POD_NAME");
  }
  options.endpoint = std::string(absl::StripSuffix(options.endpoint, "/"));
  return PodAnnotationClient(std::move(options));
}

absl::StatusOr<PodAnnotationClientOptions> PodAnnotationClient::OptionsFromEnvironment(
    const std::string& endpoint, const std::string& service_account_dir) {
  PodAnnotationClientOptions options;
  options.endpoint = endpoint;
  if (endpoint == "in-cluster") {
    std::string host = GetEnv("KUBERNETES_SERVICE_HOST");
    std::string port = GetEnv("KUBERNETES_SERVICE_PORT");
    if (host.empty() || port.empty()) {
      return absl::FailedPreconditionError(
          "--deletion-cost-endpoint=in-cluster needs KUBERNETES_SERVICE_HOST and "
          "KUBERNETES_SERVICE_PORT (set by Kubernetes in every pod)");
    }
    if (absl::StrContains(host, ':')) host = absl::StrCat("[", host, "]");
    options.endpoint = absl::StrCat("https://", host, ":", port);
  }

  options.pod_name = GetEnv(kPodNameEnv);
  options.namespace_name = GetEnv(kPodNamespaceEnv);
  std::string dir = std::string(absl::StripSuffix(service_account_dir, "/"));
  if (options.namespace_name.empty()) {
    options.namespace_name = ReadTrimmedFile(absl::StrCat(dir, "/namespace")).value_or("");
  }
  if (FileExists(absl::StrCat(dir, "/token"))) options.token_file = absl::StrCat(dir, "/token");
  if (FileExists(absl::StrCat(dir, "/ca.crt"))) options.ca_file = absl::StrCat(dir, "/ca.crt");
  return options;
}

std::string PodAnnotationClient::PodPath() const {
  return absl::StrCat("/api/v1/namespaces/", PercentEncodePathSegment(options_.namespace_name),
                      "/pods/", PercentEncodePathSegment(options_.pod_name));
}

absl::Status PodAnnotationClient::SetDeletionCost(int64_t cost) {
  if (last_cost_ == cost) return absl::OkStatus();
  absl::Status status = Patch(cost);
  if (!status.ok()) {
    ++failures_;
    return status;
  }
  ++successes_;
  last_cost_ = cost;
  return absl::OkStatus();
}

absl::Status PodAnnotationClient::Patch(int64_t cost) {
  httplib::Client client(options_.endpoint);
  auto seconds = absl::ToInt64Seconds(options_.timeout);
  auto microseconds = absl::ToInt64Microseconds(options_.timeout - absl::Seconds(seconds));
  client.set_connection_timeout(seconds, microseconds);
  client.set_read_timeout(seconds, microseconds);
  if (!options_.ca_file.empty()) client.set_ca_cert_path(options_.ca_file.c_str());

  httplib::Headers headers;
  if (!options_.token_file.empty()) {
    std::optional<std::string> token = ReadTrimmedFile(options_.token_file);
    if (!token.has_value()) {
      return absl::FailedPreconditionError(
          absl::StrCat("cannot read the service-account token file ", options_.token_file));
    }
    headers.emplace("Authorization", absl::StrCat("Bearer ", *token));
  }

  nlohmann::json body = {
      {"metadata", {{"annotations", {{kPodDeletionCostAnnotation, absl::StrCat(cost)}}}}}};
  std::string path = PodPath();
  httplib::Result result =
      client.Patch(path.c_str(), headers, body.dump(), "application/merge-patch+json");
  if (!result) {
    return absl::UnavailableError(absl::StrCat("PATCH ", path, " failed: ",
                                               httplib::to_string(result.error())));
  }
  if (result->status < 200 || result->status >= 300) {
    return absl::UnavailableError(absl::StrCat("PATCH ", path, " returned HTTP ", result->status,
                                               ": ", result->body.substr(0, 200)));
  }
  return absl::OkStatus();
}

}  // namespace krs::workloads
