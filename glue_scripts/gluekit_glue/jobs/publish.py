"""The publish job: main := the run's validated branch, one atomic metadata-only commit.

- It refuses a run whose validation report is missing or failed, or whose branch transform
  wrote again after the validation.
- ``CALL <catalog>.system.fast_forward(table, 'main', branch)`` when main is still the snapshot
  the branch was cut from. Readers see all of the run or none of it.
- When main moved meanwhile (another publish or a compaction committed), a fast-forward would
  be refused, and overwriting would lose their commits. The run is re-applied on the new main
  instead (`wap.rebase`: the run's rows of the validated snapshot merged onto it), the rules
  run again on the result, and that is fast-forwarded; a few attempts, then the job fails and
  says to run it again. Never an overwrite.
- A run whose rows were all older than the table's changes nothing: main keeps its snapshot.
- Run again after the fast-forward happened (a crash before the summary, a Glue retry), it finds
  the branch's head in main's history and succeeds without a commit.
- After a successful publish the run's branch is dropped: its snapshot is in main's history,
  where time travel finds it, and every ref is an entry in the table's metadata, which every
  commit rewrites. A branch that is never published (its validation failed) expires with the
  history, ``compaction.keep_snapshots_days`` (the branch's RETAIN), so it stays for inspection.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pyspark.sql import SparkSession

from gluekit_glue import branches, wap
from gluekit_glue.arguments import JobOptions
from gluekit_glue.aws import Aws, put_metrics, put_run_properties
from gluekit_glue.branches import MAIN, BranchState
from gluekit_glue.iceberg import CuratedTable, curated_table, snapshot_facts, table_properties
from gluekit_glue.jobs.common import (
    Clock,
    JobContext,
    JobFailed,
    ValidationFailed,
    describe_error,
    log,
    run_step,
)
from gluekit_glue.jobs.transform_upstream import UPSTREAMS_DETAIL
from gluekit_glue.jobs.validate import audit, branch_report, kept_for_inspection
from gluekit_glue.merge import MergeLostRaces
from gluekit_glue.rules import report_status, summary_text
from gluekit_glue.summary import StepSummary, utc_now_iso
from gluekit_glue.upstream import positions_to_record

PUBLISH_ATTEMPTS = 4
NOT_AN_ANCESTOR = "is not an ancestor of"  # Iceberg's refusal of a fast-forward
COMMIT_FAILED = "CommitFailedException"  # a concurrent commit won the optimistic race


def run(
    spark: SparkSession, options: JobOptions, *, aws: Aws | None = None, clock: Clock | None = None
) -> StepSummary:
    context = JobContext.create(spark, options, "publish", aws, clock)
    summary = run_step(context, "publish", lambda summary: _publish(context, summary))
    # Only once the summary records the publish: a crash before this leaves the branch, whose
    # head in main's history is how a retry knows that the publish happened.
    _drop_branches(context, summary.details.get("branch"))
    return summary


def _publish(context: JobContext, summary: StepSummary) -> None:
    config, run_id = context.config, context.run_id
    report = _require_passed_validation(context)
    transform = context.storage.find_json(config.summary_uri(run_id, "transform")) or {}
    validated = _validated_branch(context, report, transform)
    table = curated_table(context.spark, config, context.options.local_root)
    summary.details.update(table=f"{config.database}.{config.table}", branch=validated.name)
    published = _already_published(context, table, validated)
    if published is not None:
        summary.details.update(published, already_published=True)
    else:
        outcome, snapshot_id, rebases = _make_current(context, table, validated, transform)
        summary.details.update(
            outcome=outcome,
            rebases=rebases,
            snapshot=snapshot_facts(context.spark, table, snapshot_id) if snapshot_id else None,
        )
    rows = int(transform.get("rows_out") or 0)
    summary.rows_in = summary.rows_out = rows
    summary.partitions = list(transform.get("partitions") or [])
    if published is not None:
        # Its summary says the publish succeeded, after the metrics: counting them again would
        # double RowsPublished. (A crash after the commit and before the summary cannot tell
        # whether the metrics went out: that retry sends them, at least once.)
        return
    published_at = utc_now_iso(context.clock())
    put_metrics(
        context.aws,
        config.metrics_namespace,
        config.pipeline,
        # An empty run is not fresh data: the staleness alarm keeps counting.
        {
            "PublishSucceeded": 1 if rows else 0,
            "RowsPublished": rows,
            "PartitionsPublished": len(transform.get("partitions") or []),
        },
        context.clock(),
    )
    put_run_properties(context.aws, context.options, {"published_at": published_at})
    summary.details.update(
        location=table.location or "(local hadoop catalog)", published_at=published_at
    )


def _make_current(
    context: JobContext,
    table: CuratedTable,
    validated: BranchState,
    transform: Mapping[str, Any],
) -> tuple[str, int | None, int]:
    """(outcome, the snapshot main now holds the run in, rebases): fast-forward main to the
    branch, re-applying the run on main first when main moved since the branch was cut."""
    spark = context.spark
    # A derived pipeline's upstream positions go with the commit that publishes what it read.
    reads = (transform.get("details") or {}).get(UPSTREAMS_DETAIL) or []
    positions = positions_to_record(reads)
    if not validated.wrote or branches.changes_nothing(spark, table, validated.snapshot_id):
        _record_positions_alone(context, table, reads)
        return "nothing newer than the table: main unchanged", None, 0
    rebases = 0
    for _ in range(PUBLISH_ATTEMPTS):
        head = branches.head(spark, table, validated.name)
        assert head is not None  # checked by _already_published; only this run moves it
        if branches.contains(spark, table, MAIN, head):
            return "already published", head, rebases
        main = branches.head(spark, table, MAIN)
        if main is None or main == branches.parent(spark, table, head):
            _refuse_if_superseded(context, table, reads)
            try:
                branches.fast_forward(spark, table, validated.name, positions)
                return "published", head, rebases
            except Exception as exc:  # main moved between the look and the commit
                if not _main_moved(exc):
                    raise
                log.warning("main moved while fast-forwarding: %s", describe_error(exc))
                continue
        log.info("main moved since branch %s was cut: re-applying the run on it", validated.name)
        rebases += 1
        current = BranchState(validated.name, branches.parent(spark, table, head) or head, head)
        if not _rebase(context, table, current, transform):
            _record_positions_alone(context, table, reads)
            return "nothing newer than the table: main unchanged", None, rebases
    raise JobFailed(
        f"main moved {PUBLISH_ATTEMPTS} times while run {context.run_id} was being published "
        f"(other publishes or compactions): nothing was published; run publish again"
    )


def _main_moved(exc: BaseException) -> bool:
    """Iceberg refused the fast-forward because main is no longer the branch's base: it moved
    before the table was loaded (not an ancestor) or between the load and the commit (a commit
    conflict; CommitStateUnknownException is not one: that commit may have happened)."""
    text = f"{exc} {describe_error(exc)}"
    return NOT_AN_ANCESTOR in text or COMMIT_FAILED in text


def _record_positions_alone(
    context: JobContext, table: CuratedTable, reads: list[Mapping[str, Any]]
) -> None:
    """Nothing to publish, but the changes were read: the next run starts after them."""
    positions = positions_to_record(reads)
    if positions:
        _refuse_if_superseded(context, table, reads)
        branches.set_properties(context.spark, table, positions)
        log.info("upstream positions recorded: %s", positions)


def _refuse_if_superseded(
    context: JobContext, table: CuratedTable, reads: list[Mapping[str, Any]]
) -> None:
    """A derived run publishes only from the position it read from (or, run again, the one it
    moved to): else a later run published meanwhile, or a rollback reset the position, and this
    run's older rows and position would overwrite theirs."""
    if not reads:
        return
    current = table_properties(context.spark, table)
    for read in reads:
        recorded = current.get(str(read.get("property")))
        if recorded in (read.get("since"), read.get("snapshot_id")):
            continue
        raise JobFailed(
            f"run {context.run_id} read {read.get('table')} from snapshot "
            f"{read.get('since') or '(the start)'}, but the table's position is now "
            f"{recorded or '(none: reset by a rollback)'}: a later run published, or a rollback "
            "reset it. Nothing was published; the next run reads from the table's position"
        )


