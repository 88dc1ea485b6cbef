"""SQL constructs that compile differently on SQLite and PostgreSQL, for the filter language.

Kept apart from `store.alert_filter`, which says what each qualifier selects: these say how a
comparison is spelled so that each database plans it well (a scan instead of an index walk on
SQLite, LIKE without lower() calls, NOCASE instead of lower() per row).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Boolean, ColumnElement, String, func, literal
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement


class Scan(FunctionElement[Any]):
    """A column that SQLite should read by scanning the table rather than through an index."""

    name = "scan"
    inherit_cache = True


@compiles(Scan)
def _compile_scan(element: Scan, compiler: SQLCompiler, **kw: Any) -> str:
    return str(compiler.process(element.clauses, **kw))


@compiles(Scan, "sqlite")
def _compile_scan_sqlite(element: Scan, compiler: SQLCompiler, **kw: Any) -> str:
    # Unary + is a no-op on any SQLite value that makes the term unusable for an index.
    return "+" + str(compiler.process(element.clauses, **kw))


def scan(column: ColumnElement[Any]) -> ColumnElement[Any]:
    """`column`, read by scanning on SQLite (see the module docstring); plain elsewhere."""
    element = Scan(column)
    element.type = column.type
    return element


class Contains(FunctionElement[bool]):
    """Case-insensitive substring match: SQLite's LIKE already ignores ASCII case (its lower()
    folds nothing more), so it skips the lower() calls that SQLAlchemy's `icontains` adds."""

    name = "contains_text"
    inherit_cache = True
    type = Boolean()


@compiles(Contains)
def _compile_contains(element: Contains, compiler: SQLCompiler, **kw: Any) -> str:
    column, pattern = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"({column} ILIKE {pattern} ESCAPE '/')"


@compiles(Contains, "sqlite")
def _compile_contains_sqlite(element: Contains, compiler: SQLCompiler, **kw: Any) -> str:
    column, pattern = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"({column} LIKE {pattern} ESCAPE '/')"


def contains(column: ColumnElement[Any], word: str) -> ColumnElement[bool]:
    escaped = word.replace("/", "//").replace("%", "/%").replace("_", "/_")
    return Contains(column, literal(f"%{escaped}%", String()))


class LowerIn(FunctionElement[bool]):
    """`lower(column) IN (values)`, the values lower-cased already. SQLite's lower() folds ASCII
    letters only, as its NOCASE collation does: `column COLLATE NOCASE IN (…)` there selects the
    same rows without a function call per row (a third faster over a million alerts)."""

    name = "lower_in"
    inherit_cache = True
    type = Boolean()


@compiles(LowerIn)
def _compile_lower_in(element: LowerIn, compiler: SQLCompiler, **kw: Any) -> str:
    column, values = element.clauses
    return str(compiler.process(func.lower(column).in_(values), **kw))


@compiles(LowerIn, "sqlite")
def _compile_lower_in_sqlite(element: LowerIn, compiler: SQLCompiler, **kw: Any) -> str:
    column, values = element.clauses
    return str(compiler.process(column.collate("NOCASE").in_(values), **kw))
