"""ASY101 on hooks registered with the bare decorator (``@app.before_request``, the usual
Flask spelling): a FastAPI app has no such registration, so each gets a TODO saying what to
write instead, and the hook's ``g`` becomes ``request.state`` like a call-form hook's."""

from __future__ import annotations

import ast

from asyncify.codemods import select, transform

APP = b'''from flask import Flask, g

app = Flask(__name__)


@app.before_request
def load_user():
    g.user = "anon"


@app.after_request
def stamp(response):
    response.headers["X-Served"] = "1"
    return response


@app.get("/me")
def me():
    return {"user": g.user}
'''


def test_bare_hook_decorators_get_a_todo_each() -> None:
    outcome = transform("app.py", APP, select("flask-to-fastapi"))
    assert outcome.status == "changed", outcome.reason
    text = outcome.new.decode()
    ast.parse(text)
    todos = [t for t in outcome.todos if t.rule == "ASY101"]
    assert len(todos) == 2
    assert "app-wide before_request runs for every request" in text
    assert "after_request → @app.middleware('http')" in text
    assert "def load_user(request: Request):\n    request.state.user = \"anon\"" in text
    again = transform("app.py", outcome.new, select("flask-to-fastapi"))
    assert again.status == "unchanged"
