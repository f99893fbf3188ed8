#!/usr/bin/env Rscript
## Oracle fixtures for reporting domains (`chiso index --domains`): a survey drawn and
## weighted on old units (its strata, the old communes) whose results are published on new
## units, each a union of old ones. A companion of make-fixtures.R, whose files it does not
## change.
##
## Run BY HAND from the repository root (not run by CI):
##     Rscript oracle/make-domain-fixtures.R
## Needs: R + survey (Debian: apt-get install r-base-core r-cran-survey).
##
## Writes (all under tests/fixtures/oracle/):
##     domains-responses.csv   input: unit_code (the old commune = the stratum), channel and
##                             the answers to Q01..Q04 (empty = no answer)
##     domains-population.csv  input: stratum, population (N_h of each old commune)
##     domains-margins.csv     input: variable, category, population (channel totals)
##     domains-map.csv         input: unit_code, domain, domain_name (old commune -> new)
##     domains-expected.csv    per design (fixed weights N_h/m_h, post-stratified on channel),
##                             domain (ALL and each new commune), indicator and measure: R's
##                             estimate and standard error
## The questionnaire is the one of make-edge-fixtures.R (written in tests/oracle.rs).
## Deterministic: with the same R / survey versions the output is byte-identical.

suppressPackageStartupMessages(library(survey))
options(warn = 1, survey.lonely.psu = "adjust")

out_dir <- file.path("tests", "fixtures", "oracle")
if (!dir.exists(out_dir)) stop("run from the repository root")

## ---------------------------------------------------------------- data ----
set.seed(20261202)
## Old communes (strata), their population N_h, respondents m_h and new commune.
layout <- data.frame(
  stratum = c("X01", "X02", "X03", "X04", "X05", "X06", "X07", "X08"),
  N       = c(400,   120,   60,    900,   250,   30,    500,   45),
  m       = c(25,    12,    8,     40,    18,    30,    22,    9),
  domain  = c("P1",  "P1",  "P1",  "P2",  "P3",  "P3",  "P4",  "P3"),
  stringsAsFactors = FALSE)
## P1: three old communes; P2 and P4: one each; P3: three, one of them (X06) taken whole.
names <- c(P1 = "Phường Một", P2 = "Xã Hai", P3 = "Phường Ba", P4 = "Xã Bốn")
items <- sprintf("Q%02d", 1:4)
rows <- list()
for (s in seq_len(nrow(layout))) {
  L <- layout[s, ]
  d <- data.frame(unit_code = rep(L$stratum, L$m), population = rep(L$N, L$m),
                  domain = rep(L$domain, L$m), stringsAsFactors = FALSE)
  d$channel <- sample(c("direct", "online", "postal"), L$m, replace = TRUE,
                      prob = c(0.5, 0.35, 0.15))
  level <- runif(1, -0.15, 0.15)
  for (q in items) {
    p <- pmax(c(0.1, 0.15, 0.2, 0.3, 0.25) + c(level, level / 2, 0, -level / 2, -level), 0.02)
    a <- sample.int(5, L$m, replace = TRUE, prob = p)
    a[runif(L$m) < 0.1] <- NA
    d[[q]] <- a
  }
  rows[[s]] <- d
}
raw <- do.call(rbind, rows)
rownames(raw) <- NULL
stopifnot(all(tapply(raw$channel, raw$domain, function(v) length(unique(v)) == 3)))

d <- raw
d$stratum <- d$unit_code
d$w <- d$population / as.numeric(table(d$stratum)[d$stratum])
for (q in items) {
  a <- d[[q]]
  d[[paste0("valid_", q)]] <- as.numeric(!is.na(a))
  d[[paste0("sat_", q)]] <- as.numeric(!is.na(a) & a >= 4)
  d[[paste0("dis_", q)]] <- as.numeric(!is.na(a) & a <= 2)
  d[[paste0("ans0_", q)]] <- ifelse(is.na(a), 0, a)
}
channel_pop <- data.frame(channel = c("direct", "online", "postal"),
                          Freq = c(1200, 850, sum(layout$N) - 2050))

