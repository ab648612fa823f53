//! Matcher tests: every operator and qualifier, timestamps, CIDR edge cases, FOLLOWEDBY order,
//! reference paths, and both observed-data shapes (2.1 `object_refs`, 2.0 `objects`).

use entente_pattern::{CompileError, Observations, compile};
use serde_json::{Value, json};

/// An observed-data of 2.1 shape naming `refs`, observed from `first` to `last` (seconds after
/// 2026-01-01T00:00:00Z).
fn od(n: usize, first: u32, last: u32, count: u64, refs: &[&str]) -> Value {
    json!({
        "type": "observed-data",
        "spec_version": "2.1",
        "id": format!("observed-data--00000000-0000-4000-8000-{n:012}"),
        "first_observed": at(first),
        "last_observed": at(last),
        "number_observed": count,
        "object_refs": refs,
    })
}

fn at(seconds: u32) -> String {
    let h = seconds / 3600;
    let m = seconds / 60 % 60;
    let s = seconds % 60;
    format!("2026-01-01T{h:02}:{m:02}:{s:02}Z")
}

/// A one-SCO observation at time `t` with the given SCO.
fn single(n: usize, t: u32, sco: Value) -> Vec<Value> {
    let id = sco["id"].as_str().unwrap().to_owned();
    vec![od(n, t, t, 1, &[&id]), sco]
}

/// Which observations `pattern` matches in `objects` (`None`: no match).
fn matched(pattern: &str, objects: &[Value]) -> Option<Vec<usize>> {
    let p = compile(pattern).unwrap_or_else(|e| panic!("{pattern}: {e}"));
    let obs = Observations::from_objects(objects).unwrap();
    p.first_match(&obs).unwrap().map(|m| m.observations)
}

fn matches(pattern: &str, objects: &[Value]) -> bool {
    matched(pattern, objects).is_some()
}

fn file(n: usize, props: Value) -> Value {
    let mut v = json!({"type": "file", "spec_version": "2.1",
        "id": format!("file--00000000-0000-4000-8000-{n:012}")});
    v.as_object_mut()
        .unwrap()
        .extend(props.as_object().unwrap().clone());
    v
}

fn a_file(props: Value) -> Vec<Value> {
    single(0, 0, file(1, props))
}

#[test]
fn equality_and_inequality() {
    let f = a_file(json!({"name": "evil.exe", "size": 5, "x_flag": true, "x_ratio": 0.5}));
    assert!(matches("[file:name = 'evil.exe']", &f));
    assert!(!matches("[file:name = 'Evil.exe']", &f));
    assert!(matches("[file:name != 'good.exe']", &f));
    assert!(!matches("[file:name != 'evil.exe']", &f));
    assert!(matches("[file:size = 5]", &f));
    assert!(matches("[file:size = 5.0]", &f));
    assert!(matches("[file:x_ratio = 0.5]", &f));
    assert!(matches("[file:x_flag = true]", &f));
    assert!(!matches("[file:x_flag = false]", &f));
    // Mismatched types are never equal, so always unequal.
    assert!(!matches("[file:size = '5']", &f));
    assert!(matches("[file:size != '5']", &f));
    assert!(!matches("[file:x_flag = 1]", &f));
}

#[test]
fn not_negates_the_test_but_needs_the_property() {
    let f = a_file(json!({"name": "a"}));
    assert!(matches("[file:name NOT = 'b']", &f));
    assert!(!matches("[file:name NOT = 'a']", &f));
    assert!(
        !matches("[file:size NOT = 5]", &f),
        "missing property never matches"
    );
    assert!(
        !matches("[file:size != 5]", &f),
        "missing property never matches"
    );
}

