"""Loading the synthetic demonstration consortium into the platform, for ``workforce demo``.

Creates the consortium and its three societies, one demo person per role, stores each
society's membership export found in ``<synth dir>/exports/``, and takes each export through
the intake path a data steward takes on the web: the society's saved mapping is confirmed as
a mapping version, then the upload is ingested into standard records with a validation
report. Safe to run again: nothing is duplicated, and every run gives the demo people fresh
random passwords (returned, so the command line can print them; no password is ever written
in code).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

from workforce.platform import django_setup, migrate

# Models are imported inside the functions: the command line imports this module before
# Django is set up, and load_demo sets it up.

CONSORTIUM = ("consortium", "Human Genetics & Genomics Workforce Consortium")
SOCIETIES = [
    ("ashg", "American Society of Human Genetics"),
    ("nsgc", "National Society of Genetic Counselors"),
    ("acmg", "American College of Medical Genetics and Genomics"),
]
SOCIETY_ROLES = [
    ("steward", "data_steward", "data steward"),
    ("analyst", "analyst", "analyst"),
    ("viewer", "viewer", "viewer"),
]


@dataclass(frozen=True)
class DemoPerson:
    email: str
    password: str
    full_name: str
    organization: str  # code
    role: str  # Role value, e.g. "data_steward"
    role_label: str  # e.g. "Society data steward"


@dataclass(frozen=True)
class DemoUpload:
    organization: str
    filename: str
    sha256: str
    size: int
    created: bool  # False when an identical file was already stored by an earlier run


@dataclass(frozen=True)
class DemoIngest:
    organization: str
    filename: str
    mapping_version: int
    status: str  # "ingested" or "failed"
    error: str
    rows_read: int
    rows_accepted: int
    rows_rejected: int
    records: Path | None  # the standard records CSV the ingest wrote, when it went through


@dataclass(frozen=True)
class DemoSummary:
    organizations: tuple[str, ...]
    people: tuple[DemoPerson, ...]
    uploads: tuple[DemoUpload, ...]
    societies_without_exports: tuple[str, ...]
    ingests: tuple[DemoIngest, ...] = ()


def demo_password() -> str:
    return secrets.token_urlsafe(12)


def society_exports(exports_dir: Path, code: str) -> list[Path]:
    """The files of one society, matched by the ``<code>_`` prefix of their names."""
    return sorted(
        path
        for path in exports_dir.iterdir()
        if path.is_file() and path.name.lower().startswith(f"{code}_")
    )


def load_demo(synth_dir: Path, *, migrate_first: bool = True) -> DemoSummary:
    """Load the demo consortium from a synthetic consortium folder; see the module docstring.

    Raises ``FileNotFoundError`` when ``synth_dir/exports`` does not exist.
    """
    exports_dir = Path(synth_dir) / "exports"
    if not exports_dir.is_dir():
        raise FileNotFoundError(
            f"{exports_dir}: no exports folder; generate the synthetic consortium first "
            "(workforce synth --out DIR)"
        )
    django_setup()
    if migrate_first:
        migrate()

    from django.db import transaction

    with transaction.atomic():
        consortium, societies = ensure_organizations()
        people = ensure_people(consortium, societies)
        uploads, missing = store_exports(exports_dir, societies)
    # Each ingest commits on its own (the action is transactional): a file that fails to
    # ingest leaves its failed run and report behind rather than undoing the whole demo.
    ingests = [ingest_export(upload) for upload in uploads]
    return DemoSummary(
        organizations=(consortium.code, *(society.code for society in societies)),
        people=tuple(people),
        uploads=tuple(uploads),
        societies_without_exports=tuple(missing),
        ingests=tuple(ingests),
    )


def ensure_organizations():
    from workforce.platform.actions.organizations import do_create_organization
    from workforce.platform.organizations.models import Organization

    def ensure(code: str, name: str, kind: str, parent=None) -> Organization:
        existing = Organization.objects.filter(code=code).first()
        if existing is not None:
            return existing
        return do_create_organization(code, name, kind, parent=parent, acting_user=None)

    consortium = ensure(*CONSORTIUM, Organization.Kind.CONSORTIUM)
    societies = [
        ensure(code, name, Organization.Kind.SOCIETY, consortium) for code, name in SOCIETIES
    ]
    return consortium, societies


def ensure_people(consortium, societies) -> list[DemoPerson]:
    from workforce.platform.organizations.models import Role

    people = [
        ensure_person(
            f"staff@{consortium.code}.example",
            "Consortium staff (demo)",
            consortium,
            Role.CONSORTIUM_STAFF,
            # Staff also operate the site in the demo, so the admin can be shown.
            site_operator=True,
        )
    ]
    for society in societies:
        for local, role, title in SOCIETY_ROLES:
            people.append(
                ensure_person(
                    f"{local}@{society.code}.example",
                    f"{society.code.upper()} {title} (demo)",
                    society,
                    Role(role),
                )
            )
    return people


def ensure_person(email, full_name, organization, role, *, site_operator=False) -> DemoPerson:
    from workforce.platform.accounts.models import User
    from workforce.platform.actions.organizations import do_grant_role
    from workforce.platform.actions.users import do_create_user, do_set_password

    password = demo_password()
    user = User.objects.filter(email=email).first()
    if user is None:
        user = do_create_user(
            email,
            full_name=full_name,
            password=password,
            is_staff=site_operator,
            is_superuser=site_operator,
            acting_user=None,
        )
    else:
        do_set_password(user, password, acting_user=None)
    do_grant_role(user, organization, role, acting_user=None)
    return DemoPerson(
        email=email,
        password=password,
        full_name=full_name,
        organization=organization.code,
        role=role.value,
        role_label=role.label,
    )


def store_exports(exports_dir: Path, societies) -> tuple[list[DemoUpload], list[str]]:
    from workforce.platform.actions.uploads import do_store_upload
    from workforce.platform.uploads.models import Upload
    from workforce.platform.uploads.storage import sha256_of

    uploads: list[DemoUpload] = []
    missing: list[str] = []
    for society in societies:
        files = society_exports(exports_dir, society.code)
        if not files:
            missing.append(society.code)
        for path in files:
            sha256 = sha256_of(path)
            existing = Upload.objects.filter(
                organization=society, original_filename=path.name, sha256=sha256
            ).first()
            if existing is None:
                upload = do_store_upload(
                    society,
                    path.name,
                    path,
                    acting_user=None,
                    kind=Upload.Kind.MEMBERSHIP_EXPORT,
                )
            else:
                upload = existing
            uploads.append(
                DemoUpload(
                    organization=society.code,
                    filename=upload.original_filename,
                    sha256=upload.sha256,
                    size=upload.size,
                    created=existing is None,
                )
            )
    return uploads, missing


def ingest_export(demo_upload: DemoUpload) -> DemoIngest:
    """One export through intake with its society's saved mapping, unless already done."""
    from dataclasses import replace

    from workforce.intake import load_mapping, saved_mapping
    from workforce.platform.actions.intake import do_ingest_upload, do_save_mapping
    from workforce.platform.intake.models import IngestRun, Mapping
    from workforce.platform.uploads.models import Upload

    upload = Upload.objects.get(
        organization__code=demo_upload.organization,
        original_filename=demo_upload.filename,
        sha256=demo_upload.sha256,
    )
    society = upload.organization
    wanted = load_mapping(saved_mapping(society.code))
    mapping = Mapping.latest_confirmed(society)
    if mapping is None or replace(wanted, version=mapping.version).to_yaml() != mapping.yaml:
        mapping = do_save_mapping(society, wanted, acting_user=None, upload=upload)
    run = upload.runs.filter(status=IngestRun.Status.INGESTED, mapping=mapping).first()
    if run is None:
        run = do_ingest_upload(upload, acting_user=None, mapping=mapping)
    ingested = run.status == IngestRun.Status.INGESTED
    return DemoIngest(
        organization=society.code,
        filename=upload.original_filename,
        mapping_version=mapping.version,
        status=run.status,
        error=run.error,
        rows_read=run.rows_read or 0,
        rows_accepted=run.rows_accepted or 0,
        rows_rejected=run.rows_rejected or 0,
        records=run.output_path("records.csv") if ingested else None,
    )
