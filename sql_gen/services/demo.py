"""The demo warehouse's data dictionary and metric definitions.

Seeding creates what is missing and leaves what exists alone, so an admin's
edits survive a second ``make run``. A field an earlier seed wrote and nobody has
changed since (it still holds the earlier seed's text) is brought up to date.
Seeding ends with the importer's values step, so every dimension's values are known.
"""
from __future__ import annotations

import logging
from typing import Any

from sql_gen.models import ComputedDimension, DataSource, DictionaryColumn, DictionaryTable, MetricDefinition
from sql_gen.services.execute import QueryFailed
from sql_gen.services.expressions import expression_additive
from sql_gen.services.introspect import values_refresh

logger = logging.getLogger(__name__)

DEMO_SOURCE = "demo-warehouse"

# table: (description, synonyms, guidelines, [(column, type, label, description, synonyms, is_dimension, references)])
_TABLES: dict[str, tuple[str, str, str, list[tuple[str, str, str, str, str, bool, str]]]] = {
    "claims": (
        "One row per insurance claim, from filing to closure.", "claim, claims", (
            "Paid amounts are final only for closed claims. Use filed_date for claim volume and closed_date for "
            "payments and settlement time."
        ), [
            ("claim_id", "BIGINT", "", "Claim identifier.", "", False, ""),
            ("policy_id", "INTEGER", "", "The policy claimed against.", "", False, "policies.policy_id"),
            ("customer_id", "INTEGER", "", "The claimant.", "claimant", False, "customers.customer_id"),
            ("product_id", "INTEGER", "", "Product of the policy.", "", False, "products.product_id"),
            ("region_id", "INTEGER", "", "Region of the policy.", "", False, "regions.region_id"),
            ("channel_id", "INTEGER", "", "Sales channel of the policy.", "", False, "channels.channel_id"),
            ("adjuster_id", "INTEGER", "", "Adjuster handling the claim.", "", False, "adjusters.adjuster_id"),
            ("status", "VARCHAR", "status", "open, under_review, closed or denied.", "claim status, state", True, ""),
            ("cause", "VARCHAR", "cause", "Cause of loss.", "cause of loss, peril, reason", True, ""),
            ("filed_date", "DATE", "", "Day the claim was filed.", "filed, reported", False, ""),
            ("closed_date", "DATE", "", "Day the claim was closed or denied; empty while open.", "closed, settled", False, ""),
            ("claimed_amount", "DECIMAL(12,2)", "", "Amount the claimant asked for, USD.", "claimed", False, ""),
            ("paid_amount", "DECIMAL(12,2)", "", "Amount paid out, USD; 0 unless closed.", "paid, payout", False, ""),
            ("settlement_days", "INTEGER", "", "Days from filing to closure.", "settlement time", False, ""),
        ],
    ),
    "policies": (
        "Insurance policies sold to customers.", "policy, policies", "", [
            ("policy_id", "INTEGER", "", "Policy identifier.", "", False, ""),
            ("customer_id", "INTEGER", "", "Policy holder.", "", False, "customers.customer_id"),
            ("product_id", "INTEGER", "", "Product.", "", False, "products.product_id"),
            ("region_id", "INTEGER", "", "Region.", "", False, "regions.region_id"),
            ("channel_id", "INTEGER", "", "Sales channel.", "", False, "channels.channel_id"),
            ("start_date", "DATE", "", "Cover starts.", "", False, ""),
            ("end_date", "DATE", "", "Cover ends.", "", False, ""),
            ("annual_premium", "DECIMAL(12,2)", "", "Annual premium, USD.", "premium", False, ""),
            ("status", "VARCHAR", "policy status", "active, lapsed or cancelled.", "", False, ""),
        ],
    ),
    "customers": (
        "Policy holders and claimants.", "customer, customers, claimant", "", [
            ("customer_id", "INTEGER", "", "Customer identifier.", "", False, ""),
            ("full_name", "VARCHAR", "", "Name (personal data: never select it for widgets).", "", False, ""),
            ("birth_year", "INTEGER", "", "Year of birth.", "", False, ""),
            ("region_id", "INTEGER", "", "Home region.", "", False, "regions.region_id"),
            ("segment", "VARCHAR", "customer segment", "Individual, Family or Small Business.", "segment", True, ""),
            ("customer_since", "DATE", "", "First policy date.", "", False, ""),
        ],
    ),
    "products": (
        "Insurance products.", "product, products", "", [
            ("product_id", "INTEGER", "", "Product identifier.", "", False, ""),
            ("name", "VARCHAR", "product", "Product name.", "products, product name", True, ""),
            ("line", "VARCHAR", "product line", "Line of business.", "line of business, line, lob", True, ""),
        ],
    ),
    "regions": (
        "Sales and service regions.", "region, regions", "", [
            ("region_id", "INTEGER", "", "Region identifier.", "", False, ""),
            ("name", "VARCHAR", "region", "Region name.", "regions, area, territory", True, ""),
            ("country", "VARCHAR", "", "Country code.", "", False, ""),
        ],
    ),
    "channels": (
        "Sales channels.", "channel, channels", "", [
            ("channel_id", "INTEGER", "", "Channel identifier.", "", False, ""),
            ("name", "VARCHAR", "channel", "Channel name.", "channels, sales channel, distribution channel", True, ""),
        ],
    ),
    "adjusters": (
        "Claims adjusters.", "adjuster, adjusters", "", [
            ("adjuster_id", "INTEGER", "", "Adjuster identifier.", "", False, ""),
            ("full_name", "VARCHAR", "adjuster", "Adjuster's name: staff who handle claims, not customers.",
             "adjuster name, adjusters, claims handler, handler, handled by", True, ""),
            ("region_id", "INTEGER", "", "Home region.", "", False, "regions.region_id"),
            ("team", "VARCHAR", "adjuster team", "Team.", "team, adjuster teams", True, ""),
            ("hired_date", "DATE", "", "Hire date.", "", False, ""),
        ],
    ),
    "earned_premium_monthly": (
        "Premium earned per month, product, region and channel.", "earned premium", "", [
            ("month", "DATE", "", "First day of the month.", "", False, ""),
            ("product_id", "INTEGER", "", "Product.", "", False, "products.product_id"),
            ("region_id", "INTEGER", "", "Region.", "", False, "regions.region_id"),
            ("channel_id", "INTEGER", "", "Channel.", "", False, "channels.channel_id"),
            ("earned_premium", "DECIMAL(14,2)", "", "Premium earned, USD.", "premium", False, ""),
        ],
    ),
}

