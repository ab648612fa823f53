//! The matcher: a pattern compiled once, evaluated against many sets of observations.
//!
//! Evaluation has two stages. First every bracketed comparison expression is evaluated against
//! every observation (STIX 2.1 section 9.3): a property test selects the root SCOs of its type,
//! follows the path (dereferencing `_ref` and `_refs` steps, trying every element for `[*]`), and
//! holds when **some** reached value passes; `AND` and `OR` combine tests **per root object**, as
//! the OASIS `stix2-matcher` does, so `[file:name = 'a' AND file:size = 5]` needs one file with
//! both. Second, a backtracking search binds the observation expressions to observations:
//! operands of `AND`, `FOLLOWEDBY` and `REPEATS` take distinct observation instances (an
//! observed-data with `number_observed` n counts as n instances), and the qualifiers filter the
//! bound observations by their `[first_observed, last_observed]` intervals. The search stops at
//! the first complete binding, which is the [`Match`] reported.
//!
//! The search, rather than materialising every binding of every sub-expression as the Python
//! matcher does, is what keeps memory flat; its worst case is still exponential in the number of
//! observation operands, so it counts its steps and gives up with [`SearchLimit`] past
//! [`SEARCH_STEP_LIMIT`].

use std::cmp::Ordering;
use std::str::FromStr;
use std::sync::Arc;

use ipnet::IpNet;
use regex::Regex;
use serde_json::Value;

use crate::ast::{
    CompareOp, ComparisonExpr, Literal, Number, ObservationExpr, PathStep, Pattern, Qualifier,
    TestOp,
};
use crate::error::CompileError;
use crate::observation::{Observation, Observations};
use crate::parser::parse;
use crate::vocab::{self, Ty};

/// The most search steps one match may take before giving up.
pub const SEARCH_STEP_LIMIT: u64 = 10_000_000;

/// The largest `REPEATS` count the matcher accepts; each repetition is one level of the search.
pub const MAX_REPEATS: u64 = 4096;

/// The search for a binding took more than [`SEARCH_STEP_LIMIT`] steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("pattern matching gave up after {SEARCH_STEP_LIMIT} search steps")]
pub struct SearchLimit;

/// A successful match: which observations were bound to the pattern.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Match {
    /// Indices into the [`Observations`] matched against, ascending, each once.
    pub observations: Vec<usize>,
}

impl Match {
    /// The matched observed-data objects, in index order (for printing them, e.g. as JSON).
    pub fn observed_data<'m, 'a>(
        &'m self,
        observations: &'m Observations<'a>,
    ) -> impl Iterator<Item = &'m crate::Observation<'a>> + 'm {
        self.observations
            .iter()
            .filter_map(move |&i| observations.get(i))
    }
}

/// Parses and compiles `text` for matching.
///
/// ```
/// let pattern = entente_pattern::compile("[domain-name:value = 'example.com']")?;
/// let objects: Vec<serde_json::Value> = serde_json::from_str(r#"[
///   {"type": "observed-data", "id": "observed-data--6f3f3e5c-9f5c-4d6b-8d0e-6a1d7d6c7a11",
///    "first_observed": "2026-01-01T00:00:00Z", "last_observed": "2026-01-01T00:00:00Z",
///    "number_observed": 1, "object_refs": ["domain-name--2c9ab4e4-4a70-4a4a-9b48-1f4d8e6d7f31"]},
///   {"type": "domain-name", "id": "domain-name--2c9ab4e4-4a70-4a4a-9b48-1f4d8e6d7f31",
///    "value": "example.com"}
/// ]"#)?;
/// let observations = entente_pattern::Observations::from_objects(&objects)?;
/// let hit = pattern.first_match(&observations)?.expect("matches");
/// assert_eq!(hit.observations, vec![0]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn compile(text: &str) -> Result<CompiledPattern, CompileError> {
    CompiledPattern::from_parsed(parse(text)?)
}

