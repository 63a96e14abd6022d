"""Parameters and the catalogue are checked before any kernel starts; bad ones touch nothing."""

from __future__ import annotations

import pytest
from conftest import run_cli, run_cli_here, tree_digest

from casualty_workbook.core.exceptions import ParameterError
from casualty_workbook.pipeline import parameters


@pytest.mark.parametrize(
    "values, message",
    [
        ({"colour": "red"}, "unknown parameter 'colour' for notebook ohchr_2014_2021; allowed: include_mh17"),
        ({"include_mh17": "no"}, "parameter include_mh17: expected true or false, got 'no' (str)"),
        ({"year_from": 2015.5}, "parameter year_from: expected a whole number, got 2015.5 (float)"),
        ({"year_from": True}, "parameter year_from: expected a whole number, got True (bool)"),
        ({"year_from": 2013}, "parameter year_from: 2013 is out of range; allowed 2014 to 2021"),
        ({"year_to": 2022}, "parameter year_to: 2022 is out of range; allowed 2014 to 2021"),
        ({"year_from": 2020, "year_to": 2016}, "year_from (2020) is after year_to (2016): the range must run forwards"),
        ({"estimate": "median"}, "parameter estimate: 'median' is not allowed; choose one of: low, best, high"),
        ({"output_dir": "/tmp/x"}, "unknown parameter 'output_dir'"),
    ],
)
def test_bad_parameters_are_named_with_what_is_allowed(values, message):
    with pytest.raises(ParameterError) as caught:
        parameters.check("ohchr_2014_2021", values)
    assert message in str(caught.value)


def test_data_backed_choices_come_from_the_data():
    with pytest.raises(
        ParameterError,
        match="parameter event: 'kyiv_2030' is not allowed; choose one of: "
        "belgorod_strike_2024, donbas_war_2014_2021, kharkiv_advance_2024",
    ):
        parameters.check("event_report", {"event": "kyiv_2030"})
    with pytest.raises(ParameterError, match="parameter claimant: 'kremlin' is not allowed; choose one of: all, ohchr"):
        parameters.check("event_report", {"claimant": "kremlin"})


def test_every_problem_is_reported_at_once():
    with pytest.raises(ParameterError) as caught:
        parameters.check("ohchr_2014_2021", {"colour": 1, "year_from": 1999})
    assert "colour" in str(caught.value) and "year_from" in str(caught.value)


def test_good_parameters_merge_over_defaults():
    merged = parameters.check("ohchr_2014_2021", {"include_mh17": False})
    assert merged == {"include_mh17": False, "year_from": 2014, "year_to": 2021, "estimate": "best", "output_dir": None}


@pytest.mark.parametrize(
    "word, value",
    [("include_mh17=false", False), ("include_mh17=Yes", True), ("year_from=2016", 2016), ("estimate=low", "low")],
)
def test_command_line_words_are_typed_by_the_declaration(word, value):
    name = word.split("=")[0]
    assert parameters.parse_assignments("ohchr_2014_2021", [word]) == {name: value}


@pytest.mark.parametrize(
    "words, message",
    [
        (["year_from=twenty"], "parameter year_from: expected a whole number, got 'twenty'"),
        (["include_mh17=maybe"], "parameter include_mh17: expected true or false, got 'maybe'"),
        (["year_from"], "parameter 'year_from': write parameters as name=value"),
        (["nope=1"], "unknown parameter 'nope'"),
        (
            ["estimate=low", "estimate=high"],
            r"parameter estimate is given twice \('estimate=low' and 'estimate=high'\): give it once",
        ),
        (["year_from=2015", "year_from = 2015"], "parameter year_from is given twice"),
    ],
)
def test_command_line_words_that_cannot_be_read(words, message):
    with pytest.raises(ParameterError, match=message):
        parameters.parse_assignments("ohchr_2014_2021", words)


@pytest.mark.parametrize(
    "args, message",
    [
        (
            ["report", "ohchr_2014_2021", "year_from=2013"],
            "parameter year_from: 2013 is out of range; allowed 2014 to 2021",
        ),
        (["report", "ohchr_2014_2021", "year_from=2020", "year_to=2015"], "the range must run forwards"),
        (["report", "ohchr_2014_2021", "include_mh17=perhaps"], "expected true or false, got 'perhaps'"),
        (["report", "ohchr_2014_2021", "colour=red"], "unknown parameter 'colour'"),
        (["report", "no_such_notebook"], "unknown notebook 'no_such_notebook'"),
        (
            ["report", "context", "event=belgorod_strike_2024", "event=kharkiv_advance_2024"],
            "parameter event is given twice",
        ),
        (["report"], "error: give the notebook to run, one of: coded_events, context, event_report, explore"),
        (["report", "ohchr_2014_2021", "output_dir=figures/mine"], "parameter output_dir:"),
    ],
)
def test_bad_report_parameters_exit_non_zero_and_write_nothing(project, args, message):
    before = tree_digest(project / "figures"), tree_digest(project / "reports")
    result = run_cli_here(project, *args)
    assert result.returncode == 2
    assert message in result.stderr
    assert result.stderr.count("error:") == 1 and "Traceback" not in result.stderr
    assert (tree_digest(project / "figures"), tree_digest(project / "reports")) == before


def test_debug_shows_the_traceback(project):
    result = run_cli(project, "--debug", "report", "ohchr_2014_2021", "year_from=2013")
    assert result.returncode != 0 and "Traceback" in result.stderr
    # "add --debug to a workbook command": after the subcommand too
    result = run_cli(project, "report", "ohchr_2014_2021", "year_from=2013", "--debug")
    assert result.returncode != 0 and "Traceback" in result.stderr and "ParameterError" in result.stderr
    result = run_cli(project, "validate", "--debug", "--data-dir", str(project / "missing"))
    assert result.returncode != 0 and "Traceback" in result.stderr and "DataValidationError" in result.stderr
    result = run_cli(project, "report", "ohchr_2014_2021", "year_from=2013", DEBUG="1")
    assert "Traceback" in result.stderr


