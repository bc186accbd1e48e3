"""The parser layer's cost checks: functions whose cost is set by an argument.

``repeat('x', 2000000000)``, ``format('{:>{}}', 'x', 2000000000)`` or ``levenshtein`` over whole
text columns cost gigabytes or minutes in one call, sooner than a time limit can act (DuckDB
looks for an interrupt only between batches of rows, and its memory limit does not track strings).
The query box stops them anyway; refusing what can be seen in the statement tells the model what
to write instead. Each check returns a Refusal for ``safety.py`` to raise.

String lengths are bounded by propagation: a literal is its length, a column of a table counts as
COLUMN_CHARS, a column of a CTE or derived table as the bound of the expression it stands for,
and each string function maps its arguments' bounds to its result's (repeat multiplies, concat
adds, replace multiplies by the growth of one replacement, ...). A statement in which some string
function could build more than MAX_GENERATED_CHARS characters is refused.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from sqlglot import exp
from sqlglot.optimizer.scope import Scope

# Functions whose output size is an argument can allocate gigabytes in one call, faster than a
# time limit or DuckDB's memory_limit (which does not track strings) can stop them.
MAX_GENERATED_CHARS = 10_000
# The demo warehouse's text columns (statuses, causes, names) are shorter; a longer value only
# makes a big string bigger, and the box stops what slips through.
COLUMN_CHARS = 64
# An edit distance fills a table of len(a) x len(b) cells for every row.
MAX_EDIT_DISTANCE_CELLS = 10_000
_HUGE = 10**15  # bounds are clamped here so that nested multiplications stay cheap integers
_EDIT_DISTANCES = frozenset(
    "levenshtein damerau_levenshtein editdist3 hamming mismatches jaro_similarity jaro_winkler_similarity"
    " jaccard levenshtein_less_equal".split()
)
_FORMATS = frozenset({"printf", "format"})
_NUMBERS = re.compile(r"\d+")
_ESCAPED_BRACES = re.compile(r"\{\{|\}\}")
_NESTED_FIELD = re.compile(r"\{[^{}]*\{")  # {:>{}} takes its width from an argument
_GROWERS = (exp.Repeat, exp.Pad, exp.Replace, exp.RegexpReplace, exp.DPipe, exp.Concat, exp.ConcatWs,
            exp.Format, exp.Hex)  # fmt: skip


@dataclass(frozen=True)
class Refusal:
    message: str
    extra: dict[str, object] = field(default_factory=dict)


def argument_refusal(tree: exp.Expression) -> Refusal | None:
    """Return why a size or width argument, or an edit distance's input, is too costly, if one is."""
    for node in tree.find_all(exp.Repeat, exp.Pad, exp.Format, exp.Anonymous, exp.Levenshtein,
                              exp.JarowinklerSimilarity):  # fmt: skip
        name = function_name(node)
        if isinstance(node, (exp.Repeat, exp.Pad)):
            refusal = _size_refusal(node, name)
        elif isinstance(node, exp.Format) or name in _FORMATS:
            refusal = _format_refusal(_format_string(node), name)
        elif name in _EDIT_DISTANCES or isinstance(node, (exp.Levenshtein, exp.JarowinklerSimilarity)):
            refusal = _edit_distance_refusal(node, name)
        else:
            refusal = None
        if refusal is not None:
            return refusal
    return None


def function_name(node: exp.Expression) -> str:
    if isinstance(node, exp.Pad):
        return "lpad" if node.args.get("is_left") else "rpad"
    if isinstance(node, (exp.Anonymous, exp.AnonymousAggFunc)):
        return node.name.lower()
    if isinstance(node, exp.Func):
        return node.sql_name().lower()
    return node.key


def _size_refusal(node: exp.Repeat | exp.Pad, name: str) -> Refusal | None:
    if _small_literal(node.args.get("times" if isinstance(node, exp.Repeat) else "expression")) is not None:
        return None
    example = "repeat('*', 20)" if isinstance(node, exp.Repeat) else "lpad(code, 8, '0')"
    return Refusal(
        f"{name}() needs a literal length of at most {MAX_GENERATED_CHARS} (e.g. {example}); a length "
        "taken from a column or an expression can build strings of any size.",
        {"function": name},
    )


def _format_string(node: exp.Expression) -> exp.Expression | None:
    if isinstance(node, exp.Format):
        return node.this
    return (node.expressions or [None])[0]


