"""Endpoint invocations through boto3 against a moto-served round trip on the same local cloud.

One-row and 100-row ``invoke_endpoint`` (text/csv) with 1 and 8 concurrent clients (threads, each its
own boto3 client and connection pool) on 127.0.0.1; baseline: ``sts get_caller_identity`` served by
moto in the same process, through the same boto3, HTTP stack and gateway. Every loop is bounded by a
call count and a time budget. Goals: one-row p50 within 2× of the baseline p50 (1 and 8 clients), and
the 100-row p50 of one client too.

    .venv/bin/python benchmarks/bench_endpoint.py [--calls 300] [--seconds 10]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import Section, deploy_endpoint, local_cloud, pct

GOAL_RATIO = 2.0
ROUNDS = 3  # each ratio is the median of this many rounds (baseline and invokes measured in each)


def _load(make_call: Callable[[], Callable[[], object]], clients: int, calls: int, seconds: float
          ) -> tuple[list[float], float]:
    """Latencies (ms) of up to ``calls`` calls per client within ``seconds``; and requests per second."""
    fns = [make_call() for _ in range(clients)]  # each thread its own client, built before the clock starts
    for fn in fns:
        for _ in range(5):
            fn()  # open the connection, warm the path
    lat: list[list[float]] = [[] for _ in range(clients)]
    barrier = threading.Barrier(clients + 1)
    deadline = [0.0]

    def worker(i: int) -> None:
        barrier.wait()
        fn, out = fns[i], lat[i]
        for _ in range(calls):
            if time.perf_counter() >= deadline[0]:
                break
            t = time.perf_counter()
            fn()
            out.append((time.perf_counter() - t) * 1000)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    for th in threads:
        th.start()
    deadline[0] = time.perf_counter() + seconds
    t0 = time.perf_counter()
    barrier.wait()
    for th in threads:
        th.join()
    elapsed = time.perf_counter() - t0
    flat = [x for xs in lat for x in xs]
    return flat, len(flat) / elapsed


def run(section: Section | None = None, calls: int = 150, seconds: float = 4.0) -> Section:
    section = section or Section("Endpoint invocations (boto3, loopback)")
    from kfsm_lab.data import to_csv

    with local_cloud(pace=0) as info:
        endpoint, sample = deploy_endpoint(info)
        one, hundred = to_csv(sample.test.X[:1]), to_csv(sample.test.X[:100])

        def invoke(body: str) -> Callable[[], Callable[[], object]]:
            def make() -> Callable[[], object]:
                smr = info.client("sagemaker-runtime")
                return lambda: smr.invoke_endpoint(EndpointName=endpoint, ContentType="text/csv",
                                                   Accept="application/json", Body=body)["Body"].read()
            return make

        def sts() -> Callable[[], object]:
            client = info.client("sts")
            return client.get_caller_identity

        cases = [("baseline: sts get_caller_identity (moto)", sts), ("invoke_endpoint, 1 row", invoke(one)),
                 ("invoke_endpoint, 100 rows", invoke(hundred))]
        p50s: dict[tuple[str, int], list[float]] = {}
        for rnd in range(ROUNDS):  # rounds alternate the order of the cases, so a change in load hits each
            for clients in (1, 8):
                for label, make in (cases if rnd % 2 == 0 else cases[::-1]):
                    lat, rps = _load(make, clients, calls, seconds)
                    p50 = statistics.median(lat)
                    p50s.setdefault((label, clients), []).append(p50)
                    if rnd == ROUNDS - 1:
                        section.add(f"{label}, {clients} client{'s' if clients > 1 else ''}",
                                    f"p50 {statistics.median(p50s[(label, clients)]):.1f} / p99 "
                                    f"{pct(lat, 99):.1f} ms, {rps:.0f} req/s",
                                    note=f"{len(lat)} calls in the last round; p50 the median of {ROUNDS} rounds")
        for clients in (1, 8):
            base = p50s[(cases[0][0], clients)]
            for label in (cases[1][0], cases[2][0]):
                ratios = sorted(x / b for x, b in zip(p50s[(label, clients)], base, strict=True))
                ratio = statistics.median(ratios)
                is_goal = label == cases[1][0] or clients == 1  # 1 row; and 100 rows from one client (issue 17)
                section.add(f"{label} / baseline p50, {clients} client{'s' if clients > 1 else ''}", f"{ratio:.2f}×",
                            f"≤ {GOAL_RATIO:g}×" if is_goal else "", (ratio <= GOAL_RATIO) if is_goal else None,
                            note=f"median of {ROUNDS} paired rounds (spread {ratios[0]:.2f}–{ratios[-1]:.2f}×)")
    section.note(f"bounded: at most {calls} calls per client and {seconds:g} s per case and round, 127.0.0.1 only; "
                 f"100 rows = {len(hundred.encode()) / 1000:.0f} kB of CSV per request")
    return section


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--calls", type=int, default=150, help="max calls per client per case and round")
    ap.add_argument("--seconds", type=float, default=4.0, help="time budget per case and round")
    args = ap.parse_args()
    run(calls=args.calls, seconds=args.seconds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