#[test]
fn ordering() {
    let f = a_file(json!({"name": "m", "size": 100, "x_ratio": 2.5}));
    for (p, want) in [
        ("[file:size > 99]", true),
        ("[file:size > 100]", false),
        ("[file:size >= 100]", true),
        ("[file:size < 101]", true),
        ("[file:size <= 99]", false),
        ("[file:size < 100.5]", true),
        ("[file:x_ratio > 2]", true),
        ("[file:x_ratio <= 2.5]", true),
        ("[file:name > 'l']", true),
        ("[file:name < 'l']", false),
        ("[file:name >= 'm']", true),
        ("[file:size NOT > 5]", false),
        ("[file:size > 'a']", false),
        ("[file:size NOT > 'a']", true),
    ] {
        assert_eq!(matches(p, &f), want, "{p}");
    }
}

#[test]
fn set_membership() {
    let f = a_file(json!({"name": "b", "size": 3}));
    assert!(matches("[file:name IN ('a', 'b')]", &f));
    assert!(!matches("[file:name IN ('a', 'c')]", &f));
    assert!(!matches("[file:name IN ()]", &f));
    assert!(matches("[file:name NOT IN ('a', 'c')]", &f));
    assert!(matches("[file:size IN (1, 3.0, 'x')]", &f));
    assert!(!matches("[file:size IN ('3')]", &f));
}

#[test]
fn like_uses_sql_wildcards() {
    let f = a_file(json!({"name": "report.final.exe", "x_multi": "line1\nline2"}));
    for (p, want) in [
        ("[file:name LIKE 'report%']", true),
        ("[file:name LIKE '%.exe']", true),
        ("[file:name LIKE '%final%']", true),
        ("[file:name LIKE 'report']", false),
        ("[file:name LIKE 'report.final.ex_']", true),
        ("[file:name LIKE 'report.final.e_']", false),
        // Regex metacharacters are literal in LIKE.
        ("[file:name LIKE 'report_final_exe']", true),
        ("[file:name LIKE 'report.f+nal%']", false),
        ("[file:name LIKE '%']", true),
        ("[file:x_multi LIKE 'line1%line2']", true),
        ("[file:name NOT LIKE '%.dll']", true),
    ] {
        assert_eq!(matches(p, &f), want, "{p}");
    }
}

#[test]
fn matches_searches_with_a_regular_expression() {
    let f = a_file(json!({"name": "Invoice_2026.pdf.exe", "size": 7}));
    for (p, want) in [
        ("[file:name MATCHES '\\\\.exe$']", true),
        ("[file:name MATCHES 'voice']", true),
        ("[file:name MATCHES '^voice']", false),
        ("[file:name MATCHES '^[A-Z][a-z]+_\\\\d{4}']", true),
        ("[file:name MATCHES '(?i)^invoice']", true),
        ("[file:name NOT MATCHES 'zip$']", true),
        ("[file:size MATCHES '7']", false),
    ] {
        assert_eq!(matches(p, &f), want, "{p}");
    }
    for unsupported in [
        "[file:name MATCHES 'a(?=b)']",
        "[file:name MATCHES '(a)\\\\1']",
    ] {
        assert!(
            matches!(compile(unsupported), Err(CompileError::Regex { .. })),
            "{unsupported}"
        );
    }
}

fn ip(n: usize, value: &str) -> Vec<Value> {
    let kind = if value.contains(':') {
        "ipv6-addr"
    } else {
        "ipv4-addr"
    };
    single(
        n,
        0,
        json!({"type": kind, "id": format!("{kind}--00000000-0000-4000-8000-{n:012}"), "value": value}),
    )
}

