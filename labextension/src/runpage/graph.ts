import { formatDuration, stateLabel, Trans } from '../i18n';
import { el } from '../format';
import { ITaskView } from './types';

/** Node and gap sizes of the top-down layout, in CSS pixels. */
export const NODE_W = 232;
export const NODE_H = 64;
const GAP_X = 28;
const GAP_Y = 44;
const PAD = 16;

export interface IPlaced {
  task: ITaskView;
  layer: number;
  x: number;
  y: number;
}

/**
 * Layers as in KFP's graph: a task sits one row below the lowest task it depends on; within a
 * row, tasks keep the order of their parents (then the spec's), which keeps edges from crossing
 * for the usual fan-out shapes.
 */
export function layout(tasks: ITaskView[]): { nodes: IPlaced[]; width: number; height: number } {
  const byName = new Map(tasks.map(t => [t.name, t]));
  const layerOf = new Map<string, number>();
  const depth = (name: string, trail: Set<string>): number => {
    const known = layerOf.get(name);
    if (known !== undefined) {
      return known;
    }
    const task = byName.get(name);
    if (!task || trail.has(name)) {
      return 0;
    }
    trail.add(name);
    const deps = task.depends_on.filter(d => byName.has(d));
    const layer = deps.length ? 1 + Math.max(...deps.map(d => depth(d, trail))) : 0;
    trail.delete(name);
    layerOf.set(name, layer);
    return layer;
  };
  tasks.forEach(t => depth(t.name, new Set()));
  const rows: ITaskView[][] = [];
  tasks.forEach(t => {
    const layer = layerOf.get(t.name) ?? 0;
    (rows[layer] = rows[layer] ?? []).push(t);
  });
  const order = new Map<string, number>();
  rows.forEach((row, r) => {
    if (r > 0) {
      const pos = (t: ITaskView) => {
        const parents = t.depends_on
          .map(d => order.get(d))
          .filter((v): v is number => v !== undefined);
        return parents.length ? parents.reduce((a, b) => a + b, 0) / parents.length : 0;
      };
      row.sort((a, b) => pos(a) - pos(b));
    }
    row.forEach((t, i) => order.set(t.name, i - (row.length - 1) / 2));
  });
  const widest = Math.max(1, ...rows.map(r => (r ? r.length : 0)));
  const width = PAD * 2 + widest * NODE_W + (widest - 1) * GAP_X;
  const nodes: IPlaced[] = [];
  rows.forEach((row, r) => {
    const rowWidth = row.length * NODE_W + (row.length - 1) * GAP_X;
    const left = (width - rowWidth) / 2;
    row.forEach((t, i) => {
      nodes.push({
        task: t,
        layer: r,
        x: left + i * (NODE_W + GAP_X),
        y: PAD + r * (NODE_H + GAP_Y)
      });
    });
  });
  const height = PAD * 2 + rows.length * NODE_H + Math.max(0, rows.length - 1) * GAP_Y;
  return { nodes, width, height };
}

