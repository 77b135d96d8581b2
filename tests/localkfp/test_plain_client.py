"""With only `eval "$(kfsm-lab local env)"`, a plain kfp.Client script (no kit import) runs the compiled
pipeline of `kfsm-lab pipeline compile` (no arguments) and a pipeline of its own, on the local target."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
HERE = Path(__file__).parent


def test_plain_kfp_client_runs_the_compiled_pipeline_and_its_own(tmp_path):
    state = tmp_path / "state"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "KF_PIPELINES"))}
    env.update(KFSM_STATE_DIR=str(state), PATH=f"{Path(sys.executable).parent}:{env['PATH']}")
    script = f"""
set -e
kfsm-lab local start >/dev/null
trap 'kfsm-lab local stop >/dev/null' EXIT
kfsm-lab setup all >/dev/null
eval "$(kfsm-lab local env)"
kfsm-lab pipeline compile
python {HERE / 'plain_client.py'} mnist-classification-pipeline.yaml
"""
    r = subprocess.run(["bash", "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "wrote mnist-classification-pipeline.yaml" in r.stdout
    assert "packaged: SUCCEEDED" in r.stdout and "own: SUCCEEDED" in r.stdout
    # the kit sees the plain client's runs too: the same API, one run path
    kfp_ids = r.stdout.split("run ids:")[1].split()
    check = subprocess.run(["bash", "-c", f"kfsm-lab local start >/dev/null; kfsm-lab pipeline status {kfp_ids[0]};"
                            " kfsm-lab local stop >/dev/null"], cwd=tmp_path, env=env, capture_output=True,
                           text=True, timeout=120)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "succeeded" in check.stdout and "sagemaker-deploy-model" in check.stdout
