"""Worker threads that do the real work: train k-means, bring endpoints up, run batch transforms.

Each phase takes at least its share of the local cloud's pace (so demos show progress) but the
computation itself never waits. Failures become ``Failed`` with a ``FailureReason`` in the
service's style; a worker never takes the server down.
"""

from __future__ import annotations

import hashlib
import io
import os
import struct
import tarfile
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

from ...data.layout import split_s3_uri
from ...data.ndarray import NDArrayFormatError, load_ndarrays, save_ndarrays
from ...images import is_kmeans_image
from .. import kmeans, runtime
from . import tuning
from .channels import JobFailure, object_keys, read_channel
from .resources import LoadedVariant, now
from .workers import FitWorkers, WorkerDied

if TYPE_CHECKING:
    from .models import SageMakerBackend
    from .resources import Endpoint, EndpointConfig, TrainingJob, TransformJob, TuningJob
    from .search import Space

TRAINING_LOG_GROUP = "/aws/sagemaker/TrainingJobs"
TRANSFORM_LOG_GROUP = "/aws/sagemaker/TransformJobs"
ENDPOINT_LOG_GROUP = "/aws/sagemaker/Endpoints"
MODEL_MEMBER = "model_algo-1"

Fit = Callable[..., kmeans.FitResult]
"""How a training fits: ``fit(X, params, on_step=...)`` (k-means here, or in a worker process)."""


class JobStopped(Exception):
    """The user asked the job to stop."""


def _spawn(target, *args: Any) -> None:
    threading.Thread(target=target, args=args, daemon=True, name=f"kfsm-{target.__name__}").start()


MIN_INTERIM_SECONDS = 0.05
"""Even at pace 0 a resource's work is spread over at least this long (its phases share it)."""

UNSEEN_SECONDS = 0.2
"""A resource also stays in its interim state (InProgress, Creating, Updating, Stopping) until a describe has
shown it there, or this long since it began (at a pace of 0.2 s or more its phases last that long anyway):
the first describe after a create sees it interim, as on AWS (where that lasts minutes), on however busy a
machine, while a caller that describes at once (every kit step and boto3's waiters do) sees it end after
MIN_INTERIM_SECONDS and the work's own time."""


class _Phases:
    """Make each phase last at least ``pace / n`` seconds (the whole at least MIN_INTERIM_SECONDS),
    waking early when a stop is requested; the last phase ends only once the resource was ``seen``."""

    def __init__(self, backend: SageMakerBackend, n: int, stop: threading.Event | None = None,
                 job: TrainingJob | TransformJob | None = None, guard: _Guard | None = None,
                 seen: threading.Event | None = None) -> None:
        self.guard = guard
        self.share = max(backend.pace.seconds, MIN_INTERIM_SECONDS) / n
        self.stop = stop
        self.t0 = self.began = time.monotonic()
        self.backend = backend
        self.job = job
        self.seen = seen if seen is not None else job.seen if job is not None else None
        self.calls = 0

    def _spend_share(self) -> None:
        """Sleep what is left of this phase's share (waking for a stop request or the guard's deadline)."""
        seconds = self.share - (time.monotonic() - self.t0)
        if seconds <= 0:
            return
        if self.guard is not None:
            self.guard.wait(seconds)
        elif self.stop is not None:
            self.stop.wait(seconds)
        else:
            time.sleep(seconds)

    def _until_seen(self, since: float, stop: threading.Event | None) -> None:
        """Wait (up to UNSEEN_SECONDS after ``since``, or until ``stop``) for a describe to show the interim state."""
        while self.seen is not None and not self.seen.is_set():
            left = UNSEEN_SECONDS - (time.monotonic() - since)
            if left <= 0 or (stop is not None and stop.is_set()):
                return
            self.seen.wait(min(left, 0.02))  # short waits: a stop request is seen within 20 ms

    def next(self) -> None:
        self._spend_share()
        self.calls += 1
        faults = self.backend.faults
        if self.job is not None and self.calls > 1:  # midway: after the first phase
            reason = faults.job_failure(self.job.name, self.job.created)
            if reason:
                raise JobFailure(reason)  # an injected fault (see ..faults): the job fails midway
        if self.stop is not None and self.stop.is_set():
            raise JobStopped
        if self.guard is not None:
            self.guard.check()
        self.t0 = time.monotonic()

    def last(self) -> None:
        """The last phase's end: once its share is spent and the interim state was seen (or could have been)."""
        self._spend_share()
        self._until_seen(self.began, self.stop)
        self.next()

    def linger(self) -> None:
        """Spend one share of the pace in Stopping, uninterruptibly, until a describe has shown it there."""
        began = time.monotonic()
        if self.share > 0:
            time.sleep(self.share)
        self._until_seen(began, None)  # already stopping: only the describe (or the time) ends this


