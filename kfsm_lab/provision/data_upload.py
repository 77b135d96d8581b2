"""Upload the MNIST splits in the workshop's layout, skipping objects that are already identical."""

from __future__ import annotations

import concurrent.futures as cf
import functools
import hashlib
import io
import threading
from typing import TYPE_CHECKING, Any

from ..data import S3Layout, to_csv, write_dense_tensor
from ..data.mnist import MnistSplits
from .calls import call, code_of
from .results import StepResult
from .side_by_side import side_by_side

if TYPE_CHECKING:
    from ..config import Settings

SHA_KEY = "kfsm-sha256"
PROGRESS_OVER = 8 * 1024 * 1024  # show a bar for uploads larger than this
# One PUT up to this size (boto3 splits from 8 MB): the sample's 11 MB train channel in parts took 2-3 times as
# long as one PUT (four requests and a part copy); parts and their threads pay off for the full MNIST's 160 MB.
SINGLE_PUT_UNDER = 32 * 1024 * 1024


def encode_splits(splits: MnistSplits) -> dict[str, tuple[bytes, str]]:
    """Object name -> (bytes, content type): train as RecordIO-protobuf, validation as CSV (batch input) and
    as RecordIO-protobuf (the tuning step's test channel)."""
    return {
        "train": (write_dense_tensor(splits.train.X, splits.train.y), "application/x-recordio-protobuf"),
        "test": (write_dense_tensor(splits.valid.X, splits.valid.y), "application/x-recordio-protobuf"),
        "valid": ((to_csv(splits.valid.X) + "\n").encode(), "text/csv"),
    }


Prepared = tuple[MnistSplits, dict[str, tuple[bytes, str]]]


def prepare_in_background(splits: MnistSplits | None = None) -> cf.Future[Prepared]:
    """``(splits, encode_splits(splits))`` computed on a worker thread, the bundled sample loaded unless given.

    Parsing the sample and encoding it (~0.5 s) needs no cloud: ``setup_all`` starts it first, so it is done
    while the bucket and IAM steps wait on their answers. An error comes out of ``result()``. The bundled
    sample encoded ahead (:func:`encode_sample_ahead`) is taken as it is.
    """
    ahead = _take_ahead(splits)
    if ahead is not None:
        done: cf.Future[Prepared] = cf.Future()
        done.set_result(ahead)
        return done

    def work() -> Prepared:
        from ..data import load_sample

        ready = splits or load_sample()
        return ready, encode_splits(ready)

    pool = cf.ThreadPoolExecutor(max_workers=1, thread_name_prefix="kfsm-setup-data")
    try:
        return pool.submit(work)
    finally:
        pool.shutdown(wait=False)


_ahead: list[Prepared] = []  # at most one: the bundled sample, encoded by a starting local cloud's load-ahead
_ahead_lock = threading.Lock()


def encode_sample_ahead() -> None:
    """Encode the bundled sample now, for the next setup of this process to take (then it is let go).

    A starting local cloud's load-ahead (:mod:`kfsm_lab.localcloud.prewarm`) calls it: encoded during setup
    (~50 ms of CPU), beside the bucket and IAM steps' threads, it held the uploads back until 0.15 s into a
    cold setup.
    """
    from ..data import load_sample

    sample = load_sample()
    prepared = (sample, encode_splits(sample))
    with _ahead_lock:
        _ahead[:] = [prepared]


def _take_ahead(splits: MnistSplits | None) -> Prepared | None:
    with _ahead_lock:
        if _ahead and (splits is None or splits is _ahead[0][0]):
            return _ahead.pop()
    return None


def _remote_sha(s3: Any, bucket: str, key: str) -> str | None:
    try:
        head = call(s3, "head_object", Bucket=bucket, Key=key)
    except Exception as exc:
        if code_of(exc) in ("404", "NoSuchKey", "NotFound"):
            return None
        raise
    return head.get("Metadata", {}).get(SHA_KEY)


def _upload(s3: Any, bucket: str, key: str, body: bytes, content_type: str, sha: str) -> None:
    callback = None
    bar = None
    # A bar drawn from a worker thread (the panel's) would land in whichever cell runs then: main thread only.
    if len(body) > PROGRESS_OVER and threading.current_thread() is threading.main_thread():
        from tqdm.auto import tqdm

        bar = tqdm(total=len(body), unit="B", unit_scale=True, desc=key.rsplit("/", 1)[-1])
        callback = bar.update
    from boto3.s3.transfer import TransferConfig

    try:
        s3.upload_fileobj(io.BytesIO(body), bucket, key, Callback=callback,
                          ExtraArgs={"ContentType": content_type, "Metadata": {SHA_KEY: sha}},
                          Config=TransferConfig(multipart_threshold=SINGLE_PUT_UNDER))
    finally:
        if bar is not None:
            bar.close()


def upload_data(settings: Settings, s3: Any, bucket: str, splits: MnistSplits,
                encoded: dict[str, tuple[bytes, str]] | None = None) -> list[StepResult]:
    """Upload what differs; ``encoded`` is ``encode_splits(splits)`` when the caller made it already.

    The objects go up side by side: the two small ones on worker threads while the training channel (the one
    with a progress bar, drawn from the calling thread) goes up here. One after the other, each waited for the
    one before: the sample's three took 0.26 s of a 0.35 s cold setup, the 11 MB one 0.16 s of it.
    """
    layout = S3Layout(bucket, settings.s3_prefix)
    encoded = encoded if encoded is not None else encode_splits(splits)
    objects = (("train", layout.train_key), ("test", layout.test_key), ("valid", layout.valid_key))

    def one(name: str, key: str) -> StepResult:
        body, ctype = encoded[name]
        sha = hashlib.sha256(body).hexdigest()
        rows = len(splits.train) if name == "train" else len(splits.valid)  # test: the validation digits
        detail = f"s3://{bucket}/{key} ({rows} digits, {len(body) / 1e6:.1f} MB)"
        try:
            remote = _remote_sha(s3, bucket, key)
            if remote == sha:
                return StepResult(f"data: {name}", "already there", detail, f"s3://{bucket}/{key}")
            _upload(s3, bucket, key, body, ctype, sha)
        except Exception as exc:
            from ..aws import translate

            raise translate(exc, f"upload s3://{bucket}/{key}", service="s3") from exc
        return StepResult(f"data: {name}", "created" if remote is None else "updated", detail,
                          f"s3://{bucket}/{key}")

    first, *rest = (functools.partial(one, name, key) for name, key in objects)
    train, others = side_by_side(first, *rest, name="kfsm-upload")
    return [train, *others]
