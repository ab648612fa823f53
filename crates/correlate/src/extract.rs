//! Extraction of observables from STIX objects and from indicator patterns.
//!
//! - **SCOs** (STIX 2.1 section 6): `ipv4-addr`, `ipv6-addr`, `domain-name`, `url`,
//!   `email-addr`, `mac-addr`, `autonomous-system`, the `hashes` of `file`, `artifact` and
//!   `x509-certificate`, its `serial_number`, and the custom wallet, phone-number and
//!   bank-account objects partners use (OpenCTI's `cryptocurrency-wallet`, `phone-number`,
//!   `bank-account`, and their `x-` forms: [`CUSTOM_TYPES`]).
//! - **observed-data**: the SCOs its `object_refs` name (when supplied alongside it) and the
//!   STIX 2.0 `objects` dictionary.
//! - **sightings**: what was sighted (`sighting_of_ref`, `observed_data_refs`) as [`Kind::Ref`].
//! - **indicator patterns**: the constants of the equality (`=`) and `IN` comparisons and the
//!   networks of `ISSUBSET`, on the object paths whose kind is known ([`pattern_values`]).
//!   [`is_anchored`] tells whether every match of the pattern needs one of those values, which
//!   is what lets the index find the candidate indicators for new data without evaluating every
//!   pattern.

use entente_pattern::CompareOp;
use entente_pattern::ast::{
    ComparisonExpr, Literal, ObservationExpr, PathStep, Pattern, PropTest, TestOp,
};
use serde_json::Value;

use crate::observable::{HashAlg, Kind, Observable};

/// How the kind of a property's value is chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Sel {
    Fixed(Kind),
    /// IPv4 or IPv6, read from the value.
    Ip,
    /// An address, else a domain name (the `*_ref` of network traffic).
    IpOrDomain,
}

fn read(sel: Sel, raw: &str) -> Option<Observable> {
    match sel {
        Sel::Fixed(k) => Observable::new(k, raw),
        Sel::Ip => Observable::ip(raw),
        Sel::IpOrDomain => Observable::ip(raw).or_else(|| Observable::new(Kind::Domain, raw)),
    }
}

/// The custom object types read, with their kind: OpenCTI's names and the `x-` forms partners
/// use. A fixed list (rather than guessing from any type name) so that what is indexed on
/// arrival and what a rebuild reads back from the store, by type, are the same.
pub const CUSTOM_TYPES: &[(&str, Kind)] = &[
    ("cryptocurrency-wallet", Kind::Wallet),
    ("x-cryptocurrency-wallet", Kind::Wallet),
    ("x-opencti-cryptocurrency-wallet", Kind::Wallet),
    ("x-crypto-wallet", Kind::Wallet),
    ("x-wallet", Kind::Wallet),
    ("phone-number", Kind::Phone),
    ("x-phone-number", Kind::Phone),
    ("x-opencti-phone-number", Kind::Phone),
    ("x-phone", Kind::Phone),
    ("bank-account", Kind::Iban),
    ("x-bank-account", Kind::Iban),
    ("x-opencti-bank-account", Kind::Iban),
    ("x-iban", Kind::Iban),
];

/// The standard SCO types read.
pub const SCO_TYPES: &[&str] = &[
    "ipv4-addr",
    "ipv6-addr",
    "domain-name",
    "url",
    "email-addr",
    "mac-addr",
    "autonomous-system",
    "file",
    "artifact",
    "x509-certificate",
];

/// The kind of a custom object type.
fn custom_kind(object_type: &str) -> Option<Kind> {
    CUSTOM_TYPES
        .iter()
        .find(|(t, _)| *t == object_type)
        .map(|(_, k)| *k)
}

/// The kind of `object_type`'s top-level `property`, when it is indexed.
fn property_kind(object_type: &str, property: &str) -> Option<Sel> {
    Some(match (object_type, property) {
        ("ipv4-addr" | "ipv6-addr", "value") => Sel::Ip,
        ("domain-name", "value") => Sel::Fixed(Kind::Domain),
        ("url", "value") => Sel::Fixed(Kind::Url),
        ("email-addr", "value") => Sel::Fixed(Kind::Email),
        ("mac-addr", "value") => Sel::Fixed(Kind::Mac),
        ("autonomous-system", "number") => Sel::Fixed(Kind::Asn),
        ("x509-certificate", "serial_number") => Sel::Fixed(Kind::X509Serial),
        (t, p) => {
            let k = custom_kind(t)?;
            let ok = match k {
                Kind::Wallet => matches!(p, "value" | "address" | "wallet_address"),
                Kind::Phone => matches!(p, "value" | "number" | "phone_number"),
                Kind::Iban => matches!(p, "iban" | "value"),
                _ => false,
            };
            if !ok {
                return None;
            }
            Sel::Fixed(k)
        }
    })
}

