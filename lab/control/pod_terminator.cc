#include "lab/control/pod_terminator.h"

#include <csignal>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/logger.h"
#include "lab/policy/termination_policy.h"

namespace krs::lab {
namespace {

// After SIGKILL a runtime reports the exit within a poll or two. Past this many polls the pod
// is removed anyway, so a stuck backend cannot keep it terminating forever.
constexpr int kMaxPollsAfterKill = 30;

std::optional<PodStatus> FindPod(PodRuntime& runtime, const PodId& id) {
  for (PodStatus& pod : runtime.ListPods()) {
    if (pod.id == id) return std::move(pod);
  }
  return std::nullopt;
}

}  // namespace

PodTerminator::PodTerminator(Scheduler& scheduler, PodRuntime& runtime, Observer& observer,
                             absl::Duration poll_period)
    : scheduler_(scheduler),
      runtime_(runtime),
      observer_(observer),
      poll_period_(poll_period),
      alive_(std::make_shared<bool>(true)) {}

PodTerminator::~PodTerminator() { Stop(); }

void PodTerminator::Stop() { *alive_ = false; }

bool PodTerminator::IsTerminating(const PodId& pod) const { return pods_.count(pod) != 0; }

void PodTerminator::Schedule(absl::Time when, std::function<void()> callback) {
  std::weak_ptr<bool> alive = alive_;
  scheduler_.At(when, [alive, callback = std::move(callback)] {
    std::shared_ptr<bool> token = alive.lock();
    if (token && *token) callback();
  });
}

void PodTerminator::Emit(const PodId& pod, PodEventType type, const std::string& reason) {
  PodEvent event;
  event.time = scheduler_.Now();
  event.pod = pod;
  event.type = type;
  event.reason = reason;
  std::optional<PodStatus> status = FindPod(runtime_, pod);
  if (status.has_value()) event.busy = status->busy;
  observer_.OnPodEvent(event);
}

void PodTerminator::Terminate(const PodId& pod, const PodTemplate& pod_template,
                              const std::string& reason) {
  if (IsTerminating(pod)) return;
  Termination& termination = pods_[pod];
  termination.grace = TerminationGracePeriod(pod_template);
  Emit(pod, PodEventType::kSelectedForDeletion, reason);

  // Kubernetes 1.28 pkg/kubelet/kuberuntime/kuberuntime_container.go, killContainer: the
  // preStop hook runs first and blocks for up to the whole grace period.
  if (!RunsPreStop(pod_template, termination.grace)) {
    SendStopSignal(pod, termination.grace);
    return;
  }
  termination.pre_stop_started = scheduler_.Now();
  Emit(pod, PodEventType::kPreStopStarted,
       absl::StrFormat("grace period %ds", absl::ToInt64Seconds(termination.grace)));

  std::weak_ptr<bool> alive = alive_;
  Scheduler* scheduler = &scheduler_;
  runtime_.RunPreStop(pod, *PreStopCommand(pod_template), termination.grace,
                      [this, alive, scheduler, pod](absl::Status status) {
                        // May run on another thread: hand over to the scheduler's thread.
                        scheduler->At(scheduler->Now(), [this, alive, pod, status] {
                          std::shared_ptr<bool> token = alive.lock();
                          if (token && *token) OnPreStopDone(pod, status);
                        });
                      });
}

void PodTerminator::OnPreStopDone(const PodId& pod, const absl::Status& status) {
  auto it = pods_.find(pod);
  if (it == pods_.end()) return;
  absl::Duration used = scheduler_.Now() - it->second.pre_stop_started;
  std::string result = status.ok() ? "ok" : std::string(status.message());
  Emit(pod, PodEventType::kPreStopFinished,
       absl::StrFormat("after %.1fs: %s", absl::ToDoubleSeconds(used), result));
  SendStopSignal(pod, RemainingGraceAfterPreStop(it->second.grace, used));
}

void PodTerminator::SendStopSignal(const PodId& pod, absl::Duration remaining_grace) {
  Termination& termination = pods_[pod];
  termination.sigterm_sent = true;
  termination.kill_at = scheduler_.Now() + remaining_grace;

  absl::Status status = runtime_.SendSignal(pod, SIGTERM);
  if (!status.ok()) observer_.OnError(scheduler_.Now(), "kubelet", status);
  Emit(pod, PodEventType::kSigterm,
       absl::StrFormat("SIGKILL in %ds unless the container exits",
                       absl::ToInt64Seconds(remaining_grace)));

  Schedule(termination.kill_at, [this, pod] { Kill(pod); });
  Schedule(scheduler_.Now() + poll_period_, [this, pod] { Check(pod); });
}

void PodTerminator::Kill(const PodId& pod) {
  auto it = pods_.find(pod);
  if (it == pods_.end() || it->second.sigkill_sent) return;
  std::optional<PodStatus> status = FindPod(runtime_, pod);
  if (!status.has_value() || status->exited) return;

  it->second.sigkill_sent = true;
  Emit(pod, PodEventType::kSigkill, "grace period expired");
  absl::Status sent = runtime_.SendSignal(pod, SIGKILL);
  if (!sent.ok()) observer_.OnError(scheduler_.Now(), "kubelet", sent);
}

void PodTerminator::Check(const PodId& pod) {
  auto it = pods_.find(pod);
  if (it == pods_.end()) return;
  std::optional<PodStatus> status = FindPod(runtime_, pod);
  if (!status.has_value()) {
    pods_.erase(it);
    Emit(pod, PodEventType::kRemoved, "gone from the runtime");
    return;
  }
  if (status->exited) {
    Emit(pod, PodEventType::kExited, absl::StrCat("exit code ", status->exit_code));
    Remove(pod, "container stopped");
    return;
  }
  if (it->second.sigkill_sent && ++it->second.polls_after_kill > kMaxPollsAfterKill) {
    Log(LogLevel::kWarning, "pod still running after SIGKILL; removing it", {{"pod", pod}});
    Remove(pod, "still running after SIGKILL");
    return;
  }
  Schedule(scheduler_.Now() + poll_period_, [this, pod] { Check(pod); });
}

void PodTerminator::Remove(const PodId& pod, const std::string& reason) {
  pods_.erase(pod);
  absl::Status status = runtime_.RemovePod(pod);
  if (!status.ok()) observer_.OnError(scheduler_.Now(), "kubelet", status);
  Emit(pod, PodEventType::kRemoved, reason);
}

}  // namespace krs::lab