_SAMPLE_VALUES: dict[tuple[str, str], list[str]] = {
    ("claims", "status"): ["open", "under_review", "closed", "denied"],
    ("regions", "name"): ["Northeast", "Southeast", "Midwest", "Southwest", "West", "Northwest"],
    ("channels", "name"): ["Agent", "Broker", "Online", "Phone"],
    ("products", "line"): ["Auto", "Home", "Commercial", "Life", "Specialty"],
    ("customers", "segment"): ["Individual", "Family", "Small Business"],
}

# Words analysts use for stored values (synonym -> value as stored).
_VALUE_SYNONYMS: dict[tuple[str, str], dict[str, str]] = {
    ("products", "line"): {"motor": "Auto", "car": "Auto", "auto insurance": "Auto", "car insurance": "Auto",
                           "home insurance": "Home", "household": "Home"},
    ("claims", "cause"): {"water": "Water Damage", "flood": "Water Damage", "leak": "Water Damage",
                          "car crash": "Collision", "crash": "Collision", "stolen": "Theft"},
    ("claims", "status"): {"rejected": "denied", "declined": "denied", "pending": "under_review",
                           "in review": "under_review", "settled": "closed"},
    ("customers", "segment"): {"smb": "Small Business", "small biz": "Small Business", "families": "Family"},
    ("channels", "name"): {"web": "Online", "internet": "Online", "agents": "Agent", "brokers": "Broker",
                           "call centre": "Phone", "call center": "Phone"},
}

# table: [(name, label, description, synonyms, expression, values)]
_COMPUTED: dict[str, list[tuple[str, str, str, str, str, list[str]]]] = {
    "claims": [(
        "claim_size", "claim size", "Band of the amount claimed: Small under $5,000, Medium under $25,000, "
        "Large under $100,000, Very large from $100,000.", "claim size band, size band, claim band",
        "CASE WHEN claimed_amount < 5000 THEN 'Small' WHEN claimed_amount < 25000 THEN 'Medium' "
        "WHEN claimed_amount < 100000 THEN 'Large' ELSE 'Very large' END",
        ["Small", "Medium", "Large", "Very large"],
    )],
}

