"""Run breaker steps in a separate process against the shared cache: ``python breaker_script.py KEY STEP...``.

Each step is ``fail@NOW``, ``succeed`` or ``admit@NOW``; the results print as one JSON list.
"""
from __future__ import annotations

import json
import sys

import django


def main(key: str, steps: list[str]) -> list[object]:
    from backend.llm.breaker import Admission, Breaker

    breaker = Breaker(key=key, failures=3, open_s=300)
    results: list[object] = []
    for step in steps:
        if step.startswith("fail@"):
            results.append(breaker.failed(admission=Admission.CLOSED, now=float(step.split("@")[1])))
        elif step == "succeed":
            breaker.succeeded()
            results.append(None)
        else:
            results.append(breaker.admit(now=float(step.split("@")[1])).value)
    return results


if __name__ == "__main__":
    django.setup()
    print(json.dumps(main(sys.argv[1], sys.argv[2:])))
