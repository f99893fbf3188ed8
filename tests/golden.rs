//! Golden tests: exact lists and digests for fixed inputs and seeds. A change here changes
//! what auditors re-draw: it belongs under "Reproducibility-breaking changes" in CHANGELOG.md.

use crate::util::*;

#[test]
fn golden_keys() {
    let k = chiso::draw::SeedKey::new("chiso test vector 1");
    let got: Vec<u64> = ["A00-000", "A00-001", "A00-002"]
        .iter()
        .map(|a| k.member_key(&["U00"], a))
        .collect();
    assert_eq!(got, GOLDEN_KEYS);
}

#[test]
fn golden_lists_of_the_test_vector_frame() {
    let dir = Dir::new();
    let path = dir.write("records.csv", &records(3));
    let lists = draw_file(&path, DESIGN, "chiso test vector 1");
    let got = lines(&lists);
    assert_eq!(got, GOLDEN_LISTS);
    assert_eq!(hex::encode(lists.frame.digest()), GOLDEN_FRAME_DIGEST);
    assert_eq!(lists.digest(), GOLDEN_SAMPLE_DIGEST);
}

#[test]
fn golden_digest_of_a_generated_province() {
    let dir = Dir::new();
    let path = dir.write("records.csv", &demo_province(20_000));
    let lists = draw_file(&path, chiso::demo::DEMO_DESIGN, chiso::demo::DEMO_SEED);
    assert_eq!(lists.digest(), GOLDEN_PROVINCE_SAMPLE_DIGEST);
    // The same with 2 threads.
    let d = design(chiso::demo::DEMO_DESIGN);
    let frame = chiso::sample::read_frame(&path, None, &Default::default(), &d).unwrap();
    let two = chiso::sample::Lists::draw(frame, &d, chiso::demo::DEMO_SEED, 2).unwrap();
    assert_eq!(two.digest(), GOLDEN_PROVINCE_SAMPLE_DIGEST);
}

const GOLDEN_KEYS: [u64; 3] = [
    12299423309542135757,
    11671815568347613926,
    4402555369171718117,
];
const GOLDEN_LISTS: [&str; 15] = [
    "U00/official/1/A00-004/R00007",
    "U00/official/2/A00-002/R00004",
    "U00/official/3/A00-001/R00003",
    "U00/reserve/1/A00-000/R00002",
    "U00/reserve/2/A00-003/R00006",
    "U01/official/1/A01-004/R00014",
    "U01/official/2/A01-001/R00010",
    "U01/official/3/A01-000/R00009",
    "U01/reserve/1/A01-003/R00013",
    "U01/reserve/2/A01-005/R00015",
    "U02/official/1/A02-006/R00028",
    "U02/official/2/A02-003/R00024",
    "U02/official/3/A02-005/R00026",
    "U02/reserve/1/A02-009/R00032",
    "U02/reserve/2/A02-007/R00029",
];
const GOLDEN_FRAME_DIGEST: &str =
    "578037d0cdf1ef911a27c8b109b5175405d875755e6eb11872654073d3e84535";
const GOLDEN_SAMPLE_DIGEST: &str =
    "719fa790d191f98a7df3b1d3d7e592af7ed8009d77f143ee8e096de94625a153";
const GOLDEN_PROVINCE_SAMPLE_DIGEST: &str =
    "7ca852616824086a21fb954f3d21d645781d04b5274adcac5dba6dc83069a14f";

/// The published test vectors of `docs/draw-algorithm.md` §8.
#[test]
fn the_documented_test_vectors_hold() {
    let dir = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/test-vectors"));
    let d = std::fs::read_to_string(dir.join("design.toml")).unwrap();
    let lists = draw_file(&dir.join("records.csv"), &d, "chiso test vector 1");
    let want = std::fs::read_to_string(dir.join("lists.csv")).unwrap();
    let want: Vec<String> = want.lines().skip(1).map(|l| l.replace(',', "/")).collect();
    assert_eq!(lines(&lists), want);
    assert_eq!(hex::encode(lists.frame.digest()), GOLDEN_FRAME_DIGEST);
    assert_eq!(lists.digest(), GOLDEN_SAMPLE_DIGEST);
    // The ChaCha20 check value: zero key, nonce 0, counter 0.
    use rand_core::{Rng, SeedableRng};
    let mut rng = rand_chacha::ChaCha20Rng::from_seed([0; 32]);
    assert_eq!(rng.next_u64(), 0x903d_f1a0_ade0_b876);
}