#[test]
fn cidr_subset_and_superset() {
    for (value, pattern, want) in [
        ("10.1.2.3", "[ipv4-addr:value ISSUBSET '10.0.0.0/8']", true),
        ("10.1.2.3", "[ipv4-addr:value ISSUBSET '10.1.2.3/32']", true),
        ("10.1.2.3", "[ipv4-addr:value ISSUBSET '10.1.2.3']", true),
        ("11.0.0.0", "[ipv4-addr:value ISSUBSET '10.0.0.0/8']", false),
        (
            "10.255.255.255",
            "[ipv4-addr:value ISSUBSET '10.0.0.0/8']",
            true,
        ),
        (
            "10.0.0.0/16",
            "[ipv4-addr:value ISSUBSET '10.0.0.0/8']",
            true,
        ),
        (
            "10.0.0.0/8",
            "[ipv4-addr:value ISSUBSET '10.0.0.0/8']",
            true,
        ),
        (
            "10.0.0.0/7",
            "[ipv4-addr:value ISSUBSET '10.0.0.0/8']",
            false,
        ),
        // Host bits in the literal are ignored: the block is 10.0.0.0/8.
        (
            "10.9.9.9",
            "[ipv4-addr:value ISSUBSET '10.20.30.40/8']",
            true,
        ),
        ("0.0.0.0", "[ipv4-addr:value ISSUBSET '0.0.0.0/0']", true),
        ("not an ip", "[ipv4-addr:value ISSUBSET '0.0.0.0/0']", false),
        (
            "10.1.2.3",
            "[ipv4-addr:value NOT ISSUBSET '192.168.0.0/16']",
            true,
        ),
        (
            "10.0.0.0/8",
            "[ipv4-addr:value ISSUPERSET '10.1.2.3']",
            true,
        ),
        (
            "10.0.0.0/8",
            "[ipv4-addr:value ISSUPERSET '10.1.0.0/16']",
            true,
        ),
        (
            "10.0.0.0/8",
            "[ipv4-addr:value ISSUPERSET '11.1.0.0/16']",
            false,
        ),
        ("10.1.2.3", "[ipv4-addr:value ISSUPERSET '10.1.2.3']", true),
        (
            "2001:db8::1",
            "[ipv6-addr:value ISSUBSET '2001:db8::/32']",
            true,
        ),
        (
            "2001:db9::1",
            "[ipv6-addr:value ISSUBSET '2001:db8::/32']",
            false,
        ),
        (
            "2001:db8::/48",
            "[ipv6-addr:value ISSUPERSET '2001:db8::42']",
            true,
        ),
        // Families never contain one another.
        (
            "::ffff:10.0.0.1",
            "[ipv6-addr:value ISSUBSET '10.0.0.0/8']",
            false,
        ),
    ] {
        assert_eq!(matches(pattern, &ip(0, value)), want, "{value} {pattern}");
    }
    assert!(matches!(
        compile("[ipv4-addr:value ISSUBSET '10.0.0.0/33']"),
        Err(CompileError::Cidr { .. })
    ));
}

#[test]
fn exists() {
    let f = a_file(json!({"name": "a", "hashes": {"MD5": "00"}}));
    assert!(matches("[EXISTS file:name]", &f));
    assert!(matches("[EXISTS file:hashes.MD5]", &f));
    assert!(!matches("[EXISTS file:size]", &f));
    assert!(!matches("[EXISTS file:hashes.'SHA-256']", &f));
    assert!(matches("[NOT EXISTS file:size]", &f));
    assert!(!matches("[NOT EXISTS file:name]", &f));
    assert!(matches(
        "[file:name = 'a' AND NOT EXISTS file:hashes.'SHA-256']",
        &f
    ));
    // NOT EXISTS still needs an object of the type.
    assert!(!matches("[NOT EXISTS url:value]", &f));
}

#[test]
fn timestamps_compare_as_instants() {
    let f = a_file(
        json!({"ctime": "2016-01-01T00:00:00.000Z", "mtime": "2016-01-01T00:00:00.5Z",
                          "atime": "not a timestamp"}),
    );
    for (p, want) in [
        ("[file:ctime = t'2016-01-01T00:00:00Z']", true),
        ("[file:ctime = t'2016-01-01T00:00:00.000000Z']", true),
        ("[file:ctime = t'2016-01-01T00:00:00.001Z']", false),
        ("[file:mtime > t'2016-01-01T00:00:00.499999999Z']", true),
        ("[file:mtime < t'2016-01-01T00:00:00.5Z']", false),
        ("[file:mtime <= t'2016-01-01T00:00:00.500Z']", true),
        ("[file:ctime < t'2015-12-31T23:59:59.999Z']", false),
        (
            "[file:ctime IN (t'2015-01-01T00:00:00Z', t'2016-01-01T00:00:00Z')]",
            true,
        ),
        ("[file:atime = t'2016-01-01T00:00:00Z']", false),
        // A string literal compares as text.
        ("[file:ctime = '2016-01-01T00:00:00Z']", false),
        ("[file:ctime = '2016-01-01T00:00:00.000Z']", true),
    ] {
        assert_eq!(matches(p, &f), want, "{p}");
    }
}

