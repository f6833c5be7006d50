# Reference values from R's `survey` package for ratios and indices of shares:
# representation ratios, pipeline ratios, the glass ceiling index, four-fifths ratios,
# the index of disparity and the Blau and Shannon diversity indices.
#
# Usage (from the repository root):
#     Rscript tests/stats/reference/make_contrasts.R
#
# Writes tests/stats/reference/r_contrasts.json, read by tests/stats/test_representation.py
# and tests/stats/test_diversity.py (which compare to 1e-6 relative and never need R).
#
# Every statistic is a smooth function of domain shares. A domain share is written as a
# ratio of two estimated totals, total(y * in_domain) / total(in_domain), so that all the
# shares a statistic needs come from one svytotal() call and svycontrast() applies the
# delta method with their full covariance, through the raking for rclus1.
# Intervals are computed here on the log scale: exp(log(r) -/+ qt(0.975, df) * SE(r) / r),
# df being degf() of the design restricted to the rows the statistic uses.

suppressPackageStartupMessages({
  library(survey)
  library(jsonlite)
})

data(api)
out_file <- file.path("tests", "stats", "reference", "r_contrasts.json")

pop.types <- data.frame(stype = c("E", "H", "M"), Freq = c(4421, 755, 1018))
pop.schwide <- data.frame(sch.wide = c("No", "Yes"), Freq = c(1072, 5122))

dclus1 <- svydesign(id = ~dnum, weights = ~pw, data = apiclus1, fpc = ~fpc)
rclus1 <- rake(dclus1, list(~stype, ~sch.wide), list(pop.types, pop.schwide))

num <- function(x) unname(as.numeric(x))

# Adds numeric indicator columns to a design: one = 1, and for each name in `vars`
# the expression given.
with_vars <- function(design, vars) {
  for (name in names(vars)) {
    design$variables[[name]] <- as.numeric(eval(vars[[name]], design$variables))
  }
  design$variables$one <- 1
  design
}

# svycontrast of `expr` over the totals of `names` -> estimate and SE.
contrast <- function(design, names, expr) {
  totals <- svytotal(as.formula(paste("~", paste(names, collapse = " + "))), design)
  r <- svycontrast(totals, expr)
  list(estimate = num(coef(r)), se = num(SE(r)))
}

log_ci <- function(res, df) {
  r <- res$estimate
  q <- qt(0.975, df)
  res$df <- df
  res$ci_low <- exp(log(r) - q * res$se / r)
  res$ci_high <- exp(log(r) + q * res$se / r)
  res
}

degf_rows <- function(design, rows) degf(design[rows, ])

stypes <- c("E", "H", "M")
indicators <- function(design) {
  v <- design$variables
  vars <- list(
    h = quote(stype == "H"),
    aw = quote(awards == "Yes"),
    sw = quote(sch.wide == "Yes"),
    ci_no = quote(comp.imp == "No")
  )
  for (s in stypes) {
    vars[[paste0("in_", s)]] <- bquote(stype == .(s))
    vars[[paste0("aw_", s)]] <- bquote(awards == "Yes" & stype == .(s))
    vars[[paste0("sw_", s)]] <- bquote(sch.wide == "Yes" & stype == .(s))
    vars[[paste0("cino_", s)]] <- bquote(comp.imp == "No" & stype == .(s))
    for (c in c("No", "Yes")) {
      vars[[paste0(s, "_", c)]] <- bquote(stype == .(s) & comp.imp == .(c))
    }
  }
  vars$top_MH <- quote(stype %in% c("M", "H"))
  vars$aw_MH <- quote(awards == "Yes" & stype %in% c("M", "H"))
  vars$cimp_No <- quote(comp.imp == "No")
  vars$cimp_Yes <- quote(comp.imp == "Yes")
  with_vars(design, vars)
}

share <- function(num_var, den_var) bquote(.(as.name(num_var)) / .(as.name(den_var)))

