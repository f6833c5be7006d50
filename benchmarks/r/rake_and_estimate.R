# R side of the raking + domain-estimation benchmark.
#
# Usage:
#     Rscript benchmarks/r/rake_and_estimate.R DATA.csv MARGINS.csv OUT.json
#
# DATA.csv    columns: w (base weight), stage, sector, gender, region (the four
#             raking variables, strings), group (domain label, string), y (0/1)
# MARGINS.csv columns: variable, category, total (population margins; the
#             variables are raked in the order they first appear)
# OUT.json    timings, peak memory and the per-group estimates
#
# What is timed (elapsed seconds, system.time):
#   seconds_design   svydesign(id=~1, weights=~w, data=d)
#   seconds_rake     rake() on the four margins, control=list(maxit=100, epsilon=1e-7)
#                    (epsilon < 1 is relative to the total weight in R's rake)
#   seconds_estimate svyby(~y, ~group, design, svymean)
#   seconds_total    design + rake + estimate
# Reading the CSV files is NOT included (seconds_read is reported separately).
# peak_mb is R's own heap peak (sum of gc() "max used" Mb over Ncells and
# Vcells) between gc(reset=TRUE), taken after reading, and the end of the
# estimate; it therefore includes the data already loaded.

suppressPackageStartupMessages({
  library(survey)
  library(jsonlite)
})

args <- commandArgs(trailingOnly = TRUE)
if (length(args) != 3) {
  stop("usage: Rscript benchmarks/r/rake_and_estimate.R DATA.csv MARGINS.csv OUT.json")
}
data_file <- args[1]
margins_file <- args[2]
out_file <- args[3]

rake_vars <- c("stage", "sector", "gender", "region")
string_cols <- c(rake_vars, "group")

# ---------------------------------------------------------------------------
# Read the inputs (not timed as part of the benchmark)
# ---------------------------------------------------------------------------

use_fread <- requireNamespace("data.table", quietly = TRUE)
reader <- if (use_fread) "data.table::fread" else "utils::read.csv"

read_time <- system.time({
  if (use_fread) {
    col_classes <- list(character = string_cols, numeric = c("w", "y"))
    d <- data.table::fread(data_file, colClasses = col_classes, showProgress = FALSE)
    data.table::setDF(d)
    margins_df <- data.table::fread(margins_file,
      colClasses = list(character = c("variable", "category"), numeric = "total")
    )
    data.table::setDF(margins_df)
  } else {
    cc <- c(w = "numeric", y = "numeric", stats::setNames(rep("character", 5), string_cols))
    d <- utils::read.csv(data_file, colClasses = cc, stringsAsFactors = FALSE)
    margins_df <- utils::read.csv(margins_file,
      colClasses = c(variable = "character", category = "character", total = "numeric"),
      stringsAsFactors = FALSE
    )
  }
})[["elapsed"]]

# Population margins in MARGINS.csv order: one data.frame(<var>, Freq) per variable.
margin_vars <- unique(margins_df$variable)
missing_vars <- setdiff(margin_vars, names(d))
if (length(missing_vars) > 0) {
  stop("margin variables not in data: ", paste(missing_vars, collapse = ", "))
}
population_margins <- lapply(margin_vars, function(v) {
  m <- margins_df[margins_df$variable == v, ]
  out <- data.frame(m$category, m$total, stringsAsFactors = FALSE)
  names(out) <- c(v, "Freq")
  out
})
sample_margins <- lapply(margin_vars, function(v) stats::as.formula(paste0("~", v)))

# ---------------------------------------------------------------------------
# Timed part: design, rake, domain means
# ---------------------------------------------------------------------------

warnings_seen <- character(0)
collect <- function(expr) {
  withCallingHandlers(expr, warning = function(w) {
    warnings_seen <<- c(warnings_seen, conditionMessage(w))
    invokeRestart("muffleWarning")
  })
}

invisible(gc(reset = TRUE))

t_design <- system.time(
  design <- svydesign(id = ~1, weights = ~w, data = d)
)[["elapsed"]]

t_rake <- system.time(
  raked <- collect(rake(design, sample_margins, population_margins,
    control = list(maxit = 100, epsilon = 1e-7)
  ))
)[["elapsed"]]

t_estimate <- system.time(
  est <- collect(svyby(~y, ~group, raked, svymean))
)[["elapsed"]]

gc_after <- gc()
# columns of gc(): used, (Mb), gc trigger, (Mb), [limit (Mb),] max used, (Mb)
peak_mb <- sum(gc_after[, ncol(gc_after)])

# Whole-process high-water mark (includes reading and R itself), if available.
peak_rss_mb <- tryCatch({
  status <- readLines("/proc/self/status")
  hwm <- grep("^VmHWM:", status, value = TRUE)
  as.numeric(gsub("[^0-9]", "", hwm)) / 1024
}, error = function(e) NA_real_, warning = function(w) NA_real_)

# ---------------------------------------------------------------------------
# Output
# ---------------------------------------------------------------------------

result <- list(
  reader = reader,
  reading_time_excluded = TRUE,
  seconds_read = read_time,
  seconds_design = t_design,
  seconds_rake = t_rake,
  seconds_estimate = t_estimate,
  seconds_total = t_design + t_rake + t_estimate,
  peak_mb = peak_mb,
  peak_rss_mb = peak_rss_mb,
  n = nrow(d),
  rake_variables = margin_vars,
  rake_control = list(maxit = 100, epsilon = 1e-7),
  sum_weights_raked = sum(weights(raked)),
  groups = as.character(est$group),
  estimates = unname(as.numeric(coef(est))),
  ses = unname(as.numeric(SE(est))),
  warnings = unique(warnings_seen),
  r_version = R.version.string,
  survey_version = as.character(packageVersion("survey"))
)

writeLines(toJSON(result, digits = NA, auto_unbox = TRUE, na = "null", pretty = TRUE), out_file)
cat(sprintf(
  "%s: n=%d reader=%s rake=%.2fs estimate=%.2fs total=%.2fs peak=%.1f MB (read %.2fs, excluded)\n",
  out_file, nrow(d), reader, t_rake, t_estimate, t_design + t_rake + t_estimate, peak_mb, read_time
))
