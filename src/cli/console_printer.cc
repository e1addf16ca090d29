#include "cli/console_printer.h"

#include <algorithm>
#include <cstdio>

namespace gantry::cli {
namespace {

using engine::Conclusion;

// Bright, readable foreground colors, one per job instance in start order.
const char* const kPalette[] = {"36", "35", "33", "34", "32", "96", "95", "93", "94", "92"};
constexpr int kPaletteSize = sizeof kPalette / sizeof kPalette[0];

const char* ConclusionColor(Conclusion c) {
  switch (c) {
    case Conclusion::kSuccess:
      return "32";
    case Conclusion::kFailure:
      return "31";
    case Conclusion::kCancelled:
      return "33";
    case Conclusion::kSkipped:
      return "90";
  }
  return "0";
}

// Width in code points, so names with non-ASCII characters still line up.
size_t Width(const std::string& s) {
  size_t points = 0;
  for (unsigned char c : s) points += (c & 0xC0) != 0x80;
  return points;
}

std::string Pad(const std::string& s, size_t width) {
  size_t points = Width(s);
  return points >= width ? s : s + std::string(width - points, ' ');
}

// `text` split at \n (a \r before it dropped); at least one line.
std::vector<std::string> SplitLines(const std::string& text) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (true) {
    size_t nl = text.find('\n', start);
    std::string line = text.substr(start, nl == std::string::npos ? nl : nl - start);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(std::move(line));
    if (nl == std::string::npos) return lines;
    start = nl + 1;
  }
}

// The summary's JOB column is at most this wide; a longer name gets a line of its own.
constexpr size_t kMaxNameWidth = 48;

}  // namespace

std::string FormatDuration(std::chrono::milliseconds d) {
  long long ms = d.count();
  char buf[32];
  if (ms < 10000) {
    std::snprintf(buf, sizeof buf, "%.2fs", static_cast<double>(ms) / 1000.0);
  } else if (ms < 60000) {
    std::snprintf(buf, sizeof buf, "%.1fs", static_cast<double>(ms) / 1000.0);
  } else if (ms < 3600000) {
    std::snprintf(buf, sizeof buf, "%lldm %02llds", ms / 60000, (ms / 1000) % 60);
  } else {
    std::snprintf(buf, sizeof buf, "%lldh %02lldm", ms / 3600000, (ms / 60000) % 60);
  }
  return buf;
}

std::string FormatAnnotation(const engine::Annotation& a) {
  std::string s;
  if (!a.file.empty()) {
    s = a.file;
    if (a.line > 0) s += ":" + std::to_string(a.line);
    if (a.line > 0 && a.column > 0) s += ":" + std::to_string(a.column);
    s += ": ";
  }
  s += a.level + ": ";
  if (!a.title.empty()) s += a.title + ": ";
  return s + a.message;
}

ConsolePrinter::ConsolePrinter(std::ostream& out, const core::Masker& masker, Style style)
    : out_(out), masker_(masker), style_(style) {}

void ConsolePrinter::SetWorkflowPrefix(std::string prefix) {
  std::lock_guard lock(mu_);
  workflow_prefix_ = std::move(prefix);
}

void ConsolePrinter::Note(const std::string& text) {
  std::lock_guard lock(mu_);
  out_ << Paint(text, "1") << '\n' << std::flush;
}

std::string ConsolePrinter::Paint(const std::string& text, const char* sgr) const {
  if (!style_.color) return text;
  return std::string("\033[") + sgr + "m" + text + "\033[0m";
}

std::pair<std::string, int> ConsolePrinter::JobSlot(const engine::JobKey& job) const {
  return {workflow_prefix_ + "\n" + job.job_id, job.instance};
}

std::string ConsolePrinter::Prefix(const engine::JobKey& job) {
  std::string name =
      workflow_prefix_.empty() ? job.display_name : workflow_prefix_ + " / " + job.display_name;
  std::string label = "[" + name + "]";
  if (!style_.color) return label;
  auto key = JobSlot(job);
  auto it = colors_.find(key);
  if (it == colors_.end()) {
    it = colors_.emplace(key, static_cast<int>(colors_.size()) % kPaletteSize).first;
  }
  return Paint(label, kPalette[it->second]);
}

