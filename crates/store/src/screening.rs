//! What the store keeps for sanctions screening (issue 7): dated list versions with their entries
//! and the diff to the version before, screened subjects, their hits, and the human decisions
//! (adjudications) on those hits.
//!
//! What it is not: the list model or the matcher. Entries, diff items and hits are kept as the
//! JSON text the caller hands over (the `entente-screening` model, serialised), next to the few
//! columns the store queries (list, version number, entry id, kind, name). So the store never
//! depends on the screening crate, and a screener is rebuilt from [`ScreeningStore::list_entries`]
//! by parsing each `body` back into an entry.
//!
//! Invariants kept here:
//! - A list version is numbered 1, 2, 3... per list, in import order, under the writer lock; its
//!   date (`version`) is unique per list (importing the same dated file twice is a `Conflict`).
//!   A version, its entries and its diff are written in one transaction and never edited.
//! - Hits are per (subject, list, entry). [`ScreeningStore::record_screenings`] replaces a
//!   subject's open hits on a list by the new screening's and reports which appeared and which
//!   vanished, atomically; a vanished hit keeps its row (status `vanished`) and its adjudications.
//! - Adjudications are append-only: a later decision on the same hit is a new row; the newest
//!   one is the one in force.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::Result;

/// One entry of a list version, as stored.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StoredListEntry {
    /// The source's record id (UN `DATAID`, OFAC `ent_num`, national `id`); unique per version.
    pub entry_id: String,
    /// `individual`, `entity`, `vessel` or `aircraft`.
    pub kind: String,
    /// The public reference number, if any.
    pub reference: Option<String>,
    /// The primary name, for listings.
    pub name: String,
    /// The whole entry as JSON text (the screening crate's `Entry`).
    pub body: String,
}

/// What happened to an entry between a version and the one before it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ListChangeKind {
    /// Only in the newer version.
    Added,
    /// In both, with changed content.
    Amended,
    /// Only in the older version: the source stopped carrying it.
    Delisted,
}

impl ListChangeKind {
    /// `added`, `amended` or `delisted`.
    pub fn as_str(self) -> &'static str {
        match self {
            ListChangeKind::Added => "added",
            ListChangeKind::Amended => "amended",
            ListChangeKind::Delisted => "delisted",
        }
    }

    pub(crate) fn parse(s: &str) -> Result<ListChangeKind> {
        match s {
            "added" => Ok(ListChangeKind::Added),
            "amended" => Ok(ListChangeKind::Amended),
            "delisted" => Ok(ListChangeKind::Delisted),
            other => Err(crate::Error::backend(format!(
                "stored list change kind {other:?}"
            ))),
        }
    }
}

/// One item of the diff between a version and the one before it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ListChange {
    /// Added, amended or delisted.
    pub change: ListChangeKind,
    /// The entry id.
    pub entry_id: String,
    /// The entry's primary name (in the newer version, or the older one when delisted).
    pub name: String,
    /// JSON text: the entry (added, delisted) or the amendment with its field changes (amended).
    pub body: String,
}

/// A list version to store: its entries and its diff to the newest stored version of the list.
#[derive(Clone, Debug, PartialEq)]
pub struct NewListVersion {
    /// The list id (`un`, `ofac-sdn`, `national-fr` ...).
    pub list: String,
    /// The version's date as the source states it (`YYYY-MM-DD`); unique per list.
    pub version: String,
    /// Where it came from (file names), for the operator.
    pub source: String,
    /// When it was imported, microseconds since the Unix epoch.
    pub imported_at: i64,
    /// The entries, in source order; ids unique.
    pub entries: Vec<StoredListEntry>,
    /// The diff to the newest stored version of the list (all entries `Added` for the first).
    pub changes: Vec<ListChange>,
    /// The number of the version `changes` was computed against (`None` for the first version).
    /// If another version was stored meanwhile, the store refuses this one (`Conflict`) rather
    /// than keep a diff to the wrong version.
    pub previous: Option<u64>,
}

/// A stored list version (without its entries).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListVersionInfo {
    /// The list id.
    pub list: String,
    /// 1, 2, 3... per list, in import order.
    pub number: u64,
    /// The version's date as the source states it.
    pub version: String,
    /// Where it came from.
    pub source: String,
    /// When it was imported, microseconds since the Unix epoch.
    pub imported_at: i64,
    /// Number of entries.
    pub entries: u64,
    /// Entries added since the version before.
    pub added: u64,
    /// Entries amended since the version before.
    pub amended: u64,
    /// Entries delisted since the version before.
    pub delisted: u64,
}

