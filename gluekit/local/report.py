"""What one local run did, as text for a person and as JSON for machines."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class FileOutcome:
    key: str
    outcome: str  # accepted | quarantined | duplicate | dead-lettered
    reason: str = ""


@dataclass
class StepOutcome:
    step: str
    state: str
    seconds: float
    rows_in: int | None = None
    rows_out: int | None = None
    rows_rejected: int | None = None
    error: str = ""


@dataclass
class RunOutcome:
    run_id: str
    batch_id: str
    files: list[str]
    steps: list[StepOutcome] = field(default_factory=list)
    validation: dict[str, Any] | None = None
    partitions: list[str] = field(default_factory=list)
    parameters: dict[str, str] = field(default_factory=dict)  # the job parameters it ran with
    snapshot: dict[str, Any] | None = None  # the Iceberg snapshot its publish committed

    @property
    def failed(self) -> bool:
        return any(s.state != "SUCCEEDED" for s in self.steps)


@dataclass
class Notification:
    subject: str
    text: str


@dataclass
class LocalReport:
    pipeline: str
    files: list[FileOutcome] = field(default_factory=list)
    runs: list[RunOutcome] = field(default_factory=list)
    notifications: list[Notification] = field(default_factory=list)
    curated_location: str = ""
    quarantine_location: str = ""
    deliveries: int = 0  # SQS records handed to the bridge, redeliveries included
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
        lines.append(f"Workflow runs started: {len(self.runs)}")
        for run in self.runs:
            lines.append(f"  run {run.run_id} (batch {run.batch_id}, {len(run.files)} file(s))")
            for step in run.steps:
                rows = ""
                if step.rows_in is not None or step.rows_out is not None:
                    rows = f"  rows in {_n(step.rows_in)} → out {_n(step.rows_out)}"
                    if step.rows_rejected:
                        rows += f", rejected {step.rows_rejected}"
                lines.append(f"    {step.step:<10} {step.state:<9} {step.seconds:5.1f} s{rows}")
                if step.error:
                    lines.append(f"               {step.error.splitlines()[0][:160]}")
            if run.validation:
                lines.append(f"    validation: {run.validation.get('status')}")
                for rule in run.validation.get("rules", []):
                    column = f"({rule['column']})" if rule.get("column") else ""
                    lines.append(
                        f"      {rule['status']:<7} {rule['severity']:<5} {rule['rule']}{column}"
                        f"  observed {rule.get('observed')!s:.40}"
                        f"  threshold {rule.get('threshold')!s:.40}"
                    )
            if run.partitions:
                lines.append(f"    curated partitions written: {', '.join(run.partitions)}")
            if run.snapshot:
                snap = run.snapshot
                lines.append(
                    f"    Iceberg snapshot {snap['snapshot_id']}: {snap['rows_added']} added, "
                    f"{snap['rows_updated']} updated, {snap['rows_removed']} removed"
                )
        lines.append("")
        lines.append(f"Notifications that would have been sent: {len(self.notifications)}")
        for note in self.notifications:
            lines.append(f"  ✉ {note.subject}")
            for text_line in note.text.splitlines()[:12]:
                lines.append(f"    │ {text_line}")
        lines.append("")
        lines.append(f"Curated data:   {self.curated_location}")
        lines.append(f"Quarantine:     {self.quarantine_location}")
        return "\n".join(lines)


def _n(value: int | None) -> str:
    return "?" if value is None else f"{value:,}"
