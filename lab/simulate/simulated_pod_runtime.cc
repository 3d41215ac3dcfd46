#include "lab/simulate/simulated_pod_runtime.h"

#include <csignal>
#include <deque>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace krs::lab {
namespace {

// splitmix64: turns a counter into well-spread bits for pod name suffixes and UIDs, so names
// are deterministic yet sort in no particular order, as in a cluster.
uint64_t Mix(uint64_t value) {
  value += 0x9e3779b97f4a7c15ULL;
  value = (value ^ (value >> 30)) * 0xbf58476d1ce4e5b9ULL;
  value = (value ^ (value >> 27)) * 0x94d049bb133111ebULL;
  return value ^ (value >> 31);
}

}  // namespace

std::string PodUid(uint64_t number) {
  return absl::StrFormat("%016x", Mix(number ^ 0x5bd1e995ULL));
}

struct SimulatedPodRuntime::Pod {
  std::string name;
  std::string uid;
  std::string job;  // owning Job id; empty for Deployment pods
  ConsumerFlags flags;
  absl::Time created;
  std::optional<absl::Time> exited_at;
  bool connected = false;
  bool exited = false;
  int exit_code = 0;
  bool terminating = false;  // got SIGTERM
  bool received_any = false;
  ConsumerTag consumer = 0;
  std::optional<Delivery> current;  // the message being worked on
  std::deque<Delivery> buffer;      // prefetched, not started
  std::optional<std::string> deletion_cost;
};

SimulatedPodRuntime::SimulatedPodRuntime(Scheduler& scheduler, SimulatedBroker& broker,
                                         std::function<std::string(int64_t)> message_ids,
                                         EventSink sink, SimulatedRuntimeOptions options)
    : scheduler_(scheduler),
      broker_(broker),
      message_ids_(std::move(message_ids)),
      sink_(std::move(sink)),
      options_(std::move(options)) {}

SimulatedPodRuntime::~SimulatedPodRuntime() { *alive_ = false; }

double SimulatedPodRuntime::NowSeconds() const {
  return absl::ToDoubleSeconds(scheduler_.Now() - absl::UnixEpoch());
}

SimulatedPodRuntime::Pod* SimulatedPodRuntime::Find(const std::string& id) {
  auto it = pods_.find(id);
  if (it == pods_.end()) return nullptr;
  return it->second.get();
}

absl::StatusOr<SimulatedPodRuntime::Pod*> SimulatedPodRuntime::StartPod(
    const PodTemplate& pod_template, const std::string& prefix) {
  if (pod_template.containers.empty()) {
    return absl::InvalidArgumentError("pod template has no containers");
  }
  absl::StatusOr<ConsumerFlags> flags = ParseConsumerFlags(pod_template.containers[0].args);
  if (!flags.ok()) return flags.status();

  uint64_t number = static_cast<uint64_t>(next_pod_++);
  auto pod = std::make_unique<Pod>();
  pod->name = absl::StrFormat("%s-%010x", prefix, Mix(number) & 0xffffffffffULL);
  pod->uid = PodUid(number);
  pod->flags = *flags;
  pod->created = scheduler_.Now();
  Pod* raw = pod.get();
  pods_[raw->name] = std::move(pod);

  std::weak_ptr<bool> alive = alive_;
  std::string name = raw->name;
  scheduler_.After(options_.process_start, [this, alive, name] {
    if (alive.expired()) return;
    Pod* pod = Find(name);
    if (pod != nullptr && !pod->exited) Connect(*pod);
  });
  return raw;
}

absl::StatusOr<PodId> SimulatedPodRuntime::CreatePod(const PodTemplate& pod_template) {
  absl::StatusOr<Pod*> pod = StartPod(pod_template, options_.pod_name_prefix);
  if (!pod.ok()) return pod.status();
  return (*pod)->name;
}