def _rebase(
    context: JobContext, table: CuratedTable, current: BranchState, transform: Mapping[str, Any]
) -> bool:
    """Re-apply the run on main as it is now and audit it again (rows that were newer may no
    longer be, which can change a share or a key count); point the run's branch at the result.
    False when nothing of the run is newer than main any more."""
    spark = context.spark
    try:
        rebased, _ = wap.rebase(spark, context.config, table, current, context.run_id)
    except MergeLostRaces as exc:
        raise JobFailed(f"{exc}; nothing was published: run publish again") from exc
    if not rebased.wrote or branches.changes_nothing(spark, table, rebased.snapshot_id):
        branches.drop(spark, table, rebased.name)
        return False
    _, results = audit(context, table, rebased, transform)
    if report_status(results) == "failed":
        where = branch_report(context, rebased)
        raise ValidationFailed(
            f"run {context.run_id} re-applied on the current main fails validation: "
            f"{summary_text(results)}. Nothing was published (main is unchanged). "
            f"{kept_for_inspection(where)}"
        )
    branches.point(spark, table, current.name, rebased.snapshot_id)
    branches.drop(spark, table, rebased.name)
    return True


def _already_published(
    context: JobContext, table: CuratedTable, validated: BranchState
) -> dict[str, Any] | None:
    """The previous publish's details when this run is published and its branch is gone;
    None when there is a branch to publish. A missing branch otherwise fails the job."""
    spark = context.spark
    exists = spark.catalog.tableExists(table.name)
    if exists and branches.head(spark, table, validated.name) is not None:
        return None
    uri = context.config.summary_uri(context.run_id, "publish")
    previous = context.storage.find_json(uri) or {}
    if previous.get("status") == "succeeded":
        return dict(previous.get("details") or {})
    raise JobFailed(
        f"the run's branch {validated.name} is gone and run {context.run_id} was never "
        f"published (it expires after compaction.keep_snapshots_days, or was dropped): "
        "replay the batch"
    )


