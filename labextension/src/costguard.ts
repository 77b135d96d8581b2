import { Poll } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';
import { Widget } from '@lumino/widgets';

import { el, formatHourly } from './format';
import { rebuildKeepingFocus } from './focus';
import { formatDuration, Trans } from './i18n';
import { describeError, KfsmApiError, requestAPI } from './request';

/** One endpoint as GET /kfsm-lab/endpoints lists it. */
export interface IEndpoint {
  name: string;
  status: string;
  endpoint_config: string | null;
  instance_type: string | null;
  instance_count: number;
  created_at: string | null;
  age_seconds: number | null;
  hourly_usd: number | null;
  failure_reason: string | null;
}

/** The cost estimate block of the listing. */
export interface ICost {
  hourly_usd: number;
  complete: boolean;
  unpriced_instance_types: string[];
  source: string;
  as_of: string;
  note?: string;
}

/** GET /kfsm-lab/endpoints. */
export interface IEndpointList {
  target: string;
  region: string;
  count: number;
  endpoints: IEndpoint[];
  cost: ICost;
  note?: string;
}

/** Polls the endpoint listing for the status bar and the panel; one poll for both. */
export class EndpointsModel {
  constructor(intervalMs = 30000) {
    this._poll = new Poll({
      factory: () => this.refresh(false),
      frequency: { interval: intervalMs, backoff: true, max: 5 * intervalMs },
      standby: 'when-hidden',
      name: 'kfsm-lab:endpoints'
    });
  }

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  get data(): IEndpointList | null {
    return this._data;
  }

  get error(): string | null {
    return this._error;
  }

  /** True when the server has no /kfsm-lab/ routes at all. */
  get serverMissing(): boolean {
    return this._serverMissing;
  }

  /** Ask the server; `fresh` skips its short cache (after a delete, or the Refresh button). */
  async refresh(fresh = true): Promise<void> {
    try {
      this._data = await requestAPI<IEndpointList>(fresh ? 'endpoints?fresh=1' : 'endpoints');
      this._error = null;
      this._serverMissing = false;
    } catch (err) {
      this._error = describeError(err);
      this._serverMissing =
        err instanceof KfsmApiError && err.status === 404 && err.body.error === 'HTTPError';
    }
    this._changed.emit();
  }

  /** Delete an endpoint (and its config) on the server, then list again. */
  async remove(name: string): Promise<{ deleted: string; endpoint_config: string | null }> {
    const result = await requestAPI<{ deleted: string; endpoint_config: string | null }>(
      `endpoints/${encodeURIComponent(name)}`,
      { method: 'DELETE' }
    );
    await this.refresh(true);
    return result;
  }

  dispose(): void {
    this._poll.dispose();
  }

  private _poll: Poll;
  private _data: IEndpointList | null = null;
  private _error: string | null = null;
  private _serverMissing = false;
  private _changed = new Signal<this, void>(this);
}

/** "3 SageMaker endpoints live · ~$0.35/h est." for the status bar (no price on the local cloud). */
export function summary(model: EndpointsModel, trans: Trans): { text: string; title: string } {
  const data = model.data;
  if (model.serverMissing) {
    return {
      text: trans.__('kfsm_lab: server extension missing'),
      title: trans.__(
        'The kfsm_lab server extension is not enabled: run `jupyter server extension enable kfsm_lab` and restart.'
      )
    };
  }
  if (!data) {
    return model.error
      ? { text: trans.__('SageMaker endpoints: ?'), title: model.error }
      : { text: trans.__('SageMaker endpoints: …'), title: trans.__('Checking…') };
  }
  let text = trans._n('%1 SageMaker endpoint live', '%1 SageMaker endpoints live', data.count);
  const local = data.target === 'local';
  if (data.count > 0 && local) {
    text += trans.__(' · local, no cost');
  } else if (data.count > 0) {
    text += trans.__(
      ' · ~%1%2 est.',
      formatHourly(data.cost.hourly_usd),
      data.cost.complete ? '' : '+'
    );
  }
  const title = [
    trans.__(
      'Endpoints created by kfsm_lab on %1 (%2). Click to review or delete them.',
      local ? trans.__('the local cloud') : trans.__('AWS'),
      data.region
    ),
    local
      ? trans.__('Endpoints on the local cloud cost nothing.')
      : trans.__('Cost is an estimate from %1, as of %2.', data.cost.source, data.cost.as_of),
    model.error ? trans.__('Last check failed: %1', model.error) : ''
  ]
    .filter(Boolean)
    .join('\n');
  return { text, title };
}

