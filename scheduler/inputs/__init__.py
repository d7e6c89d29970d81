"""The clinic's input: the workbook or CSV folder a coordinator fills in, read into a
validated :class:`~scheduler.domain.Clinic`, with every problem located by sheet, row and
column, and the blank template written out. One module per concern, as in ``check/``:

- ``spec`` — every sheet and column: names, kinds, defaults, help text (the template).
- ``xlsx`` — reading an ``.xlsx`` file in one pass; damaged and protected files.
- ``cells`` — one cell's text to a value (dates, times, numbers, lists), or a located error.
- ``rows`` — one row's values to a domain record.
- ``headers`` — row 1 of a sheet: missing, doubled and misspelled columns.
- ``settings`` — the Clinic sheet's values as one set of settings.
- ``parse`` — all the tables to a clinic, collecting every problem at once.
- ``errors`` — the located problem and the error that carries them.
- ``workbook`` — files in and out: the workbook, the CSV folder, the template, the hash.
- ``validate`` — planning checks on a clinic that reads cleanly (errors against warnings).
"""
