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

use std::borrow::Cow;
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

/// The canonical form of the JSON `text`, read in one pass without building a value (what
/// [`canonicalize`] gives for the value `text` denotes; where a name repeats, the last member
/// counts, as when reading it into a value).
pub fn canonicalize_str(text: &str) -> Result<String, CanonicalError> {
    canonical_text(text, None)
}

/// Removes, from the object under the top-level member `member`, its entry `entry`, and the
/// member itself when nothing else is left (the signing input drops the signature extension).
pub(crate) struct Strip<'s> {
    pub(crate) member: &'s str,
    pub(crate) entry: &'s str,
}

/// The canonical form of `text`, with `strip` applied when given.
pub(crate) fn canonical_text(
    text: &str,
    strip: Option<Strip<'_>>,
) -> Result<String, CanonicalError> {
    let mut r = Reader {
        text,
        b: text.as_bytes(),
        i: 0,
        strip,
    };
    let mut out = String::with_capacity(text.len());
    r.ws();
    r.value(&mut out, 0, Role::Top)?;
    r.ws();
    if r.i != r.b.len() {
        return Err(r.error("trailing characters"));
    }
    Ok(out)
}

/// Nesting deeper than this is refused (`serde_json` refuses a 128th level).
const MAX_DEPTH: usize = 127;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    /// The whole text.
    Top,
    /// The value of the top-level member [`Strip::member`].
    Stripped,
    /// Anything else.
    Plain,
}

struct Reader<'a, 's> {
    text: &'a str,
    b: &'a [u8],
    i: usize,
    strip: Option<Strip<'s>>,
}

