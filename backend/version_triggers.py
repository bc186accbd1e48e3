"""A version row that database triggers change on any write to a set of tables.

A process that keeps rows in memory (the routing rows, the data dictionary) reads one value per use
and reloads only when it changed: an admin edit, an ``update()`` or raw SQL reaches every process on
its next use, at the price of one tiny query. The value is random, not a counter, so that a
rolled-back write cannot make a later, different state look like one a process already loaded.

The triggers are installed by a migration and again after every ``migrate``, because SQLite drops a
table's triggers when a later migration rebuilds that table.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

# Versions read once for the rest of a scope (``VersionTriggers.pinned``), by (version table, database alias).
_pins: ContextVar[dict[tuple[str, str], int | None] | None] = ContextVar("version_pins", default=None)
# Version tables pinned together (``pinned_together``): the first read of one reads them all, in one query.
_together: ContextVar[tuple[str, ...]] = ContextVar("version_pins_together", default=())


@dataclass(frozen=True)
class VersionTriggers:
    """Triggers on ``tables`` that set ``version_table``'s one row (id 1) to a new random version."""

    version_table: str
    function: str  # the PostgreSQL trigger function's name
    tables: tuple[str, ...]

    def statements(self, vendor: str) -> list[str]:
        """Return the idempotent SQL that installs the triggers on ``vendor`` (none for other databases)."""
        if vendor == "sqlite":
            return [f"CREATE TRIGGER IF NOT EXISTS {table}_bump_{op.lower()} AFTER {op} ON {table} "
                    f"BEGIN UPDATE {self.version_table} SET version = random(); END;"
                    for table in self.tables for op in ("INSERT", "UPDATE", "DELETE")]
        if vendor == "postgresql":
            function = (f"CREATE OR REPLACE FUNCTION {self.function}() RETURNS trigger AS $$\nBEGIN\n"
                        f"    UPDATE {self.version_table} SET version = floor(random() * 9000000000000000000)::bigint;\n"
                        "    RETURN NULL;\nEND;\n$$ LANGUAGE plpgsql;")
            return [function] + [
                statement for table in self.tables for statement in (
                    f"DROP TRIGGER IF EXISTS {table}_bump ON {table};",
                    f"CREATE TRIGGER {table}_bump AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
                    f"FOR EACH STATEMENT EXECUTE FUNCTION {self.function}();")]
        return []

    def install(self, connection: Any) -> bool:
        """Install the triggers on ``connection``; return False when its database is not supported."""
        sql = self.statements(connection.vendor)
        with connection.cursor() as cursor:
            for statement in sql:
                cursor.execute(statement)
        return bool(sql)

    def uninstall(self, connection: Any) -> None:
        """Drop the triggers (before the version table goes: a migration taken back)."""
        with connection.cursor() as cursor:
            for table in self.tables:
                if connection.vendor == "sqlite":
                    for op in ("insert", "update", "delete"):
                        cursor.execute(f"DROP TRIGGER IF EXISTS {table}_bump_{op}")
                elif connection.vendor == "postgresql":
                    cursor.execute(f"DROP TRIGGER IF EXISTS {table}_bump ON {table}")

    def reinstall_after_migrate(self, sender: Any, using: str = "default", plan: Any = None, **kwargs: Any) -> None:
        """``post_migrate`` receiver: put back triggers a table rebuild may have dropped."""
        from django.db import connections

        connection = connections[using]
        if self.version_table in connection.introspection.table_names():
            self.install(connection)

    def read(self, connection: Any) -> int | None:
        """Return the current version, None without the row (no triggers: the caller reloads every time).
        Inside ``pinned``, the version read first in the scope."""
        pins, key = _pins.get(), (self.version_table, connection.alias)
        if pins is not None and key in pins:
            return pins[key]
        together = _together.get()
        tables = [t for t in together if (t, connection.alias) not in pins] if pins is not None and \
            self.version_table in together else [self.version_table]
        with connection.cursor() as cursor:
            cursor.execute("SELECT " + ", ".join(f"(SELECT version FROM {t} WHERE id = 1)" for t in tables))
            versions = cursor.fetchone()
        if pins is not None:
            pins.update({(t, connection.alias): v for t, v in zip(tables, versions, strict=True)})
        return versions[tables.index(self.version_table)]

    @contextmanager
    def pinned(self) -> Iterator[None]:
        """Read the version at most once per database within the scope (of this context: other threads
        read their own). One pipeline step reads the dictionary several times; an edit landing meanwhile
        reaches the next step, which is as soon as a step could use it whole."""
        outer = _pins.get()
        token = _pins.set(dict(outer) if outer is not None else {})
        try:
            yield
        finally:
            _pins.reset(token)


@contextmanager
def pinned_together(*triggers: VersionTriggers) -> Iterator[None]:
    """Pin each of ``triggers`` as ``pinned`` does, and read all their versions in one query the first time
    any of them is read in the scope: a pipeline step reads the dictionary's and the routing's."""
    outer = _pins.get()
    token = _pins.set(dict(outer) if outer is not None else {})
    together = _together.set((*_together.get(), *(t.version_table for t in triggers)))
    try:
        yield
    finally:
        _together.reset(together)
        _pins.reset(token)
