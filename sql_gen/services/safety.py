"""The parser layer of SQL safety: accept one read-only SELECT over allowed tables, or say why not.

This is the first of several layers (see ``execute.py`` for the query box, the read-only
connection, the limits and honest truncation). The check walks the whole sqlglot tree rather than
filtering keywords: statements that write anywhere in the tree, recursive CTEs, columns that
multiply when CTEs are inlined, tables outside the allowed set, table-valued functions, any
function outside an allowlist and functions whose cost an argument sets beyond reason (see
``cost.py``) are rejected with a reason a person can act on; so is a statement that reads the clock
or fixes or computes a date in a filter instead of using the window placeholders (see
``safety_time.py``). The accepted statement is limited to one row more than the cap, so that the
executor can tell that there were more.
"""
from __future__ import annotations

import functools
import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import ErrorLevel, OptimizeError, ParseError, SqlglotError, UnsupportedError
from sqlglot.optimizer.scope import Scope, build_scope
from sqlglot.tokens import Token, TokenType

from backend.errors import ApplicationError, ErrorCode
from sql_gen.services.binding import canonical
from sql_gen.services.cost import argument_refusal, length_refusal
from sql_gen.services.safety_time import TimeRefusal, time_check

logger = logging.getLogger(__name__)

MAX_SQL_CHARS = 20_000
# sqlglot's parser recurses about twenty Python frames per level of parentheses, so ~40 levels
# exhaust the default recursion limit; 25 leaves room for the caller's own stack.
MAX_PAREN_DEPTH = 25
_NORMALIZE_ROUNDS = 3
_PAREN_STEP = {TokenType.L_PAREN: 1, TokenType.R_PAREN: -1}

_DIALECTS = {"duckdb": "duckdb", "sqlite": "sqlite", "postgres": "postgres", "postgresql": "postgres"}
_DEFAULT_SCHEMAS = {"duckdb": {"main"}, "sqlite": {"main"}, "postgres": {"public"}}
_SYSTEM_SCHEMAS = {"information_schema", "pg_catalog", "pg_toast", "temp", "system"}
_SYSTEM_TABLE_PREFIXES = ("sqlite_", "pg_", "duckdb_", "information_schema")

# Known functions parse to typed classes; an exact-type allowlist means a new or unfamiliar
# class (ReadCSV, CurrentUser, AnonymousAggFunc, ...) is refused until someone vets it.
_ALLOWED_FUNCTION_NAMES = {
    "aggregate": "Count Sum Avg Min Max Stddev StddevPop StddevSamp Variance VariancePop Median Mode"
    " LogicalAnd LogicalOr Corr CovarPop CovarSamp PercentileCont"
    " PercentileDisc Quantile ApproxDistinct ApproxQuantile CountIf AnyValue ArgMax ArgMin First Last"
    " Skewness Kurtosis RegrSlope RegrIntercept RegrR2 Grouping",
    "window": "RowNumber Rank DenseRank Ntile Lag Lead FirstValue LastValue NthValue PercentRank CumeDist",
    "math": "Abs Round Ceil Floor Sqrt Cbrt Pow Exp Ln Log Sign Greatest Least Trunc Rand Pi SafeDivide"
    " Cos Sin Tan Acos Asin Atan Atan2 Degrees Radians IsNan IsInf",
    "string": "Lower Upper Length Trim Substring Replace Concat ConcatWs Left Right Pad StrPosition"
    " SplitPart RegexpReplace RegexpLike RegexpILike RegexpExtract StartsWith EndsWith Contains Reverse"
    " Repeat Initcap MD5 Ascii Chr Translate Hex Unicode Format Levenshtein Collate Split"
    " StringToArray ArrayToString",
    "temporal": "DateTrunc TimestampTrunc Extract TimeToStr StrToTime StrToDate TsOrDsToTimestamp"
    " TsOrDsToDate TsOrDsAdd TsOrDsDiff CurrentDate CurrentTimestamp CurrentTime DateDiff DateAdd"
    " DateSub TimestampAdd TimestampSub TimestampDiff DatetimeAdd DatetimeSub DatetimeDiff"
    " DateFromParts Year Month Day DayOfWeek DayOfWeekIso DayOfMonth DayOfYear Week WeekOfYear Quarter"
    " ToChar UnixToTime TimeToUnix UnixToStr StrToUnix TimeStrToTime TimeStrToDate DateStrToDate"
    " TimeToTimeStr LastDay Dayname Monthname Date DateBin",
    "logic": "And Or Xor",
    "conditional": "Case If Coalesce Nullif Nvl2 Exists",
    "cast": "Cast TryCast Typeof",
    "structure": "Array Struct Unnest ArraySize ArrayContains JSONExtract JSONExtractScalar",
}
_ALLOWED_FUNCTIONS: frozenset[type[exp.Func]] = frozenset(
    getattr(exp, name) for names in _ALLOWED_FUNCTION_NAMES.values() for name in names.split()
)
# Functions sqlglot does not model (exp.Anonymous), by lower-case name; all pure value functions.
_ALLOWED_ANONYMOUS = frozenset(
    "every total printf date_part datepart now age to_date strptime make_date make_timestamp"
    " time_bucket cardinality quantile_cont quantile_disc regexp_matches list_value struct_pack"
    " json_extract_string list_contains epoch epoch_ms to_timestamp datetime time julianday"
    " unixepoch strftime quote date date_format justify_days justify_hours isodow isoyear dayofmonth".split()
)

