"""The zygote forks kfp lightweight-component tasks from a pre-imported Python: same command
semantics as kfp's ``sh -ec`` wrapper (source file, executor arguments, exit status, signals)."""


import json
import os
import signal
import subprocess
import sys
import time

import pytest
from kfp import compiler, dsl

from kfsm_lab.localkfp.tasks import TaskProcess, without_satisfied_pip
from kfsm_lab.localkfp.zygote import Zygote, lightweight_args


@dsl.component(base_image="python:3.11")
def shout(word: str, code: int) -> str:
    import os
    import sys

    print(f"word={word} runtime={os.environ.get('_KFP_RUNTIME')} secret={os.environ.get('KFSM_TEST_VALUE')}")
    if code:
        sys.exit(code)
    return word.upper()


@dsl.component(base_image="python:3.11")
def sleeper() -> None:
    import time

    print("sleeping", flush=True)
    time.sleep(60)


@dsl.component(base_image="python:3.11")
def who() -> str:
    import boto3

    session = boto3.DEFAULT_SESSION
    from_zygote = session is not None
    loaded = from_zygote and any("sagemaker" in map(str, key)
                                 for key in session._session.get_component("data_loader")._cache)
    client = (session or boto3.session.Session()).client("sagemaker", region_name="eu-west-1")
    creds = client._request_signer._credentials
    print(f"from_zygote={from_zygote} loaded={loaded} key={creds.access_key} region={client.meta.region_name}")
    return creds.access_key


def _command(component, tmp_path) -> list[str]:
    @dsl.pipeline(name="z")
    def p():
        component(word="hi", code=0) if component is shout else component()

    path = tmp_path / "p.yaml"
    compiler.Compiler().compile(p, str(path))
    import yaml

    spec = yaml.safe_load(path.read_text())
    container = next(iter(spec["deploymentSpec"]["executors"].values()))["container"]
    command, _ = without_satisfied_pip(container["command"] + container["args"])
    from kfp.local import subprocess_task_handler

    return subprocess_task_handler.replace_python_executable(command, sys.executable)


def _executor_input(tmp_path, word: str, code: int) -> str:
    out = tmp_path / "executor_output.json"
    return json.dumps({"inputs": {"parameterValues": {"word": word, "code": code}},
                       "outputs": {"parameters": {"Output": {"outputFile": str(tmp_path / "Output")}},
                                   "outputFile": str(out)}})


@pytest.fixture(scope="module", params=[False, None], ids=["own-python", "forked-when-single-threaded"])
def zygote(request):
    z = Zygote(fork=request.param)
    yield z
    z.close()


_FORKED_RUNNER = """
import json, os, sys, threading
from kfsm_lab.localkfp.tasks import TaskProcess
from kfsm_lab.localkfp.zygote import Zygote
command = json.loads(sys.argv[1])
z = Zygote()
assert z.forked and threading.active_count() == 2, (z.forked, threading.active_count())  # + its reader
with open(f"/proc/{z.proc.pid}/cmdline", "rb") as f, open("/proc/self/cmdline", "rb") as me:
    assert f.read() == me.read()  # a fork of this process, not a Python of its own
code, tail = TaskProcess(zygote=z).run(command, dict(os.environ), sys.argv[2])
z.close()
print(json.dumps({"code": code, "task": type(z).__name__, "zygote_exit": z.proc.poll()}))
"""


