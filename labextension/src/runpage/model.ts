import { ISignal, Signal } from '@lumino/signaling';

import { describeError, KfsmApiError, requestAPI, routeUrl } from '../request';
import { FINAL_STATES, IRunView } from './types';

/** How the page hears about changes: server-sent events, or polling where they cannot get through. */
const POLL_MS = { local: 1000, aws: 5000 };

/**
 * One run's view, kept current while the page is visible: an EventSource on
 * /kfsm-lab/runs/<id>/events (the server pushes each change), falling back to short polling
 * when events do not get through. Nothing runs while the page is hidden.
 */
export class RunModel {
  constructor(readonly runId: string) {}

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  get view(): IRunView | null {
    return this._view;
  }

  /** A load error: `status` 404 means the run is unknown. */
  get error(): { status: number; message: string; code: string } | null {
    return this._error;
  }

  /** A later error while following the run (the last good view stays). */
  get liveError(): string | null {
    return this._liveError;
  }

  /** Milliseconds between the server's snapshot and the browser's clock (for live durations). */
  get clockSkew(): number {
    return this._skew;
  }

  async load(): Promise<void> {
    try {
      this._accept(await requestAPI<IRunView>(`runs/${encodeURIComponent(this.runId)}`));
      this._error = null;
    } catch (err) {
      this._error = {
        status: err instanceof KfsmApiError ? err.status : 0,
        code: err instanceof KfsmApiError ? err.body.error : 'NetworkError',
        message: describeError(err)
      };
      this._changed.emit();
    }
  }

  /** Follow the run while `visible`; stop every request while not. */
  setVisible(visible: boolean): void {
    this._visible = visible;
    if (visible) {
      this._start();
    } else {
      this._stop();
    }
  }

  dispose(): void {
    this._stop();
    Signal.clearData(this);
  }

  private _accept(view: IRunView): void {
    if (this._view && view.version < this._view.version && view.run_id === this._view.run_id) {
      return; // an older snapshot arriving late never overwrites a newer one
    }
    this._view = view;
    this._skew = Date.now() - view.server_time * 1000;
    this._liveError = null;
    this._changed.emit();
  }

  /** Start (again) following the run, e.g. after a terminate or a re-run. */
  follow(): void {
    this._sseFailures = 0;
    this._start();
  }

  private _start(): void {
    this._stop();
    if (!this._visible) {
      return;
    }
    if (this._view && FINAL_STATES.has(this._view.state) && this._sseFailures === 0) {
      // A finished run changes no more; one look when shown again is enough.
      void this.load();
      return;
    }
    if (typeof EventSource !== 'undefined' && this._sseFailures < 2) {
      const source = new EventSource(
        routeUrl(`runs/${encodeURIComponent(this.runId)}/events`, true),
        { withCredentials: true }
      );
      source.addEventListener('run', ev => {
        this._sseFailures = 0;
        this._accept(JSON.parse((ev as MessageEvent).data));
        if (this._view && FINAL_STATES.has(this._view.state)) {
          this._stop(); // nothing more will come
        }
      });
      source.addEventListener('failure', ev => {
        const body = JSON.parse((ev as MessageEvent).data);
        this._liveError = body.hint ? `${body.message} (${body.hint})` : body.message;
        this._changed.emit();
      });
      source.onerror = () => {
        if (source.readyState === EventSource.CLOSED) {
          this._sseFailures += 1;
          this._start();
        }
      };
      this._source = source;
      return;
    }
    const interval = this._view?.target === 'aws' ? POLL_MS.aws : POLL_MS.local;
    const tick = async () => {
      await this.load();
      if (this._visible && !(this._view && FINAL_STATES.has(this._view.state))) {
        this._timer = window.setTimeout(tick, interval);
      }
    };
    this._timer = window.setTimeout(tick, 0);
  }

  private _stop(): void {
    this._source?.close();
    this._source = null;
    if (this._timer !== null) {
      window.clearTimeout(this._timer);
      this._timer = null;
    }
  }

  private _view: IRunView | null = null;
  private _error: { status: number; message: string; code: string } | null = null;
  private _liveError: string | null = null;
  private _skew = 0;
  private _visible = false;
  private _source: EventSource | null = null;
  private _timer: number | null = null;
  private _sseFailures = 0;
  private _changed = new Signal<this, void>(this);
}
