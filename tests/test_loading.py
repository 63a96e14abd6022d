"""The real data/ loads with the right types, holds every figure the report states, and the
loader forgives what spreadsheets write (BOM, CRLF, blank trailing lines, padded cells)."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from datatools import BENIGN_VARIANTS, DATA_DIR, copy_data, read_rows

from casualty_workbook.analysis.series import is_running_count
from casualty_workbook.core.exceptions import DataValidationError
from casualty_workbook.data.loading import load_all, load_claims, load_table
from casualty_workbook.data.schemas import TABLES

SEED = DATA_DIR.parents[1] / "shared" / "seeds" / "000_3f63b216a0e3273d.txt"
CODEBOOK = DATA_DIR / "README.md"


@pytest.fixture(scope="module")
def tables() -> dict[str, pd.DataFrame]:
    return load_all(DATA_DIR)


@pytest.fixture(scope="module")
def claims(tables) -> pd.DataFrame:
    return tables["claims"].set_index("claim_id", drop=False)


# ---- types --------------------------------------------------------------------------------------

EXPECTED_DTYPE = {
    "count": "Int64",
    "year": "Int64",
    "number": "Float64",
    "latitude": "Float64",
    "longitude": "Float64",
    "bool": "boolean",
    "date": "datetime64[s]",
    "id": "string",
    "text": "string",
    "time": "string",
    "time_offset": "string",
    "url": "string",
}


@pytest.mark.parametrize("name", list(TABLES))
def test_table_loads_with_expected_dtypes(tables, name):
    frame, spec = tables[name], TABLES[name]
    assert list(frame.columns) == spec.columns
    assert len(frame) == len(read_rows(DATA_DIR, name)[1]) > 0
    for f in spec.fields:
        dtype = frame[f.name].dtype
        if f.kind == "vocab":
            assert isinstance(dtype, pd.CategoricalDtype), (f.name, dtype)
            assert list(dtype.categories) == list(f.vocab), f.name
            assert frame[f.name].notna().sum() == sum(
                1 for r in read_rows(DATA_DIR, name)[1] if r[spec.columns.index(f.name)]
            )
        elif f.kind in ("id", "text", "time", "time_offset", "url"):
            assert isinstance(dtype, pd.StringDtype), (f.name, dtype)
        else:
            assert str(dtype) == EXPECTED_DTYPE[f.kind], (f.name, dtype)
        if f.required:
            assert frame[f.name].notna().all(), f.name


def test_key_dtypes_spelled_out(tables):
    claims = tables["claims"]
    assert str(claims["value_low"].dtype) == "Int64" and str(claims["value_best"].dtype) == "Int64"
    assert str(claims["reported_on"].dtype) == "datetime64[s]"
    assert isinstance(claims["metric"].dtype, pd.CategoricalDtype)
    assert isinstance(claims["claim_id"].dtype, pd.StringDtype)
    years = tables["ohchr_civilian_deaths_by_year"]
    assert str(years["year"].dtype) == "Int64" and str(years["includes_mh17"].dtype) == "boolean"
    assert str(tables["places"]["latitude"].dtype) == "Float64"
    assert str(tables["ohchr_mine_share"]["share_percent"].dtype) == "Float64"


def test_empty_cells_load_as_missing_never_zero_or_blank(tables):
    claims = tables["claims"].set_index("claim_id")
    assert claims.loc["C001", "value_high"] is pd.NA
    assert claims.loc["C016", "value_low"] is pd.NA and claims.loc["C016", "value_high"] is pd.NA
    assert pd.isna(claims.loc["C006", "population"])
    assert claims.loc["C001", "note"] is pd.NA  # an empty note, not ""
    assert pd.isna(tables["sources"].set_index("source_id").loc["wikipedia_belgorod", "published"])


@pytest.mark.parametrize("name", list(TABLES))
def test_table_carries_its_origin(tables, name):
    attrs = tables[name].attrs
    assert attrs["table"] == name
    assert Path(attrs["path"]).name == f"{name}.csv"
    meta = attrs["metadata"]
    assert meta["title"] and meta["description"]
    assert set(meta["origin"]) >= {"producer", "title", "date_published", "url", "date_accessed"}


def test_ohchr_tables_name_ohchr_as_producer(tables):
    for name in ("ohchr_totals", "ohchr_civilian_deaths_by_year", "ohchr_mine_share"):
        origin = tables[name].attrs["metadata"]["origin"]
        assert origin["producer"] == "OHCHR"
        # A document whose address was not checked is left without one, and then without a date too.
        assert origin["url"].startswith("https://") or (origin["url"] == "" and origin["date_published"] == "")
    assert tables["ohchr_totals"].attrs["metadata"]["origin"]["url"].startswith("https://")


def test_load_table_loads_only_what_it_needs_and_rejects_unknown_names():
    assert list(load_table("claimants", DATA_DIR)["claimant_id"])[:2] == ["ru_officials", "ru_mod"]
    with pytest.raises(KeyError, match="unknown table 'claim'"):
        load_table("claim", DATA_DIR)


def test_data_dir_from_environment(monkeypatch, tmp_path):
    copy = copy_data(tmp_path)
    (copy / "claims.csv").write_text("", encoding="utf-8")
    monkeypatch.setenv("WORKBOOK_DATA_DIR", str(copy))
    with pytest.raises(DataValidationError, match=r"claims\.csv: invalid data \(1 problem\)\n  file: is empty"):
        load_table("claims")


def test_missing_file_is_named(tmp_path):
    copy = copy_data(tmp_path)
    (copy / "claimants.csv").unlink()
    with pytest.raises(
        DataValidationError, match=r"claimants\.csv: invalid data \(1 problem\)\n  file: file not found"
    ):
        load_table("claims", copy)


# ---- load_claims: who said it, who published it ---------------------------------------------------


def test_load_claims_joins_claimant_and_publisher(tables):
    joined = load_claims(DATA_DIR).set_index("claim_id")
    assert len(joined) == len(tables["claims"])
    assert {"claimant_name", "claimant_side", "publisher", "published", "url", "event_name"} <= set(joined.columns)
    assert joined[["claimant_name", "publisher", "event_name"]].notna().all().all()
    assert joined.loc["C001", "claimant_name"] == "Russian officials"
    assert joined.loc["C001", "publisher"] == "No outlet named (report as received)"
    assert joined.loc["C007", "claimant_name"] == "Russia's Defence Ministry"
    assert joined.loc["C008", "publisher"] == "Pravda.ru (English edition)"
    # the outlets name EMERCOM as the source of 16 and 17
    assert (
        joined.loc["C011", "claimant_name"]
        == joined.loc["C012", "claimant_name"]
        == "Russia's Emergencies Ministry (EMERCOM)"
    )
    assert joined.loc["C012", "publisher"] == "Dagens"
    assert joined.loc["C017", "claimant_name"] == "OHCHR" and joined.loc["C017", "claimant_side"] == "un"
    assert joined.loc["C001", "event_name"] == "Belgorod apartment block collapse"
    assert joined.attrs["table"] == "claims"


# ---- the figures the report states ----------------------------------------------------------------

SEED_FIGURES = [
    # (claim_id, metric, population, qualifier, low, best, high, claimant)
    ("C001", "killed", "all", "at_least", 15, 15, None, "ru_officials"),
    ("C002", "injured", "all", "exact", 20, 20, 20, "ru_officials"),
    ("C003", "killed", "all", "exact", 15, 15, 15, "ru_emergencies"),
    ("C004", "injured", "all", "exact", 20, 20, 20, "ru_news_outlets"),
    ("C005", "missing", "children", "at_least", 1, 1, None, "ru_news_outlets"),
    ("C006", "storeys_collapsed", None, "at_least", 10, 10, None, "report_outlet"),
    ("C007", "munitions_launched", None, "at_least", 12, 12, None, "ru_mod"),
    ("C014", "settlements_captured", None, "at_least", 9, 9, None, "ru_forces"),
    ("C015", "villages_captured", None, "exact", 4, 4, 4, "ru_forces"),
    ("C016", "killed", "all", "about", None, 14000, None, "ohchr"),
    ("C017", "killed", "civilians", "exact", 3106, 3106, 3106, "ohchr"),
]


@pytest.mark.parametrize("figure", SEED_FIGURES, ids=[f[0] for f in SEED_FIGURES])
def test_every_figure_of_the_report_is_a_claim(claims, figure):
    claim_id, metric, population, qualifier, low, best, high, claimant = figure
    row = claims.loc[claim_id]
    assert row["source_id"] == "seed_report"
    assert (row["metric"], row["qualifier"], row["claimant"]) == (metric, qualifier, claimant)
    assert (None if pd.isna(row["population"]) else row["population"]) == population
    assert [None if pd.isna(v) else int(v) for v in row[["value_low", "value_best", "value_high"]]] == [low, best, high]


def test_the_report_figures_found_by_what_they_say(claims):
    seed = claims[claims["source_id"] == "seed_report"]

    def one(metric, qualifier, **values):
        rows = seed[(seed["metric"] == metric) & (seed["qualifier"] == qualifier)]
        for column, value in values.items():
            rows = rows[rows[column].eq(value).fillna(False).astype(bool)]
        assert len(rows) >= 1, (metric, qualifier, values)

    one("killed", "at_least", value_low=15)  # at least 15 killed
    one("injured", "exact", value_best=20)  # 20 injured
    one("missing", "at_least", value_low=1)  # at least one child missing
    one("munitions_launched", "at_least", value_low=12)
    one("storeys_collapsed", "at_least", value_low=10)
    one("settlements_captured", "at_least", value_low=9)
    one("villages_captured", "exact", value_best=4)
    one("killed", "about", value_best=14000)
    one("killed", "exact", value_best=3106)
    assert seed.loc[seed["metric"] == "missing", "population"].tolist() == ["children"]


@pytest.mark.skipif(not SEED.is_file(), reason="the seed report is not next to the repository")
def test_verbatim_quotes_stand_in_the_report(tables):
    text = " ".join(SEED.read_text(encoding="utf-8").split())
    for name in ("claims", "weapon_mentions"):
        frame = tables[name]
        verbatim = frame[(frame["source_id"] == "seed_report") & (frame["quote_kind"] == "verbatim")]
        assert len(verbatim) > 0
        for quote in verbatim["quote"]:
            assert quote in text, f"{name}: {quote!r} is not in the report"


def test_claims_are_attributed_and_dated(tables):
    claims = tables["claims"]
    assert claims["claimant"].isin(tables["claimants"]["claimant_id"]).all()
    assert claims["source_id"].isin(tables["sources"]["source_id"]).all()
    seed = claims[claims["source_id"] == "seed_report"]
    assert set(seed["status"]) <= {"claimed", "unverified", "secondary", "derived"}
    # every claim about the 2024 events is from then on; a running count's updates are from its own period
    incidents = claims[~claims["event_id"].astype(str).map(is_running_count)]
    assert (incidents["reported_on"] >= pd.Timestamp("2024-05-12")).all()


def test_a_war_partys_figures_are_claimed_whoever_relays_them(tables):
    for name in ("claims", "weapon_mentions"):
        frame = tables[name].merge(tables["claimants"], left_on="claimant", right_on="claimant_id")
        party = frame[frame["side"].isin(["russia", "ukraine"])]
        assert len(party) and set(party["status"].astype(str)) <= {"claimed", "derived"}, name


def test_the_toll_reports_of_12_to_14_may(tables):
    claims = tables["claims"]
    belgorod = claims[claims["event_id"] == "belgorod_strike_2024"].sort_values(["reported_on", "claim_id"])
    by_metric = {
        m: sorted(int(v) for v in belgorod.loc[belgorod["metric"] == m, "value_best"])
        for m in ("killed", "injured", "rescued")
    }
    # 6, 11, 13, 14, 15 overnight; 15 (the report, Sputnik), at least 15 (officials), 14 (IANS); 16, 17, 17
    assert by_metric["killed"] == sorted([6, 11, 13, 14, 15, 15, 15, 15, 14, 16, 17, 17])
    assert by_metric["injured"] == sorted([17, 20, 20, 20, 30, 27, 20])
    assert by_metric["rescued"] == [12, 16, 17]
    timed = belgorod[belgorod["reported_time"].notna()]
    assert timed["reported_time"].str.endswith("+03:00").all()  # Kyiv time in May


def test_every_source_is_one_document(tables):
    sources = tables["sources"]
    assert not sources["title"].str.contains("periodic updates|Encyclopaedia", case=False).any()
    with_address = sources[sources["url"].notna()]
    assert not with_address["url"].str.fullmatch(r"https?://[^/]+/?").any()
    assert sources.loc[sources["url"].isna(), "no_url_reason"].notna().all()


def test_casualties_are_never_deaths(tables):
    totals = tables["ohchr_totals"].set_index("figure_id")
    assert totals.loc["all_casualties", "outcome"] == "casualties"
    assert (totals.loc["all_casualties", "value_low"], totals.loc["all_casualties", "value_high"]) == (51000, 54000)
    killed = totals[totals["outcome"] == "killed"]
    assert 51000 not in set(killed["value_low"]) and 54000 not in set(killed["value_high"])
    assert (totals.loc["all_killed", "value_low"], totals.loc["all_killed", "value_high"]) == (14200, 14400)


def test_not_reported_is_empty_never_zero(tables):
    for name, columns in (
        ("claims", ["value_low", "value_best", "value_high"]),
        ("weapon_mentions", ["count_low", "count_best", "count_high"]),
    ):
        frame = tables[name]
        assert not (frame[columns] == 0).any().any()
        unreported = frame[frame["qualifier"] == "not_reported"]
        assert unreported[columns].isna().all().all()
    assert (tables["weapon_mentions"]["qualifier"] == "not_reported").sum() == 4


# ---- weapons --------------------------------------------------------------------------------------


def test_adler_is_kept_as_reported_and_mapped_to_vilkha(tables):
    mentions = tables["weapon_mentions"].set_index("mention_id")
    assert mentions.loc["W001", "name_as_reported"] == "Adler"
    assert mentions.loc["W001", "system_id"] == "vilkha"
    systems = tables["weapon_systems"].set_index("system_id")
    assert systems.loc["vilkha", "canonical_name"] == "Vilkha"
    assert systems.loc["vilkha", "type"] == "guided_mlrs"
    assert "Adler" in systems.loc["vilkha", "other_names"].split("; ")


def test_every_weapon_name_is_a_name_of_its_system(tables):
    systems = tables["weapon_systems"].set_index("system_id")
    for name, system in tables["weapon_mentions"][["name_as_reported", "system_id"]].itertuples(index=False):
        names = {systems.loc[system, "canonical_name"]} | set(str(systems.loc[system, "other_names"]).split("; "))
        assert name in names, (name, system)


def test_intercepted_breakdown_adds_up(tables, claims):
    parts = tables["weapon_mentions"]
    parts = parts[parts["part_of_claim"] == "C008"]
    assert dict(zip(parts["system_id"], parts["count_best"], strict=False)) == {
        "tochka_u": 6,
        "rm70_vampire": 4,
        "vilkha": 2,
    }
    assert parts["count_best"].sum() == claims.loc["C008", "value_best"] == 12


# ---- revisions ------------------------------------------------------------------------------------


def test_toll_revision_chain(claims):
    chain = ["C012"]
    while pd.notna(claims.loc[chain[-1], "revises"]):
        chain.append(claims.loc[chain[-1], "revises"])
        assert len(chain) <= len(claims), "revision cycle"
    # the count as it rose through the night of 12-13 May, then on 13 and 14 May
    assert chain == ["C012", "C011", "C009", "C003", "C022", "C021", "C020", "C019", "C018"]
    toll = claims.loc[chain[::-1]]
    assert toll["value_best"].tolist() == [6, 11, 13, 14, 15, 15, 15, 16, 17]
    assert toll["reported_time"].iloc[:3].tolist() == ["18:46+03:00", "22:00+03:00", "23:31+03:00"]
    assert (toll["metric"] == "killed").all() and (toll["event_id"] == "belgorod_strike_2024").all()
    assert toll["reported_on"].is_monotonic_increasing
    # nothing was overwritten: the earlier claims keep their own values
    assert claims.loc["C003", "value_best"] == 15 and claims.loc["C001", "value_low"] == 15


def test_revisions_point_backwards(claims):
    revising = claims[claims["revises"].notna()]
    earlier = claims.loc[revising["revises"], "reported_on"].to_numpy()
    assert (earlier <= revising["reported_on"].to_numpy()).all()


# ---- OHCHR ----------------------------------------------------------------------------------------


def test_ohchr_years_add_up_to_the_total_which_includes_mh17(tables, claims):
    years = tables["ohchr_civilian_deaths_by_year"]
    totals = tables["ohchr_totals"].set_index("figure_id")
    civilians = totals.loc["civilians_killed"]
    assert civilians["qualifier"] == "at_least" and civilians["value_low"] == 3404
    assert years["year"].tolist() == list(range(2014, 2022))
    assert years["killed"].sum() == civilians["value_low"] == 3404
    mh17 = totals.loc["mh17_killed", "value_best"]
    assert mh17 == 298
    assert years.loc[years["includes_mh17"], "year"].tolist() == [2014]
    assert civilians["value_low"] - mh17 == claims.loc["C017", "value_best"] == 3106


def test_coordinates_only_where_verified(tables):
    places = tables["places"].set_index("place_id")
    with_coords = places[places["latitude"].notna()]
    assert (with_coords["coord_status"] == "verified").all()
    assert set(with_coords.index) == {"belgorod", "morokhovets", "lyptsi", "vovchansk"}
    for village in ("hatyshche", "krasne", "oliinykove"):
        assert pd.isna(places.loc[village, "latitude"]) and places.loc[village, "coord_status"] == "unverified"


# ---- benign variants spreadsheets write -------------------------------------------------------------


@pytest.mark.parametrize("variant", list(BENIGN_VARIANTS.values()), ids=list(BENIGN_VARIANTS))
def test_benign_variants_load_the_same(tables, tmp_path, variant):
    copy = copy_data(tmp_path)
    variant(copy)
    assert (copy / "claims.csv").read_bytes() != (DATA_DIR / "claims.csv").read_bytes()
    loaded = load_all(copy)
    for name, frame in tables.items():
        pd.testing.assert_frame_equal(loaded[name], frame, check_exact=True)


# ---- the codebook documents every column and every code --------------------------------------------


@pytest.fixture(scope="module")
def codebook() -> str:
    return CODEBOOK.read_text(encoding="utf-8")


@pytest.mark.parametrize("name", list(TABLES))
def test_codebook_documents_every_column_and_code(codebook, name):
    section = re.search(rf"^## `{name}\.csv`.*?(?=^## |\Z)", codebook, flags=re.M | re.S)
    assert section, f"data/README.md has no section '## `{name}.csv`'"
    for f in TABLES[name].fields:
        assert f"| `{f.name}` |" in section.group(0), f"{name}.{f.name} is not in the codebook"
    for code in sorted({c for f in TABLES[name].fields for c in f.vocab}):
        assert f"`{code}`" in codebook, f"the code {code!r} of {name} is not in the codebook"


def test_cells_are_typed_in_place_whatever_the_frame_s_index():
    """Whole numbers and vocabulary words are typed by Arrow's kernels: each row keeps its own cell
    (an import types frames whose index does not start at 0), and what is not whole or not a word
    of the vocabulary becomes missing."""
    from casualty_workbook.data.loading import to_typed

    spec = TABLES["claims"]
    cells = {f.name: [None] * 6 for f in spec.fields}
    cells["value_best"] = ["+5", "007", "-3", "1.5", "1234567890123456", None]
    cells["metric"] = ["killed", "Killed", None, "injured", "dead", "killed"]
    frame = pd.DataFrame(cells, index=[40, 41, 42, 43, 44, 45], dtype="str")
    typed = to_typed(spec, frame)
    assert list(typed.index) == [40, 41, 42, 43, 44, 45]
    assert typed["value_best"].tolist() == [5, 7, -3, pd.NA, pd.NA, pd.NA]
    assert typed["metric"].astype(object).where(typed["metric"].notna(), None).tolist() == [
        "killed", None, None, "injured", None, "killed"
    ]  # fmt: skip


def test_the_arrow_reader_strips_cells_as_the_careful_reader_does(tmp_path, monkeypatch):
    """Cells with spaces, tabs or no-break spaces around them, cells of spaces only and quoted empty
    cells read the same by the Arrow path (stripped before the table becomes a DataFrame) as by
    pandas' careful reader (stripped after)."""
    from casualty_workbook.data import loading

    path = tmp_path / "claimants.csv"
    path.write_text(
        "claimant_id,name,side,kind,note\n"
        " a1 ,\tName\t,russia,media,\n"
        'b2,"  quoted  ",un,media,""\n'
        'c3,   ,ukraine,unknown,"\u00a0kept\u00a0 "\n'
        "d4,x,media,media,\u2003\n",
        encoding="utf-8",
    )
    spec = TABLES["claimants"]
    fast = loading.read_text_table(path, spec)
    from casualty_workbook.data import arrow_text

    monkeypatch.setattr(arrow_text, "arrow_table", lambda raw, **kw: None)
    careful = loading.read_text_table(path, spec)
    pd.testing.assert_frame_equal(fast, careful)
    assert fast.loc[0, "claimant_id"] == "a1" and fast[["name", "note"]].isna().sum().tolist() == [1, 3]


