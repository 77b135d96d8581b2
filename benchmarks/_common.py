"""Helpers shared by the benchmarks: private state folder, timing, percentiles, memory, result rows.

Every headline figure is a ratio against a baseline measured in the same run, because absolute
times on a shared 2-core machine move by tens of percent from one minute to the next.
"""

from __future__ import annotations

import os
import platform
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def private_state_dir() -> str:
    """Point KFSM_STATE_DIR at a fresh temp folder (once per process), so no user cloud or run is touched."""
    current = os.environ.get("KFSM_STATE_DIR", "")
    if not current or "kfsm-bench-" not in current:
        os.environ["KFSM_STATE_DIR"] = tempfile.mkdtemp(prefix="kfsm-bench-")
    return os.environ["KFSM_STATE_DIR"]


@contextmanager
def fresh_state_dir() -> Iterator[str]:
    """A new temp KFSM_STATE_DIR for the block (each benchmark starts from nothing), then the old value back."""
    old = os.environ.get("KFSM_STATE_DIR")
    os.environ["KFSM_STATE_DIR"] = tempfile.mkdtemp(prefix="kfsm-bench-")
    try:
        yield os.environ["KFSM_STATE_DIR"]
    finally:
        if old is None:
            os.environ.pop("KFSM_STATE_DIR", None)
        else:
            os.environ["KFSM_STATE_DIR"] = old


def timed(fn: Callable[[], object], n: int) -> list[float]:
    """Milliseconds per call for ``n`` calls."""
    out = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return out


def pct(values: list[float], q: float) -> float:
    """The q-th percentile (1..99) of ``values``."""
    if len(values) < 2:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def proc_kb(pid: int, key: str) -> int | None:
    """A ``/proc/<pid>/status`` field in kB (VmRSS, VmHWM), None when the process is gone."""
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def pss_kb(pid: int) -> int | None:
    """Proportional set size (kB): shared pages split between the processes that share them.

    Right for summing over processes that share pages, such as the tasks a zygote forks (their RSS
    would count the zygote's pages once per task).
    """
    try:
        with open(f"/proc/{pid}/smaps_rollup") as fh:
            for line in fh:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def rss_mb(pid: int) -> float:
    kb = proc_kb(pid, "VmRSS")
    return float("nan") if kb is None else kb / 1024


def peak_above_rest_mb(pid: int, fn: Callable[[], object]) -> float:
    """MB by which ``pid``'s peak RSS during ``fn()`` exceeded its RSS just before (the kernel's own peak,
    reset first through ``/proc/<pid>/clear_refs``); NaN where that reset is refused."""
    before = proc_kb(pid, "VmRSS")
    try:
        with open(f"/proc/{pid}/clear_refs", "w") as fh:
            fh.write("5")  # 5: reset the peak RSS (VmHWM) to the current RSS
    except OSError:
        return float("nan")
    fn()
    peak = proc_kb(pid, "VmHWM")
    return float("nan") if before is None or peak is None else (peak - before) / 1024


class PeakSampler:
    """Samples VmHWM (peak RSS, kept by the kernel) of a set of processes until stopped.

    VmHWM is the kernel's own high-water mark, so sampling every 0.2 s loses nothing but processes
    that start and end between two samples.
    """

    def __init__(self, find: Callable[[], dict[str, int]], every: float = 0.2,
                 group: Callable[[], list[int]] | None = None) -> None:
        self.find = find
        self.every = every
        self.peaks_kb: dict[str, int] = {}
        self.group = group  # processes whose summed PSS is tracked too (its peak over the samples)
        self.group_peak_kb = 0
        self.group_size = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        while not self._stop.is_set():
            for name, pid in self.find().items():
                hwm = proc_kb(pid, "VmHWM")
                if hwm is not None:
                    self.peaks_kb[name] = max(self.peaks_kb.get(name, 0), hwm)
            if self.group is not None:
                pids = self.group()
                total = sum(pss_kb(p) or 0 for p in pids)
                if total > self.group_peak_kb:
                    self.group_peak_kb, self.group_size = total, len(pids)
            self._stop.wait(self.every)

    def __enter__(self) -> PeakSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def peak_mb(self, name: str) -> float:
        return self.peaks_kb.get(name, 0) / 1024


