"""Filter values: stored values, value synonyms and names of people ("motor", "in the midwest", "except
storm", "adjuster kim"), a question when several are close.

A part of the offline reader (``clarifier_offline.Reader``): its methods read and write the state the
reader's ``__init__`` sets up.
"""
from __future__ import annotations

import itertools
import re
from dataclasses import replace
from typing import Any

from sql_gen.services.vocabulary import (
    CLOSE_SCORE,
    Decision,
    Outcome,
)
from sql_gen.services.vocabulary.words import word_similarity
from widgets.services.offline_words import (
    GENERIC,
    STOP,
    clean,
    past_forms,
)
from widgets.services.reader.text import (
    GENERIC_MEASURE,
    LINKS,
    NEGATION,
    NEGATION_SCOPE_ENDS,
    TIE_MARGIN,
    blank_span,
    part_of_chosen,
    position_of,
    remove_words,
    spelled_out,
    whole_synonyms,
)

_ANSWERED_SLIP = 0.75  # a typed word this close to a chosen value's word is that word, slipped


class ValueReading:
    """The reader's steps for filter values."""

    def _states_said_as_verbs(self, text: str) -> str:
        """Return the text with a verb put as the value it makes ("we deny", "we decline", "rejects": denied,
        declined, rejected): a word the dictionary lacks whose past form is a stored value or a value's synonym."""
        def as_value(found: re.Match[str]) -> str:
            word = found.group(0)
            past = [p for p in past_forms(word) if p in self._one_word_values]
            if not past or word in self._one_word_values or self._known(word):
                return word
            self.assumptions.append(f"Read “{word}” as {past[0]}.")
            return past[0]

        return re.sub(r"(?<= )[a-z]+(?= )", as_value, text)  # the blanks stay: later steps find words by offset

    def _value_filters(self, text: str, named: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], str]:
        """Return filters on the stored values the text names (through values and their synonyms), with the
        ``named`` ones (said with their dimension's name) among them."""
        by_dim: dict[tuple[str, str], list[str]] = {(f["dimension"], f["op"]): list(f["values"]) for f in named}
        decisions = [whole_synonyms(d) for d in [*(self._one_word_read(d) for d in self._mentions(text, "value")),
                                                  *self._short_mentions(text)]]
        # Clear readings first: a name typed in full settles a question about the same words.
        decisions.sort(key=lambda d: 0 if d.outcome == Outcome.USE and d.best is not None and d.best.exact else 1)
        for decision in decisions:
            lead = decision.best or (decision.options[0] if decision.options else None)
            if lead is None or not set(lead.words) <= set(text.split()):
                continue  # its words were used by an earlier mention
            if decision.best is None and any(part_of_chosen(o, by_dim) for o in decision.options):
                continue  # "karen" after "karen lee" was chosen, "davis" after "william davis": the same name, settled
            if decision.best is None and any(
                    other.best is not None and set(other.best.words) == set(lead.words)
                    and other.best.label in by_dim.get((other.best.key, "in"), []) for other in decisions):
                text = remove_words(text, list(lead.words))
                continue  # "northest", answered "northeast": the words read on their own name the value chosen
            spelled = [o for o in decision.options if spelled_out(o.label, text)]
            if decision.outcome == Outcome.ASK and len(spelled) == 1:  # "linda smith", typed in full
                decision = Decision(Outcome.USE, spelled[0], (), "exact")
            placed = [o for o in decision.options if o.score >= CLOSE_SCORE and self._placed(o, text)]
            # A value stored under one name in two dimensions ("Auto": a product line and an adjuster team)
            # is placed only by the words beside it ("auto products", "the auto team", an answer "the
            # product line"); otherwise it is asked. Which dimension the measures "usually" mean is a guess
            # that turns any slip in reading the measures into a confident wrong filter.
            if decision.outcome == Outcome.ASK and len(placed) == 1:
                decision = Decision(Outcome.USE, placed[0], (), "context")
            elif decision.outcome == Outcome.ASK and (said := self._said_of_measure(decision, placed)) is not None:
                decision = Decision(Outcome.USE, said, (), "context")
            if decision.outcome != Outcome.USE or decision.best is None:
                if decision.options and all(self._names_something_else(w) for w in decision.options[0].words):
                    continue  # "line" is close to "Life", but it names the product line
                if decision.options and self._answered_by_choice(decision, by_dim):
                    text = remove_words(text, list(decision.options[0].words))
                    continue  # "southwast", answered "southeast": one slip from the value the answer chose
                if decision.outcome == Outcome.ASK and decision.options and decision.options[0].score >= CLOSE_SCORE:
                    self._ask_value(decision)
                    text = remove_words(text, list(decision.options[0].words))
                continue
            match = decision.best
            if self._noun_of_value_before(match):
                text = remove_words(text, list(match.words))
                continue  # "storm damage": the damage the storm did, not Water Damage as well
            rival = self._near_tie(match)
            if rival is not None and {match.label, rival.label} & set(by_dim.get((match.key, "in"), [])):
                text = remove_words(text, list(match.words))
                continue  # "southest", answered "southwest": the answer named one of the two
            if rival is not None:  # "southest": one slip from Southeast and from Southwest alike
                self._ask_value(Decision(Outcome.ASK, None, (match, rival), "ambiguous"))
                text = remove_words(text, list(match.words))
                continue
            position = position_of(text, match.words)
            negated = position is not None and self._negated_at(text, position)
            op = "not_in" if negated else "in"
            values = by_dim.setdefault((match.key, op), [])
            if match.label not in values:
                values.append(match.label)
            self._note_inexact(decision, " ".join(match.words))
            text = remove_words(text, list(match.words))
        text = NEGATION.sub(" ", text)
        filters = [{"dimension": dim, "op": op, "values": sorted(values)} for (dim, op), values in by_dim.items()]
        return sorted(filters, key=lambda f: f["dimension"]), text

    def _negated_at(self, text: str, position: int) -> bool:
        """Tell whether a negation ("except", "not", "excluding") governs the value at ``position``: one stands
        within 40 characters before it, with no list break and no word that opens another part of the request
        ("in", "from", "for") after other words between them: "claims not denied in the west" excludes the denied
        claims only, "claims not in the west" the west."""
        start = max(0, position - 40)
        found = [m for m in NEGATION.finditer(text[start: position + 1] + " ") if start + m.end() <= position + 1]
        if not found:
            return False
        after = start + found[-1].end()
        if any(after <= b <= position for b in self._breaks):
            return False
        for word in re.finditer(r" (\S+)(?= )", text[after:position + 1]):
            if word.group(1) not in NEGATION_SCOPE_ENDS:
                continue
            if word.start() > 0:  # words (read, so blanked) stand between: the negation's part has ended
                return False
            after += word.end()  # "not in the west", "except from brokers": the negation's own preposition
        return True

    def _answered_by_choice(self, decision: Decision, by_dim: dict[tuple[str, str], list[str]]) -> bool:
        """Tell whether the words a question would be about are one slip, word for word, from a value already
        chosen in a dimension of its options: the answer that came after them ("southwast", answered
        "southeast", whichever of the two close values it names)."""
        typed = [clean(w).strip() for w in decision.options[0].words]
        dims = {o.key for o in decision.options}
        chosen = [clean(v).split() for (dim, op), values in by_dim.items() if dim in dims and op == "in" for v in values]
        return any(len(words) == len(typed) and all(word_similarity(t, w) >= _ANSWERED_SLIP for t, w in
                                                     zip(typed, words, strict=True)) for words in chosen)

    def _noun_of_value_before(self, match: Any) -> bool:
        """Tell whether a word read as one part of a stored value of several words ("damage" of Water Damage)
        follows, as typed, a whole value of the same dimension ("fire damage", "collision damage"): it is then
        the noun that value qualifies, what the fire did, and names no second value."""
        if match.exact or len(match.words) != 1 or len(clean(match.label).split()) < 2:
            return False
        said = self._untimed.split()
        return any(word == match.words[0] and any(o.key == match.key and o.label != match.label
                                                  for o in self._exact_values(before))
                   for before, word in itertools.pairwise(said))

    def _named_values(self, text: str) -> tuple[list[dict[str, Any]], str]:
        """Return filters said as a dimension's name and then its value ("with a state of open", "where
        status is not closed", "cause = fire"), read before the measures so that a value that is also a
        measure's word ("open") filters rather than measures; the text without them."""
        filters: list[dict[str, Any]] = []
        tokens = text.split()
        for i, word in enumerate(tokens):
            if word in STOP:
                continue
            for size in (2, 1):
                run = tokens[i:i + size]
                decision = self.vocabulary.decide(" ".join(run), kind="dimension")
                best = decision.best
                if decision.outcome != Outcome.USE or best is None or not best.exact or len(best.words) != size:
                    continue
                rest = tokens[i + size:]
                links = list(itertools.takewhile(lambda w: w in LINKS, rest))
                negated = bool({"not", "isnt", "isn"} & set(links))
                value = self._value_named(best.key, rest[len(links):])
                if value is not None:
                    filters.append({"dimension": best.key, "op": "not_in" if negated else "in", "values": [value[0]]})
                    text = remove_words(text, [*run, *links, *value[1]], near=position_of(text, run))
                break
        return filters, text

    def _value_named(self, key: str, words: list[str]) -> tuple[str, list[str]] | None:
        """Return the value of dimension ``key`` the first words name clearly and wholly, with those words."""
        for size in (3, 2, 1):
            if len(words) < size or words[size - 1] in STOP:
                continue
            decision = self.vocabulary.decide(" ".join(words[:size]), kind="value", keys=[key])
            best = decision.best
            if decision.outcome == Outcome.USE and best is not None and len(best.words) == size:
                self._note_inexact(decision, " ".join(words[:size]))
                return best.label, words[:size]
        return None

    def _without_value_nouns(self, text: str) -> str:
        """Return the text without the nouns that only say what a value is ("smb customers", "broker
        channel", "pet product"): the word after a value naming the value's own dimension or table,
        which is no measure ("customers" is not distinct claimants in "claims from smb customers")."""
        tokens = [(m.start(1), m.group(1)) for m in re.finditer(r" (\S+)(?= )", text)]
        for (_, first), (_, second), (at, noun) in zip(tokens, tokens[1:], tokens[2:], strict=False):
            if self._value_noun(noun, [second], [first, second]):
                text = blank_span(text, at, at + len(noun))
        for (_, value), (at, noun) in itertools.pairwise(tokens):
            if self._value_noun(noun, [value]):
                text = blank_span(text, at, at + len(noun))
        return text

    def _value_noun(self, noun: str, *phrases: list[str]) -> bool:
        """Tell whether ``noun`` names the dimension (or its table) of a value one of ``phrases`` names exactly."""
        for words in phrases:
            if any(w in STOP for w in words):
                continue
            decision = self.vocabulary.decide(" ".join(words), kind="value")
            best = decision.best
            as_metric = self.vocabulary.decide(" ".join([*words, noun]), kind="metric")
            if as_metric.outcome == Outcome.USE and as_metric.best is not None and as_metric.best.exact:
                return False  # "open claims": a measure's own name
            if decision.outcome == Outcome.USE and best is not None and best.exact and len(best.words) == len(words):
                dimension = self.dimensions.get(best.key, {})
                names = {w.rstrip("s") for w in clean(" ".join([best.key.replace(".", " "), dimension.get("label", ""),
                                                                 *dimension.get("synonyms", [])])).split()} - STOP
                return noun.rstrip("s") in names - {w.rstrip("s") for w in words}
        return False

    def _said_of_measure(self, decision: Decision, placed: list[Any]) -> Any:
        """Return the reading of a value two dimensions share when it is said of what is measured ("auto
        claims", "auto payouts") and the words beside it place neither: the dimension whose values the
        dictionary gives analysts' own words for (value synonyms: "motor" and "car" for the product line's
        Auto; the adjuster team has none), as analysts name that one by its values and the other by its noun
        ("the auto team"). Listed as an assumption that says how to ask for the other; None when this does
        not settle it (it is then asked)."""
        options = [o for o in decision.options if o.score >= CLOSE_SCORE]
        if placed or len(options) < 2 or len({o.label for o in options}) != 1 or not options[0].exact:
            return None
        typed = list(options[0].words)
        # The next word as typed, within one list item ("only auto; total paid" says nothing of the claims).
        after = re.findall(rf"\b{re.escape(' '.join(typed))}[ \t]+([a-z]+)", self._raw)
        if not any(w not in GENERIC and w not in GENERIC_MEASURE and
                   self.vocabulary.decide(w, kind="metric").outcome == Outcome.USE for w in after):
            return None  # "for auto": not said of the claims, so asked
        described = [o for o in options if self.dimensions.get(o.key, {}).get("value_synonyms")]
        if len(described) != 1:
            return None
        chosen, other = described[0], next(o for o in options if o is not described[0])
        label = self.dimensions.get(chosen.key, {}).get("label", chosen.key)
        other_label = self.dimensions.get(other.key, {}).get("label", other.key)
        said = " ".join(typed)
        self.assumptions.append(f"Read “{said}” as the {label} {chosen.label}; for the {other_label} "
                                f"{other.label}, say “{said} {other_label.split()[-1]}”.")
        return chosen

    def _placed(self, option: Any, text: str) -> bool:
        """Tell whether the words next to a value name its dimension: "auto products" (the products
        table), "the auto team" (adjuster team)."""
        dimension = self.dimensions.get(option.key, {})
        names = set(clean(" ".join([option.key.replace(".", " ").replace("_", " "), dimension.get("label", ""),
                                    *dimension.get("synonyms", [])])).split()) - STOP
        tokens = text.split()
        spots = [i for i, w in enumerate(tokens) if w in option.words]
        near = {w.rstrip("s") for i in spots for w in tokens[max(0, i - 2): i + 3]}
        # Read in the request as said: a value read before this one has left the text ("home" of "auto and home
        # lines").
        said = self._untimed.split()
        near |= {self._list_noun(said, i).rstrip("s") for i, w in enumerate(said) if w in option.words}
        if self._listed_with(option, said):
            return True
        own = {w.rstrip("s") for w in option.words}
        if {n.rstrip("s") for n in names} & near - own:
            return True
        # An answer naming the dimension ("the product line") after a question about the value.
        label = clean(dimension.get("label", "")).split()
        return len(label) > 1 and all(w in tokens for w in label)

    def _list_noun(self, tokens: list[str], at: int) -> str:
        """Return the noun after a list of values that begins at ``at`` ("auto and home lines", "auto, home
        or pet products": "lines", "products"), which names the dimension of each of them; "" without one."""
        end = at + 1
        while end + 1 < len(tokens) and tokens[end] in ("and", "or", "&") and self._exact_values(tokens[end + 1]):
            end += 2
        return tokens[end] if at + 1 < end < len(tokens) else ""

    def _listed_with(self, option: Any, said: list[str]) -> bool:
        """Tell whether a value is listed with another that only ``option``'s dimension has ("auto and home":
        Home is a product line, no team), so the list is of that dimension's values."""
        for i, word in enumerate(said):
            if word not in option.words:
                continue
            for link, other in ((i + 1, i + 2), (i - 1, i - 2)):
                if not (0 <= other < len(said) and said[link] in ("and", "or", "&")) or said[other] in option.words:
                    continue
                found = self._exact_values(said[other])
                if found and {o.key for o in found} == {option.key}:
                    return True
        return False

    def _exact_values(self, word: str) -> list[Any]:
        """Return the stored values (or their synonyms) ``word`` alone names as typed, in any dimension."""
        decision = self.vocabulary.decide(word, kind="value")
        return [o for o in [decision.best, *decision.options] if o is not None and o.exact]

    def _near_tie(self, match: Any) -> Any:
        """Return another value of the same dimension nearly as close to a misspelt word, or None."""
        if match.exact or match.via != "value":
            return None
        for other in self.vocabulary.match_values(" ".join(match.words), match.key)[:3]:
            if other.value != match.value and other.score >= CLOSE_SCORE and match.score - other.score < TIE_MARGIN:
                return other
        return None

    def _names_something_else(self, word: str) -> bool:
        """Tell whether a word clearly names a dimension or a metric ("line", "team"): then it is not a value."""
        return any(self.vocabulary.decide(word, kind=k).outcome == Outcome.USE for k in ("dimension", "metric"))

    def _short_mentions(self, text: str) -> list[Decision]:
        """Return decisions on single words and pairs the whole-text reading left: a first or last name
        alone ("karen", "rodriguez") scores low inside a long sentence but clearly on its own."""
        tokens = [w for w in text.split() if w not in STOP and w not in GENERIC and not w.isdigit() and len(w) > 2]
        out = []
        for token in tokens:
            if self._names_something_else(token):
                continue
            decision = self._value_decision(token)
            if decision.outcome != Outcome.REFUSE and decision.options[:1] and decision.options[0].score >= CLOSE_SCORE:
                out.append(decision)
            elif decision.outcome == Outcome.USE:
                out.append(decision)
        return out

    def _value_decision(self, phrase: str, keys: list[str] | None = None) -> Decision:
        """Return the dictionary's decision on a phrase as a value (of ``keys`` only, when given), with a word
        that is one part of stored names read as ``_name_part`` says."""
        decision = self.vocabulary.decide(phrase, kind="value", keys=keys)
        if decision.outcome == Outcome.USE or " " in phrase.strip():
            return decision
        return self._name_part(phrase.strip(), keys) or decision

    def _one_word_read(self, decision: Decision) -> Decision:
        """Return a mention of one word, read in the whole text, as ``_value_decision`` reads the word alone."""
        lead = decision.best or (decision.options[0] if decision.options else None)
        if decision.outcome == Outcome.USE or lead is None or len(lead.words) != 1:
            return decision
        return self._name_part(lead.words[0], None) or decision

    def _name_part(self, word: str, keys: list[str] | None) -> Decision | None:
        """Return the decision on a word typed in full that is one whole word of stored values of several
        words, and the whole of none ("lisa", "patel": a first name or a surname): the value when one has
        it, else a question among those that do; None for any other word. The vocabulary scores such a word
        by its share of each value, so the more people share a name, the lower each of them scores: a name
        four adjusters share would read as nothing in the data, where it is a question."""
        found = self.vocabulary.match_values(word, keys)
        if any(clean(m.value).split() == [word] for m in found):
            return None  # a value of its own ("Auto"), not a part of one
        parts = [replace(m, score=max(m.score, CLOSE_SCORE)) for m in found if m.via == "value"
                 and word in clean(m.value).split() and len(clean(m.value).split()) > 1]
        if len(parts) == 1:
            return Decision(Outcome.USE, parts[0], (), "close")
        return Decision(Outcome.ASK, None, tuple(parts), "ambiguous") if parts else None

    def _ask_value(self, decision: Decision) -> None:
        close = [o for o in decision.options if o.score >= CLOSE_SCORE][:6]
        labels = [o.label for o in close]
        # The same value in two dimensions ("Auto": a product line and an adjuster team) says which.
        options = [f"{o.label} ({self.dimensions.get(o.key, {}).get('label', o.key)})" if labels.count(o.label) > 1
                   else o.label for o in close]
        typed = " ".join(decision.options[0].words)
        self.asked_about[f"value_{len(self.questions)}"] = typed
        self.questions.append({"id": f"value_{len(self.questions)}", "text": f"Which one did you mean by “{typed}”?",
                               "options": options})
