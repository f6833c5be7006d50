"""``workforce manage import_qual_project DIR_OR_QDPX --org CODE --lead E-MAIL``: a focus-group
project onto the platform, from a core project folder (``project.json``) or a REFI-QDA
``.qdpx``."""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from workforce.platform.accounts.models import User, normalize_email
from workforce.platform.actions.qual import do_import_qual_project
from workforce.platform.organizations.models import Organization
from workforce.qual.codings import QualError
from workforce.qual.project import QualProject, load_project
from workforce.qual.workspace import load_originals


class Command(BaseCommand):
    help = (
        "Import a focus-group project (a folder holding project.json, or a .qdpx file) into "
        "organization CODE, led by the user with e-mail LEAD. Coders are users too: "
        "--coders NAME=E-MAIL,... maps each coder name of the project to a user (E-MAIL alone "
        "when the project names the coder by that address). With --identifying FILE the "
        "sources are de-identified on the way in and the originals kept for the lead only."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path, help="a project folder or a .qdpx file")
        parser.add_argument("--org", required=True, help="the organization's code, e.g. nsgc")
        parser.add_argument("--lead", required=True, help="the lead's e-mail address")
        parser.add_argument(
            "--coders",
            default="",
            help="comma-separated NAME=E-MAIL (or E-MAIL) of the coders, e.g. ana=ana@x.org",
        )
        parser.add_argument(
            "--identifying",
            type=Path,
            help="the identifying list (YAML) to de-identify the sources with",
        )

    def handle(self, *args, path: Path, org: str, lead: str, coders: str, identifying, **options):
        try:
            organization = Organization.objects.get(code=org)
        except Organization.DoesNotExist:
            codes = ", ".join(Organization.objects.values_list("code", flat=True)) or "none"
            raise CommandError(f"No organization {org!r} (there are: {codes}).") from None
        lead_user = _user(lead, "--lead")
        coder_users = {}
        for item in filter(None, (part.strip() for part in coders.split(","))):
            name, _, email = item.rpartition("=")
            coder_users[name or normalize_email(email)] = _user(email, "--coders")
        try:
            project, skipped = _read(path)
            # A `workforce qual import` folder keeps the originals of its de-identified
            # sources apart in originals/: they come along, for the lead only.
            originals = load_originals(path) if path.is_dir() else {}
            if identifying is not None:
                from workforce.qual.deidentify import deidentify_project, read_identifying_list

                project, originals = deidentify_project(
                    project, read_identifying_list(identifying)
                )
        except QualError as error:
            raise CommandError(str(error)) from None
        try:
            stored = do_import_qual_project(
                organization, project, originals, lead_user, coder_users, acting_user=None
            )
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        for line in skipped:
            self.stdout.write(f"  not carried over: {line}")
        self.stdout.write(
            f"Imported {stored.name!r} into {organization.name} ({organization.code}): "
            f"{len(project.sources)} sources, {len(project.codebook)} codebook versions, "
            f"{len(project.codings)} codings, {len(project.memos)} memos"
            f"{f', {len(originals)} originals kept for the lead' if originals else ''}; "
            f"on the web at /organizations/{organization.code}/focus-groups/{stored.pk}/"
        )


def _user(email: str, option: str) -> User:
    try:
        return User.objects.get(email=normalize_email(email))
    except User.DoesNotExist:
        raise CommandError(f"{option}: no user with the e-mail address {email!r}.") from None


def _read(path: Path) -> tuple[QualProject, tuple[str, ...]]:
    """The project at ``path`` and what its file held that could not be carried over."""
    if path.is_dir():
        return load_project(path), ()
    if path.suffix.lower() == ".qdpx":
        from workforce.qual.refi import read_qdpx

        result = read_qdpx(path)
        if isinstance(result, QualProject):
            return result, ()
        return result.project, tuple(result.skipped)
    raise QualError(f"{path}: neither a project folder nor a .qdpx file")
