"""Pipelines that follow pipelines, locally: after a run, every derived pipeline downstream of
it (spec ``trigger.after``) runs in the same workdir, in follow order, each reading what its
upstreams published there (`gluekit.local.runner` plays each one as deployed)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from gluekit.local.report import LocalReport
from gluekit.local.runner import Progress, run_pipeline
from gluekit.spec import LoadedSpec
from gluekit.spec.upstreams import followers


def run_followers(
    loaded: Sequence[LoadedSpec],
    upstream: str,
    *,
    prefix: str,
    workdir: Path,
    progress: Progress = print,
    **options: Any,
) -> list[LocalReport]:
    """Run each pipeline that follows ``upstream`` (directly or through others), once."""
    code_dirs = {item.spec.name: item.code_dir for item in loaded}
    reports = []
    for spec in followers([item.spec for item in loaded], upstream):
        progress(f"\n→ {spec.name} follows {', '.join(spec.upstreams)}: its run")
        reports.append(
            run_pipeline(
                spec,
                [],
                prefix=prefix,
                workdir=workdir,
                progress=progress,
                code_dir=code_dirs[spec.name],
                **options,
            )
        )
    return reports
