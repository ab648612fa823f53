//! Fuzzes the parser, printer, validator and compiler: any input must either fail with an
//! error or parse to a tree whose canonical print parses back to the same tree; validating and
//! compiling a parsed tree must not panic.
//!
//! Run: `cd crates/pattern/fuzz && cargo +nightly fuzz run parse corpus/parse`
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(pattern) = entente_pattern::parse(text) else {
        return;
    };
    let printed = pattern.to_string();
    let again = entente_pattern::parse(&printed).expect("canonical print parses");
    assert_eq!(
        again, pattern,
        "canonical print parses to the same tree: {printed}"
    );
    let _ = entente_pattern::validate(&pattern);
    let _ = entente_pattern::CompiledPattern::new(&pattern);
});
