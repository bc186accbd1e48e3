"""Install the routing-version triggers (``backend/llm/triggers.py``) and the version row."""
from __future__ import annotations

from typing import Any

from django.db import migrations

from backend.llm.triggers import install


def install_triggers(apps: Any, schema_editor: Any) -> None:
    if not install(schema_editor.connection):
        return  # no triggers: no version row either, so every call reads the rows afresh
    apps.get_model("llm", "ConfigVersion").objects.create(id=1, version=1)


class Migration(migrations.Migration):
    dependencies = [("llm", "0005_config_version")]
    operations = [migrations.RunPython(install_triggers, migrations.RunPython.noop)]
