import { Message } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';

import { formatDuration, formatTime, stateLabel, Trans } from '../i18n';
import { el } from '../format';
import { describeError, requestAPI } from '../request';
import { DetailsView, renderInputsOutputs, renderMetrics } from './details';
import { GraphView } from './graph';
import { headlineText, restartText } from './headline';
import { LogSource, LogView } from './logview';
import { RunModel } from './model';
import { FINAL_STATES, IRunView, ITaskView } from './types';

/** What the page needs from where it lives (the Lab, or the standalone page). */
export interface IRunPageHost {
  trans: Trans;
  /** Ask before something that cannot be undone; resolves true to go ahead. */
  confirm(title: string, body: string, accept: string): Promise<boolean>;
  /** Open the run's notebook (the Lab), or the Lab itself (standalone). */
  openNotebook(): void;
  /** Show another run or an experiment page. */
  openRun(runId: string): void;
  openExperiment(experimentId: string): void;
}

type TabId = 'logs' | 'details' | 'io' | 'metrics';
const NARROW_PX = 860;

/** The run page: header and actions, headline, graph, and the selected task's tabs. */
export class RunPage extends Widget {
  constructor(
    readonly model: RunModel,
    private readonly _host: IRunPageHost
  ) {
    super();
    const trans = _host.trans;
    this.addClass('kfsm-lab-runpage');
    this.id = `kfsm-lab-run-${model.runId}`;
    this.title.label = trans.__('Run %1', model.runId);
    this.title.caption = trans.__('Pipeline run %1', model.runId);
    this.title.closable = true;
    this._graph = new GraphView(trans, name => this.select(name));
    this._header = el('header', 'kfsm-lab-runpage-header');
    this._headline = el('p', 'kfsm-lab-headline');
    this._headline.setAttribute('aria-hidden', 'true');
    this._live = el('p', 'kfsm-lab-visually-hidden');
    this._live.setAttribute('role', 'status');
    this._live.setAttribute('aria-live', 'polite');
    this._banner = el('div', 'kfsm-lab-banners');
    const body = el('div', 'kfsm-lab-runpage-body');
    const graphPane = el('section', 'kfsm-lab-graph-pane');
    graphPane.setAttribute('aria-label', trans.__('Steps'));
    graphPane.appendChild(this._graph.node);
    this._side = el('aside', 'kfsm-lab-sidepanel');
    this._side.setAttribute('aria-label', trans.__('Selected step'));
    body.append(graphPane, this._side);
    this.node.append(this._header, this._headline, this._live, this._banner, body);
    model.changed.connect(this._render, this);
    this._renderSideEmpty();
  }

  /** The task whose tabs are open. */
  get selected(): string | null {
    return this._selected;
  }

