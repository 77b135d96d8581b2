import { formatClock, formatDuration, formatTime, stateLabel, Trans } from '../i18n';
import { el } from '../format';
import { describeError, KfsmApiError, requestAPI, routeUrl } from '../request';
import { IResourceDetail, ITaskView, ITrial } from './types';

/** A two-column table of label → value rows (values may be nodes). */
export function fieldTable(
  rows: Array<[string, string | Node | null | undefined]>
): HTMLTableElement {
  const table = el('table', 'kfsm-lab-fields');
  const body = el('tbody');
  for (const [label, value] of rows) {
    if (value === null || value === undefined || value === '') {
      continue;
    }
    const tr = el('tr');
    tr.appendChild(el('th', '', label));
    const td = el('td');
    if (typeof value === 'string') {
      td.textContent = value;
    } else {
      td.appendChild(value);
    }
    tr.appendChild(td);
    body.appendChild(tr);
  }
  table.appendChild(body);
  return table;
}

function kindLabel(trans: Trans, kind: string | null): string {
  switch (kind) {
    case 'training_job':
      return trans.__('Training job');
    case 'model':
      return trans.__('Model');
    case 'endpoint':
      return trans.__('Endpoint');
    case 'transform_job':
      return trans.__('Batch transform job');
    case 'tuning_job':
      return trans.__('Hyperparameter tuning job');
    default:
      return trans.__('Own component');
  }
}

/** The Details tab: the task and its SageMaker resource (name, ARN, status history, instances). */
export class DetailsView {
  readonly node = el('div', 'kfsm-lab-details');

  constructor(
    private readonly _trans: Trans,
    private readonly _runId: string,
    private _task: ITaskView
  ) {}

  update(task: ITaskView): void {
    const changed =
      task.state !== this._task.state ||
      task.resource?.status !== this._task.resource?.status ||
      task.resource?.secondary_status !== this._task.resource?.secondary_status;
    this._task = task;
    if (changed && this._visible) {
      void this._load();
    }
  }

  setVisible(visible: boolean): void {
    this._visible = visible;
    if (visible) {
      void this._load();
    }
  }

  private async _load(): Promise<void> {
    const task = this._task;
    if (!task.resource) {
      this._render(null, null);
      return;
    }
    try {
      const detail = await requestAPI<IResourceDetail>(
        `runs/${encodeURIComponent(this._runId)}/tasks/${encodeURIComponent(task.name)}/resource`
      );
      this._render(detail, null);
    } catch (err) {
      const missing = err instanceof KfsmApiError && err.status === 404;
      this._render(
        null,
        missing
          ? this._trans.__('The SageMaker resource does not exist yet, or any more.')
          : describeError(err)
      );
    }
  }

  private _render(d: IResourceDetail | null, problem: string | null): void {
    const trans = this._trans;
    const t = this._task;
    const root = this.node;
    root.replaceChildren();
    root.appendChild(el('h3', '', trans.__('Task')));
    root.appendChild(
      fieldTable([
        [trans.__('Name'), t.name],
        [trans.__('Component'), t.component],
        [trans.__('State'), stateLabel(trans, t.state)],
        [trans.__('Started'), t.start ? formatTime(t.start) : null],
        [trans.__('Ended'), t.end ? formatTime(t.end) : null],
        [trans.__('Duration'), t.start ? formatDuration(trans, t.duration) : null],
        [trans.__('Runs after'), t.depends_on.join(', ') || trans.__('nothing (a first step)')],
        [trans.__('Failure reason'), t.failure_reason]
      ])
    );
    root.appendChild(el('h3', '', trans.__('SageMaker resource')));
    if (!t.resource) {
      root.appendChild(
        el('p', 'kfsm-lab-muted', trans.__('This task creates no SageMaker resource.'))
      );
      return;
    }
    if (problem || !d) {
      root.appendChild(
        fieldTable([
          [trans.__('Kind'), kindLabel(trans, t.resource.kind)],
          [trans.__('Name'), t.resource.name]
        ])
      );
      root.appendChild(el('p', 'kfsm-lab-muted', problem ?? trans.__('Loading…')));
      return;
    }
    const instances = d.instance_type
      ? d.instance_count && d.instance_count > 1
        ? `${d.instance_type} × ${d.instance_count}`
        : d.instance_type
      : null;
    root.appendChild(
      fieldTable([
        [trans.__('Kind'), kindLabel(trans, d.kind)],
        [trans.__('Name'), d.name],
        [trans.__('ARN'), d.arn],
        [
          trans.__('Status'),
          d.secondary_status && d.secondary_status !== d.status
            ? `${d.status} · ${d.secondary_status}`
            : d.status
        ],
        [trans.__('Instances'), instances],
        [trans.__('Created'), d.created ? formatTime(d.created) : null],
        [trans.__('Started'), d.start ? formatTime(d.start) : null],
        [trans.__('Ended'), d.end ? formatTime(d.end) : null],
        [trans.__('Endpoint config'), d.endpoint_config],
        [trans.__('Model'), d.model],
        [trans.__('Image'), d.image],
        [trans.__('Failure reason'), d.failure_reason]
      ])
    );
    if (d.history.length) {
      root.appendChild(el('h3', '', trans.__('Status history')));
      const table = el('table', 'kfsm-lab-table kfsm-lab-history');
      const head = el('tr');
      for (const h of [
        trans.__('Status'),
        trans.__('Started'),
        trans.__('Duration'),
        trans.__('Message')
      ]) {
        head.appendChild(el('th', '', h));
      }
      table.appendChild(el('thead')).appendChild(head);
      const body = el('tbody');
      for (const p of d.history) {
        const tr = el('tr');
        tr.dataset.status = p.status;
        tr.appendChild(el('td', '', p.status));
        tr.appendChild(el('td', 'kfsm-lab-nowrap', formatClock(p.start)));
        tr.appendChild(
          el(
            'td',
            '',
            p.start ? formatDuration(trans, (p.end ?? Date.now() / 1000) - p.start) : '—'
          )
        );
        tr.appendChild(el('td', 'kfsm-lab-wrap', p.message ?? ''));
        body.appendChild(tr);
      }
      table.appendChild(body);
      root.appendChild(table);
    }
    if (d.hyperparameters && Object.keys(d.hyperparameters).length) {
      root.appendChild(el('h3', '', trans.__('Hyperparameters')));
      root.appendChild(
        fieldTable(
          Object.entries(d.hyperparameters)
            .sort()
            .map(([k, v]) => [k, v])
        )
      );
    }
  }

