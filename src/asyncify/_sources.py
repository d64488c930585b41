"""Reading one source file into a summary, or into a one-line diagnostic explaining why not."""

from __future__ import annotations

import io
import re
import tokenize
from dataclasses import dataclass

from ._diagnostics import Diagnostic
from ._summary import ModuleSummary, summarize

_PY2_HINTS = (
    (re.compile(r"^\s*print\s+[^\s(=]", re.MULTILINE), "a print statement"),
    (re.compile(r"^\s*except\s+[\w.]+\s*,\s*\w+\s*:", re.MULTILINE), "'except X, e:'"),
    (re.compile(r"^\s*exec\s+[\"'\w]", re.MULTILINE), "an exec statement"),
    (re.compile(r"\b\d+L\b"), "a long integer literal"),
    (re.compile(r"^\s*raise\s+\w+\s*,", re.MULTILINE), "'raise E, msg'"),
)


@dataclass(frozen=True, slots=True)
class Loaded:
    """The outcome for one file: a summary, or the reason there is none."""

    relpath: str
    summary: ModuleSummary | None
    diagnostic: Diagnostic | None


def decode(data: bytes, relpath: str) -> str | Diagnostic:
    """Decode Python source bytes honouring a BOM and a PEP 263 coding cookie."""
    if b"\0" in data:
        return Diagnostic(relpath, "binary file (contains NUL bytes)",
                          "remove it or exclude it in [tool.asyncify] exclude")
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        return data.decode(encoding)
    except (SyntaxError, LookupError, UnicodeDecodeError) as exc:
        return Diagnostic(relpath, f"cannot decode source: {exc}",
                          "save it as UTF-8 or declare its encoding in a '# -*- coding' line")


def load(relpath: str, data: bytes, max_bytes: int) -> Loaded:
    """Summarize a file's bytes; never raises for bad input."""
    if len(data) > max_bytes:
        return Loaded(relpath, None, Diagnostic(
            relpath, f"file is too large ({len(data):,} bytes > {max_bytes:,})",
            "raise [tool.asyncify] max_file_bytes or exclude the file"))
    text = decode(data, relpath)
    if isinstance(text, Diagnostic):
        return Loaded(relpath, None, text)
    try:
        return Loaded(relpath, summarize(text, relpath), None)
    except SyntaxError as exc:
        return Loaded(relpath, None, syntax_diagnostic(relpath, text, exc))
    except (ValueError, RecursionError, MemoryError) as exc:
        return Loaded(relpath, None, Diagnostic(
            relpath, f"cannot parse: {type(exc).__name__}: {exc}", "exclude the file"))


def syntax_diagnostic(relpath: str, text: str, exc: SyntaxError) -> Diagnostic:
    for pattern, what in _PY2_HINTS:
        if pattern.search(text):
            return Diagnostic(relpath, f"looks like Python 2 code ({what}); asyncify reads "
                              "Python 3 only", "port it to Python 3 or exclude it", exc.lineno)
    return Diagnostic(relpath, f"syntax error: {exc.msg}",
                      "fix the syntax or exclude the file", exc.lineno)