/// A person or entity that was screened, identified by a key derived from the facts given.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subject {
    /// Stable key derived from the screened facts (the caller computes it; same facts, same key).
    pub key: String,
    /// The name as screened.
    pub name: String,
    /// `individual` or `entity` when the screening was restricted to one.
    pub kind: Option<String>,
    /// Date of birth as given.
    pub birth_date: Option<String>,
    /// Nationality as given.
    pub nationality: Option<String>,
    /// Document number as given.
    pub document: Option<String>,
    /// First screening, microseconds since the Unix epoch.
    pub first_screened: i64,
    /// Latest screening, microseconds since the Unix epoch.
    pub last_screened: i64,
}

/// Whether a hit is raised by the latest screening of its subject.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HitStatus {
    /// The latest screening of the subject on this list raised it.
    Open,
    /// An earlier screening raised it; the latest one did not (delisted, amended, threshold).
    Vanished,
}

impl HitStatus {
    /// `open` or `vanished`.
    pub fn as_str(self) -> &'static str {
        match self {
            HitStatus::Open => "open",
            HitStatus::Vanished => "vanished",
        }
    }

    pub(crate) fn parse(s: &str) -> Result<HitStatus> {
        match s {
            "open" => Ok(HitStatus::Open),
            "vanished" => Ok(HitStatus::Vanished),
            other => Err(crate::Error::backend(format!(
                "stored hit status {other:?}"
            ))),
        }
    }
}

/// One match of a screening, to record.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NewHit {
    /// The entry matched.
    pub entry_id: String,
    /// Its score.
    pub score: f64,
    /// The listed name that matched.
    pub matched_name: String,
    /// The match with its explanation, as JSON text.
    pub body: String,
}

/// One subject's screening against one list version, to record.
#[derive(Clone, Debug, PartialEq)]
pub struct SubjectScreening {
    /// The subject (inserted, or its `last_screened` updated).
    pub subject: Subject,
    /// Every match at or above the threshold.
    pub hits: Vec<NewHit>,
}

/// A stored hit: a subject matched a list entry.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Hit {
    /// The subject's key.
    pub subject: String,
    /// The list.
    pub list: String,
    /// The entry matched.
    pub entry_id: String,
    /// Open or vanished.
    pub status: HitStatus,
    /// Score of the latest screening that raised it.
    pub score: f64,
    /// The listed name that matched.
    pub matched_name: String,
    /// The match with its explanation (JSON text) from the latest screening that raised it.
    pub body: String,
    /// The list version number of the screening that (last) opened it.
    pub first_number: u64,
    /// The list version number of the latest screening that raised it.
    pub last_number: u64,
}

/// What one recorded screening changed for its subject on its list.
#[derive(Clone, Debug, PartialEq)]
pub struct HitChanges {
    /// The subject's key.
    pub subject: String,
    /// Hits raised now that were not open before.
    pub new: Vec<Hit>,
    /// Hits open before that this screening did not raise.
    pub vanished: Vec<Hit>,
}

/// A human decision on a hit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AdjudicationDecision {
    /// The subject is the listed person or entity.
    TrueMatch,
    /// The subject is somebody else.
    FalsePositive,
    /// Cannot decide without more facts.
    NeedsMoreInformation,
}

impl AdjudicationDecision {
    /// `true-match`, `false-positive` or `needs-more-information`.
    pub fn as_str(self) -> &'static str {
        match self {
            AdjudicationDecision::TrueMatch => "true-match",
            AdjudicationDecision::FalsePositive => "false-positive",
            AdjudicationDecision::NeedsMoreInformation => "needs-more-information",
        }
    }
}

impl std::str::FromStr for AdjudicationDecision {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "true-match" => Ok(AdjudicationDecision::TrueMatch),
            "false-positive" => Ok(AdjudicationDecision::FalsePositive),
            "needs-more-information" => Ok(AdjudicationDecision::NeedsMoreInformation),
            other => Err(format!(
                "unknown decision {other:?}: expected true-match, false-positive or \
                 needs-more-information"
            )),
        }
    }
}

/// An adjudication to record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewAdjudication {
    /// The subject's key.
    pub subject: String,
    /// The list.
    pub list: String,
    /// The entry of the hit.
    pub entry_id: String,
    /// The decision.
    pub decision: AdjudicationDecision,
    /// Why (required, non-empty).
    pub reason: String,
    /// The user who decided (must exist).
    pub user: String,
    /// When, microseconds since the Unix epoch.
    pub time: i64,
}

