"""The notifier end to end on moto: hand-written AWS events in, the alert read back from SNS."""

from __future__ import annotations

import json
import shlex
from typing import Any

import pytest
from botocore.exceptions import ClientError

from notifier import handler, message
from notifier.config import ConfigError
from tests.events import load_event
from tests.functional.notifier.conftest import (
    JOB_TIMEOUT_MINUTES,
    REGION,
    WORKFLOW,
    World,
    with_job,
)

BATCH_ID = "b-20260504-011000-7f3a"
STATE_EVENTS = {"FAILED": "job_failed", "TIMEOUT": "job_timeout", "STOPPED": "job_stopped"}


def seed_batch(world: World, files: int = 3) -> tuple[str, str]:
    """A manifest and a workflow run started with it, as the bridge does: (manifest uri, run id)."""
    manifest = world.put_manifest(
        BATCH_ID,
        [
            {"uri": f"s3://{world.raw}/orders/2026/05/04/export-{i:04d}.csv", "size": 1000 + i}
            for i in range(1, files + 1)
        ],
    )
    run_id = world.start_workflow_run(
        {"manifest": manifest, "batch_id": BATCH_ID, "pipeline": "orders"}
    )
    return manifest, run_id


def failing_report(run_id: str) -> dict[str, Any]:
    """A report in the shape gluekit_glue's validate job writes (a few sample offending rows)."""
    return {
        "pipeline": "orders",
        "run_id": run_id,
        "status": "failed",
        "summary": "3 of 4 rules failed: range(amount), accepted_values(status), "
        "null_rate(currency) [warn]",
        "rows": 1234,
        "rules": [
            {"rule": "row_count", "column": None, "severity": "error", "status": "passed",
             "observed": 1234, "threshold": {"min": 1}, "message": "1234 rows",
             "offending_rows": []},
            {"rule": "range", "column": "amount", "severity": "error", "status": "failed",
             "observed": {"min": -5.5, "max": 120000, "out_of_range": 3},
             "threshold": {"min": 0, "max": 100000},
             "message": "3 rows have amount outside [0, 100000]",
             "offending_rows": [{"order_id": "A-1001", "amount": -5.5},
                                {"order_id": "A-1002", "amount": 120000}]},
            {"rule": "accepted_values", "column": "status", "severity": "error",
             "status": "failed", "observed": {"unexpected": ["refunded"], "rows": 17},
             "threshold": {"values": ["new", "paid", "shipped", "cancelled"]},
             "message": "17 rows have a status outside the accepted values",
             "offending_rows": [{"order_id": "A-2001", "status": "refunded"}]},
            {"rule": "null_rate", "column": "currency", "severity": "warn", "status": "failed",
             "observed": 0.081, "threshold": {"max": 0.05}, "message": "8.1% of currency is null",
             "offending_rows": []},
        ],
        "created_at": "2026-05-04T01:14:50Z",
    }  # fmt: skip


@pytest.mark.parametrize("state", ["FAILED", "TIMEOUT", "STOPPED"])
@pytest.mark.parametrize("step", ["transform", "validate", "publish"])
def test_each_bad_end_of_each_step_publishes_one_specific_alert(
    world: World, invoke: Any, step: str, state: str
) -> None:
    manifest, run_id = seed_batch(world)
    world.put_report(run_id, failing_report(run_id) | {"status": "passed", "rules": []})
    job_run_id = world.start_job_run(step, run_id)
    event = with_job(
        load_event(f"notifier/{STATE_EVENTS[state]}"), world.job_name(step), job_run_id
    )

    result = invoke(event)

    alert = world.only_alert()
    assert result == {"status": "published", "message_id": result["message_id"],
                      "subject": alert.subject}  # fmt: skip
    assert alert.subject.startswith(f"[gluekit-dev-orders] {step} {state}: ")
    assert alert.text.startswith(f"Step {step} of pipeline orders {state}")
    assert f"Step:         {step} (Glue job gluekit-dev-orders-{step})" in alert.text
    assert f"Workflow run: {run_id} of {WORKFLOW} (status RUNNING)" in alert.text
    assert f"Job run:      {job_run_id}" in alert.text
    assert f"Batch:        {BATCH_ID}, 3 files" in alert.text
    assert f"  s3://{world.raw}/orders/2026/05/04/export-0002.csv (1,002 bytes)" in alert.text
    assert f"--name {WORKFLOW} --run-id {run_id}" in alert.data["commands"]["resume"]
    assert f"Name=='gluekit-dev-orders-{step}'" in alert.data["commands"]["resume"]
    assert alert.data["commands"]["resume"] in alert.text
    assert alert.data["commands"]["replay"] in alert.text
    assert alert.attributes == {"pipeline": "orders", "kind": "job_run_ended", "step": step,
                                "state": state}  # fmt: skip
    assert alert.data["manifest_uri"] == manifest
    assert "Could not look up" not in alert.text


