//! The project's screening evaluation set, its baseline and its metrics.
//!
//! Everything here is deterministic: the generator draws from a SplitMix64 stream with a fixed
//! seed, so the same list file always yields the same set.
//!
//! Positives (from every record of the 2026 UN list), labelled by variant type:
//!
//! | type | how it is made |
//! |---|---|
//! | `exact` | the primary name as listed |
//! | `translit` | one or two English/French romanisation swaps (Muhammad/Mohamed, sh/ch, j/dj, u/ou, kh/k, q/k, e/a, ...) |
//! | `arabic_script` | `NAME_ORIGINAL_SCRIPT` with orthographic perturbations (hamza, ta marbuta, alif maqsura, tatweel, harakat, spacing of عبد ال) |
//! | `dropped_middle` | one middle name removed (names of three or more words) |
//! | `swapped` | `LAST, FIRST MIDDLE` or reversed order |
//! | `typo` | one edit (substitution, deletion, insertion, transposition) in a word of five or more letters |
//! | `alias` | a good-quality alias (Good, a.k.a., f.k.a.) |
//! | `alias_low` | a low-quality alias |
//! | `article` | `al-` turned into `el-`, `al `, glued (`Alzarqawi`) or dropped |
//! | `compound` | compounds joined or split (`Abd al-Rahman` / `Abdulrahman`, `Abu Bakr` / `Abubakr`, `Nasr al-Din` / `Nasruddin`) |
//! | `yente_treated` | OpenSanctions' treated UN persons (typos, reshuffles) from `yente_screening_fixtures` |
//!
//! Negatives: common given names of the list combined with family names that appear nowhere on it
//! (`neg_common_given`), and the synthetic persons of `negatives_global.csv` (many cultures and
//! scripts) and `negatives_us.csv`.

#![allow(dead_code)]

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

use entente_screening::text::fold_joined;
use entente_screening::{Entry, EntryKind, ListVersion, NameQuality, bounded_osa};

pub(crate) fn data(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/sanctions")
        .join(rel)
}

pub(crate) fn un_2026() -> ListVersion {
    let f = std::fs::File::open(data("un_consolidated_2026-02-27.xml")).expect("UN list");
    entente_screening::import_un_xml(std::io::BufReader::new(f), None).expect("imports")
}

/// SplitMix64.
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        Rng(seed)
    }
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    pub(crate) fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[self.below(v.len())]
    }
    pub(crate) fn chance(&mut self, p: f64) -> bool {
        (self.next() as f64 / u64::MAX as f64) < p
    }
}

/// One labelled query.
#[derive(Debug, Clone)]
pub(crate) struct Case {
    pub(crate) query: String,
    pub(crate) variant: &'static str,
    /// Entry ids that are a correct alert (empty for negatives).
    pub(crate) expected: Vec<String>,
}

impl Case {
    pub(crate) fn is_negative(&self) -> bool {
        self.expected.is_empty()
    }
}

fn title(w: &str) -> String {
    let mut c = w.chars();
    match c.next() {
        Some(f) => f
            .to_uppercase()
            .chain(c.flat_map(|x| x.to_lowercase()))
            .collect(),
        None => String::new(),
    }
}

fn words(s: &str) -> Vec<String> {
    s.split_whitespace().map(str::to_owned).collect()
}

const WORD_SWAPS: &[(&str, &[&str])] = &[
    ("muhammad", &["mohammed", "mohamed", "mouhamed", "mohamad"]),
    ("mohammad", &["muhammad", "mohamed", "mouhammad"]),
    ("mohammed", &["muhammad", "mohamed"]),
    ("mohamed", &["muhammad", "mohammed", "mouhamed"]),
    ("ahmad", &["ahmed"]),
    ("ahmed", &["ahmad"]),
    ("abu", &["abou"]),
    ("abdul", &["abdel", "abdoul"]),
    ("abdel", &["abdul"]),
    ("bin", &["ben", "ibn"]),
    ("ibn", &["bin", "ben"]),
    ("yusuf", &["youssef", "yousouf"]),
    ("yousef", &["youssef", "yusuf"]),
    ("usama", &["oussama", "osama"]),
    ("osama", &["usama", "oussama"]),
    ("omar", &["umar", "omer"]),
    ("umar", &["omar"]),
    ("hussein", &["houssein", "husain", "hussain"]),
    ("husain", &["hussein", "houssain"]),
    ("hassan", &["hasan", "hacen"]),
    ("khalid", &["khaled", "kaled"]),
    ("said", &["saeed", "sayed"]),
    ("abdullah", &["abdallah", "abdoullah"]),
    ("mustafa", &["moustafa", "mustapha"]),
    ("ali", &["aly"]),
];

