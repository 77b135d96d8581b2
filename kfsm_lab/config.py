"""The one settings object: what the user entered, resolved and validated.

Resolution order: explicit argument > environment (``KFSM_`` prefix) > default.
Nothing secret lives here: credentials stay with boto3's own chain (aws) or the local
secret store (local).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import ValidationError as PydanticValidationError
from pydantic import field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from . import validation
from .errors import ConfigurationError, ValidationError

Target = Literal["local", "aws"]

DEFAULT_PREFIX = "mnist_kmeans_example"


class Settings(BaseSettings):
    """Resolved kit settings. Build with :func:`load_settings` to get the kit's own errors."""

    model_config = SettingsConfigDict(env_prefix="KFSM_", extra="forbid", validate_default=False,
                                      frozen=True)

    target: Target = "local"
    region: str = "us-west-2"
    role_arn: str | None = None
    bucket: str | None = None
    s3_prefix: str = DEFAULT_PREFIX
    namespace: str = "kubeflow"
    kfp_host: str | None = None
    experiment: str = "aws"
    run_name: str | None = None
    training_instance_type: str = "ml.m5.large"
    training_instance_count: int = 1
    volume_size_gb: int = 10
    endpoint_instance_type: str = "ml.t2.medium"
    transform_instance_type: str = "ml.m5.large"
    k: int = 10
    feature_dim: int = 784
    # SageMaker k-means' own default batch size and kmeans++ initialisation: on the bundled sample they give
    # held-out accuracy 0.56-0.61 over seeds; the workshop's hard-coded 500 with random init gives 0.49-0.57.
    mini_batch_size: int = 5000
    init_method: Literal["random", "kmeans++"] = "kmeans++"
    pace: float = 0.0
    iam_user: str = "sagemakeruser"
    role_name: str = "eksworkshop-sagemaker-kfp-role"
    secret_name: str = "aws-secret"  # noqa: S105 - a Kubernetes secret name, not a secret

    @field_validator("role_arn", mode="before")
    @classmethod
    def _role(cls, v: Any) -> Any:
        return None if v is None or (isinstance(v, str) and not v.strip()) else validation.role_arn(v)

    @field_validator("bucket", mode="before")
    @classmethod
    def _bucket(cls, v: Any) -> Any:
        return None if v is None or (isinstance(v, str) and not v.strip()) else validation.bucket_name(v)

    @field_validator("region", mode="before")
    @classmethod
    def _region(cls, v: Any) -> Any:
        return validation.region(v)

    @field_validator("run_name", mode="before")
    @classmethod
    def _run(cls, v: Any) -> Any:
        return None if v is None or (isinstance(v, str) and not v.strip()) else validation.run_name(v)

    @field_validator("training_instance_type", "endpoint_instance_type", "transform_instance_type",
                     mode="before")
    @classmethod
    def _itype(cls, v: Any, info: Any) -> Any:
        return validation.instance_type(v, info.field_name)

    @field_validator("training_instance_count", "volume_size_gb", "k", "mini_batch_size", mode="before")
    @classmethod
    def _pos(cls, v: Any, info: Any) -> Any:
        return validation.positive_int(v, info.field_name)

    @field_validator("feature_dim", mode="before")
    @classmethod
    def _fdim(cls, v: Any) -> Any:
        return validation.positive_int(v, "feature_dim", maximum=1_000_000)

    @field_validator("s3_prefix", mode="before")
    @classmethod
    def _prefix(cls, v: Any) -> Any:
        text = str(v).strip().strip("/")
        if not text or any(c.isspace() for c in text):
            raise ValidationError("s3_prefix", v, "must be a non-empty key prefix without spaces",
                                  f"e.g. {DEFAULT_PREFIX}")
        return text

    @field_validator("pace", mode="before")
    @classmethod
    def _pace(cls, v: Any) -> Any:
        return validation.pace(v)

    # -- derived -------------------------------------------------------------------------
    @property
    def s3_root(self) -> str:
        """``s3://<bucket>/<prefix>``; needs a bucket."""
        if not self.bucket:
            raise ConfigurationError("no bucket is set",
                                     "run `kfsm-lab setup bucket` or set KFSM_BUCKET / bucket=")
        return f"s3://{self.bucket}/{self.s3_prefix}"

    def public_dict(self) -> dict[str, Any]:
        """Everything, for display: the settings hold no secret."""
        return self.model_dump()

    def replace(self, **changes: Any) -> Settings:
        """A copy with some values changed (validated again)."""
        return load_settings(**{**self.model_dump(exclude_unset=True), **changes})


def _first_error(exc: PydanticValidationError) -> Exception:
    for err in exc.errors():
        ctx_err = (err.get("ctx") or {}).get("error")
        if isinstance(ctx_err, ValidationError):
            return ctx_err
    err = exc.errors()[0]
    field = ".".join(str(p) for p in err.get("loc", ())) or "settings"
    if err.get("type") == "extra_forbidden":
        return ValidationError(field, err.get("input"), "is not a known setting",
                               "see `kfsm-lab config show` for the known names")
    if err.get("type") == "literal_error" and field == "target":
        return ValidationError(field, err.get("input"), "must be 'local' or 'aws'",
                               "local runs on the embedded local cloud, aws on your account")
    if err.get("type") == "literal_error":
        expected = (err.get("ctx") or {}).get("expected", "")
        return ValidationError(field, err.get("input"), err.get("msg", "is invalid"), f"use {expected}")
    return ValidationError(field, err.get("input"), err.get("msg", "is invalid"),
                           "see `kfsm-lab config show` for every setting and its current value")


def load_settings(**overrides: Any) -> Settings:
    """Resolve settings (argument > ``KFSM_*`` env > default), raising the kit's ValidationError.

    ``None`` overrides are ignored, so callers can pass optional CLI flags straight through.
    """
    given = {k: v for k, v in overrides.items() if v is not None}
    try:
        return Settings(**given)
    except PydanticValidationError as exc:
        raise _first_error(exc) from None
