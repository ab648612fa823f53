//! The recursive-descent parser: tokens to [`Pattern`].
//!
//! One function per grammar rule of the crate-level BNF. The left-recursive ANTLR rules become
//! loops, which also makes the operators left-associative as the grammar's `<assoc=left>` says,
//! and keeps long `OR` chains from recursing. Recursion happens only through parentheses and
//! brackets, and is bounded by [`crate::MAX_NESTING`] so hostile input cannot exhaust the stack.

use crate::MAX_NESTING;
use crate::ast::{
    CompareOp, ComparisonExpr, Literal, Number, ObjectPath, ObservationExpr, PathStep, Pattern,
    PropTest, Qualifier, Span, TestOp,
};
use crate::error::{ParseError, ParseErrorKind, Position};
use crate::lexer::{Tok, Token, tokenize};

/// Parses a STIX 2.1 pattern.
///
/// ```
/// let p = entente_pattern::parse("[file:hashes.'SHA-256' = 'ab12'] WITHIN 60 SECONDS")?;
/// assert_eq!(p.to_string(), "[file:hashes.'SHA-256' = 'ab12'] WITHIN 60 SECONDS");
/// # Ok::<(), entente_pattern::ParseError>(())
/// ```
pub fn parse(text: &str) -> Result<Pattern, ParseError> {
    let tokens = tokenize(text).map_err(|(kind, offset)| ParseError {
        kind,
        position: Position::locate(text, offset),
    })?;
    let mut p = Parser {
        text,
        tokens,
        pos: 0,
        depth: 0,
    };
    let expr = p.observation_expressions()?;
    if p.peek() != &Tok::Eof {
        return Err(p.unexpected("`AND`, `OR`, `FOLLOWEDBY`, a qualifier or end of pattern"));
    }
    Ok(Pattern { expr })
}

struct Parser<'a> {
    text: &'a str,
    tokens: Vec<Token>,
    pos: usize,
    depth: usize,
}

