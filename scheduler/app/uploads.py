"""Uploaded clinic files: an Excel workbook or a zip of the CSV files, nothing else.

Every check is made on the bytes before anything is written: the size (by the caller, as
the bytes arrive), what the file really is (an ``.xlsx`` is a zip holding
``xl/workbook.xml``), and for a zip, plain CSV names and a bounded unpacked size (no zip
bomb, no paths). An accepted file is written owner-only; a CSV folder replaces the last
one in one rename.
"""

from __future__ import annotations

import io
import os
import shutil
import tempfile
import zipfile
from pathlib import Path, PurePosixPath

from scheduler.safe_write import make_private_dir, write_bytes

#: An upload larger than this is refused before it is read (a clinic of 2,000 patients
#: is well under 2 MB).
MAX_UPLOAD = 20 * 1024 * 1024


class UploadRefused(ValueError):
    """A file that is not opened; ``status`` is the HTTP status that says why."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def check_xlsx(data: bytes) -> None:
    """An .xlsx is a zip holding ``xl/workbook.xml``; anything else is refused unread."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            if "xl/workbook.xml" not in z.namelist():
                raise UploadRefused(415, "This .xlsx is not an Excel workbook.")
    except zipfile.BadZipFile:
        raise UploadRefused(415, "This file is not an Excel workbook (.xlsx).") from None


def unpack_csv_zip(data: bytes, target: Path, max_total: int) -> None:
    """A zip of the clinic's CSV files: plain names, CSV only, bounded size; unpacked into
    a fresh folder that replaces the last upload in one rename."""
    try:
        z = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise UploadRefused(415, "This file is not a zip of CSV files.") from None
    with z:
        members = [m for m in z.infolist() if not m.is_dir()]
        names = [PurePosixPath(m.filename).name for m in members]
        if not members or any(not n.lower().endswith(".csv") for n in names):
            raise UploadRefused(415, "The zip must hold the clinic's CSV files and nothing else.")
        if len(set(names)) != len(names):
            raise UploadRefused(415, "The zip holds two CSV files of the same name.")
        if sum(m.file_size for m in members) > max_total:
            raise UploadRefused(413, "The CSV files in the zip are too large.")
        make_private_dir(target.parent)
        staging = Path(tempfile.mkdtemp(prefix=".upload-", dir=target.parent))
        try:
            for m, n in zip(members, names, strict=True):
                write_bytes(staging / n, z.read(m))
            if target.exists():
                shutil.rmtree(target)
            os.replace(staging, target)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
