"""`gluekit local run`: one pipeline end to end in one process, on moto and local Spark.

The dropped files go into the emulated raw bucket; for each, the "Object Created" event AWS would
emit goes, wrapped in SQS records, into the real bridge handler (failed records are redelivered
as SQS would, up to the queue's maxReceiveCount). Accepted files wait as PENDING, as deployed:
every workflow run the bridge starts is played by the local scheduler on the real Glue scripts
(Glue's concurrency limit holds), the end of each run goes to the bridge as the run-end rule
would send it, and while files still wait the tick rule's minute is emulated, with the run's
clock (gluekit.local.clock) moved on past max_wait rather than waited for. The real notifier
gets each quarantine announcement and each failed step's Glue event; its SNS messages are shown.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from gluekit.local.aws_events import (
    LambdaContext,
    job_state_change,
    scheduled_flush,
)
from gluekit.local.clock import LocalClock, installed, system_now
from gluekit.local.deliveries import deliver_events, drop_file
from gluekit.local.emulator import (
    complete_workflow_run,
    measured_job_runs,
    record_job_run,
    workflow_concurrency_enforced,
)
from gluekit.local.outcomes import run_outcome
from gluekit.local.report import LocalReport
from gluekit.local.results import collect_file_outcomes, collect_notifications, read_json
from gluekit.local.scheduler import LocalScheduler, StepResult
from gluekit.naming import METRICS_NAMESPACE, FoundationNames, PipelineNames
from gluekit.orchestration import STEP_FUNCTIONS
from gluekit.render import (
    BRIDGE_CONFIG_ENV,
    NOTIFIER_CONFIG_ENV,
    bridge_config,
    bridge_queue_settings,
    notifier_config,
)
from gluekit.spec import PipelineSpec

Progress = Callable[[str], None]
# The tick rule's rate, and a bound on the ticks a local run emulates.
TICK_SECONDS = 60
MAX_TICKS = 1000

# Moto is in-process AWS: never let a local run reach a real account.
FAKE_AWS_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_METRICS_DISABLED": "true",
    # The report says what the functions did; their JSON logs would drown it.
    "POWERTOOLS_LOG_LEVEL": "ERROR",
}


def run_pipeline(
    spec: PipelineSpec,
    drops: list[Path],
    *,
    prefix: str,
    workdir: Path,
    redeliver: bool = False,
    overrides: dict[str, str] | None = None,
    now: datetime | None = None,
    progress: Progress = print,
    code_dir: Path | None = None,
) -> LocalReport:
    """Run `spec` on `drops`; the curated output stays in `workdir` for `gluekit local query`.

    ``now`` is the instant the run starts at (default: the machine's clock); the bridge, the
    jobs and the events all read the run's clock, which starts there. ``code_dir`` is the
    pipeline's code folder (`LoadedSpec.code_dir`), which Python steps need.
    """
    if spec.is_derived and drops:
        raise ValueError(
            f"{spec.name} follows {', '.join(spec.upstreams)} (trigger.after): it reads their "
            "tables and takes no files; run an upstream with the files instead"
        )
    missing = [str(p) for p in drops if not p.is_file()]
    if missing:
        raise FileNotFoundError(f"no such file to drop: {', '.join(missing)}")
    if spec.python_steps and (code_dir is None or not code_dir.is_dir()):
        raise FileNotFoundError(
            f"{spec.name} has Python steps: give its code folder (pipelines/{spec.name}/), "
            f"not {code_dir}"
        )
    from moto import mock_aws

    for noisy in ("gluekit_glue", "py4j"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    started = time.perf_counter()
    workdir = workdir.resolve()  # Spark and Iceberg need absolute file:// locations
    clock = LocalClock(now or system_now())
    with (
        _local_environment(),
        installed(clock),
        mock_aws(),
        workflow_concurrency_enforced(),
        measured_job_runs(),
    ):
        local = _LocalRun(spec, prefix, workdir, progress, overrides or {}, clock, code_dir)
        report = local.run(drops, redeliver)
    report.seconds = time.perf_counter() - started
    return report


@contextlib.contextmanager
def _local_environment() -> Iterator[None]:
    """Fake credentials and the functions' variables for the run only; then as before."""
    saved = dict(os.environ)
    os.environ.update(FAKE_AWS_ENVIRONMENT)
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL"):
        os.environ.pop(name, None)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)
        _forget_function_state()


def _forget_function_state() -> None:
    """Drop configuration and clients the handlers cached, as a new execution environment."""
    import bridge.handler as bridge_handler
    import notifier.handler as notifier_handler
    from shared.aws import reset_clients

    bridge_handler.runtime.cache_clear()
    notifier_handler.settings.cache_clear()
    reset_clients()


