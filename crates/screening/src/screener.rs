//! The matching engine: an index over every name of one or more list versions, and
//! [`Screener::screen`] that turns a [`Query`] into scored, explained [`Match`]es.
//!
//! # Scoring one name
//!
//! Query and listed names are analysed the same way (`key`): folded tokens, token rules,
//! phonetic keys. Every query token is compared with the index vocabulary:
//!
//! | rule | similarity |
//! |---|---|
//! | same folded text | 1.00 |
//! | same phonetic key (`Mohamed` ~ `Muhammad`) | 0.95 |
//! | same key once a glued article is stripped (`Alzarqawi` ~ `al-Zarqawi`) | 0.93 |
//! | same key as the second part of a compound (`Rahman` ~ `Abd al-Rahman`) | 0.80 |
//! | same key of three letters (`Kim` ~ `Qaim`) | 0.88 |
//! | same key of one or two letters (`Maya` ~ `Muh`) | 0.75 |
//! | folded texts one typing error apart (longer token of 4 letters) | 0.80 |
//! | two or three letters with two neighbours swapped (`Oh` ~ `Ho`) | 0.75 |
//! | folded texts one typing error apart (longer token of 5+ letters) | 0.88 |
//! | folded texts two typing errors apart (longer token of 9+ letters) | 0.78 |
//! | folded texts two edits apart whose keys are one edit apart (keys of 4+ letters) | 0.70 |
//! | Arabic script token, same consonant skeleton as a romanised token | 0.85 |
//!
//! Query tokens are then assigned one-to-one to the name's tokens (greedy by similarity, which is
//! optimal for the small, nearly diagonal matrices names give), so order does not matter. Each
//! token weighs its rarity (IDF over all listed name tokens, unknown tokens weighing as the rarest)
//! times its class factor (generic entity words 0.25, titles 0.15, connectors such as `bin` 0.3).
//! With `cq` the matched share of the query's weight and `cn` the matched share of the name's
//! weight, the name score is `cq^0.8 * cn^0.4`: a query missing a listed middle name loses less
//! than a query carrying a name the listing does not have. Unmatched middle names of a listed name
//! whose first and last names both matched count half. If at most one distinctive (name-class)
//! token matched while either side has two or more, the score is capped at 0.6: a shared common
//! given name alone never alerts. An individual's listed given name (the first name, or the first
//! after the comma of `FAMILY, Given`) left unmatched multiplies the score by 0.85: a relative
//! listed as `Ali Saddam Hussein` is not `Saddam Hussein`. A low-quality alias scores 0.92 of an
//! equal good name when every token matched exactly, 0.86 otherwise.
//!
//! After the assignment, three repairs: a compound split by reordering is rejoined (`YASIN
//! RAHMAN ABDUL` ~ `ABDUL RAHMAN YASIN`, 0.93–0.95), a compound that lost its middle word
//! meets both listed words (`Abdul Agha` ~ `Abdul Manan Agha`: 0.9, and 0.6 of the compound's
//! weight), and a token left unmatched
//! meets two adjacent unmatched tokens written together on the other side (`Benali` ~ `Ben Ali`,
//! 0.9).
//!
//! # Evidence beyond the name
//!
//! When the query gives them and the name already scores 0.5 or more: a date of birth within the
//! entry's years adds 0.04 (an exact full date 0.06) and outside them by more than a year subtracts
//! 0.10; a matching nationality adds 0.03 and a different one subtracts 0.04; an equal document
//! number adds 0.15. Each adjustment is listed in the explanation.
//!
//! # Calibration
//!
//! The score is a similarity, monotone in the evidence, and the default threshold
//! ([`DEFAULT_THRESHOLD`]) is where the evaluation set reaches its recall target with the fewest
//! false alerts. [`Match::confidence`] translates a score into what it has meant: the share of
//! alerts at that score that were the right entry on the evaluation set (about 0.3 at 0.84, 0.9
//! at 0.925, 0.98 at 0.97).
//!
//! # Candidates
//!
//! Only names sharing at least one similar token with the query can score above zero, and the
//! index finds all of them: exact keys and article-stripped keys by hash, typos by a deletion
//! neighbourhood of the folded texts (every token with one or two letters deleted, as deep as the
//! edit bound of its length, so any pair within the bound shares an entry), Arabic skeletons and
//! the keys of adjacent tokens written together by hash. Names reached through a single
//! distinctive query token are skipped when the cap above would keep them under any threshold; this
//! never drops a name that could alert. Lists with fewer than `full_scan_below` names are scored
//! whole.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use serde::{Deserialize, Serialize};

use crate::distance::osa_chars;
use crate::key::{Tok, TokClass, analyse_reordered, phonetic_key, skeleton};
use crate::model::{EntryKind, ListId, ListVersion, NameQuality};
use crate::text::fold_joined;

/// A fast non-cryptographic hasher for the index's small keys (the index is built from list data,
/// not from untrusted query input: queries only look keys up).
#[derive(Default, Clone, Copy)]
struct FxHasher(u64);

impl FxHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.add(u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(w) ^ ((rest.len() as u64) << 59));
        }
    }
    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

type FxMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

/// The default alert threshold of [`ScreenOptions::threshold`].
pub const DEFAULT_THRESHOLD: f32 = 0.82;

/// Knobs of a [`Screener`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ScreenOptions {
    /// Matches scoring below this are not returned. Default [`DEFAULT_THRESHOLD`].
    pub threshold: f32,
    /// At most this many matches per query, best first. Default 10.
    pub max_results: usize,
    /// Lists with fewer names than this are scored whole for every query. Default 256.
    pub full_scan_below: usize,
    /// Threads used by [`Screener::screen_batch`]. Default 2.
    pub threads: usize,
}

impl Default for ScreenOptions {
    fn default() -> Self {
        ScreenOptions {
            threshold: DEFAULT_THRESHOLD,
            max_results: 10,
            full_scan_below: 256,
            threads: 2,
        }
    }
}

/// What to screen: a name, and optionally the other facts an applicant form gives.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Query {
    /// The name, in any script and order.
    pub name: String,
    /// Restrict to individuals or to entities.
    #[serde(default)]
    pub kind: Option<EntryKind>,
    /// Date of birth: `YYYY-MM-DD` or `YYYY`.
    #[serde(default)]
    pub birth_date: Option<String>,
    /// Nationality (country name).
    #[serde(default)]
    pub nationality: Option<String>,
    /// An identity document number.
    #[serde(default)]
    pub document: Option<String>,
}