cases_for <- function(design) {
  d <- indicators(design)
  all_rows <- rep(TRUE, nrow(d$variables))
  out <- list()

  # Representation ratio of stype == "H" against 0.15, whole sample.
  r <- contrast(d, c("h", "one"), quote(h / one / 0.15))
  share_h <- contrast(d, c("h", "one"), quote(h / one))
  r$share <- share_h$estimate
  r$share_se <- share_h$se
  out$representation_H_015 <- log_ci(r, degf(d))

  # Representation ratio of awards == "Yes" against 0.6 per school type, also with a
  # benchmark standard error of 0.02 added on the log scale.
  rep <- list(stype = stypes, estimate = c(), se = c(), df = c(), ci_low = c(), ci_high = c(),
              ci_low_bse = c(), ci_high_bse = c(), se_bse = c())
  for (s in stypes) {
    r <- contrast(d, c(paste0("aw_", s), paste0("in_", s)),
                  bquote(.(share(paste0("aw_", s), paste0("in_", s))) / 0.6))
    r <- log_ci(r, degf_rows(d, d$variables$stype == s))
    rep$estimate <- c(rep$estimate, r$estimate)
    rep$se <- c(rep$se, r$se)
    rep$df <- c(rep$df, r$df)
    rep$ci_low <- c(rep$ci_low, r$ci_low)
    rep$ci_high <- c(rep$ci_high, r$ci_high)
    se_log <- sqrt((r$se / r$estimate)^2 + (0.02 / 0.6)^2)
    rep$se_bse <- c(rep$se_bse, r$estimate * se_log)
    q <- qt(0.975, r$df)
    rep$ci_low_bse <- c(rep$ci_low_bse, exp(log(r$estimate) - q * se_log))
    rep$ci_high_bse <- c(rep$ci_high_bse, exp(log(r$estimate) + q * se_log))
  }
  out$representation_awards_06_by_stype <- rep

  # Pipeline of awards == "Yes" along E -> M -> H.
  stages <- c("E", "M", "H")
  pipe <- list(stages = stages, share = c(), share_se = c(), ratio = c(), ratio_se = c(),
               df = c(), ci_low = c(), ci_high = c())
  for (s in stages) {
    p <- contrast(d, c(paste0("aw_", s), paste0("in_", s)), share(paste0("aw_", s), paste0("in_", s)))
    pipe$share <- c(pipe$share, p$estimate)
    pipe$share_se <- c(pipe$share_se, p$se)
  }
  for (k in 1:2) {
    a <- stages[k]
    b <- stages[k + 1]
    expr <- bquote(.(share(paste0("aw_", b), paste0("in_", b))) /
                     .(share(paste0("aw_", a), paste0("in_", a))))
    r <- contrast(d, c(paste0("aw_", a), paste0("in_", a), paste0("aw_", b), paste0("in_", b)), expr)
    r <- log_ci(r, degf_rows(d, d$variables$stype %in% c(a, b)))
    pipe$ratio <- c(pipe$ratio, r$estimate)
    pipe$ratio_se <- c(pipe$ratio_se, r$se)
    pipe$df <- c(pipe$df, r$df)
    pipe$ci_low <- c(pipe$ci_low, r$ci_low)
    pipe$ci_high <- c(pipe$ci_high, r$ci_high)
  }
  # The same SE with the covariance between stages ignored, to show it matters.
  pipe$ratio_se_independent <- sapply(1:2, function(k) {
    pipe$ratio[k] * sqrt((pipe$share_se[k] / pipe$share[k])^2 +
                           (pipe$share_se[k + 1] / pipe$share[k + 1])^2)
  })
  out$pipeline_awards_EMH <- pipe

  # Glass ceiling index: share of awards == "Yes" overall over its share at the top.
  r <- contrast(d, c("aw", "one", "aw_H", "in_H"), quote((aw / one) / (aw_H / in_H)))
  out$glass_ceiling_awards_H <- log_ci(r, degf(d))
  r <- contrast(d, c("aw", "one", "aw_MH", "top_MH"), quote((aw / one) / (aw_MH / top_MH)))
  out$glass_ceiling_awards_MH <- log_ci(r, degf(d))

  # Four-fifths: rate of sch.wide == "Yes" per school type over the highest rate.
  rates <- sapply(stypes, function(s) {
    contrast(d, c(paste0("sw_", s), paste0("in_", s)), share(paste0("sw_", s), paste0("in_", s)))$estimate
  })
  best <- stypes[which.max(rates)]
  ff <- list(stype = stypes, rate = num(rates), reference = best, ratio = c(), ratio_se = c(),
             df = c(), ci_low = c(), ci_high = c())
  for (s in stypes) {
    if (s == best) {
      ff$ratio <- c(ff$ratio, 1); ff$ratio_se <- c(ff$ratio_se, 0)
      ff$df <- c(ff$df, degf_rows(d, d$variables$stype == s))
      ff$ci_low <- c(ff$ci_low, 1); ff$ci_high <- c(ff$ci_high, 1)
      next
    }
    expr <- bquote(.(share(paste0("sw_", s), paste0("in_", s))) /
                     .(share(paste0("sw_", best), paste0("in_", best))))
    r <- contrast(d, c(paste0("sw_", s), paste0("in_", s), paste0("sw_", best), paste0("in_", best)), expr)
    r <- log_ci(r, degf_rows(d, d$variables$stype %in% c(s, best)))
    ff$ratio <- c(ff$ratio, r$estimate)
    ff$ratio_se <- c(ff$ratio_se, r$se)
    ff$df <- c(ff$df, r$df)
    ff$ci_low <- c(ff$ci_low, r$ci_low)
    ff$ci_high <- c(ff$ci_high, r$ci_high)
  }
  out$four_fifths_schwide_by_stype <- ff

  # Index of disparity (Pearcy and Keppel) of comp.imp == "No" across school types:
  # 100 * mean over the non-reference groups of |r_j - R| / R. The absolute value is
  # written with the sign the point estimates give (deriv() has no abs()).
  rate_expr <- function(s) share(paste0("cino_", s), paste0("in_", s))
  cino <- sapply(stypes, function(s) {
    contrast(d, c(paste0("cino_", s), paste0("in_", s)), rate_expr(s))$estimate
  })
  disparity <- function(ref) {
    others <- setdiff(stypes, ref)
    terms <- lapply(others, function(s) {
      sgn <- sign(cino[[s]] - cino[[ref]])
      bquote(.(sgn) * (.(rate_expr(s)) - .(rate_expr(ref))))
    })
    sum_expr <- Reduce(function(a, b) bquote(.(a) + .(b)), terms)
    expr <- bquote(100 * (.(sum_expr)) / .(length(others)) / .(rate_expr(ref)))
    vars <- c(paste0("cino_", stypes), paste0("in_", stypes))
    r <- contrast(d, vars, expr)
    r$reference <- ref
    log_ci(r, degf(d))
  }
  out$disparity_compimp_no_lowest <- disparity(stypes[which.min(cino)])
  out$disparity_compimp_no_lowest$rates <- num(cino)
  out$disparity_compimp_no_ref_E <- disparity("E")
  # A reference in the middle: one group above it, one below.
  out$disparity_compimp_no_ref_M <- disparity("M")

  # Blau (Gini-Simpson) and Shannon indices of stype, whole sample and by comp.imp.
  diversity <- function(den, suffix) {
    vars <- c(paste0(stypes, suffix), den)
    p <- function(s) bquote(.(as.name(paste0(s, suffix))) / .(as.name(den)))
    squares <- Reduce(function(a, b) bquote(.(a) + .(b)), lapply(stypes, function(s) bquote(.(p(s))^2)))
    ent <- Reduce(function(a, b) bquote(.(a) + .(b)), lapply(stypes, function(s) bquote(.(p(s)) * log(.(p(s))))))
    list(blau = contrast(d, vars, bquote(1 - (.(squares)))),
         shannon = contrast(d, vars, bquote(-(.(ent)))))
  }
  for (s in stypes) d$variables[[paste0(s, "_all")]] <- as.numeric(d$variables$stype == s)
  whole <- diversity("one", "_all")
  whole$df <- degf(d)
  whole$shares <- num(coef(svymean(~stype, d)))
  out$diversity_stype <- whole
  for (c in c("No", "Yes")) {
    dv <- diversity(paste0("cimp_", c), paste0("_", c))
    dv$df <- degf_rows(d, d$variables$comp.imp == c)
    out[[paste0("diversity_stype_compimp_", c)]] <- dv
  }
  # The same whole-sample Blau index straight from svymean(~stype), as the documentation
  # of svycontrast would write it.
  m <- svymean(~stype, d)
  b <- svycontrast(m, quote(1 - stypeE^2 - stypeH^2 - stypeM^2))
  out$diversity_stype$blau_from_svymean <- list(estimate = num(coef(b)), se = num(SE(b)))
  out
}

