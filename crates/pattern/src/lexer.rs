//! The lexer: pattern text to tokens, following the lexer rules of `STIXPattern.g4`.
//!
//! Words are not split into keywords and identifiers here: whether `OR` is an operator or a
//! property name depends on where it stands, so the parser decides. Literal prefixes (`b'`,
//! `h'`, `t'`) are recognised only when the quote follows the letter immediately, as in the
//! grammar, so `t` alone remains an identifier.

use base64::Engine as _;
use entente_stix::Timestamp;

use crate::ast::{CompareOp, Span};
use crate::error::ParseErrorKind;

/// One token.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tok {
    LBrack,
    RBrack,
    LParen,
    RParen,
    Comma,
    Colon,
    Dot,
    Star,
    Op(CompareOp),
    /// `[a-zA-Z_][a-zA-Z0-9_-]*`.
    Word(String),
    Str(String),
    /// An integer; `signed` is true when written with `-` (IntNegLiteral).
    Int {
        value: i64,
        negative: bool,
    },
    Float {
        value: f64,
        negative: bool,
    },
    Binary(Vec<u8>),
    Hex(Vec<u8>),
    Timestamp(Timestamp),
    Eof,
}

impl Tok {
    /// A short description for "found ..." in error messages.
    pub(crate) fn describe(&self) -> String {
        match self {
            Tok::LBrack => "`[`".into(),
            Tok::RBrack => "`]`".into(),
            Tok::LParen => "`(`".into(),
            Tok::RParen => "`)`".into(),
            Tok::Comma => "`,`".into(),
            Tok::Colon => "`:`".into(),
            Tok::Dot => "`.`".into(),
            Tok::Star => "`*`".into(),
            Tok::Op(op) => format!("`{}`", op.as_str()),
            Tok::Word(w) => format!("`{w}`"),
            Tok::Str(s) => {
                let short: String = s.chars().take(40).collect();
                format!("string literal '{short}'")
            }
            Tok::Int { .. } => "integer literal".into(),
            Tok::Float { .. } => "float literal".into(),
            Tok::Binary(_) => "binary literal".into(),
            Tok::Hex(_) => "hex literal".into(),
            Tok::Timestamp(_) => "timestamp literal".into(),
            Tok::Eof => "end of pattern".into(),
        }
    }
}

/// A token and where it was written.
#[derive(Debug, Clone)]
pub(crate) struct Token {
    pub(crate) tok: Tok,
    pub(crate) span: Span,
}

