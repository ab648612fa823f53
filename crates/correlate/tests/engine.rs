//! The correlation engine on real STIX objects: value hits, networks, patterns, batches,
//! versions, the cap and the warning lists.

use entente_correlate::{Engine, Kind, Observable, Rule, Settings};
use entente_stix::Object;

fn obj(json: &str) -> Object {
    Object::from_json(json).expect("valid object")
}

fn indicator(n: u32, pattern: &str) -> Object {
    obj(&format!(
        r#"{{"type": "indicator", "spec_version": "2.1",
            "id": "indicator--00000000-0000-4000-8000-{n:012}",
            "created": "2026-01-01T00:00:00Z", "modified": "2026-01-01T00:00:00Z",
            "pattern": {}, "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z"}}"#,
        serde_json::to_string(pattern).unwrap()
    ))
}

fn sco(n: u32, ty: &str, prop: &str, value: &str) -> Object {
    obj(&format!(
        r#"{{"type": "{ty}", "spec_version": "2.1", "id": "{ty}--00000000-0000-4000-9000-{n:012}", "{prop}": {}}}"#,
        serde_json::to_string(value).unwrap()
    ))
}

/// An observed-data (2.1, with `object_refs`) observing one SCO, and the SCO.
fn observed(n: u32, ty: &str, value: &str) -> Vec<Object> {
    let s = sco(n, ty, "value", value);
    let od = obj(&format!(
        r#"{{"type": "observed-data", "spec_version": "2.1",
            "id": "observed-data--00000000-0000-4000-a000-{n:012}",
            "created": "2026-02-01T00:00:00Z", "modified": "2026-02-01T00:00:00Z",
            "first_observed": "2026-02-01T00:00:00Z", "last_observed": "2026-02-01T00:00:00Z",
            "number_observed": 1, "object_refs": ["{}"]}}"#,
        s.id()
    ));
    vec![od, s]
}

fn engine() -> Engine {
    Engine::new(Settings::default()).unwrap()
}

#[test]
fn same_value_across_collections_is_one_hit() {
    let mut e = engine();
    let ours = indicator(1, "[domain-name:value = 'c2.evil-corp.net']");
    assert!(e.ingest("ours", [&ours]).is_empty());
    let theirs = sco(2, "domain-name", "value", "C2.Evil-Corp.NET.");
    let hits = e.ingest("theirs", [&theirs]);
    assert_eq!(hits.len(), 1);
    let h = &hits[0];
    assert_eq!(
        (h.new.collection.as_str(), h.new.id.as_str()),
        ("theirs", theirs.id().as_str())
    );
    assert_eq!(
        (
            h.old.collection.as_str(),
            h.old.id.as_str(),
            h.old.version.as_str()
        ),
        ("ours", ours.id().as_str(), "2026-01-01T00:00:00Z")
    );
    assert_eq!(
        (h.kind.as_str(), h.value.as_str(), h.rule),
        ("domain", "c2.evil-corp.net", Rule::Value)
    );
}

#[test]
fn observed_data_matching_a_pattern_is_a_pattern_hit() {
    let mut e = engine();
    let ind = indicator(
        1,
        "[ipv4-addr:value = '100.64.1.1'] AND [domain-name:value MATCHES '^bad']",
    );
    e.ingest("ours", [&ind]);
    // Only one of the two observations: a value hit, no pattern hit.
    let one = observed(1, "ipv4-addr", "100.64.1.1");
    let hits = e.ingest("theirs", one.iter());
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].rule, Rule::Value);
    assert_eq!(
        hits[0].new.id,
        one[0].id().as_str(),
        "attributed to the observed-data"
    );
    // Both observations in one batch: the whole pattern matches.
    let mut both = observed(2, "ipv4-addr", "100.64.1.1");
    both.extend(observed(3, "domain-name", "bad.actor-net.org"));
    let hits = e.ingest("theirs", both.iter());
    let pattern: Vec<_> = hits.iter().filter(|h| h.rule == Rule::Pattern).collect();
    assert_eq!(pattern.len(), 2, "{hits:?}");
    assert!(pattern.iter().all(|h| h.old.id == ind.id().as_str()));
}

#[test]
fn unanchored_patterns_are_checked_by_type() {
    let mut e = engine();
    let ind = indicator(1, "[url:value LIKE 'http://%/wp-login.php']");
    e.ingest("ours", [&ind]);
    assert_eq!(e.stats().unanchored, 1);
    let hits = e.ingest(
        "theirs",
        observed(1, "url", "http://shop.acme-corp.net/wp-login.php").iter(),
    );
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].rule, Rule::Pattern);
    assert!(
        e.ingest(
            "theirs",
            observed(2, "url", "http://shop.acme-corp.net/").iter()
        )
        .is_empty()
    );
}