def model_tarball(centroids: np.ndarray) -> bytes:
    """``model.tar.gz`` with ``model_algo-1`` as SageMaker k-means writes it."""
    payload = save_ndarrays([np.ascontiguousarray(centroids, dtype=np.float32)])
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        info = tarfile.TarInfo(MODEL_MEMBER)
        info.size = len(payload)
        info.mtime = int(time.time())
        tar.addfile(info, io.BytesIO(payload))
    return buf.getvalue()


def centroids_from_tarball(data: bytes) -> np.ndarray:
    """The k × feature_dim centroids inside a k-means ``model.tar.gz``."""
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:*") as tar:
            member = next((m for m in tar.getmembers() if m.isfile() and m.name.lstrip("./") == MODEL_MEMBER),
                          None)
            if member is None:
                raise ValueError(f"the archive has no {MODEL_MEMBER}")
            arrays = load_ndarrays(tar.extractfile(member).read())  # type: ignore[union-attr]
    except (tarfile.TarError, NDArrayFormatError, OSError) as exc:
        raise ValueError(str(exc)) from None
    if not arrays or arrays[0].ndim != 2:
        raise ValueError(f"{MODEL_MEMBER} does not hold a k × feature_dim matrix")
    return arrays[0].astype(np.float32)


# --- training ------------------------------------------------------------------------------------



MAX_RUNTIME_MESSAGE = "Training job runtime exceeded MaxRuntimeInSeconds provided"


class JobTimedOut(Exception):
    """MaxRuntimeInSeconds ran out."""


class _Guard:
    """Interrupts a job's work within a step: a stop request, or MaxRuntimeInSeconds running out."""

    def __init__(self, job: TrainingJob) -> None:
        self.job = job
        try:
            limit = float(job.request.get("StoppingCondition", {}).get("MaxRuntimeInSeconds") or 0)
        except (TypeError, ValueError):
            limit = 0.0
        self.deadline = job.created + limit if limit > 0 else None
        self.epochs: list[float] = []  # the per-epoch progress metric (what early stopping compares)

    def check(self) -> None:
        if self.job.stop_requested.is_set():
            raise JobStopped
        if self.deadline is not None and time.time() >= self.deadline:
            raise JobTimedOut

    def on_step(self, stage: str, step: int, value: float) -> None:
        if stage == "epoch":
            self.epochs.append(value)
            self.job.progress = list(self.epochs)
        self.check()

    def wait(self, seconds: float) -> None:
        """Sleep up to ``seconds``, waking for a stop request or the deadline."""
        if self.deadline is not None:
            seconds = min(seconds, max(0.0, self.deadline - time.time()))
        if seconds > 0:
            self.job.stop_requested.wait(seconds)
        self.check()


