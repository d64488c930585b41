"""Service endpoints with no I/O, registered on the app with add_url_rule."""

from __future__ import annotations

from flask import jsonify, redirect, url_for


def health():
    return jsonify(status="ok")


def index():
    return redirect(url_for("books.list_books"))
