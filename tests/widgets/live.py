"""A fake model for live-mode pipeline tests: it answers each request the way the offline model would.

The real boto3 (or anthropic) client sends each step's request to the local fake server; the fake reads
the wire format back into the step's context, prompt and corrections, and returns what the step's own
offline answer makes of them. So a test exercises live mode end to end — wire formats, stop reasons,
the ledger — with answers that fit the warehouse.
"""
from __future__ import annotations

import json
from typing import Any

from backend.llm.types import OfflineQuery
from sql_gen.services.generate import SQL
from tests.llm.fakes.server import Received
from widgets.services.clarifier import CLARIFY
from widgets.services.custom import COMPONENT
from widgets.services.refine import REFINE
from widgets.services.spec import SPEC

STEPS = {step.tool.name: step for step in (CLARIFY, REFINE, SPEC, COMPONENT, SQL)}


def tool_of(received: Received) -> str:
    body = received.body
    if "toolConfig" in body:
        return body["toolConfig"]["tools"][0]["toolSpec"]["name"]
    return body["tools"][0]["name"]


def query_of(received: Received) -> OfflineQuery:
    """Return what a step's offline answer reads, from a Converse or Messages request body."""
    body, corrections = received.body, []
    if "toolConfig" in body:  # Converse
        prompt = body["messages"][0]["content"][0]["text"]
        for message in body["messages"][2::2]:
            block = message["content"][0]
            corrections.append(block["toolResult"]["content"][0]["text"] if "toolResult" in block else block["text"])
    else:  # Messages
        prompt = body["messages"][0]["content"]
        for message in body["messages"][2::2]:
            content = message["content"]
            corrections.append(content[0]["content"] if isinstance(content, list) else content)
    return OfflineQuery(context=json.loads(body["system"][1]["text"]), prompt=json.loads(prompt),
                        corrections=corrections)


def answer(received: Received) -> dict[str, Any]:
    """The payload the step's offline answer gives for this request."""
    return STEPS[tool_of(received)].offline(query_of(received))