# key: name, description (a one-line definition: what it counts, by which date), synonyms, base table,
# expression, time column, default filters, unit, up is good
_METRICS: list[tuple[str, str, str, str, str, str, str, str, str, bool]] = [
    ("claim_count", "Claim count", "Number of claims filed, whatever their status, by filing date.",
     "claims, number of claims, claims filed, claim volume, how many claims, new claims, claims received, "
     "claims reported", "claims", "COUNT(*)", "filed_date", "", "count", True),
    ("distinct_claimants", "Distinct claimants",
     "Number of different customers who filed at least one claim, by filing date.",
     "claimants, unique claimants, customers claiming, distinct customers, unique customers",
     "claims", "COUNT(DISTINCT customer_id)", "filed_date", "",
     "count", True),
    ("total_paid", "Total paid", "Sum paid out (USD) on closed claims, by closure date.",
     "total paid amount, paid amount, amount paid, paid, pay, payouts, paid out, pay out, shell out, claim payments, "
     "losses paid, paid losses",
     "claims", "SUM(paid_amount)", "closed_date", "status = 'closed'", "currency", False),
    ("total_claimed", "Total claimed", "Sum claimants asked for (USD) on the claims filed, by filing date.",
     "claimed amount, amount claimed, claimed, asked for, asking for, amount requested", "claims",
     "SUM(claimed_amount)", "filed_date", "", "currency", True),
    ("avg_settlement_days", "Average settlement days",
     "Average days from filing to closure, i.e. how long closed claims took to settle, by closure date.",
     "settlement days, average settlement time, days to settle, time to settle, time to close, days to close, "
     "settlement time, how long to settle, cycle time",
     "claims", "AVG(settlement_days)", "closed_date", "status = 'closed'", "days", False),
    ("open_claims", "Open claims", "Number of claims filed that are still open or under review, by filing date.",
     "open claim count, pending claims, unresolved claims, backlog, outstanding claims, claims still open",
     "claims", "COUNT(*)", "filed_date", "status IN ('open', 'under_review')", "count", False),
    ("earned_premium", "Earned premium", "Premium earned (USD), by month earned; kept per month, no finer.",
     "premium, premiums earned, premium earned, earned", "earned_premium_monthly", "SUM(earned_premium)", "month",
     "", "currency", True),
]
_LOSS_RATIO_DESCRIPTION = (
    "Total paid (by closure date) divided by earned premium (by month) over the same window."
)

# What earlier seeds wrote: a field still holding it was never edited, and is brought up to date.
_EARLIER_DESCRIPTIONS = {
    "claim_count": "Number of claims filed.",
    "distinct_claimants": "Customers with at least one claim filed.",
    "total_paid": "Sum paid out on closed claims, by closure date.",
    "total_claimed": "Sum claimants asked for, by filing date.",
    "avg_settlement_days": "Mean days from filing to closure of closed claims.",
    "open_claims": "Claims filed in the window that are still open or under review.",
    "earned_premium": "Premium earned, by month.",
    "loss_ratio": "Total paid divided by earned premium over the same window.",
}
_EARLIER_SYNONYMS = {
    "claim_count": "claims, number of claims, claims filed, claim volume",
    "distinct_claimants": "claimants, unique claimants, customers claiming",
    "total_paid": "total paid amount, paid amount, amount paid, payouts, claim payments, losses paid",
    "total_claimed": "claimed amount, amount claimed",
    "avg_settlement_days": "settlement days, average settlement time, days to settle, time to settle",
    "open_claims": "open claim count, pending claims, unresolved claims, backlog",
    "earned_premium": "premium, premiums earned",
}
# Labels several rows share (120 adjusters, 109 names): the key that tells them apart.
_KEY_COLUMNS = {("adjusters", "full_name"): "adjuster_id"}
_EARLIER_COLUMNS = {
    # (table, column): (label, description, synonyms, is_dimension) as earlier seeds wrote them
    ("adjusters", "full_name"): ("", "Adjuster name.", "", False),
}


def demo_source_seed() -> DataSource:
    """Return the demo warehouse source, creating what is missing of its dictionary, metrics and
    computed dimensions, then refreshing its values index from the warehouse (skipped, with a
    warning, when the warehouse cannot be read)."""
    source, _ = DataSource.objects.get_or_create(
        name=DEMO_SOURCE, defaults={"engine": "duckdb", "dialect": "duckdb", "is_default": True}
    )
    for table_name, (description, synonyms, guidelines, columns) in _TABLES.items():
        table, created = DictionaryTable.objects.get_or_create(
            source=source, name=table_name,
            defaults={"description": description, "synonyms": synonyms, "ai_guidelines": guidelines},
        )
        if created:
            _seed_columns(table, columns)
        else:
            _update_columns(table, columns)
        _seed_computed(table)
    _seed_metrics(source)
    _seed_values(source)
    return source