def _validated_branch(
    context: JobContext, report: Mapping[str, Any], transform: Mapping[str, Any]
) -> BranchState:
    validated = BranchState.from_json(report.get("branch"))
    if validated is None:
        raise JobFailed(
            f"the validation report of run {context.run_id} names no branch (an older kit's): "
            "run transform and validate again"
        )
    written = BranchState.from_json((transform.get("details") or {}).get("branch"))
    if written is None:
        raise JobFailed(
            f"transform's step summary of run {context.run_id} names no branch: did transform "
            "succeed? Run transform and validate again"
        )
    if written != validated:
        raise JobFailed(
            f"transform wrote the run's branch again after it was validated (now {written}, "
            f"validated {validated}): run validate again before publish"
        )
    return validated


def _require_passed_validation(context: JobContext) -> Mapping[str, Any]:
    uri = context.config.report_uri(context.run_id)
    report = context.storage.find_json(uri)
    if report is None:
        raise JobFailed(
            f"no validation report at {uri}: run validate for run {context.run_id} before publish"
        )
    if report.get("status") != "passed":
        raise JobFailed(
            f"validation of run {context.run_id} failed ({report.get('summary', 'see report')}); "
            f"not publishing. Report: {uri}"
        )
    return report


def _drop_branches(context: JobContext, name: Any) -> None:
    if not isinstance(name, str):
        return
    table = curated_table(context.spark, context.config, context.options.local_root)
    try:
        for branch in (name, name + wap.REBASE_SUFFIX):
            branches.drop(context.spark, table, branch)
    except Exception as exc:  # the publish stands; an undropped branch expires with its RETAIN
        log.warning("could not drop the published branch %s: %s", name, describe_error(exc))
