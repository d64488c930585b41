"""ASY406: relationships that lazy-load get a TODO: under asyncio a lazy load raises
``MissingGreenlet`` wherever the attribute is touched (serializers, templates, ``__repr__``).

The rule cannot know the access paths, so it does not guess a loader: it marks every
``relationship(...)`` whose loading is lazy (no ``lazy=``, ``"select"``, ``True``,
``"dynamic"``). The fixes, by preference: ``.options(selectinload(Model.attr))`` on the
queries whose results are serialized; ``lazy="selectin"`` on the relationship;
``await obj.awaitable_attrs.attr`` (the model needs ``AsyncAttrs``); ``lazy="raise"`` to make
the tests find the remaining accesses.
"""

from __future__ import annotations

import libcst as cst

from .._rule import Example, Rule, register
from ._chain import keyword

_EAGER = {"selectin", "joined", "subquery", "immediate", "raise", "raise_on_sql", "noload",
          "write_only"}
_MESSAGE = ("a lazy relationship raises MissingGreenlet under asyncio when read: load it "
            "with .options(selectinload(...)) at the query, lazy=\"selectin\", or await "
            "obj.awaitable_attrs.{name}")


@register
class LazyRelationships(Rule):
    id = "ASY406"
    title = ("relationship() attributes that lazy-load get a TODO: under asyncio a lazy load "
             "raises MissingGreenlet (selectinload, lazy='selectin' or awaitable_attrs)")
    triggers = frozenset({"relationship("})
    async_only = False
    examples = (
        Example(
            "from sqlalchemy.orm import relationship\n\nclass Note(Base):\n"
            "    tags = relationship('Tag', lazy='selectin')\n",
            "from sqlalchemy.orm import relationship\n\nclass Note(Base):\n"
            "    tags = relationship('Tag', lazy='selectin')\n",
            why="loaded eagerly: no lazy load to trip over",
        ),
        Example(
            "def relationship(*names):\n    return names\n\nclass Family:\n"
            "    members = relationship('ann', 'bob')\n",
            "def relationship(*names):\n    return names\n\nclass Family:\n"
            "    members = relationship('ann', 'bob')\n",
            why="not SQLAlchemy's relationship()",
        ),
        Example(
            "from .extensions import db\n\nclass Note(db.Model):\n"
            "    tags = db.relationship('Tag', secondary=note_tags)\n",
            "from .extensions import db\n\nclass Note(db.Model):\n"
            "    # TODO[asyncify ASY406]: " + _MESSAGE.format(name="tags") + " — "
            "https://asyncify.readthedocs.io/en/latest/rules/#asy406\n"
            "    tags = db.relationship('Tag', secondary=note_tags)\n",
        ),
    )

    def leave_Call(self, original: cst.Call,
                   updated: cst.BaseExpression) -> cst.BaseExpression:
        if not isinstance(updated, cst.Call):
            return updated  # another rule replaced it
        func = original.func
        names = self.p.qualified(func)
        sqlalchemy = any(n in {"sqlalchemy.orm.relationship", "sqlalchemy.orm.relation"}
                         for n in names)
        flask_db = (isinstance(func, cst.Attribute) and func.attr.value == "relationship"
                    and isinstance(func.value, cst.Name) and func.value.value == "db")
        if not (sqlalchemy or flask_db):
            return updated
        lazy = keyword(original, "lazy")
        if lazy is not None and isinstance(lazy.value, cst.SimpleString) and (
                lazy.value.evaluated_value in _EAGER):
            return updated
        statement = self.p.ancestor(1)
        name = "<attribute>"
        if isinstance(statement, cst.Assign) and isinstance(statement.targets[0].target,
                                                            cst.Name):
            name = statement.targets[0].target.value
        elif isinstance(statement, cst.AnnAssign) and isinstance(statement.target, cst.Name):
            name = statement.target.value
        self.p.todo(self.id, original, _MESSAGE.format(name=name))
        return updated
