"""Book excerpts, stored as UTF-8 text files named ``<isbn>.txt``."""

from __future__ import annotations

import os

from flask import current_app


def read_excerpt(isbn: str) -> str | None:
    path = os.path.join(current_app.config["EXCERPTS_DIR"], f"{isbn}.txt")
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except FileNotFoundError:
        return None
