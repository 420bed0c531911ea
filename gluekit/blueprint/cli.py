"""`gluekit blueprint export PIPELINE -o DIR`: the Glue blueprint archive of a pipeline."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any


def add_blueprint_commands(sub: Any, with_specs: Callable[[argparse.ArgumentParser], Any]) -> None:
    blueprint = sub.add_parser("blueprint", help="a pipeline as a Glue blueprint for the console")
    blueprint_sub = blueprint.add_subparsers(required=True, metavar="COMMAND")
    export = with_specs(
        blueprint_sub.add_parser("export", help="write the blueprint archive (create-blueprint)")
    )
    export.add_argument("pipeline", help="pipeline name")
    export.add_argument(
        "-o", "--output", type=Path, required=True, metavar="DIR", help="folder to write into"
    )
    export.add_argument("--spec", type=Path, help="a spec file (instead of --pipelines-dir)")
    export.set_defaults(func=cmd_export)


def cmd_export(args: argparse.Namespace) -> int:
    from gluekit.blueprint.export import BlueprintExportError, export_blueprint
    from gluekit.local.cli import pipeline_spec

    spec, _ = pipeline_spec(args)
    try:
        args.output.mkdir(parents=True, exist_ok=True)
        exported = export_blueprint(spec, args.output)
    except (BlueprintExportError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"wrote {exported.archive} (folder {exported.folder})")
    for note in exported.notes:
        print(f"note: {note}")
    name = exported.folder.name
    print("register it (the bucket in the region the blueprint is used in):")
    print(f"  aws s3 cp {exported.archive} s3://<bucket>/blueprints/{exported.archive.name}")
    print(
        f"  aws glue create-blueprint --name {name} "
        f"--blueprint-location s3://<bucket>/blueprints/{exported.archive.name}"
    )
    return 0
