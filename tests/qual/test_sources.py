"""Importing transcripts, participant lists and open-text answers as sources."""

from __future__ import annotations

import contextlib
import itertools

import docx
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workforce.qual.codings import QualError
from workforce.qual.sources import (
    open_text_sources,
    read_participants,
    read_sources,
    read_transcript,
    speaker_labels,
    text_turns,
)

FOCUS_GROUP = """\
Focus group 2, early-career researchers
Date: 12 May 2024

Moderator: Welcome, everyone.
We start at 10:30 sharp.
P3: I think the lab was fine.
Note: she left early.

Ana Ruiz: Thanks. I agree: it was.
Ana Ruiz: One more thing.
[PARTICIPANT 4]: Yes.
"""


def write(tmp_path, name, content):
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def lines_of(source):
    return [source.text[turn.start:turn.end] for turn in source.turns]


# --- text layouts -----------------------------------------------------------------------------


def test_speaker_lines_start_turns_and_continuation_lines_stay_in_them(tmp_path):
    source = read_transcript(write(tmp_path, "fg2.txt", FOCUS_GROUP), group="fg2")
    assert lines_of(source) == [
        "Moderator: Welcome, everyone.\nWe start at 10:30 sharp.",
        "P3: I think the lab was fine.\nNote: she left early.",
        "Ana Ruiz: Thanks. I agree: it was.",
        "Ana Ruiz: One more thing.",
        "[PARTICIPANT 4]: Yes.",
    ]
    assert [t.speaker for t in source.turns] == ["Moderator", "P3", "Ana Ruiz", "Ana Ruiz",
                                                 "[PARTICIPANT 4]"]
    assert source.text == FOCUS_GROUP
    assert (source.id, source.group, source.kind, source.origin) == (
        "fg2", "fg2", "transcript", "fg2.txt (txt)")


def test_the_title_and_date_before_the_first_speaker_belong_to_no_turn():
    text, turns = text_turns(FOCUS_GROUP)
    assert turns[0].start == text.index("Moderator")
    assert text.index("Date") < turns[0].start


def test_a_one_off_label_that_is_not_a_role_does_not_start_a_turn():
    _, turns = text_turns("Moderator: So?\nSo what I mean: it was hard.\nP2: Agreed.")
    assert [t.speaker for t in turns] == ["Moderator", "P2"]


def test_a_label_given_in_speakers_starts_turns_even_once_or_as_a_remark_word():
    _, turns = text_turns("Kim: Hello.\nNote: I am Note.", speakers={"Kim": "P1", "Note": "P2"})
    assert [(t.speaker, t.participant) for t in turns] == [("Kim", "P1"), ("Note", "P2")]


def test_labels_map_to_participants_and_a_participant_id_label_is_that_participant():
    _, turns = text_turns("Moderator: Hi.\nana: Hello.\nP07: Hey.\nBob: Yo.\nBob: Yo.",
                          speakers={"Ana": "P03", "Zoe": "P07"})
    assert [(t.speaker, t.participant) for t in turns] == [
        ("Moderator", ""), ("ana", "P03"), ("P07", "P07"), ("Bob", ""), ("Bob", "")]


def test_a_time_before_the_label_is_the_turns_begin_seconds():
    text, turns = text_turns("[00:01:05] Moderator: Hi.\n(2:30.5) P1: Hello.")
    assert [(t.begin_seconds, t.speaker) for t in turns] == [(65.0, "Moderator"), (150.5, "P1")]
    assert text[turns[0].start:].startswith("[00:01:05] Moderator:")


def test_windows_line_ends_a_byte_order_mark_and_decomposed_accents_are_normalized(tmp_path):
    content = "\ufeffModerator: Hola Jose\u0301.\r\nP1: Si\u0301.\r\n".encode()
    source = read_transcript(write(tmp_path, "fg.txt", content))
    assert source.text == "Moderator: Hola José.\nP1: Sí.\n"
    assert lines_of(source) == ["Moderator: Hola José.", "P1: Sí."]


def test_utf16_with_a_byte_order_mark_is_read(tmp_path):
    source = read_transcript(write(tmp_path, "fg.txt", "Moderator: café\n".encode("utf-16")))
    assert source.text == "Moderator: café\n"