const SUBSTR_SWAPS: &[(&str, &str)] = &[
    ("sh", "ch"),
    ("ch", "sh"),
    ("j", "dj"),
    ("dj", "j"),
    ("kh", "k"),
    ("q", "k"),
    ("ou", "u"),
    ("u", "ou"),
    ("ee", "i"),
    ("oo", "ou"),
    ("dh", "z"),
    ("th", "t"),
    ("gh", "g"),
    ("ss", "s"),
    ("ai", "ay"),
    ("ay", "ai"),
    ("e", "a"),
    ("a", "e"),
    ("i", "ee"),
    ("o", "u"),
    ("y", "i"),
];

fn translit(name: &str, rng: &mut Rng) -> Option<String> {
    let mut w: Vec<String> = words(&name.to_lowercase());
    let mut changed = 0;
    for _ in 0..6 {
        if changed > rng.below(2) {
            break;
        }
        let i = rng.below(w.len());
        if let Some((_, alts)) = WORD_SWAPS.iter().find(|(f, _)| *f == w[i]) {
            w[i] = (*rng.pick(alts)).to_owned();
            changed += 1;
            continue;
        }
        let first = w[i].chars().next().map(char::len_utf8).unwrap_or(0);
        let opts: Vec<&(&str, &str)> = SUBSTR_SWAPS
            .iter()
            .filter(|(f, _)| w[i].len() >= 3 && w[i][first..].contains(f))
            .collect();
        if opts.is_empty() {
            continue;
        }
        let (f, t) = **rng.pick(&opts);
        // replace the first occurrence after the first letter (initials stay)
        let pos = first + w[i][first..].find(f).unwrap();
        w[i] = format!("{}{}{}", &w[i][..pos], t, &w[i][pos + f.len()..]);
        changed += 1;
    }
    let out = w.iter().map(|x| title(x)).collect::<Vec<_>>().join(" ");
    (changed > 0 && out.to_lowercase() != name.to_lowercase()).then_some(out)
}

fn is_arabic(s: &str) -> bool {
    s.chars().any(|c| ('\u{0600}'..='\u{06FF}').contains(&c))
}

fn arabic_variant(s: &str, rng: &mut Rng) -> String {
    let mut out = s.to_owned();
    let ops = 2 + rng.below(2);
    for _ in 0..ops {
        out = match rng.below(7) {
            0 => out.replace(['أ', 'إ', 'آ'], "ا"),
            1 => out
                .split(' ')
                .map(|w| {
                    if let Some(r) = w.strip_prefix('ا') {
                        format!("أ{r}")
                    } else {
                        w.to_owned()
                    }
                })
                .collect::<Vec<_>>()
                .join(" "),
            2 => out.replace('ة', "ه").replace('ى', "ي"),
            3 => {
                // tatweel inside the longest word
                let ws: Vec<&str> = out.split(' ').collect();
                let (li, _) = ws
                    .iter()
                    .enumerate()
                    .max_by_key(|(_, w)| w.chars().count())
                    .unwrap();
                ws.iter()
                    .enumerate()
                    .map(|(i, w)| {
                        if i == li && w.chars().count() > 2 {
                            let mut c: Vec<char> = w.chars().collect();
                            c.insert(1, 'ـ');
                            c.into_iter().collect()
                        } else {
                            (*w).to_owned()
                        }
                    })
                    .collect::<Vec<_>>()
                    .join(" ")
            }
            4 => {
                // harakat after a few letters
                let mut o = String::new();
                for (i, c) in out.chars().enumerate() {
                    o.push(c);
                    if c != ' ' && i % 3 == 1 {
                        o.push('\u{064E}');
                    }
                }
                o
            }
            5 => out.replace("عبد ال", "عبدال"),
            _ => out.replace("عبدال", "عبد ال"),
        };
    }
    out
}

