"""The words admins give the dictionary: synonyms of tables, columns, metrics and computed dimensions, and
value synonyms (a word for a stored value, "motor" for Auto). What cannot be used is refused with a reason.

Requests are read in the letters a to z: accents are folded ("dégât" is "degat", "Zürich" "zurich") and every
other letter is dropped, on the request's side and the dictionary's alike (``widgets.services.offline_words``,
``vocabulary.words``). A synonym in another script ("自動車", "Авто") would fold to nothing, or to the rest of
its words, and so never match, or match what it does not say: it is refused, and the admin writes it in Latin
letters. Making such words matchable would need a reader of each script, tokenizing and fuzzy matching included;
no analyst's request today could use it, as the reader drops those letters from requests too.
"""
from __future__ import annotations

import unicodedata


def split_synonyms(text: str) -> list[str]:
    """Return the comma-separated synonyms in ``text``, trimmed and lower-cased."""
    return [s.strip().lower() for s in text.split(",") if s.strip()]


def unreadable_letters(text: str) -> str:
    """Return the letters of ``text`` (each once, in order) that are not a to z once their accents are folded,
    such as Cyrillic or Chinese letters, or "ß": the request reader drops them. "" when there are none."""
    found = [c for c in str(text) if c.isalpha() and not _folds_to_ascii(c)]
    return "".join(dict.fromkeys(found))


def _folds_to_ascii(letter: str) -> bool:
    base = "".join(c for c in unicodedata.normalize("NFKD", letter) if not unicodedata.combining(c))
    return bool(base) and base.isascii()


def synonym_problem(word: str) -> str:
    """Return why a synonym can never be matched as written, or "" when it can."""
    letters = unreadable_letters(word)
    if not letters:
        return ""
    one = len(letters) == 1
    return (f"{word!r} can never match a request: requests are read in the letters a to z, accents folded ('dégât' "
            f"reads as 'degat'), so its {'letter' if one else 'letters'} {letters!r} {'is' if one else 'are'} "
            "dropped. Write the synonym in Latin letters (e.g. transliterated).")


def synonyms_problem(text: str) -> str:
    """Return why a comma-separated list of synonyms cannot be used, or "" when it can."""
    words = [w.strip() for w in (text or "").split(",") if w.strip()]
    return next((problem for word in words if (problem := synonym_problem(word))), "")


def value_synonyms_problem(synonyms: object, known: list[str]) -> str:
    """Return why ``synonyms`` (word -> stored value) cannot be used, or "" when it can.

    With ``known`` values, each target must be one of them (exactly as stored), and a word that is
    itself a known value may not stand for another one. A word the reader cannot read is refused."""
    if not isinstance(synonyms, dict):
        return 'Write value synonyms as a JSON object of word to stored value, e.g. {"motor": "Auto"}.'
    folded_known = {v.lower(): v for v in known}
    seen: set[str] = set()
    for word, target in synonyms.items():
        folded = " ".join(str(word).lower().split())
        if not folded or not isinstance(target, str) or not target.strip():
            return "Each synonym and the value it stands for must be non-empty text."
        if folded in seen:
            return f"The synonym {word!r} is given twice."
        seen.add(folded)
        unreadable = synonym_problem(str(word))
        if unreadable:
            return unreadable
        if known and target not in known:
            spelled = folded_known.get(target.lower())
            hint = f" (the stored spelling is {spelled!r})" if spelled else f"; known values: {listed(known)}"
            return f"{target!r}, given for {word!r}, is not one of the values{hint}."
        if folded in folded_known and folded_known[folded] != target:
            return f"{word!r} is itself a value ({folded_known[folded]!r}); it cannot stand for {target!r}."
    return ""


def dangling_value_synonyms(synonyms: object, values: list[str]) -> dict[str, str]:
    """Return the value synonyms whose value is not among ``values`` (a values index refreshed since they were
    written may have lost it: renamed or gone from the data)."""
    if not isinstance(synonyms, dict):
        return {}
    present = set(values)
    return {str(w): str(v) for w, v in synonyms.items() if v not in present}


def listed(values: list[str], most: int = 12) -> str:
    """Return up to ``most`` values comma-separated, then how many more there are."""
    shown = ", ".join(values[:most])
    return shown + (f" and {len(values) - most} more" if len(values) > most else "")