/// A pattern prepared for matching: regular expressions, `LIKE` patterns, CIDR blocks and
/// timestamps compiled once. Cheap to share between threads (`Send + Sync`).
#[derive(Debug, Clone)]
pub struct CompiledPattern {
    pattern: Pattern,
    root: Obs,
    simples: Vec<Cmp>,
}

/// A compiled observation expression.
#[derive(Debug, Clone)]
enum Obs {
    /// Index into `simples`.
    Simple(usize),
    And(Vec<Obs>),
    Or(Vec<Obs>),
    FollowedBy(Vec<Obs>),
    /// Window in nanoseconds.
    Within(Box<Obs>, i128),
    Repeats(Box<Obs>, u64),
    /// `[start, stop)` in nanoseconds.
    StartStop(Box<Obs>, i128, i128),
}

/// A compiled comparison expression.
#[derive(Debug, Clone)]
enum Cmp {
    And(Vec<Cmp>),
    Or(Vec<Cmp>),
    Test(Test),
}

#[derive(Debug, Clone)]
struct Test {
    object_type: String,
    steps: Vec<Step>,
    negated: bool,
    pred: Pred,
}

#[derive(Debug, Clone)]
enum Step {
    /// A property; `deref` when the next step reads through the reference it holds.
    Key {
        name: String,
        deref: Deref,
    },
    Index(i64),
    Any,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Deref {
    None,
    /// `x_ref.next`: the value is an identifier to follow.
    Ref,
    /// `x_refs[i].next`: the elements are identifiers to follow.
    Refs,
}

/// How a JSON string compares with a binary or hex literal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BytesOf {
    /// The property is binary: base64 text.
    Base64,
    /// The property is hex text.
    Hex,
    /// Any other string: its characters as bytes, when all are below U+0100 (the
    /// specification's rule for comparing strings with binary constants).
    Latin1,
}

#[derive(Debug, Clone)]
enum Lit {
    Int(i64),
    Float(f64),
    Str(String),
    Bool(bool),
    Bytes(Vec<u8>, BytesOf),
    /// Nanoseconds since the epoch.
    Timestamp(i128),
}

#[derive(Debug, Clone)]
enum Pred {
    Compare(CompareOp, Lit),
    In(Vec<Lit>),
    Like(Like),
    /// Shared with every other pattern using the same operand (see `regex_cache`).
    Regex(Arc<Regex>),
    Subset(IpNet),
    Superset(IpNet),
    Exists,
}

/// Parses an IP address (as a one-address block) or a CIDR block.
pub(crate) fn parse_net(s: &str) -> Option<IpNet> {
    if s.contains('/') {
        IpNet::from_str(s).ok()
    } else {
        std::net::IpAddr::from_str(s).ok().map(IpNet::from)
    }
}

/// A compiled `LIKE` operand (SQL semantics: `%` any run of characters, `_` exactly one,
/// everything else literal and case-sensitive; there is no escape character).
///
/// Matched directly rather than through a regular expression: compiling a regex costs tens of
/// microseconds, more than matching a typical value thousands of times.
#[derive(Debug, Clone)]
pub(crate) struct Like {
    parts: Vec<LikePart>,
}

#[derive(Debug, Clone, PartialEq)]
enum LikePart {
    Literal(String),
    One,
    Any,
}

impl Like {
    pub(crate) fn new(pattern: &str) -> Like {
        let mut parts = Vec::new();
        let mut literal = String::new();
        for c in pattern.chars() {
            let part = match c {
                '%' => LikePart::Any,
                '_' => LikePart::One,
                _ => {
                    literal.push(c);
                    continue;
                }
            };
            if !literal.is_empty() {
                parts.push(LikePart::Literal(std::mem::take(&mut literal)));
            }
            // `%%` is the same as `%`.
            if !(part == LikePart::Any && parts.last() == Some(&LikePart::Any)) {
                parts.push(part);
            }
        }
        if !literal.is_empty() {
            parts.push(LikePart::Literal(literal));
        }
        Like { parts }
    }

