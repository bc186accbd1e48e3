"""The demo warehouse generator: determinism, integrity, realism, and rebuilding only when needed."""
from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest
from django.core.management import call_command
from pytest_django import Settings

from sql_gen.services import warehouse
from sql_gen.services.warehouse import (
    WAREHOUSE_VERSION,
    WarehouseInfo,
    warehouse_build,
    warehouse_ensure,
    warehouse_info,
)

CLAIMS = 20_000
TINY = 2_000  # the smallest sizes (1,000 customers, 1,500 policies) for tests that only need a file
ANCHOR = date(2025, 6, 15)
START = date(2023, 7, 1)  # the first of the month 23 months before the anchor's
SORT_KEYS = {
    "claims": "claim_id", "policies": "policy_id", "customers": "customer_id", "adjusters": "adjuster_id",
    "earned_premium_monthly": "month, product_id, region_id, channel_id",
}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> WarehouseInfo:
    return warehouse_build(path=tmp_path_factory.mktemp("wh") / "warehouse.duckdb", claims=CLAIMS, anchor=ANCHOR)


@pytest.fixture(scope="module")
def con(built: WarehouseInfo) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect(str(built.path), read_only=True)
    yield connection
    connection.close()


def one(con: duckdb.DuckDBPyConnection, sql: str) -> object:
    return con.execute(sql).fetchall()[0][0]


def digests(path: Path) -> dict[str, str]:
    with duckdb.connect(str(path), read_only=True) as con:
        return {
            table: one(con, f"SELECT md5(string_agg(t::VARCHAR, '|' ORDER BY {keys})) FROM {table} t")
            for table, keys in SORT_KEYS.items()
        }


def per_day(con: duckdb.DuckDBPyConnection, days: str, claims: str = "TRUE") -> float:
    """Return claims (matching ``claims``, with ``p`` the product) filed per window day matching ``days``.

    ``days`` is a condition on ``{d}``, a date.
    """
    calendar = f"""
        SELECT count(*) FROM (SELECT r.d::DATE AS d FROM range(DATE '{START}', DATE '{ANCHOR}' + 1, INTERVAL 1 DAY) r(d))
        WHERE {days.format(d="d")}
    """
    filed = f"""
        SELECT count(*) FROM claims c JOIN products p USING (product_id)
        WHERE {claims} AND {days.format(d="c.filed_date")}
    """
    return float(one(con, f"SELECT ({filed}) / ({calendar})"))


# --- determinism


def test_same_arguments_give_identical_tables(built: WarehouseInfo, tmp_path: Path) -> None:
    again = warehouse_build(path=tmp_path / "again.duckdb", claims=CLAIMS, seed=built.seed, anchor=ANCHOR)
    assert digests(again.path) == digests(built.path)


def test_a_different_seed_gives_different_claims_and_policies(built: WarehouseInfo, tmp_path: Path) -> None:
    other = digests(warehouse_build(path=tmp_path / "other.duckdb", claims=CLAIMS, seed=8, anchor=ANCHOR).path)
    mine = digests(built.path)
    assert other["claims"] != mine["claims"]
    assert other["policies"] != mine["policies"]


# --- shape


def test_tables_have_the_expected_row_counts(con: duckdb.DuckDBPyConnection) -> None:
    counts = {t: one(con, f"SELECT count(*) FROM {t}") for t in
              ["claims", "customers", "policies", "adjusters", "regions", "channels", "products"]}
    assert counts == {"claims": CLAIMS, "customers": CLAIMS // 5, "policies": CLAIMS * 3 // 10,
                      "adjusters": counts["adjusters"], "regions": 6, "channels": 4, "products": 8}
    assert counts["adjusters"] >= 12


