"""Response rates by group: exact where groups are large, never exact where they are small."""

from __future__ import annotations

import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_survey_actions import ANSWERS, invite, load_members, make_wave

from workforce.platform.actions.surveys import (
    do_load_frame,
    do_send_reminders,
    enter_with_token,
    submit_synthetic_response,
)
from workforce.platform.surveys.models import Invitation
from workforce.platform.surveys.monitoring import (
    COUNTS,
    TOTAL,
    _protect,
    groupings,
    response_rates,
    response_timeline,
)

pytestmark = pytest.mark.platform


@pytest.fixture
def wave(ashg):
    return make_wave(ashg)


def frame(wave, groups: dict[str, int]) -> None:
    """Members by society: ``{"ashg": 20, ...}``, all of them invited (status sent)."""
    lines = ["member_id,email,society"]
    number = 0
    for society, size in groups.items():
        for _ in range(size):
            number += 1
            lines.append(f"m{number},m{number}@members.example,{society}")
    do_load_frame(wave, "\n".join(lines), filename="frame.csv", acting_user=None)
    wave.invitations.update(status="sent")


def set_status(wave, society: str, status: str, count: int) -> None:
    """``count`` invitations of ``society`` still only sent become ``status``."""
    chosen = wave.invitations.filter(member__attributes__society=society, status="sent")
    pks = list(chosen.values_list("pk", flat=True)[:count])
    assert len(pks) == count
    Invitation.objects.filter(pk__in=pks).update(status=status)


def as_table(rows) -> list[tuple[str, ...]]:
    return [(r.group, r.invited, r.started, r.completed, r.partial, r.rate) for r in rows]


def test_large_groups_show_exact_counts_and_rates(wave):
    frame(wave, {"ashg": 40, "nsgc": 20})
    set_status(wave, "ashg", "done", 30)
    set_status(wave, "ashg", "started", 5)
    set_status(wave, "nsgc", "done", 10)
    set_status(wave, "nsgc", "started", 6)
    assert as_table(response_rates(wave, "society")) == [
        ("ashg", "40", "35", "30", "5", "75%"),
        ("nsgc", "20", "16", "10", "6", "50%"),
        ("All members", "60", "51", "40", "11", "67%"),
    ]


def test_counts_from_one_to_four_are_shown_as_under_five_and_their_rates_hidden(wave):
    frame(wave, {"ashg": 30, "nsgc": 3, "acmg": 25})
    set_status(wave, "ashg", "done", 20)
    set_status(wave, "ashg", "started", 6)
    set_status(wave, "nsgc", "done", 2)
    set_status(wave, "acmg", "done", 10)
    set_status(wave, "acmg", "started", 8)
    rows = {row.group: row for row in response_rates(wave, "society")}
    small = rows["nsgc"]
    assert (small.invited, small.completed, small.started, small.rate) == ("<5", "<5", "<5", "—")
    assert small.partial == "0"  # zero is shown as zero: it singles nobody out
    # The totals add up to the groups, so one more group's counts are withheld in each
    # column a small one was hidden in: otherwise subtraction would give nsgc's.
    acmg = rows["acmg"]
    assert (acmg.invited, acmg.started, acmg.completed, acmg.rate) == ("·", "·", "·", "—")
    assert acmg.partial == "8"
    assert rows["ashg"].invited == "30" and rows["ashg"].rate == "67%"
    assert as_table([rows["All members"]]) == [("All members", "58", "46", "32", "14", "55%")]


def test_no_hidden_count_can_be_worked_out_from_the_rest_of_the_table(wave):
    frame(wave, {"ashg": 12, "nsgc": 9, "acmg": 7})
    set_status(wave, "ashg", "done", 8)
    set_status(wave, "ashg", "started", 3)
    set_status(wave, "nsgc", "done", 6)
    set_status(wave, "acmg", "done", 1)
    set_status(wave, "acmg", "started", 5)
    rows = response_rates(wave, "society")
    for column in ("invited", "started", "completed", "partial"):
        shown = [getattr(row, column) for row in rows]
        assert sum(not value.isdigit() for value in shown) != 1, (column, shown)
    for row in rows:
        shown = [row.started, row.completed, row.partial]
        assert sum(not value.isdigit() for value in shown) != 1, (row.group, shown)


def test_a_few_members_midway_do_not_hide_the_response_rate(wave):
    frame(wave, {"ashg": 40})
    set_status(wave, "ashg", "done", 20)
    set_status(wave, "ashg", "started", 2)
    # started = completed + partial: "started" is the one withheld, not what the rate needs.
    assert as_table(response_rates(wave)) == [("All members", "40", "·", "20", "<5", "50%")]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 30), st.integers(0, 12), st.integers(0, 12)),
        min_size=0,
        max_size=5,
    )
)
def test_no_table_lets_a_count_under_five_be_worked_out(groups):
    """Any groups (invited, completed, partial): small counts hidden, and no sum of the
    table (a column over the groups and the total, or started = completed + partial) has
    exactly one hidden cell, which subtraction would give away."""
    table = {}
    for number, (invited, completed, partial) in enumerate(groups):
        completed = min(completed, invited)
        partial = min(partial, invited - completed)
        table[f"g{number}"] = {
            "invited": invited,
            "started": completed + partial,
            "completed": completed,
            "partial": partial,
        }
    table[TOTAL] = {name: sum(row[name] for row in table.values()) for name in COUNTS}
    shown = _protect(table, TOTAL)
    for group, row in table.items():
        for name in COUNTS:
            if 0 < row[name] < 5:
                assert shown[group][name] == "<5"
            if shown[group][name].isdigit():
                assert int(shown[group][name]) == row[name]
    relations = [[(group, name) for group in table] for name in COUNTS if len(table) > 1]
    in_row = ("started", "completed", "partial")
    relations += [[(group, name) for name in in_row] for group in table]
    for cells in relations:
        hidden = [cell for cell in cells if not shown[cell[0]][cell[1]].isdigit()]
        assert len(hidden) != 1, (cells, shown)