def test_utf16_without_a_byte_order_mark_is_refused_not_read_as_every_other_letter(tmp_path):
    path = write(tmp_path, "fg.txt", "Moderator: hi\n".encode("utf-16-le"))
    with pytest.raises(QualError, match=r"fg\.txt: line 1: a NUL character"):
        read_transcript(path)


def test_text_that_is_not_utf8_is_refused_with_its_line_unless_its_encoding_is_given(tmp_path):
    path = write(tmp_path, "fg.txt", "Moderator: Hello\nP1: café\n".encode("cp1252"))
    with pytest.raises(QualError, match=r"fg\.txt: line 2: byte 0xe9 is not UTF-8.*cp1252"):
        read_transcript(path)
    assert read_transcript(path, encoding="cp1252").text == "Moderator: Hello\nP1: café\n"


def test_a_missing_file_and_an_unknown_format_are_named(tmp_path):
    with pytest.raises(QualError, match=r"gone\.txt: the file does not exist"):
        read_transcript(tmp_path / "gone.txt")
    with pytest.raises(QualError, match=r"notes\.pdf: a transcript is a \.txt"):
        read_transcript(write(tmp_path, "notes.pdf", b"%PDF"))


# --- Word -------------------------------------------------------------------------------------


def test_docx_paragraphs_are_the_lines_of_the_transcript(tmp_path):
    document = docx.Document()
    for paragraph in ["Moderator: Welcome.", "Dr. Ana Ruiz: Thank you.", "It was hard.",
                      "Dr. Ana Ruiz: Yes."]:
        document.add_paragraph(paragraph)
    document.save(tmp_path / "fg3.docx")
    source = read_transcript(tmp_path / "fg3.docx", speakers={"Dr. Ana Ruiz": "P03"})
    assert source.origin == "fg3.docx (docx)"
    assert lines_of(source) == ["Moderator: Welcome.", "Dr. Ana Ruiz: Thank you.\nIt was hard.",
                                "Dr. Ana Ruiz: Yes."]
    assert [t.participant for t in source.turns] == ["", "P03", "P03"]


def test_a_docx_table_of_times_speakers_and_words_gives_one_line_per_row(tmp_path):
    document = docx.Document()
    document.add_paragraph("Focus group 3")
    table = document.add_table(rows=3, cols=3)
    for row, cells in zip(table.rows, [("00:00:01", "Moderator", "Welcome."),
                                       ("00:00:05", "Ana Ruiz", "Thanks."),
                                       ("", "", "(crosstalk)")], strict=True):
        for cell, text in zip(row.cells, cells, strict=True):
            cell.text = text
    document.save(tmp_path / "fg3.docx")
    source = read_transcript(tmp_path / "fg3.docx")
    assert source.text == ("Focus group 3\n00:00:01 Moderator: Welcome.\n"
                           "00:00:05 Ana Ruiz: Thanks.\n(crosstalk)")
    assert [(t.speaker, t.begin_seconds) for t in source.turns] == [("Moderator", 1.0),
                                                                    ("Ana Ruiz", 5.0)]
    assert source.text[source.turns[1].start:source.turns[1].end].endswith("(crosstalk)")


def test_a_corrupt_docx_is_named(tmp_path):
    with pytest.raises(QualError, match=r"fg\.docx: not a readable \.docx file"):
        read_transcript(write(tmp_path, "fg.docx", b"PK\x03\x04 not really a zip"))


# --- subtitles --------------------------------------------------------------------------------

VTT = """\
WEBVTT

1
00:00:01.000 --> 00:00:02.500
<v Ana Ruiz>Hello &amp; welcome.</v>

2
00:00:02.600 --> 00:00:04.000 align:start
<v Ana Ruiz>Shall we <i>start</i>?

00:00:04.000 --> 00:00:06.000
<v.loud P3>I think
so.
<v Moderator>Good.

00:01:06.000 --> 00:01:07.250
Moderator: and so on
"""