fn typo(name: &str, rng: &mut Rng) -> Option<String> {
    let mut w = words(name);
    let long: Vec<usize> = (0..w.len())
        .filter(|&i| w[i].chars().filter(|c| c.is_alphabetic()).count() >= 5)
        .collect();
    if long.is_empty() {
        return None;
    }
    let i = *rng.pick(&long);
    let mut c: Vec<char> = w[i].chars().collect();
    let p = 1 + rng.below(c.len() - 2);
    let letters = "abcdefghiklmnorstuy";
    let l = letters.chars().nth(rng.below(letters.len())).unwrap();
    let l = if c[p].is_uppercase() {
        l.to_ascii_uppercase()
    } else {
        l
    };
    match rng.below(4) {
        0 => c[p] = l,
        1 => {
            c.remove(p);
        }
        2 => c.insert(p, l),
        _ => c.swap(p, p + 1),
    }
    w[i] = c.into_iter().collect();
    let out = w.join(" ");
    (out != name).then_some(out)
}

fn article(name: &str, rng: &mut Rng) -> Option<String> {
    let w = words(name);
    let mut out: Vec<String> = Vec::new();
    let mut done = false;
    let mut i = 0;
    while i < w.len() {
        let lw = w[i].to_lowercase();
        let split = if let Some(r) = lw.strip_prefix("al-").or_else(|| lw.strip_prefix("el-")) {
            Some(r.to_owned())
        } else if (lw == "al" || lw == "el") && i + 1 < w.len() {
            i += 1;
            Some(w[i].to_lowercase())
        } else {
            None
        };
        match split {
            Some(rest) if !done && !rest.is_empty() => {
                done = true;
                match rng.below(4) {
                    0 => out.push(format!("el-{}", title(&rest))),
                    1 => {
                        out.push("Al".into());
                        out.push(title(&rest));
                    }
                    2 => out.push(format!("Al{rest}")),
                    _ => out.push(title(&rest)),
                }
            }
            _ => out.push(w[i].clone()),
        }
        i += 1;
    }
    done.then(|| out.join(" "))
}

fn compound(name: &str, rng: &mut Rng) -> Option<String> {
    let w: Vec<String> = words(&name.to_lowercase());
    for i in 0..w.len() {
        let t = w[i].as_str();
        let next = w.get(i + 1).map(String::as_str);
        let next2 = w.get(i + 2).map(String::as_str);
        let mut out: Vec<String> = w[..i].to_vec();
        let rest_from = |k: usize| w[k.min(w.len())..].to_vec();
        // abd al-X, abdul X, abd X -> joined
        let strip = |x: &str| -> String {
            x.trim_start_matches("al-")
                .trim_start_matches("el-")
                .to_owned()
        };
        if (t == "abd" || t == "abdul" || t == "abdel") && next.is_some() {
            let (x, k) = match next {
                Some("al" | "el") if next2.is_some() => (strip(next2.unwrap()), i + 3),
                Some(n) => (strip(n), i + 2),
                None => unreachable!(),
            };
            out.push(if x.starts_with("allah") || x.starts_with("ullah") {
                "abdullah".to_owned()
            } else if rng.chance(0.5) {
                format!("abdul{x}")
            } else {
                format!("abdel{x}")
            });
            out.extend(rest_from(k));
        } else if t.starts_with("abdul") && t.len() > 7 {
            out.push("abd".into());
            out.push(format!("al-{}", &t[5..]));
            out.extend(rest_from(i + 1));
        } else if t.starts_with("abdel") && t.len() > 7 {
            out.push("abdul".into());
            out.push(t[5..].to_owned());
            out.extend(rest_from(i + 1));
        } else if t == "abdullah" || t == "abdallah" {
            out.push("abd".into());
            out.push("allah".into());
            out.extend(rest_from(i + 1));
        } else if (t == "abu" || t == "abou") && next.is_some() {
            let (x, k) = match next {
                Some("al" | "el") if next2.is_some() => (strip(next2.unwrap()), i + 3),
                Some(n) => (strip(n), i + 2),
                None => unreachable!(),
            };
            out.push(format!("abu{x}"));
            out.extend(rest_from(k));
        } else if t.starts_with("abu") && t.len() > 6 {
            out.push("abu".into());
            out.push(t[3..].to_owned());
            out.extend(rest_from(i + 1));
        } else if matches!(
            next,
            Some("al-din" | "ad-din" | "al-deen" | "ud-din" | "uddin" | "eddine")
        ) {
            out.push(format!(
                "{t}{}",
                if rng.chance(0.5) { "uddin" } else { "eddine" }
            ));
            out.extend(rest_from(i + 2));
        } else if t.len() > 8
            && (t.ends_with("uddin") || t.ends_with("eddine") || t.ends_with("addin"))
        {
            let stem = t
                .trim_end_matches("uddin")
                .trim_end_matches("eddine")
                .trim_end_matches("addin");
            out.push(stem.to_owned());
            out.push("al-din".into());
            out.extend(rest_from(i + 1));
        } else {
            continue;
        }
        return Some(out.iter().map(|x| title(x)).collect::<Vec<_>>().join(" "));
    }
    None
}

