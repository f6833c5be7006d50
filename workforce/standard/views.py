"""Derived views of standard records: SPD-15 race tabulations, urm_nih, lgbtq, disability, ...

Every function takes pandas Series (or a DataFrame of the input columns) and returns a Series
of codes aligned with the input's index, computed without per-row Python: each input column is
factorized once, the rule runs on its few distinct values, and the results are spread back by
integer indexing. A million records take well under a second per view.

Conventions shared by all views:

- ``declined`` and ``unknown`` stay distinct. A view that cannot be decided is ``declined``
  when every input that could decide it was declined, ``unknown`` otherwise. The one
  exception is ``urm_nih``, where the standard folds declined into unknown.
- Inputs of one view are combined row by row by position (not by index label), and the
  result carries the first input's index.
- Blank or NaN input counts as ``unknown`` (not collected); a value that is not a code of its
  dimension raises ``ValueError`` (run ``validate_records`` first), because a view must never
  guess what a stray value meant.
- In ``race_ethnicity``, the coarse ``asian_or_pi`` and ``other`` each count as one category
  of their own: ``white;other`` is multiracial, as White plus Some Other Race is "Two or More
  Races" in Census tabulations.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import NamedTuple

import numpy as np
import pandas as pd

from workforce.standard.labels import normalize_label
from workforce.standard.loader import load_standard
from workforce.standard.model import DECLINED, MISSING_CODES, UNKNOWN, Dimension, Standard
from workforce.standard.records import string_column

YES = "yes"
NO = "no"
HISPANIC = "hispanic"
MENA = "mena"
WHITE = "white"
MULTIRACIAL = "multiracial"

# NIH NOT-OD-20-031: groups underrepresented in the biomedical research enterprise.
URM_NIH_CODES = frozenset({"black", HISPANIC, "aian", "nhpi"})
# A coarse source category that may or may not contain an underrepresented group (Pacific
# Islanders are, Asians are not), so it cannot decide urm_nih by itself.
URM_NIH_UNDECIDABLE = frozenset({"asian_or_pi"})

WG_DOMAINS = ("wg_seeing", "wg_hearing", "wg_walking", "wg_cognition", "wg_selfcare",
              "wg_communication")
WG_DISABLED = frozenset({"a_lot", "cannot"})  # the WG-SS recommended cut-off
WG_NOT_DISABLED = frozenset({"none", "some"})
DISADVANTAGED_ITEMS = ("dis_homeless", "dis_foster_care", "dis_free_lunch", "dis_first_gen",
                       "dis_pell", "dis_wic", "dis_rural_or_shortage")
DISADVANTAGED_THRESHOLD = 2  # NIH: two or more of the criteria

LGBTQ_ORIENTATIONS = frozenset({"gay_lesbian", "bisexual", "another"})
LGBTQ_GENDERS = frozenset({"nonbinary", "another"})
BINARY_GENDER_FOR_SEX = {"female": "woman", "male": "man"}

# Ages outside this range are treated as data errors (unknown), not as people.
MIN_PLAUSIBLE_AGE = 14
MAX_PLAUSIBLE_AGE = 110
AGE_BANDS = ((25, "under_25"), (35, "25_34"), (45, "35_44"), (55, "45_54"), (65, "55_64"),
             (None, "65_plus"))

_OUTCOMES = (YES, NO, DECLINED, UNKNOWN)
_YES, _NO, _DECLINED, _UNKNOWN = range(4)


# --- shared machinery -----------------------------------------------------------------------


def _as_series(values: object, name: str) -> pd.Series:
    if isinstance(values, pd.Series):
        return values
    if isinstance(values, pd.DataFrame):
        raise TypeError(f"{name}: expected one column (a Series), got a DataFrame")
    return pd.Series(values, name=name)


def _spread(codes: np.ndarray, results: list[str], index: pd.Index, name: str) -> pd.Series:
    """Results per distinct value (plus one for NaN, last) spread back over the rows."""
    # Factorize marks NaN as -1; modulo sends it to the last result, computed for NaN.
    return string_column(results, np.mod(codes, len(results)), index, name)


def _outcome_series(outcome: np.ndarray, index: pd.Index, name: str) -> pd.Series:
    return string_column(list(_OUTCOMES), outcome, index, name)


def _not_a_code(dimension: str, bad: Iterable[object]) -> ValueError:
    shown = ", ".join(repr(value) for value in list(bad)[:5])
    return ValueError(
        f"{dimension}: {shown} is not a code of the standard; map it at intake or run "
        "validate_records first (a derived view never guesses)"
    )


class _Coded:
    """One coded column, factorized: cheap membership tests over a million rows."""

    def __init__(self, values: object, dimension: Dimension) -> None:
        series = _as_series(values, dimension.name)
        self.index = series.index
        self._codes, uniques = pd.factorize(series, use_na_sentinel=True)
        labels = [_blank_to_unknown(value) for value in uniques]
        bad = [value for value in labels if not dimension.is_code(value)]
        if bad:
            raise _not_a_code(dimension.name, bad)
        self._labels = np.asarray([*labels, UNKNOWN], dtype=object)

    def isin(self, codes: Iterable[str]) -> np.ndarray:
        return np.isin(self._labels, list(codes))[self._codes]


def _blank_to_unknown(value: object) -> str:
    text = value if isinstance(value, str) else str(value)
    return text if text.strip() else UNKNOWN


def _same_length(view: str, *columns: _Coded | pd.Series) -> None:
    """Inputs are combined row by row, by position; they must be equally long."""
    lengths = {len(column.index) for column in columns}
    if len(lengths) > 1:
        raise ValueError(f"{view}: the inputs have different lengths {sorted(lengths)}")


def _undecided(coded: _Coded) -> tuple[np.ndarray, np.ndarray]:
    """(missing, declined) masks of one input."""
    return coded.isin(MISSING_CODES), coded.isin((DECLINED,))


def _columns(frame: pd.DataFrame, names: tuple[str, ...], view: str) -> list[pd.Series]:
    """The named input columns, or all columns in order when the frame has exactly that many."""
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"{view}: expected a DataFrame of {len(names)} columns")
    if all(name in frame.columns for name in names):
        return [frame[name] for name in names]
    if frame.shape[1] == len(names):
        return [frame.iloc[:, position] for position in range(len(names))]
    missing = [name for name in names if name not in frame.columns]
    raise KeyError(f"{view}: the frame lacks {', '.join(missing)}")


# --- race and ethnicity (SPD-15) --------------------------------------------------------------


class _RaceAnswer(NamedTuple):
    codes: frozenset[str]
    missing: str | None  # declined or unknown when no category was chosen


def _parse_race(value: object, dimension: Dimension, separator: str) -> _RaceAnswer:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return _RaceAnswer(frozenset(), UNKNOWN)
    text = value if isinstance(value, str) else str(value)
    parts = [part.strip() for part in text.split(separator) if part.strip()]
    bad = [part for part in parts if part not in dimension.code_set]
    if bad:
        raise _not_a_code(dimension.name, bad)
    chosen = frozenset(parts) - set(MISSING_CODES)
    if chosen:
        return _RaceAnswer(chosen, None)
    return _RaceAnswer(frozenset(), DECLINED if DECLINED in parts else UNKNOWN)


class _RaceColumn:
    """race_ethnicity factorized once, so every race view reads the same distinct answers."""

    def __init__(self, values: object, standard: Standard) -> None:
        series = _as_series(values, "race_ethnicity")
        dimension = standard.dimension("race_ethnicity")
        self.index = series.index
        self.categories = dimension.answer_codes
        self._codes, uniques = pd.factorize(series, use_na_sentinel=True)
        self._answers = [_parse_race(value, dimension, standard.multi_separator)
                         for value in uniques]
        self._answers.append(_RaceAnswer(frozenset(), UNKNOWN))

    def view(self, rule: Callable[[_RaceAnswer], str], name: str) -> pd.Series:
        return _spread(self._codes, [rule(answer) for answer in self._answers], self.index, name)

    def chosen(self, category: str) -> pd.arrays.BooleanArray:
        """Whether each row chose ``category``; <NA> where race_ethnicity is missing."""
        per_answer = np.array([category in answer.codes for answer in self._answers])
        missing = np.array([answer.missing is not None for answer in self._answers])
        return pd.arrays.BooleanArray(per_answer[self._codes], missing[self._codes])


def _alone(answer: _RaceAnswer) -> str:
    if answer.missing:
        return answer.missing
    return next(iter(answer.codes)) if len(answer.codes) == 1 else MULTIRACIAL


def _omb1997(answer: _RaceAnswer) -> str:
    if answer.missing:
        return answer.missing
    if HISPANIC in answer.codes:
        return HISPANIC
    # The 1997 standard counted Middle Eastern and North African people as White.
    races = {WHITE if code == MENA else code for code in answer.codes}
    return next(iter(races)) if len(races) == 1 else MULTIRACIAL


def _urm_nih(answer: _RaceAnswer) -> str:
    if answer.missing:
        return UNKNOWN
    if answer.codes & URM_NIH_CODES:
        return YES
    if answer.codes & URM_NIH_UNDECIDABLE:
        return UNKNOWN
    return NO


def _in_combination(category: str) -> Callable[[_RaceAnswer], str]:
    def rule(answer: _RaceAnswer) -> str:
        if answer.missing:
            return answer.missing
        return YES if category in answer.codes else NO

    return rule


def race_alone(race_ethnicity: pd.Series, standard: Standard | None = None) -> pd.Series:
    """SPD-15 "alone": the one category chosen, ``multiracial`` for two or more.

    Hispanic and White is ``multiracial``, not White; ``asian_or_pi`` alone stays
    ``asian_or_pi``; declined and unknown pass through.
    """
    standard = standard or load_standard()
    return _RaceColumn(race_ethnicity, standard).view(_alone, "race_alone")


def race_1997(race_ethnicity: pd.Series, standard: Standard | None = None) -> pd.Series:
    """The legacy 1997 view: ``hispanic`` of any race, then non-Hispanic race alone or multiracial.

    MENA counts within White, so ``mena;white`` is ``white`` and ``black;mena`` is
    ``multiracial``.
    """
    standard = standard or load_standard()
    return _RaceColumn(race_ethnicity, standard).view(_omb1997, "race_1997")


def urm_nih(race_ethnicity: pd.Series, standard: Standard | None = None) -> pd.Series:
    """NIH NOT-OD-20-031 racial and ethnic groups: ``yes``, ``no`` or ``unknown``.

    yes when any of black, hispanic, aian, nhpi was chosen; unknown when race_ethnicity is
    declined or unknown (as the standard says), and when only a coarse ``asian_or_pi`` could
    decide it; otherwise no.
    """
    standard = standard or load_standard()
    return _RaceColumn(race_ethnicity, standard).view(_urm_nih, "urm_nih")


def race_alone_or_in_combination(
    race_ethnicity: pd.Series, standard: Standard | None = None
) -> pd.DataFrame:
    """One nullable boolean column per category: chosen alone or with others.

    Rows whose race_ethnicity is declined or unknown are <NA> in every column, so a column's
    mean is the share among people who answered. ``derive_views`` adds the same tabulation as
    ``race_aic_<code>`` string columns that keep declined and unknown apart.
    """
    standard = standard or load_standard()
    race = _RaceColumn(race_ethnicity, standard)
    return pd.DataFrame({category: race.chosen(category) for category in race.categories},
                        index=race.index)


# --- gender, sexual orientation (NASEM 2022) ----------------------------------------------------


def transgender_from_sex_at_birth(
    sex_at_birth: pd.Series, gender: pd.Series, standard: Standard | None = None
) -> pd.Series:
    """Transgender status from sex assigned at birth and current gender (NASEM two-step).

    yes when a binary current gender differs from the sex assigned at birth (female and man,
    male and woman); no when they agree. A nonbinary or another gender is ``unknown``: the two
    answers alone do not say whether the person identifies as transgender. Sex at birth is
    read through the crosswalk (female/F, male/M, declined, unknown); any other value raises.
    """
    standard = standard or load_standard()
    gender_coded = _Coded(gender, standard.dimension("gender"))
    sex = _as_series(sex_at_birth, "sex_at_birth")
    _same_length("transgender_from_sex_at_birth", sex, gender_coded)
    sex_codes, sex_uniques = pd.factorize(sex, use_na_sentinel=True)
    table = standard.crosswalks.sex_at_birth
    sex_labels = [table.get(normalize_label(value)) for value in sex_uniques]
    bad = [value for value, code in zip(sex_uniques, sex_labels, strict=True) if code is None]
    if bad:
        raise ValueError(f"sex_at_birth: {bad[:5]!r} is not female, male, declined or unknown")
    sex_per_row = np.asarray([*sex_labels, UNKNOWN], dtype=object)

    def sex_is(codes: Iterable[str]) -> np.ndarray:
        return np.isin(sex_per_row, list(codes))[sex_codes]

    female, male = sex_is(("female",)), sex_is(("male",))
    woman, man = gender_coded.isin(("woman",)), gender_coded.isin(("man",))
    sex_missing, sex_declined = sex_is(MISSING_CODES), sex_is((DECLINED,))
    gender_missing, gender_declined = _undecided(gender_coded)

    outcome = np.full(len(sex), _UNKNOWN, dtype=np.int8)
    outcome[(~sex_missing | sex_declined) & (~gender_missing | gender_declined)] = _DECLINED
    outcome[gender_coded.isin(LGBTQ_GENDERS)] = _UNKNOWN
    outcome[(female & woman) | (male & man)] = _NO
    outcome[(female & man) | (male & woman)] = _YES
    return _outcome_series(outcome, gender_coded.index, "transgender")


def lgbtq(
    sexual_orientation: pd.Series, transgender: pd.Series, gender: pd.Series,
    standard: Standard | None = None,
) -> pd.Series:
    """LGBTQ: yes when any of orientation, transgender or gender says so; no when all three
    are known and none does; else declined when every undecided input was declined, else
    unknown (so a person known on only some items is unknown)."""
    standard = standard or load_standard()
    orientation = _Coded(sexual_orientation, standard.dimension("sexual_orientation"))
    trans = _Coded(transgender, standard.dimension("transgender"))
    identity = _Coded(gender, standard.dimension("gender"))
    _same_length("lgbtq", orientation, trans, identity)

    yes = (orientation.isin(LGBTQ_ORIENTATIONS) | trans.isin((YES,))
           | identity.isin(LGBTQ_GENDERS))
    no = orientation.isin(("straight",)) & trans.isin((NO,)) & identity.isin(("woman", "man"))
    only_declined_undecided = np.ones(len(yes), dtype=bool)
    for coded in (orientation, trans, identity):
        missing, declined = _undecided(coded)
        only_declined_undecided &= ~missing | declined

    outcome = np.full(len(yes), _UNKNOWN, dtype=np.int8)
    outcome[only_declined_undecided] = _DECLINED
    outcome[no] = _NO
    outcome[yes] = _YES
    return _outcome_series(outcome, orientation.index, "lgbtq")


# --- disability (Washington Group) and disadvantaged background (NIH) ------------------------


def disability(wg: pd.DataFrame, standard: Standard | None = None) -> pd.Series:
    """Washington Group disability: yes when any domain is a_lot or cannot; no when all six
    are none or some; else declined when every unanswered domain was declined, else unknown.

    ``wg`` holds the six ``wg_*`` columns (or exactly six columns, read in the standard's
    order). ``disability_self`` is never read.
    """
    standard = standard or load_standard()
    domains = [_Coded(column, standard.dimension(name))
               for column, name in zip(_columns(wg, WG_DOMAINS, "disability"), WG_DOMAINS,
                                       strict=True)]
    rows = len(wg)
    yes = np.zeros(rows, dtype=bool)
    no = np.ones(rows, dtype=bool)
    only_declined_unanswered = np.ones(rows, dtype=bool)
    for domain in domains:
        yes |= domain.isin(WG_DISABLED)
        no &= domain.isin(WG_NOT_DISABLED)
        missing, declined = _undecided(domain)
        only_declined_unanswered &= ~missing | declined

    outcome = np.full(rows, _UNKNOWN, dtype=np.int8)
    outcome[only_declined_unanswered] = _DECLINED
    outcome[no] = _NO
    outcome[yes] = _YES
    return _outcome_series(outcome, wg.index, "disability")


def disadvantaged(items: pd.DataFrame, standard: Standard | None = None) -> pd.Series:
    """NIH disadvantaged background: yes when two or more of the seven items are yes.

    no only when it cannot reach two: the yes answers plus the unanswered (declined or unknown)
    items number fewer than two. Otherwise declined when every unanswered item was declined,
    else unknown. ``items`` holds the seven ``dis_*`` columns (or exactly seven columns).
    """
    standard = standard or load_standard()
    coded = [_Coded(column, standard.dimension(name))
             for column, name in zip(_columns(items, DISADVANTAGED_ITEMS, "disadvantaged"),
                                     DISADVANTAGED_ITEMS, strict=True)]
    rows = len(items)
    yes_count = np.zeros(rows, dtype=np.int16)
    unanswered = np.zeros(rows, dtype=np.int16)
    declined_count = np.zeros(rows, dtype=np.int16)
    for item in coded:
        missing, declined = _undecided(item)
        yes_count += item.isin((YES,))
        unanswered += missing
        declined_count += declined

    outcome = np.full(rows, _UNKNOWN, dtype=np.int8)
    outcome[unanswered == declined_count] = _DECLINED
    outcome[yes_count + unanswered < DISADVANTAGED_THRESHOLD] = _NO
    outcome[yes_count >= DISADVANTAGED_THRESHOLD] = _YES
    return _outcome_series(outcome, items.index, "disadvantaged")


# --- age and geography ------------------------------------------------------------------------


def age_band(
    age: object = None, birth_year: object = None, year: object = None,
    standard: Standard | None = None,
) -> pd.Series | str:
    """The age band from age, or from birth year and the record's reference year.

    With a birth year the age is ``year - birth_year``, the age reached during the reference
    year (a person born in December is counted a year older than on January 1st). Age wins
    where both are given. Ages outside 14-110 and values that are not numbers are unknown;
    a value that is a "declined" label ("Prefer not to say") is declined. Scalars in, a
    scalar out; otherwise a Series aligned by position with the inputs (all the same length).
    """
    standard = standard or load_standard()
    if age is None and (birth_year is None or year is None):
        raise ValueError("age_band needs an age, or a birth year together with the record's year")
    given = [value for value in (age, birth_year, year) if value is not None]
    sequences = [value for value in given if isinstance(value, _SEQUENCE_TYPES)]
    scalar = not sequences
    index = next((value.index for value in given if isinstance(value, pd.Series)),
                 pd.RangeIndex(len(sequences[0]) if sequences else 1))

    def aligned(values: object) -> pd.Series:
        if not isinstance(values, _SEQUENCE_TYPES):
            return pd.Series([values] * len(index), index=index, dtype=object)
        flat = values.to_numpy() if isinstance(values, pd.Series) else list(values)
        if len(flat) != len(index):
            raise ValueError("age_band: age, birth_year and year must have the same length")
        return pd.Series(flat, index=index)

    def numbers(values: object) -> np.ndarray:
        if not isinstance(values, _SEQUENCE_TYPES):  # one value for every row
            number = pd.to_numeric(pd.Series([values], dtype=object), errors="coerce").iloc[0]
            return np.full(len(index), np.nan if pd.isna(number) else float(number))
        return pd.to_numeric(aligned(values), errors="coerce").to_numpy(dtype="float64")

    def declined_labels(values: object) -> np.ndarray:
        if not isinstance(values, _SEQUENCE_TYPES):
            return np.full(len(index), _declined_labels(pd.Series([values]), standard)[0])
        return _declined_labels(aligned(values), standard)

    years_old = np.full(len(index), np.nan)
    declined = np.zeros(len(index), dtype=bool)
    if age is not None:
        years_old = numbers(age)
        declined |= declined_labels(age)
    if birth_year is not None and year is not None:
        years_old = np.where(np.isnan(years_old), numbers(year) - numbers(birth_year), years_old)
        declined |= declined_labels(birth_year)

    whole_years = np.floor(years_old)
    plausible = (whole_years >= MIN_PLAUSIBLE_AGE) & (whole_years <= MAX_PLAUSIBLE_AGE)
    band_codes = [band for _upper, band in AGE_BANDS] + [DECLINED, UNKNOWN]
    positions = np.full(len(index), len(band_codes) - 1, dtype=np.int8)
    positions[declined & ~plausible] = len(band_codes) - 2
    lower = -np.inf
    for position, (upper, _band) in enumerate(AGE_BANDS):
        upper_bound = np.inf if upper is None else upper
        positions[plausible & (whole_years >= lower) & (whole_years < upper_bound)] = position
        lower = upper_bound
    if scalar:
        return band_codes[positions[0]]
    return string_column(band_codes, positions, index, "age_band")


_SEQUENCE_TYPES = (pd.Series, np.ndarray, list, tuple)


def _declined_labels(values: pd.Series, standard: Standard) -> np.ndarray:
    """True where a value is a label meaning declined ("Prefer not to say")."""
    if pd.api.types.is_numeric_dtype(values.dtype):
        return np.zeros(len(values), dtype=bool)
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    table = standard.synonyms["age_band"]
    is_declined = np.asarray(
        [table.get(normalize_label(value)) == DECLINED for value in uniques] + [False], dtype=bool
    )
    return is_declined[codes]


def us_region(state: object, standard: Standard | None = None) -> pd.Series | str:
    """The Census region of a U.S. state given by postal code or name, in any case or spacing.

    "ca", " California ", "CALIFORNIA" → west; "DC" and "Washington, D.C." → south. A declined
    label gives declined; blank, a territory or anything else not a state gives unknown.
    """
    standard = standard or load_standard()
    regions = standard.us_state_regions
    missing = standard.synonyms["us_region"]

    def region_of(value: object) -> str:
        if value is None or (not isinstance(value, str) and pd.isna(value)):
            return UNKNOWN
        normalized = normalize_label(value)
        region = regions.get(normalized)
        if region is not None:
            return region
        return DECLINED if missing.get(normalized) == DECLINED else UNKNOWN

    if not isinstance(state, _SEQUENCE_TYPES):
        return region_of(state)
    series = _as_series(state, "state")
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    return _spread(codes, [region_of(value) for value in uniques] + [UNKNOWN], series.index,
                   "us_region")


# --- everything at once -----------------------------------------------------------------------


def derive_views(records: pd.DataFrame, standard: Standard | None = None) -> pd.DataFrame:
    """A copy of standard records with every derived view added as a string column.

    Adds race_alone, race_1997, urm_nih, race_aic_<category> (yes/no/declined/unknown for each
    race_ethnicity category), lgbtq, disability and disadvantaged. Columns with those names
    are replaced.
    """
    standard = standard or load_standard()
    needed = ("race_ethnicity", "sexual_orientation", "transgender", "gender",
              *WG_DOMAINS, *DISADVANTAGED_ITEMS)
    absent = [column for column in needed if column not in records.columns]
    if absent:
        raise KeyError(f"derive_views needs the record columns {', '.join(absent)}")

    race = _RaceColumn(records["race_ethnicity"], standard)
    views = standard.views
    derived: dict[str, pd.Series] = {
        views["alone"].column: race.view(_alone, views["alone"].column),
        views["omb1997"].column: race.view(_omb1997, views["omb1997"].column),
        views["urm_nih"].column: race.view(_urm_nih, views["urm_nih"].column),
    }
    combination = views["alone_or_in_combination"]
    for category, column in zip(combination.code_list, combination.columns, strict=True):
        derived[column] = race.view(_in_combination(category), column)
    derived[views["lgbtq"].column] = lgbtq(
        records["sexual_orientation"], records["transgender"], records["gender"], standard
    )
    derived[views["disability"].column] = disability(records[list(WG_DOMAINS)], standard)
    derived[views["disadvantaged"].column] = disadvantaged(
        records[list(DISADVANTAGED_ITEMS)], standard
    )
    return records.assign(**derived)