std::string ConsolePrinter::StepLabel(const engine::JobKey& job, int step) {
  if (step < 0) return "";
  auto it = running_.find(JobSlot(job));
  if (it == running_.end() || it->second.size() < 2) return "";
  auto name = it->second.find(step);
  return name == it->second.end() ? "" : Paint(name->second + " |", "2") + " ";
}

void ConsolePrinter::WriteLine(const engine::JobKey& job, const std::string& text, int step) {
  std::lock_guard lock(mu_);
  out_ << Prefix(job) << ' ' << StepLabel(job, step) << text << '\n' << std::flush;
}

void ConsolePrinter::OnJobStarted(const engine::JobKey& job) {
  WriteLine(job, Paint(style_.unicode ? "● job started" : "* job started", "2"));
}

void ConsolePrinter::OnStepStarted(const engine::JobKey& job, int index, const std::string& name) {
  {
    std::lock_guard lock(mu_);
    running_[JobSlot(job)][index] = name;
  }
  WriteLine(job, Paint((style_.unicode ? "▶ " : "==> ") + name, "1"));
}

void ConsolePrinter::OnLogLine(const engine::JobKey& job, int step, std::string_view line) {
  WriteLine(job, std::string(line), step);
}

void ConsolePrinter::OnGroup(const engine::JobKey& job, int step, bool start,
                             std::string_view title) {
  if (!start) return;  // the next group or step start closes it visually
  WriteLine(job, Paint((style_.unicode ? "▸ " : ">> ") + std::string(title), "1"), step);
}

void ConsolePrinter::OnDebug(const engine::JobKey& job, int step, std::string_view message) {
  if (!style_.verbose) return;
  WriteLine(job, Paint("debug: " + std::string(message), "90"), step);
}

void ConsolePrinter::OnAnnotation(const engine::JobKey& job, int /*step*/,
                                  const engine::Annotation& a) {
  // A message with newlines (`%0A` in a workflow command) is several lines, as on GitHub;
  // each gets the job's prefix so it stays readable among other jobs' lines.
  std::vector<std::string> lines = SplitLines(FormatAnnotation(a));
  const char* color = a.level == "error" ? "31" : a.level == "warning" ? "33" : "36";
  for (size_t i = 0; i < lines.size(); ++i) {
    WriteLine(job, Paint(i == 0 ? lines[i] : "  " + lines[i], color));
  }
  std::lock_guard lock(mu_);
  std::string name =
      workflow_prefix_.empty() ? job.display_name : workflow_prefix_ + " / " + job.display_name;
  std::string text = lines[0];
  for (size_t i = 1; i < lines.size(); ++i) text += "\n    " + lines[i];
  annotations_.push_back(text + " [" + name + "]");
}

void ConsolePrinter::OnStepFinished(const engine::JobKey& job, const engine::StepReport& step) {
  {
    std::lock_guard lock(mu_);
    auto it = running_.find(JobSlot(job));
    if (it != running_.end()) {
      it->second.erase(step.index);
      if (it->second.empty()) running_.erase(it);
    }
  }
  bool failed = step.outcome == Conclusion::kFailure || step.outcome == Conclusion::kCancelled;
  if (!failed && !style_.verbose) return;
  std::string mark = failed ? (style_.unicode ? "✗ " : "x ") : (style_.unicode ? "✓ " : "ok ");
  std::string text = mark + step.name + " (" + engine::ConclusionName(step.outcome);
  if (!step.error.empty()) text += ": " + step.error;
  if (step.outcome != step.conclusion) {
    text += std::string(", continue-on-error: ") + engine::ConclusionName(step.conclusion);
  }
  text += ", " + FormatDuration(step.duration) + ")";
  WriteLine(job, Paint(text, failed ? "31" : "32"));
}

void ConsolePrinter::OnJobFinished(const engine::JobReport& job) {
  std::string mark;
  switch (job.conclusion) {
    case Conclusion::kSuccess:
      mark = style_.unicode ? "✓ " : "ok ";
      break;
    case Conclusion::kFailure:
      mark = style_.unicode ? "✗ " : "x ";
      break;
    default:
      mark = "- ";
  }
  std::string text = mark + "job " + engine::ConclusionName(job.conclusion) + " in " +
                     FormatDuration(job.duration);
  if (!job.error.empty()) text += ": " + masker_.Mask(job.error);
  if (!job.not_here.empty())
    text = mark + "job skipped, not run here: " + masker_.Mask(job.not_here);
  WriteLine(job.key, Paint(text, ConclusionColor(job.conclusion)));
}

