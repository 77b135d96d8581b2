import { Poll } from '@lumino/polling';
import { Widget } from '@lumino/widgets';

import { el } from './format';
import { rebuildKeepingFocus } from './focus';
import { formatDuration, stateLabel, Trans } from './i18n';
import { describeError, requestAPI } from './request';
import { routeOfLink } from './runpage/router';
import { PageConfig } from '@jupyterlab/coreutils';

/** A step of a run, as kfsm_lab.pipeline.list_runs reports it. */
export interface IRunStep {
  name: string;
  state: string;
  job_name?: string | null;
  job_status?: string | null;
  secondary_status?: string | null;
  failure_reason?: string | null;
}

/** A run, as kfsm_lab.pipeline.list_runs reports it. */
export interface IRun {
  run_id: string;
  target: string;
  state: string;
  created_at: number | string | null;
  steps: IRunStep[] | { [name: string]: IRunStep };
  links?: { [label: string]: string } | Array<{ name?: string; label?: string; url: string }>;
  error?: string | null;
}

const FINAL = new Set(['succeeded', 'failed', 'canceled', 'cancelled', 'skipped', 'error']);
const ACTIVE_MS = 3000;
const IDLE_MS = 15000;

/** True while a run (or step) state can still change. */
export function isActive(state: string | null | undefined): boolean {
  return !FINAL.has(String(state ?? '').toLowerCase());
}

function stepsOf(run: IRun): IRunStep[] {
  if (Array.isArray(run.steps)) {
    return run.steps;
  }
  return Object.entries(run.steps ?? {}).map(([name, s]) => ({ ...s, name: s.name ?? name }));
}

