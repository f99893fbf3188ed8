#!/usr/bin/env Rscript
## Oracle fixtures for the chiso estimator, computed with R's `survey` package.
##
## Run BY HAND from the repository root (not run by CI):
##     Rscript oracle/make-fixtures.R
## Needs: R + survey (Debian: apt-get install r-base-core r-cran-survey).
##
## Writes (all under tests/fixtures/oracle/):
##     responses.csv  synthetic stratified survey responses (input)
##     expected.csv   estimates / SEs / df / confidence intervals (oracle)
##     versions.txt   R.version.string and packageVersion("survey")
## The README.md next to them documents every column and the R calls used.
##
## Everything is deterministic (set.seed + fixed overrides), so re-running
## with the same R / survey versions reproduces the files byte for byte.

suppressPackageStartupMessages(library(survey))
options(warn = 1)

out_dir <- file.path("tests", "fixtures", "oracle")
if (!dir.exists(out_dir)) {
  if (!file.exists("Cargo.toml")) stop("run from the repository root")
  dir.create(out_dir, recursive = TRUE)
}

## ---------------------------------------------------------------- data ----
set.seed(20240611)

strata <- c("A", "B", "C", "D", "E")
N_h <- c(A = 800, B = 150, C = 40, D = 2000, E = 25)  # population
m_h <- c(A = 60, B = 30, C = 40, D = 90, E = 12)      # responses; C = census
items <- sprintf("Q%02d", 1:6)
elements <- list(E1 = c("Q01", "Q02", "Q03"), E2 = c("Q04", "Q05", "Q06"))

## answer distributions over 1..5 (per item, shifted per stratum)
base_p <- list(
  Q01 = c(0.08, 0.12, 0.20, 0.35, 0.25),
  Q02 = c(0.15, 0.20, 0.25, 0.25, 0.15),
  Q03 = c(0.000, 0.002, 0.008, 0.30, 0.69),  # satisfaction ~0.99
  Q04 = c(0.05, 0.10, 0.25, 0.40, 0.20),
  Q05 = c(0.20, 0.25, 0.20, 0.20, 0.15),
  Q06 = c(0.10, 0.15, 0.30, 0.30, 0.15)
)
shift <- c(A = 0, B = 0.3, C = -0.2, D = 0.1, E = -0.4)

gen_answers <- function(n, p, s) {
  w <- p * exp(s * (1:5 - 3))
  sample.int(5, n, replace = TRUE, prob = w / sum(w))
}

rows <- list()
for (h in strata) {
  n <- m_h[[h]]
  d <- data.frame(
    stratum = rep(h, n),
    population = rep(N_h[[h]], n),
    applicant_id = sprintf("%s-%03d", h, seq_len(n)),
    stringsAsFactors = FALSE
  )
  for (q in items) {
    a <- gen_answers(n, base_p[[q]], shift[[h]])
    ## ~7% no answer (NA = empty cell), ~5% coded 9 (also no answer)
    u <- runif(n)
    a[u < 0.07] <- NA
    a[u >= 0.07 & u < 0.12] <- 9L
    d[[q]] <- a
  }
  rows[[h]] <- d
}
raw <- do.call(rbind, rows)
rownames(raw) <- NULL

## deterministic overrides for the edge cases
setrow <- function(h, i, q, v) {
  raw[raw$stratum == h & raw$applicant_id == sprintf("%s-%03d", h, i), q] <<- v
}
## B / Q03: every valid answer satisfied (p_sat = 1, p_dis = 0)
ib <- which(raw$stratum == "B")
raw$Q03[ib][raw$Q03[ib] %in% 1:3] <- 4L
## Q03 outside B: one extra dissatisfied answer so overall p_sat ~ 0.99, not 1
setrow("A", 5, "Q03", 2L)
## E / Q06: only 3 valid answers, none satisfied (p_sat = 0), some 9 / NA
raw$Q06[raw$stratum == "E"] <- c(2L, NA, 9L, 3L, 9L, NA, 9L, NA, 1L, 9L, NA, 9L)
## E / Q05: exactly 2 valid answers (minimum allowed)
raw$Q05[raw$stratum == "E"] <- c(NA, 9L, 5L, NA, 9L, 9L, NA, 2L, 9L, NA, NA, 9L)
## C / Q01: all valid answers satisfied in the census stratum (p = 1, fpc 0)
ic <- which(raw$stratum == "C")
raw$Q01[ic][raw$Q01[ic] %in% 1:3] <- 5L

