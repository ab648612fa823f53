//! Property test: any tree prints to text that parses back to the same tree.

use entente_pattern::{
    CompareOp, ComparisonExpr, Literal, Number, ObjectPath, ObservationExpr, PathStep, Pattern,
    PropTest, Qualifier, TestOp, parse,
};
use entente_stix::Timestamp;
use proptest::prelude::*;

fn timestamp() -> impl Strategy<Value = Timestamp> {
    (
        1970u32..2200,
        1u32..=12,
        1u32..=28,
        0u32..24,
        0u32..60,
        0u32..60,
        proptest::option::of("[0-9]{1,9}"),
    )
        .prop_map(|(y, mo, d, h, mi, s, frac)| {
            let frac = frac.map(|f| format!(".{f}")).unwrap_or_default();
            format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}{frac}Z")
                .parse()
                .expect("valid by construction")
        })
}

fn literal() -> impl Strategy<Value = Literal> {
    prop_oneof![
        any::<i64>().prop_map(Literal::Int),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Literal::Float),
        any::<String>().prop_map(Literal::Str),
        any::<bool>().prop_map(Literal::Bool),
        proptest::collection::vec(any::<u8>(), 1..20).prop_map(Literal::Binary),
        proptest::collection::vec(any::<u8>(), 0..20).prop_map(Literal::Hex),
        timestamp().prop_map(Literal::Timestamp),
    ]
}

fn object_type() -> impl Strategy<Value = String> {
    "[a-zA-Z_][a-zA-Z0-9_-]{0,12}".prop_filter("not a keyword", |s| {
        ![
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
        ]
        .contains(&s.as_str())
    })
}

fn path() -> impl Strategy<Value = ObjectPath> {
    let step = prop_oneof![
        any::<String>().prop_map(PathStep::Key),
        "[a-z_]{1,8}".prop_map(PathStep::Key),
        any::<i64>().prop_map(PathStep::Index),
        Just(PathStep::AnyIndex),
    ];
    (
        object_type(),
        prop_oneof![any::<String>(), "[a-z_]{1,10}"],
        proptest::collection::vec(step, 0..4),
    )
        .prop_map(|(t, first, rest)| {
            let mut steps = vec![PathStep::Key(first)];
            steps.extend(rest);
            ObjectPath::new(t, steps)
        })
}

fn prop_test() -> impl Strategy<Value = PropTest> {
    let compare_op = prop_oneof![
        Just(CompareOp::Eq),
        Just(CompareOp::Ne),
        Just(CompareOp::Lt),
        Just(CompareOp::Le),
        Just(CompareOp::Gt),
        Just(CompareOp::Ge),
    ];
    let op = prop_oneof![
        (compare_op, literal())
            .prop_filter("orderable operators take no booleans", |(op, lit)| {
                matches!(op, CompareOp::Eq | CompareOp::Ne) || !matches!(lit, Literal::Bool(_))
            })
            .prop_map(|(op, lit)| TestOp::Compare(op, lit)),
        proptest::collection::vec(literal(), 0..4).prop_map(TestOp::In),
        any::<String>().prop_map(TestOp::Like),
        any::<String>().prop_map(TestOp::Matches),
        any::<String>().prop_map(TestOp::IsSubset),
        any::<String>().prop_map(TestOp::IsSuperset),
        Just(TestOp::Exists),
    ];
    (path(), any::<bool>(), op).prop_map(|(path, negated, op)| PropTest { negated, path, op })
}

fn comparison() -> impl Strategy<Value = ComparisonExpr> {
    prop_test()
        .prop_map(ComparisonExpr::Test)
        .prop_recursive(4, 24, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 2..4).prop_map(ComparisonExpr::And),
                proptest::collection::vec(inner, 2..4).prop_map(ComparisonExpr::Or),
            ]
        })
}

fn qualifier() -> impl Strategy<Value = Qualifier> {
    prop_oneof![
        (0u64..i64::MAX as u64).prop_map(|n| Qualifier::Within(Number::Int(n))),
        (0f64..1e12).prop_map(|f| Qualifier::Within(Number::Float(f))),
        (0u64..i64::MAX as u64).prop_map(Qualifier::Repeats),
        (timestamp(), timestamp()).prop_map(|(a, b)| Qualifier::StartStop(a, b)),
    ]
}

fn observation() -> impl Strategy<Value = ObservationExpr> {
    comparison()
        .prop_map(ObservationExpr::Comparison)
        .prop_recursive(4, 24, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 2..4).prop_map(ObservationExpr::And),
                proptest::collection::vec(inner.clone(), 2..4).prop_map(ObservationExpr::Or),
                proptest::collection::vec(inner.clone(), 2..4)
                    .prop_map(ObservationExpr::FollowedBy),
                (inner, qualifier()).prop_map(|(e, q)| ObservationExpr::Qualified(Box::new(e), q)),
            ]
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn print_then_parse_gives_the_same_tree(expr in observation()) {
        let pattern = Pattern { expr };
        let text = pattern.to_string();
        let parsed = parse(&text).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        prop_assert_eq!(&parsed, &pattern, "{}", text);
        prop_assert_eq!(parsed.to_string(), text);
    }

    #[test]
    fn arbitrary_text_never_panics(text in any::<String>()) {
        let _ = parse(&text);
    }

    #[test]
    fn near_miss_text_never_panics(
        text in "[\\[\\]() a-z:.'=<>!*0-9,-]{0,60}( AND | OR | FOLLOWEDBY | WITHIN 5 SECONDS)?[\\[\\]() a-z:.'=0-9]{0,30}"
    ) {
        if let Ok(p) = parse(&text) {
            prop_assert_eq!(parse(&p.to_string()).unwrap(), p);
        }
    }
}
