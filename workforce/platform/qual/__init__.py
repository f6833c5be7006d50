"""Focus-group coding on the platform: projects, sources, codebook versions, codings, memos.

The pure core (``workforce.qual``) holds the model, agreement and REFI-QDA exchange; this app
stores a project in tables (``models``), converts it to and from the core
(``convert.to_core``, ``actions.qual.do_import_qual_project``) and serves the pages
(``views``). Every change goes through ``workforce.platform.actions.qual``.

Decisions (tested in ``tests/platform/test_qual.py``):

- Access needs two things: a role that lets one take part in the organization's focus groups
  (``Action.CODE_QUALITATIVE``: data stewards, analysts, consortium staff; not viewers), and
  a place in the project (lead or coder) — or ``OVERSEE_QUALITATIVE`` (consortium staff),
  which opens every project of the organization. Others with the role get a 404 for it.
- Blind coding is the default: a coder sees only their own codings (and memos: their own and
  the lead's). The comparison is for the lead and overseers, and for coders once the lead
  unblinds the project; it is not opened automatically when everyone has coded, because
  only the lead knows when the coding round is over.
- The original wording of a de-identified source is shown to the project's lead and no one
  else: not to coders, not to consortium staff who oversee the project (they see the
  de-identified text and every coding), not in the admin. Staff who need it lead the
  project.
- Only the lead changes the codebook; each change saves a new version, earlier versions are
  never edited. A code keeps its id (its path when created) when renamed or moved, so the
  passages coded with it stay coded.
- Agreement compares the coders who have coded anything so far, over every source.
"""
