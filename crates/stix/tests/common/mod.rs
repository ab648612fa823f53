//! Helpers shared by the integration tests: locating and reading the shared STIX data.
#![allow(dead_code)]

use std::io::Read;
use std::path::{Path, PathBuf};

/// `<repo>/../shared/data/stix`.
pub(crate) fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/stix")
}

/// Every `.json` and `.json.gz` file under the data directory, sorted.
pub(crate) fn data_files() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .flatten()
            .map(|e| e.path())
            .collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                walk(&p, out);
            } else {
                let n = p.to_string_lossy();
                if n.ends_with(".json") || n.ends_with(".json.gz") {
                    out.push(p);
                }
            }
        }
    }
    let mut out = Vec::new();
    walk(&data_dir(), &mut out);
    out
}

/// The file's bytes, gunzipped when the name ends in `.gz`.
pub(crate) fn read_bytes(p: &Path) -> Vec<u8> {
    let raw = std::fs::read(p).unwrap();
    if p.to_string_lossy().ends_with(".gz") {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&raw[..])
            .read_to_end(&mut out)
            .unwrap();
        out
    } else {
        raw
    }
}

/// The path relative to the data directory, with `/` separators.
pub(crate) fn rel(p: &Path) -> String {
    p.strip_prefix(data_dir())
        .unwrap()
        .to_string_lossy()
        .replace('\\', "/")
}
