import { Trans } from '../i18n';
import { el } from '../format';
import { describeError, requestText, routeUrl } from '../request';

/** Bytes read from the end of a log when it is first shown; the rest is one download away. */
export const TAIL_BYTES = 256 * 1024;
/** Lines kept on screen; older ones drop off (the download has everything). */
export const MAX_LINES = 20000;
const POLL_MS: { [source: string]: { [target: string]: number } } = {
  task: { local: 1000, aws: 5000 },
  sagemaker: { local: 2000, aws: 30000 }
};

export type LogSource = 'task' | 'sagemaker';

function formatBytes(n: number): string {
  if (n < 1024 * 1024) {
    return `${Math.max(1, Math.round(n / 1024))} KB`;
  }
  return `${(n / (1024 * 1024)).toFixed(1)} MB`;
}

/**
 * A task's log: the tail first, then only what is new (by offset), while the task runs and the
 * tab is visible. Search filters the lines; Download fetches the whole file.
 */
export class LogView {
  readonly node: HTMLElement;

  constructor(
    private readonly _trans: Trans,
    private readonly _runId: string,
    private readonly _task: string,
    private readonly _source: LogSource,
    private readonly _target: string,
    private _running: boolean
  ) {
    const trans = _trans;
    this.node = el('div', 'kfsm-lab-logview');
    const bar = el('div', 'kfsm-lab-logbar');
    const label = el('label', 'kfsm-lab-search');
    label.appendChild(el('span', 'kfsm-lab-visually-hidden', trans.__('Search the log')));
    this._search = el('input', 'jp-mod-styled kfsm-lab-search-input');
    this._search.type = 'search';
    this._search.placeholder = trans.__('Search the log');
    this._search.addEventListener('input', () => this._renderAll());
    label.appendChild(this._search);
    bar.appendChild(label);
    this._count = el('span', 'kfsm-lab-muted kfsm-lab-log-count');
    this._count.setAttribute('aria-live', 'polite');
    bar.appendChild(this._count);
    const download = el(
      'a',
      'jp-Button jp-mod-styled kfsm-lab-btn kfsm-lab-download',
      trans.__('Download')
    );
    if (_source === 'task') {
      download.href = routeUrl(
        `runs/${encodeURIComponent(_runId)}/tasks/${encodeURIComponent(_task)}/log?download=1`
      );
      download.setAttribute('download', `${_runId}-${_task}.log`);
    } else {
      download.href = '#';
      download.addEventListener('click', ev => {
        ev.preventDefault();
        const blob = new Blob([this._lines.join('\n') + '\n'], { type: 'text/plain' });
        const a = document.createElement('a');
        a.href = URL.createObjectURL(blob);
        a.download = `${_runId}-${_task}-sagemaker.log`;
        a.click();
        setTimeout(() => URL.revokeObjectURL(a.href), 1000);
      });
    }
    bar.appendChild(download);
    this.node.appendChild(bar);
    this._note = el('p', 'kfsm-lab-muted kfsm-lab-log-note');
    this._note.hidden = true;
    this.node.appendChild(this._note);
    this._pre = el('pre', 'kfsm-lab-log');
    this._pre.tabIndex = 0;
    this._pre.setAttribute(
      'aria-label',
      _source === 'task' ? trans.__('Task log') : trans.__('SageMaker log')
    );
    this.node.appendChild(this._pre);
  }

  get lines(): string[] {
    return this._lines;
  }

  /** Whether the task can still write (polling goes on while it can). */
  setRunning(running: boolean): void {
    const was = this._running;
    this._running = running;
    if (running && !was && this._visible) {
      this._schedule(0);
    }
  }

  setVisible(visible: boolean): void {
    this._visible = visible;
    if (visible) {
      this._schedule(0);
    } else if (this._timer !== null) {
      window.clearTimeout(this._timer);
      this._timer = null;
    }
  }

  dispose(): void {
    this.setVisible(false);
    this._disposed = true;
  }

  private _schedule(ms: number): void {
    if (this._timer !== null) {
      window.clearTimeout(this._timer);
    }
    this._timer = window.setTimeout(() => void this._read(), ms);
  }

