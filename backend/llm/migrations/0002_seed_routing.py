from __future__ import annotations

from django.db import migrations

from backend.llm.seed import seed_tiers


class Migration(migrations.Migration):
    dependencies = [("llm", "0001_initial")]
    operations = [migrations.RunPython(seed_tiers, migrations.RunPython.noop)]
