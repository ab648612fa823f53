//! The abstract syntax tree of a STIX pattern, and its canonical printer.
//!
//! The tree keeps what the pattern means, not how it was written: parentheses, `==`/`<>`
//! spellings, `+` signs, comments and white space are gone. [`fmt::Display`] prints the
//! canonical form, which parses back to an equal tree (the property the round-trip tests check).
//!
//! Chains of one operator at one level (`a OR b OR c`) are kept as one n-ary node, so a
//! thousand-term OR (real indicators have them) is a flat list, not a thousand-deep tree that
//! printing, matching or dropping would have to recurse through. A parenthesised operand keeps its
//! own node: `(a OR b) OR c` is `Or[Or[a, b], c]`, and it prints with its parentheses.

use std::fmt;

use entente_stix::Timestamp;

/// A byte range in the pattern text (`start..end`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, serde::Serialize)]
pub struct Span {
    /// Offset of the first byte.
    pub start: usize,
    /// Offset one past the last byte.
    pub end: usize,
}

/// A whole pattern: one observation expression.
#[derive(Debug, Clone, PartialEq)]
pub struct Pattern {
    /// The top-level observation expression.
    pub expr: ObservationExpr,
}

/// An observation expression (STIX 2.1 section 9.4): what must be seen in one or more
/// observations.
#[derive(Debug, Clone, PartialEq)]
pub enum ObservationExpr {
    /// `[ comparison ]`: one observation whose cyber-observables satisfy the comparison.
    Comparison(ComparisonExpr),
    /// `a AND b AND ...`: every operand, each in different observations. Two or more operands.
    And(Vec<ObservationExpr>),
    /// `a OR b OR ...`: any operand. Two or more operands.
    Or(Vec<ObservationExpr>),
    /// `a FOLLOWEDBY b FOLLOWEDBY ...`: left-associative, each operand observed no earlier than
    /// everything before it. Two or more operands.
    FollowedBy(Vec<ObservationExpr>),
    /// An observation expression restricted by a qualifier.
    Qualified(Box<ObservationExpr>, Qualifier),
}

/// A qualifier (STIX 2.1 section 9.5).
#[derive(Debug, Clone, PartialEq)]
pub enum Qualifier {
    /// `WITHIN n SECONDS`: all observations bound to the expression lie within `n` seconds.
    Within(Number),
    /// `REPEATS n TIMES`: the expression matches `n` times on distinct observations.
    Repeats(u64),
    /// `START t STOP t`: the observations lie in `[start, stop)`.
    StartStop(Timestamp, Timestamp),
}

/// A non-negative number written as an integer or a float (the `WITHIN` argument).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Number {
    /// Written as an integer.
    Int(u64),
    /// Written with a decimal point.
    Float(f64),
}

impl Number {
    /// The value as a float.
    pub fn as_f64(self) -> f64 {
        match self {
            Number::Int(i) => i as f64,
            Number::Float(f) => f,
        }
    }
}

/// A comparison expression (STIX 2.1 section 9.3): a boolean combination of property tests,
/// evaluated against the cyber-observables of one observation.
#[derive(Debug, Clone, PartialEq)]
pub enum ComparisonExpr {
    /// `a AND b AND ...`: two or more operands, all true for the same root object.
    And(Vec<ComparisonExpr>),
    /// `a OR b OR ...`: two or more operands.
    Or(Vec<ComparisonExpr>),
    /// One property test.
    Test(PropTest),
}

/// One property test: an object path, an operator and a constant.
#[derive(Debug, Clone, PartialEq)]
pub struct PropTest {
    /// The object path on the left.
    pub path: ObjectPath,
    /// `NOT` written before the operator (before `EXISTS` for an existence test).
    pub negated: bool,
    /// The operator and its operand.
    pub op: TestOp,
}

/// The operator of a property test with its operand.
#[derive(Debug, Clone, PartialEq)]
pub enum TestOp {
    /// `=`, `!=`, `<`, `<=`, `>`, `>=` with a literal.
    Compare(CompareOp, Literal),
    /// `IN (a, b, ...)`, possibly empty.
    In(Vec<Literal>),
    /// `LIKE 'pattern'` with SQL wildcards `%` and `_`.
    Like(String),
    /// `MATCHES 'regex'`.
    Matches(String),
    /// `ISSUBSET 'cidr'`.
    IsSubset(String),
    /// `ISSUPERSET 'cidr'`.
    IsSuperset(String),
    /// `EXISTS path` (written before the path; `NOT EXISTS path` when negated).
    Exists,
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CompareOp {
    /// `=` (also written `==`).
    Eq,
    /// `!=` (also written `<>`).
    Ne,
    /// `<`.
    Lt,
    /// `<=`.
    Le,
    /// `>`.
    Gt,
    /// `>=`.
    Ge,
}

impl CompareOp {
    /// The canonical spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            CompareOp::Eq => "=",
            CompareOp::Ne => "!=",
            CompareOp::Lt => "<",
            CompareOp::Le => "<=",
            CompareOp::Gt => ">",
            CompareOp::Ge => ">=",
        }
    }
}

