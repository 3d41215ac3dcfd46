#include "lab/live/process_pod_runtime.h"

#include <httplib.h>
#include <signal.h>

#include <fstream>
#include <functional>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "common/logger.h"
#include "common/url.h"
#include "lab/simulate/simulated_pod_runtime.h"
#include "workloads/common/event.h"

namespace krs::lab {
namespace {

uint64_t Mix(uint64_t value) {
  value += 0x9e3779b97f4a7c15ULL;
  value = (value ^ (value >> 30)) * 0xbf58476d1ce4e5b9ULL;
  value = (value ^ (value >> 27)) * 0x94d049bb133111ebULL;
  return value ^ (value >> 31);
}

// True once the consumer's log shows its basic.consume ("consuming" line).
bool LogShowsConsuming(const std::string& path) {
  std::ifstream file(path);
  std::string line;
  while (std::getline(file, line)) {
    if (absl::StrContains(line, "msg=consuming")) return true;
  }
  return false;
}

}  // namespace

ProcessPodRuntime::ProcessPodRuntime(Scheduler& scheduler, ProcessRuntimeOptions options)
    : scheduler_(scheduler),
      options_(std::move(options)),
      salt_(Mix(std::hash<std::string>{}(options_.scenario))) {
  start_watcher_ = std::thread([this] { WatchStarts(); });
}

ProcessPodRuntime::~ProcessPodRuntime() {
  {
    MutexLock lock(&mu_);
    stopping_ = true;
  }
  start_watcher_.join();
  StopAll(absl::ZeroDuration());
  std::vector<std::thread> threads;
  {
    MutexLock lock(&mu_);
    threads.swap(hook_threads_);
  }
  for (std::thread& thread : threads) thread.join();
}

absl::StatusOr<ProcessPodRuntime::Pod*> ProcessPodRuntime::Spawn(const PodTemplate& pod_template,
                                                                const std::string& prefix) {
  if (pod_template.containers.empty()) {
    return absl::InvalidArgumentError("pod template has no containers");
  }
  const ContainerSpec& container = pod_template.containers[0];
  if (container.command.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("container ", container.name, " has no command"));
  }

  uint64_t number = next_pod_++;
  auto pod = std::make_unique<Pod>();
  pod->name = absl::StrFormat("%s-%010x", prefix, Mix(salt_ ^ number) & 0xffffffffffULL);
  pod->uid = PodUid(number);
  pod->env = options_.base_env;
  for (const EnvVar& var : container.env) {
    if (var.value_from.empty()) pod->env[var.name] = var.value;
  }
  pod->env["POD_NAME"] = pod->name;
  pod->env["POD_NAMESPACE"] = options_.namespace_name;
  pod->log_path = absl::StrCat(options_.log_dir, "/", pod->name, ".log");

  ChildOptions child;
  child.argv = container.command;
  child.argv.insert(child.argv.end(), container.args.begin(), container.args.end());
  child.env = pod->env;
  child.log_path = pod->log_path;
  pod->created = scheduler_.Now();
  absl::StatusOr<std::unique_ptr<ChildProcess>> process = ChildProcess::Start(child);
  if (!process.ok()) return process.status();
  pod->process = *std::move(process);

  Pod* raw = pod.get();
  pods_[raw->name] = std::move(pod);
  return raw;
}

absl::StatusOr<PodId> ProcessPodRuntime::CreatePod(const PodTemplate& pod_template) {
  MutexLock lock(&mu_);
  absl::StatusOr<Pod*> pod = Spawn(pod_template, "worker");
  if (!pod.ok()) return pod.status();
  return (*pod)->name;
}

void ProcessPodRuntime::WatchStarts() {
  constexpr absl::Duration kInterval = absl::Milliseconds(2);
  while (true) {
    {
      MutexLock lock(&mu_);
      if (stopping_) return;
      for (auto& [name, pod] : pods_) {
        if (!pod->start_measured) Refresh(*pod);
      }
    }
    absl::SleepFor(kInterval);
  }
}

void ProcessPodRuntime::Refresh(Pod& pod) {
  if (!pod.start_measured && pod.process->exited()) pod.start_measured = true;  // never started
  if (!pod.start_measured && LogShowsConsuming(pod.log_path)) {
    pod.start_measured = true;
    process_starts_ms_.push_back(
        absl::ToDoubleMilliseconds(absl::Now() - pod.process->started()));
  }
  if (!pod.ended.has_value() && pod.process->Poll().has_value()) {
    pod.ended = scheduler_.Now();
  }
}

