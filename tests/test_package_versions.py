"""The package versions every report records: read once per process, each caller its own copy."""

from __future__ import annotations

import platform
from importlib import metadata

from casualty_workbook.data import provenance


def test_they_are_the_installed_ones():
    versions = provenance.package_versions()
    assert versions["python"] == platform.python_version()
    for name in provenance.REPORTED_PACKAGES:
        assert versions[name] == metadata.version(name)


def test_they_are_read_once_per_process(monkeypatch):
    reads = []
    real = metadata.version
    monkeypatch.setattr(provenance.metadata, "version", lambda name: reads.append(name) or real(name))
    provenance._installed_versions.cache_clear()
    try:
        first, second = provenance.package_versions(), provenance.package_versions()
    finally:
        provenance._installed_versions.cache_clear()
    assert first == second and len(reads) == len(provenance.REPORTED_PACKAGES)


def test_a_callers_change_never_reaches_the_next_caller():
    versions = provenance.package_versions()
    versions["pandas"] = "0.0 edited"
    assert provenance.package_versions()["pandas"] == metadata.version("pandas")