    /// Whole-string match. Greedy with backtracking to the most recent `%`, which is enough:
    /// an earlier `%` never needs to take more once a later one has been reached.
    pub(crate) fn is_match(&self, s: &str) -> bool {
        let next_char = |pos: usize| s[pos..].chars().next().map_or(0, char::len_utf8);
        let (mut p, mut pos) = (0usize, 0usize);
        let mut star: Option<(usize, usize)> = None;
        loop {
            if p < self.parts.len() {
                match &self.parts[p] {
                    LikePart::Any => {
                        star = Some((p + 1, pos));
                        p += 1;
                        continue;
                    }
                    LikePart::One if pos < s.len() => {
                        pos += next_char(pos);
                        p += 1;
                        continue;
                    }
                    LikePart::Literal(l) if s[pos..].starts_with(l.as_str()) => {
                        pos += l.len();
                        p += 1;
                        continue;
                    }
                    _ => {}
                }
            } else if pos == s.len() {
                return true;
            }
            match star {
                Some((after, from)) if from < s.len() => {
                    let from = from + next_char(from);
                    star = Some((after, from));
                    p = after;
                    pos = from;
                }
                _ => return false,
            }
        }
    }
}

/// Compiles a `MATCHES` operand. The `regex` crate guarantees linear-time matching and so lacks
/// look-around and backreferences; patterns using them are rejected here, not misread.
pub(crate) fn compile_regex(re: &str) -> Result<Regex, CompileError> {
    regex::RegexBuilder::new(re)
        .size_limit(1 << 22)
        .build()
        .map_err(|e| CompileError::Regex {
            regex: re.to_owned(),
            reason: e
                .to_string()
                .lines()
                .last()
                .unwrap_or_default()
                .trim()
                .to_owned(),
        })
}

impl CompiledPattern {
    /// Compiles a parsed pattern.
    pub fn new(pattern: &Pattern) -> Result<CompiledPattern, CompileError> {
        CompiledPattern::from_parsed(pattern.clone())
    }

    /// Compiles a parsed pattern it keeps, without copying it.
    fn from_parsed(pattern: Pattern) -> Result<CompiledPattern, CompileError> {
        let mut simples = Vec::new();
        let root = compile_obs(&pattern.expr, &mut simples)?;
        Ok(CompiledPattern {
            pattern,
            root,
            simples,
        })
    }

    /// The pattern this was compiled from.
    pub fn pattern(&self) -> &Pattern {
        &self.pattern
    }

    /// True when the pattern matches the observations.
    pub fn matches(&self, observations: &Observations<'_>) -> Result<bool, SearchLimit> {
        Ok(self.first_match(observations)?.is_some())
    }

    /// The first binding found of the pattern to the observations, or `None` when it does not
    /// match.
    pub fn first_match(
        &self,
        observations: &Observations<'_>,
    ) -> Result<Option<Match>, SearchLimit> {
        let n = observations.len();
        if let Obs::Simple(i) = self.root {
            // One observation expression without qualifiers: the search would bind the first
            // observation that satisfies it.
            let cmp = &self.simples[i];
            return Ok(observations
                .iter()
                .position(|obs| eval_observation(cmp, obs, observations))
                .map(|o| Match {
                    observations: vec![o],
                }));
        }
        let mut cands: Vec<Vec<u32>> = Vec::with_capacity(self.simples.len());
        for cmp in &self.simples {
            let c: Vec<u32> = observations
                .iter()
                .enumerate()
                .filter(|(_, obs)| eval_observation(cmp, obs, observations))
                .map(|(i, _)| i as u32)
                .collect();
            cands.push(c);
        }
        if !can_match(&self.root, &cands, observations) {
            return Ok(None);
        }
        let first: Vec<i128> = observations
            .iter()
            .map(|o| o.first_observed.unix_nanos())
            .collect();
        let last: Vec<i128> = observations
            .iter()
            .map(|o| o.last_observed.unix_nanos())
            .collect();
        let number: Vec<u64> = observations.iter().map(|o| o.number_observed).collect();
        let mut search = Search {
            cands: &cands,
            first: &first,
            last: &last,
            number: &number,
            used: vec![0; n],
            stack: Vec::new(),
            steps: 0,
            found: None,
        };
        let done = search.bind(&self.root, &mut |s| {
            let mut obs: Vec<usize> = s.stack.iter().map(|&o| o as usize).collect();
            obs.sort_unstable();
            obs.dedup();
            s.found = Some(obs);
            true
        });
        if search.steps > SEARCH_STEP_LIMIT {
            return Err(SearchLimit);
        }
        Ok(if done {
            search.found.map(|observations| Match { observations })
        } else {
            None
        })
    }
}

