"""The LLM gateway: ``get_llm(purpose)`` and everything behind it.

Only this package imports an LLM SDK. Apps name the job they need done (a
purpose); which tier, provider and model serve it is decided here, at call time,
from rows an admin edits.
"""
from __future__ import annotations
