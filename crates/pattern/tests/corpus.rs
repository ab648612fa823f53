//! Every STIX pattern of every indicator in the shared real-data corpus
//! (`../shared/data/stix`, see its SOURCES.md) parses, prints back to an equal tree, and
//! compiles for matching.
//!
//! The corpus holds patterns that are not valid STIX: the OASIS `elevator-idioms-2.1` examples
//! converted from STIX 1 keep `unconverted_term:...` placeholders where the converter gave up.
//! One more carries an `INVALID-CONDITION` operator. The OASIS validator (`stix2-patterns`
//! 2.1.2) rejects exactly these 49 of the 472 patterns; so must we.

use std::path::{Path, PathBuf};

use serde_json::Value;

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/stix")
}

fn json_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            json_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "json") {
            out.push(p);
        }
    }
}

fn is_known_invalid(text: &str) -> bool {
    text.contains("unconverted_term") || text.contains("INVALID-CONDITION")
}

/// A corpus file's path relative to the data directory.
fn short(p: &Path) -> String {
    p.strip_prefix(data_dir())
        .unwrap_or(p)
        .to_string_lossy()
        .into_owned()
}

/// `(file, pattern)` for every indicator with `pattern_type` "stix".
pub fn corpus_patterns() -> Vec<(PathBuf, String)> {
    let mut files = Vec::new();
    json_files(&data_dir(), &mut files);
    files.sort();
    let mut out = Vec::new();
    for f in files {
        let Ok(text) = std::fs::read_to_string(&f) else {
            continue;
        };
        let Ok(v) = serde_json::from_str::<Value>(&text) else {
            continue;
        };
        let objects = match v.get("objects").and_then(Value::as_array) {
            Some(o) => o.clone(),
            None => vec![v],
        };
        for o in objects {
            if o.get("type").and_then(Value::as_str) == Some("indicator")
                && o.get("pattern_type").and_then(Value::as_str) == Some("stix")
                && let Some(p) = o.get("pattern").and_then(Value::as_str)
            {
                out.push((f.clone(), p.to_owned()));
            }
        }
    }
    out
}

#[test]
fn every_corpus_pattern_parses_round_trips_and_compiles() {
    let patterns = corpus_patterns();
    assert!(
        patterns.len() >= 400,
        "expected the shared corpus at {}, found {} patterns",
        data_dir().display(),
        patterns.len()
    );
    let mut valid = 0;
    let mut placeholders = 0;
    let mut uncompilable = Vec::new();
    for (file, text) in &patterns {
        match entente_pattern::parse(text) {
            Ok(p) => {
                assert!(
                    !is_known_invalid(text),
                    "{}: placeholder pattern parsed: {text}",
                    file.display()
                );
                let printed = p.to_string();
                let again = entente_pattern::parse(&printed).unwrap_or_else(|e| {
                    panic!("{}: reprint does not parse: {e}\n{printed}", file.display())
                });
                assert_eq!(p, again, "{}: reprint differs: {printed}", file.display());
                if let Err(e) = entente_pattern::CompiledPattern::new(&p) {
                    uncompilable.push(format!("{}: {e}", short(file)));
                }
                valid += 1;
            }
            Err(e) => {
                assert!(is_known_invalid(text), "{}: {e}\n{text}", file.display());
                placeholders += 1;
            }
        }
    }
    assert_eq!(valid + placeholders, patterns.len());
    assert_eq!(
        placeholders, 49,
        "the OASIS validator rejects 49 corpus patterns"
    );
    // `\J` is no escape in PCRE or Python's `re` either: the pattern is broken at its source.
    assert_eq!(
        uncompilable,
        vec![
            "oasis/elevator-idioms-2.1/coa_ind_malicious_file.json: MATCHES regular expression \
             \"HKEY_CURRENT_CONFIG\\\\J@k3d\" is not supported: error: unrecognized escape sequence"
                .to_owned()
        ]
    );
    assert_eq!(valid, 423);
}

#[test]
fn corpus_pattern_validation_errors_are_the_known_ones() {
    // Each is a real defect of the source data: a property that does not exist
    // (`icmp_type_code`), a literal of the wrong type, or an invalid regular expression.
    let mut errors = Vec::new();
    for (file, text) in corpus_patterns() {
        if let Ok((_, issues)) = entente_pattern::validate_str(&text) {
            for i in issues {
                if i.severity == entente_pattern::Severity::Error {
                    errors.push(format!("{}: {}", short(&file), i.message));
                }
            }
        }
    }
    errors.dedup();
    insta::assert_snapshot!(errors.join("\n"));
}
