// The run's jobs as a graph: columns by depth along `needs`, matrix instances of one job id in
// one box (collapsible), SVG edges between the boxes. Uses the run's `graph` when the server
// sends it (every job of the workflow, in file order, also those not created yet), else
// derives it from the jobs.
import { useMemo, useState } from 'preact/hooks';
import { Duration, StatusIcon, stateOf } from '../components';
import { groupState, layoutDag } from '../lib/dag';
import { jobUrl, type GraphGroup } from '../lib/run_types';

export { graphGroups } from '../lib/run_types';

const HEAD = 40;
const ROW = 30;
const WIDTH = 230;

export function JobGraph(props: { groups: GraphGroup[]; owner: string; name: string; runId: string | number }) {
  const { groups, owner, name, runId } = props;
  // matrix boxes start open when small
  const [toggled, setToggled] = useState<Record<string, boolean>>({});
  const isOpen = (g: GraphGroup) => toggled[g.id] ?? g.jobs.length <= 5;
  const heightOf = (id: string) => {
    const g = groups.find((x) => x.id === id)!;
    return g.matrix && isOpen(g) && g.jobs.length > 0 ? HEAD + g.jobs.length * ROW + 6 : HEAD;
  };
  const layout = useMemo(
    () => layoutDag(groups, heightOf, { width: WIDTH, colGap: 48, rowGap: 14, pad: 4 }),
    [groups, toggled],
  );
  if (groups.length === 0) return <p class="empty">No jobs yet.</p>;
  const stateOfGroup = (g: GraphGroup) => groupState(g.jobs.map((j) => stateOf(j.status, j.conclusion)));
  return (
    <div class="job-graph-wrap">
      <div
        class="job-graph"
        data-testid="job-graph"
        role="list"
        aria-label="Jobs"
        style={{ width: layout.width + 'px', height: layout.height + 'px' }}
      >
        <svg class="edges" width={layout.width} height={layout.height} aria-hidden="true">
          {layout.edges.map((e) => {
            const from = groups.find((g) => g.id === e.from)!;
            return <path key={e.from + '>' + e.to} d={e.d} class={`edge edge-${stateOfGroup(from)}`} />;
          })}
        </svg>
        {groups.map((g) => {
          const p = layout.nodes.get(g.id)!;
          const state = stateOfGroup(g);
          const style = { left: p.x + 'px', top: p.y + 'px', width: p.w + 'px', height: p.h + 'px' };
          const single = !g.matrix && g.jobs.length === 1 ? g.jobs[g.jobs.length - 1] : null;
          return (
            <div
              key={g.id}
              class={`job-node state-${state}${g.jobs.length === 0 ? ' not-created' : ''}`}
              role="listitem"
              data-testid="job-node"
              data-job-id={g.id}
              data-state={state}
              style={style}
            >
              {single ? (
                <a class="jn-head" href={jobUrl(owner, name, runId, single.id)} title={single.name}>
                  <StatusIcon status={single.status} conclusion={single.conclusion} />
                  <span class="jn-name">{single.name}</span>
                  <Duration start={single.started_at} end={single.completed_at} />
                </a>
              ) : g.jobs.length === 0 ? (
                <div class="jn-head" title={g.name}>
                  <StatusIcon status="waiting" />
                  <span class="jn-name">{g.name}</span>
                </div>
              ) : (
                <button
                  type="button"
                  class="jn-head jn-toggle"
                  aria-expanded={isOpen(g)}
                  title={g.name}
                  onClick={() => setToggled({ ...toggled, [g.id]: !isOpen(g) })}
                >
                  <StatusIcon status={state === 'in_progress' ? 'in_progress' : 'completed'} conclusion={state} />
                  <span class="jn-name">
                    {g.name} <span class="jn-count">({g.jobs.length})</span>
                  </span>
                  <span class="jn-caret" aria-hidden="true">
                    {isOpen(g) ? '▾' : '▸'}
                  </span>
                </button>
              )}
              {g.matrix && isOpen(g) && g.jobs.length > 0 && (
                <ul class="jn-instances">
                  {g.jobs.map((j) => (
                    <li key={j.id}>
                      <a href={jobUrl(owner, name, runId, j.id)} title={j.name} data-state={stateOf(j.status, j.conclusion)}>
                        <StatusIcon status={j.status} conclusion={j.conclusion} />
                        <span class="jn-name">{j.name}</span>
                        <Duration start={j.started_at} end={j.completed_at} />
                      </a>
                    </li>
                  ))}
                </ul>
              )}
            </div>
          );
        })}
      </div>
    </div>
  );
}
