"""Daily spend caps, counted from the call ledger so they survive restarts."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Sum
from django.utils import timezone

from backend.llm.models import GatewaySettings, LLMCall

OK, DEGRADE, REFUSE = "ok", "degrade", "refuse"


@dataclass(frozen=True)
class Verdict:
    kind: str
    message: str = ""


def spend_today(*, user_id: int | None = None) -> Decimal:
    """Return the USD spent since midnight UTC, by everyone or by one user."""
    midnight = timezone.now().astimezone(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    calls = LLMCall.objects.filter(created_at__gte=midnight)
    if user_id is not None:
        calls = calls.filter(user_id=user_id)
    return calls.aggregate(total=Sum("cost_usd"))["total"] or Decimal("0")


def budget_verdict(*, knobs: GatewaySettings, user_id: int | None) -> Verdict:
    """Return whether a call may run (``ok``), should run on a cheaper tier, or is refused.

    The ledger is read only for caps that are set, so an install without caps pays nothing.
    """
    scopes = [("today's spend", None, knobs.daily_soft_cap_usd, knobs.daily_hard_cap_usd)]
    if user_id is not None:
        scopes.append(("your spend today", user_id, knobs.user_daily_soft_cap_usd, knobs.user_daily_hard_cap_usd))
    verdict = Verdict(OK)
    for label, scope_user, soft, hard in scopes:
        if soft is None and hard is None:
            continue
        spent = spend_today(user_id=scope_user)
        if hard is not None and spent >= hard:
            return Verdict(REFUSE, f"Generation is paused: {label} (${spent:.2f}) reached the daily cap of "
                                   f"${hard:.2f}. It resets at midnight UTC, or an admin can raise the cap.")
        if soft is not None and spent >= soft:
            verdict = Verdict(DEGRADE, f"{label} (${spent:.2f}) passed the soft cap of ${soft:.2f}")
    return verdict