/// A cheap necessary condition: every operand that must bind has candidates (and enough
/// instances for `REPEATS`). Saves the search from exploring bindings of one operand when
/// another can never bind.
fn can_match(node: &Obs, cands: &[Vec<u32>], observations: &Observations<'_>) -> bool {
    match node {
        Obs::Simple(i) => !cands[*i].is_empty(),
        Obs::And(items) | Obs::FollowedBy(items) => {
            items.iter().all(|i| can_match(i, cands, observations))
        }
        Obs::Or(items) => items.iter().any(|i| can_match(i, cands, observations)),
        Obs::Within(inner, _) | Obs::StartStop(inner, ..) => can_match(inner, cands, observations),
        Obs::Repeats(inner, n) => {
            can_match(inner, cands, observations)
                && match inner.as_ref() {
                    Obs::Simple(i) => {
                        let instances: u64 = cands[*i]
                            .iter()
                            .map(|&o| {
                                observations
                                    .get(o as usize)
                                    .map_or(0, |x| x.number_observed)
                            })
                            .sum();
                        instances >= *n
                    }
                    _ => true,
                }
        }
    }
}

fn compile_obs(e: &ObservationExpr, simples: &mut Vec<Cmp>) -> Result<Obs, CompileError> {
    let many = |items: &[ObservationExpr], simples: &mut Vec<Cmp>| {
        items
            .iter()
            .map(|i| compile_obs(i, simples))
            .collect::<Result<Vec<_>, _>>()
    };
    Ok(match e {
        ObservationExpr::Comparison(c) => {
            simples.push(compile_cmp(c)?);
            Obs::Simple(simples.len() - 1)
        }
        ObservationExpr::And(items) => Obs::And(many(items, simples)?),
        ObservationExpr::Or(items) => Obs::Or(many(items, simples)?),
        ObservationExpr::FollowedBy(items) => Obs::FollowedBy(many(items, simples)?),
        ObservationExpr::Qualified(inner, q) => {
            let inner = Box::new(compile_obs(inner, simples)?);
            let bad = |reason| CompileError::Qualifier {
                qualifier: q.to_string(),
                reason,
            };
            match q {
                Qualifier::Within(n) => {
                    let nanos = match n {
                        Number::Int(i) => *i as i128 * 1_000_000_000,
                        Number::Float(f) => (f * 1e9).round() as i128,
                    };
                    if nanos <= 0 {
                        return Err(bad("the window must be longer than zero"));
                    }
                    Obs::Within(inner, nanos)
                }
                Qualifier::Repeats(n) => {
                    if *n == 0 {
                        return Err(bad("the count must be at least 1"));
                    }
                    if *n > MAX_REPEATS {
                        return Err(bad("the count exceeds the matcher's limit of 4096"));
                    }
                    Obs::Repeats(inner, *n)
                }
                Qualifier::StartStop(a, b) => {
                    if a >= b {
                        return Err(bad("START must be before STOP"));
                    }
                    Obs::StartStop(inner, a.unix_nanos(), b.unix_nanos())
                }
            }
        }
    })
}

