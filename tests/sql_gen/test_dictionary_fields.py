"""The dictionary's grounding fields: the source's time zone, metrics' direction and additivity,
value synonyms, computed dimensions (checked like any SQL, in the model and in admin), and the
migration that brings existing metrics up to date."""
from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from sql_gen.models import (
    ComputedDimension,
    DataSource,
    DictionaryColumn,
    DictionaryTable,
    DimensionValue,
    MetricDefinition,
    validate_time_zone,
)

pytestmark = pytest.mark.django_db

SIZE_CASE = (
    "CASE WHEN claimed_amount < 5000 THEN 'Small' WHEN claimed_amount < 25000 THEN 'Medium' "
    "WHEN claimed_amount < 100000 THEN 'Large' ELSE 'Very large' END"
)


@pytest.fixture
def claims_table() -> DictionaryTable:
    source = DataSource.objects.create(name="wh", engine="duckdb", dialect="duckdb")
    table = DictionaryTable.objects.create(source=source, name="claims")
    for name, data_type in (("claim_id", "BIGINT"), ("status", "VARCHAR"), ("claimed_amount", "DECIMAL(12,2)")):
        DictionaryColumn.objects.create(table=table, name=name, data_type=data_type)
    return table


def field_errors(instance: Any) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        instance.full_clean()
    return caught.value.message_dict


# -- time zone -------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["UTC", "America/New_York", "Europe/Paris", "Asia/Kolkata", "US/Eastern"])
def test_an_iana_time_zone_is_accepted(name: str) -> None:
    validate_time_zone(name)
    assert DataSource(name="s", time_zone=name).zone().key == name


@pytest.mark.parametrize("name", ["", "utc", "Europe/Pariss", "CEST", "+02:00", "../etc/passwd", "localtime",
                                  "/usr/share/zoneinfo/UTC"])
def test_a_bad_time_zone_is_refused(name: str) -> None:
    with pytest.raises(ValidationError, match="IANA time zone"):
        validate_time_zone(name)
    assert "time_zone" in field_errors(DataSource(name="s", engine="duckdb", dialect="duckdb", time_zone=name))


def test_a_source_is_in_utc_unless_told_otherwise() -> None:
    assert DataSource.objects.create(name="s").time_zone == "UTC"


# -- metrics: direction and additivity -------------------------------------------------------------


@pytest.mark.parametrize(("expression", "additive"), [
    ("SUM(paid_amount)", True), ("COUNT(*)", True), ("count(claim_id)", True),
    ("SUM(CASE WHEN status = 'closed' THEN 1 ELSE 0 END)", True),
    ("COUNT(DISTINCT customer_id)", False), ("AVG(settlement_days)", False), ("SUM(DISTINCT paid_amount)", False),
    ("SUM(paid_amount) / COUNT(*)", False), ("MAX(paid_amount)", False), ("MEDIAN(paid_amount)", False),
])
def test_only_plain_sums_and_counts_may_be_additive(claims_table: DictionaryTable, expression: str,
                                                    additive: bool) -> None:
    metric = MetricDefinition(key="m", name="M", source=claims_table.source, base_table="claims",
                              expression=expression, additive=True)
    if additive:
        metric.full_clean()
    else:
        assert "SUM(...) or COUNT(...)" in " ".join(field_errors(metric)["additive"])
        metric.additive = False
        metric.full_clean()


def test_a_ratio_metric_is_never_additive(claims_table: DictionaryTable) -> None:
    parts = [MetricDefinition.objects.create(key=k, name=k, source=claims_table.source, base_table="claims",
                                             expression="COUNT(*)") for k in ("a", "b")]
    ratio = MetricDefinition(key="r", name="R", source=claims_table.source, kind="ratio",
                             numerator=parts[0], denominator=parts[1], additive=True)
    assert "additive" in field_errors(ratio)


def test_a_new_metric_counts_up_as_good_news() -> None:
    assert MetricDefinition._meta.get_field("up_is_good").default is True


# -- value synonyms ------------------------------------------------------------------------------------