def _seed_columns(table: DictionaryTable, columns: list[tuple[str, str, str, str, str, bool, str]]) -> None:
    DictionaryColumn.objects.bulk_create([
        DictionaryColumn(
            table=table, name=name, data_type=data_type, label=label, description=description, synonyms=synonyms,
            is_dimension=is_dimension, references=references,
            sample_values=_SAMPLE_VALUES.get((table.name, name), []),
            value_synonyms=_VALUE_SYNONYMS.get((table.name, name), {}),
            key_column=_KEY_COLUMNS.get((table.name, name), ""),
        )
        for name, data_type, label, description, synonyms, is_dimension, references in columns
    ])


def _update_columns(table: DictionaryTable, columns: list[tuple[str, str, str, str, str, bool, str]]) -> None:
    """Bring an existing table's columns up to date where nobody edited them: value synonyms where
    there are none, and the fields an earlier seed wrote differently. A missing column is created."""
    existing = {c.name: c for c in table.columns.all()}
    missing = [spec for spec in columns if spec[0] not in existing]
    if missing:
        _seed_columns(table, missing)
    for name, _type, label, description, synonyms, is_dimension, _references in columns:
        column = existing.get(name)
        if column is None:
            continue
        changes: dict[str, Any] = {}
        if not column.key_column and (table.name, name) in _KEY_COLUMNS:
            changes["key_column"] = _KEY_COLUMNS[(table.name, name)]
        if not column.value_synonyms and (table.name, name) in _VALUE_SYNONYMS:
            changes["value_synonyms"] = _VALUE_SYNONYMS[(table.name, name)]
        earlier = _EARLIER_COLUMNS.get((table.name, name))
        if earlier and (column.label, column.description, column.synonyms, column.is_dimension) == earlier:
            changes.update(label=label, description=description, synonyms=synonyms, is_dimension=is_dimension)
        if changes:
            DictionaryColumn.objects.filter(id=column.id).update(**changes)


def _seed_computed(table: DictionaryTable) -> None:
    for name, label, description, synonyms, expression, values in _COMPUTED.get(table.name, []):
        ComputedDimension.objects.get_or_create(table=table, name=name, defaults={
            "label": label, "description": description, "synonyms": synonyms, "expression": expression,
            "values": values,
        })


def _seed_metrics(source: DataSource) -> None:
    for key, name, description, synonyms, base, expression, time_column, filters, unit, up_is_good in _METRICS:
        MetricDefinition.objects.get_or_create(key=key, defaults=_metric_fields(
            source, name=name, description=description, synonyms=synonyms, base_table=base,
            expression=expression, time_column=time_column, default_filters=filters, unit=unit,
            up_is_good=up_is_good, additive=expression_additive(expression), as_it_stands=key in _AS_IT_STANDS,
        ))
        _update_description(key, description)
    if not MetricDefinition.objects.filter(key="loss_ratio").exists():
        MetricDefinition.objects.create(**_metric_fields(
            source, key="loss_ratio", name="Loss ratio", kind=MetricDefinition.Kind.RATIO,
            description=_LOSS_RATIO_DESCRIPTION, synonyms="loss ratio, claims ratio, loss rate", unit="percent",
            up_is_good=False, additive=False,
            numerator=MetricDefinition.objects.get(key="total_paid"),
            denominator=MetricDefinition.objects.get(key="earned_premium"),
        ))
    _update_description("loss_ratio", _LOSS_RATIO_DESCRIPTION)
    # Earned premium is kept per month: a field added after the first seeds, set while still at its default.
    MetricDefinition.objects.filter(key="earned_premium", finest_grain="day").update(finest_grain="month")


def _update_description(key: str, description: str) -> None:
    MetricDefinition.objects.filter(key=key, description=_EARLIER_DESCRIPTIONS[key]).update(description=description)
    synonyms = next((m[3] for m in _METRICS if m[0] == key), None)
    if synonyms is not None and key in _EARLIER_SYNONYMS:
        MetricDefinition.objects.filter(key=key, synonyms=_EARLIER_SYNONYMS[key]).update(synonyms=synonyms)


def _seed_values(source: DataSource) -> None:
    try:
        report = values_refresh(source=source)
    except QueryFailed as e:
        logger.warning("The demo dictionary's values were not indexed: %s", e.message)
        return
    for note in report.notes:
        logger.info("demo values: %s", note)


# Metrics of a state as it stands now: with no period said, every row in that state (sql_gen 0009 sets it on
# databases seeded before the field existed).
_AS_IT_STANDS = frozenset({"open_claims"})


def _metric_fields(source: DataSource, **fields: Any) -> dict[str, Any]:
    return {"source": source, **fields}
