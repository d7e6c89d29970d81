"""Writing generated clinics to disk: a workbook or CSV folder, and the shipped sample data
(``python -m scheduler.generator.files`` rewrites data/ from the generator)."""

from __future__ import annotations

from pathlib import Path

from scheduler.domain import Clinic
from scheduler.generator.clinic import sample_clinic
from scheduler.generator.scenarios import sample_scenarios


def write_clinic(clinic: Clinic, out: Path) -> None:
    """Write ``clinic`` as a workbook when ``out`` ends in .xlsx, else as a CSV folder."""
    from scheduler.inputs.workbook import write_csv_folder, write_workbook

    if out.suffix.lower() == ".xlsx":
        write_workbook(clinic, out)
    else:
        write_csv_folder(clinic, out)


def write_sample_data(data_dir: Path) -> None:
    """Write the sample clinic as ``sample_clinic.xlsx`` and its CSV twin ``sample_clinic/``,
    each with the sample's what-if scenarios (a Scenarios sheet, ``Scenarios.csv``)."""
    from scheduler.inputs.workbook import write_csv_folder, write_workbook
    from scheduler.whatif.sheet import SCENARIOS, scenario_rows

    clinic = sample_clinic()
    extra = [(SCENARIOS, scenario_rows(sample_scenarios(clinic)))]
    data_dir.mkdir(parents=True, exist_ok=True)
    write_workbook(clinic, data_dir / "sample_clinic.xlsx", extra)
    write_csv_folder(clinic, data_dir / "sample_clinic", extra)


if __name__ == "__main__":
    # ``python -m scheduler.generator.files``: regenerate the shipped sample in data/.
    write_sample_data(Path("data"))
