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
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT version FROM {self.version_table} WHERE id = 1")
            row = cursor.fetchone()
        version = row[0] if row else None
        if pins is not None:
            pins[key] = version
        return version

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