/// Splits `text` into tokens, ending with [`Tok::Eof`].
///
/// Errors carry the byte offset where the offending token starts.
pub(crate) fn tokenize(text: &str) -> Result<Vec<Token>, (ParseErrorKind, usize)> {
    let b = text.as_bytes();
    let mut out = Vec::with_capacity(text.len() / 4 + 2);
    let mut i = 0usize;
    while i < b.len() {
        let start = i;
        let c = b[i];
        let single = |tok| Token {
            tok,
            span: Span {
                start,
                end: start + 1,
            },
        };
        match c {
            b' ' | b'\t' | b'\r' | b'\n' | 0x0b | 0x0c => {
                i += 1;
                continue;
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                match text[i + 2..].find("*/") {
                    Some(end) => i = i + 2 + end + 2,
                    None => return Err((ParseErrorKind::UnterminatedComment, start)),
                }
                continue;
            }
            b'/' if b.get(i + 1) == Some(&b'/') => {
                while i < b.len() && b[i] != b'\n' && b[i] != b'\r' {
                    i += 1;
                }
                continue;
            }
            b'[' => out.push(single(Tok::LBrack)),
            b']' => out.push(single(Tok::RBrack)),
            b'(' => out.push(single(Tok::LParen)),
            b')' => out.push(single(Tok::RParen)),
            b',' => out.push(single(Tok::Comma)),
            b':' => out.push(single(Tok::Colon)),
            b'*' => out.push(single(Tok::Star)),
            b'=' | b'!' | b'<' | b'>' => {
                let next = b.get(i + 1).copied();
                let (op, len) = match (c, next) {
                    (b'=', Some(b'=')) => (CompareOp::Eq, 2),
                    (b'=', _) => (CompareOp::Eq, 1),
                    (b'!', Some(b'=')) => (CompareOp::Ne, 2),
                    (b'<', Some(b'>')) => (CompareOp::Ne, 2),
                    (b'<', Some(b'=')) => (CompareOp::Le, 2),
                    (b'<', _) => (CompareOp::Lt, 1),
                    (b'>', Some(b'=')) => (CompareOp::Ge, 2),
                    (b'>', _) => (CompareOp::Gt, 1),
                    _ => return Err((ParseErrorKind::InvalidCharacter('!'), start)),
                };
                out.push(Token {
                    tok: Tok::Op(op),
                    span: Span {
                        start,
                        end: start + len,
                    },
                });
                i += len;
                continue;
            }
            b'\'' => {
                let (s, end) = lex_string(text, i)?;
                out.push(Token {
                    tok: Tok::Str(s),
                    span: Span { start, end },
                });
                i = end;
                continue;
            }
            b'b' | b'h' | b't' if b.get(i + 1) == Some(&b'\'') => {
                let (s, end) = lex_string(text, i + 1)?;
                let tok = match c {
                    b'b' => Tok::Binary(decode_binary(&s).map_err(|k| (k, start))?),
                    b'h' => Tok::Hex(decode_hex(&s).map_err(|k| (k, start))?),
                    _ => Tok::Timestamp(
                        parse_timestamp(&s)
                            .ok_or((ParseErrorKind::InvalidTimestamp(truncate(&s)), start))?,
                    ),
                };
                out.push(Token {
                    tok,
                    span: Span { start, end },
                });
                i = end;
                continue;
            }
            c if c.is_ascii_alphabetic() || c == b'_' => {
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b'-')
                {
                    i += 1;
                }
                out.push(Token {
                    tok: Tok::Word(text[start..i].to_owned()),
                    span: Span { start, end: i },
                });
                continue;
            }
            b'0'..=b'9' | b'.' | b'-' | b'+' => {
                if let Some((tok, end)) = lex_number(b, i)? {
                    out.push(Token {
                        tok,
                        span: Span { start, end },
                    });
                    i = end;
                    continue;
                }
                if c == b'.' {
                    out.push(single(Tok::Dot));
                } else {
                    return Err((ParseErrorKind::InvalidCharacter(c as char), start));
                }
            }
            _ => {
                let ch = text[i..].chars().next().unwrap_or('\u{fffd}');
                return Err((ParseErrorKind::InvalidCharacter(ch), start));
            }
        }
        i += 1;
    }
    out.push(Token {
        tok: Tok::Eof,
        span: Span {
            start: b.len(),
            end: b.len(),
        },
    });
    Ok(out)
}

fn truncate(s: &str) -> String {
    s.chars().take(60).collect()
}

/// Reads a quoted string starting at the quote at `i`; returns its value and the offset after
/// the closing quote. Only `\'` and `\\` are escapes (grammar rule `StringLiteral`).
fn lex_string(text: &str, i: usize) -> Result<(String, usize), (ParseErrorKind, usize)> {
    let b = text.as_bytes();
    let mut out = String::new();
    let mut j = i + 1;
    let mut run = j;
    while j < b.len() {
        match b[j] {
            b'\'' => {
                out.push_str(&text[run..j]);
                return Ok((out, j + 1));
            }
            b'\\' => {
                out.push_str(&text[run..j]);
                match b.get(j + 1) {
                    Some(b'\'') => out.push('\''),
                    Some(b'\\') => out.push('\\'),
                    Some(_) => {
                        let ch = text[j + 1..].chars().next().unwrap_or('\u{fffd}');
                        return Err((ParseErrorKind::InvalidEscape(ch), j));
                    }
                    None => return Err((ParseErrorKind::UnterminatedString, i)),
                }
                j += 2;
                run = j;
            }
            _ => j += 1,
        }
    }
    Err((ParseErrorKind::UnterminatedString, i))
}

