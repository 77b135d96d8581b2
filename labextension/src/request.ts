import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

/** The JSON error shape of every kfsm_lab route. */
export interface IKfsmErrorBody {
  error: string;
  message: string;
  hint?: string | null;
}

/** A kfsm_lab route answered with an error; carries the server's message and hint. */
export class KfsmApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: IKfsmErrorBody
  ) {
    super(body.message || `HTTP ${status}`);
    this.name = body.error || 'KfsmApiError';
  }

  get hint(): string | null {
    return this.body.hint ?? null;
  }

  /** Message and hint in one line, for notifications and panels. */
  describe(): string {
    return this.hint ? `${this.message} (${this.hint})` : this.message;
  }
}

/**
 * Call a route under `/kfsm-lab/`. Cookies and the XSRF token are handled by ServerConnection.
 * Network failures surface as ServerConnection.NetworkError; HTTP errors as KfsmApiError.
 */
export async function requestAPI<T>(endPoint: string, init: RequestInit = {}): Promise<T> {
  const settings = ServerConnection.makeSettings();
  const url = URLExt.join(settings.baseUrl, 'kfsm-lab', endPoint);
  const response = await ServerConnection.makeRequest(url, init, settings);
  const text = await response.text();
  let data: any = null;
  if (text.length > 0) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!response.ok) {
    const body: IKfsmErrorBody =
      data && typeof data.message === 'string'
        ? data
        : {
            error: 'HTTPError',
            message: `${response.status} ${response.statusText}`.trim(),
            hint: null
          };
    throw new KfsmApiError(response.status, body);
  }
  return data as T;
}

/** A readable one-liner for any error thrown by requestAPI. */
export function describeError(err: unknown): string {
  if (err instanceof KfsmApiError) {
    return err.describe();
  }
  if (err instanceof Error) {
    return err.message;
  }
  return String(err);
}

/** A text reply (a task log) with the kit's X-Kfsm-* headers. */
export interface ITextReply {
  text: string;
  headers: Headers;
}

/** GET a text route under `/kfsm-lab/`; errors as for requestAPI. */
export async function requestText(endPoint: string): Promise<ITextReply> {
  const settings = ServerConnection.makeSettings();
  const url = URLExt.join(settings.baseUrl, 'kfsm-lab', endPoint);
  const response = await ServerConnection.makeRequest(url, {}, settings);
  const text = await response.text();
  if (!response.ok) {
    let body: IKfsmErrorBody;
    try {
      body = JSON.parse(text);
    } catch {
      body = {
        error: 'HTTPError',
        message: `${response.status} ${response.statusText}`,
        hint: null
      };
    }
    throw new KfsmApiError(response.status, body);
  }
  return { text, headers: response.headers };
}

/** The absolute URL of a route (for EventSource, downloads and links); adds the token when there is one. */
export function routeUrl(endPoint: string, withToken = false): string {
  const settings = ServerConnection.makeSettings();
  const url = URLExt.join(settings.baseUrl, 'kfsm-lab', endPoint);
  const token = settings.token;
  if (!withToken || !token) {
    return url;
  }
  return url + (url.includes('?') ? '&' : '?') + 'token=' + encodeURIComponent(token);
}
