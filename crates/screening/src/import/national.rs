//! Importer for national designations (UN Security Council resolution 1373-type lists).
//!
//! # The national designation CSV format
//!
//! UTF-8 (a byte-order mark is allowed), RFC 4180 quoting, one header line naming the columns;
//! column order is free, names are case-insensitive, an unknown column is an error (so a typo in a
//! header never silently drops data). Multi-valued fields separate their values with `|`.
//!
//! | column | required | content |
//! |---|---|---|
//! | `id` | yes | the record id, unique in the file |
//! | `kind` | yes | `individual` or `entity` |
//! | `name` | yes | the designated name as decided |
//! | `legal_reference` | yes | the legal basis of this designation (decree, order, gazette reference) |
//! | `reference` | no | a public reference number |
//! | `aliases` | no | good-quality aliases, `|`-separated |
//! | `low_quality_aliases` | no | low-quality aliases, `|`-separated |
//! | `original_script` | no | the name in its original script |
//! | `date_of_birth` | no | `YYYY-MM-DD`, `YYYY`, or a range `YYYY..YYYY`; several `|`-separated |
//! | `place_of_birth` | no | free text, `|`-separated |
//! | `nationality` | no | country names, `|`-separated |
//! | `documents` | no | `kind:number` or `number`, `|`-separated (`Passport:A1234567|ID:99-12`) |
//! | `address` | no | free text, `|`-separated |
//! | `listed_on` | no | `YYYY-MM-DD` |
//! | `programme` | no | the regime or programme |
//! | `comments` | no | free text |
//!
//! Example:
//!
//! ```text
//! id,kind,name,legal_reference,aliases,date_of_birth,nationality,documents
//! FR-2024-001,individual,Karim Benali,"Arrêté du 3 mars 2024, JORF n°54",Abou Karim|Karim Ben Ali,1985,France,Passport:12AB34567
//! ```

use std::collections::{HashMap, HashSet};

use crate::error::{Error, Result};
use crate::import::csv;
use crate::model::{
    Address, BirthDate, DateQualifier, Document, Entry, EntryKind, ListId, ListVersion, Name,
    NameQuality,
};

/// The columns the national CSV format knows, in documentation order.
pub const NATIONAL_COLUMNS: &[&str] = &[
    "id",
    "kind",
    "name",
    "legal_reference",
    "reference",
    "aliases",
    "low_quality_aliases",
    "original_script",
    "date_of_birth",
    "place_of_birth",
    "nationality",
    "documents",
    "address",
    "listed_on",
    "programme",
    "comments",
];

const FILE: &str = "national designations";

