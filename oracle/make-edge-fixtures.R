#!/usr/bin/env Rscript
## Oracle fixtures for the edges of the variance: strata with one respondent (R's
## `survey.lonely.psu` = remove, certainty, adjust, average, fail), strata taken whole, a
## unit of one respondent, a unit where every answer is satisfied. A companion of
## make-fixtures.R, whose files it does not change.
##
## Run BY HAND from the repository root (not run by CI):
##     Rscript oracle/make-edge-fixtures.R
## Needs: R + survey (Debian: apt-get install r-base-core r-cran-survey).
##
## Writes (all under tests/fixtures/oracle/):
##     edges-responses.csv  input: unit, stratum, population, channel, the weights (N_h/m_h
##                          and post-stratified on channel) and the answers to Q01..Q04
##     edges-expected.csv   per design (fixed weights, post-stratified), lonely-PSU rule,
##                          domain, indicator and measure: R's estimate and standard error
## The questionnaire is written in tests/oracle.rs (two elements, weights 0.1 and 0.9;
## items weighted 0.1/0.9 and 0.2/0.8, so that a unit where every answer is satisfied sums
## to 100.00000000000003 in floating point).
## Deterministic: with the same R / survey versions the output is byte-identical.

suppressPackageStartupMessages(library(survey))
options(warn = 1)

out_dir <- file.path("tests", "fixtures", "oracle")
if (!dir.exists(out_dir)) stop("run from the repository root")

## ---------------------------------------------------------------- data ----
set.seed(20261201)
## stratum, unit, N_h, m_h
layout <- data.frame(
  stratum = c("U1-a", "U1-b", "U2-a", "U2-b", "U3-a", "U4-a", "U5-a", "U5-b"),
  unit    = c("U1",   "U1",   "U2",   "U2",   "U3",   "U4",   "U5",   "U5"),
  N       = c(200,    50,     30,     10,     80,     100,    40,     1),
  m       = c(20,     1,      30,     10,     1,      15,     12,     1),
  stringsAsFactors = FALSE)
## U1-b and U3-a: one respondent of many (lonely); U5-b: one of one (taken whole);
## U2: every stratum taken whole; U3: a unit of one respondent; U4: every answer satisfied.
items <- sprintf("Q%02d", 1:4)
rows <- list()
for (s in seq_len(nrow(layout))) {
  L <- layout[s, ]
  d <- data.frame(unit_code = rep(L$unit, L$m), stratum = rep(L$stratum, L$m),
                  population = rep(L$N, L$m), stringsAsFactors = FALSE)
  d$channel <- sample(c("direct", "online"), L$m, replace = TRUE)
  for (q in items) {
    a <- sample.int(5, L$m, replace = TRUE, prob = c(0.1, 0.15, 0.2, 0.3, 0.25))
    if (L$unit == "U4") a <- sample(4:5, L$m, replace = TRUE)
    a[runif(L$m) < 0.08 & L$m > 3] <- NA
    d[[q]] <- a
  }
  rows[[s]] <- d
}
raw <- do.call(rbind, rows)
rownames(raw) <- NULL
## U2/Q01 all satisfied inside strata taken whole (p = 1, no sampling error)
raw$Q01[raw$unit_code == "U2" & !is.na(raw$Q01) & raw$Q01 < 4] <- 4L
## every channel appears in every unit of more than one respondent
stopifnot(all(tapply(raw$channel, raw$unit_code, function(v) length(v) == 1 ||
  length(unique(v)) == 2)))

d <- raw
d$w <- d$population / as.numeric(table(d$stratum)[d$stratum])
for (q in items) {
  a <- d[[q]]
  d[[paste0("valid_", q)]] <- as.numeric(!is.na(a))
  d[[paste0("sat_", q)]] <- as.numeric(!is.na(a) & a >= 4)
  d[[paste0("dis_", q)]] <- as.numeric(!is.na(a) & a <= 2)
  d[[paste0("ans0_", q)]] <- ifelse(is.na(a), 0, a)
}
channel_pop <- data.frame(channel = c("direct", "online"), Freq = c(300, 211))
stopifnot(sum(channel_pop$Freq) == sum(layout$N))

fixed <- svydesign(ids = ~1, strata = ~stratum, fpc = ~population, weights = ~w, data = d)
post <- postStratify(fixed, ~channel, channel_pop)
d$w_poststratify <- weights(post)