## analysis copy: 9 is treated exactly like NA
d <- raw
for (q in items) d[[q]] <- ifelse(d[[q]] %in% 1:5, d[[q]], NA)

## sanity checks on the design of the data set
for (h in strata) {
  stopifnot(sum(raw$stratum == h) == m_h[[h]])
  for (q in items) {
    nv <- sum(!is.na(d[[q]][d$stratum == h]))
    if (nv < 2) stop("stratum ", h, " item ", q, " has < 2 valid answers")
  }
}
stopifnot(all(d$Q03[d$stratum == "B"] >= 4, na.rm = TRUE))
stopifnot(all(d$Q06[d$stratum == "E"] <= 3, na.rm = TRUE))
stopifnot(all(d$Q01[d$stratum == "C"] >= 4, na.rm = TRUE))
stopifnot(any(raw == 9, na.rm = TRUE), anyNA(raw))

## write responses.csv (NA -> empty cell, 9 kept as 9)
resp_out <- raw
for (q in items) resp_out[[q]] <- ifelse(is.na(raw[[q]]), "", as.character(raw[[q]]))
write.table(resp_out, file.path(out_dir, "responses.csv"), sep = ",",
            row.names = FALSE, col.names = TRUE, quote = FALSE, na = "")

## ------------------------------------------------------------- design ----
d$w <- N_h[d$stratum] / m_h[d$stratum]
for (q in items) {
  a <- d[[q]]
  d[[paste0("valid_", q)]] <- as.numeric(!is.na(a))
  d[[paste0("sat_", q)]]   <- as.numeric(!is.na(a) & a >= 4)
  d[[paste0("dis_", q)]]   <- as.numeric(!is.na(a) & a <= 2)
  d[[paste0("ans0_", q)]]  <- ifelse(is.na(a), 0, a)
}
design <- svydesign(ids = ~1, strata = ~stratum, fpc = ~population,
                    weights = ~w, data = d)

measures <- list(
  satisfied_pct    = list(prefix = "sat_",  scale = 100),
  dissatisfied_pct = list(prefix = "dis_",  scale = 100),
  mean_score       = list(prefix = "ans0_", scale = 1)
)
domains <- c("ALL", strata)
in_domain <- function(dom) if (dom == "ALL") rep(TRUE, nrow(d)) else d$stratum == dom
domain_design <- function(dom) if (dom == "ALL") design else subset(design, stratum == dom)

logit_gap <- 0
## relative agreement (absolute when the target is 0)
tol_check <- function(a, b, what, tol = 1e-12) {
  ok <- isTRUE(all.equal(a, b, tolerance = tol, check.attributes = FALSE))
  if (!ok) stop("cross-check failed: ", what, ": ", format(a, digits = 17), " vs ",
                format(b, digits = 17))
}

## linearised variable of item ratio R = Y/X in a domain (0 outside domain)
item_z <- function(num, den, dom) {
  ind <- in_domain(dom)
  y <- d[[num]] * ind; x <- d[[den]] * ind
  Y <- sum(d$w * y); X <- sum(d$w * x)
  R <- Y / X
  list(R = R, z = (y - R * x) / X)
}
se_of_total <- function(z) {
  design$variables$.z <- z
  as.numeric(SE(svytotal(~.z, design)))
}

fmt <- function(x) {
  if (length(x) == 0 || is.null(x)) return("")
  x <- as.numeric(x)
  ifelse(is.finite(x), sprintf("%.17g", x), "")
}

