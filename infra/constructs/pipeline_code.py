"""The pipeline's code folder (its Python steps), shipped to Glue as one package in a zip.

Glue puts each ``--extra-py-files`` zip on the path of the driver and of every executor, so the
zip must hold the package directory itself: ``gluekit_code_<table>/tiers.py``. CDK zips a folder's
contents, not the folder, so a local bundling step (a copy, at synth, in this process; no Docker)
lays the folder out under the package's name first. `gluekit_glue.step_code` imports the steps
from that package on Glue and from the folder itself locally.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import aws_cdk as cdk
import jsii
from aws_cdk import aws_glue as glue
from aws_cdk import aws_s3_assets as s3_assets
from constructs import Construct

# What a code folder may hold that Glue does not need.
IGNORED = ("__pycache__", "*.pyc", ".pytest_cache", ".mypy_cache")


@jsii.implements(cdk.ILocalBundling)
class _AsPackage:
    def __init__(self, folder: Path, package: str) -> None:
        self.folder = folder
        self.package = package

    # jsii calls back with the options as one struct; the keywords are ILocalBundling's typing.
    def try_bundle(self, output_dir: str, options: object = None, **_keywords: object) -> bool:
        target = Path(output_dir) / self.package
        shutil.copytree(self.folder, target, ignore=shutil.ignore_patterns(*IGNORED))
        # A regular package: zipimport finds it on any Python that Glue runs.
        (target / "__init__.py").touch(exist_ok=True)
        return True


class PipelineCode(Construct):
    """``code``: the zip of ``folder`` as the package ``package``, for ``extra_python_files``."""

    def __init__(self, scope: Construct, construct_id: str, *, folder: Path, package: str) -> None:
        super().__init__(scope, construct_id)
        self.asset = s3_assets.Asset(
            self,
            "Zip",
            path=str(folder),
            # The source's hash names the asset: the same code is uploaded once.
            asset_hash_type=cdk.AssetHashType.SOURCE,
            bundling=cdk.BundlingOptions(
                local=_AsPackage(folder, package),
                # Required by the API, never pulled: the local copy above always succeeds.
                image=cdk.DockerImage.from_registry("gluekit-local-bundling-only"),
            ),
        )
        self.code = glue.Code.from_bucket(self.asset.bucket, self.asset.s3_object_key)
