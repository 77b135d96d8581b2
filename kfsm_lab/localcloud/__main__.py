"""``python -m kfsm_lab.localcloud serve``: the detached local cloud process (started by lifecycle).

With ``--state-file`` (as lifecycle starts it) the process owns that state folder's cloud: it holds
the alive lock, keeps its state there (saved on change and on SIGTERM), and stops itself when no
live lease has needed it for ``KFSM_LOCALCLOUD_IDLE_SECONDS``.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import threading
import time
from pathlib import Path
from typing import IO, Any


def _say(*parts: str) -> None:
    """A line for the log (stdout); a full disk under the log must not take the cloud down."""
    with contextlib.suppress(OSError, ValueError):
        print(*parts, flush=True)


def _hold_alive_lock(path: Path) -> IO[str] | None:
    """Open and lock ``path`` for the life of this process; None when another cloud holds it."""
    import fcntl

    fh = open(path, "a+")
    os.chmod(path, 0o600)
    try:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        fh.close()
        return None
    return fh


def _write_alive(fh: IO[str], data: dict[str, Any]) -> None:
    """The address, inside the lock file itself: its second home (the lock is on the file, so no rename)."""
    import json

    fh.seek(0)
    fh.truncate()
    fh.write(json.dumps(data))
    fh.flush()
    os.fsync(fh.fileno())


def _idle_seconds() -> float:
    from .constants import DEFAULT_IDLE_SECONDS, IDLE_ENV

    raw = os.environ.get(IDLE_ENV, "").strip()
    try:
        value = float(raw) if raw else DEFAULT_IDLE_SECONDS
    except ValueError:
        return DEFAULT_IDLE_SECONDS
    return value if value > 0 else DEFAULT_IDLE_SECONDS


def _busy(server: Any) -> bool:
    """Work still going on that a stop would cut short: a local pipeline run, training or transform jobs."""
    kfp = getattr(server, "kfp", None)
    if kfp is not None and getattr(kfp.app, "_children", None):
        return True  # a local KFP run's runner is still going
    sagemaker = server.app.sagemaker
    busy = getattr(sagemaker, "busy", None)
    with contextlib.suppress(Exception):
        if callable(busy):
            return bool(busy())
        if hasattr(sagemaker, "dump_state"):
            return _under_way(sagemaker.dump_state())
    return False


_UNDER_WAY = {"InProgress", "Stopping", "Creating", "Updating", "SystemUpdating", "Deleting"}


def _under_way(state: Any) -> bool:
    """Any resource in the saved SageMaker state whose own ``status`` (not a history entry) says work goes on."""
    if isinstance(state, dict):
        return any((k == "status" and v in _UNDER_WAY) or _under_way(v) for k, v in state.items())
    if isinstance(state, list):
        return any(_under_way(v) for v in state)
    return False


def _heal_state_file(state: Path, record: dict[str, Any]) -> None:
    """Write the state file again when it was deleted, damaged or replaced (so clients keep finding us)."""
    import json

    from ..state import write_json

    try:
        current = json.loads(state.read_text())
        if isinstance(current, dict) and current.get("pid") == record["pid"]:
            return
    except (OSError, ValueError):
        pass
    with contextlib.suppress(OSError):
        write_json(state, record, private=True, what="the local cloud state file")


def _watch_idle(server: Any, folder: Path, done: threading.Event, idle: float, state: Path | None = None,
                record: dict[str, Any] | None = None) -> None:
    """Stop the cloud once no live lease has needed it, and no client has called, for ``idle`` seconds."""
    from . import leases

    unused_since = time.time()
    period = min(5.0, max(0.2, idle / 4))
    while not done.wait(period):
        if state is not None and record is not None:
            _heal_state_file(state, record)
        try:
            held = leases.live(folder)
        except OSError:
            held = []
        now = time.time()
        if held or _busy(server):
            unused_since = now
            continue
        if now - max(unused_since, server.app.last_request) >= idle:
            _say(f"local cloud: no live lease and no request for {idle:.0f} s; stopping (state saved)")
            done.set()


def _serve(args: argparse.Namespace) -> int:
    from .. import heap

    heap.hold()  # until warm (see kfsm_lab.heap)
    os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")  # before moto is imported
    os.environ.setdefault("MOTO_DISABLE_GLOBAL_CORS", "true")
    import botocore.loaders

    from ..aws import fast_file_loader_class, share_service_listings

    # this process is the cloud's own: moto's loaders (a fresh one per model it reads) read fast too,
    # and list the model folders once
    botocore.loaders.Loader.FILE_LOADER_CLASS = fast_file_loader_class()
    share_service_listings()
    from ..errors import KfsmError
    from ..state import read_json, write_json
    from .constants import ALIVE_FILE_NAME, LOG_FILE_NAME, PERSIST_DIR_NAME
    from .keys import generate, load_or_create
    from .server import LocalCloudServer, check_loopback

    state = Path(args.state_file) if args.state_file else None
    folder = state.parent if state is not None else None
    try:
        host = check_loopback(args.host)
    except KfsmError as exc:
        print(f"error: {exc}", file=sys.stderr, flush=True)
        return 2
    alive = None
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        alive = _hold_alive_lock(folder / ALIVE_FILE_NAME)
        if alive is None:
            print(f"error: another local cloud already serves {folder} (it holds {folder / ALIVE_FILE_NAME}); "
                  "use it, or stop it with `kfsm-lab local stop`", file=sys.stderr, flush=True)
            return 3
    try:
        keys = load_or_create(folder) if folder is not None else generate()
        server = LocalCloudServer(host, args.port, pace=args.pace, region=args.region, keys=keys,
                                  persist_dir=None if folder is None or args.no_persist else folder / PERSIST_DIR_NAME)
    except KfsmError as exc:
        print(f"error: {exc}", file=sys.stderr, flush=True)
        return 2
    done = threading.Event()

    def on_term(signum: int, _frame: object) -> None:
        done.set()

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    from ..localkfp.server import LocalKfpServer

    # The KFP API first: once the cloud answers health, every way of finding it also finds the KFP API.
    kfp = LocalKfpServer(server.endpoint_url, args.region, host=host).start()  # one lifecycle with the cloud
    server.kfp = kfp
    server.app.kfp_endpoint = kfp.endpoint_url
    server.start()  # serves, then gives SageMaker its saved state and starts saving
    record = {"pid": os.getpid(), "host": server.host, "port": server.port, "endpoint_url": server.endpoint_url,
              "kfp_endpoint": kfp.endpoint_url,
              "region": args.region, "pace": args.pace, "started_at": time.time(),
              "log_file": str(folder / LOG_FILE_NAME) if folder else "", "python": sys.executable}
    if alive is not None:
        _write_alive(alive, record)
    if state is not None:
        write_json(state, record, private=True, what="the local cloud state file")
    loaded = server.app.persistence.loaded if server.app.persistence else {}
    _say(f"local cloud serving on {server.endpoint_url}, Kubeflow Pipelines API on {kfp.endpoint_url} "
         f"(pid {os.getpid()}, pace {args.pace} s"
         + (f", state {', '.join(f'{k} {v}' for k, v in loaded.items())}" if loaded else "") + ")")
    from .warmup import start as warm_up

    # read-only, uncounted: loads moto's paths early
    warming = warm_up(server.app.sagemaker.gateway, args.region, server.app.moto_app)
    from ..localkfp.api import pipeline_specs

    # The spare runner first (its own process: ~0.5 s of CPU with its zygote), then, after the warm-up, kfp
    # (what the KFP API reads a submitted run with: not needed to answer), then collect as usual. Started
    # after the warm-up, the spare was still importing when a setup that no longer waits for kfp.Client's
    # imports submitted its run: the run waited 0.15-0.3 s for it, and its zygote's own warm-up ran beside
    # the first steps. A spare started now is ready before setup ends.
    threading.Thread(target=lambda: (kfp.app.start_spare(), warming.join(), pipeline_specs(), heap.settle()),
                     daemon=True, name="kfsm-heap").start()
    if folder is not None:
        threading.Thread(target=_watch_idle, args=(server, folder, done, _idle_seconds(), state, record),
                         daemon=True, name="kfsm-localcloud-idle").start()
    try:
        while not done.wait(1.0):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        kfp.shutdown()
        server.shutdown()  # stops serving, then saves what changed
        if state is not None:
            data = read_json(state)
            if isinstance(data, dict) and data.get("pid") == os.getpid():
                state.unlink(missing_ok=True)
        if alive is not None:
            with contextlib.suppress(OSError):
                alive.seek(0)
                alive.truncate()
            alive.close()
        _say("local cloud stopped")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kfsm_lab.localcloud")
    sub = parser.add_subparsers(dest="cmd", required=True)
    serve = sub.add_parser("serve", help="run the local cloud in the foreground")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=0)
    serve.add_argument("--pace", type=float, default=0.0)
    serve.add_argument("--region", default="us-west-2")
    serve.add_argument("--state-file", default=None)
    serve.add_argument("--no-persist", action="store_true", help="keep nothing in the state folder")
    args = parser.parse_args(argv)
    return _serve(args)


if __name__ == "__main__":
    from ..exiting import exit_now

    exit_now(main())  # the state is saved: no need to tear moto's objects down one by one
