//! Parser tests: every grammar rule and every error kind, with snapshots of the trees and
//! messages (`cargo insta review` after a deliberate change).

use entente_pattern::{
    CompareOp, ComparisonExpr, Literal, ObservationExpr, ParseErrorKind, PathStep, Qualifier,
    TestOp, parse,
};

/// The canonical print and the tree of each input, for a snapshot.
fn trees(inputs: &[&str]) -> String {
    let mut out = String::new();
    for text in inputs {
        let p = parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        let printed = p.to_string();
        assert_eq!(parse(&printed).unwrap(), p, "reprint of {text}");
        out.push_str(&format!("{text}\n=> {printed}\n{:#?}\n\n", p.expr));
    }
    out
}

/// The error message of each input, for a snapshot.
const FLOAT_OUT_OF_RANGE: &str = "[file:a = 1000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000.0]";

fn errors(inputs: &[&str]) -> String {
    let mut out = String::new();
    for text in inputs {
        let e = parse(text).expect_err(text);
        out.push_str(&format!("{text}\n=> {e}\n\n"));
    }
    out
}

fn single_test(text: &str) -> entente_pattern::PropTest {
    match parse(text).unwrap().expr {
        ObservationExpr::Comparison(ComparisonExpr::Test(t)) => t,
        other => panic!("not a single test: {other:?}"),
    }
}

#[test]
fn observation_operators() {
    insta::assert_snapshot!(trees(&[
        "[a:b = 1] AND [c:d = 2]",
        "[a:b = 1] OR [c:d = 2] OR [e:f = 3]",
        "[a:b = 1] FOLLOWEDBY [c:d = 2]",
        "([a:b = 1] OR [c:d = 2]) AND [e:f = 3]",
        "([a:b = 1] AND [c:d = 2]) AND [e:f = 3]",
    ]));
}

#[test]
fn observation_precedence_follows_the_grammar() {
    // AND binds tighter than OR, which binds tighter than FOLLOWEDBY.
    let p = parse("[a:x = 1] FOLLOWEDBY [a:x = 2] OR [a:x = 3] AND [a:x = 4]").unwrap();
    let ObservationExpr::FollowedBy(items) = &p.expr else {
        panic!("{p:?}")
    };
    assert_eq!(items.len(), 2);
    let ObservationExpr::Or(or) = &items[1] else {
        panic!("{p:?}")
    };
    assert!(matches!(or[1], ObservationExpr::And(_)));
    assert_eq!(
        p.to_string(),
        "[a:x = 1] FOLLOWEDBY [a:x = 2] OR [a:x = 3] AND [a:x = 4]"
    );
}

#[test]
fn comparison_precedence_follows_the_grammar() {
    let p = parse("[a:x = 1 OR a:y = 2 AND a:z = 3]").unwrap();
    let ObservationExpr::Comparison(ComparisonExpr::Or(items)) = &p.expr else {
        panic!("{p:?}")
    };
    assert!(matches!(items[1], ComparisonExpr::And(_)));
    let p = parse("[(a:x = 1 OR a:y = 2) AND a:z = 3]").unwrap();
    assert!(matches!(
        p.expr,
        ObservationExpr::Comparison(ComparisonExpr::And(_))
    ));
    assert_eq!(p.to_string(), "[(a:x = 1 OR a:y = 2) AND a:z = 3]");
}

#[test]
fn comparison_expressions() {
    insta::assert_snapshot!(trees(&[
        "[file:name = 'a' AND file:size > 10]",
        "[file:name = 'a' OR file:name = 'b' AND file:size < 3]",
        "[(file:name = 'a' OR file:name = 'b') AND file:size < 3]",
        "[((file:name = 'a'))]",
    ]));
}

#[test]
fn every_operator() {
    insta::assert_snapshot!(trees(&[
        "[x:a = 1]",
        "[x:a == 1]",
        "[x:a != 1]",
        "[x:a <> 1]",
        "[x:a < 1]",
        "[x:a <= 1]",
        "[x:a > 1]",
        "[x:a >= 1]",
        "[x:a IN ('a', 2, true)]",
        "[x:a IN ()]",
        "[x:a LIKE 'a%b_']",
        "[x:a MATCHES '^a+$']",
        "[x:a ISSUBSET '10.0.0.0/8']",
        "[x:a ISSUPERSET '10.1.2.3']",
        "[EXISTS x:a]",
        "[NOT EXISTS x:a]",
        "[x:a NOT = 1]",
        "[x:a NOT IN (1, 2)]",
        "[x:a NOT LIKE 'x%']",
        "[x:a NOT MATCHES 'y']",
        "[x:a NOT ISSUBSET '::1/128']",
        "[x:a NOT ISSUPERSET '10.0.0.1']",
        "[x:a NOT > 5]",
    ]));
}

