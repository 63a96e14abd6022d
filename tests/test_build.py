"""The build runner: a clean build reproduces the committed figures; unchanged inputs are skipped."""

from __future__ import annotations

import json
import re

import nbformat
import yaml

from conftest import REPO, run_cli, tree_digest

REPORT_IDS = [r["id"] for r in yaml.safe_load((REPO / "catalogue.yml").read_text())["reports"]]


def rerun_ids(output: str) -> set[str]:
    return set(re.findall(r"^\[\d+/\d+\] ok\s+(\S+)", output, flags=re.M))


def test_clean_build_succeeds(built_project):
    root, result = built_project
    assert result.returncode == 0, result.stderr
    assert rerun_ids(result.stdout) == set(REPORT_IDS)
    assert f"Built {len(REPORT_IDS)} report(s)" in result.stdout


def test_clean_build_reproduces_committed_figures_byte_for_byte(built_project):
    """This is how CI regenerates figures: any committed figure that differs fails the suite."""
    root, _ = built_project
    from casualty_workbook.drift import compare, format_drift

    drifts = compare(REPO / "figures", root / "figures")
    assert not drifts, format_drift(drifts)  # the changed numbers first, then the images


def test_every_report_has_notebook_html_and_figures(built_project):
    root, _ = built_project
    for report_id in REPORT_IDS:
        assert (root / "reports" / f"{report_id}.ipynb").is_file()
        html = (root / "reports" / f"{report_id}.html").read_text()
        assert html.rstrip().endswith("</html>")
        assert list((root / "figures" / report_id).glob("*.png")), report_id
        assert list((root / "figures" / report_id).glob("*.svg")), report_id


def test_index_links_every_report_and_figure(built_project):
    root, _ = built_project
    index = (root / "reports" / "index.html").read_text()
    for report_id in REPORT_IDS:
        assert f'href="{report_id}.html"' in index
        for png in (root / "figures" / report_id).glob("*.png"):
            assert f'src="{report_id}/{png.name}"' in index  # a copy in reports/, never ../figures/


def test_executed_reports_record_parameters_data_versions_and_commit(built_project):
    root, _ = built_project
    catalogue = {r["id"]: r for r in yaml.safe_load((REPO / "catalogue.yml").read_text())["reports"]}
    for report_id in REPORT_IDS:
        record = nbformat.read(root / "reports" / f"{report_id}.ipynb", as_version=4).metadata["casualty_workbook"]
        assert record["parameters"] == (catalogue[report_id].get("parameters") or {})
        assert "claims.csv" in record["data"] or report_id == "kharkiv_front" or record["data"], record["data"]
        for name, digest in record["data"].items():
            assert tree_digest(root / "data")[name] == digest
        assert record["packages"]["pandas"] and record["packages"]["matplotlib"]
        assert re.fullmatch(r"[0-9a-f]{40}(\+dirty)?|unknown", record["git_commit"])


def test_ohchr_report_reconciles_3106_with_3404_in_its_output(built_project):
    root, _ = built_project
    nb = nbformat.read(root / "reports" / "ohchr_2014_2021.ipynb", as_version=4)
    text = json.dumps([c.get("outputs", []) for c in nb.cells])
    assert "3,404 \\u2212 298 = 3,106; the report says 3,106: they agree." in text


def test_nothing_changed_skips_every_report(built_copy):
    result = run_cli(built_copy, "build")
    assert result.returncode == 0, result.stderr
    assert f"All {len(REPORT_IDS)} reports are up to date" in result.stdout
    assert rerun_ids(result.stdout) == set()


def _reports_reading(root, filename: str) -> set[str]:
    return {rid for rid in REPORT_IDS
            if filename in nbformat.read(root / "reports" / f"{rid}.ipynb", as_version=4).metadata["casualty_workbook"]["data"]}


def test_changing_one_data_file_reruns_exactly_the_reports_that_read_it(built_copy):
    expected = _reports_reading(built_copy, "ohchr_mine_share.csv")
    assert expected == {"ohchr_2014_2021", "ohchr_2014_2021_excluding_mh17"}
    path = built_copy / "data" / "ohchr_mine_share.csv"
    path.write_text(path.read_text().replace("Mines and explosive remnants of war as a share",
                                             "Mines and other explosive remnants of war as a share"))
    result = run_cli(built_copy, "build")
    assert result.returncode == 0, result.stderr
    assert rerun_ids(result.stdout) == expected


def test_changing_weapons_reruns_only_the_event_report(built_copy):
    expected = _reports_reading(built_copy, "weapon_systems.csv")
    assert expected == {"belgorod_strike"}
    path = built_copy / "data" / "weapon_systems.csv"
    path.write_text(path.read_text().replace("The report calls it a Soviet-era missile.", "Soviet-era according to the report."))
    result = run_cli(built_copy, "build")
    assert rerun_ids(result.stdout) == expected, result.stdout + result.stderr


def test_changing_a_notebook_reruns_only_its_reports(built_copy):
    nb_path = built_copy / "notebooks" / "ohchr_2014_2021.ipynb"
    nb = nbformat.read(nb_path, as_version=4)
    nb.cells[0].source += "\n\nA sentence added by an analyst."
    nbformat.write(nb, nb_path)
    result = run_cli(built_copy, "build")
    assert rerun_ids(result.stdout) == {"ohchr_2014_2021", "ohchr_2014_2021_excluding_mh17"}, result.stdout


def test_a_deleted_figure_is_rebuilt(built_copy):
    (built_copy / "figures" / "context" / "toll_in_context.png").unlink()
    result = run_cli(built_copy, "build")
    assert rerun_ids(result.stdout) == {"context"}, result.stdout
    assert tree_digest(built_copy / "figures") == tree_digest(REPO / "figures")


def test_force_and_only_rebuild_just_the_named_report(built_copy):
    result = run_cli(built_copy, "build", "--force", "--only", "provenance")
    assert result.returncode == 0, result.stderr
    assert rerun_ids(result.stdout) == {"provenance"}


def test_only_with_an_unknown_report_is_an_error(built_copy):
    result = run_cli(built_copy, "build", "--only", "nope")
    assert result.returncode == 2
    assert "unknown report(s) nope" in result.stderr and "Traceback" not in result.stderr