/// Entries sharing a name (folded) with `name`: all are correct alerts for a query made from it.
fn owners(index: &HashMap<String, Vec<String>>, name: &str, id: &str) -> Vec<String> {
    let mut v = index.get(&fold_joined(name)).cloned().unwrap_or_default();
    if !v.iter().any(|x| x == id) {
        v.push(id.to_owned());
    }
    v.sort();
    v.dedup();
    v
}

fn read_csv_names(file: &str) -> Vec<(String, String, String)> {
    // (full_name, first_name, last_name); these fixture files quote no commas in the name columns
    // except the full name of treated positives, handled by the quote-aware split.
    let text = std::fs::read_to_string(data(file)).expect("fixture");
    let mut out = Vec::new();
    for line in text.lines().skip(1) {
        let mut fields = Vec::new();
        let mut cur = String::new();
        let mut q = false;
        for c in line.chars() {
            match c {
                '"' => q = !q,
                ',' if !q => fields.push(std::mem::take(&mut cur)),
                _ => cur.push(c),
            }
        }
        fields.push(cur);
        if fields.len() >= 4 {
            out.push((fields[0].clone(), fields[1].clone(), fields[3].clone()));
        }
    }
    out
}

/// Generates the whole evaluation set from the 2026 UN list.
pub(crate) fn generate(list: &ListVersion) -> Vec<Case> {
    let mut rng = Rng::new(0x5C4E_E000_0000_0007);
    let mut name_index: HashMap<String, Vec<String>> = HashMap::new();
    let mut list_tokens: HashSet<String> = HashSet::new();
    for e in &list.entries {
        for n in &e.names {
            name_index
                .entry(fold_joined(&n.text))
                .or_default()
                .push(e.id.clone());
            for t in fold_joined(&n.text).split(' ') {
                list_tokens.insert(t.to_owned());
            }
        }
    }
    let mut cases = Vec::new();
    let push = |cases: &mut Vec<Case>, q: String, variant, e: &Entry, src: &str| {
        if !q.trim().is_empty() {
            cases.push(Case {
                query: q,
                variant,
                expected: owners(&name_index, src, &e.id),
            });
        }
    };
    for e in &list.entries {
        let primary = e.primary_name().to_owned();
        if primary.is_empty() {
            continue;
        }
        push(&mut cases, primary.clone(), "exact", e, &primary);
        if let Some(v) = translit(&primary, &mut rng) {
            push(&mut cases, v, "translit", e, &primary);
        }
        if let Some(o) = e
            .names
            .iter()
            .find(|n| n.quality == NameQuality::OriginalScript && is_arabic(&n.text))
        {
            let v = arabic_variant(&o.text, &mut rng);
            push(&mut cases, v, "arabic_script", e, &o.text);
        }
        let w = words(&primary);
        if e.kind == EntryKind::Individual && w.len() >= 3 {
            let mut d = w.clone();
            d.remove(1 + rng.below(w.len() - 2));
            push(&mut cases, d.join(" "), "dropped_middle", e, &primary);
        }
        if e.kind == EntryKind::Individual && w.len() >= 2 {
            let v = if rng.chance(0.5) {
                format!("{}, {}", w[w.len() - 1], w[..w.len() - 1].join(" "))
            } else {
                w.iter().rev().cloned().collect::<Vec<_>>().join(" ")
            };
            push(&mut cases, v, "swapped", e, &primary);
        }
        if let Some(v) = typo(&primary, &mut rng) {
            push(&mut cases, v, "typo", e, &primary);
        }
        let good: Vec<&str> = e
            .names
            .iter()
            .filter(|n| {
                matches!(
                    n.quality,
                    NameQuality::Good | NameQuality::Aka | NameQuality::Fka
                )
            })
            .map(|n| n.text.as_str())
            .collect();
        if !good.is_empty() {
            let a = *rng.pick(&good);
            push(&mut cases, a.to_owned(), "alias", e, a);
        }
        let low: Vec<&str> = e
            .names
            .iter()
            .filter(|n| n.quality == NameQuality::Low)
            .map(|n| n.text.as_str())
            .collect();
        if !low.is_empty() {
            let a = *rng.pick(&low);
            push(&mut cases, a.to_owned(), "alias_low", e, a);
        }
        let all: Vec<&str> = e
            .names
            .iter()
            .map(|n| n.text.as_str())
            .filter(|t| !is_arabic(t))
            .collect();
        for n in &all {
            if let Some(v) = article(n, &mut rng) {
                push(&mut cases, v, "article", e, n);
                break;
            }
        }
        for n in &all {
            if let Some(v) = compound(n, &mut rng) {
                push(&mut cases, v, "compound", e, n);
                break;
            }
        }
    }
    // OpenSanctions' treated UN persons, matched to entries by their untreated name
    let untreated = read_csv_names("yente_screening_fixtures/positives_un_untreated.csv");
    let treated = read_csv_names("yente_screening_fixtures/positives_un_treated.csv");
    for ((u, _, _), (t, _, _)) in untreated.iter().zip(&treated) {
        if let Some(ids) = name_index.get(&fold_joined(u)) {
            let mut ids = ids.clone();
            ids.sort();
            ids.dedup();
            cases.push(Case {
                query: t.clone(),
                variant: "yente_treated",
                expected: ids,
            });
        }
    }
    // negatives: the list's common given names with family names the list never uses
    let mut given_count: HashMap<String, usize> = HashMap::new();
    for e in list
        .entries
        .iter()
        .filter(|e| e.kind == EntryKind::Individual)
    {
        if let Some(f) = e
            .name_parts
            .first()
            .and_then(|p| p.split_whitespace().next())
        {
            *given_count.entry(title(f)).or_default() += 1;
        }
    }
    let mut common: Vec<(String, usize)> = given_count
        .into_iter()
        .filter(|(g, _)| g.len() > 2)
        .collect();
    common.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let common: Vec<String> = common.into_iter().take(30).map(|(g, _)| g).collect();
    let global = read_csv_names("yente_screening_fixtures/negatives_global.csv");
    let us = read_csv_names("yente_screening_fixtures/negatives_us.csv");
    let is_latin = |s: &str| {
        s.chars()
            .all(|c| c.is_ascii_alphabetic() || c == '-' || c == '\'')
    };
    let mut families: Vec<String> = global
        .iter()
        .chain(&us)
        .map(|r| r.2.clone())
        .filter(|l| l.len() > 2 && is_latin(l) && !list_tokens.contains(&fold_joined(l)))
        .collect();
    families.sort();
    families.dedup();
    for _ in 0..1500 {
        let g = rng.pick(&common).clone();
        let f = rng.pick(&families).clone();
        let q = if rng.chance(0.3) {
            format!("{g} {} {f}", rng.pick(&common))
        } else {
            format!("{g} {f}")
        };
        cases.push(Case {
            query: q,
            variant: "neg_common_given",
            expected: Vec::new(),
        });
    }
    let listed: HashSet<String> = name_index.keys().cloned().collect();
    for (file_rows, label, step) in [
        (&global, "neg_synthetic_global", 20),
        (&us, "neg_synthetic_us", 50),
    ] {
        for (i, r) in file_rows.iter().enumerate() {
            if i % step == 0 && !listed.contains(&fold_joined(&r.0)) {
                cases.push(Case {
                    query: r.0.clone(),
                    variant: label,
                    expected: Vec::new(),
                });
            }
        }
    }
    cases
}