fn has_hashes(object_type: &str) -> bool {
    matches!(object_type, "file" | "artifact" | "x509-certificate")
}

fn literal_text(l: &Literal) -> Option<String> {
    match l {
        Literal::Str(s) => Some(s.clone()),
        Literal::Int(i) => Some(i.to_string()),
        _ => None,
    }
}

/// Adds the observables of one SCO (given as JSON) to `out`.
pub fn sco_observables(object: &Value, out: &mut Vec<Observable>) {
    let Some(map) = object.as_object() else {
        return;
    };
    let Some(t) = map.get("type").and_then(Value::as_str) else {
        return;
    };
    for (k, v) in map {
        if k == "hashes" && has_hashes(t) {
            if let Some(h) = v.as_object() {
                for (alg, hex) in h {
                    if let (Some(alg), Some(hex)) = (HashAlg::from_name(alg), hex.as_str())
                        && let Some(o) = Observable::new(Kind::Hash(alg), hex)
                    {
                        out.push(o);
                    }
                }
            }
            continue;
        }
        let Some(sel) = property_kind(t, k) else {
            continue;
        };
        let text = match v {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            _ => continue,
        };
        if let Some(o) = read(sel, &text) {
            out.push(o);
        }
    }
}

/// Whether `object_type` is one whose values [`sco_observables`] reads.
pub fn is_indexed_sco(object_type: &str) -> bool {
    SCO_TYPES.contains(&object_type) || custom_kind(object_type).is_some()
}

/// Adds the observables of an observed-data object to `out`: the SCOs of its 2.0 `objects`
/// dictionary, and those its `object_refs` name, looked up with `resolve` (the SCOs supplied
/// alongside it).
pub fn observed_data_observables<'a>(
    object: &'a Value,
    resolve: impl Fn(&str) -> Option<&'a Value>,
    out: &mut Vec<Observable>,
) {
    if let Some(objects) = object.get("objects").and_then(Value::as_object) {
        for sco in objects.values() {
            sco_observables(sco, out);
        }
    }
    if let Some(refs) = object.get("object_refs").and_then(Value::as_array) {
        for r in refs.iter().filter_map(Value::as_str) {
            if let Some(sco) = resolve(r) {
                sco_observables(sco, out);
            }
        }
    }
}

/// The objects a sighting names, as [`Kind::Ref`] observables.
pub fn sighting_observables(object: &Value, out: &mut Vec<Observable>) {
    if let Some(o) = object
        .get("sighting_of_ref")
        .and_then(Value::as_str)
        .and_then(|r| Observable::new(Kind::Ref, r))
    {
        out.push(o);
    }
    if let Some(refs) = object.get("observed_data_refs").and_then(Value::as_array) {
        for r in refs.iter().filter_map(Value::as_str) {
            if let Some(o) = Observable::new(Kind::Ref, r) {
                out.push(o);
            }
        }
    }
}

/// The kind of the value an object path leads to, when it is indexed.
fn path_kind(object_type: &str, steps: &[PathStep]) -> Option<Sel> {
    let keys: Vec<&str> = steps
        .iter()
        .filter_map(|s| match s {
            PathStep::Key(k) => Some(k.as_str()),
            _ => None,
        })
        .collect();
    match keys.as_slice() {
        [p] => property_kind(object_type, p),
        ["hashes", alg] if has_hashes(object_type) => {
            HashAlg::from_name(alg).map(|a| Sel::Fixed(Kind::Hash(a)))
        }
        [r, "value"] if object_type == "network-traffic" && r.ends_with("_ref") => {
            Some(Sel::IpOrDomain)
        }
        [r, "value"]
            if object_type == "email-message"
                && matches!(
                    *r,
                    "from_ref" | "sender_ref" | "to_refs" | "cc_refs" | "bcc_refs"
                ) =>
        {
            Some(Sel::Fixed(Kind::Email))
        }
        [r, "hashes", alg] if object_type == "email-message" || r.ends_with("_ref") => {
            HashAlg::from_name(alg).map(|a| Sel::Fixed(Kind::Hash(a)))
        }
        _ => None,
    }
}