/** The second line of a node: SageMaker's own word while it runs (Training · 12 s), else the state. */
export function nodeStatus(trans: Trans, task: ITaskView, nowSeconds: number): string {
  const word =
    task.state === 'running'
      ? task.resource?.secondary_status || task.resource?.status || stateLabel(trans, task.state)
      : stateLabel(trans, task.state);
  if (!task.start) {
    return word;
  }
  const seconds = (task.end ?? nowSeconds) - task.start;
  return `${word} · ${formatDuration(trans, seconds)}`;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

/** Draws the graph; nodes are buttons (Tab to reach, Enter to open, arrows to move between them). */
export class GraphView {
  readonly node: HTMLElement;

  constructor(
    private readonly _trans: Trans,
    private readonly _onSelect: (task: string) => void
  ) {
    this.node = el('div', 'kfsm-lab-graph');
    this.node.setAttribute('role', 'group');
    this.node.setAttribute('aria-label', _trans.__('Pipeline graph'));
  }

  render(tasks: ITaskView[], selected: string | null, nowSeconds: number): void {
    const { nodes, width, height } = layout(tasks);
    const focused = (document.activeElement as HTMLElement | null)?.dataset?.task;
    const canvas = el('div', 'kfsm-lab-graph-canvas');
    canvas.style.width = `${width}px`;
    canvas.style.height = `${height}px`;
    const svg = document.createElementNS(SVG_NS, 'svg');
    svg.setAttribute('width', String(width));
    svg.setAttribute('height', String(height));
    svg.setAttribute('aria-hidden', 'true');
    svg.classList.add('kfsm-lab-edges');
    const defs = document.createElementNS(SVG_NS, 'defs');
    const marker = document.createElementNS(SVG_NS, 'marker');
    marker.setAttribute('id', 'kfsm-lab-arrow');
    marker.setAttribute('viewBox', '0 0 10 10');
    marker.setAttribute('refX', '9');
    marker.setAttribute('refY', '5');
    marker.setAttribute('markerWidth', '7');
    marker.setAttribute('markerHeight', '7');
    marker.setAttribute('orient', 'auto-start-reverse');
    const tip = document.createElementNS(SVG_NS, 'path');
    tip.setAttribute('d', 'M 0 0 L 10 5 L 0 10 z');
    tip.classList.add('kfsm-lab-edge-tip');
    marker.appendChild(tip);
    defs.appendChild(marker);
    svg.appendChild(defs);
    const at = new Map(nodes.map(n => [n.task.name, n]));
    for (const n of nodes) {
      for (const dep of n.task.depends_on) {
        const from = at.get(dep);
        if (!from) {
          continue;
        }
        const x1 = from.x + NODE_W / 2;
        const y1 = from.y + NODE_H;
        const x2 = n.x + NODE_W / 2;
        const y2 = n.y - 2;
        const mid = (y1 + y2) / 2;
        const path = document.createElementNS(SVG_NS, 'path');
        path.setAttribute('d', `M ${x1} ${y1} C ${x1} ${mid}, ${x2} ${mid}, ${x2} ${y2}`);
        path.classList.add('kfsm-lab-edge');
        path.setAttribute('marker-end', 'url(#kfsm-lab-arrow)');
        svg.appendChild(path);
      }
    }
    canvas.appendChild(svg);
    const buttons: HTMLButtonElement[] = [];
    for (const n of nodes) {
      const t = n.task;
      const b = el('button', `kfsm-lab-node kfsm-lab-state-${t.state}`);
      b.type = 'button';
      b.dataset.task = t.name;
      b.dataset.state = t.state;
      b.style.left = `${n.x}px`;
      b.style.top = `${n.y}px`;
      b.style.width = `${NODE_W}px`;
      b.style.height = `${NODE_H}px`;
      b.setAttribute('aria-pressed', String(t.name === selected));
      const status = nodeStatus(this._trans, t, nowSeconds);
      b.setAttribute('aria-label', `${t.display_name}: ${status}`);
      b.title = t.display_name;
      b.appendChild(el('span', 'kfsm-lab-node-icon'));
      const text = el('span', 'kfsm-lab-node-text');
      text.appendChild(el('span', 'kfsm-lab-node-name', t.display_name));
      text.appendChild(el('span', 'kfsm-lab-node-status', status));
      b.appendChild(text);
      b.addEventListener('click', () => this._onSelect(t.name));
      b.addEventListener('keydown', ev => this._move(ev, buttons, b));
      buttons.push(b);
      canvas.appendChild(b);
    }
    this.node.replaceChildren(canvas);
    if (focused) {
      buttons.find(b => b.dataset.task === focused)?.focus();
    }
  }

  /** Arrow keys walk the nodes in layout order (Tab also reaches every one). */
  private _move(ev: KeyboardEvent, buttons: HTMLButtonElement[], current: HTMLButtonElement): void {
    const i = buttons.indexOf(current);
    let next = -1;
    if (ev.key === 'ArrowDown' || ev.key === 'ArrowRight') {
      next = Math.min(buttons.length - 1, i + 1);
    } else if (ev.key === 'ArrowUp' || ev.key === 'ArrowLeft') {
      next = Math.max(0, i - 1);
    }
    if (next >= 0 && next !== i) {
      ev.preventDefault();
      buttons[next].focus();
    }
  }

  /** Update the status lines only (the ticking durations), without rebuilding the graph. */
  tick(tasks: ITaskView[], nowSeconds: number): void {
    for (const t of tasks) {
      if (t.state !== 'running') {
        continue;
      }
      const b = this.node.querySelector<HTMLElement>(
        `.kfsm-lab-node[data-task="${CSS.escape(t.name)}"]`
      );
      const line = b?.querySelector('.kfsm-lab-node-status');
      if (b && line) {
        const status = nodeStatus(this._trans, t, nowSeconds);
        line.textContent = status;
        b.setAttribute('aria-label', `${t.display_name}: ${status}`);
      }
    }
  }
}