def test_failed_job_subject_carries_the_error_without_glues_prefix(
    world: World, invoke: Any
) -> None:
    _, run_id = seed_batch(world)
    job_run_id = world.start_job_run("transform", run_id)

    invoke(with_job(load_event("notifier/job_failed"), world.job_name("transform"), job_run_id))

    alert = world.only_alert()
    assert alert.subject.startswith(
        "[gluekit-dev-orders] transform FAILED: AnalysisException: "
        "[UNRESOLVED_COLUMN.WITH_SUGGESTION] A"
    )
    assert alert.subject.endswith("...")
    assert len(alert.subject) <= 99
    assert "Error:        JobName:gluekit-dev-orders-transform and JobRunId:" in alert.text


def test_timeout_alert_states_the_jobs_timeout(world: World, invoke: Any) -> None:
    _, run_id = seed_batch(world)
    job_run_id = world.start_job_run("publish", run_id)

    invoke(with_job(load_event("notifier/job_timeout"), world.job_name("publish"), job_run_id))

    alert = world.only_alert()
    assert alert.subject == (
        f"[gluekit-dev-orders] publish TIMEOUT: timed out after {JOB_TIMEOUT_MINUTES} min"
    )
    assert alert.text.startswith(
        f"Step publish of pipeline orders TIMEOUT after its timeout of {JOB_TIMEOUT_MINUTES} min."
    )
    assert "raise job.timeout_minutes or job.workers" in " ".join(alert.text.split())


def test_validation_failure_lists_failed_rules_with_observed_and_expected_values(
    world: World, invoke: Any
) -> None:
    _, run_id = seed_batch(world)
    report_uri = world.put_report(run_id, failing_report(run_id))
    job_run_id = world.start_job_run("validate", run_id)
    event = with_job(load_event("notifier/job_validation_failed"), world.job_name("validate"),
                     job_run_id)  # fmt: skip

    invoke(event)

    alert = world.only_alert()
    assert alert.subject == (
        "[gluekit-dev-orders] validate FAILED: 2 rules failed: "
        "range(amount), accepted_values(status)"
    )
    assert (
        f"Validation: 2 rules failed, 1 warning (1,234 rows; report {report_uri}):\n"
        "  FAILED range(amount): observed min=-5.5, max=120000, out_of_range=3; "
        'expected min=0, max=100000; e.g. {"order_id": "A-1001", "amount": -5.5}\n'
        "         3 rows have amount outside [0, 100000]\n"
        "  FAILED accepted_values(status): observed unexpected=[refunded], rows=17; "
        'expected values=[new, paid, shipped, cancelled]; e.g. {"order_id": "A-2001", '
        '"status": "refunded"}\n'
        "         17 rows have a status outside the accepted values\n"
        "  WARN   null_rate(currency): observed 0.081; expected max=0.05\n"
        "         8.1% of currency is null\n"
    ) in alert.text
    assert "row_count" not in alert.text
    assert "Resuming without a change validates the same data again" in alert.text
    validation = alert.data["validation"]
    assert [r["rule"] for r in validation["failed_rules"]] == ["range", "accepted_values"]
    assert validation["failed_rules"][0]["observed"] == {
        "min": -5.5,
        "max": 120000,
        "out_of_range": 3,
    }
    assert validation["failed_rules"][0]["offending_rows"][1] == {
        "order_id": "A-1002",
        "amount": 120000,
    }
    assert validation["failed_rules"][0]["threshold"] == {"min": 0, "max": 100000}
    assert [r["rule"] for r in validation["warnings"]] == ["null_rate"]
    assert alert.data["links"]["report"].endswith(f"prefix=reports/orders/{run_id}.json")


def test_replay_command_restarts_the_batch_without_properties_the_run_wrote(
    world: World, invoke: Any
) -> None:
    manifest, run_id = seed_batch(world)
    world.put_report(run_id, failing_report(run_id))
    world.glue.put_workflow_run_properties(
        Name=WORKFLOW,
        RunId=run_id,
        RunProperties={"validation_summary": "2 of 7 rules failed", "validation_status": "failed"},
    )
    job_run_id = world.start_job_run("validate", run_id)

    invoke(with_job(load_event("notifier/job_validation_failed"), world.job_name("validate"),
                    job_run_id))  # fmt: skip

    words = shlex.split(world.only_alert().data["commands"]["replay"])
    assert words[:8] == ["aws", "glue", "start-workflow-run", "--region", REGION,
                         "--name", WORKFLOW, "--run-properties"]  # fmt: skip
    assert json.loads(words[8]) == {
        "manifest": manifest,
        "batch_id": BATCH_ID,
        "pipeline": "orders",
    }


