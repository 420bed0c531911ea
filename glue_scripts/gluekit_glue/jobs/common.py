"""What every job run shares: its context (session, options, clients, clock) and the step frame
that writes the step summary, success or failure."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pyspark.sql import SparkSession

from gluekit_glue.arguments import JobOptions
from gluekit_glue.aws import Aws, get_run_properties
from gluekit_glue.clock import Clock, utc_now
from gluekit_glue.config import JobConfig
from gluekit_glue.errors import describe_error as describe_error  # the jobs' import
from gluekit_glue.storage import Storage, path_exists
from gluekit_glue.summary import StepSummary, utc_now_iso

log = logging.getLogger("gluekit_glue")


class JobFailed(RuntimeError):
    """The job cannot do its work; the message says what and where, for the notification."""


class ValidationFailed(JobFailed):
    """An error-severity rule failed: the run's data must not be published."""


@dataclass
class JobContext:
    spark: SparkSession
    options: JobOptions
    aws: Aws
    storage: Storage
    run_id: str
    clock: Clock = field(default=utc_now)

    @classmethod
    def create(
        cls,
        spark: SparkSession,
        options: JobOptions,
        step: str,
        aws: Aws | None = None,
        clock: Clock | None = None,
    ) -> JobContext:
        aws = aws or Aws()
        storage = Storage(aws.s3, options.local_root)
        run_id = data_run_id(spark, aws, options, step)
        return cls(spark, options, aws, storage, run_id, clock or utc_now)

    @property
    def config(self) -> JobConfig:
        return self.options.config

    def spark_path(self, uri: str) -> str:
        return self.storage.spark_path(uri)


MAX_RESUMES = 50
# The run property naming the run id whose data (staged/<id>/, reports/<id>.json) a workflow run
# works on. transform sets it; a resumed run (a new run id) finds the original's through it.
RUN_ID_PROPERTY = "gluekit_run_id"


def data_run_id(spark: SparkSession, aws: Aws, options: JobOptions, step: str) -> str:
    """The run id that names the run's data.

    ``--run_id`` when given; else transform (and compact) use the workflow run's id, and
    validate and publish the one transform recorded in the run property ``gluekit_run_id``.
    ResumeWorkflowRun gives a resumed run a new id; when the property did not come along, the
    run's PreviousRunId chain is followed to the run whose staged data exists.
    """
    if options.run_id_given or not options.in_workflow:
        return options.run_id
    current = str(options.workflow_run_id)
    if step in ("transform", "compact"):
        return current
    recorded = get_run_properties(aws, options).get(RUN_ID_PROPERTY)
    if recorded:
        return recorded
    candidate = current
    for _ in range(MAX_RESUMES):
        if path_exists(
            spark,
            Storage(aws.s3, options.local_root).spark_path(options.config.staged_uri(candidate)),
        ):
            return candidate
        run = aws.glue.get_workflow_run(Name=options.workflow_name, RunId=candidate)["Run"]
        previous = run.get("PreviousRunId")
        if not previous or previous == candidate:
            break
        candidate = str(previous)
    return current


def run_step(context: JobContext, step: str, body: Callable[[StepSummary], Any]) -> StepSummary:
    """Run ``body`` and write the step summary; on failure write it with the error and re-raise."""
    summary = StepSummary(
        step=step,
        pipeline=context.config.pipeline,
        run_id=context.run_id,
        job_name=context.options.job_name,
        started_at=utc_now_iso(context.clock()),
    )
    if context.options.workflow_run_id:
        summary.details["workflow_run_id"] = context.options.workflow_run_id
    uri = context.config.summary_uri(context.run_id, step)
    log.info("%s of pipeline %s, run %s", step, summary.pipeline, summary.run_id)
    try:
        body(summary)
    except Exception as exc:
        summary.finish(context.clock(), exc)
        try:
            context.storage.put_json(uri, summary.to_json())
        except Exception:  # the job's own error matters more than a lost summary
            log.exception("could not write the step summary %s", uri)
        raise
    summary.finish(context.clock())
    context.storage.put_json(uri, summary.to_json())
    log.info("%s done: %s", step, summary.to_json())
    return summary
