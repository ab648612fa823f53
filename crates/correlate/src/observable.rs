//! Observables: a kind and a normalised value, and the normalisation of each kind.
//!
//! Two observables correlate when their kinds and normalised values are equal (and, for IP
//! addresses, when an address lies in an indexed network). Normalisation is what makes
//! `EXAMPLE.org.` and `example.org`, `2001:DB8:0:0::1` and `2001:db8::1`, or
//! `+44 (20) 7946-0000` and `00442079460000` the same value. Each `normalise` function returns
//! `None` for a value that is not of its kind (it is then not indexed, rather than indexed
//! wrongly).

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::{IpNet, Ipv4Net, Ipv6Net};

/// What kind of value an observable is. Values of different kinds never correlate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Kind {
    /// An IPv4 address (`192.0.2.1`) or network (`192.0.2.0/24`).
    Ipv4,
    /// An IPv6 address or network, in RFC 5952 form.
    Ipv6,
    /// A domain name, lower case, without a trailing dot.
    Domain,
    /// A URL: scheme and host lower case, default port and fragment removed.
    Url,
    /// An e-mail address, lower case.
    Email,
    /// A MAC address, lower-case hex pairs separated by colons.
    Mac,
    /// An autonomous system number, decimal.
    Asn,
    /// A file or certificate hash, lower-case hex (ssdeep and TLSH kept as written).
    Hash(HashAlg),
    /// An X.509 certificate serial number, lower-case hex without separators.
    X509Serial,
    /// A cryptocurrency wallet address.
    Wallet,
    /// A telephone number: `+` and digits when the country code is known, else digits.
    Phone,
    /// An IBAN, upper case without spaces.
    Iban,
    /// A reference to a STIX object by identifier (sightings name what they sighted).
    Ref,
}

/// The hash algorithms that are indexed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum HashAlg {
    /// MD5.
    Md5,
    /// SHA-1.
    Sha1,
    /// SHA-256.
    Sha256,
    /// SHA-512.
    Sha512,
    /// SHA3-256.
    Sha3_256,
    /// SHA3-512.
    Sha3_512,
    /// ssdeep (compared as text).
    Ssdeep,
    /// TLSH (compared as text, upper case).
    Tlsh,
}

impl HashAlg {
    /// The algorithm named by a STIX `hashes` key (`MD5`, `SHA-256`, `SHA256`, `sha3-256`...).
    pub fn from_name(name: &str) -> Option<HashAlg> {
        let mut key = String::with_capacity(name.len());
        for c in name.chars() {
            if c != '-' && c != '_' && c != ' ' {
                key.push(c.to_ascii_lowercase());
            }
        }
        Some(match key.as_str() {
            "md5" => HashAlg::Md5,
            "sha1" => HashAlg::Sha1,
            "sha256" => HashAlg::Sha256,
            "sha512" => HashAlg::Sha512,
            "sha3256" => HashAlg::Sha3_256,
            "sha3512" => HashAlg::Sha3_512,
            "ssdeep" => HashAlg::Ssdeep,
            "tlsh" => HashAlg::Tlsh,
            _ => return None,
        })
    }

    fn hex_len(self) -> Option<usize> {
        match self {
            HashAlg::Md5 => Some(32),
            HashAlg::Sha1 => Some(40),
            HashAlg::Sha256 | HashAlg::Sha3_256 => Some(64),
            HashAlg::Sha512 | HashAlg::Sha3_512 => Some(128),
            HashAlg::Ssdeep | HashAlg::Tlsh => None,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            HashAlg::Md5 => "md5",
            HashAlg::Sha1 => "sha1",
            HashAlg::Sha256 => "sha256",
            HashAlg::Sha512 => "sha512",
            HashAlg::Sha3_256 => "sha3-256",
            HashAlg::Sha3_512 => "sha3-512",
            HashAlg::Ssdeep => "ssdeep",
            HashAlg::Tlsh => "tlsh",
        }
    }
}

