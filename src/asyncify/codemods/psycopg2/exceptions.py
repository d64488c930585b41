"""ASY304: ``except psycopg2.…`` in async code → the asyncpg exceptions raised in the same
situations, by SQLSTATE class, never by name (semantics.md §2g): ``psycopg2.errors.X`` →
``asyncpg.XError`` (or its renamed class, e.g. ``SerializationFailure`` →
``SerializationError``); the DB-API classes → the asyncpg classes of the same SQLSTATE
classes, plus the network errors psycopg2 wrapped in ``OperationalError``. In the handler,
``e.pgcode`` and ``e.diag.*`` become the asyncpg attributes (``None`` when absent, as
before); ``e.pgerror`` and ``PoolError`` (asyncpg waits instead) get a TODO.
"""

from __future__ import annotations

import libcst as cst

from .._rule import Example, Rule, register
from ._errors_table import RENAMED

_NET = ("asyncpg.ConnectionDoesNotExistError", "ConnectionError", "TimeoutError")
_OPERATIONAL = (
    "asyncpg.PostgresConnectionError", "asyncpg.InvalidSQLStatementNameError",
    "asyncpg.TriggeredDataChangeViolationError", "asyncpg.InvalidAuthorizationSpecificationError",
    "asyncpg.InvalidCursorNameError", "asyncpg.InsufficientResourcesError",
    "asyncpg.ProgramLimitExceededError", "asyncpg.ObjectNotInPrerequisiteStateError",
    "asyncpg.OperatorInterventionError", "asyncpg.PostgresSystemError", "asyncpg.FDWError",
    "asyncpg.TransactionRollbackError", *_NET,
)
DBAPI: dict[str, tuple[str, ...]] = {
    "Error": ("asyncpg.PostgresError", "asyncpg.InterfaceError", *_NET[1:]),
    "DatabaseError": ("asyncpg.PostgresError", *_NET),
    "OperationalError": _OPERATIONAL,
    "ProgrammingError": (
        "asyncpg.SyntaxOrAccessError", "asyncpg.CaseNotFoundError",
        "asyncpg.CardinalityViolationError", "asyncpg.InvalidCatalogNameError",
        "asyncpg.InvalidSchemaNameError", "asyncpg.WithCheckOptionViolationError"),
    "IntegrityError": ("asyncpg.IntegrityConstraintViolationError",),
    "DataError": ("asyncpg.DataError",),
    "InternalError": (
        "asyncpg.InvalidCursorStateError", "asyncpg.InvalidTransactionStateError",
        "asyncpg.DependentPrivilegeDescriptorsStillExistError",
        "asyncpg.InvalidTransactionTerminationError", "asyncpg.SQLRoutineError",
        "asyncpg.ExternalRoutineError", "asyncpg.ExternalRoutineInvocationError",
        "asyncpg.SavepointError", "asyncpg.ConfigFileError", "asyncpg.PLPGSQLError",
        "asyncpg.InternalServerError"),
    "NotSupportedError": ("asyncpg.FeatureNotSupportedError",),
    "InterfaceError": ("asyncpg.InterfaceError",),
    "TransactionRollbackError": ("asyncpg.TransactionRollbackError",),
    "QueryCanceledError": ("asyncpg.QueryCanceledError",),
}
_DIAG = {"constraint_name": "constraint_name", "message_primary": "message",
         "message_detail": "detail", "message_hint": "hint", "table_name": "table_name",
         "column_name": "column_name", "schema_name": "schema_name",
         "datatype_name": "data_type_name", "sqlstate": "sqlstate"}
_MODULES = ("psycopg2", "psycopg2.extensions", "psycopg2.errors")


def asyncpg_names(qualified: set[str]) -> tuple[str, ...] | None:
    for name in qualified:
        module, _, leaf = name.rpartition(".")
        if module in _MODULES and leaf in DBAPI:
            return DBAPI[leaf]
        if module == "psycopg2.errors" and leaf[:1].isupper():
            return (f"asyncpg.{RENAMED.get(leaf, leaf + 'Error')}",)
    return None


def _getattr(name: str, attr: str) -> cst.BaseExpression:
    return cst.parse_expression(f"getattr({name}, {attr!r}, None)")