#[test]
fn addresses_hit_the_networks_holding_them() {
    let mut e = engine();
    e.ingest(
        "ours",
        [&indicator(1, "[ipv4-addr:value ISSUBSET '100.64.0.0/16']")],
    );
    e.ingest("ours", [&sco(1, "ipv6-addr", "value", "2a00:1450::/32")]);
    let hits = e.ingest("theirs", [&sco(2, "ipv4-addr", "value", "100.64.200.3")]);
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].value, "100.64.0.0/16");
    let hits = e.ingest(
        "theirs",
        [&sco(3, "ipv6-addr", "value", "2A00:1450:0:0::7")],
    );
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].kind, "ipv6");
    assert!(
        e.ingest("theirs", [&sco(4, "ipv4-addr", "value", "100.65.0.1")])
            .is_empty()
    );
}

#[test]
fn one_batch_does_not_hit_itself_nor_versions_their_object() {
    let mut e = engine();
    let a = indicator(1, "[domain-name:value = 'x.evil-corp.net']");
    let b = sco(1, "domain-name", "value", "x.evil-corp.net");
    assert!(e.ingest("c", [&a, &b]).is_empty());
    // A new version of the indicator in the same collection: no hit with its old version, one
    // with the domain.
    let a2 = obj(&a.as_json().replace(
        r#""modified": "2026-01-01T00:00:00Z""#,
        r#""modified": "2026-03-01T00:00:00Z""#,
    ));
    let hits = e.ingest("c", [&a2]);
    assert_eq!(hits.len(), 1, "{hits:?}");
    assert_eq!(hits[0].old.id, b.id().as_str());
}

#[test]
fn sightings_hit_what_they_sighted() {
    let mut e = engine();
    let ind = indicator(7, "[file:hashes.MD5 = '0123456789abcdef0123456789abcdef']");
    e.ingest("ours", [&ind]);
    let s = obj(&format!(
        r#"{{"type": "sighting", "spec_version": "2.1", "id": "sighting--00000000-0000-4000-8000-000000000001",
            "created": "2026-02-02T00:00:00Z", "modified": "2026-02-02T00:00:00Z", "sighting_of_ref": "{}"}}"#,
        ind.id()
    ));
    let hits = e.ingest("theirs", [&s]);
    assert_eq!(hits.len(), 1);
    assert_eq!(
        (hits[0].kind.as_str(), hits[0].old.id.as_str()),
        ("ref", ind.id().as_str())
    );
}

#[test]
fn values_over_the_cap_stop_correlating_and_are_reported() {
    let mut e = Engine::new(Settings {
        cap: 3,
        ..Settings::default()
    })
    .unwrap();
    let mut found = Vec::new();
    for n in 0..6 {
        let o = sco(n, "phone-number", "value", "+44 20 7946 0123");
        found.push(e.ingest(&format!("c{n}"), [&o]).len());
    }
    // 0, 1, 2 and 3 earlier holders; then the fourth holder makes the value capped.
    assert_eq!(found, vec![0, 1, 2, 3, 0, 0]);
    let capped = e.capped();
    assert_eq!(capped.len(), 1);
    assert_eq!(
        capped[0].0,
        Observable::new(Kind::Phone, "+442079460123").unwrap()
    );
    assert_eq!(capped[0].1, 6);
    assert_eq!(e.stats().capped, 1);
}

#[test]
fn warning_lists_suppress_and_are_configurable() {
    let mut e = engine();
    e.ingest("a", [&sco(1, "ipv4-addr", "value", "8.8.8.8")]);
    assert!(
        e.ingest("b", [&sco(2, "ipv4-addr", "value", "8.8.8.8")])
            .is_empty()
    );
    e.ingest("a", [&sco(3, "domain-name", "value", "www.example.com")]);
    assert!(
        e.ingest("b", [&sco(4, "domain-name", "value", "www.example.com")])
            .is_empty()
    );

    let mut e = Engine::new(Settings {
        warn: vec!["partner-portal.org".into()],
        allow: vec!["8.8.8.8".into()],
        ..Settings::default()
    })
    .unwrap();
    e.ingest("a", [&sco(1, "ipv4-addr", "value", "8.8.8.8")]);
    assert_eq!(
        e.ingest("b", [&sco(2, "ipv4-addr", "value", "8.8.8.8")])
            .len(),
        1
    );
    e.ingest(
        "a",
        [&sco(3, "domain-name", "value", "www.partner-portal.org")],
    );
    assert!(
        e.ingest(
            "b",
            [&sco(4, "domain-name", "value", "www.partner-portal.org")]
        )
        .is_empty()
    );
    assert!(
        Engine::new(Settings {
            cap: 0,
            ..Settings::default()
        })
        .is_err()
    );
}