fn compile_cmp(c: &ComparisonExpr) -> Result<Cmp, CompileError> {
    Ok(match c {
        ComparisonExpr::And(items) => {
            Cmp::And(items.iter().map(compile_cmp).collect::<Result<_, _>>()?)
        }
        ComparisonExpr::Or(items) => {
            Cmp::Or(items.iter().map(compile_cmp).collect::<Result<_, _>>()?)
        }
        ComparisonExpr::Test(t) => {
            let terminal = vocab::terminal_type(&t.path.object_type, &t.path.steps);
            let bytes_of = match terminal {
                Some(Ty::Binary) => BytesOf::Base64,
                Some(Ty::Hex) => BytesOf::Hex,
                _ => BytesOf::Latin1,
            };
            let lit = |l: &Literal| match l {
                Literal::Int(i) => Lit::Int(*i),
                Literal::Float(f) => Lit::Float(*f),
                Literal::Str(s) => Lit::Str(s.clone()),
                Literal::Bool(b) => Lit::Bool(*b),
                Literal::Binary(b) | Literal::Hex(b) => Lit::Bytes(b.clone(), bytes_of),
                Literal::Timestamp(t) => Lit::Timestamp(t.unix_nanos()),
            };
            let pred = match &t.op {
                TestOp::Compare(op, l) => Pred::Compare(*op, lit(l)),
                TestOp::In(items) => Pred::In(items.iter().map(lit).collect()),
                TestOp::Like(s) => Pred::Like(Like::new(s)),
                TestOp::Matches(s) => Pred::Regex(crate::regex_cache::regex(s)?),
                TestOp::IsSubset(s) => Pred::Subset(
                    parse_net(s).ok_or_else(|| CompileError::Cidr { operand: s.clone() })?,
                ),
                TestOp::IsSuperset(s) => Pred::Superset(
                    parse_net(s).ok_or_else(|| CompileError::Cidr { operand: s.clone() })?,
                ),
                TestOp::Exists => Pred::Exists,
            };
            let path = &t.path.steps;
            let steps = path
                .iter()
                .enumerate()
                .map(|(i, s)| match s {
                    PathStep::Key(name) => {
                        let more = i + 1 < path.len();
                        let deref = if more && name.ends_with("_ref") {
                            Deref::Ref
                        } else if more
                            && name.ends_with("_refs")
                            && i + 2 < path.len()
                            && matches!(path[i + 1], PathStep::Index(_) | PathStep::AnyIndex)
                        {
                            Deref::Refs
                        } else {
                            Deref::None
                        };
                        Step::Key {
                            name: name.clone(),
                            deref,
                        }
                    }
                    PathStep::Index(n) => Step::Index(*n),
                    PathStep::AnyIndex => Step::Any,
                })
                .collect();
            Cmp::Test(Test {
                object_type: t.path.object_type.clone(),
                steps,
                negated: t.negated,
                pred,
            })
        }
    })
}

/// True when some root object of `obs` satisfies `cmp`.
fn eval_observation(cmp: &Cmp, obs: &Observation<'_>, all: &Observations<'_>) -> bool {
    all.scos_of(obs)
        .iter()
        .any(|(_, t, root)| eval_root(cmp, t, root, obs, all))
}

fn eval_root(
    cmp: &Cmp,
    root_type: &str,
    root: &Value,
    obs: &Observation<'_>,
    all: &Observations<'_>,
) -> bool {
    match cmp {
        Cmp::And(items) => items
            .iter()
            .all(|c| eval_root(c, root_type, root, obs, all)),
        Cmp::Or(items) => items
            .iter()
            .any(|c| eval_root(c, root_type, root, obs, all)),
        Cmp::Test(t) => {
            if root_type != t.object_type {
                return false;
            }
            let mut pass = |v: &Value| t.pred.test(v) != t.negated;
            if let Pred::Exists = t.pred {
                // `NOT EXISTS` holds for an object of the type that lacks the property.
                let mut any = |_: &Value| true;
                return walk(root, &t.steps, obs, all, &mut any) != t.negated;
            }
            walk(root, &t.steps, obs, all, &mut pass)
        }
    }
}

