//! Properties of the draw over generated frames and designs (proptest), and a statistical
//! check of the inclusion probabilities.

use proptest::prelude::*;

use chiso::design::StratumSize;
use chiso::draw::{SeedKey, draw_stratum};
use chiso::frame::{Member, Stratum};

use crate::util::*;

fn stratum(values: &[&str], n: usize) -> Stratum {
    let mut members: Vec<Member> = (0..n)
        .map(|i| Member {
            applicant_id: format!("A{i:05}").into(),
            record_id: format!("R{i:05}").into(),
            returned: chrono::NaiveDate::from_ymd_opt(2024, 1, 1).unwrap(),
            record_count: 1,
            applicant_type: None,
            row: i as u64 + 2,
            locator: i as u64,
        })
        .collect();
    members.sort_by(|a, b| a.applicant_id.cmp(&b.applicant_id));
    Stratum {
        values: values.iter().map(|v| v.to_string()).collect(),
        members,
    }
}

/// Records for units with the given numbers of applicants, one record each (plus repeats).
fn records_for(sizes: &[usize]) -> Vec<String> {
    let mut rows = Vec::new();
    let mut id = 0;
    for (u, &n) in sizes.iter().enumerate() {
        for a in 0..n {
            for r in 0..(1 + (a % 4 == 1) as usize) {
                id += 1;
                rows.push(format!(
                    "R{id},U{u},A{a},2024-02-{:02},citizen,N,0",
                    1 + r + a % 20
                ));
            }
        }
    }
    rows
}