#[test]
fn binary_and_hex_compare_as_bytes() {
    let art = single(
        0,
        0,
        json!({"type": "artifact", "id": "artifact--00000000-0000-4000-8000-000000000001",
               "payload_bin": "TVqQAA==", "mime_type": "ab"}),
    );
    assert!(matches("[artifact:payload_bin = b'TVqQAA==']", &art));
    assert!(matches("[artifact:payload_bin = h'4d5a9000']", &art));
    assert!(!matches("[artifact:payload_bin = h'4d5a']", &art));
    assert!(matches("[artifact:payload_bin > h'4d5a']", &art));
    // A plain string compares by its characters as bytes.
    assert!(matches("[artifact:mime_type = h'6162']", &art));
    assert!(matches("[artifact:mime_type = b'YWI=']", &art));
    let f = a_file(json!({"magic_number_hex": "FFD8"}));
    assert!(matches("[file:magic_number_hex = h'ffd8']", &f));
    assert!(!matches("[file:magic_number_hex = h'ffd9']", &f));
}

fn email() -> Vec<Value> {
    vec![
        od(
            0,
            0,
            0,
            1,
            &[
                "email-message--00000000-0000-4000-8000-000000000001",
                "email-addr--00000000-0000-4000-8000-000000000002",
                "email-addr--00000000-0000-4000-8000-000000000003",
                "email-addr--00000000-0000-4000-8000-000000000004",
            ],
        ),
        json!({"type": "email-message", "id": "email-message--00000000-0000-4000-8000-000000000001",
               "is_multipart": false, "subject": "Invoice",
               "from_ref": "email-addr--00000000-0000-4000-8000-000000000002",
               "to_refs": ["email-addr--00000000-0000-4000-8000-000000000003",
                           "email-addr--00000000-0000-4000-8000-000000000004"],
               "received_lines": ["from a", "from b"]}),
        json!({"type": "email-addr", "id": "email-addr--00000000-0000-4000-8000-000000000002",
               "value": "boss@example.com"}),
        json!({"type": "email-addr", "id": "email-addr--00000000-0000-4000-8000-000000000003",
               "value": "alice@example.org"}),
        json!({"type": "email-addr", "id": "email-addr--00000000-0000-4000-8000-000000000004",
               "value": "bob@example.org"}),
    ]
}

#[test]
fn references_and_list_indices() {
    let e = email();
    for (p, want) in [
        ("[email-message:from_ref.value = 'boss@example.com']", true),
        (
            "[email-message:from_ref = 'email-addr--00000000-0000-4000-8000-000000000002']",
            true,
        ),
        ("[email-message:to_refs[*].value = 'bob@example.org']", true),
        (
            "[email-message:to_refs[0].value = 'bob@example.org']",
            false,
        ),
        ("[email-message:to_refs[1].value = 'bob@example.org']", true),
        (
            "[email-message:to_refs[2].value = 'bob@example.org']",
            false,
        ),
        (
            "[email-message:to_refs[-1].value = 'bob@example.org']",
            false,
        ),
        ("[email-message:received_lines[*] = 'from b']", true),
        ("[email-message:received_lines[0] = 'from b']", false),
        ("[email-message:is_multipart = false]", true),
        // `[*]` holds when some element passes, also under NOT.
        (
            "[email-message:to_refs[*].value NOT = 'bob@example.org']",
            true,
        ),
        (
            "[email-message:from_ref.value LIKE '%@example.com' AND email-message:subject = 'Invoice']",
            true,
        ),
    ] {
        assert_eq!(matches(p, &e), want, "{p}");
    }
}

