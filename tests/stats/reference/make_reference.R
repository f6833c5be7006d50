# Reference values from R's `survey` package for the Python estimator tests.
#
# Usage (from the repository root):
#     Rscript tests/stats/reference/make_reference.R
#
# Reads nothing but R's own data(api) (apistrat, apiclus1, apipop) and writes
# tests/stats/reference/r_survey.json. The Python tests compare against that
# JSON (to 1e-6 relative) and never need R at test time.
#
# Layout of the JSON:
#   r_version, survey_version  -- what produced the numbers
#   margins                    -- population margins used for raking/poststratifying
#   designs                    -- the R call text that built each design
#   cases[<design>]            -- "design" (degf, nrow, weights, ...) and one
#                                 entry per statistic; a statistic that fails is
#                                 recorded as {"error": "<message>"}
#   cases$binomial             -- plain (non-survey) Wilson / Clopper-Pearson intervals

suppressPackageStartupMessages({
  library(survey)
  library(jsonlite)
})

data(api)

out_file <- file.path("tests", "stats", "reference", "r_survey.json")

# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------

# Run `expr`; on error return list(error = message). Warnings are not fatal:
# they are collected and attached as a "warnings" field of the result.
safely <- function(expr) {
  warns <- character(0)
  res <- tryCatch(
    withCallingHandlers(expr, warning = function(w) {
      warns <<- c(warns, conditionMessage(w))
      invokeRestart("muffleWarning")
    }),
    error = function(e) list(error = conditionMessage(e))
  )
  if (length(warns) > 0 && is.list(res)) res$warnings <- unique(warns)
  res
}

num <- function(x) unname(as.numeric(x))

# Matrix -> list of columns (each column a plain numeric vector).
as_columns <- function(m) lapply(seq_len(ncol(m)), function(j) num(m[, j]))

# Matrix -> list of rows (nested arrays, row-major).
as_rows <- function(m) lapply(seq_len(nrow(m)), function(i) num(m[i, ]))

is_rep <- function(design) inherits(design, "svyrep.design")

# svymean / svytotal result -> estimate + se (scalar for a single variable).
est_se <- function(r) list(estimate = num(coef(r)), se = num(SE(r)))

# svyby result -> labels, estimates, ses (+ the by-columns separately).
by_result <- function(r, by_vars) {
  res <- list(
    labels = rownames(r),
    estimate = num(coef(r)),
    se = num(SE(r))
  )
  for (v in by_vars) res[[v]] <- as.character(r[[v]])
  res
}

# svyciprop result -> estimate, se (= sqrt of attr "var"), ci_low, ci_high.
ciprop_result <- function(r) {
  ci <- attr(r, "ci")
  list(
    estimate = num(r),
    se = sqrt(num(attr(r, "var"))),
    ci_low = num(ci[1]),
    ci_high = num(ci[2])
  )
}

# svyby(..., svyciprop, vartype = c("se", "ci")) -> per-domain intervals.
ciprop_by_result <- function(r) {
  list(
    labels = rownames(r),
    estimate = num(coef(r)),
    se = num(SE(r)),
    ci_low = num(r[["ci_l"]]),
    ci_high = num(r[["ci_u"]])
  )
}

# ---------------------------------------------------------------------------
# Population margins
# ---------------------------------------------------------------------------

pop.types <- data.frame(stype = c("E", "H", "M"), Freq = c(4421, 755, 1018))
pop.schwide <- data.frame(sch.wide = c("No", "Yes"), Freq = c(1072, 5122))

# Margins for rstrat, computed from the full population file apipop.
pop.rstrat <- list(
  as.data.frame(table(sch.wide = apipop$sch.wide), responseName = "Freq"),
  as.data.frame(table(comp.imp = apipop$comp.imp), responseName = "Freq"),
  as.data.frame(table(awards = apipop$awards), responseName = "Freq")
)

margin_list <- function(df) {
  vals <- as.list(as.numeric(df$Freq))
  names(vals) <- as.character(df[[1]])
  vals
}

margins <- list(
  pop.types = list(stype = margin_list(pop.types)),
  pop.schwide = list(sch.wide = margin_list(pop.schwide)),
  rstrat = list(
    sch.wide = margin_list(pop.rstrat[[1]]),
    comp.imp = margin_list(pop.rstrat[[2]]),
    awards = margin_list(pop.rstrat[[3]])
  )
)