def _train(backend: SageMakerBackend, job: TrainingJob, fit: Fit = kmeans.fit) -> None:
    req = job.request
    streams = job.log_streams
    log: list[tuple[float, str]] = []
    others: list[tuple[float, str]] = []  # lines every other host writes too (host name filled in per stream)
    written = [0, 0]

    def say(msg: str, every_host: bool = False) -> None:
        log.append((now(), msg))
        if every_host:
            others.append(log[-1])

    def flush() -> None:
        """Append what was said since the last flush to each host's stream (logs appear as the job runs)."""
        try:
            backend.gateway.log(TRAINING_LOG_GROUP, streams[0], log[written[0]:], backend.region)
            for i, stream in enumerate(streams[1:], 2):
                lines = [(t, m.replace("algo-1", f"algo-{i}")) for t, m in others[written[1]:]]
                backend.gateway.log(TRAINING_LOG_GROUP, stream, lines, backend.region)
        except Exception:  # noqa: BLE001, S110 - logs are best effort; the job's state is what counts
            pass
        written[0], written[1] = len(log), len(others)

    guard = _Guard(job)
    phases = _Phases(backend, 4, job.stop_requested, job, guard)
    try:
        image = req.get("AlgorithmSpecification", {}).get("TrainingImage") or \
            req.get("AlgorithmSpecification", {}).get("AlgorithmName", "")
        phases.next()
        if not is_kmeans_image(image):
            raise JobFailure(f"ClientError: The local cloud runs only the SageMaker built-in k-means algorithm "
                             f"(<account>.dkr.ecr.<region>.amazonaws.com/kmeans:1); image '{image}' cannot run "
                             "here. Use kfsm_lab.images.kmeans_image(region) or the aws target.")
        try:
            params = kmeans.parse_hyperparameters(req.get("HyperParameters"))
        except kmeans.AlgorithmClientError as exc:
            raise JobFailure(str(exc)) from None
        say(f"Reading provided hyperparameters: {req.get('HyperParameters')}", every_host=True)
        if len(streams) > 1:
            say(f"Hosts: {', '.join(s.split('/')[-1].rsplit('-', 1)[0] for s in streams)}; current host: algo-1",
                every_host=True)
        with backend.lock:
            job.started = now()
            job.set_secondary("Downloading", "Downloading input data")
        channels = {c.get("ChannelName"): c for c in req.get("InputDataConfig") or []}
        if "train" not in channels:
            raise JobFailure("ClientError: Channel 'train' is required by the k-means algorithm but the job has "
                             f"channels {sorted(channels)}")
        X = read_channel(backend, channels["train"], req.get("RoleArn"))
        guard.check()
        X_test = read_channel(backend, channels["test"], req.get("RoleArn")) if "test" in channels else None
        say(f"Train channel: {X.shape[0]} records of {X.shape[1]} features"
            + (f"; test channel: {X_test.shape[0]} records" if X_test is not None else ""), every_host=True)
        flush()
        phases.next()
        with backend.lock:
            job.set_secondary("Training", "Training image download completed. Training in progress.")
        t0 = time.perf_counter()
        try:
            if X_test is not None:
                kmeans.check_data(X_test, params, "test")
            result = fit(X, params, on_step=guard.on_step)
        except kmeans.AlgorithmClientError as exc:
            raise JobFailure(str(exc)) from None
        for line in result.log:
            say(line, every_host=line.startswith("#progress_metric"))
        train_msd, _ = kmeans.msd_ssd(X, result.centroids)
        metrics = {"train:msd": train_msd}
        say(f"#quality_metric: host=algo-1, train msd <loss>={train_msd}")
        if X_test is not None:
            test_msd, test_ssd = kmeans.msd_ssd(X_test, result.centroids)
            for m, v in (("msd", test_msd), ("ssd", test_ssd)):
                if m in params.eval_metrics:
                    metrics[f"test:{m}"] = v
                    say(f"#test_score (algo-1) : ('{m}', {v})")
                    say(f"#quality_metric: host=algo-1, test {m} <loss>={v}")
        took = time.perf_counter() - t0
        say(f"#throughput_metric: host=algo-1, train throughput={X.shape[0] * params.epochs / max(took, 1e-9):.1f} "
            "records/second")
        say(f"Training took {took:.3f} s over {result.batches} mini-batch(es)")
        flush()
        phases.next()
        with backend.lock:
            job.set_secondary("Uploading", "Uploading generated training model")
        bucket, key = split_s3_uri(job.artifact_uri)
        try:
            backend.gateway.put(bucket, key, model_tarball(result.centroids), backend.region)
        except Exception as exc:  # noqa: BLE001
            raise JobFailure(f"ClientError: Could not upload the model to {job.artifact_uri}: {exc}") from None
        say(f"Model saved to {job.artifact_uri} ({params.k} x {params.feature_dim} centroids)")
        phases.last()
        t = now()
        with backend.lock:
            job.metrics = [{"MetricName": n, "Value": float(v), "Timestamp": t} for n, v in metrics.items()]
            job.finish("Completed", "Training job completed")
    except JobStopped:
        say("Training job stopped by request", every_host=True)
        phases.linger()  # the service shows Stopping for a while before Stopped
        with backend.lock:
            job.finish("Stopped", "Training job stopped")
    except JobTimedOut:
        say(MAX_RUNTIME_MESSAGE, every_host=True)
        with backend.lock:
            job.status = "Stopping"
            job.finish("Stopped", MAX_RUNTIME_MESSAGE, MAX_RUNTIME_MESSAGE)
            job.transitions[-1]["Status"] = job.secondary = "MaxRuntimeExceeded"
    except JobFailure as exc:
        say(str(exc), every_host=True)
        with backend.lock:
            job.finish("Failed", "Training job failed", str(exc))
    except Exception as exc:  # noqa: BLE001 - an internal error must still end the job
        say(traceback.format_exc())
        with backend.lock:
            job.finish("Failed", "Training job failed", f"InternalServerError: {type(exc).__name__}: {exc}")
    finally:
        flush()
        job.done.set()


