"""The validation report sets each export beside the society's one before, and points out the
codes whose share of the records moved enough to suggest a wrong file."""

from __future__ import annotations

import pytest
from test_intake import EXPORT_2024, confirm, send

from workforce.platform.intake.models import IngestRun

pytestmark = pytest.mark.platform

# Valid row by row, but every member is now a woman: a filtered extract, say.
WOMEN_ONLY_2025 = (
    b"ID,Gender,Race\n"
    b"A-1,Woman,Latinx\n"
    b"A-2,Woman,Caucasian\n"
    b"A-3,Woman,White\n"
    b"A-4,Woman,Caucasian;Asian\n"
    b"A-5,Woman,White\n"
)
# Much the same membership as 2024.
ALIKE_2025 = EXPORT_2024.replace(b"A-5,Man,White", b"A-7,Man,White")


def ingest_through_the_web(client, name, data, **codes):
    page = send(client, "ashg", name, data, follow=True)
    response = confirm(client, page, **codes)
    assert response.status_code == 302, response
    return client.get(response.url)


def test_the_first_export_has_nothing_to_compare_with(steward_client):
    report = ingest_through_the_web(
        steward_client, "ashg_members_2024.csv", EXPORT_2024, martian="unknown"
    )
    assert report.context["comparison"] is None
    assert "Compared with the file before" not in report.content.decode()
    counts = IngestRun.objects.get().report["code_counts"]
    assert counts["records"] == 5
    assert counts["dimensions"]["gender"] == {"man": 2, "nonbinary": 1, "woman": 2}


def test_a_file_whose_shares_moved_a_lot_is_pointed_out_largest_move_first(steward_client):
    ingest_through_the_web(steward_client, "ashg_members_2024.csv", EXPORT_2024, martian="unknown")
    report = ingest_through_the_web(steward_client, "ashg_members_2025.csv", WOMEN_ONLY_2025)
    comparison = report.context["comparison"]
    assert comparison["previous"].upload.original_filename == "ashg_members_2024.csv"
    assert (comparison["records_before"], comparison["records_now"]) == (5, 5)
    moved = [
        (row.code, row.before_shown, row.now_shown, row.change_shown)
        for row in comparison["shifts"]
        if row.dimension == "Gender identity"
    ]
    assert moved == [
        ("woman", "40.0%", "100.0%", "+60.0"),
        ("man", "40.0%", "0.0%", "−40.0"),
        ("nonbinary", "20.0%", "0.0%", "−20.0"),
    ]
    page = report.content.decode()
    assert "Compared with the file before" in page
    assert "The shares of 5 codes moved by 10 points or more" in page
    assert "Check them before using" in page


def test_a_file_much_like_the_one_before_says_nothing_moved(steward_client):
    ingest_through_the_web(steward_client, "ashg_members_2024.csv", EXPORT_2024, martian="unknown")
    report = ingest_through_the_web(steward_client, "ashg_members_2025.csv", ALIKE_2025)
    assert report.context["comparison"]["shifts"] == []
    assert "No code’s share of the records moved by 10 points or more." in (
        report.content.decode()
    )


def test_a_file_with_far_fewer_records_is_pointed_out_though_no_share_moved(steward_client):
    # One member short of last year's five, the shares alike: a filter left on, say.
    partial = b"ID,Gender,Race\nA-1,Woman,Latinx\nA-2,Man,Caucasian\nA-4,Woman,White\n"
    ingest_through_the_web(steward_client, "ashg_members_2024.csv", EXPORT_2024, martian="unknown")
    report = ingest_through_the_web(steward_client, "ashg_members_2025.csv", partial)
    comparison = report.context["comparison"]
    assert (comparison["records_before"], comparison["records_now"]) == (5, 3)
    assert comparison["records_moved"] and comparison["records_change_shown"] == "40.0% fewer"
    assert "This file has 40.0% fewer records than the one before." in report.content.decode()


def test_a_file_much_like_the_one_before_says_nothing_about_its_size(steward_client):
    ingest_through_the_web(steward_client, "ashg_members_2024.csv", EXPORT_2024, martian="unknown")
    report = ingest_through_the_web(steward_client, "ashg_members_2025.csv", ALIKE_2025)
    assert not report.context["comparison"]["records_moved"]
    assert "records than the one before" not in report.content.decode()


def test_a_file_set_aside_is_not_what_the_next_one_is_compared_with(steward_client):
    ingest_through_the_web(steward_client, "ashg_members_2024.csv", EXPORT_2024, martian="unknown")
    wrong = ingest_through_the_web(steward_client, "ashg_members_2025.csv", WOMEN_ONLY_2025)
    upload = wrong.context["upload"]
    steward_client.post(
        f"/organizations/ashg/uploads/{upload.pk}/set-aside/", {"reason": "a filtered extract"}
    )
    report = ingest_through_the_web(steward_client, "ashg_members_2025_full.csv", ALIKE_2025)
    previous = report.context["comparison"]["previous"]
    assert previous.upload.original_filename == "ashg_members_2024.csv"
