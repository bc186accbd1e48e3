"""The per-process snapshot of routing rows is reused until a database trigger says they changed."""
from __future__ import annotations

import pytest

from backend.llm import snapshot
from backend.llm.models import ConfigVersion, GatewaySettings, ModelCapability, ModelRoute, PurposeBinding, Tier

pytestmark = pytest.mark.django_db


def test_it_is_reused_while_nothing_changes(llm_routing) -> None:
    assert snapshot.current() is snapshot.current()


@pytest.mark.parametrize("write", [
    lambda: ModelRoute.objects.filter(tier__name="fast").update(max_tokens=10),
    lambda: Tier.objects.filter(name="fast").update(description="changed"),
    lambda: PurposeBinding.objects.filter(purpose="sql_generation").update(tier=Tier.objects.get(name="reasoning")),
    lambda: ModelCapability.objects.create(model_prefix="claude-haiku"),
    lambda: GatewaySettings.objects.update(breaker_failures=7),
    lambda: ModelRoute.objects.filter(tier__name="fast", position=1).delete(),
], ids=["route-update", "tier-update", "binding-update", "capability-insert", "settings-update", "route-delete"])
def test_any_write_to_a_routing_table_reloads_it(llm_routing, write) -> None:
    before = snapshot.current()
    write()
    assert snapshot.current() is not before


def test_a_ledger_write_does_not_reload_it(llm_routing) -> None:
    from backend.llm.models import LLMCall

    before = snapshot.current()
    LLMCall.objects.create(purpose="p", tier="t", provider="bedrock", requested_model="m", model_id="m", outcome="ok")
    assert snapshot.current() is before


def test_without_the_version_row_every_call_reads_afresh(llm_routing) -> None:
    ConfigVersion.objects.all().delete()
    assert snapshot.current() is not snapshot.current()


def test_triggers_dropped_by_a_table_rebuild_come_back_after_migrate(llm_routing) -> None:
    from django.core.management import call_command
    from django.db import connection

    from backend.llm.triggers import statements

    if connection.vendor != "sqlite":
        pytest.skip("SQLite rebuilds tables (and drops their triggers) on schema changes")
    with connection.cursor() as cursor:
        for statement in statements("sqlite"):
            cursor.execute(f"DROP TRIGGER IF EXISTS {statement.split()[5]}")
    call_command("migrate", "llm", verbosity=0)
    before = snapshot.current()
    ModelRoute.objects.filter(tier__name="fast").update(max_tokens=11)
    assert snapshot.current() is not before