# Cronbach's alpha of three items on a small hand example, by the textbook formula
# k / (k - 1) * (1 - sum(var(item)) / var(total)) and Feldt's interval
# 1 - (1 - alpha) * qf(c(0.975, 0.025), n - 1, (n - 1) * (k - 1)).
items <- data.frame(
  q1 = c(4, 5, 3, 2, 4, 5, 1, 3),
  q2 = c(4, 4, 3, 2, 5, 5, 2, 3),
  q3 = c(2, 1, 3, 4, 2, 1, 5, 3)  # reverse-worded
)
items$q3r <- 6 - items$q3
x <- as.matrix(items[, c("q1", "q2", "q3r")])
k <- ncol(x)
n <- nrow(x)
alpha <- k / (k - 1) * (1 - sum(apply(x, 2, var)) / var(rowSums(x)))
cronbach <- list(
  items = items[, c("q1", "q2", "q3")],
  alpha = alpha,
  ci_low = 1 - (1 - alpha) * qf(0.975, n - 1, (n - 1) * (k - 1)),
  ci_high = 1 - (1 - alpha) * qf(0.025, n - 1, (n - 1) * (k - 1))
)

result <- list(
  r_version = R.version.string,
  survey_version = as.character(packageVersion("survey")),
  designs = list(
    dclus1 = "svydesign(id = ~dnum, weights = ~pw, data = apiclus1, fpc = ~fpc)",
    rclus1 = "rake(dclus1, list(~stype, ~sch.wide), list(pop.types, pop.schwide))"
  ),
  cases = list(dclus1 = cases_for(dclus1), rclus1 = cases_for(rclus1)),
  cronbach = cronbach
)

writeLines(
  toJSON(result, digits = NA, auto_unbox = TRUE, na = "null", pretty = TRUE),
  out_file
)
cat("wrote", out_file, "\n")
