"""Throughput of the Glue jobs on local Spark, beside DuckDB as the local upper bound.

Generates N rows of the `orders` example (CSV, several files, 1% updated orders and 1% missing
currencies), then runs transform → validate → publish through gluekit_glue's `run` functions on a
local SparkSession with moto standing in for S3, the Data Catalog, CloudWatch and the workflow.
DuckDB then does the same CSV → date-partitioned Parquet conversion (typed read, no inference,
no validation and no dedupe) in a child process, and plain Spark does it in the same session
(the contract's schema, a derived day column, a partitioned Parquet write, no checks): the
engine's own limit for the chain on this machine.

    .venv/bin/python bench/glue_throughput.py [--rows 1000000] [--files 4] [--days 30] [--derived]

With ``--derived`` it then runs the daily-revenue pipeline (trigger.after: orders) on that table
twice: a first run, which reads every row, and one after an orders run that changed 1% of the
orders, which reads only those (and the earlier versions of them) but scans the table's current
and recorded snapshots to find them: what a derived run costs as its upstream grows.

Prints rows/s per step and peak memory: the Python driver's peak RSS (getrusage), the Spark JVM's
peak RSS (/proc/<pid>/status VmHWM) and DuckDB's child process peak RSS. Not part of pytest.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
STATUSES = ("new", "paid", "shipped", "cancelled")
CURRENCIES = ("EUR", "USD", "GBP")
HEADER = "order_id,customer_id,status,amount,currency,created_at,last_modified\n"
DUCKDB_COLUMNS = {
    "order_id": "VARCHAR",
    "customer_id": "VARCHAR",
    "status": "VARCHAR",
    "amount": "DECIMAL(12,2)",
    "currency": "VARCHAR",
    "created_at": "TIMESTAMPTZ",
    "last_modified": "TIMESTAMPTZ",
}


def generate(folder: Path, rows: int, files: int, days: int, now: datetime) -> list[Path]:
    """`rows` order lines over `files` CSV files; created_at spread over the last `days` days."""
    rng = random.Random(42)
    start = now - timedelta(days=days)
    span = days * 86400 - 3600
    paths = []
    per_file = -(-rows // files)
    written = 0
    for index in range(files):
        path = folder / f"orders-{index:03d}.csv"
        count = min(per_file, rows - written)
        lines = [HEADER]
        for n in range(written, written + count):
            # 1% of lines update an earlier order: dedupe keeps the later one.
            order = n - 1 if n and rng.random() < 0.01 else n
            created = start + timedelta(seconds=(order * 7919) % span)
            modified = created + timedelta(minutes=rng.randint(0, 600))
            currency = "" if rng.random() < 0.01 else CURRENCIES[n % 3]
            lines.append(
                f"O-{order:09d},C-{order % 50000:05d},{STATUSES[n % 4]},"
                f"{rng.randint(0, 99999) / 100:.2f},{currency},"
                f"{created:%Y-%m-%dT%H:%M:%SZ},{modified:%Y-%m-%dT%H:%M:%SZ}\n"
            )
        path.write_text("".join(lines), encoding="utf-8")
        paths.append(path)
        written += count
    return paths


def run_duckdb(paths: list[Path], out: Path) -> dict[str, float]:
    """The conversion alone, in a child process so that its peak memory is its own."""
    script = f"""