/// Per-variant and overall figures.
#[derive(Debug, Default, Clone)]
pub(crate) struct Figures {
    pub(crate) per_variant: Vec<(String, usize, usize)>, // (variant, cases, found or alerted)
    pub(crate) recall: f64,
    pub(crate) precision: f64,
    pub(crate) negatives_alerted: f64,
    pub(crate) positives: usize,
    pub(crate) negatives: usize,
    pub(crate) true_alerts: usize,
    pub(crate) false_alerts: usize,
    /// Among queries that alerted, the share whose best alert is a correct entry.
    pub(crate) top_precision: f64,
}

/// Scores a set given, for every case, the entry ids alerted.
pub(crate) fn figures(cases: &[Case], alerted: &[Vec<String>]) -> Figures {
    let mut per: HashMap<&'static str, (usize, usize)> = HashMap::new();
    let (mut pos, mut found, mut neg, mut neg_alerted, mut tp, mut fp) = (0, 0, 0, 0, 0, 0);
    let (mut alerted_queries, mut top_ok) = (0usize, 0usize);
    for (c, a) in cases.iter().zip(alerted) {
        if let Some(first) = a.first() {
            alerted_queries += 1;
            if c.expected.contains(first) {
                top_ok += 1;
            }
        }
        let slot = per.entry(c.variant).or_default();
        slot.0 += 1;
        if c.is_negative() {
            neg += 1;
            if !a.is_empty() {
                neg_alerted += 1;
                slot.1 += 1;
            }
            fp += a.len();
        } else {
            pos += 1;
            let hit = a.iter().any(|id| c.expected.contains(id));
            if hit {
                found += 1;
                slot.1 += 1;
            }
            for id in a {
                if c.expected.contains(id) {
                    tp += 1;
                } else {
                    fp += 1;
                }
            }
        }
    }
    let mut per_variant: Vec<(String, usize, usize)> = per
        .into_iter()
        .map(|(k, (n, f))| (k.to_owned(), n, f))
        .collect();
    per_variant.sort_by(|a, b| {
        a.0.starts_with("neg")
            .cmp(&b.0.starts_with("neg"))
            .then(a.0.cmp(&b.0))
    });
    Figures {
        per_variant,
        recall: found as f64 / pos.max(1) as f64,
        precision: tp as f64 / (tp + fp).max(1) as f64,
        negatives_alerted: neg_alerted as f64 / neg.max(1) as f64,
        positives: pos,
        negatives: neg,
        true_alerts: tp,
        false_alerts: fp,
        top_precision: top_ok as f64 / alerted_queries.max(1) as f64,
    }
}