# ---------------------------------------------------------------------------
# Designs: the call text (recorded in the JSON) and the design objects
# ---------------------------------------------------------------------------

design_calls <- list(
  dstrat = "svydesign(id=~1, strata=~stype, weights=~pw, data=apistrat, fpc=~fpc)",
  dclus1 = "svydesign(id=~dnum, weights=~pw, data=apiclus1, fpc=~fpc)",
  dclus1_nofpc = "svydesign(id=~dnum, weights=~pw, data=apiclus1)",
  rclus1 = "rake(dclus1, list(~stype, ~sch.wide), list(pop.types, pop.schwide))",
  rclus1_tight = paste0(
    "rake(dclus1, list(~stype, ~sch.wide), list(pop.types, pop.schwide), ",
    "control=list(maxit=200, epsilon=1e-12))"
  ),
  rstrat = paste0(
    "rake(dstrat, list(~sch.wide, ~comp.imp, ~awards), pop.rstrat, ",
    "control=list(maxit=200, epsilon=1e-12))  # pop.rstrat: table() of apipop, see margins$rstrat"
  ),
  pclus1 = "postStratify(dclus1, ~stype, pop.types)",
  jk1 = "as.svrepdesign(dclus1, type=\"JK1\")",
  rjk1 = paste0(
    "rake(jk1, list(~stype, ~sch.wide), list(pop.types, pop.schwide), ",
    "control=list(maxit=200, epsilon=1e-12))"
  ),
  jkn = "as.svrepdesign(dstrat, type=\"JKn\")",
  dpois = paste0(
    "svydesign(id=~1, probs=~p, pps=poisson_sampling(apistrat$p), data=apistrat)",
    "  # apistrat$p <- 1/apistrat$pw: each school in the sample independently"
  )
)
design_calls <- c(
  list(
    pop.types = "data.frame(stype=c(\"E\",\"H\",\"M\"), Freq=c(4421,755,1018))",
    pop.schwide = "data.frame(sch.wide=c(\"No\",\"Yes\"), Freq=c(1072,5122))"
  ),
  design_calls
)

dstrat <- svydesign(id = ~1, strata = ~stype, weights = ~pw, data = apistrat, fpc = ~fpc)
dclus1 <- svydesign(id = ~dnum, weights = ~pw, data = apiclus1, fpc = ~fpc)
dclus1_nofpc <- svydesign(id = ~dnum, weights = ~pw, data = apiclus1)
# Poisson sampling with the stratified sample's inclusion probabilities.
apistrat$p <- 1 / apistrat$pw
dpois <- svydesign(id = ~1, probs = ~p, pps = poisson_sampling(apistrat$p), data = apistrat)

# Design construction warnings (e.g. raking not converging under the default
# control) are recorded next to the design.
build_warnings <- list()
build <- function(name, expr) {
  warns <- character(0)
  d <- withCallingHandlers(expr, warning = function(w) {
    warns <<- c(warns, conditionMessage(w))
    invokeRestart("muffleWarning")
  })
  if (length(warns) > 0) build_warnings[[name]] <<- unique(warns)
  d
}

rclus1 <- build("rclus1", rake(dclus1, list(~stype, ~sch.wide), list(pop.types, pop.schwide)))
rclus1_tight <- build("rclus1_tight", rake(dclus1, list(~stype, ~sch.wide),
  list(pop.types, pop.schwide),
  control = list(maxit = 200, epsilon = 1e-12)
))
rstrat <- build("rstrat", rake(dstrat, list(~sch.wide, ~comp.imp, ~awards), pop.rstrat,
  control = list(maxit = 200, epsilon = 1e-12)
))
pclus1 <- build("pclus1", postStratify(dclus1, ~stype, pop.types))
jk1 <- build("jk1", as.svrepdesign(dclus1, type = "JK1"))
rjk1 <- build("rjk1", rake(jk1, list(~stype, ~sch.wide), list(pop.types, pop.schwide),
  control = list(maxit = 200, epsilon = 1e-12)
))
jkn <- build("jkn", as.svrepdesign(dstrat, type = "JKn"))

