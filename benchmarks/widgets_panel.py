"""How fast the panel reacts: build, per-keystroke validation, progress redraw, figure encoding.

Run: ``python benchmarks/widgets_panel.py``. Prints medians; no cloud needed (a synthetic run snapshot).
Goals: a keystroke's message well under 50 ms; a progress redraw under the 1 s poll interval.
"""

from __future__ import annotations

import statistics
import time


def timed(fn, n: int) -> float:
    samples = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t)
    return statistics.median(samples)


def snapshot() -> dict:
    now = time.time()
    steps = [{"name": "sagemaker-training-job", "state": "succeeded", "start": now - 20, "end": now - 12,
              "job_status": "Completed", "secondary_status": "Completed"},
             {"name": "sagemaker-create-model", "state": "succeeded", "start": now - 12, "end": now - 10},
             {"name": "sagemaker-batch-transformation", "state": "running", "start": now - 10, "end": None,
              "job_status": "InProgress"},
             {"name": "sagemaker-deploy-model", "state": "running", "start": now - 10, "end": None,
              "job_status": "Creating"}]
    return {"run_id": "bench", "target": "local", "state": "running", "created_at": now - 21, "started_at": now - 20,
            "steps": steps, "outputs": {}, "links": {}, "error": None}


def main() -> None:
    t = time.perf_counter()
    from kfsm_lab.config import load_settings
    from kfsm_lab.monitor import progress_figure
    from kfsm_lab.widgets import panel, render

    print(f"import kfsm_lab.widgets + monitor: {time.perf_counter() - t:.3f} s")
    settings = load_settings(target="local")
    print(f"build panel:                       {timed(lambda: panel(settings, watch=False).close(), 5) * 1e3:.1f} ms "
          "(median of 5)")
    p = panel(settings, watch=False)
    print(f"re-read the shared state:          {timed(p.controller.refresh, 50) * 1e3:.2f} ms (one poll)")
    values = iter(["arn:aws:iam::12345:role/x", "arn:aws:iam::123456789012:role/x"] * 1000)
    per_key = timed(lambda: setattr(p.role_arn, "value", next(values)), 200)
    print(f"role ARN keystroke → message:      {per_key * 1e3:.2f} ms")
    buckets = iter(["Bad_Bucket", "good-bucket-1"] * 1000)
    per_key = timed(lambda: setattr(p.bucket, "value", next(buckets)), 200)
    print(f"bucket keystroke → message:        {per_key * 1e3:.2f} ms")
    fig = progress_figure(snapshot())
    print(f"progress figure redraw:            {timed(lambda: progress_figure(snapshot(), fig=fig), 5):.3f} s")
    print(f"figure → PNG display_data:         {timed(lambda: render.figure_output(fig), 5):.3f} s")
    p.close()


if __name__ == "__main__":
    main()