def test_earned_premium_has_one_row_per_month_product_region_and_channel(con: duckdb.DuckDBPyConnection) -> None:
    rows = con.execute("""
        SELECT count(*), count(DISTINCT (month, product_id, region_id, channel_id)), count(DISTINCT month),
               min(month), max(month), bool_and(day(month) = 1)
        FROM earned_premium_monthly
    """).fetchall()[0]
    assert rows == (24 * 8 * 6 * 4, 24 * 8 * 6 * 4, 24, START, date(2025, 6, 1), True)


def test_columns_have_the_documented_types(con: duckdb.DuckDBPyConnection) -> None:
    types = dict(con.execute("""
        SELECT table_name || '.' || column_name, data_type FROM information_schema.columns
    """).fetchall())
    assert types["claims.claim_id"] == "BIGINT"
    assert types["claims.paid_amount"] == "DECIMAL(12,2)"
    assert types["policies.annual_premium"] == "DECIMAL(12,2)"
    assert types["earned_premium_monthly.earned_premium"] == "DECIMAL(14,2)"
    assert types["claims.settlement_days"] == "INTEGER"


def test_categorical_columns_hold_only_documented_values(con: duckdb.DuckDBPyConnection) -> None:
    def values(sql: str) -> set[str]:
        return {row[0] for row in con.execute(sql).fetchall()}

    assert values("SELECT DISTINCT status FROM claims") == {"open", "under_review", "closed", "denied"}
    assert values("SELECT DISTINCT status FROM policies") == {"active", "lapsed", "cancelled"}
    assert values("SELECT DISTINCT segment FROM customers") == {"Individual", "Family", "Small Business"}
    assert values("SELECT DISTINCT line FROM products") == {"Auto", "Home", "Commercial", "Life", "Specialty"}
    assert one(con, "SELECT count(*) FROM claims WHERE cause IS NULL") == 0


# --- the window


def test_claims_are_filed_within_the_window_ending_at_the_anchor(
    built: WarehouseInfo, con: duckdb.DuckDBPyConnection,
) -> None:
    first, last = con.execute("SELECT min(filed_date), max(filed_date) FROM claims").fetchall()[0]
    assert first >= built.window_start == START
    assert ANCHOR - timedelta(days=2) <= last <= ANCHOR


@pytest.mark.parametrize(("anchor", "start"), [
    (date(2025, 6, 15), date(2023, 7, 1)),
    (date(2025, 1, 1), date(2023, 2, 1)),
    (date(2024, 12, 31), date(2023, 1, 1)),
    (date(2024, 2, 29), date(2022, 3, 1)),
])
def test_window_starts_on_the_first_of_the_month_23_months_before_the_anchor(anchor: date, start: date) -> None:
    info = WarehouseInfo(path=Path("x"), claims=1, seed=1, anchor=anchor, version=1, built=False)
    assert info.window_start == start


def test_a_build_anchored_on_the_first_of_a_month_files_claims_on_that_day(tmp_path: Path) -> None:
    info = warehouse_build(path=tmp_path / "w.duckdb", claims=TINY, anchor=date(2024, 3, 1))
    with duckdb.connect(str(info.path), read_only=True) as con:
        first, last = con.execute("SELECT min(filed_date), max(filed_date) FROM claims").fetchall()[0]
        months = one(con, "SELECT count(DISTINCT month) FROM earned_premium_monthly")
    assert (first, last, months) == (date(2022, 4, 1), date(2024, 3, 1), 24)


# --- integrity


def test_every_claim_matches_its_policy(con: duckdb.DuckDBPyConnection) -> None:
    assert one(con, """
        SELECT count(*) FROM claims c LEFT JOIN policies p USING (policy_id)
        WHERE p.policy_id IS NULL OR c.customer_id <> p.customer_id OR c.product_id <> p.product_id
           OR c.region_id <> p.region_id OR c.channel_id <> p.channel_id
    """) == 0


def test_claims_are_filed_while_their_policy_is_in_force(con: duckdb.DuckDBPyConnection) -> None:
    assert one(con, """
        SELECT count(*) FROM claims c JOIN policies p USING (policy_id)
        WHERE c.filed_date < p.start_date OR c.filed_date > p.end_date
    """) == 0