/// Reads a number at `i` if one starts there (`IntPosLiteral`, `IntNegLiteral`,
/// `FloatPosLiteral`, `FloatNegLiteral`). `None` when `.`, `-` or `+` starts no number.
fn lex_number(b: &[u8], i: usize) -> Result<Option<(Tok, usize)>, (ParseErrorKind, usize)> {
    let start = i;
    let mut j = i;
    let negative = b[j] == b'-';
    if b[j] == b'-' || b[j] == b'+' {
        j += 1;
    }
    let int_start = j;
    while j < b.len() && b[j].is_ascii_digit() {
        j += 1;
    }
    let int_digits = &b[int_start..j];
    if j < b.len() && b[j] == b'.' && b.get(j + 1).is_some_and(u8::is_ascii_digit) {
        j += 1;
        while j < b.len() && b[j].is_ascii_digit() {
            j += 1;
        }
        let text = std::str::from_utf8(&b[start..j]).expect("ASCII");
        let value: f64 = text
            .parse()
            .map_err(|_| (ParseErrorKind::InvalidFloat(text.to_owned()), start))?;
        if !value.is_finite() {
            return Err((
                ParseErrorKind::InvalidFloat(format!("{text} is out of range")),
                start,
            ));
        }
        return Ok(Some((Tok::Float { value, negative }, j)));
    }
    if int_digits.is_empty() {
        return Ok(None);
    }
    let text = std::str::from_utf8(&b[start..j]).expect("ASCII");
    if int_digits.len() > 1 && int_digits[0] == b'0' {
        return Err((
            ParseErrorKind::InvalidInteger(format!("{text} has a leading zero")),
            start,
        ));
    }
    let value: i64 = text.trim_start_matches('+').parse().map_err(|_| {
        (
            ParseErrorKind::InvalidInteger(format!("{text} is outside the 64-bit range")),
            start,
        )
    })?;
    Ok(Some((Tok::Int { value, negative }, j)))
}

/// Decodes the body of `b'...'`: base64 in groups of four, padded (grammar rule
/// `BinaryLiteral`, which requires at least one group).
fn decode_binary(s: &str) -> Result<Vec<u8>, ParseErrorKind> {
    if s.is_empty() {
        return Err(ParseErrorKind::InvalidBinary("empty".into()));
    }
    if !s.len().is_multiple_of(4) {
        return Err(ParseErrorKind::InvalidBinary(format!(
            "length {} is not a multiple of 4",
            s.len()
        )));
    }
    base64::engine::general_purpose::STANDARD
        .decode(s)
        .map_err(|e| ParseErrorKind::InvalidBinary(e.to_string()))
}

/// Decodes the body of `h'...'`: pairs of hex digits, possibly none.
fn decode_hex(s: &str) -> Result<Vec<u8>, ParseErrorKind> {
    if !s.len().is_multiple_of(2) {
        return Err(ParseErrorKind::InvalidHex("odd number of digits".into()));
    }
    let digit = |c: u8| -> Result<u8, ParseErrorKind> {
        (c as char).to_digit(16).map(|d| d as u8).ok_or_else(|| {
            ParseErrorKind::InvalidHex(format!("{:?} is not a hex digit", c as char))
        })
    };
    s.as_bytes()
        .chunks(2)
        .map(|pair| Ok(digit(pair[0])? << 4 | digit(pair[1])?))
        .collect()
}

/// Parses the body of `t'...'` with the exact shape `TimestampLiteral` demands (four-digit year,
/// `T`, optional fraction, `Z`) and a real calendar date.
pub(crate) fn parse_timestamp(s: &str) -> Option<Timestamp> {
    let b = s.as_bytes();
    let shape_ok = b.len() >= 20
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && b[5..7].iter().all(u8::is_ascii_digit)
        && b[7] == b'-'
        && b[8..10].iter().all(u8::is_ascii_digit)
        && b[10] == b'T'
        && b[11..13].iter().all(u8::is_ascii_digit)
        && b[13] == b':'
        && b[14..16].iter().all(u8::is_ascii_digit)
        && b[16] == b':'
        && b[17..19].iter().all(u8::is_ascii_digit)
        && b[b.len() - 1] == b'Z'
        && (b.len() == 20
            || (b[19] == b'.'
                && b.len() > 21
                && b[20..b.len() - 1].iter().all(u8::is_ascii_digit)));
    if !shape_ok {
        return None;
    }
    s.parse().ok()
}
