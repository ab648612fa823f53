//! The difference between two versions of one list: added, amended and delisted entries.
//!
//! A source file simply stops carrying a delisted entry, so delisting is only visible by comparing
//! versions. Entries are matched by id. An entry is amended when any field other than its id
//! changed; the change lists every changed field with its old and new value (as JSON, so the store
//! and the API can keep and show it without knowing the model).

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::model::{Entry, ListId, ListVersion};

/// One changed field of an amended entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldChange {
    /// The field name of [`Entry`] (`names`, `addresses`, ...).
    pub field: String,
    /// Value in the old version.
    pub old: serde_json::Value,
    /// Value in the new version.
    pub new: serde_json::Value,
}

/// An entry present in both versions whose content changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Amendment {
    /// The entry as it is in the new version.
    pub entry: Entry,
    /// What changed, in field order of [`Entry`].
    pub changes: Vec<FieldChange>,
}

/// The difference between an older and a newer version of one list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ListDiff {
    /// The list.
    pub list: ListId,
    /// The older version.
    pub from_version: String,
    /// The newer version.
    pub to_version: String,
    /// Entries only in the newer version (newer version's order).
    pub added: Vec<Entry>,
    /// Entries in both versions with changed content (newer version's order).
    pub amended: Vec<Amendment>,
    /// Entries only in the older version (older version's order).
    pub delisted: Vec<Entry>,
}

impl ListDiff {
    /// True when the two versions hold the same entries with the same content.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.amended.is_empty() && self.delisted.is_empty()
    }
}

/// The fields of an entry as a JSON object, in declaration order.
fn fields(e: &Entry) -> serde_json::Map<String, serde_json::Value> {
    match serde_json::to_value(e) {
        Ok(serde_json::Value::Object(m)) => m,
        // Entry always serialises to an object: all its fields are plain data.
        _ => serde_json::Map::new(),
    }
}

/// Compares `old` and `new`, two versions of the same list.
///
/// The list id of the result is `new`'s. Comparing versions of different lists is allowed (it
/// reports everything as added and delisted, unless ids coincide) but rarely meaningful.
pub fn diff(old: &ListVersion, new: &ListVersion) -> ListDiff {
    let old_by_id: HashMap<&str, &Entry> = old.entries.iter().map(|e| (e.id.as_str(), e)).collect();
    let new_ids: std::collections::HashSet<&str> =
        new.entries.iter().map(|e| e.id.as_str()).collect();
    let mut added = Vec::new();
    let mut amended = Vec::new();
    for e in &new.entries {
        match old_by_id.get(e.id.as_str()) {
            None => added.push(e.clone()),
            Some(o) if *o != e => {
                let (fo, fnew) = (fields(o), fields(e));
                let changes = fnew
                    .iter()
                    .filter(|(k, v)| fo.get(*k) != Some(*v))
                    .map(|(k, v)| FieldChange {
                        field: k.clone(),
                        old: fo.get(k).cloned().unwrap_or(serde_json::Value::Null),
                        new: v.clone(),
                    })
                    .collect();
                amended.push(Amendment {
                    entry: e.clone(),
                    changes,
                });
            }
            Some(_) => {}
        }
    }
    let delisted = old
        .entries
        .iter()
        .filter(|e| !new_ids.contains(e.id.as_str()))
        .cloned()
        .collect();
    ListDiff {
        list: new.list.clone(),
        from_version: old.version.clone(),
        to_version: new.version.clone(),
        added,
        amended,
        delisted,
    }
}
