"""What a setup step did, in a form the CLI, the panel and notebooks all show."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from ..names import CREATED_BY as CREATED_BY_VALUE
from ..names import TAG_CREATED_BY as CREATED_BY_KEY

Status = Literal["created", "already there", "updated", "skipped", "would create", "would update"]

#: On the data bucket: the pipeline user (``settings.iam_user``) of the setup that made it, so clean-up
#: finds this setup's buckets on S3 itself, not in a remembered-bucket file.
PIPELINE_USER_KEY = "kfsm-lab:pipeline-user"


def kit_tags(**extra: str) -> list[dict[str, str]]:
    """Tags the kit puts on what it creates, so clean-up can find exactly those."""
    tags = {CREATED_BY_KEY: CREATED_BY_VALUE, **extra}
    return [{"Key": k, "Value": v} for k, v in tags.items()]


@dataclass
class StepResult:
    name: str
    status: Status
    detail: str = ""
    value: Any = None

    def line(self, lang: str | None = None) -> str:
        from ..display import pad, what, word

        return f"{pad(what(self.name, lang), 28)} {pad(word(self.status, lang), 14)} {self.detail}"


@dataclass
class SetupReport:
    steps: list[StepResult] = field(default_factory=list)
    settings: Any = None  # kfsm_lab.config.Settings with role_arn and bucket filled in

    def add(self, step: StepResult) -> StepResult:
        self.steps.append(step)
        return step

    @property
    def changed(self) -> bool:
        return any(s.status in ("created", "updated") for s in self.steps)

    def to_dict(self) -> dict[str, Any]:
        return {"steps": [asdict(s) for s in self.steps],
                "role_arn": getattr(self.settings, "role_arn", None),
                "bucket": getattr(self.settings, "bucket", None)}

    def text(self, lang: str | None = None) -> str:
        return "\n".join(s.line(lang) for s in self.steps)

    def _repr_html_(self) -> str:
        from ..display import table, what

        return table(["step", "status", "detail"], [(what(s.name), s.status, s.detail) for s in self.steps],
                     "Setup", status_col=1)