function linksOf(run: IRun): Array<{ label: string; url: string }> {
  const links = run.links ?? {};
  const pairs = Array.isArray(links)
    ? links.map(l => ({ label: l.label ?? l.name ?? 'link', url: l.url }))
    : Object.entries(links).map(([label, url]) => ({ label, url: String(url) }));
  // Only web links: a record must never turn into a javascript: URL in the page.
  return pairs.filter(p => /^https?:\/\//i.test(p.url));
}

function createdSeconds(value: number | string | null): number | null {
  if (value === null || value === undefined) {
    return null;
  }
  const ms = typeof value === 'number' ? value * 1000 : Date.parse(value);
  return isNaN(ms) ? null : (Date.now() - ms) / 1000;
}

export interface IRunsPanelActions {
  openPredictions(run: IRun): void;
  openRun(runId: string): void;
  openExperiments(): void;
}

/** Left sidebar panel: recent pipeline runs with each step's state, refreshed while a run goes. */
export class RunsPanel extends Widget {
  constructor(
    private readonly _trans: Trans,
    private readonly _actions: IRunsPanelActions
  ) {
    super();
    this.id = 'kfsm-lab-runs';
    this.addClass('kfsm-lab-runs-panel');
    this.title.caption = _trans.__('SageMaker pipeline runs');
    this._poll = new Poll({
      factory: () => this.refresh(),
      frequency: { interval: IDLE_MS, backoff: false },
      standby: () => !this.isVisible || 'when-hidden',
      name: 'kfsm-lab:runs'
    });
    this._render();
  }

  get runs(): IRun[] {
    return this._runs;
  }

  async refresh(): Promise<void> {
    try {
      const data = await requestAPI<{ runs: IRun[] }>('runs?limit=20');
      this._runs = data.runs ?? [];
      this._error = null;
    } catch (err) {
      this._error = describeError(err);
    }
    const interval = this._runs.some(r => isActive(r.state)) ? ACTIVE_MS : IDLE_MS;
    if (this._poll.frequency.interval !== interval) {
      this._poll.frequency = { interval, backoff: false, max: IDLE_MS };
    }
    this._render();
  }

  protected onAfterShow(): void {
    void this._poll.refresh();
  }

  dispose(): void {
    this._poll.dispose();
    super.dispose();
  }

  private _render(): void {
    rebuildKeepingFocus(this.node, () => this._build());
  }

  private _build(): void {
    const trans = this._trans;
    const root = this.node;
    const header = el('div', 'kfsm-lab-panel-header');
    header.appendChild(el('h2', '', trans.__('Pipeline runs')));
    const buttons = el('div', 'kfsm-lab-header-buttons');
    const experiments = el(
      'button',
      'jp-Button jp-mod-styled kfsm-lab-btn kfsm-lab-experiments',
      trans.__('Experiments')
    );
    experiments.type = 'button';
    experiments.dataset.focusKey = 'experiments';
    experiments.addEventListener('click', () => this._actions.openExperiments());
    const refresh = el(
      'button',
      'jp-Button jp-mod-styled kfsm-lab-btn kfsm-lab-refresh',
      trans.__('Refresh')
    );
    refresh.type = 'button';
    refresh.dataset.focusKey = 'refresh';
    refresh.addEventListener('click', () => void this.refresh());
    buttons.append(experiments, refresh);
    header.appendChild(buttons);
    root.appendChild(header);
    if (this._error) {
      const err = el('div', 'kfsm-lab-error', this._error);
      err.setAttribute('role', 'alert');
      root.appendChild(err);
    }
    if (this._runs.length === 0) {
      root.appendChild(
        el(
          'p',
          'kfsm-lab-empty',
          this._error
            ? ''
            : trans.__('No pipeline run yet. Start one from the SageMaker Pipeline Lab notebook.')
        )
      );
    } else {
      const list = el('ul', 'kfsm-lab-run-list');
      for (const run of this._runs) {
        list.appendChild(this._renderRun(run));
      }
      root.appendChild(list);
    }
  }

  private _renderRun(run: IRun): HTMLElement {
    const trans = this._trans;
    const state = String(run.state ?? 'unknown').toLowerCase();
    const item = el('li', `kfsm-lab-run kfsm-lab-state-${state}`);
    item.dataset.runId = run.run_id;
    item.dataset.state = state;
    const head = el('div', 'kfsm-lab-run-head');
    const open = el('button', 'kfsm-lab-run-id kfsm-lab-linkbutton', run.run_id);
    open.type = 'button';
    open.title = trans.__('Open the run page of %1', run.run_id);
    open.setAttribute('aria-label', trans.__('Open run %1', run.run_id));
    open.dataset.focusKey = `open-${run.run_id}`;
    open.addEventListener('click', () => this._actions.openRun(run.run_id));
    head.appendChild(open);
    head.appendChild(
      el('span', `kfsm-lab-badge kfsm-lab-state-${state}`, stateLabel(trans, state))
    );
    item.appendChild(head);
    item.appendChild(
      el(
        'div',
        'kfsm-lab-muted',
        trans.__(
          '%1 · started %2 ago',
          run.target === 'local' ? trans.__('local') : trans.__('AWS'),
          formatDuration(trans, createdSeconds(run.created_at))
        )
      )
    );
    const steps = el('ol', 'kfsm-lab-steps');
    for (const step of stepsOf(run)) {
      const stepState = String(step.state ?? 'pending').toLowerCase();
      const li = el('li', `kfsm-lab-step kfsm-lab-state-${stepState}`);
      li.dataset.step = step.name;
      li.dataset.state = stepState;
      li.appendChild(el('span', 'kfsm-lab-dot'));
      li.appendChild(el('span', 'kfsm-lab-step-name', step.name));
      // While a step runs, SageMaker's own words say more (Training, Uploading…); after, its state.
      const detail =
        stepState === 'running'
          ? step.secondary_status || step.job_status || stateLabel(trans, stepState)
          : stateLabel(trans, stepState);
      li.appendChild(el('span', 'kfsm-lab-step-state', detail));
      li.title = step.job_name ? `${step.name} — ${step.job_name}` : step.name;
      steps.appendChild(li);
      if (step.failure_reason) {
        steps.appendChild(el('li', 'kfsm-lab-error kfsm-lab-failure', step.failure_reason));
      }
    }
    item.appendChild(steps);
    // The reason is said once: under its step when a step has it, else here.
    const stepReasons = stepsOf(run)
      .map(s => s.failure_reason)
      .filter((r): r is string => !!r);
    if (state === 'canceled') {
      item.appendChild(el('div', 'kfsm-lab-muted', trans.__('Terminated by the user.')));
    } else if (run.error && !stepReasons.some(r => run.error?.includes(r))) {
      item.appendChild(el('div', 'kfsm-lab-error', run.error));
    }
    const actions = el('div', 'kfsm-lab-run-actions');
    const page = el(
      'button',
      'jp-Button jp-mod-styled jp-mod-accept kfsm-lab-btn kfsm-lab-open-run',
      trans.__('Run page')
    );
    page.type = 'button';
    page.setAttribute('aria-label', trans.__('Open run %1', run.run_id));
    page.dataset.focusKey = `page-${run.run_id}`;
    page.addEventListener('click', () => this._actions.openRun(run.run_id));
    actions.appendChild(page);
    // Links to this server's own run page are the Run page button already (the local target's KFP links).
    const own = (url: string) => routeOfLink(url, PageConfig.getBaseUrl()) !== null;
    for (const link of linksOf(run).filter(l => !own(l.url))) {
      const label =
        link.label === 'run'
          ? trans.__('KFP run')
          : link.label === 'experiment'
            ? trans.__('KFP experiment')
            : link.label;
      const a = el('a', 'kfsm-lab-link', label);
      a.href = link.url;
      a.target = '_blank';
      a.rel = 'noopener noreferrer';
      actions.appendChild(a);
    }
    const predictions = el(
      'button',
      'jp-Button jp-mod-styled kfsm-lab-btn kfsm-lab-predictions',
      trans.__('Predictions')
    );
    predictions.type = 'button';
    predictions.dataset.focusKey = `predict-${run.run_id}`;
    predictions.title =
      state === 'succeeded'
        ? trans.__('Open the notebook to draw this run’s predictions')
        : trans.__('Available when the run has succeeded');
    predictions.disabled = state !== 'succeeded';
    predictions.addEventListener('click', () => this._actions.openPredictions(run));
    actions.appendChild(predictions);
    item.appendChild(actions);
    return item;
  }

  private _poll: Poll;
  private _runs: IRun[] = [];
  private _error: string | null = null;
}