void ConsolePrinter::PrintSummary(const std::vector<WorkflowRunResult>& runs,
                                  std::chrono::milliseconds total, bool cancelled) {
  std::lock_guard lock(mu_);
  size_t name_width = 4;
  for (const auto& run : runs) {
    for (const auto& job : run.report.jobs) {
      size_t width = Width(masker_.Mask(job.key.display_name));
      if (width <= kMaxNameWidth) name_width = std::max(name_width, width);
    }
  }
  std::map<Conclusion, int> counts;
  int not_here = 0;
  out_ << '\n';
  for (const auto& run : runs) {
    std::string label = run.workflow == run.file ? run.file : run.workflow + " (" + run.file + ")";
    out_ << Paint("Summary: " + masker_.Mask(label), "1") << '\n';
    out_ << "  " << Pad("JOB", name_width) << "  " << Pad("CONCLUSION", 10) << "  "
         << Pad("DURATION", 9) << "  FAILED STEP\n";
    for (const auto& job : run.report.jobs) {
      ++counts[job.conclusion];
      std::string failed = masker_.Mask(job.failed_step);
      if (failed.empty() && !job.error.empty()) failed = masker_.Mask(job.error);
      if (!job.not_here.empty()) {
        ++not_here;
        failed = "not run here: " + masker_.Mask(job.not_here);
      }
      std::string conclusion = engine::ConclusionName(job.conclusion);
      if (job.continued_on_error)
        failed += failed.empty() ? "(continue-on-error)" : " (continue-on-error)";
      std::string name = masker_.Mask(job.key.display_name);
      if (Width(name) > name_width) {
        // Whole on a line of its own, so the columns below stay aligned.
        out_ << "  " << name << '\n';
        name.clear();
      }
      out_ << "  " << Pad(name, name_width) << "  "
           << Paint(Pad(conclusion, 10), ConclusionColor(job.conclusion)) << "  "
           << Pad(job.conclusion == Conclusion::kSkipped ? "-" : FormatDuration(job.duration), 9)
           << "  " << failed << '\n';
    }
  }
  if (!annotations_.empty()) {
    out_ << Paint("Annotations", "1") << '\n';
    for (const auto& a : annotations_) out_ << "  " << a << '\n';
  }
  for (const auto& run : runs) {
    for (const auto& job : run.report.jobs) {
      if (job.summary.empty()) continue;
      out_ << Paint("Step summary of " + masker_.Mask(job.key.display_name), "1") << '\n';
      std::string summary = masker_.Mask(job.summary);
      out_ << summary << (summary.back() == '\n' ? "" : "\n");
    }
  }
  std::string totals;
  for (Conclusion c :
       {Conclusion::kSuccess, Conclusion::kFailure, Conclusion::kCancelled, Conclusion::kSkipped}) {
    if (counts[c] == 0) continue;
    if (!totals.empty()) totals += ", ";
    totals += std::to_string(counts[c]) + " " + engine::ConclusionName(c);
    if (c == Conclusion::kSkipped && not_here > 0) {
      totals += " (" + std::to_string(not_here) + " for runs-on)";
    }
  }
  if (totals.empty()) totals = "no jobs ran";
  bool ok = !cancelled && std::all_of(runs.begin(), runs.end(), [](const WorkflowRunResult& r) {
    return r.report.success();
  });
  // No job failed, one was cancelled (by a newer job of its concurrency group).
  bool jobs_cancelled =
      !ok && std::none_of(runs.begin(), runs.end(), [](const WorkflowRunResult& r) {
        return r.report.conclusion() == Conclusion::kFailure;
      });
  out_ << Paint(std::string(cancelled        ? "Interrupted: "
                            : ok             ? "Success: "
                            : jobs_cancelled ? "Cancelled: "
                                             : "Failed: ") +
                    totals + " in " + FormatDuration(total),
                ok ? "1;32" : "1;31")
       << '\n'
       << std::flush;
}

}  // namespace gantry::cli
