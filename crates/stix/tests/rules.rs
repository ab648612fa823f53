//! One test per validation rule: a valid base object, one change, the expected finding.

use entente_stix::{Object, Report, Severity, tlp};
use serde_json::{Value, json};

const ID_A: &str = "identity--8c6af861-7b20-41ef-9b59-6344fd872a8f";
const MALWARE: &str = "malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b";
const TS: &str = "2016-04-06T20:03:48.000Z";

fn sdo(ty: &str, extra: Value) -> Value {
    let mut v = json!({
        "type": ty,
        "spec_version": "2.1",
        "id": format!("{ty}--6b616fc1-1505-48e3-8b2c-0d19337bff38"),
        "created": TS,
        "modified": TS,
    });
    merge(&mut v, extra);
    v
}

fn sco(ty: &str, extra: Value) -> Value {
    let mut v = json!({"type": ty, "spec_version": "2.1", "id": format!("{ty}--6b616fc1-1505-48e3-8b2c-0d19337bff38")});
    merge(&mut v, extra);
    v
}

fn merge(v: &mut Value, extra: Value) {
    for (k, x) in extra.as_object().unwrap() {
        if x.is_null() {
            v.as_object_mut().unwrap().remove(k);
        } else {
            v[k] = x.clone();
        }
    }
}

fn indicator(extra: Value) -> Value {
    let mut v = sdo(
        "indicator",
        json!({"pattern": "[ipv4-addr:value = '10.0.0.1']", "pattern_type": "stix", "valid_from": TS}),
    );
    merge(&mut v, extra);
    v
}

fn report(v: &Value) -> Report {
    Object::from_json(&v.to_string())
        .unwrap_or_else(|e| panic!("{e}: {v}"))
        .validate()
}

#[track_caller]
fn clean(v: Value) {
    let r = report(&v);
    assert!(r.issues.is_empty(), "{r}");
}

#[track_caller]
fn finds(v: Value, severity: Severity, rule: &str, path: &str) {
    let r = report(&v);
    assert!(
        r.issues
            .iter()
            .any(|i| i.severity == severity && i.rule == rule && i.path == path),
        "expected {severity:?} {rule} at {path}, got:\n{r}"
    );
    if severity == Severity::Warning {
        assert!(r.is_valid(), "{r}");
    }
}

#[track_caller]
fn error(v: Value, rule: &str, path: &str) {
    finds(v, Severity::Error, rule, path);
}

#[track_caller]
fn warning(v: Value, rule: &str, path: &str) {
    finds(v, Severity::Warning, rule, path);
}

#[test]
fn header_errors_stop_parsing() {
    let bad = |v: Value| Object::from_json(&v.to_string()).unwrap_err().to_string();
    assert!(bad(indicator(json!({"id": "indicator--1"}))).contains("UUID"));
    assert!(bad(indicator(json!({"id": null}))).contains("`id`"));
    assert!(bad(indicator(json!({"type": "malware"}))).contains("does not match"));
    assert!(bad(indicator(json!({"created": "2016-13-01T00:00:00Z"}))).contains("created"));
    assert!(bad(json!([1])).contains("JSON object"));
}

#[test]
fn a_valid_indicator_has_no_issues() {
    clean(indicator(json!({})));
}