#[test]
fn stix_2_0_observed_data_and_custom_objects() {
    let mut e = engine();
    let od20 = obj(
        r#"{"type": "observed-data", "id": "observed-data--00000000-0000-4000-a000-000000000099",
            "created": "2016-04-06T19:58:16.000Z", "modified": "2016-04-06T19:58:16.000Z",
            "first_observed": "2016-04-06T19:58:16Z", "last_observed": "2016-04-06T19:58:16Z",
            "number_observed": 1,
            "objects": {"0": {"type": "file", "hashes": {"SHA-256": "AA0000000000000000000000000000000000000000000000000000000000BB00"}}}}"#,
    );
    e.ingest("ours", [&od20]);
    let wallet_ind = indicator(
        2,
        "[x-cryptocurrency-wallet:value IN ('bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq', '0xabc')]",
    );
    e.ingest("ours", [&wallet_ind]);
    let ind = indicator(
        3,
        "[file:hashes.'SHA-256' = 'aa0000000000000000000000000000000000000000000000000000000000bb00']",
    );
    let hits = e.ingest("theirs", [&ind]);
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].old.id, od20.id().as_str());
    let w = sco(
        4,
        "cryptocurrency-wallet",
        "value",
        "BC1QAR0SRRR7XFKVY5L643LYDNW9RE59GTZZWF5MDQ",
    );
    let hits = e.ingest("theirs", [&w]);
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].kind, "wallet");
    let iban = sco(5, "bank-account", "iban", "GB82 WEST 1234 5698 7654 32");
    e.ingest("ours", [&iban]);
    let iban2 = sco(6, "x-iban", "value", "gb82west12345698765432");
    assert_eq!(e.ingest("theirs", [&iban2]).len(), 1);
}

#[test]
fn load_indexes_without_hits_and_check_counts() {
    let mut e = engine();
    e.load("a", [&sco(1, "email-addr", "value", "Boss@Evil-Corp.net")]);
    e.load("b", [&sco(2, "email-addr", "value", "boss@evil-corp.net")]);
    assert_eq!(e.check_raw(Kind::Email, "BOSS@EVIL-CORP.NET"), 2);
    assert_eq!(e.check_raw(Kind::Email, "nobody@evil-corp.net"), 0);
    assert_eq!(e.check_raw(Kind::Email, "not an address"), 0);
    assert_eq!(e.stats().objects, 2);
}

#[test]
fn every_matching_observation_gets_its_pattern_hit() {
    let mut e = engine();
    let ind = indicator(
        1,
        "[ipv4-addr:value = '100.64.9.9' AND ipv4-addr:value != '100.64.9.8']",
    );
    e.ingest("ours", [&ind]);
    let mut batch = observed(1, "ipv4-addr", "100.64.9.9");
    let mut second = observed(2, "ipv4-addr", "100.64.9.9");
    // The same SCO id (deterministic): both observed-data refer to it.
    second[1] = batch[1].clone();
    let second_od = obj(&second[0].as_json().replace(
        &format!("{}", second[0].id())
            .replace("observed-data--", "ipv4-addr--")
            .replace("-a000-", "-9000-"),
        batch[1].id().as_str(),
    ));
    batch.push(second_od);
    let hits = e.ingest("theirs", batch.iter());
    let pattern: Vec<&str> = hits
        .iter()
        .filter(|h| h.rule == Rule::Pattern)
        .map(|h| h.new.id.as_str())
        .collect();
    assert_eq!(pattern.len(), 2, "{hits:?}");
}

#[test]
fn objects_known_by_id_alone_meet_their_sightings() {
    let mut e = engine();
    let malware = "malware--00000000-0000-4000-8000-0000000000aa";
    assert!(
        e.ingest_ref("ours", malware, "2026-01-01T00:00:00.000Z", false)
            .is_empty()
    );
    let s = obj(&format!(
        r#"{{"type": "sighting", "spec_version": "2.1", "id": "sighting--00000000-0000-4000-8000-000000000002",
            "created": "2026-02-02T00:00:00Z", "modified": "2026-02-02T00:00:00Z", "sighting_of_ref": "{malware}"}}"#
    ));
    let hits = e.ingest("theirs", [&s]);
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].old.id, malware);
    // The same malware held in another collection is found too.
    let again = e.ingest_ref("third", malware, "2026-01-01T00:00:00.000Z", true);
    assert_eq!(again.len(), 2, "{again:?}");
    assert!(entente_correlate::ref_types().contains(&"malware"));
    assert!(!entente_correlate::indexed_types().contains(&"malware"));
}