/// The values a property test pins down when it is true: `=` and `IN` constants, and the
/// network of an `ISSUBSET` on an address. `None` when the test can be true for a value
/// outside any such set (other operators, `NOT`, a constant that does not normalise).
fn test_values(t: &PropTest) -> Option<Vec<Observable>> {
    if t.negated {
        return None;
    }
    let sel = path_kind(&t.path.object_type, &t.path.steps)?;
    match &t.op {
        TestOp::Compare(CompareOp::Eq, lit) => Some(vec![read(sel, &literal_text(lit)?)?]),
        TestOp::In(list) => list
            .iter()
            .map(|l| literal_text(l).and_then(|s| read(sel, &s)))
            .collect(),
        TestOp::IsSubset(net) if matches!(sel, Sel::Ip | Sel::IpOrDomain) => {
            Some(vec![Observable::ip(net)?])
        }
        _ => None,
    }
}

/// Necessary values of a comparison expression: `Some(set)` when every way for it to be true
/// needs one of the values in the set.
fn cmp_anchor(e: &ComparisonExpr) -> Option<Vec<Observable>> {
    match e {
        ComparisonExpr::Test(t) => test_values(t),
        // One operand's necessary set is necessary for the conjunction: take the smallest.
        ComparisonExpr::And(v) => v.iter().filter_map(cmp_anchor).min_by_key(Vec::len),
        ComparisonExpr::Or(v) => {
            let mut all = Vec::new();
            for c in v {
                all.extend(cmp_anchor(c)?);
            }
            Some(all)
        }
    }
}

fn obs_anchor(e: &ObservationExpr) -> Option<Vec<Observable>> {
    match e {
        ObservationExpr::Comparison(c) => cmp_anchor(c),
        ObservationExpr::And(v) | ObservationExpr::FollowedBy(v) => {
            v.iter().filter_map(obs_anchor).min_by_key(Vec::len)
        }
        ObservationExpr::Or(v) => {
            let mut all = Vec::new();
            for c in v {
                all.extend(obs_anchor(c)?);
            }
            Some(all)
        }
        ObservationExpr::Qualified(inner, _) => obs_anchor(inner),
    }
}

/// Whether every match of `pattern` needs one of the values [`pattern_values`] returns (so the
/// index finds it as a candidate for any data it could match). Patterns built only from
/// `MATCHES`, `LIKE`, ranges or `NOT` are not anchored and are checked by object type.
pub fn is_anchored(pattern: &Pattern) -> bool {
    obs_anchor(&pattern.expr).is_some()
}

/// Every constant of the pattern's `=`, `IN` and `ISSUBSET` tests on indexed object paths
/// (not negated), normalised, without duplicates.
pub fn pattern_values(pattern: &Pattern) -> Vec<Observable> {
    fn walk_cmp(e: &ComparisonExpr, out: &mut Vec<Observable>) {
        match e {
            ComparisonExpr::Test(t) => match (&t.op, t.negated) {
                // Every constant that normalises, even when another one of the list does not.
                (TestOp::In(list), false) => {
                    if let Some(sel) = path_kind(&t.path.object_type, &t.path.steps) {
                        out.extend(
                            list.iter()
                                .filter_map(|l| literal_text(l).and_then(|s| read(sel, &s))),
                        );
                    }
                }
                _ => out.extend(test_values(t).unwrap_or_default()),
            },
            ComparisonExpr::And(v) | ComparisonExpr::Or(v) => {
                v.iter().for_each(|c| walk_cmp(c, out))
            }
        }
    }
    fn walk_obs(e: &ObservationExpr, out: &mut Vec<Observable>) {
        match e {
            ObservationExpr::Comparison(c) => walk_cmp(c, out),
            ObservationExpr::And(v) | ObservationExpr::Or(v) | ObservationExpr::FollowedBy(v) => {
                v.iter().for_each(|c| walk_obs(c, out))
            }
            ObservationExpr::Qualified(inner, _) => walk_obs(inner, out),
        }
    }
    let mut out = Vec::new();
    walk_obs(&pattern.expr, &mut out);
    out.sort();
    out.dedup();
    out
}