  private _visible = false;
}

/** An S3 URI with View / Download (local cloud) or a console link (aws). */
function s3Value(trans: Trans, uri: string, target: string, preview: HTMLElement): Node {
  const wrap = el('span', 'kfsm-lab-s3');
  wrap.appendChild(el('code', 'kfsm-lab-wrap', uri));
  // An object (its last part has an extension) can be viewed; a prefix is a folder of objects.
  const isObject = /\.[A-Za-z0-9]{1,8}$/.test(uri.split('/').pop() ?? '');
  if (target === 'local') {
    if (isObject) {
      const view = el(
        'button',
        'jp-Button jp-mod-styled kfsm-lab-btn kfsm-lab-small',
        trans.__('View')
      );
      view.type = 'button';
      view.setAttribute('aria-label', trans.__('View %1', uri));
      view.addEventListener('click', () => void showPreview(trans, uri, preview));
      wrap.appendChild(view);
      const dl = el(
        'a',
        'jp-Button jp-mod-styled kfsm-lab-btn kfsm-lab-small',
        trans.__('Download')
      );
      dl.href = routeUrl(`s3?uri=${encodeURIComponent(uri)}&download=1`);
      dl.setAttribute('aria-label', trans.__('Download %1', uri));
      wrap.appendChild(dl);
    }
  } else {
    const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(uri);
    if (m) {
      const a = el('a', 'kfsm-lab-link', trans.__('Open in the S3 console'));
      a.href = `https://s3.console.aws.amazon.com/s3/buckets/${encodeURIComponent(m[1])}?prefix=${encodeURIComponent(m[2])}`;
      a.target = '_blank';
      a.rel = 'noopener noreferrer';
      wrap.appendChild(a);
    }
  }
  return wrap;
}

async function showPreview(trans: Trans, uri: string, out: HTMLElement): Promise<void> {
  out.hidden = false;
  out.replaceChildren(el('p', 'kfsm-lab-muted', trans.__('Loading…')));
  try {
    const p = await requestAPI<{
      uri: string;
      size: number;
      text: string | null;
      truncated: boolean;
    }>(`s3?uri=${encodeURIComponent(uri)}`);
    const head = el('p', 'kfsm-lab-muted', trans.__('%1 — %2 bytes', p.uri, p.size));
    const body =
      p.text !== null
        ? el('pre', 'kfsm-lab-log kfsm-lab-preview', p.text + (p.truncated ? '\n…' : ''))
        : el('p', '', trans.__('A binary object: download it to look inside.'));
    out.replaceChildren(head, body);
  } catch (err) {
    out.replaceChildren(el('p', 'kfsm-lab-error', describeError(err)));
  }
}

