"""What watching a run costs in SageMaker/CloudWatch calls at the aws target's polling interval.

Method: the local cloud runs paced (``pace`` 30 s per job, so jobs stay active long enough
to be watched several times) and counts every request it serves by operation and by the access key
that signed it (``GET /_kfsm/stats``). The pipeline's steps sign with the pipeline user's key, the
run handle with the local cloud's own key, so the handle's calls are told apart exactly. The handle
of a local run is given the aws target's ``JobReader`` spacings (describe and log-tail intervals, read
from a ``JobReader`` built for an aws target) and is refreshed on the aws target's wait interval (read
from ``RunHandle.wait``), which is what a notebook watching a cluster run does. Calls per minute per
active job = the handle's calls ÷ (active SageMaker jobs × refresh interval), over the refreshes in the
middle of a job (steady state, what a job of several minutes on AWS costs) and, for reference, over
the whole run including each job's first and last look. Goal ≤ 12.

    .venv/bin/python benchmarks/bench_polling.py [--pace 30]
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


def run(section: Section | None = None, pace: float = 30.0) -> Section:
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
            samples: list[tuple[frozenset, int]] = []  # (active jobs seen by this refresh, handle calls it made)
            t0 = time.monotonic()
            while True:
                before = info.admin("stats")["access_key_fingerprints"].get(mine, 0)
                handle.refresh()
                after = info.admin("stats")["access_key_fingerprints"].get(mine, 0)
                active = frozenset(s["name"] for s in handle.steps
                                   if s.get("job_status") and s["job_status"] not in FINAL_STATUSES)
                samples.append((active, after - before))
                if handle.done or time.monotonic() - t0 > 600:
                    break
                time.sleep(wait_s)
            elapsed = time.monotonic() - t0
            ops = info.admin("stats")["requests"]
        finally:
            stop_cloud()
    total = sum(c for _, c in samples)
    job_minutes = sum(len(a) for a, _ in samples) * wait_s / 60
    overall = total / job_minutes if job_minutes else float("nan")
    # steady state: refreshes in the middle of an active period (same active jobs before, now and after),
    # i.e. what a job that runs for minutes on AWS costs per minute, without its first and last look
    inner = [(a, c) for i, (a, c) in enumerate(samples[1:-1], 1)
             if a and samples[i - 1][0] == a == samples[i + 1][0]]
    inner_minutes = sum(len(a) for a, _ in inner) * wait_s / 60
    steady = sum(c for _, c in inner) / inner_minutes if inner_minutes else float("nan")
    section.add("aws intervals: handle wait, " + ", ".join(spacing), " / ".join(
        f"{v:g} s" for v in (wait_s, *spacing.values())))
    section.add("handle calls per minute per active job (steady state)", f"{steady:.1f}", f"≤ {GOAL_PER_MIN:g}",
                steady <= GOAL_PER_MIN, note=f"{sum(c for _, c in inner)} calls over {inner_minutes:.2f} job-minutes "
                                             f"in {len(inner)} mid-job refreshes")
    section.add("same over the whole run, first and last looks included", f"{overall:.1f}",
                note=f"{total} calls over {job_minutes:.2f} active job-minutes; short paced jobs weigh these looks "
                     "far more than a job of several minutes would")
    section.note(f"method: the handle's calls per refresh (told apart by their signing key) ÷ active SageMaker jobs × "
                 f"{wait_s:g} s per refresh; {len(samples)} refreshes in {elapsed:.0f} s at pace {pace:g} s")
    section.note("per refresh (active steps, calls): " + ", ".join(
        f"({'+'.join(sorted(x.removeprefix('sagemaker-') for x in a)) or '-'}, {c})" for a, c in samples))
    section.note("all describe/log calls the cloud served during the run, the handle's and the steps' own polling "
                 "(which polls at the local cadence here, not the pods' aws one): "
                 f"{ {k: v for k, v in ops.items() if k.startswith(('sagemaker.Describe', 'logs.'))} }")
    return section


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pace", type=float, default=30.0)
    run(pace=ap.parse_args().pace)
    return 0


if __name__ == "__main__":
    sys.exit(main())