def test_a_single_threaded_runner_forks_its_zygote(tmp_path):
    """As a runner starts it: the zygote is a fork that inherits kfp and boto3, serves, and ends with it."""
    command = [c.replace("{{$}}", _executor_input(tmp_path, "forked", 0)) for c in _command(shout, tmp_path)]
    out = subprocess.run([sys.executable, "-c", _FORKED_RUNNER, json.dumps(command), str(tmp_path / "t.log")],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["code"] == 0 and result["zygote_exit"] == 0, result
    assert "word=forked runtime=true" in (tmp_path / "t.log").read_text()


def test_kfps_wrapper_for_this_python_is_recognised_and_nothing_else(tmp_path):
    command = _command(shout, tmp_path)
    env = dict(os.environ)
    args = lightweight_args(command, env)
    assert args is not None and args[1:3] == ["--executor_input", "{{$}}"]
    other = [command[0], command[1], command[2].replace(sys.executable, "/usr/bin/python3.9"), *command[3:]]
    assert lightweight_args(other, env) is None  # another interpreter: started as it is
    assert lightweight_args(["python3", "-c", "print(1)"], env) is None
    assert lightweight_args(["sh", "-ec", "echo hi", "x"], env) is None


def test_a_forked_task_runs_kfps_executor_with_the_tasks_environment(zygote, tmp_path):
    command = _command(shout, tmp_path)
    command = [c.replace("{{$}}", _executor_input(tmp_path, "hello", 0)) for c in command]
    proc = TaskProcess(zygote=zygote)
    code, tail = proc.run(command, {**os.environ, "KFSM_TEST_VALUE": "s3cr3t-not-printed-elsewhere"},
                          tmp_path / "task.log")
    assert code == 0, tail
    assert type(proc.proc).__name__ == "ForkedTask"  # it did come from the zygote
    assert "word=hello runtime=true secret=s3cr3t-not-printed-elsewhere" in tmp_path.joinpath("task.log").read_text()
    written = json.loads((tmp_path / "executor_output.json").read_text())  # kfp's executor wrote the output
    assert written["parameterValues"]["Output"] == "HELLO"


def test_a_forked_step_makes_boto3_clients_with_its_own_credentials(zygote, tmp_path):
    command = [c.replace("{{$}}", json.dumps({"inputs": {}, "outputs": {"outputFile": str(tmp_path / "o.json")}}))
               for c in _command(who, tmp_path)]
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "AKIASTEPOWNKEY000001", "AWS_SECRET_ACCESS_KEY": "not-a-real-secret",
           "AWS_SHARED_CREDENTIALS_FILE": os.devnull, "AWS_CONFIG_FILE": os.devnull}
    proc = TaskProcess(zygote=zygote)
    code, tail = proc.run(command, env, tmp_path / "who.log")
    assert code == 0, tail
    assert type(proc.proc).__name__ == "ForkedTask"
    line = next(ln for ln in tmp_path.joinpath("who.log").read_text().splitlines() if ln.startswith("from_zygote="))
    fields = dict(part.split("=", 1) for part in line.split())
    # the zygote's warm session looked up no key of its own: the step's environment gives it
    assert fields["from_zygote"] == "True" and fields["key"] == "AKIASTEPOWNKEY000001", line
    assert fields["region"] == "eu-west-1" and fields["loaded"] == "True", line  # its model read in the zygote


def test_a_forked_tasks_exit_status_and_traceback_come_back(zygote, tmp_path):
    command = [c.replace("{{$}}", _executor_input(tmp_path, "x", 3)) for c in _command(shout, tmp_path)]
    code, tail = TaskProcess(zygote=zygote).run(command, dict(os.environ), tmp_path / "task.log")
    assert code == 3
    assert "word=x" in "\n".join(tail)


def test_a_forked_task_stops_on_sigterm_to_its_group(zygote, tmp_path):
    command = [c.replace("{{$}}", json.dumps({"inputs": {}, "outputs": {"outputFile": str(tmp_path / "o.json")}}))
               for c in _command(sleeper, tmp_path)]
    proc = TaskProcess(zygote=zygote)
    import threading

    result: list = []
    t = threading.Thread(target=lambda: result.append(proc.run(command, dict(os.environ), tmp_path / "s.log")))
    t0 = time.monotonic()
    t.start()
    while "sleeping" not in (tmp_path / "s.log").read_text() if (tmp_path / "s.log").exists() else True:
        assert time.monotonic() - t0 < 30
        time.sleep(0.05)
    assert os.getpgid(proc.proc.pid) == proc.proc.pid  # its own process group, as with process_group=0
    proc.stop(grace=5)
    t.join(10)
    assert result and result[0][0] == -signal.SIGTERM
    assert time.monotonic() - t0 < 20


def test_when_the_zygote_is_gone_tasks_start_as_subprocesses(tmp_path):
    z = Zygote()
    z.proc.kill()
    z.proc.wait(5)
    deadline = time.monotonic() + 5
    while z.alive and time.monotonic() < deadline:
        time.sleep(0.05)
    command = [c.replace("{{$}}", _executor_input(tmp_path, "late", 0)) for c in _command(shout, tmp_path)]
    proc = TaskProcess(zygote=z)
    code, tail = proc.run(command, dict(os.environ), tmp_path / "late.log")
    assert code == 0, tail
    assert type(proc.proc).__name__ == "Popen"
    z.close()


def test_a_task_stopped_before_it_starts_never_runs(zygote, tmp_path):
    command = [c.replace("{{$}}", _executor_input(tmp_path, "never", 0)) for c in _command(shout, tmp_path)]
    proc = TaskProcess(zygote=zygote)
    proc.stop()
    code, _ = proc.run(command, dict(os.environ), tmp_path / "never.log")
    assert code == -signal.SIGTERM and proc.proc is None
    assert "word=never" not in tmp_path.joinpath("never.log").read_text()


def test_the_zygote_ends_by_itself_when_its_runner_closes_it():
    z = Zygote()
    z.close()
    # it saw the end of its socket and exited 0; a zygote that did not would have been killed (-9) after 5 s
    assert z.proc.returncode == 0
