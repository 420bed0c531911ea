"""`gluekit status [PIPELINE]`: the last runs, what waits, and what is wrong, at a glance.

For one pipeline: its last runs (id, start, each step's state, transform's rows in / out /
rejected, the validation summary, the file count), the files pending with the oldest one's age,
the bridge DLQ's depth, the pipeline's alarms in ALARM, and the last publish against the
freshness the spec expects. Without a pipeline: one line per pipeline of the specs.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from gluekit.naming import STEPS
from gluekit.ops import bridge_state, clock
from gluekit.ops.errors import OpsError, explain
from gluekit.ops.execution_runs import runs_of
from gluekit.ops.glue_runs import GlueRuns, RunView
from gluekit.ops.output import count, duration, fields, iso, table
from gluekit.ops.session import Pipeline


def pipeline_status(pipeline: Pipeline, limit: int) -> dict[str, Any]:
    now = clock.now()
    runs = runs_of(pipeline)
    listing = runs.listing()
    recent = [runs.run(str(r["WorkflowRunId"])) for r in listing[:limit]]
    waiting = bridge_state.pending(pipeline)
    published = runs.last_published(listing)
    expected_hours = pipeline.spec.alerts.expected_every_hours
    age = (now.timestamp() - published.timestamp()) if published else None
    return {
        "pipeline": pipeline.name,
        # Who runs the steps: the Glue workflow, or the state machine (orchestrator).
        "workflow": pipeline.names.workflow
        if pipeline.spec.orchestrator != "step-functions"
        else f"state machine {pipeline.names.state_machine}",
        "now": iso(now),
        "runs": [_run_row(runs, run) for run in recent],
        "pending": {
            "count": waiting.count,
            "complete": waiting.complete,
            "oldest_age_seconds": waiting.oldest_age(now.timestamp()),
            "scheduled": pipeline.spec.trigger.schedule is not None,
        },
        # A derived pipeline (trigger.after) has no arrivals queue, so no DLQ.
        "dlq_depth": None if pipeline.spec.is_derived else dlq_depth(pipeline),
        "alarms": alarms_in_alarm(pipeline),
        "last_publish": {
            "at": iso(published),
            "age_seconds": age,
            "expected_every_hours": expected_hours,
            "fresh": age is not None and age <= expected_hours * 3600,
            "runs_looked_at": len(listing),
        },
    }


def overview_row(pipeline: Pipeline) -> dict[str, Any]:
    """One pipeline's line of `gluekit status`; an undeployed pipeline says so in its row."""
    try:
        status = pipeline_status(pipeline, limit=1)
    except OpsError as exc:
        return {"pipeline": pipeline.name, "error": str(exc)}
    return status


