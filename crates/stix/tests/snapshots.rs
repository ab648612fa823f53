//! Snapshot tests of validation reports for a set of bad objects: every change in wording,
//! path or rule shows up as a reviewable diff.

use entente_stix::Object;

/// Bad objects, one per line of concern, named.
const CASES: &[(&str, &str)] = &[
    (
        "indicator_many_errors",
        r#"{"type":"indicator","spec_version":"2.0","id":"indicator--1ed8caa7-a708-4706-b651-f1186ede6ca1","created":"2017-01-01T00:00:00Z","modified":"2016-01-01T00:00:00.000Z","confidence":150,"pattern_type":"klingon","valid_from":"2017-01-01T00:00:00Z","valid_until":"2016-01-01T00:00:00Z","created_by_ref":"malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b","labels":[]}"#,
    ),
    (
        "external_references",
        r#"{"type":"attack-pattern","spec_version":"2.1","id":"attack-pattern--0042a9f5-f053-4769-b3ef-9ad018dfa298","created":"2020-01-14T17:18:32.126Z","modified":"2020-01-14T17:18:32.126Z","name":"n","external_references":[{"url":"https://a"},{"source_name":"capec","external_id":"CAPEC"},{"source_name":"only"},{"source_name":"cve","external_id":"CVE-2020-1"}]}"#,
    ),
    (
        "observed_data",
        r#"{"type":"observed-data","spec_version":"2.1","id":"observed-data--b67d30ff-02ac-498a-92f9-32f845f448cf","created":"2016-04-06T19:58:16.000Z","modified":"2016-04-06T19:58:16.000Z","first_observed":"2015-12-21T19:00:00Z","last_observed":"2015-12-20T19:00:00Z","number_observed":0,"objects":{"0":{"type":"file"}},"object_refs":["malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b"]}"#,
    ),
    (
        "location",
        r#"{"type":"location","spec_version":"2.1","id":"location--a6e9345f-5a15-4c29-8bb3-7dcc5d168d64","created":"2016-04-06T20:03:00.000Z","modified":"2016-04-06T20:03:00.000Z","latitude":95.5,"precision":-1,"region":"sahel"}"#,
    ),
    (
        "relationship",
        r#"{"type":"relationship","spec_version":"2.1","id":"relationship--57b56a43-b8b0-4cba-9deb-34e3e1faed9e","created":"2016-04-06T20:06:37.000Z","modified":"2016-04-06T20:06:37.000Z","relationship_type":"Uses It","source_ref":"marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da","start_time":"2016-04-06T20:06:37.000Z","stop_time":"2016-04-06T20:06:37.000Z"}"#,
    ),
    (
        "sco_file",
        r#"{"type":"file","spec_version":"2.1","id":"file--6b616fc1-1505-48e3-8b2c-0d19337bff38","hashes":{"MD5":"zz","ACME-9":"00"},"size":-3,"parent_directory_ref":"file--6b616fc1-1505-48e3-8b2c-0d19337bff38","created":"2016-04-06T20:06:37.000Z"}"#,
    ),
    (
        "registry_key",
        r#"{"type":"windows-registry-key","spec_version":"2.1","id":"windows-registry-key--2ba37ae7-2745-5082-9dfd-9486dad41016","key":"HKLM\\Software\\Acme","values":[{"name":"v","data_type":"REG_TEXT"}]}"#,
    ),
    (
        "granular_markings",
        r#"{"type":"indicator","spec_version":"2.1","id":"indicator--1ed8caa7-a708-4706-b651-f1186ede6ca1","created":"2017-01-01T00:00:00.000Z","modified":"2017-01-01T00:00:00.000Z","pattern":"[file:name = 'a']","pattern_type":"stix","valid_from":"2017-01-01T00:00:00Z","granular_markings":[{"selectors":["description","pattern..x"],"marking_ref":"marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da","lang":"en"},{"selectors":["pattern"]}]}"#,
    ),
    (
        "marking_definitions",
        r#"{"type":"marking-definition","spec_version":"2.1","id":"marking-definition--f88d31f6-486f-44da-b317-01333bde0b82","created":"2017-01-20T00:00:00.000Z","definition_type":"tlp","name":"TLP:AMBER","definition":{"tlp":"red"}}"#,
    ),
    (
        "custom_content",
        r#"{"type":"acme-widget","spec_version":"2.1","id":"acme-widget--6b616fc1-1505-48e3-8b2c-0d19337bff38","created":"2017-01-01T00:00:00.000Z","modified":"2017-01-01T00:00:00.000Z","Size":1,"confidence":-1}"#,
    ),
    (
        "malware_and_opinion",
        r#"{"type":"malware","spec_version":"2.1","id":"malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b","created":"2017-01-01T00:00:00.000Z","modified":"2017-01-01T00:00:00.000Z","is_family":true,"malware_types":["wormish"],"kill_chain_phases":[{"kill_chain_name":"Lockheed Martin","phase_name":1}],"opinion":"maybe","acme_rating":"x"}"#,
    ),
];

#[test]
fn validation_reports() {
    for (name, json) in CASES {
        let report = Object::from_json(json)
            .unwrap_or_else(|e| panic!("{name}: {e}"))
            .validate();
        assert!(!report.issues.is_empty(), "{name}");
        insta::assert_snapshot!(*name, report.to_string());
    }
}

#[test]
fn report_as_json() {
    let report = Object::from_json(CASES[0].1).unwrap().validate();
    insta::assert_json_snapshot!("indicator_many_errors_json", report);
}
