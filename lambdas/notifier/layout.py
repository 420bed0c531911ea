"""The alerts' shared layout: the notification's parts, the text's sections and the capped,
one-line formatting of values. Pure functions; message.py, job_message.py and drift_message.py
build their alerts from them.
"""

from __future__ import annotations

import json
import textwrap
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple

from notifier.config import NotifierConfig

SCHEMA = "gluekit.alert/1"
MAX_SUBJECT_CHARS = 99  # SNS: "less than 100 characters"
MAX_ERROR_CHARS = 2000
MAX_ERROR_LINE_CHARS = 300  # the one-line "Error:" field; longer errors follow in full
MAX_VALUE_CHARS = 200
MAX_FILES_IN_TEXT = 10
MAX_RAW_EVENT_CHARS = 20_000
TEXT_WIDTH = 78  # prose only; commands, URIs and links stay on one line


@dataclass(frozen=True)
class Notification:
    subject: str
    text: str
    data: Mapping[str, Any]  # the machine form; JSON-serialisable
    attributes: Mapping[str, str]  # SNS message attributes, for subscription filter policies


class Action(NamedTuple):
    """A command the person may run next: what it does, the AWS CLI command and, where the kit
    has one, the `gluekit` command that does the same."""

    key: str
    description: str
    command: str
    kit_command: str | None = None


def subject_line(text: str) -> str:
    """An SNS subject: printable ASCII, one line, fewer than 100 characters."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    cleaned = " ".join("".join(c if c.isprintable() else " " for c in ascii_text).split())
    if len(cleaned) > MAX_SUBJECT_CHARS:
        cleaned = cleaned[: MAX_SUBJECT_CHARS - 3].rstrip() + "..."
    return cleaned or "gluekit alert"


def common(
    config: NotifierConfig,
    kind: str,
    event_id: str | None,
    time: str | None,
    subject: str,
    text: str,
) -> dict[str, Any]:
    return {
        "schema": SCHEMA,
        "kind": kind,
        "pipeline": config.pipeline,
        "workflow_name": config.workflow_name,
        "region": config.region,
        "event_id": event_id or None,
        "time": time or None,
        "subject": subject,
        "text": text,
    }


def attributes(config: NotifierConfig, kind: str, **more: str) -> dict[str, str]:
    # SNS rejects empty attribute values, so only present ones go out.
    values = {"pipeline": config.pipeline, "kind": kind, **more}
    return {k: v for k, v in values.items() if v}


def fields(*pairs: tuple[str, str]) -> list[str]:
    width = max(len(label) for label, _ in pairs) + 2
    return [f"{label + ':':<{width}}{value}" for label, value in pairs]


def indent(lines: Iterable[str]) -> list[str]:
    return [f"  {line}" for line in lines]


def compose(headline: str, sections: Iterable[list[str]]) -> str:
    """The headline (it is what an email preview shows), then the non-empty sections."""
    blocks = [f"{headline}.", *("\n".join(lines) for lines in sections if lines)]
    return "\n\n".join(blocks) + "\n"


def actions_section(guidance: list[str], actions: Sequence[Action]) -> list[str]:
    """Prose wrapped for plain-text email; commands never wrapped, so they paste whole. The
    kit's command comes first where there is one, the AWS CLI's (for a person without the kit)
    after it."""
    lines = ["What to do:"]
    for paragraph in guidance:
        lines += indent(textwrap.wrap(paragraph, TEXT_WIDTH - 2))
    for action in actions:
        lines += indent(textwrap.wrap(action.description, TEXT_WIDTH - 2))
        if action.kit_command:
            lines += [f"    {action.kit_command}", "  or with the AWS CLI:"]
        lines.append(f"    {action.command}")
    return lines


def commands_data(actions: Sequence[Action]) -> dict[str, dict[str, str]]:
    """The machine form's commands: the AWS CLI's by key, and the kit's where there is one."""
    return {
        "commands": {a.key: a.command for a in actions},
        "gluekit_commands": {a.key: a.kit_command for a in actions if a.kit_command},
    }


def files_section(manifest_uri: str, files: list[tuple[str, int | None]]) -> list[str]:
    lines = [f"Files in the batch ({len(files):,}, from manifest {manifest_uri}):"]
    for uri, size in files[:MAX_FILES_IN_TEXT]:
        lines.append(f"  {uri}" + (f" ({size:,} bytes)" if size is not None else ""))
    if len(files) > MAX_FILES_IN_TEXT:
        lines.append(f"  ... and {len(files) - MAX_FILES_IN_TEXT:,} more in the manifest")
    if not files:
        lines.append("  (the manifest lists no files)")
    return lines


def links_section(links: Mapping[str, str]) -> list[str]:
    if not links:
        return []
    labels = {
        "job_run": "Job run",
        "workflow_run": "Workflow run",
        "execution": "Execution",
        "manifest": "Manifest",
        "report": "Report",
        "crawler": "Crawler",
        "log": "Log",
        "raw_object": "Raw file",
        "quarantined_copy": "Quarantined copy",
        "reason": "Reason",
    }
    return ["Links:", *indent(fields(*((labels.get(k, k), v) for k, v in links.items())))]


def notes_section(notes: Iterable[str]) -> list[str]:
    notes = list(notes)
    if not notes:
        return []
    return ["Could not look up:", *(f"  - {clip(one_line(n), MAX_ERROR_CHARS)}" for n in notes)]


def when(time: str, execution_seconds: int | None) -> str:
    try:
        moment = datetime.fromisoformat(time)
    except ValueError:
        shown = time or "unknown"
    else:
        if moment.tzinfo is not None:
            moment = moment.astimezone(UTC)
        shown = moment.strftime("%Y-%m-%d %H:%M:%S UTC")
    if execution_seconds is not None:
        shown += f" (ran {duration(execution_seconds)})"
    return shown


def duration(seconds: int) -> str:
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes} min"
    if minutes:
        return f"{minutes} min {secs} s"
    return f"{secs} s"


def count(n: int, noun: str) -> str:
    return f"{n:,} {noun}" + ("" if n == 1 else "s")


def value_text(value: Any) -> str:
    if value is None:
        text = "n/a"
    elif isinstance(value, Mapping):
        text = ", ".join(f"{k}={scalar(v)}" for k, v in value.items())
    elif isinstance(value, list | tuple):
        text = ", ".join(scalar(v) for v in value)
    else:
        text = scalar(value)
    return clip(one_line(text), MAX_VALUE_CHARS)


def scalar(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(scalar(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{k}={scalar(v)}" for k, v in value.items()) + "}"
    return str(value)


def json_value(value: Any) -> Any:
    """A report value for the machine form, replaced by a clipped string when it is huge."""
    encoded = json.dumps(value, default=str)
    return value if len(encoded) <= 4 * MAX_VALUE_CHARS else clip(encoded, 4 * MAX_VALUE_CHARS)


def first_line(text: str) -> str:
    stripped = text.strip()
    return stripped.splitlines()[0].strip() if stripped else ""


def one_line(text: str) -> str:
    return " ".join(text.split())


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