def test_vtt_voice_tags_name_speakers_and_cues_of_one_speaker_merge_keeping_times(tmp_path):
    source = read_transcript(write(tmp_path, "fg4.vtt", VTT), speakers={"Ana Ruiz": "P03"})
    assert source.text == ("Ana Ruiz: Hello & welcome. Shall we start?\nP3: I think so.\n"
                           "Moderator: Good. and so on")
    assert [(t.speaker, t.participant, t.begin_seconds, t.end_seconds) for t in source.turns] \
        == [("Ana Ruiz", "P03", 1.0, 4.0), ("P3", "", 4.0, 6.0), ("Moderator", "", 4.0, 67.25)]
    assert lines_of(source) == source.text.split("\n")
    assert source.origin == "fg4.vtt (vtt)"


def test_vtt_cues_without_a_speaker_keep_a_line_and_their_times_each(tmp_path):
    content = ("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nFirst.\n\n"
               "00:00:03.000 --> 00:00:04.000\nSecond.\n")
    source = read_transcript(write(tmp_path, "fg.vtt", content))
    assert [(source.text[t.start:t.end], t.speaker, t.begin_seconds) for t in source.turns] == [
        ("First.", "", 1.0), ("Second.", "", 3.0)]


def test_a_vtt_cue_with_a_bad_timing_is_named_by_line_and_cue(tmp_path):
    content = ("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nfine\n\n"
               "00:00:0x.000 --> 00:00:03.000\nbroken\n")
    with pytest.raises(QualError, match=r"fg\.vtt: line 6 \(cue 2\): '00:00:0x\.000 -->"):
        read_transcript(write(tmp_path, "fg.vtt", content))


def test_a_vtt_cue_that_ends_before_it_begins_is_named(tmp_path):
    content = "WEBVTT\n\n00:00:05.000 --> 00:00:04.000\nback\n"
    with pytest.raises(QualError, match=r"fg\.vtt: line 3 \(cue 1\): the cue ends"):
        read_transcript(write(tmp_path, "fg.vtt", content))


def test_a_vtt_file_without_its_header_is_named(tmp_path):
    with pytest.raises(QualError, match=r"fg\.vtt: line 1: a WebVTT file starts with 'WEBVTT'"):
        read_transcript(write(tmp_path, "fg.vtt", "00:00:01.000 --> 00:00:02.000\nhi\n"))


SRT = """\
1
00:00:01,000 --> 00:00:02,500
Moderator: Hello <i>there</i>,
everyone.

2
00:00:03,000 --> 00:00:04,000
Ana: Hi.

3
00:00:04,000 --> 00:00:05,500
Ana: Me again,

4
00:00:05,500 --> 00:00:06,000
still me.
"""


def test_srt_leading_labels_name_speakers_and_timestamps_are_kept(tmp_path):
    source = read_transcript(write(tmp_path, "fg5.srt", SRT))
    assert source.text == "Moderator: Hello there, everyone.\nAna: Hi. Me again, still me."
    assert [(t.speaker, t.begin_seconds, t.end_seconds) for t in source.turns] == [
        ("Moderator", 1.0, 2.5), ("Ana", 3.0, 6.0)]
    assert source.origin == "fg5.srt (srt)"


def test_a_broken_srt_is_named_by_line(tmp_path):
    with pytest.raises(QualError, match=r"fg\.srt: line 1: not a SubRip cue"):
        read_transcript(write(tmp_path, "fg.srt", "hello there\n"))
    content = "1\n00:00:01,000 --> 00:00:02,000\nok\n\n2\n00:0x --> 1\nx\n"
    with pytest.raises(QualError, match=r"fg\.srt: line 6 \(cue 2\): '00:0x --> 1'"):
        read_transcript(write(tmp_path, "fg.srt", content))


# --- many files and labels --------------------------------------------------------------------


def test_speaker_labels_are_the_distinct_labels_in_order_of_appearance(tmp_path):
    path = write(tmp_path, "fg2.txt", FOCUS_GROUP)
    expected = ["Moderator", "P3", "Ana Ruiz", "[PARTICIPANT 4]"]
    assert speaker_labels(path) == expected
    assert speaker_labels(read_transcript(path)) == expected


