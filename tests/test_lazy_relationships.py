"""Lazy ORM attribute loads, seen by ``plan`` and ``check`` through the catalog's
``[[attribute]]`` table (codemods/sqlalchemy.toml): reading ``note.tags`` where ``tags =
relationship(...)`` loads lazily is a database operation, reported where it is read and
attributed to the endpoint that reaches it. Each case is a small Flask project on SQLAlchemy.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from asyncify import api
from asyncify._catalog import load_catalog
from asyncify._summary import summarize
from asyncify.errors import CatalogError

APP = """
from flask import Flask
from .views import bp

app = Flask(__name__)
app.register_blueprint(bp)
"""

MODELS = """
from sqlalchemy import ForeignKey, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, deferred, mapped_column, relationship


class Base(DeclarativeBase):
    pass


class Author(Base):
    __tablename__ = "authors"
    id: Mapped[int] = mapped_column(primary_key=True)
    bio: Mapped[str] = mapped_column(Text, deferred=True)
    books: Mapped[list["Book"]] = relationship(back_populates="author")
    eager_books: Mapped[list["Book"]] = relationship(lazy="selectin", viewonly=True)
    joined_books: Mapped[list["Book"]] = relationship(lazy="joined", viewonly=True)
    guarded_books: Mapped[list["Book"]] = relationship(lazy="raise", viewonly=True)
    query_books = relationship("Book", lazy="dynamic", viewonly=True)

    def titles(self):
        return [b.title for b in self.books]


class Book(Base):
    __tablename__ = "books"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str]
    author_id: Mapped[int] = mapped_column(ForeignKey("authors.id"))
    author: Mapped[Author] = relationship(back_populates="books", lazy=True)
    blurb = deferred(mapped_column(Text))
"""

SERIALIZERS = """
from .models import Author, Book


def author_json(author: Author):
    return {"id": author.id, "books": [b.id for b in author.books]}


def book_json(book: Book):
    return {"id": book.id, "author": book.author.id, "again": book.author.id}


def eager_json(author: Author):
    return [b.id for b in author.eager_books] + [b.id for b in author.joined_books]


def guarded_json(author: Author):
    return [b.id for b in author.guarded_books]


def untyped_json(author):
    return [b.id for b in author.books]
"""

VIEWS = """
from flask import Blueprint
from sqlalchemy.orm import Session

from .models import Author, Book
from .serializers import author_json, book_json, eager_json, guarded_json, untyped_json

bp = Blueprint("views", __name__)
session = Session()


@bp.get("/authors/<int:id>")
def author(id):
    return author_json(session.get(Author, id))


@bp.get("/books/<int:id>")
def book(id):
    found = session.get(Book, id)
    return {"book": book_json(found), "blurb": found.blurb}


@bp.get("/eager/<int:id>")
def eager(id):
    return {"eager": eager_json(session.get(Author, id))}


@bp.get("/guarded/<int:id>")
def guarded(id):
    return {"books": guarded_json(session.get(Author, id))}


@bp.get("/untyped/<int:id>")
def untyped(id):
    return {"books": untyped_json(session.get(Author, id))}


@bp.get("/dynamic/<int:id>")
def dynamic(id):
    author = session.get(Author, id)
    return {"count": author.query_books.count(), "bio": author.bio, "titles": author.titles()}


@bp.get("/later/<int:id>")
def later(id):
    author = session.get(Author, id)
    return {"books": lambda: author.books}
