"""Synthetic open-text survey comments, assembled from sentence templates on six themes.

Every sentence below was written for this generator: no real quotes, no names. A comment is
one or two theme sentences and sometimes a closing line; which themes a respondent writes
about depends on what they reported (harassment, a cold climate, being a trainee), so coding
the comments later finds the same gaps the numbers show. The themes each comment was built
from are returned too, as the truth for qualitative coding.
"""

from __future__ import annotations

import numpy as np

from workforce.synth.randomness import draw_index

THEMES = {
    "mentorship": (
        "My mentor has been generous with time and advice, and it made all the difference.",
        "I have never had a formal mentor, and it shows in how slowly I have advanced.",
        "Mentoring in {place} depends too much on luck.",
        "A structured mentoring program would have helped me in my first years.",
        "Senior colleagues rarely have time to mentor people at my stage.",
        "Peer mentoring groups have been more useful to me than any formal program.",
    ),
    "pay": (
        "Salaries have not kept up with the cost of living where I work.",
        "Trainee pay makes it hard to stay in the field.",
        "I know colleagues doing the same work for noticeably more pay.",
        "Pay in {place} is fair, but raises are unpredictable.",
        "Student debt weighs on every career decision I make.",
        "Pay transparency would go a long way in {place}.",
    ),
    "belonging": (
        "I often feel like an outsider at the annual meeting.",
        "I feel welcome in {place} and at conferences.",
        "People like me are rarely seen in leadership here.",
        "Small everyday comments add up and make me feel I do not belong.",
        "Affinity groups have helped me find my people in this field.",
        "I sometimes wonder whether there is a place for me in this profession.",
    ),
    "harassment": (
        "I have heard sexist remarks in {place}, and nobody said anything.",
        "Reporting inappropriate behavior felt risky for my career.",
        "The reporting process was slow and left me feeling exposed.",
        "A senior person's conduct at a conference made me avoid later meetings.",
        "Bystander training would help; most people do not know what to do.",
        "I was excluded from projects after I raised a concern.",
    ),
    "flexibility": (
        "Remote work has made it possible for me to stay in the profession.",
        "Caregiving responsibilities are not accommodated in {place}.",
        "Flexible hours matter more to me than a higher salary.",
        "Parental leave policies here lag behind other fields.",
        "Clinic schedules leave little room for family obligations.",
        "Part-time options would keep experienced people in the workforce.",
    ),
    "career_pathways": (
        "It is unclear how to move from a training position into a permanent one.",
        "Industry jobs are attractive, but moving there feels like leaving the field behind.",
        "There are too few positions for the number of people we train.",
        "Promotion criteria in {place} are not written down anywhere.",
        "Career advice rarely covers paths outside academia.",
        "Certification requirements slowed my entry into the workforce.",
    ),
}
THEME_NAMES = tuple(sorted(THEMES))  # sorted, so a pair of themes joins in code order
CLOSINGS = (
    "Thank you for running this survey.",
    "I hope the results lead to real change.",
    "Happy to talk more about this.",
    "",
)
PLACE_BY_SECTOR = {
    "academia": "my department",
    "clinical": "my clinic",
    "government": "my agency",
    "industry": "my company",
    "policy": "my organization",
}


def theme_weights(
    *,
    student_or_trainee: np.ndarray,
    early: np.ndarray,
    woman: np.ndarray,
    harassed: np.ndarray,
    low_belonging: np.ndarray,
) -> np.ndarray:
    """(respondents x themes) weights: what people write about follows what they report."""
    weights = np.ones((len(woman), len(THEME_NAMES)))
    column = {name: i for i, name in enumerate(THEME_NAMES)}
    weights[:, column["mentorship"]] += 1.5 * student_or_trainee + 0.5 * early
    weights[:, column["pay"]] += 1.5 * student_or_trainee
    weights[:, column["career_pathways"]] += 1.5 * student_or_trainee + 1.0 * early
    weights[:, column["flexibility"]] += 1.0 * woman
    weights[:, column["harassment"]] = 0.3 + 3.0 * harassed
    weights[:, column["belonging"]] += 2.5 * low_belonging
    return weights / weights.sum(axis=1, keepdims=True)


def write_comments(
    rng: np.random.Generator, writes: np.ndarray, sector: np.ndarray, weights: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Comment text ("" for those who wrote none) and the `;`-joined themes it was built on."""
    size = len(writes)
    places = (*PLACE_BY_SECTOR.values(), "my workplace")
    place = np.full(size, len(places) - 1)
    for position, sector_code in enumerate(PLACE_BY_SECTOR):
        place[sector == sector_code] = position
    # Every sentence in every kind of workplace, so a comment is picked, never formatted.
    per_theme = len(THEMES[THEME_NAMES[0]])
    sentences = np.array(
        [
            text.replace("{place}", where)
            for name in THEME_NAMES
            for text in THEMES[name]
            for where in places
        ],
        dtype=object,
    )

    def sentence(theme_index: np.ndarray) -> np.ndarray:
        pick = rng.integers(0, per_theme, size)
        return sentences[(theme_index * per_theme + pick) * len(places) + place]

    first = draw_index(rng, weights)
    second = draw_index(rng, weights)
    has_second = (rng.random(size) < 0.3) & (second != first)
    closing = np.array(CLOSINGS, dtype=object)[rng.integers(0, len(CLOSINGS), size)]
    closing = np.where(rng.random(size) < 0.3, closing, "")
    text = sentence(first)
    text = np.where(has_second, text + " " + sentence(second), text)
    text = np.where(closing != "", text + " " + closing, text)

    names = np.array(THEME_NAMES, dtype=object)
    low, high = np.minimum(first, second), np.maximum(first, second)
    pair_names = names[low] + ";" + names[high]  # theme names are in sorted order
    themes = np.where(has_second, pair_names, names[first])
    return np.where(writes, text, "").astype(object), np.where(writes, themes, "").astype(object)