_FORBIDDEN_TYPES: tuple[type[exp.Expression], ...] = (
    exp.DDL, exp.DML, exp.Command, exp.Into, exp.Lock, exp.Pragma, exp.Set, exp.Attach, exp.Detach,
    exp.Install, exp.Use, exp.Describe, exp.Show, exp.Summarize, exp.Transaction, exp.Commit,
    exp.Rollback, exp.Copy, exp.Export, exp.Merge, exp.Returning, exp.Grant, exp.Revoke, exp.Analyze,
    exp.Cache, exp.Uncache, exp.Refresh, exp.Kill, exp.Declare, exp.Execute, exp.LockingStatement,
    exp.SessionParameter,
)  # fmt: skip
_STATEMENT_NAMES = {"truncatetable": "TRUNCATE", "transaction": "BEGIN"}
_NO_RECURSION = "Recursive queries are not allowed in widget queries;"
# Casting text to an OID alias type (regclass, regproc, ...) looks objects up in the system catalogs,
# and a user-defined type runs its own input function: only built-in value types may be cast to.
_CATALOG_TYPE_PREFIXES = ("REG", "OID", "PG_", "TXID")
# A column of a CTE or subquery is inlined wherever it is referenced, so `SELECT s || s AS s` chained
# n times expands to 2^n copies: SQLite spends gigabytes preparing that before its time limit can
# fire. Real widget queries expand to a few hundred column references at most.
MAX_EXPANDED_COLUMNS = 10_000
_COMMENTS = re.compile(r"--[^\n]*|/\*.*?\*/", re.DOTALL)
# Statement-only node families; anything defined there has no place in a read-only query.
_FORBIDDEN_MODULES = frozenset(
    f"sqlglot.expressions.{m}" for m in ("ddl", "dml", "properties", "constraints")
)


class SqlRejected(ApplicationError):
    """The SQL is not a single read-only query over the allowed tables; ``message`` says why."""

    def __init__(self, message: str, **extra: object) -> None:
        super().__init__(ErrorCode.SQL_REJECTED, message, dict(extra))


@dataclass(frozen=True)
class CheckedSql:
    sql: str  # normalized in the dialect, limited to row_cap + 1 rows
    tables: frozenset[str]  # base table names read, normalized as the dialect resolves them
    # Normalized but without the limit the check adds: what to store, so that each run applies the row cap
    # of the day (a stored cap + 1 would pass for the model's own LIMIT once an admin raises the cap).
    uncapped: str = ""
    # The window placeholders the statement uses (``binding.PLACEHOLDERS``), written ``:name`` in ``sql``:
    # the values a run must bind.
    placeholders: frozenset[str] = frozenset()


@dataclass(frozen=True)
class _Time:
    columns: tuple[str, ...]
    require_window: bool


