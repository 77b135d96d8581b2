"""Predictions: ask a run's endpoint about held-out digits and report what the model learned.

Clusters are mapped to digits by majority vote on the validation split (labels the model never saw:
k-means trains without labels, and on the train split only), read from the run's batch-transform
output; the score is on the test split, sent to the endpoint in batched CSV requests.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import aws
from ..data import split_s3_uri
from ..errors import AwsAccessError, KfsmError
from .evaluate import Evaluation, evaluate
from .invoke import parse_predictions, predict_rows, workshop_call

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from ..config import Settings
    from ..data.mnist import MnistSplits

__all__ = ["PredictionReport", "find_latest_run", "predict", "run_resources"]

_ENDPOINT_NAME = re.compile(r"^kfsm-(?P<run>.+)-endpoint$")


@dataclass
class PredictionReport:
    run_id: str
    endpoint: str
    workshop_response: dict[str, Any]
    evaluation: Evaluation
    mapping_source: str
    test_X: np.ndarray
    test_y: np.ndarray
    test_clusters: np.ndarray
    centers: np.ndarray | None
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def accuracy(self) -> float:
        return self.evaluation.accuracy

    @property
    def predicted(self) -> np.ndarray:
        return self.evaluation.mapping[self.test_clusters]

    def to_dict(self) -> dict[str, Any]:
        return {"run_id": self.run_id, "endpoint": self.endpoint, "workshop_response": self.workshop_response,
                "mapping_source": self.mapping_source, **self.evaluation.to_dict(),
                "seconds": {k: round(v, 3) for k, v in self.seconds.items()}}

    def explanation(self, lang: str | None = None) -> str | None:
        """Why a digit is never predicted, and the one-parameter change to try (None when all are)."""
        from ..i18n import t

        ev = self.evaluation
        missing = ev.missing_digits
        if not missing:
            return None
        k, suggest = len(ev.mapping), ev.suggested_k
        if len(missing) == 1:
            went = t(lang, "pred.and").join(str(d) for d in ev.went_to(missing[0])) or "?"
            return t(lang, "pred.missing_digit", digit=missing[0], went=went, k=k, suggest=suggest)
        return t(lang, "pred.missing_digits", digits=", ".join(map(str, missing)), k=k, suggest=suggest)

    def text(self, lang: str | None = None) -> str:
        from ..i18n import t

        ev = self.evaluation
        source = t(lang, "pred.source_batch" if self.mapping_source.startswith("batch") else "pred.source_endpoint")
        lines = [t(lang, "pred.report_head", run_id=self.run_id, endpoint=self.endpoint),
                 t(lang, "pred.workshop_call", response=self.workshop_response),
                 t(lang, "pred.accuracy", accuracy=f"{ev.accuracy:.1%}", n=ev.n, source=source),
                 t(lang, "pred.per_digit", values="  ".join(f"{d}:{a:.2f}" for d, a in enumerate(ev.per_digit))),
                 t(lang, "pred.mapping", values=" ".join(f"{c}→{d}" for c, d in enumerate(ev.mapping)))]
        why = self.explanation(lang)
        if why:
            lines.append(why)
        return "\n".join(lines)

    def html(self, lang: str | None = None) -> str:
        """The report for a notebook or the panel: the lines, and the explanation set apart."""
        import html as _html

        text = self.text(lang)
        why = self.explanation(lang)
        body = text.rsplit("\n", 1)[0] if why else text
        out = f'<pre class="kfsm-log" style="white-space:pre-wrap">{_html.escape(body)}</pre>'
        if why:
            out += f'<p class="kfsm-explain" role="note">{code_spans(why)}</p>'
        return out

    def _repr_html_(self) -> str:
        return self.html()

    # figures
    def sample(self, n: int = 30, seed: int = 0) -> np.ndarray:
        """Indices of ``n`` test digits in a fixed shuffled order, so the grid shows every digit, not just 0s."""
        return np.random.default_rng(seed).permutation(len(self.test_y))[:n]

    def digits_figure(self, n: int = 30, lang: str | None = None) -> Figure:
        from .figures import digits_grid

        idx = self.sample(n)
        return digits_grid(self.test_X[idx], self.test_clusters[idx], self.predicted[idx], self.test_y[idx],
                           rows=max(1, int(np.ceil(n / 10))), lang=lang)

    def centroids_figure(self, lang: str | None = None) -> Figure | None:
        from .figures import centroids

        return None if self.centers is None else centroids(self.centers, self.evaluation.mapping, lang=lang)

    def confusion_figure(self, lang: str | None = None) -> Figure:
        from .figures import confusion_matrix

        return confusion_matrix(self.evaluation.confusion, self.evaluation.accuracy, lang=lang,
                                note=self.explanation(lang), missing=self.evaluation.missing_digits)

    def figures(self, n: int = 30, lang: str | None = None) -> dict[str, Figure]:
        return {name: fig for name, (fig, _alt) in self.figures_with_alt(n, lang).items()}

    def figures_with_alt(self, n: int = 30, lang: str | None = None) -> dict[str, tuple[Figure, str]]:
        """Each figure with its alt text (what a screen reader says instead of the picture)."""
        from ..i18n import t

        ev = self.evaluation
        idx = self.sample(n)
        wrong = int(np.sum(self.predicted[idx] != self.test_y[idx]))
        figs: dict[str, tuple[Figure, str]] = {
            "digits": (self.digits_figure(n, lang), t(lang, "pred.digits_alt", n=len(idx), wrong=wrong)),
            "confusion": (self.confusion_figure(lang),
                          t(lang, "pred.confusion_alt", n=ev.n, accuracy=f"{ev.accuracy:.1%}")
                          + (" " + why if (why := self.explanation(lang)) else "")),
        }
        cf = self.centroids_figure(lang)
        if cf is not None:
            figs["centroids"] = (cf, t(lang, "pred.centroids_alt", k=len(ev.mapping)))
        return figs


def code_spans(text: str) -> str:
    """Escape ``text`` for HTML, showing `command` spans as code."""
    import html as _html

    parts = _html.escape(text).split("`")
    return "".join(f"<code>{p}</code>" if i % 2 else p for i, p in enumerate(parts))


def find_latest_run(sm: Any) -> str:
    """The run id of the newest kit endpoint that is InService."""
    resp = sm.list_endpoints(SortBy="CreationTime", SortOrder="Descending", NameContains="kfsm-",
                             MaxResults=50)
    for ep in resp.get("Endpoints", []):
        m = _ENDPOINT_NAME.match(ep["EndpointName"])
        if m and ep.get("EndpointStatus") == "InService":
            return m.group("run")
    raise KfsmError("no kit endpoint is InService", "run the pipeline first: `kfsm-lab pipeline run --wait`")


def run_resources(sm: Any, run_id: str) -> dict[str, Any]:
    """Endpoint, model artifact and batch output of a run, from SageMaker itself."""
    from ..names import resource_names

    names = resource_names(run_id)
    try:
        ep = sm.describe_endpoint(EndpointName=names.endpoint)
    except Exception as exc:
        if aws.error_code(exc) == "ValidationException":
            raise KfsmError(f"run {run_id!r} has no endpoint ({names.endpoint} not found)",
                            "check the run id (`kfsm-lab pipeline status` lists the runs) or run the pipeline "
                            "again: `kfsm-lab pipeline run --wait`") from exc
        raise aws.translate(exc, "describe endpoint", service="sagemaker") from exc
    out: dict[str, Any] = {"endpoint": names.endpoint, "endpoint_status": ep["EndpointStatus"],
                           "model_artifact_url": None, "batch_output_uri": None}
    try:
        out["model_artifact_url"] = sm.describe_training_job(
            TrainingJobName=names.training_job)["ModelArtifacts"]["S3ModelArtifacts"]
    except Exception:  # noqa: BLE001, S110 - centroids are optional; predictions still work
        pass
    try:
        tj = sm.describe_transform_job(TransformJobName=names.transform_job)
        if tj["TransformJobStatus"] == "Completed":
            out["batch_output_uri"] = tj["TransformOutput"]["S3OutputPath"]
    except Exception:  # noqa: BLE001, S110 - fall back to mapping through the endpoint
        pass
    return out


def _batch_clusters(s3: Any, batch_output_uri: str, expected: int) -> np.ndarray | None:
    bucket, prefix = split_s3_uri(batch_output_uri.rstrip("/") + "/valid_data.csv.out")
    try:
        body = s3.get_object(Bucket=bucket, Key=prefix)["Body"].read()
    except Exception:  # noqa: BLE001 - missing output: the caller maps through the endpoint instead
        return None
    clusters, _ = parse_predictions(body)
    return clusters if len(clusters) == expected else None


def predict(settings: Settings, run_id: str | None = None, splits: MnistSplits | None = None,
            n_test: int | None = None) -> PredictionReport:
    """Evaluate a run's endpoint (the newest kit endpoint when ``run_id`` is None)."""
    from ..data import load_sample

    t0 = time.perf_counter()
    sess = aws.session(settings)
    sm = aws.client(settings, "sagemaker", sess)
    s3 = aws.client(settings, "s3", sess)
    runtime = aws.client(settings, "sagemaker-runtime", sess)
    run_id = run_id or find_latest_run(sm)
    res = run_resources(sm, run_id)
    if res["endpoint_status"] != "InService":
        raise AwsAccessError(f"endpoint {res['endpoint']} is {res['endpoint_status']}, not InService",
                             f"wait for the deploy step: `kfsm-lab pipeline status {run_id}`")
    splits = splits or load_sample()
    test = splits.test
    X, y = (test.X, test.y) if n_test is None else (test.X[:n_test], test.y[:n_test])
    secs: dict[str, float] = {"find": time.perf_counter() - t0}

    t = time.perf_counter()
    raw = workshop_call(runtime, res["endpoint"], X[0])
    test_clusters, _ = predict_rows(runtime, res["endpoint"], X, settings.feature_dim)
    secs["invoke_test"] = time.perf_counter() - t

    t = time.perf_counter()
    valid_clusters = None
    source = "batch-transform output valid_data.csv.out"
    if res["batch_output_uri"]:
        valid_clusters = _batch_clusters(s3, res["batch_output_uri"], len(splits.valid))
    if valid_clusters is None:
        valid_clusters, _ = predict_rows(runtime, res["endpoint"], splits.valid.X, settings.feature_dim)
        source = "endpoint answers for the validation split"
    secs["mapping"] = time.perf_counter() - t

    t = time.perf_counter()
    centers = None
    if res["model_artifact_url"]:
        from .artifacts import load_centroids

        try:
            centers = load_centroids(s3, res["model_artifact_url"])
        except Exception:  # noqa: BLE001 - the figure is optional; say nothing breaks
            centers = None
    secs["centroids"] = time.perf_counter() - t
    ev = evaluate(valid_clusters, splits.valid.y, test_clusters, y, settings.k)
    secs["total"] = time.perf_counter() - t0
    return PredictionReport(run_id, res["endpoint"], raw, ev, source, X, y, test_clusters, centers, secs)
