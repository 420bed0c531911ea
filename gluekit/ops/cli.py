"""The operations subcommands of `gluekit`, with the options they share.

Every command takes `--env` (whose prefix names the resources), `--profile` and `--region` (the
AWS session; default: the SDK's own resolution, or the environment's pinned region) and
`--json`. A refusal or an AWS error is one line on stderr and exit status 1.

The AWS SDK is imported only when an operations command runs: `gluekit validate` and the other
spec commands need nothing but the kit's own dependencies.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from gluekit.ops.output import Printer

if TYPE_CHECKING:
    from gluekit.ops.session import Pipeline, Target

WithSpecs = Callable[[argparse.ArgumentParser], argparse.ArgumentParser]
Handler = Callable[["Invocation"], int]


class Invocation:
    """One command's arguments, printer and (opened on first use) AWS target."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.printer = Printer(as_json=args.json)
        self._target: Target | None = None

    @property
    def target(self) -> Target:
        if self._target is None:
            from gluekit.environments import load_environment
            from gluekit.ops.session import open_target

            environment = load_environment(self.args.env, self.args.environments_file)
            self._target = open_target(environment, self.args.profile, self.args.region)
        return self._target

    def pipeline(self) -> Pipeline:
        """The named pipeline's spec (this checkout's) in the target."""
        from gluekit.local.cli import pipeline_spec
        from gluekit.ops.session import Pipeline

        spec, _ = pipeline_spec(self.args)
        return Pipeline(self.target, spec)

    def specs(self) -> list[Pipeline]:
        from gluekit.cli import load_for
        from gluekit.ops.session import Pipeline

        return [Pipeline(self.target, item.spec) for item in load_for(self.args)]


def add_ops_commands(sub: argparse._SubParsersAction, with_specs: WithSpecs) -> None:
    from gluekit.ops import commands

    def command(name: str, help_text: str, handler: Handler) -> argparse.ArgumentParser:
        parser = with_specs(sub.add_parser(name, help=help_text, description=help_text))
        parser.add_argument("--profile", help="AWS profile (default: the SDK's own choice)")
        parser.add_argument(
            "--region", help="AWS region (default: the environment's, else the SDK's)"
        )
        parser.add_argument("--json", action="store_true", help="print JSON for scripts")
        parser.add_argument("--spec", type=Path, help="a spec file (instead of --pipelines-dir)")
        parser.set_defaults(func=_guarded(handler))
        return parser

    status = command("status", "last runs, pending files, DLQ, alarms, freshness", commands.status)
    status.add_argument("pipeline", nargs="?", help="one pipeline (default: every one)")
    status.add_argument("--runs", type=int, default=5, help="how many runs (default: %(default)s)")

    runs = command("runs", "one run in detail: files, steps, validation, quarantine", commands.runs)
    runs.add_argument("pipeline")
    runs.add_argument("run_id", metavar="RUN_ID", help="a workflow run id (gluekit status)")

    start = command(
        "start", "run files already in raw, through the bridge's claims", commands.start
    )
    _selection(start, replay=False)

    replay = command(
        "replay", "run files again (a backfill); --dry-run shows the runs first", commands.replay
    )
    _selection(replay, replay=True)

    resume = command("resume", "rerun a completed run's failed steps", commands.resume)
    resume.add_argument("pipeline")
    resume.add_argument("run_id", metavar="RUN_ID")
    resume.add_argument("--dry-run", action="store_true", help="name the steps, resume nothing")

    redrive = command(
        "redrive", "show the bridge DLQ's messages, then move them back", commands.redrive
    )
    redrive.add_argument("pipeline")
    redrive.add_argument("--yes", action="store_true", help="move them without asking")
    redrive.add_argument("--dry-run", action="store_true", help="only show them")
    redrive.add_argument("--show", type=int, default=10, help="messages shown (%(default)s)")
    redrive.add_argument("--per-second", type=int, help="move at most this many a second")
    redrive.add_argument("--no-wait", action="store_true", help="do not follow the move task")
    redrive.add_argument("--poll-seconds", type=float, default=5.0, help=argparse.SUPPRESS)

    rollback = command(
        "rollback", "roll a curated Iceberg table back to an earlier snapshot", commands.rollback
    )
    rollback.add_argument("pipeline", help="pipeline name")
    target = rollback.add_mutually_exclusive_group(required=True)
    target.add_argument("--to-snapshot", metavar="ID", help="a snapshot id (gluekit local history)")
    target.add_argument(
        "--to-time",
        metavar="TIMESTAMP",
        help="the snapshot current then, e.g. 2026-11-21T06:00:00Z",
    )
    rollback.add_argument(
        "--local", action="store_true", help="the local run's table (default: start it on AWS)"
    )
    rollback.add_argument("--workdir", type=Path, default=Path(".local"), help="with --local")

    cost = command("cost", "DPU-hours and price of recent runs, or an estimate", commands.cost)
    cost.add_argument("pipeline")
    cost.add_argument("--days", type=int, default=7, help="look back (default: %(default)s)")
    cost.add_argument(
        "--estimate", action="store_true", help="from the spec, before deploy (no AWS call)"
    )
    cost.add_argument(
        "--minutes", type=float, default=3.0, help="with --estimate: job minutes a run (3)"
    )
    cost.add_argument(
        "--runs-per-day", type=float, help="with --estimate (default: from a schedule's cron)"
    )

    describe = command("describe", "what is deployed, from the stack outputs", commands.describe)
    describe.add_argument("pipeline")


def _selection(parser: argparse.ArgumentParser, *, replay: bool) -> None:
    parser.add_argument("pipeline")
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--files", nargs="+", metavar="KEY", help="raw object keys")
    which.add_argument("--prefix", metavar="P", help="every file under this raw key prefix")
    if replay:
        which.add_argument("--run", metavar="RUN_ID", help="the files of this run's manifest")
    parser.add_argument("--since", type=_instant, metavar="T", help="with --prefix: modified at T")
    parser.add_argument("--until", type=_instant, metavar="T", help="with --prefix: before T")
    parser.add_argument(
        "--args", default="", metavar="K=V,...", help="this run's values for job parameters"
    )
    parser.add_argument("--dry-run", action="store_true", help="show the plan, change nothing")
    parser.add_argument(
        "--max-wait-minutes",
        type=float,
        default=60.0,
        help="wait this long for free run slots (default: %(default)s)",
    )
    parser.add_argument("--poll-seconds", type=float, default=30.0, help=argparse.SUPPRESS)


def _instant(text: str) -> datetime:
    from gluekit.local.clock import parse_instant

    try:
        return parse_instant(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _guarded(handler: Handler) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        from botocore.exceptions import BotoCoreError, ClientError

        from gluekit.ops.errors import OpsError, explain

        try:
            return handler(Invocation(args))
        except OpsError as exc:
            print(f"error: {exc}", file=sys.stderr)
        except (BotoCoreError, ClientError) as exc:
            print(f"error: {explain(exc, 'calling AWS')}", file=sys.stderr)
        except KeyboardInterrupt:
            print(
                "interrupted: what was started stays started; files not started stay pending",
                file=sys.stderr,
            )
            return 130
        return 1

    return run
