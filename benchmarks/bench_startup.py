"""Start-up cost: ``import kfsm_lab`` and ``kfsm-lab --help``, each a fresh process, median of several.

Baseline: a bare ``python -c pass`` measured in the same loop (interpreter start). ``import kfsm_lab``
is reported as its process time minus that baseline (what the import adds); ``kfsm-lab --help`` as the
whole command, since that is what a user waits for. Goals: 0.3 s and 0.5 s.

    .venv/bin/python benchmarks/bench_startup.py [--runs 7]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import Section

GOAL_IMPORT_S = 0.3
GOAL_HELP_S = 0.5


def _wall(cmd: list[str]) -> float:
    t = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t


def run(section: Section | None = None, runs: int = 7) -> Section:
    section = section or Section("Start-up")
    cli = str(Path(sys.executable).with_name("kfsm-lab"))
    cases = {"bare": [sys.executable, "-c", "pass"], "import": [sys.executable, "-c", "import kfsm_lab"],
             "help": [cli, "--help"]}
    for cmd in cases.values():
        _wall(cmd)  # warm the file cache
    times: dict[str, list[float]] = {k: [] for k in cases}
    for _ in range(runs):  # interleaved, so load changes hit every case alike
        for key, cmd in cases.items():
            times[key].append(_wall(cmd))
    bare, imp, hlp = (statistics.median(times[k]) for k in ("bare", "import", "help"))
    section.add("python -c pass (baseline)", f"{bare:.3f} s")
    section.add("import kfsm_lab (process − baseline)", f"{imp - bare:.3f} s", f"< {GOAL_IMPORT_S:g} s",
                imp - bare < GOAL_IMPORT_S)
    section.add("kfsm-lab --help (whole command)", f"{hlp:.3f} s", f"< {GOAL_HELP_S:g} s", hlp < GOAL_HELP_S)
    section.note(f"medians of {runs} fresh processes each; kfsm-lab --help is {hlp / bare:.1f}× a bare interpreter")
    return section


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=7)
    run(runs=ap.parse_args().runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