@pytest.mark.parametrize(("child", "column", "parent"), [
    ("claims", "customer_id", "customers"), ("claims", "product_id", "products"),
    ("claims", "region_id", "regions"), ("claims", "channel_id", "channels"),
    ("claims", "adjuster_id", "adjusters"), ("policies", "customer_id", "customers"),
    ("customers", "region_id", "regions"), ("adjusters", "region_id", "regions"),
    ("earned_premium_monthly", "product_id", "products"),
])
def test_foreign_keys_resolve(con: duckdb.DuckDBPyConnection, child: str, column: str, parent: str) -> None:
    assert one(con, f"SELECT count(*) FROM {child} WHERE {column} NOT IN (SELECT {column} FROM {parent})") == 0


def test_claims_are_handled_by_an_adjuster_of_their_region(con: duckdb.DuckDBPyConnection) -> None:
    assert one(con, """
        SELECT count(*) FROM claims c JOIN adjusters a USING (adjuster_id) WHERE a.region_id <> c.region_id
    """) == 0


def test_customers_became_customers_with_their_first_policy(con: duckdb.DuckDBPyConnection) -> None:
    assert one(con, """
        SELECT count(*) FROM customers c JOIN (SELECT customer_id, min(start_date) AS first FROM policies GROUP BY 1) p
            USING (customer_id)
        WHERE c.customer_since <> p.first
    """) == 0


def test_active_policies_are_in_force_at_the_anchor_and_others_ended_before(con: duckdb.DuckDBPyConnection) -> None:
    assert one(con, f"""
        SELECT count(*) FROM policies
        WHERE end_date < start_date OR start_date > DATE '{ANCHOR}'
           OR (status = 'active') <> (end_date >= DATE '{ANCHOR}')
    """) == 0


# --- claim life cycle


def test_only_closed_and_denied_claims_have_a_closed_date(con: duckdb.DuckDBPyConnection) -> None:
    assert one(con, f"""
        SELECT count(*) FROM claims
        WHERE (closed_date IS NOT NULL) <> (status IN ('closed', 'denied'))
           OR closed_date < filed_date OR closed_date > DATE '{ANCHOR}'
    """) == 0


def test_settlement_days_are_the_days_from_filing_to_closure(con: duckdb.DuckDBPyConnection) -> None:
    assert one(con, """
        SELECT count(*) FROM claims
        WHERE settlement_days IS DISTINCT FROM (closed_date - filed_date)
    """) == 0


def test_only_closed_claims_are_paid_and_never_more_than_claimed(con: duckdb.DuckDBPyConnection) -> None:
    assert one(con, """
        SELECT count(*) FROM claims
        WHERE (status = 'closed' AND NOT (paid_amount > 0 AND paid_amount <= claimed_amount))
           OR (status <> 'closed' AND paid_amount <> 0)
    """) == 0
    assert 0.6 <= one(con, "SELECT median(paid_amount / claimed_amount) FROM claims WHERE status = 'closed'") <= 1


def test_old_claims_are_mostly_closed_and_recent_ones_mostly_pending(con: duckdb.DuckDBPyConnection) -> None:
    old = dict(con.execute(f"""
        SELECT status, count(*) / sum(count(*)) OVER () FROM claims
        WHERE filed_date < DATE '{ANCHOR}' - 365 GROUP BY 1
    """).fetchall())
    recent_pending = one(con, f"""
        SELECT avg((status IN ('open', 'under_review'))::INTEGER) FROM claims WHERE filed_date > DATE '{ANCHOR}' - 7
    """)
    assert 0.78 <= old["closed"] <= 0.92
    assert 0.05 <= old["denied"] <= 0.12
    assert recent_pending > 0.6


