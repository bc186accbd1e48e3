"""Database triggers that change ``llm_configversion.version`` on any write to a routing table.

A random value (not a counter) so that a rolled-back write cannot make a later,
different state look like one a process already loaded (see ``snapshot.py``).
Installed by migration 0006 and again after every ``migrate``, because SQLite
drops a table's triggers when a later migration rebuilds that table.
"""
from __future__ import annotations

from typing import Any

TABLES = ["llm_tier", "llm_modelroute", "llm_purposebinding", "llm_modelcapability", "llm_gatewaysettings"]

_PG_FUNCTION = """
CREATE OR REPLACE FUNCTION llm_bump_config_version() RETURNS trigger AS $$
BEGIN
    UPDATE llm_configversion SET version = floor(random() * 9000000000000000000)::bigint;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
"""


def statements(vendor: str) -> list[str]:
    """Return the idempotent SQL that installs the triggers on ``vendor`` (none for other databases)."""
    if vendor == "sqlite":
        return [f"CREATE TRIGGER IF NOT EXISTS {table}_bump_{op.lower()} AFTER {op} ON {table} "
                f"BEGIN UPDATE llm_configversion SET version = random(); END;"
                for table in TABLES for op in ("INSERT", "UPDATE", "DELETE")]
    if vendor == "postgresql":
        return [_PG_FUNCTION] + [
            statement for table in TABLES for statement in (
                f"DROP TRIGGER IF EXISTS {table}_bump ON {table};",
                f"CREATE TRIGGER {table}_bump AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION llm_bump_config_version();")]
    return []


def install(connection: Any) -> bool:
    """Install the triggers on ``connection``; return False when its database is not supported."""
    sql = statements(connection.vendor)
    with connection.cursor() as cursor:
        for statement in sql:
            cursor.execute(statement)
    return bool(sql)


def reinstall_after_migrate(sender: Any, using: str = "default", plan: Any = None, **kwargs: Any) -> None:
    """``post_migrate`` receiver: put back triggers a table rebuild may have dropped."""
    from django.db import connections

    connection = connections[using]
    if "llm_configversion" in connection.introspection.table_names():
        install(connection)
