"""Run every kfsm_lab benchmark once and write ``benchmarks/RESULTS.md``.

    .venv/bin/python benchmarks/run_all.py [--quick] [--only first,notebook,...] [--profile]

Each benchmark starts from a fresh temporary ``KFSM_STATE_DIR`` and stops the local clouds it starts,
so nothing of yours is touched. Every headline figure is a ratio against a baseline measured in the
same run; the time to first prediction is the median of 3 paired runs (kit and floor alternated),
with the spread. Before each benchmark the 1-minute load is given up to 2 minutes to fall to half
the cores; while it runs, the CPU time of processes outside the benchmark's own tree is measured
(``_common.Others``). A benchmark is marked noisy, and its goals "not judged", when the load
before it still exceeds half the cores or others used more than a quarter of the CPU while it ran
— a busy machine slows the floor too and can make a ratio look better than it is. A fixed piece of
CPU work is also timed at each benchmark's ends and its slowdown against its best printed (the host
can slow this machine without any process of its own being busy); it is not judged (see
``_common.calibrate``). (The load after
a benchmark is recorded but not judged: it is mostly the benchmark's own work.)
About 7–9 minutes on a 2-core machine (with the waits for the load to settle); ``--quick`` shortens the endpoint loops.
``--profile`` adds a pyinstrument profile of the kit's time to first prediction to the results.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_endpoint
import bench_first_prediction
import bench_notebook_run
import bench_polling
import bench_scaling
import bench_startup
import bench_transform
import bench_tuning
from _common import Others, Section, calibrate, installed_bytecode, load1, machine_facts, noisy_load, settle

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
ORDER = ("first", "notebook", "endpoint", "transform", "tuning", "scaling", "startup", "polling")


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _mark(f: object) -> str:
    if not f.has_goal:
        return ""
    if not f.judged:
        return "not judged (noisy)"
    return "yes" if f.met else "**no**"


def render(facts: dict[str, str], started: str, sections: list[Section], total: float,
           failures: dict[str, str], profile: str | None) -> str:
    lines = ["# kfsm_lab benchmarks", "",
             f"Written by `.venv/bin/python benchmarks/run_all.py` on {started} in {total:.0f} s. "
             "Absolute times on a shared machine are noisy, so each headline figure is a ratio against a "
             "baseline measured in the same run.", "", "## Machine", ""]
    lines += [f"- {k}: {v}" for k, v in facts.items()]
    goals = [f for s in sections for f in s.figures if f.has_goal]
    judged = [f for f in goals if f.judged]
    head = f"## Goals: {sum(bool(f.met) for f in judged)} of {len(judged)} judged goals met"
    if len(judged) < len(goals):
        head += f"; {len(goals) - len(judged)} not judged (noisy: the machine was busy)"
    lines += ["", head, "", "| figure | value | goal | met |", "|---|---|---|---|"]
    for f in goals:
        lines.append(f"| {_md_escape(f.section)}: {_md_escape(f.name.strip())} | {_md_escape(f.value)} | "
                     f"{_md_escape(f.goal)} | {_mark(f)} |")
    for s in sections:
        load = ""
        if s.load_before is not None:
            load = f"; load {s.load_before:.2f} → {s.load_after:.2f}"
            if s.others is not None:
                load += f"; others used {s.others:.0%} of the CPU"
            if s.slow is not None:
                load += f"; speed at its ends 1/{s.slow:.2f} of its best (not judged)"
            load += " — **noisy**" if s.noisy else ""
        lines += ["", f"## {s.title}", "", f"({s.seconds:.0f} s{load})", "",
                  "| figure | value | goal | met | detail |", "|---|---|---|---|---|"]
        for f in s.figures:
            mark = _mark(f)
            lines.append(f"| {_md_escape(f.name.strip())} | {_md_escape(f.value)} | {_md_escape(f.goal)} | {mark} | "
                         f"{_md_escape(f.note)} |")
        if s.notes:
            lines.append("")
            lines += [f"- {n}" for n in s.notes]
    if failures:
        lines += ["", "## Benchmarks that failed", ""]
        lines += [f"- **{k}**: `{_md_escape(v)}`" for k, v in failures.items()]
    if profile:
        lines += ["", "## Profile: kit time to first prediction (pyinstrument, client process)", "", "```",
                  profile.rstrip(), "```"]
    return "\n".join(lines) + "\n"


def _profile_kit() -> str:
    out = Path(tempfile.mkdtemp(prefix="kfsm-bench-prof-")) / "kit.txt"
    bench_first_prediction._child("kit", str(out))
    text = out.read_text().splitlines()
    return "\n".join(line for line in text[:120] if "pyinstrument --load-prev" not in line)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="shorter endpoint loops (60 calls, 2 s per case and round)")
    ap.add_argument("--only", default=",".join(ORDER), help=f"comma-separated subset of {','.join(ORDER)}")
    ap.add_argument("--profile", action="store_true", help="append a profile of the kit's first prediction")
    ap.add_argument("--output", default=str(RESULTS), help="where to write the results (default RESULTS.md)")
    args = ap.parse_args()
    chosen = [x.strip() for x in args.only.split(",") if x.strip()]
    unknown = set(chosen) - set(ORDER)
    if unknown:
        ap.error(f"unknown benchmark(s) {sorted(unknown)}; choose from {','.join(ORDER)}")
    os.environ.pop("AWS_PROFILE", None)  # loopback only: nothing here may reach a real account
    facts = machine_facts()
    facts["bytecode"] = installed_bytecode()
    for _ in range(3):
        calibrate()  # the machine's best speed for a fixed piece of work, before any benchmark runs
    started = dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    print(f"kfsm_lab benchmarks, {started}: " + ", ".join(f"{k} {v}" for k, v in facts.items()), flush=True)
    calls, seconds = (60, 2.0) if args.quick else (150, 4.0)  # per case and round (3 rounds)
    footprint = Section("Footprint (peak memory during kfsm-lab run, start-up)")
    jobs: dict[str, Callable[[], list[Section]]] = {
        "first": lambda: [bench_first_prediction.run()],
        "notebook": lambda: list(bench_notebook_run.run(footprint=footprint)),
        "endpoint": lambda: [bench_endpoint.run(calls=calls, seconds=seconds)],
        "transform": lambda: [bench_transform.run()],
        "tuning": lambda: [bench_tuning.run()],
        "scaling": lambda: [bench_scaling.run()],
        "startup": lambda: [bench_startup.run(footprint)],
        "polling": lambda: [bench_polling.run()],
    }
    sections: list[Section] = []
    failures: dict[str, str] = {}
    t_all = time.perf_counter()
    for key in ORDER:
        if key not in chosen:
            continue
        before = settle()  # the last benchmark's own load decays first (up to 2 min)
        print(f"\n== {key} == (load {before:.2f}{', noisy' if noisy_load(before) else ''})", flush=True)
        t = time.perf_counter()
        others = Others().start()
        try:
            done = jobs[key]()
        except Exception as exc:  # one broken benchmark must not hide the others figures
            traceback.print_exc()
            failures[key] = f"{type(exc).__name__}: {exc}"[:800]
            continue
        others.stop()
        after = load1()
        busy = noisy_load(before) or others.noisy
        print(f"   load {before:.2f} → {after:.2f}; {others.text()}" + (" — noisy: goals not judged" if busy else ""),
              flush=True)
        for s in done:
            if s not in sections:
                sections.append(s)
            s.seconds += time.perf_counter() - t if s is not footprint else 0.0
            s.record(before, after, others)
            s.judge()
    profile = _profile_kit() if args.profile else None
    total = time.perf_counter() - t_all
    out = Path(args.output)
    out.write_text(render(facts, started, sections, total, failures, profile))
    print(f"\nwrote {out} ({total:.0f} s)", flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
