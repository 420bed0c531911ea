"""`gluekit start` and `gluekit replay`: choose the files, show the plan, run it.

`start` runs files that are in raw but were never processed (or wait as pending): nothing is
processed twice. `replay` also runs files already processed, again, which is a choice the
command's name makes explicit; `--dry-run` shows what would run and how many runs that makes.
"""

from __future__ import annotations

import argparse
from typing import Any

from gluekit.ops.output import Printer, count, table
from gluekit.ops.selection import Selection, resolve
from gluekit.ops.session import Pipeline
from gluekit.ops.starting import Launcher, Outcome, Standing


def start_or_replay(
    pipeline: Pipeline,
    selection: Selection,
    printer: Printer,
    *,
    replay: bool,
    dry_run: bool,
    parameters: dict[str, str],
    poll_seconds: float,
    max_wait_seconds: float,
) -> int:
    objects = resolve(pipeline, selection, printer.progress)
    if not objects:
        printer.progress(f"error: no files match: {selection.describe()}")
        return 1
    launcher = Launcher(
        pipeline,
        printer.progress,
        replay=replay,
        properties={
            "started_by": "gluekit replay" if replay else "gluekit start",
            **parameters,
        },
        poll_seconds=poll_seconds,
        max_wait_seconds=max_wait_seconds,
    )
    outcome = launcher.plan(objects)
    if not dry_run and outcome.runs_needed:
        outcome = launcher.run(outcome)
    document = {"pipeline": pipeline.name, "command": "replay" if replay else "start"}
    document |= outcome.as_json()
    printer.emit(document, lambda: outcome_lines(pipeline, selection, outcome, replay))
    if dry_run:
        return 0 if outcome.runs_needed else 1
    return 0 if all(_started(item) for item in outcome.items) else 1


def _started(item: Any) -> bool:
    return item.note.startswith(("started", "replayed"))


def outcome_lines(
    pipeline: Pipeline, selection: Selection, outcome: Outcome, replay: bool
) -> list[str]:
    lines = [f"{pipeline.name}: {count(len(outcome.items), 'file')} ({selection.describe()})"]
    lines += [
        "  " + line
        for line in table(
            ["FILE", "VERSION", "FOUND", "RUN", "NOTE"],
            ([i.obj.uri, i.obj.version_id, i.found.value, i.run_id, i.note] for i in outcome.items),
        )
    ]
    plan = (
        f"{count(outcome.chosen, 'file')} to run in {count(outcome.runs_needed, 'run')} "
        f"(at most {outcome.max_files:,} files per run)"
    )
    if outcome.dry_run:
        lines.append(f"Dry run: {plan}; nothing was changed.")
        if replay and any(i.standing is Standing.PROCESSED for i in outcome.items):
            lines.append(
                "Files already processed run again; publish keeps the newest row per key, so a "
                "replay never reverts newer data."
            )
        return lines
    lines.append(f"Plan: {plan}.")
    for run in outcome.runs:
        if run.run_id:
            lines.append(f"Started {run.run_id} (batch {run.batch_id}, {count(run.files, 'file')})")
        else:
            lines.append(
                f"Batch {run.batch_id}: the start's outcome is unknown ({run.uncertain}); the "
                "bridge finds the run by its batch id or returns the files to pending"
            )
    if outcome.stopped:
        lines.append(f"Stopped: {outcome.stopped}")
    if outcome.runs:
        lines.append(f"Follow them with: gluekit status {pipeline.name}")
    return lines


def selection_from(args: argparse.Namespace) -> Selection:
    return Selection(
        files=tuple(args.files or ()),
        prefix=args.prefix,
        since=args.since,
        until=args.until,
        run_id=getattr(args, "run", None),
    )
