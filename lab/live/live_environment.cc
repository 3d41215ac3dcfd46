#include "lab/live/live_environment.h"

#include <amqp.h>
#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/amqp_connection.h"
#include "common/logger.h"
#include "common/url.h"
#include "nlohmann/json.hpp"
#include "workloads/common/amqp_publisher.h"
#include "workloads/common/defaults.h"

namespace krs::lab {
namespace {

constexpr amqp_channel_t kChannel = 1;
constexpr char kProbeQueue[] = "scalein-lab-probe";

std::string EnvOr(const char* name, const std::string& fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? std::string(value) : fallback;
}

// An httplib client for the management API URL, with its basic-auth credentials.
absl::StatusOr<std::unique_ptr<httplib::Client>> ManagementClient(const std::string& http_url) {
  absl::StatusOr<Url> url = ParseUrl(http_url);
  if (!url.ok()) return url.status();
  auto client = std::make_unique<httplib::Client>(url->host, url->port == 0 ? 80 : url->port);
  client->set_basic_auth(url->username, url->password);
  client->set_connection_timeout(2);
  client->set_read_timeout(5);
  return client;
}

bool TcpAnswers(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<uint16_t>(port));
  bool connected = connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
  close(fd);
  return connected;
}

absl::StatusOr<std::unique_ptr<AmqpConnection>> OpenChannel(const std::string& amqp_url) {
  absl::StatusOr<AmqpConnectionOptions> options = AmqpConnectionOptions::FromUrl(amqp_url);
  if (!options.ok()) return options.status();
  options->connection_name = "scalein-lab";
  absl::StatusOr<std::unique_ptr<AmqpConnection>> connection = AmqpConnection::Open(*options);
  if (!connection.ok()) return connection.status();
  absl::Status status = (*connection)->OpenChannel(kChannel);
  if (!status.ok()) return status;
  return connection;
}

absl::Status Purge(AmqpConnection& connection, const std::string& queue) {
  amqp_queue_purge(connection.state(), kChannel, workloads::BytesOf(queue));
  return connection.CheckReply(amqp_get_rpc_reply(connection.state()), kChannel,
                               absl::StrCat("queue.purge ", queue));
}

}  // namespace

absl::StatusOr<std::unique_ptr<LiveEnvironment>> LiveEnvironment::Start(
    LiveEnvironmentOptions options) {
  std::unique_ptr<LiveEnvironment> environment(new LiveEnvironment(std::move(options)));
  LiveEnvironment& self = *environment;
  std::string amqp_port = EnvOr("RMQ_AMQP_PORT", "29672");
  std::string http_port = EnvOr("RMQ_HTTP_PORT", "29673");
  self.amqp_url_ = !self.options_.amqp_url.empty()
                       ? self.options_.amqp_url
                       : EnvOr("RMQ_AMQP_URL",
                               absl::StrCat("amqp://guest:guest@127.0.0.1:", amqp_port, "/%2F"));
  self.http_url_ = !self.options_.http_url.empty()
                       ? self.options_.http_url
                       : EnvOr("RMQ_HTTP_URL", absl::StrCat("http://guest:guest@127.0.0.1:",
                                                            http_port));

  absl::Status status = self.EnsureBroker();
  if (status.ok()) status = self.StartAnalyzer();
  if (status.ok()) status = self.StartScaler();
  if (status.ok()) status = self.MeasureBroker();
  if (!status.ok()) return status;  // the destructor stops what was started
  return environment;
}

LiveEnvironment::~LiveEnvironment() {
  if (scaler_) scaler_->Stop(absl::Seconds(5));
  if (analyzer_) analyzer_->Stop(absl::Seconds(5));
  if (!started_broker_) return;

  ChildOptions stop;
  stop.argv = {"/bin/bash", absl::StrCat(options_.repo_root, "/scripts/rabbitmq.sh"), "stop"};
  stop.env = CurrentEnvironment();
  stop.log_path = absl::StrCat(options_.work_dir, "/rabbitmq.log");
  absl::StatusOr<std::unique_ptr<ChildProcess>> process = ChildProcess::Start(stop);
  if (process.ok()) (*process)->Wait(absl::Seconds(60));
  Log(LogLevel::kInfo, "stopped the broker this run started");
}

bool LiveEnvironment::ManagementAnswers() const {
  absl::StatusOr<std::unique_ptr<httplib::Client>> client = ManagementClient(http_url_);
  if (!client.ok()) return false;
  auto response = (*client)->Get("/api/overview");
  return response && response->status == 200;
}

