import json
import subprocess
import sys
import time

import kfsm_lab


def _cli(*args, env=None):
    return subprocess.run([sys.executable, "-m", "kfsm_lab", *args], capture_output=True, text=True, env=env)


def test_version():
    r = _cli("--version")
    assert r.returncode == 0 and kfsm_lab.__version__ in r.stdout


def test_config_show_json(monkeypatch):
    import os

    env = {**os.environ, "KFSM_BUCKET": "my-bucket"}
    r = _cli("config", "show", "--json", env=env)
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert data["bucket"] == "my-bucket" and data["target"] == "local"


def test_bad_value_gives_one_line_error_and_status_1():
    r = _cli("config", "show", "--region", "us-wst-2")
    assert r.returncode == 1
    assert "did you mean 'us-west-2'" in r.stderr
    assert "Traceback" not in r.stderr


def test_import_is_light():
    code = "import sys, time; t=time.perf_counter(); import kfsm_lab; print(time.perf_counter()-t); " \
           "print(sorted(m for m in ('boto3','numpy','kfp','moto','pydantic') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.split("\n")
    assert out[1] == "[]"  # heavy modules stay unimported; timing lives in benchmarks/
    assert time.time() > 0
