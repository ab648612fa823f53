//! A bounded, process-wide cache of compiled `MATCHES` operands.
//!
//! Building a `regex` costs about 10 us and its first search a few more (the lazy DFA fills
//! its cache), while a typical pattern otherwise compiles in about 1 us. Indicators reuse a
//! small set of regular expressions, and callers compile the same pattern again and again
//! (one call per pattern and observation set), so [`compile`](crate::compile) looks each
//! operand up here first. Python's `re` module, which the OASIS `stix2-matcher` uses, keeps
//! compiled patterns the same way (up to 512 of them).
//!
//! The cache holds `Arc<Regex>`, shared by every compiled pattern using that operand: cloning
//! a `regex::Regex` would give each clone an empty search cache of its own.
//!
//! Bounds, so that hostile input cannot make it grow: at most [`CAPACITY`] entries, evicting
//! the oldest when full (first in, first out), and operands longer than [`MAX_SOURCE_LEN`]
//! bytes are compiled without being kept. Each entry is bounded as every regex here is: its
//! program by the size limit [`compile_regex`] sets (4 MiB), and its search caches by the
//! `regex` crate's default lazy-DFA capacity (about 2 MiB per thread searching with it).
//! Failed compilations are not kept.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, PoisonError};

use regex::Regex;

use crate::error::CompileError;
use crate::matcher::compile_regex;

/// The most operands the process-wide cache keeps.
pub(crate) const CAPACITY: usize = 128;

/// Operands longer than this are compiled every time, not kept.
pub(crate) const MAX_SOURCE_LEN: usize = 1024;

/// The process-wide cache [`regex`] uses.
static CACHE: Mutex<Option<RegexCache>> = Mutex::new(None);

/// The compiled form of the `MATCHES` operand `source`, from the process-wide cache when it is
/// there.
pub(crate) fn regex(source: &str) -> Result<Arc<Regex>, CompileError> {
    if source.len() > MAX_SOURCE_LEN {
        return compile_regex(source).map(Arc::new);
    }
    let lock = || CACHE.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(re) = lock().as_ref().and_then(|c| c.get(source)) {
        return Ok(re);
    }
    // Compiled outside the lock: other threads keep using the cache meanwhile.
    let re = Arc::new(compile_regex(source)?);
    Ok(lock()
        .get_or_insert_with(|| RegexCache::new(CAPACITY))
        .insert(source, re))
}

/// Compiled regular expressions by source, at most `capacity` of them, the oldest evicted
/// first.
#[derive(Debug)]
pub(crate) struct RegexCache {
    capacity: usize,
    map: HashMap<Arc<str>, Arc<Regex>>,
    /// The keys of `map`, oldest first.
    order: VecDeque<Arc<str>>,
}

impl RegexCache {
    pub(crate) fn new(capacity: usize) -> RegexCache {
        RegexCache {
            capacity: capacity.max(1),
            map: HashMap::new(),
            order: VecDeque::new(),
        }
    }

    pub(crate) fn get(&self, source: &str) -> Option<Arc<Regex>> {
        self.map.get(source).cloned()
    }

