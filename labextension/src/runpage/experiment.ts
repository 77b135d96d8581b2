import { Widget } from '@lumino/widgets';

import { formatDuration, formatTime, stateLabel, Trans } from '../i18n';
import { el } from '../format';
import { describeError, requestAPI } from '../request';

interface IExperimentRun {
  run_id: string;
  state: string;
  created_at: number | null;
  finished_at: number | null;
  duration: number | null;
  error: string | null;
  parameters: { [name: string]: unknown };
  endpoint: string | null;
  endpoint_state: 'live' | 'deleted' | 'unknown' | null;
}

interface IExperimentDetail {
  id: string;
  name: string | null;
  runs: IExperimentRun[];
  differing_parameters: string[];
}

interface IExperimentSummary {
  id: string;
  name: string | null;
  runs: number;
  latest: { run_id: string; state: string; created_at: number | null } | null;
}

interface ICompare {
  runs: Array<{
    run_id: string;
    state: string;
    parameters: { [k: string]: unknown };
    metrics: { [k: string]: number };
    duration: number | null;
  }>;
  parameters: string[];
  differing_parameters: string[];
  metrics: string[];
}

export interface IExperimentHost {
  trans: Trans;
  openRun(runId: string): void;
  openExperiment(experimentId: string): void;
}

function experimentName(trans: Trans, e: { id: string; name: string | null }): string {
  return e.id === 'default' ? trans.__('Runs without an experiment') : (e.name ?? e.id);
}

/** The experiment page: every run, the parameters that differ, whether its endpoint lives; compare two. */
export class ExperimentPage extends Widget {
  constructor(
    readonly experimentId: string | null,
    private readonly _host: IExperimentHost
  ) {
    super();
    const trans = _host.trans;
    this.addClass('kfsm-lab-experiment');
    this.id = `kfsm-lab-experiment-${experimentId ?? 'all'}`;
    this.title.label = experimentId ? trans.__('Experiment') : trans.__('Experiments');
    this.title.closable = true;
  }

  protected onAfterAttach(): void {
    void this.refresh();
  }

  async refresh(): Promise<void> {
    const trans = this._host.trans;
    try {
      if (this.experimentId === null) {
        const data = await requestAPI<{ experiments: IExperimentSummary[] }>('experiments');
        this._renderList(data.experiments);
      } else {
        this._detail = await requestAPI<IExperimentDetail>(
          `experiments/${encodeURIComponent(this.experimentId)}`
        );
        this.title.label = trans.__('Experiment %1', experimentName(trans, this._detail));
        this._renderDetail(this._detail);
      }
    } catch (err) {
      this.node.replaceChildren(
        el('h1', '', this.title.label),
        el('p', 'kfsm-lab-error', describeError(err))
      );
    }
  }

  private _runLink(runId: string): HTMLAnchorElement {
    const a = el('a', 'kfsm-lab-link kfsm-lab-run-link', runId);
    a.href = `#/runs/details/${encodeURIComponent(runId)}`;
    a.addEventListener('click', ev => {
      ev.preventDefault();
      this._host.openRun(runId);
    });
    return a;
  }

  private _renderList(items: IExperimentSummary[]): void {
    const trans = this._host.trans;
    const root = this.node;
    root.replaceChildren(el('h1', '', trans.__('Experiments')));
    if (!items.length) {
      root.appendChild(el('p', 'kfsm-lab-muted', trans.__('No pipeline run yet.')));
      return;
    }
    const table = el('table', 'kfsm-lab-table');
    const head = el('tr');
    for (const h of [trans.__('Experiment'), trans.__('Runs'), trans.__('Latest run')]) {
      head.appendChild(el('th', '', h));
    }
    table.appendChild(el('thead')).appendChild(head);
    const body = el('tbody');
    for (const e of items) {
      const tr = el('tr');
      const name = el('a', 'kfsm-lab-link', experimentName(trans, e));
      name.href = `#/experiments/details/${encodeURIComponent(e.id)}`;
      name.addEventListener('click', ev => {
        ev.preventDefault();
        this._host.openExperiment(e.id);
      });
      tr.appendChild(el('td')).appendChild(name);
      tr.appendChild(el('td', '', String(e.runs)));
      const latest = el('td');
      if (e.latest) {
        latest.append(
          this._runLink(e.latest.run_id),
          ' ',
          el(
            'span',
            `kfsm-lab-badge kfsm-lab-state-${e.latest.state}`,
            stateLabel(trans, e.latest.state)
          )
        );
      }
      tr.appendChild(latest);
      body.appendChild(tr);
    }
    table.appendChild(body);
    root.appendChild(table);
  }

