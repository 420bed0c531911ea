"""The message builder: pure, so every rule of the text is checked without AWS."""

from __future__ import annotations

import json
from types import MappingProxyType
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from notifier import layout, message
from notifier.config import NotifierConfig
from notifier.events import CrawlerFailed, JobRunEnded, ObjectQuarantined, parse_event
from notifier.facts import (
    JobRunFacts,
    Manifest,
    ManifestFile,
    RuleResult,
    RunFacts,
    ValidationReport,
    WorkflowRunFacts,
)
from tests.events import load_event

RUN_ID = "wr_" + "5e" * 32
MANIFEST = "s3://gluekit-dev-artifacts-123456789012-eu-west-1/manifests/orders/b1.json"


def job_alert(
    config: NotifierConfig, name: str = "notifier/job_failed", **changes: Any
) -> JobRunEnded:
    event = load_event(name)
    event["detail"] |= changes
    alert = parse_event(event, config)
    assert isinstance(alert, JobRunEnded)
    return alert


def run_facts(**changes: Any) -> RunFacts:
    facts = RunFacts(
        job_run=JobRunFacts(
            arguments=MappingProxyType(
                {"--WORKFLOW_NAME": "gluekit-dev-orders", "--WORKFLOW_RUN_ID": RUN_ID}
            ),
            execution_seconds=3725,
            timeout_minutes=30,
        ),
        workflow_name="gluekit-dev-orders",
        workflow_run_id=RUN_ID,
        workflow_run=WorkflowRunFacts(
            status="COMPLETED",
            properties=MappingProxyType({"manifest": MANIFEST, "batch_id": "b1"}),
            job_node_ids=MappingProxyType({"gluekit-dev-orders-transform": "wnode_77"}),
        ),
        manifest_uri=MANIFEST,
        manifest=Manifest(MANIFEST, (ManifestFile("s3://raw/orders/a.csv", 5),)),
    )
    return RunFacts(**{**facts.__dict__, **changes})


def failed_rule(name: str, **changes: Any) -> RuleResult:
    values = {"rule": name, "column": "amount", "severity": "error", "status": "failed",
              "observed": 1, "threshold": 0, "message": "", "offending_rows": None}  # fmt: skip
    return RuleResult(**{**values, **changes})


def report(*rules: RuleResult) -> ValidationReport:
    return ValidationReport("s3://a/r.json", "failed", 10, rules, None)


def test_job_alert_uses_the_known_node_id_and_the_configured_region(
    config: NotifierConfig,
) -> None:
    note = message.build(config, job_alert(config), run_facts())

    assert note.data["commands"]["resume"] == (
        f"aws glue resume-workflow-run --region eu-west-1 --name gluekit-dev-orders "
        f"--run-id {RUN_ID} --node-ids wnode_77"
    )
    assert all("eu-west-1" in url for url in note.data["links"].values())
    assert "When:         2026-05-04 01:12:09 UTC (ran 1 h 2 min)" in note.text
    assert "it is COMPLETED now" not in note.text


def test_resume_note_says_when_the_run_is_not_completed_yet(config: NotifierConfig) -> None:
    facts = run_facts(
        workflow_run=WorkflowRunFacts("RUNNING", MappingProxyType({"manifest": MANIFEST}))
    )

    note = message.build(config, job_alert(config), facts)

    assert "COMPLETED; it is RUNNING now;" in " ".join(note.text.split())
    assert '--node-ids "$(aws glue get-workflow-run' in note.data["commands"]["resume"]


def test_multi_line_error_shows_its_first_line_and_then_in_full(config: NotifierConfig) -> None:
    error = 'Traceback (most recent call last):\n  File "job.py", line 3\nValueError: bad row'

    note = message.build(config, job_alert(config, message=error), run_facts())

    assert "Error:        Traceback (most recent call last):\n" in note.text
    assert (
        "Error in full:\n"
        "  Traceback (most recent call last):\n"
        '    File "job.py", line 3\n'
        "  ValueError: bad row\n"
    ) in note.text
    assert (
        note.subject == "[gluekit-dev-orders] transform FAILED: Traceback (most recent call last):"
    )