void SimulatedPodRuntime::Connect(Pod& pod) {
  pod.connected = true;
  if (pod.flags.deletion_cost) pod.deletion_cost = kIdleDeletionCost;

  std::string name = pod.name;
  SimulatedBroker::ConsumerCallbacks callbacks;
  callbacks.on_delivery = [this, name](const Delivery& delivery) {
    Pod* pod = Find(name);
    if (pod != nullptr) OnDelivery(*pod, delivery);
  };
  callbacks.on_channel_closed = [this, name] {
    Pod* pod = Find(name);
    if (pod != nullptr) OnChannelClosed(*pod);
  };
  pod.consumer = broker_.Consume(pod.flags.job_mode ? 1 : pod.flags.prefetch, callbacks);

  if (pod.flags.job_mode) {
    std::weak_ptr<bool> alive = alive_;
    scheduler_.After(absl::Seconds(pod.flags.idle_timeout_seconds), [this, alive, name] {
      if (alive.expired()) return;
      Pod* pod = Find(name);
      if (pod == nullptr || pod->exited || pod->received_any) return;
      Emit(workloads::EventType::kIdle, *pod, nullptr);
      broker_.Close(pod->consumer);
      Exit(*pod, 0);
    });
  }
}

void SimulatedPodRuntime::OnDelivery(Pod& pod, const Delivery& delivery) {
  pod.buffer.push_back(delivery);
  if (!pod.current.has_value()) StartNext(pod);
}

void SimulatedPodRuntime::StartNext(Pod& pod) {
  if (pod.exited || pod.current.has_value() || pod.buffer.empty()) return;
  if (pod.flags.job_mode && pod.received_any) return;

  pod.current = pod.buffer.front();
  pod.buffer.pop_front();
  pod.received_any = true;
  SetBusy(pod, true);
  Emit(workloads::EventType::kReceived, pod, &*pod.current);

  std::weak_ptr<bool> alive = alive_;
  std::string name = pod.name;
  uint64_t tag = pod.current->delivery_tag;
  ConsumerTag consumer = pod.consumer;
  scheduler_.After(absl::Seconds(pod.current->message.work_seconds),
                   [this, alive, name, tag, consumer] {
                     if (alive.expired()) return;
                     Pod* pod = Find(name);
                     if (pod == nullptr || pod->exited || pod->consumer != consumer) return;
                     if (!pod->current.has_value() || pod->current->delivery_tag != tag) return;
                     FinishWork(*pod, tag);
                   });
}

void SimulatedPodRuntime::FinishWork(Pod& pod, uint64_t delivery_tag) {
  bool acked = broker_.queue().HasUnacked(pod.consumer, delivery_tag);
  Delivery delivery = *pod.current;
  pod.current.reset();
  SetBusy(pod, false);
  if (acked) {
    broker_.Ack(pod.consumer, delivery_tag);
    ++completed_;
    Emit(workloads::EventType::kCompleted, pod, &delivery);
  } else {
    Emit(workloads::EventType::kAckFailed, pod, &delivery);
  }

  bool drained = pod.terminating && pod.flags.on_sigterm == SigtermPolicy::kDrain;
  if (pod.flags.job_mode || drained) {
    broker_.Close(pod.consumer);
    Exit(pod, 0);
    return;
  }
  StartNext(pod);
}

void SimulatedPodRuntime::OnChannelClosed(Pod& pod) {
  // The broker closed the channel (delivery acknowledgement timeout) and requeued its
  // messages: the work in progress can no longer be acknowledged. rmq-consumer reports
  // ack_failed and reconnects; this one does both at once instead of finishing the work first.
  pod.buffer.clear();
  if (pod.current.has_value()) {
    Emit(workloads::EventType::kAckFailed, pod, &*pod.current);
    pod.current.reset();
    SetBusy(pod, false);
  }
  if (pod.terminating) {
    Exit(pod, 0);
    return;
  }
  Connect(pod);
}