def _status_form(claims_table: DictionaryTable, **fields: Any) -> tuple[DictionaryColumn, str, dict[str, str]]:
    """The status column saved with ``fields``, its admin change page and the form that page posts as it is."""
    column = _status(claims_table, **fields)
    column.save()
    form = {"table": str(claims_table.id), "name": "status", "label": "", "data_type": "VARCHAR",
            "description": "", "synonyms": "", "is_dimension": "on",
            "sample_values": json.dumps(column.sample_values or []), "references": "",
            "indexed_values-TOTAL_FORMS": "0", "indexed_values-INITIAL_FORMS": "0"}
    return column, f"/admin/sql_gen/dictionarycolumn/{column.id}/change/", form


def _status(claims_table: DictionaryTable, **fields: Any) -> DictionaryColumn:
    column = claims_table.columns.get(name="status")
    for name, value in fields.items():
        setattr(column, name, value)
    return column


GOOD_SYNONYMS = [
    {},
    {"rejected": "denied", "in review": "under_review"},
    {"Settled": "closed", "pending": "under_review"},
]
BAD_SYNONYMS = [
    (["rejected", "denied"], "JSON object"),
    ({"rejected": "Denied"}, "stored spelling is 'denied'"),
    ({"rejected": "refused"}, "is not one of the values"),
    ({"rejected": ""}, "non-empty"),
    ({"  ": "denied"}, "non-empty"),
    ({"Rejected": "denied", "rejected ": "denied"}, "given twice"),
    ({"closed": "denied"}, "is itself a value"),
]


@pytest.mark.parametrize("synonyms", GOOD_SYNONYMS)
def test_value_synonyms_to_known_values_are_accepted(claims_table: DictionaryTable, synonyms: dict[str, str]) -> None:
    _status(claims_table, sample_values=["open", "under_review", "closed", "denied"],
            value_synonyms=synonyms).full_clean()


@pytest.mark.parametrize(("synonyms", "message"), BAD_SYNONYMS)
def test_bad_value_synonyms_are_refused(claims_table: DictionaryTable, synonyms: Any, message: str) -> None:
    column = _status(claims_table, sample_values=["open", "under_review", "closed", "denied"],
                     value_synonyms=synonyms)
    assert message in " ".join(field_errors(column)["value_synonyms"])


def test_value_synonyms_are_checked_against_the_whole_values_index_when_there_is_one(
        claims_table: DictionaryTable) -> None:
    column = _status(claims_table, sample_values=["open"], values_indexed_at="2026-01-01T00:00:00Z")
    column.save()
    DimensionValue.objects.bulk_create([DimensionValue(column=column, value=v) for v in ("open", "reopened")])
    column.value_synonyms = {"opened again": "reopened"}  # not in the sample, but in the index
    column.full_clean()
    column.value_synonyms = {"gone": "denied"}  # in neither
    assert "not one of the values" in " ".join(field_errors(column)["value_synonyms"])


def test_without_known_values_any_target_is_accepted(claims_table: DictionaryTable) -> None:
    _status(claims_table, value_synonyms={"rejected": "whatever the admin says"}).full_clean()


# Words in another script fold to nothing (or to their other words) in the reader, so they could never match.
UNREADABLE = [("自動車", "'自動車'"), ("Авто", "'Авто'"), ("Авто car", "'Авто'"), ("straße", "'ß' is dropped"),
              ("αυτοκίνητο", "are dropped")]
READABLE = ["motor", "dégât des eaux", "Zürich", "car-insurance", "4x4"]


@pytest.mark.parametrize(("word", "message"), UNREADABLE)
def test_a_value_synonym_the_reader_cannot_read_is_refused(claims_table: DictionaryTable, word: str,
                                                           message: str) -> None:
    column = _status(claims_table, sample_values=["open", "closed", "denied"], value_synonyms={word: "denied"})
    errors = " ".join(field_errors(column)["value_synonyms"])
    assert "can never match a request" in errors and message in errors and "Latin letters" in errors


