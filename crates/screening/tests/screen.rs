//! Behaviour of `Screener::screen` on the real 2026 UN list: what alerts, what does not, and what
//! the explanation says.

use std::sync::OnceLock;

use entente_screening::{
    DEFAULT_THRESHOLD, EntryKind, ListVersion, MatchRule, Query, ScreenOptions, Screener,
    import_un_xml,
};

fn list() -> &'static ListVersion {
    static LIST: OnceLock<ListVersion> = OnceLock::new();
    LIST.get_or_init(|| {
        let p = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/data/sanctions/un_consolidated_2026-02-27.xml");
        import_un_xml(
            std::io::BufReader::new(std::fs::File::open(p).unwrap()),
            None,
        )
        .unwrap()
    })
}

fn screener() -> &'static Screener {
    static S: OnceLock<Screener> = OnceLock::new();
    S.get_or_init(|| Screener::from_list(list()))
}

fn top(name: &str) -> Option<entente_screening::Match> {
    screener().screen_name(name).into_iter().next()
}

fn reference_of(name: &str) -> Option<String> {
    top(name).and_then(|m| m.reference)
}

#[test]
fn listed_names_under_variant_spellings() {
    let exact = reference_of("SADDAM HUSSEIN AL-TIKRITI").unwrap();
    for v in [
        "Saddam Hussein al-Tikriti",
        "Saddam Houssein el-Tikriti",
        "AL-TIKRITI, SADDAM HUSSEIN",
        "Saddam Hussein Altikriti",
        "Sadam Husein Tikriti",
        "صدام حسين التكريتي",
    ] {
        assert_eq!(reference_of(v).as_deref(), Some(exact.as_str()), "{v}");
    }
}

#[test]
fn arabic_script_query_with_orthographic_variants() {
    // hamza dropped, harakat added, tatweel, ta marbuta as ha
    let original = "صدام حسين التكريتي";
    let variant = "صَدّام حسـين التكريتى";
    assert_eq!(
        top(original).map(|m| m.entry_id),
        top(variant).map(|m| m.entry_id)
    );
}

#[test]
fn a_common_given_name_alone_does_not_alert() {
    for q in [
        "Mohammed Schultz",
        "Muhammad Henriksen",
        "Abdullah Williams",
        "Ali Lopez",
    ] {
        let m = screener().screen_name(q);
        assert!(
            m.is_empty(),
            "{q}: {:?}",
            m.first().map(|m| &m.matched_name)
        );
    }
    let scores = screener().screen_with_threshold(&Query::name("Mohammed Schultz"), 0.0);
    assert!(scores.iter().all(|m| m.score <= 0.6 + 1e-6));
}

#[test]
fn explanation_tells_alignments_rules_and_evidence() {
    let m = top("Saddam Houssein el-Tikriti").unwrap();
    assert!(m.score >= DEFAULT_THRESHOLD && m.score <= 1.0);
    assert_eq!(m.list.as_str(), "un");
    assert_eq!(m.list_version, "2026-02-27");
    assert!(m.reference.is_some());
    assert_eq!(m.explanation.alignments.len(), 3);
    assert!(m.explanation.unmatched_query_tokens.is_empty());
    let json = serde_json::to_value(&m).unwrap();
    assert!(json["explanation"]["alignments"].is_array());
    assert!(json["explanation"]["alignments"][0]["rule"].is_string());
    let rules: Vec<MatchRule> = m.explanation.alignments.iter().map(|a| a.rule).collect();
    assert!(rules.contains(&MatchRule::Phonetic) || rules.contains(&MatchRule::Exact));
    // evidence: a birth year far from the listed one lowers the score, a matching one raises it
    let entry = list().entry(&m.entry_id).unwrap();
    let (y, _) = entry.birth_dates[0].year_range().unwrap();
    let base = Query::name("SADDAM HUSSEIN AL-TIKRITI");
    let s0 = screener().screen_with_threshold(&base, 0.0)[0].score;
    let with = |year: i32| {
        let q = Query {
            birth_date: Some(year.to_string()),
            ..base.clone()
        };
        screener()
            .screen_with_threshold(&q, 0.0)
            .into_iter()
            .find(|x| x.entry_id == entry.id)
            .unwrap()
    };
    let agree = with(y);
    let differ = with(y + 20);
    assert!(agree.score >= s0 - 1e-6);
    assert!(differ.score < s0);
    assert!(
        differ
            .explanation
            .adjustments
            .iter()
            .any(|a| a.rule == "birth year differs" && a.delta < 0.0)
    );
}

