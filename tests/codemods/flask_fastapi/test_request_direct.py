"""ASY103 on reads it does not convert (``request.args["q"]``, ``request.files[...]``,
``request.form["k"]``): Flask's ``request`` keeps its import and each read gets a TODO, so
the view still runs inside the legacy request context (the combined app) instead of failing
with a NameError; ``getlist`` with a literal key becomes a list parameter
(test_flask_differential.py serves it)."""

from __future__ import annotations

import ast

from asyncify.codemods import select, transform

VIEWS = b'''from flask import Blueprint, request

bp = Blueprint("v", __name__)


@bp.get("/tags")
def tags():
    names = request.args.getlist("t")
    first = request.args["q"]
    return {"names": names, "first": first}


@bp.post("/upload")
def upload():
    title = request.form["title"]
    f = request.files["doc"]
    return {"title": title, "size": len(f.read())}


@bp.get("/only-lists")
def only_lists():
    return {"t": request.args.getlist("t")}
'''


def test_direct_reads_keep_flask_request_with_a_todo() -> None:
    outcome = transform("views.py", VIEWS, select("flask-to-fastapi"))
    assert outcome.status == "changed", outcome.reason
    text = outcome.new.decode()
    ast.parse(text)
    assert "from flask import request" in text
    assert [t.rule for t in outcome.todos] == ["ASY103"] * 3
    assert 'first = request.args["q"]' in text and 'f = request.files["doc"]' in text
    assert "def tags(t: Annotated[list[str], Query()] = []):" in text
    assert 'return FlaskJSONResponse({"t": t})' in text
    again = transform("views.py", outcome.new, select("flask-to-fastapi"))
    assert again.status == "unchanged"


def test_only_converted_reads_drop_the_import() -> None:
    source = (b"from flask import Blueprint, request\n\nbp = Blueprint('v', __name__)\n\n\n"
              b"@bp.get('/l')\ndef lists():\n    return {'t': request.args.getlist('t')}\n")
    text = transform("views.py", source, select("flask-to-fastapi")).new.decode()
    assert "import request" not in text and "TODO" not in text, text
    ast.parse(text)
