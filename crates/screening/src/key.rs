//! Name analysis: folded tokens in, matching tokens with phonetic keys out.
//!
//! This is where the romanisation variants of Arabic names are made to meet. The project's own
//! English/French variant table has two layers:
//!
//! * **Token rules** on the token sequence: a name written `FAMILY, Given` is put in natural order
//!   (queries and aliases); Arabic articles (`al-`, `el-`, `ul-`, and the assimilated `ad-`, `ar-`,
//!   `as-`, `ash-`, `at-`, `az-`, `an-`, `ud-`, `ur-` ... when the next word starts with the same
//!   consonant) are dropped as separate words and stripped as prefixes in an alternative key
//!   (`Alzarqawi` ~ `al-Zarqawi` ~ `Zarqawi`); the compounds `Abd al-X`, `Abdul X`, `Abdel X`,
//!   `Abdurrahman`, `Abdelrahman` (and misspelt prefixes such as `Abudl X`, `Adbul X`) all become
//!   one token keyed `abd`+X, whose second part X is kept as an alternative key; `Abu X` / `Abou X`
//!   / `AbuX` likewise become `abu`+X; `X ad-Din`, `X-uddin`, `Xeddine` become X+`din`;
//!   a prefix left dangling at the end by reversed order is a weak connector; `ibn` / `bin` / `ben`
//!   / `bint` / `ould` are connectors (weak evidence), titles (`Haji`, `Mullah`, `Sheikh`,
//!   `Maulavi`) and generic entity words (`company`, `group`, `front`, `brigade` ...) are kept but
//!   weighted down; stop words (`of`, `the`, `de`, `la`) are dropped.
//! * **Letter rules** producing the phonetic key: `sh`/`ch`/`tch` → one sibilant, `dj`/`zh` → `j`,
//!   `kh` → `k`, `gh` → `g`, `q` → `k`, `ck` → `k`, `c` before e/i/y → `s` and otherwise `k`,
//!   `th` → `t`, `dh` → `d`, `ph` → `f`, `x` → `ks`, `ou`/`oo` → `u`; every vowel (and `w`, `y`
//!   inside a word) becomes one vowel class and runs of it collapse, an initial `o`/`u` staying
//!   apart from an initial `a`/`e`/`i` (`Omar` is not `Amir`), so `Mohammed`, `Muhammad`,
//!   `Mohamed`, `Mouhamed`, `Mohamad` share the key `mahamad` and `Youssef` / `Yusuf`, `Omar` /
//!   `Oumar` / `Umar`, `Ahmed` / `Ahmad` pair up; doubled letters collapse (`Hassan` / `Hasan`) and
//!   a final `h` after a vowel goes (`Hamzah` / `Hamza`). A short table handles what letter rules
//!   cannot: `Mohd`/`Mhd`/`Md` → Muhammad, `Brahim` → Ibrahim, `Osman`/`Usman` → Uthman (so that
//!   `Othman`, `Uthmen`, `Otman` meet by letter rules), Egyptian `Gamal` → Jamal.
//!
//! Each token also gets a consonant *skeleton* (its key without vowels and without a final `h`),
//! which is how a name typed in Arabic script (which writes no short vowels) meets a romanised one.
//! Keys are compared exactly, folded texts by bounded edit distance for typos; see `screener`.

use crate::text::{FoldedToken, fold};

/// How much a token tells about identity, before rarity weighting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokClass {
    /// An ordinary name word.
    Name,
    /// A generic entity word (company, group, front ...).
    Generic,
    /// An honorific or title (Haji, Mullah, Sheikh ...).
    Title,
    /// A genealogical connector (bin, ibn, ben, ould ...).
    Connector,
}

impl TokClass {
    /// The factor applied to the rarity weight of tokens of this class.
    pub(crate) fn factor(self) -> f32 {
        match self {
            TokClass::Name => 1.0,
            TokClass::Generic => 0.25,
            TokClass::Title => 0.15,
            TokClass::Connector => 0.3,
        }
    }
}