    /// Keeps `re` as the compiled form of `source`, unless another thread kept one first;
    /// returns the one kept.
    pub(crate) fn insert(&mut self, source: &str, re: Arc<Regex>) -> Arc<Regex> {
        if let Some(kept) = self.map.get(source) {
            return Arc::clone(kept);
        }
        // `order` lists the keys of `map`, so it runs out only when `map` is empty.
        while self.map.len() >= self.capacity
            && let Some(oldest) = self.order.pop_front()
        {
            self.map.remove(&oldest);
        }
        let key: Arc<str> = Arc::from(source);
        self.order.push_back(Arc::clone(&key));
        self.map.insert(key, Arc::clone(&re));
        re
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.map.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn compiled(source: &str) -> Arc<Regex> {
        Arc::new(compile_regex(source).unwrap())
    }

    #[test]
    fn the_bound_holds_and_the_oldest_goes_first() {
        let mut cache = RegexCache::new(4);
        for i in 0..10 {
            let source = format!("^a{{{i}}}$");
            cache.insert(&source, compiled(&source));
            assert!(cache.len() <= 4);
        }
        assert_eq!(cache.len(), 4);
        assert_eq!(cache.order.len(), 4);
        for i in 0..6 {
            assert!(cache.get(&format!("^a{{{i}}}$")).is_none(), "{i}");
        }
        for i in 6..10 {
            let re = cache.get(&format!("^a{{{i}}}$")).expect("kept");
            assert!(re.is_match(&"a".repeat(i)));
            assert!(!re.is_match(&"a".repeat(i + 1)));
        }
    }

    #[test]
    fn the_first_entry_kept_for_a_source_is_the_one_returned() {
        let mut cache = RegexCache::new(4);
        let first = cache.insert("x+", compiled("x+"));
        let second = cache.insert("x+", compiled("x+"));
        assert!(Arc::ptr_eq(&first, &second));
        assert_eq!(cache.len(), 1);
    }

    #[test]
    fn the_process_wide_cache_shares_one_regex_per_source() {
        let source = "^regex-cache-test-[0-9]+$";
        let a = regex(source).unwrap();
        let b = regex(source).unwrap();
        // Other tests may fill the cache between the two calls and evict the entry; when they
        // do not, both calls return the same compiled regex.
        assert!(Arc::ptr_eq(&a, &b) || CACHE.lock().unwrap().as_ref().unwrap().len() == CAPACITY);
        assert!(a.is_match("regex-cache-test-42") && b.is_match("regex-cache-test-42"));
    }

    #[test]
    fn the_process_wide_cache_stays_bounded() {
        for i in 0..CAPACITY * 2 {
            let re = regex(&format!("^bounded-{i}$")).unwrap();
            assert!(re.is_match(&format!("bounded-{i}")));
        }
        let cache = CACHE.lock().unwrap();
        let cache = cache.as_ref().unwrap();
        assert_eq!(cache.len(), CAPACITY);
        assert_eq!(cache.order.len(), CAPACITY);
    }

    #[test]
    fn long_operands_and_errors_are_not_kept() {
        let long = format!("^{}$", "b".repeat(MAX_SOURCE_LEN));
        let a = regex(&long).unwrap();
        let b = regex(&long).unwrap();
        assert!(!Arc::ptr_eq(&a, &b));
        assert!(a.is_match(&"b".repeat(MAX_SOURCE_LEN)));
        assert!(matches!(regex("(?<=a)b"), Err(CompileError::Regex { .. })));
        if let Some(cache) = CACHE.lock().unwrap().as_ref() {
            assert!(cache.get(&long).is_none());
            assert!(cache.get("(?<=a)b").is_none());
        }
    }

    #[test]
    fn patterns_sharing_an_operand_match_as_if_compiled_alone() {
        let objects: Vec<serde_json::Value> = serde_json::from_str(
            r#"[
              {"type": "observed-data", "id": "observed-data--6f3f3e5c-9f5c-4d6b-8d0e-6a1d7d6c7a11",
               "first_observed": "2026-01-01T00:00:00Z", "last_observed": "2026-01-01T00:00:00Z",
               "number_observed": 1, "object_refs": ["file--2c9ab4e4-4a70-4a4a-9b48-1f4d8e6d7f31"]},
              {"type": "file", "id": "file--2c9ab4e4-4a70-4a4a-9b48-1f4d8e6d7f31",
               "name": "invoice12.exe", "size": 10}
            ]"#,
        )
        .unwrap();
        let observations = crate::Observations::from_objects(&objects).unwrap();
        for _ in 0..3 {
            for (pattern, want) in [
                (r"[file:name MATCHES '^invoice[0-9]+\\.exe$']", true),
                (
                    r"[file:name MATCHES '^invoice[0-9]+\\.exe$' AND file:size > 10]",
                    false,
                ),
                (r"[file:name NOT MATCHES '^invoice[0-9]+\\.exe$']", false),
                (r"[file:name MATCHES '^report[0-9]+\\.exe$']", false),
            ] {
                let compiled = crate::compile(pattern).unwrap();
                assert_eq!(compiled.matches(&observations), Ok(want), "{pattern}");
            }
        }
    }
}
