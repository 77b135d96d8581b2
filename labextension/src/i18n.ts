import { ITranslator, nullTranslator, TranslationBundle } from '@jupyterlab/translation';

/**
 * The gettext domain of every string this extension shows. The Japanese catalogue ships with the
 * Python package (kfsm_lab/locale/ja_JP/LC_MESSAGES/kfsm_lab.json) and JupyterLab's translation
 * server hands it out whenever the Lab's language is Japanese.
 */
export const DOMAIN = 'kfsm_lab';

export type Trans = TranslationBundle;

let language = 'en';

/** The bundle for this extension's strings (English when no translator is there). */
export function bundle(translator: ITranslator | null | undefined): Trans {
  const t = translator ?? nullTranslator;
  language = t.languageCode || 'en';
  return t.load(DOMAIN);
}

/** The language code of the translator last asked for (dates and numbers follow it). */
export function languageCode(): string {
  return language;
}

/** SageMaker's and KFP's state words, translated once here for every view. */
export function stateLabel(trans: Trans, state: string): string {
  switch (state) {
    case 'pending':
      return trans.__('Pending');
    case 'running':
      return trans.__('Running');
    case 'succeeded':
      return trans.__('Succeeded');
    case 'failed':
      return trans.__('Failed');
    case 'canceling':
      return trans.__('Terminating');
    case 'canceled':
      return trans.__('Terminated');
    case 'skipped':
      return trans.__('Skipped');
    default:
      return state;
  }
}

/** "12 s", "3 min 4 s", "2 h 5 min". */
export function formatDuration(trans: Trans, seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !isFinite(seconds)) {
    return '—';
  }
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) {
    return trans.__('%1 s', s);
  }
  const m = Math.floor(s / 60);
  if (m < 60) {
    return s % 60 ? trans.__('%1 min %2 s', m, s % 60) : trans.__('%1 min', m);
  }
  const h = Math.floor(m / 60);
  if (h < 24) {
    return trans.__('%1 h %2 min', h, m % 60);
  }
  return trans.__('%1 d %2 h', Math.floor(h / 24), h % 24);
}

/** A local date and time in the page's language (the numbers are not words to translate). */
export function formatTime(epochSeconds: number | null | undefined): string {
  if (!epochSeconds) {
    return '—';
  }
  const lang = language === 'en' ? undefined : language;
  return new Date(epochSeconds * 1000).toLocaleString(lang, {
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit'
  });
}

/** The time of day only (for status histories, where the day is the run's). */
export function formatClock(epochSeconds: number | null | undefined): string {
  if (!epochSeconds) {
    return '—';
  }
  const lang = language === 'en' ? undefined : language;
  return new Date(epochSeconds * 1000).toLocaleTimeString(lang, {
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit'
  });
}
