// grpc_load_generator: drives an externalscaler.ExternalScaler server (rabbitmq-scaler or
// bench/fixed_answer_server) and prints what it measured. Modes:
//
//   --mode=throughput  GetMetrics or IsActive with --concurrency calls always in flight
//                      (gRPC async API), for --duration after --warmup; prints calls per second
//                      and latency percentiles.
//   --mode=keda        --scaled_objects ScaledObjects polled as KEDA polls an external trigger:
//                      GetMetricSpec, then GetMetrics and IsActive every --polling_interval, plus
//                      the HPA path (GetMetricSpec, GetMetrics, IsActive) every --hpa_interval.
//                      With --management_port=0 the generator serves a counting management API
//                      on 127.0.0.1 (forwarding to --upstream when set) and prints the requests
//                      per second the scaler sent to it. --scaler_pid adds the scaler's RSS.
//   --mode=startup     starts --scaler_binary --trials times and measures the time from fork to
//                      the first grpc.health.v1 Health/Check answer SERVING.
//
// Metadata (--metadata) is "key=value;key=value". In keda mode "{management}" is replaced by the
// counting API's URL and "{queue}" by q-<i mod --queues>.
#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/http_server_thread.h"
#include "common/mutex.h"
#include "externalscaler.grpc.pb.h"
#include "grpc/health/v1/health.grpc.pb.h"

ABSL_FLAG(std::string, mode, "throughput", "throughput, keda or startup");
ABSL_FLAG(std::string, target, "127.0.0.1:9090", "host:port of the server under test");
ABSL_FLAG(std::string, method, "GetMetrics", "throughput mode: GetMetrics or IsActive");
ABSL_FLAG(int, concurrency, 1, "throughput mode: calls in flight");
ABSL_FLAG(int, client_threads, 1, "throughput mode: completion-queue threads");
ABSL_FLAG(absl::Duration, duration, absl::Seconds(10), "measured time");
ABSL_FLAG(absl::Duration, warmup, absl::Seconds(2), "time before measuring");
ABSL_FLAG(std::string, metadata,
          "host={management};queueName=orders;mode=QueueLength;value=20",
          "scalerMetadata as key=value;key=value");
ABSL_FLAG(int, scaled_objects, 100, "keda mode: ScaledObjects");
ABSL_FLAG(int, queues, 1, "keda mode: distinct queues ({queue} in --metadata)");
ABSL_FLAG(absl::Duration, polling_interval, absl::Seconds(30), "keda mode: pollingInterval");
ABSL_FLAG(absl::Duration, hpa_interval, absl::Seconds(15), "keda mode: HPA sync period");
ABSL_FLAG(int, management_port, 0,
          "keda mode: 0 serves a counting management API; -1 serves none");
ABSL_FLAG(std::string, upstream, "",
          "keda mode: forward the counting API's requests to this origin, e.g. "
          "http://127.0.0.1:15672; empty answers with a fixed queue");
ABSL_FLAG(int, scaler_pid, 0, "keda mode: print this process's peak RSS at the end");
ABSL_FLAG(std::string, scaler_binary, "", "startup mode: the scaler binary");
ABSL_FLAG(int, trials, 10, "startup mode: starts measured");

