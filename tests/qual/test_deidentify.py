"""De-identification: what identifies a person is found, replaced by role tags, kept apart."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workforce.qual.codings import Coding, QualError
from workforce.qual.deidentify import (
    IdentifyingList,
    deidentify,
    deidentify_project,
    find_identifiers,
    participant_tags,
    read_identifying_list,
)
from workforce.qual.project import Code, Memo, Participant, QualProject, Source
from workforce.qual.sources import text_turns

PEOPLE = IdentifyingList(
    names={"P01": ("Bo Chen",), "P02": ("Mark Young",), "P03": ("Ana Ruiz", "Anita")},
    institutions=("University of Utah", "Broad Institute"),
    places=("Salt Lake City", "Utah"),
    other=("Genome Club",),
)
TAGS = participant_tags(["P01", "P02", "P03"])


def found(text, identifying=PEOPLE):
    return [(f.kind, f.value, f.participant) for f in find_identifiers(text, identifying)]


def scrubbed(text, identifying=PEOPLE):
    return deidentify(Source("s", text), identifying, tags=TAGS)[0].text


# --- finding ----------------------------------------------------------------------------------


def test_a_full_name_is_replaced_by_the_participants_tag():
    assert scrubbed("I spoke with Ana Ruiz today.") == "I spoke with [PARTICIPANT 3] today."


def test_surname_alone_is_replaced_by_the_participants_tag_title_and_all():
    assert found("Dr. Ruiz agreed, and Ruiz said so.") == [
        ("name", "Dr. Ruiz", "P03"), ("name", "Ruiz", "P03")]
    assert scrubbed("Dr. Ruiz agreed.") == "[PARTICIPANT 3] agreed."


def test_first_name_and_alias_alone_are_replaced_and_a_possessive_keeps_its_s():
    assert scrubbed("Ana's lab and Anita’s office") == "[PARTICIPANT 3]'s lab and " \
                                                      "[PARTICIPANT 3]’s office"


def test_a_name_inside_a_longer_word_is_not_taken_but_one_glued_to_a_digit_or_underscore_is():
    assert found("Banana and Anastasia and Chenille") == []
    assert found("ana_ruiz and Chen2") == [
        ("name", "ana", "P03"), ("name", "ruiz", "P03"), ("name", "Chen", "P01")]


def test_a_name_part_that_is_a_common_word_is_taken_only_when_capitalized():
    assert found("Mark said young people mark their time; YOUNG too.") == [
        ("name", "Mark", "P02"), ("name", "YOUNG", "P02")]


def test_a_name_typed_without_its_accents_is_found_and_the_other_way_round():
    accented = IdentifyingList(names={"P04": ("José García",), "P05": ("Rene Lopez",)})
    assert found("Jose Garcia met René López", accented) == [
        ("name", "Jose Garcia", "P04"), ("name", "René López", "P05")]


def test_a_name_part_shared_by_two_participants_gets_an_unnumbered_tag():
    twins = IdentifyingList(names={"P01": ("Ana Ruiz",), "P02": ("Ana Lopez",)})
    source, _ = deidentify(Source("s", "Ana said so to Ana Lopez."), twins)
    assert source.text == "[PARTICIPANT] said so to [PARTICIPANT 2]."


def test_emails_and_phone_numbers_in_usual_formats_are_replaced():
    text = ("Write to ana.ruiz+lab@utah.edu or call (555) 123-4567, 555.123.4567, "
            "+1 555 123 4567, +44 20 7946 0958 or 020 7946 0958.")
    assert scrubbed(text) == ("Write to [EMAIL] or call [PHONE], [PHONE], [PHONE], [PHONE] "
                              "or [PHONE].")


def test_years_ranges_counts_and_times_are_not_taken_for_phone_numbers():
    text = ("In 2019 and 2019-2021, 4,367 of 13,431 members (32.5%) met at 10:30 on "
            "2024-05-12; 2019 2020 2021 were the waves, with 1234567 page views.")
    assert found(text) == []


def test_an_institution_listed_in_mixed_case_is_found_in_any_case():
    assert found("She moved to the UNIVERSITY OF utah and then to broad institute.") == [
        ("institution", "UNIVERSITY OF utah", ""), ("institution", "broad institute", "")]


def test_the_longest_match_wins_where_terms_overlap():
    # "Utah" is a place on its own, but here part of the institution's name.
    assert scrubbed("the University of Utah in Salt Lake City, Utah") == \
        "the [INSTITUTION] in [PLACE], [PLACE]"


def test_other_terms_are_redacted_and_spaces_of_any_width_match():
    assert scrubbed("the Genome   Club met in Salt\u00a0Lake City") == \
        "the [REDACTED] met in [PLACE]"


def test_a_name_never_spans_two_lines():
    assert found("Ana\nRuiz") == [("name", "Ana", "P03"), ("name", "Ruiz", "P03")]


def test_offsets_are_in_the_text_as_given_even_when_it_is_not_in_nfc_form():
    text = "Jose\u0301 Garci\u0301a said"
    accented = IdentifyingList(names={"P04": ("José García",)})
    (identifier,) = find_identifiers(text, accented)
    assert (identifier.start, identifier.end, identifier.value) == (0, 13, text[:13])


def test_participant_tags_are_numbered_in_the_given_order_from_one():
    assert participant_tags(["P09", "P02", "P09", "P05"]) == {
        "P09": "[PARTICIPANT 1]", "P02": "[PARTICIPANT 2]", "P05": "[PARTICIPANT 3]"}


# --- replacing --------------------------------------------------------------------------------

TRANSCRIPT = """\
Moderator: Welcome. Ana, would you start?
Ana Ruiz: Sure. Bo Chen and I run the Genome Club
at the University of Utah; reach me at ana@utah.edu.
Bo Chen: Ana's right.
"""


def test_speaker_labels_that_are_names_become_tags_and_every_turn_stays_on_its_line():
    text, turns = text_turns(TRANSCRIPT, speakers={"Ana Ruiz": "P03", "Bo Chen": "P01"})
    source = Source("fg1", text, turns=turns, origin="fg1.txt (txt)")
    new, original = deidentify(source, PEOPLE, tags=TAGS)
    assert new.text == (
        "Moderator: Welcome. [PARTICIPANT 3], would you start?\n"
        "[PARTICIPANT 3]: Sure. [PARTICIPANT 1] and I run the [REDACTED]\n"
        "at the [INSTITUTION]; reach me at [EMAIL].\n"
        "[PARTICIPANT 1]: [PARTICIPANT 3]'s right.\n")
    assert new.deidentified and not source.deidentified
    assert [t.speaker for t in new.turns] == ["Moderator", "[PARTICIPANT 3]", "[PARTICIPANT 1]"]
    assert [t.participant for t in new.turns] == ["", "P03", "P01"]
    assert [new.text[t.start:t.end] for t in new.turns] == [
        "Moderator: Welcome. [PARTICIPANT 3], would you start?",
        "[PARTICIPANT 3]: Sure. [PARTICIPANT 1] and I run the [REDACTED]\n"
        "at the [INSTITUTION]; reach me at [EMAIL].",
        "[PARTICIPANT 1]: [PARTICIPANT 3]'s right."]
    assert original.text == text and original.source == "fg1"


def test_a_label_a_turn_gives_a_participant_is_one_of_their_names_unless_a_role_or_code():
    text, turns = text_turns("Nita: Hello.\nP4: Hi Nita.\nModerator: Hi all.",
                             speakers={"Nita": "P03", "P4": "P04"})
    new, _ = deidentify(Source("fg1", text, turns=turns), PEOPLE,
                        tags={**TAGS, "P04": "[PARTICIPANT 4]"})
    assert new.text == ("[PARTICIPANT 3]: Hello.\nP4: Hi [PARTICIPANT 3].\n"
                        "Moderator: Hi all.")
    assert [t.speaker for t in new.turns] == ["[PARTICIPANT 3]", "P4", "Moderator"]


def test_the_original_keeps_every_replacement_for_the_lead():
    _, original = deidentify(Source("s", "Hi Ana, mail ana@x.org"), PEOPLE, tags=TAGS)
    assert [(r.original_start, r.original_end, r.start, r.end, r.kind, r.value, r.participant)
            for r in original.replacements] == [
        (3, 6, 3, 18, "name", "Ana", "P03"), (13, 22, 25, 32, "email", "ana@x.org", "")]


def test_offsets_map_back_to_the_original_and_forth():
    text = "Hi Ana Ruiz, said Chen. Bye."
    new, original = deidentify(Source("s", text), PEOPLE, tags=TAGS)
    assert new.text == "Hi [PARTICIPANT 3], said [PARTICIPANT 1]. Bye."
    for position, character in enumerate(new.text):
        inside_a_tag = any(r.start <= position < r.end for r in original.replacements)
        if not inside_a_tag:
            assert text[original.to_original(position)] == character
            assert original.to_deidentified(original.to_original(position)) == position
    tag = original.replacements[0]
    assert original.to_original(tag.start + 4) == tag.original_start
    assert original.to_original(tag.start + 4, end=True) == tag.original_end
    assert original.to_original(len(new.text)) == len(text)
    start = new.text.index("said")
    assert original.original_passage(start, len(new.text)) == "said Chen. Bye."
    assert original.original_passage(5, 10) == "Ana Ruiz"


def test_a_name_of_a_participant_without_a_tag_is_refused():
    with pytest.raises(QualError, match="participant 'P03' is named in the text but has no tag"):
        deidentify(Source("s", "Ana said"), PEOPLE, tags={"P01": "[PARTICIPANT 1]"})


def test_a_project_is_deidentified_with_one_numbering_and_its_codings_move_with_the_text():
    project = QualProject(
        name="climate",
        participants=(Participant("P03", "fg1"), Participant("P01", "fg1")),
        sources=(Source("fg1", "Bo Chen: I like it.\nAna Ruiz: Me too."),
                 Source("fg2", "Anita: no names here")),
    ).with_codebook([Code("liking", "Liking")])
    project = project.with_codings([Coding("fg1", "kim", "liking", 9, 19),
                                    Coding("fg1", "kim", "liking", 20, 37)])
    project = replace(project, memos=(Memo("m1", "kim", "note", "segment", "fg1", 20, 28),))
    new, originals = deidentify_project(project, PEOPLE)
    fg1 = new.source("fg1")
    assert fg1.text == "[PARTICIPANT 2]: I like it.\n[PARTICIPANT 1]: Me too."
    assert new.source("fg2").text == "[PARTICIPANT 1]: no names here"
    assert [fg1.text[c.start:c.end] for c in new.codings] == [
        "I like it.", "[PARTICIPANT 1]: Me too."]
    assert fg1.text[new.memos[0].start:new.memos[0].end] == "[PARTICIPANT 1]"
    assert originals["fg1"].text == project.source("fg1").text
    new.check()


# --- the identifying list ---------------------------------------------------------------------


def test_an_identifying_list_is_read_from_yaml_and_takes_the_participants_names(tmp_path):
    path = tmp_path / "identifying.yaml"
    path.write_text("institutions: [University of Utah]\nplaces:\n  - Salt Lake City\n"
                    "other: [Genome Club]\nnames:\n  P03: Ana Ruiz\n  P01: [Bo Chen, Bobo]\n",
                    encoding="utf-8")
    identifying = read_identifying_list(path).with_names({"P03": ["Anita"], "P07": ["Zoe Li"]})
    assert identifying.institutions == ("University of Utah",)
    assert identifying.places == ("Salt Lake City",)
    assert identifying.other == ("Genome Club",)
    assert dict(identifying.names) == {"P03": ("Ana Ruiz", "Anita"), "P01": ("Bo Chen", "Bobo"),
                                       "P07": ("Zoe Li",)}


def test_a_bad_identifying_list_is_named_by_file_and_key(tmp_path):
    path = tmp_path / "identifying.yaml"
    path.write_text("institutions: Utah\nplaces: {a: 1}\nstaff: [Kim]\nother: ['', 3]\n",
                    encoding="utf-8")
    with pytest.raises(QualError) as error:
        read_identifying_list(path)
    message = str(error.value)
    assert "identifying.yaml, key 'places': a list of terms, not dict" in message
    assert "identifying.yaml, key 'staff': not a key of an identifying list" in message
    assert "identifying.yaml, key other[0]: '' is not a term" in message
    path.write_text("places: [unclosed\n", encoding="utf-8")
    with pytest.raises(QualError, match=r"identifying\.yaml: line 2: not readable YAML"):
        read_identifying_list(path)
    with pytest.raises(QualError, match="does not exist"):
        read_identifying_list(tmp_path / "missing.yaml")


# --- fuzzing ----------------------------------------------------------------------------------

FRAGMENTS = st.sampled_from([
    "Ana", "Ruiz", "Ana Ruiz", "Dr. Ruiz", "Ana's", "Bo Chen", "Chen", "Mark", "mark", "Anita",
    "University of Utah", "utah", "Salt Lake City", "ana@utah.edu", "(555) 123-4567",
    "2019", "Banana", " ", "\n", ", ", ".", "said", "é", "x", "1", "-", "'"])


@settings(max_examples=150, deadline=None)
@given(st.lists(FRAGMENTS, max_size=25).map("".join))
def test_no_listed_term_survives_and_every_kept_character_maps_back(text):
    source = Source("s", text)
    new, original = deidentify(source, PEOPLE, tags=TAGS)
    assert find_identifiers(new.text, PEOPLE) == []
    previous_end = 0
    for replacement in original.replacements:
        assert previous_end <= replacement.original_start < replacement.original_end
        assert text[replacement.original_start:replacement.original_end] == replacement.value
        previous_end = replacement.original_end
    for position, character in enumerate(new.text):
        if not any(r.start <= position < r.end for r in original.replacements):
            assert text[original.to_original(position)] == character
    assert original.to_original(len(new.text)) == len(text)