def children_of(pid: int) -> list[int]:
    """All descendants of ``pid`` (from /proc), so the kernel a papermill run starts can be found."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        parents.setdefault(ppid, []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            return fh.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


@contextmanager
def local_cloud(pace: float = 0.0) -> Iterator[object]:
    """A local cloud in a fresh private state folder, stopped on the way out."""
    from kfsm_lab.localcloud import ensure_running, stop

    with fresh_state_dir():
        info = ensure_running(pace=pace)
        try:
            yield info
        finally:
            stop()


def cloud_pid() -> int | None:
    """Pid of the local cloud of the current state folder (from its state file), if any."""
    from kfsm_lab.localcloud.lifecycle import state_file
    from kfsm_lab.state import read_json

    data = read_json(state_file())
    return int(data["pid"]) if isinstance(data, dict) and "pid" in data else None


def stop_cloud() -> None:
    from kfsm_lab.localcloud import stop

    stop()


def installed_bytecode() -> str:
    """Compile the kit's bytecode ahead, as ``pip install`` does for an installed package.

    A checkout installed in editable mode caches its bytecode on first import, unless the environment
    says ``PYTHONDONTWRITEBYTECODE`` (as some CI images do): then every process compiles
    ~22,000 lines again (~0.2 s for the local cloud's imports). Returns what was done, for the facts.
    """
    import compileall

    import kfsm_lab

    folder = Path(kfsm_lab.__file__).parent
    compileall.compile_dir(str(folder), quiet=1)
    why = " (this environment sets PYTHONDONTWRITEBYTECODE)" if os.environ.get("PYTHONDONTWRITEBYTECODE") else ""
    return f"kfsm_lab compiled ahead, as an installed package is{why}"


def machine_facts() -> dict[str, str]:
    load = os.getloadavg()
    return {"cpus": str(os.cpu_count()), "python": sys.version.split()[0],
            "platform": platform.platform(), "load average (1/5/15 min)": " / ".join(f"{x:.2f}" for x in load)}


def load1() -> float:
    """The 1-minute load average."""
    return os.getloadavg()[0]


def noisy_load(load: float, cpus: int | None = None) -> bool:
    """A machine busier than half its cores: absolute times and even ratios stop meaning much."""
    return load > (cpus or os.cpu_count() or 1) / 2


OTHERS_LIMIT = 0.25
"""A benchmark is noisy when processes it did not start used more than this share of the machine's CPU."""


_best_calibration: list[float] = []


def calibrate() -> float:
    """Seconds for a fixed piece of pure-Python work (best of 3), and the best seen in this process.

    A virtual machine's host can slow it down without any process of its own being busy (the
    ``/proc/stat`` steal count did not show it here): a floor that took 0.74 s took 1.22 s in a run
    where others' CPU read 0 %. The same work timed at each benchmark's ends shows that; it is printed,
    not judged: on this machine it moved between 1.0 and 1.5× its best from one idle second to the
    next, so two samples cannot tell a slow benchmark from a momentary dip (the paired, alternated
    ratios are what absorbs a change of speed that hits both sides).
    """
    def work() -> float:
        t0 = time.perf_counter()
        x = 0
        for i in range(1_500_000):
            x += i * i % 7
        return time.perf_counter() - t0

    work()  # the first pass after idle runs slow (clock and caches still cold): not counted
    took = min(work() for _ in range(3))  # ~0.1 s each
    _best_calibration.append(min([*_best_calibration, took]))
    return took


def _best() -> float:
    return min(_best_calibration) if _best_calibration else 0.0


def _system_busy() -> float:
    """CPU seconds the whole machine spent busy since boot (steal included: another VM's work is noise too)."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(x) for x in fields[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def _descendants_cpu() -> dict[tuple[int, str], float]:
    """CPU seconds (own + reaped children) of each live process below this one, by (pid, start time)."""
    me, tick = os.getpid(), os.sysconf("SC_CLK_TCK")
    stats: dict[int, tuple[int, str, float]] = {}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            rest = (proc / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ppid, cpu = int(rest[1]), sum(int(x) for x in rest[11:15]) / tick  # utime stime cutime cstime
        stats[int(proc.name)] = (ppid, rest[19], cpu)
    below: dict[tuple[int, str], float] = {}
    for pid, (ppid, start, cpu) in stats.items():
        seen, p = set(), ppid
        while p in stats and p != me and p not in seen:
            seen.add(p)
            p = stats[p][0]
        if p == me and pid != me:
            below[(pid, start)] = cpu
    return below


def _reap_orphans() -> None:
    """Reap descendants that were handed to us (we are their subreaper), so their CPU counts as ours."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def become_subreaper() -> None:
    """Orphaned descendants (a detached local cloud, its kernels) come to this process, not to init."""
    import ctypes

    try:
        ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        pass


@dataclass
class Others:
    """How much CPU processes outside this benchmark's own tree used while it ran.

    The 1-minute load average after a benchmark mostly measures the benchmark itself (two busy
    cores for 30 s push it past 1), so it cannot tell a busy machine from a busy benchmark. This
    takes the machine's busy CPU time from ``/proc/stat`` over the run and subtracts what this
    process, its descendants (live ones from ``/proc``, ended ones from ``getrusage``) and
    orphans it reaped as their subreaper used; what is left is other people's work.
    """

    started: float = 0.0
    busy0: float = 0.0
    own0: float = 0.0
    live0: dict[tuple[int, str], float] = field(default_factory=dict)
    share: float | None = None  # of the whole machine's CPU, 0..1
    seconds: float = 0.0
    slow: float | None = None  # the calibration work at the slower end ÷ its best in this process
    _calib0: float = 0.0

    @staticmethod
    def _own() -> float:
        import resource

        me = resource.getrusage(resource.RUSAGE_SELF)
        kids = resource.getrusage(resource.RUSAGE_CHILDREN)
        return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime

    def start(self) -> Others:
        become_subreaper()
        self._calib0 = calibrate()
        self.started, self.busy0, self.own0, self.live0 = time.monotonic(), _system_busy(), self._own(), \
            _descendants_cpu()
        return self

    def stop(self) -> Others:
        _reap_orphans()
        live1 = _descendants_cpu()
        own = self._own() - self.own0
        # still alive: what they used during the run; ended during it: getrusage has all their time, so
        # take off what they had used before the run started
        own += sum(cpu - self.live0.get(key, 0.0) for key, cpu in live1.items())
        own -= sum(cpu for key, cpu in self.live0.items() if key not in live1)
        self.seconds = time.monotonic() - self.started
        cpus = os.cpu_count() or 1
        others = max(0.0, (_system_busy() - self.busy0) - own)
        self.share = others / max(self.seconds * cpus, 1e-9)
        self.slow = max(self._calib0, calibrate()) / max(_best(), 1e-9)
        return self

    @property
    def noisy(self) -> bool:
        return self.share is not None and self.share > OTHERS_LIMIT

    def text(self) -> str:
        if self.share is None:
            return ""
        return f"others used {self.share:.0%} of the CPU; speed at its ends 1/{self.slow or 1:.2f} of its best"


def settle(limit_s: float = 120.0) -> float:
    """Wait (up to ``limit_s``) for the 1-minute load to fall to half the cores; the load it reached."""
    deadline = time.monotonic() + limit_s
    while noisy_load(load1()) and time.monotonic() < deadline:
        time.sleep(5)
    return load1()


@dataclass
class Figure:
    """One reported figure: what, the value, the goal and whether it is met (None: no goal, or not judged)."""

    section: str
    name: str
    value: str
    goal: str = ""
    met: bool | None = None
    note: str = ""
    judged: bool = True  # False when the machine was too busy for the goal to mean anything

    @property
    def has_goal(self) -> bool:
        return self.met is not None

    def verdict(self) -> str:
        if self.met is None:
            return ""
        if not self.judged:
            return "not judged (noisy)"
        return "met" if self.met else "MISSED"

    def line(self) -> str:
        return f"  {self.name:<58} {self.value:<22} {self.goal:<18} {self.verdict()}"


@dataclass
class Section:
    title: str
    figures: list[Figure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    load_before: float | None = None  # 1-minute load average when the benchmark started, and ended
    load_after: float | None = None
    others: float | None = None  # share of the machine's CPU that processes outside the benchmark used
    slow: float | None = None  # how much slower than its best the machine ran at the benchmark's ends

    @property
    def noisy(self) -> bool:
        """Busy before it started (load above half the cores), or others' work while it ran (see :class:`Others`).

        The load after it is recorded but not judged: it is mostly the benchmark's own work.
        """
        return (self.load_before is not None and noisy_load(self.load_before)) or \
            (self.others is not None and self.others > OTHERS_LIMIT)

    def record(self, before: float, after: float, others: Others) -> None:
        """Keep the worst of what was seen around it (a section can be filled by more than one benchmark)."""
        self.load_before = before if self.load_before is None else max(self.load_before, before)
        self.load_after = after if self.load_after is None else max(self.load_after, after)
        self.others = others.share if self.others is None else max(self.others, others.share or 0.0)
        self.slow = others.slow if self.slow is None else max(self.slow, others.slow or 0.0)

    def judge(self) -> None:
        """Mark every goal "not judged" when the machine was busy with other work (see :attr:`noisy`)."""
        if self.noisy:
            for f in self.figures:
                f.judged = False

    def add(self, name: str, value: str, goal: str = "", met: bool | None = None, note: str = "") -> Figure:
        fig = Figure(self.title, name, value, goal, met, note)
        self.figures.append(fig)
        print(fig.line(), flush=True)
        return fig

    def note(self, text: str) -> None:
        self.notes.append(text)
        print(f"  · {text}", flush=True)


@contextmanager
def watched(section: Section) -> Iterator[Section]:
    """Record the load before and after a benchmark and others' CPU while it ran; judge its goals by them."""
    before = load1()
    others = Others().start()
    try:
        yield section
    finally:
        others.stop()
        after = load1()
        section.record(before, after, others)
        section.judge()
        section.note(f"1-minute load average {before:.2f} before, {after:.2f} after; {others.text()}"
                     + (" — a busy machine: the goals are not judged" if section.noisy else ""))


@dataclass
class Paired:
    """Kit and floor measured in alternation; the headline is the median of the per-pair ratios."""

    kits: list[float]
    floors: list[float]

    @property
    def ratios(self) -> list[float]:
        return [k / f for k, f in zip(self.kits, self.floors, strict=True)]

    @property
    def median(self) -> float:
        return statistics.median(self.ratios)

    @property
    def spread(self) -> tuple[float, float]:
        return min(self.ratios), max(self.ratios)

    def text(self) -> str:
        lo, hi = self.spread
        kits = ", ".join(f"{k:.2f}" for k in self.kits)
        floors = ", ".join(f"{f:.2f}" for f in self.floors)
        return (f"median of {len(self.ratios)} paired runs {self.median:.2f}× (spread {lo:.2f}–{hi:.2f}×; "
                f"kit {kits} s; floor {floors} s)")


HEADLINE_PAIRS = 5
"""Pairs behind a headline ratio. Three gave medians 2.6-3.3x for the same code on a quiet machine (one run's
pairs spread 2.76-3.72x): a median of five moves less with one slow pair."""


def paired(kit: Callable[[], dict], floor: Callable[[], dict], pairs: int = HEADLINE_PAIRS, key: str = "wall"
           ) -> tuple[Paired, list[dict], list[dict]]:
    """Run floor and kit alternately ``pairs`` times (at least 3), so a change in the machine's load hits both.

    Returns the pairing and every raw result of each side (floor first in each pair).
    """
    pairs = max(3, pairs)
    kits: list[dict] = []
    floors: list[dict] = []
    for i in range(pairs):
        order = (floor, kit) if i % 2 == 0 else (kit, floor)  # alternate which goes first too
        for fn in order:
            (floors if fn is floor else kits).append(fn())
    return Paired([k[key] for k in kits], [f[key] for f in floors]), kits, floors


def deploy_endpoint(info: object, name: str = "bench", rows: int | None = None) -> tuple[str, object]:
    """Train on the bundled sample through the SageMaker API and deploy an endpoint; (endpoint, sample)."""
    import json as _json
    import uuid

    from kfsm_lab.data import S3Layout, load_sample, write_dense_tensor
    from kfsm_lab.images import kmeans_image

    sample = load_sample()
    sm, s3, iam = (info.client(s) for s in ("sagemaker", "s3", "iam"))
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                     "Principal": {"Service": "sagemaker.amazonaws.com"}}]}
    role = iam.create_role(RoleName=f"{name}-role", AssumeRolePolicyDocument=_json.dumps(trust))["Role"]["Arn"]
    lay = S3Layout(f"{name}-" + uuid.uuid4().hex[:8])
    s3.create_bucket(Bucket=lay.bucket, CreateBucketConfiguration={"LocationConstraint": info.region})
    X = sample.train.X if rows is None else sample.train.X[:rows]
    s3.put_object(Bucket=lay.bucket, Key=lay.train_key, Body=write_dense_tensor(X))
    image = kmeans_image(info.region)
    sm.create_training_job(
        TrainingJobName=f"{name}-train", RoleArn=role, HyperParameters={"k": "10", "feature_dim": "784"},
        AlgorithmSpecification={"TrainingImage": image, "TrainingInputMode": "File"},
        InputDataConfig=[{"ChannelName": "train", "DataSource": {"S3DataSource": {
            "S3DataType": "S3Prefix", "S3Uri": lay.dataset_uri}}}],
        OutputDataConfig={"S3OutputPath": lay.model_uri()},
        ResourceConfig={"InstanceCount": 1, "InstanceType": "ml.m5.large", "VolumeSizeInGB": 5},
        StoppingCondition={"MaxRuntimeInSeconds": 600})
    sm.get_waiter("training_job_completed_or_stopped").wait(TrainingJobName=f"{name}-train",
                                                             WaiterConfig={"Delay": 1, "MaxAttempts": 300})
    desc = sm.describe_training_job(TrainingJobName=f"{name}-train")
    sm.create_model(ModelName=f"{name}-model", PrimaryContainer={
        "Image": image, "ModelDataUrl": desc["ModelArtifacts"]["S3ModelArtifacts"]})
    sm.create_endpoint_config(EndpointConfigName=f"{name}-cfg", ProductionVariants=[{
        "VariantName": "v", "ModelName": f"{name}-model", "InitialInstanceCount": 1, "InstanceType": "ml.t2.medium"}])
    sm.create_endpoint(EndpointName=f"{name}-ep", EndpointConfigName=f"{name}-cfg")
    sm.get_waiter("endpoint_in_service").wait(EndpointName=f"{name}-ep", WaiterConfig={"Delay": 1, "MaxAttempts": 300})
    return f"{name}-ep", sample
