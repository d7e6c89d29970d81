"""What a fresh install gets: the wheel's contents, pinned linters, a .venv that repairs."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _pyproject() -> dict[str, object]:
    with (ROOT / "pyproject.toml").open("rb") as f:
        return tomllib.load(f)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project's wheel, built offline from a copy of the sources (a build writes
    build/ and *.egg-info next to pyproject.toml, which must not land in the checkout)."""
    pytest.importorskip("setuptools")
    src = tmp_path_factory.mktemp("src")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    ignore = shutil.ignore_patterns("__pycache__")
    shutil.copytree(ROOT / "scheduler", src / "scheduler", symlinks=True, ignore=ignore)
    shutil.copytree(ROOT / "data", src / "data", ignore=ignore)
    dist = tmp_path_factory.mktemp("dist")
    pip = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q"]
    subprocess.run([*pip, "-w", str(dist), str(src)], check=True, capture_output=True)
    (built,) = dist.glob("*.whl")
    return built


def test_the_wheel_ships_the_sample_clinic_and_py_typed(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "scheduler/py.typed" in names
    assert "scheduler/sample_data/sample_clinic.xlsx" in names
    csvs = {p.name for p in (ROOT / "data" / "sample_clinic").glob("*.csv")}
    shipped = {Path(n).name for n in names if n.startswith("scheduler/sample_data/sample_clinic/")}
    assert csvs and shipped == csvs


def test_an_installed_wheel_finds_its_sample_clinic(wheel: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    pip = [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(site)]
    subprocess.run([*pip, str(wheel)], check=True, capture_output=True)
    elsewhere = tmp_path / "elsewhere"  # no data/ folder here
    elsewhere.mkdir()
    code = (
        "import scheduler.cli as cli; from scheduler.inputs.workbook import read_clinic; "
        "p = cli._default_input(); print(p); print(len(read_clinic(p).patients))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=elsewhere,
        env=os.environ | {"PYTHONPATH": str(site)},
        capture_output=True,
        text=True,
        check=True,
    )
    path, patients = done.stdout.split()
    assert Path(path).is_relative_to(site)
    assert int(patients) > 0


def test_the_version_has_one_source() -> None:
    import scheduler

    project = _pyproject()["project"]
    assert isinstance(project, dict)
    assert "version" in project["dynamic"] and "version" not in project
    assert scheduler.__version__


def test_linters_are_pinned_so_a_release_cannot_fail_make_test() -> None:
    project = _pyproject()["project"]
    assert isinstance(project, dict)
    dev = project["optional-dependencies"]["dev"]
    pinned = {d.split("==")[0] for d in dev if "==" in d}
    assert {"ruff", "mypy"} <= pinned
    assert all(any(op in d for op in ("==", "<", "~=")) for d in dev if "setuptools" not in d)


def test_rich_is_a_dependency() -> None:
    project = _pyproject()["project"]
    assert isinstance(project, dict)
    assert any(d.startswith("rich") for d in project["dependencies"])


def _make_dry_run(folder: Path) -> str:
    done = subprocess.run(
        ["make", "-n", ".venv/.installed"], cwd=folder, capture_output=True, text=True, check=True
    )
    return done.stdout


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_make_rebuilds_a_venv_made_with_the_wrong_python(tmp_path: Path) -> None:
    shutil.copy(ROOT / "Makefile", tmp_path / "Makefile")
    (tmp_path / "pyproject.toml").write_text("")
    bin_dir = tmp_path / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    stamp = tmp_path / ".venv" / ".installed"
    stamp.touch()
    os.utime(tmp_path / "pyproject.toml", (0, 0))  # older than the stamp

    # A .venv whose Python runs and is new enough: nothing to do.
    (bin_dir / "python").symlink_to(sys.executable)
    assert "-m venv" not in _make_dry_run(tmp_path)

    # One made with an old Python (here: a stand-in that reports 3.9): rebuilt.
    (bin_dir / "python").unlink()
    old = bin_dir / "python"
    old.write_text("#!/bin/sh\necho 'Python 3.9 cannot run this' >&2\nexit 1\n")
    old.chmod(0o755)
    plan = _make_dry_run(tmp_path)
    assert "rm -rf .venv" in plan and "-m venv .venv" in plan
