"""The subcommands' handlers: arguments in, one call into the module that does the work, the
document or the lines out. Each returns the exit status."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gluekit.ops import clock
from gluekit.ops.errors import OpsError

if TYPE_CHECKING:
    from gluekit.ops.cli import Invocation


def status(run: Invocation) -> int:
    from gluekit.ops.status import overview_lines, overview_row, pipeline_status, status_lines

    if run.args.runs < 1:
        raise OpsError("--runs must be at least 1")
    if run.args.pipeline:
        document = pipeline_status(run.pipeline(), run.args.runs)
        run.printer.emit(document, lambda: status_lines(document))
        return 0
    rows = [overview_row(pipeline) for pipeline in run.specs()]
    run.printer.emit({"pipelines": rows}, lambda: overview_lines(rows))
    return 1 if any("error" in row for row in rows) else 0


def runs(run: Invocation) -> int:
    from gluekit.ops.runs import detail_lines, run_detail

    document = run_detail(run.pipeline(), run.args.run_id)
    run.printer.emit(document, lambda: detail_lines(document))
    return 0


def start(run: Invocation) -> int:
    return _start_or_replay(run, replay=False)


def replay(run: Invocation) -> int:
    return _start_or_replay(run, replay=True)


def _start_or_replay(run: Invocation, *, replay: bool) -> int:
    from gluekit.ops.start import selection_from, start_or_replay

    args = run.args
    if not (args.files or args.prefix or getattr(args, "run", None) or args.since or args.until):
        which = "--run RUN_ID, --files KEY ... or --prefix P" if replay else "--files or --prefix"
        raise OpsError(f"name the files to run: {which} (with --since/--until)")
    if (args.since or args.until) and args.files:
        raise OpsError("--since and --until go with --prefix, not --files")
    pipeline = run.pipeline()
    parameters = _parameters(args.args, pipeline.spec.job.parameters)
    return start_or_replay(
        pipeline,
        selection_from(args),
        run.printer,
        replay=replay,
        dry_run=args.dry_run,
        parameters=parameters,
        poll_seconds=args.poll_seconds,
        max_wait_seconds=args.max_wait_minutes * 60,
    )


def _parameters(text: str, declared: dict[str, str]) -> dict[str, str]:
    """`--args K=V,...`, each key one of the spec's job parameters (as `gluekit local run`)."""
    if not text:
        return {}
    from gluekit_glue.arguments import ArgumentError, parse_overrides

    try:
        overrides = parse_overrides(text)
    except ArgumentError as exc:
        raise OpsError(f"--args: {exc}") from None
    unknown = sorted(set(overrides) - set(declared))
    if unknown:
        known = ", ".join(sorted(declared)) or "none"
        raise OpsError(f"--args: {', '.join(unknown)}: not a job parameter (known: {known})")
    return overrides


def resume(run: Invocation) -> int:
    from gluekit.ops.resume import resume as resume_run

    return resume_run(run.pipeline(), run.args.run_id, run.printer, dry_run=run.args.dry_run)


def redrive(run: Invocation) -> int:
    from gluekit.ops.redrive import redrive as redrive_dlq

    args = run.args
    return redrive_dlq(
        run.pipeline(),
        run.printer,
        yes=args.yes,
        dry_run=args.dry_run,
        show=args.show,
        per_second=args.per_second,
        wait=not args.no_wait,
        poll_seconds=args.poll_seconds,
    )


def rollback(run: Invocation) -> int:
    from gluekit.ops.rollback import rollback_arguments, rollback_locally, rollback_on_aws

    if run.args.local:
        return rollback_locally(run.args)
    return rollback_on_aws(run.pipeline(), rollback_arguments(run.args), run.printer)


def cost(run: Invocation) -> int:
    from gluekit.ops import cost as costs

    args = run.args
    if args.days < 1:
        raise OpsError("--days must be at least 1")
    if args.estimate:
        from gluekit.environments import load_environment
        from gluekit.local.cli import pipeline_spec

        spec, _ = pipeline_spec(args)
        environment = load_environment(args.env, args.environments_file)
        document = costs.estimate(spec, environment, args.minutes, args.runs_per_day)
        run.printer.emit(document, lambda: costs.estimate_lines(document))
        return 0
    document = costs.measured(run.pipeline(), args.days, clock.now())
    run.printer.emit(document, lambda: costs.measured_lines(document))
    return 0


def describe(run: Invocation) -> int:
    from gluekit.ops.describe import describe as describe_stacks
    from gluekit.ops.describe import describe_lines

    document = describe_stacks(run.pipeline())
    run.printer.emit(document, lambda: describe_lines(document))
    return 0
