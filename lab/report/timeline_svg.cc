#include "lab/report/timeline_svg.h"

#include <algorithm>
#include <cmath>
#include <functional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace krs::lab {
namespace {

constexpr double kWidth = 960;
constexpr double kLeft = 60;
constexpr double kRight = 150;   // room for the legend
constexpr double kPanelHeight = 170;
constexpr double kTopPanel = 50;
constexpr double kBottomPanel = kTopPanel + kPanelHeight + 40;
constexpr double kHeight = kBottomPanel + kPanelHeight + 50;

std::string Escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

// Rounds `value` up to 1, 2 or 5 times a power of ten, for axis maxima.
double NiceCeiling(double value) {
  if (value <= 1) return 1;
  double power = std::pow(10, std::floor(std::log10(value)));
  for (double step : {1.0, 2.0, 5.0, 10.0}) {
    if (value <= step * power) return step * power;
  }
  return 10 * power;
}

struct Panel {
  double top;
  double max_value;
  double end_time;

  double X(double time) const {
    return kLeft + (kWidth - kLeft - kRight) * (end_time <= 0 ? 0 : time / end_time);
  }
  double Y(double value) const { return top + kPanelHeight * (1 - value / max_value); }
};

// A step line through the samples' values.
std::string StepPath(const RunResult& result, const Panel& panel,
                     const std::function<double(const TimelineSample&)>& value,
                     const std::string& color, bool dashed) {
  if (result.timeline.empty()) return "";
  std::string points;
  double previous = value(result.timeline.front());
  absl::StrAppendFormat(&points, "M%.1f,%.1f", panel.X(result.timeline.front().time),
                        panel.Y(previous));
  for (const TimelineSample& sample : result.timeline) {
    double current = value(sample);
    absl::StrAppendFormat(&points, " H%.1f V%.1f", panel.X(sample.time), panel.Y(current));
    previous = current;
  }
  return absl::StrFormat(
      "<path d=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\"%s/>\n", points, color,
      dashed ? " stroke-dasharray=\"4 3\"" : "");
}

std::string Axes(const Panel& panel, const std::string& label) {
  std::string svg;
  double bottom = panel.top + kPanelHeight;
  double right = kWidth - kRight;
  absl::StrAppendFormat(&svg,
                        "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
                        "fill=\"none\" stroke=\"#888\"/>\n",
                        kLeft, panel.top, right - kLeft, kPanelHeight);
  // Whole-number ticks: 4 or 5 intervals, whichever divides the (nice) maximum.
  int intervals = std::fmod(panel.max_value, 4) == 0 ? 4 : 5;
  if (panel.max_value < intervals) intervals = static_cast<int>(panel.max_value);
  for (int i = 0; i <= intervals; ++i) {
    double value = panel.max_value * i / intervals;
    absl::StrAppendFormat(&svg,
                          "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\" text-anchor=\"end\">"
                          "%g</text>\n",
                          kLeft - 4, panel.Y(value) + 3, value);
  }
  // Ticks in minutes for runs under three hours, in hours otherwise.
  bool minutes = panel.end_time < 3 * 3600;
  double unit = minutes ? 60 : 3600;
  double span = panel.end_time / unit;
  double step = std::max(1.0, NiceCeiling(span / 8));
  for (double tick = 0; tick <= span + 1e-9; tick += step) {
    double x = panel.X(tick * unit);
    absl::StrAppendFormat(&svg,
                          "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ccc\"/>\n"
                          "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\" text-anchor=\"middle\">"
                          "%g%s</text>\n",
                          x, panel.top, x, bottom, x, bottom + 12, tick, minutes ? "m" : "h");
  }
  absl::StrAppendFormat(&svg, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"12\">%s</text>\n", kLeft,
                        panel.top - 6, Escape(label));
  return svg;
}

std::string Legend(double top, const std::vector<std::pair<std::string, std::string>>& items) {
  std::string svg;
  double x = kWidth - kRight + 12;
  for (size_t i = 0; i < items.size(); ++i) {
    double y = top + 14 + 16 * i;
    absl::StrAppendFormat(&svg,
                          "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
                          "stroke-width=\"3\"/>\n<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\">%s"
                          "</text>\n",
                          x, y, x + 18, y, items[i].second, x + 24, y + 4,
                          Escape(items[i].first));
  }
  return svg;
}

}  // namespace