namespace {

using externalscaler::ExternalScaler;

std::map<std::string, std::string> ParseMetadata(const std::string& text,
                                                 const std::string& management_url,
                                                 const std::string& queue) {
  std::map<std::string, std::string> metadata;
  for (absl::string_view pair : absl::StrSplit(text, ';', absl::SkipEmpty())) {
    std::pair<std::string, std::string> kv = absl::StrSplit(pair, absl::MaxSplits('=', 1));
    metadata[kv.first] = absl::StrReplaceAll(
        kv.second, {{"{management}", management_url}, {"{queue}", queue}});
  }
  return metadata;
}

externalscaler::ScaledObjectRef MakeRef(const std::string& name,
                                        const std::map<std::string, std::string>& metadata) {
  externalscaler::ScaledObjectRef ref;
  ref.set_name(name);
  ref.set_namespace_("bench");
  for (const auto& [key, value] : metadata) (*ref.mutable_scalermetadata())[key] = value;
  return ref;
}

double Percentile(std::vector<int64_t>& sorted_ns, double fraction) {
  if (sorted_ns.empty()) return 0;
  size_t index = std::min(sorted_ns.size() - 1,
                          static_cast<size_t>(fraction * static_cast<double>(sorted_ns.size())));
  return static_cast<double>(sorted_ns[index]) / 1000.0;
}

// ---- throughput mode ----

struct AsyncCall {
  grpc::ClientContext context;
  externalscaler::GetMetricsResponse metrics;
  externalscaler::IsActiveResponse active;
  grpc::Status status;
  std::unique_ptr<grpc::ClientAsyncResponseReader<externalscaler::GetMetricsResponse>>
      metrics_reader;
  std::unique_ptr<grpc::ClientAsyncResponseReader<externalscaler::IsActiveResponse>>
      active_reader;
  absl::Time start;
};

struct ThreadResult {
  std::vector<int64_t> latencies_ns;
  int64_t errors = 0;
  std::string first_error;
};

void RunThroughputThread(ExternalScaler::Stub* stub, bool get_metrics,
                         const externalscaler::GetMetricsRequest& request, int in_flight,
                         absl::Time measure_from, absl::Time end, ThreadResult* result) {
  grpc::CompletionQueue queue;
  auto start_call = [&]() {
    auto* call = new AsyncCall;
    call->context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    call->start = absl::Now();
    if (get_metrics) {
      call->metrics_reader = stub->AsyncGetMetrics(&call->context, request, &queue);
      call->metrics_reader->Finish(&call->metrics, &call->status, call);
    } else {
      call->active_reader =
          stub->AsyncIsActive(&call->context, request.scaledobjectref(), &queue);
      call->active_reader->Finish(&call->active, &call->status, call);
    }
  };
  for (int i = 0; i < in_flight; ++i) start_call();

  int outstanding = in_flight;
  void* tag = nullptr;
  bool ok = false;
  while (outstanding > 0 && queue.Next(&tag, &ok)) {
    std::unique_ptr<AsyncCall> call(static_cast<AsyncCall*>(tag));
    absl::Time now = absl::Now();
    if (call->start >= measure_from && now <= end) {
      if (call->status.ok()) {
        result->latencies_ns.push_back(absl::ToInt64Nanoseconds(now - call->start));
      } else {
        if (result->errors++ == 0) result->first_error = call->status.error_message();
      }
    }
    if (now < end) {
      start_call();
    } else {
      --outstanding;
    }
  }
  queue.Shutdown();
  while (queue.Next(&tag, &ok)) {
  }
}

int RunThroughput() {
  auto channel = grpc::CreateChannel(absl::GetFlag(FLAGS_target),
                                     grpc::InsecureChannelCredentials());
  auto stub = ExternalScaler::NewStub(channel);
  auto metadata = ParseMetadata(absl::GetFlag(FLAGS_metadata), "", "orders");
  externalscaler::ScaledObjectRef ref = MakeRef("bench", metadata);

  grpc::ClientContext spec_context;
  externalscaler::GetMetricSpecResponse spec;
  grpc::Status status = stub->GetMetricSpec(&spec_context, ref, &spec);
  if (!status.ok() || spec.metricspecs_size() == 0) {
    std::fprintf(stderr, "GetMetricSpec failed: %s\n", status.error_message().c_str());
    return 1;
  }
  externalscaler::GetMetricsRequest request;
  *request.mutable_scaledobjectref() = ref;
  request.set_metricname(spec.metricspecs(0).metricname());

  const bool get_metrics = absl::GetFlag(FLAGS_method) == "GetMetrics";
  const int concurrency = absl::GetFlag(FLAGS_concurrency);
  const int threads = std::max(1, std::min(absl::GetFlag(FLAGS_client_threads), concurrency));
  absl::Time measure_from = absl::Now() + absl::GetFlag(FLAGS_warmup);
  absl::Time end = measure_from + absl::GetFlag(FLAGS_duration);

  std::vector<ThreadResult> results(threads);
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    int in_flight = concurrency / threads + (t < concurrency % threads ? 1 : 0);
    workers.emplace_back(RunThroughputThread, stub.get(), get_metrics, std::cref(request),
                         in_flight, measure_from, end, &results[t]);
  }
  for (std::thread& worker : workers) worker.join();

  std::vector<int64_t> all;
  int64_t errors = 0;
  std::string first_error;
  for (ThreadResult& result : results) {
    all.insert(all.end(), result.latencies_ns.begin(), result.latencies_ns.end());
    errors += result.errors;
    if (first_error.empty()) first_error = result.first_error;
  }
  std::sort(all.begin(), all.end());
  double seconds = absl::ToDoubleSeconds(absl::GetFlag(FLAGS_duration));
  std::printf(
      "method=%s concurrency=%d calls=%zu errors=%lld throughput_per_s=%.0f p50_us=%.0f "
      "p99_us=%.0f p999_us=%.0f\n",
      absl::GetFlag(FLAGS_method).c_str(), concurrency, all.size(),
      static_cast<long long>(errors), static_cast<double>(all.size()) / seconds,
      Percentile(all, 0.5), Percentile(all, 0.99), Percentile(all, 0.999));
  if (errors > 0) std::printf("first_error=%s\n", first_error.c_str());
  return errors > 0 ? 1 : 0;
}