/** The status bar item: count and estimate; a click opens the panel. */
export class CostGuardStatus extends Widget {
  constructor(
    private readonly _model: EndpointsModel,
    private readonly _trans: Trans,
    onClick: () => void
  ) {
    super();
    this.addClass('kfsm-lab-costguard');
    this.node.setAttribute('aria-live', 'polite');
    this.addClass('jp-StatusBar-TextItem');
    this.node.setAttribute('role', 'button');
    this.node.tabIndex = 0;
    this.node.addEventListener('click', onClick);
    this.node.addEventListener('keydown', ev => {
      if (ev.key === 'Enter' || ev.key === ' ') {
        ev.preventDefault();
        onClick();
      }
    });
    _model.changed.connect(this._render, this);
    this._render();
  }

  private _render(): void {
    const { text, title } = summary(this._model, this._trans);
    this.node.textContent = text;
    this.node.title = title;
    this.node.setAttribute('aria-label', `${text}. ${title}`);
    const data = this._model.data;
    this.toggleClass('kfsm-lab-costguard-live', (data?.count ?? 0) > 0 && data?.target !== 'local');
  }
}

/** The panel: every kit endpoint with a Delete button behind a confirmation. */
export class EndpointsPanel extends Widget {
  constructor(
    private readonly _model: EndpointsModel,
    private readonly _trans: Trans,
    private readonly _confirm: (title: string, body: string, accept: string) => Promise<boolean>
  ) {
    super();
    this.addClass('kfsm-lab-endpoints-panel');
    this.id = 'kfsm-lab-endpoints';
    this.title.label = _trans.__('SageMaker endpoints');
    this.title.closable = true;
    _model.changed.connect(this._render, this);
    this._render();
  }

  protected onAfterAttach(): void {
    void this._model.refresh(true);
  }

  private _render(): void {
    rebuildKeepingFocus(this.node, () => this._build());
  }