impl Kind {
    /// The stable name stored with hits and shown to users (`ipv4`, `domain`, `hash:sha256`...).
    pub fn name(self) -> String {
        match self {
            Kind::Hash(alg) => format!("hash:{}", alg.as_str()),
            other => other.simple_name().to_owned(),
        }
    }

    fn simple_name(self) -> &'static str {
        match self {
            Kind::Ipv4 => "ipv4",
            Kind::Ipv6 => "ipv6",
            Kind::Domain => "domain",
            Kind::Url => "url",
            Kind::Email => "email",
            Kind::Mac => "mac",
            Kind::Asn => "asn",
            Kind::Hash(_) => "hash",
            Kind::X509Serial => "x509-serial",
            Kind::Wallet => "wallet",
            Kind::Phone => "phone",
            Kind::Iban => "iban",
            Kind::Ref => "ref",
        }
    }

    /// The kind named by [`Kind::name`].
    pub fn from_name(name: &str) -> Option<Kind> {
        if let Some(alg) = name.strip_prefix("hash:") {
            return HashAlg::from_name(alg).map(Kind::Hash);
        }
        Some(match name {
            "ipv4" => Kind::Ipv4,
            "ipv6" => Kind::Ipv6,
            "domain" => Kind::Domain,
            "url" => Kind::Url,
            "email" => Kind::Email,
            "mac" => Kind::Mac,
            "asn" => Kind::Asn,
            "x509-serial" => Kind::X509Serial,
            "wallet" => Kind::Wallet,
            "phone" => Kind::Phone,
            "iban" => Kind::Iban,
            "ref" => Kind::Ref,
            _ => return None,
        })
    }

    /// Normalises `raw` as a value of this kind; `None` when it is not one.
    pub fn normalise(self, raw: &str) -> Option<String> {
        let raw = raw.trim();
        if raw.is_empty() || raw.len() > 4096 {
            return None;
        }
        match self {
            Kind::Ipv4 => normalise_ip(raw)
                .filter(|(k, _)| *k == Kind::Ipv4)
                .map(|x| x.1),
            Kind::Ipv6 => normalise_ip(raw)
                .filter(|(k, _)| *k == Kind::Ipv6)
                .map(|x| x.1),
            Kind::Domain => normalise_domain(raw),
            Kind::Url => normalise_url(raw),
            Kind::Email => normalise_email(raw),
            Kind::Mac => normalise_mac(raw),
            Kind::Asn => normalise_asn(raw),
            Kind::Hash(alg) => normalise_hash(alg, raw),
            Kind::X509Serial => normalise_serial(raw),
            Kind::Wallet => normalise_wallet(raw),
            Kind::Phone => normalise_phone(raw),
            Kind::Iban => normalise_iban(raw),
            Kind::Ref => (raw.contains("--") && raw.is_ascii()).then(|| raw.to_owned()),
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Kind::Hash(alg) => write!(f, "hash:{}", alg.as_str()),
            other => f.write_str(other.simple_name()),
        }
    }
}

/// A normalised value of one kind.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Observable {
    /// The kind.
    pub kind: Kind,
    /// The normalised value.
    pub value: String,
}

impl Observable {
    /// Normalises `raw` as `kind`; `None` when it is not a value of that kind.
    pub fn new(kind: Kind, raw: &str) -> Option<Observable> {
        kind.normalise(raw).map(|value| Observable { kind, value })
    }

    /// An IP address or network of either family, with its kind found from the text.
    pub fn ip(raw: &str) -> Option<Observable> {
        normalise_ip(raw.trim()).map(|(kind, value)| Observable { kind, value })
    }

    /// The network this observable denotes when it is an IP network (`a.b.c.d/n`, `n` below
    /// the full length); `None` for single addresses and other kinds.
    pub fn network(&self) -> Option<IpNet> {
        match self.kind {
            Kind::Ipv4 | Kind::Ipv6 if self.value.contains('/') => self.value.parse().ok(),
            _ => None,
        }
    }