/// Calls `f` on every value `steps` reach from `v` until it returns true; returns whether it did.
fn walk(
    v: &Value,
    steps: &[Step],
    obs: &Observation<'_>,
    all: &Observations<'_>,
    f: &mut dyn FnMut(&Value) -> bool,
) -> bool {
    let Some((step, rest)) = steps.split_first() else {
        return f(v);
    };
    match step {
        Step::Key { name, deref } => {
            let Some(child) = property(v, name) else {
                return false;
            };
            match deref {
                Deref::None => walk(child, rest, obs, all, f),
                Deref::Ref => match child.as_str().and_then(|r| all.resolve(obs, r)) {
                    Some(target) => walk(target, rest, obs, all, f),
                    None => false,
                },
                Deref::Refs => {
                    let Some(list) = child.as_array() else {
                        return false;
                    };
                    let (index, after) = rest.split_first().expect("checked at compile time");
                    let mut follow = |r: &Value| match r.as_str().and_then(|r| all.resolve(obs, r))
                    {
                        Some(target) => walk(target, after, obs, all, f),
                        None => false,
                    };
                    match index {
                        Step::Index(i) => usize::try_from(*i)
                            .ok()
                            .and_then(|i| list.get(i))
                            .is_some_and(&mut follow),
                        _ => list.iter().any(follow),
                    }
                }
            }
        }
        Step::Index(i) => usize::try_from(*i)
            .ok()
            .and_then(|i| v.as_array()?.get(i))
            .is_some_and(|child| walk(child, rest, obs, all, f)),
        Step::Any => v
            .as_array()
            .is_some_and(|list| list.iter().any(|child| walk(child, rest, obs, all, f))),
    }
}

/// The property `name` of `v`, when `v` is an object that has it.
///
/// Small objects (nearly every SCO) are scanned comparing key lengths first, which are kept
/// beside the key pointers; the map's ordered lookup would compare the bytes of every key it
/// passes. Large objects use the ordered lookup.
fn property<'v>(v: &'v Value, name: &str) -> Option<&'v Value> {
    let map = v.as_object()?;
    if map.len() > 16 {
        return map.get(name);
    }
    map.iter()
        .find(|(k, _)| k.len() == name.len() && k.as_str() == name)
        .map(|(_, v)| v)
}

impl Pred {
    /// The test before `NOT` is applied.
    fn test(&self, v: &Value) -> bool {
        match self {
            Pred::Compare(op, lit) => {
                let ord = compare(v, lit);
                match op {
                    CompareOp::Eq => ord == Some(Ordering::Equal),
                    CompareOp::Ne => ord != Some(Ordering::Equal),
                    CompareOp::Lt => ord == Some(Ordering::Less),
                    CompareOp::Le => matches!(ord, Some(Ordering::Less | Ordering::Equal)),
                    CompareOp::Gt => ord == Some(Ordering::Greater),
                    CompareOp::Ge => matches!(ord, Some(Ordering::Greater | Ordering::Equal)),
                }
            }
            Pred::In(items) => items.iter().any(|l| compare(v, l) == Some(Ordering::Equal)),
            Pred::Like(like) => v.as_str().is_some_and(|s| like.is_match(s)),
            Pred::Regex(re) => v.as_str().is_some_and(|s| re.is_match(s)),
            Pred::Subset(net) => v
                .as_str()
                .and_then(parse_net)
                .is_some_and(|value| net.contains(&value)),
            Pred::Superset(net) => v
                .as_str()
                .and_then(parse_net)
                .is_some_and(|value| value.contains(net)),
            Pred::Exists => true,
        }
    }
}