// ---- keda mode ----

// A management API stand-in that counts requests and either answers with a fixed queue or
// forwards to a real broker's management API.
class CountingManagementApi {
 public:
  explicit CountingManagementApi(std::string upstream) : upstream_(std::move(upstream)) {
    server_.Get(".*", [this](const httplib::Request& request, httplib::Response& response) {
      requests_.fetch_add(1);
      if (upstream_.empty()) {
        response.set_content(
            R"({"name":"q","messages":42,"messages_ready":40,"messages_unacknowledged":2,)"
            R"("consumers":1,"message_stats":{"publish_details":{"rate":1.5},)"
            R"("deliver_get_details":{"rate":1.0}}})",
            "application/json");
        return;
      }
      httplib::Client client(upstream_);
      client.set_url_encode(false);
      httplib::Headers headers;
      if (request.has_header("Authorization")) {
        headers.emplace("Authorization", request.get_header_value("Authorization"));
      }
      std::string target = request.target.empty() ? request.path : request.target;
      httplib::Result result = client.Get(target, headers);
      if (!result) {
        response.status = 502;
        return;
      }
      response.status = result->status;
      response.set_content(result->body, "application/json");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = krs::StartListeningThread(server_);
  }
  ~CountingManagementApi() {
    server_.stop();
    thread_.join();
  }
  int port() const { return port_; }
  int64_t requests() const { return requests_.load(); }

 private:
  std::string upstream_;
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::atomic<int64_t> requests_{0};
};

struct KedaCounters {
  std::atomic<int64_t> calls{0};
  std::atomic<int64_t> errors{0};
};

// One ScaledObject: the polling loop and the HPA loop, as two threads.
void PollLikeKeda(ExternalScaler::Stub* stub, externalscaler::ScaledObjectRef ref,
                  absl::Duration interval, absl::Duration phase, absl::Time end,
                  KedaCounters* counters) {
  absl::SleepFor(phase);
  while (absl::Now() < end) {
    absl::Time next = absl::Now() + interval;
    grpc::ClientContext spec_context;
    externalscaler::GetMetricSpecResponse spec;
    grpc::Status status = stub->GetMetricSpec(&spec_context, ref, &spec);
    counters->calls.fetch_add(1);
    if (!status.ok() || spec.metricspecs_size() == 0) {
      counters->errors.fetch_add(1);
    } else {
      externalscaler::GetMetricsRequest request;
      *request.mutable_scaledobjectref() = ref;
      request.set_metricname(spec.metricspecs(0).metricname());
      grpc::ClientContext metrics_context;
      externalscaler::GetMetricsResponse metrics;
      if (!stub->GetMetrics(&metrics_context, request, &metrics).ok()) {
        counters->errors.fetch_add(1);
      }
      grpc::ClientContext active_context;
      externalscaler::IsActiveResponse active;
      if (!stub->IsActive(&active_context, ref, &active).ok()) counters->errors.fetch_add(1);
      counters->calls.fetch_add(2);
    }
    absl::SleepFor(std::max(absl::ZeroDuration(), next - absl::Now()));
  }
}

std::string ReadStatusField(int pid, const std::string& field) {
  std::ifstream status(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(field + ":", 0) == 0) {
      std::string value = line.substr(field.size() + 1);
      value.erase(0, value.find_first_not_of(" \t"));
      return value;
    }
  }
  return "?";
}

int RunKeda() {
  std::unique_ptr<CountingManagementApi> api;
  std::string management_url;
  if (absl::GetFlag(FLAGS_management_port) == 0) {
    api = std::make_unique<CountingManagementApi>(absl::GetFlag(FLAGS_upstream));
    management_url = absl::StrCat("http://guest:guest@127.0.0.1:", api->port(), "/");
    std::printf("management_port=%d\n", api->port());
    std::fflush(stdout);
  }

  auto channel = grpc::CreateChannel(absl::GetFlag(FLAGS_target),
                                     grpc::InsecureChannelCredentials());
  auto stub = ExternalScaler::NewStub(channel);
  const int scaled_objects = absl::GetFlag(FLAGS_scaled_objects);
  const int queues = std::max(1, absl::GetFlag(FLAGS_queues));
  const absl::Duration polling = absl::GetFlag(FLAGS_polling_interval);
  const absl::Duration hpa = absl::GetFlag(FLAGS_hpa_interval);
  absl::Time start = absl::Now();
  absl::Time end = start + absl::GetFlag(FLAGS_duration);

  KedaCounters counters;
  std::vector<std::thread> threads;
  for (int i = 0; i < scaled_objects; ++i) {
    auto metadata = ParseMetadata(absl::GetFlag(FLAGS_metadata), management_url,
                                  absl::StrCat("q-", i % queues));
    externalscaler::ScaledObjectRef ref = MakeRef(absl::StrCat("so-", i), metadata);
    // Spread the ScaledObjects over the interval as their creation times would be.
    absl::Duration polling_phase = polling * i / scaled_objects;
    absl::Duration hpa_phase = hpa * i / scaled_objects;
    threads.emplace_back(PollLikeKeda, stub.get(), ref, polling, polling_phase, end, &counters);
    threads.emplace_back(PollLikeKeda, stub.get(), ref, hpa, hpa_phase, end, &counters);
  }
  for (std::thread& thread : threads) thread.join();
  double seconds = absl::ToDoubleSeconds(absl::Now() - start);

  std::printf("scaled_objects=%d queues=%d polling_interval=%s hpa_interval=%s seconds=%.1f "
              "rpcs=%lld rpc_errors=%lld rpcs_per_s=%.1f",
              scaled_objects, queues, absl::FormatDuration(polling).c_str(),
              absl::FormatDuration(hpa).c_str(), seconds,
              static_cast<long long>(counters.calls.load()),
              static_cast<long long>(counters.errors.load()),
              static_cast<double>(counters.calls.load()) / seconds);
  if (api != nullptr) {
    std::printf(" broker_requests=%lld broker_requests_per_s=%.2f",
                static_cast<long long>(api->requests()),
                static_cast<double>(api->requests()) / seconds);
  }
  int pid = absl::GetFlag(FLAGS_scaler_pid);
  if (pid > 0) {
    std::printf(" scaler_VmHWM=\"%s\" scaler_VmRSS=\"%s\"", ReadStatusField(pid, "VmHWM").c_str(),
                ReadStatusField(pid, "VmRSS").c_str());
  }
  std::printf("\n");
  return counters.errors.load() > 0 ? 1 : 0;
}

// ---- startup mode ----

// Returns a port on 127.0.0.1 that was free a moment ago.
int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
    port = ntohs(address.sin_port);
  }
  close(fd);
  return port;
}

