"""``kfsm-lab run``: the local cloud starts beside the kernel, and a cloud that cannot start stops the run."""

import json
import os
import subprocess
import sys


def test_a_cloud_that_cannot_start_ends_the_run_before_any_cell(tmp_path):
    state = tmp_path / "state"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KFSM_", "AWS_"))}
    env.update(KFSM_STATE_DIR=str(state), KFSM_LANG="en", KFSM_PACE="fast")  # read when the cloud starts
    done = subprocess.run([sys.executable, "-m", "kfsm_lab", "run", "--no-progress", "-o", str(tmp_path / "out")],
                          capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
    assert done.returncode == 1, done.stderr
    assert "KFSM_PACE" in done.stderr and "e.g. KFSM_PACE=3" in done.stderr and "Traceback" not in done.stderr
    out = tmp_path / "out" / "sagemaker_pipeline.ipynb"
    if out.exists():  # papermill writes the notebook as it starts: not one cell ran
        cells = json.loads(out.read_text())["cells"]
        assert all(c.get("execution_count") is None for c in cells if c["cell_type"] == "code")
    env.pop("KFSM_PACE")
    status = subprocess.run([sys.executable, "-m", "kfsm_lab", "local", "status"], capture_output=True, text=True,
                            env=env, timeout=60)
    assert status.returncode == 3, status.stdout  # no cloud was left running
    leases = state / "leases"
    assert not leases.exists() or not [p for p in leases.iterdir() if p.suffix == ".json"]  # nor a lease held
