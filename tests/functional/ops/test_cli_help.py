"""`gluekit --help` lists every operations command; their options are the shared ones."""

from __future__ import annotations

import pytest

from gluekit.cli import main

OPERATIONS = (
    "status",
    "runs",
    "start",
    "replay",
    "resume",
    "redrive",
    "rollback",
    "cost",
    "describe",
)


def test_help_lists_every_operations_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--help"])

    assert exit_.value.code == 0
    listed = {
        line.split()[0] for line in capsys.readouterr().out.splitlines() if line[:4] == "    "
    }
    assert set(OPERATIONS) <= listed


@pytest.mark.parametrize("command", OPERATIONS)
def test_every_command_takes_env_profile_region_and_json(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        main([command, "--help"])

    usage = capsys.readouterr().out
    for option in ("--env", "--profile", "--region", "--json"):
        assert option in usage, f"gluekit {command} has no {option}"


def test_spec_commands_do_not_import_the_aws_sdk() -> None:
    import subprocess
    import sys

    probe = "import sys, gluekit.cli; gluekit.cli._parser(); print('botocore' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
