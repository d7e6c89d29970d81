"""A model-free probe: could a coordinator improve this schedule by hand? (issue 10, item 2)

Two questions about a published :class:`~scheduler.schedule.Schedule`:

- :func:`insertable` — which unplaced patients could be added to the schedule *as it
  stands*, moving nobody: into existing sessions with a free seat, new individual and
  family sessions in free slots, and new sessions of a type whose ``min_size`` allows a
  session of one (a type with ``min_size >= 2`` is never opened for one patient).
- :func:`inversions` — which unplaced patients *u* could take the place of a placed
  patient *q* of lower priority (``scheduler.rules.priority_key``: a smaller key is a
  higher priority; equal keys are no inversion): *q* leaves every session (their
  individual and family sessions go, a co-facilitator no longer needed goes), and *u* is
  inserted as above. A group that *q*'s leaving takes below ``min_size`` must be refilled
  by *u*, else the swap is not counted.

For one newcomer (``scheduler.fit``, recommend fit for a referral), three more:

- :func:`candidates` — not the first way in but up to ``limit`` of them, the week search
  backtracking for more across every week (unchecked: the caller ranks them, then asks
  the checker about the best);
- :func:`relocations` — single moves of a placed patient to another session of the same
  type that free a seat for the newcomer in a full group;
- :func:`blocked_needs` — the sessions the newcomer owes that no option can give them on
  the schedule as it stands, and why, block by block: the binding reason when nothing fits.

How. The probe knows the rules of docs/RULES.md only through ``scheduler.rules``, the
records of ``scheduler.domain`` and the schedule itself — it never imports the model. For
each patient and week it runs a small backtracking search over candidate sessions (join
an existing session, or open one with a free credentialed leader and a free room) until
the whole week keeps the curriculum, the hours band, the day shape and the individual and
family requirements. Every candidate the search finds is then built into a full schedule
and handed to the independent checker, ``scheduler.check.check_schedule``.

What it guarantees. Everything it reports is a schedule with zero checker violations
(the checker is the oracle; ``rejected`` counts search finds the checker refused, which
should stay 0 — above 0 the probe reads some rule more loosely than the checker, for
example a rule added to the checker since). Nothing reported is ever false.

What it does not guarantee. It is not complete: it opens a new session with the first
free leader and room it finds in a block, not every pair; its search per patient stops
after a node budget (``ProbeResult.capped``); for swaps it tries only placed patients who
share something with *u* (a session at a time *u* could attend, their primary therapist,
or a therapist short of hours — see :func:`_relevant`), and only for *u* who could be
placed at all were every lower-priority patient gone. A patient who is insertable as the
schedule stands is reported as an insertion, not again as a swap with every
lower-priority patient. A placed patient named by a lock, or alone in a locked session,
is never swapped out. With ``max_pairs`` or ``swaps_per_patient`` set, the pairs left
untried are counted in ``skipped_pairs`` and named in ``notes`` — never silently.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from functools import partial

from scheduler.check import check_schedule
from scheduler.domain import (
    Block,
    BlockKind,
    Clinic,
    Patient,
    Room,
    SessionKind,
    SessionType,
    Window,
    covered,
)
from scheduler.rules import (
    can_lead,
    days_in_treatment,
    family_slots,
    individual_slots,
    patient_can_attend,
    priority_key,
    required_sessions,
    week_hours,
)
from scheduler.schedule import Schedule, Session, Unplaced, session_window
from scheduler.topics import assign_topics

#: Search nodes per patient (all weeks) before the probe gives up on that patient.
DEFAULT_NODE_BUDGET = 20_000

_ONE_TO_ONE = (SessionKind.INDIVIDUAL, SessionKind.FAMILY)
_EPS = 1e-9


# --------------------------------------------------------------------------------------
# Results.


@dataclass(frozen=True)
class Insertion:
    """``patient`` can be placed moving nobody: they join the existing sessions ``joined``
    (by ID; a co-facilitator may be added where the group's new size needs one) and the new
    sessions ``added`` are opened. ``schedule`` is the whole augmented schedule; the checker
    found no violation in it."""

    patient: str
    joined: tuple[str, ...]
    added: tuple[Session, ...]
    schedule: Schedule


@dataclass(frozen=True)
class Swap:
    """Unplaced ``patient`` takes the place of placed ``removed``, of lower priority.
    ``schedule`` (zero checker violations) lists ``removed`` as unplaced."""

    patient: str
    removed: str
    joined: tuple[str, ...]
    added: tuple[Session, ...]
    schedule: Schedule


@dataclass(frozen=True)
class ProbeResult:
    """Both probes with the work they did: nothing skipped goes unsaid.

    ``tried`` unplaced patients were searched for an insertion; ``pairs_tried`` (u, q)
    swap pairs searched and ``skipped_pairs`` left untried by ``max_pairs``; ``capped``
    searches ran out of their node budget (their patient may still fit); ``rejected``
    search finds the checker refused — not reported; above 0 it shows where the probe's
    reading of the rules is looser than the checker's, a gap in the probe to fix.
    """

    insertions: tuple[Insertion, ...]
    swaps: tuple[Swap, ...]
    tried: int
    pairs_tried: int
    skipped_pairs: int
    capped: int
    rejected: int
    notes: tuple[str, ...] = ()

    @property
    def inverted_patients(self) -> frozenset[str]:
        """Unplaced patients with at least one swap."""
        return frozenset(s.patient for s in self.swaps)


def insertable(clinic: Clinic, schedule: Schedule) -> list[Insertion]:
    """Every unplaced patient the probe can add to ``schedule`` as it stands (see module)."""
    return list(probe(clinic, schedule, swaps=False).insertions)


def inversions(clinic: Clinic, schedule: Schedule) -> list[Swap]:
    """Every (unplaced u, placed lower-priority q) swap the probe finds (see module)."""
    return list(probe(clinic, schedule).swaps)


def probe(
    clinic: Clinic,
    schedule: Schedule,
    *,
    swaps: bool = True,
    max_pairs: int | None = None,
    swaps_per_patient: int | None = None,
    node_budget: int = DEFAULT_NODE_BUDGET,
) -> ProbeResult:
    """Insertions, then (``swaps``) inversions for the unplaced patients who are not
    insertable. ``max_pairs`` caps the swap pairs tried (the rest are counted as skipped);
    ``swaps_per_patient`` stops looking for a patient's swaps once that many are confirmed
    (their remaining pairs are counted as skipped): a way to count inverted patients at
    scale without a checker run per pair."""
    tally = _Tally()
    # Topics follow the rosters (RULES.md C1, C2): a schedule from inside the solve has
    # none yet, and every find changes a roster, so each is checked with its topics.
    schedule = assign_topics(clinic, schedule, schedule.progress)
    if check_schedule(clinic, schedule):
        # Nothing built on a schedule that already breaks a rule could pass the oracle.
        return ProbeResult((), (), 0, 0, 0, 0, 0, ("the schedule itself breaks rules",))
    unplaced = [
        clinic.patient_by_id[u.patient]
        for u in schedule.unplaced
        if u.patient in clinic.patient_by_id
    ]
    unplaced.sort(key=lambda p: (priority_key(clinic, p), p.id))
    base = _Board(clinic, schedule.sessions, frozenset(), keep_empty=False)
    found: list[Insertion] = []
    rest: list[Patient] = []
    for u in unplaced:
        tally.tried += 1
        plan = _place(base, u, node_budget, tally)
        built = None if plan is None else _confirm(clinic, schedule, base, u, plan, None, tally)
        if built is None:
            rest.append(u)
        else:
            found.append(Insertion(u.id, built[1], built[2], built[0]))
    swap_list: list[Swap] = []
    if swaps and rest:
        swap_list = _swaps(clinic, schedule, rest, max_pairs, swaps_per_patient, node_budget, tally)
    return ProbeResult(
        tuple(found),
        tuple(swap_list),
        tally.tried,
        tally.pairs,
        tally.skipped,
        tally.capped,
        tally.rejected,
        tuple(tally.notes),
    )


@dataclass
class _Tally:
    tried: int = 0
    pairs: int = 0
    skipped: int = 0
    capped: int = 0
    rejected: int = 0
    notes: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------------------
# The board: who and what is booked when, kept up to date as the search adds and undoes.


@dataclass
class _Live:
    """A session on the board; ``original`` is None for a session the probe opened."""

    id: str
    week: int
    block: Block
    kind: SessionType
    room: str
    therapists: list[str]
    patients: list[str]
    original: Session | None


@dataclass(frozen=True)
class _Option:
    """One way to attend a session of ``kind``: ``join`` an existing session (adding the
    co-facilitators ``therapists``), or open one led by ``therapists`` in ``room``."""

    week: int
    block: Block
    kind: SessionType
    join: str | None
    therapists: tuple[str, ...]
    room: str | None
    must: bool = False  # refills a group that the swap left below its minimum


# The rest of the search once an option is booked: True found, False none, None out of budget.
_Continue = Callable[[], bool | None]


def _found() -> bool | None:
    """The end of a search that wants one plan: the first complete plan is the answer."""
    return True


class _Board:
    """The schedule minus ``removed`` patients, as booking tables.

    Sessions left with no patient are dropped, except groups when ``keep_empty`` (the
    relaxation used to rule patients out cheaply keeps them joinable). A co-facilitator
    the smaller group no longer needs is dropped. Groups left above 0 but below
    ``min_size`` are ``short``: a swap must refill them.
    """

    def __init__(
        self,
        clinic: Clinic,
        sessions: Sequence[Session],
        removed: frozenset[str],
        keep_empty: bool,
    ) -> None:
        self.clinic = clinic
        self.live: dict[str, _Live] = {}
        self.at: dict[tuple[int, str, str], list[str]] = defaultdict(list)
        self.t_busy: dict[tuple[str, int, int], list[tuple[int, int]]] = defaultdict(list)
        self.t_week: Counter[tuple[str, int]] = Counter()
        self.t_day: Counter[tuple[str, int, int]] = Counter()
        self.t_sites: dict[tuple[str, int, int], Counter[str]] = defaultdict(Counter)
        self.r_busy: dict[tuple[str, int, int], list[tuple[int, int]]] = defaultdict(list)
        self.caseload: Counter[str] = Counter()
        self.short: set[str] = set()
        self.dropped: list[Session] = []
        self.used_ids = {s.id for s in sessions}
        self.opened = 0
        # Static answers asked again and again by the search (data only, no bookings).
        self._windows: dict[tuple[str, str], Window] = {}
        self._leaders: dict[tuple[int, str, str], tuple[str, ...]] = {}
        placed: set[str] = set()
        for s in sessions:
            self._load(s, removed, keep_empty, placed)
        for pid in placed:
            self.caseload[clinic.patient_by_id[pid].primary_therapist] += 1

    def _load(
        self, s: Session, removed: frozenset[str], keep_empty: bool, placed: set[str]
    ) -> None:
        c = self.clinic
        kind = c.session_type_by_id[s.session_type]
        block = c.block_by_id[s.block]
        patients = [p for p in s.patients if p not in removed]
        therapists = list(s.therapists)
        if len(patients) < len(s.patients):
            keep = keep_empty and kind.kind not in _ONE_TO_ONE and kind.max_size > 1
            if not patients and not keep:
                self.dropped.append(s)
                return
            therapists = therapists[: max(1, kind.leaders_needed(len(patients)))]
            if 0 < len(patients) < kind.min_size and not keep_empty:
                # The relaxation asks no refill: it must stay at least as permissive as
                # any single removal.
                self.short.add(s.id)
        placed.update(patients)
        live = _Live(s.id, s.week, block, kind, s.room, therapists, patients, s)
        self.live[s.id] = live
        self.at[(s.week, block.id, kind.id)].append(s.id)
        for t in therapists:
            self.book_therapist(t, s.week, block, kind)
        self.book_room(s.room, s.week, block, kind)

    def window(self, block: Block, kind: SessionType) -> Window:
        key = (block.id, kind.id)
        if key not in self._windows:
            self._windows[key] = session_window(block, kind)
        return self._windows[key]

    def leaders(self, week: int, block: Block, kind: SessionType) -> tuple[str, ...]:
        """Therapists who could lead ``kind`` in ``block`` (G3, T4-T6), in clinic order."""
        key = (week, block.id, kind.id)
        if key not in self._leaders:
            self._leaders[key] = tuple(
                t.id
                for t in self.clinic.therapists
                if can_lead(self.clinic, t.id, block, kind, week)
            )
        return self._leaders[key]

    # Bookings ---------------------------------------------------------------------

    def book_therapist(self, t: str, week: int, block: Block, kind: SessionType) -> None:
        w = self.window(block, kind)
        day = int(w.weekday)
        self.t_busy[(t, week, day)].append((w.start, w.end))
        self.t_week[(t, week)] += kind.duration_min
        self.t_day[(t, week, day)] += kind.duration_min
        self.t_sites[(t, week, day)][block.site] += 1

    def unbook_therapist(self, t: str, week: int, block: Block, kind: SessionType) -> None:
        w = self.window(block, kind)
        day = int(w.weekday)
        self.t_busy[(t, week, day)].remove((w.start, w.end))
        self.t_week[(t, week)] -= kind.duration_min
        self.t_day[(t, week, day)] -= kind.duration_min
        self.t_sites[(t, week, day)][block.site] -= 1

    def book_room(self, room: str, week: int, block: Block, kind: SessionType) -> None:
        w = self.window(block, kind)
        self.r_busy[(room, week, int(w.weekday))].append((w.start, w.end))

    def unbook_room(self, room: str, week: int, block: Block, kind: SessionType) -> None:
        w = self.window(block, kind)
        self.r_busy[(room, week, int(w.weekday))].remove((w.start, w.end))

    # Questions --------------------------------------------------------------------

    def therapist_free(self, t: str, week: int, block: Block, kind: SessionType) -> bool:
        """Not booked at the time (T1), hours left (G5), no other site that date (T6)."""
        th = self.clinic.therapist_by_id[t]
        w = self.window(block, kind)
        day = int(w.weekday)
        if any(s < w.end and w.start < e for s, e in self.t_busy[(t, week, day)]):
            return False
        if self.t_week[(t, week)] + kind.duration_min > th.max_hours_week * 60 + _EPS:
            return False
        if self.t_day[(t, week, day)] + kind.duration_min > th.max_hours_day * 60 + _EPS:
            return False
        sites = self.t_sites[(t, week, day)]
        return all(n == 0 or site == block.site for site, n in sites.items())

    def room_free(self, room: Room, week: int, block: Block, kind: SessionType) -> bool:
        """Serves the site with the features (G2, T6), open (T4, T5) and not booked (T1)."""
        w = self.window(block, kind)
        return (
            room.serves(block.site)
            and kind.room_features <= room.features
            and room.available(w)
            and not self.clinic.is_closed(block, week, room=room.id)
            and not any(
                s < w.end and w.start < e for s, e in self.r_busy[(room.id, week, int(w.weekday))]
            )
        )

    # Applying options -------------------------------------------------------------

    def apply(self, opt: _Option, patient: str) -> str:
        """Book ``opt`` for ``patient``; returns the live session's ID (for :meth:`undo`)."""
        if opt.join is not None:
            live = self.live[opt.join]
            live.patients.append(patient)
            for t in opt.therapists:
                live.therapists.append(t)
                self.book_therapist(t, opt.week, opt.block, opt.kind)
            return live.id
        assert opt.room is not None
        self.opened += 1
        sid = f"probe-new-{self.opened}"
        self.live[sid] = _Live(
            sid, opt.week, opt.block, opt.kind, opt.room, list(opt.therapists), [patient], None
        )
        self.at[(opt.week, opt.block.id, opt.kind.id)].append(sid)
        for t in opt.therapists:
            self.book_therapist(t, opt.week, opt.block, opt.kind)
        self.book_room(opt.room, opt.week, opt.block, opt.kind)
        return sid

    def undo(self, opt: _Option, sid: str) -> None:
        live = self.live[sid]
        for t in opt.therapists:
            live.therapists.remove(t)
            self.unbook_therapist(t, opt.week, opt.block, opt.kind)
        if opt.join is not None:
            live.patients.pop()
            return
        del self.live[sid]
        self.at[(opt.week, opt.block.id, opt.kind.id)].remove(sid)
        assert opt.room is not None
        self.unbook_room(opt.room, opt.week, opt.block, opt.kind)


# --------------------------------------------------------------------------------------
# The search for one patient.


@dataclass
class _Need:
    """What one week asks of the patient (W1-W5), from the clinic's data alone."""

    units: list[tuple[SessionType, int]]  # required sessions by type (group and other)
    individual: tuple[SessionType, int] | None  # primary-therapist sessions (W4)
    family: list[tuple[SessionType, list[Block]]]  # one of these is due (W5), else empty
    extras: list[SessionType]  # group types open to the track, for hours and days
    min_minutes: float
    max_minutes: float
    min_days: int
    # One session at least, for a patient who owes nothing anywhere in the horizon (say,
    # discharged on Monday): placed means attending something (P1), an extra group will do.
    at_least_one: bool = False


def _need(clinic: Clinic, p: Patient, week: int) -> _Need:
    settings = clinic.settings
    types = clinic.session_type_by_id
    units: list[tuple[SessionType, int]] = []
    individual: tuple[SessionType, int] | None = None
    for item in clinic.curriculum_for(p.track):
        kind = types[item.session_type]
        n = required_sessions(clinic, p, item, week)
        if kind.kind is SessionKind.FAMILY or n == 0:
            continue
        if kind.kind is SessionKind.INDIVIDUAL:
            if individual_slots(clinic, p, kind, week):  # waived when no slot exists
                individual = (kind, n)
            continue
        units.append((kind, n))
    family: list[tuple[SessionType, list[Block]]] = []
    if p.family_due(settings.week_start + dt.timedelta(weeks=week)):
        for kind in clinic.session_types:
            if kind.kind is SessionKind.FAMILY and p.track in kind.tracks and kind.admits(p.sex):
                slots = family_slots(clinic, p, kind, week)
                if slots:
                    family.append((kind, slots))
    extras = [
        k
        for k in clinic.session_types
        if k.is_group and p.track in k.tracks and k.admits(p.sex) and k.kind not in _ONE_TO_ONE
    ]
    hours = week_hours(clinic, p, week)  # W2/W3, or the step-down band (W7)
    return _Need(
        units,
        individual,
        family,
        extras,
        hours.min_hours * 60,
        hours.max_hours * 60,
        hours.min_days,
    )


@dataclass
class _Search:
    """Backtracking over one patient's weeks on a board; ``chosen`` is the current plan."""

    board: _Board
    patient: Patient
    budget: int
    nodes: int = 0
    chosen: list[tuple[_Option, str]] = field(default_factory=list)
    _attend: dict[tuple[int, str, str], bool] = field(default_factory=dict)

    def can_attend(self, week: int, block: Block, kind: SessionType) -> bool:
        """T2, T3, T4, T6 and P2 for this patient (``rules.patient_can_attend``), cached."""
        key = (week, block.id, kind.id)
        if key not in self._attend:
            self._attend[key] = patient_can_attend(self.clinic, self.patient, block, kind, week)
        return self._attend[key]

    @property
    def clinic(self) -> Clinic:
        return self.board.clinic

    def spend(self) -> bool:
        self.nodes += 1
        return self.nodes <= self.budget

    # Options ----------------------------------------------------------------------

    def _fits_time(self, week: int, block: Block, kind: SessionType) -> bool:
        """No clash with the patient's own plan (T1) and the day's group cap (W3)."""
        w = self.board.window(block, kind)
        groups_that_day = 0
        for opt, _ in self.chosen:
            if opt.week != week:
                continue
            other = self.board.window(opt.block, opt.kind)
            if other.weekday != w.weekday:
                continue
            if other.start < w.end and w.start < other.end:
                return False
            groups_that_day += opt.kind.block_kind is BlockKind.GROUP
        cap = self.clinic.settings.max_group_blocks_per_day
        return kind.block_kind is not BlockKind.GROUP or groups_that_day < cap

    def options(
        self, week: int, kind: SessionType, blocks: Sequence[Block], lead: str | None = None
    ) -> Iterator[_Option]:
        """Ways to attend ``kind`` in ``week`` in one of ``blocks``: refills first, then
        existing sessions, then a new session. ``lead`` fixes the leader (W4)."""
        b, p = self.board, self.patient
        if (
            p.track not in kind.tracks
            or (kind.phases and p.phase not in kind.phases)
            or not kind.admits(p.sex)
        ):
            return  # S1, S3, S4: not a session this patient may attend, new or existing
        joins: list[_Option] = []
        for block in blocks:
            if not self.can_attend(week, block, kind):
                continue
            if not self._fits_time(week, block, kind):
                continue
            if kind.kind not in _ONE_TO_ONE:
                for sid in b.at.get((week, block.id, kind.id), ()):
                    opt = self._join(b.live[sid])
                    if opt is not None:
                        joins.append(opt)
        joins.sort(key=lambda o: not o.must)
        yield from joins
        if kind.min_size > 1:
            return  # a new session would hold only this patient
        for block in blocks:
            if not self.can_attend(week, block, kind):
                continue
            if not self._fits_time(week, block, kind):
                continue
            opt = self._open(week, block, kind, lead)
            if opt is not None:
                yield opt

    def _join(self, live: _Live) -> _Option | None:
        """Take a free seat (G1, G2), with the group's track, sex and phase (S1-S3), adding
        a co-facilitator when the new size needs one (G4)."""
        c, p, kind = self.clinic, self.patient, live.kind
        size = len(live.patients) + 1
        if p.id in live.patients or size > kind.max_size:
            return None
        room = c.room_by_id[live.room]
        if room.virtual and not p.telehealth_ok:
            return None
        if not room.virtual and size > room.capacity:
            return None
        others = [c.patient_by_id[q] for q in live.patients]
        if any(q.track is not p.track for q in others):
            return None
        if kind.single_sex and any(q.sex is not p.sex for q in others):
            return None
        co: tuple[str, ...] = ()
        if kind.leaders_needed(size) > len(live.therapists):
            found = self._leader(live.week, live.block, kind, exclude=live.therapists)
            if found is None:
                return None
            co = (found,)
        return _Option(
            live.week, live.block, kind, live.id, co, None, must=live.id in self.board.short
        )

    def _leader(
        self, week: int, block: Block, kind: SessionType, exclude: Sequence[str] = ()
    ) -> str | None:
        for t in self.board.leaders(week, block, kind):
            if t not in exclude and self.board.therapist_free(t, week, block, kind):
                return t
        return None

    def _open(self, week: int, block: Block, kind: SessionType, lead: str | None) -> _Option | None:
        """A new session for this patient alone: a free credentialed leader (G3, G5, T4-T6)
        and a free room, physical rooms smallest first, a virtual one only with telehealth."""
        c, b = self.clinic, self.board
        if lead is not None:
            ok = lead in b.leaders(week, block, kind) and b.therapist_free(lead, week, block, kind)
            leader = lead if ok else None
        else:
            leader = self._leader(week, block, kind)
        if leader is None:
            return None
        rooms = sorted(c.rooms, key=lambda r: (r.virtual, r.capacity, r.id))
        for room in rooms:
            if room.virtual and not self.patient.telehealth_ok:
                continue
            if b.room_free(room, week, block, kind):
                return _Option(week, block, kind, None, (leader,), room.id)
        return None

    # The week ---------------------------------------------------------------------

    def place_week(self, week: int, need: _Need, then: _Continue = _found) -> bool | None:
        """Extend ``chosen`` with a plan for ``week``, then go on with ``then`` (the next
        week, or :func:`plans`' collector): True found, False none, None the node budget
        ran out. ``then`` returning False backtracks into this week's other plans."""
        slots: list[tuple[SessionType, list[Block], str | None]] = []
        blocks = list(self.clinic.blocks)
        if need.individual is not None:
            kind, n = need.individual
            ind = individual_slots(self.clinic, self.patient, kind, week)
            slots += [(kind, ind, self.patient.primary_therapist)] * n
        for kind, n in need.units:
            slots += [(kind, blocks, None)] * n
        return self._family(week, need, partial(self._fill, week, need, slots, 0, -1, then))

    def _fill(
        self,
        week: int,
        need: _Need,
        slots: list[tuple[SessionType, list[Block], str | None]],
        i: int,
        last: int,
        then: _Continue,
    ) -> bool | None:
        """Required sessions one by one; repeats of a type in rising block order (no
        permutations of the same plan). Then extras."""
        if i == len(slots):
            return self._extras(week, need, -1, then)
        kind, blocks, lead = slots[i]
        same_as_prev = i > 0 and slots[i - 1][0] is kind
        order = self.clinic.blocks.index
        for opt in self.options(week, kind, blocks, lead):
            if same_as_prev and order(opt.block) <= last:
                continue
            if not self.spend():
                return None
            if self._minutes(week) + _counted(opt.kind) > need.max_minutes + _EPS:
                continue
            nxt = partial(self._fill, week, need, slots, i + 1, order(opt.block), then)
            done = self._try(opt, nxt)
            if done is not False:
                return done
        return False

    def _family(self, week: int, need: _Need, then: _Continue) -> bool | None:
        """The due family session (W5) first: one slot, the family's time, most constrained."""
        if not need.family:
            return then()
        for kind, blocks in need.family:
            for opt in self.options(week, kind, blocks):
                window = self.board.window(opt.block, kind)
                if not covered(self.patient.family_availability, window):
                    continue
                if not self.spend():
                    return None
                if self._minutes(week) + _counted(kind) > need.max_minutes + _EPS:
                    continue
                done = self._try(opt, then)
                if done is not False:
                    return done
        return False

    def _extras(self, week: int, need: _Need, last: int, then: _Continue) -> bool | None:
        """Extra group sessions until the hours minimum and the days minimum hold and every
        group the swap left short is refilled."""
        missing = self.board.short - {sid for o, sid in self.chosen if o.join is not None}
        short_here = {sid for sid in missing if self.board.live[sid].week == week}
        below = (
            self._minutes(week) < need.min_minutes - _EPS
            or self._days(week) < need.min_days
            or (need.at_least_one and not any(o.week == week for o, _ in self.chosen))
        )
        if not below and not short_here:
            return then()
        n_blocks = len(self.clinic.blocks)
        order = self.clinic.blocks.index
        for kind in need.extras:
            k = self.clinic.session_types.index(kind)
            for opt in self.options(week, kind, self.clinic.blocks):
                rank = k * n_blocks + order(opt.block)
                if rank <= last or (not below and opt.join not in short_here):
                    continue
                if not self.spend():
                    return None
                if self._minutes(week) + _counted(kind) > need.max_minutes + _EPS:
                    continue
                done = self._try(opt, partial(self._extras, week, need, rank, then))
                if done is not False:
                    return done
        return False

    def _try(self, opt: _Option, then: _Continue) -> bool | None:
        sid = self.board.apply(opt, self.patient.id)
        self.chosen.append((opt, sid))
        done = then()
        if done is not True:
            self.chosen.pop()
            self.board.undo(opt, sid)
        return done

    def _minutes(self, week: int) -> int:
        return sum(_counted(o.kind) for o, _ in self.chosen if o.week == week)

    def _days(self, week: int) -> int:
        return len(
            {
                o.block.weekday
                for o, _ in self.chosen
                if o.week == week and o.kind.block_kind is BlockKind.GROUP
            }
        )


def _counted(kind: SessionType) -> int:
    return kind.duration_min if kind.counts_toward_hours else 0


def _place(
    board: _Board, p: Patient, budget: int, tally: _Tally
) -> list[tuple[_Option, str]] | None:
    """A plan that places ``p`` on ``board`` (booked on it), or None (board unchanged)."""
    clinic = board.clinic
    therapist = clinic.therapist_by_id[p.primary_therapist]
    if board.caseload[p.primary_therapist] + 1 > therapist.caseload_cap:
        return None
    search = _Search(board, p, budget)
    weeks = [w for w in range(clinic.settings.weeks) if days_in_treatment(clinic, p, w) > 0]
    for week in weeks:
        done = search.place_week(week, _need(clinic, p, week))
        if done is not True:
            if done is None:
                tally.capped += 1
            _unwind(board, search.chosen)
            return None
    for week in weeks if not search.chosen else ():
        # Owes nothing in the whole horizon: one extra group session in some week places them.
        done = search.place_week(week, replace(_need(clinic, p, week), at_least_one=True))
        if done is True:
            break
        if done is None:
            tally.capped += 1
            return None
    return search.chosen or None


def _unwind(board: _Board, chosen: list[tuple[_Option, str]]) -> None:
    for opt, sid in reversed(chosen):
        board.undo(opt, sid)
    chosen.clear()


# --------------------------------------------------------------------------------------
# Turning a plan into a schedule, and asking the oracle.


def _confirm(
    clinic: Clinic,
    schedule: Schedule,
    board: _Board,
    u: Patient,
    plan: list[tuple[_Option, str]],
    removed: Patient | None,
    tally: _Tally,
) -> tuple[Schedule, tuple[str, ...], tuple[Session, ...]] | None:
    """The schedule the plan gives, if the checker accepts it; the plan is undone on the
    board either way."""
    result, joined, added = _build(schedule, board, u, plan, removed)
    _unwind(board, plan)
    violations = check_schedule(clinic, result)
    if violations:
        tally.rejected += 1
        rules = sorted({v.rule for v in violations})
        tally.notes.append(f"checker refused a find for {u.id}: {', '.join(rules)}")
        return None
    return result, joined, added


def _build(
    schedule: Schedule,
    board: _Board,
    u: Patient,
    plan: Sequence[tuple[_Option, str]],
    removed: Patient | None,
) -> tuple[Schedule, tuple[str, ...], tuple[Session, ...]]:
    """The schedule the board holds with ``plan`` booked on it (the board is left as it
    is): the joined sessions' IDs and the new sessions, numbered as every producer does."""
    sessions: list[Session] = []
    for live in board.live.values():
        if live.original is None:
            continue
        s = live.original
        if list(s.patients) != live.patients or list(s.therapists) != live.therapists:
            s = replace(s, patients=tuple(live.patients), therapists=tuple(live.therapists))
        sessions.append(s)
    added: list[Session] = []
    used = set(board.used_ids)
    for opt, sid in plan:
        if opt.join is not None:
            continue
        live = board.live[sid]
        n = 1
        while (
            new := Session.numbered(
                live.week,
                live.block.id,
                live.kind.id,
                n,
                live.room,
                tuple(live.therapists),
                tuple(live.patients),
            )
        ).id in used:
            n += 1
        used.add(new.id)
        added.append(new)
    joined = tuple(dict.fromkeys(opt.join for opt, _ in plan if opt.join is not None))
    unplaced = [x for x in schedule.unplaced if x.patient != u.id]
    if removed is not None:
        reason = f"gave their place to patient {u.id}, who has priority (probe)"
        unplaced.append(Unplaced(removed.id, reason))
    result = replace(schedule, sessions=(*sessions, *added), unplaced=tuple(unplaced))
    # A find is checked like any schedule: a cycled session it opens needs its module.
    result = assign_topics(board.clinic, result, result.progress)
    return result, joined, tuple(added)


# --------------------------------------------------------------------------------------
# Many ways in for one patient (scheduler.fit ranks them and has the checker confirm them).


@dataclass(frozen=True)
class Candidate:
    """One way the search found to add ``patient`` moving nobody, built into the whole
    ``schedule`` but NOT yet checked: :meth:`confirm` asks the checker. The search reads
    the rules as the checker does (``ProbeResult.rejected`` stays 0), so a candidate is
    cheap to rank before the checker's run is spent on it."""

    patient: str
    joined: tuple[str, ...]
    added: tuple[Session, ...]
    schedule: Schedule

    def confirm(self, clinic: Clinic) -> Insertion | None:
        """The insertion, if the checker finds no violation in the schedule; else None."""
        if check_schedule(clinic, self.schedule):
            return None
        return Insertion(self.patient, self.joined, self.added, self.schedule)


@dataclass(frozen=True)
class Candidates:
    """What :func:`candidates` found; ``capped`` when its node budget ran out first (more
    ways may exist), ``caseload_full`` when the primary therapist can take nobody more."""

    found: tuple[Candidate, ...]
    capped: bool
    caseload_full: bool


def candidates(
    clinic: Clinic,
    schedule: Schedule,
    patient: Patient,
    *,
    limit: int = 40,
    node_budget: int = DEFAULT_NODE_BUDGET,
) -> Candidates:
    """Up to ``limit`` different ways to add ``patient`` (who must not be placed in
    ``schedule``; ``clinic`` must hold this very record) to ``schedule`` as it stands,
    moving nobody: the search of :func:`insertable`, which stops at its first plan, here
    goes on backtracking for more, across every week of the horizon."""
    board = _Board(clinic, schedule.sessions, frozenset({patient.id}), keep_empty=False)
    therapist = clinic.therapist_by_id[patient.primary_therapist]
    if board.caseload[patient.primary_therapist] + 1 > therapist.caseload_cap:
        return Candidates((), False, True)
    search = _Search(board, patient, node_budget)
    weeks = [w for w in range(clinic.settings.weeks) if days_in_treatment(clinic, patient, w) > 0]
    needs = [_need(clinic, patient, w) for w in weeks]
    found: list[Candidate] = []
    seen: set[frozenset[_Option]] = set()
    owes_nothing = False

    def collect() -> bool | None:
        nonlocal owes_nothing
        key = frozenset(opt for opt, _ in search.chosen)
        owes_nothing = owes_nothing or not key
        if key and key not in seen:
            seen.add(key)
            result, joined, added = _build(schedule, board, patient, search.chosen, None)
            found.append(Candidate(patient.id, joined, added, result))
        return len(found) >= limit  # False backtracks for the next plan

    def week_at(i: int, plan: list[_Need]) -> bool | None:
        if i == len(weeks):
            return collect()
        return search.place_week(weeks[i], plan[i], partial(week_at, i + 1, plan))

    done = week_at(0, needs)
    _unwind(board, search.chosen)
    # An empty plan places nobody (P1). A patient who owes nothing in the whole horizon
    # (say, discharged on Saturday) is placed by one extra group session in some week,
    # as in _place: try each week in turn.
    for j in range(len(weeks)) if owes_nothing and done is False else ():
        one = [replace(n, at_least_one=True) if k == j else n for k, n in enumerate(needs)]
        done = week_at(0, one)
        _unwind(board, search.chosen)
        if done is not False:
            break
    return Candidates(tuple(found), done is None, False)


# --------------------------------------------------------------------------------------
# Why nothing fits: a session the patient owes with no way to attend it at all.


@dataclass(frozen=True)
class Blocked:
    """A session ``kind`` the patient owes in ``week`` that no option of the search can
    give them on the schedule as it stands: every block they could attend it in
    (``blocks``) is closed to them for the reasons ``why`` (each said once). Such a
    need alone rules out every way in that moves nobody."""

    kind: SessionType
    week: int
    blocks: tuple[str, ...]
    why: tuple[str, ...]


def blocked_needs(clinic: Clinic, schedule: Schedule, patient: Patient) -> list[Blocked]:
    """The owed sessions (W1, W4, W5) of ``patient`` with no option at all on
    ``schedule``: a binding reason, in the search's own terms, when it finds no way in."""
    board = _Board(clinic, schedule.sessions, frozenset({patient.id}), keep_empty=False)
    search = _Search(board, patient, DEFAULT_NODE_BUDGET)
    out: list[Blocked] = []
    for week in range(clinic.settings.weeks):
        if days_in_treatment(clinic, patient, week) == 0:
            continue
        need = _need(clinic, patient, week)
        wanted: list[tuple[SessionType, list[Block], str | None]] = [
            (kind, list(clinic.blocks), None) for kind, _ in need.units
        ]
        if need.individual is not None:
            kind = need.individual[0]
            slots = individual_slots(clinic, patient, kind, week)
            wanted.append((kind, slots, patient.primary_therapist))
        family = [
            (k, [b for b in bs if covered(patient.family_availability, board.window(b, k))])
            for k, bs in need.family
        ]
        # One family session of any of its types will do (W5): blocked only if all are.
        if family and not any(_any_option(search, week, k, bs) for k, bs in family):
            wanted.append((family[0][0], family[0][1], None))
        for kind, blocks, lead in wanted:
            if _any_option(search, week, kind, blocks, lead):
                continue
            usable = [b for b in blocks if search.can_attend(week, b, kind)]
            out.append(
                Blocked(
                    kind,
                    week,
                    tuple(b.id for b in usable),
                    _why_blocked(search, week, kind, usable, lead),
                )
            )
    return out


def _any_option(
    search: _Search, week: int, kind: SessionType, blocks: Sequence[Block], lead: str | None = None
) -> bool:
    return any(True for _ in search.options(week, kind, blocks, lead))


def _why_blocked(
    search: _Search, week: int, kind: SessionType, blocks: Sequence[Block], lead: str | None
) -> tuple[str, ...]:
    """Why each block gives nothing, grouped: its groups full or not for the patient's
    track or sex, a new session impossible (a group of one below the minimum size, no
    leader free, no room free), each with the blocks where it holds."""
    board, clinic = search.board, search.clinic
    where: dict[str, list[str]] = defaultdict(list)
    if not blocks:
        return ("no block they can attend (their commitments, treatment dates or site)",)
    for block in blocks:
        if kind.kind not in _ONE_TO_ONE and board.at.get((week, block.id, kind.id)):
            where["its groups are full or not open to them (track, sex, phase, room)"].append(
                block.id
            )
        if kind.min_size > 1:
            where[f"a new group needs at least {kind.min_size} patients"].append(block.id)
            continue
        if lead is not None:
            if not (
                lead in board.leaders(week, block, kind)
                and board.therapist_free(lead, week, block, kind)
            ):
                where[f"their primary therapist {lead} is booked or out of hours"].append(block.id)
                continue
        elif search._leader(week, block, kind) is None:
            where["no therapist who may lead it is free"].append(block.id)
            continue
        if not any(board.room_free(r, week, block, kind) for r in clinic.rooms):
            where["no room it needs is free"].append(block.id)
    every = len(blocks)
    return tuple(
        f"{why} ({'all of them' if len(ids) == every else ', '.join(ids)})"
        for why, ids in where.items()
    )


# --------------------------------------------------------------------------------------
# Making room by moving one placed patient (scheduler.fit, below the ways moving nobody).


@dataclass(frozen=True)
class Relocation:
    """``patient`` leaves the full group ``from_session`` for ``to_session``, an existing
    session of the same type and week, so that ``newcomer`` can take the freed seat.
    ``schedule`` is the published one with that move made (the newcomer not yet in)."""

    patient: str
    from_session: str
    to_session: str
    newcomer: str
    schedule: Schedule


def relocations(
    clinic: Clinic, schedule: Schedule, newcomer: Patient, limit: int = 40
) -> list[Relocation]:
    """Up to ``limit`` single moves that free a seat for ``newcomer`` in a full group of a
    type and block they could attend: a placed patient of that group (not named by a lock)
    goes to another session of the same type that week, which has a seat for them, their
    track and sex (S1, S2, G1, G2), its leaders for the new size (G4), and a time they can
    attend and have free (T1-T3, W3's groups a day). Moves within the same block come
    first: the moved patient's week keeps its times. Nothing here is checked: a caller
    inserts the newcomer and asks the checker about the whole result (the moved patient's
    week included, W2-W5)."""
    types = clinic.session_type_by_id
    blocks = clinic.block_by_id
    locked = {lk.patient for lk in clinic.locks if lk.patient is not None}
    by_type: dict[tuple[int, str], list[Session]] = defaultdict(list)
    for sess in schedule.sessions:
        by_type[(sess.week, sess.session_type)].append(sess)
    found: list[tuple[bool, int, Relocation]] = []
    for full in schedule.sessions:
        kind = types[full.session_type]
        block = blocks[full.block]
        if kind.kind in _ONE_TO_ONE or kind.max_size <= 1 or newcomer.id in full.patients:
            continue
        if not _fits_kind(newcomer, kind) or not _seat_full(clinic, full, kind):
            continue
        if not patient_can_attend(clinic, newcomer, block, kind, full.week):
            continue
        for qid in full.patients:
            q = clinic.patient_by_id[qid]
            if qid in locked or (kind.single_sex and q.sex is not newcomer.sex):
                continue  # a lock holds them; or moving them would not let the newcomer in
            if q.track is not newcomer.track:
                continue
            for to in by_type[(full.week, full.session_type)]:
                if to.id == full.id or not _can_move_to(clinic, schedule, q, full, to):
                    continue
                moved = tuple(
                    replace(x, patients=tuple(p for p in x.patients if p != qid))
                    if x.id == full.id
                    else replace(x, patients=(*x.patients, qid))
                    if x.id == to.id
                    else x
                    for x in schedule.sessions
                )
                reloc = Relocation(
                    qid, full.id, to.id, newcomer.id, replace(schedule, sessions=moved)
                )
                found.append((to.block != full.block, len(found), reloc))
    found.sort(key=lambda f: (f[0], f[1]))
    return [r for _, _, r in found[:limit]]


def _fits_kind(p: Patient, kind: SessionType) -> bool:
    """S1, S3, S4 for a session type."""
    return (
        p.track in kind.tracks
        and (not kind.phases or p.phase in kind.phases)
        and (kind.admits(p.sex))
    )


def _seat_full(clinic: Clinic, s: Session, kind: SessionType) -> bool:
    """No seat for one more (G1's maximum, G2's room), or no leader for the bigger size."""
    room = clinic.room_by_id[s.room]
    size = len(s.patients) + 1
    return (
        size > kind.max_size
        or (not room.virtual and size > room.capacity)
        or kind.leaders_needed(size) > len(s.therapists)
    )


def _can_move_to(
    clinic: Clinic, schedule: Schedule, q: Patient, full: Session, to: Session
) -> bool:
    """Whether ``to`` has a seat, leaders and company for q, at a time q could attend."""
    types = clinic.session_type_by_id
    kind = types[to.session_type]
    room = clinic.room_by_id[to.room]
    size = len(to.patients) + 1
    if (
        q.id in to.patients
        or size > kind.max_size
        or kind.leaders_needed(size) > len(to.therapists)
    ):
        return False
    if (room.virtual and not q.telehealth_ok) or (not room.virtual and size > room.capacity):
        return False
    others = [clinic.patient_by_id[x] for x in to.patients]
    if any(o.track is not q.track for o in others):
        return False
    if kind.single_sex and any(o.sex is not q.sex for o in others):
        return False
    if to.block == full.block:
        return True
    block = clinic.block_by_id[to.block]
    if not patient_can_attend(clinic, q, block, kind, to.week):
        return False
    w = session_window(block, kind)
    groups_that_day = 0
    for mine in schedule.sessions_by_patient.get(q.id, ()):
        if mine.id == full.id or mine.week != to.week:
            continue
        other = mine.window(clinic)
        if other.weekday != w.weekday:
            continue
        if other.start < w.end and w.start < other.end:
            return False  # T1
        groups_that_day += types[mine.session_type].block_kind is BlockKind.GROUP
    return groups_that_day < clinic.settings.max_group_blocks_per_day


# --------------------------------------------------------------------------------------
# Swaps.


def _swaps(
    clinic: Clinic,
    schedule: Schedule,
    rest: list[Patient],
    max_pairs: int | None,
    per_patient: int | None,
    budget: int,
    tally: _Tally,
) -> list[Swap]:
    """Pairs (u, q), u in ``rest`` (not insertable), q placed with a lower priority."""
    placed = [clinic.patient_by_id[p] for p in sorted(schedule.placed_patients)]
    key = {p.id: priority_key(clinic, p) for p in (*rest, *placed)}
    # A patient who does not fit with every lower-priority patient gone fits with no one
    # gone: the relaxation frees a superset of what any single removal frees.
    hopeful: list[Patient] = []
    relaxed: dict[tuple[int, dt.date], _Board] = {}
    for u in rest:
        k = key[u.id]
        if k not in relaxed:
            lower = frozenset(q.id for q in placed if key[q.id] > k)
            relaxed[k] = _Board(clinic, schedule.sessions, lower, keep_empty=True)
        plan = _place(relaxed[k], u, budget, _Tally())
        if plan is not None:
            _unwind(relaxed[k], plan)
            hopeful.append(u)
    short = _short_of_hours(clinic, schedule)
    pairs = [
        (u, q)
        for q in placed
        if not _pinned(clinic, schedule, q)
        for u in hopeful
        if key[q.id] > key[u.id] and _relevant(clinic, schedule, u, q, short)
    ]
    if max_pairs is not None and len(pairs) > max_pairs:
        tally.skipped += len(pairs) - max_pairs
        tally.notes.append(f"{len(pairs) - max_pairs} swap pairs not tried (max_pairs)")
        pairs = pairs[:max_pairs]
    out: list[Swap] = []
    boards: dict[str, _Board] = {}
    found: Counter[str] = Counter()
    enough = 0
    for u, q in pairs:
        if per_patient is not None and found[u.id] >= per_patient:
            enough += 1
            continue
        tally.pairs += 1
        if q.id not in boards:
            boards.clear()  # pairs come grouped by q: one board at a time
            boards[q.id] = _Board(clinic, schedule.sessions, frozenset({q.id}), keep_empty=False)
        board = boards[q.id]
        plan = _place(board, u, budget, tally)
        if plan is None:
            continue
        built = _confirm(clinic, schedule, board, u, plan, q, tally)
        if built is not None:
            found[u.id] += 1
            out.append(Swap(u.id, q.id, built[1], built[2], built[0]))
    if enough:
        tally.skipped += enough
        tally.notes.append(
            f"{enough} swap pairs not tried: their patient had {per_patient} swap(s) already"
        )
    out.sort(key=lambda s: (key[s.patient], s.patient, s.removed))
    return out


def _pinned(clinic: Clinic, schedule: Schedule, q: Patient) -> bool:
    """A lock names q, or pins a session only q attends: removing q would break L1."""
    for lk in clinic.locks:
        if lk.patient == q.id:
            return True
        for s in schedule.sessions_by_patient.get(q.id, ()):
            if (
                s.patients == (q.id,)
                and (s.week, s.block, s.session_type) == (lk.week, lk.block, lk.session_type)
                and lk.therapist in (None, *s.therapists)
                and lk.room in (None, s.room)
            ):
                return True
    return False


def _short_of_hours(clinic: Clinic, schedule: Schedule) -> frozenset[str]:
    """Therapists with less than the longest session left in some week or on some date:
    for them, hours freed anywhere in the week may be what a new session needs (G5)."""
    longest = max((k.duration_min for k in clinic.session_types), default=0)
    out: set[str] = set()
    for t, sessions in schedule.sessions_by_therapist.items():
        th = clinic.therapist_by_id[t]
        week: Counter[int] = Counter()
        day: Counter[tuple[int, int]] = Counter()
        for s in sessions:
            minutes = clinic.session_type_by_id[s.session_type].duration_min
            week[s.week] += minutes
            day[(s.week, int(clinic.block_by_id[s.block].weekday))] += minutes
        if any(m + longest > th.max_hours_week * 60 for m in week.values()) or any(
            m + longest > th.max_hours_day * 60 for m in day.values()
        ):
            out.add(t)
    return frozenset(out)


def _relevant(
    clinic: Clinic, schedule: Schedule, u: Patient, q: Patient, short: frozenset[str]
) -> bool:
    """Whether removing q frees anything u could use: a seat, or a leader's or room's time,
    in a window u could attend; q's primary therapist's caseload when it is u's; hours of a
    therapist ``short`` of them who leads one of q's sessions. (A therapist's one site per
    date, T6, is not looked at: a multi-site swap freeing only that is missed.)"""
    if q.primary_therapist == u.primary_therapist:
        return True
    for s in schedule.sessions_by_patient.get(q.id, ()):
        block = clinic.block_by_id[s.block]
        kind = clinic.session_type_by_id[s.session_type]
        w = session_window(block, kind)
        for b in clinic.blocks:
            if b.site != u.site or b.weekday != w.weekday:
                continue
            bw = b.window
            if bw.start < w.end and w.start < bw.end and _could_attend(clinic, u, b, s.week):
                return True
        if short.intersection(s.therapists):
            return True
    return False


def _could_attend(clinic: Clinic, u: Patient, block: Block, week: int) -> bool:
    """u could attend some session type open to their track in ``block`` that week."""
    return any(
        patient_can_attend(clinic, u, block, kind, week)
        for kind in clinic.session_types
        if u.track in kind.tracks and kind.admits(u.sex)
    )
