"""The triggers that change ``sql_gen_catalogversion.version`` on any write to the data sources, the
dictionary, the value index or the metrics (see ``backend.version_triggers``). Installed by migration
0007 and again after every ``migrate``."""
from __future__ import annotations

from backend.version_triggers import VersionTriggers

CATALOG = VersionTriggers(
    version_table="sql_gen_catalogversion", function="sql_gen_bump_catalog_version",
    tables=("sql_gen_datasource", "sql_gen_dictionarytable", "sql_gen_dictionarycolumn", "sql_gen_dimensionvalue",
            "sql_gen_computeddimension", "sql_gen_metricdefinition"),
)
