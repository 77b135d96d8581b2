"""``python -m kfsm_lab.localcloud serve``: the detached local cloud process (started by lifecycle)."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from pathlib import Path


def _serve(args: argparse.Namespace) -> int:
    os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")  # before moto is imported
    from ..errors import KfsmError
    from ..state import read_json, write_json
    from .constants import LOG_FILE_NAME
    from .server import LocalCloudServer

    try:
        server = LocalCloudServer(args.host, args.port, pace=args.pace, region=args.region)
    except KfsmError as exc:
        print(f"error: {exc}", file=sys.stderr, flush=True)
        return 2
    from ..localkfp.server import LocalKfpServer

    kfp = LocalKfpServer(server.endpoint_url, args.region, host=args.host).start()  # one lifecycle with the cloud
    state = Path(args.state_file) if args.state_file else None

    def on_term(signum: int, _frame: object) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, on_term)
    if state is not None:
        write_json(state, {
            "pid": os.getpid(), "host": server.host, "port": server.port, "endpoint_url": server.endpoint_url,
            "kfp_endpoint": kfp.endpoint_url,
            "region": args.region, "pace": args.pace, "started_at": time.time(),
            "log_file": str(state.parent / LOG_FILE_NAME), "python": sys.executable,
        }, private=True)
    print(f"local cloud serving on {server.endpoint_url}, Kubeflow Pipelines API on {kfp.endpoint_url} "
          f"(pid {os.getpid()}, pace {args.pace} s)", flush=True)
    from .warmup import start as warm_up

    warm_up(server.endpoint_url)  # read-only, uncounted requests that load moto's S3/IAM paths early
    try:
        server.serve_forever()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        kfp.shutdown()
        server.httpd.server_close()
        if state is not None:
            data = read_json(state)
            if isinstance(data, dict) and data.get("pid") == os.getpid():
                state.unlink(missing_ok=True)
        print("local cloud stopped", flush=True)
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
    args = parser.parse_args(argv)
    return _serve(args)


if __name__ == "__main__":
    sys.exit(main())
