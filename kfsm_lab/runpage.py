"""``kl.open_run(run_id)``: a link to the run page, which JupyterLab opens in its main area.

The link points at this Jupyter server's run page (``KF_PIPELINES_UI_ENDPOINT``, which the server
extension sets for its kernels on the local target): in the Lab a click opens the run page as a
tab; anywhere else the same link shows the standalone page.
"""

from __future__ import annotations

import html
import os
from dataclasses import dataclass

UI_ENV = "KF_PIPELINES_UI_ENDPOINT"
DEFAULT_UI = "/kfsm-lab/ui"


def run_page_url(run_id: str, ui: str | None = None) -> str:
    """``<ui>/#/runs/details/<run_id>`` (the fragment Kubeflow's own UI uses)."""
    base = (ui or os.environ.get(UI_ENV) or DEFAULT_UI).rstrip("/")
    return f"{base}/#/runs/details/{run_id}"


@dataclass(frozen=True)
class RunPageLink:
    """Shown in a notebook as a link; printed in a terminal as the URL."""

    run_id: str
    url: str

    def _repr_html_(self) -> str:
        return (f'<a class="kfsm-run-link" href="{html.escape(self.url)}" target="_blank" rel="noopener">'
                f"Run link: {html.escape(self.run_id)}</a>")

    def __str__(self) -> str:
        return f"Run link: {self.url}"


def open_run(run_id: str) -> RunPageLink:
    """A link to the run page of ``run_id`` (the kit's run id or the KFP one)."""
    from .names import check_run_id

    return RunPageLink(run_id, run_page_url(check_run_id(run_id)))
