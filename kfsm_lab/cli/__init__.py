"""``kfsm-lab``: the command line. Subcommands load lazily so ``--help`` stays fast."""

from __future__ import annotations

import importlib
import json
import sys
from typing import Any

import click

from .._version import __version__

# name -> "module:attribute"; later features add their line here.
COMMANDS: dict[str, str] = {
    "config": "kfsm_lab.cli.config_cmd:config",
    "local": "kfsm_lab.cli.local_cmd:local",
    "setup": "kfsm_lab.cli.setup_cmd:setup",
    "doctor": "kfsm_lab.cli.setup_cmd:doctor",
    "predict": "kfsm_lab.cli.predict_cmd:predict",
    "cleanup": "kfsm_lab.cli.predict_cmd:cleanup",
    "run": "kfsm_lab.cli.run_cmd:run",
    "notebooks": "kfsm_lab.cli.run_cmd:notebooks",
    "pipeline": "kfsm_lab.cli.pipeline_cmd:pipeline",
}

HELP = {
    "config": "Show the resolved settings.",
    "local": "Start, inspect and stop the local cloud.",
    "setup": "Create the IAM user, role, secret, bucket and data (idempotent).",
    "doctor": "Check credentials, role, bucket, data, secret and KFP; say how to fix each failure.",
    "pipeline": "Compile, run, watch and cancel the MNIST pipeline.",
    "predict": "Ask the endpoint for predictions and report held-out accuracy.",
    "cleanup": "Delete what the kit created so nothing keeps billing.",
    "run": "Run the whole exercise headless (papermill) on the local target by default.",
    "notebooks": "List, inspect and run the bundled notebooks.",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        target = COMMANDS.get(name)
        if target is None:
            return None
        module, attr = target.split(":")
        return getattr(importlib.import_module(module), attr)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # Short help without importing every subcommand module.
        rows = [(n, HELP.get(n, "")) for n in self.list_commands(ctx)]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


def emit(data: Any, as_json: bool, text: str | None = None) -> None:
    """Print ``data`` as JSON or ``text`` for people."""
    if as_json:
        click.echo(json.dumps(data, indent=2, default=str))
    else:
        click.echo(text if text is not None else data)


def fail(exc: BaseException, as_json: bool = False) -> None:
    """Print a kit error (message, then what to do) and exit 1 — never a traceback for expected errors."""
    from ..errors import KfsmError
    from ..i18n import t

    if as_json and isinstance(exc, KfsmError):
        click.echo(json.dumps(exc.to_dict(), indent=2))
    elif isinstance(exc, KfsmError):
        click.echo(t(None, "cli.error", message=exc.message), err=True)
        if exc.hint:
            click.echo(t(None, "cli.hint", hint=exc.hint), err=True)
    else:
        click.echo(t(None, "cli.error", message=exc), err=True)
    sys.exit(1)


def _lang_from_argv(argv: list[str]) -> str | None:
    """``--lang ja`` anywhere before the subcommand's own arguments, read before click parses them."""
    for i, arg in enumerate(argv):
        if arg == "--lang" and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--lang="):
            return arg.split("=", 1)[1]
    return None


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="kfsm-lab")
@click.option("--lang", "ui_lang", type=click.Choice(["en", "ja"]), default=None,
              help="language of messages and reports (default: KFSM_LANG, then the locale: LANG=ja_JP.UTF-8 → ja)")
def main(ui_lang: str | None) -> None:
    """kfsm-lab: the Kubeflow Pipelines + SageMaker MNIST exercise, on AWS or on a local cloud."""
    from ..i18n import set_lang

    if ui_lang:
        set_lang(ui_lang)


def console() -> None:
    """The ``kfsm-lab`` command: :func:`run`, then a quick exit (see :mod:`kfsm_lab.exiting`)."""
    from ..exiting import exit_code, exit_now

    try:
        run()
    except SystemExit as exc:
        exit_now(exit_code(exc))
    exit_now(0)


def run() -> None:
    """Console entry point that turns kit errors into one clear line and exit status 1."""
    from ..errors import KfsmError
    from ..i18n import set_lang

    early = _lang_from_argv(sys.argv[1:])
    if early in ("en", "ja"):
        set_lang(early)  # so errors raised while parsing are in that language too
    try:
        main(standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        from ..i18n import t

        click.echo(t(None, "cli.aborted"), err=True)
        sys.exit(130)
    except KfsmError as exc:
        fail(exc)