fn csv_of(rows: &[String]) -> String {
    let mut s = String::from(HEADER);
    s.push('\n');
    for r in rows {
        s.push_str(r);
        s.push('\n');
    }
    s
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn lists_are_disjoint_inside_the_frame_and_of_the_right_size(
        n_members in 0usize..60, n in 0u64..70, r in 0u64..30, seed in "[a-z0-9]{1,12}",
    ) {
        let s = stratum(&["U"], n_members);
        let want_n = n.min(n_members as u64);
        let want_r = r.min(n_members as u64 - want_n);
        let d = draw_stratum(&SeedKey::new(&seed), &s, StratumSize { n: want_n, reserve: want_r });
        prop_assert_eq!(d.official.len() as u64, want_n);
        prop_assert_eq!(d.reserve.len() as u64, want_r);
        let mut all: Vec<u32> = d.official.iter().chain(&d.reserve).copied().collect();
        all.sort_unstable();
        all.dedup();
        prop_assert_eq!(all.len() as u64, want_n + want_r);
        prop_assert!(all.iter().all(|&i| (i as usize) < n_members));
        // Official keys all come before reserve keys.
        let max_off = d.official.iter().map(|&i| d.keys[i as usize]).max();
        let min_res = d.reserve.iter().map(|&i| d.keys[i as usize]).min();
        if let (Some(a), Some(b)) = (max_off, min_res) {
            prop_assert!(a <= b);
        }
    }

    #[test]
    fn sizes_respect_the_design(
        sizes in proptest::collection::vec(1u64..500, 1..12),
        total in 0u64..800, e in 0.01f64..0.3, min in 0u64..40,
    ) {
        let labelled: Vec<(String, u64)> =
            sizes.iter().enumerate().map(|(i, n)| (format!("S{i:02}"), *n)).collect();
        let window = "[frame]\nwindow = [\"2024-01-01\", \"2024-12-31\"]\n";
        let y = design(&format!("{window}[size]\nmode = \"yamane\"\ne = {e}\nmin = {min}\n[reserve]\nratio = 0.5\n"));
        for (z, (_, big_n)) in y.sizes(&labelled).unwrap().iter().zip(&labelled) {
            prop_assert!(z.n <= *big_n && z.n >= min.min(*big_n));
            prop_assert!(z.n >= chiso::design::yamane(*big_n, e).min(*big_n));
            prop_assert!(z.reserve <= big_n - z.n);
        }
        let a = design(&format!("{window}[size]\nmode = \"allocate\"\ntotal = {total}\nallocation = \"proportional\"\n"));
        let cap: u64 = sizes.iter().sum();
        match a.sizes(&labelled) {
            Ok(z) => {
                prop_assert_eq!(z.iter().map(|z| z.n).sum::<u64>(), total);
                for (z, (_, big_n)) in z.iter().zip(&labelled) {
                    prop_assert!(z.n <= *big_n);
                }
            }
            Err(_) => prop_assert!(total > cap),
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    #[test]
    fn row_order_and_file_format_do_not_change_the_lists(
        sizes in proptest::collection::vec(1usize..25, 1..5),
        perm_seed in any::<u64>(),
    ) {
        let rows = records_for(&sizes);
        let mut shuffled = rows.clone();
        // A permutation of our own (Fisher–Yates on a splitmix sequence).
        let mut x = perm_seed;
        for i in (1..shuffled.len()).rev() {
            x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = x;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^= z >> 31;
            shuffled.swap(i, (z % (i as u64 + 1)) as usize);
        }
        let dir = Dir::new();
        let a = draw_file(&dir.write("a.csv", &csv_of(&rows)), DESIGN, "s");
        let b = draw_file(&dir.write("b.csv", &csv_of(&shuffled)), DESIGN, "s");
        csv_to_xlsx(&csv_of(&shuffled), &dir.path("c.xlsx"));
        let c = draw_file(&dir.path("c.xlsx"), DESIGN, "s");
        prop_assert_eq!(lines(&a), lines(&b));
        prop_assert_eq!(lines(&a), lines(&c));
        prop_assert_eq!(a.frame.digest(), c.frame.digest());
    }

    #[test]
    fn editing_one_stratum_leaves_the_others_unchanged(
        sizes in proptest::collection::vec(2usize..25, 2..5),
        victim in any::<prop::sample::Index>(),
        drop_at in any::<prop::sample::Index>(),
    ) {
        let rows = records_for(&sizes);
        let v = victim.index(sizes.len());
        let unit = format!(",U{v},");
        let in_v: Vec<usize> = (0..rows.len()).filter(|&i| rows[i].contains(&unit)).collect();
        let mut edited = rows.clone();
        edited.remove(in_v[drop_at.index(in_v.len())]);
        edited.push(format!("RNEW,U{v},ANEW,2024-03-03,citizen,N,0"));
        let dir = Dir::new();
        let a = draw_file(&dir.write("a.csv", &csv_of(&rows)), DESIGN, "s");
        let b = draw_file(&dir.write("b.csv", &csv_of(&edited)), DESIGN, "s");
        let strip = |l: &Vec<String>| -> Vec<String> {
            l.iter().filter(|x| !x.starts_with(&format!("U{v}/"))).cloned().collect()
        };
        prop_assert_eq!(strip(&lines(&a)), strip(&lines(&b)));
    }
}

#[test]
fn inclusion_frequencies_match_n_over_big_n() {
    // 4,000 seeds over a stratum of 12 with n = 3: every member's frequency is within five
    // standard errors of 1/4.
    let s = stratum(&["U"], 12);
    let seeds = 4_000;
    let mut hits = [0u32; 12];
    for i in 0..seeds {
        let d = draw_stratum(
            &SeedKey::new(&format!("seed-{i}")),
            &s,
            StratumSize { n: 3, reserve: 2 },
        );
        for &m in &d.official {
            hits[m as usize] += 1;
        }
    }
    let p = 3.0 / 12.0;
    let se = (p * (1.0 - p) / seeds as f64).sqrt();
    for (m, h) in hits.iter().enumerate() {
        let f = *h as f64 / seeds as f64;
        assert!((f - p).abs() < 5.0 * se, "member {m}: {f} vs {p} (±{se})");
    }
    // And the first reserve is a uniform pick among the non-official members too.
    assert_eq!(hits.iter().sum::<u32>(), 3 * seeds);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn removing_one_applicant_moves_at_most_it_and_one_neighbour(
        big_n in 2usize..80, n in 1u64..40, gone in any::<prop::sample::Index>(), seed in "[a-z]{1,8}",
    ) {
        let n = n.min(big_n as u64 - 1);
        let full = stratum(&["U"], big_n);
        let mut less = full.clone();
        let removed = less.members.remove(gone.index(big_n)).applicant_id;
        let k = SeedKey::new(&seed);
        let size = StratumSize { n, reserve: 0 };
        let ids = |s: &Stratum, d: &chiso::draw::StratumDraw| -> std::collections::BTreeSet<String> {
            d.official.iter().map(|&i| s.members[i as usize].applicant_id.to_string()).collect()
        };
        let a = ids(&full, &draw_stratum(&k, &full, size));
        let b = ids(&less, &draw_stratum(&k, &less, size));
        let changed: Vec<&String> = a.symmetric_difference(&b).collect();
        prop_assert!(changed.len() <= 2, "{:?}", changed);
        if changed.len() == 2 {
            prop_assert!(changed.iter().any(|c| **c == *removed));
        }
    }
}