class _LocalRun:
    def __init__(
        self,
        spec: PipelineSpec,
        prefix: str,
        workdir: Path,
        progress: Progress,
        overrides: dict[str, str],
        clock: LocalClock,
        code_dir: Path | None = None,
    ):
        from gluekit.local.emulator import provision

        self.spec = spec
        self.workdir = workdir
        self.local_root = workdir / "s3"
        self.progress = progress
        self.overrides = overrides
        self.clock = clock
        self.emulated = provision(spec, prefix, code_dir)
        self.names: PipelineNames = self.emulated.names
        self.foundation: FoundationNames = self.emulated.foundation
        self.report = LocalReport(
            pipeline=spec.name,
            orchestrator=spec.orchestrator,
            # The local Iceberg catalog's table folder: <warehouse>/<database>/<table>.
            curated_location=str(
                self.local_root
                / self.foundation.curated_bucket
                / self.foundation.database
                / self.names.table
            ),
        )
        # Failed records come back as often as the deployed queue's redrive policy allows.
        self.max_receive_count = bridge_queue_settings(spec)[2]
        self._configure_functions()

    # ------------------------------------------------------------------------------ the run
    def run(self, drops: list[Path], redeliver: bool) -> LocalReport:
        if self.spec.is_derived:
            self._upstreams_published()
        raw = (self.foundation.raw_bucket, self.spec.raw_prefix, self.local_root)
        events = [drop_file(path, n, *raw, self.progress) for n, path in enumerate(drops, 1)]
        self._deliver(events)
        if redeliver:
            self.progress("↻ delivering every event again (SQS delivers at least once)")
            self._deliver(events)
        if self.spec.trigger.schedule is not None:
            self.progress(f"⏰ flush at the schedule ({self.spec.trigger.schedule.cron})")
            self._invoke_bridge(scheduled_flush(self.emulated.flush_rule_arn, self.spec.name))
        self._until_nothing_waits()
        self._collect_file_outcomes(drops)
        self._collect_notifications()
        self._leave_what_a_deployed_run_leaves()
        return self.report

    def _upstreams_published(self) -> None:
        """What the upstream-published rule sends a derived pipeline's bridge: each upstream's
        publish job SUCCEEDED (the upstreams ran before, in this workdir)."""
        for upstream in self.spec.upstreams:
            job = PipelineNames(self.names.prefix, upstream).job("publish")
            self.progress(f"⇢ {upstream} published: its publish job's success reaches the bridge")
            self._invoke_bridge(
                job_state_change(
                    job_name=job, job_run_id="jr_upstream", state="SUCCEEDED", message=""
                )
            )

    def _leave_what_a_deployed_run_leaves(self) -> None:
        from gluekit.local.artifacts import leave_run_outputs

        leave_run_outputs(
            self.report,
            self.names,
            self.foundation,
            self.local_root,
            self.workdir,
            drift_alarmed=self.spec.drift_alarmed,
        )

    def _deliver(self, events: list[dict[str, Any]]) -> None:
        on_arrival = self.spec.trigger.on_arrival
        deliver_events(
            events,
            batch_size=on_arrival.max_files if on_arrival else 100,
            max_receive_count=self.max_receive_count,
            queue_arn=self.emulated.bridge_queue_arn,
            invoke=self._invoke_bridge,
            report=self.report,
            progress=self.progress,
            after_each_round=self._announce_quarantines,
        )

    def _until_nothing_waits(self) -> None:
        """Play the started runs (each run's end starts the next batch); while files still
        wait, skip ahead to the next tick. Glue refusing a start only makes files wait."""
        on_arrival = self.spec.trigger.on_arrival
        skip = (on_arrival.max_wait_seconds if on_arrival else 0) + TICK_SECONDS
        for _ in range(MAX_TICKS):
            self._announce_quarantines()
            if self._play_runs():
                continue
            if not self._files_waiting():
                return
            self.clock.advance(skip)
            self.progress(f"⏱ tick: files wait for a run (the run's clock moves {skip} s on)")
            self._invoke_bridge(scheduled_flush(self._tick_rule_arn, self.spec.name))

    def _files_waiting(self) -> bool:
        import boto3

        from gluekit.naming import CLAIMS_PENDING_INDEX, CLAIMS_PENDING_KEY

        response = boto3.client("dynamodb").query(
            TableName=self.foundation.claims_table,
            IndexName=CLAIMS_PENDING_INDEX,
            KeyConditionExpression="#p = :p",
            ExpressionAttributeNames={"#p": CLAIMS_PENDING_KEY},
            ExpressionAttributeValues={":p": {"S": self.spec.name}},
            Select="COUNT",
        )
        return int(response.get("Count", 0)) > 0

    @property
    def _tick_rule_arn(self) -> str:
        return self.emulated.flush_rule_arn.replace(self.names.flush_rule, self.names.tick_rule)

    # ---------------------------------------------------------------------------- functions
    def _configure_functions(self) -> None:
        bridge = bridge_config(self.spec, self.foundation, self.emulated.state_machine_arn)
        notifier = notifier_config(self.spec, self.foundation, self.emulated.alerts_topic_arn)
        os.environ[BRIDGE_CONFIG_ENV] = json.dumps(bridge)
        os.environ[NOTIFIER_CONFIG_ENV] = json.dumps(notifier)
        os.environ["POWERTOOLS_METRICS_NAMESPACE"] = METRICS_NAMESPACE
        import bridge.handler as bridge_handler
        import notifier.handler as notifier_handler

        # Configuration is parsed once per execution environment: start a fresh one.
        _forget_function_state()
        self._bridge = bridge_handler.lambda_handler
        self._notifier = notifier_handler.lambda_handler

    def _invoke_bridge(self, event: dict[str, Any]) -> dict[str, Any]:
        result = self._bridge(event, LambdaContext(self.names.bridge_function))
        return dict(result or {})

    def _notify(self, event: dict[str, Any]) -> None:
        self._notifier(event, LambdaContext(self.names.notifier_function, timeout_seconds=30))

    def _announce_quarantines(self) -> None:
        from gluekit.local.emulator import drain

        for body in drain(self.emulated.announcements_capture_url):
            self._notify(json.loads(body))

    # ------------------------------------------------------------------------- Glue runs
    def _play_runs(self) -> bool:
        """Play every RUNNING run; True when there was one."""
        import boto3

        from gluekit.local.spark import local_spark

        if self.spec.orchestrator == STEP_FUNCTIONS:
            return self._play_executions()
        glue = boto3.client("glue")
        runs = [
            run
            for run in glue.get_workflow_runs(Name=self.names.workflow, MaxResults=100)["Runs"]
            if run["Status"] == "RUNNING"
        ]
        if not runs:
            return False
        local_spark(self.workdir)
        scheduler = self._scheduler()
        for run in sorted(runs, key=lambda r: r["StartedOn"]):
            properties = run.get("WorkflowRunProperties", {})
            run_id = run["WorkflowRunId"]
            self.progress(f"▷ workflow run {run_id} (batch {properties.get('batch_id')})")
            results = scheduler.run(run_id)
            for result in results:
                record_job_run(
                    result.job_name, result.job_run_id, result.seconds, result.state, result.error
                )
                if result.state != "SUCCEEDED":
                    self._notify(
                        job_state_change(
                            job_name=result.job_name,
                            job_run_id=result.job_run_id,
                            state=result.state,
                            message=result.error,
                        )
                    )
            self._record_run(run_id, properties, results)
            complete_workflow_run(self.names.workflow, run_id)
            # The run-end rule: the publish job succeeded, or the step that failed.
            last = results[-1] if results else None
            if last is not None:
                self._invoke_bridge(
                    job_state_change(
                        job_name=last.job_name,
                        job_run_id=last.job_run_id,
                        state=last.state,
                        message=last.error or "",
                    )
                )
        return True

    def _play_executions(self) -> bool:
        """The state machine's RUNNING executions, played from its plan (local.executions)."""
        from gluekit.local.executions import ExecutionPlayer
        from gluekit.local.spark import local_spark

        assert self.emulated.state_machine_arn is not None
        player = ExecutionPlayer(
            self.spec, self.names, self.emulated.state_machine_arn, self._scheduler(), self.clock
        )
        executions = player.running()
        if not executions:
            return False
        local_spark(self.workdir)
        for execution in executions:
            self.progress(f"▷ execution {execution['name']} of the state machine")
            played = player.play(execution["executionArn"])
            if played.failure_event is not None:
                self._notify(played.failure_event)  # the machine's Catch path
            self._record_run(played.run_id, played.input, played.results)
            self._invoke_bridge(played.status_event)  # the run-end rule
        return True

    def _scheduler(self) -> LocalScheduler:
        def on_step(job_name: str, result: StepResult | None) -> None:
            step = job_name.removeprefix(f"{self.names.base}-")
            if result is None:
                self.progress(f"  ▶ {step} …")
            else:
                mark = "✔" if result.state == "SUCCEEDED" else "✘"
                self.progress(f"  {mark} {step} {result.state} in {result.seconds:.1f} s")

        return LocalScheduler(self.names.workflow, self.local_root, on_step, self.overrides)

    def _record_run(
        self, run_id: str, properties: dict[str, Any], results: list[StepResult]
    ) -> None:
        """The run in the report, from what its jobs wrote (`properties`: the batch's)."""
        manifest = self._read_json(properties.get("manifest"), {})
        self.report.runs.append(
            run_outcome(
                self.names,
                run_id,
                str(properties.get("batch_id", "")),
                [f["key"] for f in manifest.get("files", [])],
                results,
                self._artifact,
            )
        )

    # ------------------------------------------------------------------------------ results
    def _collect_file_outcomes(self, drops: list[Path]) -> None:
        keys = [f"{self.spec.raw_prefix}{path.name}" for path in drops]
        collect_file_outcomes(self.report, keys, self.foundation, self.names)

    def _collect_notifications(self) -> None:
        collect_notifications(self.report, self.emulated.alerts_capture_url)

    def _artifact(self, key: str) -> dict[str, Any] | None:
        return read_json(f"s3://{self.foundation.artifacts_bucket}/{key}", None)

    @staticmethod
    def _read_json(uri: str | None, default: Any) -> Any:
        return read_json(uri, default)
