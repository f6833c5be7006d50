"""Loading the synthetic focus groups into the platform, for ``workforce demo``.

The consortium's focus-group project goes in as the researchers made it on the command line
(`workforce qual import`): de-identified, coded by two coders, the originals kept for the
lead. Consortium staff lead it; two demo analysts of the consortium are its coders, so a
person can sign in as either and see blind coding, then as staff to compare them. Safe to run
again: a project of the same name is replaced, not duplicated.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from workforce.platform import django_setup

CODERS = {"coder_a": ("coder.a", "Focus-group coder A (demo)"),
          "coder_b": ("coder.b", "Focus-group coder B (demo)")}


@dataclass(frozen=True)
class DemoFocusGroups:
    url: str
    sources: int
    codings: int
    originals: int
    people: tuple  # workforce.platform.demo.DemoPerson of the coders


def load_demo_focus_groups(project_dir: Path) -> DemoFocusGroups:
    django_setup()
    from workforce.platform.actions.qual import do_import_qual_project
    from workforce.platform.demo import ensure_person
    from workforce.platform.organizations.models import Organization, Role
    from workforce.platform.qual.models import QualitativeProject
    from workforce.qual.project import load_project
    from workforce.qual.workspace import load_originals

    consortium = Organization.objects.get(kind=Organization.Kind.CONSORTIUM)
    project = load_project(project_dir)
    originals = load_originals(project_dir)
    lead = consortium.memberships.filter(role=Role.CONSORTIUM_STAFF).first().user
    people = [ensure_person(f"{local}@{consortium.code}.example", name, consortium, Role.ANALYST)
              for local, name in CODERS.values()]
    from workforce.platform.accounts.models import User

    coders = {name: User.objects.get(email=person.email)
              for name, person in zip(CODERS, people, strict=True)}
    QualitativeProject.objects.filter(organization=consortium, name=project.name).delete()
    stored = do_import_qual_project(consortium, project, originals, lead, coders,
                                    acting_user=None)
    return DemoFocusGroups(f"/organizations/{consortium.code}/focus-groups/{stored.pk}/",
                           len(project.sources), len(project.codings), len(originals),
                           tuple(people))
