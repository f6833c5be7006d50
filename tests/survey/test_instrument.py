"""The instrument model: JSON round trip and combining the standard modules into one form."""

from __future__ import annotations

import json

import pytest

from workforce.survey.instrument import Choice, Instrument, Page, Question, combine, text_in


def _instrument(form_id: str, question: str, choices: tuple[Choice, ...]) -> Instrument:
    return Instrument(
        form_id=form_id,
        title=form_id.title(),
        version="1",
        languages=("en",),
        default_language="en",
        pages=(
            Page(
                name=f"{form_id}_page",
                labels={"en": "A page"},
                questions=(
                    Question(
                        name=question,
                        type="select_one",
                        labels={"en": "Which?"},
                        list_name="agree",
                        standard=None,
                    ),
                ),
            ),
        ),
        choices={"agree": choices},
    )


AGREE = (Choice("1", {"en": "Disagree"}), Choice("2", {"en": "Agree"}))


def test_an_instrument_survives_a_json_round_trip_unchanged():
    instrument = _instrument("climate", "belong", AGREE)
    data = json.loads(json.dumps(instrument.to_dict()))
    assert Instrument.from_dict(data) == instrument


def test_combined_modules_ask_every_page_in_order_with_shared_choice_lists():
    combined = combine(
        [_instrument("climate", "belong", AGREE), _instrument("harassment", "remarks", AGREE)],
        form_id="member_survey",
        title="Member survey",
        version="2026",
    )
    assert [page.name for page in combined.pages] == ["climate_page", "harassment_page"]
    assert [question.name for question in combined.questions] == ["belong", "remarks"]
    assert combined.choices == {"agree": AGREE}
    assert combined.form_id == "member_survey" and combined.version == "2026"


def test_combining_refuses_a_question_name_asked_by_two_modules():
    with pytest.raises(ValueError, match="'belong' is in both 'climate' and 'other'"):
        combine(
            [_instrument("climate", "belong", AGREE), _instrument("other", "belong", AGREE)],
            form_id="x",
            title="x",
            version="1",
        )


def test_combining_refuses_one_list_name_with_two_meanings():
    flipped = (Choice("1", {"en": "Agree"}), Choice("2", {"en": "Disagree"}))
    with pytest.raises(ValueError, match="choice list 'agree' differs"):
        combine(
            [_instrument("climate", "belong", AGREE), _instrument("other", "remarks", flipped)],
            form_id="x",
            title="x",
            version="1",
        )


def test_text_falls_back_to_the_unlabelled_text_then_any_language():
    assert text_in({"en": "Yes", "es": "Sí"}, "es") == "Sí"
    assert text_in({"default": "Yes", "es": "Sí"}, "fr") == "Yes"
    assert text_in({"es": "Sí"}, "fr") == "Sí"
    assert text_in({}, "fr") == ""
