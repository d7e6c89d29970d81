"""notebooks/capacity_planning.ipynb runs from top to bottom through the package's API.

On the tiny clinic (IOP_CLINIC) with a short budget, so that it stays fast; the notebook
reads the sample clinic when run by hand."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from factory import tiny_clinic
from nbclient import NotebookClient

from scheduler.inputs.workbook import write_workbook

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "capacity_planning.ipynb"


def test_the_capacity_notebook_executes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    book = tmp_path / "tiny.xlsx"
    write_workbook(tiny_clinic(3), book)
    monkeypatch.setenv("IOP_CLINIC", str(book))
    monkeypatch.setenv("IOP_TIME_LIMIT", "1")
    monkeypatch.setenv("IOP_JOBS", "2")  # the process pool, from inside a kernel
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = NotebookClient(
        nb, timeout=180, kernel_name="python3", resources={"metadata": {"path": NOTEBOOK.parent}}
    )
    client.execute()  # raises CellExecutionError on the first cell that fails
    texts, images, tables = [], 0, 0
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out["output_type"] == "stream":
                texts.append(out["text"])
            elif "data" in out:
                texts.append(out["data"].get("text/plain", ""))
                images += "image/png" in out["data"]
                tables += "text/html" in out["data"]
    joined = "\n".join(texts)
    assert "Northside Wellness: 3 patients" in joined
    assert "evening therapist: places" in joined
    assert "+1 therapist: holds" in joined
    assert images >= 4 and tables >= 3  # every chart drawn, every DataFrame shown


def test_the_notebook_is_stored_without_outputs() -> None:
    # Outputs would carry one machine's figures (and, from a real clinic, patient IDs).
    nb = nbformat.read(NOTEBOOK, as_version=4)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")
