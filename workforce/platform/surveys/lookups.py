"""The statements behind every respondent page, as SQL built once per database connection.

Every page a respondent sees or saves first finds the invitation of their link (with its
wave, the wave's organization and instrument, and whether the member opted out) and their
unfinished response, in one statement (an open link's respondent: the response alone); every
page saved is one guarded UPDATE. Django compiles a queryset's SQL anew on every run: for
the lookups that took 0.7 ms each on the reference machine, more than the database took to
run them, on every page of every respondent, and compiling the UPDATE was 6.6% of a worker's
interpreter time under load (py-spy). Here each statement is built from the models' metadata
the first time a connection needs it and afterwards only run (on PostgreSQL, prepared: see
``workforce.platform.postgresql``). Rows become model instances the way the ORM makes them:
every value through its field's and its backend's converters (JSON, UUIDs, dates on SQLite),
then ``Model.from_db``, with the columns left out deferred; values sent are prepared by
their fields, as the ORM prepares them.

The rest of the platform uses the ORM; only these run often enough to be worth it.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar
from weakref import WeakKeyDictionary

from django.db import connections, models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.transaction import TransactionManagementError

from workforce.platform.organizations.models import Organization
from workforce.platform.surveys.models import (
    INSTRUMENT_BULK,
    FrameMember,
    Instrument,
    Invitation,
    InvitationToken,
    Response,
    Wave,
)

Converter = Callable[[Any, Any, BaseDatabaseWrapper], Any]

# A member's row is needed only for whether they opted out: their e-mail address and frame
# attributes stay in the database.
MEMBER_FIELDS = ("id", "opted_out")


@dataclass(frozen=True)
class _Selected:
    """One model's columns in a statement: which fields, under which table alias."""

    model: type[models.Model]
    alias: str
    fields: tuple[models.Field, ...]
    attnames: tuple[str, ...]  # what ``Model.from_db`` is told the values are
    # From an outer join: a row without it (its primary key NULL) gives None, not an instance.
    # The primary key's place among the columns, for an optional model.
    key_at: int | None = None

    @classmethod
    def of(
        cls,
        model: type[models.Model],
        alias: str,
        *,
        only: Sequence[str] = (),
        leaving_out: Sequence[str] = (),
        optional: bool = False,
    ) -> _Selected:
        fields = tuple(
            field
            for field in model._meta.concrete_fields
            if (not only or field.name in only) and field.name not in leaving_out
        )
        attnames = tuple(field.attname for field in fields)
        key_at = attnames.index(model._meta.pk.attname) if optional else None
        return cls(model, alias, fields, attnames, key_at)


@dataclass(frozen=True)
class _Converting:
    """What turns one column's value from the driver into the field's (as the ORM does)."""

    index: int
    column: Any  # the field's Col expression, which converters are handed
    chain: tuple[Converter, ...]


@dataclass(frozen=True)
class _Statement:
    """A SELECT of several models' columns, and how to turn each row back into instances."""

    sql: str
    selected: tuple[_Selected, ...]
    converting: tuple[tuple[_Converting, ...], ...]  # per selected model

    @classmethod
    def build(
        cls, connection: BaseDatabaseWrapper, selected: Sequence[_Selected], rest: str
    ) -> _Statement:
        sql = _Sql(connection)
        columns = [
            sql.column(part.alias, part.model, field.name)
            for part in selected
            for field in part.fields
        ]
        converting = []
        for part in selected:
            found = []
            for index, field in enumerate(part.fields):
                column = field.get_col(part.alias)
                chain = connection.ops.get_db_converters(column) + column.get_db_converters(
                    connection
                )
                if chain:
                    found.append(_Converting(index, column, tuple(chain)))
            converting.append(tuple(found))
        return cls(f"SELECT {', '.join(columns)} {rest}", tuple(selected), tuple(converting))

    def run(self, connection: BaseDatabaseWrapper, params: Sequence[Any]) -> list[list[Any]]:
        """Per row, one instance of each selected model, in the order they were selected
        (None for an outer-joined model the row has none of)."""
        with _cursor(connection) as cursor:
            cursor.execute(self.sql, params)
            rows = cursor.fetchall()
        found = []
        for row in rows:
            instances = []
            start = 0
            for part, converting in zip(self.selected, self.converting, strict=True):
                values = list(row[start : start + len(part.fields)])
                start += len(part.fields)
                if part.key_at is not None and values[part.key_at] is None:
                    instances.append(None)
                    continue
                for each in converting:
                    for convert in each.chain:
                        values[each.index] = convert(values[each.index], each.column, connection)
                instances.append(part.model.from_db(connection.alias, part.attnames, values))
            found.append(instances)
        return found


