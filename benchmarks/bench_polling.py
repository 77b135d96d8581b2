"""What watching a run costs in SageMaker/CloudWatch calls at the aws target's polling interval.

Method: the local cloud runs paced (``pace`` 20 s per job, so jobs stay active long enough
to be watched several times) and counts every request it serves by operation and by the access key
that signed it (``GET /_kfsm/stats``). The pipeline's steps sign with the pipeline user's key, the
run handle with the local cloud's own key, so the handle's calls are told apart exactly. The handle
of a local run is given the aws target's ``JobReader`` spacings (describe and log-tail intervals, read
from a ``JobReader`` built for an aws target) and is refreshed on the aws target's wait interval (read
from ``RunHandle.wait``), which is what a notebook watching a cluster run does. Calls per minute per
active job = all the handle's calls during the run ÷ Σ over refreshes of (active SageMaker jobs ×
refresh interval): conservative, as the last look at finished jobs counts too. Goal ≤ 12.

    .venv/bin/python benchmarks/bench_polling.py [--pace 20]
"""

from __future__ import annotations

import argparse
import inspect
import re
import sys
import time
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import Section, fresh_state_dir, stop_cloud

GOAL_PER_MIN = 12.0


INTERVALS = ("min_interval", "log_interval")  # JobReader's per-target spacings (log_interval where it has one)


def aws_intervals() -> tuple[float, dict[str, float]]:
    """The handle's wait interval and the JobReader spacings on the aws target, read from the code."""
    from kfsm_lab.pipeline.handle import RunHandle
    from kfsm_lab.pipeline.jobs import JobReader

    src = inspect.getsource(RunHandle.wait)
    m = re.search(r'if self\.target == "local" else ([0-9.]+)\)', src)
    if m is None:
        raise RuntimeError("could not read the aws wait interval from RunHandle.wait; update this benchmark")
    aws_reader = JobReader(SimpleNamespace(target="aws"))  # builds no client until it reads
    return float(m.group(1)), {a: getattr(aws_reader, a) for a in INTERVALS if hasattr(aws_reader, a)}


def run(section: Section | None = None, pace: float = 20.0) -> Section:
    section = section or Section("Polling cost at the aws interval")
    from kfsm_lab.config import load_settings
    from kfsm_lab.localcloud import ensure_running
    from kfsm_lab.localcloud.server import fingerprint
    from kfsm_lab.pipeline import start_run
    from kfsm_lab.pipeline.jobs import FINAL_STATUSES, JobReader
    from kfsm_lab.provision import setup_all

    wait_s, spacing = aws_intervals()
    with fresh_state_dir():
        try:
            info = ensure_running(pace=pace)
            settings = setup_all(load_settings(target="local", pace=pace)).settings
            mine = fingerprint(info.access_key_id)
            handle = start_run(settings)
            reader = JobReader(settings)
            for attr, value in spacing.items():  # the aws target's describe (and log) spacing
                setattr(reader, attr, value)
            handle._jobs = reader
            info.admin("stats/reset", {})
            samples: list[tuple[int, int]] = []  # (active jobs seen by this refresh, handle calls it made)
            t0 = time.monotonic()
            while True:
                before = info.admin("stats")["access_key_fingerprints"].get(mine, 0)
                handle.refresh()
                after = info.admin("stats")["access_key_fingerprints"].get(mine, 0)
                active = sum(1 for s in handle.steps if s.get("job_status") and s["job_status"] not in FINAL_STATUSES)
                samples.append((active, after - before))
                if handle.done or time.monotonic() - t0 > 600:
                    break
                time.sleep(wait_s)
            elapsed = time.monotonic() - t0
            ops = info.admin("stats")["requests"]
        finally:
            stop_cloud()
    total = sum(c for _, c in samples)
    job_minutes = sum(a for a, _ in samples) * wait_s / 60
    rate = total / job_minutes if job_minutes else float("nan")
    section.add("aws intervals: handle wait, " + ", ".join(spacing), " / ".join(
        f"{v:g} s" for v in (wait_s, *spacing.values())))
    section.add("handle calls per minute per active job", f"{rate:.1f}", f"≤ {GOAL_PER_MIN:g}", rate <= GOAL_PER_MIN,
                note=f"{total} calls over {job_minutes:.2f} active job-minutes")
    section.note(f"method: every call the handle made during the run (its last look at finished jobs included) ÷ "
                 f"Σ over refreshes of active SageMaker jobs × {wait_s:g} s; {len(samples)} refreshes in "
                 f"{elapsed:.0f} s at pace {pace:g} s")
    section.note(f"per refresh (active jobs, calls): {samples}")
    section.note("all describe/log calls the cloud served during the run, the handle's and the steps' own polling "
                 "(which polls at the local cadence here, not the pods' aws one): "
                 f"{ {k: v for k, v in ops.items() if k.startswith(('sagemaker.Describe', 'logs.'))} }")
    return section


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pace", type=float, default=20.0)
    run(pace=ap.parse_args().pace)
    return 0


if __name__ == "__main__":
    sys.exit(main())
