"""`make demo`: the example pipelines end to end on this machine, no AWS account needed.

Four scenes on the bundled samples: a day of orders (with a file whose header is wrong, and
every event delivered twice), after whose publish the daily-revenue pipeline (trigger.after:
orders) recomputes the days that changed; an orders file that breaks the validation rules (no
publish, so nothing follows); the nightly click-stream batch; and the CRM's customer export
joined with the curated orders by the customers pipeline's own SQL and Python steps. Each runs
the real bridge and notifier handlers on moto and the real Glue scripts on local Spark; see
gluekit/local/.
"""

from __future__ import annotations

import shutil
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from gluekit.environments import load_environment
from gluekit.local.chain import run_followers
from gluekit.local.query import format_table, query
from gluekit.local.report import LocalReport
from gluekit.local.runner import run_pipeline
from gluekit.spec import DEFAULT_PIPELINES_DIR, load_specs

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "samples"
WORKDIR = REPO / ".local" / "demo"
# The samples are exports of 20 and 21 November 2026; the demo plays on the morning after, so its
# outcome (the freshness rule included) is the same on any day it runs.
DEMO_NOW = datetime(2026, 11, 22, 6, 0, tzinfo=UTC)
TRY_QUERY = (
    "SELECT CAST(created_at AS DATE) AS day, count(*) AS orders, sum(amount) AS revenue "
    "FROM orders GROUP BY day ORDER BY day"
)
REVENUE_QUERY = "SELECT day, currency, orders, revenue FROM daily_revenue ORDER BY day, currency"
CUSTOMERS_QUERY = (
    "SELECT customer_id, name, orders, revenue_eur, tier FROM customers ORDER BY customer_id"
)


def main() -> int:
    prefix = load_environment("dev").name_prefix
    loaded = {item.spec.name: item for item in load_specs(DEFAULT_PIPELINES_DIR, prefix)}
    specs = {name: item.spec for name, item in loaded.items()}
    shutil.rmtree(WORKDIR, ignore_errors=True)
    started = time.perf_counter()

    scenes = [
        (
            "1/4 · orders: two daily exports, one file with a wrong header, every event twice; "
            "then daily-revenue, which follows orders",
            "orders",
            [
                "orders/orders-2026-11-20.csv",
                "orders/orders-2026-11-21.csv",
                "orders/bad/orders-wrong-header.csv",
            ],
            True,
            False,
        ),
        (
            "2/4 · orders: an export that breaks the validation rules (nothing is published)",
            "orders",
            ["orders/bad/orders-breach.csv"],
            False,
            True,
        ),
        (
            "3/4 · events: gzip'd JSON lines, collected until the nightly flush",
            "events",
            ["events/app-events-2026-11-21.jsonl.gz"],
            False,
            False,
        ),
        (
            "4/4 · customers: the CRM export joined with the curated orders (a lookup) by a SQL "
            "step, tiered by a Python step",
            "customers",
            ["customers/customers-2026-11-21.csv"],
            False,
            False,
        ),
    ]
    unexpected: list[str] = []
    for title, pipeline, files, redeliver, expect_failure in scenes:
        print(f"\n{'═' * 100}\n{title}\n{'═' * 100}")
        report = run_pipeline(
            specs[pipeline],
            [SAMPLES / f for f in files],
            prefix=prefix,
            workdir=WORKDIR,
            redeliver=redeliver,
            now=DEMO_NOW,
            code_dir=loaded[pipeline].code_dir,
        )
        print()
        print(report.as_text())
        if report.failed != expect_failure:
            unexpected.append(title)
        if expect_failure and report.failed:
            print(
                "\n(This scene fails on purpose: the alert above is what the team would get,"
                " and the curated table kept its previous data.)"
            )
        _save(report, pipeline)
        if not report.failed:  # a publish starts the pipelines that follow this one
            for follower in run_followers(
                list(loaded.values()), pipeline, prefix=prefix, workdir=WORKDIR, now=DEMO_NOW
            ):
                print()
                print(follower.as_text())
                if follower.failed:
                    unexpected.append(f"{title} (follower {follower.pipeline})")
                _save(follower, follower.pipeline)

    columns, rows = query(specs["orders"], TRY_QUERY, prefix=prefix, workdir=WORKDIR)
    print(f"\n{'═' * 100}\nThe curated orders table now:\n")
    print(format_table(columns, rows))
    columns, rows = query(specs["daily-revenue"], REVENUE_QUERY, prefix=prefix, workdir=WORKDIR)
    print("\nThe derived daily-revenue table (recomputed after orders published):\n")
    print(format_table(columns, rows))
    columns, rows = query(specs["customers"], CUSTOMERS_QUERY, prefix=prefix, workdir=WORKDIR)
    print("\nThe curated customers table (vip from vip_revenue = 200 EUR):\n")
    print(format_table(columns, rows))
    print(f"\nDemo finished in {time.perf_counter() - started:.0f} s.")
    print(f"Curated data lies under {WORKDIR / 's3'} (one folder per emulated bucket).")
    print("Query it yourself:")
    print(f'  .venv/bin/gluekit local query orders "{TRY_QUERY}" --workdir {_rel(WORKDIR)}')
    print(
        f'  .venv/bin/gluekit local query events "SELECT event_type, count(*) FROM events '
        f'GROUP BY 1" --workdir {_rel(WORKDIR)}'
    )
    if unexpected:
        print(f"\nUnexpected outcome in: {'; '.join(unexpected)}", file=sys.stderr)
        return 1
    return 0


def _save(report: LocalReport, pipeline: str) -> None:
    reports = WORKDIR / "reports"
    reports.mkdir(parents=True, exist_ok=True)
    index = len(list(reports.glob("*.json"))) + 1
    (reports / f"{index}-{pipeline}.json").write_text(report.as_json() + "\n", encoding="utf-8")


def _rel(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


if __name__ == "__main__":
    sys.exit(main())
