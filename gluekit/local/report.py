"""What one local run did, as text for a person and as JSON for machines."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

ALERT_LINES_SHOWN = 12


@dataclass
class FileOutcome:
    key: str
    outcome: str  # accepted | quarantined | duplicate | dead-lettered
    reason: str = ""


@dataclass
class StepOutcome:
    step: str
    state: str
    seconds: float  # measured around the job's script, not what moto reports
    rows_in: int | None = None
    rows_out: int | None = None
    rows_rejected: int | None = None
    error: str = ""
    # transform only: why rows were rejected, how many duplicates it dropped, columns it did not
    # know and the files it quarantined (from its step summary)
    reject_reasons: list[dict[str, Any]] = field(default_factory=list)
    rows_deduplicated: int | None = None
    rows_after_steps: int | None = None  # what the spec's steps returned, when it has steps
    unknown_columns: list[dict[str, Any]] = field(default_factory=list)
    files_rejected: list[dict[str, Any]] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return self.state != "SUCCEEDED"


@dataclass
class RunOutcome:
    run_id: str
    batch_id: str
    files: list[str]
    steps: list[StepOutcome] = field(default_factory=list)
    validation: dict[str, Any] | None = None
    partitions: list[str] = field(default_factory=list)
    # A derived pipeline's run: what it read of each upstream (transform's summary).
    upstream_reads: list[dict[str, Any]] = field(default_factory=list)
    parameters: dict[str, str] = field(default_factory=dict)  # the job parameters it ran with
    snapshot: dict[str, Any] | None = None  # the Iceberg snapshot its publish committed

    @property
    def failed(self) -> bool:
        return any(s.state != "SUCCEEDED" for s in self.steps)


@dataclass
class Notification:
    subject: str
    text: str
    path: str = ""  # where the whole alert was written


@dataclass
class Alarm:
    name: str  # as deployed: <prefix>-<pipeline>-<key>
    why: str


@dataclass
class LocalReport:
    pipeline: str
    files: list[FileOutcome] = field(default_factory=list)
    runs: list[RunOutcome] = field(default_factory=list)
    notifications: list[Notification] = field(default_factory=list)
    alarms: list[Alarm] = field(default_factory=list)
    curated_location: str = ""
    quarantine_location: str = ""
    artifacts: dict[str, str] = field(default_factory=dict)  # what → local folder
    deliveries: int = 0  # SQS records handed to the bridge, redeliveries included
    orchestrator: str = "glue-workflow"  # who called the jobs: the workflow or the state machine
    redeliveries: int = 0  # records the bridge failed that came back, as SQS brings them
    seconds: float = 0.0

    @property
    def failed(self) -> bool:
        return any(run.failed for run in self.runs)

    def as_json(self) -> str:
        data = asdict(self)
        data["failed"] = self.failed
        return json.dumps(data, indent=2, default=str)

    def as_text(self) -> str:
        lines = [f"━━ gluekit local run · {self.pipeline} ━━ ({self.seconds:.1f} s)", ""]
        counts: dict[str, int] = {}
        for item in self.files:
            counts[item.outcome] = counts.get(item.outcome, 0) + 1
        summary = ", ".join(f"{n} {outcome}" for outcome, n in sorted(counts.items()))
        lines.append(f"Files: {summary or 'none'}")
        lines.append(
            f"Bridge deliveries: {self.deliveries} record(s), {self.redeliveries} of them "
            "redelivered after the bridge failed them"
        )
        for item in self.files:
            reason = f" — {item.reason}" if item.reason else ""
            lines.append(f"  {item.outcome:<13} {item.key}{reason}")
        lines.append("")
        started = "Executions" if self.orchestrator == "step-functions" else "Workflow runs"
        lines.append(f"{started} started: {len(self.runs)}")
        for run in self.runs:
            lines += _run_lines(run)
        lines.append("")
        lines.append(f"Alarms that would have fired: {len(self.alarms)}")
        lines += [f"  ⏰ {alarm.name} — {alarm.why}" for alarm in self.alarms]
        lines.append("")
        lines.append(f"Notifications that would have been sent: {len(self.notifications)}")
        for note in self.notifications:
            lines.append(f"  ✉ {note.subject}")
            text_lines = note.text.splitlines()
            shown = text_lines if not note.path else text_lines[:ALERT_LINES_SHOWN]
            lines += [f"    │ {text_line}" for text_line in shown]
            if note.path:
                more = len(text_lines) - len(shown)
                tail = f"{more} more line(s); " if more > 0 else ""
                lines.append(f"    └ {tail}the whole alert: {note.path}")
        lines.append("")
        lines.append(f"Curated data:   {self.curated_location}")
        lines.append(f"Quarantine:     {self.quarantine_location}")
        for what, where in self.artifacts.items():
            lines.append(f"{what + ':':<15} {where}")
        return "\n".join(lines)


def _run_lines(run: RunOutcome) -> list[str]:
    lines = [f"  run {run.run_id} (batch {run.batch_id}, {len(run.files)} file(s))"]
    if run.parameters:
        values = ", ".join(f"{key}={value}" for key, value in sorted(run.parameters.items()))
        lines.append(f"    job parameters: {values}")
    for step in run.steps:
        rows = ""
        if step.rows_in is not None or step.rows_out is not None:
            rows = f"  rows in {_n(step.rows_in)} → out {_n(step.rows_out)}"
        lines.append(f"    {step.step:<10} {step.state:<9} {step.seconds:5.1f} s{rows}")
        if step.step == "transform":
            lines += [_read_line(read) for read in run.upstream_reads]
        if step.step == "transform" and step.rows_in is not None:
            lines += _row_story(step)
        if step.error:
            lines.append(f"               {step.error.splitlines()[0]}")
    if run.validation:
        lines.append(f"    validation: {run.validation.get('status')}")
        for rule in run.validation.get("rules", []):
            column = f"({rule['column']})" if rule.get("column") else ""
            lines.append(f"      {rule['status']:<12} {rule['severity']:<5} {rule['rule']}{column}")
            # The rule's own sentence says what it observed, in full.
            lines.append(f"        {rule.get('message') or rule.get('observed')}")
    if run.partitions:
        lines.append(f"    curated partitions written: {', '.join(run.partitions)}")
    if run.snapshot:
        snap = run.snapshot
        lines.append(
            f"    Iceberg snapshot {snap['snapshot_id']}: {snap['rows_added']} added, "
            f"{snap['rows_updated']} updated, {snap['rows_removed']} removed"
        )
    return lines


def _read_line(read: dict[str, Any]) -> str:
    """What a derived run read of one upstream: its snapshot, and since which one."""
    if not read.get("snapshot_id"):
        return f"               read {read.get('table')}: nothing published yet"
    since = f"changes since snapshot {read['since']}" if read.get("since") else "every row"
    return f"               read {read.get('table')} at snapshot {read['snapshot_id']}: {since}"


def _row_story(step: StepOutcome) -> list[str]:
    """read → rejected (top reasons) → duplicates dropped → staged, each number explained."""
    rejected = step.rows_rejected or 0
    lines = [f"               rows read            {_n(step.rows_in)}"]
    lines.append(f"               - rejected           {_n(rejected)}")
    lines += [
        f"                   {_n(r.get('rows'))} rows: {r.get('reason')}"
        for r in step.reject_reasons
    ]
    if rejected and not step.reject_reasons:
        lines.append("                   (reasons: see the quarantined rows)")
    if step.rows_after_steps is not None:
        lines.append(f"               → after your steps   {_n(step.rows_after_steps)}")
    dropped = step.rows_deduplicated
    lines.append(
        f"               - duplicates dropped {_n(dropped)}"
        + ("" if dropped is None else " (one row kept per primary key)")
    )
    lines.append(f"               = staged             {_n(step.rows_out)}")
    for drift in step.unknown_columns:
        files = ", ".join(drift.get("files", []))
        lines.append(
            f"               column not in the contract: {drift.get('column')} (in {files})"
        )
    for item in step.files_rejected:
        lines.append(f"               file quarantined: {item.get('uri')} — {item.get('reason')}")
    return lines


def _n(value: int | None) -> str:
    return "?" if value is None else f"{value:,}"
