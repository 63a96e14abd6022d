"""Tables checked once per process: a second load of the same files takes the checked table, and any
edit, to the table or to a table its rules read, is read and checked again."""

from __future__ import annotations

import pandas as pd
import pytest
from datatools import copy_data, get_cell, set_cell

from casualty_workbook.core.exceptions import DataValidationError
from casualty_workbook.core.files import sha256_file
from casualty_workbook.data import loading, provenance, read_log
from casualty_workbook.data.loading import check_ahead, load_claims, load_table


@pytest.fixture
def data(tmp_path):
    return copy_data(tmp_path)


@pytest.fixture
def no_reading(monkeypatch):
    """Any table read from its file from now on fails the test: what follows must come from the cache."""

    def refuse(path, spec, ahead=None):
        raise AssertionError(f"{path} was read again")

    def arm():
        monkeypatch.setattr(loading, "read_text_table", refuse)

    return arm


def test_a_second_load_of_the_same_files_is_taken_from_the_cache(data, no_reading):
    first = load_claims(data)
    no_reading()
    second = load_claims(data)
    pd.testing.assert_frame_equal(first, second)
    assert second.attrs == first.attrs and second.attrs["metadata"]["origin"]


def test_a_caller_s_changes_never_reach_the_next_load(data):
    first = load_table("claims", data)
    original = first.copy(deep=True)
    first.loc[first.index[0], "value_best"] = 999_999
    with pytest.raises(TypeError, match="read-only"):  # the metadata itself cannot be edited in place
        first.attrs["metadata"]["title"] = "changed by a caller"
    first.attrs["metadata"] = {**first.attrs["metadata"], "title": "changed by a caller"}
    first.attrs["table"] = "renamed by a caller"
    del first["quote"]
    pd.testing.assert_frame_equal(load_table("claims", data), original)
    again = load_table("claims", data).attrs
    assert again["metadata"]["title"] != "changed by a caller" and again["table"] == "claims"


def test_a_file_edited_right_after_a_load_is_read_and_checked_again(data):
    """Same size, same second: the cache goes by content, not by the file's time or size."""
    load_table("claims", data)
    status = get_cell(data, "claims", "C001", "status")
    row = set_cell(data, "claims", "C001", "status", "x" * len(status))  # a word outside the vocabulary
    with pytest.raises(DataValidationError) as err:
        load_table("claims", data)
    assert "claims.csv" in str(err.value) and f"row {row}" in str(err.value)
    set_cell(data, "claims", "C001", "status", status)
    assert load_table("claims", data).loc[0, "status"] == status


def test_a_table_is_checked_again_when_a_table_its_rules_read_changes(data):
    """claims.csv is unchanged, but the claimant its rows name is gone: the reference rule runs again."""
    load_claims(data)
    claimant = get_cell(data, "claims", "C001", "claimant")
    set_cell(data, "claimants", claimant, "claimant_id", claimant + "_renamed")
    with pytest.raises(DataValidationError) as err:
        load_table("claims", data)
    assert "claims.csv" in str(err.value) and claimant in str(err.value)


def test_a_load_from_the_cache_records_the_files_it_stands_for(data, no_reading, monkeypatch):
    monkeypatch.setattr(read_log, "READ_LOG", read_log.ReadLog())
    load_table("events", data)
    read_from_files = provenance.data_reads()
    assert read_from_files["events.csv"] == sha256_file(data / "events.csv")
    assert read_from_files["events.meta.yml"] == sha256_file(data / "events.meta.yml")
    monkeypatch.setattr(read_log, "READ_LOG", read_log.ReadLog())
    no_reading()
    load_table("events", data)
    assert provenance.data_reads() == read_from_files


def test_checking_ahead_records_nothing_and_serves_every_later_load(data, no_reading, monkeypatch):
    monkeypatch.setattr(read_log, "READ_LOG", read_log.ReadLog())
    check_ahead(data)
    assert provenance.data_reads() == {}
    no_reading()
    assert len(load_claims(data)) > 0 and len(load_table("weapon_mentions", data)) > 0


def test_checking_ahead_a_folder_with_problems_keeps_the_problems_for_the_load_that_needs_them(data):
    row = set_cell(data, "claims", "C001", "value_best", "fifteen")
    check_ahead(data)  # no error here: a build or a report names it when it loads the table
    assert len(load_table("events", data)) > 0
    with pytest.raises(DataValidationError, match=f"row {row}"):
        load_table("claims", data)


def test_a_copy_of_the_data_folder_is_served_from_the_cache_under_its_own_paths(
    data, tmp_path, no_reading, monkeypatch
):
    load_claims(data)
    copy = copy_data(tmp_path / "elsewhere")
    monkeypatch.setattr(read_log, "READ_LOG", read_log.ReadLog())
    no_reading()
    claims = load_table("claims", copy)
    assert claims.attrs["path"] == str(copy / "claims.csv")
    assert str((copy / "claims.csv").resolve()) in read_log.READ_LOG.paths()
    assert not any(str(data) in read for read in read_log.READ_LOG.paths())


def test_a_link_out_of_the_folder_is_refused_even_to_content_checked_before(data, tmp_path):
    load_table("events", data)
    outside = tmp_path / "outside.csv"
    outside.write_bytes((data / "events.csv").read_bytes())
    (data / "events.csv").unlink()
    (data / "events.csv").symlink_to(outside)
    with pytest.raises(DataValidationError, match="symbolic link"):
        load_table("events", data)