def _cursor(connection: BaseDatabaseWrapper):
    # On PostgreSQL, prepared: planning the invitation's six-table join took longer than
    # running it (see ``workforce.platform.postgresql``).
    return getattr(connection, "preparing_cursor", connection.cursor)()


@dataclass(frozen=True)
class _Update:
    """An UPDATE of some columns of the rows whose other columns hold given values."""

    sql: str
    setting: tuple[models.Field, ...]
    matching: tuple[models.Field, ...]

    @classmethod
    def build(
        cls,
        connection: BaseDatabaseWrapper,
        model: type[models.Model],
        *,
        setting: Sequence[str],
        matching: Sequence[str],
        matching_null: Sequence[str] = (),
    ) -> _Update:
        quote = connection.ops.quote_name
        setting_fields = tuple(model._meta.get_field(name) for name in setting)
        matching_fields = tuple(model._meta.get_field(name) for name in matching)
        assignments = ", ".join(f"{quote(field.column)} = %s" for field in setting_fields)
        conditions = [f"{quote(field.column)} = %s" for field in matching_fields] + [
            f"{quote(model._meta.get_field(name).column)} IS NULL" for name in matching_null
        ]
        return cls(
            f"UPDATE {quote(model._meta.db_table)} SET {assignments}"
            f" WHERE {' AND '.join(conditions)}",
            setting_fields,
            matching_fields,
        )

    def run(
        self, connection: BaseDatabaseWrapper, setting: Sequence[Any], matching: Sequence[Any]
    ) -> int:
        """How many rows were changed."""
        params = [
            field.get_db_prep_save(value, connection)
            for field, value in zip(self.setting, setting, strict=True)
        ] + [
            field.get_db_prep_value(value, connection, prepared=False)
            for field, value in zip(self.matching, matching, strict=True)
        ]
        with _cursor(connection) as cursor:
            cursor.execute(self.sql, params)
            return cursor.rowcount


class _Sql:
    """Quoted table and column names of one connection, to write a statement with."""

    def __init__(self, connection: BaseDatabaseWrapper) -> None:
        self.quote = connection.ops.quote_name

    def table(self, model: type[models.Model], alias: str) -> str:
        return f"{self.quote(model._meta.db_table)} {self.quote(alias)}"

    def column(self, alias: str, model: type[models.Model], name: str) -> str:
        return f"{self.quote(alias)}.{self.quote(model._meta.get_field(name).column)}"

    def join(self, model: type[models.Model], alias: str, *, on: str) -> str:
        """INNER JOIN `model` as `alias`, its primary key equal to the column `on`."""
        key = self.column(alias, model, model._meta.pk.name)
        return f" INNER JOIN {self.table(model, alias)} ON {key} = {on}"