def _format_refusal(fmt: exp.Expression | None, name: str) -> Refusal | None:
    if isinstance(fmt, exp.Literal) and fmt.is_string:
        text = _ESCAPED_BRACES.sub("", fmt.this)
        widths = [int(n) for n in _NUMBERS.findall(text)]
        if "*" not in text and not _NESTED_FIELD.search(text) and max(widths, default=0) <= MAX_GENERATED_CHARS:
            return None
    return Refusal(
        f"{name}() needs a literal format without * or widths over {MAX_GENERATED_CHARS}: write widths as "
        "literal numbers ('{:>8}', '%8s'); a width taken from an argument ('*', '{:>{}}') can build "
        "strings of any size.",
        {"function": name},
    )


def _edit_distance_refusal(node: exp.Expression, name: str) -> Refusal | None:
    args = [node.this, node.expression] if not isinstance(node, exp.Anonymous) else node.expressions[:2]
    lengths = [_bounded_input(arg) for arg in args]
    if None in lengths:
        return Refusal(
            f"{name}() costs the product of its inputs' lengths for every row, and a whole column's "
            f"values can be long: compare string literals or prefixes with a small literal length, "
            f"e.g. {name}(LEFT(cause, 20), 'flood') or SUBSTRING(name, 1, 30).",
            {"function": name},
        )
    cells = (lengths[0] or 1) * (lengths[1] or 1)
    if cells > MAX_EDIT_DISTANCE_CELLS:
        return Refusal(
            f"{name}() would compare strings of up to {lengths[0]} and {lengths[1]} characters, "
            f"{cells:,} steps for every row (the limit is {MAX_EDIT_DISTANCE_CELLS:,}); use shorter prefixes.",
            {"function": name},
        )
    return None


def _bounded_input(node: exp.Expression | None) -> int | None:
    """Return the length bound of a literal or a literal-length prefix (LEFT, SUBSTRING, pad)."""
    if isinstance(node, exp.Literal) and node.is_string:
        return len(node.this)
    size = None
    if isinstance(node, (exp.Left, exp.Right, exp.Pad)):
        size = node.expression
    elif isinstance(node, exp.Substring):
        size = node.args.get("length")
    return _small_literal(size)


def _small_literal(node: exp.Expression | None) -> int | None:
    if isinstance(node, exp.Literal) and not node.is_string and node.this.isdigit():
        value = int(node.this)
        return value if value <= MAX_GENERATED_CHARS else None
    return None


def length_refusal(root: Scope) -> Refusal | None:
    """Return why a string function could build too long a string, if one could.

    Scopes are visited innermost first, so a CTE's or derived table's output columns have bounds
    by the time a query reads them.
    """
    outputs: dict[int, dict[str, int]] = {}  # id(scope.expression) -> output column -> length bound
    for scope in root.traverse():
        query = scope.expression
        if isinstance(query, exp.SetOperation):
            outputs[id(query)] = _set_operation_outputs(scope, outputs)
        elif isinstance(query, exp.Select):
            bounds = _Bounds(scope, outputs)
            refusal = bounds.check()
            if refusal is not None:
                return refusal
            outputs[id(query)] = bounds.aliases
    return None


def _set_operation_outputs(scope: Scope, outputs: dict[int, dict[str, int]]) -> dict[str, int]:
    branches = [outputs.get(id(s.expression), {}) for s in scope.set_operation_scopes]
    if not branches:
        return {}
    columns = [list(b.values()) for b in branches]
    return {
        name: max((c[i] for c in columns if i < len(c)), default=COLUMN_CHARS)
        for i, name in enumerate(branches[0])
    }


