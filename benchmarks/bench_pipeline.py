"""Local pipeline wall time at instant pace, and kfp.local's per-task overhead.

Goals: the four steps in < 10 s end to end (start_run → run succeeded), and < 0.3 s of kfp
overhead per task (a no-op component through the same SubprocessRunner(use_venv=False) setup).

    .venv/bin/python benchmarks/bench_pipeline.py [--runs 2]
"""

# No `from __future__ import annotations`: kfp reads the no-op component's real annotations.

import argparse
import contextlib
import io
import os
import statistics
import sys
import tempfile
import time


def kfp_overhead(tasks: int = 4) -> float:
    """Seconds per task for a chain of no-op lightweight components (install_kfp_package=False)."""
    from kfp import dsl, local

    @dsl.component(install_kfp_package=False, base_image="python:3.11")
    def noop(x: int) -> int:
        return x + 1

    @dsl.pipeline(name="overhead")
    def chain(x: int = 0) -> int:
        t = noop(x=x)
        for _ in range(tasks - 1):
            t = noop(x=t.output)
        return t.output

    with tempfile.TemporaryDirectory() as root, contextlib.redirect_stdout(io.StringIO()):
        local.init(runner=local.SubprocessRunner(use_venv=False), pipeline_root=root)
        chain()  # warm the imports and the file cache
        t0 = time.perf_counter()
        chain()
        return (time.perf_counter() - t0) / tasks


def pipeline_wall(runs: int) -> "list[dict]":
    from kfsm_lab.config import load_settings
    from kfsm_lab.pipeline import start_run
    from kfsm_lab.provision import setup_all

    t0 = time.perf_counter()
    settings = setup_all(load_settings(target="local", pace=0)).settings
    print(f"setup_all (idempotent): {time.perf_counter() - t0:.2f} s")
    results = []
    for _ in range(runs):
        t0 = time.perf_counter()
        handle = start_run(settings)
        started = time.perf_counter() - t0
        handle.wait(timeout=300)
        wall = time.perf_counter() - t0
        snap = handle.to_dict()
        steps = {s["name"]: (s["end"] or 0) - (s["start"] or 0) for s in snap["steps"]}
        first_start = min(s["start"] for s in snap["steps"] if s["start"])
        last_end = max(s["end"] for s in snap["steps"] if s["end"])
        results.append({"run_id": handle.run_id, "state": handle.state, "wall": wall, "start_call": started,
                        "steps": steps, "startup": first_start - snap["created_at"],
                        "tail": snap["finished_at"] - last_end})
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    os.environ["KFSM_STATE_DIR"] = tempfile.mkdtemp(prefix="kfsm-bench-")  # never the user's cloud or runs

    per_task = kfp_overhead()
    print(f"kfp.local per-task overhead (no-op component): {per_task:.3f} s  (goal < 0.3 s)")

    from kfsm_lab.localcloud import stop

    try:
        results = pipeline_wall(args.runs)
    finally:
        stop()  # the cloud this benchmark started, in its own state folder
    for r in results:
        steps = ", ".join(f"{k.removeprefix('sagemaker-')} {v:.2f}s" for k, v in r["steps"].items())
        print(f"run {r['run_id']}: {r['state']} in {r['wall']:.2f} s (start_run returned in {r['start_call']:.2f} s,"
              f" runner start-up {r['startup']:.2f} s, wind-down {r['tail']:.2f} s); steps: {steps}")
    walls = [r["wall"] for r in results]
    print(f"pipeline wall at instant pace: median {statistics.median(walls):.2f} s over {len(walls)} runs "
          f"(goal < 10 s)")
    return 0 if all(r["state"] == "succeeded" for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