/// An object path: `type:property(.property | [index])*`.
///
/// Equality ignores [`ObjectPath::span`], so trees parsed from differently spaced text compare
/// equal.
#[derive(Debug, Clone)]
pub struct ObjectPath {
    /// The cyber-observable object type (`file`, `x-custom-thing`).
    pub object_type: String,
    /// The steps after the colon; the first is always a [`PathStep::Key`].
    pub steps: Vec<PathStep>,
    /// Where the path was written (empty for trees built in code).
    pub span: Span,
}

impl PartialEq for ObjectPath {
    fn eq(&self, other: &Self) -> bool {
        self.object_type == other.object_type && self.steps == other.steps
    }
}

impl ObjectPath {
    /// A path built in code, without a source span.
    pub fn new(object_type: impl Into<String>, steps: Vec<PathStep>) -> ObjectPath {
        ObjectPath {
            object_type: object_type.into(),
            steps,
            span: Span::default(),
        }
    }
}

/// One step of an object path.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PathStep {
    /// `.name` or `.'quoted-name'` (and the first component after the colon).
    Key(String),
    /// `[n]`, a list index (negative values are allowed by the grammar, and match nothing).
    Index(i64),
    /// `[*]`: any element of the list.
    AnyIndex,
}

/// A constant.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    /// An integer.
    Int(i64),
    /// A float (always finite).
    Float(f64),
    /// A string.
    Str(String),
    /// `true` or `false`.
    Bool(bool),
    /// `b'base64'`.
    Binary(Vec<u8>),
    /// `h'hex'`.
    Hex(Vec<u8>),
    /// `t'timestamp'`.
    Timestamp(Timestamp),
}

impl Literal {
    /// A short name of the literal's kind, for messages.
    pub fn kind_name(&self) -> &'static str {
        match self {
            Literal::Int(_) => "integer",
            Literal::Float(_) => "float",
            Literal::Str(_) => "string",
            Literal::Bool(_) => "boolean",
            Literal::Binary(_) => "binary",
            Literal::Hex(_) => "hex",
            Literal::Timestamp(_) => "timestamp",
        }
    }
}

/// Words the grammar reserves; a path component spelled like one is printed quoted.
pub(crate) const KEYWORDS: &[&str] = &[
    "AND",
    "OR",
    "NOT",
    "FOLLOWEDBY",
    "LIKE",
    "MATCHES",
    "ISSUPERSET",
    "ISSUBSET",
    "EXISTS",
    "LAST",
    "IN",
    "START",
    "STOP",
    "SECONDS",
    "true",
    "false",
    "WITHIN",
    "REPEATS",
    "TIMES",
];

/// True when `s` can be written as a bare path component (`IdentifierWithoutHyphen`).
pub(crate) fn is_plain_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) if c.is_ascii_alphabetic() || c == '_' => {}
        _ => return false,
    }
    chars.all(|c| c.is_ascii_alphanumeric() || c == '_') && !KEYWORDS.contains(&s)
}

/// True when `s` can be written as an object type (`IdentifierWithHyphen`).
pub(crate) fn is_object_type_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) if c.is_ascii_alphabetic() || c == '_' => {}
        _ => return false,
    }
    chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') && !KEYWORDS.contains(&s)
}

/// Writes `s` as a quoted string literal, escaping `'` and `\`.
pub(crate) fn write_quoted(f: &mut fmt::Formatter<'_>, s: &str) -> fmt::Result {
    f.write_str("'")?;
    for part in s.split_inclusive(['\'', '\\']) {
        match part.as_bytes().last() {
            Some(b'\'') | Some(b'\\') => {
                f.write_str(&part[..part.len() - 1])?;
                f.write_str("\\")?;
                f.write_str(&part[part.len() - 1..])?;
            }
            _ => f.write_str(part)?,
        }
    }
    f.write_str("'")
}

fn write_float(f: &mut fmt::Formatter<'_>, v: f64) -> fmt::Result {
    // Rust prints the shortest text that reads back to the same f64 and never uses an exponent,
    // which the grammar has no syntax for; a whole number needs the `.0` the grammar demands.
    let text = v.to_string();
    if text.contains('.') {
        f.write_str(&text)
    } else {
        write!(f, "{text}.0")
    }
}

impl fmt::Display for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.expr.fmt(f)
    }
}

impl ObservationExpr {
    /// Binding strength: a child binding more weakly than its parent needs parentheses.
    fn precedence(&self) -> u8 {
        match self {
            ObservationExpr::FollowedBy(_) => 1,
            ObservationExpr::Or(_) => 2,
            ObservationExpr::And(_) => 3,
            ObservationExpr::Qualified(..) | ObservationExpr::Comparison(_) => 4,
        }
    }
}