# --- endpoints -----------------------------------------------------------------------------------

def load_variants(backend: SageMakerBackend, specs: list[dict[str, Any]]) -> list[LoadedVariant]:
    """Fetch and decode each production variant's model artifact; ValueError says why one cannot serve."""
    loaded = []
    for spec in specs:
        with backend.lock:
            model = backend.models.get(spec.get("ModelName", ""))
        containers = model.containers
        if len(containers) != 1:
            raise ValueError(f"model {model.name} has {len(containers)} containers; the local cloud serves "
                             "single-container k-means models")
        image = containers[0].get("Image", "")
        if not is_kmeans_image(image):
            raise ValueError(f"The local cloud serves only the built-in k-means algorithm; model {model.name} "
                             f"uses image '{image}'")
        url = containers[0].get("ModelDataUrl", "")
        if not url.startswith("s3://"):
            raise ValueError(f"model {model.name} has no s3:// ModelDataUrl")
        bucket, key = split_s3_uri(url)
        try:
            data = backend.gateway.get(bucket, key, backend.region)
        except Exception:  # noqa: BLE001
            host = containers[0].get("ContainerHostname", "container_1")
            raise ValueError(f'Failed to download model data for container "{host}" from URL: "{url}". '
                             "Please ensure that there is an object located at the URL and that the role passed to "
                             "CreateModel has permissions to download the object.") from None
        try:
            centroids = centroids_from_tarball(data)
        except ValueError as exc:
            raise ValueError(f"The model data at {url} is not a k-means model: {exc}") from None
        loaded.append(LoadedVariant(spec.get("VariantName", "AllTraffic"), float(spec.get("InitialVariantWeight", 1.0)),
                                    centroids, image))
    return loaded




