#include "cli/run_render.h"

#include <cstdio>
#include <set>

#include "cli/markdown_terminal.h"

namespace gantry::cli {
namespace {

using nlohmann::json;

std::string Str(const json& item, const char* key) {
  auto it = item.find(key);
  return it != item.end() && it->is_string() ? it->get<std::string>() : std::string();
}

int64_t Int(const json& item, const char* key) {
  auto it = item.find(key);
  return it != item.end() && it->is_number_integer() ? it->get<int64_t>() : 0;
}

// A workflow-provided text for one line: control characters escaped, newlines as spaces.
std::string Safe(const std::string& text) {
  std::string out = EscapeControl(text);
  for (char& c : out) {
    if (c == '\n') c = ' ';
  }
  return out;
}

std::string Symbol(const OutputStyle& style, const json& item) {
  return StatusSymbol(style, Str(item, "status"), Str(item, "conclusion"));
}

std::string WorkflowName(const json& run) {
  std::string name = Str(run, "name");
  if (!name.empty()) return Safe(name);
  std::string file = Str(run, "workflow");
  size_t slash = file.rfind('/');
  return Safe(slash == std::string::npos ? file : file.substr(slash + 1));
}

bool Started(const json& item) { return ParseApiTime(item.value("started_at", json())) != 0; }

// The summary shown for a finished run: the conclusion, else the status.
std::string Outcome(const json& item) {
  std::string conclusion = Str(item, "conclusion");
  return conclusion.empty() ? Str(item, "status") : conclusion;
}

std::string AnnotationSymbol(const OutputStyle& style, const std::string& level) {
  if (level == "error" || level == "failure") return Paint(style, "red", "X");
  if (level == "warning") return Paint(style, "yellow", "!");
  return Paint(style, "gray", "-");
}

}  // namespace

int64_t ElapsedMs(const json& item, int64_t now_ms) {
  int64_t start = ParseApiTime(item.value("started_at", json()));
  if (start == 0) start = ParseApiTime(item.value("created_at", json()));
  if (start == 0) return 0;
  int64_t end = ParseApiTime(item.value("completed_at", json()));
  if (end == 0) end = Str(item, "status") == "completed" ? start : now_ms;
  return std::max<int64_t>(0, end - start);
}

std::vector<std::string> RunListHeader() {
  return {"STATUS", "TITLE", "WORKFLOW", "BRANCH", "EVENT", "ID", "ELAPSED", "AGE"};
}

std::vector<std::string> RunListRow(const OutputStyle& style, const json& run, int64_t now_ms) {
  std::vector<std::string> row;
  if (style.tty) {
    row.push_back(Symbol(style, run));
  } else {
    row.push_back(Str(run, "status"));
    row.push_back(Str(run, "conclusion"));
  }
  int64_t created = ParseApiTime(run.value("created_at", json()));
  std::string title = Safe(Str(run, "display_title"));
  // A run held back by an environment's reviewers or wait timer says which.
  if (run.contains("waiting_for") && run["waiting_for"].is_array()) {
    for (const json& env : run["waiting_for"]) {
      if (env.is_string())
        title += " (waiting for approval of " + Safe(env.get<std::string>()) + ")";
    }
  }
  row.insert(row.end(), {title, WorkflowName(run), Safe(Str(run, "head_branch")), Str(run, "event"),
                         std::to_string(Int(run, "id")), FormatDuration(ElapsedMs(run, now_ms)),
                         created == 0 ? "" : FormatAge(now_ms - created)});
  return row;
}

std::vector<std::string> RunHeader(const OutputStyle& style, const json& run, int64_t now_ms) {
  std::string first = Symbol(style, run) + " ";
  std::string branch = Str(run, "head_branch");
  if (!branch.empty()) first += Paint(style, "bold", Safe(branch)) + " · ";
  first += WorkflowName(run) + " #" + std::to_string(Int(run, "run_number"));
  std::string title = Str(run, "display_title");
  if (!title.empty()) first += " · " + Safe(title);
  std::string second = "Triggered via " + Str(run, "event");
  if (!Str(run, "actor").empty()) second += " by " + Safe(Str(run, "actor"));
  int64_t created = ParseApiTime(run.value("created_at", json()));
  if (created != 0) second += " " + FormatAge(now_ms - created);
  second += " · ID " + std::to_string(Int(run, "id"));
  if (Int(run, "attempt") > 1) second += " · attempt " + std::to_string(Int(run, "attempt"));
  std::vector<std::string> lines = {first, Paint(style, "gray", second)};
  if (!Str(run, "error").empty()) lines.push_back(Paint(style, "red", Safe(Str(run, "error"))));
  return lines;
}

std::string JobLine(const OutputStyle& style, const json& job, int64_t now_ms) {
  std::string line = Symbol(style, job) + " " + Safe(Str(job, "name"));
  if (Started(job)) line += " in " + FormatDuration(ElapsedMs(job, now_ms));
  line += " " + Paint(style, "gray", "(ID " + std::to_string(Int(job, "id")) + ")");
  if (!Str(job, "waiting_reason").empty()) {
    line += " " + Paint(style, "yellow", Safe(Str(job, "waiting_reason")));
  }
  return line;
}

std::vector<std::string> StepLines(const OutputStyle& style, const json& job, int64_t now_ms) {
  std::vector<std::string> lines;
  if (!job.contains("steps") || !job["steps"].is_array()) return lines;
  for (const json& step : job["steps"]) {
    std::string line = "  " + Symbol(style, step) + " " + Safe(Str(step, "name"));
    if (Started(step))
      line += Paint(style, "gray", " (" + FormatDuration(ElapsedMs(step, now_ms)) + ")");
    lines.push_back(line);
  }
  return lines;
}

std::vector<std::string> RenderRunView(const OutputStyle& style, const json& run,
                                       const ViewParts& parts, int64_t now_ms) {
  std::vector<std::string> out = RunHeader(style, run, now_ms);
  out.emplace_back();
  out.push_back(Paint(style, "bold", "JOBS"));
  std::map<int64_t, std::string> job_names;
  for (const json& job : run.value("jobs", json::array())) {
    job_names[Int(job, "id")] = Safe(Str(job, "name"));
    out.push_back(JobLine(style, job, now_ms));
    if (parts.steps) {
      for (std::string& line : StepLines(style, job, now_ms)) out.push_back(std::move(line));
    } else if (!Str(job, "error").empty()) {
      out.push_back("  " + Paint(style, "red", Safe(Str(job, "error"))));
    }
  }
  std::vector<std::string> annotations;
  for (const json& job : parts.details) {
    for (const json& a : job.value("annotations", json::array())) {
      std::string where = Safe(Str(a, "file"));
      if (!where.empty() && Int(a, "line") > 0) where += ":" + std::to_string(Int(a, "line"));
      std::string line = AnnotationSymbol(style, Str(a, "level")) + " " + Str(a, "level") + " " +
                         Safe(Str(job, "name")) + ": ";
      if (!where.empty()) line += where + ": ";
      if (!Str(a, "title").empty()) line += Safe(Str(a, "title")) + ": ";
      annotations.push_back(line + Safe(Str(a, "message")));
    }
  }
  if (!annotations.empty()) {
    out.emplace_back();
    out.push_back(Paint(style, "bold", "ANNOTATIONS"));
    out.insert(out.end(), annotations.begin(), annotations.end());
  }
  if (parts.artifacts.is_array() && !parts.artifacts.empty()) {
    out.emplace_back();
    out.push_back(Paint(style, "bold", "ARTIFACTS"));
    for (const json& a : parts.artifacts) {
      out.push_back(Safe(Str(a, "name")) + " " +
                    Paint(style, "gray", "(" + std::to_string(Int(a, "size_in_bytes")) + " B)"));
    }
  }
  for (const std::string& line : RenderReports(style, parts.reports)) out.push_back(line);
  MarkdownStyle md{style.color, style.width};
  for (const json& job : parts.details) {
    std::string summary = Str(job, "summary");
    if (summary.find_first_not_of(" \n\t\r") == std::string::npos) continue;
    out.emplace_back();
    out.push_back(Paint(style, "bold", "SUMMARY OF " + Safe(Str(job, "name"))));
    for (const std::string& line : RenderMarkdown(summary, md)) {
      out.push_back(line.empty() ? line : "  " + line);
    }
  }
  out.emplace_back();
  int64_t id = Int(run, "id");
  // A run held for a review: how to decide it.
  std::set<std::string> reviews;
  for (const json& job : run.value("jobs", json::array())) {
    if (Str(job, "status") == "waiting" &&
        Str(job, "waiting_reason").rfind("waiting for approval of ", 0) == 0) {
      reviews.insert(Str(job, "environment"));
    }
  }
  for (const std::string& env : reviews) {
    out.push_back("Review " + Safe(env) + ": gantry run approve " + std::to_string(id) + " --env " +
                  Safe(env) + " [-m COMMENT] (or gantry run reject)");
  }
  out.push_back("For more information about a job, try: gantry run view " + std::to_string(id) +
                " --job <job-id>");
  out.push_back("Logs: gantry run view " + std::to_string(id) + " --log");
  if (!Str(run, "html_url").empty()) {
    out.push_back(Paint(style, "gray", "View this run in the browser: " + Str(run, "html_url")));
  }
  return out;
}

std::vector<std::string> RenderWatchFrame(const OutputStyle& style, const json& run,
                                          const std::map<int64_t, std::vector<std::string>>& tails,
                                          bool compact, int64_t now_ms) {
  std::vector<std::string> out = RunHeader(style, run, now_ms);
  out.emplace_back();
  out.push_back(Paint(style, "bold", "JOBS"));
  for (const json& job : run.value("jobs", json::array())) {
    out.push_back(JobLine(style, job, now_ms));
    std::string status = Str(job, "status");
    std::string conclusion = Str(job, "conclusion");
    bool interesting = status == "in_progress" || conclusion == "failure" ||
                       conclusion == "timed_out" || conclusion == "cancelled";
    if (compact && !interesting) continue;
    std::vector<std::string> steps = StepLines(style, job, now_ms);
    const json& list = job.value("steps", json::array());
    for (size_t i = 0; i < steps.size() && i < list.size(); ++i) {
      bool running = Str(list[i], "status") == "in_progress";
      bool failed = Str(list[i], "conclusion") == "failure";
      if (compact && !running && !failed) continue;
      out.push_back(steps[i]);
      auto tail = tails.find(Int(job, "id"));
      if (running && tail != tails.end()) {
        for (const std::string& line : tail->second) {
          out.push_back("      " + Paint(style, "gray", Safe(line)));
        }
      }
    }
  }
  if (style.tty) {
    for (std::string& line : out) line = ClipToWidth(line, style.width);
  }
  return out;
}

std::string PlainChangeLine(const std::string& kind, const json& item, const std::string& job_name,
                            int64_t now_ms) {
  std::string status = Str(item, "status");
  std::string text;
  if (kind == "run") {
    text = "run " + std::to_string(Int(item, "id")) + ": " + status;
    if (status == "completed") text += " with " + Outcome(item);
    return text;
  }
  text = kind == "job" ? "job " + Safe(Str(item, "name"))
                       : "step " + Safe(job_name) + " / " + Safe(Str(item, "name"));
  text += ": " + (status == "completed" ? Outcome(item) : status);
  if (status == "completed" && Started(item)) {
    text += " (" + FormatDuration(ElapsedMs(item, now_ms)) + ")";
  }
  return text;
}

std::string WatchDoneLine(const OutputStyle& style, const json& run) {
  return Symbol(style, run) + " Run " + WorkflowName(run) + " (" + std::to_string(Int(run, "id")) +
         ") completed with '" + Outcome(run) + "'";
}

std::string StripLogTimestamp(const std::string& line) {
  // "2026-12-06T09:00:00.123Z " is 25 characters.
  if (line.size() >= 25 && line[4] == '-' && line[10] == 'T' && line[23] == 'Z' &&
      line[24] == ' ') {
    return line.substr(25);
  }
  return line;
}

std::string ClipToWidth(const std::string& line, int width) {
  if (DisplayWidth(line) <= width) return line;
  std::string out;
  int columns = 0;
  for (size_t i = 0; i < line.size(); ++i) {
    auto c = static_cast<unsigned char>(line[i]);
    if (c == 0x1b && i + 1 < line.size() && line[i + 1] == '[') {
      size_t end = i + 2;
      while (end < line.size() && (line[end] < 0x40 || line[end] > 0x7e)) ++end;
      out.append(line, i, end + 1 - i);
      i = end;
      continue;
    }
    if ((c & 0xc0) != 0x80) {
      if (columns == width - 1) break;
      ++columns;
    }
    out += line[i];
  }
  out += "…";
  if (line.find('\x1b') != std::string::npos) out += "\x1b[0m";
  return out;
}

std::vector<std::string> RenderReports(const OutputStyle& style, const json& reports) {
  std::vector<std::string> out;
  if (!reports.is_object()) return out;
  auto fixed1 = [](double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f", v);
    return std::string(buf);
  };
  auto number = [](const json& j, const char* key) {
    auto it = j.find(key);
    return it != j.end() && it->is_number() ? it->get<double>() : 0.0;
  };
  const json& cov = reports.value("coverage", json());
  if (cov.is_object()) {
    std::string line = "Coverage " + fixed1(number(cov, "percent")) + "%";
    const json& base = cov.value("base", json());
    if (base.is_object() && cov.value("delta", json()).is_number()) {
      double d = number(cov, "delta");
      line += " (" + std::string(d >= 0 ? "+" : "") + fixed1(d) + " vs " +
              Safe(Str(base, "branch")) + " #" + std::to_string(Int(base, "number")) + ")";
    }
    out.push_back(line);
  }
  const json& tests = reports.value("tests", json());
  if (tests.is_object()) {
    int64_t failed = Int(tests, "failed");
    std::string line = "Tests " + std::to_string(Int(tests, "passed")) + " passed, " +
                       std::to_string(failed) + " failed, " +
                       std::to_string(Int(tests, "skipped")) + " skipped";
    out.push_back(failed > 0 ? Paint(style, "red", line) : line);
    const json& failures = tests.value("failures", json::array());
    for (size_t i = 0; i < failures.size() && i < 10; ++i) {
      std::string name = Str(failures[i], "classname");
      if (!name.empty()) name += ".";
      name += Str(failures[i], "name");
      out.push_back("  X " + Safe(name) +
                    Paint(style, "gray", " (" + Safe(Str(failures[i], "job")) + ")"));
    }
    if (failures.size() > 10)
      out.push_back("  …and " + std::to_string(failures.size() - 10) + " more");
    const json& flaky = tests.value("flaky", json::array());
    if (!flaky.empty()) out.push_back("  " + std::to_string(flaky.size()) + " flaky");
  }
  const json& sec = reports.value("security", json());
  if (sec.is_object()) {
    const json& fresh = sec.value("new", json::array());
    std::string line = "Security " + std::to_string(Int(sec, "total")) + " open";
    if (!fresh.empty()) {
      line += " (" + std::to_string(fresh.size()) + " new: " + Safe(Str(fresh[0], "severity")) +
              " " + Safe(Str(fresh[0], "rule_id")) + (fresh.size() > 1 ? " …" : "") + ")";
    }
    out.push_back(line);
  }
  if (out.empty()) return out;
  out.insert(out.begin(), Paint(style, "bold", "REPORTS"));
  out.insert(out.begin(), std::string());
  return out;
}

}  // namespace gantry::cli