fn write_obs_operand(
    f: &mut fmt::Formatter<'_>,
    e: &ObservationExpr,
    parent: u8,
    same_needs_parens: bool,
) -> fmt::Result {
    let p = e.precedence();
    if p < parent || (p == parent && same_needs_parens) {
        write!(f, "({e})")
    } else {
        write!(f, "{e}")
    }
}

impl fmt::Display for ObservationExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (items, word) = match self {
            ObservationExpr::Comparison(c) => return write!(f, "[{c}]"),
            ObservationExpr::Qualified(inner, q) => {
                // A qualifier binds tighter than every operator, so any operator expression
                // beneath it is parenthesised; stacked qualifiers need none.
                write_obs_operand(f, inner, 4, false)?;
                return write!(f, " {q}");
            }
            ObservationExpr::And(items) => (items, "AND"),
            ObservationExpr::Or(items) => (items, "OR"),
            ObservationExpr::FollowedBy(items) => (items, "FOLLOWEDBY"),
        };
        let prec = self.precedence();
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                write!(f, " {word} ")?;
            }
            // A nested node of the same operator is parenthesised, so it stays its own node.
            write_obs_operand(f, item, prec, true)?;
        }
        Ok(())
    }
}

impl fmt::Display for Qualifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Qualifier::Within(n) => {
                f.write_str("WITHIN ")?;
                match n {
                    Number::Int(i) => write!(f, "{i}")?,
                    Number::Float(x) => write_float(f, *x)?,
                }
                f.write_str(" SECONDS")
            }
            Qualifier::Repeats(n) => write!(f, "REPEATS {n} TIMES"),
            Qualifier::StartStop(a, b) => {
                write!(f, "START t'{}' STOP t'{}'", a.as_str(), b.as_str())
            }
        }
    }
}

impl ComparisonExpr {
    fn precedence(&self) -> u8 {
        match self {
            ComparisonExpr::Or(_) => 1,
            ComparisonExpr::And(_) => 2,
            ComparisonExpr::Test(_) => 3,
        }
    }
}

impl fmt::Display for ComparisonExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (items, word) = match self {
            ComparisonExpr::Test(t) => return t.fmt(f),
            ComparisonExpr::And(items) => (items, "AND"),
            ComparisonExpr::Or(items) => (items, "OR"),
        };
        let prec = self.precedence();
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                write!(f, " {word} ")?;
            }
            if item.precedence() <= prec {
                write!(f, "({item})")?;
            } else {
                write!(f, "{item}")?;
            }
        }
        Ok(())
    }
}

impl fmt::Display for PropTest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let TestOp::Exists = self.op {
            let not = if self.negated { "NOT " } else { "" };
            return write!(f, "{not}EXISTS {}", self.path);
        }
        write!(f, "{} ", self.path)?;
        if self.negated {
            f.write_str("NOT ")?;
        }
        match &self.op {
            TestOp::Compare(op, lit) => write!(f, "{} {lit}", op.as_str()),
            TestOp::In(items) => {
                f.write_str("IN (")?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_str(")")
            }
            TestOp::Like(s) => {
                f.write_str("LIKE ")?;
                write_quoted(f, s)
            }
            TestOp::Matches(s) => {
                f.write_str("MATCHES ")?;
                write_quoted(f, s)
            }
            TestOp::IsSubset(s) => {
                f.write_str("ISSUBSET ")?;
                write_quoted(f, s)
            }
            TestOp::IsSuperset(s) => {
                f.write_str("ISSUPERSET ")?;
                write_quoted(f, s)
            }
            TestOp::Exists => unreachable!("handled above"),
        }
    }
}

impl fmt::Display for ObjectPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if is_object_type_identifier(&self.object_type) {
            f.write_str(&self.object_type)?;
        } else {
            // Not expressible in the grammar; printed quoted so the text at least shows it.
            write_quoted(f, &self.object_type)?;
        }
        f.write_str(":")?;
        for (i, step) in self.steps.iter().enumerate() {
            match step {
                PathStep::Key(k) => {
                    if i > 0 {
                        f.write_str(".")?;
                    }
                    if is_plain_identifier(k) {
                        f.write_str(k)?;
                    } else {
                        write_quoted(f, k)?;
                    }
                }
                PathStep::Index(n) => write!(f, "[{n}]")?,
                PathStep::AnyIndex => f.write_str("[*]")?,
            }
        }
        Ok(())
    }
}

impl fmt::Display for Literal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use base64::Engine as _;
        match self {
            Literal::Int(i) => write!(f, "{i}"),
            Literal::Float(x) => write_float(f, *x),
            Literal::Str(s) => write_quoted(f, s),
            Literal::Bool(b) => write!(f, "{b}"),
            Literal::Binary(bytes) => write!(
                f,
                "b'{}'",
                base64::engine::general_purpose::STANDARD.encode(bytes)
            ),
            Literal::Hex(bytes) => {
                f.write_str("h'")?;
                for b in bytes {
                    write!(f, "{b:02x}")?;
                }
                f.write_str("'")
            }
            Literal::Timestamp(t) => write!(f, "t'{}'", t.as_str()),
        }
    }
}
