//! Warning lists: known benign values that must not make hits (public resolvers, the RFC 5737
//! and RFC 3849 documentation ranges, loopback and private networks, the RFC 2606 reserved
//! names, very common domains, hashes of the empty file). An analyst learns nothing from two
//! partners both mentioning `8.8.8.8`, and such values would dominate every other hit.
//!
//! The built-in list can be switched off, extended (`warn`) and punched through (`allow`) in
//! [`crate::Settings`]. Entries are written as the user would: an address or CIDR network, a
//! domain (which also covers its subdomains), a URL, an e-mail address, or a hash.

use std::collections::HashSet;
use std::net::IpAddr;

use ipnet::IpNet;

use crate::hash::Fx;
use crate::observable::{HashAlg, Kind, Observable, url_host};

/// Networks that never correlate (RFC 5737, RFC 3849, public resolvers, loopback, RFC 1918,
/// link-local, unspecified, broadcast).
const BUILTIN_NETWORKS: &[&str] = &[
    "192.0.2.0/24",
    "198.51.100.0/24",
    "203.0.113.0/24",
    "2001:db8::/32",
    "127.0.0.0/8",
    "::1/128",
    "0.0.0.0/32",
    "::/128",
    "255.255.255.255/32",
    "10.0.0.0/8",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "169.254.0.0/16",
    "fe80::/10",
    "8.8.8.8/32",
    "8.8.4.4/32",
    "1.1.1.1/32",
    "1.0.0.1/32",
    "9.9.9.9/32",
    "149.112.112.112/32",
    "208.67.222.222/32",
    "208.67.220.220/32",
    "2001:4860:4860::8888/128",
    "2001:4860:4860::8844/128",
    "2606:4700:4700::1111/128",
    "2606:4700:4700::1001/128",
];

/// Domains that never correlate, with their subdomains (RFC 2606 names and top-level domains,
/// and the very common domains of everyday traffic).
const BUILTIN_DOMAINS: &[&str] = &[
    "example.com",
    "example.org",
    "example.net",
    "example",
    "test",
    "invalid",
    "localhost",
    "local",
    "google.com",
    "googleapis.com",
    "gstatic.com",
    "microsoft.com",
    "windows.com",
    "windowsupdate.com",
    "office.com",
    "live.com",
    "apple.com",
    "icloud.com",
    "amazon.com",
    "cloudflare.com",
    "akamaihd.net",
    "facebook.com",
    "twitter.com",
    "x.com",
    "youtube.com",
    "wikipedia.org",
    "github.com",
    "gmail.com",
    "outlook.com",
    "yahoo.com",
];

/// Hashes of the empty file.
const BUILTIN_HASHES: &[(HashAlg, &str)] = &[
    (HashAlg::Md5, "d41d8cd98f00b204e9800998ecf8427e"),
    (HashAlg::Sha1, "da39a3ee5e6b4b0d3255bfef95601890afd80709"),
    (
        HashAlg::Sha256,
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    ),
];

/// One parsed list entry.
#[derive(Clone, Debug, PartialEq)]
enum Entry {
    Net(IpNet),
    /// A domain and its subdomains.
    Domain(String),
    /// Any other exact value (URL, e-mail, hash...), compared with the normalised value.
    Exact(String),
}

fn parse_entry(raw: &str) -> Option<Entry> {
    let raw = raw.trim();
    if raw.is_empty() {
        return None;
    }
    if let Ok(net) = raw.parse::<IpNet>() {
        return Some(Entry::Net(net.trunc()));
    }
    if let Ok(a) = raw.parse::<IpAddr>() {
        return Some(Entry::Net(IpNet::from(a)));
    }
    if raw.contains("://") {
        return Observable::new(Kind::Url, raw).map(|o| Entry::Exact(o.value));
    }
    if raw.contains('@') {
        return Observable::new(Kind::Email, raw).map(|o| Entry::Exact(o.value));
    }
    let d = raw
        .trim_start_matches("*.")
        .trim_end_matches('.')
        .to_lowercase();
    if d.chars().all(|c| c.is_ascii_hexdigit()) && d.len() >= 32 {
        return Some(Entry::Exact(d));
    }
    Some(Entry::Domain(d))
}

/// A compiled warning list.
#[derive(Clone, Debug, Default)]
pub struct WarningList {
    warn: Entries,
    allow: Entries,
}

/// Entries by form: networks in a list (a few dozen, checked by containment), domains and
/// exact values in hash sets (a domain is found by looking up each of its suffixes).
#[derive(Clone, Debug, Default)]
struct Entries {
    nets: Vec<IpNet>,
    domains: HashSet<String, Fx>,
    exact: HashSet<String, Fx>,
}

impl Entries {
    fn push(&mut self, e: Entry) {
        match e {
            Entry::Net(n) => self.nets.push(n),
            Entry::Domain(d) => {
                self.domains.insert(d);
            }
            Entry::Exact(x) => {
                self.exact.insert(x);
            }
        }
    }

    fn is_empty(&self) -> bool {
        self.nets.is_empty() && self.domains.is_empty() && self.exact.is_empty()
    }