def test_long_one_line_error_is_clipped_in_its_field_and_given_in_full(
    config: NotifierConfig,
) -> None:
    error = "Py4JJavaError: " + "x" * 1000

    note = message.build(config, job_alert(config, message=error), run_facts())

    field = next(line for line in note.text.splitlines() if line.startswith("Error:"))
    assert len(field) == len("Error:        ") + message.MAX_ERROR_LINE_CHARS
    assert f"Error in full:\n  {error}\n" in note.text


def test_timeout_subject_without_the_job_run_falls_back_to_glues_message(
    config: NotifierConfig,
) -> None:
    alert = job_alert(config, "notifier/job_timeout")

    note = message.build(config, alert, RunFacts(notes=("job run details not available: x",)))

    assert note.subject == "[gluekit-dev-orders] publish TIMEOUT: Job run timed out"
    assert note.text.startswith("Step publish of pipeline orders TIMEOUT.\n")
    assert "Could not look up:\n  - job run details not available: x\n" in note.text


def test_validation_with_only_warnings_does_not_claim_failed_rules(config: NotifierConfig) -> None:
    alert = job_alert(config, "notifier/job_validation_failed")
    warning = failed_rule("null_rate", column="currency", severity="warn")

    note = message.build(config, alert, run_facts(report=report(warning)))

    assert "rules failed" not in note.subject
    assert "Validation: 0 rules failed, 1 warning" in note.text
    assert "  WARN   null_rate(currency)" in note.text


def test_many_failed_rules_are_capped_with_a_pointer_to_the_report(config: NotifierConfig) -> None:
    alert = job_alert(config, "notifier/job_validation_failed")
    rules = [failed_rule(f"rule_{i}", offending_rows=[{"id": 1}, {"id": 2}]) for i in range(25)]

    note = message.build(config, alert, run_facts(report=report(*rules)))

    assert note.text.count("  FAILED rule_") == message.MAX_RULES
    assert "  ... and 5 more in the report\n" in note.text
    assert 'rule_0(amount): observed 1; expected 0; e.g. {"id": 1}\n' in note.text
    assert len(note.data["validation"]["failed_rules"]) == message.MAX_RULES
    assert len(note.subject) <= 99


def test_huge_observed_values_are_clipped_in_text_and_data(config: NotifierConfig) -> None:
    alert = job_alert(config, "notifier/job_validation_failed")
    values = [f"value-{i}" for i in range(1000)]

    note = message.build(
        config, alert, run_facts(report=report(failed_rule("accepted_values", observed=values)))
    )

    line = next(x for x in note.text.splitlines() if "accepted_values(amount)" in x)
    assert len(line) < 2 * message.MAX_VALUE_CHARS
    assert isinstance(note.data["validation"]["failed_rules"][0]["observed"], str)


def test_offending_rows_given_as_a_count_are_shown_as_a_count(config: NotifierConfig) -> None:
    alert = job_alert(config, "notifier/job_validation_failed")
    rules = (failed_rule("range", offending_rows=3), failed_rule("unique_key", offending_rows=0))

    note = message.build(config, alert, run_facts(report=report(*rules)))

    assert "range(amount): observed 1; expected 0; 3 offending rows\n" in note.text
    assert "unique_key(amount): observed 1; expected 0\n" in note.text


def test_event_time_is_shown_in_utc() -> None:
    assert layout.when("2026-05-04T03:12:09+02:00", None) == "2026-05-04 01:12:09 UTC"
    assert layout.when("2026-05-04T01:12:09Z", 59) == "2026-05-04 01:12:09 UTC (ran 59 s)"
    assert layout.when("yesterday", None) == "yesterday"
    assert layout.when("", None) == "unknown"


def test_crawler_alert_without_log_link_has_no_log_entry(config: NotifierConfig) -> None:
    alert = CrawlerFailed(
        "id", "2026-05-04T03:02:17Z", "gluekit-dev-orders-raw", "Failed", "", None
    )

    note = message.build(config, alert)

    assert "Error:    (none given)" in note.text
    assert set(note.data["links"]) == {"crawler"}
    assert note.subject == "[gluekit-dev-orders] crawler Failed: no error message"