    /// The single address this observable denotes, when it is one.
    pub fn address(&self) -> Option<IpAddr> {
        match self.kind {
            Kind::Ipv4 | Kind::Ipv6 => self.value.parse().ok(),
            _ => None,
        }
    }
}

impl fmt::Display for Observable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.kind, self.value)
    }
}

/// An address or network of either family: a full-length prefix is the address itself, a
/// shorter one its network address (`10.1.2.3/8` is `10.0.0.0/8`). An IPv4-mapped IPv6
/// address is the IPv4 address.
fn normalise_ip(raw: &str) -> Option<(Kind, String)> {
    let raw = raw
        .strip_prefix('[')
        .and_then(|r| r.strip_suffix(']'))
        .unwrap_or(raw);
    if let Some((addr, len)) = raw.split_once('/') {
        let len: u8 = len.parse().ok()?;
        match addr.parse::<IpAddr>().ok()? {
            IpAddr::V4(a) => {
                let net = Ipv4Net::new(a, len).ok()?.trunc();
                Some((Kind::Ipv4, v4_net_text(net)))
            }
            IpAddr::V6(a) => {
                if let Some(v4) = a.to_ipv4_mapped()
                    && len >= 96
                {
                    let net = Ipv4Net::new(v4, len - 96).ok()?.trunc();
                    return Some((Kind::Ipv4, v4_net_text(net)));
                }
                let net = Ipv6Net::new(a, len).ok()?.trunc();
                Some((Kind::Ipv6, v6_net_text(net)))
            }
        }
    } else {
        match raw.parse::<IpAddr>().ok()? {
            IpAddr::V4(a) => Some((Kind::Ipv4, a.to_string())),
            IpAddr::V6(a) => match a.to_ipv4_mapped() {
                Some(v4) => Some((Kind::Ipv4, v4.to_string())),
                None => Some((Kind::Ipv6, a.to_string())),
            },
        }
    }
}

fn v4_net_text(net: Ipv4Net) -> String {
    if net.prefix_len() == 32 {
        net.addr().to_string()
    } else {
        net.to_string()
    }
}

fn v6_net_text(net: Ipv6Net) -> String {
    if net.prefix_len() == 128 {
        net.addr().to_string()
    } else {
        net.to_string()
    }
}

/// The network of `addr` with prefix `len`, as indexed (see [`normalise_ip`]).
pub(crate) fn v4_prefix(addr: Ipv4Addr, len: u8) -> String {
    v4_net_text(Ipv4Net::new(addr, len).expect("len <= 32").trunc())
}

/// The network of `addr` with prefix `len`, as indexed.
pub(crate) fn v6_prefix(addr: Ipv6Addr, len: u8) -> String {
    v6_net_text(Ipv6Net::new(addr, len).expect("len <= 128").trunc())
}

/// Lower case, no trailing dot, labels of letters, digits, `-` and `_` (and any non-ASCII
/// letter, for names not yet converted to punycode); at least one dot.
fn normalise_domain(raw: &str) -> Option<String> {
    let d = raw.strip_suffix('.').unwrap_or(raw);
    if d.is_empty() || d.len() > 253 || !d.contains('.') {
        return None;
    }
    // Nearly every name is ASCII: lower it without the Unicode tables.
    let d = if d.is_ascii() {
        d.to_ascii_lowercase()
    } else {
        d.to_lowercase()
    };
    for label in d.split('.') {
        if label.is_empty() || label.len() > 63 {
            return None;
        }
        if !label
            .chars()
            .all(|c| c.is_alphanumeric() || c == '-' || c == '_')
        {
            return None;
        }
    }
    Some(d)
}

