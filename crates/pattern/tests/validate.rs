//! Validator tests: vocabulary checks and literal-type checks, with a snapshot of the messages.

use entente_pattern::{Severity, validate_str};

fn report(inputs: &[&str]) -> String {
    let mut out = String::new();
    for text in inputs {
        let (_, issues) = validate_str(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        out.push_str(text);
        out.push('\n');
        if issues.is_empty() {
            out.push_str("  ok\n");
        }
        for i in issues {
            out.push_str(&format!("  {:?}: {}\n", i.severity, i.message));
        }
    }
    out
}

#[test]
fn every_sco_type_is_known() {
    for t in [
        "artifact",
        "autonomous-system",
        "directory",
        "domain-name",
        "email-addr",
        "email-message",
        "file",
        "ipv4-addr",
        "ipv6-addr",
        "mac-addr",
        "mutex",
        "network-traffic",
        "process",
        "software",
        "url",
        "user-account",
        "windows-registry-key",
        "x509-certificate",
    ] {
        let (_, issues) = validate_str(&format!("[{t}:id = 'x']")).unwrap();
        assert!(issues.is_empty(), "{t}: {issues:?}");
    }
}

#[test]
fn clean_patterns_have_no_issues() {
    insta::assert_snapshot!(report(&[
        "[file:hashes.'SHA-256' = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' AND file:size > 10]",
        "[email-message:from_ref.value = 'a@b.c' AND email-message:to_refs[*].display_name LIKE 'B%']",
        "[network-traffic:src_ref.value ISSUBSET '10.0.0.0/8' AND network-traffic:dst_port IN (80, 443)]",
        "[process:image_ref.parent_directory_ref.path = 'C:\\\\Windows']",
        "[file:extensions.'windows-pebinary-ext'.sections[*].entropy > 7.0]",
        "[file:extensions.'ntfs-ext'.alternate_data_streams[0].hashes.MD5 = 'd41d8cd98f00b204e9800998ecf8427e']",
        "[x509-certificate:x509_v3_extensions.private_key_usage_period_not_after < t'2020-01-01T00:00:00Z']",
        "[windows-registry-key:values[*].data MATCHES '^cmd'] REPEATS 2 TIMES WITHIN 60 SECONDS",
        "[artifact:payload_bin = b'TVo=']",
        "[process:environment_variables.PATH LIKE '%tmp%']",
        "[EXISTS user-account:extensions.'unix-account-ext'.home_dir]",
    ]));
}

#[test]
fn problems_are_reported() {
    insta::assert_snapshot!(report(&[
        // Vocabulary errors.
        "[filez:name = 'a']",
        "[file:colour = 'red']",
        "[file:extensions.'made-up-ext'.x = 1]",
        "[file:parent_directory_ref.name = 'a']",
        "[email-message:to_refs.value = 'a']",
        "[file:name.first = 'a']",
        "[file:size[0] = 1]",
        "[file:hashes = 'a']",
        // Custom content and legacy names are warnings.
        "[x-thing:anything = 1]",
        "[file:x_custom = 1 AND file:extensions.'x-ext'.y = 2]",
        "[process:name = 'cmd.exe']",
        "[file:hashes.md5 = 'ab' OR file:hashes.WHIRLPOOL = 'cd']",
        "[file:hashes.MD5 = 'abc' OR file:hashes.'SHA-256' IN ('zz', '00')]",
        // Literal types.
        "[file:size = 'big']",
        "[file:name > 5]",
        "[file:size MATCHES '5']",
        "[file:name MATCHES '(?<=a)b']",
        "[file:name LIKE 'a%']",
        "[ipv4-addr:value ISSUBSET 'not-a-cidr']",
        "[file:size ISSUPERSET '10.0.0.0/8']",
        "[email-message:is_multipart > 1]",
        "[file:ctime = '2016-01-01T00:00:00Z']",
        "[file:ctime = 5]",
        // Cross-type AND inside one observation.
        "[ipv4-addr:value = '1.2.3.4' AND domain-name:value = 'a.b']",
        // Qualifiers that can never hold.
        "[file:name = 'a'] REPEATS 0 TIMES",
        "[file:name = 'a'] WITHIN 0 SECONDS",
        "[file:name = 'a'] START t'2026-01-02T00:00:00Z' STOP t'2026-01-01T00:00:00Z'",
    ]));
}

#[test]
fn custom_names_are_warnings_only() {
    let (_, issues) = validate_str("[x-thing:x_a.b[0] = 1] AND [file:x_b = 2]").unwrap();
    assert!(!issues.is_empty());
    assert!(issues.iter().all(|i| i.severity == Severity::Warning));
}

#[test]
fn issues_point_at_the_path() {
    let text = "[file:name = 'a' AND file:colour = 'red']";
    let (_, issues) = validate_str(text).unwrap();
    let span = issues[0].span.unwrap();
    assert_eq!(&text[span.start..span.end], "file:colour");
}
