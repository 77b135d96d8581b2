/** KFP-style fragments of the run page: `#/runs/details/<id>`, `#/experiments/details/<id>`. */

export type Route =
  { kind: 'run'; id: string } | { kind: 'experiment'; id: string } | { kind: 'experiments' };

const RUN = /^#\/runs\/details\/([A-Za-z0-9][A-Za-z0-9-]{0,63})\/?$/;
const EXPERIMENT = /^#\/experiments\/details\/([A-Za-z0-9][A-Za-z0-9_-]{0,63})\/?$/;

export function parseFragment(hash: string): Route {
  let m = RUN.exec(hash);
  if (m) {
    return { kind: 'run', id: m[1] };
  }
  m = EXPERIMENT.exec(hash);
  if (m) {
    return { kind: 'experiment', id: m[1] };
  }
  return { kind: 'experiments' };
}

export function runFragment(id: string): string {
  return `#/runs/details/${encodeURIComponent(id)}`;
}

export function experimentFragment(id: string): string {
  return `#/experiments/details/${encodeURIComponent(id)}`;
}

/**
 * The route of a link that points at this server's run page (`<base>/kfsm-lab/ui/#/runs/details/<id>`),
 * whatever host it names; null for any other link.
 */
export function routeOfLink(href: string, baseUrl: string): Route | null {
  let url: URL;
  try {
    url = new URL(href, window.location.href);
  } catch {
    return null;
  }
  const base = new URL(baseUrl, window.location.href).pathname.replace(/\/?$/, '/');
  const path = url.pathname.replace(/\/?$/, '/');
  if (path !== `${base}kfsm-lab/ui/` || !url.hash) {
    return null;
  }
  const route = parseFragment(url.hash);
  return route.kind === 'experiments' ? null : route;
}
