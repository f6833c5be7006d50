"""Response rates while a wave runs, by group, with small groups protected.

Monitoring counts invitations, not responses: an invitation knows whether it was sent,
started and done, and that is all it knows, so these tables work the same for anonymous and
confidential waves without ever joining an answer to a person.

A count of 1 to 4 is shown as "<5" and a rate built from one is hidden: a steward who
knows a group of three could otherwise learn who has not answered. That alone is not enough,
because the counts are tied together: the groups add up to the total, and in every row
started = completed + partial. Where one hidden cell could be worked out from the others of
such a sum, a second, complementary cell is withheld ("·"), until no sum has a single hidden
cell: "started" before the others, since the response rate needs completed and invited, then
the smallest that helps. The total row is always there; its counts follow the same rules.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Count
from django.utils import timezone

from workforce.platform.organizations.models import Organization
from workforce.platform.surveys.models import FrameMember, Invitation, Mailing, Response, Wave
from workforce.standard import load_standard

SMALL = "<5"  # a count from 1 to 4
WITHHELD = "·"  # a larger count hidden so that a small one cannot be derived
NO_RATE = "—"
NOT_GIVEN = "(not given)"
TOTAL = "All members"
# The member attributes monitoring offers to group by, when the frame has them.
GROUPINGS = ("society", "career_stage", "sector")
COUNTS = ("invited", "started", "completed", "partial")
# Which count to withhold first when one more must go: "started" (completed + partial) says
# least, and the response rate needs completed and invited, the numbers a wave is run by.
_SPARE = {"started": 0, "partial": 1, "completed": 2, "invited": 3}


@dataclass(frozen=True)
class RateRow:
    """One line of a monitoring table: counts as shown (text), never the small exact ones.

    `group` is the attribute's value as the frame holds it; `label` is what a person reads
    (the standard's label of a code, a society's name).
    """

    group: str
    invited: str
    started: str
    completed: str
    partial: str
    rate: str
    is_total: bool = False
    label: str = ""


def _counts(invitations) -> dict[str, int]:
    statuses = Counter(invitations)
    sent = {Invitation.Status.SENT, Invitation.Status.STARTED, Invitation.Status.DONE}
    invited = sum(statuses[status] for status in sent) + statuses[Invitation.Status.BOUNCED]
    completed = statuses[Invitation.Status.DONE]
    partial = statuses[Invitation.Status.STARTED]
    return {
        "invited": invited,
        "started": completed + partial,
        "completed": completed,
        "partial": partial,
    }


def _protect(table: dict[str, dict[str, int]], total: str) -> dict[str, dict[str, str]]:
    """Each row's counts as text: small ones "<5", complementary ones withheld."""
    hidden = {(group, name) for group, row in table.items() for name in COUNTS if 0 < row[name] < 5}
    groups = [group for group in table if group != total]
    # Each relation is a set of cells whose sum is known (groups add up to the total; started
    # is completed plus partial), so a single hidden cell in one could be recovered.
    relations = [[(group, name) for group in [*groups, total]] for name in COUNTS if groups]
    in_row = ("started", "completed", "partial")
    relations += [[(group, name) for name in in_row] for group in table]
    changed = True
    while changed:
        changed = False
        for cells in relations:
            if sum(cell in hidden for cell in cells) != 1:
                continue
            # A zero is known to be zero whatever is shown, so withhold a count that is not.
            others = [c for c in cells if c not in hidden and table[c[0]][c[1]] > 0]
            if others:
                hidden.add(min(others, key=lambda cell: (_SPARE[cell[1]], table[cell[0]][cell[1]])))
                changed = True
    return {
        group: {
            name: (SMALL if row[name] < 5 else WITHHELD)
            if (group, name) in hidden
            else str(row[name])
            for name in COUNTS
        }
        for group, row in table.items()
    }


def _rate(completed: int, invited: int, hidden: bool) -> str:
    if hidden or invited == 0:
        return NO_RATE
    return f"{round(100 * completed / invited)}%"


def response_rates(wave: Wave, by: str | None = None) -> list[RateRow]:
    """The wave's invitation counts and completion rate, overall or by a member attribute.

    Rows are the groups in the standard's order of their codes, or by name (members without
    the attribute last), then the total. Rates are completed ÷ invited.
    """
    invitations = Invitation.objects.filter(wave=wave).values_list("status", "member__attributes")
    by_group: dict[str, list[str]] = defaultdict(list)
    everyone = []
    for status, attributes in invitations:
        everyone.append(status)
        if by is not None:
            group = str((attributes or {}).get(by) or "") or NOT_GIVEN
            by_group[group].append(status)
    table = {group: _counts(statuses) for group, statuses in by_group.items()}
    table[TOTAL] = _counts(everyone)
    shown = _protect(table, TOTAL)
    labels, rank = _group_names(by, by_group)
    order = sorted(
        by_group,
        key=lambda name: (
            name == NOT_GIVEN, name not in rank, rank.get(name, 0), labels[name].lower()
        ),
    )
    return [
        _rate_row(group, table[group], shown[group], label=labels.get(group, group))
        for group in [*order, TOTAL]
    ]


def _rate_row(group: str, counts: dict[str, int], cells: dict[str, str], *, label: str) -> RateRow:
    """A row as shown: the protected cells, and a rate only where both its counts are shown."""
    hidden = not (cells["completed"].isdigit() and cells["invited"].isdigit())
    return RateRow(
        group=group,
        **cells,
        rate=_rate(counts["completed"], counts["invited"], hidden),
        is_total=group == TOTAL,
        label=label,
    )


