"""Module-level Powertools Logger, Tracer and Metrics, configured from the environment.

Powertools reads POWERTOOLS_SERVICE_NAME and POWERTOOLS_METRICS_NAMESPACE (set by the CDK
construct); the defaults here make tests and the local runner work without them.

Metrics carry no `service` dimension. Powertools adds one to every metric whenever it knows a
service name (the argument or POWERTOOLS_SERVICE_NAME), and CloudWatch matches a metric only on
its exact set of dimensions: the kit's alarms and dashboards match `{Pipeline}` alone, which each
function adds itself.
"""

from __future__ import annotations

import os

from aws_lambda_powertools import Logger, Metrics, Tracer

METRICS_NAMESPACE = os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "gluekit")


def observability(service: str) -> tuple[Logger, Tracer, Metrics]:
    """Logger, Tracer and Metrics for one function (`service` when the env names none)."""
    name = os.environ.get("POWERTOOLS_SERVICE_NAME", service)
    metrics = Metrics(namespace=METRICS_NAMESPACE)
    metrics.service = None  # no `service` dimension, even when POWERTOOLS_SERVICE_NAME is set
    return Logger(service=name), Tracer(service=name), metrics