  select(task: string | null, tab: TabId = this._tab): void {
    this._selected = task;
    this._tab = tab;
    this._disposeTabs();
    this._renderSide();
    this._renderGraph();
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._disposeTabs();
    window.clearInterval(this._ticker);
    this._resize?.disconnect();
    this.model.dispose();
    super.dispose();
  }

  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    this._resize = new ResizeObserver(() =>
      this.toggleClass('kfsm-lab-narrow', this.node.clientWidth < NARROW_PX)
    );
    this._resize.observe(this.node);
    document.addEventListener('visibilitychange', this._onVisibility);
    this._onVisibility();
    if (!this.model.view && !this.model.error) {
      void this.model.load();
    }
  }

  protected onBeforeDetach(msg: Message): void {
    document.removeEventListener('visibilitychange', this._onVisibility);
    this._setVisible(false);
    super.onBeforeDetach(msg);
  }

  protected onAfterShow(msg: Message): void {
    this._onVisibility();
  }

  protected onAfterHide(msg: Message): void {
    this._setVisible(false);
  }

  private _onVisibility = (): void => {
    this._setVisible(this.isVisible && document.visibilityState !== 'hidden');
  };

  private _setVisible(visible: boolean): void {
    if (visible === this._visible) {
      return;
    }
    this._visible = visible;
    this.model.setVisible(visible);
    this._log?.setVisible(visible && this._tab === 'logs');
    this._details?.setVisible(visible && this._tab === 'details');
    window.clearInterval(this._ticker);
    if (visible) {
      this._ticker = window.setInterval(() => this._tick(), 1000);
    }
  }

  private _now(): number {
    return (Date.now() - this.model.clockSkew) / 1000;
  }

  private _tick(): void {
    const view = this.model.view;
    if (!view || FINAL_STATES.has(view.state)) {
      return;
    }
    this._graph.tick(view.tasks, this._now());
    this._headline.textContent = headlineText(this._host.trans, view, this._now());
  }

  private _render(): void {
    const trans = this._host.trans;
    const view = this.model.view;
    const error = this.model.error;
    if (!view) {
      this._header.replaceChildren(el('h1', '', trans.__('Run %1', this.model.runId)));
      if (error) {
        const unknown = error.status === 404;
        this.addClass('kfsm-lab-runpage-missing');
        this._headline.textContent = unknown
          ? trans.__(
              'There is no pipeline run %1 here. It may have been deleted, or made with another state folder.',
              this.model.runId
            )
          : trans.__('The run could not be loaded: %1', error.message);
        this._headline.classList.add('kfsm-lab-error');
        this._live.textContent = this._headline.textContent;
        this._headline.setAttribute('role', 'alert');
        this._side.hidden = true;
        this._graph.node.replaceChildren();
      } else {
        this._headline.textContent = trans.__('Loading…');
      }
      return;
    }
    this.removeClass('kfsm-lab-runpage-missing');
    this._headline.classList.remove('kfsm-lab-error');
    this._headline.removeAttribute('role');
    this._side.hidden = false;
    this.node.dataset.state = view.state;
    this._renderHeader(view);
    const text = headlineText(trans, view, this._now());
    this._headline.textContent = text;
    this._headline.dataset.state = view.state;
    const spoken = view.headline.failed
      ? text
      : headlineText(
          trans,
          {
            ...view,
            headline: { ...view.headline, now: view.headline.now.map(n => ({ ...n, start: null })) }
          },
          0
        );
    if (this._live.textContent !== spoken) {
      this._live.textContent = spoken;
    }
    this._renderBanners(view);
    if (this._selected && !view.tasks.some(t => t.name === this._selected)) {
      this.select(null);
    }
    this._renderGraph();
    const task = view.tasks.find(t => t.name === this._selected);
    if (task) {
      this._details?.update(task);
      this._log?.setRunning(!FINAL_STATES.has(task.state));
      this._cloudLog?.setRunning(!FINAL_STATES.has(task.state));
      if (this._tab === 'io' || this._tab === 'metrics') {
        this._renderTabBody(task);
      }
    }
  }

  private _renderGraph(): void {
    const view = this.model.view;
    if (view) {
      this._graph.render(view.tasks, this._selected, this._now());
    }
  }

  private _renderHeader(view: IRunView): void {
    const trans = this._host.trans;
    const title = el('div', 'kfsm-lab-runpage-title');
    const h1 = el('h1');
    h1.append(trans.__('Run'), ' ', el('span', 'kfsm-lab-run-id', view.run_id));
    title.appendChild(h1);
    const badge = el(
      'span',
      `kfsm-lab-badge kfsm-lab-state-${view.state}`,
      stateLabel(trans, view.state)
    );
    badge.dataset.state = view.state;
    title.appendChild(badge);
    const meta = el('p', 'kfsm-lab-runpage-meta kfsm-lab-muted');
    const bits = [
      view.target === 'local' ? trans.__('Local target') : trans.__('AWS target'),
      trans.__('started %1', formatTime(view.started_at ?? view.created_at))
    ];
    if (view.finished_at && (view.started_at ?? view.created_at)) {
      bits.push(
        trans.__(
          'took %1',
          formatDuration(trans, view.finished_at - (view.started_at ?? view.created_at ?? 0))
        )
      );
    }
    meta.textContent = bits.join(' · ');
    const links = el('span', 'kfsm-lab-runpage-links');
    if (view.experiment) {
      const exp = view.experiment;
      const a = el(
        'a',
        'kfsm-lab-link',
        exp.name ? trans.__('Experiment %1', exp.name) : trans.__('Experiment')
      );
      a.href = `#/experiments/details/${encodeURIComponent(exp.id)}`;
      a.addEventListener('click', ev => {
        ev.preventDefault();
        this._host.openExperiment(exp.id);
      });
      links.appendChild(a);
    }
    if (view.target === 'aws' && view.links.run && /^https?:\/\//.test(view.links.run)) {
      const a = el('a', 'kfsm-lab-link', trans.__('Open in Kubeflow Pipelines'));
      a.href = view.links.run;
      a.target = '_blank';
      a.rel = 'noopener noreferrer';
      links.appendChild(a);
    }
    meta.appendChild(links);
    const actions = el('div', 'kfsm-lab-actions');
    const done = FINAL_STATES.has(view.state);
    const terminate = this._button(
      trans.__('Terminate'),
      'jp-mod-warn kfsm-lab-terminate',
      () => void this._terminate()
    );
    terminate.disabled = done || view.state === 'canceling' || this._busy;
    const rerun = this._button(
      trans.__('Re-run'),
      'jp-mod-accept kfsm-lab-rerun',
      () => void this._rerun()
    );
    rerun.disabled = !done || this._busy;
    rerun.title = done
      ? trans.__('Run again with the same parameters; steps adopt what exists')
      : trans.__('Available when the run has ended');
    const notebook = this._button(trans.__('Open notebook'), 'kfsm-lab-open-notebook', () =>
      this._host.openNotebook()
    );
    actions.append(terminate, rerun, notebook);
    this._header.replaceChildren(title, meta, actions);
    if (this._message) {
      this._header.appendChild(el('p', 'kfsm-lab-message', this._message));
    }
  }

  private _button(label: string, cls: string, onClick: () => void): HTMLButtonElement {
    const b = el('button', `jp-Button jp-mod-styled kfsm-lab-btn ${cls}`, label);
    b.type = 'button';
    b.addEventListener('click', onClick);
    return b;
  }

  private _renderBanners(view: IRunView): void {
    const trans = this._host.trans;
    const banners: HTMLElement[] = [];
    if (view.restart) {
      banners.push(
        el(
          'p',
          'kfsm-lab-banner kfsm-lab-warning kfsm-lab-restart',
          restartText(trans, view.restart)
        )
      );
    }
    if (view.monitor_error) {
      banners.push(
        el(
          'p',
          'kfsm-lab-banner kfsm-lab-warning',
          trans.__('SageMaker details lag behind: %1', view.monitor_error)
        )
      );
    }
    if (this.model.liveError) {
      banners.push(
        el(
          'p',
          'kfsm-lab-banner kfsm-lab-warning',
          trans.__('Following the run failed: %1', this.model.liveError)
        )
      );
    }
    this._banner.replaceChildren(...banners);
  }

  private async _terminate(): Promise<void> {
    const trans = this._host.trans;
    const ok = await this._host.confirm(
      trans.__('Terminate run %1?', this.model.runId),
      trans.__(
        'This stops the running steps and their SageMaker jobs. Steps that have not started will not run. Whatever was already created (a model, an endpoint) stays until clean-up.'
      ),
      trans.__('Terminate')
    );
    if (!ok) {
      return;
    }
    await this._act(
      `runs/${encodeURIComponent(this.model.runId)}/terminate`,
      trans.__('Terminated.')
    );
  }

  private async _rerun(): Promise<void> {
    await this._act(
      `runs/${encodeURIComponent(this.model.runId)}/rerun`,
      this._host.trans.__('Started again.'),
      true
    );
  }

  private async _act(route: string, doneText: string, rerun = false): Promise<void> {
    this._busy = true;
    this._message = '';
    this._render();
    try {
      const result = await requestAPI<{ run_id: string }>(route, { method: 'POST' });
      this._message = doneText;
      if (rerun && result.run_id && result.run_id !== this.model.runId) {
        this._host.openRun(result.run_id);
      }
    } catch (err) {
      this._message = this._host.trans.__('That did not work: %1', describeError(err));
    } finally {
      this._busy = false;
    }
    this.model.follow();
    await this.model.load();
    this._render();
  }

  // -- the selected task's side panel --------------------------------------------------------------
  private _renderSideEmpty(): void {
    this._side.replaceChildren(
      el(
        'p',
        'kfsm-lab-muted kfsm-lab-side-hint',
        this._host.trans.__('Select a step to see its logs, details and outputs.')
      )
    );
  }

  private _tabsFor(task: ITaskView): Array<[TabId, string]> {
    const trans = this._host.trans;
    const tabs: Array<[TabId, string]> = [
      ['logs', trans.__('Logs')],
      ['details', trans.__('Details')],
      ['io', trans.__('Inputs/Outputs')]
    ];
    if (
      task.kind === 'training_job' ||
      task.kind === 'tuning_job' ||
      Object.keys(task.metrics).length
    ) {
      tabs.push(['metrics', trans.__('Metrics')]);
    }
    return tabs;
  }

  private _renderSide(): void {
    const view = this.model.view;
    const task = view?.tasks.find(t => t.name === this._selected);
    if (!view || !task) {
      this._renderSideEmpty();
      return;
    }
    const trans = this._host.trans;
    const head = el('div', 'kfsm-lab-side-head');
    head.appendChild(el('h2', '', task.display_name));
    const close = el(
      'button',
      'jp-Button jp-mod-styled jp-mod-minimal kfsm-lab-btn kfsm-lab-side-close',
      '×'
    );
    close.type = 'button';
    close.setAttribute('aria-label', trans.__('Close the step panel'));
    close.addEventListener('click', () => {
      const name = this._selected;
      this.select(null);
      if (name) {
        this._graph.node
          .querySelector<HTMLElement>(`.kfsm-lab-node[data-task="${CSS.escape(name)}"]`)
          ?.focus();
      }
    });
    head.appendChild(close);
    const tabs = this._tabsFor(task);
    if (!tabs.some(([id]) => id === this._tab)) {
      this._tab = 'logs';
    }
    const list = el('div', 'kfsm-lab-tabs');
    list.setAttribute('role', 'tablist');
    list.setAttribute('aria-label', trans.__('Step views'));
    const buttons: HTMLButtonElement[] = [];
    for (const [id, label] of tabs) {
      const b = el('button', 'kfsm-lab-tab', label);
      b.type = 'button';
      b.id = `${this.id}-tab-${id}`;
      b.dataset.tab = id;
      b.setAttribute('role', 'tab');
      b.setAttribute('aria-selected', String(id === this._tab));
      b.setAttribute('aria-controls', `${this.id}-tabpanel`);
      b.tabIndex = id === this._tab ? 0 : -1;
      b.addEventListener('click', () => this._switchTab(id));
      b.addEventListener('keydown', ev => {
        const i = buttons.indexOf(b);
        const step = ev.key === 'ArrowRight' ? 1 : ev.key === 'ArrowLeft' ? -1 : 0;
        if (step) {
          ev.preventDefault();
          const next = buttons[(i + step + buttons.length) % buttons.length];
          this._switchTab(next.dataset.tab as TabId);
        }
      });
      buttons.push(b);
      list.appendChild(b);
    }
    this._tabPanel = el('div', 'kfsm-lab-tabpanel');
    this._tabPanel.id = `${this.id}-tabpanel`;
    this._tabPanel.setAttribute('role', 'tabpanel');
    this._tabPanel.setAttribute('aria-labelledby', `${this.id}-tab-${this._tab}`);
    this._side.replaceChildren(head, list, this._tabPanel);
    this._renderTabBody(task);
  }

  private _switchTab(id: TabId): void {
    this._tab = id;
    const view = this.model.view;
    const task = view?.tasks.find(t => t.name === this._selected);
    if (!task) {
      return;
    }
    this._side.querySelectorAll<HTMLButtonElement>('.kfsm-lab-tab').forEach(b => {
      const on = b.dataset.tab === id;
      b.setAttribute('aria-selected', String(on));
      b.tabIndex = on ? 0 : -1;
      if (on) {
        b.focus();
      }
    });
    this._tabPanel?.setAttribute('aria-labelledby', `${this.id}-tab-${id}`);
    this._renderTabBody(task);
  }

  private _renderTabBody(task: ITaskView): void {
    const view = this.model.view;
    const panel = this._tabPanel;
    if (!view || !panel) {
      return;
    }
    const trans = this._host.trans;
    const running = !FINAL_STATES.has(task.state);
    this._log?.setVisible(false);
    this._cloudLog?.setVisible(false);
    this._details?.setVisible(false);
    if (this._tab === 'logs') {
      if (!this._log) {
        this._log = new LogView(trans, view.run_id, task.name, 'task', view.target, running);
      }
      if (task.cloudwatch && !this._cloudLog) {
        this._cloudLog = new LogView(
          trans,
          view.run_id,
          task.name,
          'sagemaker',
          view.target,
          running
        );
      }
      const wrap = el('div', 'kfsm-lab-logs');
      if (task.cloudwatch) {
        const switcher = el('div', 'kfsm-lab-segmented');
        switcher.setAttribute('role', 'radiogroup');
        switcher.setAttribute('aria-label', trans.__('Which log'));
        const choices: Array<[LogSource, string]> = [
          ['task', trans.__('Step log')],
          ['sagemaker', trans.__('SageMaker (CloudWatch)')]
        ];
        for (const [source, label] of choices) {
          const b = el('button', 'kfsm-lab-segment', label);
          b.type = 'button';
          b.dataset.source = source;
          b.setAttribute('role', 'radio');
          b.setAttribute('aria-checked', String(source === this._logSource));
          b.addEventListener('click', () => {
            this._logSource = source;
            this._renderTabBody(task);
          });
          switcher.appendChild(b);
        }
        wrap.appendChild(switcher);
      } else {
        this._logSource = 'task';
      }
      const current =
        this._logSource === 'sagemaker' && this._cloudLog ? this._cloudLog : this._log;
      wrap.appendChild(current.node);
      panel.replaceChildren(wrap);
      current.setVisible(this._visible);
    } else if (this._tab === 'details') {
      if (!this._details) {
        this._details = new DetailsView(trans, view.run_id, task);
      }
      panel.replaceChildren(this._details.node);
      this._details.setVisible(this._visible);
    } else if (this._tab === 'io') {
      const key = JSON.stringify([task.inputs, task.outputs, task.state]);
      if (panel.dataset.rendered !== `io:${key}`) {
        panel.replaceChildren(renderInputsOutputs(trans, task, view.parameters, view.target));
        panel.dataset.rendered = `io:${key}`;
      }
      return;
    } else {
      const key = JSON.stringify(task.metrics);
      if (panel.dataset.rendered !== `metrics:${key}`) {
        panel.replaceChildren(renderMetrics(trans, task.metrics, task.trials ?? []));
        panel.dataset.rendered = `metrics:${key}`;
      }
      return;
    }
    delete panel.dataset.rendered;
  }

  private _disposeTabs(): void {
    this._log?.dispose();
    this._cloudLog?.dispose();
    this._log = null;
    this._cloudLog = null;
    this._details = null;
    this._tabPanel = null;
  }

  private _graph: GraphView;
  private _header: HTMLElement;
  private _headline: HTMLElement;
  private _live: HTMLElement;
  private _banner: HTMLElement;
  private _side: HTMLElement;
  private _tabPanel: HTMLElement | null = null;
  private _selected: string | null = null;
  private _tab: TabId = 'logs';
  private _logSource: LogSource = 'task';
  private _log: LogView | null = null;
  private _cloudLog: LogView | null = null;
  private _details: DetailsView | null = null;
  private _visible = false;
  private _ticker = 0;
  private _busy = false;
  private _message = '';
  private _resize: ResizeObserver | null = null;
}
