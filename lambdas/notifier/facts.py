"""What the notifier looks up about a failed run, and the pure parsing of each source.

Each `from_*` function takes exactly what an AWS call or an S3 document returned and raises
ValueError when the shape is not the one the kit writes; the lookups turn that into a note.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any

WORKFLOW_RUN_ID_ARG = "--WORKFLOW_RUN_ID"
WORKFLOW_NAME_ARG = "--WORKFLOW_NAME"
PASSED_STATUSES = frozenset({"passed", "pass", "ok", "succeeded", "success"})
# The validate job could not measure the rule (e.g. an older transform summary): neither a pass
# nor a failure, and never counted as one.
NOT_MEASURED_STATUSES = frozenset({"not_measured"})


@dataclass(frozen=True)
class JobRunFacts:
    """The parts of `glue.get_job_run` the alert uses."""

    arguments: Mapping[str, str]
    started_on: datetime | None = None
    completed_on: datetime | None = None
    execution_seconds: int | None = None
    timeout_minutes: int | None = None
    error_message: str | None = None
    attempt: int = 0

    @property
    def workflow_name(self) -> str | None:
        return self.arguments.get(WORKFLOW_NAME_ARG) or None

    @property
    def workflow_run_id(self) -> str | None:
        return self.arguments.get(WORKFLOW_RUN_ID_ARG) or None


@dataclass(frozen=True)
class WorkflowRunFacts:
    """The parts of `glue.get_workflow_run(IncludeGraph=True)` the alert uses."""

    status: str | None
    properties: Mapping[str, str]
    job_node_ids: Mapping[str, str] = field(default_factory=dict)  # job name → graph node id


@dataclass(frozen=True)
class ManifestFile:
    uri: str
    size: int | None = None


@dataclass(frozen=True)
class Manifest:
    """The bridge's list of the files one run processes."""

    uri: str
    files: tuple[ManifestFile, ...]


@dataclass(frozen=True)
class RuleResult:
    rule: str
    column: str | None
    severity: str
    status: str
    observed: Any
    threshold: Any
    message: str
    offending_rows: Any

    @property
    def passed(self) -> bool:
        return self.status.lower() in PASSED_STATUSES

    @property
    def measured(self) -> bool:
        return self.status.lower() not in NOT_MEASURED_STATUSES

    @property
    def is_warning(self) -> bool:
        """A breach that does not fail the run (severity warn)."""
        return self.severity.lower().startswith("warn") or self.status.lower().startswith("warn")

    @property
    def label(self) -> str:
        return f"{self.rule}({self.column})" if self.column else self.rule


@dataclass(frozen=True)
class ValidationReport:
    """The validate job's report: one result per rule."""

    uri: str
    status: str
    rows: int | None
    rules: tuple[RuleResult, ...]
    created_at: str | None

    @property
    def failures(self) -> tuple[RuleResult, ...]:
        """Failed error rules: what the subject, the headline and the body all count."""
        return tuple(r for r in self.rules if r.measured and not r.passed and not r.is_warning)

    @property
    def warnings(self) -> tuple[RuleResult, ...]:
        return tuple(r for r in self.rules if r.measured and not r.passed and r.is_warning)

    @property
    def unmeasured(self) -> tuple[RuleResult, ...]:
        return tuple(r for r in self.rules if not r.measured)


def job_run_from_response(response: Mapping[str, Any]) -> JobRunFacts:
    run = response.get("JobRun")
    if not isinstance(run, Mapping):
        raise ValueError("the response has no JobRun")
    arguments = run.get("Arguments") or {}
    if not isinstance(arguments, Mapping):
        raise ValueError("JobRun.Arguments is not a map")
    return JobRunFacts(
        arguments=MappingProxyType({str(k): str(v) for k, v in arguments.items()}),
        started_on=_datetime(run.get("StartedOn")),
        completed_on=_datetime(run.get("CompletedOn")),
        execution_seconds=_int(run.get("ExecutionTime")),
        timeout_minutes=_int(run.get("Timeout")),
        error_message=run.get("ErrorMessage") or None,
        attempt=_int(run.get("Attempt")) or 0,
    )


def workflow_run_from_response(response: Mapping[str, Any]) -> WorkflowRunFacts:
    run = response.get("Run")
    if not isinstance(run, Mapping):
        raise ValueError("the response has no Run")
    properties = run.get("WorkflowRunProperties") or {}
    if not isinstance(properties, Mapping):
        raise ValueError("Run.WorkflowRunProperties is not a map")
    nodes = (run.get("Graph") or {}).get("Nodes") or []
    job_node_ids = {
        str(node["Name"]): str(node["UniqueId"])
        for node in nodes
        if isinstance(node, Mapping)
        and node.get("Type") == "JOB"
        and node.get("Name")
        and node.get("UniqueId")
    }
    return WorkflowRunFacts(
        status=run.get("Status") or None,
        properties=MappingProxyType({str(k): str(v) for k, v in properties.items()}),
        job_node_ids=MappingProxyType(job_node_ids),
    )


def manifest_from_document(uri: str, document: Any) -> Manifest:
    if not isinstance(document, Mapping) or not isinstance(document.get("files"), list):
        raise ValueError("not a manifest: no 'files' list")
    files = []
    for entry in document["files"]:
        if isinstance(entry, Mapping) and isinstance(entry.get("uri"), str):
            files.append(ManifestFile(uri=entry["uri"], size=_int(entry.get("size"))))
        elif isinstance(entry, str):
            files.append(ManifestFile(uri=entry))
        else:
            raise ValueError(f"manifest file entry without a uri: {entry!r:.80}")
    return Manifest(uri=uri, files=tuple(files))


def report_from_document(uri: str, document: Any) -> ValidationReport:
    if not isinstance(document, Mapping) or not isinstance(document.get("rules"), list):
        raise ValueError("not a validation report: no 'rules' list")
    rules = []
    for entry in document["rules"]:
        if not isinstance(entry, Mapping) or not entry.get("rule"):
            raise ValueError(f"report rule without a name: {entry!r:.80}")
        rules.append(
            RuleResult(
                rule=str(entry["rule"]),
                column=str(entry["column"]) if entry.get("column") else None,
                severity=str(entry.get("severity") or "error"),
                status=str(entry.get("status") or ""),
                observed=entry.get("observed"),
                threshold=entry.get("threshold"),
                message=str(entry.get("message") or ""),
                offending_rows=entry.get("offending_rows"),
            )
        )
    return ValidationReport(
        uri=uri,
        status=str(document.get("status") or ""),
        rows=_int(document.get("rows")),
        rules=tuple(rules),
        created_at=str(document["created_at"]) if document.get("created_at") else None,
    )


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _datetime(value: Any) -> datetime | None:
    return value if isinstance(value, datetime) else None


@dataclass(frozen=True)
class RunFacts:
    """Everything looked up about one failed job run; `notes` says what could not be."""

    job_run: JobRunFacts | None = None
    workflow_name: str | None = None
    workflow_run_id: str | None = None
    workflow_run: WorkflowRunFacts | None = None
    manifest_uri: str | None = None
    manifest: Manifest | None = None
    report_uri: str | None = None
    report: ValidationReport | None = None
    notes: tuple[str, ...] = ()

    @property
    def run_properties(self) -> Mapping[str, str]:
        return self.workflow_run.properties if self.workflow_run else {}