#[test]
fn nested_extension_properties() {
    let f = a_file(
        json!({"extensions": {"windows-pebinary-ext": {"pe_type": "exe",
        "sections": [{"name": ".text", "entropy": 6.1}, {"name": ".rsrc", "entropy": 7.9}]}},
        "hashes": {"SHA-256": "aa", "MD5": "bb"}}),
    );
    assert!(matches(
        "[file:extensions.'windows-pebinary-ext'.sections[*].entropy > 7.5]",
        &f
    ));
    assert!(!matches(
        "[file:extensions.'windows-pebinary-ext'.sections[0].entropy > 7.5]",
        &f
    ));
    assert!(matches(
        "[file:extensions.'windows-pebinary-ext'.pe_type = 'exe']",
        &f
    ));
    assert!(matches(
        "[file:hashes.'SHA-256' = 'aa' AND file:hashes.MD5 = 'bb']",
        &f
    ));
}

#[test]
fn comparisons_joined_by_and_hold_for_one_object() {
    let objects = vec![
        od(
            0,
            0,
            0,
            1,
            &[
                "file--00000000-0000-4000-8000-000000000001",
                "file--00000000-0000-4000-8000-000000000002",
            ],
        ),
        file(1, json!({"name": "a"})),
        file(2, json!({"size": 5})),
    ];
    assert!(!matches("[file:name = 'a' AND file:size = 5]", &objects));
    assert!(matches("[file:name = 'a' OR file:size = 5]", &objects));
    assert!(matches("[file:name = 'a'] AND [file:size = 5]", &{
        // Two observations, one per file.
        let mut v = single(0, 0, file(1, json!({"name": "a"})));
        v.extend(single(1, 0, file(2, json!({"size": 5}))));
        v
    }));
}

/// Observations `i` at time `times[i]`, each one domain named `d<i>`.
fn timeline(times: &[u32]) -> Vec<Value> {
    let mut v = Vec::new();
    for (i, t) in times.iter().enumerate() {
        v.extend(single(
            i,
            *t,
            json!({"type": "domain-name", "id": format!("domain-name--00000000-0000-4000-8000-{i:012}"),
                   "value": format!("d{i}")}),
        ));
    }
    v
}

#[test]
fn observation_and_or_bind_distinct_observations() {
    let t = timeline(&[0, 10]);
    assert_eq!(
        matched(
            "[domain-name:value = 'd0'] AND [domain-name:value = 'd1']",
            &t
        ),
        Some(vec![0, 1])
    );
    assert_eq!(
        matched(
            "[domain-name:value = 'd9'] OR [domain-name:value = 'd1']",
            &t
        ),
        Some(vec![1])
    );
    assert!(!matches(
        "[domain-name:value = 'd0'] AND [domain-name:value = 'd9']",
        &t
    ));
    // One observation counted once cannot satisfy both operands ...
    assert!(!matches(
        "[domain-name:value = 'd0'] AND [domain-name:value LIKE 'd%0']",
        &t
    ));
    // ... but one seen twice (number_observed 2) can.
    let twice = vec![
        od(
            0,
            0,
            0,
            2,
            &["domain-name--00000000-0000-4000-8000-000000000000"],
        ),
        json!({"type": "domain-name", "id": "domain-name--00000000-0000-4000-8000-000000000000", "value": "d0"}),
    ];
    assert_eq!(
        matched(
            "[domain-name:value = 'd0'] AND [domain-name:value LIKE 'd%0']",
            &twice
        ),
        Some(vec![0])
    );
}