    fn domain_covered(&self, domain: &str) -> bool {
        if self.domains.is_empty() {
            return false;
        }
        let mut d = domain;
        loop {
            if self.domains.contains(d) {
                return true;
            }
            match d.split_once('.') {
                Some((_, rest)) => d = rest,
                None => return false,
            }
        }
    }

    fn ip_covered(&self, o: &Observable) -> bool {
        if self.nets.is_empty() {
            return false;
        }
        match (o.address(), o.network()) {
            (Some(a), _) => self.nets.iter().any(|n| n.contains(&a)),
            (_, Some(x)) => self.nets.iter().any(|n| n.contains(&x)),
            _ => false,
        }
    }

    fn matches(&self, o: &Observable) -> bool {
        if self.is_empty() {
            return false;
        }
        match o.kind {
            Kind::Ipv4 | Kind::Ipv6 => self.ip_covered(o),
            Kind::Domain => self.domain_covered(&o.value),
            Kind::Url => {
                let host = url_host(&o.value);
                self.exact.contains(&o.value)
                    || self.domain_covered(host)
                    || Observable::ip(host.trim_start_matches('[').trim_end_matches(']'))
                        .is_some_and(|ip| self.ip_covered(&ip))
            }
            Kind::Email => {
                self.exact.contains(&o.value)
                    || o.value
                        .rsplit_once('@')
                        .is_some_and(|(_, d)| self.domain_covered(d))
            }
            _ => self.exact.contains(&o.value),
        }
    }
}

impl WarningList {
    /// The list from the built-in entries (when `builtin`), plus `warn`, minus `allow`
    /// (an allowed entry wins over a warned one). Entries that are not understood are
    /// returned as errors so that a typo is reported rather than silently ignored.
    pub fn new(builtin: bool, warn: &[String], allow: &[String]) -> Result<WarningList, String> {
        let mut list = WarningList::default();
        if builtin {
            for n in BUILTIN_NETWORKS {
                list.warn
                    .push(Entry::Net(n.parse().expect("built-in network")));
            }
            for d in BUILTIN_DOMAINS {
                list.warn.push(Entry::Domain((*d).to_owned()));
            }
            for (_, h) in BUILTIN_HASHES {
                list.warn.push(Entry::Exact((*h).to_owned()));
            }
        }
        for w in warn {
            list.warn.push(
                parse_entry(w)
                    .ok_or_else(|| format!("warning-list entry {w:?} is not understood"))?,
            );
        }
        for a in allow {
            list.allow.push(
                parse_entry(a)
                    .ok_or_else(|| format!("allow-list entry {a:?} is not understood"))?,
            );
        }
        Ok(list)
    }

    /// Whether `o` is suppressed.
    pub fn suppresses(&self, o: &Observable) -> bool {
        if self.allow.matches(o) {
            return false;
        }
        self.warn.matches(o)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> Observable {
        Observable::ip(s).unwrap()
    }

    #[test]
    fn builtin_entries() {
        let w = WarningList::new(true, &[], &[]).unwrap();
        assert!(w.suppresses(&ip("8.8.8.8")));
        assert!(w.suppresses(&ip("192.0.2.77")));
        assert!(w.suppresses(&ip("198.51.100.0/25")));
        assert!(w.suppresses(&ip("2001:db8::1")));
        assert!(!w.suppresses(&ip("8.8.8.9")));
        assert!(!w.suppresses(&ip("2001:db9::1")));
        let d = |s| Observable::new(Kind::Domain, s).unwrap();
        assert!(w.suppresses(&d("example.com")));
        assert!(w.suppresses(&d("www.EXAMPLE.org")));
        assert!(!w.suppresses(&d("notexample.com")));
        assert!(!w.suppresses(&d("evil.example.co")));
        let u = Observable::new(Kind::Url, "http://sub.example.net/x").unwrap();
        assert!(w.suppresses(&u));
        let u = Observable::new(Kind::Url, "http://192.0.2.1:8080/x").unwrap();
        assert!(w.suppresses(&u));
        let e = Observable::new(Kind::Email, "bob@example.com").unwrap();
        assert!(w.suppresses(&e));
        let h =
            Observable::new(Kind::Hash(HashAlg::Md5), "D41D8CD98F00B204E9800998ECF8427E").unwrap();
        assert!(w.suppresses(&h));
    }

    #[test]
    fn configured_entries() {
        let w = WarningList::new(
            false,
            &["corp.example.co".into(), "203.0.113.0/24".into()],
            &["203.0.113.9".into()],
        )
        .unwrap();
        assert!(!w.suppresses(&ip("8.8.8.8")), "built-ins off");
        assert!(w.suppresses(&ip("203.0.113.8")));
        assert!(!w.suppresses(&ip("203.0.113.9")), "allow wins");
        assert!(w.suppresses(&Observable::new(Kind::Domain, "a.corp.example.co").unwrap()));
        assert!(WarningList::new(false, &["  ".into()], &[]).is_err());
    }
}