#[test]
fn operators_map_to_the_tree() {
    for (text, op) in [
        ("[x:a = 1]", CompareOp::Eq),
        ("[x:a == 1]", CompareOp::Eq),
        ("[x:a != 1]", CompareOp::Ne),
        ("[x:a <> 1]", CompareOp::Ne),
        ("[x:a < 1]", CompareOp::Lt),
        ("[x:a <= 1]", CompareOp::Le),
        ("[x:a > 1]", CompareOp::Gt),
        ("[x:a >= 1]", CompareOp::Ge),
    ] {
        assert_eq!(
            single_test(text).op,
            TestOp::Compare(op, Literal::Int(1)),
            "{text}"
        );
    }
    let t = single_test("[x:a NOT LIKE 'q']");
    assert!(t.negated);
    assert_eq!(t.op, TestOp::Like("q".into()));
    assert_eq!(single_test("[EXISTS x:a]").op, TestOp::Exists);
    let t = single_test("[NOT EXISTS x:a]");
    assert!(t.negated);
    assert_eq!(t.op, TestOp::Exists);
}

#[test]
fn object_paths() {
    insta::assert_snapshot!(trees(&[
        "[file:hashes.'SHA-256' = 'ab']",
        "[file:hashes.MD5 = 'ab']",
        "[email-message:to_refs[*].value = 'a@b.c']",
        "[email-message:to_refs[0].value = 'a@b.c']",
        "[x-custom:list[-1] = 1]",
        "[file:extensions.'windows-pebinary-ext'.sections[*].entropy > 7.0]",
        "[x:'quoted first'.'it\\'s' = 1]",
        "[x:'AND'.'true' = 1]",
        "[windows-registry-key:values[*].'name with space' = 'v']",
    ]));
    let t = single_test("[email-message:body_multipart[2].body_raw_ref.name = 'a']");
    assert_eq!(t.path.object_type, "email-message");
    assert_eq!(
        t.path.steps,
        vec![
            PathStep::Key("body_multipart".into()),
            PathStep::Index(2),
            PathStep::Key("body_raw_ref".into()),
            PathStep::Key("name".into()),
        ]
    );
    assert_eq!(t.path.span.start, 1);
    assert_eq!(t.path.span.end, 50);
}

#[test]
fn literals() {
    insta::assert_snapshot!(trees(&[
        "[x:a = 0]",
        "[x:a = +42]",
        "[x:a = -42]",
        "[x:a = -0]",
        "[x:a = 9223372036854775807]",
        "[x:a = -9223372036854775808]",
        "[x:a = 1.5]",
        "[x:a = .5]",
        "[x:a = -.25]",
        "[x:a = +007.5]",
        "[x:a = 3.0]",
        "[x:a = 'it\\'s a \\\\ path']",
        "[x:a = '']",
        "[x:a = 'multi\nline']",
        "[x:a = 'ünïcödé ✓']",
        "[x:a = true]",
        "[x:a = false]",
        "[x:a = b'AAEC']",
        "[x:a = b'AAE=']",
        "[x:a = b'AA==']",
        "[x:a = h'00ff10']",
        "[x:a = h'ABcd']",
        "[x:a = h'']",
        "[x:a = t'2016-02-29T23:59:59Z']",
        "[x:a = t'2026-01-02T03:04:05.123456789Z']",
    ]));
    assert_eq!(
        single_test("[x:a = 'it\\'s \\\\']").op,
        TestOp::Compare(CompareOp::Eq, Literal::Str("it's \\".into()))
    );
    assert_eq!(
        single_test("[x:a = h'00ff']").op,
        TestOp::Compare(CompareOp::Eq, Literal::Hex(vec![0, 255]))
    );
    assert_eq!(
        single_test("[x:a = b'AAE=']").op,
        TestOp::Compare(CompareOp::Eq, Literal::Binary(vec![0, 1]))
    );
}

#[test]
fn qualifiers() {
    insta::assert_snapshot!(trees(&[
        "[x:a = 1] WITHIN 5 SECONDS",
        "[x:a = 1] WITHIN 2.5 SECONDS",
        "[x:a = 1] REPEATS 3 TIMES",
        "[x:a = 1] START t'2016-01-01T00:00:00Z' STOP t'2016-01-02T00:00:00Z'",
        "[x:a = 1] REPEATS 2 TIMES WITHIN 10 SECONDS",
        "([x:a = 1] AND [x:b = 2]) WITHIN 10 SECONDS",
        "[x:a = 1] AND [x:b = 2] WITHIN 10 SECONDS",
        "([x:a = 1] FOLLOWEDBY [x:b = 2]) REPEATS 2 TIMES",
    ]));
    // A qualifier binds to the observation expression just before it.
    let p = parse("[x:a = 1] AND [x:b = 2] WITHIN 10 SECONDS").unwrap();
    let ObservationExpr::And(items) = &p.expr else {
        panic!()
    };
    assert!(matches!(
        items[1],
        ObservationExpr::Qualified(_, Qualifier::Within(_))
    ));
}