#[test]
fn kind_filter_and_low_quality_aliases() {
    let q = Query {
        name: "SADDAM HUSSEIN AL-TIKRITI".into(),
        kind: Some(EntryKind::Entity),
        ..Query::default()
    };
    assert!(screener().screen(&q).is_empty());
    // a low-quality alias alone weighs less than the same name as a good alias
    let low = list()
        .entries
        .iter()
        .flat_map(|e| e.names.iter().map(move |n| (e, n)))
        .find(|(_, n)| {
            n.quality == entente_screening::NameQuality::Low && n.text.split(' ').count() >= 2
        })
        .unwrap();
    let m = screener()
        .screen_with_threshold(&Query::name(low.1.text.clone()), 0.0)
        .into_iter()
        .find(|m| m.entry_id == low.0.id)
        .unwrap();
    assert!(m.score < 1.0);
    assert!(
        m.explanation
            .adjustments
            .iter()
            .any(|a| a.rule == "low-quality alias")
    );
}

#[test]
fn small_lists_are_scored_whole_and_batches_keep_order() {
    let mut small = list().clone();
    small.entries.truncate(20);
    let s = Screener::new([&small], ScreenOptions::default());
    assert!(s.name_count() < ScreenOptions::default().full_scan_below);
    let names: Vec<Query> = small
        .entries
        .iter()
        .map(|e| Query::name(e.primary_name()))
        .collect();
    let out = s.screen_batch(&names);
    assert_eq!(out.len(), names.len());
    for (e, r) in small.entries.iter().zip(&out) {
        assert_eq!(r[0].entry_id, e.id, "{}", e.primary_name());
    }
}

#[test]
fn the_index_is_shared_across_threads() {
    fn shared<T: Send + Sync>() {}
    shared::<Screener>();
    let lists: Vec<_> = screener()
        .lists()
        .map(|(l, v)| (l.to_string(), v.to_owned()))
        .collect();
    assert_eq!(lists, [("un".to_owned(), "2026-02-27".to_owned())]);
}

#[test]
fn confidence_is_monotone_and_bounded() {
    let mut last = -1.0f32;
    for i in 0..=100 {
        let c = entente_screening::confidence(i as f32 / 100.0);
        assert!((0.0..=1.0).contains(&c));
        assert!(c >= last);
        last = c;
    }
    let m = top("SADDAM HUSSEIN AL-TIKRITI").unwrap();
    assert!(m.confidence > 0.95);
}

#[test]
fn names_written_together_or_apart_in_a_large_index() {
    let csv = "id,kind,name,legal_reference\n\
               N-1,individual,Karim Benali Oussedik,Décret 2024-12\n\
               N-2,individual,Yacine Ben Laden,Décret 2024-13\n";
    let national = entente_screening::import_national_csv(
        csv.as_bytes(),
        entente_screening::ListId::from("national-fr"),
        "2024-03-04",
    )
    .unwrap();
    // large enough that candidates come from the index, not from a full scan
    let s = Screener::new([list(), &national], ScreenOptions::default());
    assert!(s.name_count() > ScreenOptions::default().full_scan_below);
    let m = s.screen_name("Karim Ben Ali Oussedik");
    assert_eq!(m.first().map(|m| m.entry_id.as_str()), Some("N-1"));
    assert!(
        m[0].explanation
            .alignments
            .iter()
            .any(|a| a.rule == MatchRule::Concatenated)
    );
    let m = s.screen_name("Yacine Benladen");
    assert_eq!(m.first().map(|m| m.entry_id.as_str()), Some("N-2"));
    assert_eq!(m[0].list.as_str(), "national-fr");
}

mod arbitrary_input {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Any text, in any script and of any shape, screens without panicking and yields
        /// scores within [0, 1], best first.
        #[test]
        fn screening_never_panics_and_scores_are_bounded(name in "\\PC{0,80}") {
            let m = screener().screen_with_threshold(&Query::name(name), 0.0);
            for w in m.windows(2) {
                prop_assert!(w[0].score >= w[1].score);
            }
            for x in &m {
                prop_assert!((0.0..=1.0).contains(&x.score));
                prop_assert!((0.0..=1.0).contains(&x.confidence));
            }
        }
    }

    #[test]
    fn a_very_long_token_is_cheap() {
        let long = "a".repeat(5000) + " " + &"b".repeat(5000);
        let t = std::time::Instant::now();
        let _ = screener().screen_name(&long);
        assert!(t.elapsed() < std::time::Duration::from_secs(5));
    }
}
