// scripts/rabbitmq.sh when a port of the node is taken. `start` fails as soon as the node exits
// and names the setting of the taken port. Erlang's crash dump goes into the node's folder, not
// the current one, and no process is left. The node is the test's own, on ports below Linux's
// default ephemeral range, never the shared test broker.
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace krs::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr int kAmqpPort = 28672;
constexpr int kHttpPort = 28673;
constexpr int kDistPort = 28674;

// A listening socket on 127.0.0.1:port, closed by the destructor.
class HeldPort {
 public:
  explicit HeldPort(int port) : fd_(socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    // The port may be in TIME_WAIT from an earlier case's node.
    int enable = 1;
    if (fd_ >= 0) setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &enable, sizeof(enable));
    bound_ = fd_ >= 0 && bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0 &&
             listen(fd_, 1) == 0;
  }
  ~HeldPort() {
    if (fd_ >= 0) close(fd_);
  }
  HeldPort(const HeldPort&) = delete;
  HeldPort& operator=(const HeldPort&) = delete;

  bool bound() const { return bound_; }

 private:
  int fd_;
  bool bound_ = false;
};

struct ScriptResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

// A RabbitMQ node of the test's own, driven through scripts/rabbitmq.sh. Its folder and the
// folder the script runs in are both under the test's temp dir.
class ConflictNode {
 public:
  ConflictNode() {
    const char* source_dir = std::getenv("KRS_SOURCE_DIR");
    script_ = absl::StrCat(source_dir != nullptr ? source_dir : ".", "/scripts/rabbitmq.sh");
    root_ = std::filesystem::path(::testing::TempDir()) /
            absl::StrCat("port-conflict-", getpid());
    std::filesystem::create_directories(work_dir());
  }
  ~ConflictNode() {
    Run("stop");
    std::error_code ignored;
    std::filesystem::remove_all(root_, ignored);
  }

  // Runs `scripts/rabbitmq.sh ACTION` from work_dir() and returns its exit code and output.
  // With `with_ports` false, the RMQ_*_PORT variables are unset instead of set to this node's.
  ScriptResult Run(const std::string& action, bool with_ports = true) const {
    std::string ports = with_ports ? absl::StrCat(" RMQ_AMQP_PORT=", kAmqpPort, " RMQ_HTTP_PORT=",
                                                  kHttpPort, " RMQ_DIST_PORT=", kDistPort)
                                   : " -u RMQ_AMQP_PORT -u RMQ_HTTP_PORT -u RMQ_DIST_PORT";
    std::string command = absl::StrCat(
        "cd ", work_dir().string(), " && env", ports,
        " RMQ_TLS_DIR= RMQ_AMQPS_PORT= RMQ_HTTPS_PORT= RMQ_DIR=", node_dir().string(),
        " RMQ_NODE=krs-port-conflict bash ", script_, " ", action, " 2>&1");
    ScriptResult result;
    FILE* pipe = popen(command.c_str(), "r");
    if (pipe == nullptr) return result;

    std::array<char, 4096> buffer;
    size_t bytes = 0;
    while ((bytes = fread(buffer.data(), 1, buffer.size(), pipe)) > 0) {
      result.output.append(buffer.data(), bytes);
    }
    int status = pclose(pipe);
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return result;
  }

  std::filesystem::path node_dir() const { return root_ / "node"; }
  std::filesystem::path work_dir() const { return root_ / "cwd"; }

 private:
  std::string script_;
  std::filesystem::path root_;
};

struct ConflictCase {
  const char* name;
  int held_port;
  const char* variable;        // the setting that chooses the held port
  const char* free_variable;   // the setting of a port that stays free
};

void PrintTo(const ConflictCase& param, std::ostream* out) { *out << param.name; }

// Returns the number of processes whose command line contains `text`. The node's Erlang VM
// names its folder in `-home`, not its node name.
int CountProcessesWith(const std::string& text) {
  int count = 0;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    std::ifstream file(entry.path() / "cmdline", std::ios::binary);
    std::string cmdline((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
    if (cmdline.find(text) != std::string::npos) ++count;
  }
  return count;
}

class BrokerPortConflict : public ::testing::TestWithParam<ConflictCase> {};

TEST_P(BrokerPortConflict, StartFailsAndNamesPortSettings) {
  const ConflictCase& param = GetParam();
  HeldPort held(param.held_port);
  ASSERT_TRUE(held.bound()) << "port " << param.held_port << " is in use by another process";
  ConflictNode node;

  ScriptResult start = node.Run("start");

  EXPECT_NE(start.exit_code, 0) << start.output;
  EXPECT_THAT(start.output, HasSubstr("exited during boot"));
  EXPECT_THAT(start.output, HasSubstr("is already in use"));
  EXPECT_THAT(start.output, HasSubstr(absl::StrCat(param.variable, "=", param.held_port + 10,
                                                   " bash scripts/rabbitmq.sh start")));
  EXPECT_THAT(start.output, HasSubstr(absl::StrCat(param.variable, "=", param.held_port)));
  EXPECT_THAT(start.output, Not(HasSubstr(absl::StrCat(param.free_variable, "="))));
  EXPECT_FALSE(std::filesystem::exists(node.work_dir() / "erl_crash.dump"));
  EXPECT_TRUE(std::filesystem::exists(node.node_dir() / "erl_crash.dump"));

  ScriptResult status = node.Run("status");
  EXPECT_NE(status.exit_code, 0) << status.output;
  EXPECT_THAT(status.output, HasSubstr("not running"));
  EXPECT_FALSE(std::filesystem::exists(node.node_dir() / "rabbitmq.pid.launcher"));
  EXPECT_EQ(CountProcessesWith(node.node_dir().string()), 0);
}

INSTANTIATE_TEST_SUITE_P(
    HeldPorts, BrokerPortConflict,
    ::testing::Values(ConflictCase{"Distribution", kDistPort, "RMQ_DIST_PORT", "RMQ_AMQP_PORT"},
                      ConflictCase{"Amqp", kAmqpPort, "RMQ_AMQP_PORT", "RMQ_DIST_PORT"}),
    [](const ::testing::TestParamInfo<ConflictCase>& info) { return info.param.name; });

TEST(BrokerPortConflict, FreePortsStartAndAreSavedUntilStop) {
  ConflictNode node;

  ScriptResult start = node.Run("start");

  EXPECT_EQ(start.exit_code, 0) << start.output;
  EXPECT_THAT(start.output, Not(HasSubstr("already in use")));
  EXPECT_GT(CountProcessesWith(node.node_dir().string()), 0);
  // Calls without the port settings use the ports the running node was started with.
  EXPECT_THAT(node.Run("env", /*with_ports=*/false).output,
              HasSubstr(absl::StrCat("RMQ_AMQP_PORT=", kAmqpPort)));
  EXPECT_THAT(node.Run("status", /*with_ports=*/false).output,
              HasSubstr(absl::StrCat("http 127.0.0.1:", kHttpPort)));

  EXPECT_THAT(node.Run("stop").output, HasSubstr("stopped"));
  EXPECT_EQ(CountProcessesWith(node.node_dir().string()), 0);
  EXPECT_THAT(node.Run("env", /*with_ports=*/false).output,
              Not(HasSubstr(absl::StrCat("RMQ_AMQP_PORT=", kAmqpPort))));
}

}  // namespace
}  // namespace krs::testing
