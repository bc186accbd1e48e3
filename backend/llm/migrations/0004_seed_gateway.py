from __future__ import annotations

from django.db import migrations

from backend.llm.seed import seed_gateway


class Migration(migrations.Migration):
    dependencies = [("llm", "0003_gateway_resilience")]
    operations = [migrations.RunPython(seed_gateway, migrations.RunPython.noop)]
