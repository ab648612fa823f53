//! A bounded map whose entries expire: what the server's caches hold (verified credentials in
//! `auth`, collections and permissions in `catalog`) is trusted for a fixed time after it was
//! read, and never grows past a bound.

use std::collections::HashMap;
use std::hash::Hash;
use std::time::{Duration, Instant};

/// Entries kept for `ttl` after their insertion, at most `max` of them.
pub(crate) struct Expiring<K, V> {
    ttl: Duration,
    max: usize,
    map: HashMap<K, (Instant, V)>,
}

impl<K: Hash + Eq, V> Expiring<K, V> {
    /// An empty map.
    pub(crate) fn new(ttl: Duration, max: usize) -> Expiring<K, V> {
        Expiring {
            ttl,
            max,
            map: HashMap::new(),
        }
    }

    /// The value under `key`, unless it has expired.
    pub(crate) fn get(&self, key: &K) -> Option<&V> {
        self.map
            .get(key)
            .filter(|(at, _)| at.elapsed() < self.ttl)
            .map(|(_, v)| v)
    }

    /// Keeps `value` under `key` from now on. When the map is full, the expired entries are
    /// dropped first, then all of them.
    pub(crate) fn insert(&mut self, key: K, value: V) {
        if self.map.len() >= self.max {
            let ttl = self.ttl;
            self.map.retain(|_, (at, _)| at.elapsed() < ttl);
            if self.map.len() >= self.max {
                self.map.clear();
            }
        }
        self.map.insert(key, (Instant::now(), value));
    }

    /// Forgets every entry.
    pub(crate) fn clear(&mut self) {
        self.map.clear();
    }

    /// Makes every entry `by` older (tests of expiry, without sleeping).
    #[cfg(test)]
    pub(crate) fn age(&mut self, by: Duration) {
        for (at, _) in self.map.values_mut() {
            *at = at.checked_sub(by).expect("a clock older than the ageing");
        }
    }

    /// The number of entries, expired or not.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.map.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_expire() {
        let mut m = Expiring::new(Duration::from_secs(2), 10);
        m.insert("a", 1);
        assert_eq!(m.get(&"a"), Some(&1));
        assert_eq!(m.get(&"b"), None);
        m.age(Duration::from_secs(2));
        assert_eq!(m.get(&"a"), None);
    }

    /// A full map drops what expired before anything else, and never holds more than its bound.
    #[test]
    fn it_is_bounded() {
        let mut m = Expiring::new(Duration::from_secs(2), 4);
        for i in 0..3 {
            m.insert(i, ());
        }
        m.age(Duration::from_secs(2));
        m.insert(3, ());
        m.insert(4, ());
        // 0-2 had expired: dropped to make room, while 3 stays.
        assert_eq!(m.len(), 2);
        assert_eq!(m.get(&3), Some(&()));
        for i in 5..100 {
            m.insert(i, ());
            assert!(m.len() <= 4);
        }
    }
}
