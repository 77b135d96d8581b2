import { formatDuration, formatTime, Trans } from '../i18n';
import { IHeadline, IRestartNote, IRunView } from './types';

function names(items: Array<{ display_name: string | null; task: string | null }>): string {
  return items.map(i => i.display_name ?? i.task ?? '').join(', ');
}

/** "Now: training job — Training (12 s). Next: create model." and its kin, from the structured headline. */
export function headlineText(trans: Trans, view: IRunView, nowSeconds: number): string {
  const h: IHeadline = view.headline;
  const total = view.finished_at && view.started_at ? view.finished_at - view.started_at : null;
  if (h.failed) {
    const where = h.failed.display_name ?? h.failed.task;
    const reason = h.failed.reason ?? trans.__('no reason was given');
    return where ? trans.__('Failed at %1: %2', where, reason) : trans.__('Failed: %1', reason);
  }
  switch (h.state) {
    case 'succeeded':
      return trans._n(
        'Succeeded in %2: its %1 step is done.',
        'Succeeded in %2: all %1 steps are done.',
        h.total,
        formatDuration(trans, total)
      );
    case 'canceled':
      return trans.__('Terminated after %1 of %2 steps.', h.done, h.total);
    case 'canceling':
      return trans.__('Terminating: stopping the running steps and their SageMaker jobs…');
    case 'skipped':
      return trans.__('Skipped.');
    default:
      break;
  }
  const parts: string[] = [];
  if (h.now.length) {
    const now = h.now
      .map(n => {
        const name = n.display_name ?? n.task ?? '';
        const elapsed = n.start ? formatDuration(trans, nowSeconds - n.start) : '';
        if (n.status && elapsed) {
          return trans.__('%1 — %2 (%3)', name, n.status, elapsed);
        }
        return elapsed ? trans.__('%1 (%2)', name, elapsed) : name;
      })
      .join('; ');
    parts.push(trans.__('Now: %1.', now));
  } else {
    parts.push(trans.__('Waiting to start.'));
  }
  if (h.next.length) {
    parts.push(trans.__('Next: %1.', names(h.next)));
  } else if (h.now.length) {
    parts.push(trans.__('Last step.'));
  }
  return parts.join(' ');
}

/** What to tell about a local cloud that stopped or restarted after this run, and the fix. */
export function restartText(trans: Trans, note: IRestartNote): string {
  if (note.kind === 'stopped') {
    return trans.__(
      'The local cloud is not running, so this run’s model, endpoint and outputs are gone (it keeps them in memory). Start it and set up again (the panel’s Set up button, or `kfsm-lab setup all`), then press Re-run.'
    );
  }
  return trans.__(
    'The local cloud was restarted at %1, after this run was made: its model, endpoint and outputs are gone (it keeps them in memory). Set up again (the panel’s Set up button, or `kfsm-lab setup all`), then press Re-run.',
    formatTime(note.restarted_at)
  );
}