/// `scheme://host[:port]/path?query`: scheme and host lower case, trailing dot of the host and
/// the scheme's default port removed, an empty path is `/`, the fragment is dropped. A URL
/// written without a scheme is read as `http://`. Path and query keep their case.
fn normalise_url(raw: &str) -> Option<String> {
    if raw.chars().any(|c| c.is_whitespace()) {
        return None;
    }
    let (scheme, rest) = match raw.split_once("://") {
        Some((s, r))
            if !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '+' || c == '-' || c == '.') =>
        {
            (s.to_ascii_lowercase(), r)
        }
        Some(_) => return None,
        None => ("http".to_owned(), raw),
    };
    let rest = rest.split('#').next().unwrap_or("");
    let split = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(split);
    // Credentials in the authority are kept (they are part of what was seen) but the host is
    // what gets normalised.
    let (userinfo, hostport) = match authority.rsplit_once('@') {
        Some((u, h)) => (Some(u), h),
        None => (None, authority),
    };
    let (host, port) = if let Some(inner) = hostport.strip_prefix('[') {
        let (h, after) = inner.split_once(']')?;
        let v6: Ipv6Addr = h.parse().ok()?;
        (format!("[{v6}]"), after.strip_prefix(':'))
    } else {
        match hostport.rsplit_once(':') {
            Some((h, p)) => (h.to_owned(), Some(p)),
            None => (hostport.to_owned(), None),
        }
    };
    let mut host = host.to_lowercase();
    if host.ends_with('.') {
        host.pop();
    }
    if host.is_empty() {
        return None;
    }
    let port = match port {
        Some("") | None => None,
        Some(p) => {
            let n: u16 = p.parse().ok()?;
            let default = matches!(
                (scheme.as_str(), n),
                ("http", 80) | ("https", 443) | ("ftp", 21) | ("ws", 80) | ("wss", 443)
            );
            (!default).then_some(n)
        }
    };
    let mut out = String::with_capacity(raw.len() + 8);
    out.push_str(&scheme);
    out.push_str("://");
    if let Some(u) = userinfo {
        out.push_str(u);
        out.push('@');
    }
    out.push_str(&host);
    if let Some(p) = port {
        out.push(':');
        out.push_str(&p.to_string());
    }
    if !tail.starts_with('/') {
        out.push('/');
    }
    out.push_str(tail);
    Some(out)
}

/// The URL's host, as [`normalise_url`] writes it (for warning lists).
pub(crate) fn url_host(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let authority = &rest[..end];
    let hostport = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    if hostport.starts_with('[') {
        return hostport;
    }
    hostport.rsplit_once(':').map_or(hostport, |(h, _)| h)
}

/// `local@domain`, lower case, with a `mailto:` prefix removed.
fn normalise_email(raw: &str) -> Option<String> {
    let raw = raw
        .strip_prefix("mailto:")
        .or_else(|| raw.strip_prefix("MAILTO:"))
        .unwrap_or(raw);
    let (local, domain) = raw.rsplit_once('@')?;
    if local.is_empty()
        || local
            .chars()
            .any(|c| c.is_whitespace() || c == '<' || c == '>')
    {
        return None;
    }
    let domain = normalise_domain(domain).or_else(|| {
        // An address literal: user@[192.0.2.1].
        let lit = domain.strip_prefix('[')?.strip_suffix(']')?;
        normalise_ip(lit).map(|(_, v)| format!("[{v}]"))
    })?;
    Some(format!("{}@{domain}", local.to_lowercase()))
}

/// Six hex pairs, whatever the separators (`:`, `-`, `.` or none).
fn normalise_mac(raw: &str) -> Option<String> {
    let hex: String = raw
        .chars()
        .filter(|c| !matches!(c, ':' | '-' | '.'))
        .collect();
    if hex.len() != 12 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    let hex = hex.to_ascii_lowercase();
    let mut out = String::with_capacity(17);
    for (i, pair) in hex.as_bytes().chunks(2).enumerate() {
        if i > 0 {
            out.push(':');
        }
        out.push(pair[0] as char);
        out.push(pair[1] as char);
    }
    Some(out)
}

