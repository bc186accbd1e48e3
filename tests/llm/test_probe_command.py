"""``manage.py probe_llm`` calls each route once through the real clients and prints a table."""
from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from backend.llm.models import LLMCall
from tests.llm.fakes import server as fake

pytestmark = pytest.mark.django_db


def test_it_prints_one_line_per_route_of_the_tier(knobs, fake_bedrock, fake_anthropic) -> None:
    out = StringIO()
    call_command("probe_llm", "--tier", "fast", stdout=out)
    lines = out.getvalue().splitlines()[2:]
    assert len(lines) == 2
    assert "us.anthropic.claude-sonnet-4-6" in lines[0] and " ok " in lines[0]
    assert "claude-sonnet-4-6" in lines[1] and " ok " in lines[1]
    assert fake_bedrock.requests[0].body["inferenceConfig"]["maxTokens"] == 32
    assert set(LLMCall.objects.values_list("purpose", "outcome")) == {("probe", "ok")}


def test_a_failing_route_is_shown_and_fails_the_command(knobs, fake_bedrock, fake_anthropic) -> None:
    fake_bedrock.script(fake.access_denied())
    out = StringIO()
    with pytest.raises(CommandError, match="1 of 4 routes did not answer"):
        call_command("probe_llm", stdout=out)
    assert "llm_access_denied" in out.getvalue() and "Model access not enabled" in out.getvalue()


def test_an_unknown_tier_is_an_error(knobs) -> None:
    with pytest.raises(CommandError, match="No enabled route in tier 'apex'"):
        call_command("probe_llm", "--tier", "apex", stdout=StringIO())


def test_without_credentials_each_route_says_so_instead_of_a_traceback(knobs, monkeypatch) -> None:
    for name in ("ANTHROPIC_API_KEY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    out = StringIO()
    with pytest.raises(CommandError, match="4 of 4 routes did not answer"):
        call_command("probe_llm", stdout=out)
    assert out.getvalue().count("llm_access_denied") == 4
    assert "ANTHROPIC_API_KEY is not set" in out.getvalue() and "No AWS credentials" in out.getvalue()