#[test]
fn white_space_and_comments() {
    let a =
        parse("[ file:name\t=\n'x' ] /* block\n comment */ AND // line\n [file:size>1]").unwrap();
    let b = parse("[file:name = 'x'] AND [file:size > 1]").unwrap();
    assert_eq!(a, b);
}

#[test]
fn long_or_chains_do_not_recurse() {
    let text = format!(
        "[{}]",
        (0..20_000)
            .map(|i| format!("file:hashes.MD5 = '{i:032x}'"))
            .collect::<Vec<_>>()
            .join(" OR ")
    );
    let p = parse(&text).unwrap();
    assert_eq!(parse(&p.to_string()).unwrap(), p);
}

#[test]
fn error_kinds() {
    insta::assert_snapshot!(errors(&[
        // Unexpected token, each expectation of the grammar.
        "",
        "file:name = 'a'",
        "[file:name = 'a'",
        "[file:name = 'a'] [file:name = 'b']",
        "[file:name = 'a'] AND",
        "[file:name 'a']",
        "[file:name NOT]",
        "[file name = 'a']",
        "[file: = 'a']",
        "[file:extensions.windows-pebinary-ext.x = 1]",
        "[file:a[x] = 1]",
        "[file:a[1 = 1]",
        "[file:a = ]",
        "[file:a < true]",
        "[file:a IN 'x']",
        "[file:a IN ('x' 'y')]",
        "[file:a LIKE 5]",
        "[AND:a = 1]",
        "[x:true = 1]",
        "[x:a.OR = 1]",
        "[file:a = 1] WITHIN SECONDS",
        "[file:a = 1] WITHIN -5 SECONDS",
        "[file:a = 1] WITHIN 5",
        "[file:a = 1] REPEATS 2.5 TIMES",
        "[file:a = 1] REPEATS 2",
        "[file:a = 1] START '2016-01-01T00:00:00Z' STOP t'2016-01-01T00:00:00Z'",
        "[file:a = 1] START t'2016-01-01T00:00:00Z'",
        "([file:a = 1]",
        "[(file:a = 1]",
        "[file:a = 1] and [file:b = 2]",
        // Lexical errors.
        "[file:a = 'unterminated]",
        "[file:a = 'bad \\n escape']",
        "[file:a = 1] /* unterminated",
        "[file:a = 1] ;",
        "[file:a = 1] !",
        "[file:a = 007]",
        "[file:a = 99999999999999999999]",
        "[file:a = 1e400]",
        FLOAT_OUT_OF_RANGE,
        "[file:a = t'2016-02-30T00:00:00Z']",
        "[file:a = t'2016-01-01 00:00:00Z']",
        "[file:a = t'2016-01-01T00:00:00+01:00']",
        "[file:a = b'AAE']",
        "[file:a = b'']",
        "[file:a = b'A=A=']",
        "[file:a = h'abc']",
        "[file:a = h'zz']",
        "[file:a = 'x']\n  AND [file:b = ]",
    ]));
}

#[test]
fn errors_carry_position_and_expectation() {
    let e = parse("[file:name = 'a']\nAND [file:size 5]").unwrap_err();
    assert_eq!(e.position.offset, 33);
    assert_eq!(e.position.line, 2);
    assert_eq!(e.position.column, 16);
    match e.kind {
        ParseErrorKind::Unexpected { found, expected } => {
            assert_eq!(found, "integer literal");
            assert!(expected.contains("comparison operator"), "{expected}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn nesting_is_bounded() {
    let deep = format!("{}[x:a = 1]{}", "(".repeat(100_000), ")".repeat(100_000));
    let e = parse(&deep).unwrap_err();
    assert_eq!(e.kind, ParseErrorKind::TooDeep);
    let deep = format!("[{}x:a = 1{}]", "(".repeat(100_000), ")".repeat(100_000));
    assert_eq!(parse(&deep).unwrap_err().kind, ParseErrorKind::TooDeep);
    let ok = format!("{}[x:a = 1]{}", "(".repeat(100), ")".repeat(100));
    assert!(parse(&ok).is_ok());
}