/// The baseline: folded names, tokens sorted, normalised edit-distance similarity, best score per
/// entry over all its names and aliases. Returns the alerted entry ids per query at `threshold`.
pub(crate) struct Baseline {
    names: Vec<(usize, String, usize)>,
    ids: Vec<String>,
}

fn token_sort(s: &str) -> String {
    let f = fold_joined(s);
    let mut t: Vec<&str> = f.split(' ').filter(|x| !x.is_empty()).collect();
    t.sort_unstable();
    t.join(" ")
}

impl Baseline {
    pub(crate) fn new(list: &ListVersion) -> Self {
        let mut names = Vec::new();
        let mut ids = Vec::new();
        for (i, e) in list.entries.iter().enumerate() {
            ids.push(e.id.clone());
            for n in &e.names {
                let t = token_sort(&n.text);
                let len = t.chars().count();
                names.push((i, t, len));
            }
        }
        Baseline { names, ids }
    }

    /// Entries whose best name similarity (1 - edit distance / longer length) is at least
    /// `threshold`, best first, with their scores.
    pub(crate) fn scored(&self, query: &str, threshold: f64) -> Vec<(f64, String)> {
        let q = token_sort(query);
        let ql = q.chars().count();
        let mut best: HashMap<usize, f64> = HashMap::new();
        for (ei, n, nl) in &self.names {
            let max_len = ql.max(*nl);
            if max_len == 0 {
                continue;
            }
            let bound = ((1.0 - threshold) * max_len as f64).floor() as usize;
            if ql.abs_diff(*nl) > bound {
                continue;
            }
            if let Some(d) = bounded_osa(&q, n, bound) {
                let s = 1.0 - d as f64 / max_len as f64;
                if s >= threshold {
                    let b = best.entry(*ei).or_insert(0.0);
                    if s > *b {
                        *b = s;
                    }
                }
            }
        }
        let mut out: Vec<(f64, String)> = best
            .into_iter()
            .map(|(i, s)| (s, self.ids[i].clone()))
            .collect();
        out.sort_by(|a, b| b.0.partial_cmp(&a.0).unwrap().then(a.1.cmp(&b.1)));
        out
    }
}
