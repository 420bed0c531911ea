"""The alert for a Glue job run that failed, timed out or was stopped: what happened, the
batch's files, for validate the failed rules, and the commands (the kit's and the AWS CLI's)
that resume or replay the run. Pure functions of the configuration, the event and the facts.
"""

from __future__ import annotations

import json
import re
from typing import Any

from notifier import kit_commands, layout, runbook
from notifier.config import NotifierConfig
from notifier.events import JobRunEnded
from notifier.facts import RuleResult, RunFacts

MAX_FILES_IN_DATA = 20
MAX_RULES = 20
# Glue prefixes some failure messages with the job and run, which the alert shows anyway.
_GLUE_ERROR_PREFIX = re.compile(
    r"^JobName:\S+ and JobRunId:\S+ failed to execute with exception\s*", re.IGNORECASE
)


def job_run_notification(
    config: NotifierConfig, alert: JobRunEnded, facts: RunFacts
) -> layout.Notification:
    job_run, manifest = facts.job_run, facts.manifest
    error = layout.clip(
        alert.message or (job_run.error_message if job_run else None) or "", layout.MAX_ERROR_CHARS
    )
    failures = facts.report.failures if facts.report else ()
    headline = f"Step {alert.step} of pipeline {config.pipeline} {alert.state}"
    if failures:
        headline += f": {layout.count(len(failures), 'validation rule')} failed"
    elif alert.state == "TIMEOUT" and job_run and job_run.timeout_minutes:
        headline += f" after its timeout of {job_run.timeout_minutes} min"

    sections = [
        layout.fields(
            ("Pipeline", config.pipeline),
            ("Step", f"{alert.step} (Glue job {alert.job_name})"),
            (
                "State",
                f"{alert.state} (severity {alert.severity})" if alert.severity else alert.state,
            ),
            ("When", layout.when(alert.time, job_run.execution_seconds if job_run else None)),
            (
                "Error",
                layout.clip(layout.first_line(error), layout.MAX_ERROR_LINE_CHARS)
                or "(none given)",
            ),
            ("Workflow run", _workflow_run_field(facts)),
            ("Job run", alert.run_id),
            ("Batch", _batch(facts)),
        )
    ]
    if error.strip() != layout.clip(layout.first_line(error), layout.MAX_ERROR_LINE_CHARS):
        sections.append(["Error in full:", *layout.indent(error.strip().splitlines())])
    if alert.step == "validate" and facts.workflow_run_id:
        sections.append(_validation_section(facts))
    if manifest is not None:
        sections.append(
            layout.files_section(manifest.uri, [(f.uri, f.size) for f in manifest.files])
        )
    actions = _job_actions(config, alert, facts)
    links = _job_links(config, alert, facts)
    sections += [
        layout.actions_section(_job_guidance(alert, facts), actions),
        layout.links_section(links),
        layout.notes_section(facts.notes),
    ]
    text = layout.compose(headline, sections)
    detail = _job_subject_detail(alert, facts, error)
    subject = layout.subject_line(f"[{config.workflow_name}] {alert.step} {alert.state}: {detail}")
    data: dict[str, Any] = {
        **layout.common(config, "job_run_ended", alert.event_id, alert.time, subject, text),
        "step": alert.step,
        "state": alert.state,
        "severity": alert.severity or None,
        "error": error or None,
        "job_name": alert.job_name,
        "job_run_id": alert.run_id,
        "workflow_run_id": facts.workflow_run_id,
        "workflow_run_status": facts.workflow_run.status if facts.workflow_run else None,
        "batch_id": facts.run_properties.get("batch_id"),
        "manifest_uri": facts.manifest_uri,
        "file_count": len(manifest.files) if manifest else None,
        "files": [{"uri": f.uri, "size": f.size} for f in manifest.files[:MAX_FILES_IN_DATA]]
        if manifest
        else [],
        "validation": _validation_data(facts) if alert.step == "validate" else None,
        "links": links,
        **layout.commands_data(actions),
        "unavailable": list(facts.notes),
    }
    attributes = layout.attributes(config, "job_run_ended", step=alert.step, state=alert.state)
    return layout.Notification(subject, text, data, attributes)