def test_claim_amounts_depend_on_the_product(con: duckdb.DuckDBPyConnection) -> None:
    median = dict(con.execute("""
        SELECT p.name, median(claimed_amount) FROM claims JOIN products p USING (product_id) GROUP BY 1
    """).fetchall())
    assert median["Pet"] < median["Auto Standard"] < median["Homeowners"] < median["Commercial Property"]
    assert median["Travel"] < median["Auto Standard"]


def test_claim_amounts_are_long_tailed(con: duckdb.DuckDBPyConnection) -> None:
    mean, med = con.execute("""
        SELECT avg(claimed_amount)::DOUBLE, median(claimed_amount)::DOUBLE FROM claims WHERE product_id = 1
    """).fetchall()[0]
    assert mean > med * 1.2


# --- realism


def test_claims_grow_year_on_year(con: duckdb.DuckDBPyConnection) -> None:
    cut = f"DATE '{ANCHOR}' - 365"
    growth = per_day(con, f"{{d}} > {cut}") / per_day(con, f"{{d}} <= {cut}")
    assert 1.05 < growth < 1.3


def test_claims_peak_in_winter(con: duckdb.DuckDBPyConnection) -> None:
    assert per_day(con, "month({d}) IN (1, 2)") > 1.1 * per_day(con, "month({d}) IN (5, 6)")


def test_home_claims_bump_in_late_summer(con: duckdb.DuckDBPyConnection) -> None:
    home = "p.line = 'Home'"
    assert per_day(con, "month({d}) IN (8, 9)", home) > 1.2 * per_day(con, "month({d}) IN (5, 6)", home)


def test_weekends_have_fewer_claims(con: duckdb.DuckDBPyConnection) -> None:
    assert per_day(con, "isodow({d}) >= 6") < 0.7 * per_day(con, "isodow({d}) <= 5")


def test_claims_are_spread_unevenly_over_regions_and_channels(con: duckdb.DuckDBPyConnection) -> None:
    for column in ("region_id", "channel_id"):
        counts = con.execute(f"SELECT count(*) FROM claims GROUP BY {column}").fetchall()
        low, high = min(counts)[0], max(counts)[0]
        assert high > 1.5 * low


def test_loss_ratio_is_plausible(con: duckdb.DuckDBPyConnection) -> None:
    ratio = one(con, """
        SELECT (SELECT sum(paid_amount) FROM claims) / (SELECT sum(earned_premium) FROM earned_premium_monthly)
    """)
    assert 0.55 <= ratio <= 0.8


def test_earned_premium_follows_the_policies_in_force(con: duckdb.DuckDBPyConnection) -> None:
    # a full month earns about a twelfth of the annual premium of the policies in force on its 15th
    earned, expected = con.execute("""
        SELECT (SELECT sum(earned_premium)::DOUBLE FROM earned_premium_monthly WHERE month = DATE '2024-11-01'),
               (SELECT sum(annual_premium)::DOUBLE / 12 FROM policies
                WHERE DATE '2024-11-15' BETWEEN start_date AND end_date)
    """).fetchall()[0]
    assert abs(earned / expected - 1) < 0.05


# --- info, ensure and the atomic build


def test_info_reads_what_build_wrote(built: WarehouseInfo) -> None:
    assert warehouse_info(path=built.path) == WarehouseInfo(
        path=built.path, claims=CLAIMS, seed=7, anchor=ANCHOR, version=WAREHOUSE_VERSION, built=False,
    )


def test_info_is_none_for_a_missing_or_foreign_file(tmp_path: Path) -> None:
    (tmp_path / "junk.duckdb").write_text("not a database")
    with duckdb.connect(str(tmp_path / "empty.duckdb")) as con:
        con.execute("CREATE TABLE t (x INTEGER)")
    assert [warehouse_info(path=tmp_path / name) for name in ("none.duckdb", "junk.duckdb", "empty.duckdb")] == [None] * 3