@pytest.mark.parametrize("word", READABLE)
def test_a_value_synonym_in_latin_letters_accents_included_is_accepted(claims_table: DictionaryTable,
                                                                        word: str) -> None:
    _status(claims_table, sample_values=["open", "closed", "denied"], value_synonyms={word: "denied"}).full_clean()


@pytest.mark.parametrize(("word", "message"), UNREADABLE)
def test_a_synonym_the_reader_cannot_read_is_refused_wherever_it_is_given(claims_table: DictionaryTable, word: str,
                                                                          message: str) -> None:
    listed = f"settled, {word}"
    claims_table.synonyms = listed
    column = _status(claims_table, synonyms=listed)
    metric = MetricDefinition(key="paid", name="Paid", source=claims_table.source, base_table="claims",
                              expression="SUM(claimed_amount)", synonyms=listed)
    for instance in (claims_table, column, computed(claims_table, synonyms=listed), metric):
        assert message in " ".join(field_errors(instance)["synonyms"]), instance
    for word in READABLE:
        _status(claims_table, synonyms=f"settled, {word}").full_clean()


def test_admin_refuses_a_synonym_in_another_script_as_a_form_error(admin_client: Any,
                                                                   claims_table: DictionaryTable) -> None:
    column, url, form = _status_form(claims_table, sample_values=["open", "closed", "denied"], is_dimension=True)
    refused = admin_client.post(url, {**form, "value_synonyms": '{"отклонено": "denied"}'})
    assert refused.status_code == 200
    assert "can never match a request" in " ".join(refused.context["adminform"].form.errors["value_synonyms"])
    column.refresh_from_db()
    assert column.value_synonyms == {}


def test_admin_warns_when_value_synonyms_have_no_values_to_be_checked_against(admin_client: Any,
                                                                             claims_table: DictionaryTable) -> None:
    column, url, form = _status_form(claims_table, is_dimension=True)
    saved = admin_client.post(url, {**form, "value_synonyms": '{"rejected": "denied"}'}, follow=True)
    said = [str(m) for m in saved.context["messages"]]
    assert any("claims.status: its value synonyms could not be checked" in m for m in said), said
    checked = admin_client.post(url, {**form, "sample_values": '["denied"]', "value_synonyms": '{"rejected": "denied"}'},
                                follow=True)
    assert not any("could not be checked" in str(m) for m in checked.context["messages"])


# -- computed dimensions -------------------------------------------------------------------------------


def computed(table: DictionaryTable, **fields: Any) -> ComputedDimension:
    values = {"name": "claim_size", "label": "claim size", "expression": SIZE_CASE, **fields}
    return ComputedDimension(table=table, **values)


def test_a_case_over_the_tables_columns_is_accepted_and_gives_its_labels(claims_table: DictionaryTable) -> None:
    dimension = computed(claims_table)
    dimension.full_clean()
    assert dimension.values == ["Small", "Medium", "Large", "Very large"]
    assert dimension.key == "claims.claim_size"


BAD_EXPRESSIONS = [
    ("", "Enter an expression"),
    ("SUM(claimed_amount)", "aggregate"),
    ("COUNT(*)", "aggregate"),
    ("ROW_NUMBER() OVER (ORDER BY claim_id)", "window"),
    ("(SELECT MAX(claimed_amount) FROM claims)", "subquery"),
    ("claimed_amount > 0 AND EXISTS (SELECT 1 FROM claims)", "subquery"),
    ("claimed_amount FROM claims", "Write only the expression"),
    ("status, claimed_amount", "one expression"),
    ("status; DROP TABLE claims", "one expression"),
    ("status AS s", "without AS"),
    ("paid_amount", "no column 'paid_amount'"),
    ("policies.status", "only the columns of claims"),
    ("CASE WHEN claims.claimed_amount < 5000 THEN 'Small' ELSE 'Big' END", "Name the columns bare: claimed_amount"),
    ("main.claims.status", "Name the columns bare: status"),
    ("read_csv('/etc/passwd')", "not allowed"),
    ("CASE WHEN", "could not be parsed"),
]