/// The object types a pattern's paths name (for checking unanchored patterns by type).
pub fn pattern_types(pattern: &Pattern) -> Vec<String> {
    fn walk_cmp(e: &ComparisonExpr, out: &mut Vec<String>) {
        match e {
            ComparisonExpr::Test(t) => out.push(t.path.object_type.clone()),
            ComparisonExpr::And(v) | ComparisonExpr::Or(v) => {
                v.iter().for_each(|c| walk_cmp(c, out))
            }
        }
    }
    fn walk_obs(e: &ObservationExpr, out: &mut Vec<String>) {
        match e {
            ObservationExpr::Comparison(c) => walk_cmp(c, out),
            ObservationExpr::And(v) | ObservationExpr::Or(v) | ObservationExpr::FollowedBy(v) => {
                v.iter().for_each(|c| walk_obs(c, out))
            }
            ObservationExpr::Qualified(inner, _) => walk_obs(inner, out),
        }
    }
    let mut out = Vec::new();
    walk_obs(&pattern.expr, &mut out);
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn values(p: &str) -> (bool, Vec<String>) {
        let p = entente_pattern::parse(p).expect("valid pattern");
        (
            is_anchored(&p),
            pattern_values(&p).iter().map(|o| o.to_string()).collect(),
        )
    }

    #[test]
    fn pattern_equalities_and_ins() {
        assert_eq!(
            values("[domain-name:value = 'EVIL.example.']"),
            (true, vec!["domain:evil.example".into()])
        );
        assert_eq!(
            values("[ipv4-addr:value IN ('198.51.100.1', '203.0.113.0/24')]"),
            (
                true,
                vec!["ipv4:198.51.100.1".into(), "ipv4:203.0.113.0/24".into()]
            )
        );
        assert_eq!(
            values(
                "[file:hashes.'SHA-256' = 'AA11AA11AA11AA11AA11AA11AA11AA11AA11AA11AA11AA11AA11AA11AA11AA11' AND file:name LIKE '%.exe']"
            ),
            (
                true,
                vec![
                    "hash:sha256:aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11"
                        .into()
                ]
            )
        );
        assert_eq!(
            values(
                "[network-traffic:dst_ref.value = 'c2.example.net'] FOLLOWEDBY [url:value MATCHES '^http']"
            ),
            (true, vec!["domain:c2.example.net".into()])
        );
        assert_eq!(
            values("[ipv4-addr:value ISSUBSET '10.1.0.0/16']"),
            (true, vec!["ipv4:10.1.0.0/16".into()])
        );
        assert_eq!(
            values(
                "[x-cryptocurrency-wallet:value = '0xABCDEF0123456789ABCDEF0123456789ABCDEF01']"
            ),
            (
                true,
                vec!["wallet:0xabcdef0123456789abcdef0123456789abcdef01".into()]
            )
        );
        assert_eq!(
            values("[autonomous-system:number = 64496]"),
            (true, vec!["asn:64496".into()])
        );
    }

    #[test]
    fn unanchored_patterns() {
        assert!(!values("[domain-name:value MATCHES 'evil']").0);
        assert!(!values("[domain-name:value != 'a.example']").0);
        assert!(!values("[domain-name:value = 'a.example' OR url:value LIKE 'http%']").0);
        assert!(!values("[domain-name:value = 'a.example'] OR [url:value LIKE 'http%']").0);
        // One anchored operand of AND is enough.
        assert!(values("[domain-name:value = 'a.example'] AND [url:value LIKE 'http%']").0);
        assert!(!values("[domain-name:value NOT = 'a.example']").0);
    }

    #[test]
    fn scos_observed_data_and_sightings() {
        let mut out = Vec::new();
        sco_observables(
            &json!({"type": "file", "hashes": {"MD5": "D41D8CD98F00B204E9800998ECF8427E", "foo": "x"}, "name": "a"}),
            &mut out,
        );
        sco_observables(
            &json!({"type": "autonomous-system", "number": 64496}),
            &mut out,
        );
        sco_observables(
            &json!({"type": "phone-number", "value": "+44 20 7946 0000"}),
            &mut out,
        );
        sco_observables(
            &json!({"type": "x-bank-account", "iban": "GB82 WEST 1234 5698 7654 32"}),
            &mut out,
        );
        sco_observables(
            &json!({"type": "ipv6-addr", "value": "2001:DB8::1"}),
            &mut out,
        );
        let od = json!({"type": "observed-data", "objects": {"0": {"type": "domain-name", "value": "X.example"}},
                        "object_refs": ["url--1"]});
        let url = json!({"type": "url", "value": "HTTP://x.example/a"});
        observed_data_observables(&od, |r| (r == "url--1").then_some(&url), &mut out);
        sighting_observables(
            &json!({"type": "sighting", "sighting_of_ref": "indicator--a", "observed_data_refs": ["observed-data--b"]}),
            &mut out,
        );
        let got: Vec<String> = out.iter().map(|o| o.to_string()).collect();
        assert_eq!(
            got,
            vec![
                "hash:md5:d41d8cd98f00b204e9800998ecf8427e",
                "asn:64496",
                "phone:+442079460000",
                "iban:GB82WEST12345698765432",
                "ipv6:2001:db8::1",
                "domain:x.example",
                "url:http://x.example/a",
                "ref:indicator--a",
                "ref:observed-data--b",
            ]
        );
    }
}
