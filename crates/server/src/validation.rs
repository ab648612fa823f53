//! Validation of incoming objects: the STIX 2.1 rules of `entente-stix`, plus what that crate
//! cannot check without the pattern language: an indicator whose `pattern_type` is `stix` must
//! carry a valid STIX pattern (STIX 2.1 section 4.7: "the pattern MUST be valid according to
//! the pattern_type"). Every ingest path (TAXII POST, `entente import`, `entente pull`,
//! `entente validate`) uses this one function.
//!
//! Why here and not in `entente-stix`: `entente-pattern` depends on `entente-stix` (for
//! timestamps and objects), so the STIX crate cannot call the pattern crate back.

use std::borrow::Cow;

use entente_stix::{Issue, Object, Report, Severity};

/// A string property's value from its JSON text; `None` when it is not a string.
fn string_value(json: Option<&str>) -> Option<Cow<'_, str>> {
    serde_json::from_str(json?).ok()
}

/// Validates one object: the STIX rules, then the indicator's STIX pattern.
pub fn validate(object: &Object) -> Report {
    let mut report = entente_stix::validate(object);
    if object.object_type() != "indicator" {
        return report;
    }
    // The two properties are found by one scan of the object's text, not a parse of all of
    // it. Wrong property types are already reported by the STIX rules.
    let [pattern, pattern_type] = object.properties(["pattern", "pattern_type"]);
    let (pattern, pattern_type) = (string_value(pattern), string_value(pattern_type));
    let (Some(pattern), Some("stix")) = (pattern.as_deref(), pattern_type.as_deref()) else {
        return report;
    };
    let issue = |severity, rule, message: String| Issue {
        severity,
        object: object.id().to_string(),
        path: "$.pattern".to_owned(),
        rule,
        message,
    };
    match entente_pattern::validate_str(pattern) {
        Err(e) => report
            .issues
            .push(issue(Severity::Error, "pattern-syntax", e.to_string())),
        Ok((_, findings)) => {
            for f in findings {
                let (severity, rule) = match f.severity {
                    entente_pattern::Severity::Error => (Severity::Error, "pattern-vocabulary"),
                    _ => (Severity::Warning, "pattern-vocabulary"),
                };
                report.issues.push(issue(severity, rule, f.message));
            }
        }
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    fn indicator(pattern: &str, pattern_type: &str) -> Object {
        Object::from_json(&format!(
            r#"{{"type":"indicator","spec_version":"2.1","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","pattern":{},"pattern_type":"{pattern_type}","valid_from":"2026-01-01T00:00:00Z"}}"#,
            serde_json::to_string(pattern).unwrap()
        ))
        .unwrap()
    }

    #[test]
    fn a_valid_stix_pattern_passes() {
        let r = validate(&indicator("[ipv4-addr:value = '198.51.100.1']", "stix"));
        assert!(r.is_valid(), "{r}");
    }

    #[test]
    fn a_broken_stix_pattern_is_an_error_at_the_pattern_path() {
        let r = validate(&indicator("[ipv4-addr:value = '198.51.100.1'", "stix"));
        assert!(!r.is_valid());
        let e = r.errors().next().unwrap();
        assert_eq!((e.rule, e.path.as_str()), ("pattern-syntax", "$.pattern"));
        assert!(e.message.contains("expected"), "{}", e.message);
    }

    #[test]
    fn unknown_object_paths_are_errors_and_custom_ones_warnings() {
        let r = validate(&indicator("[file:colour = 'red']", "stix"));
        assert!(r.has_rule("pattern-vocabulary") && !r.is_valid(), "{r}");
        let r = validate(&indicator("[x-acme-widget:colour = 'red']", "stix"));
        assert!(r.is_valid(), "{r}");
    }

    /// An indicator whose `pattern` and `pattern_type` are the JSON texts given, as written.
    fn indicator_text(pattern_json: &str, pattern_type_json: &str) -> Object {
        Object::from_json(&format!(
            r#"{{"type":"indicator","spec_version":"2.1","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","pattern":{pattern_json},"pattern_type":{pattern_type_json},"valid_from":"2026-01-01T00:00:00Z"}}"#
        ))
        .unwrap()
    }

    #[test]
    fn escaped_patterns_are_decoded_before_they_are_checked() {
        // The pattern checked is the decoded string: `\u0027` is a quote, `\\` one backslash.
        let r = validate(&indicator_text(
            r#""[file:name = \u0027a\\\\b\u0027]""#,
            r#""stix""#,
        ));
        assert!(r.is_valid(), "{r}");
        let r = validate(&indicator_text(r#""[file:name = \u0027a]""#, r#""stix""#));
        assert!(r.has_rule("pattern-syntax"), "{r}");
        // `pattern_type` written with an escape is still `stix`.
        let r = validate(&indicator_text(r#""[file:name = 'a""#, r#""\u0073tix""#));
        assert!(r.has_rule("pattern-syntax"), "{r}");
    }

    #[test]
    fn a_pattern_that_is_not_a_string_is_left_to_the_stix_rules() {
        let r = validate(&indicator_text(r#"["[file:name = 'x'"]"#, r#""stix""#));
        assert!(!r.has_rule("pattern-syntax"), "{r}");
        assert!(!r.is_valid(), "{r}");
    }

    #[test]
    fn other_pattern_languages_are_not_parsed_as_stix() {
        let r = validate(&indicator(
            "alert tcp any any -> any any (msg:\"x\";)",
            "snort",
        ));
        assert!(r.is_valid(), "{r}");
    }
}
