/** Small display helpers shared by the panels. */

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
