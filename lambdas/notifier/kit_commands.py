"""The kit's own commands for an alert (`gluekit resume`, `replay`, `runs`), beside the AWS CLI
commands of `runbook`: the kit's check what the raw AWS calls cannot (a run that is not
COMPLETED yet, the failed nodes' ids, the run slots), the AWS CLI's work for a person without
the kit. Pure string building, every argument shell-quoted."""

from __future__ import annotations

import shlex
from dataclasses import dataclass


@dataclass(frozen=True)
class KitCommands:
    pipeline: str
    environment: str | None  # None: the kit's default environment (dev)

    def resume(self, run_id: str) -> str:
        return self._gluekit("resume", self.pipeline, run_id)

    def replay(self, run_id: str) -> str:
        return self._gluekit("replay", self.pipeline, "--run", run_id)

    def runs(self, run_id: str) -> str:
        return self._gluekit("runs", self.pipeline, run_id)

    def _gluekit(self, *words: str) -> str:
        env = ("--env", self.environment) if self.environment else ()
        return shlex.join(["gluekit", *words, *env])