def sql_check(*, sql: str, dialect: str, allowed_tables: Iterable[str], row_cap: int,
              time_columns: Iterable[str] = (), require_window: bool = False) -> CheckedSql:
    """Return the normalized SQL, limited to ``row_cap + 1`` rows, the tables it reads and the window
    placeholders it uses.

    The extra row lets the executor report truncation: it returns ``row_cap`` rows and says
    whether there was one more. A lower limit in the statement stays, and checking the output
    again gives the same SQL (a stored statement is re-checked before each refresh). Placeholders
    come out as ``:window_start`` and the like in every dialect (see ``binding``).

    ``time_columns`` names the time columns of the metric (a table prefix is ignored); with
    ``require_window`` the statement must filter one of them (any column without them) with
    ``>= :window_start`` and ``< :window_end``.

    Raises SqlRejected when the input is empty, too long, nested too deeply, unparseable, more
    than one statement, anything but a read-only SELECT, reads a table or calls a function
    that is not allowed, reads the clock, writes a date into a comparison or does date arithmetic in
    one, uses a placeholder other than the window's (a positional one included) or outside the
    window's shape, or lacks a required window. Raises ValueError when ``row_cap`` is below 1 (a
    caller's mistake).
    """
    if row_cap < 1:
        raise ValueError("row_cap must be at least 1.")
    return _sql_check(sql, dialect_name(dialect), frozenset(allowed_tables), row_cap,
                      _Time(columns=tuple(time_columns), require_window=require_window))


# One statement is checked several times in a widget's life (proved in the SQL step, then at each fetch and
# refresh, under each dashboard window): the check is a pure function of its arguments, its answer a frozen
# value, so a proven one is kept. Only answers are kept; a refusal is worked out again (and costs the caller).
@functools.lru_cache(maxsize=1024)
def _sql_check(sql: str, read: str, allowed_tables: frozenset[str], row_cap: int, time: _Time) -> CheckedSql:
    allowed = {_normalized(exp.to_identifier(t), read) for t in allowed_tables}
    text = sql
    try:
        # Check, normalize, and check the normalized text again until it is stable, so that
        # what runs is exactly what was checked (the generator may rewrite functions).
        uncapped = ""
        for _ in range(_NORMALIZE_ROUNDS):
            tree, tables, names = _checked_tree(text, read, allowed, time, normalized=text is not sql)
            uncapped = uncapped or _generate(tree.copy(), read)  # the first round's: the model's own limit
            out = _generate(_apply_row_cap(tree, row_cap + 1), read)
            if out == text:
                return CheckedSql(sql=out, tables=frozenset(tables), uncapped=uncapped, placeholders=names)
            text = out
    except RecursionError:
        raise SqlRejected("The query is nested too deeply to check; simplify it.") from None
    except SqlRejected:
        raise
    except Exception as e:  # a tree shape the checks did not foresee is refused, never let through
        logger.exception("sql_check could not check a %s query", read)
        raise SqlRejected(
            f"The query could not be checked ({type(e).__name__}); rewrite it as a plain SELECT."
        ) from None
    raise SqlRejected(f"The query could not be normalized stably for {read}; simplify it.")


def _checked_tree(
    text: str, read: str, allowed: set[str], time: _Time, *, normalized: bool
) -> tuple[exp.Expression, set[str], frozenset[str]]:
    """Return the parsed statement, its base tables and its placeholders; raise SqlRejected if it is
    not safe."""
    try:
        tokens = _check_text(text, read)
        tree = _parse_one(text, read, tokens)
        _check_statement(tree, text)
        _check_recursion(tree, read)
        tables = _check_tables(tree, allowed, read)
        names = _check_time(tree, read, time)  # before the allowlist: it says why the clock is refused
        _check_functions(tree)
        _check_types(tree, read)
        _check_costs(tree)
    except SqlRejected as e:
        if normalized:
            e.message = f"{e.message} (after normalizing the query for {read}: {text[:200]})"
            e.args = (e.message,)
        raise
    return tree, tables, names


def _check_time(tree: exp.Expression, read: str, time: _Time) -> frozenset[str]:
    try:
        return time_check(tree, read, time_columns=time.columns, require_window=time.require_window)
    except TimeRefusal as refusal:
        raise SqlRejected(refusal.message, **refusal.extra) from None


def _generate(tree: exp.Expression, read: str) -> str:
    """Return the tree as SQL in the dialect; refuse what the dialect cannot express faithfully.

    Placeholders come out as ``:name`` in every dialect: one stored form, rewritten for the engine
    only when it runs (``binding.bind``)."""
    if tree.find(exp.Placeholder):
        tree = canonical(tree)
    try:
        return tree.sql(dialect=read, unsupported_level=ErrorLevel.RAISE)
    except RecursionError:
        raise
    except UnsupportedError as e:
        raise SqlRejected(f"The query cannot be expressed in {read}: {_first_line(e)}") from None
    except Exception as e:  # a generator bug must reject the query, not crash the caller
        raise SqlRejected(f"The query could not be normalized for {read} ({type(e).__name__}).") from None