/// One analysed token.
#[derive(Debug, Clone)]
pub(crate) struct Tok {
    /// Folded text (compounds joined).
    pub norm: String,
    /// Phonetic key.
    pub key: String,
    /// Key with a leading article stripped, for tokens that may carry one glued on, or the key
    /// of the second part of an `abd`/`abu` compound.
    pub alt: Option<String>,
    /// True when `alt` is the second part of a compound (weaker than a stripped article).
    pub alt_compound: bool,
    /// 1 for an `abd` compound, 2 for an `abu` compound, 0 otherwise.
    pub prefix: u8,
    /// True when the token was merged from two written words (`Abdul` `Agha`), so `alt` is the
    /// second word as written rather than a guess at where a single word splits.
    pub merged: bool,
    /// Consonant skeleton of the key.
    pub skel: String,
    /// Written in Arabic script.
    pub arabic: bool,
    /// Weight class.
    pub class: TokClass,
    /// Token rules that produced this token (for explanations).
    pub rules: Vec<&'static str>,
}

const STOP: &[&str] = &[
    "of", "the", "and", "for", "de", "du", "des", "la", "le", "les", "d", "l", "et", "und", "y",
    "in", "on", "to",
];

const TITLES: &[&str] = &[
    "haji",
    "hajji",
    "hadj",
    "hadji",
    "haj",
    "hajj",
    "mullah",
    "mulla",
    "mollah",
    "molla",
    "maulavi",
    "maulvi",
    "maulawi",
    "moulvi",
    "mula",
    "mulah",
    "shaik",
    "mawlawi",
    "moulavi",
    "mawlavi",
    "maulana",
    "mawlana",
    "qari",
    "sheikh",
    "shaikh",
    "shaykh",
    "cheikh",
    "cheik",
    "sheik",
    "dr",
    "mr",
    "mrs",
    "ms",
    "doctor",
    "general",
    "colonel",
    "commander",
    "brigadier",
];

const CONNECTORS: &[&str] = &[
    "bin", "ibn", "ben", "bn", "ebn", "bint", "binti", "ould", "ag", "van", "von",
];

const GENERIC: &[&str] = &[
    "company",
    "co",
    "corp",
    "corporation",
    "incorporated",
    "inc",
    "ltd",
    "limited",
    "llc",
    "plc",
    "sa",
    "sarl",
    "gmbh",
    "group",
    "groupe",
    "grupo",
    "organization",
    "organisation",
    "org",
    "association",
    "foundation",
    "fondation",
    "fund",
    "trust",
    "society",
    "societe",
    "committee",
    "council",
    "front",
    "brigade",
    "brigades",
    "battalion",
    "army",
    "movement",
    "mouvement",
    "party",
    "network",
    "institute",
    "bank",
    "trading",
    "trade",
    "industrial",
    "industries",
    "industry",
    "enterprise",
    "enterprises",
    "international",
    "holding",
    "holdings",
    "service",
    "services",
    "charity",
    "charitable",
    "relief",
    "agency",
    "office",
    "center",
    "centre",
    "establishment",
    "department",
    "ministry",
    "union",
    "jamaat",
    "jamaah",
    "jamaa",
    "jamaatu",
    "harakat",
    "harakah",
    "tanzim",
    "katiba",
    "katibat",
    "kataib",
    "liwa",
    "jabhat",
    "jaish",
    "branch",
    "forces",
    "force",
    "corps",
    "general",
];

/// Whole-token variants that letter rules cannot reach (project-written).
fn table(t: &str) -> Option<&'static str> {
    Some(match t {
        "mohd" | "mhd" | "muhd" | "md" | "mohd." | "mohamud" => "muhammad",
        "brahim" | "ebrahim" => "ibrahim",
        "osman" | "usman" | "osmane" | "ousmane" | "usmaan" => "uthman",
        "gamal" => "jamal",
        "gamil" => "jamil",
        "ibn" | "bin" | "ben" | "bn" | "ebn" => "bin",
        "binti" => "bint",
        "abou" | "abo" | "abw" => "abu",
        "abdou" | "abdu" => "abd",
        _ => return None,
    })
}

fn is_vowel(c: char) -> bool {
    matches!(c, 'a' | 'e' | 'i' | 'o' | 'u')
}

fn is_article(t: &str) -> bool {
    matches!(t, "al" | "el" | "ul")
}

