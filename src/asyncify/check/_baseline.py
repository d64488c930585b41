"""A baseline file: the findings a project already has, so CI fails only on new ones.

Findings are matched by rule, file and a line-free key (function and target), counted, so
moving code around does not resurrect old findings but a second copy of one is new.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from ..errors import UsageError
from ._model import Finding

VERSION = 1


def write_baseline(path: Path, findings: Iterable[Finding]) -> int:
    entries = [{"rule": f.rule, "path": f.path, "key": f.key, "message": f.message}
               for f in findings]
    data = {"version": VERSION, "tool": "asyncify check", "findings": entries}
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return len(entries)


def read_baseline(path: Path) -> Counter[tuple[str, str, str]]:
    """:raises UsageError: the file is missing or not a baseline."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        entries = data["findings"] if data.get("version") == VERSION else None
        if not isinstance(entries, list):
            raise ValueError("no 'findings' list of version 1")
        return Counter((e["rule"], e["path"], e["key"]) for e in entries)
    except FileNotFoundError:
        raise UsageError(f"baseline file {str(path)!r} does not exist (create it with "
                         "--write-baseline)") from None
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise UsageError(f"baseline file {str(path)!r} is not a check baseline: {exc} "
                         "(regenerate it with --write-baseline)") from None


def subtract(findings: Iterable[Finding], known: Counter[tuple[str, str, str]]) -> list[Finding]:
    """``findings`` not already in the baseline."""
    left = Counter(known)
    new = []
    for finding in findings:
        mark = (finding.rule, finding.path, finding.key)
        if left[mark] > 0:
            left[mark] -= 1
        else:
            new.append(finding)
    return new
