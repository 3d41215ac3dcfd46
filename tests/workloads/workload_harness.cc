#include "tests/workloads/workload_harness.h"

#include <fcntl.h>
#include <httplib.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/amqp_connection.h"
#include "common/logger.h"
#include "common/url.h"
#include "workloads/common/amqp_publisher.h"

extern char** environ;

namespace krs::workloads {

std::string BinaryPath(const std::string& name) {
  const char* dir = std::getenv("KRS_BIN_DIR");
  return absl::StrCat(dir != nullptr ? dir : "build/bin", "/", name);
}

int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
  socklen_t length = sizeof(address);
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  close(fd);
  return ntohs(address.sin_port);
}

std::unique_ptr<Process> Process::Start(const std::vector<std::string>& argv,
                                        const std::map<std::string, std::string>& env,
                                        const std::string& log_path) {
  std::vector<std::string> environment;
  for (char** entry = environ; *entry != nullptr; ++entry) environment.emplace_back(*entry);
  for (const auto& [key, value] : env) environment.push_back(absl::StrCat(key, "=", value));
  std::vector<char*> envp;
  for (std::string& entry : environment) envp.push_back(entry.data());
  envp.push_back(nullptr);
  std::vector<std::string> args = argv;
  std::vector<char*> arg_pointers;
  for (std::string& arg : args) arg_pointers.push_back(arg.data());
  arg_pointers.push_back(nullptr);

  int log_fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  const pid_t parent = getpid();
  pid_t pid = fork();
  if (pid == 0) {
    // Dies with the test, also when CTest kills a test that timed out, instead of outliving it.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    dup2(log_fd, STDOUT_FILENO);
    dup2(log_fd, STDERR_FILENO);
    execve(arg_pointers[0], arg_pointers.data(), envp.data());
    _exit(127);
  }
  close(log_fd);
  return std::unique_ptr<Process>(new Process(pid, log_path));
}

Process::~Process() {
  if (exit_code_.has_value()) return;
  kill(pid_, SIGKILL);
  int status = 0;
  waitpid(pid_, &status, 0);
}

void Process::Signal(int signal_number) {
  if (!exit_code_.has_value()) kill(pid_, signal_number);
}

std::optional<int> Process::Wait(absl::Duration timeout) {
  absl::Time deadline = absl::Now() + timeout;
  while (!exit_code_.has_value()) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      break;
    }
    if (absl::Now() >= deadline) break;
    absl::SleepFor(absl::Milliseconds(20));
  }
  return exit_code_;
}

bool Process::running() { return !Wait(absl::ZeroDuration()).has_value(); }

std::string Process::log() const {
  std::ifstream file(log_path_);
  std::stringstream content;
  content << file.rdbuf();
  return content.str();
}

void WorkloadBrokerTest::SetUp() {
  SetLogLevel(LogLevel::kWarning);  // the in-process analyzer's start lines are noise here
  amqp_url_ = testing::TestAmqpUrl();
  absl::Status reachable = management_.CheckReachable();
  ASSERT_TRUE(reachable.ok()) << reachable.message();

  queue_ = testing::UniqueName("wl");
  scenario_ = queue_;
  work_dir_ = absl::StrCat(::testing::TempDir(), "/", queue_);
  mkdir(work_dir_.c_str(), 0755);
  event_log_ = absl::StrCat(work_dir_, "/events.jsonl");

  // Declare the topology the way the producer does, so consumers can start first.
  auto options = AmqpConnectionOptions::FromUrl(amqp_url_);
  ASSERT_TRUE(options.ok()) << options.status();
  auto connection = AmqpConnection::Open(*options);
  ASSERT_TRUE(connection.ok()) << connection.status()
                               << "; start the broker with scripts/rabbitmq.sh start";
  ASSERT_TRUE((*connection)->OpenChannel(1).ok());
  absl::Status declared = DeclareJobTopology(**connection, 1, {"jobs", queue_, queue_});
  ASSERT_TRUE(declared.ok()) << declared;

  AnalyzerServerOptions analyzer_options;
  analyzer_options.host = "127.0.0.1";
  analyzer_options.port = 0;
  analyzer_options.event_log_path = event_log_;
  auto analyzer = AnalyzerServer::Start(std::move(analyzer_options));
  ASSERT_TRUE(analyzer.ok()) << analyzer.status();
  analyzer_ = *std::move(analyzer);
}

void WorkloadBrokerTest::TearDown() {
  for (auto& process : processes_) {
    if (HasFailure()) {
      std::cerr << "---- log of pid " << process->pid() << "\n" << process->log() << "\n";
    }
  }
  processes_.clear();
  analyzer_.reset();
  management_.DeleteQueue("/", queue_).IgnoreError();
}