/// `AS64496`, `as64496` or `64496`: the decimal number.
fn normalise_asn(raw: &str) -> Option<String> {
    let n = raw
        .strip_prefix("AS")
        .or_else(|| raw.strip_prefix("as"))
        .unwrap_or(raw);
    let n: u32 = n.trim().parse().ok()?;
    Some(n.to_string())
}

/// Lower-case hex of the algorithm's length (ssdeep kept as written, TLSH upper case).
fn normalise_hash(alg: HashAlg, raw: &str) -> Option<String> {
    match alg.hex_len() {
        Some(len) => {
            let h: String = raw.chars().filter(|c| *c != ' ' && *c != ':').collect();
            (h.len() == len && h.chars().all(|c| c.is_ascii_hexdigit()))
                .then(|| h.to_ascii_lowercase())
        }
        None if alg == HashAlg::Tlsh => {
            let h = raw.strip_prefix("T1").unwrap_or(raw);
            (h.len() >= 70 && h.chars().all(|c| c.is_ascii_hexdigit()))
                .then(|| h.to_ascii_uppercase())
        }
        None => (raw.len() >= 5 && raw.contains(':')).then(|| raw.to_owned()),
    }
}

/// Hex digits, lower case, without `:`/space separators or leading zeros.
fn normalise_serial(raw: &str) -> Option<String> {
    let raw = raw
        .strip_prefix("0x")
        .or_else(|| raw.strip_prefix("0X"))
        .unwrap_or(raw);
    let h: String = raw
        .chars()
        .filter(|c| !matches!(c, ':' | ' ' | '-'))
        .collect();
    if h.is_empty() || !h.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    let t = h.trim_start_matches('0');
    Some(if t.is_empty() {
        "0".into()
    } else {
        t.to_ascii_lowercase()
    })
}

/// A wallet address: a `bitcoin:`-style URI prefix and query are removed; bech32 (`bc1`,
/// `tb1`, `ltc1`...) and `0x` hex (Ethereum and its kin) addresses are case-insensitive and
/// lower-cased; Base58 addresses (Bitcoin legacy, Tron, Monero...) are case-sensitive and kept.
fn normalise_wallet(raw: &str) -> Option<String> {
    let mut w = raw;
    if let Some((scheme, rest)) = w.split_once(':')
        && scheme.chars().all(|c| c.is_ascii_alphabetic())
        && !scheme.is_empty()
    {
        w = rest;
    }
    let w = w.split('?').next().unwrap_or(w);
    if w.len() < 20 || w.len() > 120 || !w.chars().all(|c| c.is_ascii_alphanumeric()) {
        return None;
    }
    let lower = w.to_ascii_lowercase();
    if let Some(hex) = lower.strip_prefix("0x") {
        return hex
            .chars()
            .all(|c| c.is_ascii_hexdigit())
            .then_some(lower.clone());
    }
    let bech32 = lower.find('1').is_some_and(|i| {
        (2..=5).contains(&i) && lower[..i].chars().all(|c| c.is_ascii_lowercase())
    });
    if bech32 && (w == lower || w == w.to_ascii_uppercase()) {
        return Some(lower);
    }
    Some(w.to_owned())
}

/// `+` then digits when the number is international (`+44...` or `0044...`), else digits.
/// Spaces, dots, dashes, slashes and parentheses are dropped; 6 to 15 digits (E.164).
fn normalise_phone(raw: &str) -> Option<String> {
    let raw = raw
        .strip_prefix("tel:")
        .or_else(|| raw.strip_prefix("TEL:"))
        .unwrap_or(raw);
    let mut plus = false;
    let mut digits = String::with_capacity(raw.len());
    for (i, c) in raw.chars().enumerate() {
        match c {
            '+' if i == 0 => plus = true,
            '0'..='9' => digits.push(c),
            ' ' | '.' | '-' | '/' | '(' | ')' | '\u{a0}' => {}
            _ => return None,
        }
    }
    if !plus && let Some(rest) = digits.strip_prefix("00") {
        digits = rest.to_owned();
        plus = true;
    }
    if !(6..=15).contains(&digits.len()) {
        return None;
    }
    Some(if plus { format!("+{digits}") } else { digits })
}