#[test]
fn followedby_respects_order() {
    let t = timeline(&[0, 10]);
    assert!(matches(
        "[domain-name:value = 'd0'] FOLLOWEDBY [domain-name:value = 'd1']",
        &t
    ));
    assert!(!matches(
        "[domain-name:value = 'd1'] FOLLOWEDBY [domain-name:value = 'd0']",
        &t
    ));
    // Equal times satisfy "no earlier than".
    let same = timeline(&[5, 5]);
    assert!(matches(
        "[domain-name:value = 'd1'] FOLLOWEDBY [domain-name:value = 'd0']",
        &same
    ));
    // Overlapping intervals: some choice of instants puts d1 after d0.
    let overlap = vec![
        od(
            0,
            0,
            100,
            1,
            &["domain-name--00000000-0000-4000-8000-000000000000"],
        ),
        json!({"type": "domain-name", "id": "domain-name--00000000-0000-4000-8000-000000000000", "value": "d0"}),
        od(
            1,
            50,
            60,
            1,
            &["domain-name--00000000-0000-4000-8000-000000000001"],
        ),
        json!({"type": "domain-name", "id": "domain-name--00000000-0000-4000-8000-000000000001", "value": "d1"}),
    ];
    assert!(matches(
        "[domain-name:value = 'd1'] FOLLOWEDBY [domain-name:value = 'd0']",
        &overlap
    ));
    // Chains are left-associative: everything before must precede the last operand.
    let three = timeline(&[0, 20, 10]);
    assert!(!matches(
        "[domain-name:value = 'd0'] FOLLOWEDBY [domain-name:value = 'd1'] FOLLOWEDBY [domain-name:value = 'd2']",
        &three
    ));
    assert!(matches(
        "[domain-name:value = 'd0'] FOLLOWEDBY [domain-name:value = 'd2'] FOLLOWEDBY [domain-name:value = 'd1']",
        &three
    ));
}

#[test]
fn within_bounds_the_time_spread() {
    let t = timeline(&[0, 10]);
    let both = "([domain-name:value = 'd0'] AND [domain-name:value = 'd1'])";
    assert!(!matches(&format!("{both} WITHIN 5 SECONDS"), &t));
    assert!(!matches(&format!("{both} WITHIN 9.999 SECONDS"), &t));
    assert!(matches(&format!("{both} WITHIN 10 SECONDS"), &t));
    assert!(matches(&format!("{both} WITHIN 10.5 SECONDS"), &t));
    let fb = "([domain-name:value = 'd0'] FOLLOWEDBY [domain-name:value = 'd1'])";
    assert!(matches(&format!("{fb} WITHIN 60 SECONDS"), &t));
    assert!(matches!(
        compile("[a:b = 1] WITHIN 0 SECONDS"),
        Err(CompileError::Qualifier { .. })
    ));
}

#[test]
fn repeats_needs_distinct_observations() {
    let t = timeline(&[0, 10, 20]);
    let any = "[domain-name:value LIKE 'd%']";
    assert_eq!(
        matched(&format!("{any} REPEATS 3 TIMES"), &t),
        Some(vec![0, 1, 2])
    );
    assert!(!matches(&format!("{any} REPEATS 4 TIMES"), &t));
    assert!(matches(
        &format!("{any} REPEATS 2 TIMES WITHIN 10 SECONDS"),
        &t
    ));
    assert!(!matches(
        &format!("{any} REPEATS 3 TIMES WITHIN 10 SECONDS"),
        &t
    ));
    assert!(matches(
        &format!("({any} REPEATS 3 TIMES) WITHIN 20 SECONDS"),
        &t
    ));
    // number_observed counts as repetitions of one observation.
    let thrice = vec![
        od(
            0,
            0,
            0,
            3,
            &["domain-name--00000000-0000-4000-8000-000000000000"],
        ),
        json!({"type": "domain-name", "id": "domain-name--00000000-0000-4000-8000-000000000000", "value": "d0"}),
    ];
    assert_eq!(
        matched(&format!("{any} REPEATS 3 TIMES"), &thrice),
        Some(vec![0])
    );
    assert!(!matches(&format!("{any} REPEATS 4 TIMES"), &thrice));
    assert!(matches!(
        compile("[a:b = 1] REPEATS 0 TIMES"),
        Err(CompileError::Qualifier { .. })
    ));
}

