"""The codebook as a readable YAML file: codes nested under their parents.

A research team writes and reviews its codebook as text before anyone codes, and keeps it in
version control beside the protocol; this is that file. The project stores each saved
version (`QualProject.with_codebook`); REFI-QDA `.qdc` files carry the same codes to and from
the desktop tools (`refi.py`).

```yaml
codes:
  - name: Climate
    description: How members experience their workplace.
    codable: false          # a category that only groups other codes
    codes:
      - name: Belonging
        description: Feeling (not) welcome or part of the field.
        examples: ["I often feel like an outsider at the annual meeting."]
        color: "#1f77b4"
```
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

import yaml

from workforce.qual.codings import QualError
from workforce.qual.project import Code, check_codebook, code_id

CODE_KEYS = {"name", "description", "examples", "color", "codable", "codes"}


def read_codebook(path: Path) -> tuple[Code, ...]:
    """The codes of a codebook YAML file, parents before children; every problem named by
    file and position (``codes[2].codes[0]``) at once."""
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise QualError(f"{path}: the file does not exist") from None
    except (UnicodeDecodeError, yaml.YAMLError) as error:
        raise QualError(f"{path}: not a readable YAML file ({error})") from None
    if not isinstance(raw, Mapping) or not isinstance(raw.get("codes"), list):
        raise QualError(f"{path}: a codebook is a mapping with a list under 'codes'")
    codes: list[Code] = []
    problems: list[str] = []
    _read_level(raw["codes"], "", "codes", codes, problems)
    if not problems:
        try:
            check_codebook(codes)
        except QualError as error:
            problems.append(str(error))
    if problems:
        raise QualError("\n".join(f"{path}: {p}" for p in problems))
    return tuple(codes)


def _read_level(entries: list, parent: str, where: str, codes: list[Code],
                problems: list[str]) -> None:
    for position, entry in enumerate(entries):
        here = f"{where}[{position}]"
        if not isinstance(entry, Mapping) or not str(entry.get("name") or "").strip():
            problems.append(f"{here}: each code is a mapping with a 'name'")
            continue
        unknown = sorted(set(map(str, entry)) - CODE_KEYS)
        if unknown:
            problems.append(f"{here} ({entry['name']!r}): unknown key(s) {', '.join(unknown)}; "
                            f"a code has {', '.join(sorted(CODE_KEYS))}")
        examples = entry.get("examples") or []
        if isinstance(examples, str):
            examples = [examples]
        codable = entry.get("codable", True)
        if not isinstance(codable, bool):
            problems.append(f"{here}: codable is true or false, not {codable!r}")
            codable = True
        color = str(entry.get("color") or "")
        if color and not _is_rgb(color):
            problems.append(f"{here}: color {color!r} is not #RRGGBB")
        try:
            identifier = code_id(str(entry["name"]), parent)
        except QualError as error:
            problems.append(f"{here}: {error}")
            continue
        codes.append(Code(identifier, str(entry["name"]).strip(), parent,
                          str(entry.get("description") or "").strip(),
                          tuple(str(e) for e in examples), color, codable))
        children = entry.get("codes") or []
        if not isinstance(children, list):
            problems.append(f"{here}.codes: a list of codes")
        else:
            _read_level(children, identifier, f"{here}.codes", codes, problems)


def _is_rgb(color: str) -> bool:
    return len(color) == 7 and color[0] == "#" and all(c in "0123456789abcdefABCDEF"
                                                       for c in color[1:])


def codebook_yaml(codes: Iterable[Code]) -> str:
    """The codes as codebook YAML (read back by `read_codebook` to the same codes)."""
    codes = tuple(codes)
    check_codebook(codes)

    def level(parent: str) -> list[dict]:
        out = []
        for code in codes:
            if code.parent != parent:
                continue
            entry: dict = {"name": code.name}
            if code.description:
                entry["description"] = code.description
            if code.examples:
                entry["examples"] = list(code.examples)
            if code.color:
                entry["color"] = code.color
            if not code.codable:
                entry["codable"] = False
            children = level(code.id)
            if children:
                entry["codes"] = children
            out.append(entry)
        return out

    return yaml.safe_dump({"codes": level("")}, sort_keys=False, allow_unicode=True, width=96)
