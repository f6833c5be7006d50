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
- Anyone with ``CODE_QUALITATIVE`` in an organization creates a project there and becomes its
  lead (``do_create_qual_project``); a lead is never taken from an uploaded `.qdpx`, since
  leading grants sight of the originals. The lead assigns coders from the people who hold
  ``CODE_QUALITATIVE`` there, each named by the slug of their e-mail's local part (unique in
  the project, never the lead's name for someone else), and removes only a coder who has
  coded nothing.
- Only the lead uploads (``uploads.py``, ``do_upload_sources``): transcripts, a participants
  list, an identifying list and open-text answers, read by the core and de-identified before
  anything is stored, all in one transaction (one bad file stores nothing; each problem is
  shown with its file and line). Names, aliases, speaker labels and identifying terms go to
  ``ProjectIdentifyingList``, a lead-only table (not in the admin, read by no page), so a
  later upload is de-identified with everything known and links its speakers to the same
  participants. A file whose name holds a listed name is refused: a source is named after
  its file. Limits: 10 MB a file, 50 transcripts an upload; a `.qdpx` unpacks to at most
  what ``refi.read_qdpx`` allows (zip bombs are refused).
- A codebook upload (YAML or `.qdc`) is a new version; a code keeps its id when its id or
  its path of names matches a current code. A `.qdpx` goes only into a project without
  sources (or at creation); its codings come along for coders whose names are coder names
  of the project, the others are listed as left out with everything else the file held
  that a project has no place for. Its memos are de-identified too; code descriptions are
  not.
- The analysis (code frequencies, co-occurrence by turn, themes by group) opens for those
  who may compare. Themes by group show only the counts the disclosure gate publishes; a
  withheld count is "—" with its reason, in the page and in the CSV.
"""
