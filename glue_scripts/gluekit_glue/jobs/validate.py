"""The validate job: the pipeline's rules on the run's branch (the curated table as it will be
after publish) → report, run properties, metrics. The job fails when an error-severity rule
failed, so the workflow never publishes: main keeps its snapshot, and the branch stays for
inspection (the report and the error say how to query it)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pyspark.sql import SparkSession

from gluekit_glue import branches
from gluekit_glue.arguments import JobOptions
from gluekit_glue.audit import audit_view
from gluekit_glue.aws import Aws, put_metrics, put_run_properties
from gluekit_glue.branches import BranchState
from gluekit_glue.iceberg import CuratedTable, curated_table
from gluekit_glue.jobs.common import Clock, JobContext, JobFailed, ValidationFailed, run_step
from gluekit_glue.rules import RuleResult, evaluate_rules, report_status, summary_text
from gluekit_glue.summary import StepSummary, utc_now_iso


def run(
    spark: SparkSession, options: JobOptions, *, aws: Aws | None = None, clock: Clock | None = None
) -> StepSummary:
    context = JobContext.create(spark, options, "validate", aws, clock)
    return run_step(context, "validate", lambda summary: _validate(context, summary))


def _validate(context: JobContext, summary: StepSummary) -> None:
    config, run_id = context.config, context.run_id
    transform = context.storage.find_json(config.summary_uri(run_id, "transform"))
    table = curated_table(context.spark, config, context.options.local_root)
    branch = transformed_branch(context, table, transform)
    rows, results = audit(context, table, branch, transform)
    status = report_status(results)
    text = summary_text(results)
    report_uri = config.report_uri(run_id)
    where = branch_report(context, branch)
    context.storage.put_json(
        report_uri,
        {
            "pipeline": config.pipeline,
            "run_id": run_id,
            "status": status,
            "summary": text,
            "rows": rows,
            "branch": where,
            "rules": [r.to_json() for r in results],
            "created_at": utc_now_iso(context.clock()),
        },
    )
    put_run_properties(
        context.aws,
        context.options,
        {"validation_summary": text, "validation_status": status},
    )
    put_metrics(
        context.aws,
        config.metrics_namespace,
        config.pipeline,
        {
            "ValidationRulesFailed": sum(1 for r in results if r.failed),
            "ValidationFailed": 1 if status == "failed" else 0,
        },
        context.clock(),
    )
    summary.rows_in = summary.rows_out = rows
    summary.details.update(
        report=report_uri, validation_status=status, validation_summary=text, branch=where
    )
    if status == "failed":
        raise ValidationFailed(
            f"validation failed for pipeline {config.pipeline}, run {run_id}: {text}. "
            f"Nothing was published (main is unchanged). {kept_for_inspection(where)} "
            f"Report: {report_uri}"
        )


def audit(
    context: JobContext,
    table: CuratedTable,
    branch: BranchState,
    transform: Mapping[str, Any] | None,
) -> tuple[int, list[RuleResult]]:
    """Every rule on the branch's head: (the run's rows there, the results)."""
    view = audit_view(
        context.spark,
        table,
        context.config,
        context.run_id,
        branch.snapshot_id,
        branch.base_snapshot_id,
    )
    return evaluate_rules(view, context.config, context.clock(), transform=transform)


def transformed_branch(
    context: JobContext, table: CuratedTable, transform: Mapping[str, Any] | None
) -> BranchState:
    """The branch transform wrote for this run, still where transform left it."""
    run_id = context.run_id
    uri = context.config.summary_uri(run_id, "transform")
    details = (transform or {}).get("details") or {}
    state = BranchState.from_json(details.get("branch"))
    if transform is None or transform.get("status") != "succeeded" or state is None:
        raise JobFailed(
            f"transform of run {run_id} left no branch to validate (step summary {uri}): "
            "did transform succeed? Run it again"
        )
    current = (
        branches.head(context.spark, table, state.name)
        if context.spark.catalog.tableExists(table.name)
        else None
    )
    if current != state.snapshot_id:
        now = "is gone" if current is None else f"is at snapshot {current}"
        raise JobFailed(
            f"the run's branch {state.name} {now}, not at the snapshot {state.snapshot_id} "
            f"transform wrote: run transform again for run {run_id}"
        )
    return state


def branch_report(context: JobContext, branch: BranchState) -> dict[str, Any]:
    config = context.config
    local_root = context.options.local_root
    return {
        **branch.to_json(),
        "table": f"{config.database}.{config.table}",
        "kept_days": config.keep_snapshots_days,
        "query": branches.how_to_query(config, branch, context.run_id, local_root=local_root),
    }


def kept_for_inspection(where: Mapping[str, Any]) -> str:
    queries = "; ".join(f"{engine}: {sql}" for engine, sql in where["query"].items())
    return (
        f"The run's rows wait on branch {where['name']} of {where['table']} (snapshot "
        f"{where['snapshot_id']}, kept {where['kept_days']} days): {queries}."
    )