#[test]
fn common_properties() {
    error(
        indicator(json!({"spec_version": "2.0"})),
        "spec-version",
        "$.spec_version",
    );
    // Variant bits 0xxx (NCS): syntactically a UUID, but not an RFC 4122 one.
    error(
        indicator(json!({"id": "indicator--6b616fc1-1505-48e3-0b2c-0d19337bff38"})),
        "identifier-uuid",
        "$.id",
    );
    error(
        indicator(json!({"created_by_ref": "identity--6b616fc1-1505-48e3-0b2c-0d19337bff38"})),
        "identifier-uuid",
        "$.created_by_ref",
    );
    error(
        indicator(json!({"spec_version": null})),
        "required-property",
        "$.spec_version",
    );
    error(
        indicator(json!({"created": "2016-04-06T20:03:48Z", "modified": "2016-04-06T20:03:48Z"})),
        "timestamp-precision",
        "$.created",
    );
    error(
        indicator(json!({"modified": "2016-04-06T20:03:48.1Z"})),
        "timestamp-precision",
        "$.modified",
    );
    error(
        indicator(json!({"modified": "2015-04-06T20:03:48.000Z"})),
        "timestamp-order",
        "$.modified",
    );
    error(
        indicator(json!({"confidence": 101})),
        "value-range",
        "$.confidence",
    );
    error(
        indicator(json!({"confidence": "high"})),
        "property-type",
        "$.confidence",
    );
    clean(indicator(
        json!({"confidence": 0, "lang": "en-US", "labels": ["a"], "revoked": false}),
    ));
    error(indicator(json!({"lang": "not a tag"})), "lang", "$.lang");
    error(indicator(json!({"labels": []})), "empty-list", "$.labels");
    error(
        indicator(json!({"labels": [1]})),
        "property-type",
        "$.labels[0]",
    );
    error(
        indicator(json!({"revoked": "yes"})),
        "property-type",
        "$.revoked",
    );
    error(
        indicator(json!({"created_by_ref": MALWARE})),
        "reference-type",
        "$.created_by_ref",
    );
    error(
        indicator(json!({"created_by_ref": "identity--x"})),
        "identifier",
        "$.created_by_ref",
    );
    error(
        indicator(json!({"object_marking_refs": [ID_A]})),
        "reference-type",
        "$.object_marking_refs[0]",
    );
    clean(indicator(
        json!({"created_by_ref": ID_A, "object_marking_refs": [tlp::Tlp::Green.marking().id]}),
    ));
    // Duplicate names survive only in text (a serde_json::Value would merge them).
    let text = indicator(json!({"name": "a", "x_dup": "b"}))
        .to_string()
        .replace("\"x_dup\"", "\"name\"");
    let r = Object::from_json(&text).unwrap().validate();
    assert!(
        r.errors()
            .any(|i| i.rule == "duplicate-property" && i.path == "$.name"),
        "{r}"
    );
}

#[test]
fn external_references() {
    let er = |r: Value| indicator(json!({"external_references": [r]}));
    clean(er(
        json!({"source_name": "cve", "external_id": "CVE-2021-44228"}),
    ));
    clean(er(
        json!({"source_name": "capec", "external_id": "CAPEC-163", "url": "https://capec.mitre.org/data/definitions/163.html"}),
    ));
    error(
        er(json!({"url": "https://example.com"})),
        "required-property",
        "$.external_references[0].source_name",
    );
    error(
        er(json!({"source_name": "x"})),
        "external-reference",
        "$.external_references[0]",
    );
    error(
        er(json!({"source_name": "capec", "external_id": "163"})),
        "external-id",
        "$.external_references[0].external_id",
    );
    error(
        er(json!({"source_name": "cve", "external_id": "CVE-21-1"})),
        "external-id",
        "$.external_references[0].external_id",
    );
    error(
        er(json!({"source_name": "cve", "description": "d"})),
        "external-id",
        "$.external_references[0].external_id",
    );
    error(
        er(json!({"source_name": "x", "url": "example.com"})),
        "url",
        "$.external_references[0].url",
    );
    error(
        er(json!({"source_name": "x", "url": "https://a", "hashes": {"SHA-256": "00"}})),
        "hash-value",
        "$.external_references[0].hashes[\"SHA-256\"]",
    );
}

#[test]
fn external_reference_hashes_are_an_enumeration() {
    error(
        indicator(
            json!({"external_references": [{"source_name": "s", "url": "https://a", "hashes": {"MD6": "00"}}]}),
        ),
        "enum",
        "$.external_references[0].hashes.MD6",
    );
    error(indicator(json!({"_score": 1})), "property-name", "$._score");
    error(indicator(json!({"x9": 1})), "property-name", "$.x9");
}

