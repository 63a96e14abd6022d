"""Where CI expects a browser, a missing one fails the suite; elsewhere it skips the browser tests."""

from __future__ import annotations

import browser_support as bs
import pytest


@pytest.fixture
def no_browser(monkeypatch, tmp_path):
    monkeypatch.setenv(bs.CHROMIUM_ENV, str(tmp_path / "no-chromium"))


def test_a_missing_browser_skips_where_none_is_required(no_browser, monkeypatch):
    monkeypatch.delenv(bs.REQUIRE_ENV, raising=False)
    with pytest.raises(pytest.skip.Exception, match="no-chromium not found"):
        bs.skip_unless_available()


@pytest.mark.parametrize("value", ["1", "true"])
def test_a_missing_browser_fails_where_one_is_required(no_browser, monkeypatch, value):
    monkeypatch.setenv(bs.REQUIRE_ENV, value)
    with pytest.raises(pytest.fail.Exception, match="WORKBOOK_REQUIRE_BROWSER is set, but the browser test cannot run"):
        bs.skip_unless_available()


def test_zero_means_not_required(no_browser, monkeypatch):
    monkeypatch.setenv(bs.REQUIRE_ENV, "0")
    with pytest.raises(pytest.skip.Exception):
        bs.skip_unless_available()


def test_an_available_browser_neither_skips_nor_fails(monkeypatch):
    monkeypatch.setattr(bs, "browser_unavailable_reason", lambda: None)
    monkeypatch.setenv(bs.REQUIRE_ENV, "1")
    bs.skip_unless_available()


def _workflow_steps() -> list[dict]:
    import yaml
    from conftest import REPO

    workflow = yaml.safe_load((REPO / ".github" / "workflows" / "figures.yml").read_text())
    return workflow["jobs"]["build"]["steps"]


def test_githubs_workflow_installs_a_browser_and_requires_it_for_the_tests():
    steps = _workflow_steps()
    test = next(i for i, s in enumerate(steps) if s.get("run", "").strip() == "make test")
    assert steps[test].get("env", {}).get(bs.REQUIRE_ENV) == "1"
    installs = [s["run"] for s in steps[:test] if "playwright install" in s.get("run", "")]
    assert installs and "--with-deps chromium" in installs[0] and bs.CHROMIUM_ENV in installs[0]
    assert not any("skipped" in s.get("run", "") for s in steps), "a failed install must not be waved through"


def test_ci_run_requires_the_browser():
    from conftest import REPO

    script = (REPO / ".ci" / "run").read_text()
    assert f"export {bs.REQUIRE_ENV}=1" in script
