"""The customers example's own logic on AWS: its code ships to transform as one package, and the
job role may read the orders table it looks up, nothing more."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

from aws_cdk.assertions import Template

from tests.infra.conftest import REPO, Synthesized


def extra_py_files(template: Template) -> dict[str, str]:
    return {
        job["Properties"]["Name"].rsplit("-", 1)[-1]: json.dumps(
            job["Properties"]["DefaultArguments"]["--extra-py-files"]
        )
        for job in template.find_resources("AWS::Glue::Job").values()
    }


def lookup_statements(template: Template) -> list[dict[str, Any]]:
    return [
        statement
        for policy in template.find_resources("AWS::IAM::Policy").values()
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        if statement.get("Sid", "").startswith("Lookup")
    ]


def test_only_transform_gets_the_pipelines_step_code(dev: Synthesized) -> None:
    customers = extra_py_files(dev.template("customers"))
    orders = extra_py_files(dev.template("orders"))

    assert customers["transform"].count(".zip") == 2  # the kit's library and the step code
    assert {customers[step].count(".zip") for step in ("validate", "publish", "compact")} == {1}
    assert orders["transform"].count(".zip") == 1  # SQL steps only: nothing to ship


def test_the_step_code_zip_holds_one_package_that_imports_from_the_zip(
    dev: Synthesized, tmp_path: Path
) -> None:
    [staged] = [p.parent for p in dev.outdir.glob("asset.*/gluekit_code_customers")]
    archive = tmp_path / "code.zip"
    with zipfile.ZipFile(archive, "w") as zipped:  # as CDK zips a folder asset
        for path in sorted(staged.rglob("*")):
            zipped.write(path, path.relative_to(staged).as_posix())

    # Glue puts the zip on sys.path, the kit's library beside it
    probe = (
        f"import sys; sys.path[:0] = [{str(archive)!r}, {str(REPO / 'glue_scripts')!r}]; "
        "from gluekit_code_customers.tiers import add_tier; print(add_tier.__module__)"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=False, cwd=tmp_path
    )

    assert sorted(zipfile.ZipFile(archive).namelist()) == [
        "gluekit_code_customers/",
        "gluekit_code_customers/__init__.py",
        "gluekit_code_customers/tiers.py",
    ]
    assert result.stdout.strip() == "gluekit_code_customers.tiers", result.stderr


def test_job_role_reads_the_looked_up_orders_table_and_nothing_else(dev: Synthesized) -> None:
    statements = {s["Sid"]: s for s in lookup_statements(dev.template("customers"))}

    assert sorted(statements) == ["LookupOrdersListing", "LookupOrdersObjects", "LookupOrdersTable"]
    objects = json.dumps(statements["LookupOrdersObjects"]["Resource"])
    assert statements["LookupOrdersObjects"]["Action"] == "s3:GetObject"
    assert "gluekit-dev-curated-" in objects and objects.endswith('"/orders/*"]]}')
    assert statements["LookupOrdersListing"]["Condition"] == {
        "StringLike": {"s3:prefix": ["orders/*"]}
    }
    table = statements["LookupOrdersTable"]
    assert sorted(table["Action"]) == ["glue:GetDatabase", "glue:GetTable"]  # no Create/Update
    resources = json.dumps(table["Resource"])
    assert ":table/gluekit_dev/orders" in resources and "*" not in resources
    assert lookup_statements(dev.template("orders")) == []  # orders looks nothing up