std::string WorkloadBrokerTest::analyzer_url() const {
  return absl::StrCat("http://127.0.0.1:", analyzer_->port());
}

std::string WorkloadBrokerTest::LogPath(const std::string& name) const {
  return absl::StrCat(work_dir_, "/", name, ".log");
}

Process* WorkloadBrokerTest::StartConsumer(const std::string& name,
                                           const std::vector<std::string>& extra_args,
                                           const std::map<std::string, std::string>& env) {
  std::vector<std::string> argv = {BinaryPath("rmq-consumer"), "--amqp-url", amqp_url_,
                                   "--queue", queue_, "--analyzer-url", analyzer_url(),
                                   "--consumer-id", name, "--scenario", scenario_,
                                   "--heartbeat", "10"};
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  processes_.push_back(Process::Start(argv, env, LogPath(name)));
  return processes_.back().get();
}

Process* WorkloadBrokerTest::StartProducer(int count, const std::string& duration,
                                           const std::vector<std::string>& extra_args) {
  std::vector<std::string> argv = {BinaryPath("rmq-producer"), "--amqp-url", amqp_url_,
                                   "--queue", queue_, "--routing-key", queue_,
                                   "--scenario", scenario_, "--count", absl::StrCat(count),
                                   "--duration", duration, "--analyzer-url", analyzer_url()};
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  processes_.push_back(Process::Start(argv, {}, LogPath("producer")));
  return processes_.back().get();
}

int WorkloadBrokerTest::RunProducer(int count, const std::string& duration,
                                    const std::vector<std::string>& extra_args) {
  Process* producer = StartProducer(count, duration, extra_args);
  std::optional<int> code = producer->Wait(absl::Seconds(30));
  EXPECT_TRUE(code.has_value()) << "rmq-producer did not finish:\n" << producer->log();
  return code.value_or(-1);
}

nlohmann::json WorkloadBrokerTest::Summary() {
  httplib::Client client("127.0.0.1", analyzer_->port());
  auto response = client.Get("/results");
  if (!response || response->status != 200) return nlohmann::json::object();
  nlohmann::json results = nlohmann::json::parse(response->body, nullptr, false);
  if (!results.is_object() || !results.contains(scenario_)) return nlohmann::json::object();
  return results[scenario_];
}

bool WorkloadBrokerTest::WaitForSummary(
    const std::function<bool(const nlohmann::json&)>& condition, absl::Duration timeout) {
  return testing::Eventually(
      [&] {
        nlohmann::json summary = Summary();
        return !summary.empty() && condition(summary);
      },
      timeout, absl::Milliseconds(100));
}

std::vector<Event> WorkloadBrokerTest::StoredEvents() {
  std::vector<Event> events;
  std::ifstream file(event_log_);
  std::string line;
  while (std::getline(file, line)) {
    auto event = EventFromJson(nlohmann::json::parse(line, nullptr, false));
    if (event.ok()) events.push_back(*event);
  }
  return events;
}

int64_t WorkloadBrokerTest::ReadyMessages() {
  auto options = AmqpConnectionOptions::FromUrl(amqp_url_);
  auto connection = AmqpConnection::Open(*options);
  if (!connection.ok() || !(*connection)->OpenChannel(1).ok()) return -1;
  auto declare_ok = (*connection)->DeclareQueuePassive(1, queue_);
  return declare_ok.ok() ? declare_ok->message_count : -1;
}

void WorkloadBrokerTest::PublishRaw(const std::string& body, const nlohmann::json& properties) {
  nlohmann::json request = {{"properties", properties},
                            {"routing_key", queue_},
                            {"payload", body},
                            {"payload_encoding", "string"}};
  auto response = management_.Request("POST", "/api/exchanges/%2F/amq.default/publish",
                                      request.dump());
  ASSERT_TRUE(response.ok()) << response.status();
  ASSERT_NE(response->find("\"routed\":true"), std::string::npos) << *response;
}

void WorkloadBrokerTest::PostEvent(const Event& event) {
  httplib::Client client("127.0.0.1", analyzer_->port());
  auto response = client.Post("/events", EventToJson(event).dump(), "application/json");
  ASSERT_TRUE(response);
  ASSERT_EQ(response->status, 202) << response->body;
}

std::vector<Event> EventsOfType(const std::vector<Event>& events, EventType type,
                                const std::string& consumer_id) {
  std::vector<Event> result;
  for (const Event& event : events) {
    if (event.type == type && (consumer_id.empty() || event.consumer_id == consumer_id)) {
      result.push_back(event);
    }
  }
  return result;
}

}  // namespace krs::workloads