#[test]
fn granular_markings() {
    let gm = |g: Value| {
        indicator(
            json!({"name": "n", "external_references": [{"source_name": "s", "url": "https://a"}], "granular_markings": [g]}),
        )
    };
    let green = tlp::Tlp::Green.marking().id;
    clean(gm(
        json!({"marking_ref": green, "selectors": ["name", "external_references.[0].source_name"]}),
    ));
    clean(gm(json!({"lang": "fr", "selectors": ["name"]})));
    error(
        gm(json!({"marking_ref": green, "lang": "fr", "selectors": ["name"]})),
        "granular-marking",
        "$.granular_markings[0]",
    );
    error(
        gm(json!({"selectors": ["name"]})),
        "granular-marking",
        "$.granular_markings[0]",
    );
    error(
        gm(json!({"marking_ref": green, "selectors": []})),
        "empty-list",
        "$.granular_markings[0].selectors",
    );
    error(
        gm(json!({"marking_ref": green, "selectors": ["name..x"]})),
        "selector-syntax",
        "$.granular_markings[0].selectors[0]",
    );
    error(
        gm(json!({"marking_ref": green, "selectors": ["[0]"]})),
        "selector-syntax",
        "$.granular_markings[0].selectors[0]",
    );
    error(
        gm(json!({"marking_ref": green, "selectors": ["description"]})),
        "selector-target",
        "$.granular_markings[0].selectors[0]",
    );
    error(
        gm(json!({"marking_ref": green, "selectors": ["external_references.[3]"]})),
        "selector-target",
        "$.granular_markings[0].selectors[0]",
    );
    error(
        gm(json!({"marking_ref": ID_A, "selectors": ["name"]})),
        "reference-type",
        "$.granular_markings[0].marking_ref",
    );
}

#[test]
fn extensions_and_custom_properties() {
    let ext = "extension-definition--d83fce45-ef58-4c6c-a3f4-1fbc32e98c6e";
    clean(indicator(json!({"x_acme_score": 3})));
    warning(
        indicator(json!({"acme_score": 3})),
        "unknown-property",
        "$.acme_score",
    );
    error(indicator(json!({"Acme": 3})), "property-name", "$.Acme");
    clean(indicator(
        json!({"acme_score": 3, "extensions": {ext: {"extension_type": "toplevel-property-extension"}}}),
    ));
    error(
        indicator(json!({"extensions": {ext: {"extension_type": "bogus"}}})),
        "enum",
        &format!("$.extensions[{ext:?}].extension_type"),
    );
    warning(
        indicator(json!({"extensions": {"foo": {}}})),
        "unknown-extension",
        "$.extensions.foo",
    );
    error(
        indicator(json!({"extensions": {ext: 1}})),
        "property-type",
        &format!("$.extensions[{ext:?}]"),
    );
    clean(sco("file", json!({"name": "a.txt", "extensions": {"ntfs-ext": {"sid": "1"}}, "id": "file--2a3a4a2f-2b2a-5d25-8c7c-2ac8f4b0a3a2"})).pipe_ignore_id());
}

trait IgnoreId {
    fn pipe_ignore_id(self) -> Value;
}

impl IgnoreId for Value {
    /// Replaces the id by the deterministic one, so that no deterministic-id warning shows.
    fn pipe_ignore_id(mut self) -> Value {
        let o = Object::from_json(&self.to_string()).unwrap();
        if let Some(id) = entente_stix::deterministic_id(&o) {
            self["id"] = json!(id.as_str());
        }
        self
    }
}

