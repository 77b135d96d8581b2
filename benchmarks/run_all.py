"""Run every kfsm_lab benchmark once and write ``benchmarks/RESULTS.md``.

    .venv/bin/python benchmarks/run_all.py [--quick] [--only first,notebook,...] [--profile]

Each benchmark starts from a fresh temporary ``KFSM_STATE_DIR`` and stops the local clouds it starts,
so nothing of yours is touched. Every headline figure is a ratio against a baseline measured in the
same run. About 6–9 minutes on a 2-core machine; ``--quick`` shortens the endpoint loops.
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
from _common import Section, machine_facts

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
ORDER = ("first", "notebook", "endpoint", "scaling", "startup", "polling")


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render(facts: dict[str, str], started: str, sections: list[Section], total: float,
           failures: dict[str, str], profile: str | None) -> str:
    lines = ["# kfsm_lab benchmarks", "",
             f"Written by `.venv/bin/python benchmarks/run_all.py` on {started} in {total:.0f} s. "
             "Absolute times on a shared machine are noisy, so each headline figure is a ratio against a "
             "baseline measured in the same run.", "", "## Machine", ""]
    lines += [f"- {k}: {v}" for k, v in facts.items()]
    met = [f for s in sections for f in s.figures if f.met is not None]
    lines += ["", f"## Goals: {sum(f.met for f in met)} of {len(met)} met", "",
              "| figure | value | goal | met |", "|---|---|---|---|"]
    for f in met:
        lines.append(f"| {_md_escape(f.section)}: {_md_escape(f.name.strip())} | {_md_escape(f.value)} | "
                     f"{_md_escape(f.goal)} | {'yes' if f.met else '**no**'} |")
    for s in sections:
        lines += ["", f"## {s.title}", "", f"({s.seconds:.0f} s)", "", "| figure | value | goal | met | detail |",
                  "|---|---|---|---|---|"]
        for f in s.figures:
            mark = "" if f.met is None else ("yes" if f.met else "**no**")
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
    ap.add_argument("--quick", action="store_true", help="shorter endpoint loops (100 calls, 4 s per case)")
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
    started = dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    print(f"kfsm_lab benchmarks, {started}: " + ", ".join(f"{k} {v}" for k, v in facts.items()), flush=True)
    calls, seconds = (100, 4.0) if args.quick else (300, 8.0)
    footprint = Section("Footprint (peak memory during kfsm-lab run, start-up)")
    jobs: dict[str, Callable[[], list[Section]]] = {
        "first": lambda: [bench_first_prediction.run(repeats=2)],
        "notebook": lambda: list(bench_notebook_run.run(footprint=footprint)),
        "endpoint": lambda: [bench_endpoint.run(calls=calls, seconds=seconds)],
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
        print(f"\n== {key} ==", flush=True)
        t = time.perf_counter()
        try:
            for s in jobs[key]():
                if s not in sections:
                    sections.append(s)
                s.seconds += time.perf_counter() - t if s is not footprint else 0.0
        except Exception as exc:  # one broken benchmark must not hide the others figures
            traceback.print_exc()
            failures[key] = f"{type(exc).__name__}: {exc}"[:800]
    profile = _profile_kit() if args.profile else None
    total = time.perf_counter() - t_all
    out = Path(args.output)
    out.write_text(render(facts, started, sections, total, failures, profile))
    print(f"\nwrote {out} ({total:.0f} s)", flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
