#!/usr/bin/env Rscript
## The index benchmark's survey computed with R's `survey` package: timings, and estimates
## with standard errors to compare with `chiso index` (oracle/compare-indices.py).
##
## Run BY HAND from the repository root (not run by CI), after writing the data with
##     cargo run --release --example index_bench_data -- DIR
## then
##     Rscript oracle/bench-r.R DIR [ITEMS] [CONTRAST_UNITS]
##
## ITEMS           which items get the per-unit `svyby` call: N for the first N items
##                 (questionnaire order), FROM-TO for items FROM..TO (1-based, e.g. 5-22);
##                 default all 22. At the full size one item takes minutes, so the items
##                 can be split over runs.
## CONTRAST_UNITS  how many units (the first ones in code order) get the element and
##                 overall indices through `svycontrast`; default 5.
## Needs: R + survey (Debian: apt-get install r-base-core r-cran-survey).
##
## Writes (under DIR/r/):
##     estimates.csv  domain,indicator,measure,estimate,std_error,r_call: the share satisfied
##                    (satisfied_pct, 0-100 scale, as chiso writes it) with its SE
##     timings.txt    versions, sizes and the elapsed/user seconds of every timed step
##
## What is computed, with "satisfied" = answer 4 or 5 and no answer (empty cell) leaving
## the denominator, as chiso defines the share (see docs/indices.md):
##   design   svydesign(ids = ~1, strata = ~unit_code, fpc = ~N, weights = ~w), w = N_h/m_h
##   items    per unit: svyby(~sat_Qk, ~unit_code, design, svyratio, denominator = ~valid_Qk)
##            ALL:      svyratio(~sat_Qk, ~valid_Qk, design)                (every item)
##   elements, overall
##            per unit u (CONTRAST_UNITS of them): svycontrast of
##            svyratio(~sat_Q01+..+sat_Q22, ~valid_Q01+..+valid_Q22, subset(design, unit_code
##            == u), covmat = TRUE) with weight 1/|e| on the item ratios of element e (the
##            "diagonal" sat_Qk/valid_Qk pairs), and the mean of the five for overall. The
##            unit is its own stratum, so the subset design has the unit's stratum only.
##            ALL: the same ratios' linearised variables z_k = (sat_k - R_k valid_k) / X_k
##            averaged as the indices are, and SE(svytotal(~z, design)); the 22 x 22 ratio
##            covariance of svycontrast does not fit in memory for 1M rows. The oracle
##            fixtures (tests/fixtures/oracle) check that the two ways agree to 1e-12.

suppressPackageStartupMessages(library(survey))
options(warn = 1)

args <- commandArgs(trailingOnly = TRUE)
if (length(args) < 1) stop("usage: Rscript oracle/bench-r.R DIR [ITEMS] [CONTRAST_UNITS]")
dir <- args[[1]]
items_arg <- if (length(args) >= 2) args[[2]] else ""
n_contrast <- if (length(args) >= 3) as.integer(args[[3]]) else 5L
out_dir <- file.path(dir, "r")
dir.create(out_dir, showWarnings = FALSE)

timings <- list()
timed <- function(label, expr) {
  t <- system.time(value <- expr)
  timings[[length(timings) + 1]] <<- data.frame(
    step = label, elapsed_s = unname(t[["elapsed"]]),
    user_s = unname(t[["user.self"]] + t[["user.child"]]),
    sys_s = unname(t[["sys.self"]] + t[["sys.child"]]), stringsAsFactors = FALSE)
  message(sprintf("%-40s %9.2f s", label, t[["elapsed"]]))
  value
}

