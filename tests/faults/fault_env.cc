#include "tests/faults/fault_env.h"

#include <dirent.h>

#include <cstdlib>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace krs::testing {
namespace {

std::string EnvOr(const char* name, const std::string& fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? value : fallback;
}

}  // namespace

FaultBroker::FaultBroker() {
  node_ = EnvOr("KRS_FAULT_RMQ_NODE", "krs-faults");
  if (!absl::SimpleAtoi(EnvOr("KRS_FAULT_RMQ_PORT", "26672"), &amqp_port_)) amqp_port_ = 26672;
}

absl::Status FaultBroker::Start() const { return Run("start"); }
absl::Status FaultBroker::Stop() const { return Run("stop"); }

std::string FaultBroker::AmqpUrl() const {
  return absl::StrCat("amqp://guest:guest@127.0.0.1:", amqp_port_, "/%2F");
}

std::string FaultBroker::HttpUrl() const {
  return absl::StrCat("http://guest:guest@127.0.0.1:", http_port());
}

absl::Status FaultBroker::Run(const std::string& command) const {
  std::string source_dir = EnvOr("KRS_SOURCE_DIR", ".");
  // The shared broker's settings are in the environment under scripts/test.sh (its RMQ_DIR and
  // TLS ports); empty values make rabbitmq.sh use this node's own defaults and no TLS.
  std::string line = absl::StrCat("RMQ_DIR= RMQ_TLS_DIR= RMQ_AMQPS_PORT= RMQ_HTTPS_PORT= ",
                                  "RMQ_NODE=", node_, " RMQ_AMQP_PORT=", amqp_port_,
                                  " RMQ_HTTP_PORT=", amqp_port_ + 1,
                                  " RMQ_DIST_PORT=", amqp_port_ + 2, " bash ", source_dir,
                                  "/scripts/rabbitmq.sh ", command, " >/dev/null 2>&1");
  int code = std::system(line.c_str());
  if (code != 0) {
    return absl::UnavailableError(absl::StrCat("scripts/rabbitmq.sh ", command, " for node ",
                                               node_, " failed with status ", code));
  }
  return absl::OkStatus();
}

int CountOpenFds(pid_t pid) {
  DIR* dir = opendir(absl::StrCat("/proc/", pid, "/fd").c_str());
  if (dir == nullptr) return -1;
  int count = 0;
  while (dirent* entry = readdir(dir)) {
    if (entry->d_name[0] != '.') ++count;
  }
  closedir(dir);
  return count;
}

}  // namespace krs::testing
