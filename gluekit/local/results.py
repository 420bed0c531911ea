"""What a local run left, read back for its report: each dropped file's outcome, the alerts the
notifier sent, and the JSON artifacts (summaries, reports, manifests) in the emulated S3."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from gluekit.local.report import FileOutcome, LocalReport, Notification
from gluekit.naming import FoundationNames, PipelineNames


def collect_file_outcomes(
    report: LocalReport,
    keys: Sequence[str],
    foundation: FoundationNames,
    names: PipelineNames,
) -> None:
    """Each dropped key: quarantined (with the reason file's reason), accepted into a run, or
    neither; keys the report already names (dead-lettered) are left as they are."""
    import boto3

    s3 = boto3.client("s3")
    quarantined: dict[str, str] = {}
    listing = s3.list_objects_v2(
        Bucket=foundation.quarantine_bucket, Prefix=f"{names.quarantine_prefix}files/"
    )
    for item in listing.get("Contents", []):
        if item["Key"].endswith(".reason.json"):
            body = s3.get_object(Bucket=foundation.quarantine_bucket, Key=item["Key"])["Body"]
            reason = json.loads(body.read())
            source = str(reason.get("source_uri", ""))
            quarantined[source.split("/", 3)[-1]] = str(reason.get("reason", ""))
    accepted = {key for run in report.runs for key in run.files}
    already = {f.key for f in report.files}
    for key in keys:
        if key in already:
            continue
        if key in quarantined:
            report.files.append(FileOutcome(key, "quarantined", quarantined[key]))
        elif key in accepted:
            report.files.append(FileOutcome(key, "accepted"))
        else:
            report.files.append(FileOutcome(key, "not started", "accepted but in no workflow run"))


def collect_notifications(report: LocalReport, alerts_capture_url: str) -> None:
    """The SNS messages the notifier sent, as a person reads them."""
    from gluekit.local.emulator import drain

    for body in drain(alerts_capture_url):
        envelope = json.loads(body)
        message = envelope.get("Message", "")
        # SQS subscribers get the machine-readable document; people get its "text".
        try:
            text = str(json.loads(message).get("text", message))
        except (ValueError, AttributeError):
            text = message
        report.notifications.append(Notification(subject=envelope.get("Subject") or "", text=text))


def read_json(uri: str | None, default: Any) -> Any:
    """An s3:// JSON document of the emulated S3; ``default`` when absent (the step did not get
    that far)."""
    import boto3

    if not uri or not uri.startswith("s3://"):
        return default
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    try:
        body = boto3.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
    except Exception:  # absent: the step did not get that far
        return default
    return json.loads(body)
