"""`gluekit local run` and `gluekit local query` (wired in by gluekit.cli)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

DEFAULT_WORKDIR = Path(".local")


def add_local_commands(sub: Any, with_specs: Callable[[argparse.ArgumentParser], Any]) -> None:
    local = sub.add_parser("local", help="run a pipeline end to end on this machine (moto + Spark)")
    local_sub = local.add_subparsers(required=True, metavar="COMMAND")

    run = with_specs(local_sub.add_parser("run", help="drop files and run the pipeline locally"))
    run.add_argument("pipeline", help="pipeline name")
    run.add_argument(
        "--drop",
        nargs="+",
        type=Path,
        default=[],
        metavar="FILE",
        help="files to drop into the raw bucket under the pipeline's prefix (none for a "
        "pipeline with trigger.after: it reads what its upstreams published in WORKDIR)",
    )
    run.add_argument(
        "--no-followers",
        action="store_true",
        help="do not run the pipelines that follow this one (trigger.after) after it publishes",
    )
    run.add_argument("--spec", type=Path, help="a spec file (instead of --pipelines-dir)")
    run.add_argument(
        "--workdir",
        type=Path,
        default=DEFAULT_WORKDIR,
        help="where emulated S3 data lives (default: %(default)s)",
    )
    run.add_argument("--report-json", type=Path, help="also write the report as JSON here")
    run.add_argument(
        "--args",
        default="",
        metavar="KEY=value,KEY2=value",
        help="this run's values for the pipeline's job parameters",
    )
    run.add_argument(
        "--now",
        metavar="TIMESTAMP",
        help="the instant the run happens at, e.g. 2026-11-21T12:00:00Z (default: this "
        "machine's clock); rules such as freshness judge the data against it",
    )
    run.add_argument(
        "--redeliver",
        action="store_true",
        help="deliver every event twice, as SQS may (shows deduplication)",
    )
    run.set_defaults(func=cmd_run)

    query = with_specs(local_sub.add_parser("query", help="SQL over the local curated table"))
    query.add_argument("pipeline", help="pipeline name (also the table name, '-' → '_')")
    query.add_argument("sql", help='e.g. "SELECT dt, count(*) FROM orders GROUP BY dt"')
    query.add_argument("--spec", type=Path, help="a spec file (instead of --pipelines-dir)")
    query.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR)
    query.add_argument(
        "--version", help="a branch (run_<run id>), tag or snapshot id instead of the current data"
    )
    query.set_defaults(func=cmd_query)

    history = with_specs(
        local_sub.add_parser("history", help="the local curated table's Iceberg snapshots")
    )
    history.add_argument("pipeline", help="pipeline name")
    history.add_argument("--spec", type=Path, help="a spec file (instead of --pipelines-dir)")
    history.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR)
    history.set_defaults(func=cmd_history)


def pipeline_spec(args: argparse.Namespace) -> tuple[Any, str]:
    loaded, prefix = loaded_pipeline(args)
    return loaded.spec, prefix


def loaded_pipeline(args: argparse.Namespace) -> tuple[Any, str]:
    """The named pipeline's LoadedSpec (its spec and where it lies) and the name prefix."""
    from gluekit.cli import load_for
    from gluekit.environments import load_environment
    from gluekit.spec import SpecError, SpecErrors

    prefix = load_environment(args.env, args.environments_file).name_prefix
    specs = {item.spec.name: item for item in load_for(args)}
    if args.pipeline not in specs:
        where = args.spec or args.pipelines_dir
        raise SpecErrors(
            [
                SpecError(
                    str(where),
                    "",
                    f"no pipeline named '{args.pipeline}'; "
                    f"known: {', '.join(sorted(specs)) or 'none'}",
                )
            ]
        )
    return specs[args.pipeline], prefix


def cmd_run(args: argparse.Namespace) -> int:
    from gluekit.local.clock import parse_instant
    from gluekit.local.runner import run_pipeline
    from gluekit_glue.arguments import ArgumentError, parse_overrides

    loaded, prefix = loaded_pipeline(args)
    spec = loaded.spec
    if not args.drop and not spec.is_derived:
        print(f"error: --drop: give the files to drop for {spec.name}", file=sys.stderr)
        return 2
    try:
        now = parse_instant(args.now) if args.now else None
    except ValueError as exc:
        print(f"error: --now: {exc}", file=sys.stderr)
        return 2
    try:
        overrides = parse_overrides(args.args)
    except ArgumentError as exc:
        print(f"error: --args: {exc}", file=sys.stderr)
        return 2
    unknown = sorted(set(overrides) - set(spec.job.parameters))
    if unknown:
        known = ", ".join(sorted(spec.job.parameters)) or "none"
        print(
            f"error: --args: {', '.join(unknown)}: not a job parameter of "
            f"{spec.name} (its parameters: {known})",
            file=sys.stderr,
        )
        return 2
    try:
        report = run_pipeline(
            spec,
            list(args.drop),
            prefix=prefix,
            workdir=args.workdir,
            redeliver=args.redeliver,
            overrides=overrides,
            now=now,
            code_dir=loaded.code_dir,
        )
    except (FileNotFoundError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print()
    print(report.as_text())
    if args.report_json:
        args.report_json.write_text(report.as_json() + "\n", encoding="utf-8")
        print(f"Report JSON:    {args.report_json}")
    failed = report.failed
    if not failed and not args.no_followers:
        failed = _run_followers(args, spec.name, prefix, now)
    return 1 if failed else 0


def _run_followers(args: argparse.Namespace, upstream: str, prefix: str, now: Any) -> bool:
    """The pipelines that follow ``upstream``, as its publish starts them when deployed; True
    when one of them failed."""
    from gluekit.cli import load_for
    from gluekit.local.chain import run_followers

    reports = run_followers(load_for(args), upstream, prefix=prefix, workdir=args.workdir, now=now)
    for report in reports:
        print()
        print(report.as_text())
    return any(report.failed for report in reports)


def cmd_query(args: argparse.Namespace) -> int:
    from gluekit.local.query import QueryError, format_table, query

    spec, prefix = pipeline_spec(args)
    try:
        columns, rows = query(
            spec, args.sql, prefix=prefix, workdir=args.workdir, version=args.version
        )
    except (FileNotFoundError, QueryError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(format_table(columns, rows))
    return 0


def cmd_history(args: argparse.Namespace) -> int:
    from gluekit.local.maintenance import history
    from gluekit.local.query import format_table

    spec, prefix = pipeline_spec(args)
    try:
        rows = history(spec, prefix, args.workdir)
    except FileNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    columns = list(rows[0]) if rows else ["snapshot_id"]
    print(format_table(columns, [list(r.values()) for r in rows]))
    return 0