  private _build(): void {
    const trans = this._trans;
    const model = this._model;
    const data = model.data;
    const root = this.node;

    const header = el('div', 'kfsm-lab-panel-header');
    header.appendChild(el('h2', '', trans.__('SageMaker endpoints created by kfsm_lab')));
    const refresh = el(
      'button',
      'jp-Button jp-mod-styled kfsm-lab-btn kfsm-lab-refresh',
      trans.__('Refresh')
    );
    refresh.type = 'button';
    refresh.dataset.focusKey = 'refresh';
    refresh.addEventListener('click', () => void model.refresh(true));
    header.appendChild(refresh);
    root.appendChild(header);

    const status = el('div', 'kfsm-lab-live-region');
    status.setAttribute('role', 'status');
    status.setAttribute('aria-live', 'polite');
    if (model.error) {
      status.appendChild(el('div', 'kfsm-lab-error', model.error));
    }
    if (this._message) {
      status.appendChild(el('div', 'kfsm-lab-message', this._message));
    }
    root.appendChild(status);
    if (!data) {
      root.appendChild(el('p', 'kfsm-lab-muted', model.error ? '' : trans.__('Loading…')));
      return;
    }
    const local = data.target === 'local';
    root.appendChild(
      el(
        'p',
        'kfsm-lab-target',
        trans.__(
          'Target: %1, region %2. Live endpoints: %3.',
          local ? trans.__('local') : trans.__('AWS'),
          data.region,
          data.count
        )
      )
    );
    if (local) {
      root.appendChild(
        el('p', 'kfsm-lab-cost', trans.__('Endpoints on the local cloud cost nothing.'))
      );
    } else {
      const extra = data.cost.complete
        ? ''
        : trans.__(' plus %1 (no price data)', data.cost.unpriced_instance_types.join(', '));
      root.appendChild(
        el(
          'p',
          'kfsm-lab-cost',
          trans.__(
            'Estimated cost: ~%1%2 — an estimate from %3, as of %4.',
            formatHourly(data.cost.hourly_usd) || '$0/h',
            extra,
            data.cost.source,
            data.cost.as_of
          )
        )
      );
    }
    if (data.note) {
      root.appendChild(
        el(
          'p',
          'kfsm-lab-muted',
          trans.__('The local cloud is not running, so no endpoint is live.')
        )
      );
    }
    if (data.endpoints.length === 0) {
      root.appendChild(
        el(
          'p',
          'kfsm-lab-empty',
          trans.__('No endpoint created by kfsm_lab is running. Nothing is billing.')
        )
      );
      return;
    }
    const table = el('table', 'kfsm-lab-table');
    const head = el('tr');
    const cols = [trans.__('Name'), trans.__('Instance type'), trans.__('Status'), trans.__('Age')];
    if (!local) {
      cols.push(trans.__('Est. cost'));
    }
    cols.push(trans.__('Action'));
    for (const h of cols) {
      head.appendChild(el('th', '', h));
    }
    table.appendChild(el('thead')).appendChild(head);
    const body = el('tbody');
    for (const ep of data.endpoints) {
      const row = el('tr', 'kfsm-lab-endpoint-row');
      row.dataset.endpoint = ep.name;
      row.appendChild(el('td', 'kfsm-lab-name', ep.name));
      row.appendChild(
        el(
          'td',
          '',
          `${ep.instance_type ?? '—'}${ep.instance_count > 1 ? ` × ${ep.instance_count}` : ''}`
        )
      );
      const status = el(
        'td',
        `kfsm-lab-status kfsm-lab-status-${ep.status.toLowerCase()}`,
        ep.status
      );
      if (ep.failure_reason) {
        status.title = ep.failure_reason;
      }
      row.appendChild(status);
      row.appendChild(el('td', '', formatDuration(trans, ep.age_seconds)));
      if (!local) {
        row.appendChild(el('td', '', formatHourly(ep.hourly_usd) || trans.__('no price data')));
      }
      const cell = el('td');
      const del = el(
        'button',
        'jp-Button jp-mod-styled jp-mod-warn kfsm-lab-btn kfsm-lab-delete',
        trans.__('Delete')
      );
      del.type = 'button';
      del.dataset.focusKey = `delete-${ep.name}`;
      del.setAttribute('aria-label', trans.__('Delete %1', ep.name));
      del.disabled = ep.status === 'Deleting';
      del.addEventListener('click', () => void this._confirmDelete(ep));
      cell.appendChild(del);
      row.appendChild(cell);
      body.appendChild(row);
    }
    table.appendChild(body);
    root.appendChild(table);
  }

  private async _confirmDelete(ep: IEndpoint): Promise<void> {
    const trans = this._trans;
    const body = ep.endpoint_config
      ? trans.__(
          'This deletes the SageMaker endpoint %1 and its endpoint config %2. Anything still calling it will fail. The model and its artifact stay.',
          ep.name,
          ep.endpoint_config
        )
      : trans.__(
          'This deletes the SageMaker endpoint %1. Anything still calling it will fail. The model and its artifact stay.',
          ep.name
        );
    const ok = await this._confirm(
      trans.__('Delete endpoint %1?', ep.name),
      body,
      trans.__('Delete')
    );
    if (!ok) {
      return;
    }
    try {
      const done = await this._model.remove(ep.name);
      this._message = done.endpoint_config
        ? trans.__('Deleted %1 and endpoint config %2.', done.deleted, done.endpoint_config)
        : trans.__('Deleted %1.', done.deleted);
    } catch (err) {
      this._message = trans.__('Could not delete %1: %2', ep.name, describeError(err));
    }
    this._render();
  }

  private _message = '';
}