impl Query {
    /// A query of a name only.
    pub fn name(name: impl Into<String>) -> Self {
        Query {
            name: name.into(),
            ..Query::default()
        }
    }
}

/// How a query token met a name token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchRule {
    /// Same folded text.
    Exact,
    /// Same phonetic key.
    Phonetic,
    /// Same key once a glued-on article was stripped.
    ArticleStripped,
    /// Keys within the typo bound (see `edits`).
    Typo,
    /// Arabic script against romanised text, same consonant skeleton.
    Skeleton,
    /// One side is the second part of an `abd`/`abu` compound (`Rahman` ~ `Abd al-Rahman`).
    CompoundPart,
    /// A compound split by reordering, put back together (`Rahman ... Abdul` ~ `Abdul Rahman`).
    CompoundRejoined,
    /// Two tokens written together on one side (`Benali` ~ `Ben Ali`); similarity 0.9.
    Concatenated,
}

/// One aligned pair of tokens.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alignment {
    /// The query token (folded).
    pub query_token: String,
    /// The listed name's token (folded).
    pub name_token: String,
    /// How they met.
    pub rule: MatchRule,
    /// Edits between the keys (typos), 0 otherwise.
    pub edits: u8,
    /// Similarity in [0, 1].
    pub similarity: f32,
    /// The token's weight on the listed side (rarity times class).
    pub weight: f32,
    /// Token rules that shaped the tokens (`abd compound`, `article dropped`, `variant table` ...).
    pub token_rules: Vec<String>,
}

/// Evidence that raised or lowered a score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Adjustment {
    /// What it is (`low-quality alias`, `single common token`, `birth year agrees` ...).
    pub rule: String,
    /// The change in score (negative lowers); for caps, the cap minus the uncapped score.
    pub delta: f32,
    /// Human-readable detail.
    pub detail: String,
}

/// Why a match scored what it scored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Explanation {
    /// The score from the names alone.
    pub name_score: f32,
    /// Share of the query's token weight that was matched.
    pub query_coverage: f32,
    /// Share of the listed name's token weight that was matched.
    pub name_coverage: f32,
    /// Aligned token pairs.
    pub alignments: Vec<Alignment>,
    /// Query tokens left without a partner.
    pub unmatched_query_tokens: Vec<String>,
    /// Listed name tokens left without a partner.
    pub unmatched_name_tokens: Vec<String>,
    /// Rules and evidence that changed the score, in the order applied.
    pub adjustments: Vec<Adjustment>,
}

/// Points (score, share of correct alerts) measured on the project's evaluation set, by score band
/// (`bench/screening/RESULTS.md`, "Score reliability"). Re-measure them when scoring changes.
const RELIABILITY: [(f32, f32); 7] = [
    (0.0, 0.0),
    (0.6, 0.02),
    (0.84, 0.27),
    (0.88, 0.53),
    (0.925, 0.90),
    (0.97, 0.98),
    (1.0, 0.998),
];

/// The share of alerts at this score that were correct on the evaluation set, interpolated.
pub fn confidence(score: f32) -> f32 {
    let s = score.clamp(0.0, 1.0);
    for w in RELIABILITY.windows(2) {
        let ((x0, y0), (x1, y1)) = (w[0], w[1]);
        if s <= x1 {
            return y0 + (y1 - y0) * (s - x0) / (x1 - x0);
        }
    }
    RELIABILITY[RELIABILITY.len() - 1].1
}

/// One candidate for a human to adjudicate. Never a decision (DESIGN invariant 6).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Match {
    /// Score in [0, 1]; alerts are matches at or above the threshold. Monotone in the evidence;
    /// see [`Match::confidence`] for what a score has meant in practice.
    pub score: f32,
    /// Calibration of `score`: the share of alerts with this score that were the right entry on
    /// the project's evaluation set (a relative sharing family names counts as wrong), so 0.95
    /// reads "19 in 20 such alerts were right". An estimate for analysts, never a decision.
    pub confidence: f32,
    /// The list.
    pub list: ListId,
    /// The list version the index was built from.
    pub list_version: String,
    /// The entry id (UN DATAID, OFAC ent_num ...).
    pub entry_id: String,
    /// The entry's reference number, if any.
    pub reference: Option<String>,
    /// Individual, entity ...
    pub kind: EntryKind,
    /// The entry's primary name.
    pub primary_name: String,
    /// The listed name (primary, original script or alias) that matched best.
    pub matched_name: String,
    /// How the source attests the matched name.
    pub matched_name_quality: NameQuality,
    /// Why.
    pub explanation: Explanation,
}

/// Per-thread scratch of candidate generation: a generation stamp and a mask of matched query
/// tokens per name, so that collecting candidates needs no sort and no allocation per name.
#[derive(Default)]
struct Scratch {
    stamp: Vec<u32>,
    mask: Vec<u32>,
    generation: u32,
}

thread_local! {
    static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::new(Scratch::default());
}

struct VocabTok {
    key: Box<str>,
    /// The class of listed tokens with this key when none is an ordinary name word.
    class: TokClass,
    df: u32,
    idf: f32,
}

struct NameTok {
    vocab: u32,
    alt: Option<u32>,
    alt_compound: bool,
    prefix: u8,
    /// Key of this token written together with the next one, if there is a next one.
    pair_key: Option<Box<str>>,
    norm: Box<str>,
    class: TokClass,
    weight: f32,
    rules: Vec<&'static str>,
}

struct IndexedName {
    entry: u32,
    quality: NameQuality,
    text: Box<str>,
    toks: Vec<NameTok>,
    distinctive: u8,
    /// Index of the given name among `toks` for individuals (the first token, or the first after
    /// a comma in `FAMILY, Given` forms); `u8::MAX` for entities.
    given: u8,
}

struct EntryMeta {
    list: u16,
    id: String,
    reference: Option<String>,
    kind: EntryKind,
    primary: String,
    years: Vec<(i32, i32)>,
    dates: Vec<String>,
    nationalities: Vec<String>,
    documents: Vec<String>,
}

/// A query token with everything it matched in the vocabulary.
struct QTok {
    tok: Tok,
    weight: f32,
}

struct Prepared {
    toks: Vec<QTok>,
    /// Key of each token written together with the next (`Ben` `Ali` -> key of `benali`).
    pair_keys: Vec<String>,
    /// (vocab id, query token index, similarity, rule, edits), sorted by vocab id.
    hits: Vec<(u32, u8, f32, MatchRule, u8)>,
    total_weight: f32,
    distinctive: u8,
}

