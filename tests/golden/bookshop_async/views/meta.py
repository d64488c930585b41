# Async twin of bookshop.views.meta, written by `asyncify apply` (re-run it; do not edit).
# What is not here comes from the legacy module.
"""Service endpoints with no I/O, registered on the app with add_url_rule."""

from __future__ import annotations

from asyncify.compat import jsonify, redirect
from flask import url_for


def health():
    return jsonify(status="ok")


def index():
    # TODO[asyncify ASY104]: url_for outside a view: pass request and call asyncify.compat.url_for(request, ...) — https://asyncify.readthedocs.io/en/latest/rules/#asy104
    return redirect(url_for("books.list_books"))
