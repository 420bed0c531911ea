"""`gluekit blueprint export`: the archive Glue registers, and the workflow its layout returns.

The layout is loaded from the exported folder against gluekit.blueprint.standin (the classes Glue
supplies at layout time, with their documented signatures), S3 on moto for its uploads.
"""

from __future__ import annotations

import ast
import importlib
import json
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from gluekit.blueprint import standin
from gluekit.blueprint.export import BlueprintExportError, export_blueprint
from gluekit.cli import main
from gluekit.naming import FoundationNames
from gluekit.render import glue_job_config
from gluekit.spec import PipelineSpec, load_spec_file

ORDERS = Path(__file__).resolve().parents[3] / "pipelines" / "orders.yaml"
GLUE_SCRIPTS = Path(__file__).resolve().parents[3] / "glue_scripts"
PARAMETER_TYPES = {
    "String", "Integer", "Double", "Boolean", "S3Uri", "S3Bucket", "IAMRoleArn", "IAMRoleName",
}  # fmt: skip
USER_PARAMS = {
    "WorkflowName": "analytics-orders",
    "JobRoleArn": "arn:aws:iam::111122223333:role/analytics-glue",
    "RawLocation": "s3://analytics-landing/shop/orders",
    "CuratedBucket": "analytics-curated",
    "QuarantineBucket": "analytics-quarantine",
    "ArtifactsBucket": "analytics-artifacts",
    "DatabaseName": "analytics",
    "NumberOfWorkers": 5,
    "Param_min_amount": "10",
}
SYSTEM_PARAMS = {"region": "eu-west-1", "accountId": "111122223333"}


def orders(**changes: Any) -> PipelineSpec:
    spec = load_spec_file(ORDERS, "gluekit-dev").spec
    return spec.model_copy(update=changes)


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    with mock_aws():
        client = boto3.client("s3", region_name="eu-west-1")
        client.create_bucket(
            Bucket="analytics-artifacts",
            CreateBucketConfiguration={"LocationConstraint": "eu-west-1"},
        )
        yield client


def run_layout(folder: Path, user_params: dict[str, Any]) -> standin.Workflow:
    """Import <folder>.layout as Glue does (by its dotted name) and run generate_layout."""
    sys.path.insert(0, str(folder.parent))
    try:
        with standin.installed():
            layout = importlib.import_module(f"{folder.name}.layout")
            return layout.generate_layout(user_params, SYSTEM_PARAMS)  # type: ignore[no-any-return]
    finally:
        sys.path.remove(str(folder.parent))
        for name in [n for n in sys.modules if n.startswith(folder.name)]:
            del sys.modules[name]


def test_the_archive_is_one_package_folder_whose_layout_glue_can_import(tmp_path: Path) -> None:
    exported = export_blueprint(orders(), tmp_path)

    with zipfile.ZipFile(exported.archive) as archive:
        names = set(archive.namelist())
        config = json.loads(archive.read("orders_blueprint/blueprint.cfg"))
        layout = archive.read("orders_blueprint/layout.py").decode()
    assert names == {
        "orders_blueprint/blueprint.cfg",
        "orders_blueprint/layout.py",
        "orders_blueprint/pipeline.json",
        "orders_blueprint/jobs/transform.py",
        "orders_blueprint/jobs/validate.py",
        "orders_blueprint/jobs/publish.py",
        "orders_blueprint/gluekit_glue.zip",
    }
    module, function = config["layoutGenerator"].rsplit(".", 1)
    assert f"{module.replace('.', '/')}.py" in names
    defined = {n.name for n in ast.parse(layout).body if isinstance(n, ast.FunctionDef)}
    assert function == "generate_layout" and function in defined
    spec = config["parameterSpec"]
    assert "WorkflowName" in spec  # Glue asks for it (or a layout that names workflows)
    assert {p["type"] for p in spec.values()} <= PARAMETER_TYPES
    assert all(p["description"] for p in spec.values())
    required = sorted(name for name, p in spec.items() if "defaultValue" not in p)
    assert required == [
        "ArtifactsBucket", "CuratedBucket", "DatabaseName", "JobRoleArn", "QuarantineBucket",
        "RawLocation",
    ]  # fmt: skip
    assert spec["Param_min_amount"]["defaultValue"] == "0"