#[test]
fn start_stop_is_half_open() {
    // Observation 0 at 01:00:00, observation 1 at 02:00:00.
    let t = timeline(&[3600, 7200]);
    let p = |start: &str, stop: &str| {
        format!(
            "[domain-name:value LIKE 'd%'] REPEATS 2 TIMES START t'2026-01-01T{start}Z' STOP t'2026-01-01T{stop}Z'"
        )
    };
    assert!(matches(&p("01:00:00", "02:00:01"), &t));
    assert!(
        !matches(&p("01:00:00", "02:00:00"), &t),
        "STOP is exclusive"
    );
    assert!(!matches(&p("01:00:01", "03:00:00"), &t));
    assert!(matches(&p("00:00:00", "23:00:00"), &t));
    let one =
        "[domain-name:value = 'd0'] START t'2026-01-01T01:00:00Z' STOP t'2026-01-01T01:00:01Z'";
    assert!(matches(one, &t), "START is inclusive");
    assert!(matches!(
        compile("[a:b = 1] START t'2026-01-01T00:00:00Z' STOP t'2026-01-01T00:00:00Z'"),
        Err(CompileError::Qualifier { .. })
    ));
}

#[test]
fn stix_2_0_objects_dictionary() {
    let objects = vec![json!({
        "type": "observed-data",
        "id": "observed-data--00000000-0000-4000-8000-000000000001",
        "first_observed": "2017-01-01T00:00:00Z",
        "last_observed": "2017-01-01T00:00:00Z",
        "number_observed": 1,
        "objects": {
            "0": {"type": "email-addr", "value": "a@example.com"},
            "1": {"type": "email-message", "from_ref": "0", "to_refs": ["0"], "subject": "hi"}
        }
    })];
    assert!(matches(
        "[email-message:from_ref.value = 'a@example.com']",
        &objects
    ));
    assert!(matches(
        "[email-message:to_refs[*].value = 'a@example.com']",
        &objects
    ));
    assert!(!matches(
        "[email-message:from_ref.value = 'b@example.com']",
        &objects
    ));
}

#[test]
fn bundles_are_read_and_bad_observed_data_is_rejected() {
    let bundle = json!({"type": "bundle", "id": "bundle--00000000-0000-4000-8000-000000000001",
                        "objects": timeline(&[0])});
    assert!(matches("[domain-name:value = 'd0']", &[bundle]));
    let mut bad = timeline(&[0]);
    bad[0].as_object_mut().unwrap().remove("number_observed");
    let e = Observations::from_objects(&bad).unwrap_err();
    assert!(e.to_string().contains("number_observed"), "{e}");
    let mut bad = timeline(&[0]);
    bad[0]["first_observed"] = json!("yesterday");
    assert!(Observations::from_objects(&bad).is_err());
}

#[test]
fn many_observations_do_not_explode() {
    // 300 observations, none matching the second operand: the search must fail quickly.
    let t = timeline(&(0..300).collect::<Vec<_>>());
    let p = "([domain-name:value LIKE 'd%'] AND [domain-name:value LIKE 'd%']) FOLLOWEDBY [domain-name:value = 'none']";
    assert!(!matches(p, &t));
    let p = "[domain-name:value LIKE 'd%'] REPEATS 300 TIMES WITHIN 299 SECONDS";
    assert!(matches(p, &t));
}

#[test]
fn combinatorial_patterns_hit_the_search_limit() {
    let t = timeline(&(0..200).collect::<Vec<_>>());
    let any = "[domain-name:value LIKE 'd%']";
    // Nothing can come before d0 (at time 0) but d0 itself, which the search only learns by
    // trying the 200^4 bindings of the left side.
    let p = compile(&format!(
        "({any} AND {any} AND {any} AND {any}) FOLLOWEDBY [domain-name:value = 'd0']"
    ))
    .unwrap();
    let obs = Observations::from_objects(&t).unwrap();
    assert_eq!(p.first_match(&obs), Err(entente_pattern::SearchLimit));
}