impl Parser<'_> {
    fn peek(&self) -> &Tok {
        &self.tokens[self.pos].tok
    }

    fn peek_word(&self, word: &str) -> bool {
        matches!(self.peek(), Tok::Word(w) if w == word)
    }

    /// Consumes the current token. Its value is moved out (strings are not copied); its span
    /// stays for error positions. The final `Eof` is never consumed.
    fn bump(&mut self) -> Token {
        if self.pos + 1 < self.tokens.len() {
            let span = self.tokens[self.pos].span;
            let tok = std::mem::replace(&mut self.tokens[self.pos].tok, Tok::Eof);
            self.pos += 1;
            Token { tok, span }
        } else {
            self.tokens[self.pos].clone()
        }
    }

    fn error_at(&self, offset: usize, kind: ParseErrorKind) -> ParseError {
        ParseError {
            kind,
            position: Position::locate(self.text, offset),
        }
    }

    fn unexpected(&self, expected: &str) -> ParseError {
        let t = &self.tokens[self.pos];
        self.error_at(
            t.span.start,
            ParseErrorKind::Unexpected {
                found: t.tok.describe(),
                expected: expected.to_owned(),
            },
        )
    }

    fn expect(&mut self, tok: Tok, what: &str) -> Result<Token, ParseError> {
        if *self.peek() == tok {
            Ok(self.bump())
        } else {
            Err(self.unexpected(what))
        }
    }

    fn expect_word(&mut self, word: &str) -> Result<(), ParseError> {
        if self.peek_word(word) {
            self.bump();
            Ok(())
        } else {
            Err(self.unexpected(&format!("`{word}`")))
        }
    }

    fn enter(&mut self) -> Result<(), ParseError> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            let at = self.tokens[self.pos].span.start;
            return Err(self.error_at(at, ParseErrorKind::TooDeep));
        }
        Ok(())
    }

    /// `observationExpressions := observationExpressionOr (FOLLOWEDBY observationExpressionOr)*`
    fn observation_expressions(&mut self) -> Result<ObservationExpr, ParseError> {
        let first = self.observation_or()?;
        if !self.peek_word("FOLLOWEDBY") {
            return Ok(first);
        }
        let mut items = vec![first];
        while self.peek_word("FOLLOWEDBY") {
            self.bump();
            items.push(self.observation_or()?);
        }
        Ok(ObservationExpr::FollowedBy(items))
    }

    /// `observationExpressionOr := observationExpressionAnd (OR observationExpressionAnd)*`
    fn observation_or(&mut self) -> Result<ObservationExpr, ParseError> {
        let first = self.observation_and()?;
        if !self.peek_word("OR") {
            return Ok(first);
        }
        let mut items = vec![first];
        while self.peek_word("OR") {
            self.bump();
            items.push(self.observation_and()?);
        }
        Ok(ObservationExpr::Or(items))
    }

    /// `observationExpressionAnd := observationExpression (AND observationExpression)*`
    fn observation_and(&mut self) -> Result<ObservationExpr, ParseError> {
        let first = self.observation_expression()?;
        if !self.peek_word("AND") {
            return Ok(first);
        }
        let mut items = vec![first];
        while self.peek_word("AND") {
            self.bump();
            items.push(self.observation_expression()?);
        }
        Ok(ObservationExpr::And(items))
    }

    /// `observationExpression := ('[' comparisonExpression ']' | '(' observationExpressions ')')
    /// qualifier*`
    fn observation_expression(&mut self) -> Result<ObservationExpr, ParseError> {
        let mut expr = match self.peek() {
            Tok::LBrack => {
                self.enter()?;
                self.bump();
                let c = self.comparison_or()?;
                self.expect(Tok::RBrack, "`]`, `AND` or `OR`")?;
                self.depth -= 1;
                ObservationExpr::Comparison(c)
            }
            Tok::LParen => {
                self.enter()?;
                self.bump();
                let e = self.observation_expressions()?;
                self.expect(Tok::RParen, "`)`, `AND`, `OR`, `FOLLOWEDBY` or a qualifier")?;
                self.depth -= 1;
                e
            }
            _ => return Err(self.unexpected("`[` or `(`")),
        };
        while let Some(q) = self.qualifier()? {
            expr = ObservationExpr::Qualified(Box::new(expr), q);
        }
        Ok(expr)
    }

    /// `qualifier := WITHIN (IntPos | FloatPos) SECONDS | REPEATS IntPos TIMES
    /// | START Timestamp STOP Timestamp`
    fn qualifier(&mut self) -> Result<Option<Qualifier>, ParseError> {
        let Tok::Word(w) = self.peek() else {
            return Ok(None);
        };
        match w.as_str() {
            "WITHIN" => {
                self.bump();
                let n = match self.peek() {
                    Tok::Int {
                        value,
                        negative: false,
                    } => Number::Int(*value as u64),
                    Tok::Float {
                        value,
                        negative: false,
                    } => Number::Float(*value),
                    _ => return Err(self.unexpected("a non-negative number of seconds")),
                };
                self.bump();
                self.expect_word("SECONDS")?;
                Ok(Some(Qualifier::Within(n)))
            }
            "REPEATS" => {
                self.bump();
                let n = match self.peek() {
                    Tok::Int {
                        value,
                        negative: false,
                    } => *value as u64,
                    _ => return Err(self.unexpected("a non-negative integer")),
                };
                self.bump();
                self.expect_word("TIMES")?;
                Ok(Some(Qualifier::Repeats(n)))
            }
            "START" => {
                self.bump();
                let start = self.timestamp()?;
                self.expect_word("STOP")?;
                let stop = self.timestamp()?;
                Ok(Some(Qualifier::StartStop(start, stop)))
            }
            _ => Ok(None),
        }
    }

    fn timestamp(&mut self) -> Result<entente_stix::Timestamp, ParseError> {
        match self.peek() {
            Tok::Timestamp(t) => {
                let t = t.clone();
                self.bump();
                Ok(t)
            }
            _ => Err(self.unexpected("a timestamp literal t'...'")),
        }
    }

    /// `comparisonExpression := comparisonExpressionAnd (OR comparisonExpressionAnd)*`
    fn comparison_or(&mut self) -> Result<ComparisonExpr, ParseError> {
        let first = self.comparison_and()?;
        if !self.peek_word("OR") {
            return Ok(first);
        }
        let mut items = vec![first];
        while self.peek_word("OR") {
            self.bump();
            items.push(self.comparison_and()?);
        }
        Ok(ComparisonExpr::Or(items))
    }

    /// `comparisonExpressionAnd := propTest (AND propTest)*`
    fn comparison_and(&mut self) -> Result<ComparisonExpr, ParseError> {
        let first = self.prop_test()?;
        if !self.peek_word("AND") {
            return Ok(first);
        }
        let mut items = vec![first];
        while self.peek_word("AND") {
            self.bump();
            items.push(self.prop_test()?);
        }
        Ok(ComparisonExpr::And(items))
    }

    /// `propTest := '(' comparisonExpression ')' | NOT? EXISTS objectPath
    /// | objectPath NOT? operator operand`
    fn prop_test(&mut self) -> Result<ComparisonExpr, ParseError> {
        if *self.peek() == Tok::LParen {
            self.enter()?;
            self.bump();
            let c = self.comparison_or()?;
            self.expect(Tok::RParen, "`)`, `AND` or `OR`")?;
            self.depth -= 1;
            return Ok(c);
        }
        let not_exists = self.peek_word("NOT")
            && matches!(&self.tokens[self.pos + 1].tok, Tok::Word(w) if w == "EXISTS");
        if not_exists || self.peek_word("EXISTS") {
            if not_exists {
                self.bump();
            }
            self.bump();
            let path = self.object_path()?;
            return Ok(ComparisonExpr::Test(PropTest {
                path,
                negated: not_exists,
                op: TestOp::Exists,
            }));
        }
        let path = self.object_path()?;
        let negated = if self.peek_word("NOT") {
            self.bump();
            true
        } else {
            false
        };
        const OPERATORS: &str = "a comparison operator (=, !=, <, <=, >, >=, IN, LIKE, MATCHES, \
                                 ISSUBSET, ISSUPERSET)";
        let op = match self.peek() {
            &Tok::Op(op) => {
                self.bump();
                let lit = self.literal(matches!(op, CompareOp::Eq | CompareOp::Ne))?;
                TestOp::Compare(op, lit)
            }
            Tok::Word(w) => match w.as_str() {
                "IN" => {
                    self.bump();
                    TestOp::In(self.set_literal()?)
                }
                "LIKE" => {
                    self.bump();
                    TestOp::Like(self.string_literal()?)
                }
                "MATCHES" => {
                    self.bump();
                    TestOp::Matches(self.string_literal()?)
                }
                "ISSUBSET" => {
                    self.bump();
                    TestOp::IsSubset(self.string_literal()?)
                }
                "ISSUPERSET" => {
                    self.bump();
                    TestOp::IsSuperset(self.string_literal()?)
                }
                _ if negated => return Err(self.unexpected(OPERATORS)),
                _ => return Err(self.unexpected(&format!("`NOT` or {OPERATORS}"))),
            },
            _ if negated => return Err(self.unexpected(OPERATORS)),
            _ => return Err(self.unexpected(&format!("`NOT` or {OPERATORS}"))),
        };
        Ok(ComparisonExpr::Test(PropTest { path, negated, op }))
    }

    fn string_literal(&mut self) -> Result<String, ParseError> {
        match self.peek() {
            Tok::Str(_) => match self.bump().tok {
                Tok::Str(s) => Ok(s),
                _ => unreachable!("peeked a string"),
            },
            _ => Err(self.unexpected("a string literal")),
        }
    }

    /// `primitiveLiteral` when `allow_bool`, else `orderableLiteral`.
    fn literal(&mut self, allow_bool: bool) -> Result<Literal, ParseError> {
        match self.peek() {
            Tok::Int { .. }
            | Tok::Float { .. }
            | Tok::Str(_)
            | Tok::Binary(_)
            | Tok::Hex(_)
            | Tok::Timestamp(_) => {}
            Tok::Word(w) if allow_bool && (w == "true" || w == "false") => {}
            _ if allow_bool => return Err(self.unexpected("a literal")),
            _ => {
                return Err(self.unexpected(
                    "an orderable literal (integer, float, string, binary, hex or timestamp)",
                ));
            }
        }
        Ok(match self.bump().tok {
            Tok::Int { value, .. } => Literal::Int(value),
            Tok::Float { value, .. } => Literal::Float(value),
            Tok::Str(s) => Literal::Str(s),
            Tok::Binary(b) => Literal::Binary(b),
            Tok::Hex(b) => Literal::Hex(b),
            Tok::Timestamp(t) => Literal::Timestamp(t),
            Tok::Word(w) => Literal::Bool(w == "true"),
            _ => unreachable!("peeked a literal"),
        })
    }

    /// `setLiteral := '(' ')' | '(' primitiveLiteral (',' primitiveLiteral)* ')'`
    fn set_literal(&mut self) -> Result<Vec<Literal>, ParseError> {
        self.expect(Tok::LParen, "`(` opening a set of literals")?;
        let mut items = Vec::new();
        if *self.peek() == Tok::RParen {
            self.bump();
            return Ok(items);
        }
        loop {
            items.push(self.literal(true)?);
            match self.peek() {
                Tok::Comma => {
                    self.bump();
                }
                Tok::RParen => {
                    self.bump();
                    return Ok(items);
                }
                _ => return Err(self.unexpected("`,` or `)`")),
            }
        }
    }

    /// `objectPath := objectType ':' firstPathComponent objectPathComponent*`
    fn object_path(&mut self) -> Result<ObjectPath, ParseError> {
        let start = self.tokens[self.pos].span.start;
        let object_type = match self.peek() {
            Tok::Word(w) if !is_reserved(w) => match self.bump().tok {
                Tok::Word(w) => w,
                _ => unreachable!("peeked a word"),
            },
            _ => return Err(self.unexpected("an object path (`type:property`)")),
        };
        self.expect(Tok::Colon, "`:` after the object type")?;
        let mut steps = vec![PathStep::Key(self.path_component()?)];
        let mut end = self.tokens[self.pos - 1].span.end;
        loop {
            match self.peek() {
                Tok::Dot => {
                    self.bump();
                    steps.push(PathStep::Key(self.path_component()?));
                }
                Tok::LBrack => {
                    self.bump();
                    let step = match self.peek() {
                        Tok::Int { value, .. } => PathStep::Index(*value),
                        Tok::Star => PathStep::AnyIndex,
                        _ => return Err(self.unexpected("a list index or `*`")),
                    };
                    self.bump();
                    self.expect(Tok::RBrack, "`]` closing the list index")?;
                    steps.push(step);
                }
                _ => break,
            }
            end = self.tokens[self.pos - 1].span.end;
        }
        Ok(ObjectPath {
            object_type,
            steps,
            span: Span { start, end },
        })
    }

    /// A property name: `IdentifierWithoutHyphen | StringLiteral`.
    fn path_component(&mut self) -> Result<String, ParseError> {
        const WHAT: &str =
            "a property name (keywords and names with `-` must be quoted: 'name-with-hyphen')";
        match self.peek() {
            Tok::Word(w) if !w.contains('-') && !is_reserved(w) => {}
            Tok::Str(_) => {}
            _ => return Err(self.unexpected(WHAT)),
        }
        match self.bump().tok {
            Tok::Word(name) | Tok::Str(name) => Ok(name),
            _ => unreachable!("peeked a word or string"),
        }
    }
}

/// Words the grammar's lexer makes keywords: they cannot stand bare as an object type or a
/// property name (quoted, a property name may be anything).
fn is_reserved(w: &str) -> bool {
    crate::ast::KEYWORDS.contains(&w)
}