out <- list()
add_row <- function(domain, indicator, measure, est, se, df,
                    ci_method = "", lo = NA, hi = NA) {
  out[[length(out) + 1]] <<- data.frame(
    domain = domain, indicator = indicator, measure = measure,
    estimate = fmt(est), std_error = fmt(se), df = fmt(df),
    ci_method = ci_method, ci_lower = fmt(lo), ci_upper = fmt(hi),
    stringsAsFactors = FALSE)
}

ci_methods <- c("logit", "xlogit", "beta", "asin", "mean")

## Closed forms of svyciprop's intervals (survey 4.1.1 source), proportion
## scale. Only for the regular case 0 < p < 1, se > 0, df >= 2 (otherwise R
## returns artefacts, see README). n = rows of the subset design.
ci_by_hand <- function(m, p, se, df, n, level = 0.95) {
  if (!(p > 0 && p < 1 && se > 0 && df >= 2)) return(NULL)
  a <- (1 - level) / 2
  t <- qt(1 - a, df)
  switch(m,
    mean = p + c(-1, 1) * t * se,
    logit = , xlogit = plogis(qlogis(p) + c(-1, 1) * t * se / (p * (1 - p))),
    asin = sin(asin(sqrt(p)) + c(-1, 1) * t * se / (2 * sqrt(p * (1 - p))))^2,
    beta = {
      neff <- p * (1 - p) / se^2 * (qt(a, n - 1) / qt(a, df))^2
      c(qbeta(a, neff * p, neff * (1 - p) + 1), qbeta(1 - a, neff * p + 1, neff * (1 - p)))
    })
}