int RunStartup() {
  const std::string binary = absl::GetFlag(FLAGS_scaler_binary);
  std::vector<double> millis;
  for (int trial = 0; trial < absl::GetFlag(FLAGS_trials); ++trial) {
    int port = FreePort();
    std::string listen = absl::StrCat("--listen=127.0.0.1:", port);
    absl::Time start = absl::Now();
    pid_t pid = fork();
    if (pid == 0) {
      execl(binary.c_str(), binary.c_str(), listen.c_str(), "--log_level=error",
            static_cast<char*>(nullptr));
      _exit(127);
    }
    // A new channel per attempt, with a subchannel pool of its own: a channel whose first
    // connect was refused waits out gRPC's reconnect backoff, which would dominate the result.
    bool serving = false;
    while (!serving && absl::Now() - start < absl::Seconds(10)) {
      grpc::ChannelArguments arguments;
      arguments.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
      auto channel = grpc::CreateCustomChannel(absl::StrCat("127.0.0.1:", port),
                                               grpc::InsecureChannelCredentials(), arguments);
      auto health = grpc::health::v1::Health::NewStub(channel);
      grpc::ClientContext context;
      context.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(200));
      grpc::health::v1::HealthCheckRequest request;
      grpc::health::v1::HealthCheckResponse response;
      grpc::Status status = health->Check(&context, request, &response);
      serving = status.ok() &&
                response.status() == grpc::health::v1::HealthCheckResponse::SERVING;
      if (!serving) absl::SleepFor(absl::Milliseconds(1));
    }
    double elapsed = absl::ToDoubleMilliseconds(absl::Now() - start);
    kill(pid, SIGTERM);
    waitpid(pid, nullptr, 0);
    if (!serving) {
      std::fprintf(stderr, "trial %d: not SERVING within 10 s\n", trial);
      return 1;
    }
    millis.push_back(elapsed);
  }
  std::sort(millis.begin(), millis.end());
  std::printf("trials=%zu startup_ms_min=%.1f startup_ms_median=%.1f startup_ms_max=%.1f\n",
              millis.size(), millis.front(), millis[millis.size() / 2], millis.back());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const std::string mode = absl::GetFlag(FLAGS_mode);
  if (mode == "throughput") return RunThroughput();
  if (mode == "keda") return RunKeda();
  if (mode == "startup") return RunStartup();
  std::fprintf(stderr, "unknown --mode=%s; expected throughput, keda or startup\n", mode.c_str());
  return 2;
}