def test_missing_report_is_noted_and_the_run_properties_summary_shown(
    world: World, invoke: Any
) -> None:
    _, run_id = seed_batch(world)
    world.glue.put_workflow_run_properties(
        Name=WORKFLOW, RunId=run_id, RunProperties={"validation_summary": "2 failed, 1 warning"}
    )
    job_run_id = world.start_job_run("validate", run_id)

    invoke(with_job(load_event("notifier/job_validation_failed"), world.job_name("validate"),
                    job_run_id))  # fmt: skip

    alert = world.only_alert()
    assert "Validation: the report is not available (see below)." in alert.text
    assert "  Summary from the run properties: 2 failed, 1 warning" in alert.text
    assert (
        f"  - validation report not available: s3://{world.artifacts}/reports/orders/{run_id}.json"
        " (NoSuchKey: The specified key does not exist.)"
    ) in alert.text
    assert alert.subject == (
        "[gluekit-dev-orders] validate FAILED: ValidationFailed: 2 rules with severity error "
        "breached; se..."
    )
    assert alert.data["validation"]["summary"] == "2 failed, 1 warning"


def test_missing_manifest_is_noted_and_the_alert_still_published(world: World, invoke: Any) -> None:
    missing = f"s3://{world.artifacts}/manifests/orders/gone.json"
    run_id = world.start_workflow_run({"manifest": missing, "batch_id": BATCH_ID})
    job_run_id = world.start_job_run("transform", run_id)

    invoke(with_job(load_event("notifier/job_failed"), world.job_name("transform"), job_run_id))

    alert = world.only_alert()
    assert (
        f"  - manifest not available: {missing} (NoSuchKey: The specified key does not exist.)"
    ) in alert.text
    assert f"Batch:        {BATCH_ID}\n" in alert.text
    assert "Files in the batch" not in alert.text
    assert alert.data["unavailable"] == [
        f"manifest not available: {missing} (NoSuchKey: The specified key does not exist.)"
    ]
    # The replay still works from the run properties, even though the manifest is gone now.
    assert "replay" in alert.data["commands"]


def test_manifest_that_is_not_json_is_noted(world: World, invoke: Any) -> None:
    world.s3.put_object(Bucket=world.artifacts, Key="manifests/orders/bad.json", Body=b"{files")
    run_id = world.start_workflow_run(
        {"manifest": f"s3://{world.artifacts}/manifests/orders/bad.json", "batch_id": BATCH_ID}
    )
    job_run_id = world.start_job_run("publish", run_id)

    invoke(with_job(load_event("notifier/job_failed"), world.job_name("publish"), job_run_id))

    assert (
        f"  - manifest not available: s3://{world.artifacts}/manifests/orders/bad.json "
        "(not JSON: Expecting property name enclosed in double quotes at line 1)"
    ) in world.only_alert().text


def test_run_without_a_manifest_property_is_noted(world: World, invoke: Any) -> None:
    run_id = world.start_workflow_run({"batch_id": BATCH_ID})
    job_run_id = world.start_job_run("transform", run_id)

    invoke(with_job(load_event("notifier/job_failed"), world.job_name("transform"), job_run_id))

    alert = world.only_alert()
    assert "  - manifest not available: the workflow run has no 'manifest' property" in alert.text
    assert "replay" not in alert.data["commands"]
    assert "resume" in alert.data["commands"]


def test_unknown_job_run_degrades_to_the_command_that_finds_the_workflow_run(
    world: World, invoke: Any
) -> None:
    event = load_event("notifier/job_failed")  # its jobRunId does not exist in this moto
    run_id = event["detail"]["jobRunId"]

    invoke(event)

    alert = world.only_alert()
    assert alert.subject.startswith("[gluekit-dev-orders] transform FAILED: AnalysisException")
    assert "Workflow run: unknown (the job run could not be read)" in alert.text
    assert "  - job run details not available: EntityNotFoundException" in alert.text
    assert (
        "aws glue get-job-run --region us-east-1 --job-name gluekit-dev-orders-transform "
        f"--run-id {run_id} --query JobRun.Arguments"
    ) in alert.text
    assert set(alert.data["commands"]) == {"find_run"}


