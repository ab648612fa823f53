//! Importer for the UN Security Council Consolidated List XML (`CONSOLIDATED_LIST` schema).
//!
//! Streaming with quick-xml: the document is read once, element by element, and never held as a
//! tree, so importing the whole list (about 2 MB) takes a few milliseconds. Unknown elements are
//! ignored, so a new optional field in the schema does not break the import.

use std::io::BufRead;

use quick_xml::Reader;
use quick_xml::events::Event;

use crate::error::{Error, Result};
use crate::model::{
    Address, BirthDate, DateQualifier, Document, Entry, EntryKind, ListId, ListVersion, Name,
    NameQuality,
};

/// The list id used for the UN Consolidated List.
pub const UN_LIST_ID: &str = "un";

/// Which sub-record of an entry is open.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Section {
    None,
    Alias,
    Address,
    BirthDate,
    BirthPlace,
    Document,
}

/// Reads a UN Consolidated List XML document into a [`ListVersion`] with list id `un`.
///
/// The version is the date of the root's `dateGenerated` attribute; `fallback_version` is used when
/// the document has none. Fails on malformed XML, on a document whose root is not
/// `CONSOLIDATED_LIST`, on a record without `DATAID`, and on a duplicate `DATAID`.
pub fn import_un_xml<R: BufRead>(input: R, fallback_version: Option<&str>) -> Result<ListVersion> {
    let mut reader = Reader::from_reader(input);
    reader.config_mut().trim_text(true);
    let mut buf = Vec::new();
    let mut path: Vec<Vec<u8>> = Vec::new();
    let mut text = String::new();
    let mut version: Option<String> = None;
    let mut saw_root = false;
    let mut entries: Vec<Entry> = Vec::new();
    let mut ids = std::collections::HashSet::new();

    let mut entry: Option<Entry> = None;
    let mut section = Section::None;
    let mut parts: [Option<String>; 4] = Default::default();
    let mut alias_quality = String::new();
    let mut alias_name = String::new();
    let mut address = Address::default();
    let mut birth = BirthDate::default();
    let mut document = Document::default();

    let xml_err = |reader: &Reader<R>, e: &dyn std::fmt::Display| Error::Xml {
        position: reader.buffer_position(),
        message: e.to_string(),
    };

    loop {
        let event = match reader.read_event_into(&mut buf) {
            Ok(ev) => ev,
            Err(e) => return Err(xml_err(&reader, &e)),
        };
        match event {
            Event::Start(e) => {
                let name = e.name().as_ref().to_vec();
                if path.is_empty() {
                    if name != b"CONSOLIDATED_LIST" {
                        return Err(Error::Format {
                            format: "UN consolidated list",
                            message: format!("root element is {}", String::from_utf8_lossy(&name)),
                        });
                    }
                    saw_root = true;
                    for attr in e.attributes().flatten() {
                        if attr.key.as_ref() == b"dateGenerated" {
                            let v = attr
                                .unescape_value()
                                .map_err(|err| xml_err(&reader, &err))?;
                            version = v.get(..10).map(str::to_owned);
                        }
                    }
                }
                match name.as_slice() {
                    b"INDIVIDUAL" | b"ENTITY" if path.len() == 2 => {
                        let kind = if name == b"INDIVIDUAL" {
                            EntryKind::Individual
                        } else {
                            EntryKind::Entity
                        };
                        entry = Some(Entry::new(String::new(), kind));
                        parts = Default::default();
                    }
                    b"INDIVIDUAL_ALIAS" | b"ENTITY_ALIAS" => {
                        section = Section::Alias;
                        alias_quality.clear();
                        alias_name.clear();
                    }
                    b"INDIVIDUAL_ADDRESS" | b"ENTITY_ADDRESS" => {
                        section = Section::Address;
                        address = Address::default();
                    }
                    b"INDIVIDUAL_DATE_OF_BIRTH" => {
                        section = Section::BirthDate;
                        birth = BirthDate::default();
                    }
                    b"INDIVIDUAL_PLACE_OF_BIRTH" => {
                        section = Section::BirthPlace;
                        address = Address::default();
                    }
                    b"INDIVIDUAL_DOCUMENT" => {
                        section = Section::Document;
                        document = Document::default();
                    }
                    _ => {}
                }
                path.push(name);
                text.clear();
            }
            Event::Text(t) => {
                let s = t.unescape().map_err(|err| xml_err(&reader, &err))?;
                text.push_str(&s);
            }
            Event::CData(t) => {
                text.push_str(&String::from_utf8_lossy(&t.into_inner()));
            }
            Event::Empty(_) => {}
            Event::End(_) => {
                let name = path.pop().unwrap_or_default();
                let parent = path.last().map(Vec::as_slice).unwrap_or(b"");
                let value = text.trim().to_owned();
                text.clear();
                let Some(e) = entry.as_mut() else {
                    continue;
                };
                let opt = |v: &str| (!v.is_empty()).then(|| v.to_owned());
                match (section, name.as_slice()) {
                    (_, b"INDIVIDUAL" | b"ENTITY") if path.len() == 2 => {
                        let mut done = entry.take().expect("entry is open");
                        finish_entry(&mut done, &parts);
                        if done.id.is_empty() {
                            return Err(Error::Format {
                                format: "UN consolidated list",
                                message: format!(
                                    "record without DATAID near byte {}",
                                    reader.buffer_position()
                                ),
                            });
                        }
                        if !ids.insert(done.id.clone()) {
                            return Err(Error::Format {
                                format: "UN consolidated list",
                                message: format!("duplicate DATAID {}", done.id),
                            });
                        }
                        entries.push(done);
                    }
                    (Section::Alias, b"QUALITY") => alias_quality = value,
                    (Section::Alias, b"ALIAS_NAME") => alias_name = value,
                    (Section::Alias, b"INDIVIDUAL_ALIAS" | b"ENTITY_ALIAS") => {
                        section = Section::None;
                        if !alias_name.is_empty() {
                            let quality = match alias_quality.to_ascii_lowercase().as_str() {
                                "low" => NameQuality::Low,
                                "a.k.a." => NameQuality::Aka,
                                "f.k.a." => NameQuality::Fka,
                                _ => NameQuality::Good,
                            };
                            // a few records pack several spellings into one alias, separated
                            // by semicolons; each is a name of its own
                            for part in std::mem::take(&mut alias_name).split(';') {
                                let part = part.trim();
                                if !part.is_empty() {
                                    e.names.push(Name {
                                        text: part.to_owned(),
                                        quality,
                                    });
                                }
                            }
                        }
                    }
                    (Section::Address | Section::BirthPlace, b"STREET") => {
                        address.street = opt(&value)
                    }
                    (Section::Address | Section::BirthPlace, b"CITY") => address.city = opt(&value),
                    (Section::Address | Section::BirthPlace, b"STATE_PROVINCE") => {
                        address.state = opt(&value)
                    }
                    (Section::Address | Section::BirthPlace, b"ZIP_CODE") => {
                        address.zip = opt(&value)
                    }
                    (Section::Address | Section::BirthPlace, b"COUNTRY") => {
                        address.country = opt(&value)
                    }
                    (Section::Address | Section::BirthPlace, b"NOTE") => address.note = opt(&value),
                    (Section::Address, b"INDIVIDUAL_ADDRESS" | b"ENTITY_ADDRESS") => {
                        section = Section::None;
                        if address != Address::default() {
                            e.addresses.push(std::mem::take(&mut address));
                        }
                    }
                    (Section::BirthPlace, b"INDIVIDUAL_PLACE_OF_BIRTH") => {
                        section = Section::None;
                        if address != Address::default() {
                            e.birth_places.push(std::mem::take(&mut address));
                        }
                    }
                    (Section::BirthDate, b"TYPE_OF_DATE") => {
                        birth.qualifier = match value.to_ascii_uppercase().as_str() {
                            "EXACT" => Some(DateQualifier::Exact),
                            "APPROXIMATELY" => Some(DateQualifier::Approximately),
                            "BETWEEN" => Some(DateQualifier::Between),
                            _ => None,
                        }
                    }
                    (Section::BirthDate, b"DATE") => {
                        birth.year = value.get(..4).and_then(|y| y.parse().ok());
                        birth.date = opt(&value);
                    }
                    (Section::BirthDate, b"YEAR") => birth.year = value.parse().ok(),
                    (Section::BirthDate, b"FROM_YEAR") => birth.from_year = value.parse().ok(),
                    (Section::BirthDate, b"TO_YEAR") => birth.to_year = value.parse().ok(),
                    (Section::BirthDate, b"INDIVIDUAL_DATE_OF_BIRTH") => {
                        section = Section::None;
                        if birth.year_range().is_some() {
                            e.birth_dates.push(std::mem::take(&mut birth));
                        }
                    }
                    (Section::Document, b"TYPE_OF_DOCUMENT") => document.kind = opt(&value),
                    (Section::Document, b"TYPE_OF_DOCUMENT2") => document.kind_detail = opt(&value),
                    (Section::Document, b"NUMBER") => document.number = opt(&value),
                    (Section::Document, b"ISSUING_COUNTRY" | b"COUNTRY_OF_ISSUE")
                        if document.issuing_country.is_none() =>
                    {
                        document.issuing_country = opt(&value)
                    }
                    (Section::Document, b"DATE_OF_ISSUE") => document.date_of_issue = opt(&value),
                    (Section::Document, b"NOTE") => document.note = opt(&value),
                    (Section::Document, b"INDIVIDUAL_DOCUMENT") => {
                        section = Section::None;
                        if document != Document::default() {
                            e.documents.push(std::mem::take(&mut document));
                        }
                    }
                    (Section::None, _) => {
                        let in_record = path.len() == 3;
                        match (in_record, name.as_slice(), parent) {
                            (true, b"DATAID", _) => e.id = value,
                            (true, b"FIRST_NAME", _) => parts[0] = opt(&value),
                            (true, b"SECOND_NAME", _) => parts[1] = opt(&value),
                            (true, b"THIRD_NAME", _) => parts[2] = opt(&value),
                            (true, b"FOURTH_NAME", _) => parts[3] = opt(&value),
                            (true, b"UN_LIST_TYPE", _) if !value.is_empty() => {
                                e.programme.push(value)
                            }
                            (true, b"REFERENCE_NUMBER", _) => e.reference = opt(&value),
                            (true, b"LISTED_ON", _) => e.listed_on = opt(&value),
                            (true, b"GENDER", _) => e.gender = opt(&value),
                            (true, b"COMMENTS1", _) => e.comments = opt(&value),
                            (true, b"NAME_ORIGINAL_SCRIPT", _) if !value.is_empty() => {
                                e.names.push(Name {
                                    text: value,
                                    quality: NameQuality::OriginalScript,
                                })
                            }
                            (false, b"VALUE", p) if !value.is_empty() => match p {
                                b"TITLE" => e.titles.push(value),
                                b"DESIGNATION" => e.designations.push(value),
                                b"NATIONALITY" => e.nationalities.push(value),
                                b"LIST_TYPE" => e.list_type = Some(value),
                                b"LAST_DAY_UPDATED" => e.last_updated.push(value),
                                _ => {}
                            },
                            _ => {}
                        }
                    }
                    _ => {}
                }
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    if !saw_root {
        return Err(Error::Format {
            format: "UN consolidated list",
            message: "no CONSOLIDATED_LIST root element".into(),
        });
    }
    // A truncated file parses as far as it goes; importing it would delist everything after the
    // cut, so an element left open is an error.
    if let Some(open) = path.last() {
        return Err(Error::Xml {
            position: reader.buffer_position(),
            message: format!(
                "the document ends inside <{}>: the file is truncated",
                String::from_utf8_lossy(open)
            ),
        });
    }
    let version = version
        .or_else(|| fallback_version.map(str::to_owned))
        .unwrap_or_default();
    Ok(ListVersion {
        list: ListId(UN_LIST_ID.to_owned()),
        version,
        entries,
    })
}

/// Puts the primary name (name parts joined) first and drops repeated names.
fn finish_entry(e: &mut Entry, parts: &[Option<String>; 4]) {
    e.name_parts = parts.iter().flatten().cloned().collect();
    let primary = e.name_parts.join(" ");
    let mut names = Vec::with_capacity(e.names.len() + 1);
    if !primary.is_empty() {
        names.push(Name {
            text: primary,
            quality: NameQuality::Primary,
        });
    }
    // Original script first among the others, then aliases in source order.
    let (orig, aliases): (Vec<Name>, Vec<Name>) = std::mem::take(&mut e.names)
        .into_iter()
        .partition(|n| n.quality == NameQuality::OriginalScript);
    for n in orig.into_iter().chain(aliases) {
        if !names.iter().any(|m: &Name| m.text == n.text) {
            names.push(n);
        }
    }
    e.names = names;
}