# ---- a long table: the shortcuts taken from 10,000 rows give the verdicts of the plain checks ----------


def _long_claims(data_dir: Path, rows: int) -> list[list[str]]:
    """data/claims.csv repeated to ``rows`` rows, each copy's claim ids (and revises) made its own."""
    header, real = read_rows(data_dir, "claims")
    out = []
    for copy in range(rows // len(real) + 1):
        for row in real:
            row = list(row)
            row[0] = f"{row[0]}x{copy}"
            if row[16]:
                row[16] = f"{row[16]}x{copy}"
            out.append(row)
    return [header, *out[:rows]]


def test_a_long_table_loads_and_names_its_bad_cells_as_a_short_one(tmp_path):
    import csv

    data_dir = copy_data(tmp_path)
    records = _long_claims(data_dir, 12_000)
    with (data_dir / "claims.csv").open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh, lineterminator="\n").writerows(records)
    claims = load_table("claims", data_dir)  # every shortcut taken, nothing to report
    assert len(claims) == 12_000 and claims["claim_id"].is_unique
    bad = [list(r) for r in records]
    bad[5000][0] = bad[4000][0]  # a repeated id: the uniqueness check runs after all
    bad[6000][1] = "bad id!"  # an id among a few hundred distinct ones
    bad[7000][5] = "12a"  # a count among tens of thousands
    bad[8000][12] = "25:00+03:00"
    with (data_dir / "claims.csv").open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh, lineterminator="\n").writerows(bad)
    with pytest.raises(DataValidationError) as err:
        load_table("claims", data_dir)
    cells = {(p.row, p.column) for p in err.value.problems if p.rule != "must stand in the quote (in digits or words)"}
    assert {
        (4001, "claim_id"),
        (5001, "claim_id"),
        (6001, "event_id"),
        (7001, "value_best"),
        (8001, "reported_time"),
    } <= cells


