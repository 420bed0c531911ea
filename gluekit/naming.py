"""Every resource name the kit creates, in one place.

The CDK app and the local runner both name resources through this module, so what runs on a
laptop is named exactly as what is deployed. Account and region are arguments: CDK passes its
tokens, the local runner passes moto's fixed values.
"""

from __future__ import annotations

from dataclasses import dataclass

# Name-length limits of the services whose names embed the pipeline name.
LIMITS: dict[str, int] = {
    "cloudformation stack": 128,
    "lambda function": 64,
    "sqs queue": 80,
    "glue job": 255,
    "glue workflow": 255,
    "glue trigger": 255,
    "glue crawler": 255,
    "glue security configuration": 255,
    "eventbridge rule": 64,
    "cloudwatch dashboard": 255,
    "s3 bucket": 63,
    "step functions state machine": 80,
}
STEPS = ("transform", "validate", "publish")
METRICS_NAMESPACE = "gluekit"


@dataclass(frozen=True)
class FoundationNames:
    """Names of the shared, stateful resources of one environment."""

    prefix: str
    account: str
    region: str

    @property
    def stack(self) -> str:
        return f"{self.prefix}-foundation"

    def bucket(self, zone: str) -> str:
        return f"{self.prefix}-{zone}-{self.account}-{self.region}"

    @property
    def raw_bucket(self) -> str:
        return self.bucket("raw")

    @property
    def curated_bucket(self) -> str:
        return self.bucket("curated")

    @property
    def quarantine_bucket(self) -> str:
        return self.bucket("quarantine")

    @property
    def artifacts_bucket(self) -> str:
        return self.bucket("artifacts")

    @property
    def access_logs_bucket(self) -> str:
        return self.bucket("access-logs")

    @property
    def database(self) -> str:
        return self.prefix.replace("-", "_")

    @property
    def alerts_topic(self) -> str:
        return f"{self.prefix}-alerts"

    @property
    def claims_table(self) -> str:
        return f"{self.prefix}-claims"

    @property
    def kms_alias(self) -> str:
        return f"alias/{self.prefix}"


