// The job graph of a run: jobs (matrix instances grouped by their job id) placed in columns
// by depth along `needs`, like GitHub's, with the edges between them. Pure: no DOM.

export interface GraphNode {
  id: string;
  needs: string[];
}

export interface NodePos {
  id: string;
  col: number;
  row: number;
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface Edge {
  from: string;
  to: string;
  /** SVG path data, a cubic curve from the right of `from` to the left of `to`. */
  d: string;
}

export interface Layout {
  nodes: Map<string, NodePos>;
  edges: Edge[];
  width: number;
  height: number;
  columns: string[][];
}

/** Each node's column: 0 without needs, else one past its deepest need (needs that are not
 * nodes are ignored; a cycle is cut). */
export function depths(nodes: GraphNode[]): Map<string, number> {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const depth = new Map<string, number>();
  const visiting = new Set<string>();
  const visit = (id: string): number => {
    const known = depth.get(id);
    if (known !== undefined) return known;
    if (visiting.has(id)) return 0; // a cycle: the server refuses these; do not loop
    visiting.add(id);
    let d = 0;
    for (const need of byId.get(id)?.needs ?? []) {
      if (byId.has(need) && need !== id) d = Math.max(d, visit(need) + 1);
    }
    visiting.delete(id);
    depth.set(id, d);
    return d;
  };
  for (const n of nodes) visit(n.id);
  return depth;
}

export interface LayoutOptions {
  width: number; // a box's width
  colGap: number;
  rowGap: number;
  pad: number;
}

const defaults: LayoutOptions = { width: 220, colGap: 56, rowGap: 16, pad: 8 };

/** Places the nodes (in file order) with their heights; rows in a column follow the average
 * row of their needs (fewer crossings), then file order. */
export function layoutDag(
  nodes: GraphNode[],
  heightOf: (id: string) => number,
  opts: Partial<LayoutOptions> = {},
): Layout {
  const o = { ...defaults, ...opts };
  const depth = depths(nodes);
  const order = new Map(nodes.map((n, i) => [n.id, i]));
  const columns: string[][] = [];
  for (const n of nodes) {
    const d = depth.get(n.id)!;
    (columns[d] ??= []).push(n.id);
  }
  for (let c = 0; c < columns.length; c++) columns[c] ??= [];
  const rowOf = new Map<string, number>();
  const byId = new Map(nodes.map((n) => [n.id, n]));
  columns.forEach((col, c) => {
    if (c > 0) {
      const key = (id: string) => {
        const rows = (byId.get(id)?.needs ?? []).map((x) => rowOf.get(x)).filter((x): x is number => x !== undefined);
        return rows.length ? rows.reduce((a, b) => a + b, 0) / rows.length : Infinity;
      };
      const keys = new Map(col.map((id) => [id, key(id)]));
      col.sort((a, b) => keys.get(a)! - keys.get(b)! || order.get(a)! - order.get(b)!);
    }
    col.forEach((id, r) => rowOf.set(id, r));
  });
  const pos = new Map<string, NodePos>();
  let height = 0;
  columns.forEach((col, c) => {
    let y = o.pad;
    col.forEach((id, r) => {
      const h = heightOf(id);
      pos.set(id, { id, col: c, row: r, x: o.pad + c * (o.width + o.colGap), y, w: o.width, h });
      y += h + o.rowGap;
    });
    height = Math.max(height, y - o.rowGap + o.pad);
  });
  const edges: Edge[] = [];
  for (const n of nodes) {
    const to = pos.get(n.id)!;
    for (const need of new Set(n.needs)) {
      const from = pos.get(need);
      if (!from || need === n.id) continue;
      const x1 = from.x + from.w,
        y1 = from.y + Math.min(from.h / 2, 18);
      const x2 = to.x,
        y2 = to.y + Math.min(to.h / 2, 18);
      const mx = (x1 + x2) / 2;
      edges.push({ from: need, to: n.id, d: `M${x1} ${y1} C${mx} ${y1} ${mx} ${y2} ${x2} ${y2}` });
    }
  }
  const width = columns.length ? o.pad * 2 + columns.length * o.width + (columns.length - 1) * o.colGap : 0;
  return { nodes: pos, edges, width, height: Math.max(height, 0), columns };
}

/** The state of a group of jobs in one word (stateOf's words): running wins (the group is
 * live), then a failure, then queued/waiting, then cancelled; success when all succeeded or
 * were skipped. */
export function groupState(states: string[]): string {
  if (states.length === 0) return 'waiting';
  const has = (s: string) => states.includes(s);
  if (has('in_progress')) return 'in_progress';
  if (has('failure')) return 'failure';
  if (has('queued')) return 'queued';
  if (has('waiting') || has('pending') || has('requested')) return 'waiting';
  if (has('cancelled')) return 'cancelled';
  if (states.every((s) => s === 'skipped')) return 'skipped';
  if (states.every((s) => s === 'success' || s === 'skipped')) return 'success';
  return states.find((s) => s !== 'success' && s !== 'skipped') ?? 'neutral';
}
