//! The demo's simulation of contact outcomes (`chiso-fieldwork-v1`, specified in the
//! documentation of [`crate::fieldwork`]).

use rand_chacha::ChaCha20Rng;

use super::{Disposition, Fieldwork, Outcome, StratumLists, walk};
use crate::error::{Error, Result};
use crate::random::{self, uniform53};
use crate::sample::Role;

/// The identifier of the simulation algorithm described in the module documentation
/// (`chiso-fieldwork-v1`, also the prefix of its keys: `random::fieldwork`).
pub const SIMULATION: &str = random::domain::FIELDWORK;

/// The expected shares of contact outcomes in a simulation.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rates {
    non_contact: f64,
    refusal: f64,
    ineligible: f64,
    partial: f64,
    spread: f64,
}

impl Default for Rates {
    /// 8% not reached, 5% refusals (both varying by ±50% between strata), 1% ineligible,
    /// 2% partial interviews.
    fn default() -> Rates {
        Rates {
            non_contact: 0.08,
            refusal: 0.05,
            ineligible: 0.01,
            partial: 0.02,
            spread: 0.5,
        }
    }
}

impl Rates {
    /// Shares of contacts not reached, refusing, ineligible and partial; the non-contact and
    /// refusal shares of each stratum are multiplied by a factor uniform on
    /// `[1 − spread, 1 + spread)`. Every share must lie in `[0, 1]`, `spread` too, and
    /// `(non_contact + refusal)·(1 + spread) + ineligible + partial` must not exceed 1.
    ///
    /// ```
    /// use chiso::fieldwork::Rates;
    /// assert!(Rates::new(0.08, 0.05, 0.01, 0.02, 0.5).is_ok());
    /// assert!(Rates::new(0.6, 0.3, 0.0, 0.0, 0.5).is_err());
    /// ```
    pub fn new(
        non_contact: f64,
        refusal: f64,
        ineligible: f64,
        partial: f64,
        spread: f64,
    ) -> Result<Rates> {
        for (name, v) in [
            ("non_contact", non_contact),
            ("refusal", refusal),
            ("ineligible", ineligible),
            ("partial", partial),
            ("spread", spread),
        ] {
            if !(0.0..=1.0).contains(&v) {
                return Err(Error::usage(format!(
                    "fieldwork rate {name} = {v}: expected a share from 0 to 1"
                )));
            }
        }
        let worst = (non_contact + refusal) * (1.0 + spread) + ineligible + partial;
        if worst > 1.0 {
            return Err(Error::usage(format!(
                "fieldwork rates: (non_contact + refusal)·(1 + spread) + ineligible + partial = {worst}: expected at most 1"
            )));
        }
        Ok(Rates {
            non_contact,
            refusal,
            ineligible,
            partial,
            spread,
        })
    }
}

/// A seeded simulation of contact outcomes (`chiso-fieldwork-v1`, see the module
/// documentation).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Simulation {
    seed: u64,
    rates: Rates,
}

impl Simulation {
    /// A simulation with `seed` and `rates`.
    pub fn new(seed: u64, rates: Rates) -> Simulation {
        Simulation { seed, rates }
    }

    /// Stream `stream` of `stratum` ([`random::fieldwork`]).
    fn rng(&self, stratum: &str, stream: u64) -> ChaCha20Rng {
        random::fieldwork(self.seed, stratum, stream)
    }

    /// The factor applied to the non-contact and refusal shares of `stratum`.
    pub fn factor(&self, stratum: &str) -> f64 {
        let u = uniform53(&mut self.rng(stratum, 0));
        1.0 - self.rates.spread + 2.0 * self.rates.spread * u
    }

    /// The outcome of contacting the person of rank `rank` on list `role` of `stratum`.
    pub fn outcome(&self, stratum: &str, role: Role, rank: u64) -> Outcome {
        let f = self.factor(stratum);
        let stream = 2 * rank + u64::from(role == Role::Reserve);
        let mut rng = self.rng(stratum, stream);
        let u = uniform53(&mut rng);
        let r = &self.rates;
        let cuts = [
            (f * r.non_contact, Disposition::NonContact),
            (f * r.refusal, Disposition::Refusal),
            (r.ineligible, Disposition::Ineligible),
            (r.partial, Disposition::Partial),
        ];
        let mut edge = 0.0;
        let mut disposition = Disposition::Complete;
        for (share, d) in cuts {
            edge += share;
            if u < edge {
                disposition = d;
                break;
            }
        }
        Outcome {
            disposition,
            answered_share: uniform53(&mut rng),
        }
    }

    /// Walks `lists` with simulated outcomes.
    pub fn run(&self, lists: Vec<StratumLists>) -> Fieldwork {
        walk(lists, |s, role, p| self.outcome(s, role, p.rank))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simulated_shares_follow_the_rates() {
        let sim = Simulation::new(2024, Rates::default());
        let f = sim.factor("XA001");
        assert!((0.5..1.5).contains(&f));
        let mut counts = [0u64; 5];
        for rank in 1..=20_000 {
            counts[sim
                .outcome("XA001", Role::Official, rank)
                .disposition
                .index()] += 1;
        }
        // Expected shares: 0.08 f, 0.05 f, 0.01, 0.02 of 20,000 contacts, within 5 sd.
        let expect = [
            (1.0 - 0.13 * f - 0.03) * 20_000.0,
            0.02 * 20_000.0,
            0.05 * f * 20_000.0,
            0.08 * f * 20_000.0,
            0.01 * 20_000.0,
        ];
        for (c, e) in counts.iter().zip(expect) {
            let sd = (e * (1.0 - e / 20_000.0)).sqrt();
            assert!((*c as f64 - e).abs() < 5.0 * sd, "{counts:?} vs {expect:?}");
        }
    }
}
