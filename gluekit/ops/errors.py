"""One line per failure: what went wrong and what to do, never a traceback.

`OpsError` is a refusal or a failure the command explains itself (a run that cannot be resumed,
a pipeline that is not deployed). `explain` turns an AWS SDK error into the same kind of line,
from the error code, so "no credentials", "access denied" and "not deployed" each say how to
get further.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from botocore.exceptions import ClientError

# Error codes that mean "this resource does not exist here": the stack is not deployed in this
# account and region (or under this environment's prefix).
NOT_FOUND_CODES = frozenset(
    {
        "EntityNotFoundException",
        "ResourceNotFoundException",
        "AWS.SimpleQueueService.NonExistentQueue",
        "QueueDoesNotExist",
        "NoSuchBucket",
        "NoSuchKey",
        "404",
    }
)
ACCESS_DENIED_CODES = frozenset(
    {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "AuthorizationError"}
)
EXPIRED_CODES = frozenset(
    {"ExpiredToken", "ExpiredTokenException", "RequestExpired", "InvalidClientTokenId"}
)
THROTTLED_CODES = frozenset({"ThrottlingException", "Throttling", "TooManyRequestsException"})


class OpsError(Exception):
    """A refusal or failure, already worded for the person at the terminal (one line)."""


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def error_message(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Message", "")).strip()


def explain(exc: BaseException, doing: str, *, deploy_hint: str = "") -> str:
    """The one line for an AWS SDK error met while `doing` (e.g. "reading the claims table").

    `deploy_hint` is the command that deploys what was not found.
    """
    from botocore.exceptions import (
        BotoCoreError,
        ClientError,
        EndpointConnectionError,
        NoCredentialsError,
        NoRegionError,
        ProfileNotFound,
        TokenRetrievalError,
    )

    if isinstance(exc, ProfileNotFound):
        return f"{exc}: add it with 'aws configure --profile NAME' or pass another --profile"
    if isinstance(exc, NoCredentialsError):
        return (
            "no AWS credentials found: run 'aws configure' or 'aws sso login', "
            "or pass --profile NAME"
        )
    if isinstance(exc, TokenRetrievalError):
        return f"the SSO session has expired ({exc}): run 'aws sso login'"
    if isinstance(exc, NoRegionError):
        return "no AWS region: pass --region, or set region in environments.yaml or AWS_REGION"
    if isinstance(exc, EndpointConnectionError):
        return f"cannot reach AWS while {doing} ({exc}): check the network and --region"
    if isinstance(exc, ClientError):
        code, message = error_code(exc), error_message(exc)
        if code in ACCESS_DENIED_CODES:
            return (
                f"access denied while {doing}: {message or code}. Ask for this permission or "
                "use a profile that has it (--profile)"
            )
        if code in EXPIRED_CODES:
            return f"the AWS credentials are expired or invalid ({code}): renew them and retry"
        if code in NOT_FOUND_CODES or "does not exist" in message:
            hint = f"; deploy it with: {deploy_hint}" if deploy_hint else ""
            return (
                f"not found while {doing} ({code}: {message or 'no such resource'}): is the "
                f"stack deployed in this account and region, under this --env?{hint}"
            )
        if code in THROTTLED_CODES:
            return f"AWS throttled the requests while {doing} ({code}): wait a moment and retry"
        return f"{doing} failed: {code}: {message}"
    if isinstance(exc, BotoCoreError):
        return f"{doing} failed: {exc}"
    return f"{doing} failed: {type(exc).__name__}: {exc}"