def _workflow_run_field(facts: RunFacts) -> str:
    if not facts.workflow_run_id:
        if facts.job_run is None:
            return "unknown (the job run could not be read)"
        return "none: the job run was not started by a workflow"
    status = facts.workflow_run.status if facts.workflow_run else None
    shown = f"{facts.workflow_run_id} of {facts.workflow_name}"
    return f"{shown} (status {status})" if status else shown


def _batch(facts: RunFacts) -> str:
    parts = [facts.run_properties.get("batch_id") or "batch id unknown"]
    if facts.manifest is not None:
        parts.append(layout.count(len(facts.manifest.files), "file"))
    return ", ".join(parts)


def _job_actions(
    config: NotifierConfig, alert: JobRunEnded, facts: RunFacts
) -> list[layout.Action]:
    """The commands the person may run next, the kit's beside the AWS CLI's."""
    region, run_id = config.region, facts.workflow_run_id
    if not run_id:
        if facts.job_run is None:
            command = runbook.job_run_arguments_command(region, alert.job_name, alert.run_id)
            return [
                layout.Action(
                    "find_run", "Find the run's workflow run id (--WORKFLOW_RUN_ID):", command
                )
            ]
        return [
            layout.Action(
                "rerun", "Run the job again:", runbook.start_job_command(region, alert.job_name)
            )
        ]

    workflow = facts.workflow_name or config.workflow_name
    kit = kit_commands.KitCommands(config.pipeline, config.environment)
    wf_run = facts.workflow_run
    node_id = wf_run.job_node_ids.get(alert.job_name) if wf_run else None
    status = wf_run.status if wf_run else None
    now = f"; it is {status} now" if status and status != "COMPLETED" else ""
    actions = [
        layout.Action(
            "resume",
            f"Resume this run from {alert.step} (Glue reruns it and the steps after it; works "
            f"once the workflow run is COMPLETED{now}; the resumed run gets a new run id):",
            runbook.resume_command(region, workflow, run_id, alert.job_name, node_id),
            kit.resume(run_id),
        )
    ]
    if facts.run_properties.get("manifest"):
        if config.derived:  # no files: a new run reads what changed since the last publish
            replay = layout.Action(
                "replay",
                "Or start a new run (every step; it reads what its upstreams changed since the "
                "last publish):",
                runbook.replay_command(region, workflow, facts.run_properties),
            )
        else:
            replay = layout.Action(
                "replay",
                "Or replay the same batch as a new run (every step, from the manifest):",
                runbook.replay_command(region, workflow, facts.run_properties),
                kit.replay(run_id),
            )
        actions.append(replay)
    actions.append(
        layout.Action(
            "status",
            "Check the workflow run:",
            runbook.workflow_status_command(region, workflow, run_id),
            kit.runs(run_id),
        )
    )
    return actions


def _job_links(config: NotifierConfig, alert: JobRunEnded, facts: RunFacts) -> dict[str, str]:
    region = config.region
    links = {"job_run": runbook.job_run_url(region, alert.job_name, alert.run_id)}
    if facts.workflow_run_id:
        workflow = facts.workflow_name or config.workflow_name
        links["workflow_run"] = runbook.workflow_run_url(region, workflow, facts.workflow_run_id)
    for name, uri in (("manifest", facts.manifest_uri), ("report", facts.report_uri)):
        url = runbook.s3_object_url(region, uri) if uri else None
        if url:
            links[name] = url
    return links


def _job_subject_detail(alert: JobRunEnded, facts: RunFacts, error: str) -> str:
    failures = facts.report.failures if facts.report else ()
    if failures:
        labels = ", ".join(r.label for r in failures)
        return f"{layout.count(len(failures), 'rule')} failed: {labels}"
    if alert.state == "TIMEOUT" and facts.job_run and facts.job_run.timeout_minutes:
        return f"timed out after {facts.job_run.timeout_minutes} min"
    return layout.first_line(_GLUE_ERROR_PREFIX.sub("", error.strip())) or alert.state.lower()


