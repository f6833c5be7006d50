"""Country names, cities and employer names that the synthetic exports write as free text.

Cities are real place names (never people); every employer is an invented combination of a
template and a city. Accented names are here on purpose: the NSGC roster is written in
cp1252, and intake has to read "Asunción" and "Zürich" correctly.
"""

from __future__ import annotations

import numpy as np

from workforce.synth.codes import filled
from workforce.synth.randomness import draw_from

COUNTRY_NAMES = {
    "US": "United States",
    "CA": "Canada",
    "GB": "United Kingdom",
    "DE": "Germany",
    "NL": "Netherlands",
    "FR": "France",
    "IT": "Italy",
    "ES": "Spain",
    "AU": "Australia",
    "CH": "Switzerland",
    "SE": "Sweden",
    "IL": "Israel",
    "CN": "China",
    "JP": "Japan",
    "IN": "India",
    "KR": "Korea, Republic of",
    "SG": "Singapore",
    "NG": "Nigeria",
    "ZA": "South Africa",
    "KE": "Kenya",
    "MX": "Mexico",
    "BR": "Brazil",
    "CO": "Colombia",
    "PY": "Paraguay",
    "AR": "Argentina",
    "CL": "Chile",
    "IR": "Iran",
    "EG": "Egypt",
    "LB": "Lebanon",
    "SA": "Saudi Arabia",
    "TR": "Turkey",
}
# Names members typed in their own language in the NSGC roster.
LOCAL_COUNTRY_NAMES = {
    "MX": "México",
    "BR": "Brasil",
    "ES": "España",
    "DE": "Deutschland",
    "CH": "Schweiz",
    "PY": "Paraguay",
    "CO": "Colombia",
    "FR": "France",
}

PROVINCES = {
    "CA": ("Ontario", "Québec", "British Columbia", "Alberta", "Nova Scotia"),
    "AU": ("New South Wales", "Victoria", "Queensland", "Western Australia"),
}

CITIES = {
    "US": (
        "Springfield",
        "Riverside",
        "Fairview",
        "Madison",
        "Franklin",
        "Greenville",
        "Bristol",
        "Clinton",
        "Salem",
        "Georgetown",
        "Española",
        "Cañon City",
    ),
    "CA": ("Montréal", "Québec", "Toronto", "Vancouver"),
    "MX": ("Mérida", "Querétaro", "Monterrey"),
    "BR": ("São Paulo", "Belém", "Curitiba"),
    "PY": ("Asunción", "Encarnación"),
    "CO": ("Bogotá", "Medellín"),
    "AR": ("Córdoba", "Rosario"),
    "CL": ("Valparaíso", "Concepción"),
    "ES": ("Málaga", "Córdoba", "León"),
    "DE": ("Köln", "München", "Lübeck"),
    "CH": ("Zürich", "Genève"),
    "SE": ("Malmö", "Göteborg", "Umeå"),
    "FR": ("Besançon", "Orléans", "Nîmes"),
    "GB": ("Leeds", "Bristol"),
    "NL": ("Utrecht", "Leiden"),
    "IT": ("Torino", "Padova"),
    "AU": ("Perth", "Adelaide"),
    "IL": ("Haifa",),
    "CN": ("Chengdu", "Wuhan"),
    "JP": ("Sendai", "Fukuoka"),
    "IN": ("Pune", "Chennai"),
    "KR": ("Daejeon",),
    "SG": ("Singapore",),
    "NG": ("Ibadan",),
    "ZA": ("Durban",),
    "KE": ("Nairobi",),
    "IR": ("Shiraz",),
    "EG": ("Alexandria",),
    "LB": ("Beirut",),
    "SA": ("Jeddah",),
    "TR": ("Izmir",),
}

LANGUAGE = {
    **{country: "es" for country in ("MX", "CO", "PY", "AR", "CL", "ES")},
    "BR": "pt",
    "FR": "fr",
    "DE": "de",
    "CH": "de",
}

EMPLOYER_TEMPLATES = {
    "en": {
        "academia": ("University of {city}", "{city} School of Medicine"),
        "clinical": (
            "{city} Medical Center",
            "{city} Children's Hospital",
            "Clínica Latina de {city}",
        ),
        "government": ("{city} Public Health Laboratory",),
        "industry": ("{city} Genomics Inc.", "{city} Diagnostics LLC"),
        "policy": ("{city} Rare Disease Foundation",),
        "other": ("Private practice", "Self-employed"),
    },
    "es": {
        "academia": ("Universidad de {city}",),
        "clinical": ("Clínica Genética {city}", "Hospital de Clínicas de {city}"),
        "government": ("Instituto Nacional de Salud, {city}",),
        "industry": ("Laboratorio Genómico {city}",),
        "policy": ("Fundación Genética {city}",),
        "other": ("Consulta privada",),
    },
    "pt": {
        "academia": ("Universidade de {city}",),
        "clinical": ("Clínica de Genética {city}",),
        "government": ("Laboratório Central de {city}",),
        "industry": ("Laboratório Genômico {city}",),
        "policy": ("Fundação Genética {city}",),
        "other": ("Consultório particular",),
    },
    "fr": {
        "academia": ("Université de {city}",),
        "clinical": ("Hôpital de {city}",),
        "government": ("Laboratoire régional de {city}",),
        "industry": ("Génomique {city} SA",),
        "policy": ("Fondation génétique de {city}",),
        "other": ("Cabinet privé",),
    },
    "de": {
        "academia": ("Universität {city}",),
        "clinical": ("Universitätsklinikum {city}",),
        "government": ("Landeslabor {city}",),
        "industry": ("Genetiklabor {city} GmbH",),
        "policy": ("Stiftung Genetik {city}",),
        "other": ("Privatpraxis",),
    },
}


def employers(rng: np.random.Generator, country: np.ndarray, sector: np.ndarray) -> np.ndarray:
    """An invented employer name per member, in the language of the member's country."""
    size = len(country)
    result = filled(size, "")
    for code in np.unique(country):
        in_country = country == code
        cities = CITIES.get(code, ("Capital City",))
        templates = EMPLOYER_TEMPLATES[LANGUAGE.get(code, "en")]
        for sector_code, options in templates.items():
            rows = np.flatnonzero(in_country & (sector == sector_code))
            if len(rows) == 0:
                continue
            names = np.array(
                [template.format(city=city) for template in options for city in cities],
                dtype=object,
            )
            result[rows] = names[draw_from(rng, np.ones(len(names)), len(rows))]
    return result


def provinces(rng: np.random.Generator, country: np.ndarray) -> np.ndarray:
    """State or province text for members outside the US ("" where the export has none)."""
    result = filled(len(country), "")
    for code, names in PROVINCES.items():
        rows = np.flatnonzero(country == code)
        result[rows] = np.array(names, dtype=object)[rng.integers(0, len(names), len(rows))]
    return result
