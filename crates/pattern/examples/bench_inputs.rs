//! Times pattern validation and matching on an input file, for `bench/pattern/compare.py`,
//! which runs the same inputs through the OASIS Python libraries and prints the ratios.
//!
//! Usage: `cargo run --release -p entente-pattern --example bench_inputs -- INPUT.json`
//!
//! The input is `{"patterns": [text, ...], "match_cases": [{"pattern": text, "objects":
//! [observed-data and SCOs ...]}, ...]}`. The output (stdout, JSON) gives seconds per pattern
//! and per case, and the per-item results so the caller can check that both sides agree.
//!
//! Each timed loop repeats the whole input until at least `MIN_SECONDS` have passed, after one
//! warm-up round, and reports the fastest round: on a shared machine the other rounds measure
//! the neighbours' load (Python's `timeit` advises the same). `compare.py` does likewise.

use std::time::{Duration, Instant};

use entente_pattern::{CompiledPattern, Observations, Severity, compile, validate_str};
use serde_json::{Value, json};

/// The allocator the node runs with (`crates/entente`), so that the objects read here lie in
/// memory as they do there.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const MIN_SECONDS: f64 = 2.0;

/// The fastest of the rounds run in `MIN_SECONDS`, and `1` (the rounds it stands for).
fn timed<F: FnMut()>(mut round: F) -> (Duration, u64) {
    round();
    let start = Instant::now();
    let mut best = Duration::MAX;
    while start.elapsed().as_secs_f64() < MIN_SECONDS {
        let t = Instant::now();
        round();
        best = best.min(t.elapsed());
    }
    (best, 1)
}

fn main() {
    let path = std::env::args()
        .nth(1)
        .expect("usage: bench_inputs INPUT.json");
    let text = std::fs::read_to_string(&path).expect("read the input file");
    let input: Value = serde_json::from_str(&text).expect("input is JSON");
    let patterns: Vec<&str> = input["patterns"]
        .as_array()
        .expect("patterns")
        .iter()
        .map(|p| p.as_str().expect("pattern text"))
        .collect();
    let cases: Vec<(&str, &Vec<Value>)> = input["match_cases"]
        .as_array()
        .expect("match_cases")
        .iter()
        .map(|c| {
            (
                c["pattern"].as_str().expect("case pattern"),
                c["objects"].as_array().expect("case objects"),
            )
        })
        .collect();

    // Results, once: syntax validity and vocabulary errors per pattern, match per case.
    let parsed: Vec<bool> = patterns
        .iter()
        .map(|p| entente_pattern::parse(p).is_ok())
        .collect();
    let vocabulary_errors: usize = patterns
        .iter()
        .filter_map(|p| validate_str(p).ok())
        .filter(|(_, issues)| issues.iter().any(|i| i.severity == Severity::Error))
        .count();
    let matched: Vec<Option<bool>> = cases
        .iter()
        .map(|(p, objects)| {
            let compiled = compile(p).ok()?;
            let obs = Observations::from_objects(objects.iter()).ok()?;
            compiled.matches(&obs).ok()
        })
        .collect();

    let (validate_time, validate_rounds) = timed(|| {
        for p in &patterns {
            std::hint::black_box(validate_str(p).ok());
        }
    });
    let (match_time, match_rounds) = timed(|| {
        for (p, objects) in &cases {
            let compiled = compile(p).expect("compiles");
            let obs = Observations::from_objects(objects.iter()).expect("observations");
            std::hint::black_box(compiled.first_match(&obs).ok());
        }
    });
    let compiled: Vec<CompiledPattern> = cases.iter().map(|(p, _)| compile(p).unwrap()).collect();
    let (once_time, once_rounds) = timed(|| {
        for (c, (_, objects)) in compiled.iter().zip(&cases) {
            let obs = Observations::from_objects(objects.iter()).expect("observations");
            std::hint::black_box(c.first_match(&obs).ok());
        }
    });
    let prepared: Vec<Observations<'_>> = cases
        .iter()
        .map(|(_, o)| Observations::from_objects(o.iter()).unwrap())
        .collect();
    let (pre_time, pre_rounds) = timed(|| {
        for (c, o) in compiled.iter().zip(&prepared) {
            std::hint::black_box(c.first_match(o).ok());
        }
    });

    let per = |d: Duration, rounds: u64, n: usize| d.as_secs_f64() / (rounds as f64 * n as f64);
    let out = json!({
        "validate": {
            "count": patterns.len(),
            "parsed": parsed.iter().filter(|b| **b).count(),
            "with_vocabulary_errors": vocabulary_errors,
            "seconds_per_pattern": per(validate_time, validate_rounds, patterns.len()),
        },
        "match": {
            "count": cases.len(),
            "matched": matched.iter().filter(|m| **m == Some(true)).count(),
            "seconds_per_case": per(match_time, match_rounds, cases.len()),
            "seconds_per_case_compiled_once": per(once_time, once_rounds, cases.len()),
            "seconds_per_case_precompiled": per(pre_time, pre_rounds, cases.len()),
        },
        "results": { "parsed": parsed, "matched": matched },
    });
    println!("{out}");
}