class _Attributes(cst.CSTTransformer):
    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name

    def leave_Attribute(self, original: cst.Attribute, updated: cst.Attribute) -> (
            cst.BaseExpression):
        value = original.value
        if (isinstance(value, cst.Name) and value.value == self.name
                and original.attr.value == "pgcode"):
            return _getattr(self.name, "sqlstate")
        if (isinstance(value, cst.Attribute) and value.attr.value == "diag"
                and isinstance(value.value, cst.Name) and value.value.value == self.name
                and original.attr.value in _DIAG):
            return _getattr(self.name, _DIAG[original.attr.value])
        return updated


@register
class ExceptionMapping(Rule):
    id = "ASY304"
    title = "except clauses for psycopg2 exceptions inside async code catch the asyncpg ones"
    gate = frozenset({"psycopg2"})
    triggers = frozenset({"except"})
    examples = (
        Example(
            "import psycopg2\n\ndef f():\n    try:\n        pass\n"
            "    except psycopg2.IntegrityError:\n        pass\n",
            "import psycopg2\n\ndef f():\n    try:\n        pass\n"
            "    except psycopg2.IntegrityError:\n        pass\n",
            why="sync code keeps psycopg2",
        ),
        Example(
            "from psycopg2 import errors\n\nasync def add(conn):\n    try:\n        pass\n"
            "    except errors.UniqueViolation as exc:\n"
            "        return exc.diag.constraint_name, exc.pgcode\n"
            "    except errors.SerializationFailure:\n        return None\n",
            "from psycopg2 import errors\nimport asyncpg\n\nasync def add(conn):\n"
            "    try:\n        pass\n    except asyncpg.UniqueViolationError as exc:\n"
            "        return getattr(exc, 'constraint_name', None), "
            "getattr(exc, 'sqlstate', None)\n"
            "    except asyncpg.SerializationError:\n        return None\n",
        ),
        Example(
            "import psycopg2\n\nasync def add(conn):\n    try:\n        pass\n"
            "    except (psycopg2.DataError, ValueError):\n        return 400\n",
            "import psycopg2\nimport asyncpg\n\nasync def add(conn):\n    try:\n        pass\n"
            "    except (asyncpg.DataError, ValueError):\n        return 400\n",
        ),
    )

    def leave_ExceptHandler(
        self, original: cst.ExceptHandler, updated: cst.ExceptHandler
    ) -> cst.ExceptHandler:
        if not self.p.in_async() or original.type is None or updated.type is None:
            return updated
        originals = (
            [e.value for e in original.type.elements]
            if isinstance(original.type, cst.Tuple) else [original.type]
        )
        names: list[str] = []
        mapped = False
        for kind in originals:
            qualified = self.p.qualified(kind)
            if "psycopg2.pool.PoolError" in qualified:
                marked = self.p.marked(self.id, original, "asyncpg never raises PoolError: "
                                       "an exhausted pool waits (pass acquire(timeout=…))",
                                       updated)
                assert isinstance(marked, cst.ExceptHandler)
                return marked
            found = asyncpg_names(qualified)
            mapped |= found is not None
            names.extend(found or [cst.Module([]).code_for_node(kind)])
        if not mapped:
            return updated
        self.p.need_import("asyncpg")
        unique = list(dict.fromkeys(names))
        text = unique[0] if len(unique) == 1 else "(" + ", ".join(unique) + ")"
        result = updated.with_changes(type=cst.parse_expression(text))
        self.p.changed(self.id)
        bound = updated.name.name if updated.name is not None else None
        if isinstance(bound, cst.Name):
            attributes = _Attributes(bound.value)
            body = result.body.visit(attributes)
            assert isinstance(body, cst.BaseSuite)
            result = result.with_changes(body=body)
            left = {a for n, a in _attrs(body) if n == bound.value}
            if left & {"pgerror", "cursor", "diag"}:
                marked = self.p.marked(self.id, original, "e.pgerror/e.cursor/e.diag have "
                                       "no asyncpg equivalent (use str(e), e.detail, e.hint)",
                                       result)
                assert isinstance(marked, cst.ExceptHandler)
                result = marked
        return result


def _attrs(node: cst.CSTNode) -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()

    class Finder(cst.CSTVisitor):
        def visit_Attribute(self, n: cst.Attribute) -> None:
            if isinstance(n.value, cst.Name):
                found.add((n.value.value, n.attr.value))

    node.visit(Finder())
    return found