def dialect_name(dialect: str) -> str:
    """Return sqlglot's name of a supported dialect; raise SqlRejected for another."""
    try:
        return _DIALECTS[dialect.lower()]
    except KeyError:
        supported = ", ".join(sorted(set(_DIALECTS.values())))
        raise SqlRejected(f"SQL dialect {dialect!r} is not supported; use one of {supported}.") from None


def _check_text(sql: str, read: str) -> list[Token]:
    """Return the tokens of ``sql``; refuse empty, oversized and over-nested input before the
    recursive parser sees it."""
    if not sql.strip():
        raise SqlRejected("The query is empty.")
    if len(sql) > MAX_SQL_CHARS:
        raise SqlRejected(f"The query is {len(sql)} characters long; the limit is {MAX_SQL_CHARS}.")
    try:
        tokens = Dialect.get_or_raise(read).tokenize(sql)
    except SqlglotError as e:
        raise SqlRejected(f"The query could not be parsed: {_first_line(e)}") from None
    depth = 0
    for token in tokens:
        depth += _PAREN_STEP.get(token.token_type, 0)
        if depth > MAX_PAREN_DEPTH:
            raise SqlRejected(f"The query nests parentheses more than {MAX_PAREN_DEPTH} levels deep.")
    return tokens


def _parse_one(sql: str, read: str, tokens: list[Token]) -> exp.Expression:
    try:
        parsed = Dialect.get_or_raise(read).parser().parse(tokens, sql)
    except ParseError as e:
        first = e.errors[0] if e.errors else {}
        where = f" at line {first.get('line')}, column {first.get('col')}" if first else ""
        reason = first.get("description") or _first_line(e)
        raise SqlRejected(f"The query could not be parsed: {reason}{where}.") from None
    except SqlglotError as e:
        raise SqlRejected(f"The query could not be parsed: {_first_line(e)}") from None
    statements = [s for s in parsed if s is not None and not isinstance(s, exp.Semicolon)]
    if not statements:
        raise SqlRejected("The query is empty.")
    if len(statements) > 1:
        raise SqlRejected(f"Send exactly one statement; found {len(statements)}.")
    return statements[0]


def _first_line(error: Exception) -> str:
    return str(error).splitlines()[0] if str(error) else type(error).__name__


def _check_statement(tree: exp.Expression, text: str) -> None:
    """Refuse anything that writes, locks, configures or is not a query, anywhere in the tree."""
    for node in tree.walk():
        if isinstance(node, exp.Into):
            raise SqlRejected("SELECT ... INTO creates a table; only plain SELECT queries are allowed.")
        if isinstance(node, exp.Lock):
            raise SqlRejected("Locking clauses (FOR UPDATE / FOR SHARE) are not allowed.")
        if isinstance(node, _FORBIDDEN_TYPES) or type(node).__module__ in _FORBIDDEN_MODULES:
            raise SqlRejected(
                f"Only read-only SELECT queries are allowed; found {_statement_kind(node)}.",
                statement=_statement_kind(node),
            )
    if not isinstance(tree, (exp.Select, exp.SetOperation, exp.Subquery)):
        raise SqlRejected(f"Only SELECT queries are allowed; found {_first_word(text)}.")


def _statement_kind(node: exp.Expression) -> str:
    if isinstance(node, exp.Command):
        return f"{str(node.this).upper()} (a command)"
    kind = node.args.get("kind")
    suffix = f" {kind.upper()}" if isinstance(kind, str) else ""
    return _STATEMENT_NAMES.get(node.key, node.key.upper()) + suffix


def _first_word(text: str) -> str:
    """Return the statement's leading keyword, skipping comments, for a readable rejection."""
    match = re.match(r"\s*(\w+)", _COMMENTS.sub(" ", text))
    return match.group(1).upper() if match else "something else"