def test_quarantine_without_reason_file_offers_only_the_reupload(config: NotifierConfig) -> None:
    alert = ObjectQuarantined(
        "id", "2026-05-04T00:58:03Z", "raw", "orders/a.csv", None, None, "", "size", None, None
    )

    note = message.build(config, alert)

    assert set(note.data["commands"]) == {"reupload"}
    assert "File:        s3://raw/orders/a.csv\n" in note.text
    assert note.subject == "[gluekit-dev-orders] quarantined a.csv: size"


def test_machine_form_is_plain_json(config: NotifierConfig) -> None:
    alert = job_alert(config, "notifier/job_validation_failed")
    note = message.build(config, alert, run_facts(report=report(failed_rule("range"))))

    decoded = json.loads(json.dumps(note.data))

    assert decoded["schema"] == "gluekit.alert/1"
    assert decoded["text"] == note.text
    assert decoded["subject"] == note.subject
    assert decoded["validation"]["failed_rules"][0]["rule"] == "range"


def test_fallback_alert_carries_an_event_that_is_not_even_json(config: NotifierConfig) -> None:
    event = {"detail-type": "Glue Job State Change", "detail": {"when": object()}}

    note = message.fallback_notification(config, event, KeyError("jobName"))

    assert note.subject == "[gluekit-dev-orders] alert: Glue Job State Change"
    assert "(KeyError: 'jobName')" in note.text
    assert '"detail-type": "Glue Job State Change"' in note.text


@given(st.text())
def test_any_subject_is_one_printable_ascii_line_under_100_characters(text: str) -> None:
    subject = message.subject_line(text)

    assert 0 < len(subject) <= 99
    assert all(32 <= ord(c) < 127 for c in subject)


def test_subject_transliterates_accents_and_drops_line_breaks() -> None:
    assert message.subject_line("Prüfung\nfehlgeschlagen:\t café") == (
        "Prufung fehlgeschlagen: cafe"
    )


def test_subject_headline_and_body_count_the_same_failed_rules(config: NotifierConfig) -> None:
    # GIVEN a report with two failed error rules, a failed warn rule and one not measured, and
    # the validate job's own summary as the error
    summary = (
        "2 of 10 rules failed: range(amount), reject_rate; 1 warning: null_rate(currency); "
        "1 not measured: duplicate_keys(order_id)"
    )
    alert = job_alert(
        config, "notifier/job_validation_failed", message=f"ValidationFailed: {summary}"
    )
    rules = report(
        failed_rule("range"),
        failed_rule("reject_rate", column=None),
        failed_rule("null_rate", column="currency", severity="warn"),
        failed_rule("duplicate_keys", column="order_id", status="not_measured"),
    )

    # WHEN the alert is built
    note = message.build(config, alert, run_facts(report=rules))

    # THEN every count says two: the subject, the headline, the body and the job's summary
    assert "2 rules failed: range(amount), reject_rate" in note.subject
    assert note.text.startswith("Step validate of pipeline orders FAILED: 2 validation rules")
    assert "Validation: 2 rules failed, 1 warning, 1 not measured" in note.text
    assert "2 of 10 rules failed" in note.text
    assert "  N/A    duplicate_keys(order_id)" in note.text
    assert note.data["validation"]["failed_rules"][1]["rule"] == "reject_rate"


def test_a_derived_pipelines_alert_offers_a_new_run_not_a_file_replay(
    config: NotifierConfig,
) -> None:
    derived = NotifierConfig(**{**config.__dict__, "derived": True})

    note = message.build(derived, job_alert(derived), run_facts())

    assert "gluekit replay" not in note.text  # gluekit replay refuses a pipeline without files
    assert "it reads what its upstreams changed since the last publish" in " ".join(
        note.text.split()
    )
    assert note.data["commands"]["replay"].startswith("aws glue start-workflow-run")
    plain = message.build(config, job_alert(config), run_facts())
    assert "gluekit replay" in plain.text
