"""The `gluekit` command: check specs, print their schema, list pipelines, run them locally."""

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

    rollback = with_specs(
        sub.add_parser("rollback", help="roll a curated Iceberg table back to an earlier snapshot")
    )
    rollback.add_argument("pipeline", help="pipeline name")
    target = rollback.add_mutually_exclusive_group(required=True)
    target.add_argument("--to-snapshot", metavar="ID", help="a snapshot id (gluekit local history)")
    target.add_argument(
        "--to-time",
        metavar="TIMESTAMP",
        help="the snapshot current then, e.g. 2026-11-21T06:00:00Z",
    )
    rollback.add_argument(
        "--local", action="store_true", help="the local run's table (default: start it on AWS)"
    )
    rollback.add_argument("--workdir", type=Path, default=Path(".local"), help="with --local")
    rollback.add_argument("--spec", type=Path, help="a spec file (instead of --pipelines-dir)")
    rollback.set_defaults(func=cmd_rollback)

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
        else:
            assert spec.trigger.schedule is not None
            trigger = f"schedule {spec.trigger.schedule.cron}"
        own = f" ({len(spec.steps)} own step{'s' if len(spec.steps) > 1 else ''})"
        steps = f"transform{own if spec.steps else ''} → validate → publish"
        if spec.crawler.enabled:
            steps += " (+ raw crawler)"
        fmt = spec.source.format + (" gzip" if spec.source.compression == "gzip" else "")
        rows.append((spec.name, trigger, spec.raw_prefix, fmt, steps))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
    return 0


def cmd_rollback(args: argparse.Namespace) -> int:
    """The compact job does the rollback (Iceberg's rollback_to_snapshot / _to_timestamp), here
    on the local Spark, on AWS as a Glue job run of the deployed job."""
    from gluekit.local.cli import pipeline_spec
    from gluekit.naming import PipelineNames

    spec, prefix = pipeline_spec(args)
    if args.local:
        from gluekit.local.maintenance import rollback

        try:
            details = rollback(
                spec, prefix, args.workdir, snapshot=args.to_snapshot, to_time=args.to_time
            )
        except Exception as exc:  # the job's own message says what was refused
            print(f"error: {str(exc).splitlines()[0]}", file=sys.stderr)
            return 1
        snapshot = details.get("snapshot") or {}
        print(f"{spec.name}: main is now snapshot {snapshot.get('snapshot_id')}")
        return 0
    import boto3

    job = PipelineNames(prefix, spec.name).job("compact")
    arguments = (
        {"--rollback_to_snapshot": args.to_snapshot}
        if args.to_snapshot
        else {"--rollback_to_time": args.to_time}
    )
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        response = boto3.client("glue").start_job_run(JobName=job, Arguments=arguments)
    except (BotoCoreError, ClientError) as exc:  # no credentials, not deployed, access denied
        print(f"error: cannot start {job}: {exc}", file=sys.stderr)
        return 1
    print(f"started {job} run {response['JobRunId']} ({', '.join(arguments)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
