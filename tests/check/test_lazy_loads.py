"""``asyncify check`` on a Flask-SQLAlchemy project turning async: a lazy relationship read
(``db.relationship`` without ``lazy=``) reached from ``async def`` — directly, or through a
sync serializer — is a finding, through the real command line; an eager one is not."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

MODELS = """\
from flask_sqlalchemy import SQLAlchemy

db = SQLAlchemy()


class User(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    notebooks = db.relationship("Notebook", back_populates="owner")
    pinned = db.relationship("Notebook", lazy="selectin", viewonly=True)


class Notebook(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    owner_id = db.Column(db.ForeignKey("user.id"))
    owner = db.relationship(User, back_populates="notebooks")
"""

SERIALIZERS = """\
from .models import Notebook


def notebook_json(notebook: Notebook):
    return {"id": notebook.id, "owner": notebook.owner.id}
"""

VIEWS = """\
from .models import User, db
from .serializers import notebook_json


async def user_detail(user_id):
    user = db.get_or_404(User, user_id)
    return [nb.id for nb in user.notebooks]


async def notebooks(user: User):
    return [notebook_json(nb) for nb in user.pinned]
"""


def test_lazy_reads_reached_from_async_def_are_findings(tmp_path: Path) -> None:
    package = tmp_path / "app"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "models.py").write_text(MODELS)
    (package / "serializers.py").write_text(SERIALIZERS)
    (package / "views.py").write_text(VIEWS)
    out = subprocess.run(
        [sys.executable, "-m", "asyncify", "check", str(tmp_path), "--no-cache",
         "--format", "json"], capture_output=True, text=True, timeout=120,
    )
    assert out.returncode == 1, out.stderr
    data = json.loads(out.stdout)
    found = data["findings"] if isinstance(data, dict) else data
    got = sorted((f["rule"], f["path"], f["line"]) for f in found)
    assert got == [
        ("ASY606", "app/views.py", 6),  # db.get_or_404
        ("ASY606", "app/views.py", 7),  # user.notebooks: lazy
        ("ASY610", "app/views.py", 11),  # notebook_json reads notebook.owner
    ]  # user.pinned (lazy="selectin") is not a finding
    messages = {f["line"]: f["message"] for f in found if f["rule"] == "ASY606"}
    assert "db read app.models.User.notebooks (lazy relationship load)" in messages[7]
    assert "selectinload" in messages[7]
    via = next(f for f in found if f["rule"] == "ASY610")
    assert "app.models.Notebook.owner" in via["message"]
    assert "app/serializers.py:5" in via["message"]
