"""ASY707: the app a converted test client drives → the migrated (combined) ASGI app.

A Flask test suite builds its app with the project's factory (``create_app(config)``), often
in a fixture, and hands it to the client. After ASY701 the client is
``asgi_client(app)``; this rule makes it ``asgi_client(combined_app(app))``:
``asyncify.compat.combined_app`` rebuilds the app ``asyncify apply`` wrote
(``<package>_async.main:app``, or ``ASYNCIFY_COMBINED_APP=module:attribute``) around the
Flask app the test built, so the test's config, hooks and error handlers still apply and
endpoints not migrated yet are served by it. The app fixture itself is left a Flask app
(tests keep using ``app.config`` and ``app.app_context()``).
"""

from __future__ import annotations

from typing import ClassVar

import libcst as cst

from .._rule import Example, Rule, register


@register
class MigratedApp(Rule):
    id = "ASY707"
    title = ("the Flask app under test (from the factory or a fixture) → the migrated "
             "combined app, rebuilt around it by asyncify.compat.combined_app")
    triggers = frozenset({"test_client"})
    async_only = False
    examples: ClassVar[tuple[Example, ...]] = (
        Example(
            "from shop import create_app\n\ndef test_home():\n"
            "    assert create_app().test_client().get('/').status_code == 200\n",
            "from shop import create_app\n\ndef test_home():\n"
            "    assert create_app().test_client().get('/').status_code == 200\n",
            why="the client is still Flask's (ASY701 did not convert it): a Flask client "
                "cannot drive an ASGI app",
        ),
        Example(
            "import pytest\nfrom shop import create_app\n\n@pytest.fixture\ndef app():\n"
            "    return create_app({'TESTING': True})\n\n@pytest.fixture\ndef client(app):\n"
            "    return app.test_client()\n",
            "import pytest\nfrom shop import create_app\n"
            "from asyncify.compat import asgi_client, combined_app\n\n@pytest.fixture\ndef app():\n"
            "    return create_app({'TESTING': True})\n\n@pytest.fixture\ndef client(app):\n"
            "    return asgi_client(combined_app(app))\n",
            with_rules=("ASY701",),
        ),
    )

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        if not (isinstance(original.func, cst.Attribute)
                and original.func.attr.value == "test_client"):
            return updated
        if not (isinstance(updated.func, cst.Name) and updated.func.value == "asgi_client"
                and updated.args):
            return updated  # ASY701 did not convert it (or did not run)
        first = updated.args[0]
        self.p.need_import("asyncify.compat", "combined_app")
        self.p.changed(self.id)
        wrapped = cst.Call(cst.Name("combined_app"), [cst.Arg(first.value)])
        return updated.with_changes(args=[first.with_changes(value=wrapped), *updated.args[1:]])
