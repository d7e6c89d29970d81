"""schedule.xlsx as LibreOffice prints it: every page at 9 pt or more, rows to sign in 8 mm.

The workbook is converted to PDF with ``soffice --headless``; font sizes are read from the
pages' content streams (LibreOffice writes each run's printed size in its ``Tf`` operator)
and row spacing from ``pdftotext -bbox``. Skipped where LibreOffice is not installed.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import zlib
from dataclasses import replace
from itertools import pairwise
from pathlib import Path

import openpyxl
import pytest
from test_exports_samples import NOW
from test_exports_sites import two_sites

from scheduler.exports import publish
from scheduler.schedule import Unplaced

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
MIN_PT = 9.0
MIN_SIGN_MM = 8.0

pytestmark = pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed")


def page_font_sizes(pdf: bytes) -> list[list[float]]:
    """The font sizes used on each page, in page order (one content stream per page)."""
    pages = []
    for m in re.finditer(rb"stream\r?\n(.*?)endstream", pdf, re.S):
        try:
            text = zlib.decompress(m.group(1))
        except zlib.error:
            continue  # not a compressed content stream (fonts are, but hold no Tf)
        if b" Tf" not in text:
            continue
        # A scaling matrix would make the Tf size not the printed size.
        assert not re.search(rb"\bTm\b|\bcm\b", text), "text is transformed; sizes unreadable"
        pages.append([float(s) for s in re.findall(rb"([\d.]+) Tf", text)])
    return pages


def sign_in_row_pitches(pdf: Path) -> list[float]:
    """Distance in points between consecutive numbered rows of every sign-in sheet."""
    html = subprocess.run(
        ["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    pitches = []
    for page in html.split("<page ")[1:]:
        words = re.findall(
            r'xMin="([\d.]+)" yMin="([\d.]+)" xMax="[\d.]+" yMax="[\d.]+">([^<]*)</word>', page
        )
        if not any(w == "Signature" for _, _, w in words):
            continue
        left = min(float(x) for x, _, w in words if w == "#")
        rows: dict[int, float] = {}
        for x, y, w in words:
            if w.isdigit() and abs(float(x) - left) < 40:
                rows.setdefault(int(w), float(y))  # the row number, right-aligned in "#"
        ys = sorted(rows.items())
        pitches += [b[1] - a[1] for a, b in pairwise(ys) if b[0] == a[0] + 1]
    return pitches


def test_every_page_prints_at_9_pt_or_more(tmp_path: Path) -> None:
    clinic, schedule = two_sites()
    # Long reasons, as the explainer writes them, for many people: they must wrap.
    slots = ", ".join(f"S3-WED-{h}00" for h in range(8, 22))
    reason = f"Individual counseling with their primary therapist T29 fits only {slots}"
    schedule = replace(schedule, unplaced=tuple(Unplaced("P5", reason) for _ in range(40)))
    # Made with a previous schedule in which the other therapist led every session: the
    # Changes sheet has a row per patient and therapist, and prints like the others.
    other = {"T1": ("T2",), "T2": ("T1",)}
    previous = replace(
        schedule,
        sessions=tuple(replace(s, therapists=other[s.therapists[0]]) for s in schedule.sessions),
    )
    publish(clinic, schedule, tmp_path, now=NOW, previous=previous)
    assert "Changes" in openpyxl.load_workbook(tmp_path / "schedule.xlsx").sheetnames
    profile = (tmp_path / "lo-profile").as_uri()  # its own profile: runs may overlap
    subprocess.run(
        [
            str(SOFFICE),
            f"-env:UserInstallation={profile}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(tmp_path / "schedule.xlsx"),
        ],
        capture_output=True,
        check=True,
        timeout=120,
    )
    pdf = tmp_path / "schedule.pdf"
    sizes = page_font_sizes(pdf.read_bytes())
    assert len(sizes) > 10
    small = {n: min(s) for n, s in enumerate(sizes, start=1) if min(s) < MIN_PT}
    assert not small, f"pages printing below {MIN_PT} pt: {small}"

    if shutil.which("pdftotext") is None:
        pytest.fail("pdftotext (poppler-utils) is needed to measure the sign-in rows")
    pitches = sign_in_row_pitches(pdf)
    assert pitches, "no sign-in rows found in the PDF"
    assert min(pitches) * 25.4 / 72 >= MIN_SIGN_MM