def test_ensure_leaves_a_matching_file_untouched(tmp_path: Path) -> None:
    path = warehouse_build(path=tmp_path / "w.duckdb", claims=TINY, anchor=ANCHOR).path
    before = path.stat().st_mtime_ns, path.stat().st_ino
    info = warehouse_ensure(path=path, claims=TINY, anchor=ANCHOR)
    assert not info.built
    assert (path.stat().st_mtime_ns, path.stat().st_ino) == before


@pytest.mark.parametrize("change", [{"seed": 8}, {"claims": TINY + 1}, {"anchor": ANCHOR + timedelta(days=1)}])
def test_ensure_rebuilds_when_the_request_differs(tmp_path: Path, change: dict[str, object]) -> None:
    path = warehouse_build(path=tmp_path / "w.duckdb", claims=TINY, anchor=ANCHOR).path
    asked = {"claims": TINY, "seed": 7, "anchor": ANCHOR, **change}
    info = warehouse_ensure(path=path, **asked)  # type: ignore[arg-type]
    assert info.built
    stored = warehouse_info(path=path)
    assert stored is not None and (stored.claims, stored.seed, stored.anchor) == tuple(asked.values())


def test_ensure_rebuilds_an_unreadable_file(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    path.write_bytes(b"\0" * 100)
    assert warehouse_ensure(path=path, claims=TINY, anchor=ANCHOR).built
    assert warehouse_info(path=path) is not None


def test_ensure_defaults_the_anchor_to_today(tmp_path: Path) -> None:
    assert warehouse_ensure(path=tmp_path / "w.duckdb", claims=TINY).anchor == date.today()


def test_build_leaves_only_the_finished_file(tmp_path: Path) -> None:
    warehouse_build(path=tmp_path / "sub" / "w.duckdb", claims=TINY, anchor=ANCHOR)
    assert [p.name for p in (tmp_path / "sub").iterdir()] == ["w.duckdb"]


def test_a_failed_build_keeps_the_previous_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = warehouse_build(path=tmp_path / "wh" / "w.duckdb", claims=TINY, anchor=ANCHOR).path
    before = digests(path)

    def broken(con: duckdb.DuckDBPyConnection, plan: object) -> None:
        con.execute("CREATE TABLE claims (x INTEGER)")
        raise duckdb.Error("disk full")

    monkeypatch.setattr(warehouse, "generate", broken)
    with pytest.raises(duckdb.Error):
        warehouse_build(path=path, claims=TINY, seed=8, anchor=ANCHOR)
    assert digests(path) == before
    assert [p.name for p in path.parent.iterdir()] == ["w.duckdb"]


def test_build_rejects_a_non_positive_claim_count(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        warehouse_build(path=tmp_path / "w.duckdb", claims=0)


# --- the management command


def run_command(*args: str) -> str:
    out = io.StringIO()
    call_command("build_warehouse", *args, stdout=out)
    return out.getvalue()


def test_command_builds_then_reports_up_to_date(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    first = run_command("--claims", str(TINY), "--seed", "3", "--path", str(path))
    second = run_command("--claims", str(TINY), "--seed", "3", "--path", str(path))
    assert first.startswith(f"built {path} (2,000 claims, seed 3")
    assert second.startswith(f"warehouse up to date: {path}")
    assert warehouse_info(path=path).seed == 3  # type: ignore[union-attr]


def test_command_force_rebuilds_an_up_to_date_file(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    run_command("--claims", str(TINY), "--path", str(path))
    inode = path.stat().st_ino
    assert run_command("--claims", str(TINY), "--path", str(path), "--force").startswith("built ")
    assert path.stat().st_ino != inode


def test_command_defaults_to_the_configured_path(tmp_path: Path, settings: Settings) -> None:
    settings.WAREHOUSE_PATH = tmp_path / "configured.duckdb"
    run_command("--claims", str(TINY))
    assert warehouse_info(path=settings.WAREHOUSE_PATH) is not None
