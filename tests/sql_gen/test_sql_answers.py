"""What the SQL step takes from an answer: fences and prose around a statement go, no clause of it does."""
from __future__ import annotations

import pytest

from sql_gen.models import DataSource
from sql_gen.services.generate import _checked
from sql_gen.services.safety import SqlRejected

pytestmark = pytest.mark.django_db


@pytest.fixture
def source(demo_source: DataSource) -> DataSource:
    return demo_source


# A clause in title case after a blank line looks like a sentence; cutting it would change the number.
KEPT = [
    ("SELECT SUM(paid_amount) AS total_paid\nFROM claims\n\nWhere filed_date >= :window_start AND filed_date < :window_end",
     "WHERE"),
    ("SELECT channel_id, COUNT(*) AS claim_count\nFROM claims\nWHERE status = 'open'\n\nGroup by channel_id",
     "GROUP BY"),
    ("SELECT status, SUM(paid_amount) AS total_paid FROM claims GROUP BY status\n\nHaving SUM(paid_amount) > 0",
     "HAVING"),
    ("SELECT claim_id FROM claims\n\nOrder by paid_amount DESC\nLimit 10", "ORDER BY"),
]


@pytest.mark.parametrize(("answer", "clause"), KEPT)
def test_a_clause_after_a_blank_line_is_never_cut(source, answer: str, clause: str) -> None:
    assert clause in _checked(answer, source, []).sql.upper()


@pytest.mark.parametrize("answer", [
    "Here is the query:\n\n```sql\nSELECT COUNT(*) AS claim_count FROM claims WHERE status = 'open'\n```\nIt counts.",
    "Sure! Here it is.\nSELECT COUNT(*) AS claim_count FROM claims WHERE status = 'open'\n\nThis counts open claims.",
    "~~~\nSELECT COUNT(*) AS claim_count FROM claims WHERE status = 'open'\n~~~",
])
def test_fences_and_prose_around_the_statement_are_stripped(source, answer: str) -> None:
    sql = _checked(answer, source, []).sql
    assert sql.startswith("SELECT COUNT(*) AS claim_count") and "status = 'open'" in sql


def test_a_rejection_of_the_whole_is_not_dodged_by_cutting_its_tail(source) -> None:
    # The whole parses and is refused for a table; the cut version would pass: the refusal stands.
    with pytest.raises(SqlRejected, match="secrets"):
        _checked("SELECT COUNT(*) FROM claims\n\nUnion select COUNT(*) FROM secrets", source, [])
