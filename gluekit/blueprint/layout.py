"""Layout generator of a gluekit pipeline's Glue blueprint (the archive's `layout.py`).

Glue runs `generate_layout(user_params, system_params)` when a console user creates a workflow
from the blueprint: it uploads the archive's job scripts and the gluekit_glue library to the
artifacts bucket the user chose, then returns the workflow transform → validate → publish (and
the raw crawler when the pipeline has one) with `awsglue.blueprint`'s Workflow, Entities, Job and
Crawler. Glue creates the jobs, crawler and triggers from it.

Everything pipeline-specific comes from `pipeline.json` beside this file, written by
`gluekit blueprint export` from the spec: the jobs' configuration (contract, rules, prefixes),
their default arguments, the parameters' defaults. The user's parameters (blueprint.cfg) fill in
where the data lives and who runs it. Only the standard library, boto3 and `awsglue.blueprint`
(which Glue supplies) are imported: this file runs on Glue's layout runtime, not in the kit.
"""

import json
import os

from awsglue.blueprint.crawler import Crawler
from awsglue.blueprint.job import Job
from awsglue.blueprint.workflow import Entities, Workflow

HERE = os.path.dirname(os.path.abspath(__file__))
STEPS = ("transform", "validate", "publish")


def generate_layout(user_params, system_params):
    pipeline = _read_json("pipeline.json")
    params = Parameters(user_params, pipeline)
    scripts = upload_scripts(pipeline, params, system_params["region"])
    arguments = dict(pipeline["default_arguments"])
    arguments.update(
        {
            "--gluekit_config": json.dumps(job_config(pipeline, params), separators=(",", ":")),
            "--conf": spark_conf(pipeline, params),
            "--extra-py-files": scripts["library"],
        }
    )
    for key, value in params.job_parameters.items():
        arguments["--" + key] = value

    jobs = []
    previous = None
    for step in STEPS:
        jobs.append(_job(pipeline, params, step, scripts[step], arguments, previous))
        previous = jobs[-1]
    crawlers = [_crawler(pipeline, params)] if pipeline["crawler"] else []
    run_properties = {"manifest": params.manifest} if params.manifest else None
    return Workflow(
        Name=params.workflow_name,
        Description="gluekit {}: transform -> validate -> publish".format(pipeline["pipeline"]),
        DefaultRunProperties=run_properties,
        Entities=Entities(Jobs=jobs, Crawlers=crawlers),
    )


class Parameters:
    """The user's parameters, checked: a wrong one is one clear line in the blueprint run."""

    def __init__(self, user_params, pipeline):
        defaults = pipeline["parameter_defaults"]

        def value(name):
            given = user_params.get(name)
            return defaults.get(name) if given is None or given == "" else given

        self.workflow_name = _required(value("WorkflowName"), "WorkflowName")
        self.job_role = _required(value("JobRoleArn"), "JobRoleArn")
        raw = _required(value("RawLocation"), "RawLocation")
        if not raw.startswith("s3://") or "/" not in raw[5:]:
            raise ValueError(
                "RawLocation must be s3://bucket/prefix/ (the folder files arrive in), got "
                + repr(raw)
            )
        self.raw_bucket, self.raw_prefix = raw[5:].split("/", 1)
        if self.raw_prefix and not self.raw_prefix.endswith("/"):
            self.raw_prefix += "/"
        self.buckets = {
            "raw": self.raw_bucket,
            "curated": _required(value("CuratedBucket"), "CuratedBucket"),
            "quarantine": _required(value("QuarantineBucket"), "QuarantineBucket"),
            "artifacts": _required(value("ArtifactsBucket"), "ArtifactsBucket"),
        }
        self.database = _required(value("DatabaseName"), "DatabaseName")
        self.worker_type = value("WorkerType")
        self.workers = _integer(value("NumberOfWorkers"), "NumberOfWorkers")
        self.timeout = _integer(value("TimeoutMinutes"), "TimeoutMinutes")
        self.retries = _integer(value("MaxRetries"), "MaxRetries")
        self.concurrency = _integer(value("MaxConcurrentRuns"), "MaxConcurrentRuns")
        self.glue_version = str(value("GlueVersion"))
        self.security_configuration = value("SecurityConfiguration") or None
        self.manifest = value("ManifestLocation") or None
        self.crawler_role = value("CrawlerRoleArn") or self.job_role
        self.job_parameters = {
            key: str(value("Param_" + key)) for key in pipeline["job_parameters"]
        }


