"""The run page as a person sees it, over a Playwright page (in the Lab or standalone)."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

from playwright.sync_api import Locator, Page

# WCAG 2 contrast of each matched element's text against the first opaque background behind it.
CONTRAST_JS = """
(selectors) => {
  const parse = c => { const m = c.match(/rgba?\\(([^)]+)\\)/); if (!m) return null;
    const p = m[1].split(',').map(x => parseFloat(x));
    return {r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1}; };
  const lum = c => { const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b); };
  const background = el => { for (let n = el; n; n = n.parentElement) {
      const c = parse(getComputedStyle(n).backgroundColor); if (c && c.a > 0.5) return c; }
    return {r: 255, g: 255, b: 255, a: 1}; };
  const out = [];
  for (const sel of selectors) {
    for (const el of document.querySelectorAll(sel)) {
      if (!el.offsetParent && getComputedStyle(el).position !== 'fixed') continue;
      if (!(el.textContent || '').trim()) continue;
      const fg = parse(getComputedStyle(el).color), bg = background(el);
      const [a, b] = [lum(fg), lum(bg)].sort((x, y) => y - x);
      out.push({selector: sel, text: el.textContent.trim().slice(0, 60), ratio: (a + 0.05) / (b + 0.05),
                color: getComputedStyle(el).color, background: `rgb(${bg.r}, ${bg.g}, ${bg.b})`});
    }
  }
  return out;
}
"""


def contrast(page: Page, selectors: list[str]) -> list[dict[str, Any]]:
    return page.evaluate(CONTRAST_JS, selectors)


def put_lab_setting(server: dict[str, Any], plugin: str, values: dict[str, Any]) -> None:
    """Save a user setting of the Lab through its settings API (as the Settings editor does)."""
    url = f"{server['base']}/lab/api/settings/{plugin}"
    req = urllib.request.Request(url, data=json.dumps({"raw": json.dumps(values)}).encode(), method="PUT",  # noqa: S310
                                 headers={"Authorization": f"token {server['token']}",
                                          "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:  # noqa: S310
        assert r.status == 204, r.status


class RunPageView:
    """Locators of one run page."""

    def __init__(self, page: Page, scope: str = ".kfsm-lab-runpage") -> None:
        self.page = page
        self.root = page.locator(f"{scope}:visible").first

    @property
    def headline(self) -> Locator:
        return self.root.locator(".kfsm-lab-headline")

    @property
    def nodes(self) -> Locator:
        return self.root.locator(".kfsm-lab-node")

    def node(self, task: str) -> Locator:
        return self.root.locator(f".kfsm-lab-node[data-task='{task}']")

    def tab(self, label: str) -> Locator:
        return self.root.locator(".kfsm-lab-tab", has_text=label)

    @property
    def log(self) -> Locator:
        return self.root.locator(".kfsm-lab-logview:visible .kfsm-lab-log")

    def button(self, label: str) -> Locator:
        return self.root.locator(".kfsm-lab-actions button", has_text=label)