  private async _read(): Promise<void> {
    this._timer = null;
    if (this._disposed || !this._visible || this._busy) {
      return;
    }
    this._busy = true;
    let more = false;
    try {
      const base = `runs/${encodeURIComponent(this._runId)}/tasks/${encodeURIComponent(this._task)}/log`;
      let query: string;
      if (this._source === 'sagemaker') {
        query = `?source=sagemaker&offset=${encodeURIComponent(String(this._offset ?? ''))}`;
      } else if (this._offset === null) {
        query = `?tail=${TAIL_BYTES}`;
      } else {
        query = `?offset=${this._offset}`;
      }
      const reply = await requestText(base + query);
      const next = reply.headers.get('X-Kfsm-Next-Offset') ?? '';
      if (this._source === 'task') {
        const start = Number(reply.headers.get('X-Kfsm-Offset') ?? '0');
        const size = Number(reply.headers.get('X-Kfsm-Size') ?? '0');
        if (this._offset === null && start > 0) {
          this._note.hidden = false;
          this._note.textContent = this._trans.__(
            'Showing the last %1 of %2. Download has the whole log.',
            formatBytes(size - start),
            formatBytes(size)
          );
        }
        more = Number(next) < size;
        this._offset = Number(next);
      } else {
        this._offset = next;
      }
      this._append(reply.text);
      this._error = '';
    } catch (err) {
      this._error = describeError(err);
      this._renderCount();
    } finally {
      this._busy = false;
    }
    if (more) {
      this._schedule(0); // a big log arrives chunk by chunk, the page stays responsive in between
    } else if (this._running || this._reads++ < 1) {
      this._schedule(POLL_MS[this._source][this._target] ?? 2000);
    }
  }

  private _append(text: string): void {
    if (!text) {
      this._renderCount();
      return;
    }
    const parts = (this._partial + text).split('\n');
    this._partial = parts.pop() ?? '';
    if (!this._running && this._partial) {
      parts.push(this._partial); // a finished task's last line may have no newline
      this._partial = '';
    }
    if (!parts.length) {
      return;
    }
    this._lines.push(...parts);
    let dropped = 0;
    if (this._lines.length > MAX_LINES) {
      dropped = this._lines.length - MAX_LINES;
      this._lines.splice(0, dropped);
      this._dropped += dropped;
    }
    const atBottom = this._pre.scrollHeight - this._pre.scrollTop - this._pre.clientHeight < 24;
    if (this._search.value || dropped) {
      this._renderAll();
    } else {
      this._pre.appendChild(document.createTextNode(parts.join('\n') + '\n'));
      this._renderCount();
    }
    if (atBottom) {
      this._pre.scrollTop = this._pre.scrollHeight;
    }
  }

  private _renderAll(): void {
    const q = this._search.value.trim().toLowerCase();
    const shown = q ? this._lines.filter(l => l.toLowerCase().includes(q)) : this._lines;
    this._pre.textContent = shown.length ? shown.join('\n') + '\n' : '';
    this._renderCount(q ? shown.length : null);
  }

  private _renderCount(matches: number | null = null): void {
    const trans = this._trans;
    if (this._error) {
      this._count.textContent = trans.__('Could not read the log: %1', this._error);
      return;
    }
    if (matches !== null) {
      this._count.textContent = trans._n('%1 matching line', '%1 matching lines', matches);
    } else if (!this._lines.length) {
      this._count.textContent = this._running
        ? trans.__('No lines yet; they appear as the task writes them.')
        : trans.__('This log is empty.');
    } else {
      this._count.textContent = trans._n('%1 line', '%1 lines', this._lines.length + this._dropped);
    }
  }

  private _search: HTMLInputElement;
  private _count: HTMLElement;
  private _note: HTMLElement;
  private _pre: HTMLElement;
  private _lines: string[] = [];
  private _partial = '';
  private _dropped = 0;
  private _offset: number | string | null = null;
  private _visible = false;
  private _busy = false;
  private _reads = 0;
  private _error = '';
  private _timer: number | null = null;
  private _disposed = false;
}
