//! A small RFC 4180 CSV reader shared by the OFAC and national importers.
//!
//! Written here rather than taken from a crate because the two formats need only quoted fields,
//! doubled quotes and line breaks inside quotes, and because OFAC files are Latin-1 with a 0x1A
//! end-of-file marker, which must be handled before any UTF-8 CSV crate would see the bytes.

use crate::error::{Error, Result};

/// Decodes bytes as UTF-8 when they are valid UTF-8 and as Latin-1 otherwise (OFAC's legacy
/// files are Latin-1), dropping a UTF-8 byte-order mark and the DOS end-of-file marker 0x1A.
pub(crate) fn decode(bytes: &[u8]) -> String {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let s = match std::str::from_utf8(bytes) {
        Ok(s) => s.to_owned(),
        Err(_) => bytes.iter().map(|&b| b as char).collect(),
    };
    s.replace('\u{1A}', "")
}

/// One parsed record: the 1-based line where it starts, and its fields.
pub(crate) type Record = (usize, Vec<String>);

/// Splits CSV text into records. Blank lines are skipped. Fails on an unterminated quote.
pub(crate) fn parse(text: &str, file: &'static str) -> Result<Vec<Record>> {
    let mut records = Vec::new();
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut in_quotes = false;
    let mut line = 1usize;
    let mut start_line = 1usize;
    let mut chars = text.chars().peekable();
    let mut any = false;
    while let Some(c) = chars.next() {
        if in_quotes {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => in_quotes = false,
                '\n' => {
                    line += 1;
                    field.push(c);
                }
                _ => field.push(c),
            }
            continue;
        }
        match c {
            '"' => {
                in_quotes = true;
                any = true;
            }
            ',' => {
                fields.push(std::mem::take(&mut field));
                any = true;
            }
            '\r' => {}
            '\n' => {
                if any || !field.trim().is_empty() {
                    fields.push(std::mem::take(&mut field));
                    records.push((start_line, std::mem::take(&mut fields)));
                }
                field.clear();
                any = false;
                line += 1;
                start_line = line;
            }
            _ => field.push(c),
        }
    }
    if in_quotes {
        return Err(Error::Csv {
            file,
            line: start_line,
            message: "unterminated quoted field".into(),
        });
    }
    if any || !field.trim().is_empty() {
        fields.push(field);
        records.push((start_line, fields));
    }
    Ok(records)
}