def _bring_up(backend: SageMakerBackend, ep: Endpoint, cfg: EndpointConfig, updating: bool) -> None:
    phases = _Phases(backend, 1, seen=ep.seen)
    try:
        variants = load_variants(backend, cfg.variants)
        error = None
    except Exception as exc:  # noqa: BLE001 - any load problem fails the endpoint, never the server
        variants, error = [], str(exc)
    phases.last()
    with backend.lock:
        if ep.status == "Deleting":
            pass
        elif error is None:
            ep.variants, ep.variant_specs, ep.config_name = variants, cfg.variants, cfg.name
            ep.images = [v.image for v in variants]
            ep.status, ep.failure_reason = "InService", None
        elif updating:  # the service rolls back to the old config and stays in service
            ep.status, ep.failure_reason = "InService", error
        else:
            ep.status, ep.failure_reason = "Failed", error
        ep.modified = now()
    head = (now(), f"Endpoint {ep.name}: {'updated to' if updating else 'created with'} config {cfg.name}")
    try:
        for spec in cfg.variants:  # one stream per variant and instance: <variant>/<instance id>
            name = spec.get("VariantName", "AllTraffic")
            lines = [head] + [(now(), f"Variant {v.name}: loaded k-means model, {v.centroids.shape[0]} clusters "
                                      f"x {v.centroids.shape[1]} features") for v in variants if v.name == name]
            if error:
                lines.append((now(), f"Failed to load the model: {error}"))
            for i in range(max(1, int(spec.get("InitialInstanceCount", 1) or 1))):
                backend.gateway.log(f"{ENDPOINT_LOG_GROUP}/{ep.name}", f"{name}/{_instance_id(f'{ep.arn}/{name}', i)}",
                                    lines, backend.region)
    except Exception:  # noqa: BLE001, S110 - logs are best effort
        pass
    ep.ready.set()




def _delete(backend: SageMakerBackend, ep: Endpoint) -> None:
    _Phases(backend, 2).next()
    with backend.lock:
        backend.endpoints.discard(ep)


# --- batch transform -----------------------------------------------------------------------------



NL = b"\n"


class PayloadTooLarge(ValueError):
    """One record is larger than MaxPayloadInMB."""


def _line_chunks(body: bytes, max_bytes: int) -> Iterator[bytes]:
    """Consecutive runs of whole lines, each at most ``max_bytes`` (MultiRecord mini-batches), no copies kept."""
    return _streamed_line_chunks((body,), max_bytes)


def _streamed_line_chunks(blocks: Iterable[bytes], max_bytes: int) -> Iterator[bytes]:
    """:func:`_line_chunks` of the concatenated ``blocks``, holding at most one mini-batch and one block more.

    Where the next cut falls depends only on the bytes, never on where a block ends: a cut is made once
    more than ``max_bytes`` are at hand (or the input has ended). The unread rest is copied only when a block
    is added to it, so a whole object given as one block is cut without copying what is left of it.
    """
    buf, pos, start, blocks = b"", 0, 0, iter(blocks)
    more = True
    while more or pos < len(buf):
        while more and len(buf) - pos <= max_bytes:
            block = next(blocks, None)
            if block is None:
                more = False
            else:
                buf, pos = (buf[pos:] + block if pos < len(buf) else block), 0
        end = len(buf)
        if end - pos > max_bytes:
            cut = buf.rfind(b"\n", pos, pos + max_bytes)
            if cut < pos:
                raise PayloadTooLarge(f"a record starting at byte {start} is larger than MaxPayloadInMB "
                                      f"({max_bytes // (1024 * 1024)} MB)")
            end = cut + 1
        chunk = buf[pos:end]
        start += end - pos
        pos = end
        if chunk.strip():
            yield chunk


def streams_lines(req: dict[str, Any]) -> bool:
    """True when a transform request splits its input into lines: its objects can then be read as a stream."""
    tin = req.get("TransformInput", {})
    ctype, _ = runtime.media_type(tin.get("ContentType") or runtime.CSV)
    split = tin.get("SplitType", "None")
    return split not in ("None", "RecordIO") and ctype != runtime.RECORDIO


def _frame_chunks(body: bytes, max_bytes: int) -> Iterator[bytes]:
    """Consecutive RecordIO records grouped into batches of at most ``max_bytes``."""
    view = memoryview(body)
    pos, start, n = 0, 0, len(body)
    while pos < n:
        if n - pos < 8:
            raise ValueError(f"truncated RecordIO header at byte {pos}")
        _, length = struct.unpack_from("<II", view, pos)
        size = 8 + (length & ((1 << 29) - 1)) + (-length % 4)
        if size > max_bytes:
            raise PayloadTooLarge(f"the record at byte {pos} is larger than MaxPayloadInMB "
                                  f"({max_bytes // (1024 * 1024)} MB)")
        if pos + size - start > max_bytes:
            yield bytes(view[start:pos])
            start = pos
        pos += size
    if pos > start:
        yield bytes(view[start:min(pos, n)])


