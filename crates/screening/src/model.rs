//! The common list model: [`ListVersion`] holds the [`Entry`] records of one dated import of one list.
//!
//! Every importer (UN XML, OFAC CSV, national CSV) produces the same model, so the matcher, the diff
//! and the callers (store, CLI, API) never see a source format. Fields a source does not carry stay
//! empty; nothing is invented. Strings are kept as the source wrote them (trimmed); normalisation
//! for matching happens in the matcher, never here, so an entry can always be shown as listed.

use serde::{Deserialize, Serialize};

/// Identifier of a list, for example `un`, `ofac-sdn` or `national-fr`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ListId(pub String);

impl ListId {
    /// The identifier as a string slice.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for ListId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for ListId {
    fn from(s: &str) -> Self {
        ListId(s.to_owned())
    }
}

/// One dated import of one list. Entries keep the order of the source.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ListVersion {
    /// Which list.
    pub list: ListId,
    /// The version: the date the source says it was generated (`YYYY-MM-DD`), or the date the
    /// caller gave when the source carries none.
    pub version: String,
    /// The entries, in source order. Entry ids are unique within a version (importers enforce it).
    pub entries: Vec<Entry>,
}

impl ListVersion {
    /// The entry with this id, if any.
    pub fn entry(&self, id: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.id == id)
    }
}

/// What kind of subject an entry designates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EntryKind {
    /// A natural person.
    Individual,
    /// An organisation, company, group or other legal or de-facto entity.
    Entity,
    /// A ship (OFAC).
    Vessel,
    /// An aircraft (OFAC).
    Aircraft,
}

/// How a name is attested in the source. It decides how much a match on that name is worth.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NameQuality {
    /// The listed name (UN name parts joined, OFAC `SDN_Name`).
    Primary,
    /// The listed name in its original script (UN `NAME_ORIGINAL_SCRIPT`).
    OriginalScript,
    /// A good-quality alias (UN `Good`, OFAC `aka`).
    Good,
    /// A low-quality alias (UN `Low`, OFAC `nka`-less weak aliases): weaker evidence.
    Low,
    /// An entity's "also known as" (UN `a.k.a.`).
    Aka,
    /// An entity's "formerly known as" (UN `f.k.a.`, OFAC `fka`).
    Fka,
}

impl NameQuality {
    /// True for names that are weak evidence on their own (low-quality aliases).
    pub fn is_weak(self) -> bool {
        matches!(self, NameQuality::Low)
    }
}

/// One name of an entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Name {
    /// The name as written in the source.
    pub text: String,
    /// How the source attests it.
    pub quality: NameQuality,
}

/// How precise a date of birth is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DateQualifier {
    /// Stated as exact.
    Exact,
    /// Stated as approximate (`circa`).
    Approximately,
    /// A range of years.
    Between,
}

/// A date (or year, or range of years) of birth.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct BirthDate {
    /// Precision as given by the source, if any.
    pub qualifier: Option<DateQualifier>,
    /// A full date, `YYYY-MM-DD`, when known.
    pub date: Option<String>,
    /// A year, when only the year is known (or the year of `date`).
    pub year: Option<i32>,
    /// First year of a range.
    pub from_year: Option<i32>,
    /// Last year of a range.
    pub to_year: Option<i32>,
}

impl BirthDate {
    /// The inclusive range of years this date allows, if it says anything about the year.
    pub fn year_range(&self) -> Option<(i32, i32)> {
        if let (Some(a), Some(b)) = (self.from_year, self.to_year) {
            return Some((a.min(b), a.max(b)));
        }
        let y = self.year.or_else(|| {
            self.date
                .as_deref()
                .and_then(|d| d.get(..4))
                .and_then(|y| y.parse().ok())
        })?;
        match self.qualifier {
            Some(DateQualifier::Approximately) => Some((y - 1, y + 1)),
            _ => Some((y, y)),
        }
    }
}

/// A place (of birth) or a postal address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Address {
    /// Street and number.
    pub street: Option<String>,
    /// City or town.
    pub city: Option<String>,
    /// State or province.
    pub state: Option<String>,
    /// Postal code.
    pub zip: Option<String>,
    /// Country.
    pub country: Option<String>,
    /// Free-text note from the source.
    pub note: Option<String>,
}

/// An identity or travel document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Document {
    /// Kind as the source names it (`Passport`, `National Identification Number`, ...).
    pub kind: Option<String>,
    /// Second kind field of the UN list (`TYPE_OF_DOCUMENT2`).
    pub kind_detail: Option<String>,
    /// The number as written.
    pub number: Option<String>,
    /// Issuing country.
    pub issuing_country: Option<String>,
    /// Date of issue.
    pub date_of_issue: Option<String>,
    /// Free-text note.
    pub note: Option<String>,
}

/// One designated person, entity, vessel or aircraft.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// The source's record id (UN `DATAID`, OFAC `ent_num`, national `id`). Unique per version.
    pub id: String,
    /// The public reference number (UN `REFERENCE_NUMBER` such as `QDi.001`).
    pub reference: Option<String>,
    /// Person, entity, vessel or aircraft.
    pub kind: EntryKind,
    /// The name parts in source order (UN `FIRST_NAME`..`FOURTH_NAME`); empty when the source
    /// gives only whole names.
    pub name_parts: Vec<String>,
    /// All names: the primary name first, then the original-script name, then the aliases.
    pub names: Vec<Name>,
    /// The sanctions regime or programme (UN `UN_LIST_TYPE`, OFAC `Program`).
    pub programme: Vec<String>,
    /// The list type (UN `LIST_TYPE`, for example `UN List`).
    pub list_type: Option<String>,
    /// Date of listing, `YYYY-MM-DD`.
    pub listed_on: Option<String>,
    /// Dates on which the source says the record was updated.
    pub last_updated: Vec<String>,
    /// Titles (`Haji`, `Maulavi`, ...).
    pub titles: Vec<String>,
    /// Designations (positions held).
    pub designations: Vec<String>,
    /// Gender as written.
    pub gender: Option<String>,
    /// Dates of birth.
    pub birth_dates: Vec<BirthDate>,
    /// Places of birth.
    pub birth_places: Vec<Address>,
    /// Nationalities as written.
    pub nationalities: Vec<String>,
    /// Identity documents.
    pub documents: Vec<Document>,
    /// Addresses.
    pub addresses: Vec<Address>,
    /// The legal basis of the designation (required in the national CSV format).
    pub legal_reference: Option<String>,
    /// Free-text comments.
    pub comments: Option<String>,
}

impl Entry {
    /// An empty entry of the given id and kind; importers fill it in.
    pub fn new(id: impl Into<String>, kind: EntryKind) -> Self {
        Entry {
            id: id.into(),
            reference: None,
            kind,
            name_parts: Vec::new(),
            names: Vec::new(),
            programme: Vec::new(),
            list_type: None,
            listed_on: None,
            last_updated: Vec::new(),
            titles: Vec::new(),
            designations: Vec::new(),
            gender: None,
            birth_dates: Vec::new(),
            birth_places: Vec::new(),
            nationalities: Vec::new(),
            documents: Vec::new(),
            addresses: Vec::new(),
            legal_reference: None,
            comments: None,
        }
    }

    /// The primary name (the first name of [`Entry::names`]), or the empty string.
    pub fn primary_name(&self) -> &str {
        self.names.first().map(|n| n.text.as_str()).unwrap_or("")
    }
}
