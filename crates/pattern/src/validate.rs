//! The validator: checks a parsed pattern against the STIX 2.1 cyber-observable vocabulary and
//! the obvious type rules, beyond what the grammar can say.
//!
//! It reports [`Issue`]s rather than failing at the first problem, because a pattern can have
//! several, and some are only warnings: custom names (`x-` types and extensions, `x_`
//! properties) cannot be checked, and STIX 2.0 property names still circulate. A pattern is
//! valid when no issue is an [`Severity::Error`].

use crate::ast::{
    ComparisonExpr, Literal, ObservationExpr, Pattern, PropTest, Qualifier, Span, TestOp,
};
use crate::error::ParseError;
use crate::matcher::{MAX_REPEATS, compile_regex, parse_net};
use crate::parser::parse;
use crate::vocab::{self, Node, Ty};

/// How serious an issue is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing; the pattern is still valid.
    Warning,
    /// The pattern is invalid.
    Error,
}

/// One problem found by [`validate`].
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Issue {
    /// Error or warning.
    pub severity: Severity,
    /// What is wrong, naming the object path or qualifier concerned.
    pub message: String,
    /// Where in the pattern text, when known.
    pub span: Option<Span>,
}

/// Parses and validates `text`: the parsed pattern and its issues, or the syntax error.
///
/// ```
/// let text = "[file:hashes.MD5 = 'd41d8cd98f00b204e9800998ecf8427e' AND file:colour = 'red']";
/// let (_, issues) = entente_pattern::validate_str(text)?;
/// assert_eq!(issues.len(), 1);
/// assert_eq!(issues[0].severity, entente_pattern::Severity::Error);
/// assert!(issues[0].message.contains("colour"));
/// # Ok::<(), entente_pattern::ParseError>(())
/// ```
pub fn validate_str(text: &str) -> Result<(Pattern, Vec<Issue>), ParseError> {
    let pattern = parse(text)?;
    let issues = validate(&pattern);
    Ok((pattern, issues))
}

/// Checks a parsed pattern; returns its issues in pattern order (empty when clean).
pub fn validate(pattern: &Pattern) -> Vec<Issue> {
    let mut issues = Vec::new();
    observation(&pattern.expr, &mut issues);
    issues
}

fn observation(e: &ObservationExpr, issues: &mut Vec<Issue>) {
    match e {
        ObservationExpr::Comparison(c) => comparison(c, issues),
        ObservationExpr::And(items)
        | ObservationExpr::Or(items)
        | ObservationExpr::FollowedBy(items) => {
            for i in items {
                observation(i, issues);
            }
        }
        ObservationExpr::Qualified(inner, q) => {
            observation(inner, issues);
            let problem = match q {
                Qualifier::Within(n) if n.as_f64() <= 0.0 => {
                    Some("the window must be longer than zero")
                }
                Qualifier::Repeats(0) => Some("the count must be at least 1"),
                Qualifier::Repeats(n) if *n > MAX_REPEATS => {
                    Some("the count exceeds the matcher's limit of 4096")
                }
                Qualifier::StartStop(a, b) if a >= b => Some("START must be before STOP"),
                _ => None,
            };
            if let Some(p) = problem {
                issues.push(Issue {
                    severity: Severity::Error,
                    message: format!("{q}: {p}"),
                    span: None,
                });
            }
        }
    }
}

fn comparison(c: &ComparisonExpr, issues: &mut Vec<Issue>) {
    match c {
        ComparisonExpr::Test(t) => prop_test(t, issues),
        ComparisonExpr::Or(items) => {
            for i in items {
                comparison(i, issues);
            }
        }
        ComparisonExpr::And(items) => {
            for i in items {
                comparison(i, issues);
            }
            // Tests joined by AND must hold for one object, so different types never match.
            let mut types = items.iter().filter_map(|i| match i {
                ComparisonExpr::Test(t) => Some(t.path.object_type.as_str()),
                _ => None,
            });
            if let Some(first) = types.next()
                && let Some(other) = types.find(|t| *t != first)
            {
                issues.push(Issue {
                    severity: Severity::Warning,
                    message: format!(
                        "comparisons on `{first}` and `{other}` are joined by AND: they must \
                             hold for one object, so this never matches (use separate \
                         observation expressions joined by AND)"
                    ),
                    span: None,
                });
            }
        }
    }
}