/// An assimilated article (`ad-Din`, `ash-Shabab`, `ar-Rahman`) is a short vowel plus the first
/// consonant(s) of the next word.
fn is_assimilated_article(t: &str, next: &str) -> bool {
    let b = t.as_bytes();
    if !(2..=3).contains(&b.len()) || !matches!(b[0], b'a' | b'e' | b'u') {
        return false;
    }
    let cons = &t[1..];
    if !cons
        .bytes()
        .all(|c| c.is_ascii_alphabetic() && !is_vowel(c as char))
    {
        return false;
    }
    let cons_ok = matches!(
        cons,
        "d" | "r"
            | "s"
            | "t"
            | "z"
            | "n"
            | "sh"
            | "th"
            | "dh"
            | "dd"
            | "ss"
            | "tt"
            | "zz"
            | "rr"
            | "nn"
    );
    cons_ok && next.starts_with(&cons[..1])
}

/// One typing error away from a long `abd` prefix (`abudl`, `adbul`, `abdl`, `badur`), or the
/// transposed `adb`; `Abel`, `Abed`, `Abdi` and `Abdo` are names of their own and stay apart.
fn is_misspelt_abd(t: &str) -> bool {
    if t == "adb" {
        return true;
    }
    // `Adel` is one letter from `Abdel` but a name of its own: a misspelt prefix keeps its b and d
    if !(4..=6).contains(&t.len())
        || !t.contains('b')
        || !t.contains('d')
        || !(t.starts_with('a') || t.starts_with('b'))
        || matches!(
            t,
            "abel" | "abed" | "abdi" | "abdo" | "abid" | "abad" | "abud" | "badi"
        )
    {
        return false;
    }
    ["abdul", "abdel", "abdur", "abdal", "abdus"]
        .iter()
        .any(|p| crate::distance::bounded_osa(t, p, 1).is_some())
}

fn is_din(t: &str) -> bool {
    matches!(
        t,
        "din" | "deen" | "dine" | "dien" | "eddine" | "eddin" | "uddin" | "addin" | "edin"
    )
}

/// The token sequence rules, then keys. `s` is any name in any script.
pub(crate) fn analyse(s: &str) -> Vec<Tok> {
    analyse_folded(fold(s))
}

/// Like [`analyse`], but a name written `FAMILY, Given Middle` (one comma) is first turned into
/// `Given Middle FAMILY`, so compounds and the given name are found where they would be in the
/// natural order. Used for queries and aliases; the UN primary name is built from ordered name
/// parts and is analysed as is.
pub(crate) fn analyse_reordered(s: &str) -> Vec<Tok> {
    match s.split_once(',') {
        Some((family, given))
            if !given.contains(',') && !given.trim().is_empty() && !family.trim().is_empty() =>
        {
            let mut f = fold(given);
            f.extend(fold(family));
            analyse_folded(f)
        }
        _ => analyse(s),
    }
}

