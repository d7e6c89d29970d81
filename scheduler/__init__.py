"""Scheduling for Intensive Outpatient Programs: clinic data in, timetables out."""

__version__ = "0.1.0"