#[test]
fn a_match_names_its_observed_data() {
    let t = timeline(&[0, 10, 20]);
    let p = compile("[domain-name:value = 'd2'] OR [domain-name:value = 'd9']").unwrap();
    let obs = Observations::from_objects(&t).unwrap();
    let hit = p.first_match(&obs).unwrap().unwrap();
    let ids: Vec<_> = hit.observed_data(&obs).map(|o| o.id.unwrap()).collect();
    assert_eq!(
        ids,
        vec!["observed-data--00000000-0000-4000-8000-000000000002"]
    );
    let first = hit.observed_data(&obs).next().unwrap();
    assert_eq!(first.observed_data()["number_observed"], 1);
}

#[test]
fn one_observation_expression_binds_the_first_observation_that_satisfies_it() {
    // A lone bracketed expression takes a shortcut past the binding search; it must report
    // what the search reports (here forced by a qualifier that admits every binding).
    let mut objects = Vec::new();
    for (n, name) in ["a.exe", "b.dll", "c.exe", "d.dll"].iter().enumerate() {
        objects.extend(single(
            n * 2,
            n as u32 * 10,
            file(n * 2 + 1, json!({"name": name})),
        ));
    }
    for (pattern, want) in [
        ("[file:name LIKE '%.dll']", Some(vec![1])),
        ("[file:name = 'c.exe']", Some(vec![2])),
        ("[file:name = 'e.exe']", None),
        (
            "[file:name NOT = 'a.exe' AND file:name LIKE '%.exe']",
            Some(vec![2]),
        ),
    ] {
        assert_eq!(matched(pattern, &objects), want, "{pattern}");
        let searched = format!("{pattern} REPEATS 1 TIMES");
        assert_eq!(matched(&searched, &objects), want, "{searched}");
    }
}

#[test]
fn properties_of_large_objects_are_found() {
    // More properties than the scan that compares key lengths takes on.
    let mut props = serde_json::Map::new();
    for i in 0..40 {
        props.insert(format!("x_p{i:02}"), json!(i));
    }
    props.insert("name".into(), json!("big.bin"));
    let f = a_file(Value::Object(props));
    assert!(matches("[file:name = 'big.bin']", &f));
    assert!(matches("[file:x_p00 = 0 AND file:x_p39 = 39]", &f));
    assert!(!matches("[file:x_p40 = 40]", &f));
    assert!(!matches("[file:x_p3 = 3]", &f));
}

#[test]
fn references_resolve_across_bundles_and_the_last_object_with_an_id_wins() {
    // The observed-data sits in a bundle; the SCO it names is supplied at the top level, in a
    // second bundle and then again after it: the last one read is the one matched.
    let sco = |value: &str| {
        json!({"type": "domain-name", "value": value,
                                   "id": "domain-name--00000000-0000-4000-8000-000000000009"})
    };
    let od = od(
        0,
        0,
        0,
        1,
        &["domain-name--00000000-0000-4000-8000-000000000009"],
    );
    let bundle = |objects: Vec<Value>| {
        json!({"type": "bundle", "objects": objects,
        "id": "bundle--00000000-0000-4000-8000-000000000001"})
    };
    let objects = vec![
        sco("first.example"),
        bundle(vec![od.clone(), sco("second.example")]),
        sco("third.example"),
    ];
    assert!(matches("[domain-name:value = 'third.example']", &objects));
    assert!(!matches("[domain-name:value = 'second.example']", &objects));
    let objects = vec![bundle(vec![od, sco("inner.example")])];
    assert!(matches("[domain-name:value = 'inner.example']", &objects));
    let obs = Observations::from_objects(&objects).unwrap();
    assert_eq!(obs.len(), 1);
    assert_eq!(obs.objects_of(obs.get(0).unwrap()).count(), 1);
}
