"""The PostgreSQL backend: the respondent pages' lookups planned once, kept connections checked
without a round trip, and a connection the server closed replaced before a request uses it.

These run only against PostgreSQL (``make test-postgres``).
"""

from __future__ import annotations

import select

import pytest
from django.db import OperationalError, connection, connections, transaction
from django.db.backends.postgresql import base as django_postgresql
from test_survey_actions import invite, load_members, make_wave

from workforce.platform.actions.surveys import enter_with_token, start_response
from workforce.platform.postgresql.base import PREPARE_THRESHOLD, DatabaseWrapper
from workforce.platform.surveys import lookups
from workforce.platform.surveys.models import Invitation, Response, hash_token

pytestmark = [
    pytest.mark.platform,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="PostgreSQL's backend (make test-postgres)"
    ),
]

LOOKUP = 'SELECT "invitation"."id"'


@pytest.fixture
def token(ashg, mailoutbox):
    wave = make_wave(ashg)
    load_members(wave, 2)
    return invite(wave, mailoutbox)["member00001@members.example"]


def prepared_statements() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [statement for (statement,) in cursor.fetchall()]


def test_the_platform_runs_on_its_own_postgresql_backend(db):
    assert isinstance(connections["default"], DatabaseWrapper)
    connection.ensure_connection()
    assert connection.connection.prepare_threshold == PREPARE_THRESHOLD == 5


def test_the_link_lookup_is_planned_once_and_gives_the_same_invitation_every_time(token):
    runs = [
        lookups.invitation_by_token_hash(hash_token(token)) for _ in range(PREPARE_THRESHOLD + 2)
    ]
    [prepared] = [text for text in prepared_statements() if text.startswith(LOOKUP)]
    assert "$1" in prepared  # bound on the server
    first = runs[0]
    for found in runs[1:]:
        assert found.pk == first.pk and found.wave.pk == first.wave.pk
        assert found.wave.organization.name == first.wave.organization.name
        assert found.wave.instrument.pk == first.wave.instrument.pk
        assert found.member.opted_out is False


def assert_held_until_the_transaction_ends(lock, table: str, key) -> None:
    """`lock()` run in a transaction holds row `key` of `table`: another connection cannot
    take it until the transaction ends."""
    claim = f"SELECT id FROM {table} WHERE id = %s FOR UPDATE NOWAIT"
    other = connections.create_connection("default")
    try:
        with transaction.atomic():
            lock()
            with other.cursor() as cursor, pytest.raises(OperationalError, match="lock"):
                cursor.execute(claim, [key])
        other.rollback()
        with other.cursor() as cursor:  # released with the transaction
            cursor.execute(claim, [key])
    finally:
        other.close()


@pytest.mark.django_db(transaction=True)
def test_the_locking_link_lookup_holds_the_invitations_row_until_the_transaction_ends(token):
    invitation_id = lookups.invitation_by_token_hash(hash_token(token)).pk
    assert_held_until_the_transaction_ends(
        lambda: lookups.invitation_by_token_hash(hash_token(token), lock=True),
        "surveys_invitation",
        invitation_id,
    )


def test_a_page_saved_again_and_again_is_written_by_one_prepared_update(token):
    entry = enter_with_token(token)
    response = start_response(entry, language="default")
    for number in range(PREPARE_THRESHOLD + 2):
        assert lookups.save_page_answers(
            response, answers={"years": str(number)}, page=0, updated_on=response.updated_on
        )
        response.revision += 1
    assert any(text.startswith('UPDATE "surveys_response"') for text in prepared_statements())
    assert Response.objects.get(pk=response.pk).answers == {"years": str(PREPARE_THRESHOLD + 1)}


def test_statements_through_the_orm_are_not_prepared(token):
    for _ in range(PREPARE_THRESHOLD + 2):
        Invitation.objects.select_related("wave").get(tokens__token_hash=hash_token(token))
    assert not any('"surveys_invitation"' in text for text in prepared_statements())


def test_a_prepared_lookup_still_works_after_a_transaction_rolled_back(token):
    class Undone(Exception):
        """Raised to roll the transaction back."""

    with pytest.raises(Undone), transaction.atomic():
        for _ in range(PREPARE_THRESHOLD + 1):
            assert lookups.invitation_by_token_hash(hash_token(token)) is not None
        raise Undone
    assert lookups.invitation_by_token_hash(hash_token(token)) is not None


def test_a_pooler_without_prepared_statements_can_turn_them_off(settings):
    options = dict(settings.DATABASES["default"], OPTIONS={"prepare_threshold": None})
    assert DatabaseWrapper(options).get_connection_params()["prepare_threshold"] is None
    default = dict(settings.DATABASES["default"], OPTIONS={})
    assert DatabaseWrapper(default).get_connection_params()["prepare_threshold"] == 5


# --- The health check of a kept connection ----------------------------------------------------


@pytest.fixture
def asked_select_1(monkeypatch) -> list[bool]:
    """Each time the check falls back to Django's ``SELECT 1``, and what it found."""
    asked = []
    original = django_postgresql.DatabaseWrapper.is_usable

    def recording(self):
        asked.append(original(self))
        return asked[-1]

    monkeypatch.setattr(django_postgresql.DatabaseWrapper, "is_usable", recording)
    return asked


def wait_until_readable(descriptor: int, seconds: float = 5) -> None:
    readable, _, _ = select.select([descriptor], [], [], seconds)
    assert readable, "the server did not close the connection"


@pytest.mark.django_db(transaction=True)
def test_an_idle_connection_is_judged_usable_without_a_round_trip(asked_select_1):
    connection.ensure_connection()
    assert connection.is_usable()
    assert asked_select_1 == []


@pytest.mark.django_db(transaction=True)
def test_a_connection_the_server_closed_is_replaced_before_the_next_request_uses_it(
    asked_select_1,
):
    connection.ensure_connection()
    closed_by_the_server = connection.connection
    pid = closed_by_the_server.info.backend_pid
    # As a restart of PostgreSQL does to every connection.
    administrator = connections.create_connection("default")
    try:
        with administrator.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    finally:
        administrator.close()
    wait_until_readable(closed_by_the_server.fileno())

    # What Django does at the start of each request, then the request's first statement.
    connection.close_if_unusable_or_obsolete()
    connection.close_if_health_check_failed()
    assert asked_select_1 == [False]
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)
    assert connection.connection is not closed_by_the_server
    assert connection.connection.info.backend_pid != pid


@pytest.mark.django_db(transaction=True)
def test_a_connection_in_a_transaction_is_still_asked(asked_select_1):
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        assert connection.is_usable()
    assert asked_select_1 == [True]


def test_a_connection_never_opened_or_closed_is_not_usable(settings):
    wrapper = DatabaseWrapper(dict(settings.DATABASES["default"]))
    assert not wrapper.is_usable()