def _requests(body: bytes | Iterable[bytes], req: dict[str, Any]) -> Iterator[tuple[bytes, bool]]:
    """The request bodies batch transform sends the container for one object, and whether each is one record.

    ``body`` is the object, or its blocks in order when :func:`streams_lines` says the request splits lines.
    """
    max_bytes = int(req.get("MaxPayloadInMB", 6) or 6) * 1024 * 1024
    single = (req.get("BatchStrategy") or "MultiRecord") == "SingleRecord"
    if streams_lines(req):
        chunks = _streamed_line_chunks((body,) if isinstance(body, bytes) else body, max_bytes)
    elif not isinstance(body, bytes):
        raise TypeError("only a request that splits lines reads its objects as blocks")
    elif req.get("TransformInput", {}).get("SplitType", "None") == "None":
        if len(body) > max_bytes:
            raise PayloadTooLarge(f"the object is {len(body)} bytes, larger than MaxPayloadInMB "
                                  f"({max_bytes // (1024 * 1024)} MB); set SplitType to split it into records")
        yield body, False
        return
    else:
        chunks = _frame_chunks(body, max_bytes)
    for chunk in chunks:
        yield chunk, single


def transform_object(body: bytes | Iterable[bytes], req: dict[str, Any], centroids: np.ndarray,
                     check: Callable[[], None] | None = None, counts: list[int] | None = None) -> bytes:
    """The ``.out`` content for one input object, whole or as blocks (see :func:`_requests`); raises
    runtime.InferenceError on bad data.

    Each MultiRecord mini-batch (at most MaxPayloadInMB of whole records) is one request to the
    container and gives one answer; SingleRecord answers record by record. Without ``Accept`` the
    k-means container answers ``application/json`` (one ``{"predictions": [...]}`` per request), as
    it does for an InvokeEndpoint without Accept. ``AssembleWith=Line`` puts a newline after each.
    ``check`` runs between mini-batches (a stop request ends the work there).
    """
    tin, tout = req.get("TransformInput", {}), req.get("TransformOutput", {})
    ctype = tin.get("ContentType") or runtime.CSV
    accept = runtime.choose_accept(tout.get("Accept") or None)
    line = tout.get("AssembleWith", "None") == "Line"
    parts: list[bytes] = []
    done = 0
    try:
        for chunk, single in _requests(body, req):
            if check is not None:
                check()
            try:
                X = runtime.parse_request(chunk, ctype, centroids.shape[1])
            except runtime.InferenceError as exc:
                last = done + max(1, chunk.count(NL))
                raise runtime.InferenceError(f"records {done + 1}-{last}: {exc}", exc.status) from None
            idx, dist = runtime.predict(X, centroids)
            answers = runtime.render_records(idx, dist, accept) if single else [runtime.render(idx, dist, accept)]
            for out in answers:
                parts.append(out)
                if line and not out.endswith(b"\n"):
                    parts.append(b"\n")
            done += len(X)
    except PayloadTooLarge as exc:
        raise runtime.InferenceError(str(exc), 413) from None
    except ValueError as exc:  # a RecordIO body cut short
        raise runtime.InferenceError(str(exc)) from None
    if counts is not None:
        counts.append(done)
    return b"".join(parts)


def _instance_id(owner: str, i: int) -> str:
    """A stable EC2-style instance id (``i-`` and 17 hex digits) for the i-th instance of ``owner``."""
    return "i-" + hashlib.blake2b(f"{owner}/{i}".encode(), digest_size=9).hexdigest()[:17]


