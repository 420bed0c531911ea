"""A stand-in for `awsglue.blueprint`, the classes Glue supplies when it runs a blueprint layout.

They are in no installable package (not in AWSGlueDataplanePython, not on PyPI). This module
gives them the signatures the Glue documentation and the public aws-glue-blueprint-libs
repository describe, written for this project, so that an exported `layout.py` can be loaded and
its Workflow checked without Glue:

- `Job(**properties)`: Name, Role, Command required; DependsOn ({entity: state}) and
  WaitForDependencies ("AND" / "ANY") order it; any other key is a Glue job property.
- `Crawler(**properties)`: Name, Role, Targets required; DependsOn, WaitForDependencies.
- `Entities(Jobs=[...], Crawlers=[...])`, `Workflow(Name=..., Entities=..., Description=...,
  DefaultRunProperties=..., OnSchedule=..., Tags=...)`.

It is stricter than the published library in one way: a property the library does not know is
an error here (the library would drop it without a word), so a layout cannot rely on one.
"""

from __future__ import annotations

import contextlib
import sys
import types
from collections.abc import Iterator
from typing import Any

JOB_PROPERTIES: dict[str, type | tuple[type, ...]] = {
    "Name": str,
    "Description": str,
    "LogUri": str,
    "Role": str,
    "ExecutionProperty": dict,
    "Command": dict,
    "DefaultArguments": dict,
    "NonOverridableArguments": dict,
    "Connections": dict,
    "MaxRetries": int,
    "AllocatedCapacity": int,
    "Timeout": int,
    "MaxCapacity": float,
    "SecurityConfiguration": str,
    "Tags": dict,
    "NotificationProperty": dict,
    "GlueVersion": str,
    "NumberOfWorkers": int,
    "WorkerType": str,
}
CRAWLER_PROPERTIES: dict[str, type | tuple[type, ...]] = {
    "Name": str,
    "Description": str,
    "Role": str,
    "Targets": dict,
    "DatabaseName": str,
    "Classifiers": list,
    "SchemaChangePolicy": dict,
    "TablePrefix": str,
    "Configuration": str,
    "CrawlerSecurityConfiguration": str,
    "Tags": dict,
    "Schedule": str,
}
COMMAND_NAMES = ("glueetl", "pythonshell", "gluestreaming")
# The worker types the published library accepts.
WORKER_TYPES = ("Standard", "G.1X", "G.2X")
WAIT_FOR = ("AND", "ANY")
# Condition states of a trigger (Glue's Condition structure), for jobs and for crawls.
JOB_STATES = ("STARTING", "RUNNING", "STOPPING", "STOPPED", "SUCCEEDED", "FAILED", "TIMEOUT")
CRAWL_STATES = ("RUNNING", "CANCELLING", "CANCELLED", "SUCCEEDED", "FAILED", "ERROR")


class BlueprintError(TypeError):
    """The layout built an entity the blueprint library would refuse."""


class _Entity:
    KIND = ""
    REQUIRED: tuple[str, ...] = ()
    PROPERTIES: dict[str, type | tuple[type, ...]] = {}

    def __init__(self, **properties: Any) -> None:
        self.DependsOn: dict[_Entity, str] = properties.pop("DependsOn", None) or {}
        self.WaitForDependencies: str | None = properties.pop("WaitForDependencies", None)
        unknown = sorted(set(properties) - set(self.PROPERTIES))
        if unknown:
            raise BlueprintError(f"{self.KIND} does not take {', '.join(unknown)}")
        for name, expected in self.PROPERTIES.items():
            value = properties.get(name)
            if value is not None and not isinstance(value, expected):
                raise BlueprintError(f"{self.KIND} {name} must be {expected}, got {value!r}")
        missing = [name for name in self.REQUIRED if not properties.get(name)]
        if missing:
            raise BlueprintError(f"{self.KIND} needs {', '.join(missing)}")
        self.properties = {k: v for k, v in properties.items() if v is not None}
        self._check_dependencies()

    @property
    def Name(self) -> str:
        return str(self.properties["Name"])

    def _check_dependencies(self) -> None:
        if not isinstance(self.DependsOn, dict):
            raise BlueprintError(f"{self.KIND} DependsOn must be {{entity: state}}")
        for dependency, state in self.DependsOn.items():
            if not isinstance(dependency, _Entity):
                raise BlueprintError("DependsOn keys must be Job or Crawler objects, not names")
            allowed = JOB_STATES if isinstance(dependency, Job) else CRAWL_STATES
            if state not in allowed:
                raise BlueprintError(f"{dependency.KIND} state {state!r} is not one of {allowed}")
        if self.WaitForDependencies is not None and self.WaitForDependencies not in WAIT_FOR:
            raise BlueprintError(f"WaitForDependencies must be one of {WAIT_FOR}")

    def validate(self) -> bool:
        return True