fixed <- svydesign(ids = ~1, strata = ~stratum, fpc = ~population, weights = ~w, data = d)
post <- postStratify(fixed, ~channel, channel_pop)

resp <- raw
for (q in items) resp[[q]] <- ifelse(is.na(raw[[q]]), "", as.character(raw[[q]]))
resp <- resp[, c("unit_code", "channel", items)]
write.table(resp, file.path(out_dir, "domains-responses.csv"), sep = ",",
            row.names = FALSE, col.names = TRUE, quote = FALSE, na = "")
write.table(data.frame(stratum = layout$stratum, population = layout$N),
            file.path(out_dir, "domains-population.csv"), sep = ",",
            row.names = FALSE, col.names = TRUE, quote = FALSE)
write.table(data.frame(variable = "channel", category = channel_pop$channel,
                       population = channel_pop$Freq),
            file.path(out_dir, "domains-margins.csv"), sep = ",",
            row.names = FALSE, col.names = TRUE, quote = FALSE)
map <- data.frame(unit_code = layout$stratum, domain = layout$domain,
                  domain_name = names[layout$domain])
con <- file(file.path(out_dir, "domains-map.csv"), open = "w", encoding = "UTF-8")
write.table(map, con, sep = ",", row.names = FALSE, col.names = TRUE, quote = FALSE)
close(con)

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
domains <- sort(unique(d$domain))
for (dname in c("fixed", "poststratify")) {
  des <- if (dname == "fixed") fixed else post
  ## The items by domain as svyby gives them, the strata unchanged.
  by <- list()
  for (q in items) for (m in names(measures)) {
    f <- as.formula("~" %+% measures[[m]][1] %+% q)
    by[[q %+% m]] <- svyby(f, ~domain, des, svyratio, denominator = as.formula("~valid_" %+% q))
  }
  for (dom in c("ALL", domains)) {
    sd <- if (dom == "ALL") des else subset(des, domain == dom)
    for (ind in names(indicators)) {
      for (m in names(measures)) {
        sc <- as.numeric(measures[[m]][2])
        r <- combination(sd, indicators[[ind]], measures[[m]][1], sc)
        if (startsWith(ind, "item:") && dom != "ALL") {
          q <- sub("item:", "", ind)
          b <- by[[q %+% m]]
          stopifnot(isTRUE(all.equal(sc * as.numeric(coef(b))[domains == dom], r[1],
                                     tolerance = 1e-13)))
          stopifnot(isTRUE(all.equal(sc * as.numeric(SE(b))[domains == dom], r[2],
                                     tolerance = 1e-12)))
        }
        if (startsWith(ind, "item:") && dom != "ALL" && dname == "fixed") {
          ## The pooled weighted estimate over the domain's respondents.
          q <- sub("item:", "", ind)
          rows <- d$domain == dom
          y <- d[[measures[[m]][1] %+% q]][rows]; x <- d[["valid_" %+% q]][rows]
          stopifnot(isTRUE(all.equal(sc * sum(d$w[rows] * y) / sum(d$w[rows] * x), r[1],
                                     tolerance = 1e-13)))
        }
        out[[length(out) + 1]] <- data.frame(
          design = dname, domain = dom, indicator = ind, measure = m,
          estimate = sprintf("%.17g", r[1]), std_error = sprintf("%.17g", r[2]),
          stringsAsFactors = FALSE)
      }
    }
  }
}
x <- do.call(rbind, out)
write.table(x, file.path(out_dir, "domains-expected.csv"), sep = ",",
            row.names = FALSE, col.names = TRUE, quote = FALSE)
cat("wrote", nrow(raw), "responses and", nrow(x), "rows;", R.version.string,
    "; survey", as.character(packageVersion("survey")), "\n")
