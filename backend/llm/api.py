"""The gateway's front door: everything an app may use of ``backend.llm``, and nothing else.

Apps import only this module (``make test`` checks it with import-linter); the rest of the package
is the gateway's own business. (Not the package ``__init__``: importing models there would break
Django's app loading.)
"""
from __future__ import annotations

from backend.llm.answers import unfence
from backend.llm.config import builder_mode
from backend.llm.conversation import correction_turn
from backend.llm.gateway import InvalidAnswer, get_llm
from backend.llm.ledger import CallContext
from backend.llm.models import Purpose
from backend.llm.selectors import (
    LedgerCall,
    RouteChoice,
    route_choices,
    route_exists,
    route_label,
    widget_request_calls,
    widget_request_spend,
    widget_requests_spend,
)
from backend.llm.steps import LLMStep, Prompt
from backend.llm.triggers import ROUTING
from backend.llm.types import LLMError, LLMRequest, OfflineQuery, Tool, Turn

__all__ = [
    "CallContext", "InvalidAnswer", "LedgerCall", "LLMError", "LLMRequest", "LLMStep", "OfflineQuery", "Prompt", "Purpose",
    "ROUTING", "RouteChoice", "Tool", "Turn", "builder_mode", "correction_turn", "get_llm", "route_choices", "route_exists",
    "route_label", "unfence",
    "widget_request_calls", "widget_request_spend", "widget_requests_spend",
]
