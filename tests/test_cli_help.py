"""Help texts print what they say: ``[tool.asyncify.…]`` table names are not taken for
Rich markup (they vanished from ``check --help`` and ``verify --help``)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from asyncify.cli import app

runner = CliRunner()


@pytest.mark.parametrize(("command", "table"), [
    ("check", "[tool.asyncify.check]"), ("verify", "[tool.asyncify.verify]")])
def test_config_tables_are_shown(command: str, table: str) -> None:
    shown = runner.invoke(app, [command, "--help"], terminal_width=200)
    assert shown.exit_code == 0
    assert table in shown.output
