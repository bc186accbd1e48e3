"""Queries in a box: every statement on a warehouse runs in a small pool of worker processes under
OS limits (CPU, address space, no file writes), watched from the web process for time, resident
memory and output size. A statement that passes a limit kills only its worker, which is replaced.

Apps use ``sql_gen.services.execute``; this package knows nothing of Django or data sources.
"""
from __future__ import annotations

from sql_gen.box.pool import box_call, box_pool, box_shutdown
from sql_gen.box.process import Retired, grace_s
from sql_gen.box.protocol import BoxFailure, Limits, Target

__all__ = ["BoxFailure", "Limits", "Retired", "Target", "box_call", "box_pool", "box_shutdown", "grace_s"]