/// Reads a national designation CSV (format in the module documentation) into a [`ListVersion`].
///
/// Fails on a missing required column or value (every entry must carry its `legal_reference`), an
/// unknown column, an unknown `kind`, a malformed date of birth or a duplicate id.
pub fn import_national_csv(input: &[u8], list: ListId, version: &str) -> Result<ListVersion> {
    let text = csv::decode(input);
    let mut records = csv::parse(&text, FILE)?.into_iter();
    let Some((_, header)) = records.next() else {
        return Err(Error::Csv {
            file: FILE,
            line: 1,
            message: "empty file: a header line is required".into(),
        });
    };
    let mut col: HashMap<&'static str, usize> = HashMap::new();
    for (i, h) in header.iter().enumerate() {
        let h = h.trim().to_ascii_lowercase();
        let Some(known) = NATIONAL_COLUMNS.iter().find(|c| **c == h) else {
            return Err(Error::Csv {
                file: FILE,
                line: 1,
                message: format!("unknown column {h:?}"),
            });
        };
        if col.insert(known, i).is_some() {
            return Err(Error::Csv {
                file: FILE,
                line: 1,
                message: format!("column {h:?} appears twice"),
            });
        }
    }
    for required in ["id", "kind", "name", "legal_reference"] {
        if !col.contains_key(required) {
            return Err(Error::Csv {
                file: FILE,
                line: 1,
                message: format!("missing required column {required:?}"),
            });
        }
    }
    let mut ids = HashSet::new();
    let mut entries = Vec::new();
    for (line, rec) in records {
        let get = |c: &str| -> &str {
            col.get(c)
                .and_then(|&i| rec.get(i))
                .map(|s| s.trim())
                .unwrap_or("")
        };
        let many = |c: &str| -> Vec<String> {
            get(c)
                .split('|')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect()
        };
        let bad = |message: String| Error::Csv {
            file: FILE,
            line,
            message,
        };
        for required in ["id", "kind", "name", "legal_reference"] {
            if get(required).is_empty() {
                return Err(bad(format!("empty required field {required:?}")));
            }
        }
        let kind = match get("kind").to_ascii_lowercase().as_str() {
            "individual" => EntryKind::Individual,
            "entity" => EntryKind::Entity,
            other => return Err(bad(format!("unknown kind {other:?}"))),
        };
        let id = get("id").to_owned();
        if !ids.insert(id.clone()) {
            return Err(bad(format!("duplicate id {id:?}")));
        }
        let mut e = Entry::new(id, kind);
        e.names.push(Name {
            text: get("name").to_owned(),
            quality: NameQuality::Primary,
        });
        let orig = get("original_script");
        if !orig.is_empty() {
            e.names.push(Name {
                text: orig.to_owned(),
                quality: NameQuality::OriginalScript,
            });
        }
        for a in many("aliases") {
            e.names.push(Name {
                text: a,
                quality: NameQuality::Good,
            });
        }
        for a in many("low_quality_aliases") {
            e.names.push(Name {
                text: a,
                quality: NameQuality::Low,
            });
        }
        e.legal_reference = Some(get("legal_reference").to_owned());
        e.reference = Some(get("reference"))
            .filter(|s| !s.is_empty())
            .map(str::to_owned);
        for d in many("date_of_birth") {
            e.birth_dates
                .push(parse_birth(&d).ok_or_else(|| bad(format!("bad date of birth {d:?}")))?);
        }
        for p in many("place_of_birth") {
            e.birth_places.push(Address {
                city: Some(p),
                ..Address::default()
            });
        }
        e.nationalities = many("nationality");
        for d in many("documents") {
            let (kind, number) = match d.split_once(':') {
                Some((k, n)) => (Some(k.trim().to_owned()), n.trim().to_owned()),
                None => (None, d),
            };
            e.documents.push(Document {
                kind,
                number: Some(number),
                ..Document::default()
            });
        }
        for a in many("address") {
            e.addresses.push(Address {
                street: Some(a),
                ..Address::default()
            });
        }
        e.listed_on = Some(get("listed_on"))
            .filter(|s| !s.is_empty())
            .map(str::to_owned);
        e.programme = many("programme");
        e.comments = Some(get("comments"))
            .filter(|s| !s.is_empty())
            .map(str::to_owned);
        entries.push(e);
    }
    Ok(ListVersion {
        list,
        version: version.to_owned(),
        entries,
    })
}

fn parse_birth(s: &str) -> Option<BirthDate> {
    let year = |y: &str| -> Option<i32> {
        (y.len() == 4)
            .then(|| y.parse().ok())
            .flatten()
            .filter(|y| (1800..=2200).contains(y))
    };
    if let Some((a, b)) = s.split_once("..") {
        return Some(BirthDate {
            qualifier: Some(DateQualifier::Between),
            from_year: Some(year(a.trim())?),
            to_year: Some(year(b.trim())?),
            ..BirthDate::default()
        });
    }
    if s.len() == 4 {
        return Some(BirthDate {
            qualifier: Some(DateQualifier::Exact),
            year: Some(year(s)?),
            ..BirthDate::default()
        });
    }
    let b = s.as_bytes();
    let ok = s.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && s.chars()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    ok.then(|| BirthDate {
        qualifier: Some(DateQualifier::Exact),
        date: Some(s.to_owned()),
        year: year(&s[..4]),
        ..BirthDate::default()
    })
}