function valueNode(
  trans: Trans,
  value: unknown,
  target: string,
  preview: HTMLElement
): string | Node {
  if (typeof value === 'string' && value.startsWith('s3://')) {
    return s3Value(trans, value, target, preview);
  }
  if (value !== null && typeof value === 'object') {
    return el('code', 'kfsm-lab-wrap', JSON.stringify(value));
  }
  return String(value);
}

/** The Inputs/Outputs tab: parameters and artifacts, S3 objects viewable on the local cloud. */
export function renderInputsOutputs(
  trans: Trans,
  task: ITaskView,
  runParameters: { [name: string]: unknown } | undefined,
  target: string
): HTMLElement {
  const root = el('div', 'kfsm-lab-io');
  const preview = el('div', 'kfsm-lab-s3-preview');
  preview.hidden = true;
  const section = (title: string, values: { [name: string]: unknown }, empty: string) => {
    root.appendChild(el('h3', '', title));
    const entries = Object.entries(values);
    if (!entries.length) {
      root.appendChild(el('p', 'kfsm-lab-muted', empty));
      return;
    }
    root.appendChild(
      fieldTable(entries.sort().map(([k, v]) => [k, valueNode(trans, v, target, preview)]))
    );
  };
  const inputs = Object.keys(task.inputs).length ? task.inputs : (runParameters ?? {});
  section(
    Object.keys(task.inputs).length ? trans.__('Inputs') : trans.__('Run parameters'),
    inputs,
    trans.__('No inputs.')
  );
  section(
    trans.__('Outputs'),
    task.outputs,
    task.state === 'succeeded'
      ? trans.__('No outputs.')
      : trans.__('Outputs appear when the task has finished.')
  );
  root.appendChild(preview);
  return root;
}

/** A tuning step's trials: each training job's objective as a bar, the best one marked. */
function renderTrials(trans: Trans, trials: ITrial[]): HTMLElement {
  const box = el('div', 'kfsm-lab-trials');
  box.appendChild(el('h3', '', trans.__('Trials (objective; lower is better)')));
  const values = trials.map(t => Math.abs(t.objective ?? 0));
  const max = Math.max(...values) || 1;
  const list = el('dl', 'kfsm-lab-bars');
  list.setAttribute('aria-label', trans.__('Trials'));
  for (const trial of trials) {
    const label = trial.best ? `★ ${trial.name} — ${trans.__('best')}` : trial.name;
    list.appendChild(el('dt', 'kfsm-lab-bar-name', label));
    const dd = el('dd', 'kfsm-lab-bar-row');
    const bar = el('span', trial.best ? 'kfsm-lab-bar kfsm-lab-bar-best' : 'kfsm-lab-bar');
    bar.style.width = `${Math.max(2, (Math.abs(trial.objective ?? 0) / max) * 100)}%`;
    dd.appendChild(bar);
    dd.appendChild(
      el(
        'span',
        'kfsm-lab-bar-value',
        trial.objective === null ? (trial.status ?? '—') : trial.objective.toPrecision(4)
      )
    );
    list.appendChild(dd);
  }
  box.appendChild(list);
  return box;
}

/** The Metrics tab: the training job's final metrics, as bars with their values. */
export function renderMetrics(
  trans: Trans,
  metrics: { [name: string]: number },
  trials: ITrial[] = []
): HTMLElement {
  const root = el('div', 'kfsm-lab-metrics');
  if (trials.length) {
    root.appendChild(renderTrials(trans, trials));
  }
  const entries = Object.entries(metrics).sort();
  if (!entries.length) {
    root.appendChild(
      el('p', 'kfsm-lab-muted', trans.__('The training job reports its metrics when it completes.'))
    );
    return root;
  }
  if (entries.every(([name]) => name.endsWith(':msd'))) {
    root.appendChild(
      el(
        'p',
        'kfsm-lab-muted',
        trans.__('Mean squared distance of the points to their cluster centre (lower is better).')
      )
    );
  }
  const max = Math.max(...entries.map(([, v]) => Math.abs(v))) || 1;
  const list = el('dl', 'kfsm-lab-bars');
  list.setAttribute('aria-label', trans.__('Metrics'));
  for (const [name, value] of entries) {
    list.appendChild(el('dt', 'kfsm-lab-bar-name', name));
    const dd = el('dd', 'kfsm-lab-bar-row');
    const bar = el('span', 'kfsm-lab-bar');
    bar.style.width = `${Math.max(2, (Math.abs(value) / max) * 100)}%`;
    dd.appendChild(bar);
    dd.appendChild(el('span', 'kfsm-lab-bar-value', value.toPrecision(4)));
    list.appendChild(dd);
  }
  root.appendChild(list);
  return root;
}