fmt <- function(x) ifelse(is.finite(x), sprintf("%.17g", x), "")
resp <- raw
for (q in items) resp[[q]] <- ifelse(is.na(raw[[q]]), "", as.character(raw[[q]]))
resp$w <- fmt(d$w)
resp$w_poststratify <- fmt(d$w_poststratify)
resp <- resp[, c("unit_code", "stratum", "population", "channel", "w", "w_poststratify",
                 items)]
write.table(resp, file.path(out_dir, "edges-responses.csv"), sep = ",",
            row.names = FALSE, col.names = TRUE, quote = FALSE, na = "")

## ---------------------------------------------------------- indicators ----
element_weights <- c(E1 = 0.1, E2 = 0.9)
elements <- list(E1 = c(Q01 = 0.1, Q02 = 0.9), E2 = c(Q03 = 0.2, Q04 = 0.8))
indicators <- c(
  setNames(lapply(items, function(q) setNames(1, q)), paste0("item:", items)),
  setNames(elements, paste0("element:", names(elements))),
  list(overall = c(elements$E1 * element_weights[["E1"]],
                   elements$E2 * element_weights[["E2"]])))
measures <- list(satisfied_pct = c("sat_", 100), dissatisfied_pct = c("dis_", 100),
                 mean_score = c("ans0_", 1))

`%+%` <- function(a, b) paste0(a, b)

## A linear combination of ratios over a domain design: its estimate, and the standard
## error of the total of its linearised variable (what svyratio and svycontrast compute).
combination <- function(design, coefs, prefix, scale) {
  v <- design$variables
  w <- weights(design)
  est <- 0
  z <- rep(0, nrow(v))
  for (q in names(coefs)) {
    y <- v[[paste0(prefix, q)]]; x <- v[["valid_" %+% q]]
    Y <- sum(w * y); X <- sum(w * x)
    est <- est + coefs[[q]] * scale * Y / X
    z <- z + coefs[[q]] * scale * (y - Y / X * x) / X
  }
  design$variables$.z <- z
  c(est, as.numeric(SE(svytotal(~.z, design))))
}
out <- list()
for (lonely in c("remove", "certainty", "adjust", "average")) {
  options(survey.lonely.psu = lonely)
  for (dname in c("fixed", "poststratify")) {
    des <- if (dname == "fixed") fixed else post
    for (dom in c("ALL", sort(unique(d$unit_code)))) {
      sd <- if (dom == "ALL") des else subset(des, unit_code == dom)
      for (ind in names(indicators)) {
        for (m in names(measures)) {
          r <- combination(sd, indicators[[ind]], measures[[m]][1],
                           as.numeric(measures[[m]][2]))
          if (startsWith(ind, "item:")) {
            q <- sub("item:", "", ind)
            chk <- svyratio(as.formula("~" %+% measures[[m]][1] %+% q),
                            as.formula("~valid_" %+% q), sd)
            sc <- as.numeric(measures[[m]][2])
            stopifnot(isTRUE(all.equal(sc * as.numeric(coef(chk)), r[1], tolerance = 1e-13)))
            se_chk <- sc * as.numeric(SE(chk))
            stopifnot(identical(is.finite(se_chk), is.finite(r[2])))
            if (is.finite(r[2]))
              stopifnot(isTRUE(all.equal(se_chk, r[2], tolerance = 1e-12)))
          }
          out[[length(out) + 1]] <- data.frame(
            design = dname, lonely_psu = lonely, domain = dom, indicator = ind,
            measure = m, estimate = fmt(r[1]), std_error = fmt(r[2]),
            stringsAsFactors = FALSE)
        }
      }
    }
  }
}
## remove and certainty are the same rule for a one-stage design
x <- do.call(rbind, out)
stopifnot(identical(x$std_error[x$lonely_psu == "remove"],
                    x$std_error[x$lonely_psu == "certainty"]))
## fail stops on the lonely strata
options(survey.lonely.psu = "fail")
failed <- tryCatch({ SE(svytotal(~sat_Q01, fixed)); FALSE }, error = function(e) TRUE)
stopifnot(failed)

write.table(x, file.path(out_dir, "edges-expected.csv"), sep = ",",
            row.names = FALSE, col.names = TRUE, quote = FALSE)
cat("wrote", nrow(raw), "responses and", nrow(x), "rows;", R.version.string,
    "; survey", as.character(packageVersion("survey")), "\n")
