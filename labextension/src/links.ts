import { Route, routeOfLink } from './runpage/router';

/**
 * Clicks on run-page links in notebook output (kfp.Client's "Run details", the kit's run links)
 * open the run page in the Lab's main area instead of a new browser tab. A click with a modifier
 * key (new tab, new window) is left to the browser, which shows the standalone page.
 */
export function interceptRunLinks(baseUrl: string, open: (route: Route) => void): () => void {
  const onClick = (ev: MouseEvent) => {
    if (
      ev.defaultPrevented ||
      ev.button !== 0 ||
      ev.metaKey ||
      ev.ctrlKey ||
      ev.shiftKey ||
      ev.altKey
    ) {
      return;
    }
    const target = ev.target as Element | null;
    const anchor = target?.closest?.('a[href]') as HTMLAnchorElement | null;
    if (
      !anchor ||
      !anchor.closest('.jp-OutputArea-output, .jp-RenderedMarkdown, .jp-RenderedHTMLCommon')
    ) {
      return;
    }
    const route = routeOfLink(anchor.getAttribute('href') ?? '', baseUrl);
    if (!route) {
      return;
    }
    ev.preventDefault();
    ev.stopPropagation();
    open(route);
  };
  document.addEventListener('click', onClick, true);
  return () => document.removeEventListener('click', onClick, true);
}