def test_the_layout_needs_nothing_but_the_standard_library_boto3_and_awsglue(
    tmp_path: Path,
) -> None:
    folder = export_blueprint(orders(), tmp_path).folder
    tree = ast.parse((folder / "layout.py").read_text())
    imported = {
        alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
        for alias in node.names
    } | {node.module.split(".")[0] for node in ast.walk(tree)
         if isinstance(node, ast.ImportFrom) and node.module}  # fmt: skip
    assert imported == {"json", "os", "boto3", "awsglue"}


def test_the_layout_builds_transform_validate_publish_chained_on_success(
    tmp_path: Path, s3: Any
) -> None:
    folder = export_blueprint(orders(), tmp_path).folder

    workflow = run_layout(folder, USER_PARAMS)

    assert workflow.Name == "analytics-orders"
    assert [j.Name for j in workflow.Entities.Jobs] == [
        "analytics-orders-transform",
        "analytics-orders-validate",
        "analytics-orders-publish",
    ]
    assert workflow.Entities.Crawlers == []
    assert workflow.starting_entities() == ["analytics-orders-transform"]
    assert workflow.conditions() == {
        "analytics-orders-validate": [("analytics-orders-transform", "SUCCEEDED")],
        "analytics-orders-publish": [("analytics-orders-validate", "SUCCEEDED")],
    }
    assert workflow.DefaultRunProperties is None  # no ManifestLocation given


def test_the_jobs_run_the_kits_scripts_with_the_users_places_and_sizes(
    tmp_path: Path, s3: Any
) -> None:
    folder = export_blueprint(orders(), tmp_path).folder

    workflow = run_layout(folder, USER_PARAMS)

    transform = workflow.Entities.Jobs[0].properties
    script = "s3://analytics-artifacts/scripts/orders/analytics-orders/transform.py"
    assert transform["Command"] == {
        "Name": "glueetl",
        "ScriptLocation": script,
        "PythonVersion": "3",
    }
    uploaded = s3.get_object(Bucket="analytics-artifacts", Key=script.split("/", 3)[3])
    assert uploaded["Body"].read() == (GLUE_SCRIPTS / "transform" / "job.py").read_bytes()
    assert (transform["Role"], transform["NumberOfWorkers"]) == (USER_PARAMS["JobRoleArn"], 5)
    assert (transform["WorkerType"], transform["Timeout"], transform["GlueVersion"]) == (
        "G.1X", 30, "5.1",
    )  # fmt: skip
    assert transform["ExecutionProperty"] == {"MaxConcurrentRuns": 1}
    arguments = transform["DefaultArguments"]
    library = "s3://analytics-artifacts/scripts/orders/analytics-orders/gluekit_glue.zip"
    assert arguments["--extra-py-files"] == library
    assert arguments["--min_amount"] == "10"  # the user's value for the job parameter
    assert arguments["--datalake-formats"] == "iceberg"
    assert "spark.sql.catalog.glue_catalog.warehouse=s3://analytics-curated/" in arguments["--conf"]
    config = json.loads(arguments["--gluekit_config"])
    assert config["buckets"] == {
        "raw": "analytics-landing",
        "curated": "analytics-curated",
        "quarantine": "analytics-quarantine",
        "artifacts": "analytics-artifacts",
    }
    assert (config["database"], config["prefixes"]["raw"]) == ("analytics", "shop/orders/")
    # Everything else is what CDK deploys: contract, rules, prefixes of the pipeline's own data.
    deployed = glue_job_config(orders(), FoundationNames("gluekit-dev", "1", "eu-west-1"))
    for key in ("columns", "primary_key", "order_by", "partition_by", "validation", "table"):
        assert config[key] == deployed[key]
    assert all(j.properties["DefaultArguments"] == arguments for j in workflow.Entities.Jobs)


