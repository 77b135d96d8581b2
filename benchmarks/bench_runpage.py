"""The run page: time from a task's state change to the page showing it, and load time of a finished run.

A real ``jupyter lab`` with kfsm_lab, the real local cloud at a visible pace, Debian's Chromium on the
standalone run page (the same widgets as in the Lab). A MutationObserver in the page notes when each
node first shows a state or a SageMaker status; the moment of the change is what the services
recorded (KFP task start/end times, SageMaker's SecondaryStatusTransitions). Goal: ≤ 1 s (Kubeflow's
own UI refreshes every 5 s).

Baselines measured in the same run: one ``GET /kfsm-lab/runs/<id>`` (the floor of any way to learn
about a change) and loading a trivial authenticated route in the same browser (the floor of a page load).

    .venv/bin/python benchmarks/bench_runpage.py [--runs 2] [--loads 5]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from _common import ROOT, fresh_state_dir, pct

sys.path.insert(0, str(ROOT / "tests"))

OBSERVER_JS = """
() => {
  window.__seen = {};
  const note = n => {
    const key = n.dataset.task + '|' + n.dataset.state + '|' +
      (n.querySelector('.kfsm-lab-node-status')?.textContent || '').split(' · ')[0];
    if (!(key in window.__seen)) window.__seen[key] = Date.now();
  };
  new MutationObserver(() => document.querySelectorAll('.kfsm-lab-node').forEach(note))
    .observe(document.body, {subtree: true, childList: true, attributes: true, characterData: true});
}
"""


def load_note() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} cores"


def _get_ms(url: str, token: str) -> float:
    req = urllib.request.Request(url, headers={"Authorization": f"token {token}"})  # noqa: S310
    t = time.perf_counter()
    with urllib.request.urlopen(req, timeout=30) as r:  # noqa: S310
        r.read()
    return (time.perf_counter() - t) * 1000


def _changes(run_id: str) -> list[tuple[str, str, float]]:
    """(task, what the node shows, epoch seconds of the change) as the services recorded them."""
    from kfsm_lab.pipeline import attach

    out = []
    for step in attach(run_id).steps:
        name = step["name"]
        if step.get("start"):
            out.append((name, "running", step["start"]))
        if step.get("end") and step["state"] == "succeeded":
            out.append((name, "succeeded", step["end"]))
        for phase in step.get("phases") or []:
            if phase.get("start") and phase.get("status"):
                out.append((name, f"running:{phase['status']}", phase["start"]))
    return out


def latencies(page, server: dict, settings, runs: int) -> list[float]:
    """Milliseconds from each recorded change to the page first showing it."""
    from kfsm_lab.pipeline import start_run

    out: list[float] = []
    for _ in range(runs):
        handle = start_run(settings)
        page.goto(f"{server['base']}/kfsm-lab/ui/#/runs/details/{handle.run_id}")
        page.wait_for_selector(".kfsm-lab-node")
        page.evaluate(OBSERVER_JS)
        handle.wait(timeout=300, interval=0.5)
        page.wait_for_timeout(1500)
        seen: dict[str, int] = page.evaluate("() => window.__seen")
        for task, what, at in _changes(handle.run_id):
            state, _, status = what.partition(":")
            hits = [ms for key, ms in seen.items()
                    if key.startswith(f"{task}|{state}|") and (not status or key.endswith(f"|{status}"))]
            if hits:
                out.append(max(0.0, min(hits) - at * 1000))
    return out


def page_loads(page, server: dict, run_id: str, loads: int) -> tuple[list[float], list[float]]:
    """Milliseconds to a finished run's graph and headline, and to a trivial route, in the same browser."""
    page_ms, floor_ms = [], []
    for _ in range(loads):
        t = time.perf_counter()
        page.goto(f"{server['base']}/kfsm-lab/version")
        floor_ms.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        page.goto(f"{server['base']}/kfsm-lab/ui/#/runs/details/{run_id}")
        page.wait_for_function("() => document.querySelectorAll('.kfsm-lab-node').length >= 4 && "
                               "document.querySelector('.kfsm-lab-headline[data-state=succeeded]')")
        page_ms.append((time.perf_counter() - t) * 1000)
    return page_ms, floor_ms


def run(runs: int = 2, loads: int = 5, pace: float = 1.0) -> dict:
    from browser.conftest import CHROMIUM, LAUNCH_ARGS, run_lab
    from playwright.sync_api import sync_playwright
    from server.runs_fixtures import ready_settings

    from kfsm_lab.localcloud import ensure_running, stop

    with fresh_state_dir():
        info = ensure_running(pace=pace)
        try:
            settings = ready_settings(info.region)
            with tempfile.TemporaryDirectory() as home, run_lab(Path(home), region=info.region) as server, \
                    sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
                page = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
                page.goto(server["url"])  # log in (the token sets the cookie)
                lat = latencies(page, server, settings, runs)
                info.admin("pace", {"pace": 0})
                from kfsm_lab.pipeline import start_run

                done = start_run(settings).wait(timeout=300)
                get_ms = [_get_ms(f"{server['base']}/kfsm-lab/runs/{done.run_id}", server["token"])
                          for _ in range(20)]
                page_ms, floor_ms = page_loads(page, server, done.run_id, loads)
                browser.close()
        finally:
            stop()
    return {
        "changes observed": len(lat),
        "change → page p50 ms": statistics.median(lat),
        "change → page p90 ms": pct(lat, 90),
        "change → page max ms": max(lat),
        "goal ms": 1000,
        "baseline GET /kfsm-lab/runs/<id> p50 ms": statistics.median(get_ms),
        "ratio change→page p50 / GET p50": statistics.median(lat) / statistics.median(get_ms),
        "finished run page load p50 ms": statistics.median(page_ms),
        "baseline trivial route load p50 ms": statistics.median(floor_ms),
        "ratio page load / trivial load": statistics.median(page_ms) / statistics.median(floor_ms),
        "machine": load_note(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--loads", type=int, default=5)
    args = parser.parse_args()
    result = run(args.runs, args.loads)
    width = max(len(k) for k in result)
    for key, value in result.items():
        shown = f"{value:.1f}" if isinstance(value, float) else value
        print(f"{key:<{width}}  {shown}")
    print(json.dumps({"bench_runpage": result}, default=str))


if __name__ == "__main__":
    main()
