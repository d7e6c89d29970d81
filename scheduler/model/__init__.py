"""The CP-SAT scheduling model: ``solve(clinic, options, on_progress) -> Schedule``."""

from typing import TYPE_CHECKING, Any

from scheduler.model.options import ModelInvalidError, ProgressEvent, SolveOptions, Weights

if TYPE_CHECKING:
    from scheduler.model.solve import solve


def __getattr__(name: str) -> Any:
    # The solver (OR-Tools, about a second to import) loads on first use of ``solve``:
    # commands that only read the weights or options (``fit``) start without it.
    if name == "solve":
        from scheduler.model.solve import solve

        return solve
    raise AttributeError(f"module 'scheduler.model' has no attribute {name!r}")


__all__ = ["ModelInvalidError", "ProgressEvent", "SolveOptions", "Weights", "solve"]