## ------------------------------------------------------------- read ----
header <- names(read.csv(file.path(dir, "responses.csv"), nrows = 1))
items <- header[-1]
if (header[[1]] != "unit_code" || !all(grepl("^Q[0-9]+$", items))) {
  stop("responses.csv: expected unit_code then item columns Q01, Q02, ...")
}
by_index <- if (items_arg == "") {
  seq_along(items)
} else if (grepl("^[0-9]+-[0-9]+$", items_arg)) {
  ends <- as.integer(strsplit(items_arg, "-")[[1]])
  seq(ends[[1]], ends[[2]])
} else if (grepl("^[0-9]+$", items_arg)) {
  seq_len(as.integer(items_arg))
} else {
  stop("ITEMS ", items_arg, ": expected N or FROM-TO")
}
if (length(by_index) > 0 && (min(by_index) < 1 || max(by_index) > length(items))) {
  stop("ITEMS ", items_arg, ": the items are numbered 1..", length(items))
}
stopifnot(!is.na(n_contrast), n_contrast >= 0)

d <- timed("read responses.csv", read.csv(
  file.path(dir, "responses.csv"),
  colClasses = c("character", rep("integer", length(items)))))
pop <- read.csv(file.path(dir, "population.csv"),
                colClasses = c("character", "numeric"))

## elements of the questionnaire: `items = ["Q01", ...]` lines of [[element]] tables
qlines <- readLines(file.path(dir, "questionnaire.toml"), encoding = "UTF-8")
codes <- sub('^code = "(.*)"$', "\\1", grep("^code = ", qlines, value = TRUE))
members <- lapply(grep("^items = \\[", qlines, value = TRUE),
                  function(l) regmatches(l, gregexpr("Q[0-9]+", l))[[1]])
names(members) <- codes
stopifnot(length(codes) == length(members), setequal(unlist(members), items))

## ------------------------------------------------------- variables ----
m_h <- table(d$unit_code)
d$N <- pop$population[match(d$unit_code, pop$stratum)]
if (anyNA(d$N)) stop("population.csv: a unit_code of the responses has no population")
d$w <- d$N / as.numeric(m_h[d$unit_code])
for (q in items) {
  a <- d[[q]]
  if (any(!is.na(a) & !(a %in% 1:5))) stop("responses.csv: ", q, " has answers outside 1..5")
  d[[paste0("valid_", q)]] <- as.numeric(!is.na(a))
  d[[paste0("sat_", q)]] <- as.numeric(!is.na(a) & a >= 4)
}
d <- d[, c("unit_code", "N", "w", paste0("valid_", items), paste0("sat_", items))]

## ----------------------------------------------------------- design ----
design <- timed("svydesign", svydesign(ids = ~1, strata = ~unit_code, fpc = ~N,
                                       weights = ~w, data = d))

fmt <- function(x) ifelse(is.finite(x), sprintf("%.17g", x), "")
out <- list()
add_rows <- function(domain, indicator, est, se, call) {
  out[[length(out) + 1]] <<- data.frame(
    domain = domain, indicator = indicator, measure = "satisfied_pct",
    estimate = fmt(100 * as.numeric(est)), std_error = fmt(100 * as.numeric(se)),
    r_call = call, stringsAsFactors = FALSE)
}
num_f <- function(q) as.formula(paste0("~sat_", q))
den_f <- function(q) as.formula(paste0("~valid_", q))

## ------------------------------------------------ items, per unit ----
for (q in items[by_index]) {
  b <- timed(paste("svyby svyratio", q), svyby(num_f(q), ~unit_code, design, svyratio,
                                                 denominator = den_f(q)))
  add_rows(as.character(b$unit_code), paste0("item:", q), coef(b), SE(b), "svyby")
}

## ------------------------------------------------------ items, ALL ----
R_all <- c(); X_all <- c()
for (q in items) {
  r <- timed(paste("svyratio ALL", q), svyratio(num_f(q), den_f(q), design))
  add_rows("ALL", paste0("item:", q), coef(r), SE(r), "svyratio")
  R_all[q] <- as.numeric(coef(r))
  X_all[q] <- sum(d$w * d[[paste0("valid_", q)]])
}

