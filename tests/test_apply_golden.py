"""Golden output: the code `asyncify apply` generates for each fully migrated sample project
is checked in under tests/golden/ and must not drift silently."""

from __future__ import annotations

import ast
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "regen_golden.py"


def _regen() -> ModuleType:
    name = "asyncify_regen_golden"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, SCRIPT)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


@pytest.mark.parametrize("package", ["bookshop", "gateway", "notes"])
def test_generated_code_matches_golden(package: str) -> None:
    regen = _regen()
    generated = regen.generate(package)
    assert "main.py" in generated and "migrated.txt" in generated
    drifted = regen.drift(package, generated)
    assert not drifted, (
        f"the code generated for {package} differs from tests/golden/{package}_async/ in: "
        f"{', '.join(drifted)}. If the change is intended, regenerate with "
        "`python scripts/regen_golden.py` and review the diff (git diff tests/golden).")
    for name, data in generated.items():
        if name.endswith(".py"):
            ast.parse(data, filename=name)  # every golden module is valid Python