#[test]
fn sdo_rules() {
    error(
        indicator(json!({"pattern": null})),
        "required-property",
        "$.pattern",
    );
    error(
        indicator(json!({"valid_until": TS})),
        "timestamp-order",
        "$.valid_until",
    );
    warning(
        indicator(json!({"pattern_type": "klingon"})),
        "vocabulary",
        "$.pattern_type",
    );
    warning(
        indicator(json!({"indicator_types": ["odd"]})),
        "vocabulary",
        "$.indicator_types[0]",
    );
    error(
        indicator(
            json!({"kill_chain_phases": [{"kill_chain_name": "lockheed-martin-cyber-kill-chain"}]}),
        ),
        "required-property",
        "$.kill_chain_phases[0].phase_name",
    );
    let op = |o: &str| sdo("opinion", json!({"opinion": o, "object_refs": [MALWARE]}));
    clean(op("agree"));
    error(op("maybe"), "enum", "$.opinion");
    let rep = |refs: Value| {
        sdo(
            "report",
            json!({"name": "r", "published": TS, "object_refs": refs}),
        )
    };
    clean(rep(json!([MALWARE])));
    error(rep(json!([])), "empty-list", "$.object_refs");
    error(
        sdo("report", json!({"name": "r", "object_refs": [MALWARE]})),
        "required-property",
        "$.published",
    );
    let od = |extra: Value| {
        let mut v = sdo(
            "observed-data",
            json!({"first_observed": TS, "last_observed": TS, "number_observed": 1, "object_refs": ["ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd"]}),
        );
        merge(&mut v, extra);
        v
    };
    clean(od(json!({})));
    error(
        od(json!({"number_observed": 0})),
        "value-range",
        "$.number_observed",
    );
    error(
        od(json!({"number_observed": 1_000_000_000})),
        "value-range",
        "$.number_observed",
    );
    error(
        od(json!({"objects": {"0": {"type": "ipv4-addr", "value": "10.0.0.1"}}})),
        "observed-data-content",
        "$.object_refs",
    );
    error(
        od(json!({"object_refs": null})),
        "observed-data-content",
        "$.object_refs",
    );
    error(
        od(json!({"last_observed": "2015-01-01T00:00:00Z"})),
        "timestamp-order",
        "$.last_observed",
    );
    error(
        od(json!({"object_refs": [MALWARE]})),
        "reference-type",
        "$.object_refs[0]",
    );
    error(
        sdo("malware", json!({"name": "m"})),
        "required-property",
        "$.is_family",
    );
    error(
        sdo("malware", json!({"is_family": true})),
        "required-property",
        "$.name",
    );
    clean(sdo("malware", json!({"is_family": false})));
    error(
        sdo("malware", json!({"is_family": "yes", "name": "m"})),
        "property-type",
        "$.is_family",
    );
    error(
        sdo(
            "malware",
            json!({"is_family": false, "sample_refs": [MALWARE]}),
        ),
        "reference-type",
        "$.sample_refs[0]",
    );
    let loc = |extra: Value| sdo("location", extra);
    clean(loc(
        json!({"latitude": 13.5, "longitude": 2.1, "precision": 1000.0}),
    ));
    clean(loc(json!({"region": "western-africa"})));
    error(
        loc(json!({"latitude": 91, "longitude": 0})),
        "value-range",
        "$.latitude",
    );
    error(
        loc(json!({"latitude": 0, "longitude": -181})),
        "value-range",
        "$.longitude",
    );
    error(
        loc(json!({"latitude": 10, "country": "ML"})),
        "location-coordinates",
        "$.longitude",
    );
    error(
        loc(json!({"precision": 10, "country": "ML"})),
        "location-coordinates",
        "$.precision",
    );
    error(loc(json!({"name": "nowhere"})), "location-content", "$");
    warning(loc(json!({"region": "sahel"})), "vocabulary", "$.region");
    error(
        sdo("grouping", json!({"object_refs": [MALWARE]})),
        "required-property",
        "$.context",
    );
    error(
        sdo("note", json!({"content": "c"})),
        "required-property",
        "$.object_refs",
    );
    error(
        sdo("malware-analysis", json!({"product": "p"})),
        "required-property",
        "$.result",
    );
    error(
        sdo(
            "campaign",
            json!({"name": "c", "first_seen": TS, "last_seen": "2010-01-01T00:00:00Z"}),
        ),
        "timestamp-order",
        "$.last_seen",
    );
    warning(
        sdo(
            "threat-actor",
            json!({"name": "t", "threat_actor_types": ["jihadist"]}),
        ),
        "vocabulary",
        "$.threat_actor_types[0]",
    );
    clean(sdo(
        "threat-actor",
        json!({"name": "t", "threat_actor_types": ["terrorist"], "primary_motivation": "ideology"}),
    ));
    for t in [
        "attack-pattern",
        "campaign",
        "course-of-action",
        "identity",
        "incident",
        "infrastructure",
        "intrusion-set",
        "threat-actor",
        "tool",
        "vulnerability",
    ] {
        clean(sdo(t, json!({"name": "n"})));
        error(sdo(t, json!({})), "required-property", "$.name");
    }
}

