"""The AWS session the commands act through, and the deployed names they act on.

`open_target` builds one boto3 session from `--profile` and `--region` (else the environment's
pinned region, else the SDK's own resolution), asks STS whose credentials they are, and refuses
an environment pinned to another account. Every client comes from that session with botocore's
standard retries. The session also becomes boto3's default, because the bridge's own modules,
which `start` and `replay` reuse, create their clients from the default session
(`shared.aws`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from gluekit.environments import Environment
from gluekit.naming import FoundationNames, PipelineNames
from gluekit.ops.errors import OpsError, explain
from gluekit.spec import PipelineSpec

CLIENT_CONFIG = Config(
    retries={"mode": "standard", "max_attempts": 5}, user_agent_extra="gluekit-ops"
)


@dataclass
class Target:
    """One account and region, and the environment whose names the commands use there."""

    session: boto3.Session
    account: str
    region: str
    environment: Environment
    clients: dict[str, Any] = field(default_factory=dict)

    def client(self, service: str) -> Any:
        if service not in self.clients:
            self.clients[service] = self.session.client(service, config=CLIENT_CONFIG)
        return self.clients[service]

    @cached_property
    def foundation(self) -> FoundationNames:
        return FoundationNames(self.environment.name_prefix, self.account, self.region)

    def deploy_command(self, stack: str | None = None) -> str:
        which = stack or "--all"
        return f"npx cdk deploy -c env={self.environment.name} {which}"


@dataclass
class Pipeline:
    """A pipeline's spec (as in this checkout) and its deployed names in the target."""

    target: Target
    spec: PipelineSpec

    @property
    def name(self) -> str:
        return self.spec.name

    @cached_property
    def names(self) -> PipelineNames:
        return PipelineNames(self.target.environment.name_prefix, self.spec.name)

    @property
    def deploy_command(self) -> str:
        return self.target.deploy_command(self.names.stack)

    def client(self, service: str) -> Any:
        return self.target.client(service)

    @cached_property
    def state_machine_arn(self) -> str:
        """The ARN the deployed state machine has (orchestrator step-functions): ARNs are not
        random, they follow from the name, the account, the region and its partition."""
        target = self.target
        partition = target.session.get_partition_for_region(target.region)
        return (
            f"arn:{partition}:states:{target.region}:{target.account}:stateMachine:"
            f"{self.names.state_machine}"
        )


def new_session(profile: str | None, region: str | None) -> boto3.Session:
    return boto3.Session(profile_name=profile, region_name=region)


def open_target(environment: Environment, profile: str | None, region: str | None) -> Target:
    try:
        session = new_session(profile, region or environment.region)
    except BotoCoreError as exc:
        raise OpsError(explain(exc, "opening the AWS session")) from None
    if not session.region_name:
        raise OpsError(
            "no AWS region: pass --region, set `region` for this environment in "
            "environments.yaml, or set AWS_REGION"
        )
    target = Target(session, "", session.region_name, environment)
    try:
        identity = target.client("sts").get_caller_identity()
    except (BotoCoreError, ClientError) as exc:
        raise OpsError(explain(exc, "asking STS whose credentials these are")) from None
    target.account = str(identity["Account"])
    if environment.account and environment.account != target.account:
        raise OpsError(
            f"environment '{environment.name}' is pinned to account {environment.account}, but "
            f"these credentials are for account {target.account}: pass --profile for the right "
            "account"
        )
    _make_default(session)
    return target


def _make_default(session: boto3.Session) -> None:
    """The bridge's modules build their clients from boto3's default session (shared.aws)."""
    boto3.DEFAULT_SESSION = session
    from shared.aws import reset_clients

    reset_clients()