def test_read_sources_names_every_bad_file_at_once(tmp_path):
    good = write(tmp_path, "fg1.txt", "Moderator: Hi.\n")
    missing = tmp_path / "fg2.txt"
    broken = write(tmp_path, "fg3.vtt", "not webvtt\n")
    with pytest.raises(QualError) as error:
        read_sources([good, missing, broken])
    assert "fg2.txt: the file does not exist" in str(error.value)
    assert "fg3.vtt: line 1" in str(error.value)
    sources = read_sources([good], group={"fg1": "early career"})
    assert [(s.id, s.group) for s in sources] == [("fg1", "early career")]


def test_two_files_with_one_name_are_refused(tmp_path):
    (tmp_path / "a").mkdir()
    first = write(tmp_path, "fg1.txt", "Moderator: Hi.\n")
    second = write(tmp_path / "a", "fg1.vtt", "WEBVTT\n")
    with pytest.raises(QualError, match="source 'fg1' is already read"):
        read_sources([first, second])


# --- participants -----------------------------------------------------------------------------

PARTICIPANTS = """\
id,group,name,aliases,speaker,response,career_stage,sector,race_ethnicity,disability
P03,fg2,Ana Ruiz,Anita; Dr. Ruiz,Ana Ruiz;Ana,r-118,early,academia,white;hispanic,no
P04,fg2,Bo Chen,,P4,,trainee,,asian,yes
"""


def test_a_participants_file_gives_attributes_names_and_speaker_labels_apart(tmp_path):
    listed = read_participants(write(tmp_path, "people.csv", PARTICIPANTS))
    ana, bo = listed.participants
    assert (ana.id, ana.group, ana.response) == ("P03", "fg2", "r-118")
    assert ana.attributes == {"career_stage": "early", "sector": "academia",
                              "race_ethnicity": "hispanic;white", "disability": "no"}
    assert bo.attributes["sector"] == "unknown"  # blank: not collected
    assert listed.names == {"P03": ("Ana Ruiz", "Anita", "Dr. Ruiz"), "P04": ("Bo Chen",)}
    assert listed.speakers == {"P03": "P03", "Ana Ruiz": "P03", "Ana": "P03", "P04": "P04",
                               "P4": "P04"}
    assert "Ana Ruiz" not in repr(listed.participants)


def test_participant_speakers_resolve_transcript_labels(tmp_path):
    listed = read_participants(write(tmp_path, "people.csv", PARTICIPANTS))
    _, turns = text_turns("Ana: Hi.\nP4: Hello.\nP04: Me.", speakers=listed.speakers)
    assert [t.participant for t in turns] == ["P03", "P04", "P04"]


def test_every_unknown_column_or_code_is_named_by_file_line_column_and_value(tmp_path):
    content = ("id,group,career_stage,favourite_colour,country\n"
               "P1,fg1,postdoc,,us\n"
               "P2,fg1,early,,GB\n"
               "P1,fg1,early,,GB\n")
    with pytest.raises(QualError) as error:
        read_participants(write(tmp_path, "people.csv", content))
    message = str(error.value)
    assert "people.csv, line 1, column 'favourite_colour': not a column" in message
    assert "people.csv, line 2, column 'career_stage': 'postdoc' is not a career_stage" in message
    assert "people.csv, line 2, column 'country': 'us' is not a country code; write it in " \
        "upper case: 'US'" in message
    assert "people.csv, line 4, column 'id': 'P1' appears twice (first at line 2)" in message


def test_a_participants_file_without_id_or_group_is_refused(tmp_path):
    with pytest.raises(QualError, match=r"people\.csv, line 1: missing column 'group'"):
        read_participants(write(tmp_path, "people.csv", "id,career_stage\nP1,early\n"))


def test_a_speaker_label_of_two_participants_is_refused(tmp_path):
    content = "id,group,speaker\nP1,fg1,Ana\nP2,fg1,ana\n"
    with pytest.raises(QualError, match=r"line 3, column 'speaker': 'ana' is already the label "
                                        r"of P1 \(line 2\)"):
        read_participants(write(tmp_path, "people.csv", content))
    content = "id,group,speaker\nP1,fg1,P2\nP2,fg1,\n"
    with pytest.raises(QualError, match=r"line 2, column 'speaker': 'p2' is the id of another "
                                        r"participant, P2"):
        read_participants(write(tmp_path, "people.csv", content))


