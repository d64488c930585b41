"""`apply` on the most common Flask layout: the blueprint defined in one module, its views in
another (``journal/api/__init__.py`` holds ``bp = Blueprint('api', __name__)`` and imports
``journal.api.entries`` at its bottom, whose views do ``from journal.api import bp``), and
the Flask Mega-Tutorial's (``app/main/__init__.py`` + ``app/main/routes.py``, registered in
``create_app()``).

The twin of the defining module holds only the router (no import of the legacy views, no
cycle); the views' twins import it from there, the entry points import the views' twins and
include the router with the prefix the legacy registrations give it. Each project is served
legacy (gunicorn) and combined (uvicorn) over real HTTP, after a first endpoint, then after a
second of the same blueprint; re-applying changes nothing and the legacy tree stays
byte-identical."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
from typer.testing import CliRunner

from asyncify import api, verify
from asyncify.cli import app

runner = CliRunner()

# The layout of RonKbS/baron_s_online_journal (tests/codemods/flask_fastapi/
# test_registered_blueprints.py), plus a nested blueprint defined in a package ``__init__``
# with its views beside it, its prefix given by ``Blueprint(url_prefix=...)``.
JOURNAL = {
    "journal/__init__.py": (
        "from flask import Flask\n\n"
        "app = Flask(__name__)\n"
        "app.config['SECRET'] = 'letmein'\n\n"
        "from journal.api import bp as bp_api\n"
        "app.register_blueprint(bp_api, url_prefix='/api/v1')\n\n"
        "from journal import views\n"
    ),
    "journal/views.py": (
        "from flask import jsonify\n\nfrom journal import app\n\n\n"
        "@app.route('/')\ndef index():\n    return jsonify(home=True)\n"
    ),
    "journal/api/__init__.py": (
        "from flask import Blueprint\n\n"
        "from .admin import admin\n\n"
        "bp = Blueprint('api', __name__)\n"
        "bp.register_blueprint(admin)\n\n"
        "from journal.api import entries\n"
    ),
    "journal/api/admin/__init__.py": (
        "from flask import Blueprint\n\n"
        "admin = Blueprint('admin', __name__, url_prefix='/admin')\n\n"
        "from . import views\n"
    ),
    "journal/api/admin/views.py": (
        "from flask import jsonify, request\n\n"
        "from . import admin\n\n\n"
        "@admin.route('/stats')\n"
        "def stats():\n"
        "    return jsonify(entries=2, verbose=request.args.get('verbose', 'no'))\n"
    ),
    "journal/api/entries.py": (
        "from functools import wraps\n\n"
        "from flask import jsonify, request, make_response\n\n"
        "from journal import app\nfrom journal.api import bp\n\n"
        "ENTRIES = {1: 'first', 2: 'second'}\n\n\n"
        "def token_required(f):\n"
        "    @wraps(f)\n"
        "    def decorated(*args, **kwargs):\n"
        "        token = request.headers.get('token')\n"
        "        if not token:\n"
        "            return jsonify({'Message': 'Token is missing'}), 401\n"
        "        if token != app.config['SECRET']:\n"
        "            return jsonify({'Message': 'Token is invalid!'}), 401\n"
        "        return f(*args, **kwargs)\n"
        "    return decorated\n\n\n"
        "@bp.route('/entries', methods=['GET'])\n@token_required\n"
        "def all_entries():\n"
        "    return jsonify({'entries': sorted(ENTRIES.values())})\n\n\n"
        "@bp.route('/entries/<int:entry_id>', methods=['GET'])\n@token_required\n"
        "def one_entry(entry_id):\n"
        "    if entry_id not in ENTRIES:\n"
        "        return jsonify({'Error': 'No such entry'}), 404\n"
        "    return make_response(jsonify({'entry': ENTRIES[entry_id]}), 200)\n\n\n"
        "@bp.route('/entries', methods=['POST'])\n@token_required\n"
        "def add_entry():\n"
        "    new = request.get_json() or {}\n"
        "    if not new:\n"
        "        return jsonify({'Message': 'Wrong format used'}), 400\n"
        "    return jsonify({'Message': 'Entry added', 'title': new['title']}), 201\n"
    ),
}

TOKEN = {"token": "letmein"}
# (method, path, headers, JSON body): migrated and legacy-served paths alike.
JOURNAL_REQUESTS = [
    ("GET", "/", {}, None),
    ("GET", "/api/v1/entries", {}, None),
    ("GET", "/api/v1/entries", {"token": "nope"}, None),
    ("GET", "/api/v1/entries", TOKEN, None),
    ("HEAD", "/api/v1/entries", TOKEN, None),
    ("GET", "/api/v1/entries/2", TOKEN, None),
    ("GET", "/api/v1/entries/9", TOKEN, None),
    ("GET", "/api/v1/entries/x", TOKEN, None),
    ("GET", "/api/v1/entries/2", {}, None),
    ("POST", "/api/v1/entries", TOKEN, {"title": "third"}),
    ("POST", "/api/v1/entries", TOKEN, {}),
    ("GET", "/api/v1/admin/stats", {}, None),
    ("GET", "/api/v1/admin/stats?verbose=1", {}, None),
    ("GET", "/api/v1/missing", {}, None),
    ("DELETE", "/api/v1/entries/2", TOKEN, None),
]

# The Flask Mega-Tutorial's layout: blueprint packages registered in the factory, an error
# blueprint whose app-wide 404 handler answers the migrated routes' aborts too, and a
# before_app_request hook on the views' blueprint.
MEGA = {
    "app/__init__.py": (
        "from flask import Flask\n\n\n"
        "class Config:\n    GREETING = 'hello'\n\n\n"
        "def create_app(config_class=Config):\n"
        "    app = Flask(__name__)\n"
        "    app.config.from_object(config_class)\n\n"
        "    from app.errors import bp as errors_bp\n"
        "    app.register_blueprint(errors_bp)\n\n"
        "    from app.auth import bp as auth_bp\n"
        "    app.register_blueprint(auth_bp, url_prefix='/auth')\n\n"
        "    from app.main import bp as main_bp\n"
        "    app.register_blueprint(main_bp)\n\n"
        "    return app\n"
    ),
    "app/main/__init__.py": (
        "from flask import Blueprint\n\nbp = Blueprint('main', __name__)\n\n"
        "from app.main import routes\n"
    ),
    "app/main/routes.py": (
        "from flask import abort, current_app, g, jsonify, request\n\n"
        "from app.main import bp\n\n\n"
        "@bp.before_app_request\n"
        "def before_request():\n"
        "    g.locale = request.headers.get('Accept-Language', 'en')\n\n\n"
        "@bp.route('/', methods=['GET'])\n"
        "@bp.route('/index', methods=['GET'])\n"
        "def index():\n"
        "    return jsonify(greeting=current_app.config['GREETING'], locale=g.locale)\n\n\n"
        "@bp.route('/user/<username>')\n"
        "def user(username):\n"
        "    if username == 'nobody':\n"
        "        abort(404)\n"
        "    return jsonify(user=username, greeting=current_app.config['GREETING'])\n\n\n"
        "@bp.route('/search')\n"
        "def search():\n"
        "    q = request.args.get('q', '')\n"
        "    return jsonify(q=q, n=len(q))\n"
    ),
    "app/auth/__init__.py": (
        "from flask import Blueprint\n\nbp = Blueprint('auth', __name__)\n\n"
        "from app.auth import routes\n"
    ),
    "app/auth/routes.py": (
        "from flask import jsonify, request\n\n"
        "from app.auth import bp\n\n\n"
        "@bp.route('/login', methods=['GET', 'POST'])\n"
        "def login():\n"
        "    if request.method == 'POST':\n"
        "        return jsonify(logged_in=request.form.get('username', '')), 201\n"
        "    return jsonify(form='login')\n"
    ),
    "app/errors/__init__.py": (
        "from flask import Blueprint\n\nbp = Blueprint('errors', __name__)\n\n"
        "from app.errors import handlers\n"
    ),
    "app/errors/handlers.py": (
        "from flask import jsonify\n\n"
        "from app.errors import bp\n\n\n"
        "@bp.app_errorhandler(404)\n"
        "def not_found_error(error):\n"
        "    return jsonify(error='not found'), 404\n"
    ),
    "microblog.py": "from app import create_app\n\napp = create_app()\n",
}

LANG = {"Accept-Language": "fr"}
MEGA_REQUESTS = [
    ("GET", "/", LANG, None),
    ("GET", "/index", {}, None),
    ("GET", "/user/ann", LANG, None),
    ("HEAD", "/user/ann", {}, None),
    ("GET", "/user/nobody", {}, None),
    ("GET", "/user/", {}, None),
    ("GET", "/search?q=abc", {}, None),
    ("GET", "/search", {}, None),
    ("POST", "/search", {}, None),
    ("GET", "/auth/login", {}, None),
    ("GET", "/nope", {}, None),
]


def project(root: Path, files: dict[str, str]) -> Path:
    for relpath, text in files.items():
        (root / relpath).parent.mkdir(parents=True, exist_ok=True)
        (root / relpath).write_text(text)
    git = ["git", "-c", "user.email=t@t", "-c", "user.name=t"]
    subprocess.run([*git, "init", "-q"], cwd=root, check=True)
    subprocess.run([*git, "add", "."], cwd=root, check=True)
    subprocess.run([*git, "commit", "-qm", "legacy"], cwd=root, check=True)
    return root


def legacy_tree(root: Path, top: str) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted((root / top).rglob("*.py"))}


def code(text: str) -> list[str]:
    """The lines of a module that are neither blank nor comments."""
    return [line for line in text.splitlines() if line.strip() and not line.startswith("#")]


def apply(root: Path, *endpoints: str, write: bool = True) -> str:
    flags = ["--write", "--allow-dirty"] if write else []
    result = runner.invoke(app, ["apply", *endpoints, "--root", str(root), *flags])
    assert result.exit_code == 0, result.output
    return result.stderr


def compare(root: Path, log_dir: Path, legacy_spec: str, combined_spec: str,
            requests: list[tuple[str, str, dict[str, str], object]]) -> None:
    """Every request answered the same by the legacy app and the combined app: status,
    body, content type."""
    legacy = verify.start_app(verify.AppSpec.parse(legacy_spec), app_dir=root, env={},
                              log_dir=log_dir, name="legacy")
    migrated = verify.start_app(verify.AppSpec.parse(combined_spec), app_dir=root, env={},
                                log_dir=log_dir, name="migrated")
    with legacy, migrated, httpx.Client(timeout=10) as http:
        legacy.wait_ready("/")
        migrated.wait_ready("/")
        for method, path, headers, body in requests:
            sent = {"headers": headers, **({"json": body} if body is not None else {})}
            old = http.request(method, legacy.url + path, **sent)  # type: ignore[arg-type]
            new = http.request(method, migrated.url + path, **sent)  # type: ignore[arg-type]
            assert (new.status_code, new.content) == (old.status_code, old.content), \
                (method, path, new.text)
            assert new.headers.get("content-type") == old.headers.get("content-type"), \
                (method, path)


def test_blueprint_defined_in_the_package_init(tmp_path: Path) -> None:
    root = project(tmp_path / "p", JOURNAL)
    before = legacy_tree(root, "journal")

    apply(root, "journal.api.entries.all_entries")
    init = (root / "journal_async" / "api" / "__init__.py").read_text()
    # Only the router: no legacy view imported, no nested Flask blueprint, no cycle.
    assert code(init) == ["from fastapi import APIRouter", "bp = APIRouter()"]
    entries = (root / "journal_async" / "api" / "entries.py").read_text()
    assert "from journal_async.api import bp" in entries
    assert "@bp.api_route('/entries', methods=['GET', 'HEAD'], name='api.all_entries')" \
        in entries
    assert "def one_entry" not in entries and "Blueprint" not in entries
    main = (root / "journal_async" / "main.py").read_text()
    assert "from journal_async import api" in main
    assert "from journal_async.api import entries  # noqa: F401" in main
    assert '(api.bp, "/api/v1"),' in main
    compare(root, tmp_path, "wsgi:journal:app", "asgi:journal_async.main:app",
            JOURNAL_REQUESTS)

    # A second endpoint of the same blueprint merges; one of the nested blueprint (defined in
    # a package __init__, its prefix on Blueprint(...), registered on bp) gets its own router.
    # And a route declared on the imported app in another module (``@app.route('/')`` in
    # journal/views.py): routed by the entry points, its twin loses the decorator.
    apply(root, "journal.api.entries.one_entry", "journal.api.admin.views.stats",
          "journal.views.index")
    views = (root / "journal_async" / "views.py").read_text()
    assert "def index():" in views and "@app" not in views
    entries = (root / "journal_async" / "api" / "entries.py").read_text()
    assert "def all_entries" in entries and "def one_entry" in entries
    assert "def add_entry" not in entries
    assert (root / "journal_async" / "api" / "__init__.py").read_text() == init
    admin = (root / "journal_async" / "api" / "admin" / "__init__.py").read_text()
    assert code(admin) == ["from fastapi import APIRouter", "admin = APIRouter()"]
    main = (root / "journal_async" / "main.py").read_text()
    assert '(api.bp, "/api/v1"),' in main and '(admin.admin, "/api/v1/admin"),' in main
    # (``views`` is journal_async.views here: the admin views' module gets another name)
    assert ("from journal_async.api.admin import views as journal_async_api_admin_views  "
            "# noqa: F401") in main
    assert main.count("api.bp") == 1
    assert 'app_routes.add_api_route("/", flask_view(views.index)' in main
    compare(root, tmp_path, "wsgi:journal:app", "asgi:journal_async.main:app",
            JOURNAL_REQUESTS)
    standalone = (root / "journal_async" / "standalone.py").read_text()
    assert "from journal_async.api import entries  # noqa: F401" in standalone

    # Applying again changes nothing; the legacy package was never written.
    generated = legacy_tree(root, "journal_async")
    apply(root, "journal.api.entries.one_entry")
    assert legacy_tree(root, "journal_async") == generated
    dry = runner.invoke(app, ["apply", "journal.api.admin.views.stats", "--root", str(root)])
    assert dry.exit_code == 0 and dry.stdout == "", dry.output
    assert legacy_tree(root, "journal") == before


def test_mega_tutorial_factory_layout(tmp_path: Path) -> None:
    root = project(tmp_path / "p", MEGA)
    before = legacy_tree(root, "app")

    apply(root, "app.main.routes.user")
    # The twin of the ``app.main`` package takes the name ``main``: the combined app is
    # ``combined.py``.
    assert api.apply_endpoints(["app.main.routes.user"], root=root).entry == \
        "app_async.combined:app"
    assert not (root / "app_async" / "main.py").exists()
    init = (root / "app_async" / "main" / "__init__.py").read_text()
    assert code(init) == ["from fastapi import APIRouter", "bp = APIRouter()"]
    routes = (root / "app_async" / "main" / "routes.py").read_text()
    assert "from app_async.main import bp" in routes
    assert "def search" not in routes and "def before_request" not in routes
    combined = (root / "app_async" / "combined.py").read_text()
    assert "legacy = create_app()" in combined
    assert "from app_async.main import routes  # noqa: F401" in combined
    assert '(main.bp, ""),' in combined
    assert (root / "app_async" / "standalone.py").is_file()
    compare(root, tmp_path, "wsgi:app:create_app()", "asgi:app_async.combined:app",
            MEGA_REQUESTS)

    apply(root, "app.main.routes.search", "app.auth.routes.login")
    routes = (root / "app_async" / "main" / "routes.py").read_text()
    assert "def user" in routes and "def search" in routes and "def index" not in routes
    combined = (root / "app_async" / "combined.py").read_text()
    assert '(main.bp, ""),' in combined and '(auth.bp, "/auth"),' in combined
    # Two views modules called ``routes``: the second import gets another name.
    assert "from app_async.auth import routes  # noqa: F401" in combined
    assert "from app_async.main import routes as app_async_main_routes  # noqa: F401" \
        in combined
    compare(root, tmp_path, "wsgi:app:create_app()", "asgi:app_async.combined:app",
            [*MEGA_REQUESTS, ("POST", "/auth/login", {}, None)])

    # The migrated test suites' ``combined_app(create_app())`` finds ``combined.py``.
    probe = subprocess.run(
        [sys.executable, "-c",
         "import warnings\nfrom app import create_app\n"
         "from asyncify.compat import LegacyContext, LegacyOnlyWarning, combined_app\n"
         "warnings.simplefilter('error', LegacyOnlyWarning)\n"
         "app = combined_app(create_app())\n"
         "(context,) = [m for m in app.user_middleware if m.cls is LegacyContext]\n"
         "import sys\nprint('app_async.combined' in sys.modules, "
         "len(context.kwargs['routes']))"],
        cwd=root, capture_output=True, text=True, check=False)
    assert probe.returncode == 0, probe.stderr
    loaded, routes = probe.stdout.split()
    assert loaded == "True" and int(routes) > 0, probe.stdout

    generated = legacy_tree(root, "app_async")
    apply(root, "app.main.routes.search")
    assert legacy_tree(root, "app_async") == generated
    assert legacy_tree(root, "app") == before


def test_blueprint_module_with_views_of_its_own(tmp_path: Path) -> None:
    """The defining module has migrated views too: its twin is a full twin (router and
    views); the nested blueprint it registers is not included there (a legacy Flask
    blueprint) but by the entry points, with its own prefix."""
    files = {**JOURNAL, "journal/api/__init__.py": (
        "from flask import Blueprint, jsonify\n\n"
        "from .admin import admin\n\n"
        "bp = Blueprint('api', __name__)\n"
        "bp.register_blueprint(admin)\n\n\n"
        "@bp.route('/ping')\n"
        "def ping():\n"
        "    return jsonify(pong=True)\n\n\n"
        "from journal.api import entries\n"
    )}
    root = project(tmp_path / "p", files)
    before = legacy_tree(root, "journal")
    apply(root, "journal.api.ping", "journal.api.entries.add_entry")
    init = (root / "journal_async" / "api" / "__init__.py").read_text()
    assert "bp = APIRouter()" in init and "def ping" in init
    assert "admin" not in init and "include_router" not in init
    main = (root / "journal_async" / "main.py").read_text()
    assert '(api.bp, "/api/v1"),' in main and "admin" not in main
    compare(root, tmp_path, "wsgi:journal:app", "asgi:journal_async.main:app",
            [("GET", "/api/v1/ping", {}, None), *JOURNAL_REQUESTS])
    assert legacy_tree(root, "journal") == before


def test_a_view_registered_from_the_blueprint_module_is_refused(tmp_path: Path) -> None:
    """``bp.add_url_rule('/x', view_func=handlers.x)`` in the blueprint's module: the
    twin of ``handlers`` could not declare the route on the router, so `apply` refuses
    (exit 2, one line, nothing written) instead of writing a twin no router includes."""
    root = project(tmp_path / "p", {
        "proj/__init__.py": ("from flask import Flask\n\nfrom proj.api import bp\n\n"
                             "app = Flask(__name__)\n"
                             "app.register_blueprint(bp, url_prefix='/api')\n"),
        "proj/api/__init__.py": ("from flask import Blueprint\n\nfrom proj.api import handlers"
                                 "\n\nbp = Blueprint('api', __name__)\n"
                                 "bp.add_url_rule('/x', view_func=handlers.x)\n"),
        "proj/api/handlers.py": "def x():\n    return {'x': 1}\n",
    })
    refused = runner.invoke(app, ["apply", "proj.api.handlers.x", "--root", str(root),
                                  "--write"])
    assert refused.exit_code == 2
    assert ("its views are declared on blueprint proj.api.bp, which proj.api.handlers does "
            "not import by name") in refused.stderr
    assert not (root / "proj_async").exists()
