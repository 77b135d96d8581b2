/** Small display helpers shared by the panels. */

/** "3 min", "2 h 5 min", "4 d 1 h" from seconds. */
export function formatAge(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !isFinite(seconds)) {
    return '—';
  }
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) {
    return `${s} s`;
  }
  const m = Math.floor(s / 60);
  if (m < 60) {
    return `${m} min`;
  }
  const h = Math.floor(m / 60);
  if (h < 24) {
    return `${h} h ${m % 60} min`;
  }
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}

/** "$0.23/h" for a known figure, "" for null. */
export function formatHourly(usd: number | null | undefined): string {
  if (usd === null || usd === undefined) {
    return '';
  }
  if (usd === 0) {
    return '$0/h';
  }
  return `$${usd < 1 ? usd.toFixed(3) : usd.toFixed(2)}/h`;
}

/** Seconds since an ISO timestamp (null when absent or unparsable). */
export function secondsSince(iso: string | null | undefined): number | null {
  if (!iso) {
    return null;
  }
  const t = Date.parse(iso);
  return isNaN(t) ? null : (Date.now() - t) / 1000;
}

/** Create an element with a class and optional text. */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className?: string,
  text?: string
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) {
    node.className = className;
  }
  if (text !== undefined) {
    node.textContent = text;
  }
  return node;
}
