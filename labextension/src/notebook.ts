import { requestAPI } from './request';

/** POST /kfsm-lab/notebooks/open. */
export interface IOpenResult {
  path: string;
  created: boolean;
  language: string;
}

/**
 * Ask the server to copy the bundled main notebook into `folder` (only if it is not there yet)
 * in the JupyterLab language, and return the path to open.
 */
export function ensureNotebook(folder: string, lang: string): Promise<IOpenResult> {
  return requestAPI<IOpenResult>('notebooks/open', {
    method: 'POST',
    body: JSON.stringify({ path: folder, lang })
  });
}