def overall_rates(waves: Iterable[Wave]) -> dict[int, RateRow]:
    """Each wave's "All members" row, as `response_rates` gives it, in one query for all.

    The wave list compares waves (this year's with last year's) by their response rates.
    """
    by_wave: dict[int, Counter] = defaultdict(Counter)
    ids = [wave.pk for wave in waves]
    for wave_id, status, count in (
        Invitation.objects.filter(wave_id__in=ids)
        .values_list("wave_id", "status")
        .annotate(n=Count("id"))
        .values_list("wave_id", "status", "n")
    ):
        by_wave[wave_id][status] = count
    rows = {}
    for wave_id in ids:
        counts = _counts(by_wave[wave_id])
        rows[wave_id] = _rate_row(
            TOTAL, counts, _protect({TOTAL: counts}, TOTAL)[TOTAL], label=TOTAL
        )
    return rows


def _group_names(by: str | None, groups: Iterable[str]) -> tuple[dict[str, str], dict[str, int]]:
    """What a person reads for each value of a grouping, and the values' order.

    A standard dimension's codes read as the standard's labels, in the standard's order
    (students before trainees before early career ..., declined and unknown last); a
    society reads as its name. A value the frame holds that neither knows is shown as it is,
    after the known ones.
    """
    labels = {group: group for group in groups}
    rank: dict[str, int] = {}
    standard = load_standard()
    if by in standard.dimensions:
        for position, code in enumerate(standard.dimension(by).codes):
            if code.code in labels:
                labels[code.code] = code.label
                rank[code.code] = position
    elif by == "society":
        for code, name in Organization.objects.filter(code__in=list(labels)).values_list(
            "code", "name"
        ):
            labels[code] = name
    return labels, rank


def groupings(wave: Wave) -> list[str]:
    """The attributes of ``GROUPINGS`` that some member of the wave's frame has."""
    present = set()
    for attributes in FrameMember.objects.filter(wave=wave).values_list("attributes", flat=True):
        present.update(key for key in GROUPINGS if (attributes or {}).get(key))
        if len(present) == len(GROUPINGS):
            break
    return [key for key in GROUPINGS if key in present]


# --- Over time ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class TimelineDay:
    """One day of a wave: the responses completed by its end, as shown, and any e-mails sent."""

    day: date
    completed: int | None  # None where the count is 1 to 4
    shown: str  # the count as a person reads it ("<5" for 1 to 4)
    mailed: str = ""  # "Invitations", "Reminders", or both, when mailings went out that day


@dataclass(frozen=True)
class ResponseTimeline:
    """A wave's completed responses, added up day by day from its first day to today.

    Over all members only, never by group: it says how many answered by when, which tells no
    one who answered. Responses through an open link count with the invited ones; each is
    counted on the day it keeps anyway (a date, never a time of day).
    """

    days: tuple[TimelineDay, ...]
    completed: int

    @property
    def drawable(self) -> bool:
        """A chart says something once the wave has run two days and five have answered."""
        return len(self.days) >= 2 and self.completed >= 5

    @property
    def mailed(self) -> bool:
        """Whether invitations or reminders went out on any of its days."""
        return any(day.mailed for day in self.days)

    def description(self) -> str:
        """One sentence for the chart's `<desc>`: where the wave stands."""
        last = self.days[-1].day
        sent = sum(1 for day in self.days if day.mailed)
        mailed = f"; e-mails went out on {sent} day{'s' if sent != 1 else ''}" if sent else ""
        return (
            f"{self.days[-1].shown} completed responses by {last:%-d %B %Y}, "
            f"added up day by day since {self.days[0].day:%-d %B}{mailed}."
        )

    def changes(self) -> list[TimelineDay]:
        """The days on which the count moved or e-mails went out: the chart's numbers."""
        before = None
        kept = []
        for day in self.days:
            if day.shown != before or day.mailed:
                kept.append(day)
            before = day.shown
        return kept


def response_timeline(wave: Wave, today: date | None = None) -> ResponseTimeline:
    """Completed responses by the end of each day, from the wave's first day to its last so far.

    The days run from the earliest of opening, first mailing and first response to the
    latest of the last response and today (the closing day once closed).
    """
    today = today or timezone.localdate()
    per_day = dict(
        Response.objects.filter(wave=wave, status=Response.Status.COMPLETE)
        .values_list("completed_on")
        .annotate(n=Count("id"))
        .values_list("completed_on", "n")
    )
    mailed: dict[date, list[str]] = defaultdict(list)
    for kind, went_out in (
        Mailing.objects.filter(wave=wave)
        .exclude(
            status__in=(
                Mailing.Status.FAILED,
                Mailing.Status.SCHEDULED,
                Mailing.Status.CANCELLED,
            )
        )
        .with_went_out()
        .order_by("went_out")
        .values_list("kind", "went_out")
    ):
        label = Mailing.Kind(kind).label
        day = timezone.localdate(went_out)
        if label not in mailed[day]:
            mailed[day].append(label)
    known = [*per_day, *mailed]
    first = min([wave.opens_on, *known])
    last = max([min(today, wave.closes_on), *known])
    days, total = [], 0
    for offset in range((last - first).days + 1):
        day = first + timedelta(days=offset)
        total += per_day.get(day, 0)
        small = 0 < total < 5
        days.append(
            TimelineDay(
                day=day,
                completed=None if small else total,
                shown=SMALL if small else f"{total:,}",
                mailed=" and ".join(mailed.get(day, [])),
            )
        )
    return ResponseTimeline(days=tuple(days), completed=total)