std::vector<PodStatus> ProcessPodRuntime::ListPods() {
  MutexLock lock(&mu_);
  std::vector<PodStatus> result;
  for (auto& [name, pod] : pods_) {
    if (!pod->job.empty()) continue;
    Refresh(*pod);
    PodStatus status;
    status.id = name;
    status.uid = pod->uid;
    status.created = pod->created;
    status.node = "lab-node";
    if (options_.deletion_cost != nullptr) status.deletion_cost = options_.deletion_cost->CostOf(name);
    std::optional<int> exit_code = pod->process->Poll();
    status.exited = exit_code.has_value();
    if (exit_code.has_value()) {
      status.exit_code = *exit_code;
      status.phase = *exit_code == 0 ? PodPhase::kSucceeded : PodPhase::kFailed;
    } else {
      status.phase = PodPhase::kRunning;
      status.ready = true;
      status.ready_since = pod->created;
    }
    result.push_back(std::move(status));
  }
  return result;
}

void ProcessPodRuntime::ReportKilled(const std::string& pod_name) {
  if (options_.analyzer_url.empty()) return;
  workloads::Event event;
  event.type = workloads::EventType::kKilled;
  event.scenario = options_.scenario;
  event.consumer_id = pod_name;
  event.time = workloads::UnixNowSeconds();
  httplib::Client client(options_.analyzer_url);
  client.set_connection_timeout(2);
  client.set_read_timeout(2);
  auto response = client.Post("/events", workloads::EventToJson(event).dump(), "application/json");
  if (!response || response->status / 100 != 2) {
    Log(LogLevel::kWarning, "cannot report killed event",
        {{"pod", pod_name}, {"analyzer", RedactUrl(options_.analyzer_url)},
         {"status", response ? response->status : -1}});
  }
}

void ProcessPodRuntime::KillAndReport(Pod& pod) {
  if (pod.process->Poll().has_value()) return;
  // NOTE: `busy` is filled in later from the attempts (the process does not tell).
  kills_.push_back(KillMark{absl::ToDoubleSeconds(scheduler_.Now() - absl::UnixEpoch()),
                            pod.name, false});
  ReportKilled(pod.name);
  pod.process->Signal(SIGKILL).IgnoreError();  // it may have exited in between
  pod.process->Wait(absl::Seconds(5));
  Refresh(pod);
}

absl::Status ProcessPodRuntime::SendSignal(const PodId& id, int signal) {
  MutexLock lock(&mu_);
  auto it = pods_.find(id);
  if (it == pods_.end()) return absl::NotFoundError(absl::StrCat("pod ", id, " not found"));
  Pod& pod = *it->second;
  if (signal == SIGKILL) {
    KillAndReport(pod);
    return absl::OkStatus();
  }
  if (pod.process->Poll().has_value()) return absl::OkStatus();
  return pod.process->Signal(signal);
}

void ProcessPodRuntime::RunPreStop(const PodId& id, const std::vector<std::string>& command,
                                   absl::Duration timeout,
                                   std::function<void(absl::Status)> done) {
  ChildOptions child;
  {
    MutexLock lock(&mu_);
    auto it = pods_.find(id);
    if (it != pods_.end()) {
      child.env = it->second->env;
      child.log_path = it->second->log_path;
    }
  }
  if (child.log_path.empty() || command.empty()) {
    done(absl::NotFoundError(absl::StrCat("preStop: pod ", id, " not found or empty command")));
    return;
  }
  child.argv = command;
  absl::StatusOr<std::unique_ptr<ChildProcess>> hook = ChildProcess::Start(child);
  if (!hook.ok()) {
    done(hook.status());
    return;
  }

  // The hook's timeout is lab time; the wait is real time.
  absl::Duration real_timeout = timeout * options_.real_seconds_per_lab_second;
  std::shared_ptr<ChildProcess> process = *std::move(hook);
  MutexLock lock(&mu_);
  hook_threads_.emplace_back([process, real_timeout, done = std::move(done)] {
    std::optional<int> code = process->Wait(real_timeout);
    if (!code.has_value()) {
      process->Signal(SIGKILL).IgnoreError();
      process->Wait(absl::Seconds(5));
      done(absl::DeadlineExceededError("preStop hook timed out"));
      return;
    }
    done(*code == 0 ? absl::OkStatus()
                    : absl::UnknownError(absl::StrCat("preStop hook exited with ", *code)));
  });
}

