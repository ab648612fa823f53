//! Importer for the OFAC SDN legacy CSV set: `sdn.csv` (records), `alt.csv` (alternate names),
//! `add.csv` (addresses).
//!
//! Columns of `sdn.csv`: ent_num, SDN_Name, SDN_Type, Program, Title, Call_Sign, Vess_type, Tonnage,
//! GRT, Vess_flag, Vess_owner, Remarks. `-0-` is OFAC's null marker. Dates of birth, places of birth,
//! nationalities and passports are only in the free-text remarks (`DOB 1960; POB Baghdad, Iraq;
//! nationality Iraq; Passport A123 (Iraq)`); the importer reads those well-known segments and keeps
//! the remarks whole as the comment.

use std::collections::HashMap;

use crate::error::{Error, Result};
use crate::import::csv;
use crate::model::{
    Address, BirthDate, DateQualifier, Document, Entry, EntryKind, ListId, ListVersion, Name,
    NameQuality,
};

/// The list id used for the OFAC SDN list.
pub const OFAC_LIST_ID: &str = "ofac-sdn";

fn field(v: &str) -> Option<String> {
    let t = v.trim();
    (!t.is_empty() && t != "-0-").then(|| t.to_owned())
}

/// Reads the OFAC SDN CSV set into a [`ListVersion`] with list id `ofac-sdn` and the given version.
///
/// `alt` and `add` may be omitted; their rows must refer to an `ent_num` of `sdn`, otherwise the
/// import fails (a dangling row means the three files are not of one snapshot).
pub fn import_ofac_sdn(
    sdn: &[u8],
    alt: Option<&[u8]>,
    add: Option<&[u8]>,
    version: &str,
) -> Result<ListVersion> {
    let mut entries = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for (line, rec) in csv::parse(&csv::decode(sdn), "sdn.csv")? {
        if rec.len() < 12 {
            return Err(Error::Csv {
                file: "sdn.csv",
                line,
                message: format!("expected 12 fields, found {}", rec.len()),
            });
        }
        let id = rec[0].trim().to_owned();
        let kind = match rec[2].trim().to_ascii_lowercase().as_str() {
            "individual" => EntryKind::Individual,
            "vessel" => EntryKind::Vessel,
            "aircraft" => EntryKind::Aircraft,
            _ => EntryKind::Entity,
        };
        let mut e = Entry::new(id.clone(), kind);
        let Some(name) = field(&rec[1]) else {
            return Err(Error::Csv {
                file: "sdn.csv",
                line,
                message: "record without a name".into(),
            });
        };
        e.names.push(Name {
            text: name,
            quality: NameQuality::Primary,
        });
        e.reference = Some(id.clone());
        if let Some(p) = field(&rec[3]) {
            e.programme = p
                .split(']')
                .map(|s| s.trim().trim_start_matches('[').trim().to_owned())
                .filter(|s| !s.is_empty())
                .collect();
        }
        if let Some(t) = field(&rec[4]) {
            e.titles.push(t);
        }
        if let Some(r) = field(&rec[11]) {
            read_remarks(&r, &mut e);
            e.comments = Some(r);
        }
        if index.insert(id.clone(), entries.len()).is_some() {
            return Err(Error::Csv {
                file: "sdn.csv",
                line,
                message: format!("duplicate ent_num {id}"),
            });
        }
        entries.push(e);
    }
    if let Some(alt) = alt {
        for (line, rec) in csv::parse(&csv::decode(alt), "alt.csv")? {
            if rec.len() < 4 {
                return Err(Error::Csv {
                    file: "alt.csv",
                    line,
                    message: format!("expected 5 fields, found {}", rec.len()),
                });
            }
            let Some(&i) = index.get(rec[0].trim()) else {
                return Err(Error::Csv {
                    file: "alt.csv",
                    line,
                    message: format!("unknown ent_num {}", rec[0].trim()),
                });
            };
            let Some(text) = field(&rec[3]) else { continue };
            let quality = match rec[2].trim().to_ascii_lowercase().as_str() {
                "fka" => NameQuality::Fka,
                "aka" | "nka" => NameQuality::Good,
                _ => NameQuality::Low,
            };
            let quality = match rec.get(4).and_then(|r| field(r)) {
                Some(r) if r.to_ascii_lowercase().contains("low quality") => NameQuality::Low,
                _ => quality,
            };
            let e = &mut entries[i];
            if !e.names.iter().any(|n| n.text == text) {
                e.names.push(Name { text, quality });
            }
        }
    }
    if let Some(add) = add {
        for (line, rec) in csv::parse(&csv::decode(add), "add.csv")? {
            if rec.len() < 5 {
                return Err(Error::Csv {
                    file: "add.csv",
                    line,
                    message: format!("expected 6 fields, found {}", rec.len()),
                });
            }
            let Some(&i) = index.get(rec[0].trim()) else {
                return Err(Error::Csv {
                    file: "add.csv",
                    line,
                    message: format!("unknown ent_num {}", rec[0].trim()),
                });
            };
            let a = Address {
                street: field(&rec[2]),
                city: field(&rec[3]),
                country: field(&rec[4]),
                note: rec.get(5).and_then(|r| field(r)),
                ..Address::default()
            };
            if a != Address::default() {
                entries[i].addresses.push(a);
            }
        }
    }
    Ok(ListVersion {
        list: ListId(OFAC_LIST_ID.to_owned()),
        version: version.to_owned(),
        entries,
    })
}

