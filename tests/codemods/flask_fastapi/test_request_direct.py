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


def test_a_kept_read_in_a_view_given_a_fastapi_request_is_not_shadowed() -> None:
    """The view also needs a FastAPI ``request: Request`` (for ``url_for``, a header): that
    parameter shadowed Flask's global, and ``request.form["n"]`` hit the Starlette request
    (``'method' object is not subscriptable`` on every call). The kept Flask reads go
    through ``flask_request``; the converted ones stay on the parameter."""
    source = (b"from flask import Blueprint, redirect, request, url_for\n\n"
              b"bp = Blueprint('v', __name__)\n\n\n"
              b"@bp.post('/a')\ndef a():\n"
              b"    name = request.form['n']\n"
              b"    agent = request.headers.get('User-Agent')\n"
              b"    return redirect(url_for('v.b', n=name, a=agent))\n")
    outcome = transform("views.py", source, select("flask-to-fastapi"))
    text = outcome.new.decode()
    ast.parse(text)
    assert "from flask import request as flask_request" in text
    assert "async def a(request: Request)" in text or "def a(request: Request)" in text
    assert "name = flask_request.form['n']" in text
    assert "url_for(request, 'v.b'" in text
    assert "flask_request.headers" not in text
    again = transform("views.py", outcome.new, select("flask-to-fastapi"))
    assert again.status == "unchanged", again.new


def test_a_view_that_can_end_without_a_response_still_fails_as_in_flask() -> None:
    """Flask answers a view that returns nothing with a 500 ("did not return a valid
    response"); FastAPI sent 200 and ``null``. Falling off the end and a bare ``return``
    become ``return flask_response(None)``, which raises Flask's TypeError; a view whose
    every path returns is left alone."""
    import pytest

    from asyncify.compat import flask_response

    source = (b"from flask import Blueprint, request\n\nbp = Blueprint('v', __name__)\n\n\n"
              b"@bp.route('/a', methods=['GET', 'POST'])\ndef a():\n"
              b"    if request.method == 'GET':\n        return {'ok': 1}\n\n\n"
              b"@bp.get('/b')\ndef b():\n    if request.args.get('x'):\n        return\n"
              b"    return {'b': 1}\n\n\n"
              b"@bp.get('/c')\ndef c():\n    if request.args.get('x'):\n        return {'x': 1}\n"
              b"    else:\n        return {'y': 1}\n")
    text = transform("views.py", source, select("flask-to-fastapi")).new.decode()
    ast.parse(text)
    a, b, c = text.split("@bp.")[1:]
    assert a.rstrip().endswith("return flask_response(None)")
    assert "        return flask_response(None)\n    return FlaskJSONResponse({'b': 1})" in b
    assert "flask_response(None)" not in c
    again = transform("views.py", text.encode(), select("flask-to-fastapi"))
    assert again.status == "unchanged"
    with pytest.raises(TypeError, match="did not return a valid response"):
        flask_response(None)


def test_a_bare_return_in_a_streamed_view_still_ends_the_stream() -> None:
    """A generator view streams its body; a bare ``return`` there ends the stream (it is not
    "no response"): left as it is, and no ``flask_response(None)`` is appended."""
    source = (b"from flask import Blueprint, request\n\nbp = Blueprint('v', __name__)\n\n\n"
              b"@bp.get('/s')\ndef s():\n    yield 'a'\n    if request.args.get('x'):\n"
              b"        return\n    yield 'b'\n")
    outcome = transform("views.py", source, select("flask-to-fastapi"))
    text = (outcome.new or source).decode()
    assert "flask_response(None)" not in text
