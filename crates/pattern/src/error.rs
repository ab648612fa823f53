//! Errors of this crate: syntax errors from the parser, and errors compiling a pattern for
//! matching. Problems found by the validator are not errors but [`crate::Issue`]s, because a
//! pattern may carry several at once and some are only warnings.

use std::fmt;

/// A place in the pattern text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub struct Position {
    /// Byte offset from the start of the text.
    pub offset: usize,
    /// Line number, from 1.
    pub line: u32,
    /// Column number in characters, from 1.
    pub column: u32,
}

impl Position {
    /// The position of byte `offset` in `text` (clamped to the text's length).
    pub fn locate(text: &str, offset: usize) -> Position {
        let offset = offset.min(text.len());
        let mut line = 1u32;
        let mut line_start = 0usize;
        for (i, b) in text.as_bytes()[..offset].iter().enumerate() {
            if *b == b'\n' {
                line += 1;
                line_start = i + 1;
            }
        }
        // The offset may fall inside a multi-byte character (never from the parser, which
        // reports token starts); count whole characters before it.
        let column = text
            .get(line_start..offset)
            .map_or(offset - line_start, |s| s.chars().count()) as u32
            + 1;
        Position {
            offset,
            line,
            column,
        }
    }
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {}, column {} (byte {})",
            self.line, self.column, self.offset
        )
    }
}

/// What went wrong while parsing.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ParseErrorKind {
    /// A token that the grammar does not allow here.
    Unexpected {
        /// What was found (a short description of the token).
        found: String,
        /// What the grammar allows here.
        expected: String,
    },
    /// A character that starts no token.
    InvalidCharacter(char),
    /// A string literal without its closing quote.
    UnterminatedString,
    /// A `/* ...` comment without its `*/`.
    UnterminatedComment,
    /// A backslash followed by something other than `'` or `\`.
    InvalidEscape(char),
    /// An integer with a leading zero, or one outside the 64-bit range.
    InvalidInteger(String),
    /// A float outside the finite range.
    InvalidFloat(String),
    /// A `t'...'` that is not an RFC 3339 UTC timestamp.
    InvalidTimestamp(String),
    /// A `b'...'` that is not padded base64.
    InvalidBinary(String),
    /// An `h'...'` that is not an even number of hex digits.
    InvalidHex(String),
    /// Parentheses or brackets nested deeper than [`crate::MAX_NESTING`].
    TooDeep,
}

impl fmt::Display for ParseErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParseErrorKind::Unexpected { found, expected } => {
                write!(f, "expected {expected}, found {found}")
            }
            ParseErrorKind::InvalidCharacter(c) => write!(f, "unexpected character {c:?}"),
            ParseErrorKind::UnterminatedString => {
                f.write_str("string literal is not terminated: expected a closing '")
            }
            ParseErrorKind::UnterminatedComment => {
                f.write_str("comment is not terminated: expected */")
            }
            ParseErrorKind::InvalidEscape(c) => write!(
                f,
                "invalid escape \\{c} in string literal: expected \\' or \\\\"
            ),
            ParseErrorKind::InvalidInteger(why) => write!(f, "invalid integer: {why}"),
            ParseErrorKind::InvalidFloat(why) => write!(f, "invalid float: {why}"),
            ParseErrorKind::InvalidTimestamp(text) => write!(
                f,
                "invalid timestamp literal t'{text}': expected t'YYYY-MM-DDTHH:MM:SS[.s+]Z'"
            ),
            ParseErrorKind::InvalidBinary(why) => {
                write!(f, "invalid binary literal: {why}: expected padded base64")
            }
            ParseErrorKind::InvalidHex(why) => {
                write!(
                    f,
                    "invalid hex literal: {why}: expected pairs of hex digits"
                )
            }
            ParseErrorKind::TooDeep => write!(
                f,
                "parentheses and brackets nest deeper than {}",
                crate::MAX_NESTING
            ),
        }
    }
}

/// A syntax error: what went wrong and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid pattern at {position}: {kind}")]
pub struct ParseError {
    /// What went wrong.
    pub kind: ParseErrorKind,
    /// Where it went wrong.
    pub position: Position,
}

/// Why a parsed pattern cannot be compiled for matching.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CompileError {
    /// The text does not parse.
    #[error(transparent)]
    Parse(#[from] ParseError),
    /// A `MATCHES` regular expression the engine rejects (syntax, or a construct it does not
    /// support such as look-around or backreferences).
    #[error("MATCHES regular expression {regex:?} is not supported: {reason}")]
    Regex {
        /// The regular expression as written.
        regex: String,
        /// The engine's explanation.
        reason: String,
    },
    /// An `ISSUBSET`/`ISSUPERSET` operand that is not an IP address or CIDR block.
    #[error("{operand:?} is not an IP address or CIDR block")]
    Cidr {
        /// The operand as written.
        operand: String,
    },
    /// A qualifier that can never hold (`REPEATS 0 TIMES`, `WITHIN 0 SECONDS`, `START` not
    /// before `STOP`).
    #[error("invalid qualifier {qualifier}: {reason}")]
    Qualifier {
        /// The qualifier, printed canonically.
        qualifier: String,
        /// Why it is invalid.
        reason: &'static str,
    },
}

/// Why a set of STIX objects cannot be read as observations.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ObservationError {
    /// An observed-data object lacks a property the matcher needs, or has it in the wrong form.
    #[error("observed-data {id}: {problem}")]
    Invalid {
        /// The observed-data id (or its position in the input when it has none).
        id: String,
        /// What is wrong.
        problem: String,
    },
}