# --- open-text answers ------------------------------------------------------------------------


def test_each_non_blank_answer_is_a_source_with_its_respondent_as_participant():
    responses = pd.DataFrame({
        "response_id": [101, 102, 103, 104],
        "climate_text": ["  It was fine.  ", "", None, "Too few mentors."],
        "career_stage": ["early", "mid", "senior", None],
    })
    sources, participants = open_text_sources(responses, "climate_text", id_column="response_id",
                                              attributes=["career_stage"], group="wave-2024")
    assert [(s.id, s.text, s.kind, s.group) for s in sources] == [
        ("climate_text-101", "It was fine.", "open_text", "wave-2024"),
        ("climate_text-104", "Too few mentors.", "open_text", "wave-2024")]
    assert [(t.participant, t.start, t.end) for t in sources[1].turns] == [("R104", 0, 16)]
    assert [(p.id, p.response, dict(p.attributes)) for p in participants] == [
        ("R101", "101", {"career_stage": "early"}), ("R104", "104", {"career_stage": "unknown"})]


def test_open_text_attributes_must_be_standard_codes_named_with_their_responses():
    responses = pd.DataFrame({"id": ["a", "b", "c"], "text": ["x", "y", "z"],
                              "career_stage": ["early", "postdoc", "postdoc"]})
    with pytest.raises(QualError, match=r"column 'career_stage': 'postdoc' is not a career_stage "
                                        r"code .*in 2 answer\(s\) \(responses b, c\)"):
        open_text_sources(responses, "text", id_column="id", attributes=["career_stage"])
    with pytest.raises(QualError, match="'hobby' is not a dimension"):
        open_text_sources(responses.assign(hobby="x"), "text", id_column="id",
                          attributes=["hobby"])


def test_open_text_response_ids_must_be_unique():
    responses = pd.DataFrame({"id": [1, 1], "text": ["x", "y"]})
    with pytest.raises(QualError, match="response id.*'1' appear more than once"):
        open_text_sources(responses, "text", id_column="id")


def test_fifty_thousand_answers_import_with_their_attributes():
    rows = 50_000
    stages = np.array(["early", "mid", "senior", "student"], dtype=object)
    answers = np.where(np.arange(rows) % 5 == 0, "", "The mentoring " + pd.Series(
        np.arange(rows)).astype(str).to_numpy(dtype=object))
    responses = pd.DataFrame({"rid": np.arange(rows), "comment": answers,
                              "career_stage": stages[np.arange(rows) % 4],
                              "sector": "academia"})
    sources, participants = open_text_sources(responses, "comment", id_column="rid",
                                              attributes=("career_stage", "sector"), prefix="S")
    assert len(sources) == len(participants) == rows - rows // 5
    last = sources[-1]
    assert (last.id, last.text, last.turns[0].end) == (
        "comment-49999", "The mentoring 49999", len("The mentoring 49999"))
    assert participants[-1].attributes == {"career_stage": "student", "sector": "academia"}
    assert participants[-1].id == "S49999"


# --- fuzzing ----------------------------------------------------------------------------------

LABELS = ["Moderator", "Ana", "P3", "[PARTICIPANT 2]", "Note", "Dr. Ana Ruiz", "10", "x y"]
WORDS = st.sampled_from(["hello", "it", "was", ":", "10:30", "Note:", " ", "[", "]", "é",
                         "e\u0301", "\t", "\r", "Ana:", "P3:"])
LINES = st.one_of(
    st.tuples(st.sampled_from(LABELS), st.sampled_from([":", ": ", " :", ":\t"]),
              st.lists(WORDS, max_size=6)).map(lambda t: t[0] + t[1] + "".join(t[2])),
    st.lists(WORDS, max_size=8).map("".join),
    st.text(max_size=30),
)
SPEAKERS = {"Ana": "P01", "Dr. Ana Ruiz": "P01"}