def test_unknown_workflow_run_is_noted_and_resume_still_offered(world: World, invoke: Any) -> None:
    job_run_id = world.start_job_run("transform", "wr_" + "0" * 64)

    invoke(with_job(load_event("notifier/job_failed"), world.job_name("transform"), job_run_id))

    alert = world.only_alert()
    assert "  - workflow run properties (manifest, batch id) not available:" in alert.text
    assert "Batch:        batch id unknown" in alert.text
    assert "resume" in alert.data["commands"]


def test_job_run_outside_a_workflow_offers_to_run_the_job_again(world: World, invoke: Any) -> None:
    job_run_id = world.start_job_run("compact", None)

    invoke(with_job(load_event("notifier/job_failed"), world.job_name("compact"), job_run_id))

    alert = world.only_alert()
    assert alert.subject.startswith("[gluekit-dev-orders] compact FAILED: ")
    assert "Workflow run: none: the job run was not started by a workflow" in alert.text
    assert alert.data["commands"] == {
        "rerun": "aws glue start-job-run --region us-east-1 --job-name gluekit-dev-orders-compact"
    }
    assert "Could not look up" not in alert.text


def test_crawler_failure_alert_has_error_log_link_and_rerun_command(
    world: World, invoke: Any
) -> None:
    invoke(load_event("notifier/crawler_failed"))

    alert = world.only_alert()
    assert alert.subject == (
        "[gluekit-dev-orders] crawler Failed: Service Principal: glue.amazonaws.com is not "
        "authorized to..."
    )
    assert "Crawler:  gluekit-dev-orders-raw" in alert.text
    assert "no identity-based policy allows the s3:GetObject action" in alert.text
    assert "aws glue start-crawler --region us-east-1 --name gluekit-dev-orders-raw" in alert.text
    assert (
        "  Log:     https://console.aws.amazon.com/cloudwatch/home?region=us-east-1"
        "#logEventViewer:group=/aws-glue/crawlers;stream=gluekit-dev-orders-raw"
    ) in alert.text
    assert alert.attributes == {"pipeline": "orders", "kind": "crawler_failed", "state": "Failed"}


def test_quarantine_alert_names_the_file_the_reason_and_how_to_resubmit(
    world: World, invoke: Any
) -> None:
    event = load_event("notifier/object_quarantined")
    detail = event["detail"]

    invoke(event)

    alert = world.only_alert()
    assert alert.subject == (
        "[gluekit-dev-orders] quarantined export 0002 (final).csv: CSV header does not match the "
        "contract..."
    )
    assert (
        f"File:        s3://{detail['bucket']}/orders/2026/05/04/export 0002 (final).csv "
        f"(version {detail['version_id']}, 48,213 bytes)"
    ) in alert.text
    assert "Check:       csv_header" in alert.text
    reupload = shlex.split(alert.data["commands"]["reupload"])
    assert reupload == ["aws", "s3", "cp", "./export 0002 (final).csv",
                        f"s3://{detail['bucket']}/{detail['key']}"]  # fmt: skip
    assert shlex.split(alert.data["commands"]["read_reason"]) == [
        "aws", "s3", "cp", detail["reason_uri"], "-"
    ]  # fmt: skip
    assert (
        "prefix=orders/2026/05/04/export%200002%20%28final%29.csv"
        in alert.data["links"]["raw_object"]
    )
    assert alert.attributes == {"pipeline": "orders", "kind": "object_quarantined",
                                "check": "csv_header"}  # fmt: skip


def job_event_of_another_pipeline() -> dict[str, Any]:
    event = load_event("notifier/job_failed")
    return {**event, "detail": {**event["detail"], "jobName": "gluekit-dev-events-transform"}}


def quarantine_of_another_pipeline() -> dict[str, Any]:
    event = load_event("notifier/object_quarantined")
    return {**event, "detail": {**event["detail"], "pipeline": "events"}}