  private _renderDetail(d: IExperimentDetail): void {
    const trans = this._host.trans;
    const root = this.node;
    const header = el('div', 'kfsm-lab-panel-header');
    header.appendChild(el('h1', '', trans.__('Experiment %1', experimentName(trans, d))));
    const refresh = el(
      'button',
      'jp-Button jp-mod-styled kfsm-lab-btn kfsm-lab-refresh',
      trans.__('Refresh')
    );
    refresh.type = 'button';
    refresh.addEventListener('click', () => void this.refresh());
    header.appendChild(refresh);
    root.replaceChildren(header);
    const table = el('table', 'kfsm-lab-table kfsm-lab-exp-runs');
    const head = el('tr');
    const cols = [
      trans.__('Compare'),
      trans.__('Run'),
      trans.__('State'),
      trans.__('Started'),
      trans.__('Duration'),
      ...d.differing_parameters,
      trans.__('Endpoint')
    ];
    cols.forEach(h => head.appendChild(el('th', '', h)));
    table.appendChild(el('thead')).appendChild(head);
    const body = el('tbody');
    const chosen = new Set<string>();
    const compare = el(
      'button',
      'jp-Button jp-mod-styled jp-mod-accept kfsm-lab-btn kfsm-lab-compare',
      trans.__('Compare the two selected runs')
    );
    compare.type = 'button';
    compare.disabled = true;
    for (const r of d.runs) {
      const tr = el('tr');
      tr.dataset.runId = r.run_id;
      const pick = el('input');
      pick.type = 'checkbox';
      pick.className = 'jp-mod-styled';
      pick.setAttribute('aria-label', trans.__('Compare run %1', r.run_id));
      pick.addEventListener('change', () => {
        if (pick.checked) {
          chosen.add(r.run_id);
        } else {
          chosen.delete(r.run_id);
        }
        compare.disabled = chosen.size !== 2;
      });
      tr.appendChild(el('td')).appendChild(pick);
      tr.appendChild(el('td')).appendChild(this._runLink(r.run_id));
      tr.appendChild(el('td')).appendChild(
        el('span', `kfsm-lab-badge kfsm-lab-state-${r.state}`, stateLabel(trans, r.state))
      );
      tr.appendChild(el('td', '', formatTime(r.created_at)));
      tr.appendChild(el('td', '', formatDuration(trans, r.duration)));
      for (const p of d.differing_parameters) {
        tr.appendChild(el('td', 'kfsm-lab-wrap', String(r.parameters[p] ?? '—')));
      }
      const ep = el('td', 'kfsm-lab-endpoint-state');
      if (r.endpoint_state) {
        ep.dataset.endpointState = r.endpoint_state;
        const word =
          r.endpoint_state === 'live'
            ? trans.__('live')
            : r.endpoint_state === 'deleted'
              ? trans.__('deleted')
              : trans.__('unknown');
        ep.append(el('span', `kfsm-lab-badge kfsm-lab-endpoint-${r.endpoint_state}`, word));
        ep.title = r.endpoint ?? '';
      } else {
        ep.textContent = '—';
      }
      tr.appendChild(ep);
      body.appendChild(tr);
    }
    table.appendChild(body);
    const scroller = el('div', 'kfsm-lab-scroll-x');
    scroller.appendChild(table);
    root.appendChild(scroller);
    if (!d.differing_parameters.length && d.runs.length > 1) {
      root.appendChild(el('p', 'kfsm-lab-muted', trans.__('All runs have the same parameters.')));
    }
    const out = el('div', 'kfsm-lab-compare-out');
    compare.addEventListener('click', () => void this._compare([...chosen], out));
    root.append(compare, out);
  }

  private async _compare(ids: string[], out: HTMLElement): Promise<void> {
    const trans = this._host.trans;
    out.replaceChildren(el('p', 'kfsm-lab-muted', trans.__('Loading…')));
    try {
      const c = await requestAPI<ICompare>(
        `experiments/compare?runs=${ids.map(encodeURIComponent).join(',')}`
      );
      const table = el('table', 'kfsm-lab-table kfsm-lab-compare-table');
      const head = el('tr');
      head.appendChild(el('th', '', ''));
      c.runs.forEach(r => head.appendChild(el('th', '', r.run_id)));
      table.appendChild(el('thead')).appendChild(head);
      const body = el('tbody');
      const row = (label: string, values: string[], differs: boolean) => {
        const tr = el('tr', differs ? 'kfsm-lab-differs' : '');
        tr.appendChild(el('th', '', label));
        values.forEach(v => tr.appendChild(el('td', 'kfsm-lab-wrap', v)));
        body.appendChild(tr);
      };
      row(
        trans.__('State'),
        c.runs.map(r => stateLabel(trans, r.state)),
        false
      );
      row(
        trans.__('Duration'),
        c.runs.map(r => formatDuration(trans, r.duration)),
        false
      );
      for (const m of c.metrics) {
        row(
          m,
          c.runs.map(r => (r.metrics[m] === undefined ? '—' : r.metrics[m].toPrecision(4))),
          true
        );
      }
      for (const p of c.parameters) {
        row(
          p,
          c.runs.map(r => String(r.parameters[p] ?? '—')),
          c.differing_parameters.includes(p)
        );
      }
      table.appendChild(body);
      const scroller = el('div', 'kfsm-lab-scroll-x');
      scroller.appendChild(table);
      out.replaceChildren(el('h2', '', trans.__('Side by side')), scroller);
    } catch (err) {
      out.replaceChildren(el('p', 'kfsm-lab-error', describeError(err)));
    }
  }

  private _detail: IExperimentDetail | null = null;
}