class Job(_Entity):
    KIND = "Job"
    REQUIRED = ("Name", "Role", "Command")
    PROPERTIES = JOB_PROPERTIES

    def _check_dependencies(self) -> None:
        super()._check_dependencies()
        command = self.properties["Command"]
        if command.get("Name") not in COMMAND_NAMES or not command.get("ScriptLocation"):
            raise BlueprintError(
                f"Job Command needs Name (one of {COMMAND_NAMES}) and ScriptLocation"
            )
        worker = self.properties.get("WorkerType")
        if worker is not None and worker not in WORKER_TYPES:
            raise BlueprintError(f"Job WorkerType {worker!r} is not one of {WORKER_TYPES}")


class Crawler(_Entity):
    KIND = "Crawler"
    REQUIRED = ("Name", "Role", "Targets")
    PROPERTIES = CRAWLER_PROPERTIES


class Entities:
    def __init__(
        self, Jobs: list[Job] | None = None, Crawlers: list[Crawler] | None = None
    ) -> None:
        self.Jobs = list(Jobs or [])
        self.Crawlers = list(Crawlers or [])


class Workflow:
    def __init__(
        self,
        Name: str,
        Entities: Entities,
        Description: str | None = None,
        DefaultRunProperties: dict[str, str] | None = None,
        OnSchedule: str | None = None,
        Tags: dict[str, str] | None = None,
    ) -> None:
        if not Name or not isinstance(Entities, globals()["Entities"]):
            raise BlueprintError("Workflow needs a Name and Entities")
        self.Name = Name
        self.Entities = Entities
        self.Description = Description
        self.DefaultRunProperties = DefaultRunProperties
        self.OnSchedule = OnSchedule
        self.Tags = Tags
        known = {id(e) for e in [*Entities.Jobs, *Entities.Crawlers]}
        for entity in [*Entities.Jobs, *Entities.Crawlers]:
            outside = [d.Name for d in entity.DependsOn if id(d) not in known]
            if outside:
                raise BlueprintError(f"{entity.Name} depends on {outside}, not in the workflow")

    def validate(self) -> bool:
        return True

    def starting_entities(self) -> list[str]:
        """What the start trigger starts: every entity that depends on nothing."""
        entities = [*self.Entities.Jobs, *self.Entities.Crawlers]
        return [e.Name for e in entities if not e.DependsOn]

    def conditions(self) -> dict[str, list[tuple[str, str]]]:
        """The conditional triggers Glue infers: entity → [(dependency, state)]."""
        entities = [*self.Entities.Jobs, *self.Entities.Crawlers]
        return {
            e.Name: [(d.Name, state) for d, state in e.DependsOn.items()]
            for e in entities
            if e.DependsOn
        }


@contextlib.contextmanager
def installed() -> Iterator[None]:
    """`awsglue.blueprint.{workflow,job,crawler}` importable, as on Glue's layout runtime."""
    import awsglue

    module = sys.modules[__name__]
    names = {
        "awsglue.blueprint": module,
        "awsglue.blueprint.workflow": _namespace("workflow", Workflow=Workflow, Entities=Entities),
        "awsglue.blueprint.job": _namespace("job", Job=Job),
        "awsglue.blueprint.crawler": _namespace("crawler", Crawler=Crawler),
    }
    saved = {name: sys.modules.get(name) for name in names}
    had_attribute = hasattr(awsglue, "blueprint")
    sys.modules.update(names)
    awsglue.blueprint = module
    try:
        yield
    finally:
        for name, previous in saved.items():
            if previous is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = previous
        if not had_attribute:
            del awsglue.blueprint


def _namespace(name: str, **members: Any) -> types.ModuleType:
    module = types.ModuleType(f"awsglue.blueprint.{name}")
    module.__dict__.update(members)
    return module