CATALOGUE_CASES = {
    "missing_notebook": ("notebook: context", "notebook: contexts", "notebook 'contexts' not found"),
    "unknown_parameter": ("metric: killed", "metrik: killed", "unknown parameter 'metrik' for notebook context"),
    "wrong_type": ("include_mh17: true", "include_mh17: 'yes'", "parameter include_mh17: expected true or false"),
    "out_of_range": ("year_to: 2021", "year_to: 2030", "parameter year_to: 2030 is out of range"),
    "duplicate_id": ("id: context", "id: kharkiv_front", "id 'kharkiv_front' is used twice"),
    "bad_yaml": ("reports:", "reports: [", "not valid YAML"),
}


@pytest.mark.parametrize("case", sorted(CATALOGUE_CASES))
def test_a_bad_catalogue_stops_the_build_before_any_kernel(project, case):
    old, new, message = CATALOGUE_CASES[case]
    path = project / "catalogue.yml"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    before = tree_digest(project / "figures"), tree_digest(project / "reports")
    result = run_cli_here(project, "build")
    assert result.returncode == 2, result.stdout + result.stderr
    assert message in result.stderr and str(path) in result.stderr
    assert "Traceback" not in result.stderr and "Building" not in result.stdout
    assert (tree_digest(project / "figures"), tree_digest(project / "reports")) == before


@pytest.mark.parametrize(
    "table, old, new, message",
    [
        (
            "claims.csv",
            "C004,belgorod_strike_2024,injured,all,20,20,20",
            "C004,belgorod_strike_2024,injured,all,20,-20,20",
            "row 5, column value_best, value '-20': must be a whole number",
        ),
        ("ohchr_civilian_deaths_by_year.csv", "2021,25,false", "2021,25,nope", "must be true or false"),
        ("places.csv", "50.2731,36.4711", "95.2731,36.4711", "must be a latitude"),
    ],
)
def test_bad_data_stops_the_build_and_touches_nothing(project, table, old, new, message):
    path = project / "data" / table
    path.write_text(path.read_text().replace(old, new, 1))
    before = tree_digest(project / "figures"), tree_digest(project / "reports")
    result = run_cli_here(project, "build")
    assert result.returncode == 2
    assert table in result.stderr and message in result.stderr and "Traceback" not in result.stderr
    assert (tree_digest(project / "figures"), tree_digest(project / "reports")) == before


@pytest.mark.parametrize(
    "args, message",
    [
        (["build", "--timeout", "0"], "argument --timeout: expected a positive number of seconds, got 0"),
        (["build", "--timeout", "soon"], "argument --timeout: expected a whole number of seconds, got 'soon'"),
        (["build", "--jobs", "-2"], "argument --jobs: expected a positive number of kernels, got -2"),
        (["report", "ohchr_2014_2021", "--timeout", "-1"], "argument --timeout: expected a positive number"),
        (["frobnicate"], "invalid choice: 'frobnicate'"),
    ],
)
def test_bad_command_line_arguments_are_named(project, args, message):
    before = tree_digest(project / "figures"), tree_digest(project / "reports")
    result = run_cli_here(project, *args)
    assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr
    assert (tree_digest(project / "figures"), tree_digest(project / "reports")) == before


def test_report_with_no_notebook_names_what_is_missing(project):
    result = run_cli_here(project, "report")
    assert result.returncode == 2
    assert "NAME=VALUE" not in result.stderr.split("error:")[1], "parameters are optional"
    assert "ohchr_2014_2021" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("command", ["validate", "build", "report"])
def test_every_subcommand_describes_itself(project, command):
    result = run_cli_here(project, command, "--help")
    assert result.returncode == 0
    _usage, _, rest = result.stdout.partition("\n\n")
    description = rest.split("\n\n")[0]
    assert description.strip() and not description.startswith(("options:", "positional arguments:")), result.stdout


def test_make_report_passes_params_as_words_never_as_shell_code(tmp_path):
    """PARAMS with ';', '$(...)' or a glob reaches `workbook report` as words: nothing runs, the words are refused."""
    import subprocess

    from conftest import REPO

    marker = tmp_path / "ran"
    for params in (
        f"estimate=low; touch {marker}",
        f"estimate=$(touch {marker})",
        f"estimate=`touch {marker}`",
        f"estimate=low $(shell touch {marker})",
    ):
        result = subprocess.run(
            ["make", "-s", "report", "NOTEBOOK=ohchr_2014_2021", f"PARAMS={params}"],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode != 0, result.stdout + result.stderr
        assert "error: parameter" in result.stderr, result.stderr
        assert not marker.exists(), f"PARAMS={params!r} ran a command"


def test_output_dir_puts_a_custom_run_s_figures_where_asked(project, tmp_path):
    mine = tmp_path / "my figures"
    mine.mkdir()
    (mine / "keep.txt").write_text("an analyst's own file")
    before = tree_digest(project / "figures")
    result = run_cli_here(project, "report", "context", "year_from=2016", f"output_dir={mine}")
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in mine.iterdir()) == [
        "count_in_period.csv",
        "count_in_period.png",
        "count_in_period.svg",
        "keep.txt",
    ]
    assert tree_digest(project / "figures") == before
    assert not (project / "reports" / "custom" / "figures").exists()
