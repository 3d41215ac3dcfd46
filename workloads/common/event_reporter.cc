#include "workloads/common/event_reporter.h"

#include <httplib.h>

#include <algorithm>
#include <iterator>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/logger.h"
#include "common/url.h"

namespace krs::workloads {
namespace {

void SetTimeouts(httplib::Client& client, absl::Duration timeout) {
  auto seconds = absl::ToInt64Seconds(timeout);
  auto microseconds = absl::ToInt64Microseconds(timeout - absl::Seconds(seconds));
  client.set_connection_timeout(seconds, microseconds);
  client.set_read_timeout(seconds, microseconds);
  client.set_write_timeout(seconds, microseconds);
}

}  // namespace

absl::StatusOr<std::unique_ptr<EventReporter>> EventReporter::Create(
    EventReporterOptions options) {
  absl::StatusOr<Url> url = ParseUrl(options.analyzer_url);
  if (!url.ok() || (url->scheme != "http" && url->scheme != "https") || url->host.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "invalid analyzer URL \"", RedactUrl(options.analyzer_url),
        "\": expected http://HOST:PORT or https://HOST:PORT with an optional path prefix"));
  }
  std::string host = url->host.find(':') != std::string::npos ? absl::StrCat("[", url->host, "]")
                                                               : url->host;
  std::string scheme_host_port = absl::StrCat(url->scheme, "://", host);
  if (url->port != 0) absl::StrAppend(&scheme_host_port, ":", url->port);
  std::string path = absl::StrCat(absl::StripSuffix(url->raw_path, "/"), "/events");
  if (options.buffer_capacity == 0) options.buffer_capacity = 1;
  if (options.batch_size == 0) options.batch_size = 1;

  return std::unique_ptr<EventReporter>(
      new EventReporter(std::move(options), std::move(scheme_host_port), std::move(path)));
}

EventReporter::EventReporter(EventReporterOptions options, std::string scheme_host_port,
                             std::string path)
    : options_(std::move(options)),
      scheme_host_port_(std::move(scheme_host_port)),
      events_path_(std::move(path)) {
  thread_ = std::thread([this] { Run(); });
}

EventReporter::~EventReporter() {
  {
    MutexLock lock(&mutex_);
    stopping_ = true;
  }
  thread_.join();
  size_t left = buffered();
  if (left > 0) {
    Log(LogLevel::kWarning, "undelivered analyzer events discarded at exit",
        {{"events", left}, {"analyzer", scheme_host_port_}});
  }
}

void EventReporter::Report(Event event) {
  MutexLock lock(&mutex_);
  int64_t sequence = next_sequence_++;
  if (event.event_id.empty()) event.event_id = absl::StrCat(options_.event_id_prefix, "-", sequence);
  buffer_.push_back(std::move(event));
  DropOverflow();
}

void EventReporter::DropOverflow() {
  while (buffer_.size() > options_.buffer_capacity) {
    buffer_.pop_front();
    if (dropped_++ == 0) {
      Log(LogLevel::kWarning,
          "analyzer event buffer full; dropping the oldest events (logged once, see the count "
          "at exit)",
          {{"capacity", options_.buffer_capacity}, {"analyzer", scheme_host_port_}});
    }
  }
}

size_t EventReporter::Flush(absl::Duration timeout) {
  MutexLock lock(&mutex_);
  auto delivered_all = [this]() ABSL_SHARED_LOCKS_REQUIRED(mutex_) {
    return UndeliveredLocked() == 0;
  };
  mutex_.AwaitWithTimeout(delivered_all, timeout);
  if (dropped_ > 0) {
    Log(LogLevel::kWarning, "analyzer events dropped because the buffer was full",
        {{"dropped", dropped_}, {"capacity", options_.buffer_capacity}});
  }
  return UndeliveredLocked();
}

int64_t EventReporter::dropped() const {
  MutexLock lock(&mutex_);
  return dropped_;
}

