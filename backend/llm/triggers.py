"""The triggers that change ``llm_configversion.version`` on any write to a routing table (see
``backend.version_triggers``). Installed by migration 0006 and again after every ``migrate``."""
from __future__ import annotations

from typing import Any

from backend.version_triggers import VersionTriggers

TABLES = ("llm_tier", "llm_modelroute", "llm_purposebinding", "llm_modelcapability", "llm_gatewaysettings")
ROUTING = VersionTriggers(version_table="llm_configversion", function="llm_bump_config_version", tables=TABLES)


def statements(vendor: str) -> list[str]:
    return ROUTING.statements(vendor)


def install(connection: Any) -> bool:
    return ROUTING.install(connection)


reinstall_after_migrate = ROUTING.reinstall_after_migrate
