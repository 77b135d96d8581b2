/**
 * Panels here are rebuilt from their model on every change (a poll, a refresh, a delete). Rebuilt
 * elements are new elements, so keyboard focus would fall to the page body each time: a keyboard
 * user's place is lost, and a key pressed just after a poll lands nowhere. Every focusable element
 * a rebuild makes carries a `data-focus-key`; the element with the same key gets the focus back once
 * the new tree is in the document (focusing an element that is not yet attached does nothing).
 */
export function rebuildKeepingFocus(root: HTMLElement, build: () => void): void {
  const focused = document.activeElement as HTMLElement | null;
  const key = focused && root.contains(focused) ? focused.dataset.focusKey : undefined;
  root.replaceChildren();
  build();
  if (key) {
    root.querySelector<HTMLElement>(`[data-focus-key="${CSS.escape(key)}"]`)?.focus();
  }
}
