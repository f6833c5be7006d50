"""The workforce data standard v1: codes as versioned data, with loader, checks and views.

Standard records are a pandas DataFrame with one string column per record column
(``load_standard().record_columns``); a multi-select value is its codes sorted and joined
with ``;``. See ``records`` for the conventions, ``views`` for the derived tabulations,
``crosswalks`` for mapping legacy data, ``validate`` for checking records and
``benchmarks`` for the reference populations.
"""

from workforce.standard.benchmarks import (
    NoBenchmarkError,
    ViewMismatchError,
    benchmark_for,
    benchmarks_for,
    get_benchmark,
    load_benchmarks,
    require_same_view,
)
from workforce.standard.crosswalks import (
    UnmappedValueError,
    cdc_category,
    cdc_detail,
    from_cdc,
    from_omb1997,
    match_label,
)
from workforce.standard.labels import normalize_label
from workforce.standard.loader import available_versions, load_standard, load_standard_from
from workforce.standard.model import (
    DECLINED,
    MISSING_CODES,
    MULTI_SEPARATOR,
    UNKNOWN,
    Benchmark,
    Code,
    Dimension,
    Standard,
    StandardDataError,
    StandardError,
    UnknownCodeError,
    UnknownDimensionError,
    View,
)
from workforce.standard.records import (
    empty_records,
    join_codes,
    order_columns,
    split_codes,
    string_column,
)
from workforce.standard.show import render_dimension, render_standard, show_standard
from workforce.standard.validate import (
    WHOLE_COLUMN,
    Violation,
    validate_records,
    validate_records_frame,
)
from workforce.standard.views import (
    age_band,
    derive_views,
    disability,
    disadvantaged,
    lgbtq,
    race_1997,
    race_alone,
    race_alone_or_in_combination,
    transgender_from_sex_at_birth,
    urm_nih,
    us_region,
)

__all__ = [
    "DECLINED",
    "MISSING_CODES",
    "MULTI_SEPARATOR",
    "UNKNOWN",
    "WHOLE_COLUMN",
    "Benchmark",
    "Code",
    "Dimension",
    "NoBenchmarkError",
    "Standard",
    "StandardDataError",
    "StandardError",
    "UnknownCodeError",
    "UnknownDimensionError",
    "UnmappedValueError",
    "View",
    "ViewMismatchError",
    "Violation",
    "age_band",
    "available_versions",
    "benchmark_for",
    "benchmarks_for",
    "cdc_category",
    "cdc_detail",
    "derive_views",
    "disability",
    "disadvantaged",
    "empty_records",
    "from_cdc",
    "from_omb1997",
    "get_benchmark",
    "join_codes",
    "lgbtq",
    "load_benchmarks",
    "load_standard",
    "load_standard_from",
    "match_label",
    "normalize_label",
    "order_columns",
    "race_1997",
    "race_alone",
    "race_alone_or_in_combination",
    "render_dimension",
    "render_standard",
    "require_same_view",
    "show_standard",
    "split_codes",
    "string_column",
    "transgender_from_sex_at_birth",
    "urm_nih",
    "us_region",
    "validate_records",
    "validate_records_frame",
]
