#include "lab/report/progress.h"

#include <algorithm>

#include "absl/strings/str_format.h"
#include "absl/time/clock.h"

namespace krs::lab {
namespace {

constexpr int kBarWidth = 20;
constexpr absl::Duration kRedrawInterval = absl::Milliseconds(200);

}  // namespace

ProgressReporter::ProgressReporter(std::FILE* out, bool terminal, absl::Duration interval)
    : out_(out), terminal_(terminal), interval_(interval) {}

std::string ProgressReporter::Line(const std::string& scenario, const Progress& progress) {
  double fraction = progress.messages > 0
                        ? static_cast<double>(progress.completed) / progress.messages
                        : 0;
  int filled = std::clamp(static_cast<int>(fraction * kBarWidth), 0, kBarWidth);
  return absl::StrFormat("%-28s [%s%s] %6.1fh/%.1fh %d/%d done, %d %s", scenario,
                         std::string(filled, '#'), std::string(kBarWidth - filled, '.'),
                         progress.simulated_seconds / 3600, progress.deadline_seconds / 3600,
                         progress.completed, progress.messages, progress.replicas,
                         progress.replicas == 1 ? "replica" : "replicas");
}

void ProgressReporter::Update(const std::string& scenario, const Progress& progress) {
  MutexLock lock(&mu_);
  current_[scenario] = progress;
  absl::Time now = absl::Now();
  if (terminal_) {
    if (now - last_redraw_ < kRedrawInterval) return;
    last_redraw_ = now;
    Redraw();
    return;
  }
  auto [it, inserted] = last_printed_.emplace(scenario, now);
  if (!inserted && now - it->second < interval_) return;
  it->second = now;
  std::fprintf(out_, "%s\n", Line(scenario, progress).c_str());
  std::fflush(out_);
}

void ProgressReporter::Finish(const std::string& scenario, const Progress& progress,
                              const std::string& outcome) {
  MutexLock lock(&mu_);
  current_.erase(scenario);
  if (terminal_) {
    // Clear the bars, print the final line above them and draw the rest again.
    for (int i = 0; i < lines_drawn_; ++i) std::fprintf(out_, "\033[1A\033[2K");
    lines_drawn_ = 0;
  }
  std::fprintf(out_, "%s: %s\n", Line(scenario, progress).c_str(), outcome.c_str());
  if (terminal_) Redraw();
  std::fflush(out_);
}

void ProgressReporter::Redraw() {
  for (int i = 0; i < lines_drawn_; ++i) std::fprintf(out_, "\033[1A\033[2K");
  for (const auto& [scenario, progress] : current_) {
    std::fprintf(out_, "%s\n", Line(scenario, progress).c_str());
  }
  lines_drawn_ = static_cast<int>(current_.size());
  std::fflush(out_);
}

}  // namespace krs::lab
