"""The demo warehouse's data dictionary and metric definitions.

Seeding creates what is missing and leaves what exists alone, so an admin's
edits survive a second ``make run``.
"""
from __future__ import annotations

from typing import Any

from sql_gen.models import DataSource, DictionaryColumn, DictionaryTable, MetricDefinition

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
            ("full_name", "VARCHAR", "", "Adjuster name.", "", False, ""),
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

# key: name, description, synonyms, base table, expression, time column, default filters, unit
_METRICS: list[tuple[str, str, str, str, str, str, str, str, str]] = [
    ("claim_count", "Claim count", "Number of claims filed.", "claims, number of claims, claims filed, claim volume",
     "claims", "COUNT(*)", "filed_date", "", "count"),
    ("distinct_claimants", "Distinct claimants", "Customers with at least one claim filed.",
     "claimants, unique claimants, customers claiming", "claims", "COUNT(DISTINCT customer_id)", "filed_date", "", "count"),
    ("total_paid", "Total paid", "Sum paid out on closed claims, by closure date.",
     "total paid amount, paid amount, amount paid, payouts, claim payments, losses paid",
     "claims", "SUM(paid_amount)", "closed_date", "status = 'closed'", "currency"),
    ("total_claimed", "Total claimed", "Sum claimants asked for, by filing date.",
     "claimed amount, amount claimed", "claims", "SUM(claimed_amount)", "filed_date", "", "currency"),
    ("avg_settlement_days", "Average settlement days", "Mean days from filing to closure of closed claims.",
     "settlement days, average settlement time, days to settle, time to settle",
     "claims", "AVG(settlement_days)", "closed_date", "status = 'closed'", "days"),
    ("open_claims", "Open claims", "Claims filed in the window that are still open or under review.",
     "open claim count, pending claims, unresolved claims, backlog",
     "claims", "COUNT(*)", "filed_date", "status IN ('open', 'under_review')", "count"),
    ("earned_premium", "Earned premium", "Premium earned, by month.", "premium, premiums earned",
     "earned_premium_monthly", "SUM(earned_premium)", "month", "", "currency"),
]


def demo_source_seed() -> DataSource:
    """Return the demo warehouse source, creating it with its dictionary and metrics if missing."""
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
    _seed_metrics(source)
    return source


def _seed_columns(table: DictionaryTable, columns: list[tuple[str, str, str, str, str, bool, str]]) -> None:
    DictionaryColumn.objects.bulk_create([
        DictionaryColumn(
            table=table, name=name, data_type=data_type, label=label, description=description, synonyms=synonyms,
            is_dimension=is_dimension, references=references,
            sample_values=_SAMPLE_VALUES.get((table.name, name), []),
        )
        for name, data_type, label, description, synonyms, is_dimension, references in columns
    ])


def _seed_metrics(source: DataSource) -> None:
    for key, name, description, synonyms, base, expression, time_column, filters, unit in _METRICS:
        MetricDefinition.objects.get_or_create(key=key, defaults=_metric_fields(
            source, name=name, description=description, synonyms=synonyms, base_table=base,
            expression=expression, time_column=time_column, default_filters=filters, unit=unit,
        ))
    if not MetricDefinition.objects.filter(key="loss_ratio").exists():
        MetricDefinition.objects.create(**_metric_fields(
            source, key="loss_ratio", name="Loss ratio", kind=MetricDefinition.Kind.RATIO,
            description="Total paid divided by earned premium over the same window.",
            synonyms="loss ratio, claims ratio", unit="percent",
            numerator=MetricDefinition.objects.get(key="total_paid"),
            denominator=MetricDefinition.objects.get(key="earned_premium"),
        ))


def _metric_fields(source: DataSource, **fields: Any) -> dict[str, Any]:
    return {"source": source, **fields}