#[test]
fn sro_rules() {
    let rel = |extra: Value| {
        let mut v = sdo(
            "relationship",
            json!({"relationship_type": "uses", "source_ref": MALWARE, "target_ref": ID_A}),
        );
        merge(&mut v, extra);
        v
    };
    clean(rel(json!({})));
    error(
        rel(json!({"relationship_type": "Uses it"})),
        "relationship-type",
        "$.relationship_type",
    );
    error(
        rel(json!({"source_ref": tlp::Tlp::Red.marking().id})),
        "reference-type",
        "$.source_ref",
    );
    error(
        rel(json!({"target_ref": null})),
        "required-property",
        "$.target_ref",
    );
    error(
        rel(json!({"start_time": TS, "stop_time": TS})),
        "timestamp-order",
        "$.stop_time",
    );
    let si = |extra: Value| {
        let mut v = sdo("sighting", json!({"sighting_of_ref": MALWARE}));
        merge(&mut v, extra);
        v
    };
    clean(si(json!({"count": 0, "where_sighted_refs": [ID_A]})));
    error(si(json!({"count": -1})), "value-range", "$.count");
    error(
        si(json!({"count": 1_000_000_000})),
        "value-range",
        "$.count",
    );
    error(
        si(json!({"where_sighted_refs": [MALWARE]})),
        "reference-type",
        "$.where_sighted_refs[0]",
    );
    error(
        si(json!({"sighting_of_ref": "ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd"})),
        "reference-type",
        "$.sighting_of_ref",
    );
    error(
        si(json!({"observed_data_refs": [ID_A]})),
        "reference-type",
        "$.observed_data_refs[0]",
    );
}

#[test]
fn sco_rules() {
    clean(sco("ipv4-addr", json!({"value": "10.0.0.1"})).pipe_ignore_id());
    warning(
        sco("ipv4-addr", json!({"value": "10.0.0.1"})),
        "deterministic-id",
        "$.id",
    );
    error(sco("ipv4-addr", json!({})), "required-property", "$.value");
    error(sco("file", json!({"size": 1})), "required-property", "$");
    error(
        sco("file", json!({"hashes": {"MD5": "xyz"}})).pipe_ignore_id(),
        "hash-value",
        "$.hashes.MD5",
    );
    warning(
        sco("file", json!({"hashes": {"MD6": "00"}})).pipe_ignore_id(),
        "vocabulary",
        "$.hashes.MD6",
    );
    error(
        sco(
            "domain-name",
            json!({"value": "a.example", "resolves_to_refs": ["url--6b616fc1-1505-48e3-8b2c-0d19337bff38"]}),
        ),
        "reference-type",
        "$.resolves_to_refs[0]",
    );
    error(
        sco("mac-addr", json!({"value": "AA:BB:CC:DD:EE:FF"})),
        "mac-address",
        "$.value",
    );
    clean(sco("mac-addr", json!({"value": "aa:bb:cc:dd:ee:ff"})).pipe_ignore_id());
    let nt = |extra: Value| {
        let mut v = sco(
            "network-traffic",
            json!({"protocols": ["tcp"], "src_ref": "ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd"}),
        );
        merge(&mut v, extra);
        v.pipe_ignore_id()
    };
    clean(nt(json!({"dst_port": 443})));
    error(nt(json!({"dst_port": 70000})), "value-range", "$.dst_port");
    error(nt(json!({"src_ref": null})), "required-property", "$");
    error(
        nt(json!({"is_active": true, "end": TS})),
        "network-traffic-active",
        "$.end",
    );
    clean(nt(
        json!({"extensions": {"http-request-ext": {"request_method": "get", "request_value": "/", "request_header": {"Host": ["a"]}}}}),
    ));
    error(
        nt(json!({"extensions": {"http-request-ext": {"request_method": "get"}}})),
        "required-property",
        "$.extensions[\"http-request-ext\"].request_value",
    );
    error(
        nt(
            json!({"extensions": {"http-request-ext": {"request_method": "get", "request_value": "/", "request_header": {"Host": "a"}}}}),
        ),
        "property-type",
        "$.extensions[\"http-request-ext\"].request_header.Host",
    );
    error(
        sco("windows-registry-key", json!({"key": "HKCU\\Software\\x"})),
        "registry-hive",
        "$.key",
    );
    clean(sco("windows-registry-key", json!({"key": "hkey_local_machine\\System", "values": [{"name": "a", "data_type": "REG_SZ"}]})).pipe_ignore_id());
    error(
        sco(
            "windows-registry-key",
            json!({"key": "HKEY_USERS\\x", "values": [{"data_type": "REG_TEXT"}]}),
        ),
        "enum",
        "$.values[0].data_type",
    );
    error(
        sco("url", json!({"value": "hugesoft.org"})),
        "url",
        "$.value",
    );
    error(
        sco(
            "artifact",
            json!({"payload_bin": "aGk=", "url": "https://a"}),
        ),
        "artifact-content",
        "$.url",
    );
    error(
        sco("artifact", json!({"url": "https://a"})),
        "required-property",
        "$.hashes",
    );
    error(
        sco("artifact", json!({"payload_bin": "not base64!"})),
        "binary",
        "$.payload_bin",
    );
    error(
        sco("email-message", json!({"is_multipart": true, "body": "b"})),
        "email-body",
        "$.body",
    );
    error(
        sco(
            "email-message",
            json!({"is_multipart": false, "from_ref": MALWARE}),
        ),
        "reference-type",
        "$.from_ref",
    );
    error(
        sco("autonomous-system", json!({"number": "AS1"})),
        "property-type",
        "$.number",
    );
    error(sco("process", json!({})), "required-property", "$");
    clean(sco("process", json!({"pid": 4})));
    warning(
        sco("ipv4-addr", json!({"value": "10.0.0.1", "created": TS})).pipe_ignore_id(),
        "unknown-property",
        "$.created",
    );
}

