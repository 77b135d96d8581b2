"""Every command a hint names works exactly as printed.

Bad-input and missing-step scenarios are played with the real CLI in a state folder of their own
(each with its own local cloud, stopped at the end); every ```kfsm-lab …``` in what the CLI and the
doctor print is collected, and each is then run as printed, in the situation it was printed for.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

COMMAND = re.compile(r"`(kfsm-lab [^`]+)`")


class Cli:
    def __init__(self, state: Path, work: Path) -> None:
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("KFSM_", "AWS_"))}
        self.env.update(KFSM_STATE_DIR=str(state), KFSM_LANG="en")
        self.work = work
        self.hints: list[tuple[str, str]] = []  # (scenario, command)

    def __call__(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "kfsm_lab", *args], capture_output=True, text=True,
                              env=self.env, cwd=self.work, timeout=timeout)

    def collect(self, scenario: str, done: subprocess.CompletedProcess) -> list[str]:
        found = COMMAND.findall(done.stdout + done.stderr)
        self.hints += [(scenario, c) for c in found]
        return found

    def works(self, command: str) -> subprocess.CompletedProcess:
        args = shlex.split(command)
        assert args[0] == "kfsm-lab"
        done = self(*args[1:])
        assert "Usage:" not in done.stderr and "No such command" not in done.stderr, (command, done.stderr)
        assert done.returncode == 0, f"`{command}` exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
        return done


@pytest.fixture()
def cli(tmp_path):
    c = Cli(tmp_path / "state", tmp_path)
    yield c
    c("local", "stop")


def test_doctor_without_a_cloud_starts_none_and_its_fix_works(cli):
    done = cli("doctor")
    assert done.returncode == 1
    assert done.stdout.count("FAIL") == 1, done.stdout  # one cause, said once
    assert "not running" in done.stdout
    assert cli("local", "status").returncode == 3  # the doctor started no cloud (3: none is running)
    for command in cli.collect("no cloud", done):
        cli.works(command)
    assert cli("local", "status").returncode == 0


def test_doctor_fixes_on_a_fresh_cloud_and_after_a_reset(cli):
    cli.works("kfsm-lab local start")
    fresh = cli("doctor")
    assert fresh.returncode == 1
    commands = cli.collect("fresh cloud", fresh)
    assert commands and all(c.startswith("kfsm-lab setup") for c in commands), commands
    for command in dict.fromkeys(commands):
        cli.works(command)
    assert cli("doctor").returncode == 0, cli("doctor").stdout

    cli.works("kfsm-lab local stop")
    cli.works("kfsm-lab local start")  # a restart keeps everything: the cloud's state persists
    assert cli("doctor").returncode == 0, cli("doctor").stdout
    cli.works("kfsm-lab local reset --yes")
    cli.works("kfsm-lab local start")  # emptied on purpose: the setup is gone
    emptied = cli("doctor")
    assert emptied.returncode == 1 and emptied.stdout.count("FAIL") == 1, emptied.stdout
    assert "reset" in emptied.stdout
    for command in dict.fromkeys(cli.collect("reset", emptied)):
        cli.works(command)
    assert cli("doctor").returncode == 0


def test_usage_and_missing_step_hints_work(cli):
    cli.works("kfsm-lab local start")
    bad_param = cli("run", "-p", "pase=1")
    assert bad_param.returncode == 1 and "did you mean 'pace'" in bad_param.stderr
    predict = cli("predict")  # no pipeline has run
    assert predict.returncode == 1
    which = cli("cleanup")  # deleting needs --run or --all
    assert which.returncode == 1 and "--all" in which.stderr
    for scenario, done in (("bad -p", bad_param), ("predict first", predict), ("cleanup which", which)):
        cli.collect(scenario, done)
    commands = list(dict.fromkeys(c for _, c in cli.hints))
    assert "kfsm-lab notebooks params sagemaker_pipeline" in commands
    assert "kfsm-lab pipeline run --wait" in commands and "kfsm-lab cleanup --all --dry-run" in commands
    cli.works("kfsm-lab setup all")  # the pipeline needs its setup, as the doctor says
    for command in commands:
        cli.works(command)
    # a run exists now: the clean-up hint names it, and that command works too
    which = cli("cleanup")
    named = [c for c in cli.collect("cleanup which, with a run", which) if "--run" in c]
    assert named and "RUN_ID" not in named[0]
    cli.works(named[0])


def test_dry_run_alone_lists_every_run_and_config_shows_what_setup_remembered(cli):
    cli.works("kfsm-lab setup")  # alone, it does everything
    shown = json.loads(cli.works("kfsm-lab config show --json").stdout)
    assert shown["bucket"] and shown["role_arn"] and set(shown["remembered"]) == {"bucket", "role_arn"}
    assert "remembered from setup" in cli.works("kfsm-lab config show").stdout
    listed = json.loads(cli.works("kfsm-lab cleanup --dry-run --json").stdout)
    assert listed["dry_run"] is True


def test_japanese_messages(cli):
    done = cli("--lang", "ja", "cleanup")
    assert done.returncode == 1
    assert done.stderr.startswith("エラー: どの実行をクリーンアップするか") and "対処法:" in done.stderr
    env_done = subprocess.run([sys.executable, "-m", "kfsm_lab", "doctor"], capture_output=True, text=True,
                              env={**cli.env, "KFSM_LANG": "", "LANG": "ja_JP.UTF-8"}, cwd=cli.work)
    assert "不合格" in env_done.stdout and "対処法:" in env_done.stdout


def test_every_option_has_help():
    from click import Group

    from kfsm_lab.cli import COMMANDS, main

    missing = []

    def walk(cmd, path):
        for p in cmd.params:
            if p.param_type_name == "option" and not p.hidden and not p.help:
                missing.append(f"{path} {p.opts[0]}")
        if isinstance(cmd, Group):
            for name in cmd.list_commands(None):
                walk(cmd.get_command(None, name), f"{path} {name}")

    walk(main, "kfsm-lab")
    assert set(COMMANDS) <= set(main.list_commands(None))
    assert missing == [], missing