/// Orders a JSON value against a literal, or `None` when the two cannot be compared (which
/// makes `=` and the order operators false and `!=` true, as the specification says for
/// mismatched types).
fn compare(v: &Value, lit: &Lit) -> Option<Ordering> {
    match lit {
        Lit::Str(s) => Some(v.as_str()?.cmp(s.as_str())),
        Lit::Int(i) => match v {
            Value::Number(n) => {
                if let Some(x) = n.as_i64() {
                    Some(x.cmp(i))
                } else if n.is_u64() {
                    Some(Ordering::Greater)
                } else {
                    n.as_f64()?.partial_cmp(&(*i as f64))
                }
            }
            _ => None,
        },
        Lit::Float(f) => match v {
            Value::Number(n) => n.as_f64()?.partial_cmp(f),
            _ => None,
        },
        Lit::Bool(b) => match v {
            Value::Bool(x) => Some(x.cmp(b)),
            _ => None,
        },
        Lit::Timestamp(t) => {
            let parsed = entente_stix::Timestamp::from_str(v.as_str()?).ok()?;
            Some(parsed.unix_nanos().cmp(t))
        }
        Lit::Bytes(bytes, how) => {
            let s = v.as_str()?;
            let value: Vec<u8> = match how {
                BytesOf::Base64 => {
                    use base64::Engine as _;
                    base64::engine::general_purpose::STANDARD.decode(s).ok()?
                }
                BytesOf::Hex => decode_hex_text(s)?,
                BytesOf::Latin1 => s
                    .chars()
                    .map(|c| u8::try_from(u32::from(c)).ok())
                    .collect::<Option<Vec<u8>>>()?,
            };
            Some(value.as_slice().cmp(bytes.as_slice()))
        }
    }
}

fn decode_hex_text(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    s.as_bytes()
        .chunks(2)
        .map(|p| {
            let hi = (p[0] as char).to_digit(16)?;
            let lo = (p[1] as char).to_digit(16)?;
            Some((hi << 4 | lo) as u8)
        })
        .collect()
}

/// The backtracking binder. `stack` holds the observation indices bound so far, in binding
/// order; `used[o]` counts the instances of observation `o` taken (at most `number[o]`).
///
/// Invariants: every `bind` that succeeds pushes at least one entry (only `Simple` pushes, and
/// every other node binds at least one child), so the segment a qualifier inspects is never
/// empty; and every push is undone before `bind` returns false, so a failed branch leaves
/// `stack` and `used` as it found them.
struct Search<'s> {
    cands: &'s [Vec<u32>],
    first: &'s [i128],
    last: &'s [i128],
    number: &'s [u64],
    used: Vec<u64>,
    stack: Vec<u32>,
    steps: u64,
    found: Option<Vec<usize>>,
}

type Cont<'k> = dyn FnMut(&mut Search<'_>) -> bool + 'k;

