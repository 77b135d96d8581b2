"""The notebook panel as a person sees it in JupyterLab: its fields, buttons, status and error box.

Also the measurements a designer makes: WCAG contrast of text against the background actually
behind it (computed from the page's styles), focus rings, and whether an element overflows.
"""

from __future__ import annotations

import json
import re
import urllib.request
from pathlib import Path
from typing import Any

import nbformat
from playwright.sync_api import Locator, Page, expect

from .labpage import LabPage

# Contrast of rgb() colours in the page, with alpha blended over the nearest opaque background.
CONTRAST_JS = """
(el) => {
  const parse = (c) => { const m = c.match(/rgba?\\(([^)]+)\\)/); if (!m) return null;
    const p = m[1].split(',').map(Number); return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1]; };
  const bgOf = (node) => { const layers = [];
    for (let n = node; n; n = n.parentElement) { const c = parse(getComputedStyle(n).backgroundColor);
      if (c && c[3] > 0) { layers.push(c); if (c[3] >= 1) break; } }
    let out = [255, 255, 255];
    for (const c of layers.reverse()) out = out.map((v, i) => v * (1 - c[3]) + c[i] * c[3]);
    return out; };
  const lum = (rgb) => { const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(rgb[0]) + 0.7152 * f(rgb[1]) + 0.0722 * f(rgb[2]); };
  const bg = bgOf(el); const fgc = parse(getComputedStyle(el).color);
  const fg = fgc.slice(0, 3).map((v, i) => v * fgc[3] + bg[i] * (1 - fgc[3]));
  const [a, b] = [lum(fg), lum(bg)].sort((x, y) => y - x);
  return { ratio: (a + 0.05) / (b + 0.05), fg: fg.map(Math.round), bg: bg.map(Math.round) };
}
"""


def write_notebook(root: Path, name: str, cells: list[str]) -> None:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, root / name)


def shut_kernels(server: dict[str, Any], suffix: str) -> None:
    """Shut down the kernels of notebooks ending in ``suffix`` (their panels must not outlive a test)."""
    api = f"{server['base']}/api/sessions"
    headers = {"Authorization": f"token {server['token']}"}
    with urllib.request.urlopen(urllib.request.Request(api, headers=headers), timeout=10) as r:  # noqa: S310
        sessions = json.load(r)
    for session in sessions:
        if session.get("path", "").endswith(suffix):
            req = urllib.request.Request(f"{api}/{session['id']}", headers=headers, method="DELETE")  # noqa: S310
            urllib.request.urlopen(req, timeout=10).close()  # noqa: S310


class Panel:
    """The kfsm panel in the visible notebook (ipywidgets 8 DOM plus the panel's own views)."""

    def __init__(self, lab: LabPage) -> None:
        self.lab = lab
        self.page: Page = lab.page
        self.root = self.page.locator(".jp-NotebookPanel:visible .kfsm-panel").first

    def field(self, label: str) -> Locator:
        return self.root.get_by_label(label, exact=True)

    def button(self, label: str) -> Locator:
        return self.root.locator("button.jupyter-button", has_text=re.compile(rf"^\s*{re.escape(label)}\s*$"))

    @property
    def status(self) -> Locator:
        return self.root.locator(".kfsm-status")

    @property
    def error(self) -> Locator:
        return self.root.locator(".kfsm-error")

    @property
    def steps(self) -> Locator:
        return self.root.locator(".kfsm-steps li")

    def figures(self) -> Locator:
        return self.root.locator(".kfsm-figure img")

    def wait_status(self, pattern: str | re.Pattern[str], timeout: int = 90_000) -> str:
        expect(self.status).to_have_text(pattern if isinstance(pattern, re.Pattern) else re.compile(pattern),
                                         timeout=timeout)
        return self.status.inner_text()

    def contrast(self, locator: Locator) -> dict[str, Any]:
        return locator.evaluate(CONTRAST_JS)

    def overflows(self) -> list[str]:
        """Elements of the panel that stick out past its right edge."""
        return self.root.evaluate("""(root) => { const r = root.getBoundingClientRect(); const out = [];
            for (const el of root.querySelectorAll('*')) { const b = el.getBoundingClientRect();
              if (b.width && b.right > r.right + 1) out.push(el.className || el.tagName); }
            return out.slice(0, 10); }""")


def set_theme(lab: LabPage, name: str) -> None:
    """Switch JupyterLab's theme through Settings → Theme, as a person would."""
    page = lab.page
    page.locator(".lm-MenuBar-item", has_text="Settings").click()
    page.locator(".lm-Menu-item", has_text=re.compile(r"^Theme$")).hover()
    page.locator(".lm-Menu-item", has_text=re.compile(rf"^{re.escape(name)}$")).click()
    dark = "Dark" in name
    expect(lab.page.locator("body")).to_have_attribute("data-jp-theme-light", "false" if dark else "true",
                                                       timeout=20_000)