int64_t EventReporter::delivered() const {
  MutexLock lock(&mutex_);
  return delivered_;
}

int64_t EventReporter::rejected() const {
  MutexLock lock(&mutex_);
  return rejected_;
}

size_t EventReporter::buffered() const {
  MutexLock lock(&mutex_);
  return UndeliveredLocked();
}

size_t EventReporter::UndeliveredLocked() const { return buffer_.size() + in_flight_; }

void EventReporter::Run() {
  absl::Duration backoff = options_.initial_backoff;
  bool failing = false;
  while (true) {
    std::vector<Event> batch;
    {
      MutexLock lock(&mutex_);
      auto ready = [this]() ABSL_SHARED_LOCKS_REQUIRED(mutex_) {
        return stopping_ || !buffer_.empty();
      };
      mutex_.Await(ready);
      if (stopping_) return;
      // The batch leaves the buffer while it is posted, so overflow cannot drop (and count)
      // events that the analyzer then receives.
      auto end = buffer_.begin() +
                 static_cast<std::ptrdiff_t>(std::min(buffer_.size(), options_.batch_size));
      batch.assign(std::make_move_iterator(buffer_.begin()), std::make_move_iterator(end));
      buffer_.erase(buffer_.begin(), end);
      in_flight_ = batch.size();
    }

    SendResult result = Send(batch);
    if (result != SendResult::kRetry) {
      if (failing) Log(LogLevel::kInfo, "analyzer reachable again", {{"analyzer", scheme_host_port_}});
      failing = false;
      backoff = options_.initial_backoff;
      MutexLock lock(&mutex_);
      in_flight_ = 0;
      (result == SendResult::kDelivered ? delivered_ : rejected_) +=
          static_cast<int64_t>(batch.size());
      continue;
    }

    if (!failing) {
      Log(LogLevel::kWarning, "analyzer unreachable; buffering events and retrying",
          {{"analyzer", scheme_host_port_}, {"batch", batch.size()}});
    }
    failing = true;
    MutexLock lock(&mutex_);
    // The batch is older than anything reported meanwhile, so it goes back to the front.
    buffer_.insert(buffer_.begin(), std::make_move_iterator(batch.begin()),
                   std::make_move_iterator(batch.end()));
    in_flight_ = 0;
    DropOverflow();
    auto stopping = [this]() ABSL_SHARED_LOCKS_REQUIRED(mutex_) { return stopping_; };
    if (mutex_.AwaitWithTimeout(stopping, backoff)) return;
    backoff = std::min(backoff * 2, options_.max_backoff);
  }
}

EventReporter::SendResult EventReporter::Send(const std::vector<Event>& batch) {
  nlohmann::json body = nlohmann::json::array();
  for (const Event& event : batch) body.push_back(EventToJson(event));

  httplib::Client client(scheme_host_port_);
  SetTimeouts(client, options_.request_timeout);
  httplib::Result result = client.Post(events_path_.c_str(), body.dump(), "application/json");
  if (!result) return SendResult::kRetry;

  int status = result->status;
  if (status >= 200 && status < 300) return SendResult::kDelivered;
  if (status == 400 || status == 413 || status == 404) {
    // A retry cannot fix these; drop the batch so that later events still get through.
    Log(LogLevel::kError, "analyzer rejected events; dropping the batch",
        {{"status", status}, {"events", batch.size()}, {"response", result->body}});
    return SendResult::kRejected;
  }
  return SendResult::kRetry;
}

absl::StatusOr<std::unique_ptr<EventSink>> MakeEventSink(EventReporterOptions options) {
  if (options.analyzer_url.empty()) return std::unique_ptr<EventSink>(new NullEventSink());
  absl::StatusOr<std::unique_ptr<EventReporter>> reporter =
      EventReporter::Create(std::move(options));
  if (!reporter.ok()) return reporter.status();
  return std::unique_ptr<EventSink>(std::move(*reporter));
}

}  // namespace krs::workloads
