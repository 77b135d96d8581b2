"""``python -m kfsm_lab.localkfp.runner RUN_DIR``: execute one submitted run, detached.

The local Kubeflow Pipelines starts one runner per run in its own session, so a run outlives the
notebook kernel and the API request that made it. The runner is the only writer of the run's
``status.json``: the run and each task move PENDING → RUNNING → SUCCEEDED / FAILED / CANCELED with
their times, as a cluster's would.

A flat DAG (the workshop's, and most pipelines) runs here task by task as its dependencies finish —
independent tasks at the same time, as on a cluster — each through :func:`.tasks.execute`, which
uses kfp.local's own executor-input and output handling. A spec with control flow (``dsl.If``,
``ParallelFor``, nested DAGs, exit handlers) is handed to kfp.local's orchestrator as it is: it
runs one task at a time, and its task logs are the runner log.

SIGTERM (a terminated run) stops every running task with SIGTERM — a SageMaker step stops its
job on it — then ends the run CANCELED.
"""

from __future__ import annotations

if __name__ == "__main__":  # a runner's own process: no collection until it has imported what it keeps
    from .. import heap
    from .kfp_runtime import import_without_client

    heap.hold()
    import_without_client()  # never makes a kfp.Client

import concurrent.futures as cf
import json
import os
import shutil
import signal
import sys
import threading
import traceback
import uuid
from pathlib import Path
from typing import Any

from .. import heap
from . import model, secrets, spec, tasks
from .model import RunStatus, TaskStatus
from .spare import TAKEN
from .store import RunFiles
from .zygote import Zygote

MAX_PARALLEL = 4


