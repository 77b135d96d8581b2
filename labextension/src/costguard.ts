import { Dialog, showDialog } from '@jupyterlab/apputils';
import { Poll } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';
import { Widget } from '@lumino/widgets';

import { el, formatAge, formatHourly } from './format';
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
      this._data = await requestAPI<IEndpointList>(
        fresh ? 'endpoints?fresh=1' : 'endpoints'
      );
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

/** "3 endpoints · ~$0.35/h est." for the status bar. */
export function summary(model: EndpointsModel): { text: string; title: string } {
  const data = model.data;
  if (model.serverMissing) {
    return {
      text: 'kfsm_lab: server extension missing',
      title: 'The kfsm_lab server extension is not enabled: run `jupyter server extension enable kfsm_lab` and restart.'
    };
  }
  if (!data) {
    return model.error
      ? { text: 'SageMaker endpoints: ?', title: model.error }
      : { text: 'SageMaker endpoints: …', title: 'Checking…' };
  }
  const noun = data.count === 1 ? 'endpoint' : 'endpoints';
  let text = `${data.count} SageMaker ${noun} live`;
  if (data.count > 0) {
    const cost = formatHourly(data.cost.hourly_usd);
    text += ` · ~${cost}${data.cost.complete ? '' : '+'} est.`;
  }
  const title = [
    `Endpoints created by kfsm_lab on ${data.target} (${data.region}). Click to review or delete them.`,
    `Cost is an estimate from ${data.cost.source}, as of ${data.cost.as_of}.`,
    data.cost.note ?? '',
    model.error ? `Last check failed: ${model.error}` : ''
  ]
    .filter(Boolean)
    .join('\n');
  return { text, title };
}

/** The status bar item: count and estimate; a click opens the panel. */
export class CostGuardStatus extends Widget {
  constructor(
    private readonly _model: EndpointsModel,
    onClick: () => void
  ) {
    super();
    this.addClass('kfsm-lab-costguard');
    this.addClass('jp-StatusBar-TextItem');
    this.node.setAttribute('role', 'button');
    this.node.tabIndex = 0;
    this.node.addEventListener('click', onClick);
    this.node.addEventListener('keydown', ev => {
      if (ev.key === 'Enter' || ev.key === ' ') {
        onClick();
      }
    });
    _model.changed.connect(this._render, this);
    this._render();
  }

  private _render(): void {
    const { text, title } = summary(this._model);
    this.node.textContent = text;
    this.node.title = title;
    const live = (this._model.data?.count ?? 0) > 0;
    this.toggleClass('kfsm-lab-costguard-live', live);
  }
}

/** The panel: every kit endpoint with a Delete button behind a confirmation. */
export class EndpointsPanel extends Widget {
  constructor(private readonly _model: EndpointsModel) {
    super();
    this.addClass('kfsm-lab-endpoints-panel');
    this.id = 'kfsm-lab-endpoints';
    this.title.label = 'SageMaker endpoints';
    this.title.closable = true;
    _model.changed.connect(this._render, this);
    this._render();
  }

  protected onAfterAttach(): void {
    void this._model.refresh(true);
  }

  private _render(): void {
    const model = this._model;
    const data = model.data;
    const root = this.node;
    root.replaceChildren();

    const header = el('div', 'kfsm-lab-panel-header');
    header.appendChild(el('h2', '', 'SageMaker endpoints created by kfsm_lab'));
    const refresh = el('button', 'jp-Button jp-mod-styled kfsm-lab-refresh', 'Refresh');
    refresh.addEventListener('click', () => void model.refresh(true));
    header.appendChild(refresh);
    root.appendChild(header);

    if (model.error) {
      root.appendChild(el('div', 'kfsm-lab-error', model.error));
    }
    if (this._message) {
      root.appendChild(el('div', 'kfsm-lab-message', this._message));
    }
    if (!data) {
      root.appendChild(el('p', 'kfsm-lab-muted', model.error ? '' : 'Loading…'));
      return;
    }
    root.appendChild(
      el(
        'p',
        'kfsm-lab-target',
        `Target: ${data.target}, region ${data.region}. Live endpoints: ${data.count}.`
      )
    );
    const cost = el('p', 'kfsm-lab-cost');
    cost.textContent =
      `Estimated cost: ~${formatHourly(data.cost.hourly_usd) || '$0/h'}` +
      (data.cost.complete
        ? ''
        : ` plus ${data.cost.unpriced_instance_types.join(', ')} (no price data)`) +
      ` — an estimate from ${data.cost.source}, as of ${data.cost.as_of}.`;
    root.appendChild(cost);
    if (data.cost.note || data.note) {
      root.appendChild(el('p', 'kfsm-lab-muted', data.note ?? data.cost.note));
    }
    if (data.endpoints.length === 0) {
      root.appendChild(
        el('p', 'kfsm-lab-empty', 'No endpoint created by kfsm_lab is running. Nothing is billing.')
      );
      return;
    }
    const table = el('table', 'kfsm-lab-table');
    const head = el('tr');
    for (const h of ['Name', 'Instance type', 'Status', 'Age', 'Est. cost', '']) {
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
      const status = el('td', `kfsm-lab-status kfsm-lab-status-${ep.status.toLowerCase()}`, ep.status);
      if (ep.failure_reason) {
        status.title = ep.failure_reason;
      }
      row.appendChild(status);
      row.appendChild(el('td', '', formatAge(ep.age_seconds)));
      row.appendChild(el('td', '', formatHourly(ep.hourly_usd) || 'no price data'));
      const cell = el('td');
      const del = el('button', 'jp-Button jp-mod-styled jp-mod-warn kfsm-lab-delete', 'Delete');
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
    const result = await showDialog({
      title: `Delete endpoint ${ep.name}?`,
      body:
        `This deletes the SageMaker endpoint ${ep.name}` +
        (ep.endpoint_config ? ` and its endpoint config ${ep.endpoint_config}` : '') +
        '. Anything still calling it will fail. The model and its artifact stay.',
      buttons: [Dialog.cancelButton(), Dialog.warnButton({ label: 'Delete' })]
    });
    if (!result.button.accept) {
      return;
    }
    try {
      const done = await this._model.remove(ep.name);
      this._message = `Deleted ${done.deleted}` +
        (done.endpoint_config ? ` and endpoint config ${done.endpoint_config}.` : '.');
    } catch (err) {
      this._message = `Could not delete ${ep.name}: ${describeError(err)}`;
    }
    this._render();
  }

  private _message = '';
}