def instance_ids(job: TransformJob) -> list[str]:
    """The job's instances (log streams are named after them)."""
    return [_instance_id(job.arn, i) for i in range(job.instance_count)]


def _transform(backend: SageMakerBackend, job: TransformJob) -> None:
    req = job.request
    phases = _Phases(backend, 3, job.stop_requested, job)
    hosts = [f"{job.name}/{iid}-{int(job.created)}" for iid in instance_ids(job)]
    logs: dict[str, list[tuple[float, str]]] = {h: [] for h in hosts}
    data_logs: dict[str, list[tuple[float, str]]] = {h: [] for h in hosts}
    strategy = (req.get("BatchStrategy") or "MultiRecord").upper().replace("RECORD", "_RECORD")
    for h in hosts:
        data_logs[h].append((now(), f"[sagemaker logs]: MaxConcurrentTransforms={req.get('MaxConcurrentTransforms', 1)}"
                                    f", MaxPayloadInMB={req.get('MaxPayloadInMB', 6)}, BatchStrategy={strategy}"))

    def stop_check() -> None:
        if job.stop_requested.is_set():
            raise JobStopped

    try:
        phases.next()
        with backend.lock:
            job.started = now()
            model = backend.models.get(req.get("ModelName", ""))
        try:
            centroids = load_variants(backend, [{"ModelName": model.name}])[0].centroids
        except ValueError as exc:
            raise JobFailure(f"ClientError: {exc}") from None
        for h in hosts:
            logs[h].append((now(), f"Loaded k-means model {model.name}: {centroids.shape[0]} clusters x "
                                   f"{centroids.shape[1]} features"))
        src = req.get("TransformInput", {}).get("DataSource", {}).get("S3DataSource", {})
        if src.get("S3DataType", "S3Prefix") != "S3Prefix":
            raise JobFailure(f"ClientError: S3DataType {src.get('S3DataType')} is not supported by the local "
                             "cloud; use S3Prefix")
        in_uri = src.get("S3Uri", "")
        in_bucket, prefix = split_s3_uri(in_uri)
        out_uri = req.get("TransformOutput", {}).get("S3OutputPath", "").rstrip("/")
        out_bucket, out_prefix = split_s3_uri(out_uri)
        keys = [k for k, _ in object_keys(backend, in_uri, "TransformInput")]
        phases.next()
        for i, key in enumerate(keys):
            stop_check()
            host = hosts[i % len(hosts)]  # objects are spread over the instances
            rel = key[len(prefix):].lstrip("/") or key.rsplit("/", 1)[-1]
            counts: list[int] = []
            try:
                if streams_lines(req):  # read as it is split: a block or two held, not the object and copies
                    with backend.gateway.blocks(in_bucket, key, backend.region) as blocks:
                        result = transform_object(blocks, req, centroids, stop_check, counts)
                else:
                    result = transform_object(backend.gateway.get(in_bucket, key, backend.region), req,
                                              centroids, stop_check, counts)
            except runtime.InferenceError as exc:
                data_logs[host].append((now(), f"[sagemaker logs]: s3://{in_bucket}/{key}: ClientError: {exc}"))
                raise JobFailure(f"ClientError: Bad input in s3://{in_bucket}/{key}: {exc}") from None
            out_key = f"{out_prefix}/{rel}.out" if out_prefix else f"{rel}.out"
            backend.gateway.put(out_bucket, out_key, result, backend.region)
            data_logs[host].append((now(), f"[sagemaker logs]: s3://{in_bucket}/{key}: {counts[0]} records -> "
                                           f"s3://{out_bucket}/{out_key} ({len(result)} bytes)"))
        phases.last()
        with backend.lock:
            job.status = "Completed"
    except JobStopped:
        phases.linger()
        with backend.lock:
            job.status = "Stopped"
    except JobFailure as exc:
        logs[hosts[0]].append((now(), str(exc)))
        with backend.lock:
            job.status, job.failure_reason = "Failed", str(exc)
    except Exception as exc:  # noqa: BLE001
        logs[hosts[0]].append((now(), traceback.format_exc()))
        with backend.lock:
            job.status, job.failure_reason = "Failed", f"InternalServerError: {type(exc).__name__}: {exc}"
    finally:
        with backend.lock:
            job.ended = job.modified = now()
        try:
            for h in hosts:
                backend.gateway.log(TRANSFORM_LOG_GROUP, h, logs[h], backend.region)
                backend.gateway.log(TRANSFORM_LOG_GROUP, f"{h}/data-log", data_logs[h], backend.region)
        except Exception:  # noqa: BLE001, S110 - best effort
            pass
        job.done.set()


