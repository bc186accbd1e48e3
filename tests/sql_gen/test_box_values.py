"""Values and messages coming back from the box."""
from __future__ import annotations

from pathlib import Path

import pytest

from sql_gen.services.execute import QueryFailed, sql_execute
from tests.sql_gen.conftest import duck_source, pool, small_box  # noqa: F401  (fixtures)


def test_an_interval_the_driver_cannot_convert_does_not_kill_the_worker(small_box, warehouse_file):  # noqa: F811
    """fetchmany raises OverflowError (not a duckdb.Error) for INTERVAL '10000000' YEAR: the worker's
    main loop dies with a traceback on stderr and the statement is reported as an engine crash."""
    source = duck_source(warehouse_file)
    sql_execute(source=source, sql="SELECT 1")
    [pid] = small_box.workers()
    with pytest.raises(QueryFailed) as caught:
        sql_execute(source=source, sql="SELECT INTERVAL '10000000' YEAR AS i")
    assert caught.value.extra.get("limit") != "crash", caught.value.message
    assert small_box.workers() == [pid], "the worker died over a value conversion"


def test_a_broken_duckdb_file_is_named_without_its_absolute_path(small_box, tmp_path: Path):  # noqa: F811
    """_display_path keeps absolute paths out of messages analysts see; DuckDB's own text puts it back."""
    bogus = tmp_path / "bogus.duckdb"
    bogus.write_text("not a database")
    with pytest.raises(QueryFailed) as caught:
        sql_execute(source=duck_source(bogus), sql="SELECT 1")
    assert str(tmp_path) not in caught.value.message, caught.value.message
