"""The workshop's S3 layout under ``s3://<bucket>/<prefix>``."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class S3Layout:
    bucket: str
    prefix: str = "mnist_kmeans_example"

    @property
    def root(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"

    # keys (no bucket)
    @property
    def train_key(self) -> str:
        """Training split, RecordIO-protobuf with labels (a single object, as in the workshop)."""
        return f"{self.prefix}/data"

    @property
    def test_key(self) -> str:
        """The tuning step's ``test`` channel, RecordIO-protobuf. It holds the *validation* digits: the test
        digits that predictions are scored on stay unseen by every choice the pipeline makes."""
        return f"{self.prefix}/test_data"

    @property
    def valid_key(self) -> str:
        """Validation split as label-free CSV; the batch-transform input."""
        return f"{self.prefix}/input/valid_data.csv"

    @property
    def model_prefix(self) -> str:
        return f"{self.prefix}/model"

    @property
    def output_prefix(self) -> str:
        return f"{self.prefix}/output"

    # URIs the pipeline takes
    @property
    def dataset_uri(self) -> str:
        return f"s3://{self.bucket}/{self.train_key}"

    @property
    def test_dataset_uri(self) -> str:
        return f"s3://{self.bucket}/{self.test_key}"

    @property
    def batch_input_uri(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}/input"

    def model_uri(self, run_id: str | None = None) -> str:
        return f"s3://{self.bucket}/{self.model_prefix}" + (f"/{run_id}" if run_id else "")

    def output_uri(self, run_id: str | None = None) -> str:
        return f"s3://{self.bucket}/{self.output_prefix}" + (f"/{run_id}" if run_id else "")


def split_s3_uri(uri: str) -> tuple[str, str]:
    """``s3://bucket/key`` → ``(bucket, key)``."""
    if not uri.startswith("s3://"):
        raise ValueError(f"not an s3:// URI: {uri!r}")
    bucket, _, key = uri[5:].partition("/")
    return bucket, key
