"""`workforce org ...`: setting up the consortium, its societies and their people from a shell."""

from __future__ import annotations

import pytest
from django.test import Client
from typer.testing import CliRunner

from workforce.cli import app
from workforce.platform.accounts.models import User
from workforce.platform.audit.models import AuditEvent
from workforce.platform.organizations.models import Membership, Organization, Role

pytestmark = pytest.mark.platform
runner = CliRunner()
PASSWORD = "Helix-lantern-47"


def workforce(*args: str, input: str | None = None):
    return runner.invoke(app, [*map(str, args)], input=input, catch_exceptions=False)


def said(result) -> str:
    """What the command printed, with the terminal's line wrapping undone."""
    return " ".join(result.output.split())


def test_a_fresh_data_directory_is_set_up_from_the_shell(db):
    empty = workforce("org", "list")
    assert empty.exit_code == 0
    assert "No organization yet" in said(empty)

    consortium = workforce(
        "org", "add", "consortium", "--name", "Genomics Workforce Consortium", "--consortium"
    )
    society = workforce("org", "add", "nsgc", "--name", "National Society of Genetic Counselors")

    assert consortium.exit_code == 0 and society.exit_code == 0, society.output
    assert "a society of consortium" in said(society)  # the only consortium, without --parent
    nsgc = Organization.objects.get(code="nsgc")
    assert nsgc.kind == Organization.Kind.SOCIETY and nsgc.parent.code == "consortium"
    assert AuditEvent.objects.filter(verb=AuditEvent.Verb.ORGANIZATION_CREATED).count() == 2
    listed = workforce("org", "list").output.splitlines()
    assert listed == [
        "consortium: Genomics Workforce Consortium (consortium); people: none yet",
        "  nsgc: National Society of Genetic Counselors (society of consortium); people: none yet",
    ]


def test_a_society_before_its_consortium_is_refused_with_what_to_do_first(db):
    result = workforce("org", "add", "ashg", "--name", "American Society of Human Genetics")

    assert result.exit_code == 1
    assert "add it first with `workforce org add CODE --name NAME --consortium`" in said(result)
    assert not Organization.objects.exists()


def test_a_code_that_is_not_snake_case_or_already_taken_is_refused(ashg):
    bad = workforce("org", "add", "ASHG-2", "--name", "Again")
    taken = workforce("org", "add", "ashg", "--name", "Again")

    assert bad.exit_code == 1 and "Use lower-case letters" in said(bad)
    assert taken.exit_code == 1 and "there is already an organization 'ashg'" in said(taken)
    assert Organization.objects.get(code="ashg").name == "American Society of Human Genetics"


def test_granting_a_role_to_someone_new_creates_an_account_that_signs_in(nsgc):
    result = workforce(
        "org", "grant", "Sam@NSGC.example", "nsgc", "data_steward", "--name", "Sam Steward",
        input=f"{PASSWORD}\n{PASSWORD}\n",
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    assert "Created the account sam@nsgc.example" in said(result)
    assert "sam@nsgc.example is now society data steward in National Society" in said(result)
    membership = Membership.objects.get(user__email="sam@nsgc.example")
    assert membership.organization == nsgc and membership.role == Role.DATA_STEWARD
    browser = Client()
    assert browser.login(email="sam@nsgc.example", password=PASSWORD)
    assert (
        "  nsgc: National Society of Genetic Counselors (society of consortium); "
        "people: 1 society data steward" in workforce("org", "list").output.splitlines()
    )


def test_a_weak_password_creates_nothing(nsgc):
    result = workforce("org", "grant", "sam@nsgc.example", "nsgc", "viewer", input="password\n" * 2)

    assert result.exit_code == 1
    assert "This password is too common" in said(result)
    assert not User.objects.filter(email="sam@nsgc.example").exists()


def test_a_new_role_replaces_the_old_one_and_says_what_it_was(nsgc, nsgc_steward):
    result = workforce("org", "grant", "steward@nsgc.example", "nsgc", "analyst")

    assert result.exit_code == 0, result.output
    now = "is now analyst in National Society of Genetic Counselors (was society data steward)"
    assert now in said(result)
    assert "Password" not in result.output  # an existing account is not asked for one
    assert Membership.objects.get(user=nsgc_steward).role == Role.ANALYST


def test_without_a_password_the_account_is_said_not_to_sign_in_yet(consortium):
    result = workforce(
        "org", "grant", "lee@consortium.example", "consortium", "Consortium staff", "--no-password"
    )

    assert result.exit_code == 0, result.output
    assert "cannot sign in: set one with `workforce org password lee@consortium.example`" in (
        said(result)
    )
    assert not User.objects.get(email="lee@consortium.example").has_usable_password()

    set_now = workforce("org", "password", "lee@consortium.example", input=f"{PASSWORD}\n" * 2)

    assert set_now.exit_code == 0, set_now.output
    assert "The password of lee@consortium.example is set" in said(set_now)
    assert Client().login(email="lee@consortium.example", password=PASSWORD)
    assert AuditEvent.objects.filter(verb=AuditEvent.Verb.PASSWORD_SET).count() == 1


def test_a_password_for_nobody_or_a_weak_one_is_refused(ashg_analyst):
    nobody = workforce("org", "password", "nobody@example.org")
    weak = workforce("org", "password", "analyst@ashg.example", input="12345678\n" * 2)

    assert nobody.exit_code == 1 and "Password" not in nobody.output
    assert "no account 'nobody@example.org'; `workforce org grant EMAIL ORG ROLE` creates one" in (
        said(nobody)
    )
    assert weak.exit_code == 1 and "This password is entirely numeric" in said(weak)
    assert not User.objects.get(email="analyst@ashg.example").has_usable_password()


def test_a_mistake_is_said_before_a_password_is_asked(ashg):
    unknown_role = workforce("org", "grant", "a@b.example", "ashg", "boss")
    unknown_org = workforce("org", "grant", "a@b.example", "nowhere", "viewer")
    wrong_place = workforce(
        "org", "grant", "a@b.example", "ashg", "consortium_staff", input=f"{PASSWORD}\n" * 2
    )

    assert unknown_role.exit_code == 1
    assert "no role 'boss'; roles: consortium_staff, data_steward, analyst, viewer" in said(
        unknown_role
    )
    assert unknown_org.exit_code == 1
    assert "no organization 'nowhere'; organizations: ashg, consortium" in said(unknown_org)
    assert "Password" not in unknown_role.output + unknown_org.output
    assert wrong_place.exit_code == 1
    assert "is a role in the consortium, not in the society 'ashg'" in said(wrong_place)
    assert not User.objects.filter(email="a@b.example").exists()  # no account left behind


def test_revoking_takes_the_role_and_keeps_the_account(ashg, ashg_analyst):
    revoked = workforce("org", "revoke", "analyst@ashg.example", "ashg")
    again = workforce("org", "revoke", "analyst@ashg.example", "ashg")

    assert revoked.exit_code == 0 and "is no longer analyst in ashg" in said(revoked)
    assert "held no role in ashg; nothing changed" in said(again)
    assert not Membership.objects.filter(user=ashg_analyst).exists()
    assert User.objects.filter(email="analyst@ashg.example").exists()
    assert AuditEvent.objects.filter(verb=AuditEvent.Verb.ROLE_REVOKED).count() == 1