def test_the_shortcuts_agree_with_the_plain_checks():
    import numpy as np

    from casualty_workbook.data import loading, rules, schemas

    rng = np.random.default_rng(7)
    words = np.array(["12", "+5", "007", "x", "", "1234567890123456", "-3", "1,000", "42"], dtype=object)
    cells = pd.Series(words[rng.integers(0, len(words), 30_000)], dtype="string").replace("", pd.NA)
    plain = loading._whole_numbers(cells.iloc[:9_999])
    assert loading._whole_numbers(cells).iloc[:9_999].equals(plain)

    def check(s):
        return s.str.fullmatch(r"\d{1,15}").fillna(False).astype(bool)

    assert schemas._on_distinct(check)(cells).equals(check(cells))
    ids = pd.Series([f"C{i}" for i in range(150_000)], dtype="string")
    named = pd.Series(["C5", None, "C149999", "nope", "C5"] * 3_000, dtype="string")
    assert rules.is_member(named, ids).tolist() == named.isin(set(ids)).fillna(False).tolist()
    assert loading._all_distinct(ids)
    assert not loading._all_distinct(pd.concat([ids, pd.Series(["C7"], dtype="string")], ignore_index=True))
    assert not loading._all_distinct(pd.Series([None, None, *ids[:20_000]], dtype="string"))