/// The screening index. Build it once per set of list versions; it is immutable and `Sync`, so
/// any number of threads may screen against it at once.
pub struct Screener {
    options: ScreenOptions,
    lists: Vec<(ListId, String)>,
    entries: Vec<EntryMeta>,
    names: Vec<IndexedName>,
    vocab: Vec<VocabTok>,
    key_ids: FxMap<Box<str>, u32>,
    /// Distinct folded token texts and the vocabulary id of their key.
    norms: Vec<(Box<str>, u32)>,
    norm_ids: FxMap<Box<str>, u32>,
    /// Deletion neighbourhood of the folded texts: deleted form -> norm ids.
    deletes: FxMap<Box<str>, Vec<u32>>,
    skel_ids: FxMap<Box<str>, Vec<u32>>,
    postings: Vec<Vec<u32>>,
    /// Key of two adjacent tokens written together -> names having them (`Ben Ali` under the key
    /// of `benali`), so that concatenation can be scored without losing a candidate.
    pair_postings: FxMap<Box<str>, Vec<u32>>,
    unknown_idf: f32,
}

/// Depth of the deletion neighbourhood indexed for a token of this many letters: deep enough for
/// [`allowed_edits`] and for the two-edit spelling variants of the phonetic-typo tier.
fn deletion_depth(len: usize) -> usize {
    match len {
        // no name word is this long; a hostile one must not cost a quadratic neighbourhood
        33.. => 0,
        0..=3 => 0,
        4..=5 => 1,
        _ => 2,
    }
}

/// Typing errors allowed between two tokens, by the longer token's length in letters (the shorter
/// must have three letters or more).
fn allowed_edits(len: usize) -> usize {
    match len {
        0..=3 => 0,
        4..=8 => 1,
        _ => 2,
    }
}

/// Calls `f` with every string made of `key` with 1..=`depth` letters deleted (duplicates
/// possible), through one reused buffer: the query path allocates nothing per deletion.
fn for_each_deletion(key: &str, depth: usize, mut f: impl FnMut(&str)) {
    let chars: Vec<char> = key.chars().collect();
    let n = chars.len();
    if depth == 0 || n <= 1 {
        return;
    }
    let mut s = String::with_capacity(key.len());
    for i in 0..n {
        s.clear();
        s.extend(
            chars
                .iter()
                .enumerate()
                .filter(|(k, _)| *k != i)
                .map(|(_, c)| c),
        );
        f(&s);
        if depth >= 2 && n > 2 {
            for j in i + 1..n {
                s.clear();
                s.extend(
                    chars
                        .iter()
                        .enumerate()
                        .filter(|(k, _)| *k != i && *k != j)
                        .map(|(_, c)| c),
                );
                f(&s);
            }
        }
    }
}

