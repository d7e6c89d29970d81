"""S1-S4: who may share a group — track, sex, phase, and who a type admits."""

from __future__ import annotations

from collections.abc import Iterator

from scheduler.check.view import View
from scheduler.check.violation import Violation


def check_tracks(v: View) -> Iterator[Violation]:
    """S1: one track per session (adolescents never with adults), open to the type."""
    for r in v.resolved:
        tracks = sorted({p.track for p in r.patients})
        if len(tracks) > 1:
            yield Violation(
                "S1",
                f"{r.describe()} mixes {' and '.join(tracks)} patients.",
                sessions=(r.id,),
                patients=tuple(p.id for p in r.patients),
            )
        closed = tuple(p.id for p in r.patients if p.track not in r.kind.tracks)
        if closed:
            yield Violation(
                "S1",
                f"{r.describe()} is open to {', '.join(sorted(r.kind.tracks))} patients only, "
                f"but patient(s) {', '.join(closed)} attend.",
                sessions=(r.id,),
                patients=closed,
            )


def check_sex(v: View) -> Iterator[Violation]:
    """S2: a single-sex session holds patients of one sex."""
    for r in v.resolved:
        sexes = sorted({p.sex for p in r.patients})
        if r.kind.single_sex and len(sexes) > 1:
            yield Violation(
                "S2",
                f"{r.describe()} is single-sex but has {' and '.join(sexes)} patients.",
                sessions=(r.id,),
                patients=tuple(p.id for p in r.patients),
            )


def check_phases(v: View) -> Iterator[Violation]:
    """S3: a phase-restricted session holds only patients in those phases."""
    for r in v.resolved:
        if not r.kind.phases:
            continue
        wrong = tuple(p.id for p in r.patients if p.phase not in r.kind.phases)
        if wrong:
            yield Violation(
                "S3",
                f"{r.describe()} is for {', '.join(sorted(r.kind.phases))}-phase patients, "
                f"but patient(s) {', '.join(wrong)} are in another phase.",
                sessions=(r.id,),
                patients=wrong,
            )


def check_admitted_sexes(v: View) -> Iterator[Violation]:
    """S4: a session whose type names sexes (a women's group) holds only patients of them."""
    for r in v.resolved:
        if not r.kind.sexes:
            continue
        wrong = tuple(p.id for p in r.patients if p.sex not in r.kind.sexes)
        if wrong:
            yield Violation(
                "S4",
                f"{r.describe()} admits {' and '.join(sorted(r.kind.sexes))} patients only, "
                f"but patient(s) {', '.join(wrong)} attend.",
                sessions=(r.id,),
                patients=wrong,
            )