@pytest.mark.parametrize(("expression", "message"), BAD_EXPRESSIONS)
def test_a_bad_expression_is_refused_with_a_reason(claims_table: DictionaryTable, expression: str,
                                                   message: str) -> None:
    errors = field_errors(computed(claims_table, expression=expression))
    assert message in " ".join(errors["expression"])


def test_listed_values_must_be_those_the_case_yields(claims_table: DictionaryTable) -> None:
    errors = field_errors(computed(claims_table, values=["Small", "Big"]))
    assert "yields Small, Medium, Large, Very large" in " ".join(errors["values"])


@pytest.mark.parametrize(("values", "message"), [
    ("Small", "JSON list"), (["Small", "Small"], "listed once"), (["Small", ""], "JSON list"),
])
def test_values_must_be_a_list_of_distinct_labels(claims_table: DictionaryTable, values: Any, message: str) -> None:
    errors = field_errors(computed(claims_table, expression="UPPER(status)", values=values))
    assert message in " ".join(errors["values"])


def test_a_computed_dimension_cannot_take_a_columns_name(claims_table: DictionaryTable) -> None:
    assert "already has a column" in " ".join(field_errors(computed(claims_table, name="status"))["name"])


@pytest.mark.parametrize("name", ["Claim_Size", "claim-size", "1size", "claim size", "claim_size\n"])
def test_a_computed_dimensions_name_is_an_identifier(claims_table: DictionaryTable, name: str) -> None:
    assert "name" in field_errors(computed(claims_table, name=name))


def test_its_value_synonyms_must_name_its_labels(claims_table: DictionaryTable) -> None:
    computed(claims_table, value_synonyms={"big": "Large"}).full_clean()
    errors = field_errors(computed(claims_table, value_synonyms={"big": "Huge"}))
    assert "not one of the values" in " ".join(errors["value_synonyms"])


def _admin_form(claims_table: DictionaryTable, expression: str) -> dict[str, str]:
    return {"table": str(claims_table.id), "name": "claim_size", "label": "claim size", "description": "",
            "synonyms": "", "expression": expression, "values": "[]", "value_synonyms": "{}"}


def test_admin_refuses_a_bad_expression_as_a_form_error(admin_client: Any, claims_table: DictionaryTable) -> None:
    response = admin_client.post("/admin/sql_gen/computeddimension/add/",
                                 _admin_form(claims_table, "SUM(claimed_amount)"))
    assert response.status_code == 200  # the form again, not a redirect
    errors = response.context["adminform"].form.errors
    assert "aggregate" in " ".join(errors["expression"])
    assert not ComputedDimension.objects.exists()


def test_admin_saves_a_good_expression_with_its_labels(admin_client: Any, claims_table: DictionaryTable) -> None:
    response = admin_client.post("/admin/sql_gen/computeddimension/add/", _admin_form(claims_table, SIZE_CASE))
    assert response.status_code == 302
    assert ComputedDimension.objects.get().values == ["Small", "Medium", "Large", "Very large"]


def test_admin_refuses_a_bad_expression_in_the_tables_inline(admin_client: Any,
                                                             claims_table: DictionaryTable) -> None:
    url = f"/admin/sql_gen/dictionarytable/{claims_table.id}/change/"
    columns = list(claims_table.columns.all())
    data = {"source": str(claims_table.source_id), "name": "claims", "description": "", "synonyms": "",
            "ai_guidelines": "", "columns-TOTAL_FORMS": str(len(columns)), "columns-INITIAL_FORMS": str(len(columns)),
            "computed_dimensions-TOTAL_FORMS": "1", "computed_dimensions-INITIAL_FORMS": "0"}
    for n, column in enumerate(columns):
        data.update({f"columns-{n}-{k}": v for k, v in {
            "id": str(column.id), "table": str(claims_table.id), "name": column.name, "label": "",
            "data_type": column.data_type, "description": "", "synonyms": "", "sample_values": "[]",
            "value_synonyms": "{}", "references": "",
        }.items()})
    data.update({"computed_dimensions-0-table": str(claims_table.id), "computed_dimensions-0-name": "claim_size",
                 "computed_dimensions-0-label": "claim size", "computed_dimensions-0-expression": "AVG(claimed_amount)",
                 "computed_dimensions-0-values": "[]", "computed_dimensions-0-value_synonyms": "{}"})
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert "aggregate" in str(response.context["inline_admin_formsets"][1].formset.errors)
    assert not ComputedDimension.objects.exists()
    data["computed_dimensions-0-expression"] = SIZE_CASE
    assert admin_client.post(url, data).status_code == 302
    assert ComputedDimension.objects.get().values == ["Small", "Medium", "Large", "Very large"]