/// Years (1900..=2100) written in a text, in order.
fn years(s: &str) -> Vec<i32> {
    s.split(|c: char| !c.is_ascii_digit())
        .filter(|t| t.len() == 4)
        .filter_map(|t| t.parse().ok())
        .filter(|y| (1900..=2100).contains(y))
        .collect()
}

/// Reads the structured segments of OFAC remarks (`DOB`, `POB`, `nationality`, `citizen`,
/// `Passport`, `National ID No.`, `Gender`).
fn read_remarks(remarks: &str, e: &mut Entry) {
    for seg in remarks.split(';') {
        let seg = seg.trim().trim_end_matches('.');
        let seg = seg.strip_prefix("alt. ").unwrap_or(seg);
        if let Some(d) = seg.strip_prefix("DOB ") {
            let ys = years(d);
            let approx = d.contains("circa");
            let b = match ys.as_slice() {
                [a, b, ..] if d.contains(" to ") => BirthDate {
                    qualifier: Some(DateQualifier::Between),
                    from_year: Some(*a),
                    to_year: Some(*b),
                    ..BirthDate::default()
                },
                [y, ..] => BirthDate {
                    qualifier: Some(if approx {
                        DateQualifier::Approximately
                    } else {
                        DateQualifier::Exact
                    }),
                    year: Some(*y),
                    ..BirthDate::default()
                },
                [] => continue,
            };
            e.birth_dates.push(b);
        } else if let Some(p) = seg.strip_prefix("POB ") {
            let mut parts: Vec<&str> = p.split(',').map(str::trim).collect();
            let country = parts.pop().map(str::to_owned);
            e.birth_places.push(Address {
                city: (!parts.is_empty()).then(|| parts.join(", ")),
                country,
                ..Address::default()
            });
        } else if let Some(n) = seg
            .strip_prefix("nationality ")
            .or_else(|| seg.strip_prefix("citizen "))
        {
            let n = n.trim().to_owned();
            if !e.nationalities.contains(&n) {
                e.nationalities.push(n);
            }
        } else if let Some(g) = seg.strip_prefix("Gender ") {
            e.gender = Some(g.trim().to_owned());
        } else {
            for kind in [
                "Passport",
                "National ID No.",
                "Identification Number",
                "Cedula No.",
            ] {
                if let Some(rest) = seg.strip_prefix(kind) {
                    let rest = rest.trim();
                    let (number, country) = match rest.find('(') {
                        Some(i) => (
                            rest[..i].trim(),
                            rest[i + 1..].split(')').next().map(|c| c.trim().to_owned()),
                        ),
                        None => (rest, None),
                    };
                    if !number.is_empty() {
                        e.documents.push(Document {
                            kind: Some(kind.trim_end_matches('.').to_owned()),
                            number: Some(number.to_owned()),
                            issuing_country: country,
                            ..Document::default()
                        });
                    }
                    break;
                }
            }
        }
    }
}