impl<'a> Reader<'a, '_> {
    fn error(&self, what: &str) -> CanonicalError {
        CanonicalError::Json(format!("{what} at byte {}", self.i))
    }

    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.b.get(self.i) {
            self.i += 1;
        }
    }

    fn expect(&mut self, c: u8) -> Result<(), CanonicalError> {
        if self.b.get(self.i) == Some(&c) {
            self.i += 1;
            Ok(())
        } else {
            Err(self.error(&format!("expected `{}`", c as char)))
        }
    }

    /// Writes the canonical form of the value at the cursor; true when it is an object of
    /// role [`Role::Stripped`] left empty (its member is then left out).
    fn value(
        &mut self,
        out: &mut String,
        depth: usize,
        role: Role,
    ) -> Result<bool, CanonicalError> {
        if matches!(self.b.get(self.i), Some(b'{' | b'[')) && depth >= MAX_DEPTH {
            return Err(self.error("nesting too deep"));
        }
        match self.b.get(self.i) {
            Some(b'{') => self.object(out, depth + 1, role),
            Some(b'[') => {
                out.push('[');
                self.list(b']', |r, first| {
                    if !first {
                        out.push(',');
                    }
                    r.value(out, depth + 1, Role::Plain).map(drop)
                })?;
                out.push(']');
                Ok(false)
            }
            Some(b'"') => {
                let s = self.string()?;
                write_string(out, &s);
                Ok(false)
            }
            Some(b't') => self.literal(out, "true"),
            Some(b'f') => self.literal(out, "false"),
            Some(b'n') => self.literal(out, "null"),
            Some(b'-' | b'0'..=b'9') => {
                self.number(out)?;
                Ok(false)
            }
            _ => Err(self.error("expected a value")),
        }
    }

    fn literal(&mut self, out: &mut String, word: &str) -> Result<bool, CanonicalError> {
        if self.b[self.i..].starts_with(word.as_bytes()) {
            self.i += word.len();
            out.push_str(word);
            Ok(false)
        } else {
            Err(self.error("expected a value"))
        }
    }

    /// Reads the items of an array or the members of an object, the cursor on its opening
    /// bracket: `item` reads each (told whether it is the first), whitespace around them and
    /// the commas between them are read here, up to `close`.
    fn list(
        &mut self,
        close: u8,
        mut item: impl FnMut(&mut Self, bool) -> Result<(), CanonicalError>,
    ) -> Result<(), CanonicalError> {
        self.i += 1;
        self.ws();
        if self.b.get(self.i) == Some(&close) {
            self.i += 1;
            return Ok(());
        }
        let mut first = true;
        loop {
            self.ws();
            item(self, first)?;
            first = false;
            self.ws();
            match self.b.get(self.i) {
                Some(b',') => self.i += 1,
                Some(&c) if c == close => {
                    self.i += 1;
                    return Ok(());
                }
                _ => return Err(self.error(&format!("expected `,` or `{}`", close as char))),
            }
        }
    }

    fn object(
        &mut self,
        out: &mut String,
        depth: usize,
        role: Role,
    ) -> Result<bool, CanonicalError> {
        // Each member: its name, where its canonical value is in `values`, and whether it is
        // left out (an emptied stripped member).
        let mut members: Vec<(Cow<'a, str>, std::ops::Range<usize>, bool)> = Vec::new();
        let mut values = String::new();
        self.list(b'}', |r, _| {
            if r.b.get(r.i) != Some(&b'"') {
                return Err(r.error("expected a member name"));
            }
            let name = r.string()?;
            r.ws();
            r.expect(b':')?;
            r.ws();
            let child = match (&r.strip, role) {
                (Some(s), Role::Top) if name == s.member => Role::Stripped,
                _ => Role::Plain,
            };
            let start = values.len();
            let emptied = r.value(&mut values, depth, child)?;
            members.push((name, start..values.len(), emptied));
            Ok(())
        })?;
        // Sorted by name as UTF-16 code units; of equal names the last (the sort is stable).
        members.sort_by(|a, b| a.0.encode_utf16().cmp(b.0.encode_utf16()));
        let mut kept = Vec::with_capacity(members.len());
        let mut it = members.into_iter().peekable();
        while let Some(m) = it.next() {
            if it.peek().is_some_and(|n| n.0 == m.0) {
                continue;
            }
            let dropped = match (&self.strip, role) {
                (Some(s), Role::Stripped) => m.0 == s.entry,
                _ => false,
            };
            if !m.2 && !dropped {
                kept.push(m);
            }
        }
        out.push('{');
        for (n, (name, range, _)) in kept.iter().enumerate() {
            if n > 0 {
                out.push(',');
            }
            write_string(out, name);
            out.push(':');
            out.push_str(&values[range.clone()]);
        }
        out.push('}');
        Ok(role == Role::Stripped && kept.is_empty())
    }

    /// Reads the string at the cursor (its quotes included), decoding escapes.
    fn string(&mut self) -> Result<Cow<'a, str>, CanonicalError> {
        self.i += 1;
        let start = self.i;
        loop {
            match self.b.get(self.i) {
                Some(b'"') => {
                    self.i += 1;
                    return Ok(Cow::Borrowed(&self.text[start..self.i - 1]));
                }
                Some(b'\\') => break,
                Some(0x00..=0x1f) => return Err(self.error("control character in a string")),
                Some(_) => self.i += 1,
                None => return Err(self.error("unterminated string")),
            }
        }
        let mut s = String::from(&self.text[start..self.i]);
        loop {
            match self.b.get(self.i) {
                Some(b'"') => {
                    self.i += 1;
                    return Ok(Cow::Owned(s));
                }
                Some(b'\\') => {
                    self.i += 1;
                    let c = match self.b.get(self.i) {
                        Some(b'"') => '"',
                        Some(b'\\') => '\\',
                        Some(b'/') => '/',
                        Some(b'b') => '\u{8}',
                        Some(b'f') => '\u{c}',
                        Some(b'n') => '\n',
                        Some(b'r') => '\r',
                        Some(b't') => '\t',
                        Some(b'u') => {
                            self.i += 1;
                            let hi = self.hex4()?;
                            let code = match hi {
                                0xd800..=0xdbff => {
                                    if !self.b[self.i..].starts_with(b"\\u") {
                                        return Err(self.error("lone leading surrogate"));
                                    }
                                    self.i += 2;
                                    let lo = self.hex4()?;
                                    if !(0xdc00..=0xdfff).contains(&lo) {
                                        return Err(self.error("lone leading surrogate"));
                                    }
                                    0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00)
                                }
                                0xdc00..=0xdfff => {
                                    return Err(self.error("lone trailing surrogate"));
                                }
                                c => c,
                            };
                            s.push(char::from_u32(code).ok_or_else(|| self.error("bad escape"))?);
                            continue;
                        }
                        _ => return Err(self.error("bad escape")),
                    };
                    self.i += 1;
                    s.push(c);
                }
                Some(0x00..=0x1f) => return Err(self.error("control character in a string")),
                Some(_) => {
                    // Up to the next quote, backslash or control character, as is.
                    let from = self.i;
                    while let Some(&b) = self.b.get(self.i) {
                        if b == b'"' || b == b'\\' || b < 0x20 {
                            break;
                        }
                        self.i += 1;
                    }
                    s.push_str(&self.text[from..self.i]);
                }
                None => return Err(self.error("unterminated string")),
            }
        }
    }

    fn hex4(&mut self) -> Result<u32, CanonicalError> {
        let digits = self
            .text
            .get(self.i..self.i + 4)
            .filter(|d| d.bytes().all(|b| b.is_ascii_hexdigit()))
            .ok_or_else(|| self.error("bad \\u escape"))?;
        self.i += 4;
        u32::from_str_radix(digits, 16).map_err(|_| self.error("bad \\u escape"))
    }

    /// Writes the number at the cursor as ECMAScript does: an integer of up to 15 digits as it
    /// is written (exact as a double), anything else through the double it denotes.
    fn number(&mut self, out: &mut String) -> Result<(), CanonicalError> {
        let start = self.i;
        let digits = |r: &mut Self| {
            let from = r.i;
            while r.b.get(r.i).is_some_and(u8::is_ascii_digit) {
                r.i += 1;
            }
            r.i - from
        };
        if self.b.get(self.i) == Some(&b'-') {
            self.i += 1;
        }
        let int_start = self.i;
        let n = digits(self);
        if n == 0 || (n > 1 && self.b[int_start] == b'0') {
            return Err(self.error("bad number"));
        }
        let mut plain = true;
        if self.b.get(self.i) == Some(&b'.') {
            self.i += 1;
            plain = false;
            if digits(self) == 0 {
                return Err(self.error("bad number"));
            }
        }
        if let Some(b'e' | b'E') = self.b.get(self.i) {
            self.i += 1;
            plain = false;
            if let Some(b'+' | b'-') = self.b.get(self.i) {
                self.i += 1;
            }
            if digits(self) == 0 {
                return Err(self.error("bad number"));
            }
        }
        let text = &self.text[start..self.i];
        if plain && n <= 15 {
            out.push_str(if text == "-0" { "0" } else { text });
            return Ok(());
        }
        let f: f64 = text.parse().map_err(|_| self.error("bad number"))?;
        if !f.is_finite() {
            return Err(CanonicalError::Json(format!("number out of range: {text}")));
        }
        write_double(out, f);
        Ok(())
    }
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
    write_double(out, f);
    Ok(())
}

/// Writes a finite double as ECMAScript's `Number.prototype.toString` does.
fn write_double(out: &mut String, f: f64) {
    if f == 0.0 {
        // Both zeros are written `0`.
        out.push('0');
    } else {
        out.push_str(ryu_js::Buffer::new().format_finite(f));
    }
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