pub(crate) fn analyse_folded(folded: Vec<FoldedToken>) -> Vec<Tok> {
    let multi = folded.len() > 1;
    // Stage 1: drop stop words and articles, remembering the rule on the next token.
    let mut words: Vec<(String, bool, Vec<&'static str>)> = Vec::with_capacity(folded.len());
    let mut pending: Vec<&'static str> = Vec::new();
    for (i, f) in folded.iter().enumerate() {
        let next = folded.get(i + 1).map(|n| n.text.as_str());
        let t = f.text.as_str();
        if multi && STOP.contains(&t) {
            continue;
        }
        // an article left at the end (reversed order: `ALFI ABDULLAH EL`)
        if multi && next.is_none() && is_article(t) {
            continue;
        }
        if let Some(n) = next
            && (is_article(t) || is_assimilated_article(t, n))
        {
            pending.push("article dropped");
            continue;
        }
        words.push((
            table(t).map(str::to_owned).unwrap_or_else(|| t.to_owned()),
            f.arabic,
            std::mem::take(&mut pending),
        ));
        if table(t).is_some_and(|r| r != t) {
            words
                .last_mut()
                .expect("just pushed")
                .2
                .push("variant table");
        }
    }
    // Stage 2: compounds.
    let mut merged: Vec<(String, bool, Vec<&'static str>)> = Vec::with_capacity(words.len());
    // the second word of a compound merged from two words, by merged index
    let mut parts: Vec<Option<String>> = Vec::with_capacity(words.len());
    let mut i = 0;
    while i < words.len() {
        let (w, arabic, rules) = &words[i];
        // `Abdi` (Somali) and `Abdo` stand alone; these forms only ever begin a compound
        let exact_abd = matches!(
            w.as_str(),
            "abd" | "abdul" | "abdel" | "abdal" | "abdol" | "abdoul" | "abdur" | "abdus" | "abdil"
        );
        // a misspelt prefix (`Abudl`, `Adbul`, `Abdl`, `Abur`, `Adb`) still begins a compound
        let misspelt_abd = !exact_abd && i + 1 < words.len() && is_misspelt_abd(w);
        let abd_prefix = exact_abd || misspelt_abd;
        let abu_prefix = w == "abu";
        if (abd_prefix || abu_prefix) && i + 1 < words.len() {
            let mut r = rules.clone();
            r.extend(words[i + 1].2.iter().copied());
            r.push(if abd_prefix {
                "abd compound"
            } else {
                "abu compound"
            });
            if misspelt_abd {
                r.push("misspelt compound prefix");
            }
            let head = if misspelt_abd { "abdul" } else { w.as_str() };
            merged.push((
                format!("{head}{}", words[i + 1].0),
                *arabic || words[i + 1].1,
                r,
            ));
            parts.push(Some(words[i + 1].0.clone()));
            i += 2;
            continue;
        }
        if is_din(w) && !merged.is_empty() {
            let last = merged.last_mut().expect("not empty");
            last.0.push_str("din");
            last.2.push("din compound");
            i += 1;
            continue;
        }
        let mut rules = rules.clone();
        if (abd_prefix || abu_prefix) && words.len() > 1 {
            // a compound prefix left dangling by reversed order (`YASIN RAHMAN ABDUL`)
            rules.push("dangling compound prefix");
        }
        merged.push((w.clone(), *arabic, rules));
        parts.push(None);
        i += 1;
    }
    merged
        .into_iter()
        .zip(parts)
        .map(|((norm, arabic, mut rules), part)| {
            let class = if rules.contains(&"dangling compound prefix") {
                TokClass::Connector
            } else {
                classify(&norm)
            };
            let key = phonetic_key(&norm, &mut rules);
            let article = article_stripped(&norm);
            let prefix = if norm.starts_with("abd") {
                1
            } else if norm.starts_with("abu") {
                2
            } else {
                0
            };
            let alt_compound = article.is_none() && prefix > 0 && norm.len() > 4;
            // a compound merged from two words keeps the second word as its part
            // (`Abdul Agha` -> `agha`); a written-together one is split after its connector
            let alt = article
                .or(part.as_deref())
                .or_else(|| compound_rest(&norm))
                .map(|rest| phonetic_key(rest, &mut Vec::new()));
            let skel = skeleton(&key);
            Tok {
                norm,
                key,
                merged: part.is_some() && alt_compound,
                alt,
                alt_compound,
                prefix,
                skel,
                arabic,
                class,
                rules,
            }
        })
        .collect()
}

fn classify(t: &str) -> TokClass {
    if GENERIC.contains(&t) {
        TokClass::Generic
    } else if TITLES.contains(&t) {
        TokClass::Title
    } else if CONNECTORS.contains(&t) || t == "bint" {
        TokClass::Connector
    } else {
        TokClass::Name
    }
}

/// `alzarqawi` → `zarqawi`: a glued-on article, for tokens long enough to carry one.
fn article_stripped(t: &str) -> Option<&str> {
    if t.starts_with("abd") || t.starts_with("abu") {
        return None;
    }
    for p in ["al", "el"] {
        if let Some(rest) = t.strip_prefix(p)
            && rest.len() >= 4
        {
            return Some(rest);
        }
    }
    None
}

/// `abdulghafur` → `ghafur`: the second part of an `abd` compound, so that a query that lost the
/// `Abd` (`Sundus Al-Ghafur` for `Sundus Abd Al-Ghafur`) still meets it.
fn compound_rest(t: &str) -> Option<&str> {
    let rest = strip_connector(t.strip_prefix("abd").or_else(|| t.strip_prefix("abu"))?);
    (rest.len() >= 4).then_some(rest)
}

/// After `abd` or `abu`: drop the connecting vowel and the article (`ul`, `el`, `al`, `ur`+r ...).
fn strip_connector(rest: &str) -> &str {
    let r = rest.trim_start_matches(is_vowel);
    let b = r.as_bytes();
    if b.len() > 2 && b[0] == b'l' && !is_vowel(b[1] as char) && b[1] != b'y' && b[1] != b'w' {
        &r[1..]
    } else {
        r
    }
}

/// Single-token `X-uddin`, `Xeddine`, `Xaddin`: returns the stem X.
fn din_stem(t: &str) -> Option<&str> {
    for suffix in ["dine", "deen", "dien", "din"] {
        if let Some(stem) = t.strip_suffix(suffix)
            && stem.len() >= 3
        {
            // connector: vowel run plus an optional assimilated d or l (`ud`, `ed`, `al`, `e`).
            let s = stem.strip_suffix('d').or_else(|| stem.strip_suffix('l'));
            let s = match s {
                Some(x) if x.ends_with(is_vowel) => x.trim_end_matches(is_vowel),
                _ => stem.trim_end_matches(is_vowel),
            };
            if s.len() >= 2 {
                return Some(s);
            }
        }
    }
    None
}

/// The phonetic key of one token (compound-aware).
pub(crate) fn phonetic_key(t: &str, rules: &mut Vec<&'static str>) -> String {
    if let Some(rest) = t.strip_prefix("abd")
        && rest.len() >= 2
    {
        let mut k = String::from("abd");
        k.push_str(&letters(strip_connector(rest)));
        return k;
    }
    if let Some(rest) = t.strip_prefix("abu").or_else(|| t.strip_prefix("abou"))
        && rest.len() >= 3
    {
        let mut k = String::from("abu");
        k.push_str(&letters(strip_connector(rest)));
        return k;
    }
    if let Some(stem) = din_stem(t) {
        if !rules.contains(&"din compound") {
            rules.push("din compound");
        }
        let mut k = letters(stem);
        k.push_str("dan");
        return k;
    }
    letters(t)
}

/// The letter rules (see the module documentation). Non-ASCII letters pass through unchanged.
pub(crate) fn letters(t: &str) -> String {
    let s: Vec<char> = t.chars().collect();
    // A French mute final e (Amine / Amin) is left to the typo tier: dropping it would also turn
    // Mire into Mir and Dale into Dal.
    let n = s.len();
    let at = |i: usize| -> char { s.get(i).copied().unwrap_or('\0') };
    let mut out: Vec<char> = Vec::with_capacity(n + 2);
    let mut i = 0;
    while i < n {
        let c = s[i];
        let c1 = at(i + 1);
        let c2 = at(i + 2);
        let (mapped, used): (char, usize) = match c {
            't' if c1 == 'c' && c2 == 'h' => ('X', 3),
            's' | 'c' if c1 == 'h' => ('X', 2),
            'z' if c1 == 'h' => ('j', 2),
            'd' if c1 == 'j' => ('j', 2),
            'k' if c1 == 'h' => ('k', 2),
            'g' if c1 == 'h' => ('g', 2),
            't' if c1 == 'h' => ('t', 2),
            'd' if c1 == 'h' => ('d', 2),
            'p' if c1 == 'h' => ('f', 2),
            'c' if c1 == 'k' => ('k', 2),
            'q' => ('k', 1),
            'c' if matches!(c1, 'e' | 'i' | 'y') => ('s', 1),
            'c' => ('k', 1),
            'x' => {
                out.push('k');
                ('s', 1)
            }
            'o' if c1 == 'u' && i == 0 && is_vowel(c2) => ('w', 2),
            'o' if c1 == 'u' && i == 0 => ('u', 2),
            'w' | 'y' if i == 0 => (c, 1),
            'w' | 'y' => ('a', 1),
            'h' if i + 1 == n && i > 0 && is_vowel(s[i - 1]) => {
                i += 1;
                continue;
            }
            // an initial o/u stays apart from an initial a/e/i (Omar/Umar vs Amir)
            'o' | 'u' if i == 0 => ('u', 1),
            v if is_vowel(v) => ('a', 1),
            other => (other, 1),
        };
        if out.last() != Some(&mapped) {
            out.push(mapped);
        }
        i += used;
    }
    // a final h after a vowel class, revealed by digraph folding
    if out.len() > 2 && out.last() == Some(&'h') && out[out.len() - 2] == 'a' {
        out.pop();
    }
    out.into_iter().collect()
}

/// Consonant skeleton: the key without vowel classes (`a`, initial `u`) and without a final `h`.
pub(crate) fn skeleton(key: &str) -> String {
    let mut s: String = key.chars().filter(|&c| c != 'a' && c != 'u').collect();
    if s.len() > 2 && s.ends_with('h') {
        s.pop();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(s: &str) -> Vec<String> {
        analyse(s).into_iter().map(|t| t.key).collect()
    }

    #[test]
    fn muhammad_variants_share_a_key() {
        let k = keys("Muhammad");
        for v in [
            "Mohammed", "Mohamed", "Mohamad", "Mouhamed", "MOHAMMAD", "Mohd", "Muhammed",
        ] {
            assert_eq!(keys(v), k, "{v}");
        }
    }

    #[test]
    fn english_french_variants() {
        assert_eq!(keys("Abou Bakr"), keys("Abu Bakr"));
        assert_eq!(keys("Abubakr"), keys("Abu Bakr"));
        assert_eq!(keys("Chérif"), keys("Sharif"));
        assert_eq!(keys("Djamel"), keys("Jamal"));
        assert_eq!(keys("Youssef"), keys("Yusuf"));
        assert_eq!(keys("Khaled"), keys("Kaled"));
        assert_eq!(keys("Qasim"), keys("Kacem"));
        assert_eq!(keys("Oussama"), keys("Usama"));
        assert_eq!(keys("Hamzah"), keys("Hamza"));
        assert_eq!(keys("Ould"), keys("ould"));
        assert_eq!(keys("Mustapha"), keys("Moustafa"));
    }

    #[test]
    fn abd_compounds_meet() {
        let k = keys("Abd al-Rahman");
        for v in [
            "Abdul Rahman",
            "Abdelrahman",
            "Abdurrahman",
            "Abd-ar-Rahman",
            "ABDULRAHMAN",
        ] {
            assert_eq!(keys(v), k, "{v}");
        }
        assert_eq!(keys("Abdullah"), keys("Abd Allah"));
        assert_eq!(keys("Abdallah"), keys("Abdoullah"));
        assert_eq!(keys("Abdul Aziz"), keys("Abdelaziz"));
    }

    #[test]
    fn misspelt_abd_prefixes_still_compound() {
        let k = keys("Abdul Haq");
        for v in ["Abudl Haq", "Adbul Haq", "Abdl Haq", "Adb al-Haq"] {
            assert_eq!(keys(v), k, "{v}");
        }
        assert_ne!(keys("Abel Haq"), k);
        assert_eq!(keys("Adel Haq").len(), 2);
    }

    #[test]
    fn din_compounds_meet() {
        let k = keys("Nasr al-Din");
        assert_eq!(keys("Nasreddine"), k);
        assert_eq!(keys("Nasruddin"), k);
        assert_eq!(keys("Nasr ad-Din"), k);
        assert_eq!(keys("Salahuddin"), keys("Salah al-Din"));
    }

    #[test]
    fn articles_are_dropped_or_alternative() {
        assert_eq!(keys("al-Baghdadi"), keys("Baghdadi"));
        assert_eq!(keys("El Baghdadi"), keys("Baghdadi"));
        let glued = analyse("Albaghdadi");
        assert_eq!(glued[0].alt.as_deref(), Some(keys("Baghdadi")[0].as_str()));
    }

    #[test]
    fn arabic_script_meets_latin_by_skeleton() {
        let a = analyse("محمد");
        let l = analyse("Muhammad");
        assert_eq!(a[0].skel, l[0].skel);
        let a = analyse("حسين");
        let l = analyse("Hussein");
        assert_eq!(a[0].skel, l[0].skel);
        let a = analyse("عبد الله");
        let l = analyse("Abdullah");
        assert_eq!(a[0].skel, l[0].skel);
    }

    #[test]
    fn classes() {
        let t = analyse("Al-Nusrah Front Company");
        assert_eq!(t[0].class, TokClass::Name);
        assert_eq!(t[1].class, TokClass::Generic);
        let t = analyse("Usama bin Laden");
        assert_eq!(t[1].class, TokClass::Connector);
    }
}
