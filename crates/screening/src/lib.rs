//! Sanctions-list loading and name matching. No network, no SQL.
//!
//! `entente-screening` turns sanctions lists into a common model and screens names against them.
//! It is a pure core (DESIGN invariant 7): importers parse bytes or readers the caller hands over,
//! the matcher works in memory, and nothing here opens a file, a socket or a database. Storing list
//! versions and diffs, the CLI, the HTTP API and adjudication live in `store`, `entente` and
//! `server`, which call this crate. A match is a *candidate for a human*, never a decision
//! (invariant 6): every [`Match`] carries the [`Explanation`] an adjudicator needs.
//!
//! # Pipeline
//!
//! ```text
//!  UN XML ──import_un_xml──┐
//!  OFAC CSV ─import_ofac_sdn─┼─▶ ListVersion { list, version, entries: Vec<Entry> } ──diff──▶ ListDiff
//!  national CSV ─import_national_csv─┘          │
//!                                               ▼
//!                                Screener::new (index: keys, typo neighbourhoods, skeletons, IDF)
//!                                               │
//!  Query { name, kind?, birth_date?, nationality?, document? } ──screen──▶ Vec<Match> (best first)
//! ```
//!
//! 1. **Folding** ([`text`]): Arabic orthographic folding (hamza forms, ta marbuta, alif maqsura,
//!    tatweel, harakat), Arabic/Persian/Cyrillic/Greek transliteration, NFKD and diacritic removal,
//!    case folding, punctuation.
//! 2. **Name analysis** (module `key`): stop words and Arabic articles, compounds (`Abd al-X`,
//!    `Abu X`, `X ad-Din`), titles, connectors and generic entity words, `FAMILY, Given` reordering;
//!    then a phonetic key per token from the project's English/French variant rules for Arabic
//!    names (Muhammad/Mohamed/Mouhamed, sh/ch, j/dj, u/ou, kh/k, q/k, vowels as one class, ...)
//!    and a consonant skeleton for Arabic-script tokens.
//! 3. **Candidates** ([`screener`]): every name sharing a similar token with the query, found by
//!    hash on keys, a deletion neighbourhood for typos and a skeleton table; lists under
//!    [`ScreenOptions::full_scan_below`] names are scored whole.
//! 4. **Scoring**: a one-to-one token alignment (order free), weighted by token rarity (IDF over
//!    the list's names) and class, combined as `query coverage^0.8 × name coverage^0.4`, with the
//!    rules that keep analysts' queues short: a shared common given name alone never alerts, a
//!    relative's name missing its own given name is discounted, low-quality aliases weigh less;
//!    then evidence from birth date, nationality and document number when the query has them.
//! 5. **Result**: the best name per entry, at or above the threshold ([`DEFAULT_THRESHOLD`] = 0.82),
//!    at most [`ScreenOptions::max_results`], each with its score and [`Match::confidence`] (the
//!    score's calibration on the evaluation set), list, version, entry id, reference, the matched
//!    name and the explanation; all serialisable with serde.
//!
//! # Decisions a newcomer would question
//!
//! * **Hand-written phonetic keys, not Soundex/Metaphone or a learned model.** Soundex and
//!   Metaphone were designed for English surnames; they do not know that `ou` is French for `u`,
//!   that `dj` and `j` or `q` and `k` are the same Arabic letter, or that `Abd al-Rahman` and
//!   `Abdurrahman` are one name. The rules are few, readable and tested one by one.
//! * **Scores are a documented similarity, calibrated on the project's evaluation set**: the default
//!   threshold is where the evaluation reaches its recall target with the fewest false alerts, and
//!   each match also carries the share of alerts at its score that were right there
//!   (see `bench/screening/RESULTS.md`). Callers may pass another threshold.
//! * **Greedy alignment rather than the Hungarian algorithm.** Names have a handful of tokens and
//!   the similarity matrices are nearly diagonal; greedy by similarity gives the same assignment on
//!   them at a fraction of the cost, which matters at tens of thousands of queries per second.
//! * **Recall first in candidate generation.** The index may return many names, never too few:
//!   the only names it skips are those the single-token rule caps below any threshold in reach.
//!
//! # Example
//!
//! ```
//! use entente_screening::{ListId, Query, Screener, import_national_csv};
//!
//! let csv = "id,kind,name,legal_reference,aliases\n\
//!            FR-1,individual,Abd al-Rahman Benali,Arrêté du 3 mars 2024,Abou Karim\n";
//! let list = import_national_csv(csv.as_bytes(), ListId::from("national-fr"), "2024-03-04")?;
//! let screener = Screener::from_list(&list);
//! let matches = screener.screen(&Query::name("Abdurrahman Ben Ali"));
//! assert_eq!(matches[0].entry_id, "FR-1");
//! println!("{}", serde_json::to_string_pretty(&matches[0].explanation).unwrap());
//! # Ok::<(), entente_screening::Error>(())
//! ```
#![deny(missing_docs)]

pub mod diff;
mod distance;
pub mod error;
pub mod import;
mod key;
pub mod model;
pub mod screener;
pub mod text;

pub use diff::{Amendment, FieldChange, ListDiff, diff};
pub use distance::bounded_osa;
pub use error::{Error, Result};
pub use import::{
    NATIONAL_COLUMNS, OFAC_LIST_ID, UN_LIST_ID, import_national_csv, import_ofac_sdn, import_un_xml,
};
pub use model::*;
pub use screener::{
    Adjustment, Alignment, DEFAULT_THRESHOLD, Explanation, Match, MatchRule, Query, ScreenOptions,
    Screener, confidence,
};
