"""The Spark session of a job: GlueContext and awsglue's Job on Glue, a plain session locally.

Locally (``--gluekit_local_root``) the session is whatever ``SparkSession.builder.getOrCreate()``
returns and it is never stopped: the tests and the local runner run every job in one process and
share one JVM (starting it costs ~6 s).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pyspark.sql import SparkSession

from gluekit_glue.arguments import JobOptions

# Settings every job relies on, whatever the cluster defaults are. Both are runtime settings, so
# they can be applied to a session that already exists.
SESSION_SETTINGS = {
    # Partition values (dt=yyyy-MM-dd) and freshness are computed in UTC.
    "spark.sql.session.timeZone": "UTC",
    # Parse with the Java 8 time API and return null for text that does not fit a contract's
    # `format`, instead of raising INCONSISTENT_BEHAVIOR_CROSS_VERSION.
    "spark.sql.legacy.timeParserPolicy": "CORRECTED",
}


@dataclass
class JobSession:
    spark: SparkSession
    glue_job: Any | None = None  # awsglue.job.Job on Glue

    def commit(self) -> None:
        if self.glue_job is not None:
            self.glue_job.commit()


def start_session(options: JobOptions) -> JobSession:
    if options.local_root:
        spark = SparkSession.builder.getOrCreate()
        apply_settings(spark)
        return JobSession(spark)
    # Glue's JVM classes exist only on Glue; import there and nowhere else.
    from awsglue.context import GlueContext
    from awsglue.job import Job
    from pyspark.context import SparkContext

    glue_context = GlueContext(SparkContext.getOrCreate())
    spark = glue_context.spark_session
    apply_settings(spark)
    job = Job(glue_context)
    job.init(options.job_name, dict(options.resolved))
    return JobSession(spark, job)


def apply_settings(spark: SparkSession) -> None:
    for key, value in SESSION_SETTINGS.items():
        spark.conf.set(key, value)