def _check_recursion(tree: exp.Expression, read: str) -> None:
    """Refuse recursive CTEs: WITH RECURSIVE, and a CTE that reads its own name.

    A recursive step can double a string each round and allocate gigabytes before the time limit
    fires, and no widget needs recursion. SQLite recurses on a self-reference even without the
    keyword, where DuckDB and PostgreSQL read a table of that name; the self-reference is refused
    in every dialect because one statement must mean the same thing everywhere.
    """
    for with_ in tree.find_all(exp.With):
        if with_.args.get("recursive"):
            raise SqlRejected(
                f"{_NO_RECURSION} remove WITH RECURSIVE and take the rows from the allowed tables"
                " (a series of dates, for instance, comes from grouping a table by its date column)."
            )
        for name, cte in zip(_cte_names(with_, read), with_.expressions):
            if _reads_name(cte.this, name, read):
                raise SqlRejected(
                    f"{_NO_RECURSION} the CTE {name} reads from its own name. Rename the CTE so"
                    " that it does not share a name with a table it reads.",
                    cte=name,
                )


def _reads_name(body: exp.Expression, name: str, read: str) -> bool:
    """Return whether ``body`` reads the table ``name`` outside any query whose WITH defines
    ``name`` again (there the name means that inner CTE, checked on its own)."""
    stack = [body]
    while stack:
        node = stack.pop()
        with_ = node.args.get("with_")
        if isinstance(with_, exp.With) and name in _cte_names(with_, read):
            continue
        if isinstance(node, exp.Table) and _is_cte_reference(node, frozenset({name}), read):
            return True
        stack.extend(node.iter_expressions())
    return False


# Aggregates whose one value grows with every row they read: a widget shows numbers per group, and on a
# PostgreSQL source (whose server memory no limit of ours bounds) one such value can take a gigabyte.
_GROWING_AGGREGATES = (exp.GroupConcat, exp.ArrayAgg, exp.List, exp.JSONArrayAgg, exp.JSONObjectAgg)


def _check_functions(tree: exp.Expression) -> None:
    for node in tree.walk():
        if isinstance(node, exp.Dot) and isinstance(node.expression, exp.Func):
            raise SqlRejected(f"Schema-qualified function calls are not allowed ({node.sql()}).")
        if isinstance(node, _GROWING_AGGREGATES) or (isinstance(node, exp.Anonymous)
                                                      and node.name.lower() in _GROWING_ANONYMOUS):
            name = _function_name(node)
            raise SqlRejected(
                f"{name}() builds one value out of every row it reads; a widget shows numbers per group: "
                "aggregate with COUNT, SUM, AVG, MIN or MAX instead.", function=name)
        if isinstance(node, exp.Func) and not _function_allowed(node):
            name = _function_name(node)
            raise SqlRejected(f"Function {name}() is not allowed in a query.", function=name)


_GROWING_ANONYMOUS = frozenset({"string_agg", "group_concat", "array_agg", "list", "listagg", "json_group_array",
                                "json_agg", "jsonb_agg", "json_object_agg", "histogram"})


def _check_types(tree: exp.Expression, read: str) -> None:
    """Refuse casts to user-defined types and to PostgreSQL's catalog (OID alias) types."""
    for node in tree.find_all(exp.DataType):
        name = node.sql(dialect=read).split("(")[0].strip().upper()
        if node.this == exp.DataType.Type.USERDEFINED or name.startswith(_CATALOG_TYPE_PREFIXES):
            raise SqlRejected(f"Type {name} is not allowed in a query; cast to a built-in value type.", type=name)


def _check_costs(tree: exp.Expression) -> None:
    """Refuse functions whose cost an argument sets: sizes and widths that are not small literal
    numbers, edit distances over unbounded input, strings multiplied past MAX_GENERATED_CHARS;
    and column references that multiply when CTEs are inlined."""
    refusal = argument_refusal(tree)
    if refusal is None:
        root = _scopes(tree)
        if root is None:
            return
        _check_expansion(root)
        refusal = length_refusal(root)
    if refusal is not None:
        raise SqlRejected(refusal.message, **refusal.extra)


def _scopes(tree: exp.Expression) -> Scope | None:
    try:
        return build_scope(tree)
    except OptimizeError as e:
        raise SqlRejected(f"The query's scopes could not be resolved: {_first_line(e)}") from None