absl::Status LiveEnvironment::EnsureBroker() {
  if (ManagementAnswers()) {
    Log(LogLevel::kInfo, "reusing the running broker", {{"url", RedactUrl(http_url_)}});
    return absl::OkStatus();
  }

  // scripts/rabbitmq.sh reads its ports from RMQ_AMQP_PORT / RMQ_HTTP_PORT: pass the URLs'.
  absl::StatusOr<Url> amqp = ParseUrl(amqp_url_);
  absl::StatusOr<Url> http = ParseUrl(http_url_);
  if (!amqp.ok() || !http.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("invalid broker URL ", RedactUrl(amqp_url_),
                                                   " or ", RedactUrl(http_url_)));
  }
  ChildOptions start;
  start.argv = {"/bin/bash", absl::StrCat(options_.repo_root, "/scripts/rabbitmq.sh"), "start"};
  start.env = CurrentEnvironment();
  start.env["RMQ_AMQP_PORT"] = absl::StrCat(amqp->port);
  start.env["RMQ_HTTP_PORT"] = absl::StrCat(http->port);
  start.log_path = absl::StrCat(options_.work_dir, "/rabbitmq.log");
  Log(LogLevel::kInfo, "starting the broker", {{"script", start.argv[1]}});
  absl::StatusOr<std::unique_ptr<ChildProcess>> process = ChildProcess::Start(start);
  if (!process.ok()) return process.status();
  started_broker_ = true;
  std::optional<int> code = (*process)->Wait(absl::Seconds(150));
  if (!code.has_value() || *code != 0 || !ManagementAnswers()) {
    return absl::UnavailableError(absl::StrCat(
        "scripts/rabbitmq.sh start failed; see ", start.log_path));
  }
  return absl::OkStatus();
}

absl::Status LiveEnvironment::StartAnalyzer() {
  absl::StatusOr<int> port = PickFreePort();
  if (!port.ok()) return port.status();
  event_log_path_ = absl::StrCat(options_.work_dir, "/events.jsonl");
  std::remove(event_log_path_.c_str());  // the analyzer replays an existing log

  ChildOptions child;
  child.argv = {absl::StrCat(options_.bin_dir, "/result-analyzer"),
                absl::StrCat("--listen=127.0.0.1:", *port),
                absl::StrCat("--event_log=", event_log_path_), "--log_level=warning"};
  child.env = CurrentEnvironment();
  child.log_path = absl::StrCat(options_.work_dir, "/result-analyzer.log");
  absl::StatusOr<std::unique_ptr<ChildProcess>> process = ChildProcess::Start(child);
  if (!process.ok()) return process.status();
  analyzer_ = *std::move(process);
  analyzer_url_ = absl::StrCat("http://127.0.0.1:", *port);

  httplib::Client client("127.0.0.1", *port);
  client.set_connection_timeout(1);
  absl::Time deadline = absl::Now() + absl::Seconds(15);
  while (absl::Now() < deadline) {
    auto response = client.Get("/healthz");
    if (response && response->status == 200) return absl::OkStatus();
    if (analyzer_->Poll().has_value()) break;
    absl::SleepFor(absl::Milliseconds(50));
  }
  return absl::UnavailableError(
      absl::StrCat("result-analyzer did not become healthy; see ", child.log_path));
}

absl::Status LiveEnvironment::StartScaler() {
  absl::StatusOr<int> port = PickFreePort();
  if (!port.ok()) return port.status();
  ChildOptions child;
  child.argv = {absl::StrCat(options_.bin_dir, "/rabbitmq-scaler"),
                absl::StrCat("--listen=127.0.0.1:", *port),
                absl::StrCat("--cache_ttl=",
                             absl::FormatDuration(options_.scaler_cache_ttl)),
                "--log_level=warning"};
  child.env = CurrentEnvironment();
  child.log_path = absl::StrCat(options_.work_dir, "/rabbitmq-scaler.log");
  absl::StatusOr<std::unique_ptr<ChildProcess>> process = ChildProcess::Start(child);
  if (!process.ok()) return process.status();
  scaler_ = *std::move(process);
  scaler_address_ = absl::StrCat("127.0.0.1:", *port);

  absl::Time deadline = absl::Now() + absl::Seconds(15);
  while (absl::Now() < deadline) {
    if (TcpAnswers(*port)) return absl::OkStatus();
    if (scaler_->Poll().has_value()) break;
    absl::SleepFor(absl::Milliseconds(50));
  }
  return absl::UnavailableError(
      absl::StrCat("rabbitmq-scaler did not start listening; see ", child.log_path));
}