def test_admin_edits_value_synonyms_and_refuses_an_unknown_value(admin_client: Any,
                                                                 claims_table: DictionaryTable) -> None:
    column, url, form = _status_form(claims_table, sample_values=["open", "closed", "denied"], is_dimension=True)
    refused = admin_client.post(url, {**form, "value_synonyms": '{"rejected": "refused"}'})
    assert refused.status_code == 200
    assert "not one of the values" in " ".join(refused.context["adminform"].form.errors["value_synonyms"])
    saved = admin_client.post(url, {**form, "value_synonyms": '{"rejected": "denied"}'})
    assert saved.status_code == 302
    column.refresh_from_db()
    assert column.value_synonyms == {"rejected": "denied"}


def test_admin_edits_a_sources_time_zone_and_refuses_a_bad_one(admin_client: Any) -> None:
    source = DataSource.objects.create(name="wh", engine="duckdb", dialect="duckdb")
    url = f"/admin/sql_gen/datasource/{source.id}/change/"
    form = {"name": "wh", "engine": "duckdb", "dialect": "duckdb", "location": "", "row_cap": "5000",
            "statement_timeout_s": "10", "request_budget_s": "180"}
    assert admin_client.post(url, {**form, "time_zone": "Mars/Olympus"}).status_code == 200
    assert admin_client.post(url, {**form, "time_zone": "Europe/Paris"}).status_code == 302
    source.refresh_from_db()
    assert source.time_zone == "Europe/Paris"


# -- the migration -------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_migration_sets_additive_from_expressions_and_the_demos_costs_as_down_is_good() -> None:
    executor = MigrationExecutor(connection)
    before, after = [("sql_gen", "0003_datasource_request_budget")], [("sql_gen", "0004_grounding")]
    executor.migrate(before)
    try:
        old = MigrationExecutor(connection).loader.project_state(before).apps
        source = old.get_model("sql_gen", "DataSource").objects.create(name="demo-warehouse")
        other = old.get_model("sql_gen", "DataSource").objects.create(name="other")
        metric = old.get_model("sql_gen", "MetricDefinition")
        rows = [("claim_count", "COUNT(*)", source), ("total_paid", "SUM(paid_amount)", source),
                ("avg_settlement_days", "AVG(settlement_days)", source),
                ("distinct_claimants", "COUNT(DISTINCT customer_id)", source), ("total_paid_x", "SUM(x)", other)]
        for key, expression, owner in rows:
            metric.objects.create(key=key, name=key, source=owner, base_table="claims", expression=expression)
        ratio = metric.objects.create(key="loss_ratio", name="Loss ratio", source=source, kind="ratio",
                                      numerator=metric.objects.get(key="total_paid"),
                                      denominator=metric.objects.get(key="claim_count"))
        MigrationExecutor(connection).migrate(after)
        new = MigrationExecutor(connection).loader.project_state(after).apps.get_model("sql_gen", "MetricDefinition")
        flags = {m.key: (m.additive, m.up_is_good) for m in new.objects.all()}
        assert ratio.id and flags == {
            "claim_count": (True, True), "total_paid": (True, False), "avg_settlement_days": (False, False),
            "distinct_claimants": (False, True), "total_paid_x": (True, True), "loss_ratio": (False, False),
        }
    finally:
        MigrationExecutor(connection).migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
