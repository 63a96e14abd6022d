"""A table's metadata is read-only and shared, never copied, by the frames derived from it."""

from __future__ import annotations

import copy
import json
import pickle

import pytest

from casualty_workbook.core.frozen import FrozenDict, frozen


def _metadata() -> FrozenDict:
    return frozen({"title": "T", "origin": {"producer": "P", "url": ""}, "notes": ["a", {"b": 1}]})


@pytest.mark.parametrize(
    "change",
    [
        lambda m: m.__setitem__("title", "x"),
        lambda m: m["origin"].__setitem__("producer", "someone else"),
        lambda m: m.__delitem__("title"),
        lambda m: m.update(title="x"),
        lambda m: m.pop("title"),
        lambda m: m.popitem(),
        lambda m: m.setdefault("new", 1),
        lambda m: m.clear(),
    ],
)
def test_every_change_is_refused(change):
    metadata = _metadata()
    with pytest.raises(TypeError, match="read-only"):
        change(metadata)
    assert metadata == {"title": "T", "origin": {"producer": "P", "url": ""}, "notes": ("a", {"b": 1})}


def test_merging_into_it_is_refused():
    metadata = _metadata()
    with pytest.raises(TypeError, match="read-only"):
        metadata |= {"title": "x"}


def test_lists_become_tuples_and_nested_mappings_frozen():
    metadata = _metadata()
    assert isinstance(metadata["origin"], FrozenDict) and isinstance(metadata["notes"][1], FrozenDict)
    assert metadata["notes"] == ("a", {"b": 1})


def test_it_is_its_own_copy_and_survives_pickle_and_json():
    metadata = _metadata()
    assert copy.deepcopy(metadata) is metadata and copy.copy(metadata) is metadata
    back = pickle.loads(pickle.dumps(metadata))
    assert back == metadata and isinstance(back, FrozenDict) and isinstance(back["origin"], FrozenDict)
    assert json.loads(json.dumps(metadata))["origin"]["producer"] == "P"
    assert dict(metadata) == metadata and type(dict(metadata)) is dict  # a copy to change


def test_a_loaded_tables_metadata_is_shared_by_what_is_derived_from_it():
    import casualty_workbook as wb

    claims = wb.load_claims()
    metadata = claims.attrs["metadata"]
    assert isinstance(metadata, FrozenDict) and metadata["origin"]["producer"]
    derived = claims[claims["metric"] == "killed"][["claim_id", "value_best"]].head(3)
    assert derived.attrs["metadata"] is metadata
