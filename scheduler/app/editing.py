"""One coordinator edits at a time: the edit belongs to one browser tab.

Each tab makes up an ID of its own (kept in the tab's ``sessionStorage``) and claims the
edit when its page opens; it keeps the claim alive with a heartbeat and gives it up when
the page goes. The claim is a file in the output folder (``.app/editor.json``), not memory,
so two server processes on one folder agree too. A claim that has not beaten for
:data:`STALE_S` seconds is abandoned (a closed laptop) and the next tab takes it over.
Every request that changes state must come from the tab holding the claim; any other tab
is told "read-only while another edit is open".
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from scheduler.app.workspace import Workspace

#: Seconds without a heartbeat after which a claim is abandoned; pages beat every 15 s.
STALE_S = 45.0
READ_ONLY = "Read-only while another edit is open (in another tab or on another screen)."
_TAB_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


@dataclass(frozen=True)
class Claim:
    granted: bool
    message: str


class EditLock:
    def __init__(self, workspace: Workspace, clock: Callable[[], float] = time.time) -> None:
        self._ws = workspace
        self._clock = clock
        self._mutex = threading.Lock()

    @staticmethod
    def valid_tab(tab: str | None) -> bool:
        return tab is not None and bool(_TAB_ID.match(tab))

    def _holder(self) -> str | None:
        data = self._ws.editor()
        if not data:
            return None
        beat = data.get("beat")
        if not isinstance(beat, int | float) or self._clock() - beat > STALE_S:
            return None
        tab = data.get("tab")
        return tab if isinstance(tab, str) else None

    def claim(self, tab: str) -> Claim:
        """Take or keep the edit for ``tab`` unless another live tab holds it."""
        if not self.valid_tab(tab):
            return Claim(False, "This page has no tab identity; reload it.")
        with self._mutex:
            holder = self._holder()
            if holder not in (None, tab):
                return Claim(False, READ_ONLY)
            self._ws.save_editor({"tab": tab, "beat": self._clock()})
            return Claim(True, "You are editing.")

    def release(self, tab: str) -> None:
        with self._mutex:
            if self._holder() == tab:
                self._ws.save_editor(None)

    def holds(self, tab: str | None) -> bool:
        with self._mutex:
            return tab is not None and self._holder() == tab