impl Search<'_> {
    /// Binds `node`, then calls `k`; backtracks into other bindings while `k` returns false.
    /// Returns true once `k` has returned true (or the step limit was passed).
    fn bind(&mut self, node: &Obs, k: &mut Cont<'_>) -> bool {
        self.steps += 1;
        if self.steps > SEARCH_STEP_LIMIT {
            return true;
        }
        match node {
            Obs::Simple(i) => {
                let cands = self.cands;
                for &o in &cands[*i] {
                    let o_ix = o as usize;
                    if self.used[o_ix] >= self.number[o_ix] {
                        continue;
                    }
                    self.used[o_ix] += 1;
                    self.stack.push(o);
                    if k(self) {
                        return true;
                    }
                    self.stack.pop();
                    self.used[o_ix] -= 1;
                    self.steps += 1;
                    if self.steps > SEARCH_STEP_LIMIT {
                        return true;
                    }
                }
                false
            }
            Obs::And(items) => self.bind_all(items, k),
            Obs::Or(items) => {
                for item in items {
                    if self.bind(item, k) {
                        return true;
                    }
                }
                false
            }
            Obs::FollowedBy(items) => {
                let start = self.stack.len();
                self.bind_followed(items, 0, start, k)
            }
            Obs::Within(inner, window) => {
                let start = self.stack.len();
                let window = *window;
                self.bind(inner, &mut |s: &mut Search<'_>| {
                    let seg = &s.stack[start..];
                    let latest_first = seg.iter().map(|&o| s.first[o as usize]).max();
                    let earliest_last = seg.iter().map(|&o| s.last[o as usize]).min();
                    // Timestamps can be chosen within `window` of each other exactly when the
                    // latest first_observed is no later than the earliest last_observed plus
                    // the window.
                    match (latest_first, earliest_last) {
                        (Some(f), Some(l)) if f > l + window => false,
                        _ => k(s),
                    }
                })
            }
            Obs::StartStop(inner, start_t, stop_t) => {
                let start = self.stack.len();
                let (a, b) = (*start_t, *stop_t);
                self.bind(inner, &mut |s: &mut Search<'_>| {
                    // Some instant of each observation's interval lies in [start, stop).
                    let ok = s.stack[start..]
                        .iter()
                        .all(|&o| s.first[o as usize] < b && s.last[o as usize] >= a);
                    ok && k(s)
                })
            }
            Obs::Repeats(inner, n) => self.bind_repeats(inner, *n, None, k),
        }
    }

    fn bind_all(&mut self, items: &[Obs], k: &mut Cont<'_>) -> bool {
        match items.split_first() {
            None => k(self),
            Some((first, rest)) => self.bind(first, &mut |s: &mut Search<'_>| s.bind_all(rest, k)),
        }
    }

    /// Binds `items[idx..]` of a left-associative FOLLOWEDBY chain that began at stack offset
    /// `start`: each operand must be observable no earlier than everything bound before it.
    fn bind_followed(&mut self, items: &[Obs], idx: usize, start: usize, k: &mut Cont<'_>) -> bool {
        if idx == items.len() {
            return k(self);
        }
        let seg = self.stack.len();
        self.bind(&items[idx], &mut |s: &mut Search<'_>| {
            if idx > 0 {
                let latest_first_before = s.stack[start..seg]
                    .iter()
                    .map(|&o| s.first[o as usize])
                    .max();
                let earliest_last_after = s.stack[seg..].iter().map(|&o| s.last[o as usize]).min();
                if let (Some(f), Some(l)) = (latest_first_before, earliest_last_after)
                    && f > l
                {
                    return false;
                }
            }
            s.bind_followed(items, idx + 1, start, k)
        })
    }

    /// Binds `inner` `n` more times on distinct instances. Repetitions are bound in
    /// non-decreasing order of their lowest observation index, which skips the permutations of
    /// one set of repetitions without losing any set.
    fn bind_repeats(&mut self, inner: &Obs, n: u64, floor: Option<u32>, k: &mut Cont<'_>) -> bool {
        if n == 0 {
            return k(self);
        }
        let seg = self.stack.len();
        self.bind(inner, &mut |s: &mut Search<'_>| {
            let lowest = s.stack[seg..].iter().copied().min().unwrap_or(0);
            if floor.is_some_and(|f| lowest < f) {
                return false;
            }
            s.bind_repeats(inner, n - 1, Some(lowest), k)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::Like;
    use proptest::prelude::*;

    /// The reference meaning of LIKE: an anchored regular expression.
    fn like_regex(like: &str) -> regex::Regex {
        let mut re = String::from("(?s)^");
        for c in like.chars() {
            match c {
                '%' => re.push_str(".*"),
                '_' => re.push('.'),
                _ => re.push_str(&regex::escape(&c.to_string())),
            }
        }
        re.push('$');
        regex::Regex::new(&re).unwrap()
    }

    #[test]
    fn like_examples() {
        for (p, s, want) in [
            ("a%c", "abc", true),
            ("a%c", "abcc", true),
            ("a%c", "abcd", false),
            ("%", "", true),
            ("_", "", false),
            ("_", "é", true),
            ("%a%b%", "xxaxxbxx", true),
            ("%a%b%", "xxbxxaxx", false),
            ("a_c", "abbc", false),
            ("", "", true),
            ("", "a", false),
        ] {
            assert_eq!(Like::new(p).is_match(s), want, "{p} {s}");
        }
    }

    proptest! {
        #[test]
        fn like_agrees_with_the_regex_translation(p in "[ab%_é]{0,8}", s in "[abé]{0,10}") {
            prop_assert_eq!(Like::new(&p).is_match(&s), like_regex(&p).is_match(&s), "{} {}", p, s);
        }
    }
}