fn norm_document(s: &str) -> String {
    s.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

fn norm_country(s: &str) -> String {
    fold_joined(s)
}

fn countries_agree(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    // "iraq" ~ "iraqi", "afghanistan" ~ "afghan": a shared stem of five letters or the whole word.
    let common = a.bytes().zip(b.bytes()).take_while(|(x, y)| x == y).count();
    common >= 5 || (common >= 4 && common == a.len().min(b.len()))
}

impl Screener {
    /// Builds an index over one list version with default options.
    pub fn from_list(list: &ListVersion) -> Self {
        Self::new([list], ScreenOptions::default())
    }

    /// Builds an index over several list versions (for example UN and a national list).
    pub fn new<'a>(
        lists: impl IntoIterator<Item = &'a ListVersion>,
        options: ScreenOptions,
    ) -> Self {
        let mut s = Screener {
            options,
            lists: Vec::new(),
            entries: Vec::new(),
            names: Vec::new(),
            vocab: Vec::new(),
            key_ids: FxMap::default(),
            norms: Vec::new(),
            norm_ids: FxMap::default(),
            deletes: FxMap::default(),
            skel_ids: FxMap::default(),
            postings: Vec::new(),
            pair_postings: FxMap::default(),
            unknown_idf: 1.0,
        };
        for lv in lists {
            let li = s.lists.len() as u16;
            s.lists.push((lv.list.clone(), lv.version.clone()));
            for e in &lv.entries {
                let ei = s.entries.len() as u32;
                s.entries.push(EntryMeta {
                    list: li,
                    id: e.id.clone(),
                    reference: e.reference.clone(),
                    kind: e.kind,
                    primary: e.primary_name().to_owned(),
                    years: e
                        .birth_dates
                        .iter()
                        .filter_map(|b| b.year_range())
                        .collect(),
                    dates: e
                        .birth_dates
                        .iter()
                        .filter_map(|b| b.date.clone())
                        .collect(),
                    nationalities: e.nationalities.iter().map(|n| norm_country(n)).collect(),
                    documents: e
                        .documents
                        .iter()
                        .filter_map(|d| d.number.as_deref().map(norm_document))
                        .filter(|d| d.len() >= 4)
                        .collect(),
                });
                for n in &e.names {
                    s.add_name(ei, e.kind, n.quality, &n.text);
                }
            }
        }
        s.finish();
        s
    }

    fn vocab_id(&mut self, key: &str) -> u32 {
        if let Some(&v) = self.key_ids.get(key) {
            return v;
        }
        let v = self.vocab.len() as u32;
        self.vocab.push(VocabTok {
            key: key.into(),
            class: TokClass::Name,
            df: 0,
            idf: 0.0,
        });
        self.key_ids.insert(key.into(), v);
        self.postings.push(Vec::new());
        v
    }

    fn add_name(&mut self, entry: u32, kind: EntryKind, quality: NameQuality, text: &str) {
        let toks = if quality == NameQuality::Primary {
            crate::key::analyse(text)
        } else {
            analyse_reordered(text)
        };
        if toks.is_empty() {
            return;
        }
        let given = if kind != EntryKind::Individual || toks.len() < 2 {
            u8::MAX
        } else {
            // aliases written `FAMILY, Given` were reordered by the analysis
            0
        };
        let ni = self.names.len() as u32;
        let mut out = Vec::with_capacity(toks.len());
        let mut seen: Vec<u32> = Vec::new();
        for t in toks {
            let fresh = !self.key_ids.contains_key(t.key.as_str());
            let v = self.vocab_id(&t.key);
            if fresh {
                self.vocab[v as usize].class = t.class;
            } else if t.class == TokClass::Name {
                self.vocab[v as usize].class = TokClass::Name;
            }
            if !seen.contains(&v) {
                self.vocab[v as usize].df += 1;
                self.postings[v as usize].push(ni);
                seen.push(v);
            }
            let alt = t.alt.as_deref().map(|a| self.vocab_id(a));
            if let Some(a) = alt
                && !seen.contains(&a)
            {
                self.postings[a as usize].push(ni);
                seen.push(a);
            }
            if !self.norm_ids.contains_key(t.norm.as_str()) {
                self.norm_ids
                    .insert(t.norm.as_str().into(), self.norms.len() as u32);
                self.norms.push((t.norm.as_str().into(), v));
            }
            out.push(NameTok {
                vocab: v,
                alt,
                alt_compound: t.alt_compound,
                prefix: t.prefix,
                pair_key: None,
                norm: t.norm.into(),
                class: t.class,
                weight: 0.0,
                rules: t.rules,
            });
        }
        for j in 1..out.len() {
            let joined = format!("{}{}", out[j - 1].norm, out[j].norm);
            let key: Box<str> = phonetic_key(&joined, &mut Vec::new()).into();
            let names = self.pair_postings.entry(key.clone()).or_default();
            if names.last() != Some(&ni) {
                names.push(ni);
            }
            out[j - 1].pair_key = Some(key);
        }
        let distinctive = out.iter().filter(|t| t.class == TokClass::Name).count() as u8;
        self.names.push(IndexedName {
            entry,
            quality,
            text: text.into(),
            toks: out,
            distinctive,
            given,
        });
    }

    fn finish(&mut self) {
        let n = self.names.len().max(1) as f32;
        for v in &mut self.vocab {
            v.idf = ((n + 1.0) / (v.df as f32 + 0.5)).ln().max(0.5);
        }
        self.unknown_idf = ((n + 1.0) / 0.5).ln();
        for name in &mut self.names {
            for t in &mut name.toks {
                t.weight = self.vocab[t.vocab as usize].idf * t.class.factor();
            }
        }
        for (ni, (norm, _)) in self.norms.iter().enumerate() {
            let deletes = &mut self.deletes;
            for_each_deletion(
                norm,
                deletion_depth(norm.chars().count()),
                |d| match deletes.get_mut(d) {
                    Some(ids) => ids.push(ni as u32),
                    None => {
                        deletes.insert(d.into(), vec![ni as u32]);
                    }
                },
            );
        }
        for (k, &v) in &self.key_ids {
            let sk = skeleton(k);
            if sk.chars().count() >= 2 {
                self.skel_ids.entry(sk.into()).or_default().push(v);
            }
        }
        for ids in self.deletes.values_mut().chain(self.skel_ids.values_mut()) {
            ids.sort_unstable();
            ids.dedup();
        }
    }

    /// The options this index was built with.
    pub fn options(&self) -> &ScreenOptions {
        &self.options
    }

    /// Number of indexed names (primary names, original-script names and aliases).
    pub fn name_count(&self) -> usize {
        self.names.len()
    }

    /// The lists and versions this index was built from, in the order given.
    pub fn lists(&self) -> impl Iterator<Item = (&ListId, &str)> {
        self.lists.iter().map(|(l, v)| (l, v.as_str()))
    }

    /// Screens many queries at `threshold` on [`ScreenOptions::threads`] threads; results in
    /// query order.
    pub fn screen_batch_with_threshold(
        &self,
        queries: &[Query],
        threshold: f32,
    ) -> Vec<Vec<Match>> {
        let threads = self.options.threads.max(1).min(queries.len().max(1));
        if threads == 1 {
            return queries
                .iter()
                .map(|q| self.screen_with_threshold(q, threshold))
                .collect();
        }
        let chunk = queries.len().div_ceil(threads);
        std::thread::scope(|s| {
            let handles: Vec<_> = queries
                .chunks(chunk)
                .map(|c| {
                    s.spawn(move || {
                        c.iter()
                            .map(|q| self.screen_with_threshold(q, threshold))
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().expect("screening does not panic"))
                .collect()
        })
    }

    fn prepare(&self, name: &str) -> Prepared {
        let toks = analyse_reordered(name);
        let mut hits: Vec<(u32, u8, f32, MatchRule, u8)> = Vec::new();
        let mut qtoks = Vec::with_capacity(toks.len());
        let mut cand: Vec<u32> = Vec::new();
        let mut nchars: Vec<char> = Vec::new();
        for (qi, t) in toks.into_iter().enumerate().take(32) {
            let qi = qi as u8;
            let start = hits.len();
            // vowels carry little in a key of three letters or fewer (Kim / Qaim, Hyon / Han)
            let phonetic = match t.key.chars().count() {
                0..=2 => 0.75,
                3 => 0.88,
                _ => 0.95,
            };
            if let Some(&v) = self.key_ids.get(t.key.as_str()) {
                hits.push((v, qi, phonetic, MatchRule::Phonetic, 0));
            }
            if let Some(alt) = &t.alt
                && let Some(&v) = self.key_ids.get(alt.as_str())
            {
                if t.alt_compound {
                    hits.push((v, qi, 0.8, MatchRule::CompoundPart, 0));
                } else {
                    hits.push((v, qi, 0.93, MatchRule::ArticleStripped, 0));
                }
            }
            let qchars: Vec<char> = t.norm.chars().collect();
            // a token spelt exactly as a listed one needs only its one-edit neighbours: the
            // two-edit search is for tokens the list does not know
            let k = if self.norm_ids.contains_key(t.norm.as_str()) {
                deletion_depth(qchars.len()).min(1)
            } else {
                deletion_depth(qchars.len())
            };
            let qkey: Vec<char> = t.key.chars().collect();
            if qchars.len() >= 3 {
                cand.clear();
                let mut look = |d: &str| {
                    if let Some(ids) = self.deletes.get(d) {
                        cand.extend_from_slice(ids);
                    }
                    if let Some(&n) = self.norm_ids.get(d) {
                        cand.push(n);
                    }
                };
                look(&t.norm);
                for_each_deletion(&t.norm, k, look);
                cand.sort_unstable();
                cand.dedup();
                for &n in &cand {
                    let (norm, v) = &self.norms[n as usize];
                    nchars.clear();
                    nchars.extend(norm.chars());
                    // in two compounds of the same prefix, the typo budget is the second part's
                    let same_prefix =
                        t.prefix > 0 && nchars.len() > 3 && nchars[..3] == qchars[..3];
                    let longer = qchars.len().max(nchars.len()) - if same_prefix { 3 } else { 0 };
                    let bound = if qchars.len().min(nchars.len()) >= 3 {
                        allowed_edits(longer)
                    } else {
                        0
                    };
                    match osa_chars(&qchars, &nchars, 2) {
                        Some(d) if d > 0 && d <= bound => {
                            let longer4 = qchars.len().max(nchars.len()) <= 4;
                            let sim = match d {
                                1 if longer4 => 0.8,
                                1 => 0.88,
                                _ => 0.78,
                            };
                            hits.push((*v, qi, sim, MatchRule::Typo, d as u8));
                        }
                        Some(d) if d > 0 => {
                            // a spelling variant the letter rules missed (`Ricerdu` for
                            // `Ricardo`): two letters apart, keys one edit apart
                            let vkey: Vec<char> = self.vocab[*v as usize].key.chars().collect();
                            if qkey.len().min(vkey.len()) >= 4
                                && osa_chars(&qkey, &vkey, 1).is_some()
                            {
                                hits.push((*v, qi, 0.7, MatchRule::Typo, d as u8));
                            }
                        }
                        _ => {}
                    }
                }
            }
            // short syllables (Korean `HO` / `OH`): an adjacent transposition only
            if (2..=3).contains(&qchars.len()) {
                for i in 0..qchars.len() - 1 {
                    if qchars[i] == qchars[i + 1] {
                        continue;
                    }
                    nchars.clear();
                    nchars.extend_from_slice(&qchars);
                    nchars.swap(i, i + 1);
                    let swapped: String = nchars.iter().collect();
                    if let Some(&n) = self.norm_ids.get(swapped.as_str()) {
                        hits.push((self.norms[n as usize].1, qi, 0.75, MatchRule::Typo, 1));
                    }
                }
            }
            if t.arabic {
                for sk in std::iter::once(t.skel.clone()).chain(t.alt.as_deref().map(skeleton)) {
                    if sk.chars().count() >= 2
                        && let Some(ids) = self.skel_ids.get(sk.as_str())
                    {
                        for &v in ids {
                            hits.push((v, qi, 0.85, MatchRule::Skeleton, 0));
                        }
                    }
                }
            }
            // weight: rarity of the best-matching listed token, or the rarest if none; a query
            // token whose best partner is a generic word (`Cumpany` ~ `company`) is generic too
            let best = hits[start..].iter().max_by(|a, b| {
                a.2.partial_cmp(&b.2)
                    .unwrap_or(std::cmp::Ordering::Equal)
                    .then(
                        self.vocab[b.0 as usize]
                            .df
                            .cmp(&self.vocab[a.0 as usize].df),
                    )
            });
            let mut t = t;
            // (generic words only: a title's key is shared by names, `Malone` ~ `Maulana`)
            if let Some(h) = best
                && t.class == TokClass::Name
                && self.vocab[h.0 as usize].class == TokClass::Generic
            {
                t.class = TokClass::Generic;
            }
            let idf = best
                .map(|h| self.vocab[h.0 as usize].idf)
                .unwrap_or(self.unknown_idf);
            let weight = idf * t.class.factor();
            qtoks.push(QTok { tok: t, weight });
        }
        hits.sort_unstable_by(|a, b| {
            (a.0, a.1)
                .cmp(&(b.0, b.1))
                .then(b.2.partial_cmp(&a.2).unwrap_or(std::cmp::Ordering::Equal))
        });
        hits.dedup_by(|b, a| a.0 == b.0 && a.1 == b.1);
        let total_weight = qtoks.iter().map(|q| q.weight).sum();
        let pair_keys = qtoks
            .windows(2)
            .map(|w| {
                let joined = format!("{}{}", w[0].tok.norm, w[1].tok.norm);
                phonetic_key(&joined, &mut Vec::new())
            })
            .collect();
        let distinctive = qtoks
            .iter()
            .filter(|q| q.tok.class == TokClass::Name)
            .count() as u8;
        Prepared {
            toks: qtoks,
            pair_keys,
            hits,
            total_weight,
            distinctive,
        }
    }

    /// Hits of one vocabulary id: a slice of `p.hits`.
    fn hits_of(p: &Prepared, v: u32) -> &[(u32, u8, f32, MatchRule, u8)] {
        let lo = p.hits.partition_point(|h| h.0 < v);
        let hi = lo + p.hits[lo..].partition_point(|h| h.0 == v);
        &p.hits[lo..hi]
    }

    /// Scores one name; with `explain`, also says why.
    fn score_name(
        &self,
        p: &Prepared,
        name: &IndexedName,
        explain: bool,
    ) -> (f32, Option<Explanation>) {
        // (similarity, query index, name index, rule, edits); on the stack, as this runs for
        // every candidate name
        const CAP: usize = 64;
        let mut pairs = [(0.0f32, 0u8, 0u8, MatchRule::Exact, 0u8); CAP];
        let mut np = 0usize;
        for (nj, t) in name.toks.iter().enumerate().take(64) {
            for v in std::iter::once(t.vocab).chain(t.alt) {
                for &(_, qi, sim, rule, edits) in Self::hits_of(p, v) {
                    let q = &p.toks[qi as usize].tok;
                    let (sim, rule) = if *q.norm == *t.norm {
                        (1.0, MatchRule::Exact)
                    } else if v == t.vocab {
                        (sim, rule)
                    } else if rule == MatchRule::Phonetic && !t.alt_compound {
                        (0.93, MatchRule::ArticleStripped)
                    } else if rule == MatchRule::Phonetic {
                        (0.8, MatchRule::CompoundPart)
                    } else {
                        // both sides reached through an alternative key
                        (sim.min(0.8) - 0.1, MatchRule::CompoundPart)
                    };
                    if np < CAP {
                        pairs[np] = (sim, qi, nj as u8, rule, edits);
                        np += 1;
                    }
                }
            }
        }
        if np == 0 {
            return (0.0, None);
        }
        let pairs = &mut pairs[..np];
        pairs.sort_unstable_by(|a, b| b.0.partial_cmp(&a.0).unwrap_or(std::cmp::Ordering::Equal));
        let mut used_q: u32 = 0;
        let mut used_n: u64 = 0;
        let mut chosen_buf = [(0.0f32, 0u8, 0u8, MatchRule::Exact, 0u8); 32];
        let mut nc = 0usize;
        for &pr in pairs.iter() {
            let (qb, nb) = (1u32 << pr.1, 1u64 << pr.2);
            if used_q & qb == 0 && used_n & nb == 0 && nc < 32 {
                used_q |= qb;
                used_n |= nb;
                chosen_buf[nc] = pr;
                nc += 1;
            }
        }
        // A query compound whose second part met another listed token (`Abdul Agha` for `Abdul
        // Manan Agha`) also half-meets a listed compound of the same prefix left unmatched.
        let mut partial: u64 = 0;
        for pair in chosen_buf[..nc].iter_mut() {
            let (_, qi, nj, rule, _) = *pair;
            let q = &p.toks[qi as usize].tok;
            if rule == MatchRule::CompoundPart
                && q.prefix > 0
                && q.merged
                && name.toks[nj as usize].prefix == 0
                && let Some(j) = name
                    .toks
                    .iter()
                    .enumerate()
                    .take(64)
                    .position(|(j, t)| t.prefix == q.prefix && used_n & (1u64 << j) == 0)
            {
                used_n |= 1u64 << j;
                partial |= 1u64 << j;
                // the query wrote the compound's prefix and the next listed word together: a
                // dropped middle word inside a compound, nearly as good as the whole
                pair.0 = 0.9;
                pair.3 = MatchRule::CompoundRejoined;
            }
        }
        // A compound split by reordering (`YASIN RAHMAN ABDUL`, `Al-Ghafur Abd Sundus`) is put
        // back together: a part match whose prefix stands unmatched on the query side, or moved to
        // a neighbouring part match in the other direction, counts as the whole compound.
        let mut q_dangling: u32 = 0;
        for (qi, q) in p.toks.iter().enumerate().take(32) {
            if q.tok.prefix > 0 && q.tok.class == TokClass::Connector && used_q & (1u32 << qi) == 0
            {
                q_dangling |= 1u32 << qi;
            }
        }
        for c in 0..nc {
            let (_, qi, nj, rule, _) = chosen_buf[c];
            if rule != MatchRule::CompoundPart {
                continue;
            }
            let qp = p.toks[qi as usize].tok.prefix;
            let np = name.toks[nj as usize].prefix;
            let prefix = if np > 0 && qp == 0 {
                np
            } else if qp > 0 && np == 0 {
                qp
            } else {
                0
            };
            if prefix == 0 {
                continue;
            }
            let dangling = (0..p.toks.len().min(32))
                .find(|&i| q_dangling & (1u32 << i) != 0 && p.toks[i].tok.prefix == prefix);
            let mirrored = (0..nc).any(|o| {
                let (_, oq, on, orule, _) = chosen_buf[o];
                o != c
                    && orule == MatchRule::CompoundPart
                    && ((np == 0 && name.toks[on as usize].prefix == prefix)
                        || (qp == 0 && p.toks[oq as usize].tok.prefix == prefix))
            });
            if let Some(i) = dangling {
                q_dangling &= !(1u32 << i);
                used_q |= 1u32 << i;
                chosen_buf[c].0 = 0.95;
                chosen_buf[c].3 = MatchRule::CompoundRejoined;
            } else if mirrored {
                chosen_buf[c].0 = 0.93;
                chosen_buf[c].3 = MatchRule::CompoundRejoined;
            }
        }
        // Concatenation and splitting (`Benali` ~ `Ben Ali`, `Binladen` ~ `Bin Laden`): a token
        // left unmatched whose key is the key of two adjacent unmatched tokens on the other side.
        // (query first, query count, name first, name count)
        let mut concat = [(0u8, 0u8, 0u8, 0u8); 4];
        let mut ncat = 0usize;
        let (nq, nn) = (p.toks.len().min(32), name.toks.len().min(64));
        if (used_q.count_ones() as usize) < nq && (used_n.count_ones() as usize) < nn {
            for qi in 0..nq {
                if ncat == concat.len() || used_q & (1u32 << qi) != 0 {
                    continue;
                }
                let qkey = p.toks[qi].tok.key.as_str();
                if let Some(j) = (0..nn.saturating_sub(1)).find(|&j| {
                    used_n & (3u64 << j) == 0 && name.toks[j].pair_key.as_deref() == Some(qkey)
                }) {
                    used_q |= 1u32 << qi;
                    used_n |= 3u64 << j;
                    concat[ncat] = (qi as u8, 1, j as u8, 2);
                    ncat += 1;
                    continue;
                }
                if qi + 1 < nq
                    && used_q & (1u32 << (qi + 1)) == 0
                    && let Some(j) = (0..nn).find(|&j| {
                        used_n & (1u64 << j) == 0
                            && *self.vocab[name.toks[j].vocab as usize].key == p.pair_keys[qi]
                    })
                {
                    used_q |= 3u32 << qi;
                    used_n |= 1u64 << j;
                    concat[ncat] = (qi as u8, 2, j as u8, 1);
                    ncat += 1;
                }
            }
        }
        let concat = &concat[..ncat];
        let chosen = &chosen_buf[..nc];
        let mut mq = 0.0f32;
        let mut mn = 0.0f32;
        let mut distinct = 0u8;
        for &(q0, qn, n0, nn) in concat {
            let qs = q0 as usize..(q0 + qn) as usize;
            let ns = n0 as usize..(n0 + nn) as usize;
            mq += 0.9 * p.toks[qs.clone()].iter().map(|q| q.weight).sum::<f32>();
            mn += 0.9 * name.toks[ns.clone()].iter().map(|t| t.weight).sum::<f32>();
            if name.toks[ns].iter().any(|t| t.class == TokClass::Name)
                && p.toks[qs].iter().any(|q| q.tok.class == TokClass::Name)
            {
                distinct += 1;
            }
        }
        for &(sim, qi, nj, _, _) in chosen {
            mq += sim * p.toks[qi as usize].weight;
            let nt = &name.toks[nj as usize];
            mn += sim * nt.weight;
            if nt.class == TokClass::Name && p.toks[qi as usize].tok.class == TokClass::Name {
                distinct += 1;
            }
        }
        let last = name.toks.len().saturating_sub(1).min(63);
        let ends_matched = used_n & 1 != 0 && used_n & (1u64 << last) != 0;
        for (nj, t) in name.toks.iter().enumerate().take(64) {
            if partial & (1u64 << nj) != 0 {
                mn += 0.6 * t.weight;
                if t.class == TokClass::Name {
                    distinct += 1;
                }
            }
        }
        let mut wn = 0.0f32;
        for (nj, t) in name.toks.iter().enumerate().take(64) {
            let matched = used_n & (1u64 << nj) != 0;
            let middle = nj > 0 && nj < last;
            wn += if !matched && middle && ends_matched {
                0.5 * t.weight
            } else {
                t.weight
            };
        }
        let cq = if p.total_weight > 0.0 {
            (mq / p.total_weight).min(1.0)
        } else {
            0.0
        };
        let cn = if wn > 0.0 { (mn / wn).min(1.0) } else { 0.0 };
        let base = cq.powf(0.8) * cn.powf(0.4);
        let mut score = base;
        let mut adjustments = Vec::new();
        if distinct <= 1 && (p.distinctive >= 2 || name.distinctive >= 2) && score > 0.6 {
            if explain {
                adjustments.push(Adjustment {
                    rule: "single distinctive token".into(),
                    delta: 0.6 - score,
                    detail: "at most one distinctive name token matched; capped at 0.6".into(),
                });
            }
            score = 0.6;
        }
        if name.given != u8::MAX && used_n & (1u64 << name.given) == 0 && score > 0.0 {
            if explain {
                adjustments.push(Adjustment {
                    rule: "given name unmatched".into(),
                    delta: score * 0.85 - score,
                    detail: format!(
                        "the listed given name {:?} has no partner in the query",
                        &*name.toks[name.given as usize].norm
                    ),
                });
            }
            score *= 0.85;
        }
        if name.quality.is_weak() {
            let all_exact = chosen.iter().all(|c| c.3 == MatchRule::Exact);
            let f = if all_exact { 0.92 } else { 0.86 };
            if explain {
                adjustments.push(Adjustment {
                    rule: "low-quality alias".into(),
                    delta: score * f - score,
                    detail: "the matched name is a low-quality alias".into(),
                });
            }
            score *= f;
        }
        if !explain {
            return (score, None);
        }
        let joined = |a: &mut dyn Iterator<Item = String>| a.collect::<Vec<_>>().join(" ");
        let concat_alignments = concat.iter().map(|&(q0, qn, n0, nn)| {
            let qs = q0 as usize..(q0 + qn) as usize;
            let ns = n0 as usize..(n0 + nn) as usize;
            Alignment {
                query_token: joined(&mut p.toks[qs].iter().map(|q| q.tok.norm.clone())),
                name_token: joined(&mut name.toks[ns.clone()].iter().map(|t| t.norm.to_string())),
                rule: MatchRule::Concatenated,
                edits: 0,
                similarity: 0.9,
                weight: name.toks[ns].iter().map(|t| t.weight).sum(),
                token_rules: Vec::new(),
            }
        });
        let alignments = chosen
            .iter()
            .map(|&(sim, qi, nj, rule, edits)| {
                let q = &p.toks[qi as usize].tok;
                let n = &name.toks[nj as usize];
                let mut token_rules: Vec<String> = Vec::new();
                for r in q.rules.iter().chain(n.rules.iter()) {
                    if !token_rules.iter().any(|x| x == r) {
                        token_rules.push((*r).to_owned());
                    }
                }
                Alignment {
                    query_token: q.norm.clone(),
                    name_token: n.norm.to_string(),
                    rule,
                    edits,
                    similarity: sim,
                    weight: n.weight,
                    token_rules,
                }
            })
            .chain(concat_alignments)
            .collect();
        let unmatched_query_tokens = p
            .toks
            .iter()
            .enumerate()
            .filter(|(i, _)| used_q & (1u32 << i) == 0)
            .map(|(_, q)| q.tok.norm.clone())
            .collect();
        let unmatched_name_tokens = name
            .toks
            .iter()
            .enumerate()
            .filter(|(i, _)| *i < 64 && used_n & (1u64 << i) == 0)
            .map(|(_, t)| t.norm.to_string())
            .collect();
        (
            score,
            Some(Explanation {
                name_score: score,
                query_coverage: cq,
                name_coverage: cn,
                alignments,
                unmatched_query_tokens,
                unmatched_name_tokens,
                adjustments,
            }),
        )
    }

    /// Adjusts a name score with the other facts of the query.
    fn evidence(
        &self,
        q: &Query,
        e: &EntryMeta,
        mut score: f32,
        mut adj: Option<&mut Vec<Adjustment>>,
    ) -> f32 {
        if score < 0.5 {
            return score;
        }
        let mut apply = |rule: &str, delta: f32, detail: String, score: &mut f32| {
            let before = *score;
            *score = (*score + delta).clamp(0.0, 1.0);
            if let Some(a) = adj.as_deref_mut() {
                a.push(Adjustment {
                    rule: rule.into(),
                    delta: *score - before,
                    detail,
                });
            }
        };
        if let Some(d) = q
            .birth_date
            .as_deref()
            .map(str::trim)
            .filter(|d| !d.is_empty())
        {
            let year: Option<i32> = d.get(..4).and_then(|y| y.parse().ok());
            if let Some(y) = year
                && !e.years.is_empty()
            {
                if d.len() >= 10 && e.dates.iter().any(|x| x == d) {
                    apply(
                        "birth date agrees",
                        0.06,
                        format!("listed date of birth {d}"),
                        &mut score,
                    );
                } else if e.years.iter().any(|&(a, b)| a <= y && y <= b) {
                    apply(
                        "birth year agrees",
                        0.04,
                        format!("listed birth year includes {y}"),
                        &mut score,
                    );
                } else if e.years.iter().all(|&(a, b)| y < a - 1 || y > b + 1) {
                    apply(
                        "birth year differs",
                        -0.10,
                        format!("no listed date of birth within a year of {y}"),
                        &mut score,
                    );
                }
            }
        }
        if let Some(n) = q.nationality.as_deref().filter(|n| !n.trim().is_empty())
            && !e.nationalities.is_empty()
        {
            let n = norm_country(n);
            if e.nationalities.iter().any(|x| countries_agree(x, &n)) {
                apply(
                    "nationality agrees",
                    0.03,
                    format!("listed nationality {n}"),
                    &mut score,
                );
            } else {
                apply(
                    "nationality differs",
                    -0.04,
                    format!("{n} is not a listed nationality"),
                    &mut score,
                );
            }
        }
        if let Some(doc) = q
            .document
            .as_deref()
            .map(norm_document)
            .filter(|d| d.len() >= 4)
            && e.documents.contains(&doc)
        {
            apply(
                "document number agrees",
                0.15,
                format!("listed document {doc}"),
                &mut score,
            );
        }
        score
    }

    /// Candidate names for a prepared query (see the module documentation).
    fn candidates(&self, p: &Prepared, query: &Query, threshold: f32) -> Vec<u32> {
        if self.names.len() < self.options.full_scan_below {
            return (0..self.names.len() as u32).collect();
        }
        let has = |f: &Option<String>| f.as_deref().is_some_and(|s| !s.trim().is_empty());
        let bonus = if has(&query.birth_date) { 0.06 } else { 0.0 }
            + if has(&query.nationality) { 0.03 } else { 0.0 }
            + if has(&query.document) { 0.15 } else { 0.0 };
        // Scores of names matched through one distinctive query token are capped at 0.6 (the
        // single-token rule) when the query has two distinctive tokens, and the query's evidence
        // adds at most 0.06 (birth date) + 0.03 (nationality) + 0.15 (document); such names are
        // skipped only when that cannot reach the threshold.
        let may_skip = p.distinctive >= 2 && threshold > 0.6 + bonus;
        SCRATCH.with(|cell| {
            let mut scratch = cell.borrow_mut();
            let Scratch {
                stamp,
                mask,
                generation,
            } = &mut *scratch;
            if stamp.len() < self.names.len() {
                stamp.resize(self.names.len(), 0);
                mask.resize(self.names.len(), 0);
            }
            *generation = generation.wrapping_add(1);
            if *generation == 0 {
                stamp.iter_mut().for_each(|s| *s = 0);
                *generation = 1;
            }
            let g = *generation;
            let mut out = Vec::with_capacity(128);
            for &(v, qi, _, _, _) in &p.hits {
                let bit = if p.toks[qi as usize].tok.class == TokClass::Name {
                    1u32 << qi
                } else {
                    0
                };
                for &n in &self.postings[v as usize] {
                    let n = n as usize;
                    if stamp[n] != g {
                        stamp[n] = g;
                        mask[n] = bit;
                        out.push(n as u32);
                    } else {
                        mask[n] |= bit;
                    }
                }
            }
            // concatenation: a query token against two listed tokens written together, and two
            // query tokens written together against one listed token
            let bit_of = |qi: usize| -> u32 {
                if p.toks[qi].tok.class == TokClass::Name {
                    1u32 << qi
                } else {
                    0
                }
            };
            let mut mark = |n: u32, bit: u32, out: &mut Vec<u32>| {
                let n = n as usize;
                if stamp[n] != g {
                    stamp[n] = g;
                    mask[n] = bit;
                    out.push(n as u32);
                } else {
                    mask[n] |= bit;
                }
            };
            for (qi, q) in p.toks.iter().enumerate().take(32) {
                if let Some(names) = self.pair_postings.get(q.tok.key.as_str()) {
                    for &n in names {
                        mark(n, bit_of(qi), &mut out);
                    }
                }
            }
            for (qi, pk) in p.pair_keys.iter().enumerate().take(31) {
                if let Some(&v) = self.key_ids.get(pk.as_str()) {
                    for &n in &self.postings[v as usize] {
                        mark(n, bit_of(qi) | bit_of(qi + 1), &mut out);
                    }
                }
            }
            if may_skip {
                out.retain(|&n| mask[n as usize].count_ones() >= 2);
            }
            out
        })
    }

    /// Screens one query at the index's threshold. Matches are sorted best first.
    pub fn screen(&self, query: &Query) -> Vec<Match> {
        self.screen_with_threshold(query, self.options.threshold)
    }

    /// Screens one name (no other facts) at the index's threshold.
    pub fn screen_name(&self, name: &str) -> Vec<Match> {
        self.screen(&Query::name(name))
    }

    /// Screens one query, returning the matches at or above `threshold`, best first.
    pub fn screen_with_threshold(&self, query: &Query, threshold: f32) -> Vec<Match> {
        let p = self.prepare(&query.name);
        if p.toks.is_empty() {
            return Vec::new();
        }
        // best (score, name) per entry
        let mut best: Vec<(u32, f32, u32)> = Vec::new();
        for ni in self.candidates(&p, query, threshold) {
            let name = &self.names[ni as usize];
            let e = &self.entries[name.entry as usize];
            if query.kind.is_some_and(|k| k != e.kind) {
                continue;
            }
            let (s, _) = self.score_name(&p, name, false);
            if s <= 0.0 {
                continue;
            }
            best.push((name.entry, s, ni));
        }
        best.sort_unstable_by(|a, b| {
            a.0.cmp(&b.0)
                .then(b.1.partial_cmp(&a.1).unwrap_or(std::cmp::Ordering::Equal))
        });
        best.dedup_by_key(|b| b.0);
        let mut scored: Vec<(f32, u32, u32)> = best
            .into_iter()
            .map(|(ei, s, ni)| {
                (
                    self.evidence(query, &self.entries[ei as usize], s, None),
                    ei,
                    ni,
                )
            })
            .filter(|b| b.0 >= threshold)
            .collect();
        scored.sort_unstable_by(|a, b| {
            b.0.partial_cmp(&a.0)
                .unwrap_or(std::cmp::Ordering::Equal)
                .then(a.1.cmp(&b.1))
        });
        scored.truncate(self.options.max_results);
        scored
            .into_iter()
            .map(|(score, ei, ni)| {
                let name = &self.names[ni as usize];
                let e = &self.entries[ei as usize];
                let (_, ex) = self.score_name(&p, name, true);
                let mut ex = ex.expect("a scored name explains itself");
                let s = self.evidence(query, e, ex.name_score, Some(&mut ex.adjustments));
                debug_assert!((s - score).abs() < 1e-5);
                let (list, version) = &self.lists[e.list as usize];
                Match {
                    score,
                    confidence: confidence(score),
                    list: list.clone(),
                    list_version: version.clone(),
                    entry_id: e.id.clone(),
                    reference: e.reference.clone(),
                    kind: e.kind,
                    primary_name: e.primary.clone(),
                    matched_name: name.text.to_string(),
                    matched_name_quality: name.quality,
                    explanation: ex,
                }
            })
            .collect()
    }

    /// Screens many queries on [`ScreenOptions::threads`] threads at the index's threshold;
    /// results in query order.
    pub fn screen_batch(&self, queries: &[Query]) -> Vec<Vec<Match>> {
        self.screen_batch_with_threshold(queries, self.options.threshold)
    }
}