void SimulatedPodRuntime::Terminate(Pod& pod) {
  if (pod.terminating || pod.exited) return;
  pod.terminating = true;
  // Idle (no message in hand, or not started yet): rmq-consumer exits 0 under every policy.
  if (!pod.current.has_value()) {
    ReleaseBuffered(pod);
    if (pod.connected) broker_.Close(pod.consumer);
    Exit(pod, 0);
    return;
  }
  switch (pod.flags.on_sigterm) {
    case SigtermPolicy::kIgnore:
      return;
    case SigtermPolicy::kRequeue:
      broker_.Cancel(pod.consumer);
      broker_.Nack(pod.consumer, pod.current->delivery_tag, /*requeue=*/true);
      Emit(workloads::EventType::kInterrupted, pod, &*pod.current);
      pod.current.reset();
      SetBusy(pod, false);
      ReleaseBuffered(pod);
      broker_.Close(pod.consumer);
      Exit(pod, 0);
      return;
    case SigtermPolicy::kDrain:
      broker_.Cancel(pod.consumer);
      ReleaseBuffered(pod);
      return;
  }
}

void SimulatedPodRuntime::ReleaseBuffered(Pod& pod) {
  for (const Delivery& buffered : pod.buffer) {
    broker_.Nack(pod.consumer, buffered.delivery_tag, /*requeue=*/true);
  }
  pod.buffer.clear();
}

void SimulatedPodRuntime::Kill(Pod& pod) {
  if (pod.exited) return;
  bool busy = pod.current.has_value();
  kills_.push_back(KillMark{NowSeconds(), pod.name, busy});
  Emit(workloads::EventType::kKilled, pod, nullptr);
  if (busy) SetBusy(pod, false);
  pod.current.reset();
  pod.buffer.clear();
  if (pod.connected) broker_.Close(pod.consumer);
  Exit(pod, 137);
}

void SimulatedPodRuntime::Exit(Pod& pod, int exit_code) {
  if (pod.exited) return;
  pod.exited = true;
  pod.exit_code = exit_code;
  pod.exited_at = scheduler_.Now();
}

void SimulatedPodRuntime::SetBusy(Pod& pod, bool busy) {
  busy_pods_ += busy ? 1 : -1;
  if (pod.flags.deletion_cost) pod.deletion_cost = busy ? kBusyDeletionCost : kIdleDeletionCost;
}

void SimulatedPodRuntime::Emit(workloads::EventType type, const Pod& pod,
                               const Delivery* delivery) {
  if (!sink_) return;
  workloads::Event event;
  event.type = type;
  event.scenario = options_.scenario;
  event.consumer_id = pod.name;
  event.time = NowSeconds();
  if (delivery != nullptr) {
    event.message_id = message_ids_(delivery->message.index);
    event.delivery_tag = static_cast<int64_t>(delivery->delivery_tag);
    event.redelivered = delivery->message.redelivered;
    event.work_seconds = delivery->message.work_seconds;
  }
  sink_(event);
}

std::vector<PodStatus> SimulatedPodRuntime::ListPods() {
  std::vector<PodStatus> result;
  for (const auto& [name, pod] : pods_) {
    if (!pod->job.empty()) continue;
    PodStatus status;
    status.id = pod->name;
    status.uid = pod->uid;
    status.created = pod->created;
    status.node = "lab-node";
    status.deletion_cost = pod->deletion_cost;
    status.busy = pod->current.has_value();
    status.exited = pod->exited;
    status.exit_code = pod->exit_code;
    if (pod->exited) {
      status.phase = pod->exit_code == 0 ? PodPhase::kSucceeded : PodPhase::kFailed;
    } else {
      // The container runs from creation on, as in live mode, where a forked process is
      // Running and Ready at once; the consumer connects `process_start` later.
      status.phase = PodPhase::kRunning;
      status.ready = true;
      status.ready_since = pod->created;
    }
    result.push_back(std::move(status));
  }
  return result;
}