@settings(max_examples=150, deadline=None)
@given(st.lists(LINES, max_size=12))
def test_text_turns_never_overlap_lie_inside_the_text_and_cover_each_labelled_line(lines):
    text, turns = text_turns("\n".join(lines), speakers=SPEAKERS)
    previous_end = -1
    for turn in turns:
        assert previous_end < turn.start < turn.end <= len(text)
        previous_end = turn.end
        covered = text[turn.start:turn.end]
        assert turn.speaker in covered
        if turn.begin_seconds is None:
            assert covered.startswith(turn.speaker)
        line_end = text.find("\n", turn.start)
        first_line = text[turn.start:line_end if line_end >= 0 else len(text)]
        assert covered.startswith(first_line.rstrip())
    # Every line that starts with a label given in `speakers` starts a turn.
    starts = {turn.start for turn in turns}
    offset = 0
    for line in text.split("\n"):
        stripped = line.lstrip()
        for label in SPEAKERS:
            rest = stripped[len(label) + 1:]
            if stripped.startswith(label + ":") and (not rest or rest[0].isspace()):
                assert offset + len(line) - len(stripped) in starts
        offset += len(line) + 1


def cue_text(speaker, words):
    return (f"{speaker}: " if speaker else "") + words


CUES = st.lists(st.tuples(
    st.sampled_from(["", "Moderator", "Ana", "<v Ana Ruiz>", "<v P3>"]),
    st.text(st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp"),
                          blacklist_characters="<>&-"), max_size=20),
    st.integers(0, 10_000), st.integers(0, 3_000)), max_size=8)


def _timestamp(milliseconds, separator):
    hours, rest = divmod(milliseconds, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, millis = divmod(rest, 1000)
    return f"{hours:02}:{minutes:02}:{seconds:02}{separator}{millis:03}"


fuzz_file_numbers = itertools.count()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(CUES, st.sampled_from(["vtt", "srt"]))
def test_subtitle_turns_are_consecutive_lines_with_their_speakers_and_times(tmp_path_factory,
                                                                            cues, format_):
    blocks = []
    for number, (speaker, words, start, length) in enumerate(cues, start=1):
        separator = "." if format_ == "vtt" else ","
        timing = f"{_timestamp(start, separator)} --> {_timestamp(start + length, separator)}"
        if speaker.startswith("<v"):
            body = speaker + (words.strip() or "x")
        else:
            body = cue_text(speaker, words.strip() or "x")
        blocks.append(f"{number}\n{timing}\n{body}\n")
    content = ("WEBVTT\n\n" if format_ == "vtt" else "") + "\n".join(blocks)
    path = tmp_path_factory.getbasetemp() / f"fuzz{next(fuzz_file_numbers)}.{format_}"
    path.write_text(content, encoding="utf-8")
    source = read_transcript(path)
    assert lines_of(source) == (source.text.split("\n") if source.text else [])
    for turn in source.turns:
        assert turn.start < turn.end
        assert source.text[turn.start:turn.end].startswith(turn.speaker)
        assert turn.begin_seconds <= turn.end_seconds


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=200), st.sampled_from(["vtt", "srt", "txt", "docx"]))
def test_any_bytes_give_a_source_or_a_qual_error_never_a_crash(tmp_path_factory, data, format_):
    path = tmp_path_factory.getbasetemp() / f"bytes{next(fuzz_file_numbers)}.{format_}"
    path.write_bytes(data)
    try:
        source = read_transcript(path)
    except QualError:
        return
    previous_end = -1
    for turn in source.turns:
        assert previous_end < turn.start < turn.end <= len(source.text)
        previous_end = turn.end


@settings(max_examples=100, deadline=None)
@given(st.text(st.sampled_from(list("WEBVT0123:.-> \n<v>Ana,&;")), max_size=120),
       st.sampled_from(["vtt", "srt"]))
def test_malformed_subtitles_give_a_qual_error_never_a_crash(tmp_path_factory, body, format_):
    path = tmp_path_factory.getbasetemp() / f"text{next(fuzz_file_numbers)}.{format_}"
    path.write_text(("WEBVTT\n\n" if format_ == "vtt" else "") + body, encoding="utf-8")
    with contextlib.suppress(QualError):
        read_transcript(path)
