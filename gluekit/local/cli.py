"""`gluekit local ...` sub-commands (wired in by gluekit.cli)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any


def add_local_commands(sub: Any, with_specs: Callable[[argparse.ArgumentParser], Any]) -> None:
    """Registered once the local runner lands; no commands yet."""
    del sub, with_specs