absl::Status ProcessPodRuntime::RemovePod(const PodId& id) {
  MutexLock lock(&mu_);
  auto it = pods_.find(id);
  if (it == pods_.end()) return absl::NotFoundError(absl::StrCat("pod ", id, " not found"));
  KillAndReport(*it->second);
  removed_.push_back(RecordOf(*it->second));
  pods_.erase(it);
  return absl::OkStatus();
}

absl::StatusOr<JobId> ProcessPodRuntime::CreateJob(const JobTemplate& job_template) {
  MutexLock lock(&mu_);
  absl::StatusOr<Pod*> pod = Spawn(job_template.pod, "job");
  if (!pod.ok()) return pod.status();
  (*pod)->job = (*pod)->name;
  jobs_[(*pod)->name] = (*pod)->name;
  return (*pod)->name;
}

std::vector<JobStatus> ProcessPodRuntime::ListJobs() {
  MutexLock lock(&mu_);
  std::vector<JobStatus> result;
  for (const auto& [job, pod_name] : jobs_) {
    Pod& pod = *pods_.at(pod_name);
    Refresh(pod);
    JobStatus status;
    status.id = job;
    status.created = pod.created;
    std::optional<int> exit_code = pod.process->Poll();
    status.running = !exit_code.has_value();
    status.succeeded = exit_code.has_value() && *exit_code == 0;
    status.failed = exit_code.has_value() && *exit_code != 0;
    status.completion_time = pod.ended;
    result.push_back(status);
  }
  return result;
}

absl::Status ProcessPodRuntime::DeleteJob(const JobId& job) {
  MutexLock lock(&mu_);
  auto it = jobs_.find(job);
  if (it == jobs_.end()) return absl::NotFoundError(absl::StrCat("job ", job, " not found"));
  auto pod = pods_.find(it->second);
  KillAndReport(*pod->second);
  removed_.push_back(RecordOf(*pod->second));
  pods_.erase(pod);
  jobs_.erase(it);
  return absl::OkStatus();
}

void ProcessPodRuntime::StopAll(absl::Duration grace) {
  MutexLock lock(&mu_);
  for (auto& [name, pod] : pods_) {
    if (!pod->process->Poll().has_value()) pod->process->Signal(SIGTERM).IgnoreError();
  }
  absl::Time deadline = absl::Now() + grace;
  for (auto& [name, pod] : pods_) {
    pod->process->Wait(std::max(absl::ZeroDuration(), deadline - absl::Now()));
    if (!pod->process->Poll().has_value()) {
      pod->process->Signal(SIGKILL).IgnoreError();
      pod->process->Wait(absl::Seconds(5));
    }
    if (!pod->ended.has_value()) pod->ended = scheduler_.Now();
  }
}

int64_t ProcessPodRuntime::alive_pods() {
  MutexLock lock(&mu_);
  int64_t count = 0;
  for (auto& [name, pod] : pods_) {
    Refresh(*pod);
    if (!pod->ended.has_value()) ++count;
  }
  return count;
}

std::vector<KillMark> ProcessPodRuntime::kills() const {
  MutexLock lock(&mu_);
  return kills_;
}

PodRecord ProcessPodRuntime::RecordOf(const Pod& pod) {
  PodRecord record;
  record.name = pod.name;
  record.created = absl::ToDoubleSeconds(pod.created - absl::UnixEpoch());
  if (pod.ended.has_value()) record.ended = absl::ToDoubleSeconds(*pod.ended - absl::UnixEpoch());
  return record;
}

std::vector<PodRecord> ProcessPodRuntime::pod_records() {
  MutexLock lock(&mu_);
  std::vector<PodRecord> records = removed_;
  for (auto& [name, pod] : pods_) records.push_back(RecordOf(*pod));
  return records;
}

std::vector<double> ProcessPodRuntime::process_starts_ms() const {
  MutexLock lock(&mu_);
  return process_starts_ms_;
}

}  // namespace krs::lab
