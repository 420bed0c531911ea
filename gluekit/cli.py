"""The `gluekit` command: check specs, print their schema, list pipelines, run them locally,
and operate deployed ones (status, runs, start, replay, resume, redrive, rollback, cost,
describe)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from gluekit.environments import DEFAULT_ENVIRONMENTS_FILE, load_environment
from gluekit.spec import DEFAULT_PIPELINES_DIR, LoadedSpec, SpecErrors, load_spec_file, load_specs
from gluekit.spec.schema import spec_json_schema

SCHEMA_FILE = DEFAULT_PIPELINES_DIR / "schema.json"


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except SpecErrors as exc:
        for error in exc.errors:
            print(f"error: {error}", file=sys.stderr)
        return 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gluekit", description=__doc__)
    sub = parser.add_subparsers(required=True, metavar="COMMAND")

    def with_specs(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
        p.add_argument(
            "--pipelines-dir",
            type=Path,
            default=DEFAULT_PIPELINES_DIR,
            help="folder of pipeline specs (default: %(default)s)",
        )
        p.add_argument("--env", default="dev", help="environment whose prefix names resources")
        p.add_argument("--environments-file", type=Path, default=DEFAULT_ENVIRONMENTS_FILE)
        return p

    validate = with_specs(sub.add_parser("validate", help="check every spec; exit 1 on errors"))
    against = validate.add_mutually_exclusive_group()
    against.add_argument(
        "--against-deployed",
        action="store_true",
        help="also compare each spec with its curated table in --env's Glue Data Catalog "
        "(needs AWS credentials): refuses breaking schema changes",
    )
    against.add_argument(
        "--against-local",
        type=Path,
        metavar="WORKDIR",
        help="also compare each spec with its table from local runs under WORKDIR (e.g. .local)",
    )
    validate.set_defaults(func=cmd_validate)

    schema = sub.add_parser("schema", help="print the JSON Schema of a pipeline spec")
    schema.add_argument("--write", action="store_true", help=f"write it to {SCHEMA_FILE}")
    schema.add_argument(
        "--check", action="store_true", help=f"exit 1 when {SCHEMA_FILE} is out of date"
    )
    schema.set_defaults(func=cmd_schema)

    listing = with_specs(sub.add_parser("list", help="pipelines with trigger, prefix and steps"))
    listing.set_defaults(func=cmd_list)

    from gluekit.ops.cli import add_ops_commands

    add_ops_commands(sub, with_specs)

    from gluekit.local.cli import add_local_commands

    add_local_commands(sub, with_specs)
    from gluekit.blueprint.cli import add_blueprint_commands

    add_blueprint_commands(sub, with_specs)
    return parser


def load_for(args: argparse.Namespace) -> list[LoadedSpec]:
    env = load_environment(args.env, args.environments_file)
    spec_file = getattr(args, "spec", None)
    if spec_file is not None:
        return [load_spec_file(spec_file, env.name_prefix)]
    return load_specs(args.pipelines_dir, env.name_prefix)


def cmd_validate(args: argparse.Namespace) -> int:
    loaded = load_for(args)
    for item in loaded:
        print(f"ok  {item.path}  ({item.spec.name})")
    print(f"{len(loaded)} pipeline spec(s) valid")
    if not (args.against_deployed or args.against_local):
        # Offline by default: checking specs needs no AWS account, and a table is per environment.
        print("curated tables not compared: add --against-deployed or --against-local WORKDIR")
        return 0
    from gluekit import table_check

    env = load_environment(args.env, args.environments_file)
    if args.against_local:
        read = table_check.local_reader(env.name_prefix, args.against_local)
        where = f"local runs under {args.against_local}"
    else:
        read = table_check.deployed_reader(env.region)
        where = f"deployed, environment {env.name}"
    return table_check.compare_tables(loaded, env.name_prefix, read, where)


def cmd_schema(args: argparse.Namespace) -> int:
    text = json.dumps(spec_json_schema(), indent=2) + "\n"
    if args.check:
        current = SCHEMA_FILE.read_text(encoding="utf-8") if SCHEMA_FILE.exists() else ""
        if current != text:
            print(f"{SCHEMA_FILE} is out of date: run 'gluekit schema --write'", file=sys.stderr)
            return 1
        return 0
    if args.write:
        SCHEMA_FILE.write_text(text, encoding="utf-8")
        print(f"wrote {SCHEMA_FILE}")
        return 0
    sys.stdout.write(text)
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    rows = [("PIPELINE", "TRIGGER", "RAW PREFIX", "FORMAT", "STEPS")]
    for item in load_for(args):
        spec = item.spec
        if spec.trigger.on_arrival:
            arrival = spec.trigger.on_arrival
            trigger = f"on arrival (≤{arrival.max_files} files, ≤{arrival.max_wait_seconds}s)"
        elif spec.trigger.schedule is not None:
            trigger = f"schedule {spec.trigger.schedule.cron}"
        else:
            trigger = f"after {', '.join(spec.upstreams)} publishes"
        own = f" ({len(spec.steps)} own step{'s' if len(spec.steps) > 1 else ''})"
        steps = f"transform{own if spec.steps else ''} → validate → publish"
        if spec.crawler.enabled:
            steps += " (+ raw crawler)"
        if spec.is_derived:  # no files: it reads its upstreams' tables
            rows.append((spec.name, trigger, "-", "iceberg tables", steps))
            continue
        fmt = spec.source.format + (" gzip" if spec.source.compression == "gzip" else "")
        rows.append((spec.name, trigger, spec.raw_prefix, fmt, steps))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