def test_a_table_whose_neighbour_changed_is_not_read_again_but_its_rules_across_tables_run(data, monkeypatch):
    """claims.csv is unchanged and claimants.csv changed: only claimants.csv is read and checked cell by cell;
    claims' cells come from the cache, and its rules across tables still see the new claimants."""
    load_claims(data)
    claimant = get_cell(data, "claims", "C001", "claimant")
    set_cell(data, "claimants", claimant, "name", "A renamed claimant")
    read = []
    reader = loading.read_text_table
    monkeypatch.setattr(
        loading, "read_text_table", lambda path, spec, *ahead: read.append(path.name) or reader(path, spec, *ahead)
    )
    assert len(load_claims(data)) > 0
    assert read == ["claimants.csv"]
    set_cell(data, "claimants", claimant, "claimant_id", claimant + "_renamed")
    with pytest.raises(DataValidationError) as err:
        load_table("claims", data)
    assert "claims.csv" in str(err.value) and claimant in str(err.value)
    assert read == ["claimants.csv", "claimants.csv"]


def test_a_table_taken_from_the_cache_keeps_its_cells_stage_as_long(data, monkeypatch):
    """The two parts of the cache forget their oldest entries: a table used again keeps both its checked
    entry and its cells' stage, so that when a table it reads changes, its own cells are not read again."""
    loading.TABLE_CACHE.clear()
    load_claims(data)
    tables = len(loading.TABLE_CACHE.cells)

    def read_others(count: int, name: str) -> None:  # other tables' cells, read since
        for filler in range(count):
            loading.TABLE_CACHE.remember(loading.TABLE_CACHE.cells, (name, str(filler)), (pd.DataFrame(), ()))

    read_others(loading.TableCache.MAX_ENTRIES - tables, "other")  # the cache full, nothing forgotten yet
    load_claims(data)  # claims and the tables it reads, taken from the cache whole
    read_others(tables, "later")  # as many more: the oldest entries go
    claimant = get_cell(data, "claims", "C001", "claimant")
    set_cell(data, "claimants", claimant, "name", "A renamed claimant")
    read = []
    reader = loading.read_text_table
    monkeypatch.setattr(
        loading, "read_text_table", lambda path, spec, *ahead: read.append(path.name) or reader(path, spec, *ahead)
    )
    load_claims(data)
    assert read == ["claimants.csv"]


def test_a_table_read_afresh_records_the_hashes_of_its_files(data, monkeypatch):
    """With nothing of a table in the cache, its files are hashed while it is read: the hashes recorded
    are its files' own."""
    loading.TABLE_CACHE.clear()
    monkeypatch.setattr(read_log, "READ_LOG", read_log.ReadLog())
    load_table("claims", data)
    recorded = read_log.READ_LOG.by_name()
    assert recorded["claims.csv"] == sha256_file(data / "claims.csv")
    assert recorded["claims.meta.yml"] == sha256_file(data / "claims.meta.yml")


def test_a_broken_file_loaded_again_is_named_the_same_without_being_read_again(data, no_reading):
    row = set_cell(data, "claims", "C001", "value_best", "fifteen")
    with pytest.raises(DataValidationError) as first:
        load_table("claims", data)
    no_reading()
    with pytest.raises(DataValidationError) as second:
        load_table("claims", data)
    assert str(second.value) == str(first.value) and f"row {row}" in str(second.value)


def test_the_joins_of_claims_and_mentions_are_made_once_for_the_same_checked_tables(data, monkeypatch):
    """A kernel forked from a warm server takes ``load_claims``' join from the cache; an edit to a table
    of the join (a claimant's name) makes it again, and a copy of the folder gets its own paths."""
    from casualty_workbook.data.loading import load_weapon_mentions

    joins = []
    with_who = loading._with_who
    monkeypatch.setattr(loading, "_with_who", lambda frame, memo: joins.append(1) or with_who(frame, memo))
    first, mentions = load_claims(data), load_weapon_mentions(data)
    first.loc[first.index[0], "claimant_name"] = "changed by a caller"
    again = load_claims(data)
    pd.testing.assert_frame_equal(load_weapon_mentions(data), mentions)
    assert len(joins) == 2 and again.loc[again.index[0], "claimant_name"] != "changed by a caller"
    claimant = again.loc[again.index[0], "claimant"]
    set_cell(data, "claimants", claimant, "name", "A renamed claimant")
    renamed = load_claims(data)
    assert len(joins) == 3 and renamed.loc[renamed.index[0], "claimant_name"] == "A renamed claimant"
    copy = copy_data(data.parent / "elsewhere")
    assert load_claims(copy).attrs["path"] == str(copy / "claims.csv")


def test_checking_ahead_with_joins_leaves_no_join_for_a_kernel_to_make(data, monkeypatch):
    from casualty_workbook.data.loading import load_weapon_mentions

    check_ahead(data, joins=True)
    monkeypatch.setattr(loading, "_with_who", lambda frame, memo: pytest.fail("joined again"))
    assert len(load_claims(data)) and len(load_weapon_mentions(data))
