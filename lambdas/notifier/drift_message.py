"""The alert for a raw crawler table that no longer matches the contract (source drift).

Pure functions; the shared layout (fields, sections, subject, machine form) is layout.py's.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

from notifier import layout, runbook
from notifier.config import NotifierConfig, RawSchema
from notifier.events import CrawlerSucceeded
from notifier.layout import MAX_ERROR_CHARS, TEXT_WIDTH, Notification, subject_line
from notifier.raw_schema import TableDrift

KIND = "raw_schema_drift"
UNCHECKED_KIND = "raw_schema_unchecked"
MAX_COLUMNS_LISTED = 30  # per list: a crawler that read no header row renames every column
MAX_TABLES_LISTED = 10


def drift_notification(
    config: NotifierConfig, alert: CrawlerSucceeded, drifts: Sequence[TableDrift]
) -> Notification:
    schema = _schema(config)
    shown = list(drifts[:MAX_TABLES_LISTED])
    missing = sum(len(d.missing) for d in drifts)
    unknown = sum(len(d.unknown) for d in drifts)
    conflicts = sum(len(d.conflicts) for d in drifts)
    counts = [
        f"{unknown} not in the contract" if unknown else "",
        f"{missing} missing" if missing else "",
        f"{layout.count(conflicts, 'type')} it cannot read" if conflicts else "",
    ]
    summary = ", ".join(c for c in counts if c)
    tables = ", ".join(d.table for d in drifts)
    headline = (
        f"The raw files of pipeline {config.pipeline} no longer match its contract: "
        f"{summary} (columns of {tables})"
    )
    sections = [
        layout.fields(
            ("Pipeline", config.pipeline),
            ("Crawler", f"{alert.crawler_name}, crawl finished {layout.when(alert.time, None)}"),
            ("Database", schema.database),
            ("Tables", tables),
        ),
        *(_table_section(d) for d in shown),
    ]
    if len(drifts) > len(shown):
        sections.append([f"... and {len(drifts) - len(shown)} more tables that differ."])
    first = drifts[0]
    actions = [
        layout.Action(
            "table_columns",
            f"The columns the crawler found in {first.table}:",
            runbook.table_columns_command(config.region, schema.database, first.table),
        ),
        layout.Action(
            "last_crawl",
            "Details of the last crawl:",
            runbook.last_crawl_command(config.region, alert.crawler_name),
        ),
    ]
    guidance = [
        "If the source changed on purpose, update the contract (contract.columns in the "
        "pipeline's spec: add the new columns, or set `source:` for a renamed one) and "
        "deploy. If it did not, have the export fixed. Until then transform treats columns "
        "the contract does not know as source.on_unknown_columns says, and rejects rows "
        "that lack a required column.",
    ]
    if any(d.header_not_read for d in drifts):
        guidance.append(
            "Every column is named colN: the crawler did not recognise the header row (its "
            "CSV classifier cannot when every column is text). Compare the header yourself "
            "before changing the contract."
        )
    sections.append(layout.actions_section(guidance, actions))
    links = {"crawler": runbook.crawler_url(config.region, alert.crawler_name)}
    if alert.log_link:
        links["log"] = alert.log_link
    sections.append(layout.links_section(links))
    text = layout.compose(headline, sections)
    subject = subject_line(f"[{config.workflow_name}] raw schema drift: {summary} in {tables}")
    data = {
        **layout.common(config, KIND, alert.event_id, alert.time, subject, text),
        "crawler_name": alert.crawler_name,
        "database": schema.database,
        "tables": [
            {
                "table": d.table,
                "location": d.location,
                "missing": list(d.missing[:MAX_COLUMNS_LISTED]),
                "unknown": [{"name": n, "type": t} for n, t in d.unknown[:MAX_COLUMNS_LISTED]],
                "type_conflicts": [
                    {"column": c.column, "contract": c.contract_type, "crawler": c.crawler_type}
                    for c in d.conflicts[:MAX_COLUMNS_LISTED]
                ],
                "header_not_read": d.header_not_read,
            }
            for d in shown
        ],
        "links": links,
        **layout.commands_data(actions),
    }
    return Notification(subject, text, data, layout.attributes(config, KIND))


def unchecked_notification(
    config: NotifierConfig, alert: CrawlerSucceeded, problem: str
) -> Notification:
    """The comparison could not run: say so rather than stay silent."""
    schema = _schema(config)
    problem = layout.clip(problem, MAX_ERROR_CHARS)
    actions = [
        layout.Action(
            "last_crawl",
            "Details of the last crawl:",
            runbook.last_crawl_command(config.region, alert.crawler_name),
        ),
    ]
    text = layout.compose(
        f"The raw tables of pipeline {config.pipeline} could not be compared with its contract",
        [
            layout.fields(
                ("Pipeline", config.pipeline),
                (
                    "Crawler",
                    f"{alert.crawler_name}, crawl finished {layout.when(alert.time, None)}",
                ),
                ("Tables", f"{schema.database}.{schema.table_prefix}*"),
                ("Problem", problem),
            ),
            layout.actions_section(
                ["Check the notifier's permissions (glue:GetTables on these tables)."], actions
            ),
        ],
    )
    subject = subject_line(f"[{config.workflow_name}] raw schema not checked: {problem}")
    data = {
        **layout.common(config, UNCHECKED_KIND, alert.event_id, alert.time, subject, text),
        "crawler_name": alert.crawler_name,
        "problem": problem,
        **layout.commands_data(actions),
    }
    return Notification(subject, text, data, layout.attributes(config, UNCHECKED_KIND))


def _table_section(drift: TableDrift) -> list[str]:
    lines = [f"Table {drift.table} ({drift.location}):"]
    if drift.unknown:
        lines += _wrapped(
            "Not in the contract (new in the source):",
            [f"{name} ({kind})" for name, kind in drift.unknown],
        )
    if drift.missing:
        lines += _wrapped("Missing from the source (the contract expects them):", drift.missing)
    if drift.conflicts:
        lines += _wrapped(
            "Types the contract cannot read:",
            [
                f"{c.column} is {c.contract_type} in the contract, {c.crawler_type} in the files"
                for c in drift.conflicts
            ],
        )
    return lines


def _wrapped(label: str, items: Sequence[str]) -> list[str]:
    listed = list(items[:MAX_COLUMNS_LISTED])
    if len(items) > len(listed):
        listed.append(f"... and {len(items) - len(listed)} more")
    wrapped = textwrap.wrap(
        ", ".join(listed),
        TEXT_WIDTH,
        initial_indent="    ",
        subsequent_indent="    ",
        break_long_words=False,
        break_on_hyphens=False,
    )
    return [f"  {label}", *wrapped]


def _schema(config: NotifierConfig) -> RawSchema:
    if config.raw_schema is None:  # parse_event only yields CrawlerSucceeded with one
        raise ValueError("the pipeline has no raw crawler configured")
    return config.raw_schema