def dlq_depth(pipeline: Pipeline) -> int:
    sqs = pipeline.client("sqs")
    doing = f"reading the bridge DLQ {pipeline.names.bridge_dlq}"
    try:
        url = sqs.get_queue_url(QueueName=pipeline.names.bridge_dlq)["QueueUrl"]
        attributes = sqs.get_queue_attributes(
            QueueUrl=url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
    except (BotoCoreError, ClientError) as exc:
        raise OpsError(explain(exc, doing, deploy_hint=pipeline.deploy_command)) from None
    return int(attributes.get("ApproximateNumberOfMessages", 0)) + int(
        attributes.get("ApproximateNumberOfMessagesNotVisible", 0)
    )


def alarms_in_alarm(pipeline: Pipeline) -> list[dict[str, Any]]:
    """The pipeline's own alarms in ALARM. Its alarm descriptions start with
    `gluekit <pipeline>:` (infra/constructs/monitoring.py), which tells them from the alarms of a
    pipeline whose name merely starts the same (`orders` and `orders-eu`)."""
    cloudwatch = pipeline.client("cloudwatch")
    own = f"gluekit {pipeline.name}:"
    found = []
    try:
        pages = cloudwatch.get_paginator("describe_alarms").paginate(
            AlarmNamePrefix=f"{pipeline.names.base}-", StateValue="ALARM"
        )
        for page in pages:
            for alarm in page.get("MetricAlarms", []):
                # (the state is checked here too: moto ignores StateValue beside a prefix)
                mine = str(alarm.get("AlarmDescription") or "").startswith(own)
                if mine and alarm.get("StateValue") == "ALARM":
                    found.append(
                        {
                            "name": alarm["AlarmName"],
                            "since": iso(alarm.get("StateUpdatedTimestamp")),
                            "reason": alarm.get("StateReason") or "",
                        }
                    )
    except (BotoCoreError, ClientError) as exc:
        raise OpsError(explain(exc, "reading the pipeline's alarms")) from None
    return sorted(found, key=lambda a: a["name"])


def _run_row(runs: GlueRuns, run: RunView) -> dict[str, Any]:
    transform = runs.summary(run.data_run_id, "transform") or {}
    validate = runs.summary(run.data_run_id, "validate") or {}
    summary = run.properties.get("validation_summary") or (validate.get("details") or {}).get(
        "validation_summary"
    )
    return {
        "run_id": run.run_id,
        "started": iso(run.started),
        "status": run.status,
        "steps": {step: run.step_state(step) for step in STEPS},
        "rows_in": transform.get("rows_in"),
        "rows_out": transform.get("rows_out"),
        "rows_rejected": transform.get("rows_rejected"),
        "files_rejected": len(transform.get("files_rejected") or []) if transform else None,
        "validation": {
            "status": run.properties.get("validation_status")
            or (validate.get("details") or {}).get("validation_status"),
            "summary": summary,
        },
        "file_count": run.file_count,
        "batch_id": run.properties.get("batch_id"),
    }


# ----------------------------------------------------------------------------------- text
def status_lines(status: dict[str, Any]) -> list[str]:
    pending, publish = status["pending"], status["last_publish"]
    runner = status["workflow"]
    runner = runner if runner.startswith("state machine") else f"workflow {runner}"
    lines = [f"{status['pipeline']} ({runner}), at {status['now']}", ""]
    lines.append("Last runs:")
    lines += [
        "  " + line
        for line in table(
            [
                "RUN",
                "STARTED",
                "STATUS",
                *(s.upper() for s in STEPS),
                "FILES",
                "ROWS IN/OUT/REJ",
                "VALIDATION",
            ],
            (
                [
                    run["run_id"],
                    run["started"],
                    run["status"],
                    *(run["steps"][s] for s in STEPS),
                    run["file_count"],
                    _rows(run),
                    _validation(run["validation"]),
                ]
                for run in status["runs"]
            ),
        )
    ]
    lines.append("")
    lines += fields(
        [
            ("Pending", _pending(pending)),
            ("Bridge DLQ", _dlq(status["dlq_depth"])),
            (
                "Alarms",
                f"{len(status['alarms'])} in ALARM" if status["alarms"] else "none in ALARM",
            ),
            ("Last publish", _publish(publish)),
        ]
    )
    for alarm in status["alarms"]:
        lines.append(f"  ALARM {alarm['name']} since {alarm['since']}: {alarm['reason']}")
    return lines


def overview_lines(rows: list[dict[str, Any]]) -> list[str]:
    def cells(row: dict[str, Any]) -> list[Any]:
        if "error" in row:
            return [row["pipeline"], f"error: {row['error']}", "", "", "", ""]
        last = row["runs"][0] if row["runs"] else None
        last_run = f"{last['status']} {last['started']}" if last else "no runs"
        return [
            row["pipeline"],
            last_run,
            _pending(row["pending"]),
            "-" if row["dlq_depth"] is None else row["dlq_depth"],
            len(row["alarms"]),
            _publish(row["last_publish"]),
        ]

    return table(
        ["PIPELINE", "LAST RUN", "PENDING", "DLQ", "ALARMS", "LAST PUBLISH"],
        (cells(row) for row in rows),
    )


def _rows(run: dict[str, Any]) -> str:
    if run["rows_in"] is None:
        return "-"
    return f"{run['rows_in']:,}/{run['rows_out']:,}/{run['rows_rejected']:,}"


def _validation(validation: dict[str, Any]) -> str:
    summary = validation.get("summary")
    status = validation.get("status")
    if not summary and not status:
        return "-"
    text = f"{status}: {summary}" if status and summary else str(summary or status)
    return text if len(text) <= 60 else text[:57] + "..."


def _pending(pending: dict[str, Any]) -> str:
    if not pending["count"]:
        return "no files"
    more = "" if pending["complete"] else " or more"
    text = (
        f"{count(pending['count'], 'file')}{more}, oldest {duration(pending['oldest_age_seconds'])}"
    )
    if pending["scheduled"]:
        text += " (a scheduled pipeline: they wait for the cron)"
    return text


def _dlq(depth: int | None) -> str:
    if depth is None:
        return "none (no files: it follows other pipelines)"
    if not depth:
        return "empty"
    return f"{count(depth, 'message')}: see them and move them back with gluekit redrive"


def _publish(publish: dict[str, Any]) -> str:
    if publish["at"] is None:
        return f"none in the last {count(publish['runs_looked_at'], 'run')}"
    verdict = "fresh" if publish["fresh"] else "STALE"
    return (
        f"{publish['at']} ({duration(publish['age_seconds'])} ago; {verdict}, "
        f"expected every {publish['expected_every_hours']:g} h)"
    )