std::string TimelineSvg(const RunResult& result) {
  double end_time = result.end_time;
  double max_replicas = 1;
  double max_queue = 1;
  for (const TimelineSample& sample : result.timeline) {
    end_time = std::max(end_time, sample.time);
    max_replicas = std::max({max_replicas, static_cast<double>(sample.replicas),
                             static_cast<double>(sample.pods)});
    max_queue = std::max({max_queue, static_cast<double>(sample.ready),
                          static_cast<double>(sample.unacked)});
  }
  Panel pods{kTopPanel, NiceCeiling(max_replicas), end_time};
  Panel queue{kBottomPanel, NiceCeiling(max_queue), end_time};
  bool jobs = result.kind == "ScaledJob";

  std::string svg = absl::StrFormat(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
      "viewBox=\"0 0 %.0f %.0f\" font-family=\"sans-serif\">\n"
      "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
      kWidth, kHeight, kWidth, kHeight);
  std::string title = absl::StrFormat(
      "%s (%s): wasted %.0f s (%.1f%%), %d killed, %d interrupted", result.scenario.name,
      result.mode, result.summary.wasted_processing_seconds, result.wasted_percent(),
      result.summary.killed, result.summary.interrupted);
  absl::StrAppendFormat(&svg, "<text x=\"%.1f\" y=\"22\" font-size=\"15\">%s</text>\n", kLeft,
                        Escape(title));

  absl::StrAppend(&svg, Axes(pods, jobs ? "Jobs and pods" : "replicas and pods"));
  absl::StrAppend(&svg, StepPath(result, pods, [](const TimelineSample& s) {
                    return static_cast<double>(s.pods);
                  }, "#9467bd", true));
  absl::StrAppend(&svg, StepPath(result, pods, [](const TimelineSample& s) {
                    return static_cast<double>(s.busy_pods);
                  }, "#2ca02c", false));
  absl::StrAppend(&svg, StepPath(result, pods, [](const TimelineSample& s) {
                    return static_cast<double>(s.replicas);
                  }, "#1f77b4", false));
  for (const KillMark& kill : result.kills) {
    double x = pods.X(kill.time);
    absl::StrAppendFormat(&svg,
                          "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
                          "stroke-width=\"1.5\"><title>%s</title></line>\n",
                          x, pods.top, x, pods.top + 12, kill.busy ? "#d62728" : "#ff9896",
                          Escape(absl::StrCat("SIGKILL ", kill.pod)));
  }
  absl::StrAppend(&svg, Legend(pods.top, {{jobs ? "active Jobs" : "replicas", "#1f77b4"},
                                          {"pods alive", "#9467bd"},
                                          {"busy pods", "#2ca02c"},
                                          {"SIGKILL (busy)", "#d62728"},
                                          {"SIGKILL (idle)", "#ff9896"}}));

  absl::StrAppend(&svg, Axes(queue, "queue depth (messages)"));
  absl::StrAppend(&svg, StepPath(result, queue, [](const TimelineSample& s) {
                    return static_cast<double>(s.ready);
                  }, "#ff7f0e", false));
  absl::StrAppend(&svg, StepPath(result, queue, [](const TimelineSample& s) {
                    return static_cast<double>(s.unacked);
                  }, "#17becf", false));
  absl::StrAppend(&svg, Legend(queue.top, {{"ready", "#ff7f0e"}, {"unacked", "#17becf"}}));
  absl::StrAppendFormat(&svg,
                        "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" text-anchor=\"middle\">"
                        "simulated time</text>\n</svg>\n",
                        (kLeft + kWidth - kRight) / 2, kHeight - 12);
  return svg;
}

}  // namespace krs::lab
