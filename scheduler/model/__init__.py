"""The CP-SAT scheduling model: ``solve(clinic, options, on_progress) -> Schedule``."""

from scheduler.model.options import ModelInvalidError, ProgressEvent, SolveOptions, Weights
from scheduler.model.solve import solve

__all__ = ["ModelInvalidError", "ProgressEvent", "SolveOptions", "Weights", "solve"]
