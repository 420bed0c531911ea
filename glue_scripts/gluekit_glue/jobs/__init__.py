"""The four jobs and the `main` their Glue scripts call.

Each job is ``run(spark, options)`` → `StepSummary`; ``main(argv, step)`` parses Glue's argv,
builds the session (GlueContext on Glue, the shared local session with
``--gluekit_local_root``), runs the step and commits awsglue's Job. A failure raises, which is
what fails the Glue job run (and the local runner's step).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Sequence

from pyspark.sql import SparkSession

from gluekit_glue.arguments import JobOptions, resolve_options
from gluekit_glue.jobs import compact, publish, transform, validate
from gluekit_glue.session import start_session
from gluekit_glue.summary import StepSummary

RUNNERS: dict[str, Callable[[SparkSession, JobOptions], StepSummary]] = {
    "transform": transform.run,
    "validate": validate.run,
    "publish": publish.run,
    "compact": compact.run,
}


def main(argv: Sequence[str] | None, step: str) -> StepSummary:
    if step not in RUNNERS:
        raise ValueError(f"unknown step '{step}'; one of {sorted(RUNNERS)}")
    if not logging.getLogger().handlers:
        logging.basicConfig(
            level=logging.INFO, stream=sys.stdout, format="%(levelname)s %(name)s %(message)s"
        )
    options = resolve_options(sys.argv if argv is None else argv)
    session = start_session(options)
    summary = RUNNERS[step](session.spark, options)
    session.commit()
    return summary
