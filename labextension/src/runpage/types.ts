/** The run page's data, as GET /kfsm-lab/runs/<id> returns it (kfsm_lab/server/runview.py). */

export interface IResource {
  kind: string;
  name: string;
  status: string | null;
  secondary_status: string | null;
}

export interface IPhase {
  status: string;
  start: number | null;
  end: number | null;
  message: string | null;
}

/** One training job of a tuning step: its objective value, and whether it is the best. */
export interface ITrial {
  name: string;
  status: string | null;
  objective: number | null;
  best: boolean;
}

export interface ITaskView {
  name: string;
  task_id: string | null;
  display_name: string;
  component: string | null;
  state: string;
  start: number | null;
  end: number | null;
  duration: number | null;
  depends_on: string[];
  kind: string | null;
  resource: IResource | null;
  failure_reason: string | null;
  phases: IPhase[];
  metrics: { [name: string]: number };
  trials?: ITrial[];
  inputs: { [name: string]: unknown };
  outputs: { [name: string]: unknown };
  has_own_log: boolean;
  cloudwatch: boolean;
}

export interface IHeadlineTask {
  task: string | null;
  display_name: string | null;
}

export interface IHeadline {
  state: string;
  now: Array<IHeadlineTask & { status: string | null; start: number | null }>;
  next: IHeadlineTask[];
  failed: (IHeadlineTask & { reason: string | null }) | null;
  done: number;
  total: number;
}

export interface IRestartNote {
  kind: 'stopped' | 'restarted';
  restarted_at?: number;
}

export interface IRunView {
  run_id: string;
  kfp_run_id: string | null;
  target: string;
  state: string;
  created_at: number | null;
  started_at: number | null;
  finished_at: number | null;
  error: string | null;
  monitor_error: string | null;
  links: { [label: string]: string };
  outputs: { [name: string]: unknown };
  parameters?: { [name: string]: unknown };
  experiment: { id: string; name: string | null } | null;
  tasks: ITaskView[];
  headline: IHeadline;
  restart: IRestartNote | null;
  server_time: number;
  version: number;
}

/** GET /kfsm-lab/runs/<id>/tasks/<task>/resource. */
export interface IResourceDetail {
  kind: string;
  name: string;
  arn?: string | null;
  status?: string | null;
  secondary_status?: string | null;
  failure_reason?: string | null;
  instance_type?: string | null;
  instance_count?: number | null;
  created?: number | null;
  start?: number | null;
  end?: number | null;
  history: IPhase[];
  hyperparameters?: { [name: string]: string };
  metrics?: { [name: string]: number };
  artifacts?: { [name: string]: string | null };
  image?: string | null;
  role_arn?: string | null;
  endpoint_config?: string | null;
  model?: string | null;
}

export const FINAL_STATES = new Set(['succeeded', 'failed', 'canceled', 'skipped']);
