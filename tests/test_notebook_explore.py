"""notebooks/explore_schedule.ipynb runs from top to bottom: once reading a schedule.json,
once solving the clinic itself (no schedule there). A tiny clinic keeps it fast."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from factory import tiny_clinic
from nbclient import NotebookClient
from solved import solved

from scheduler.inputs.workbook import input_hash, write_workbook
from scheduler.schedule_json import write_schedule_json

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "explore_schedule.ipynb"


def execute(monkeypatch: pytest.MonkeyPatch, **env: str) -> list[str]:
    """Run the notebook in its folder with ``env`` set; the text of every output."""
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = NotebookClient(
        nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": NOTEBOOK.parent}}
    )
    client.execute()  # raises CellExecutionError on the first cell that fails
    texts = []
    images = 0
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out["output_type"] == "stream":
                texts.append(out["text"])
            elif "data" in out:
                texts.append(out["data"].get("text/plain", ""))
                images += "image/png" in out["data"]
    assert images >= 4  # the charts were drawn
    return texts


@pytest.fixture
def tiny(tmp_path: Path) -> tuple[Path, Path]:
    clinic = tiny_clinic(3)
    xlsx = tmp_path / "clinic.xlsx"
    write_workbook(clinic, xlsx)
    schedule = solved(clinic)
    path = tmp_path / "schedule.json"
    write_schedule_json(schedule, path, input_path=str(xlsx), input_hash=input_hash(xlsx))
    return xlsx, path


def test_the_notebook_reads_a_schedule_json(
    tiny: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    xlsx, path = tiny
    texts = execute(monkeypatch, IOP_SCHEDULE_JSON=str(path), IOP_CLINIC=str(xlsx))
    joined = "\n".join(texts)
    assert "read schedule.json (made from clinic.xlsx)" in joined
    assert "3 patients placed" in joined
    assert "Patient P1" not in joined  # IDs only, never names


def test_the_notebook_solves_when_there_is_no_schedule(
    tiny: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    xlsx, _ = tiny
    texts = execute(
        monkeypatch,
        IOP_SCHEDULE_JSON=str(tmp_path / "absent.json"),
        IOP_CLINIC=str(xlsx),
        IOP_TIME_LIMIT="2",
    )
    assert "solved clinic.xlsx here (2 s limit)" in "\n".join(texts)
