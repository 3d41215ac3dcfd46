#include "workloads/analyzer/analyzer_server.h"

#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/http_server_thread.h"
#include "common/logger.h"

namespace krs::workloads {
namespace {

constexpr char kJson[] = "application/json";

void SetError(httplib::Response& response, int status, absl::string_view reason) {
  response.status = status;
  response.set_content(nlohmann::json{{"error", std::string(reason)}}.dump(), kJson);
}

}  // namespace

absl::StatusOr<std::vector<Event>> ParseEventsBody(absl::string_view body) {
  nlohmann::json json =
      nlohmann::json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) return absl::InvalidArgumentError("request body is not valid JSON");

  std::vector<Event> events;
  if (!json.is_array()) {
    absl::StatusOr<Event> event = EventFromJson(json);
    if (!event.ok()) return event.status();
    events.push_back(*std::move(event));
    return events;
  }
  for (size_t i = 0; i < json.size(); ++i) {
    absl::StatusOr<Event> event = EventFromJson(json[i]);
    if (!event.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("event [", i, "]: ", event.status().message()));
    }
    events.push_back(*std::move(event));
  }
  return events;
}

absl::StatusOr<std::unique_ptr<AnalyzerServer>> AnalyzerServer::Start(
    AnalyzerServerOptions options) {
  std::unique_ptr<AnalyzerServer> server(new AnalyzerServer(std::move(options)));
  absl::Status status = server->Init();
  if (!status.ok()) return status;
  return server;
}

absl::Status AnalyzerServer::Init() {
  if (!options_.event_log_path.empty()) {
    EventLog::Replay replay;
    absl::StatusOr<std::unique_ptr<EventLog>> log = EventLog::Open(options_.event_log_path, replay);
    if (!log.ok()) return log.status();
    MutexLock lock(&mutex_);
    log_ = *std::move(log);
    for (const Event& event : replay.events) store_.Add(event);
    Log(LogLevel::kInfo, "replayed event log",
        {{"path", options_.event_log_path}, {"events", store_.size()},
         {"skipped_lines", replay.skipped_lines}, {"torn_tail", replay.torn_tail}});
  }

  RegisterHandlers();
  server_.set_payload_max_length(options_.max_body_bytes);
  if (options_.port == 0) {
    port_ = server_.bind_to_any_port(options_.host);
  } else {
    port_ = server_.bind_to_port(options_.host, options_.port) ? options_.port : -1;
  }
  if (port_ <= 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", options_.host, ":", options_.port));
  }
  thread_ = StartListeningThread(server_);
  Log(LogLevel::kInfo, "result-analyzer listening", {{"host", options_.host}, {"port", port_}});
  return absl::OkStatus();
}

AnalyzerServer::~AnalyzerServer() {
  Stop();
  if (thread_.joinable()) thread_.join();
}

void AnalyzerServer::Wait() {
  if (thread_.joinable()) thread_.join();
}

void AnalyzerServer::Stop() { server_.stop(); }

size_t AnalyzerServer::event_count() const {
  MutexLock lock(&mutex_);
  return store_.size();
}

double AnalyzerServer::NowSeconds() const {
  return absl::ToDoubleSeconds(options_.clock() - absl::UnixEpoch());
}

void AnalyzerServer::RegisterHandlers() {
  server_.Post("/events", [this](const httplib::Request& request, httplib::Response& response) {
    HandlePostEvents(request, response);
  });
  server_.Get("/results", [this](const httplib::Request& request, httplib::Response& response) {
    HandleGetResults(request, response);
  });
  server_.Get(R"(/messages/([^/]+))",
              [this](const httplib::Request& request, httplib::Response& response) {
                HandleGetMessage(request, response);
              });
  server_.Get("/healthz", [](const httplib::Request&, httplib::Response& response) {
    response.set_content("ok\n", "text/plain");
  });
  server_.set_error_handler([this](const httplib::Request&, httplib::Response& response) {
    if (!response.body.empty()) return;
    if (response.status == 413) {
      SetError(response, 413,
               absl::StrCat("request body is larger than ", options_.max_body_bytes, " bytes"));
    } else if (response.status == 404) {
      SetError(response, 404, "not found");
    }
  });
}

absl::StatusOr<std::pair<int, int>> AnalyzerServer::Accept(std::vector<Event> events) {
  double now = NowSeconds();
  MutexLock lock(&mutex_);

  // Drop retried events (and repeats inside the request) before anything is written.
  std::vector<Event> fresh;
  std::set<std::string> ids_in_request;
  for (Event& event : events) {
    bool seen = !event.event_id.empty() &&
                (!ids_in_request.insert(event.event_id).second || store_.HasEventId(event.event_id));
    if (seen) continue;
    event.received_at = now;
    fresh.push_back(std::move(event));
  }

  if (log_ != nullptr && !fresh.empty()) {
    absl::Status status = log_->Append(fresh);
    if (!status.ok()) return status;
  }
  for (const Event& event : fresh) store_.Add(event);
  int accepted = static_cast<int>(fresh.size());
  return std::make_pair(accepted, static_cast<int>(events.size()) - accepted);
}

void AnalyzerServer::HandlePostEvents(const httplib::Request& request,
                                      httplib::Response& response) {
  absl::StatusOr<std::vector<Event>> events = ParseEventsBody(request.body);
  if (!events.ok()) {
    SetError(response, 400, events.status().message());
    return;
  }

  absl::StatusOr<std::pair<int, int>> counts = Accept(*std::move(events));
  if (!counts.ok()) {
    Log(LogLevel::kError, "cannot store events", {{"error", counts.status().ToString()}});
    SetError(response, 500, counts.status().message());
    return;
  }
  response.status = 202;
  response.set_content(
      nlohmann::json{{"accepted", counts->first}, {"duplicates", counts->second}}.dump(), kJson);
}

void AnalyzerServer::HandleGetResults(const httplib::Request&, httplib::Response& response) {
  nlohmann::json results = nlohmann::json::object();
  {
    MutexLock lock(&mutex_);
    for (const auto& [scenario, summary] : store_.Summarize(NowSeconds())) {
      results[scenario] = summary.ToJson();
    }
  }
  response.set_content(results.dump(2), kJson);
}

void AnalyzerServer::HandleGetMessage(const httplib::Request& request,
                                      httplib::Response& response) {
  std::string message_id = request.matches[1];
  nlohmann::json attempts = nlohmann::json::array();
  nlohmann::json events = nlohmann::json::array();
  {
    MutexLock lock(&mutex_);
    for (const Attempt& attempt : store_.AttemptsOf(message_id, NowSeconds())) {
      attempts.push_back(attempt.ToJson());
    }
    for (const Event& event : store_.EventsOf(message_id)) events.push_back(EventToJson(event));
  }
  if (events.empty()) {
    SetError(response, 404, absl::StrCat("no events for message \"", message_id, "\""));
    return;
  }
  response.set_content(
      nlohmann::json{{"message_id", message_id}, {"attempts", attempts}, {"events", events}}
          .dump(2),
      kJson);
}

}  // namespace krs::workloads