def test_a_failing_load_leaves_no_thread_of_its_own_running(tmp_path, monkeypatch):
    """The hashing and the quotes' reading run beside the load; whatever the load decides, both are done
    when it returns (a warm server forks its kernels after checking the tables)."""
    import csv
    import threading
    import time

    from casualty_workbook.data import loading, rules

    data_dir = copy_data(tmp_path)
    records = _long_claims(data_dir, 12_000)
    records[3000][5] = "12a"  # a bad cell: the row is left out of the rules across rows, the quotes unused
    with (data_dir / "claims.csv").open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh, lineterminator="\n").writerows(records)
    finished = []

    def slowly(work, label):
        def run(first, *rest):
            on_a_thread = threading.current_thread() is not threading.main_thread()
            if on_a_thread and (label == "quotes" or Path(first).name == "claims.csv"):  # the others as they are
                time.sleep(2.5 if label == "quotes" else 0.2)  # the quotes outlast the rest of the load
                finished.append(label)
            return work(first, *rest)

        return run

    monkeypatch.setattr(rules, "_digit_numbers", slowly(rules._digit_numbers, "quotes"))
    monkeypatch.setattr(loading, "_file_digests", slowly(loading._file_digests, "hash"))
    loading.TABLE_CACHE.clear()
    with pytest.raises(DataValidationError):
        load_table("claims", data_dir)
    assert sorted(finished) == ["hash", "quotes"]


def test_a_missing_cell_is_none_nan_nat_or_na_never_a_string():
    import math

    import pandas as pd

    from casualty_workbook.data.missing import is_missing

    assert all(is_missing(v) for v in (None, math.nan, pd.NA, pd.NaT, float("nan")))
    assert not any(is_missing(v) for v in ("", "nan", "NA", 0, 0.0, False, pd.Timestamp("2024-05-13")))
