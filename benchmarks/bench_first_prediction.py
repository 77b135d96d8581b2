"""Time to first prediction on the local target, against its floor.

Kit: a fresh Python process with a fresh state folder calls the kit's API — start the local cloud,
``setup_all``, ``start_run`` + ``wait``, ``predict`` — until held-out predictions are back.
Floor: a fresh plain Python process loads the same sample, fits k-means with the same
hyperparameters and seed (``kfsm_lab.localcloud.kmeans.fit``), and predicts the same digits
(the validation split to map clusters to digits, the test split to score). Both timings run from
starting the process (so the interpreter's start and the imports count) to the moment the held-out
predictions are back; what the process does after that (the kit stops its cloud; the interpreter
tears down kfp's, boto3's and scikit-learn's modules: ~0.4 s for the kit) is printed apart. The kit's
bytecode is compiled ahead, as an installed package's is. Goal: the kit within 3× of the floor.

    .venv/bin/python benchmarks/bench_first_prediction.py [--profile out.html]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import HEADLINE_PAIRS, Section, installed_bytecode, paired

GOAL_RATIO = 3.0


def _floor() -> dict:
    t0 = time.perf_counter()
    from kfsm_lab.config import load_settings
    from kfsm_lab.data import load_sample
    from kfsm_lab.localcloud import kmeans
    from kfsm_lab.predictions.evaluate import evaluate

    s = load_settings(target="local")
    t_import = time.perf_counter()
    sample = load_sample()
    params = kmeans.parse_hyperparameters({"k": str(s.k), "feature_dim": str(s.feature_dim),
                                           "mini_batch_size": str(s.mini_batch_size), "init_method": s.init_method})
    t_load = time.perf_counter()
    centers = kmeans.fit(sample.train.X, params).centroids
    t_fit = time.perf_counter()
    valid_c, _ = kmeans.assign(sample.valid.X, centers)
    test_c, _ = kmeans.assign(sample.test.X, centers)
    ev = evaluate(valid_c, sample.valid.y, test_c, sample.test.y, s.k)
    t_end = time.perf_counter()
    return {"done_at": time.time(), "import": t_import - t0, "load": t_load - t_import, "fit": t_fit - t_load,
            "predict": t_end - t_fit, "in_process": t_end - t0, "accuracy": ev.accuracy}


def _kit() -> dict:
    t0 = time.perf_counter()
    from kfsm_lab.config import load_settings
    from kfsm_lab.localcloud import ensure_running, stop
    from kfsm_lab.pipeline import start_run
    from kfsm_lab.predictions import predict
    from kfsm_lab.provision import setup_all

    t_import = time.perf_counter()
    try:
        ensure_running(pace=0)
        t_cloud = time.perf_counter()
        settings = setup_all(load_settings(target="local", pace=0)).settings
        t_setup = time.perf_counter()
        handle = start_run(settings)
        handle.wait(timeout=300)
        t_pipe = time.perf_counter()
        if handle.state != "succeeded":
            raise SystemExit(f"run {handle.run_id} ended {handle.state}: {handle.error}")
        report = predict(settings, run_id=handle.run_id)
        t_end = time.perf_counter()
        done_at = time.time()
        steps = {s["name"].removeprefix("sagemaker-"): round((s["end"] or 0) - (s["start"] or 0), 2)
                 for s in handle.to_dict()["steps"]}
    finally:
        t_stop = time.perf_counter()
        stop()
        stopped = time.perf_counter() - t_stop
    return {"done_at": done_at, "stop": stopped, "import": t_import - t0, "cloud_start": t_cloud - t_import,
            "setup": t_setup - t_cloud,
            "pipeline": t_pipe - t_setup, "predict": t_end - t_pipe, "in_process": t_end - t0,
            "accuracy": report.accuracy, "steps": steps, "predict_split": report.seconds}


def _child(mode: str, profile: str | None = None) -> dict:
    """Run one mode in a fresh interpreter and state folder; ``wall``: from its start to its predictions."""
    env = dict(os.environ, KFSM_STATE_DIR=tempfile.mkdtemp(prefix="kfsm-bench-"))
    cmd = [sys.executable, __file__, "--child", mode]
    if profile:
        renderer = "html" if profile.endswith(".html") else "text"
        cmd = [sys.executable, "-m", "pyinstrument", "-r", renderer, "-o", profile, __file__, "--child", mode]
    started = time.time()  # the wall clock both processes share
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    ended = time.time()
    if out.returncode != 0:
        raise RuntimeError(f"{mode} run failed:\n{out.stderr[-3000:]}")
    result = json.loads(out.stdout.strip().splitlines()[-1])
    done_at = result.pop("done_at")
    result["wall"] = done_at - started
    result["after"] = ended - done_at - result.pop("stop", 0.0)  # the process's end, less the cloud's stop
    return result


def run(section: Section | None = None, repeats: int = HEADLINE_PAIRS) -> Section:
    """Kit and floor alternated ``repeats`` times (at least 3); the ratio is the median of the pairs."""
    section = section or Section("Time to first prediction (local target)")
    pair, kits, floors = paired(lambda: _child("kit"), lambda: _child("floor"), pairs=repeats)
    floor = sorted(floors, key=lambda r: r["wall"])[len(floors) // 2]  # the median run of each side, for its split
    kit = sorted(kits, key=lambda r: r["wall"])[len(kits) // 2]
    ratio = pair.median
    section.add("floor: plain process (load, fit, predict)", f"{floor['wall']:.2f} s",
                note=f"import {floor['import']:.2f} s, load {floor['load']:.2f} s, fit {floor['fit']:.2f} s, "
                     f"predict {floor['predict']:.2f} s, accuracy {floor['accuracy']:.3f}")
    section.add("kit: cloud start → setup → pipeline → predict", f"{kit['wall']:.2f} s",
                note=f"import {kit['import']:.2f} s, cloud start {kit['cloud_start']:.2f} s, "
                     f"setup {kit['setup']:.2f} s, "
                     f"pipeline {kit['pipeline']:.2f} s (steps {kit['steps']}), predict {kit['predict']:.2f} s, "
                     f"accuracy {kit['accuracy']:.3f}")
    section.add("kit / floor", f"{ratio:.1f}×", f"≤ {GOAL_RATIO:g}×", ratio <= GOAL_RATIO, note=pair.text())
    core = kit["pipeline"] + kit["predict"]
    section.add("kit's pipeline + predict alone / floor", f"{core / floor['wall']:.1f}×",
                note=f"{core:.2f} s: the part that does what the floor does (train, transform, deploy, predict), "
                     "without the cloud start and the exercise's IAM, bucket and upload steps")
    for label, r in (("floor", floor), ("kit", kit)):
        parts = ", ".join(f"{k} {v:.2f} s" for k, v in r.items()
                          if isinstance(v, float) and k not in ("accuracy", "wall", "in_process", "after"))
        section.note(f"{label}: {parts}; interpreter start {r['wall'] - r['in_process']:.2f} s; after the "
                     f"predictions, the process ended in {r['after']:.2f} s more (not counted)")
    steps = {k: round(v, 2) for k, v in kit["steps"].items()}
    split = {k: round(v, 2) for k, v in kit["predict_split"].items()}
    section.note(f"kit pipeline steps (s): {steps}; predict split (s): {split}")
    if abs(kit["accuracy"] - floor["accuracy"]) > 1e-9:
        section.note(f"accuracy differs: kit {kit['accuracy']:.3f} vs floor {floor['accuracy']:.3f}")
    else:
        section.note(f"same model: both score {kit['accuracy']:.3f} held-out accuracy")
    return section


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--child", choices=("kit", "floor"))
    ap.add_argument("--repeats", type=int, default=HEADLINE_PAIRS,
                    help="paired runs (kit and floor alternated, at least 3)")
    ap.add_argument("--profile", metavar="FILE",
                    help="profile the kit side with pyinstrument into this file (.html, else text)")
    args = ap.parse_args()
    if not args.child:
        print(installed_bytecode(), flush=True)
    if args.child:
        print(json.dumps(_kit() if args.child == "kit" else _floor()))
        return 0
    if args.profile:
        r = _child("kit", args.profile)
        print(f"kit wall {r['wall']:.2f} s; profile in {args.profile}")
        return 0
    run(repeats=args.repeats)
    return 0


if __name__ == "__main__":
    sys.exit(main())