import duckdb, json, time
started = time.perf_counter()
con = duckdb.connect()
con.execute('''COPY (
    SELECT *, strftime(created_at AT TIME ZONE 'UTC', '%Y-%m-%d') AS dt
    FROM read_csv({json.dumps([str(p) for p in paths])}, header=true, auto_detect=false,
                  columns={json.dumps(DUCKDB_COLUMNS)})
) TO '{out}' (FORMAT parquet, PARTITION_BY (dt), OVERWRITE_OR_IGNORE)''')
rows = con.execute("SELECT count(*) FROM read_parquet('{out}/*/*.parquet')").fetchone()[0]
print(json.dumps({{"seconds": time.perf_counter() - started, "rows": rows}}))
"""
    result = subprocess.run(
        [sys.executable, "-c", script], check=True, capture_output=True, text=True
    )
    figures: dict[str, float] = json.loads(result.stdout.strip().splitlines()[-1])
    figures["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return figures


def run_plain_spark(spark: Any, config: dict[str, Any], paths: list[Path], out: Path) -> float:
    """CSV → day-partitioned Parquet in Spark with nothing of the kit: the typed read, the
    partition column, the write. Seconds taken."""
    from pyspark.sql import functions as F

    from gluekit_glue.config import parse_config
    from gluekit_glue.contract import parquet_read_schema

    schema = parquet_read_schema(parse_config(config))
    started = time.perf_counter()
    frame = spark.read.schema(schema).option("header", "true").csv([str(p) for p in paths])
    frame = frame.withColumn("dt", F.date_format(F.col("created_at"), "yyyy-MM-dd"))
    frame.write.mode("overwrite").partitionBy("dt").parquet(str(out))
    return time.perf_counter() - started


def set_up_aws(config: dict[str, Any]) -> tuple[Any, Any]:
    import boto3

    s3, glue = boto3.client("s3"), boto3.client("glue")
    for bucket in config["buckets"].values():
        s3.create_bucket(Bucket=bucket)
    # The curated Iceberg table is created by the first publish.
    glue.create_database(DatabaseInput={"Name": config["database"]})
    return s3, glue


def jvm_peak_rss_mb(spark: Any) -> float | None:
    try:
        pid = spark.sparkContext._jvm.java.lang.ProcessHandle.current().pid()
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except Exception:
        return None
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--files", type=int, default=4, help="CSV files in the batch")
    parser.add_argument("--days", type=int, default=30, help="day partitions the rows span")
    parser.add_argument("--driver-memory", default="2g")
    parser.add_argument(
        "--derived", action="store_true", help="also time daily-revenue, full and incremental"
    )
    args = parser.parse_args()

    os.environ.update(
        AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION="us-east-1"
    )
    os.environ.pop("AWS_PROFILE", None)
    from moto import mock_aws
    from pyspark.sql import SparkSession

    from gluekit.local.spark import iceberg_spark_settings
    from gluekit.naming import FoundationNames
    from gluekit.render import glue_job_config
    from gluekit.spec import load_spec_file
    from gluekit_glue.arguments import resolve_options
    from gluekit_glue.clock import utc_now
    from gluekit_glue.jobs import publish, transform, validate

    foundation = FoundationNames("gluekit-bench", "123456789012", "us-east-1")
    spec = load_spec_file(REPO / "pipelines" / "orders.yaml", foundation.prefix).spec
    config = glue_job_config(spec, foundation)
    # The jobs' own clock: the generated data is as fresh for the freshness rule as it reads.
    now = utc_now()

    with tempfile.TemporaryDirectory(prefix="gluekit-bench-") as tmp:
        work = Path(tmp)
        (work / "csv").mkdir()
        started = time.perf_counter()
        paths = generate(work / "csv", args.rows, args.files, args.days, now)
        csv_mb = sum(p.stat().st_size for p in paths) / 1024 / 1024
        print(
            f"generated {args.rows:,} rows, {len(paths)} CSV files, {csv_mb:.0f} MB "
            f"in {time.perf_counter() - started:.1f} s"
        )

        duck = run_duckdb(paths, work / "duckdb")

        timings: dict[tuple[str, str], float] = {}
        summaries: dict[str, Any] = {}
        with mock_aws():
            s3, glue = set_up_aws(config)
            raw = config["buckets"]["raw"]
            entries = []
            for path in paths:
                key = f"orders/{path.name}"
                s3.upload_file(str(path), raw, key)
                entries.append({"bucket": raw, "key": key, "size": path.stat().st_size})
            manifest_key = "manifests/orders/bench.json"
            s3.put_object(
                Bucket=config["buckets"]["artifacts"],
                Key=manifest_key,
                Body=json.dumps({"pipeline": "orders", "batch_id": "bench", "files": entries}),
            )
            glue.create_workflow(Name="bench")
            manifest_uri = f"s3://{config['buckets']['artifacts']}/{manifest_key}"

            started = time.perf_counter()
            spark = (
                SparkSession.builder.master("local[2]")
                .appName("gluekit-bench")
                .config("spark.ui.enabled", "false")
                .config("spark.ui.showConsoleProgress", "false")
                .config("spark.driver.memory", args.driver_memory)
                .config(map=iceberg_spark_settings())
                .getOrCreate()
            )
            spark.sparkContext.setLogLevel("ERROR")
            spark_start = time.perf_counter() - started
            # Glue starts a fresh JVM for every job run, so the first (cold) pass is the one to
            # compare; the second pass shows what JIT warm-up costs.
            for attempt in ("cold", "warm"):
                run_id = glue.start_workflow_run(
                    Name="bench", RunProperties={"manifest": manifest_uri}
                )["RunId"]
                for step, job in (
                    ("transform", transform),
                    ("validate", validate),
                    ("publish", publish),
                ):
                    argv = [
                        f"glue_scripts/{step}/job.py",
                        "--JOB_NAME", f"bench-{step}",
                        "--gluekit_config", json.dumps(config),
                        "--gluekit_local_root", str(work / "root"),
                        "--WORKFLOW_NAME", "bench",
                        "--WORKFLOW_RUN_ID", run_id,
                    ]  # fmt: skip
                    started = time.perf_counter()
                    summaries[step] = job.run(spark, resolve_options(argv))
                    timings[(attempt, step)] = time.perf_counter() - started
            derived = (
                run_derived(spark, glue, s3, foundation, config, work, args.rows, now)
                if args.derived
                else None
            )
            # After both passes: the JVM is warm, so this is the engine's best case.
            plain_seconds = run_plain_spark(spark, config, paths, work / "plain-spark")
            jvm_mb = jvm_peak_rss_mb(spark)
            spark.stop()

    driver_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t = summaries["transform"]
    print(
        f"transform: rows in {t.rows_in:,}, staged {t.rows_out:,}, "
        f"rejected {t.rows_rejected:,}, {len(t.partitions)} partitions"
    )
    print(f"validate: {summaries['validate'].details['validation_summary']}")
    print(
        f"spark session start: {spark_start:.1f} s (local[2], driver memory {args.driver_memory})"
    )
    print()
    print(f"{'step':<30}{'cold s':>8}{'rows/s':>12}{'warm s':>10}{'rows/s':>12}")
    steps = ("transform", "validate", "publish")
    for step in (*steps, "transform+validate+publish"):
        names = steps if "+" in step else (step,)
        cold = sum(timings[("cold", n)] for n in names)
        warm = sum(timings[("warm", n)] for n in names)
        rows = args.rows
        print(f"{step:<30}{cold:>8.1f}{rows / cold:>12,.0f}{warm:>10.1f}{rows / warm:>12,.0f}")
    label = "plain spark csv -> parquet"
    print(f"{label:<30}{'':>8}{'':>12}{plain_seconds:>10.1f}{args.rows / plain_seconds:>12,.0f}")
    seconds = duck["seconds"]
    print(f"{'duckdb csv -> parquet':<30}{seconds:>8.1f}{args.rows / seconds:>12,.0f}")
    print()
    print(
        f"peak RSS: python driver {driver_mb:,.0f} MB (includes moto's in-memory copy of the CSV)"
    )
    print(f"          spark JVM     {jvm_mb:,.0f} MB" if jvm_mb else "          spark JVM     n/a")
    print(f"          duckdb        {duck['peak_rss_mb']:,.0f} MB (child process)")
    print(f"duckdb wrote {int(duck['rows']):,} rows (no dedupe, no validation)")
    if derived:
        print()
        print("daily-revenue (trigger.after: orders), transform + validate + publish:")
        for label, (seconds, rows_read) in derived.items():
            print(f"  {label:<44}{seconds:>8.1f} s  {rows_read:>10,} rows read as changed")
    return 0


def run_derived(
    spark: Any,
    glue: Any,
    s3: Any,
    foundation: Any,
    orders_config: dict[str, Any],
    work: Path,
    rows: int,
    now: datetime,
) -> dict[str, tuple[float, int]]:
    """daily-revenue's first run (every orders row), then one after 1% of the orders changed."""
    from gluekit.render import glue_job_config
    from gluekit.spec import load_specs
    from gluekit_glue.arguments import resolve_options
    from gluekit_glue.jobs import publish, transform, validate

    specs = {i.spec.name: i.spec for i in load_specs(REPO / "pipelines", foundation.prefix)}
    config = glue_job_config(specs["daily-revenue"], foundation)
    artifacts = config["buckets"]["artifacts"]

    def run_chain(pipeline_config: dict[str, Any], workflow: str, files: list[Any]) -> Any:
        key = f"manifests/{pipeline_config['pipeline']}/{workflow}-{time.time_ns()}.json"
        manifest = {"pipeline": pipeline_config["pipeline"], "batch_id": key, "files": files}
        s3.put_object(Bucket=artifacts, Key=key, Body=json.dumps(manifest))
        run_id = glue.start_workflow_run(
            Name=workflow, RunProperties={"manifest": f"s3://{artifacts}/{key}"}
        )["RunId"]
        summaries = []
        for step, job in (("transform", transform), ("validate", validate), ("publish", publish)):
            argv = [
                f"glue_scripts/{step}/job.py",
                "--JOB_NAME", f"bench-{step}",
                "--gluekit_config", json.dumps(pipeline_config),
                "--gluekit_local_root", str(work / "root"),
                "--WORKFLOW_NAME", workflow,
                "--WORKFLOW_RUN_ID", run_id,
            ]  # fmt: skip
            summaries.append(job.run(spark, resolve_options(argv)))
        return summaries[0]

    glue.create_workflow(Name="bench-derived")
    results: dict[str, tuple[float, int]] = {}
    started = time.perf_counter()
    first = run_chain(config, "bench-derived", [])
    results["first run (reads every orders row)"] = (time.perf_counter() - started, first.rows_in)
    # 1% of the orders change (a later last_modified, another amount): one more orders run.
    changed = max(1, rows // 100)
    folder = work / "changes"
    folder.mkdir()
    path = folder / "changes.csv"
    later = (now + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    with path.open("w", encoding="utf-8") as out:
        out.write(HEADER)
        for i in range(changed):
            day = (now - timedelta(days=i % 30)).strftime("%Y-%m-%dT08:00:00Z")
            out.write(f"O-{i:09d},C-{i % 5000:05d},paid,1.00,EUR,{day},{later}\n")
    raw = orders_config["buckets"]["raw"]
    s3.upload_file(str(path), raw, "orders/changes.csv")
    size = path.stat().st_size
    run_chain(orders_config, "bench", [{"bucket": raw, "key": "orders/changes.csv", "size": size}])
    started = time.perf_counter()
    second = run_chain(config, "bench-derived", [])
    label = f"after {changed:,} orders changed"
    results[label] = (time.perf_counter() - started, second.rows_in)
    return results


if __name__ == "__main__":
    sys.exit(main())
