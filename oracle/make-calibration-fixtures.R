#!/usr/bin/env Rscript
## Oracle fixtures for calibrated weights (post-stratification and raking), computed with
## R's `survey` package. A companion of make-fixtures.R, whose files it does not change.
##
## Run BY HAND from the repository root (not run by CI):
##     Rscript oracle/make-calibration-fixtures.R
## Needs: R + survey (Debian: apt-get install r-base-core r-cran-survey), and the files
## written by make-fixtures.R (it reads tests/fixtures/oracle/responses.csv).
##
## Writes (all under tests/fixtures/oracle/):
##     calibration-responses.csv  the oracle responses with `unit_code` (= stratum) and two
##                                auxiliary columns, `channel` and `applicant_type`
##     calibration-margins-channel.csv   margins for post-stratification on channel
##     calibration-margins-rake.csv      margins for raking on channel and applicant_type
##     calibration-weights.csv    each respondent's calibrated weight under both methods
##     calibration-expected.csv   item estimates with R's calibrated SEs and the SEs with
##                                the calibrated weights taken as fixed
## Deterministic: with the same R / survey versions the output is byte-identical.

suppressPackageStartupMessages(library(survey))
options(warn = 2)   # a raking that does not converge stops the script

out_dir <- file.path("tests", "fixtures", "oracle")
raw <- read.csv(file.path(out_dir, "responses.csv"), colClasses = "character")
items <- sprintf("Q%02d", 1:6)

## ------------------------------------------------- auxiliary variables ----
set.seed(20240612)
n <- nrow(raw)
raw$channel <- sample(c("direct", "online", "postal"), n, replace = TRUE,
                      prob = c(0.5, 0.4, 0.1))
raw$applicant_type <- sample(c("citizen", "organization"), n, replace = TRUE,
                             prob = c(0.85, 0.15))
raw$unit_code <- raw$stratum
## the responses file chiso reads with --population (unit_code = stratum)
resp <- raw[, c("unit_code", "channel", "applicant_type", items)]
write.table(resp, file.path(out_dir, "calibration-responses.csv"), sep = ",",
            row.names = FALSE, col.names = TRUE, quote = FALSE, na = "")

## population margins: the sum of N_h (3015) split over the categories
total <- sum(tapply(as.numeric(raw$population), raw$stratum, `[`, 1))
channel_pop <- data.frame(channel = c("direct", "online", "postal"),
                          Freq = c(1400, 1300, total - 2700))
type_pop <- data.frame(applicant_type = c("citizen", "organization"),
                       Freq = c(2500, total - 2500))
margins <- function(name, pop) data.frame(variable = name, category = pop[[1]],
                                          population = pop$Freq)
write.table(margins("channel", channel_pop),
            file.path(out_dir, "calibration-margins-channel.csv"), sep = ",",
            row.names = FALSE, col.names = TRUE, quote = FALSE)
write.table(rbind(margins("channel", channel_pop), margins("applicant_type", type_pop)),
            file.path(out_dir, "calibration-margins-rake.csv"), sep = ",",
            row.names = FALSE, col.names = TRUE, quote = FALSE)

## ------------------------------------------------------------- design ----
d <- raw
d$population <- as.numeric(d$population)
for (q in items) {
  a <- suppressWarnings(as.numeric(d[[q]]))
  a[!(a %in% 1:5)] <- NA
  d[[paste0("valid_", q)]] <- as.numeric(!is.na(a))
  d[[paste0("sat_", q)]] <- as.numeric(!is.na(a) & a >= 4)
}
m_h <- table(d$stratum)
d$w <- d$population / as.numeric(m_h[d$stratum])
design <- svydesign(ids = ~1, strata = ~stratum, fpc = ~population, weights = ~w, data = d)

ps <- postStratify(design, ~channel, channel_pop)
rk <- rake(design, list(~channel, ~applicant_type), list(channel_pop, type_pop),
           control = list(maxit = 1000, epsilon = 1e-13))
d$w_poststratify <- weights(ps)
d$w_rake <- weights(rk)
## the margins are met
stopifnot(isTRUE(all.equal(as.numeric(tapply(d$w_rake, d$applicant_type, sum)),
                           type_pop$Freq, tolerance = 1e-12)))
stopifnot(isTRUE(all.equal(as.numeric(tapply(d$w_poststratify, d$channel, sum)),
                           channel_pop$Freq, tolerance = 1e-12)))

fmt <- function(x) ifelse(is.finite(x), sprintf("%.17g", x), "")
write.table(data.frame(row = seq_len(n) + 1, unit_code = d$stratum,
                       poststratify = fmt(d$w_poststratify), rake = fmt(d$w_rake)),
            file.path(out_dir, "calibration-weights.csv"), sep = ",",
            row.names = FALSE, col.names = TRUE, quote = FALSE)

## ---------------------------------------------------------- estimates ----
out <- list()
for (method in c("poststratify", "rake")) {
  cal <- if (method == "poststratify") ps else rk
  ## the same weights, taken as fixed (no calibration in the variance)
  d$wc <- d[[paste0("w_", method)]]
  fixed <- svydesign(ids = ~1, strata = ~stratum, fpc = ~population, weights = ~wc, data = d)
  for (q in items) {
    num <- as.formula(paste0("~sat_", q)); den <- as.formula(paste0("~valid_", q))
    for (dom in c("ALL", sort(unique(d$stratum)))) {
      if (dom == "ALL") {
        r <- svyratio(num, den, cal); f <- svyratio(num, den, fixed)
        est <- coef(r); se <- SE(r); est_f <- coef(f); se_f <- SE(f)
      } else {
        r <- svyby(num, ~stratum, cal, svyratio, denominator = den)
        f <- svyby(num, ~stratum, fixed, svyratio, denominator = den)
        k <- match(dom, r$stratum)
        est <- coef(r)[k]; se <- SE(r)[k]; est_f <- coef(f)[k]; se_f <- SE(f)[k]
      }
      stopifnot(isTRUE(all.equal(as.numeric(est), as.numeric(est_f), tolerance = 1e-13)))
      out[[length(out) + 1]] <- data.frame(
        method = method, domain = dom, indicator = paste0("item:", q),
        measure = "satisfied_pct", estimate = fmt(100 * as.numeric(est)),
        std_error_calibrated = fmt(100 * as.numeric(se)),
        std_error_fixed_weights = fmt(100 * as.numeric(se_f)))
    }
  }
}
expected <- do.call(rbind, out)
write.table(expected, file.path(out_dir, "calibration-expected.csv"), sep = ",",
            row.names = FALSE, col.names = TRUE, quote = FALSE)
cat("wrote", n, "responses and", nrow(expected), "calibration rows;",
    R.version.string, "; survey", as.character(packageVersion("survey")), "\n")