absl::Status LiveEnvironment::PrepareQueue(const std::string& queue) {
  absl::StatusOr<std::unique_ptr<AmqpConnection>> connection = OpenChannel(amqp_url_);
  if (!connection.ok()) return connection.status();
  workloads::JobTopology topology{workloads::kDefaultExchange, queue, queue};
  absl::Status status = workloads::DeclareJobTopology(**connection, kChannel, topology);
  if (!status.ok()) return status;
  return Purge(**connection, queue);
}

absl::StatusOr<std::pair<int64_t, int64_t>> LiveEnvironment::QueueCounts(
    const std::string& queue) const {
  absl::StatusOr<std::unique_ptr<httplib::Client>> client = ManagementClient(http_url_);
  if (!client.ok()) return client.status();
  auto response =
      (*client)->Get(absl::StrCat("/api/queues/%2F/", PercentEncodePathSegment(queue)));
  if (!response || response->status != 200) {
    return absl::UnavailableError(absl::StrCat("management API read of queue ", queue,
                                               " failed: HTTP ",
                                               response ? response->status : -1));
  }
  nlohmann::json body = nlohmann::json::parse(response->body, nullptr, false);
  if (!body.is_object()) return absl::UnavailableError("management API returned invalid JSON");
  return std::make_pair(body.value("messages_ready", int64_t{0}),
                        body.value("messages_unacknowledged", int64_t{0}));
}

absl::Status LiveEnvironment::MeasureBroker() {
  absl::StatusOr<std::unique_ptr<AmqpConnection>> connection = OpenChannel(amqp_url_);
  if (!connection.ok()) return connection.status();
  AmqpConnection& amqp = **connection;
  amqp_queue_declare(amqp.state(), kChannel, workloads::BytesOf(kProbeQueue), 0, 0, 0, 1,
                     amqp_empty_table);
  absl::Status status = amqp.CheckReply(amqp_get_rpc_reply(amqp.state()), kChannel,
                                        "queue.declare probe");
  if (status.ok()) status = Purge(amqp, kProbeQueue);
  if (!status.ok()) return status;

  std::vector<double> round_trips;
  for (int i = 0; i < 20; ++i) {
    absl::Time start = absl::Now();
    absl::StatusOr<QueueDeclareOk> declare = amqp.DeclareQueuePassive(kChannel, kProbeQueue);
    if (!declare.ok()) return declare.status();
    round_trips.push_back(absl::ToDoubleMilliseconds(absl::Now() - start));
  }

  // Management lag: publish one message, poll the management API until it shows up.
  std::vector<double> lags;
  for (int probe = 1; probe <= options_.lag_probes; ++probe) {
    absl::Time start = absl::Now();
    int result = amqp_basic_publish(amqp.state(), kChannel, amqp_empty_bytes,
                                    workloads::BytesOf(kProbeQueue), 0, 0, nullptr,
                                    workloads::BytesOf("probe"));
    status = amqp.CheckLibraryStatus(result, "basic.publish probe");
    if (!status.ok()) return status;
    absl::StatusOr<std::unique_ptr<httplib::Client>> client = ManagementClient(http_url_);
    if (!client.ok()) return client.status();
    while (absl::Now() - start < absl::Seconds(15)) {
      auto response = (*client)->Get(absl::StrCat("/api/queues/%2F/", kProbeQueue));
      if (response && response->status == 200) {
        nlohmann::json body = nlohmann::json::parse(response->body, nullptr, false);
        if (body.is_object() && body.value("messages", int64_t{0}) >= probe) break;
      }
      absl::SleepFor(absl::Milliseconds(10));
    }
    lags.push_back(absl::ToDoubleMilliseconds(absl::Now() - start));
  }
  Purge(amqp, kProbeQueue).IgnoreError();

  MutexLock lock(&mu_);
  broker_round_trips_ms_ = round_trips;
  management_lags_ms_ = lags;
  return absl::OkStatus();
}

std::vector<double> LiveEnvironment::broker_round_trips_ms() const {
  MutexLock lock(&mu_);
  return broker_round_trips_ms_;
}

std::vector<double> LiveEnvironment::management_lags_ms() const {
  MutexLock lock(&mu_);
  return management_lags_ms_;
}

}  // namespace krs::lab