# How many full raking passes R ran for each raked design. R's rake() stops
# after the first pass in which the joint table of all raking variables
# (svytable of ~var1+var2+...) changed by less than epsilon in every cell;
# epsilon < 1 is taken relative to the sum of the starting sampling weights.
# The pass count is the smallest maxit = k whose result has weights identical
# to the design's (for k >= passes the result is the same), found by bisection.
rake_info <- function(design, base, margins_f, margins_pop, maxit, epsilon) {
  target <- weights(design, "sampling")
  same_with <- function(k) {
    d_k <- suppressWarnings(rake(base, margins_f, margins_pop,
      control = list(maxit = k, epsilon = epsilon)
    ))
    identical(weights(d_k, "sampling"), target)
  }
  lo <- 1
  hi <- maxit
  while (lo < hi) {
    mid <- (lo + hi) %/% 2
    if (same_with(mid)) hi <- mid else lo <- mid + 1
  }
  passes <- lo
  list(
    maxit = maxit,
    epsilon = epsilon,
    epsilon_effective = if (epsilon < 1) epsilon * sum(weights(base, "sampling")) else epsilon,
    passes = passes,
    stopping_rule = paste(
      "stop after the first full pass where max |change| over the cells of the",
      "joint svytable of all raking variables < epsilon_effective"
    )
  )
}
rake_infos <- list(
  rclus1 = rake_info(rclus1, dclus1, list(~stype, ~sch.wide), list(pop.types, pop.schwide), 10, 1),
  rclus1_tight = rake_info(rclus1_tight, dclus1, list(~stype, ~sch.wide), list(pop.types, pop.schwide), 200, 1e-12),
  rstrat = rake_info(rstrat, dstrat, list(~sch.wide, ~comp.imp, ~awards), pop.rstrat, 200, 1e-12),
  rjk1 = rake_info(rjk1, jk1, list(~stype, ~sch.wide), list(pop.types, pop.schwide), 200, 1e-12)
)

designs <- list(
  dstrat = dstrat, dclus1 = dclus1, dclus1_nofpc = dclus1_nofpc,
  rclus1 = rclus1, rclus1_tight = rclus1_tight, rstrat = rstrat,
  pclus1 = pclus1, jk1 = jk1, rjk1 = rjk1, jkn = jkn, dpois = dpois
)

# ---------------------------------------------------------------------------
# Per-design description: degf, nrow, full-sample weights (+ replicate info)
# ---------------------------------------------------------------------------

design_info <- function(name, d) {
  info <- list(
    class = class(d)[1],
    degf = num(degf(d)),
    nrow = nrow(d$variables),
    # Full-sample weights only (for replicate designs: the sampling weights).
    weights = if (is_rep(d)) num(weights(d, "sampling")) else num(weights(d))
  )
  if (is_rep(d)) {
    info$type <- d$type
    info$scale <- num(d$scale)
    info$rscales <- num(d$rscales)
    info$mse <- isTRUE(d$mse)
    info$n_replicates <- ncol(d$repweights)
    # Full replicate-weight matrix (final analysis weights), as columns.
    if (name %in% c("jk1", "rjk1")) {
      info$analysis_weights <- as_columns(weights(d, "analysis"))
    }
  }
  if (!is.null(rake_infos[[name]])) info$rake <- rake_infos[[name]]
  if (!is.null(build_warnings[[name]])) info$warnings <- build_warnings[[name]]
  info
}

# ---------------------------------------------------------------------------
# Statistics computed for every design
# ---------------------------------------------------------------------------

ciprop_methods <- c("logit", "likelihood", "beta", "asin", "mean", "xlogit")
ciprop_by_methods <- c("logit", "beta", "likelihood")

