"""Which of the deployed pipeline's alarms (infra/constructs/monitoring.py) a local run would
have raised, named as deployed, judged from the same facts their metrics count."""

from __future__ import annotations

from gluekit.local.report import Alarm, LocalReport
from gluekit.naming import PipelineNames


def alarms_that_would_fire(
    report: LocalReport, names: PipelineNames, *, drift_alarmed: bool = True
) -> list[Alarm]:
    """``drift_alarmed``: the pipeline has the unknown-columns alarm
    (`PipelineSpec.drift_alarmed`)."""
    failed_steps = [f"{s.step} {s.state}" for run in report.runs for s in run.steps if s.failed]
    bridge_quarantined = [f.key for f in report.files if f.outcome == "quarantined"]
    transform = [s for run in report.runs for s in run.steps if s.step == "transform"]
    rows_rejected = sum(s.rows_rejected or 0 for s in transform)
    unknown_columns = sorted({d["column"] for s in transform for d in s.unknown_columns})
    files_rejected = sum(len(s.files_rejected) for s in transform)
    validation_failed = [
        run.run_id
        for run in report.runs
        if run.validation and run.validation.get("status") == "failed"
    ]
    dead_lettered = [f.key for f in report.files if f.outcome == "dead-lettered"]
    # The state machine catches its steps' failures: its executions' alarm counts them.
    failures = "execution-failures" if report.orchestrator == "step-functions" else "job-failures"
    found = [
        (failures, bool(failed_steps), f"failed steps: {', '.join(failed_steps)}"),
        ("bridge-dlq-depth", bool(dead_lettered), f"{len(dead_lettered)} delivery(ies) in the DLQ"),
        (
            "quarantined-files",
            bool(bridge_quarantined),
            f"the bridge quarantined {len(bridge_quarantined)} file(s)",
        ),
        ("rejected-files", files_rejected > 0, f"transform quarantined {files_rejected} file(s)"),
        ("rejected-rows", rows_rejected > 0, f"transform rejected {rows_rejected:,} row(s)"),
        (
            "unknown-columns",
            drift_alarmed and bool(unknown_columns),
            f"columns not in the contract: {', '.join(unknown_columns)}",
        ),
        (
            "validation-failed",
            bool(validation_failed),
            f"an error rule failed in run(s) {', '.join(validation_failed)}",
        ),
    ]
    return [Alarm(names.alarm(key), why) for key, fires, why in found if fires]