"""


@pytest.fixture
def project(write_project) -> Path:
    root: Path = write_project({
        "shelf/__init__.py": APP, "shelf/models.py": MODELS,
        "shelf/serializers.py": SERIALIZERS, "shelf/views.py": VIEWS,
    })
    return root


def _reads(planner, data, endpoint: str) -> list[tuple[str, str, int]]:
    return [op for op in planner.operations(data, endpoint) if op[0].startswith("shelf.")]


def test_default_lazy_read_through_a_serializer_is_db_io(project, planner) -> None:
    data = planner.plan(project)
    assert _reads(planner, data, "shelf.views.author") == [
        ("shelf.models.Author.books", "shelf/serializers.py", 5)]
    found = next(b for b in planner.endpoint(data, "shelf.views.author")["blocking"]
                 if b["operation"] == "shelf.models.Author.books")
    assert found["category"] == "db" and found["confidence"] == "resolved"
    assert found["call"] == "shelf.models.Author.books"
    assert "selectinload" in found["replacement"] and "MissingGreenlet" in found["note"]
    assert [(s["function"], s["line"]) for s in found["path"]] == [
        ("shelf.views.author", 13), ("shelf.serializers.author_json", 5)]
    assert found["col"] == 54  # where ``author.books`` starts
    assert found["in_loop"] is False  # a comprehension's first iterable is read once


def test_lazy_true_counts_once_per_object(project, planner) -> None:
    """``lazy=True`` is ``"select"``; the second ``book.author`` reads the loaded object.
    ``deferred(...)`` columns load on read too."""
    data = planner.plan(project)
    assert _reads(planner, data, "shelf.views.book") == [
        ("shelf.models.Book.author", "shelf/serializers.py", 9),
        ("shelf.models.Book.blurb", "shelf/views.py", 19),
    ]


def test_eager_and_raising_strategies_are_not_reported(project, planner) -> None:
    data = planner.plan(project)
    assert _reads(planner, data, "shelf.views.eager") == []  # selectin, joined: loaded
    assert _reads(planner, data, "shelf.views.guarded") == []  # raise: never queries


def test_unknown_receiver_type_is_not_reported(project, planner) -> None:
    data = planner.plan(project)
    assert _reads(planner, data, "shelf.views.untyped") == []


def test_dynamic_gives_a_query_and_self_reads_count(project, planner) -> None:
    """``lazy="dynamic"`` reads give a Query (its ``count()`` is the I/O); a model method
    reading ``self.books`` loads it; ``mapped_column(deferred=True)`` loads on read."""
    data = planner.plan(project)
    operations = planner.operations(data, "shelf.views.dynamic")
    assert ("sqlalchemy.orm.Query.count", "shelf/views.py", 40) in operations
    assert _reads(planner, data, "shelf.views.dynamic") == [
        ("shelf.models.Author.bio", "shelf/views.py", 40),
        ("shelf.models.Author.books", "shelf/models.py", 20),
    ]


def test_reads_inside_a_lambda_are_not_run_there(project, planner) -> None:
    data = planner.plan(project)
    assert _reads(planner, data, "shelf.views.later") == []


def test_check_flags_lazy_reads_reached_from_async_def(write_project) -> None:
    root = write_project({
        "shelf/__init__.py": "", "shelf/models.py": MODELS,
        "shelf/serializers.py": SERIALIZERS,
        "shelf/api.py": (
            "from .models import Author\n"
            "from .serializers import author_json, eager_json\n\n\n"
            "async def direct(author: Author):\n"
            "    return len(author.books)\n\n\n"
            "async def helper(author: Author):\n"
            "    return author_json(author)\n\n\n"
            "async def fine(author: Author):\n"
            "    return eager_json(author), await author.awaitable_attrs.books\n"
        ),
    })
    found = api.check(root, use_cache=False).findings
    got = sorted((f.rule, f.path, f.line) for f in found)
    assert got == [("ASY606", "shelf/api.py", 6), ("ASY610", "shelf/api.py", 10)]
    direct = next(f for f in found if f.rule == "ASY606")
    assert "db read shelf.models.Author.books (lazy relationship load)" in direct.message
    via = next(f for f in found if f.rule == "ASY610")
    assert "at shelf/serializers.py:5" in via.message
    assert [s.line for s in via.steps] == [10, 5]


def test_constructor_imported_under_another_name(write_project, planner) -> None:
    root = write_project({
        "shelf/__init__.py": APP,
        "shelf/models.py": (
            "from sqlalchemy.orm import DeclarativeBase\n"
            "from sqlalchemy.orm import relationship as rel\n\n\n"
            "class Base(DeclarativeBase):\n    pass\n\n\n"
            "class Shelf(Base):\n    __tablename__ = 'shelves'\n"
            "    items = rel('Item')\n"
        ),
        "shelf/views.py": (
            "from flask import Blueprint\n\nfrom .models import Shelf\n\n"
            "bp = Blueprint('views', __name__)\n\n\n"
            "@bp.get('/')\n"
            "def shelf():\n"
            "    return {'n': len(Shelf().items)}\n"
        ),
    })
    data = planner.plan(root)
    assert _reads(planner, data, "shelf.views.shelf") == [
        ("shelf.models.Shelf.items", "shelf/views.py", 10)]


def test_summary_records_reads_not_called_attributes() -> None:
    summary = summarize("def f(a):\n    a.session.commit()\n    return a.tags, (lambda: a.x)\n")
    reads = [(ref[2], line, col) for ref, line, col, _ in summary.functions["f"].reads]
    assert reads == [("session", 2, 5), ("tags", 3, 12)]


def test_catalog_attribute_table_is_checked(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[[attribute]]\nconstructors = ["x.rel"]\ncategory = "db"\nloads = [[1]]\n')
    with pytest.raises(CatalogError, match=r"bad.toml \[\[attribute\]\] #1: 'keyword'"):
        load_catalog([bad])
    good = tmp_path / "good.toml"
    good.write_text('[[attribute]]\nconstructors = ["acme.orm.link"]\ncategory = "db"\n'
                    'keyword = "mode"\ndefault = "lazy"\nloads = ["lazy"]\n')
    spec = load_catalog([good]).attribute("acme.orm.link")
    assert spec is not None
    assert spec.loads_on_read(()) and spec.loads_on_read((("mode", ("n", "variable")),))
    assert not spec.loads_on_read((("mode", ("k", "eager")),))