def job_config(pipeline, params):
    """The jobs' configuration (--gluekit_config) with the user's buckets and database."""
    config = json.loads(json.dumps(pipeline["job_config"]))
    config["buckets"] = dict(params.buckets)
    config["database"] = params.database
    config["prefixes"]["raw"] = params.raw_prefix
    return config


def spark_conf(pipeline, params):
    """Glue's --conf: the Iceberg catalog settings, the warehouse in the curated bucket."""
    settings = dict(pipeline["catalog_settings"])
    settings[pipeline["warehouse_setting"]] = "s3://{}/".format(params.buckets["curated"])
    return " --conf ".join(f"{k}={v}" for k, v in settings.items())


def upload_scripts(pipeline, params, region):
    """The archive's job scripts and library into the artifacts bucket; their s3:// URIs."""
    import boto3

    s3 = boto3.client("s3", region_name=region)
    bucket = params.buckets["artifacts"]
    base = "scripts/{}/{}/".format(pipeline["pipeline"], params.workflow_name)
    files = {step: os.path.join("jobs", step + ".py") for step in STEPS}
    files["library"] = pipeline["library"]
    uris = {}
    for name, relative in files.items():
        key = base + os.path.basename(relative)
        with open(os.path.join(HERE, relative), "rb") as body:
            s3.upload_fileobj(body, bucket, key)
        uris[name] = f"s3://{bucket}/{key}"
    return uris


def _job(pipeline, params, step, script, arguments, previous):
    properties = {
        "Name": f"{params.workflow_name}-{step}",
        "Role": params.job_role,
        "Command": {"Name": "glueetl", "ScriptLocation": script, "PythonVersion": "3"},
        "DefaultArguments": dict(arguments),
        "GlueVersion": params.glue_version,
        "WorkerType": params.worker_type,
        "NumberOfWorkers": params.workers,
        "Timeout": params.timeout,
        "MaxRetries": params.retries,
        # At least the workflow's runs at once, or concurrent runs fail their jobs.
        "ExecutionProperty": {"MaxConcurrentRuns": params.concurrency},
    }
    if params.security_configuration:
        properties["SecurityConfiguration"] = params.security_configuration
    if previous is not None:
        properties["DependsOn"] = {previous: "SUCCEEDED"}
    return Job(**properties)


def _crawler(pipeline, params):
    crawler = pipeline["crawler"]
    properties = {
        "Name": f"{params.workflow_name}-raw",
        "Role": params.crawler_role,
        "DatabaseName": params.database,
        "TablePrefix": crawler["table_prefix"],
        "Targets": {"S3Targets": [{"Path": f"s3://{params.raw_bucket}/{params.raw_prefix}"}]},
        "SchemaChangePolicy": crawler["schema_change_policy"],
        "Configuration": crawler["configuration"],
    }
    if params.security_configuration:
        properties["CrawlerSecurityConfiguration"] = params.security_configuration
    return Crawler(**properties)


def _read_json(name):
    with open(os.path.join(HERE, name), encoding="utf-8") as handle:
        return json.load(handle)


def _required(value, name):
    if value is None or value == "":
        raise ValueError(f"blueprint parameter {name} is required")
    return str(value)


def _integer(value, name):
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ValueError(
            f"blueprint parameter {name} must be a whole number, got {value!r}"
        ) from None