class _BlasShare:
    """While two or more trainings run at once, BLAS uses one thread each, so they share the cores.

    OpenBLAS's own threads (one per core) fight when two jobs each start them: two k-means fits in
    parallel threads took 1.1-1.2x as long as one after the other, and 0.3x with one BLAS thread
    each (2 cores, a tuning job's two trials). A training alone keeps BLAS's default.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running = 0
        self._limit: Any = None

    def __enter__(self) -> None:
        with self._lock:
            self._running += 1
            if self._running == 2 and self._limit is None:
                from threadpoolctl import threadpool_limits

                self._limit = threadpool_limits(limits=1, user_api="blas")

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            self._running -= 1
            if self._running <= 1 and self._limit is not None:
                self._limit.restore_original_limits()
                self._limit = None


class JobRunner:
    """Runs each piece of work on its own daemon thread (what :class:`~.models.Runner` asks for).

    A tuning job's trials fit in worker processes (:mod:`.workers`), so parallel trials really run
    in parallel; any other training fits on its own thread unless another fit holds the cloud's
    interpreter, in which case it goes to a worker too.
    """

    def __init__(self) -> None:
        self._blas = _BlasShare()
        self._own_fit = threading.Lock()
        self._workers = FitWorkers()

    def _fit_here(self, X: np.ndarray, params: kmeans.KMeansParams, on_step: kmeans.OnStep) -> kmeans.FitResult:
        with self._own_fit:
            return kmeans.fit(X, params, on_step=on_step)

    def _fit_away(self, X: np.ndarray, params: kmeans.KMeansParams, on_step: kmeans.OnStep) -> kmeans.FitResult:
        try:
            return self._workers.fit(X, params, on_step=on_step)
        except WorkerDied:
            return self._fit_here(X, params, on_step)  # a job does not fail because a helper process did

    def _fit(self, X: np.ndarray, params: kmeans.KMeansParams, on_step: kmeans.OnStep) -> kmeans.FitResult:
        if not self._own_fit.acquire(blocking=False):  # another fit holds the cloud's interpreter
            return self._fit_away(X, params, on_step)
        try:
            return kmeans.fit(X, params, on_step=on_step)
        finally:
            self._own_fit.release()

    def _training(self, backend: SageMakerBackend, job: TrainingJob) -> None:
        with self._blas:
            _train(backend, job, self._fit_away if job.tuning_job else self._fit)

    def start_training(self, backend: SageMakerBackend, job: TrainingJob) -> None:
        _spawn(self._training, backend, job)

    def start_endpoint(self, backend: SageMakerBackend, ep: Endpoint, cfg: EndpointConfig, updating: bool) -> None:
        _spawn(_bring_up, backend, ep, cfg, updating)

    def start_endpoint_deletion(self, backend: SageMakerBackend, ep: Endpoint) -> None:
        _spawn(_delete, backend, ep)

    def start_transform(self, backend: SageMakerBackend, job: TransformJob) -> None:
        _spawn(_transform, backend, job)

    def start_tuning(self, backend: SageMakerBackend, job: TuningJob, space: Space) -> None:
        self._workers.warm(min(job.max_parallel, os.cpu_count() or 1))  # ready while the first trial downloads
        tuning.start(backend, job, space)

    def load_variants(self, backend: SageMakerBackend, specs: list[dict[str, Any]]) -> list[LoadedVariant]:
        return load_variants(backend, specs)
