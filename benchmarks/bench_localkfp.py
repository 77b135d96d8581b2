"""The local Kubeflow Pipelines API: cost per call, and time from submit to the first task running.

Baselines measured in the same run: a local cloud admin round trip (``/_kfsm/health``, the same
process and HTTP stack, no work) for the per-call cost, and kfp.local run in-process for the time a
whole one-task run takes.

    .venv/bin/python benchmarks/bench_localkfp.py [--calls 200] [--runs 3]
"""

# No `from __future__ import annotations`: kfp reads the component's real annotations.

import argparse
import contextlib
import io
import statistics
import sys
import tempfile
import time
import warnings

from _common import fresh_state_dir, pct, timed


def load_note() -> str:
    import os

    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} cores"


def _noop_pipeline():
    from kfp import dsl

    @dsl.component(base_image="python:3.11")
    def noop(x: int) -> int:
        return x + 1

    @dsl.pipeline(name="noop")
    def one(x: int = 0):
        noop(x=x)

    return one


def per_call(info, calls: int) -> dict:
    import kfp

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        client = kfp.Client(host=info.kfp_endpoint)
    client.create_experiment("bench")
    health = timed(lambda: info.admin("health"), calls)
    healthz = timed(client.get_kfp_healthz, calls)
    listing = timed(lambda: client.list_experiments(page_size=10), calls)
    return {"admin round trip p50 ms": statistics.median(health), "healthz p50 ms": statistics.median(healthz),
            "list experiments p50 ms": statistics.median(listing), "list experiments p99 ms": pct(listing, 99)}


def submit_to_running(info, runs: int) -> "tuple[list[float], list[float]]":
    """Per run: seconds from submitting to its task starting, and to the run ending SUCCEEDED."""
    import kfp

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        client = kfp.Client(host=info.kfp_endpoint)
    pipeline = _noop_pipeline()
    started, ended = [], []
    for _ in range(runs):
        t0 = time.time()
        with contextlib.redirect_stdout(io.StringIO()):
            run = client.create_run_from_pipeline_func(pipeline, arguments={"x": 1}, experiment_name="bench")
        while True:
            r = client.get_run(run.run_id)
            tasks = r.run_details.task_details or []
            if tasks and tasks[0].start_time and tasks[0].start_time.timestamp() > 0 and not started[len(ended):]:
                started.append(tasks[0].start_time.timestamp() - t0)
            if str(r.state) == "SUCCEEDED":
                ended.append(time.time() - t0)
                break
            time.sleep(0.02)
    return started, ended


def kfp_local_wall(runs: int) -> "list[float]":
    """The floor: seconds for kfp.local (in this process) to run the same one-task pipeline."""
    from kfp import local

    pipeline = _noop_pipeline()
    out = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as root, contextlib.redirect_stdout(io.StringIO()), \
                contextlib.redirect_stderr(io.StringIO()):
            local.init(runner=local.SubprocessRunner(use_venv=False), pipeline_root=root)
            t0 = time.time()
            pipeline(x=1)
            out.append(time.time() - t0)
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--calls", type=int, default=200)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    from kfsm_lab.localcloud import ensure_running, stop

    print(load_note())
    with fresh_state_dir():
        info = ensure_running()
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                calls = per_call(info, args.calls)
            starts, ends = submit_to_running(info, args.runs)
        finally:
            stop()
    floor = kfp_local_wall(args.runs)
    for key, value in calls.items():
        print(f"{key:<28} {value:7.2f}")
    ratio = calls["list experiments p50 ms"] / calls["admin round trip p50 ms"]
    print(f"list experiments / admin round trip: {ratio:.2f}x (the API's own work per call)")
    print(f"submit → first task running: median {statistics.median(starts):.2f} s "
          f"(spread {min(starts):.2f}-{max(starts):.2f}, {len(starts)} runs)")
    e, f = statistics.median(ends), statistics.median(floor)
    print(f"one-task run, submit → SUCCEEDED: median {e:.2f} s; kfp.local in-process: median {f:.2f} s; "
          f"ratio {e / f:.2f}x")
    print(load_note())
    return 0


if __name__ == "__main__":
    sys.exit(main())