def _check_expansion(root: Scope) -> None:
    """Refuse a query whose column references multiply when CTEs and subqueries are inlined.

    Each query scope gets, per output column, the number of base column references it stands
    for once every CTE and derived table it reads is inlined; a scope whose references add up to
    more than MAX_EXPANDED_COLUMNS is refused. Scopes are visited innermost first.
    """
    outputs: dict[int, dict[str, int]] = {}  # id(scope) -> output column name -> expanded size
    for scope in root.traverse():
        outputs[id(scope)] = _scope_outputs(scope, outputs)


def _scope_outputs(scope: Scope, outputs: dict[int, dict[str, int]]) -> dict[str, int]:
    query = scope.expression
    if isinstance(query, exp.SetOperation):
        # Columns line up by position; the first branch names them.
        branches = [list(outputs.get(id(s), {}).values()) for s in scope.set_operation_scopes]
        names = list(outputs.get(id(scope.set_operation_scopes[0]), {})) if branches else []
        return {
            name: max((b[i] for b in branches if i < len(b)), default=1) for i, name in enumerate(names)
        }
    if not isinstance(query, exp.Select):
        return {}
    sources = {
        name: outputs.get(id(source), {})
        for name, (_, source) in scope.selected_sources.items()
        if isinstance(source, Scope)
    }
    mine = {id(column) for column in scope.columns}

    def size(column: exp.Column) -> int:
        name = column.name.lower()
        if column.table:
            return sources.get(column.table, {}).get(name, 1)
        return max((cols.get(name, 1) for cols in sources.values()), default=1)

    total = sum(size(column) for column in scope.columns)
    if total > MAX_EXPANDED_COLUMNS:
        where = _scope_name(scope)
        raise SqlRejected(
            f"The query{where} reuses computed columns so often that it expands to more than "
            f"{MAX_EXPANDED_COLUMNS:,} column references once its CTEs and subqueries are inlined; "
            "compute each value once in the last step instead of repeating it through every step.",
        )
    result: dict[str, int] = {}
    for position, projection in enumerate(query.expressions):
        if isinstance(projection, exp.Star) or (
            isinstance(projection, exp.Column) and isinstance(projection.this, exp.Star)
        ):
            for cols in sources.values():
                result.update(cols)
            continue
        refs = (c for c in projection.find_all(exp.Column) if id(c) in mine)
        name = projection.alias_or_name.lower() or f"#{position}"  # unnamed: still holds its place
        result[name] = min(1 + sum(size(c) for c in refs), MAX_EXPANDED_COLUMNS + 1)
    return result


def _scope_name(scope: Scope) -> str:
    parent = scope.expression.parent
    if isinstance(parent, (exp.CTE, exp.Subquery)) and parent.alias:
        return f" (in {parent.alias})"
    return ""


def _function_allowed(node: exp.Func) -> bool:
    if isinstance(node, (exp.Anonymous, exp.AnonymousAggFunc)):
        return node.name.lower() in _ALLOWED_ANONYMOUS
    return type(node) in _ALLOWED_FUNCTIONS


def _function_name(node: exp.Expression) -> str:
    if isinstance(node, (exp.Anonymous, exp.AnonymousAggFunc)):
        return node.name.lower()
    if isinstance(node, exp.Func):
        return node.sql_name().lower()
    return node.key


def _check_tables(tree: exp.Expression, allowed: set[str], read: str) -> set[str]:
    """Return the base tables read, after refusing any that is not allowed."""
    tables: set[str] = set()
    for table in _base_tables(tree, read):
        tables.add(_check_table(table, allowed, read))
    return tables


def _base_tables(tree: exp.Expression, read: str) -> Iterator[exp.Table]:
    """Yield every Table node that is not a reference to a CTE in scope.

    A CTE is visible in the body of its query and in later CTEs of the same WITH (never in its
    own: ``_check_recursion`` has refused recursive CTEs by now).
    """
    stack: list[tuple[exp.Expression, frozenset[str]]] = [(tree, frozenset())]
    while stack:
        node, ctes = stack.pop()
        if isinstance(node, exp.Table) and not _is_cte_reference(node, ctes, read):
            yield node
        with_ = node.args.get("with_")
        if isinstance(with_, exp.With):
            names = _cte_names(with_, read)
            for i, cte in enumerate(with_.expressions):
                stack.append((cte.this, ctes | frozenset(names[:i])))
            ctes = ctes | frozenset(names)
        stack.extend((child, ctes) for child in node.iter_expressions() if child is not with_)