fn prop_test(t: &PropTest, issues: &mut Vec<Issue>) {
    let path = t.path.to_string();
    let span = if t.path.span == Span::default() {
        None
    } else {
        Some(t.path.span)
    };
    let mut push = |severity, message: String| {
        issues.push(Issue {
            severity,
            message: format!("{path}: {message}"),
            span,
        })
    };
    let mut remarks = Vec::new();
    let node = vocab::walk(&t.path.object_type, &t.path.steps, &mut remarks);
    for (is_error, message) in remarks {
        push(
            if is_error {
                Severity::Error
            } else {
                Severity::Warning
            },
            message,
        );
    }
    let ty: Option<&Ty> = match &node {
        Node::Value(ty) => Some(ty),
        Node::RefTo(_) => Some(&Ty::Str),
        _ => None,
    };
    let container = matches!(
        ty,
        Some(Ty::Hashes | Ty::Dict | Ty::List(_) | Ty::Refs(_) | Ty::Obj(_))
    ) || matches!(node, Node::Object(_) | Node::Extensions(_));
    let what = vocab::describe_node(&node);
    match &t.op {
        TestOp::Exists => {}
        _ if container => push(
            Severity::Error,
            format!("this is {what}; compare one of its elements or properties instead"),
        ),
        TestOp::Compare(op, lit) => {
            if let Some(alg) = hash_algorithm(t) {
                check_digest(alg, lit, &mut push);
            }
            if let Some(ty) = ty {
                if matches!(ty, Ty::Bool)
                    && !matches!(op, crate::CompareOp::Eq | crate::CompareOp::Ne)
                {
                    push(
                        Severity::Error,
                        format!("{} on a boolean property", op.as_str()),
                    );
                } else {
                    literal_fits(ty, lit, &mut push);
                }
            }
        }
        TestOp::In(items) => {
            if let Some(alg) = hash_algorithm(t) {
                for lit in items {
                    check_digest(alg, lit, &mut push);
                }
            }
            if let Some(ty) = ty {
                for lit in items {
                    literal_fits(ty, lit, &mut push);
                }
            }
        }
        TestOp::Like(s) | TestOp::Matches(s) => {
            let word = if matches!(t.op, TestOp::Like(_)) {
                "LIKE"
            } else {
                "MATCHES"
            };
            if let Some(ty @ (Ty::Int | Ty::Float | Ty::Bool)) = ty {
                let _ = ty;
                push(
                    Severity::Error,
                    format!("{word} needs a string property, this is {what}"),
                );
            }
            if word == "MATCHES"
                && let Err(e) = compile_regex(s)
            {
                push(Severity::Error, e.to_string());
            }
        }
        TestOp::IsSubset(s) | TestOp::IsSuperset(s) => {
            let word = if matches!(t.op, TestOp::IsSubset(_)) {
                "ISSUBSET"
            } else {
                "ISSUPERSET"
            };
            if parse_net(s).is_none() {
                push(
                    Severity::Error,
                    format!("{word} needs an IP address or CIDR block, not {s:?}"),
                );
            }
            if let Some(Ty::Int | Ty::Float | Ty::Bool | Ty::Timestamp | Ty::Binary | Ty::Hex) = ty
            {
                push(
                    Severity::Error,
                    format!("{word} needs an IP address property, this is {what}"),
                );
            }
        }
    }
}

/// The hash algorithm a test's path ends in (`...hashes.'SHA-256'`), if any.
fn hash_algorithm(t: &PropTest) -> Option<&str> {
    use crate::ast::PathStep;
    match t.path.steps.as_slice() {
        [.., PathStep::Key(dict), PathStep::Key(alg)] if dict.ends_with("hashes") => Some(alg),
        _ => None,
    }
}

/// Checks a string compared with a hash of a fixed-length algorithm: hex digits of the right
/// number (the OASIS validator rejects other values too).
fn check_digest(alg: &str, lit: &Literal, push: &mut impl FnMut(Severity, String)) {
    let Literal::Str(value) = lit else {
        return;
    };
    let hex_len = match alg {
        "MD5" => 32,
        "SHA-1" => 40,
        "SHA-256" | "SHA3-256" => 64,
        "SHA-512" | "SHA3-512" => 128,
        _ => return,
    };
    if value.len() != hex_len || !value.bytes().all(|b| b.is_ascii_hexdigit()) {
        push(
            Severity::Error,
            format!("{value:?} is not a valid {alg} digest ({hex_len} hex digits)"),
        );
    }
}

/// Checks that literal `lit` can be compared with a property of type `ty`.
fn literal_fits(ty: &Ty, lit: &Literal, push: &mut impl FnMut(Severity, String)) {
    use Literal as L;
    let ok = match (ty, lit) {
        (Ty::Str, L::Str(_) | L::Binary(_) | L::Hex(_)) => true,
        (Ty::Int | Ty::Float, L::Int(_) | L::Float(_)) => true,
        (Ty::Bool, L::Bool(_)) => true,
        (Ty::Timestamp, L::Timestamp(_)) => true,
        (Ty::Binary | Ty::Hex, L::Binary(_) | L::Hex(_)) => true,
        (Ty::Timestamp | Ty::Binary | Ty::Hex, L::Str(_)) => {
            let want = match ty {
                Ty::Timestamp => "t'...'",
                Ty::Binary => "b'...'",
                _ => "h'...'",
            };
            push(
                Severity::Warning,
                format!(
                    "a string literal is compared as text with {}; write {want} to compare values",
                    describe_ty(ty)
                ),
            );
            true
        }
        _ => false,
    };
    if !ok {
        push(
            Severity::Error,
            format!(
                "compares {} with {} literal",
                describe_ty(ty),
                with_article(lit.kind_name())
            ),
        );
    }
}

fn with_article(word: &str) -> String {
    let article = if word.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    };
    format!("{article} {word}")
}

fn describe_ty(ty: &Ty) -> &'static str {
    vocab::describe(ty)
}
