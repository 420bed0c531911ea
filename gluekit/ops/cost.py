"""`gluekit cost PIPELINE`: what the pipeline's Glue jobs cost, measured and before deploy.

Measured (`--days N`): every job run of the pipeline's jobs started in the last N days
(GetJobRuns), its DPU-seconds (Glue's own `DPUSeconds` where it reports them, for auto scaling
and flex runs; else the execution time, billed at least a minute, times the run's DPUs), priced
at the environment's price per DPU-hour (`dpu_hour_price`, `flex_dpu_hour_price` in
environments.yaml).

Estimated (`--estimate`, no AWS call, so it works before deploy): workers x DPUs per worker x
expected job minutes per run x runs per day, for the three step jobs of each run. With auto
scaling the workers are a maximum, so the estimate is an upper bound.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from gluekit.environments import Environment
from gluekit.naming import STEPS
from gluekit.ops.errors import OpsError, explain
from gluekit.ops.glue_runs import BILLED_MINIMUM_SECONDS, WORKER_DPUS, dpu_seconds
from gluekit.ops.output import fields, table
from gluekit.ops.session import Pipeline
from gluekit.spec import PipelineSpec

COST_JOBS = (*STEPS, "compact")
DAYS_PER_MONTH = 30


def measured(pipeline: Pipeline, days: int, now: datetime) -> dict[str, Any]:
    environment = pipeline.target.environment
    since = now - timedelta(days=days)
    jobs: list[dict[str, Any]] = []
    for step in COST_JOBS:
        name = pipeline.names.job(step)
        runs = [r for r in _job_runs(pipeline, name) if _started_after(r, since)]
        dpu_s = [(dpu_seconds(r) or 0.0, _flex(r)) for r in runs]
        hours = sum(s for s, _ in dpu_s) / 3600
        price = sum(s / 3600 * _price(environment, flex) for s, flex in dpu_s)
        seconds = [int(r["ExecutionTime"]) for r in runs if isinstance(r.get("ExecutionTime"), int)]
        jobs.append(
            {
                "step": step,
                "job_name": name,
                "runs": len(runs),
                "failed_runs": sum(1 for r in runs if r.get("JobRunState") != "SUCCEEDED"),
                "average_seconds": sum(seconds) / len(seconds) if seconds else None,
                "dpu_hours": hours,
                "price": price,
            }
        )
    total_hours = sum(float(j["dpu_hours"]) for j in jobs)
    total_price = sum(float(j["price"]) for j in jobs)
    return {
        "pipeline": pipeline.name,
        "days": days,
        "since": since,
        "currency": environment.price_currency,
        "dpu_hour_price": environment.dpu_hour_price,
        "flex_dpu_hour_price": environment.flex_dpu_hour_price,
        "jobs": jobs,
        "dpu_hours": total_hours,
        "price": total_price,
        "price_per_day": total_price / days,
    }


def estimate(
    spec: PipelineSpec, environment: Environment, minutes: float, runs_per_day: float | None
) -> dict[str, Any]:
    """Workers x expected minutes x runs per day, before anything runs."""
    if runs_per_day is None:
        if spec.is_derived:
            raise OpsError(
                f"{spec.name} runs after each publish of {', '.join(spec.upstreams)} (publishes "
                "during a run make one more): pass --runs-per-day (about their runs a day)"
            )
        if spec.trigger.schedule is None:
            raise OpsError(
                f"{spec.name} starts a run per batch of arrivals: pass --runs-per-day (how many "
                "batches a day you expect)"
            )
        runs_per_day = cron_runs_per_day(spec.trigger.schedule.cron)
    dpus = spec.job.workers * WORKER_DPUS[spec.job.worker_type]
    # Each of the three step jobs is billed at least a minute.
    billed_minutes = max(minutes, len(STEPS) * BILLED_MINIMUM_SECONDS / 60)
    flex = spec.job.execution_class == "flex"
    price_per_hour = environment.flex_dpu_hour_price if flex else environment.dpu_hour_price
    per_run = dpus * billed_minutes / 60
    per_day = per_run * runs_per_day
    worst_minutes = len(STEPS) * spec.job.timeout_minutes
    return {
        "pipeline": spec.name,
        "workers": spec.job.workers,
        "worker_type": spec.job.worker_type,
        "dpus": dpus,
        "execution_class": spec.job.execution_class,
        "auto_scaling": spec.job.auto_scaling,
        "minutes_per_run": billed_minutes,
        "runs_per_day": runs_per_day,
        "dpu_hours_per_run": per_run,
        "dpu_hours_per_day": per_day,
        "currency": environment.price_currency,
        "dpu_hour_price": price_per_hour,
        "price_per_run": per_run * price_per_hour,
        "price_per_day": per_day * price_per_hour,
        "price_per_month": per_day * price_per_hour * DAYS_PER_MONTH,
        "worst_case_price_per_run": dpus * worst_minutes / 60 * price_per_hour,
    }


def cron_runs_per_day(cron: str) -> float:
    """How often an EventBridge cron fires per day, averaged over a week (or a month)."""
    minutes, hours, day_of_month, _, day_of_week, _ = cron.strip()[5:-1].split()
    per_day = float(_values(minutes, 0, 59) * _values(hours, 0, 23))
    if day_of_week not in ("?", "*"):
        per_day *= _values(day_of_week.split("#")[0].rstrip("L"), 1, 7, _DAY_NAMES) / 7
    elif day_of_month not in ("?", "*", "L"):
        per_day *= _values(day_of_month.rstrip("W"), 1, 31) / 30
    return per_day


_DAY_NAMES = {"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}


def _values(field: str, low: int, high: int, names: dict[str, int] | None = None) -> int:
    chosen: set[int] = set()
    for item in field.split(","):
        base, _, step = item.partition("/")
        if base in ("*", "?", ""):
            first, last = low, high
        elif "-" in base:
            a, b = base.split("-", 1)
            first, last = _number(a, names), _number(b, names)
        else:
            first = _number(base, names)
            last = high if step else first
        chosen.update(range(first, last + 1, int(step) if step else 1))
    return max(1, len(chosen))


def _number(text: str, names: dict[str, int] | None) -> int:
    upper = text.upper()
    return names[upper] if names and upper in names else int(upper)


def _job_runs(pipeline: Pipeline, job_name: str) -> Iterator[dict[str, Any]]:
    try:
        for page in (
            pipeline.client("glue").get_paginator("get_job_runs").paginate(JobName=job_name)
        ):
            yield from page.get("JobRuns", [])
    except (BotoCoreError, ClientError) as exc:
        raise OpsError(
            explain(exc, f"reading the runs of {job_name}", deploy_hint=pipeline.deploy_command)
        ) from None


def _started_after(run: dict[str, Any], since: datetime) -> bool:
    started = run.get("StartedOn")
    return isinstance(started, datetime) and started >= since


def _flex(run: dict[str, Any]) -> bool:
    return str(run.get("ExecutionClass") or "").upper() == "FLEX"


def _price(environment: Environment, flex: bool) -> float:
    return environment.flex_dpu_hour_price if flex else environment.dpu_hour_price


# ----------------------------------------------------------------------------------- text
def measured_lines(document: dict[str, Any]) -> list[str]:
    currency = document["currency"]
    lines = [
        f"{document['pipeline']}: Glue job runs of the last {document['days']} day(s), at "
        f"{document['dpu_hour_price']} {currency} per DPU-hour "
        f"(flex {document['flex_dpu_hour_price']})",
        *table(
            ["JOB", "RUNS", "FAILED", "AVG TIME", "DPU-HOURS", f"PRICE ({currency})"],
            (
                [
                    j["job_name"],
                    j["runs"],
                    j["failed_runs"],
                    _seconds(j["average_seconds"]),
                    f"{j['dpu_hours']:.3f}",
                    f"{j['price']:.2f}",
                ]
                for j in document["jobs"]
            ),
        ),
        f"Total: {document['dpu_hours']:.3f} DPU-hours, {document['price']:.2f} {currency} "
        f"({document['price_per_day']:.2f} {currency} a day)",
    ]
    return lines


def estimate_lines(document: dict[str, Any]) -> list[str]:
    currency = document["currency"]
    bound = " at most (auto scaling may use fewer workers)" if document["auto_scaling"] else ""
    return [
        f"{document['pipeline']}: estimate before deploy{bound}",
        *fields(
            [
                (
                    "Workers",
                    f"{document['workers']} x {document['worker_type']} = {document['dpus']:g} "
                    f"DPUs ({document['execution_class']})",
                ),
                ("Per run", f"{document['minutes_per_run']:g} job minutes"),
                ("Runs per day", f"{document['runs_per_day']:g}"),
                (
                    "DPU-hours",
                    f"{document['dpu_hours_per_run']:.3f} a run, "
                    f"{document['dpu_hours_per_day']:.3f} a day",
                ),
                (
                    "Price",
                    f"{document['price_per_run']:.2f} {currency} a run, "
                    f"{document['price_per_day']:.2f} a day, "
                    f"{document['price_per_month']:.2f} a month of {DAYS_PER_MONTH} days",
                ),
                (
                    "Worst case",
                    f"{document['worst_case_price_per_run']:.2f} {currency} a run (every step "
                    "until its timeout)",
                ),
            ]
        ),
    ]


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{math.ceil(value)} s"
