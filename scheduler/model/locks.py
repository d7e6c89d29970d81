"""Locks of one (week, block, type) merged into pinned groups (RULES.md L1).

Two locks that name the same patient, therapist or room of one session slot describe the
same session, so they are merged (union-find). Each merged component becomes one pinned
session: the model makes it possible and the extraction builds it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from scheduler.domain import Lock


@dataclass(frozen=True)
class Pin:
    locks: tuple[str, ...]  # lock IDs merged into this pinned session
    patients: tuple[str, ...]
    therapists: tuple[str, ...]
    rooms: tuple[str, ...]


def pins(locks: Sequence[Lock]) -> list[Pin]:
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def entities(lk: Lock) -> list[str]:
        out = [f"lock:{lk.id}"]
        if lk.patient is not None:
            out.append(f"p:{lk.patient}")
        if lk.therapist is not None:
            out.append(f"t:{lk.therapist}")
        if lk.room is not None:
            out.append(f"r:{lk.room}")
        return out

    for lk in locks:
        ents = entities(lk)
        for e in ents[1:]:
            parent[find(e)] = find(ents[0])
    groups: dict[str, list[Lock]] = {}
    for lk in locks:
        groups.setdefault(find(f"lock:{lk.id}"), []).append(lk)
    out = []
    for members in groups.values():
        out.append(
            Pin(
                locks=tuple(lk.id for lk in members),
                patients=tuple(sorted({lk.patient for lk in members if lk.patient})),
                therapists=tuple(sorted({lk.therapist for lk in members if lk.therapist})),
                rooms=tuple(sorted({lk.room for lk in members if lk.room})),
            )
        )
    return out
