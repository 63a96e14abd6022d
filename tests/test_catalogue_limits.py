"""A catalogue's values are checked before they are expanded or serialised: no alias bombs, no formats that
ask for gigabytes, no id longer than a file name holds; each refused with one message, at once."""

from __future__ import annotations

import time

import pytest
from conftest import REPO, run_cli_here
from test_catalogue import EVERY_EVENT, write

from casualty_workbook.core.exceptions import CatalogueError
from casualty_workbook.pipeline.catalogue import read_catalogue

BILLION_LAUGHS = """
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
reports:
  - id: provenance
    notebook: provenance
    title: Every figure
    parameters: {event: all, status: all, extra: *h}
"""


def refused(tmp_path, catalogue: str, events: str | None = None) -> str:
    path, data = write(tmp_path, catalogue, events)
    started = time.monotonic()
    with pytest.raises(CatalogueError) as caught:
        read_catalogue(path, REPO / "notebooks", data)
    assert time.monotonic() - started < 5, "refused before anything is expanded"
    return str(caught.value)


def test_a_yaml_alias_bomb_is_refused_before_it_is_expanded(tmp_path):
    message = refused(tmp_path, BILLION_LAUGHS)
    assert "an alias (*name) is not allowed in the catalogue" in message and "line 3, column 8" in message


def test_a_title_with_a_format_is_refused_before_it_is_formatted(tmp_path):
    catalogue = EVERY_EVENT.replace('"{name}: as claimed"', '"{name:>3000000000}"')
    message = refused(tmp_path, catalogue, "alpha_2031,Alpha flood,2031-01-01\n")
    assert "a field takes no format or conversion; write just {value} or {name}" in message
    conversion = EVERY_EVENT.replace('"{name}: as claimed"', '"{name!r}"')
    assert "takes no format" in refused(tmp_path, conversion, "alpha_2031,Alpha flood,2031-01-01\n")


def test_ids_longer_than_a_file_name_holds_are_refused(tmp_path):
    long_value = "a" * 300
    message = refused(tmp_path, EVERY_EVENT, f"{long_value},Alpha flood,2031-01-01\n")
    assert "cannot name a report (at most 100 characters (it names a folder and files)" in message
    assert long_value not in message, "a long value is cut in the message"
    entry = EVERY_EVENT.replace("id: event_report", f"id: {'b' * 150}")
    assert "id must be at most 100 characters" in refused(tmp_path, entry, "alpha_2031,A,2031-01-01\n")


def test_a_title_too_long_once_expanded_is_refused(tmp_path):
    message = refused(tmp_path, EVERY_EVENT, f"alpha_2031,{'n' * 400},2031-01-01\n")
    assert "characters long; at most 300" in message


def test_the_build_says_so_in_one_message(project):
    (project / "catalogue.yml").write_text(BILLION_LAUGHS)
    result = run_cli_here(project, "build")
    assert result.returncode == 2 and "an alias (*name) is not allowed" in result.stderr
    assert "Traceback" not in result.stderr