@pytest.mark.parametrize(
    ("event", "reason"),
    [
        (load_event("notifier/s3_object_created"), "unknown event: source='aws.s3'"),
        (load_event("notifier/job_run_status"), "detail-type='Glue Job Run Status'"),
        (load_event("notifier/job_succeeded"), "state 'SUCCEEDED' needs no alert"),
        (load_event("notifier/crawler_succeeded"), "state 'Succeeded' needs no alert"),
        (job_event_of_another_pipeline(), "is not a job of pipeline 'orders'"),
        (quarantine_of_another_pipeline(), "quarantine of pipeline 'events'"),
        ({"source": "aws.glue", "detail-type": "Glue Job State Change"}, "no detail object"),
        ({}, "no detail object"),
        ([], "not an EventBridge event: a list"),
    ],
    ids=["s3-object-created", "job-run-status", "job-succeeded", "crawler-succeeded",
         "other-pipelines-job", "other-pipelines-quarantine", "no-detail", "empty", "a-list"],
)  # fmt: skip
def test_events_it_does_not_alert_on_are_skipped_without_publishing(
    world: World, invoke: Any, event: Any, reason: str
) -> None:
    result = invoke(event)

    assert result["status"] == "skipped"
    assert reason in result["reason"]
    assert world.published() == []


def test_forged_announcement_for_a_bucket_other_than_raw_is_not_alerted(
    world: World, invoke: Any
) -> None:
    # GIVEN someone in the account puts a `gluekit.bridge` event that looks like the bridge's,
    # naming their own bucket (the alert would tell people to upload there)
    event = load_event("notifier/object_quarantined")
    event["detail"] = {**event["detail"], "bucket": "attacker-controlled-bucket"}

    result = invoke(event)

    assert result["status"] == "skipped"
    assert "not the raw bucket" in result["reason"]
    assert world.published() == []


def test_subscription_filter_on_pipeline_attribute_selects_the_alerts(
    world: World, invoke: Any
) -> None:
    orders_queue = world.subscribe_queue("orders-team", {"pipeline": ["orders"]})
    events_queue = world.subscribe_queue("events-team", {"pipeline": ["events"]})

    invoke(load_event("notifier/crawler_failed"))

    assert len(world.published(orders_queue)) == 1
    assert world.published(events_queue) == []


def test_batch_of_ten_thousand_files_lists_ten_and_fits_sns(world: World, invoke: Any) -> None:
    _, run_id = seed_batch(world, files=10_000)
    job_run_id = world.start_job_run("transform", run_id)

    invoke(with_job(load_event("notifier/job_failed"), world.job_name("transform"), job_run_id))

    alert = world.only_alert()
    assert "Files in the batch (10,000, from manifest" in alert.text
    assert "  ... and 9,990 more in the manifest" in alert.text
    assert alert.data["file_count"] == 10_000
    assert len(alert.data["files"]) == message.MAX_FILES_IN_DATA


def test_alert_that_cannot_be_built_goes_out_as_the_raw_event(
    world: World, invoke: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_build(*args: Any) -> Any:
        raise TypeError("unexpected report shape")

    monkeypatch.setattr("notifier.service.build", broken_build)

    result = invoke(load_event("notifier/crawler_failed"))

    alert = world.only_alert()
    assert result["status"] == "published"
    assert alert.subject == "[gluekit-dev-orders] alert: Glue Crawler State Change"
    assert "could not build its message (TypeError: unexpected report shape)" in alert.text
    assert '"crawlerName": "gluekit-dev-orders-raw"' in alert.text
    assert alert.attributes == {"pipeline": "orders", "kind": "unformatted_event"}


def test_publish_failure_raises_so_lambda_retries_the_event(
    world: World, invoke: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    world.sns.delete_topic(TopicArn=world.config["topic_arn"])

    with pytest.raises(ClientError, match="NotFound"):
        invoke(load_event("notifier/crawler_failed"))

    assert '"AlertsNotPublished":[1.0]' in capsys.readouterr().out


def test_metrics_carry_only_the_pipeline_dimension_the_alarms_match(
    world: World, invoke: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    invoke(load_event("notifier/crawler_failed"))
    invoke(load_event("notifier/s3_object_created"))

    emf = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    assert [(m["_aws"]["CloudWatchMetrics"][0]["Dimensions"], m["Pipeline"]) for m in emf] == [
        ([["Pipeline"]], "orders"),
        ([["Pipeline"]], "orders"),
    ]
    assert [m["_aws"]["CloudWatchMetrics"][0]["Metrics"][0]["Name"] for m in emf] == [
        "AlertsPublished",
        "EventsSkipped",
    ]


@pytest.mark.filterwarnings("ignore:No application metrics to publish")
def test_missing_configuration_fails_the_invocation_loudly(
    world: World, invoke: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GLUEKIT_NOTIFIER_CONFIG")
    handler.settings.cache_clear()

    with pytest.raises(ConfigError, match="GLUEKIT_NOTIFIER_CONFIG is not set"):
        invoke(load_event("notifier/crawler_failed"))

    assert world.published() == []