@dataclass(frozen=True)
class PipelineNames:
    """Names of one pipeline's resources and its places in the shared buckets."""

    prefix: str
    pipeline: str

    @property
    def base(self) -> str:
        return f"{self.prefix}-{self.pipeline}"

    @property
    def stack(self) -> str:
        return self.base

    @property
    def table(self) -> str:
        return self.pipeline.replace("-", "_")

    def alarm(self, key: str) -> str:
        """A CloudWatch alarm of the pipeline, e.g. alarm("rejected-rows")."""
        return f"{self.base}-{key}"

    def job(self, step: str) -> str:
        return f"{self.base}-{step}"

    @property
    def workflow(self) -> str:
        return self.base

    @property
    def start_trigger(self) -> str:
        return f"{self.base}-start"

    def after_trigger(self, step: str) -> str:
        return f"{self.base}-after-{step}"

    @property
    def compact_trigger(self) -> str:
        return f"{self.base}-compact-schedule"

    @property
    def crawler(self) -> str:
        return f"{self.base}-raw"

    @property
    def raw_table_prefix(self) -> str:
        """The raw crawler's table prefix: its tables are this plus a folder name."""
        return f"raw_{self.table}_"

    @property
    def security_configuration(self) -> str:
        return self.base

    @property
    def bridge_function(self) -> str:
        return f"{self.base}-bridge"

    @property
    def notifier_function(self) -> str:
        return f"{self.base}-notifier"

    @property
    def bridge_queue(self) -> str:
        return f"{self.base}-bridge"

    @property
    def bridge_dlq(self) -> str:
        return f"{self.base}-bridge-dlq"

    @property
    def arrival_rule(self) -> str:
        return f"{self.base}-arrival"

    @property
    def flush_rule(self) -> str:
        return f"{self.base}-flush"

    @property
    def tick_rule(self) -> str:
        return f"{self.base}-tick"

    @property
    def run_end_rule(self) -> str:
        return f"{self.base}-run-ended"

    @property
    def failure_rule(self) -> str:
        return f"{self.base}-job-failed"

    @property
    def quarantine_rule(self) -> str:
        return f"{self.base}-quarantined"

    @property
    def crawler_failure_rule(self) -> str:
        return f"{self.base}-crawler-failed"

    @property
    def arrival_rule_dlq(self) -> str:
        return f"{self.base}-arrival-rule-dlq"

    @property
    def bridge_failures_queue(self) -> str:
        return f"{self.base}-bridge-failures"

    @property
    def notifier_rule_dlq(self) -> str:
        return f"{self.base}-notifier-rule-dlq"

    @property
    def notifier_failures_queue(self) -> str:
        return f"{self.base}-notifier-failures"

    @property
    def dashboard(self) -> str:
        return self.base

    # The Step Functions orchestrator (spec orchestrator: step-functions).
    @property
    def state_machine(self) -> str:
        return self.base

    @property
    def state_machine_log_group(self) -> str:
        # The /aws/vendedlogs/ prefix keeps Step Functions' log delivery within the
        # resource policy size limit of CloudWatch Logs.
        return f"/aws/vendedlogs/states/{self.base}"

    @property
    def execution_ended_rule(self) -> str:
        return f"{self.base}-exec-ended"

    # A derived pipeline (spec trigger.after): its upstreams' publishes start its runs.
    @property
    def upstream_published_rule(self) -> str:
        return f"{self.base}-upstream"

    @property
    def upstream_succeeded_rule(self) -> str:
        return f"{self.base}-upstream-sfn"

    # Places inside the shared buckets.
    @property
    def raw_prefix_default(self) -> str:
        return f"{self.pipeline}/"

    @property
    def manifests_prefix(self) -> str:
        return f"manifests/{self.pipeline}/"

    @property
    def staging_prefix(self) -> str:
        return f"staging/{self.pipeline}/"

    @property
    def reports_prefix(self) -> str:
        return f"reports/{self.pipeline}/"

    @property
    def scripts_prefix(self) -> str:
        return f"scripts/{self.pipeline}/"

    @property
    def curated_prefix(self) -> str:
        return f"{self.table}/"

    @property
    def quarantine_prefix(self) -> str:
        return f"{self.pipeline}/"

    def limited_names(self) -> dict[str, str]:
        """Names that embed the pipeline name, keyed by the service whose limit applies."""
        longest_job = max((self.job(s) for s in (*STEPS, "compact")), key=len)
        return {
            "cloudformation stack": self.stack,
            "lambda function": max((self.bridge_function, self.notifier_function), key=len),
            "sqs queue": max(
                (
                    self.bridge_queue,
                    self.bridge_dlq,
                    self.arrival_rule_dlq,
                    self.bridge_failures_queue,
                    self.notifier_rule_dlq,
                    self.notifier_failures_queue,
                ),
                key=len,
            ),
            "glue job": longest_job,
            "glue workflow": self.workflow,
            "glue trigger": max(
                (self.compact_trigger, *(self.after_trigger(s) for s in STEPS)), key=len
            ),
            "glue crawler": self.crawler,
            "eventbridge rule": max(
                (
                    self.arrival_rule,
                    self.flush_rule,
                    self.tick_rule,
                    self.run_end_rule,
                    self.failure_rule,
                    self.quarantine_rule,
                    self.crawler_failure_rule,
                    self.execution_ended_rule,
                    self.upstream_published_rule,
                    self.upstream_succeeded_rule,
                ),
                key=len,
            ),
            "cloudwatch dashboard": self.dashboard,
            "step functions state machine": self.state_machine,
        }


def names_too_long(prefix: str, pipeline: str) -> list[tuple[str, str, int]]:
    """(service, name, limit) for each name that would exceed its service's limit."""
    names = PipelineNames(prefix, pipeline).limited_names()
    return [(svc, name, LIMITS[svc]) for svc, name in names.items() if len(name) > LIMITS[svc]]


def max_pipeline_name_length(prefix: str) -> int:
    """The longest pipeline name whose every derived name fits its limit under `prefix`."""
    probe = PipelineNames(prefix, "")
    slack = min(LIMITS[svc] - len(name) for svc, name in probe.limited_names().items())
    return slack


# Layout of the bridge's claims table (lambdas/bridge/claims.py uses the same names; a test
# checks), shared by the foundation stack and the local runner.
CLAIMS_PARTITION_KEY = "pk"
CLAIMS_TTL_ATTRIBUTE = "expires_at"
# The first release's index of pending objects, keyed on pk; kept until a later release drops it
# (CloudFormation creates or deletes one GSI per update). Nothing reads it.
CLAIMS_LEGACY_PENDING_INDEX = "pending"
CLAIMS_PENDING_INDEX = "waiting"
CLAIMS_PENDING_KEY = "pending_pipeline"
CLAIMS_PENDING_SORT_KEY = "accepted_at"
# Every item of a pipeline starts with one of these (claims: object#<p>#..., starter: slots#<p>),
# which lets IAM hold each bridge to its own items (dynamodb:LeadingKeys).
CLAIMS_KEY_PREFIXES = ("object#{pipeline}#*", "slots#{pipeline}")
