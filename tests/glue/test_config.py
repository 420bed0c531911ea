"""The `--gluekit_config` JSON, as the kit renders it, parsed without pydantic or the kit."""

from __future__ import annotations

import copy
import json

import pytest

from gluekit_glue.config import ConfigError, parse_config
from gluekit_glue.rule_config import (
    AcceptedValuesRule,
    DuplicateKeysRule,
    FreshnessRule,
    NullRateRule,
    PartitionCompletenessRule,
    RangeRule,
    RejectRateRule,
    RowCountRule,
    UniqueKeyRule,
)
from tests.glue.pipeline_env import FOUNDATION, rendered_configs

RENDERED = rendered_configs()


def test_rendered_orders_config_parses_with_rule_defaults_filled_in() -> None:
    config = parse_config(json.dumps(RENDERED["orders"]))

    assert config.pipeline == "orders"
    assert [c.name for c in config.columns][-1] == "updated_at"
    assert config.column("updated_at").source == "last_modified"
    assert config.column("amount").decimal == (12, 2)
    assert config.primary_key == ("order_id",)
    assert config.order_by == "updated_at"
    assert config.partition_names == ("dt",)
    assert [type(r) for r in config.validation] == [
        RowCountRule,
        UniqueKeyRule,
        NullRateRule,
        AcceptedValuesRule,
        RangeRule,
        FreshnessRule,
        PartitionCompletenessRule,
        RejectRateRule,  # added by default; orders has order_by, so no duplicate_keys
    ]
    assert config.validation[-1] == RejectRateRule("error", 0.0)
    unique, completeness = config.validation[1], config.validation[6]
    assert isinstance(unique, UniqueKeyRule) and unique.columns == ("order_id",)
    assert isinstance(completeness, PartitionCompletenessRule) and completeness.partition == "dt"


def test_a_primary_key_without_order_by_gets_the_duplicate_keys_rule_by_default() -> None:
    config = parse_config(RENDERED["events"])

    assert config.validation[-2:] == (
        RejectRateRule("error", 0.0),
        DuplicateKeysRule("error", 0, None),
    )
    assert config.source.on_unknown_columns == "warn"


def test_locations_come_from_buckets_and_prefixes() -> None:
    config = parse_config(RENDERED["orders"])
    artifacts, quarantine = FOUNDATION.artifacts_bucket, FOUNDATION.quarantine_bucket

    assert config.staged_uri("wr_1") == f"s3://{artifacts}/staging/orders/wr_1/data/"
    assert config.row_rejects_uri("wr_1") == f"s3://{quarantine}/orders/rows/run_id=wr_1/"
    assert (
        config.file_reject_uri("wr_1", "orders/a.csv")
        == f"s3://{quarantine}/orders/files/wr_1/orders/a.csv"
    )
    assert config.report_uri("wr_1") == f"s3://{artifacts}/reports/orders/wr_1.json"
    assert (
        config.summary_uri("wr_1", "validate") == f"s3://{artifacts}/runs/orders/wr_1/validate.json"
    )
    assert config.curated_uri == f"s3://{FOUNDATION.curated_bucket}/orders/"


def test_missing_key_is_named_with_its_path() -> None:
    broken = copy.deepcopy(RENDERED["orders"])
    del broken["columns"][3]["type"]

    with pytest.raises(ConfigError, match=r"gluekit_config\.columns\[3\]\.type: missing"):
        parse_config(broken)


def test_unknown_rule_is_refused() -> None:
    broken = copy.deepcopy(RENDERED["orders"])
    broken["validation"].append({"rule": "schema_drift", "severity": "error"})

    with pytest.raises(ConfigError, match="unknown rule 'schema_drift'"):
        parse_config(broken)


def test_a_boolean_is_not_taken_for_a_number() -> None:
    broken = copy.deepcopy(RENDERED["orders"])
    broken["compaction_target_file_mb"] = True

    with pytest.raises(ConfigError, match="compaction_target_file_mb: expected int"):
        parse_config(broken)


def test_unknown_keys_are_ignored_so_a_newer_kit_can_add_settings() -> None:
    newer = copy.deepcopy(RENDERED["events"])
    newer["future_setting"] = {"anything": 1}

    assert parse_config(newer).pipeline == "events"


def test_invalid_json_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="not valid JSON"):
        parse_config("{'pipeline': 'orders'}")