for (dom in domains) {
  ddes <- domain_design(dom)
  dom_df <- degf(ddes)   # df of the domain design (for rows without a CI)
  for (mname in names(measures)) {
    pre <- measures[[mname]]$prefix; sc <- measures[[mname]]$scale
    zs <- list(); Rs <- c()
    for (q in items) {
      num <- paste0(pre, q); den <- paste0("valid_", q)
      lz <- item_z(num, den, dom)
      zs[[q]] <- lz$z; Rs[q] <- lz$R
      se_z <- se_of_total(lz$z)
      ## reference: svyratio (ALL) / svyby(..., svyratio) (stratum domain)
      if (dom == "ALL") {
        r <- svyratio(as.formula(paste0("~", num)), as.formula(paste0("~", den)), design)
        est <- as.numeric(coef(r)); se <- as.numeric(SE(r))
        ## plain weighted ratio by hand
        tol_check(est, sum(d$w * d[[num]]) / sum(d$w * d[[den]]), paste("hand", q, mname))
      } else {
        b <- svyby(as.formula(paste0("~", num)), ~stratum, design, svyratio,
                   denominator = as.formula(paste0("~", den)))
        est <- as.numeric(coef(b)[dom]); se <- as.numeric(SE(b)[match(dom, b$stratum)])
      }
      tol_check(est, lz$R, paste("est", dom, q, mname))
      tol_check(se, se_z, paste("se", dom, q, mname))
      ind <- paste0("item:", q)

      if (mname == "mean_score") {
        add_row(dom, ind, mname, sc * est, sc * se, dom_df)
        next
      }
      ## intervals: svyciprop on the valid answers of the domain
      vsub <- if (dom == "ALL") subset(design, get(den) == 1)
              else subset(design, get(den) == 1 & stratum == dom)
      df_v <- degf(vsub)
      add_row(dom, ind, mname, sc * est, sc * se, df_v, "wald",
              sc * (est - qt(0.975, df_v) * se), sc * (est + qt(0.975, df_v) * se))
      for (m in ci_methods) {
        ci <- tryCatch(
          suppressWarnings(svyciprop(as.formula(paste0("~", num)), vsub,
                                     method = m, level = 0.95)),
          error = function(e) { message("svyciprop error ", dom, " ", q, " ", m, ": ",
                                        conditionMessage(e)); NULL })
        if (is.null(ci)) {
          add_row(dom, ind, mname, sc * est, sc * se, df_v, m, NA, NA)
          next
        }
        p <- as.numeric(ci); cl <- as.numeric(attr(ci, "ci"))
        se_ci <- sqrt(as.numeric(attr(ci, "var")))
        ## svyciprop's point estimate and SE must equal the ratio's
        if (m != "logit") tol_check(p, est, paste("ciprop est", dom, q, m))
        tol_check(se_ci, se, paste("ciprop se", dom, q, m))
        ## closed-form re-derivation of the interval (documented in README)
        hand <- ci_by_hand(m, est, se, df_v, nrow(vsub))
        if (!is.null(hand)) {
          if (m == "logit") {
            ## svyglm's IRLS stops at glm.control()$epsilon = 1e-8 (deviance), so
            ## R's logit interval is only ~1e-10 relative to the closed form
            logit_gap <<- max(logit_gap, abs(cl - hand) / abs(hand))
            tol_check(cl, hand, paste("ci formula", dom, q, mname, m), tol = 1e-8)
          } else {
            tol_check(cl, hand, paste("ci formula", dom, q, mname, m))
          }
        }
        add_row(dom, ind, mname, sc * p, sc * se_ci, df_v, m, sc * cl[1], sc * cl[2])
      }
    }
    ## elements and overall: mean of item ratios, SE via mean of item z's
    el_est <- c(); el_z <- list()
    for (e in names(elements)) {
      qs <- elements[[e]]
      el_est[e] <- mean(Rs[qs])
      el_z[[e]] <- Reduce(`+`, zs[qs]) / length(qs)
      add_row(dom, paste0("element:", e), mname, sc * el_est[e],
              sc * se_of_total(el_z[[e]]), dom_df)
    }
    ov_z <- Reduce(`+`, el_z) / length(el_z)
    add_row(dom, "overall", mname, sc * mean(el_est), sc * se_of_total(ov_z), dom_df)

    ## cross-check element/overall against svyratio(covmat = TRUE) + svycontrast
    if (dom == "ALL") {
      rr <- svyratio(as.formula(paste0("~", paste0(pre, items, collapse = "+"))),
                     as.formula(paste0("~", paste0("valid_", items, collapse = "+"))),
                     design, covmat = TRUE)
      k <- length(items); diag_idx <- (seq_len(k) - 1) * k + seq_len(k)
      cvec <- function(ws) { v <- numeric(k * k); v[diag_idx] <- ws; v }
      for (e in names(elements)) {
        sc_e <- svycontrast(rr, cvec(as.numeric(items %in% elements[[e]]) / 3))
        tol_check(as.numeric(coef(sc_e)), el_est[e], paste("contrast est", e, mname))
        tol_check(as.numeric(SE(sc_e)), se_of_total(el_z[[e]]), paste("contrast se", e, mname))
      }
      sc_o <- svycontrast(rr, cvec(rep(1 / 6, 6)))
      tol_check(as.numeric(SE(sc_o)), se_of_total(ov_z), paste("contrast se overall", mname))
    } else {
      ## same check within a stratum domain (svyratio on the subset design)
      rr <- svyratio(as.formula(paste0("~", paste0(pre, items, collapse = "+"))),
                     as.formula(paste0("~", paste0("valid_", items, collapse = "+"))),
                     ddes, covmat = TRUE)
      k <- length(items); diag_idx <- (seq_len(k) - 1) * k + seq_len(k)
      v <- numeric(k * k); v[diag_idx] <- 1 / 6
      sc_o <- svycontrast(rr, v)
      tol_check(as.numeric(SE(sc_o)), se_of_total(ov_z), paste("contrast se overall", dom, mname))
    }
  }
}

expected <- do.call(rbind, out)
write.table(expected, file.path(out_dir, "expected.csv"), sep = ",",
            row.names = FALSE, col.names = TRUE, quote = FALSE, na = "")

writeLines(c(paste0("R: ", R.version.string),
             paste0("survey: ", as.character(packageVersion("survey")))),
           file.path(out_dir, "versions.txt"))

cat("max relative gap, R logit interval vs closed form:", format(logit_gap, digits = 3), "\n")
cat("wrote", nrow(raw), "responses and", nrow(expected), "expected rows\n")
cat(R.version.string, "; survey", as.character(packageVersion("survey")), "\n")