/// A stored adjudication.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Adjudication {
    /// 1, 2, 3... in recording order, across the node.
    pub seq: u64,
    /// The subject's key.
    pub subject: String,
    /// The list.
    pub list: String,
    /// The entry of the hit.
    pub entry_id: String,
    /// The decision.
    pub decision: AdjudicationDecision,
    /// Why.
    pub reason: String,
    /// The user who decided.
    pub user: String,
    /// When, microseconds since the Unix epoch.
    pub time: i64,
    /// The list version number the hit was last raised at when the decision was taken.
    pub list_number: u64,
}

/// Persistence of sanctions list versions, their entries and diffs, screened subjects, hits and
/// adjudications (issue 7). A supertrait of [`crate::Store`], implemented by both backends.
#[async_trait]
pub trait ScreeningStore: Send + Sync {
    /// Stores a list version, its entries and its diff in one durable transaction, numbered one
    /// more than the newest version of that list. `Conflict` when the list already has a
    /// version with this date, or when its newest version is not `previous` (another import
    /// came first); `Invalid` when two entries share an id or the list id or date is empty.
    async fn add_list_version(&self, version: NewListVersion) -> Result<ListVersionInfo>;

    /// The stored versions of one list (all lists when `None`), by list then number.
    async fn list_versions(&self, list: Option<&str>) -> Result<Vec<ListVersionInfo>>;

    /// One version of a list; the newest when `number` is `None`. `NotFound` if absent.
    async fn list_version(&self, list: &str, number: Option<u64>) -> Result<ListVersionInfo>;

    /// The entries of one version, in source order. `NotFound` if the version is absent.
    async fn list_entries(&self, list: &str, number: u64) -> Result<Vec<StoredListEntry>>;

    /// The diff between version `number` and the one before it (added, amended, delisted, each
    /// in entry order of its version). `NotFound` if the version is absent.
    async fn list_changes(&self, list: &str, number: u64) -> Result<Vec<ListChange>>;

    /// Records screenings of subjects against version `number` of `list`, in one transaction:
    /// upserts each subject, replaces its open hits on the list by the given ones and returns,
    /// per screening in order, the hits that appeared and vanished. `NotFound` if the version
    /// is absent.
    async fn record_screenings(
        &self,
        list: &str,
        number: u64,
        screenings: Vec<SubjectScreening>,
    ) -> Result<Vec<HitChanges>>;

    /// The subjects ever screened against `list`, by key.
    async fn screened_subjects(&self, list: &str) -> Result<Vec<Subject>>;

    /// One subject. `NotFound` if absent.
    async fn subject(&self, key: &str) -> Result<Subject>;

    /// The hits (open and vanished) of one subject, by list then entry id.
    async fn subject_hits(&self, key: &str) -> Result<Vec<Hit>>;

    /// Records a human decision on a hit (open or vanished). `NotFound` if the hit or the user
    /// does not exist; `Invalid` if the reason is empty.
    async fn add_adjudication(&self, adjudication: NewAdjudication) -> Result<Adjudication>;

    /// The adjudications of one subject, oldest first.
    async fn adjudications(&self, subject: &str) -> Result<Vec<Adjudication>>;
}

/// Checks a new list version before it is written (shared by both backends).
pub(crate) fn validate_version(v: &NewListVersion) -> Result<()> {
    if v.list.trim().is_empty() || v.version.trim().is_empty() {
        return Err(crate::Error::Invalid(
            "a list version needs a list id and a version date".into(),
        ));
    }
    let mut seen = std::collections::HashSet::new();
    for e in &v.entries {
        if !seen.insert(e.entry_id.as_str()) {
            return Err(crate::Error::Invalid(format!(
                "entry id {:?} appears twice in list {} version {}",
                e.entry_id, v.list, v.version
            )));
        }
    }
    Ok(())
}

/// Checks that the diff of `v` was computed against the newest stored version (`newest`, 0 when
/// the list has none).
pub(crate) fn check_previous(v: &NewListVersion, newest: u64) -> Result<()> {
    if v.previous.unwrap_or(0) == newest {
        Ok(())
    } else {
        Err(crate::Error::Conflict(format!(
            "list {} gained version {newest} while version {} was being imported; import it again",
            v.list, v.version
        )))
    }
}

/// Counts of a diff: (added, amended, delisted).
pub(crate) fn change_counts(changes: &[ListChange]) -> (u64, u64, u64) {
    changes
        .iter()
        .fold((0, 0, 0), |(a, m, d), c| match c.change {
            ListChangeKind::Added => (a + 1, m, d),
            ListChangeKind::Amended => (a, m + 1, d),
            ListChangeKind::Delisted => (a, m, d + 1),
        })
}

pub(crate) fn parse_decision(s: &str) -> Result<AdjudicationDecision> {
    s.parse()
        .map_err(|e: String| crate::Error::backend(format!("stored adjudication: {e}")))
}
