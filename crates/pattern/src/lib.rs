//! The STIX 2.1 patterning language: grammar, parser, AST, validator and matcher. No I/O.
//!
//! # Grammar
//!
//! The grammar of STIX 2.1 section 9 (the OASIS ANTLR grammar `STIXPattern.g4`), in BNF.
//! Alternatives of one rule bind more weakly the earlier they are listed in the precedence
//! chain: `FOLLOWEDBY` < `OR` < `AND` < qualifiers for observation expressions, and `OR` < `AND`
//! for comparison expressions. All binary operators are left-associative.
//!
//! ```text
//! pattern                  ::= observation-expressions EOF
//! observation-expressions  ::= observation-or ( "FOLLOWEDBY" observation-or )*
//! observation-or           ::= observation-and ( "OR" observation-and )*
//! observation-and          ::= observation-expression ( "AND" observation-expression )*
//! observation-expression   ::= ( "[" comparison-expression "]"
//!                              | "(" observation-expressions ")" ) qualifier*
//! qualifier                ::= "WITHIN" ( IntPos | FloatPos ) "SECONDS"
//!                            | "REPEATS" IntPos "TIMES"
//!                            | "START" Timestamp "STOP" Timestamp
//! comparison-expression    ::= comparison-and ( "OR" comparison-and )*
//! comparison-and           ::= prop-test ( "AND" prop-test )*
//! prop-test                ::= object-path "NOT"? ( "=" | "!=" ) primitive-literal
//!                            | object-path "NOT"? ( "<" | "<=" | ">" | ">=" ) orderable-literal
//!                            | object-path "NOT"? "IN" set-literal
//!                            | object-path "NOT"? ( "LIKE" | "MATCHES" ) String
//!                            | object-path "NOT"? ( "ISSUBSET" | "ISSUPERSET" ) String
//!                            | "(" comparison-expression ")"
//!                            | "NOT"? "EXISTS" object-path
//! object-path              ::= object-type ":" first-component path-step*
//! object-type              ::= IdentifierWithHyphen
//! first-component          ::= IdentifierWithoutHyphen | String
//! path-step                ::= "." ( IdentifierWithoutHyphen | String )
//!                            | "[" ( IntPos | IntNeg | "*" ) "]"
//! set-literal              ::= "(" ")" | "(" primitive-literal ( "," primitive-literal )* ")"
//! primitive-literal        ::= orderable-literal | Bool
//! orderable-literal        ::= IntPos | IntNeg | FloatPos | FloatNeg | String
//!                            | Binary | Hex | Timestamp
//!
//! IntPos     ::= "+"? ( "0" | [1-9] [0-9]* )
//! IntNeg     ::= "-" ( "0" | [1-9] [0-9]* )
//! FloatPos   ::= "+"? [0-9]* "." [0-9]+
//! FloatNeg   ::= "-" [0-9]* "." [0-9]+
//! String     ::= "'" ( [^'\\] | "\\'" | "\\\\" )* "'"
//! Bool       ::= "true" | "false"
//! Binary     ::= "b'" base64 in padded groups of four, at least one group "'"
//! Hex        ::= "h'" ( [0-9a-fA-F] [0-9a-fA-F] )* "'"
//! Timestamp  ::= "t'" YYYY "-" MM "-" DD "T" hh ":" mm ":" ss ( "." [0-9]+ )? "Z" "'"
//! IdentifierWithoutHyphen ::= [a-zA-Z_] [a-zA-Z0-9_]*
//! IdentifierWithHyphen    ::= [a-zA-Z_] [a-zA-Z0-9_-]*
//! "=" may be written "==", "!=" may be written "<>". Keywords are case-sensitive.
//! White space, /* block */ and // line comments separate tokens.
//! ```
//!
//! # What is here
//!
//! - [`parse`] turns text into a [`Pattern`] (the AST in [`ast`]), or a [`ParseError`] with the
//!   byte offset, line and column, and what the grammar expected there. `Display` on a
//!   [`Pattern`] prints the canonical form, which parses back to the same tree.
//! - [`validate`] checks a parsed pattern against the STIX 2.1 cyber-observable vocabulary
//!   (the 18 SCO types, their properties, extensions and hash names) and the obvious literal
//!   types, returning [`Issue`]s: errors, and warnings for custom (`x-`, `x_`) names.
//! - [`CompiledPattern`] (from [`compile`]) is a pattern prepared for matching: regular
//!   expressions, `LIKE` patterns and CIDR blocks compiled once. It matches against
//!   [`Observations`], read from STIX 2.1 observed-data with `object_refs` (the SCOs supplied
//!   alongside) or STIX 2.0 observed-data with an `objects` dictionary.
//!
//! # Use
//!
//! ```
//! use entente_pattern::{Observations, Severity, compile, validate_str};
//!
//! // Validation: a syntax error is an `Err`; vocabulary problems are issues.
//! let (_, issues) = validate_str("[ipv4-addr:value ISSUBSET '198.51.100.0/24']")?;
//! assert!(issues.iter().all(|i| i.severity != Severity::Error));
//!
//! // Matching: compile once, match many observation sets.
//! let pattern = compile("[ipv4-addr:value ISSUBSET '198.51.100.0/24'] REPEATS 2 TIMES")?;
//! let objects: Vec<serde_json::Value> = serde_json::from_str(r#"[
//!   {"type": "observed-data", "id": "observed-data--6f3f3e5c-9f5c-4d6b-8d0e-6a1d7d6c7a11",
//!    "first_observed": "2026-01-01T00:00:00Z", "last_observed": "2026-01-01T00:05:00Z",
//!    "number_observed": 2, "object_refs": ["ipv4-addr--2c9ab4e4-4a70-4a4a-9b48-1f4d8e6d7f31"]},
//!   {"type": "ipv4-addr", "id": "ipv4-addr--2c9ab4e4-4a70-4a4a-9b48-1f4d8e6d7f31",
//!    "value": "198.51.100.7"}
//! ]"#)?;
//! let observations = Observations::from_objects(&objects)?;
//! let hit = pattern.first_match(&observations)?.expect("seen twice");
//! assert_eq!(hit.observations, vec![0]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Known limits
//!
//! - `MATCHES` uses the `regex` crate: linear-time, Unicode-aware like Python's `re`, but
//!   without look-around, backreferences or other backtracking-only constructs. Patterns using
//!   them fail [`compile`] with [`CompileError::Regex`] (and [`validate`] reports them), rather
//!   than being matched differently.
//! - `LIKE` and `MATCHES` compare text as given; no Unicode normalisation is applied (the
//!   Python matcher normalises both sides to NFC).
//! - `REPEATS` counts above [`MAX_REPEATS`] are rejected, and one match gives up after
//!   [`SEARCH_STEP_LIMIT`] search steps with [`SearchLimit`], so hostile patterns cannot take
//!   unbounded time.
//! - STIX 2.1 references are resolved against every SCO supplied, not only those the
//!   observed-data lists. An SCO's type is read from its identifier's prefix (`file--...`),
//!   which STIX requires to equal its `type`; `type` is read only when there is no identifier.
//!
//! # What is not here
//!
//! No I/O of any kind: callers read files, bundles or the store and hand over
//! `serde_json::Value`s. No knowledge of indicators, policy or correlation: the correlation
//! engine calls [`compile`] and [`CompiledPattern::first_match`].
//!
//! # Design decisions
//!
//! - **Hand-written lexer and recursive-descent parser** rather than a generated one: the
//!   grammar is small, errors must name what was expected, and a loop per precedence level
//!   keeps thousand-term `OR` chains (real indicators carry them) off the stack.
//! - **Compiled `MATCHES` operands are cached process-wide**: [`compile`] looks each regular
//!   expression up by its source in a bounded cache (128 entries, the oldest evicted first;
//!   operands over 1 KiB and failed compilations are not kept) and shares the compiled form,
//!   with its search cache, between every pattern using it. Building a regex costs about ten
//!   times what the rest of a typical pattern does, and indicators reuse a few expressions.
//!   Python's `re`, under `stix2-matcher`, caches the same way. [`validate`] compiles without
//!   the cache, so validating untrusted patterns does not evict the ones in use.
//! - **Matching takes `serde_json::Value`s**, not typed SCOs: patterns reach into custom
//!   properties and extensions that no typed model covers, and the values arrive as JSON anyway.
//! - **Semantics follow the specification as the OASIS `stix2-matcher` implements it**, so the
//!   two agree on the same inputs: comparisons joined by `AND` must hold for the same root
//!   object; observation operands bind distinct observations, each observation counting
//!   `number_observed` times; `WITHIN`, `START`/`STOP` and `FOLLOWEDBY` ask whether timestamps
//!   can be chosen inside each observation's `[first_observed, last_observed]` that satisfy
//!   them. Where it is unclear the choice is stated on the item that makes it.
#![deny(missing_docs)]

pub mod ast;
mod error;
mod lexer;
mod matcher;
mod observation;
mod parser;
mod regex_cache;
mod validate;
mod vocab;

pub use ast::{
    CompareOp, ComparisonExpr, Literal, Number, ObjectPath, ObservationExpr, PathStep, Pattern,
    PropTest, Qualifier, Span, TestOp,
};
pub use error::{CompileError, ObservationError, ParseError, ParseErrorKind, Position};
pub use matcher::{CompiledPattern, MAX_REPEATS, Match, SEARCH_STEP_LIMIT, SearchLimit, compile};
pub use observation::{Observation, Observations};
pub use parser::parse;
pub use validate::{Issue, Severity, validate, validate_str};

/// The deepest nesting of parentheses and brackets the parser accepts.
///
/// Real patterns nest a handful of levels; the bound keeps recursion far from the stack limit
/// whatever the input.
pub const MAX_NESTING: usize = 128;
