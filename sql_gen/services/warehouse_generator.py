"""How the demo warehouse's rows are made: parameters and the SQL that generates each table.

Every pseudo-random value comes from ``hash(row, seed, k)`` in SQL, never from ``random()``,
so the same (claims, seed, anchor) gives the same rows whatever DuckDB's thread count. Weights
that pick dates and policies are integers, so cumulative sums are exact too. Premiums are
scaled per product after the claims exist so that each product's loss ratio over the window
lands on its target (0.55-0.82, about 0.7 overall).

Change anything here and bump ``WAREHOUSE_VERSION``.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

import duckdb

WAREHOUSE_VERSION = 1  # stored in _meta; bump when the generator's output changes

def window_start(anchor: date) -> date:
    months = anchor.year * 12 + anchor.month - 1 - 23
    return date(months // 12, months % 12 + 1, 1)


# --- generator parameters: change them and bump WAREHOUSE_VERSION

_HISTORY_DAYS = 4 * 365  # policies may start up to four years before the window
_DAILY_TREND = 0.05 / 365.25  # claim frequency drift; portfolio growth adds the rest of ~15 %/year


class _Region(NamedTuple):
    name: str
    share: float  # of customers
    severity: float  # claim amount factor
    premium_rate: float


class _Channel(NamedTuple):
    name: str
    retail_share: float  # of individuals' and families' policies
    business_share: float  # of small businesses' policies
    premium_rate: float


class _Product(NamedTuple):
    name: str
    line: str
    team: str  # of the adjusters who handle its claims
    claim_share: float
    base_premium: float  # relative; scaled to reach the target loss ratio
    median_claim: float
    claim_sigma: float  # of log(claimed amount)
    settle_days: float  # typical days to settle
    target_loss_ratio: float


_REGIONS = [_Region(*r) for r in [
    ("Northeast", 0.21, 1.10, 1.08), ("Southeast", 0.23, 1.12, 1.00), ("Midwest", 0.17, 0.92, 0.95),
    ("Southwest", 0.13, 0.98, 0.97), ("West", 0.18, 1.15, 1.10), ("Northwest", 0.08, 0.95, 1.00),
]]
_CHANNELS = [_Channel(*c) for c in [
    ("Agent", 0.36, 0.35, 1.04), ("Broker", 0.12, 0.50, 1.06), ("Online", 0.34, 0.10, 0.92), ("Phone", 0.18, 0.05, 0.98),
]]
_LINES = ["Auto", "Home", "Commercial", "Life", "Specialty"]
_TEAMS = [("Auto", 8), ("Property", 5), ("Commercial", 2), ("Specialty", 4), ("Life", 1)]  # adjusters per region
_ADJUSTERS_PER_REGION = sum(slots for _, slots in _TEAMS)
_PRODUCTS = [_Product(*p) for p in [
    ("Auto Standard", "Auto", "Auto", 0.30, 1300, 3200, 0.85, 21, 0.72),
    ("Auto Premium", "Auto", "Auto", 0.12, 2100, 4800, 0.85, 18, 0.64),
    ("Homeowners", "Home", "Property", 0.17, 1700, 9000, 1.00, 40, 0.78),
    ("Renters", "Home", "Property", 0.06, 240, 2200, 0.80, 25, 0.55),
    ("Commercial Property", "Commercial", "Commercial", 0.05, 6500, 28000, 1.20, 75, 0.82),
    ("Term Life", "Life", "Life", 0.005, 650, 150000, 0.45, 50, 0.60),
    ("Travel", "Specialty", "Specialty", 0.11, 180, 1100, 0.90, 14, 0.58),
    ("Pet", "Specialty", "Specialty", 0.185, 550, 650, 0.80, 7, 0.70),
]]
# segment, share, product mix of its policies (in _PRODUCTS order)
_SEGMENTS = [
    ("Individual", 0.6, [0.32, 0.10, 0.12, 0.14, 0.0, 0.10, 0.10, 0.12]),
    ("Family", 0.3, [0.28, 0.14, 0.25, 0.03, 0.0, 0.15, 0.07, 0.08]),
    ("Small Business", 0.1, [0.15, 0.10, 0.05, 0.0, 0.60, 0.05, 0.05, 0.0]),
]
_AUTO_CAUSES = [("Collision", 0.48, 1.0), ("Liability", 0.18, 1.6), ("Theft", 0.12, 0.9), ("Storm", 0.08, 0.8),
                ("Vandalism", 0.09, 0.4), ("Fire", 0.05, 1.8)]
# per product: cause, weight, severity; Storm weighs three times as much from August to October
_CAUSES = [
    _AUTO_CAUSES, _AUTO_CAUSES,
    [("Water Damage", 0.30, 1.0), ("Storm", 0.22, 1.3), ("Theft", 0.16, 0.6), ("Fire", 0.09, 3.0),
     ("Liability", 0.13, 1.4), ("Vandalism", 0.10, 0.4)],
    [("Theft", 0.42, 0.9), ("Water Damage", 0.28, 1.0), ("Fire", 0.08, 2.0), ("Liability", 0.22, 1.2)],
    [("Fire", 0.18, 2.2), ("Water Damage", 0.24, 1.0), ("Storm", 0.22, 1.2), ("Theft", 0.16, 0.6),
     ("Liability", 0.20, 1.5)],
    [("Illness", 0.62, 1.0), ("Accident", 0.30, 1.0), ("Other", 0.08, 1.0)],
    [("Trip Cancellation", 0.45, 1.0), ("Medical", 0.30, 2.2), ("Lost Baggage", 0.20, 0.5), ("Theft", 0.05, 0.6)],
    [("Illness", 0.62, 1.0), ("Accident", 0.30, 1.3), ("Dental", 0.08, 0.5)],
]
_DENIAL_RATE = {"Theft": 0.14, "Liability": 0.12, "Fire": 0.10}  # other causes: 0.07
# claim seasonality per line, January to December: winter peaks, late-summer storms for property
_SEASON = [
    [1.25, 1.20, 1.05, 0.95, 0.95, 0.90, 0.90, 0.92, 0.95, 1.00, 1.10, 1.25],
    [1.30, 1.20, 1.00, 0.95, 0.90, 0.85, 0.95, 1.35, 1.40, 1.00, 1.00, 1.20],
    [1.20, 1.15, 1.00, 0.95, 0.90, 0.90, 0.95, 1.25, 1.30, 1.00, 1.00, 1.15],
    [1.15, 1.10, 1.05, 1.00, 0.95, 0.90, 0.90, 0.90, 0.95, 1.00, 1.05, 1.15],
    [1.15, 1.05, 1.00, 0.95, 1.00, 1.05, 1.15, 1.10, 0.95, 0.90, 0.95, 1.25],
]
_WEEKDAY = [1.12, 1.06, 1.02, 1.00, 0.97, 0.55, 0.45]  # Monday to Sunday
_FIRST_NAMES = ["James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David", "Elizabeth",
                "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah", "Carlos", "Karen",
                "Daniel", "Lisa", "Wei", "Nancy", "Ahmed", "Priya", "Kevin", "Maria", "Brian", "Aisha"]
_LAST_NAMES = ["Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
               "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin",
               "Lee", "Perez", "Thompson", "White", "Harris", "Chen", "Clark", "Nguyen", "Patel", "Walker"]

_SCHEMA = {
    "regions": "region_id INTEGER, name VARCHAR, country VARCHAR",
    "channels": "channel_id INTEGER, name VARCHAR",
    "products": "product_id INTEGER, name VARCHAR, line VARCHAR",
    "customers": "customer_id INTEGER, full_name VARCHAR, birth_year INTEGER, region_id INTEGER, segment VARCHAR, "
                 "customer_since DATE",
    "adjusters": "adjuster_id INTEGER, full_name VARCHAR, region_id INTEGER, team VARCHAR, hired_date DATE",
    "policies": "policy_id INTEGER, customer_id INTEGER, product_id INTEGER, region_id INTEGER, channel_id INTEGER, "
                "start_date DATE, end_date DATE, annual_premium DECIMAL(12,2), status VARCHAR",
    "claims": "claim_id BIGINT, policy_id INTEGER, customer_id INTEGER, product_id INTEGER, region_id INTEGER, "
              "channel_id INTEGER, adjuster_id INTEGER, status VARCHAR, cause VARCHAR, filed_date DATE, "
              "closed_date DATE, claimed_amount DECIMAL(12,2), paid_amount DECIMAL(12,2), settlement_days INTEGER",
    "earned_premium_monthly": "month DATE, product_id INTEGER, region_id INTEGER, channel_id INTEGER, "
                              "earned_premium DECIMAL(14,2)",
    "_meta": "key VARCHAR, value VARCHAR",
}


# --- the generator


@dataclass(frozen=True)
class Plan:
    claims: int
    seed: int
    anchor: date

    @property
    def start(self) -> date:
        return window_start(self.anchor)

    @property
    def days(self) -> int:
        return (self.anchor - self.start).days + 1

    @property
    def customers(self) -> int:
        return max(round(self.claims / 5), 1000)

    @property
    def policies(self) -> int:
        return max(round(self.claims * 0.3), 1500)

    def sql(self, template: str) -> str:
        """Return ``template`` with {seed}, {anchor}, {start}, {days}, {claims}, {customers}, {policies} filled in."""
        return template.format(
            seed=self.seed, anchor=f"DATE '{self.anchor.isoformat()}'", start=f"DATE '{self.start.isoformat()}'",
            days=self.days, claims=self.claims, customers=self.customers, policies=self.policies,
        )

    def u(self, column: str, k: int) -> str:
        """Return SQL for a uniform draw in (0, 1) keyed by ``column``, the seed and ``k``."""
        return f"((hash({column}, {self.seed}, {k}) % 1000000 + 0.5) / 1000000.0)"

    def normal(self, column: str, k: int) -> str:
        """Return SQL for a standard normal draw (Box-Muller over draws ``k`` and ``k + 1``)."""
        return f"(sqrt(-2 * ln({self.u(column, k)})) * cos(2 * pi() * {self.u(column, k + 1)}))"


def _pick(u: str, weights: Sequence[float]) -> str:
    """Return SQL for the 1-based index of the weighted bucket the uniform draw ``u`` falls in."""
    total = sum(weights)
    nonzero = [i for i, w in enumerate(weights, 1) if w > 0]
    acc, branches = 0.0, []
    for i in nonzero[:-1]:
        acc += weights[i - 1] / total
        branches.append(f"WHEN {u} < {acc!r} THEN {i}")
    return f"(CASE {' '.join(branches)} ELSE {nonzero[-1]} END)" if branches else str(nonzero[-1])


def _list(values: Sequence[object], sql_type: str) -> str:
    """Return a typed DuckDB list literal, indexable from 1."""
    items = ", ".join("'" + v.replace("'", "''") + "'" if isinstance(v, str) else repr(v) for v in values)
    return f"([{items}]::{sql_type}[])"


def _by_product(expressions: Sequence[str]) -> str:
    branches = " ".join(f"WHEN {i} THEN {e}" for i, e in enumerate(expressions, 1))
    return f"(CASE product_id {branches} END)"


def generate(con: duckdb.DuckDBPyConnection, plan: Plan) -> None:
    for table, columns in _SCHEMA.items():
        con.execute(f"CREATE TABLE {table} ({columns})")
    _insert_dimensions(con)
    _insert_adjusters(con, plan)
    _stage_customers(con, plan)
    _stage_policies(con, plan)
    _stage_days(con, plan)
    _insert_claims(con, plan)
    _insert_policies(con)
    _insert_customers(con)
    _insert_earned_premium(con, plan)
    meta = {"claims": plan.claims, "seed": plan.seed, "anchor": plan.anchor.isoformat(),
            "window_start": plan.start.isoformat(), "version": WAREHOUSE_VERSION}
    con.executemany("INSERT INTO _meta VALUES (?, ?)", [(k, str(v)) for k, v in meta.items()])
    con.execute("CHECKPOINT")


def _insert_dimensions(con: duckdb.DuckDBPyConnection) -> None:
    con.executemany("INSERT INTO regions VALUES (?, ?, 'US')", [(i, r.name) for i, r in enumerate(_REGIONS, 1)])
    con.executemany("INSERT INTO channels VALUES (?, ?)", [(i, c.name) for i, c in enumerate(_CHANNELS, 1)])
    con.executemany("INSERT INTO products VALUES (?, ?, ?)", [(i, p.name, p.line) for i, p in enumerate(_PRODUCTS, 1)])


def _full_name(plan: Plan, column: str, k: int) -> str:
    first = f"{_list(_FIRST_NAMES, 'VARCHAR')}[(hash({column}, {plan.seed}, {k}) % {len(_FIRST_NAMES)})::BIGINT + 1]"
    last = f"{_list(_LAST_NAMES, 'VARCHAR')}[(hash({column}, {plan.seed}, {k + 1}) % {len(_LAST_NAMES)})::BIGINT + 1]"
    return f"({first} || ' ' || {last})"


def _insert_adjusters(con: duckdb.DuckDBPyConnection, plan: Plan) -> None:
    # adjuster_id = slot * 6 + region_id, so a claim finds its adjuster by arithmetic alone
    teams = [team for team, slots in _TEAMS for _ in range(slots)]
    con.execute(plan.sql(f"""
        INSERT INTO adjusters
        SELECT s * {len(_REGIONS)} + r, {_full_name(plan, 's * 100 + r', 501)}, r,
               {_list(teams, 'VARCHAR')}[s + 1], {{start}} - (30 + hash(s, r, {{seed}}, 503) % 5000)::INTEGER
        FROM range({_ADJUSTERS_PER_REGION}) a(s), range(1, {len(_REGIONS) + 1}) b(r) ORDER BY 1
    """))


def _stage_customers(con: duckdb.DuckDBPyConnection, plan: Plan) -> None:
    segments = _list([name for name, _, _ in _SEGMENTS], "VARCHAR")
    con.execute(plan.sql(f"""
        CREATE TEMP TABLE _customers AS
        SELECT i AS customer_id, {_full_name(plan, 'i', 101)} AS full_name,
               year({{anchor}}) - 19 - floor(power({plan.u('i', 103)}, 1.2) * 62)::INTEGER AS birth_year,
               {_pick(plan.u('i', 104), [r.share for r in _REGIONS])} AS region_id,
               {_pick(plan.u('i', 105), [share for _, share, _ in _SEGMENTS])} AS segment_no,
               {segments}[segment_no] AS segment
        FROM range(1, {{customers}} + 1) t(i)
    """))


def _stage_policies(con: duckdb.DuckDBPyConnection, plan: Plan) -> None:
    # Policy i <= customers belongs to customer i, so every customer holds a policy; policies
    # 1-8 carry products 1-8 so that every product has one. Lapsed and cancelled policies end
    # inside the window: every policy has cover there, and claims can land on any of them.
    draw = plan.u("policy_id", 205)
    products = " ".join(f"WHEN {i} THEN {_pick(draw, mix)}" for i, (_, _, mix) in enumerate(_SEGMENTS, 1))
    channel, business = plan.u("policy_id", 206), len(_SEGMENTS)
    con.execute(plan.sql(f"""
        CREATE TEMP TABLE _policies AS
        WITH base AS (
            SELECT p AS policy_id, CASE WHEN p <= {{customers}} THEN p
                       ELSE 1 + (hash(p, {{seed}}, 201) % {{customers}})::INTEGER END AS customer_id,
                   {{start}} - {_HISTORY_DAYS} + floor(power({plan.u('p', 202)}, 0.9)
                       * ({_HISTORY_DAYS} + {{days}}))::INTEGER AS start_date,
                   {plan.u('p', 203)} AS u_status, {plan.u('p', 204)} AS u_end, {plan.normal('p', 207)} AS z
            FROM range(1, {{policies}} + 1) t(p)
        ), typed AS (
            SELECT b.*, c.region_id,
                   CASE WHEN policy_id <= {len(_PRODUCTS)} THEN policy_id ELSE CASE c.segment_no {products} END END
                       AS product_id,
                   CASE WHEN c.segment_no = {business} THEN {_pick(channel, [c.business_share for c in _CHANNELS])}
                        ELSE {_pick(channel, [c.retail_share for c in _CHANNELS])} END AS channel_id,
                   CASE WHEN start_date > {{anchor}} - 30 THEN 'active'
                        ELSE ['active', 'lapsed', 'cancelled'][{_pick('u_status', [0.79, 0.14, 0.07])}] END AS status,
                   greatest(start_date, {{start}}) + 14 AS end_floor,
                   (start_date + to_years(date_diff('year', start_date, {{anchor}})))::DATE AS anniversary
            FROM base b JOIN _customers c USING (customer_id)
        ), dated AS (
            SELECT *, CASE WHEN status <> 'active' THEN end_floor + floor(u_end * ({{anchor}} - end_floor))::INTEGER
                           WHEN anniversary > {{anchor}} THEN anniversary - 1
                           ELSE (anniversary + INTERVAL 1 YEAR)::DATE - 1 END AS end_date
            FROM typed
        )
        SELECT *, greatest(start_date, {{start}}) AS cover_start, least(end_date, {{anchor}}) AS cover_end,
               {_list([_LINES.index(p.line) + 1 for p in _PRODUCTS], 'INTEGER')}[product_id] AS line_no,
               round({_list([p.base_premium for p in _PRODUCTS], 'DOUBLE')}[product_id] * exp(0.25 * z)
                   * {_list([r.premium_rate for r in _REGIONS], 'DOUBLE')}[region_id]
                   * {_list([c.premium_rate for c in _CHANNELS], 'DOUBLE')}[channel_id], 2)::DECIMAL(12,2) AS raw_premium
        FROM dated
    """))


def _stage_days(con: duckdb.DuckDBPyConnection, plan: Plan) -> None:
    # Integer day weights per line: exact running sums, so date picks do not depend on threads.
    season = "[" + ", ".join(_list(s, "DOUBLE") for s in _SEASON) + "]"
    con.execute(plan.sql(f"""
        CREATE TEMP TABLE _days AS
        SELECT line_no, d, w, sum(w) OVER (PARTITION BY line_no ORDER BY d)::BIGINT AS cum
        FROM (
            SELECT l AS line_no, ({{start}} + i::INTEGER) AS d,
                   round({season}[l][month(d)] * {_list(_WEEKDAY, 'DOUBLE')}[isodow(d)]
                         * exp({_DAILY_TREND!r} * i) * 1000000)::BIGINT AS w
            FROM range(1, {len(_LINES) + 1}) a(l), range({{days}}) b(i)
        )
    """))
    # A policy's weight is the day weight over its cover, so claims follow both seasons and exposure.
    con.execute("""
        CREATE TEMP TABLE _exposure AS
        SELECT p.policy_id, p.product_id, p.line_no, d0.cum - d0.w AS before_cover, d1.cum - d0.cum + d0.w AS weight,
               sum(d1.cum - d0.cum + d0.w) OVER (PARTITION BY p.product_id ORDER BY p.policy_id)::BIGINT AS running
        FROM _policies p JOIN _days d0 ON d0.line_no = p.line_no AND d0.d = p.cover_start
                         JOIN _days d1 ON d1.line_no = p.line_no AND d1.d = p.cover_end
    """)


def _cause_index(plan: Plan, storm_season: bool) -> str:
    weights = [[w * (3 if storm_season and name == "Storm" else 1) for name, w, _ in c] for c in _CAUSES]
    return _by_product([_pick(plan.u("i", 305), w) for w in weights])


def _insert_claims(con: duckdb.DuckDBPyConnection, plan: Plan) -> None:
    _stage_claim_picks(con, plan)
    names = "[" + ", ".join(_list([n for n, _, _ in c], "VARCHAR") for c in _CAUSES) + "]"
    severity = "[" + ", ".join(_list([s for _, _, s in c], "DOUBLE") for c in _CAUSES) + "]"
    denial = " ".join(f"WHEN '{cause}' THEN {rate}" for cause, rate in _DENIAL_RATE.items())
    tau = _list([p.settle_days for p in _PRODUCTS], "DOUBLE")
    median = _list([p.median_claim for p in _PRODUCTS], "DOUBLE")
    sigma = _list([p.claim_sigma for p in _PRODUCTS], "DOUBLE")
    teams = [team for team, _ in _TEAMS]
    offsets = [sum(slots for _, slots in _TEAMS[: teams.index(p.team)]) for p in _PRODUCTS]
    slots = [dict(_TEAMS)[p.team] for p in _PRODUCTS]
    con.execute(plan.sql(f"""
        INSERT INTO claims
        WITH caused AS (
            SELECT k.*, {{anchor}} - filed_date AS age,
                   CASE WHEN month(filed_date) BETWEEN 8 AND 10 THEN {_cause_index(plan, True)}
                        ELSE {_cause_index(plan, False)} END AS cause_no,
                   {names}[product_id][cause_no] AS cause,
                   ({_list(offsets, 'INTEGER')}[product_id]
                    + floor({plan.u('i', 306)} * {_list(slots, 'INTEGER')}[product_id])::INTEGER)
                    * {len(_REGIONS)} + region_id AS adjuster_id,
                   greatest(50, round({median}[product_id] * exp({sigma}[product_id] * {plan.normal('i', 307)})
                       * {severity}[product_id][cause_no] * {_list([r.severity for r in _REGIONS], 'DOUBLE')}[region_id],
                       2)) AS claimed
            FROM _claim_picks k
        ), timed AS (
            SELECT *, {plan.u('i', 309)} < CASE cause {denial} ELSE 0.07 END AS denied,
                   -{tau}[product_id] * ln({plan.u('i', 310)}) * (0.75 + 0.6 * {plan.u('adjuster_id', 311)})
                       * least(2.0, greatest(0.6, power(claimed / {median}[product_id], 0.2))) AS effort,
                   greatest(1, ceil(CASE WHEN {plan.u('i', 312)} < 0.09 THEN 365 + effort * 10
                                         WHEN {plan.u('i', 312)} < 0.22 THEN 20 + effort * 3 ELSE effort END
                                    * CASE WHEN denied THEN 0.7 ELSE 1 END))::INTEGER AS duration,
                   duration <= age AS resolved
            FROM caused
        )
        SELECT row_number() OVER (ORDER BY filed_date, i), policy_id, customer_id, product_id, region_id, channel_id,
               adjuster_id,
               CASE WHEN resolved AND denied THEN 'denied' WHEN resolved THEN 'closed'
                    WHEN {plan.u('i', 313)} < least(0.85, (age + 1) / (2 * {tau}[product_id])) THEN 'under_review'
                    ELSE 'open' END,
               cause, filed_date, CASE WHEN resolved THEN filed_date + duration END, claimed,
               CASE WHEN resolved AND NOT denied THEN round(claimed * (0.6 + 0.4 * sqrt({plan.u('i', 314)})), 2)
                    ELSE 0 END,
               CASE WHEN resolved THEN duration END
        FROM timed ORDER BY filed_date, i
    """))
    count = con.execute("SELECT count(*) FROM claims").fetchone()[0]
    if count != plan.claims:
        raise RuntimeError(f"generated {count} claims instead of {plan.claims}")


def _stage_claim_picks(con: duckdb.DuckDBPyConnection, plan: Plan) -> None:
    # Product by the claims mix; policy weighted by its exposure; day weighted within its cover.
    con.execute(plan.sql(f"""
        CREATE TEMP TABLE _claim_picks AS
        WITH wanted AS (
            SELECT i, t.product_id, 1 + (hash(i, {{seed}}, 302) % total::UBIGINT)::BIGINT AS target
            FROM (SELECT i, {_pick(plan.u('i', 301), [p.claim_share for p in _PRODUCTS])} AS product_id
                  FROM range({{claims}}) r(i)) t
            JOIN (SELECT product_id, max(running) AS total FROM _exposure GROUP BY 1) e USING (product_id)
        ), placed AS (
            SELECT w.i, e.policy_id, e.line_no,
                   e.before_cover + 1 + (hash(w.i, {{seed}}, 303) % e.weight::UBIGINT)::BIGINT AS day_target
            FROM wanted w ASOF JOIN _exposure e ON w.product_id = e.product_id AND w.target <= e.running
        )
        SELECT pl.i, p.policy_id, p.customer_id, p.product_id, p.region_id, p.channel_id, d.d AS filed_date
        FROM placed pl JOIN _policies p USING (policy_id)
        ASOF JOIN _days d ON pl.line_no = d.line_no AND pl.day_target <= d.cum
    """))


def _premium_scales(con: duckdb.DuckDBPyConnection) -> list[float]:
    """Return per-product factors that bring each product's loss ratio to its target.

    A product without paid claims (only in tiny builds) takes the median factor of the others.
    """
    rows = con.execute("""
        SELECT p.product_id, sum(p.raw_premium * (p.cover_end - p.cover_start + 1)),
               (SELECT coalesce(sum(paid_amount), 0) FROM claims c WHERE c.product_id = p.product_id)
        FROM _policies p GROUP BY 1
    """).fetchall()
    sums = {product_id: (premium_days, paid) for product_id, premium_days, paid in rows}
    scales = [
        float(sums[i][1]) * 365 / (p.target_loss_ratio * float(sums[i][0])) if i in sums else 0.0
        for i, p in enumerate(_PRODUCTS, 1)
    ]
    positive = sorted(s for s in scales if s > 0)
    fallback = positive[len(positive) // 2] if positive else 1.0
    return [s if s > 0 else fallback for s in scales]


def _insert_policies(con: duckdb.DuckDBPyConnection) -> None:
    scales = _list(_premium_scales(con), "DOUBLE")
    con.execute(f"""
        INSERT INTO policies
        SELECT policy_id, customer_id, product_id, region_id, channel_id, start_date, end_date,
               round(raw_premium * {scales}[product_id], 2), status
        FROM _policies ORDER BY policy_id
    """)


def _insert_customers(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("""
        INSERT INTO customers  -- nobody became a customer before turning 18
        SELECT c.customer_id, c.full_name, least(c.birth_year, year(p.since) - 18), c.region_id, c.segment, p.since
        FROM _customers c JOIN (SELECT customer_id, min(start_date) AS since FROM _policies GROUP BY 1) p
            USING (customer_id)
        ORDER BY c.customer_id
    """)


def _insert_earned_premium(con: duckdb.DuckDBPyConnection, plan: Plan) -> None:
    # Premium is earned by the day, so the anchor's month holds only the days up to the anchor.
    con.execute(plan.sql("""
        INSERT INTO earned_premium_monthly
        WITH months AS (SELECT ({start} + to_months(m))::DATE AS month FROM range(24) t(m)),
        earned AS (
            SELECT m.month, p.product_id, p.region_id, p.channel_id,
                   sum(p.annual_premium * (least(s.cover_end, (m.month + INTERVAL 1 MONTH)::DATE - 1)
                                           - greatest(s.cover_start, m.month) + 1)) AS premium_days
            FROM policies p JOIN _policies s USING (policy_id)
            JOIN months m ON m.month <= s.cover_end AND (m.month + INTERVAL 1 MONTH)::DATE > s.cover_start
            GROUP BY ALL
        )
        SELECT g.month, g.product_id, g.region_id, g.channel_id, round(coalesce(e.premium_days, 0) / 365, 2)
        FROM (SELECT month, product_id, region_id, channel_id FROM months, products, regions, channels) g
        LEFT JOIN earned e USING (month, product_id, region_id, channel_id)
        ORDER BY ALL
    """))