/// Upper case without spaces; two letters, two check digits, then 11 to 30 letters or digits,
/// and the ISO 13616 check (mod 97 = 1) must hold.
fn normalise_iban(raw: &str) -> Option<String> {
    let iban: String = raw
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '\u{a0}'))
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let b = iban.as_bytes();
    if !(15..=34).contains(&b.len())
        || !b[..2].iter().all(u8::is_ascii_uppercase)
        || !b[2..4].iter().all(u8::is_ascii_digit)
        || !b.iter().all(u8::is_ascii_alphanumeric)
    {
        return None;
    }
    let mut rem: u32 = 0;
    for &c in b[4..].iter().chain(&b[..4]) {
        let v = if c.is_ascii_digit() {
            u32::from(c - b'0')
        } else {
            u32::from(c - b'A') + 10
        };
        rem = if v >= 10 {
            (rem * 100 + v) % 97
        } else {
            (rem * 10 + v) % 97
        };
    }
    (rem == 1).then_some(iban)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(kind: Kind, raw: &str) -> Option<String> {
        kind.normalise(raw)
    }

    #[test]
    fn domains() {
        assert_eq!(
            n(Kind::Domain, "EVIL.Example.ORG."),
            Some("evil.example.org".into())
        );
        assert_eq!(n(Kind::Domain, "localhost"), None);
        assert_eq!(n(Kind::Domain, "a..b"), None);
        assert_eq!(n(Kind::Domain, "bad domain.com"), None);
    }

    #[test]
    fn ip_forms() {
        assert_eq!(Observable::ip("192.0.2.1").unwrap().value, "192.0.2.1");
        assert_eq!(Observable::ip("10.1.2.3/8").unwrap().value, "10.0.0.0/8");
        assert_eq!(Observable::ip("10.1.2.3/32").unwrap().value, "10.1.2.3");
        let v6 = Observable::ip("2001:DB8:0:0:0:0:0:1").unwrap();
        assert_eq!((v6.kind, v6.value.as_str()), (Kind::Ipv6, "2001:db8::1"));
        assert_eq!(
            Observable::ip("2001:db8::1/48").unwrap().value,
            "2001:db8::/48"
        );
        let mapped = Observable::ip("::ffff:198.51.100.7").unwrap();
        assert_eq!(
            (mapped.kind, mapped.value.as_str()),
            (Kind::Ipv4, "198.51.100.7")
        );
        assert_eq!(
            Observable::ip("[2001:db8::2]").unwrap().value,
            "2001:db8::2"
        );
        assert!(Observable::ip("300.1.1.1").is_none());
        assert!(Observable::ip("01.2.3.4").is_none());
        assert!(Observable::ip("1.2.3.4/33").is_none());
        assert_eq!(n(Kind::Ipv4, "2001:db8::1"), None);
    }

    #[test]
    fn urls() {
        assert_eq!(
            n(Kind::Url, "HTTP://Evil.Example.COM.:80/Path?Q=1#frag"),
            Some("http://evil.example.com/Path?Q=1".into())
        );
        assert_eq!(
            n(Kind::Url, "https://x.org:8443"),
            Some("https://x.org:8443/".into())
        );
        assert_eq!(n(Kind::Url, "x.org/a"), Some("http://x.org/a".into()));
        assert_eq!(
            n(Kind::Url, "http://[2001:DB8::1]:443/"),
            Some("http://[2001:db8::1]:443/".into())
        );
        assert_eq!(n(Kind::Url, "http://a b/"), None);
        assert_eq!(n(Kind::Url, "http://x.org:99999/"), None);
        assert_eq!(url_host("http://u:p@x.org:8080/a"), "x.org");
    }

    #[test]
    fn emails_macs_asns() {
        assert_eq!(
            n(Kind::Email, "mailto:Bob@Example.ORG"),
            Some("bob@example.org".into())
        );
        assert_eq!(n(Kind::Email, "nobody"), None);
        assert_eq!(
            n(Kind::Mac, "00-1A-2b-3C-4d-5E"),
            Some("00:1a:2b:3c:4d:5e".into())
        );
        assert_eq!(
            n(Kind::Mac, "001a.2b3c.4d5e"),
            Some("00:1a:2b:3c:4d:5e".into())
        );
        assert_eq!(n(Kind::Mac, "00:1a"), None);
        assert_eq!(n(Kind::Asn, "AS64496"), Some("64496".into()));
        assert_eq!(n(Kind::Asn, "ASX"), None);
    }

    #[test]
    fn hashes() {
        let sha = "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855";
        assert_eq!(
            n(Kind::Hash(HashAlg::Sha256), sha),
            Some(sha.to_ascii_lowercase())
        );
        assert_eq!(n(Kind::Hash(HashAlg::Md5), sha), None);
        assert_eq!(HashAlg::from_name("SHA-256"), Some(HashAlg::Sha256));
        assert_eq!(HashAlg::from_name("sha3-256"), Some(HashAlg::Sha3_256));
        assert_eq!(HashAlg::from_name("crc32"), None);
        assert_eq!(n(Kind::X509Serial, "00:A1:b2"), Some("a1b2".into()));
    }

    #[test]
    fn phones_ibans_wallets() {
        assert_eq!(
            n(Kind::Phone, "+44 (20) 7946-0000"),
            Some("+442079460000".into())
        );
        assert_eq!(
            n(Kind::Phone, "0044 20 7946 0000"),
            Some("+442079460000".into())
        );
        assert_eq!(
            n(Kind::Phone, "tel:+1-202-555-0100"),
            Some("+12025550100".into())
        );
        assert_eq!(n(Kind::Phone, "020 7946 0000"), Some("02079460000".into()));
        assert_eq!(n(Kind::Phone, "12"), None);
        assert_eq!(n(Kind::Phone, "call me"), None);
        assert_eq!(
            n(Kind::Iban, "gb82 west 1234 5698 7654 32"),
            Some("GB82WEST12345698765432".into())
        );
        assert_eq!(
            n(Kind::Iban, "GB83WEST12345698765432"),
            None,
            "bad check digits"
        );
        assert_eq!(
            n(Kind::Wallet, "0x52908400098527886E0F7030069857D2E4169EE7"),
            Some("0x52908400098527886e0f7030069857d2e4169ee7".into())
        );
        assert_eq!(
            n(
                Kind::Wallet,
                "bitcoin:BC1QAR0SRRR7XFKVY5L643LYDNW9RE59GTZZWF5MDQ?amount=1"
            ),
            Some("bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq".into())
        );
        assert_eq!(
            n(Kind::Wallet, "1BoatSLRHtKNngkdXEeobR76b53LETtpyT"),
            Some("1BoatSLRHtKNngkdXEeobR76b53LETtpyT".into()),
            "Base58 keeps its case"
        );
        assert_eq!(n(Kind::Wallet, "short"), None);
    }

    #[test]
    fn kind_names_round_trip() {
        for k in [
            Kind::Ipv4,
            Kind::Ipv6,
            Kind::Domain,
            Kind::Url,
            Kind::Email,
            Kind::Mac,
            Kind::Asn,
            Kind::Hash(HashAlg::Sha3_512),
            Kind::X509Serial,
            Kind::Wallet,
            Kind::Phone,
            Kind::Iban,
            Kind::Ref,
        ] {
            assert_eq!(Kind::from_name(&k.name()), Some(k));
        }
    }
}