absl::Status SimulatedPodRuntime::SendSignal(const PodId& id, int signal) {
  Pod* pod = Find(id);
  if (pod == nullptr) return absl::NotFoundError(absl::StrCat("pod ", id, " not found"));
  if (signal == SIGKILL) {
    Kill(*pod);
  } else if (signal == SIGTERM) {
    Terminate(*pod);
  } else {
    return absl::InvalidArgumentError(absl::StrCat("signal ", signal, " is not simulated"));
  }
  return absl::OkStatus();
}

void SimulatedPodRuntime::RunPreStop(const PodId& pod, const std::vector<std::string>& command,
                                     absl::Duration timeout,
                                     std::function<void(absl::Status)> done) {
  // NOTE: simulate mode does not run preStop hooks; the hook returns at once. The experiment
  // manifests have none.
  scheduler_.After(absl::ZeroDuration(), [done = std::move(done)] { done(absl::OkStatus()); });
}

absl::Status SimulatedPodRuntime::RemovePod(const PodId& id) {
  Pod* pod = Find(id);
  if (pod == nullptr) return absl::NotFoundError(absl::StrCat("pod ", id, " not found"));
  if (!pod->exited) Kill(*pod);
  Forget(id);
  return absl::OkStatus();
}

void SimulatedPodRuntime::Forget(const std::string& id) {
  auto it = pods_.find(id);
  if (it == pods_.end()) return;
  removed_records_.push_back(RecordOf(*it->second));
  pods_.erase(it);
}

absl::StatusOr<JobId> SimulatedPodRuntime::CreateJob(const JobTemplate& job_template) {
  absl::StatusOr<Pod*> pod = StartPod(job_template.pod, "job");
  if (!pod.ok()) return pod.status();
  (*pod)->flags.job_mode = true;
  std::string job = (*pod)->name;
  (*pod)->job = job;
  jobs_[job] = job;
  return job;
}

std::vector<JobStatus> SimulatedPodRuntime::ListJobs() {
  std::vector<JobStatus> result;
  for (const auto& [job, pod_name] : jobs_) {
    const Pod& pod = *pods_.at(pod_name);
    JobStatus status;
    status.id = job;
    status.created = pod.created;
    status.pending = false;  // Running from creation on, as a live process
    status.running = !pod.exited;
    status.succeeded = pod.exited && pod.exit_code == 0;
    status.failed = pod.exited && pod.exit_code != 0;
    status.completion_time = pod.exited_at;
    result.push_back(status);
  }
  return result;
}

absl::Status SimulatedPodRuntime::DeleteJob(const JobId& job) {
  auto it = jobs_.find(job);
  if (it == jobs_.end()) return absl::NotFoundError(absl::StrCat("job ", job, " not found"));
  Pod& pod = *pods_.at(it->second);
  if (!pod.exited) Kill(pod);
  std::string pod_name = it->second;
  jobs_.erase(it);
  Forget(pod_name);
  return absl::OkStatus();
}

int64_t SimulatedPodRuntime::alive_pods() const {
  int64_t count = 0;
  for (const auto& [name, pod] : pods_) {
    if (!pod->exited) ++count;
  }
  return count;
}

PodRecord SimulatedPodRuntime::RecordOf(const Pod& pod) const {
  PodRecord record;
  record.name = pod.name;
  record.created = absl::ToDoubleSeconds(pod.created - absl::UnixEpoch());
  if (pod.exited_at.has_value()) {
    record.ended = absl::ToDoubleSeconds(*pod.exited_at - absl::UnixEpoch());
  }
  return record;
}

std::vector<PodRecord> SimulatedPodRuntime::pod_records() const {
  std::vector<PodRecord> records = removed_records_;
  for (const auto& [name, pod] : pods_) records.push_back(RecordOf(*pod));
  return records;
}

}  // namespace krs::lab