def test_a_default_manifest_and_the_raw_crawler_when_the_pipeline_has_one(
    tmp_path: Path, s3: Any
) -> None:
    spec = orders(crawler=orders().crawler.model_copy(update={"enabled": True}))
    folder = export_blueprint(spec, tmp_path).folder
    params = {
        **USER_PARAMS,
        "ManifestLocation": "s3://analytics-artifacts/manifests/orders/first.json",
        "CrawlerRoleArn": "arn:aws:iam::111122223333:role/analytics-crawler",
    }

    workflow = run_layout(folder, params)

    [crawler] = workflow.Entities.Crawlers
    assert crawler.properties["Targets"] == {
        "S3Targets": [{"Path": "s3://analytics-landing/shop/orders/"}]
    }
    assert crawler.properties["TablePrefix"] == "raw_orders_"
    assert crawler.properties["Role"] == params["CrawlerRoleArn"]
    assert crawler.properties["SchemaChangePolicy"]["UpdateBehavior"] == "UPDATE_IN_DATABASE"
    assert sorted(workflow.starting_entities()) == [
        "analytics-orders-raw",
        "analytics-orders-transform",
    ]
    assert workflow.DefaultRunProperties == {"manifest": params["ManifestLocation"]}


def test_a_wrong_parameter_is_one_clear_error(tmp_path: Path, s3: Any) -> None:
    folder = export_blueprint(orders(), tmp_path).folder

    with pytest.raises(ValueError, match=r"RawLocation must be s3://bucket/prefix/"):
        run_layout(folder, {**USER_PARAMS, "RawLocation": "analytics-landing"})
    with pytest.raises(ValueError, match="DatabaseName is required"):
        run_layout(folder, {**USER_PARAMS, "DatabaseName": ""})


def test_what_the_blueprint_library_cannot_take_is_refused_at_export(tmp_path: Path) -> None:
    spec = orders(job=orders().job.model_copy(update={"worker_type": "G.4X"}))
    with pytest.raises(BlueprintExportError, match=r"takes G\.1X, G\.2X only"):
        export_blueprint(spec, tmp_path)


def test_the_standin_refuses_what_the_library_would_drop_or_reject() -> None:
    command = {"Name": "glueetl", "ScriptLocation": "s3://b/s.py"}
    first = standin.Job(Name="a", Role="r", Command=command)
    with pytest.raises(standin.BlueprintError, match="does not take ExecutionClass"):
        standin.Job(Name="b", Role="r", Command=command, ExecutionClass="FLEX")
    with pytest.raises(standin.BlueprintError, match="Job or Crawler objects"):
        standin.Job(Name="b", Role="r", Command=command, DependsOn={"a": "SUCCEEDED"})
    with pytest.raises(standin.BlueprintError, match="not one of"):
        standin.Job(Name="b", Role="r", Command=command, WorkerType="G.8X")
    with pytest.raises(standin.BlueprintError, match="not in the workflow"):
        lone = standin.Job(Name="b", Role="r", Command=command, DependsOn={first: "SUCCEEDED"})
        standin.Workflow(Name="w", Entities=standin.Entities(Jobs=[lone]))


def test_the_same_spec_exports_the_same_archive(tmp_path: Path) -> None:
    first = export_blueprint(orders(), tmp_path / "a").archive.read_bytes()
    second = export_blueprint(orders(), tmp_path / "b").archive.read_bytes()
    assert first == second


def test_cli_exports_and_says_how_to_register(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["blueprint", "export", "orders", "-o", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert (tmp_path / "orders_blueprint.zip").is_file()
    assert "aws glue create-blueprint --name orders_blueprint --blueprint-location s3://" in out
    assert main(["blueprint", "export", "nope", "-o", str(tmp_path)]) == 1
    assert "no pipeline named 'nope'" in capsys.readouterr().err


def test_a_derived_pipeline_is_refused_at_export_with_the_reason(tmp_path: Path) -> None:
    from gluekit.spec import DEFAULT_PIPELINES_DIR, load_specs

    specs = {item.spec.name: item.spec for item in load_specs(DEFAULT_PIPELINES_DIR, "gluekit-dev")}

    with pytest.raises(BlueprintExportError, match="cannot follow another pipeline's publish"):
        export_blueprint(specs["daily-revenue"], tmp_path)