class _Bounds:
    """Length bounds of the expressions of one SELECT, computed children first, without recursion."""

    def __init__(self, scope: Scope, outputs: dict[int, dict[str, int]]) -> None:
        self.query: exp.Select = scope.expression
        self.outputs = outputs
        self.sources = {
            name: outputs.get(id(source.expression), {})
            for name, (_, source) in scope.selected_sources.items()
            if isinstance(source, Scope)
        }
        self.aliases: dict[str, int] = {}  # output columns so far; DuckDB lets later ones read them
        self._known: dict[int, int] = {}

    def check(self) -> Refusal | None:
        for position, projection in enumerate(self.query.expressions):
            refusal = self._walk(projection)
            if refusal is not None:
                return refusal
            self._add_output(projection, position)
        return self._walk(self.query)  # WHERE, GROUP BY, ORDER BY, joins: the projections are known

    def _add_output(self, projection: exp.Expression, position: int) -> None:
        if isinstance(projection, exp.Star) or (
            isinstance(projection, exp.Column) and isinstance(projection.this, exp.Star)
        ):
            for columns in self.sources.values():
                self.aliases.update(columns)
            return
        self.aliases[projection.alias_or_name.lower() or f"#{position}"] = self._known[id(projection)]

    def _walk(self, top: exp.Expression) -> Refusal | None:
        # Reversed pre-order visits every node after all of its descendants.
        for node in reversed(list(_own_nodes(top, self.query))):
            if id(node) in self._known:
                continue
            bound = min(self._bound(node), _HUGE)
            self._known[id(node)] = bound
            if bound > MAX_GENERATED_CHARS and isinstance(node, _GROWERS + (exp.Anonymous,)):
                if isinstance(node, _GROWERS) or function_name(node) in _FORMATS:
                    return _too_long(node, bound)
        return None

    def _of(self, node: exp.Expression | None) -> int:
        return 0 if node is None else self._known.get(id(node), COLUMN_CHARS)

    def _bound(self, node: exp.Expression) -> int:
        if isinstance(node, exp.Literal):
            return len(node.this)
        if isinstance(node, exp.Column):
            return self._column(node)
        if isinstance(node, (exp.Subquery, exp.Select, exp.SetOperation)) and node is not self.query:
            inner = node.this if isinstance(node, exp.Subquery) else node
            return max(self.outputs.get(id(inner), {}).values(), default=COLUMN_CHARS)
        grown = _grown(node, self._of)
        if grown is not None:
            return grown
        return max((self._of(child) for child in node.iter_expressions()), default=COLUMN_CHARS)

    def _column(self, column: exp.Column) -> int:
        name = column.name.lower()
        if column.table:
            return self.sources.get(column.table, {}).get(name, COLUMN_CHARS)
        found = [cols[name] for cols in self.sources.values() if name in cols]
        if name in self.aliases:
            found.append(self.aliases[name])
        return max(found, default=COLUMN_CHARS)


def _own_nodes(top: exp.Expression, query: exp.Select) -> Iterator[exp.Expression]:
    """Yield ``top`` and its descendants in pre-order, stopping at nested queries (own scopes)."""
    nested = (exp.Subquery, exp.Select, exp.SetOperation)
    return top.dfs(prune=lambda n: n is not query and n is not top and isinstance(n, nested))


def _grown(node: exp.Expression, of: Callable[[exp.Expression | None], int]) -> int | None:
    """Return the length bound of a string function from its arguments' bounds; None for others."""
    if isinstance(node, exp.Repeat):
        return of(node.this) * (_small_literal(node.args.get("times")) or _HUGE)
    if isinstance(node, exp.Pad):
        return _small_literal(node.expression) or _HUGE  # pads or truncates to exactly that length
    if isinstance(node, exp.Replace):
        text, new = of(node.this), of(node.args.get("replacement"))
        old = node.expression
        width = len(old.this) if isinstance(old, exp.Literal) and old.is_string and old.this else 1
        return text + (text // width) * max(0, new - width)
    if isinstance(node, exp.RegexpReplace):  # a pattern may match between every two characters
        return of(node.this) + (of(node.this) + 1) * of(node.args.get("replacement"))
    if isinstance(node, exp.DPipe):
        return of(node.this) + of(node.expression)
    if isinstance(node, (exp.Concat, exp.ConcatWs)):
        return sum(of(e) for e in node.expressions)
    if isinstance(node, exp.Hex):
        return 2 * of(node.this)
    if isinstance(node, exp.Format) or (isinstance(node, exp.Anonymous) and node.name.lower() in _FORMATS):
        # Widths are at most MAX_GENERATED_CHARS each (argument_refusal ran first).
        fmt = _format_string(node)
        widths = sum(int(n) for n in _NUMBERS.findall(fmt.this)) if isinstance(fmt, exp.Literal) else _HUGE
        args = node.expressions if isinstance(node, exp.Format) else node.expressions[1:]
        return of(fmt) + widths + sum(of(a) for a in args)
    if isinstance(node, (exp.Left, exp.Right)):
        return min(of(node.this), _small_literal(node.expression) or _HUGE)
    if isinstance(node, exp.Substring):
        return min(of(node.this), _small_literal(node.args.get("length")) or _HUGE)
    return None


def _too_long(node: exp.Expression, bound: int) -> Refusal:
    name = "||" if isinstance(node, exp.DPipe) else function_name(node)
    shown = f"{bound:,}" if bound < _HUGE else f"more than {_HUGE:,}"
    return Refusal(
        f"{name if name == '||' else name + '()'} could build a string of up to {shown} characters; "
        "a query may build strings of at most "
        f"{MAX_GENERATED_CHARS:,} (a text column counts as {COLUMN_CHARS}). Nested repeat, replace and "
        "concatenation multiply lengths: build each label once, from short pieces.",
        {"function": name},
    )