def _cte_names(with_: exp.With, read: str) -> list[str]:
    """Return the names the WITH defines, in order, normalized as the dialect resolves them."""
    return [_normalized(cte.args.get("alias"), read) for cte in with_.expressions]


def _is_cte_reference(table: exp.Table, ctes: frozenset[str], read: str) -> bool:
    plain = isinstance(table.this, exp.Identifier) and not table.args.get("db")
    return plain and not table.args.get("catalog") and _normalized(table.this, read) in ctes


def _normalized(identifier: exp.Expression | None, read: str) -> str:
    """Return the name the database resolves: PostgreSQL keeps quoted case, the others fold it."""
    if isinstance(identifier, exp.TableAlias):
        identifier = identifier.this
    if not isinstance(identifier, exp.Identifier):
        return identifier.name.lower() if identifier is not None else ""
    fresh = exp.Identifier(this=identifier.this, quoted=identifier.quoted)  # cheaper than a deep copy
    return Dialect.get_or_raise(read).normalize_identifier(fresh).name


def _check_table(table: exp.Table, allowed: set[str], read: str) -> str:
    """Return the normalized name of an allowed base table; raise SqlRejected otherwise."""
    if table.this is None:  # e.g. PostgreSQL's ROWS FROM (...): rows made up, not read from a table
        raise SqlRejected(
            f"{table.sql()[:80]} is not a table; read from the allowed tables.", table=table.sql()[:80]
        )
    if not isinstance(table.this, exp.Identifier):
        name = _function_name(table.this)
        raise SqlRejected(
            f"Table function {name}() is not allowed; read from the allowed tables.", function=name
        )
    if table.args.get("catalog"):
        raise SqlRejected(f"Catalog-qualified table {table.sql()} is not allowed.", table=table.sql())
    name, schema = _normalized(table.this, read), _normalized(table.args.get("db"), read)
    if schema.lower() in _SYSTEM_SCHEMAS or name.lower().startswith(_SYSTEM_TABLE_PREFIXES):
        qualified = f"{schema}.{name}" if schema else name
        raise SqlRejected(f"System catalog {qualified} is not allowed.", table=qualified)
    if schema and schema not in _DEFAULT_SCHEMAS[read]:
        raise SqlRejected(f"Schema {schema} is not allowed in {schema}.{name}.", table=f"{schema}.{name}")
    if name not in allowed:
        listed = ", ".join(sorted(allowed)) or "none"
        raise SqlRejected(f"Table {name} is not allowed; allowed tables: {listed}.", table=name)
    return name


def _apply_row_cap(tree: exp.Expression, row_cap: int) -> exp.Expression:
    """Return the tree with LIMIT row_cap added, or an existing larger limit lowered (``sql_check``
    passes its cap plus one)."""
    if isinstance(tree, exp.Subquery):
        tree = _unwrap_root(tree)
    limit = tree.args.get("limit")
    if limit is None:
        tree.set("limit", exp.Limit(expression=exp.Literal.number(row_cap)))
        return tree
    options = limit.args.get("limit_options")
    if options is not None and options.args.get("percent"):
        raise SqlRejected("Percentage limits are not allowed; write LIMIT with a number of rows.")
    key = "count" if isinstance(limit, exp.Fetch) else "expression"
    count = limit.args.get(key)
    if count is None and key == "count":
        return tree  # FETCH FIRST ROW ONLY
    if not (isinstance(count, exp.Literal) and not count.is_string and count.this.isdigit()):
        raise SqlRejected("LIMIT must be a whole number.")
    if int(count.this) > row_cap:
        limit.set(key, exp.Literal.number(row_cap))
    return tree


def _unwrap_root(tree: exp.Subquery) -> exp.Expression:
    """Turn ``(SELECT ...) [ORDER BY/LIMIT/OFFSET]`` into a plain query every dialect accepts."""
    modifiers = {k: tree.args[k] for k in ("order", "limit", "offset") if tree.args.get(k)}
    inner = _unwrap_root(tree.this) if isinstance(tree.this, exp.Subquery) else tree.this
    if not modifiers:
        return inner
    outer = exp.select("*").from_(inner.subquery("_q"))
    for key, value in modifiers.items():
        outer.set(key, value)
    return outer