#[test]
fn marking_definitions() {
    for m in &tlp::ALL {
        clean(serde_json::from_str(m.json).unwrap());
    }
    let md = |extra: Value| {
        let mut v = json!({"type": "marking-definition", "spec_version": "2.1", "id": "marking-definition--3cd55916-d34b-4747-a8e0-dedec14b711b", "created": TS});
        merge(&mut v, extra);
        v
    };
    clean(md(
        json!({"definition_type": "statement", "definition": {"statement": "Copyright"}}),
    ));
    error(
        md(json!({"definition_type": "statement", "definition": {}})),
        "marking-definition",
        "$.definition.statement",
    );
    error(
        md(json!({"definition_type": "tlp", "definition": {"tlp": "green"}})),
        "tlp-marking",
        "$.id",
    );
    error(md(json!({})), "marking-definition", "$");
    error(
        md(
            json!({"extensions": {tlp::TLP2_EXTENSION_ID: {"extension_type": "property-extension", "tlp_2_0": "green"}}}),
        ),
        "tlp-marking",
        &format!("$.extensions[{:?}]", tlp::TLP2_EXTENSION_ID),
    );
    let mut fake_red: Value = serde_json::from_str(tlp::Tlp::Red.marking().json).unwrap();
    fake_red["name"] = json!("TLP:GREEN");
    error(fake_red, "predefined-marking", "$");
    warning(
        md(
            json!({"definition_type": "statement", "definition": {"statement": "c"}, "modified": TS}),
        ),
        "unknown-property",
        "$.modified",
    );
}

#[test]
fn other_objects() {
    let lc = |extra: Value| {
        let mut v = sdo(
            "language-content",
            json!({"object_ref": MALWARE, "contents": {"fr": {"name": "logiciel"}}}),
        );
        merge(&mut v, extra);
        v
    };
    clean(lc(json!({})));
    error(
        lc(json!({"contents": null})),
        "required-property",
        "$.contents",
    );
    error(
        lc(json!({"contents": {"not a tag": {}}})),
        "lang",
        "$.contents[\"not a tag\"]",
    );
    let ed = |extra: Value| {
        let mut v = sdo(
            "extension-definition",
            json!({"name": "e", "schema": "https://x", "version": "1.0", "extension_types": ["new-sdo"], "created_by_ref": ID_A}),
        );
        merge(&mut v, extra);
        v
    };
    clean(ed(json!({})));
    error(
        ed(json!({"created_by_ref": null})),
        "required-property",
        "$.created_by_ref",
    );
    error(
        ed(json!({"extension_types": ["bogus"]})),
        "enum",
        "$.extension_types[0]",
    );
    clean(sdo("x-acme-widget", json!({"anything": 1})));
    warning(
        sdo("acme-widget", json!({})),
        "custom-object-type",
        "$.type",
    );
    error(
        sdo("x-acme-widget", json!({"confidence": 200})),
        "value-range",
        "$.confidence",
    );
    error(
        json!({"type": "bundle", "id": "bundle--6b616fc1-1505-48e3-8b2c-0d19337bff38", "objects": []}),
        "bundle-as-object",
        "$.type",
    );
}
