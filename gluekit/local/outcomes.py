"""One played run as the local report shows it: each step's state and time, with the rows, reject
reasons and snapshot its step summary recorded, and the validation report.

Whoever called the jobs (the Glue workflow's scheduler or the state machine's player), the jobs
wrote the same summaries under the run id that names the run's data.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from gluekit.local.report import RunOutcome, StepOutcome
from gluekit.local.scheduler import StepResult
from gluekit.naming import PipelineNames

ReadArtifact = Callable[[str], dict[str, Any] | None]  # a key in the artifacts bucket → JSON


def run_outcome(
    names: PipelineNames,
    run_id: str,
    batch_id: str,
    files: list[str],
    results: Sequence[StepResult],
    read_artifact: ReadArtifact,
) -> RunOutcome:
    outcome = RunOutcome(run_id=run_id, batch_id=batch_id, files=files)
    for result in results:
        step = result.job_name.removeprefix(f"{names.base}-")
        summary = read_artifact(f"runs/{names.pipeline}/{run_id}/{step}.json") or {}
        details = summary.get("details") or {}
        outcome.steps.append(
            StepOutcome(
                step=step,
                state=result.state,
                seconds=round(result.seconds, 2),
                rows_in=summary.get("rows_in"),
                rows_out=summary.get("rows_out"),
                rows_rejected=summary.get("rows_rejected"),
                error=result.error,
                reject_reasons=list(details.get("reject_reasons") or []),
                rows_deduplicated=details.get("rows_deduplicated"),
                rows_after_steps=details.get("rows_after_steps"),
                unknown_columns=list(details.get("unknown_columns") or []),
                files_rejected=list(summary.get("files_rejected") or []),
            )
        )
        if step == "transform":
            outcome.parameters = dict(details.get("parameters", {}))
            outcome.upstream_reads = list(details.get("upstreams") or [])
        if step == "publish" and result.state == "SUCCEEDED":
            outcome.partitions = [str(p) for p in summary.get("partitions", [])]
            outcome.snapshot = details.get("snapshot")
    outcome.validation = read_artifact(f"{names.reports_prefix}{run_id}.json")
    return outcome