def _invitation_statement(
    connection: BaseDatabaseWrapper, *, with_unfinished: bool = False, locking: bool = False
) -> _Statement:
    sql = _Sql(connection)
    rest = (
        f"FROM {sql.table(InvitationToken, 'token')}"
        + sql.join(Invitation, "invitation", on=sql.column("token", InvitationToken, "invitation"))
        + sql.join(Wave, "wave", on=sql.column("invitation", Invitation, "wave"))
        + sql.join(Organization, "organization", on=sql.column("wave", Wave, "organization"))
        + sql.join(Instrument, "instrument", on=sql.column("wave", Wave, "instrument"))
        + sql.join(FrameMember, "member", on=sql.column("invitation", Invitation, "member"))
    )
    selected = [
        _Selected.of(Invitation, "invitation"),
        _Selected.of(Wave, "wave"),
        _Selected.of(Organization, "organization"),
        _Selected.of(Instrument, "instrument", leaving_out=INSTRUMENT_BULK),
        _Selected.of(FrameMember, "member", only=MEMBER_FIELDS),
    ]
    if with_unfinished:
        # As `partial_responses` finds them: in an anonymous wave under the link's resume
        # key, in a confidential one by the invitation. Each side of the OR has its index.
        mode = sql.column("wave", Wave, "mode")
        rest += (
            f" LEFT OUTER JOIN {sql.table(Response, 'response')}"
            f" ON {sql.column('response', Response, 'status')} = %s"
            f" AND (({mode} = %s AND {sql.column('response', Response, 'resume_key')} = %s)"
            f" OR ({mode} <> %s"
            f" AND {sql.column('response', Response, 'invitation')}"
            f" = {sql.column('invitation', Invitation, 'id')}))"
        )
        selected.append(_Selected.of(Response, "response", optional=True))
    rest += f" WHERE {sql.column('token', InvitationToken, 'token_hash')} = %s"
    if with_unfinished:
        rest += f" ORDER BY {sql.column('response', Response, 'id')}"
    if locking and connection.features.has_select_for_update_of:
        # The invitation's row only, as the ORM's ``select_for_update(of=("self",))``; where
        # the database has no row locks (SQLite) a write transaction holds the whole file.
        rest += f" FOR UPDATE OF {connection.ops.quote_name('invitation')}"
    return _Statement.build(connection, selected, rest)


def _response_statement(connection: BaseDatabaseWrapper, key: str) -> _Statement:
    sql = _Sql(connection)
    rest = (
        f"FROM {sql.table(Response, 'response')}"
        + sql.join(Instrument, "instrument", on=sql.column("response", Response, "instrument"))
        + f" WHERE {sql.column('response', Response, 'status')} = %s"
        + f" AND {sql.column('response', Response, key)} = %s"
        + f" ORDER BY {sql.column('response', Response, 'id')}"
    )
    selected = [
        _Selected.of(Response, "response"),
        _Selected.of(Instrument, "instrument", leaving_out=INSTRUMENT_BULK),
    ]
    return _Statement.build(connection, selected, rest)


def _save_statement(connection: BaseDatabaseWrapper, *, keyed: bool) -> _Update:
    return _Update.build(
        connection,
        Response,
        setting=("answers", "page", "revision", "updated_on"),
        matching=("id", "revision", "status", *(("resume_key",) if keyed else ())),
        matching_null=() if keyed else ("resume_key",),
    )


# The saving UPDATE's two variants, by whether the response has a resume key.
_SAVES = {
    True: ("save", partial(_save_statement, keyed=True)),
    False: ("save without key", partial(_save_statement, keyed=False)),
}

# Built once per connection (each thread has its own), forgotten with it.
_STATEMENTS: WeakKeyDictionary[BaseDatabaseWrapper, dict[str, Any]] = WeakKeyDictionary()

_Built = TypeVar("_Built", _Statement, _Update)


def _prepared(
    using: str, name: str, build: Callable[[BaseDatabaseWrapper], _Built]
) -> tuple[BaseDatabaseWrapper, _Built]:
    """The connection to `using` in this thread, and statement `name` as built for it."""
    connection = connections[using]
    built = _STATEMENTS.setdefault(connection, {})
    if name not in built:
        built[name] = build(connection)
    return connection, built[name]


def invitation_by_token_hash(
    token_hash: str, *, lock: bool = False, using: str = "default"
) -> Invitation | None:
    """The invitation a link's hash belongs to, with its member, its wave and the wave's
    organization and instrument attached; with ``lock``, its row locked until the
    transaction ends (which must have begun, as for the ORM's ``select_for_update``).

    The member has only ``opted_out`` loaded (anything else of theirs is read if asked for),
    the instrument everything but its bulk.
    """
    if lock:
        # A row lock taken in autocommit mode would end with its statement, as the ORM says
        # of ``select_for_update``.
        if connections[using].get_autocommit():
            raise TransactionManagementError("a locking lookup needs a transaction")
        connection, statement = _prepared(
            using, "invitation, locked", partial(_invitation_statement, locking=True)
        )
    else:
        connection, statement = _prepared(using, "invitation", _invitation_statement)
    rows = statement.run(connection, [token_hash])
    return _attached(*rows[0]) if rows else None