def _job_guidance(alert: JobRunEnded, facts: RunFacts) -> list[str]:
    failures = facts.report.failures if facts.report else ()
    then = "resume the run" if facts.workflow_run_id else "run the job again"
    if failures:
        return [
            f"The batch breached {layout.count(len(failures), 'validation rule')}, so nothing was "
            "published. Fix the source files and upload them again (the bridge starts a new "
            "run), or change the pipeline's validation rules and deploy, then resume or replay.",
            "Resuming without a change validates the same data again and fails the same way.",
        ]
    if alert.state == "TIMEOUT":
        limit = facts.job_run.timeout_minutes if facts.job_run else None
        return [
            "The job run exceeded its timeout"
            + (f" of {limit} min" if limit else "")
            + ". Look in the job run's logs for a stuck stage or an unusually large batch; "
            "raise job.timeout_minutes or job.workers in the pipeline spec if the batch is "
            f"legitimately large, deploy, then {then}.",
        ]
    if alert.state == "STOPPED":
        return [
            "The job run was stopped (from the console or API, or with its workflow run). "
            f"If that was not intended, {then}.",
        ]
    advice = [
        f"Read the error and the job run's logs (link below); fix the cause, then {then}.",
    ]
    if alert.step == "publish":
        advice.append(
            "publish is one Iceberg MERGE that keeps the newest row per key, so rerunning it is "
            "safe."
        )
    return advice


def _validation_section(facts: RunFacts) -> list[str]:
    report = facts.report
    if report is None:
        summary = facts.run_properties.get("validation_summary")
        lines = ["Validation: the report is not available (see below)."]
        if summary:
            clipped = layout.clip(layout.one_line(summary), layout.MAX_ERROR_CHARS)
            lines.append(f"  Summary from the run properties: {clipped}")
        return lines
    failures, warnings, unmeasured = report.failures, report.warnings, report.unmeasured
    counts = [layout.count(len(failures), "rule") + " failed"]
    if warnings:
        counts.append(layout.count(len(warnings), "warning"))
    if unmeasured:
        counts.append(f"{len(unmeasured):,} not measured")
    rows = f"{report.rows:,} rows; " if report.rows is not None else ""
    lines = [f"Validation: {', '.join(counts)} ({rows}report {report.uri}):"]
    shown = [*failures, *warnings, *unmeasured]
    for rule in shown[:MAX_RULES]:
        marker = "N/A   " if not rule.measured else "WARN  " if rule.is_warning else "FAILED"
        lines.append(f"  {marker} {_rule_line(rule)}")
        if rule.message:
            lines.append(
                f"         {layout.clip(layout.one_line(rule.message), layout.MAX_VALUE_CHARS)}"
            )
    if len(shown) > MAX_RULES:
        lines.append(f"  ... and {len(shown) - MAX_RULES} more in the report")
    if not shown:
        lines.append(f"  every rule passed (report status {report.status or 'unknown'})")
    return lines


def _rule_line(rule: RuleResult) -> str:
    observed, expected = layout.value_text(rule.observed), layout.value_text(rule.threshold)
    line = f"{rule.label}: observed {observed}; expected {expected}"
    rows = rule.offending_rows
    if isinstance(rows, list) and rows:  # the validate job keeps a few sample rows
        sample = json.dumps(rows[0], ensure_ascii=False, default=str)
        line += f"; e.g. {layout.clip(sample, layout.MAX_VALUE_CHARS)}"
    elif isinstance(rows, int) and not isinstance(rows, bool) and rows:
        line += f"; {layout.count(rows, 'offending row')}"
    return line


def _validation_data(facts: RunFacts) -> dict[str, Any]:
    report = facts.report

    def rule_data(rule: RuleResult) -> dict[str, Any]:
        return {
            "rule": rule.rule,
            "column": rule.column,
            "severity": rule.severity,
            "status": rule.status,
            "observed": layout.json_value(rule.observed),
            "threshold": layout.json_value(rule.threshold),
            "message": layout.clip(rule.message, layout.MAX_VALUE_CHARS) or None,
            "offending_rows": layout.json_value(rule.offending_rows),
        }

    return {
        "report_uri": facts.report_uri,
        "status": report.status if report else None,
        "rows": report.rows if report else None,
        "failed_rules": [rule_data(r) for r in report.failures[:MAX_RULES]] if report else [],
        "warnings": [rule_data(r) for r in report.warnings[:MAX_RULES]] if report else [],
        "summary": facts.run_properties.get("validation_summary"),
    }