design_stats <- function(d) {
  s <- list()

  # 1-5: means, totals and proportions over the whole sample
  s$mean_api00 <- safely(est_se(svymean(~api00, d)))
  s$mean_enroll <- safely(est_se(svymean(~enroll, d, na.rm = TRUE)))
  s$total_enroll <- safely(est_se(svytotal(~enroll, d, na.rm = TRUE)))
  s$prop_schwide_yes <- safely(est_se(svymean(~ as.numeric(sch.wide == "Yes"), d)))
  s$prop_meals_over_50 <- safely(est_se(svymean(~ as.numeric(meals > 50), d)))

  # 6-9: domain (svyby) estimates
  s$mean_api00_by_stype <- safely(by_result(svyby(~api00, ~stype, d, svymean), "stype"))
  s$prop_meals_over_50_by_stype <- safely(by_result(
    svyby(~ as.numeric(meals > 50), ~stype, d, svymean), "stype"
  ))
  s$mean_api00_by_stype_compimp <- safely(by_result(
    svyby(~api00, ~ stype + comp.imp, d, svymean), c("stype", "comp.imp")
  ))
  s$total_enroll_by_stype <- safely(by_result(
    svyby(~enroll, ~stype, d, svytotal, na.rm = TRUE), "stype"
  ))

  # 10: joint covariance of two means
  s$vcov_api00_api99 <- safely({
    r <- svymean(~ api00 + api99, d)
    list(names = names(coef(r)), estimate = num(coef(r)), vcov = as_rows(vcov(r)))
  })

  if (!is_rep(d)) {
    # 11: confidence intervals for a proportion, each svyciprop method
    for (m in ciprop_methods) {
      s[[paste0("ciprop_", m)]] <- safely(ciprop_result(
        svyciprop(~ I(meals > 50), d, method = m)
      ))
    }
    s$ciprop_logit_90 <- safely(ciprop_result(
      svyciprop(~ I(meals > 50), d, method = "logit", level = 0.90)
    ))
    s$ciprop_beta_90 <- safely(ciprop_result(
      svyciprop(~ I(meals > 50), d, method = "beta", level = 0.90)
    ))

    # 12: per-domain svyciprop intervals
    for (m in ciprop_by_methods) {
      s[[paste0("ciprop_", m, "_by_stype")]] <- safely(ciprop_by_result(
        svyby(~ I(meals > 50), ~stype, d, svyciprop, vartype = c("se", "ci"), method = m)
      ))
    }
    # 12b: the likelihood interval with a profile grid fine enough that R's spline
    # interpolation error vanishes: R's answer to its own equation, exactly. svyciprop's
    # default grid (ten steps of zmax/5 standard errors) is only accurate to about 1e-2
    # in small domains.
    fine_likelihood <- function(sub) {
      m <- suppressWarnings(svyglm(I(meals > 50) ~ 1, sub, family = quasibinomial))
      ci <- suppressWarnings(confint(m, 1, method = "likelihood", ddf = degf(sub),
                                     del = 0.002, maxsteps = 20000))
      num(plogis(ci))
    }
    s$likelihood_fine <- safely(fine_likelihood(d))
    s$likelihood_fine_by_stype <- safely({
      res <- list()
      for (st in levels(d$variables$stype)) res[[st]] <- fine_likelihood(subset(d, stype == st))
      res
    })

    # What R used for each domain: the subset design's degf and row count
    # (calibrated designs keep all rows in a subset, with zero weight outside).
    s$domain_subsets <- safely({
      res <- list()
      for (st in levels(d$variables$stype)) {
        sub <- subset(d, stype == st)
        res[[st]] <- list(
          degf = num(degf(sub)),
          nrow = nrow(sub$variables),
          n_in_domain = sum(sub$variables$stype == st)
        )
      }
      res
    })
  }
  s
}

cases <- list()
for (nm in names(designs)) {
  d <- designs[[nm]]
  cases[[nm]] <- c(list(design = design_info(nm, d)), design_stats(d))
}

# ---------------------------------------------------------------------------
# Plain binomial intervals: Wilson (prop.test, no continuity correction)
# and Clopper-Pearson (binom.test), at 95% and 90%
# ---------------------------------------------------------------------------

binom_cases <- list(c(0, 20), c(3, 20), c(10, 20), c(20, 20), c(1, 137), c(45, 137))
cases$binomial <- lapply(binom_cases, function(xn) {
  x <- xn[1]
  n <- xn[2]
  res <- list(x = x, n = n)
  for (lev in c(0.95, 0.90)) {
    tag <- sprintf("%02d", round(100 * lev))
    res[[paste0("wilson_", tag)]] <- safely(
      num(suppressWarnings(prop.test(x, n, correct = FALSE, conf.level = lev))$conf.int)
    )
    res[[paste0("clopper_pearson_", tag)]] <- safely(
      num(binom.test(x, n, conf.level = lev)$conf.int)
    )
  }
  res
})

# ---------------------------------------------------------------------------
# Write the JSON
# ---------------------------------------------------------------------------

result <- list(
  r_version = R.version.string,
  survey_version = as.character(packageVersion("survey")),
  margins = margins,
  designs = design_calls,
  cases = cases
)

writeLines(
  toJSON(result, digits = NA, auto_unbox = TRUE, na = "null", pretty = TRUE),
  out_file
)
cat("wrote", out_file, "\n")