def _attached(
    invitation: Invitation,
    wave: Wave,
    organization: Organization,
    instrument: Instrument,
    member: FrameMember,
    *_: Any,
) -> Invitation:
    """The invitation with the instances read beside it set as its relations."""
    wave.organization = organization
    wave.instrument = instrument
    invitation.wave = wave
    invitation.member = member
    return invitation


def invitation_and_unfinished(
    token_hash: str, resume_key: str, *, using: str = "default"
) -> tuple[Invitation, list[Response]] | None:
    """The invitation a link's hash belongs to, as `invitation_by_token_hash` gives it, and
    in the same statement its respondent's unfinished responses, as `partial_responses`
    gives them: in an anonymous wave those under ``resume_key`` (the link's), in a
    confidential one the invitation's.

    Every page a respondent with a link sees or saves needs both; one statement instead of
    two saves a round trip to the database and the driver's work for it on each.
    """
    connection, statement = _prepared(
        using, "invitation and unfinished", partial(_invitation_statement, with_unfinished=True)
    )
    anonymous = Wave.Mode.ANONYMOUS.value
    rows = statement.run(
        connection,
        [Response.Status.PARTIAL.value, anonymous, resume_key, anonymous, token_hash],
    )
    if not rows:
        return None
    invitation = _attached(*rows[0])
    wave = invitation.wave
    return invitation, _unfinished_in(wave, ((row[-1], wave.instrument) for row in rows))


def partial_responses(
    wave: Wave,
    *,
    resume_key: str | None = None,
    invitation_id: int | None = None,
    using: str = "default",
) -> list[Response]:
    """The unfinished responses of ``wave`` under a resume key (or, in a confidential wave,
    of an invitation), their instrument attached without its definition and workbook.

    Looked up by the key alone and the wave compared here: with the wave in the query SQLite
    reads every response of the wave through the wave's index (9 ms instead of 1.5 ms with
    5,000 responses, and growing with the wave).
    """
    if (resume_key is None) == (invitation_id is None):
        raise ValueError("give a resume key or an invitation id, not both or neither")
    key, value = ("invitation", invitation_id) if resume_key is None else ("resume_key", resume_key)
    connection, statement = _prepared(
        using, f"response by {key}", partial(_response_statement, key=key)
    )
    return _unfinished_in(wave, statement.run(connection, [Response.Status.PARTIAL.value, value]))


def _unfinished_in(wave: Wave, rows: Iterable[Sequence[Any]]) -> list[Response]:
    """Of (response, instrument) pairs, the responses that belong to `wave` (a response None:
    a row without one), with the wave and, where it is theirs, the instrument attached."""
    found = []
    for response, instrument in rows:
        if response is None or response.wave_id != wave.pk:
            continue
        response.wave = wave
        if response.instrument_id == instrument.pk:
            response.instrument = instrument
        # else: the instrument is read when asked for (a response keeps the version it
        # started on; a wave's is frozen once it opens, so this does not happen in practice).
        found.append(response)
    return found


def save_page_answers(
    response: Response,
    *,
    answers: dict,
    page: int,
    updated_on: datetime.date,
    using: str = "default",
) -> bool:
    """Write a page's answers, how far the respondent got and the day, and count the revision
    up, only if nothing changed the response since ``response`` was read: still at its
    revision (no other window saved a page), still partial (not submitted), still under its
    resume key (closing the wave cuts it). Whether it was written.
    """
    keyed = response.resume_key is not None
    name, build = _SAVES[keyed]
    connection, statement = _prepared(using, name, build)
    matching = [response.pk, response.revision, Response.Status.PARTIAL.value]
    if keyed:
        matching.append(response.resume_key)
    setting = [answers, page, response.revision + 1, updated_on]
    return statement.run(connection, setting, matching) == 1
