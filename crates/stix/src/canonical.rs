//! The JSON Canonicalization Scheme (RFC 8785): one byte sequence per JSON value, whatever
//! whitespace, member order or escapes the text was written with. Signatures over STIX
//! objects are computed over this form, so that a relay that re-serialises an object does not
//! break its originator's signature.
//!
//! The rules (RFC 8785 section 3.2): no whitespace; object members sorted by their names
//! compared as UTF-16 code units; strings with only `"`, `\` and the control characters
//! escaped (`\b`, `\t`, `\n`, `\f`, `\r`, else `\u00xx` in lower case), everything else as
//! is; numbers as ECMAScript's `Number.prototype.toString` writes the IEEE 754 double they
//! denote (so `1.0` is `1`, `1e21` is `1e+21`, and integers beyond 2^53 lose precision,
//! as I-JSON, which RFC 8785 requires, says they may).

use std::fmt::Write as _;

use serde_json::Value;

/// Why a value has no canonical form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CanonicalError {
    /// Not JSON.
    #[error("not JSON: {0}")]
    Json(String),
    /// A number that is no finite IEEE 754 double.
    #[error("number {0} is not a finite IEEE 754 double (RFC 8785 section 3.2.2.3)")]
    Number(String),
}

/// The canonical form of the JSON `text`.
pub fn canonicalize_str(text: &str) -> Result<String, CanonicalError> {
    let value: Value =
        serde_json::from_str(text).map_err(|e| CanonicalError::Json(e.to_string()))?;
    canonicalize(&value)
}

/// The canonical form of `value`.
pub fn canonicalize(value: &Value) -> Result<String, CanonicalError> {
    let mut out = String::with_capacity(256);
    write_value(&mut out, value)?;
    Ok(out)
}

fn write_value(out: &mut String, value: &Value) -> Result<(), CanonicalError> {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Number(n) => write_number(out, n)?,
        Value::String(s) => write_string(out, s),
        Value::Array(items) => {
            out.push('[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(out, v)?;
            }
            out.push(']');
        }
        Value::Object(members) => {
            let mut keys: Vec<&String> = members.keys().collect();
            keys.sort_by(|a, b| a.encode_utf16().cmp(b.encode_utf16()));
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(out, k);
                out.push(':');
                write_value(out, &members[k])?;
            }
            out.push('}');
        }
    }
    Ok(())
}

fn write_number(out: &mut String, n: &serde_json::Number) -> Result<(), CanonicalError> {
    let f = if let Some(i) = n.as_i64() {
        i as f64
    } else if let Some(u) = n.as_u64() {
        u as f64
    } else {
        n.as_f64()
            .ok_or_else(|| CanonicalError::Number(n.to_string()))?
    };
    if !f.is_finite() {
        return Err(CanonicalError::Number(n.to_string()));
    }
    if f == 0.0 {
        // Both zeros are written `0`.
        out.push('0');
    } else {
        out.push_str(ryu_js::Buffer::new().format_finite(f));
    }
    Ok(())
}

fn write_string(out: &mut String, s: &str) {
    out.push('"');
    let mut start = 0;
    for (i, b) in s.bytes().enumerate() {
        let escape = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            0x08 => "\\b",
            0x09 => "\\t",
            0x0a => "\\n",
            0x0c => "\\f",
            0x0d => "\\r",
            0x00..=0x1f => "",
            _ => continue,
        };
        out.push_str(&s[start..i]);
        if escape.is_empty() {
            let _ = write!(out, "\\u{b:04x}");
        } else {
            out.push_str(escape);
        }
        start = i + 1;
    }
    out.push_str(&s[start..]);
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(text: &str) -> String {
        canonicalize_str(text).unwrap()
    }

    #[test]
    fn rfc_8785_section_3_2_2_example() {
        // RFC 8785 section 3.2.2 (the "numbers", "string" and "literals" example).
        let input = r#"{
          "numbers": [333333333.33333329, 1E30, 4.50,
                      2e-3, 0.000000000000000000000000001],
          "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
          "literals": [null, true, false]
        }"#;
        assert_eq!(
            c(input),
            r#"{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}"#
        );
    }

    #[test]
    fn rfc_8785_section_3_2_3_sorting() {
        // RFC 8785 section 3.2.3: names sorted as UTF-16 code units.
        let input = r#"{
          "\u20ac": "Euro Sign",
          "\r": "Carriage Return",
          "\ufb33": "Hebrew Letter Dalet With Dagesh",
          "1": "One",
          "\ud83d\ude00": "Emoji: Grinning Face",
          "\u0080": "Control",
          "\u00f6": "Latin Small Letter O With Diaeresis"
        }"#;
        let out = c(input);
        let order: Vec<&str> = [
            "\r",
            "1",
            "\u{80}",
            "\u{f6}",
            "\u{20ac}",
            "\u{1f600}",
            "\u{fb33}",
        ]
        .to_vec();
        let mut at = 0;
        for k in order {
            let needle = canonicalize(&Value::String(k.to_owned())).unwrap();
            let found = out[at..].find(&needle).expect(k) + at;
            at = found + needle.len();
        }
    }

    #[test]
    fn numbers_as_ecmascript_writes_them() {
        for (input, want) in [
            ("0", "0"),
            ("-0", "0"),
            ("-0.0", "0"),
            ("1.0", "1"),
            ("100", "100"),
            ("1e21", "1e+21"),
            ("1e20", "100000000000000000000"),
            ("123456789012345678", "123456789012345680"),
            ("0.1", "0.1"),
            ("-1.5e-7", "-1.5e-7"),
            ("9007199254740993", "9007199254740992"),
        ] {
            assert_eq!(c(input), want, "{input}");
        }
        assert!(matches!(
            canonicalize_str("1e400"),
            Err(CanonicalError::Json(_))
        ));
    }

    #[test]
    fn whitespace_order_and_escapes_do_not_matter() {
        let a = c(r#"{"b": [1, 2], "a": "x\u0041", "c": {"z": null, "y": true}}"#);
        let b = c(r#"{"c":{"y":true,"z":null},"a":"xA","b":[1.0,2e0]}"#);
        assert_eq!(a, b);
        assert_eq!(a, r#"{"a":"xA","b":[1,2],"c":{"y":true,"z":null}}"#);
    }

    #[test]
    fn control_characters_escaped_in_lower_case() {
        assert_eq!(
            c(r#""\u001f\u0000\t\u007f\u2028""#),
            "\"\\u001f\\u0000\\t\u{7f}\u{2028}\""
        );
    }
}