class Runner:
    def __init__(self, files: RunFiles, sub: model.Submission, plan: spec.Plan,
                 zygote: Zygote | None = None) -> None:
        self.zygote = zygote  # forks the lightweight-component tasks (see .zygote)
        self.files = files
        self.sub = sub
        self.plan = plan
        self.lock = threading.RLock()
        self.status = files.status()  # PENDING, as the API wrote it
        self.status.pid = os.getpid()
        self.processes: dict[str, tasks.TaskProcess] = {}
        self.cancelled = threading.Event()
        self.log = open(files.runner_log, "a", buffering=1, encoding="utf-8")

    # -- bookkeeping --------------------------------------------------------------------------
    def say(self, text: str) -> None:
        import time

        self.log.write(f"{time.strftime('%H:%M:%S')} {text}\n")

    def save(self) -> None:
        with self.lock:
            self.files.save_status(self.status)

    def task(self, name: str, component: str) -> TaskStatus:
        with self.lock:
            if name not in self.status.tasks:
                dag_task = self.plan.spec.root.dag.tasks.get(name)
                shown = dag_task.task_info.name if dag_task is not None and dag_task.task_info.name else name
                self.status.tasks[name] = TaskStatus(task_id=str(uuid.uuid4()), name=name, display_name=shown,
                                                     component=component, log_file=str(self.files.task_log(name)))
            return self.status.tasks[name]

    def on_sigterm(self, signum: int, frame: Any) -> None:
        if self.cancelled.is_set():
            return
        self.cancelled.set()
        with self.lock:
            self.status.move(model.CANCELING, "terminated by request")
            procs = list(self.processes.values())
        self.save()
        self.say("terminate requested: stopping the running tasks")
        for proc in procs:
            threading.Thread(target=proc.stop, daemon=True).start()

    # -- the run ------------------------------------------------------------------------------
    def run(self) -> int:
        from kfp import local

        signal.signal(signal.SIGTERM, self.on_sigterm)
        # kfp.local's own settings, read by its helpers (workspace, pipeline root): the same as its SubprocessRunner.
        # The workspace is the run's own and goes with the run's end: kfp.local's default leaves a /tmp folder a run
        self.files.workspace.mkdir(parents=True, exist_ok=True)
        local.init(runner=local.SubprocessRunner(use_venv=False), pipeline_root=str(self.files.pipeline_root),
                   workspace_root=str(self.files.workspace), raise_on_error=True)
        with self.lock:
            self.status.started_at = model.now()
            self.status.move(model.RUNNING)
            for note in self.plan.ignored:
                self.status.notes.append(f"platform config with no local effect, ignored: {note}")
        self.save()
        self.say(f"run {self.sub.run_id}: pipeline {self.plan.name}, {len(self.plan.spec.root.dag.tasks)} tasks")
        for note in self.status.notes:
            self.say(note)
        try:
            failed = self._run_dag() if self.plan.simple else self._run_with_kfp_local()
        except Exception as exc:  # noqa: BLE001 - a runner bug must still end the run with its reason
            self.say(traceback.format_exc())
            failed = f"the local runner failed: {type(exc).__name__}: {exc}"
        shutil.rmtree(self.files.workspace, ignore_errors=True)  # before the end is written: gone once it is seen
        with self.lock:
            self.status.finished_at = model.now()
            if self.cancelled.is_set():
                self.status.move(model.CANCELED, "terminated by request")
            elif failed:
                self.status.error = failed
                self.status.move(model.FAILED, failed)
            else:
                self.status.move(model.SUCCEEDED)
            state = self.status.state
        self.save()
        self.say(f"run ended {state}" + (f": {failed}" if failed and state == model.FAILED else ""))
        return 0 if state == model.SUCCEEDED else 1

    def _base_env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.pop("KFSM_RUNNER", None)
        return env

    def _run_dag(self) -> str | None:
        """Run a flat DAG, independent tasks at once; returns the failure (None when every task succeeded)."""
        from kfp.local import io
        from kfp.local.orchestrator.orchestrator_utils import OrchestratorUtils

        pspec = self.plan.spec
        dag = pspec.root.dag
        store = io.IOStore()
        arguments = OrchestratorUtils.join_user_inputs_and_defaults(
            dag_arguments=dict(self.sub.parameters), dag_inputs_spec=pspec.root.input_definitions)
        for key, value in arguments.items():
            store.put_parent_input(key, value)
        executors = spec.executors(pspec)
        deps = {name: set(t.dependent_tasks) for name, t in dag.tasks.items()}
        pending = set(dag.tasks)
        succeeded: set[str] = set()
        failure: str | None = None
        running: dict[cf.Future, str] = {}
        with cf.ThreadPoolExecutor(max_workers=MAX_PARALLEL, thread_name_prefix="kfsm-task") as pool:
            while pending or running:
                if failure is None and not self.cancelled.is_set():
                    for name in sorted(n for n in pending if deps[n] <= succeeded):
                        pending.discard(name)
                        task_spec = dag.tasks[name]
                        task_args = OrchestratorUtils.make_task_arguments(task_inputs_spec=task_spec.inputs,
                                                                          io_store=store)
                        running[pool.submit(self._one, name, task_spec, task_args, executors)] = name
                if not running:
                    break
                done, _ = cf.wait(list(running), return_when=cf.FIRST_COMPLETED)
                for fut in done:
                    name = running.pop(fut)
                    ok, outputs, error = fut.result()
                    if ok:
                        succeeded.add(name)
                        for key, value in outputs.items():
                            store.put_task_output(name, key, value)
                    elif failure is None and not self.cancelled.is_set():
                        failure = f"task {name} failed: {error}"
        return failure

    def _one(self, name: str, task_spec: Any, arguments: dict[str, Any],
             executors: dict[str, Any]) -> tuple[bool, dict[str, Any], str | None]:
        """Run one task in this worker thread and record its states."""
        pspec = self.plan.spec
        comp_name = task_spec.component_ref.name
        component = pspec.components[comp_name]
        label = component.executor_label
        st = self.task(name, comp_name)

        def started(pid: int) -> None:
            with self.lock:
                st.pid = pid
            self.save()

        proc = tasks.TaskProcess(on_start=started, zygote=self.zygote)
        with self.lock:
            st.start_time = model.now()
            st.attempts += 1
            st.move(model.RUNNING)
            self.processes[name] = proc
        self.save()
        self.say(f"task {name} started")
        log_path = self.files.task_log(name)
        try:
            if self.cancelled.is_set():
                raise InterruptedError
            executor = executors[label]
            if executor.WhichOneof("spec") == "importer":
                result = self._importer(name, comp_name, component, executor, arguments)
            else:
                env = self._base_env()
                env.update(secrets.env_for(self.plan.secrets.get(label, [])))
                result = tasks.execute(name, task_spec, component, executor, arguments,
                                       pipeline_root=str(self.files.pipeline_root),
                                       pipeline_resource_name=self.plan.name,
                                       run_id=self.sub.run_id, env=env, log_path=log_path, process=proc,
                                       say=lambda text: self._task_note(log_path, text))
        except InterruptedError:
            result = tasks.TaskResult(False, {}, "terminated")
        except secrets.SecretNotFound as exc:
            self._task_note(log_path, str(exc))
            result = tasks.TaskResult(False, {}, f"CreateContainerConfigError: {exc}")
        except Exception as exc:  # noqa: BLE001 - a task that cannot even start fails with the reason
            self._task_note(log_path, traceback.format_exc())
            result = tasks.TaskResult(False, {}, f"{type(exc).__name__}: {exc}")
        with self.lock:
            st.end_time = model.now()
            self.processes.pop(name, None)
            if result.succeeded:
                st.outputs = tasks.outputs_as_json(result.outputs)
                st.move(model.SUCCEEDED)
            elif self.cancelled.is_set():
                st.move(model.CANCELED, "terminated by request")
            else:
                st.error = result.error
                st.move(model.FAILED, result.error)
        self.save()
        self.say(f"task {name} ended {st.state} after {st.end_time - (st.start_time or st.end_time):.1f} s"
                 + (f": {st.error}" if st.error else ""))
        return result.succeeded, result.outputs, result.error

    def _task_note(self, log_path: Path, text: str) -> None:
        with open(log_path, "a", encoding="utf-8") as f:
            f.write(f"[kfsm-lab] {text}\n")

    def _importer(self, name: str, comp_name: str, component: Any, executor: Any,
                  arguments: dict[str, Any]) -> tasks.TaskResult:
        from kfp.local import importer_handler, status

        outputs, state = importer_handler.run_importer(
            pipeline_resource_name=self.plan.name, component_name=comp_name, component_spec=component,
            executor_spec=executor, arguments=arguments, pipeline_root=str(self.files.pipeline_root),
            unique_pipeline_id=self.sub.run_id)
        return tasks.TaskResult(state == status.Status.SUCCESS, outputs, None if state == status.Status.SUCCESS
                                else "the importer failed")

    def _run_with_kfp_local(self) -> str | None:
        """Control flow: kfp.local's own orchestrator, one task at a time, states recorded around each task."""
        from kfp import local
        from kfp.local import pipeline_orchestrator, status, task_dispatcher

        original = task_dispatcher.run_single_task_implementation
        env_secrets: dict[str, str] = {}
        for mappings in self.plan.secrets.values():
            env_secrets.update(secrets.env_for(mappings))
        os.environ.update(env_secrets)  # kfp.local passes its own environment to every task
        component_of = spec.task_components(self.plan.spec)
        by_component = {c: t for t, c in component_of.items()}

        def recording(**kwargs: Any) -> Any:
            comp = kwargs["component_name"]
            name = by_component.get(comp, comp.removeprefix("comp-"))
            st = self.task(name, comp)
            with self.lock:
                st.start_time = model.now()
                st.move(model.RUNNING)
            self.save()
            outputs, state = original(**kwargs)
            with self.lock:
                st.end_time = model.now()
                st.move(model.SUCCEEDED if state == status.Status.SUCCESS else model.FAILED)
                if state == status.Status.SUCCESS:
                    st.outputs = tasks.outputs_as_json(outputs)
                else:
                    st.error = "the task failed; see the run log"
            self.save()
            return outputs, state

        task_dispatcher.run_single_task_implementation = recording
        log = open(self.files.runner_log, "a", buffering=1, encoding="utf-8")
        sys.stdout = sys.stderr = log
        try:
            pipeline_orchestrator._run_local_pipeline_implementation(
                pipeline_spec=self.plan.spec, arguments=dict(self.sub.parameters), raise_on_error=True,
                pipeline_root=str(self.files.pipeline_root), runner=local.SubprocessRunner(use_venv=False))
        except RuntimeError as exc:
            failed = [t for t in self.status.tasks.values() if t.state == model.FAILED]
            return f"task {failed[0].name} failed: {exc}" if failed else str(exc)
        finally:
            sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__
            task_dispatcher.run_single_task_implementation = original
        return None


