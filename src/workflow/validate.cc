#include "workflow/validate.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <deque>
#include <string>
#include <unordered_map>
#include <vector>

namespace gantry::workflow {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// The jobs as a graph: edges[i] lists the indexes of the jobs job i needs (unknown names are
// kept aside with their Text for the unknown-job report).
struct Graph {
  std::vector<std::vector<size_t>> edges;
  std::vector<std::vector<const Text*>> edge_text;
  std::unordered_map<std::string, size_t> index;  // lower-case id → job index
};

Graph BuildGraph(const Workflow& workflow) {
  Graph g;
  g.edges.resize(workflow.jobs.size());
  g.edge_text.resize(workflow.jobs.size());
  for (size_t i = 0; i < workflow.jobs.size(); ++i) {
    g.index.emplace(Lower(workflow.jobs[i].id), i);
  }
  return g;
}

// A path from `from` to `to` over the edges still blocked, as job indexes; empty if none.
std::vector<size_t> FindPath(const Graph& g, const std::vector<bool>& blocked, size_t from,
                             size_t to) {
  std::vector<size_t> parent(g.edges.size(), SIZE_MAX);
  std::deque<size_t> queue{from};
  parent[from] = from;
  while (!queue.empty()) {
    size_t at = queue.front();
    queue.pop_front();
    if (at == to) {
      std::vector<size_t> path{to};
      while (path.back() != from) path.push_back(parent[path.back()]);
      return {path.rbegin(), path.rend()};
    }
    for (size_t next : g.edges[at]) {
      if (blocked[next] && parent[next] == SIZE_MAX) {
        parent[next] = at;
        queue.push_back(next);
      }
    }
  }
  return {};
}

// Some cycle reachable from `start` over blocked jobs, as "a -> b -> a".
std::string DescribeCycleFrom(const Workflow& w, const Graph& g, const std::vector<bool>& blocked,
                              size_t start) {
  // Walking blocked jobs always closes a cycle: every blocked job has a blocked dependency.
  std::vector<int> seen_at(g.edges.size(), -1);
  std::vector<size_t> walk;
  size_t at = start;
  while (seen_at[at] < 0) {
    seen_at[at] = static_cast<int>(walk.size());
    walk.push_back(at);
    for (size_t n : g.edges[at]) {
      if (blocked[n]) {
        at = n;
        break;
      }
    }
  }
  std::string text;
  for (size_t k = static_cast<size_t>(seen_at[at]); k < walk.size(); ++k) {
    text += w.jobs[walk[k]].id + " -> ";
  }
  return text + w.jobs[at].id;
}

}  // namespace

void ValidateNeeds(Reader& r, const Workflow& workflow, Position jobs_pos) {
  Graph g = BuildGraph(workflow);
  std::vector<int> pending(workflow.jobs.size(), 0);
  std::vector<std::vector<size_t>> dependents(workflow.jobs.size());
  std::deque<size_t> ready;
  bool has_start = false;
  for (size_t i = 0; i < workflow.jobs.size(); ++i) {
    for (const Text& need : workflow.jobs[i].needs) {
      auto it = g.index.find(Lower(need.value));
      if (it == g.index.end()) {
        std::string message =
            "Job '" + workflow.jobs[i].id + "' depends on unknown job '" + need.value + "'.";
        std::vector<std::string_view> ids;
        for (const Job& job : workflow.jobs) ids.push_back(job.id);
        // Short names are one or two edits from anything; a suggestion would be noise.
        std::string suggestion = need.value.size() > 3 ? ClosestMatch(need.value, ids) : "";
        if (!suggestion.empty()) message += " Did you mean '" + suggestion + "'?";
        r.Error(need.pos, message, "needs");
        continue;
      }
      g.edges[i].push_back(it->second);
      g.edge_text[i].push_back(&need);
      dependents[it->second].push_back(i);
      ++pending[i];
    }
    if (workflow.jobs[i].needs.empty()) has_start = true;
    // Unknown names were reported above; they do not hold the job back from the cycle check.
    if (pending[i] == 0) ready.push_back(i);
  }
  // Kahn's algorithm: whatever is never released waits on a cycle.
  std::vector<bool> blocked(workflow.jobs.size(), true);
  while (!ready.empty()) {
    size_t done = ready.front();
    ready.pop_front();
    blocked[done] = false;
    for (size_t dependent : dependents[done]) {
      if (--pending[dependent] == 0) ready.push_back(dependent);
    }
  }
  if (!has_start) {
    // GitHub stops here; naming one cycle tells the user what to break.
    std::string message = "The workflow must contain at least one job with no dependencies.";
    auto first = std::find(blocked.begin(), blocked.end(), true);
    if (first != blocked.end()) {
      message += " Cycle: " + DescribeCycleFrom(workflow, g, blocked, first - blocked.begin());
    }
    r.Error(jobs_pos, message, "needs");
    return;
  }
  for (size_t i = 0; i < workflow.jobs.size(); ++i) {
    if (!blocked[i]) continue;
    for (size_t e = 0; e < g.edges[i].size(); ++e) {
      size_t target = g.edges[i][e];
      if (!blocked[target]) continue;
      std::string cycle;
      std::vector<size_t> back = FindPath(g, blocked, target, i);
      if (!back.empty()) {
        cycle = workflow.jobs[i].id;
        for (size_t k : back) cycle += " -> " + workflow.jobs[k].id;
      } else {
        cycle = DescribeCycleFrom(workflow, g, blocked, target);
      }
      r.Error(g.edge_text[i][e]->pos,
              "Job '" + workflow.jobs[i].id + "' depends on job '" + g.edge_text[i][e]->value +
                  "' which creates a cycle in the dependency graph. Cycle: " + cycle,
              "needs");
    }
  }
}

}  // namespace gantry::workflow