## ------------------------------------- elements and overall, ALL ----
t0 <- proc.time()
z <- list()
for (q in items) {
  z[[q]] <- (d[[paste0("sat_", q)]] - R_all[[q]] * d[[paste0("valid_", q)]]) / X_all[[q]]
}
zel <- lapply(members, function(qs) Reduce(`+`, z[qs]) / length(qs))
design$variables[paste0(".z_", codes)] <- zel
design$variables$.z_overall <- Reduce(`+`, zel) / length(zel)
tot <- svytotal(as.formula(paste0("~", paste0(".z_", c(codes, "overall"), collapse = "+"))),
                design)
el_all <- sapply(members, function(qs) mean(R_all[qs]))
est_all <- c(el_all, mean(el_all))
add_rows("ALL", c(paste0("element:", codes), "overall"), est_all, SE(tot),
         "svytotal(linearised)")
t1 <- proc.time() - t0
timings[[length(timings) + 1]] <- data.frame(
  step = "elements+overall ALL (svytotal)", elapsed_s = unname(t1[["elapsed"]]),
  user_s = unname(t1[["user.self"]]), sys_s = unname(t1[["sys.self"]]),
  stringsAsFactors = FALSE)

## ------------------------ elements and overall, per unit (contrast) ----
nums <- as.formula(paste0("~", paste0("sat_", items, collapse = "+")))
dens <- as.formula(paste0("~", paste0("valid_", items, collapse = "+")))
K <- length(items)
weights_of <- lapply(members, function(qs) {
  w <- numeric(K * K)
  k <- match(qs, items)
  w[(k - 1) * K + k] <- 1 / length(qs)
  w
})
weights_of$overall <- Reduce(`+`, weights_of) / length(members)
for (u in head(sort(unique(d$unit_code)), n_contrast)) {
  sub <- subset(design, unit_code == u)
  r <- timed(paste("svyratio covmat unit", u),
             svyratio(nums, dens, sub, covmat = TRUE))
  ## the diagonal pairs are the item ratios
  stopifnot(isTRUE(all.equal(as.numeric(coef(r))[(seq_len(K) - 1) * K + seq_len(K)],
                             sapply(items, function(q) {
                               v <- d$unit_code == u
                               sum(d$w[v] * d[[paste0("sat_", q)]][v]) /
                                 sum(d$w[v] * d[[paste0("valid_", q)]][v])
                             }), tolerance = 1e-12, check.attributes = FALSE)))
  cst <- svycontrast(r, weights_of)
  add_rows(u, c(paste0("element:", codes), "overall"), coef(cst), SE(cst), "svycontrast")
}

## ----------------------------------------------------------- write ----
res <- do.call(rbind, out)
write.csv(res, file.path(out_dir, "estimates.csv"), row.names = FALSE, quote = FALSE)

tim <- do.call(rbind, timings)
by_rows <- grepl("^svyby svyratio ", tim$step)
lines <- c(
  paste("R:", R.version.string),
  paste("survey:", as.character(packageVersion("survey"))),
  sprintf("respondents: %d, units (= strata): %d, items: %d", nrow(d),
          length(unique(d$unit_code)), length(items)),
  sprintf("svyby items measured: %d (%s), svycontrast units: %d", sum(by_rows),
          paste(items[by_index], collapse = " "),
          min(n_contrast, length(unique(d$unit_code)))),
  "",
  sprintf("%-40s %12s %12s %12s", "step", "elapsed_s", "user_s", "sys_s"),
  sprintf("%-40s %12.2f %12.2f %12.2f", tim$step, tim$elapsed_s, tim$user_s, tim$sys_s))
if (any(by_rows)) {
  per_item <- mean(tim$elapsed_s[by_rows])
  lines <- c(lines, "",
    sprintf("svyby per item, mean of %d: %.2f s elapsed", sum(by_rows), per_item),
    sprintf("svyby, all %d items: %.1f s elapsed (%s)", length(items),
            if (sum(by_rows) == length(items)) sum(tim$elapsed_s[by_rows])
            else per_item * length(items),
            if (sum(by_rows) == length(items)) "measured"
            else sprintf("extrapolated: %d x the mean per item", length(items))))
}
writeLines(lines, file.path(out_dir, "timings.txt"))
cat(lines, sep = "\n")