def _spare() -> int:
    """Start everything a run needs, then wait for one on stdin (see :mod:`.spare`)."""
    from kfp import local  # noqa: F401 - what Runner.run, _run_dag and tasks.execute import
    from kfp.local import (  # noqa: F401
        executor_input_utils,
        executor_output_utils,
        io,
        placeholder_utils,
        subprocess_task_handler,
    )
    from kfp.local.orchestrator.orchestrator_utils import OrchestratorUtils  # noqa: F401

    # the first task's pip-prelude check (packaging, importlib.metadata's scan of site-packages) done ahead:
    # it was most of the 81 ms from a run's first execute to its task's start
    tasks.requirements_satisfied(["kfp", "boto3"])

    with Zygote() as zygote:  # forked once kfp and boto3 are imported here: it inherits them
        heap.settle()  # the zygote did (a fork); a Python of its own did not
        line = sys.stdin.readline()
        if not line.strip():
            return 0  # the API is gone (or closed us): no run to do
        req = json.loads(line)
        sys.stdout.buffer.write(TAKEN)  # the API hands the run to a fresh runner unless it reads this
        sys.stdout.flush()
        os.environ.clear()
        os.environ.update(req["env"])
        run_dir = Path(req["run_dir"])
        out = os.open(RunFiles(run_dir.parent.parent, run_dir.name).runner_log,
                      os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        os.dup2(out, 1)
        os.dup2(out, 2)
        os.close(out)
        return _run(run_dir, zygote)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args == ["--spare"]:
        return _spare()
    if len(args) != 1:
        print("usage: python -m kfsm_lab.localkfp.runner RUN_DIR", file=sys.stderr)
        return 2
    run_dir = Path(args[0])
    with Zygote() as zygote:
        heap.settle()
        return _run(run_dir, zygote)


def _run(run_dir: Path, zygote: Zygote) -> int:
    files = RunFiles(run_dir.parent.parent, run_dir.name)
    sub = files.submission()
    if sub is None:
        print(f"no readable run.json in {run_dir}", file=sys.stderr)
        return 2
    try:
        plan = spec.plan(sub.pipeline_spec if not sub.platform_spec else
                         {"pipeline_spec": sub.pipeline_spec, "platform_spec": sub.platform_spec}, sub.parameters)
    except spec.SpecError as exc:
        status = RunStatus(pid=os.getpid(), started_at=model.now(), finished_at=model.now(), error=str(exc))
        status.move(model.FAILED, str(exc))
        files.save_status(status)
        return 1
    return Runner(files, sub, plan, zygote).run()


if __name__ == "__main__":
    sys.exit(main())
