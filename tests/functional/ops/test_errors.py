"""Each kind of AWS error becomes one line that says what to do."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, NoRegionError

from gluekit.ops.errors import explain


def client_error(code: str, message: str = "") -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message}}, "GetWorkflowRuns")


@pytest.mark.parametrize(
    ("error", "says"),
    [
        (
            client_error("AccessDeniedException", "User: arn:aws:iam::1:user/x is not authorized"),
            "access denied while reading runs: User: arn:aws:iam::1:user/x is not authorized. "
            "Ask for this permission or use a profile that has it (--profile)",
        ),
        (
            client_error("ExpiredTokenException", "The security token included in the request"),
            "the AWS credentials are expired or invalid (ExpiredTokenException): renew them",
        ),
        (
            client_error("ThrottlingException", "Rate exceeded"),
            "AWS throttled the requests while reading runs (ThrottlingException): wait a moment",
        ),
        (
            client_error("EntityNotFoundException", "Entity not found"),
            "is the stack deployed in this account and region, under this --env?; deploy it "
            "with: npx cdk deploy -c env=prod gluekit-prod-orders",
        ),
        (
            NoRegionError(),
            "no AWS region: pass --region, or set region in environments.yaml or AWS_REGION",
        ),
        (
            EndpointConnectionError(endpoint_url="https://glue.xx-nowhere-1.amazonaws.com"),
            "cannot reach AWS while reading runs",
        ),
        (client_error("InternalServiceException", "boom"), "reading runs failed: "),
    ],
)
def test_an_aws_error_is_one_line_that_says_what_to_do(error: Exception, says: str) -> None:
    line = explain(
        error, "reading runs", deploy_hint="npx cdk deploy -c env=prod gluekit-prod-orders"
    )

    assert says in line
    assert "\n" not in line