def test_a_tiny_wave_shows_its_total_as_under_five(wave):
    frame(wave, {"ashg": 3})
    set_status(wave, "ashg", "done", 1)
    [total] = response_rates(wave)
    assert as_table([total]) == [("All members", "<5", "<5", "<5", "0", "—")]


def test_members_not_invited_yet_are_not_counted_and_bounces_are(wave, mailoutbox):
    load_members(wave, 6, societies=("ashg",))
    wave.invitations.filter(member__member_id="m00006").update(status="bounced")
    assert as_table(response_rates(wave)) == [("All members", "<5", "0", "0", "0", "—")]
    invite(wave, mailoutbox)
    assert as_table(response_rates(wave)) == [("All members", "6", "0", "0", "0", "0%")]


def test_monitoring_follows_members_through_their_links(wave, mailoutbox):
    load_members(wave, 12, societies=("ashg",))
    tokens = list(invite(wave, mailoutbox).values())
    for token in tokens[:6]:
        submit_synthetic_response(wave, ANSWERS, token=token)
    for token in tokens[6:11]:
        enter_with_token(token)
    assert as_table(response_rates(wave)) == [("All members", "12", "11", "6", "5", "50%")]


def test_members_without_the_attribute_are_grouped_last_as_not_given(wave):
    content = "member_id,email,sector\n" + "\n".join(
        f"m{n},m{n}@members.example,{'academic' if n <= 6 else ''}" for n in range(1, 13)
    )
    do_load_frame(wave, content, filename="frame.csv", acting_user=None)
    wave.invitations.update(status="sent")
    assert [row.group for row in response_rates(wave, "sector")] == [
        "academic",
        "(not given)",
        "All members",
    ]


def test_the_groupings_offered_are_those_the_frame_has(wave):
    content = "member_id,email,career_stage,sector,favourite_colour\nm1,a@x.example,early,,blue\n"
    do_load_frame(wave, content, filename="frame.csv", acting_user=None)
    assert groupings(wave) == ["career_stage"]


def test_a_standard_attribute_reads_as_the_standards_labels_in_its_order(wave):
    stages = ["mid"] * 6 + ["student"] * 6 + ["declined"] * 5 + ["early"] * 7 + ["emeritus"] * 5
    content = "member_id,email,career_stage\n" + "\n".join(
        f"m{n},m{n}@members.example,{stage}" for n, stage in enumerate(stages, start=1)
    )
    do_load_frame(wave, content, filename="frame.csv", acting_user=None)
    wave.invitations.update(status="sent")
    rows = response_rates(wave, "career_stage")
    # Students first and "declined" after the career stages, as the standard lists them; a
    # value the standard does not know is shown as the frame has it, after them.
    assert [(row.group, row.label) for row in rows] == [
        ("student", "Student"),
        ("early", "Early career"),
        ("mid", "Mid career"),
        ("declined", "Declined to answer"),
        ("emeritus", "emeritus"),
        ("All members", "All members"),
    ]


def test_a_society_reads_as_its_name(wave, ashg):
    frame(wave, {"ashg": 6, "elsewhere": 6})
    labels = [row.label for row in response_rates(wave, "society")]
    assert labels == [ashg.name, "elsewhere", "All members"]


# --- Over time ------------------------------------------------------------------------------


def completed_on(wave, days_ago: list[int]) -> None:
    """Complete one response for each entry, then date it that many days before today."""
    from django.utils import timezone

    from workforce.platform.surveys.models import Response

    today = timezone.localdate()
    for ago in days_ago:
        response = submit_synthetic_response(wave, ANSWERS)
        Response.objects.filter(pk=response.pk).update(
            completed_on=today - datetime.timedelta(days=ago)
        )


def test_the_timeline_adds_up_responses_day_by_day_and_hides_totals_under_five(wave):
    from django.utils import timezone

    wave.opens_on = timezone.localdate() - datetime.timedelta(days=4)
    wave.save(update_fields=["opens_on"])
    completed_on(wave, [4, 4, 2, 2, 2, 2, 0])

    timeline = response_timeline(wave)

    assert [day.shown for day in timeline.days] == ["<5", "<5", "6", "6", "7"]
    assert [day.completed for day in timeline.days] == [None, None, 6, 6, 7]
    assert timeline.days[0].day == wave.opens_on and timeline.drawable
    assert [day.shown for day in timeline.changes()] == ["<5", "6", "7"]
    assert not timeline.mailed  # answered through the open link: no e-mail to mark


def test_the_timeline_marks_the_days_e_mails_went_out(wave, mailoutbox):
    load_members(wave, 3)
    invite(wave, mailoutbox)
    do_send_reminders(wave, acting_user=None)

    timeline = response_timeline(wave)

    assert timeline.days[-1].mailed == "Invitations and Reminders" and timeline.mailed
    assert not timeline.drawable  # no response yet: nothing to draw


def test_the_timeline_runs_to_the_closing_day_once_closed(wave):
    from django.utils import timezone

    today = timezone.localdate()
    wave.opens_on, wave.closes_on = today - datetime.timedelta(days=20), today
    wave.save(update_fields=["opens_on", "closes_on"])
    completed_on(wave, [19] * 5)

    later = response_timeline(wave, today=today + datetime.timedelta(days=30))

    assert later.days[-1].day == today and len(later.days) == 21
    assert later.days[-1].shown == "5"
    assert "5 completed responses by" in later.description()
