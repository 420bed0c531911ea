"""The notifier's Powertools Logger, Tracer and Metrics, shared by its handler and service."""

from __future__ import annotations

from shared.observability import observability

logger, tracer, metrics = observability("notifier")
