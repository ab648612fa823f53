//! Traffic Light Protocol marking definitions, known by id.
//!
//! STIX 2.1 section 7.2.1.4 predefines the four TLP 1.0 marking-definition objects, and the
//! OASIS TLP 2.0 extension (`extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d`)
//! predefines five TLP 2.0 ones. Both sets are fixed objects with fixed ids: a node recognises a
//! TLP marking by its id alone, never by reading its content, and validation rejects any other
//! object claiming one of these ids with a different content.
//!
//! TLP 1.0 is mapped onto TLP 2.0 (WHITE becomes CLEAR; GREEN, AMBER and RED keep their
//! meaning) so that the rest of entente only ever reasons about the five TLP 2.0 levels.

use std::fmt;

use crate::{Object, StixId};

/// The id of the OASIS extension definition that TLP 2.0 marking definitions use.
pub const TLP2_EXTENSION_ID: &str = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d";

/// A TLP 2.0 level. TLP 1.0 markings map onto these (WHITE maps to [`Tlp::Clear`]).
///
/// The order is the order of restriction: `Clear < Green < Amber < AmberStrict < Red`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Tlp {
    /// TLP:CLEAR (TLP 1.0: WHITE). Disclosure is not limited.
    Clear,
    /// TLP:GREEN. Limited disclosure, restricted to the community.
    Green,
    /// TLP:AMBER. Limited disclosure, restricted to participants' organisations and clients.
    Amber,
    /// TLP:AMBER+STRICT. Limited disclosure, restricted to participants' organisations only.
    AmberStrict,
    /// TLP:RED. For the eyes and ears of individual recipients only.
    Red,
}

/// Which TLP version a predefined marking definition belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TlpVersion {
    /// TLP 1.0 (STIX 2.1 section 7.2.1.4).
    V1,
    /// TLP 2.0 (OASIS extension definition `60a3c5c5-…`).
    V2,
}

/// One predefined TLP marking definition.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TlpMarking {
    /// The level, in TLP 2.0 terms.
    pub level: Tlp,
    /// The TLP version of this definition.
    pub version: TlpVersion,
    /// The marking-definition id.
    pub id: &'static str,
    /// The `name` the definition carries (`TLP:GREEN`, or `TLP:WHITE` for TLP 1.0 white).
    pub name: &'static str,
    /// The exact JSON of the predefined object.
    pub json: &'static str,
}

impl TlpMarking {
    /// The predefined object, parsed.
    pub fn object(&self) -> Object {
        Object::from_json(self.json).expect("predefined TLP objects are valid")
    }

    /// The id, typed.
    pub fn stix_id(&self) -> StixId {
        self.id.parse().expect("predefined TLP ids are valid")
    }
}

macro_rules! tlp1 {
    ($level:expr, $id:literal, $name:literal, $tlp:literal) => {
        TlpMarking {
            level: $level,
            version: TlpVersion::V1,
            id: $id,
            name: $name,
            json: concat!(
                r#"{"type":"marking-definition","spec_version":"2.1","id":""#,
                $id,
                r#"","created":"2017-01-20T00:00:00.000Z","definition_type":"tlp","name":""#,
                $name,
                r#"","definition":{"tlp":""#,
                $tlp,
                r#""}}"#
            ),
        }
    };
}

macro_rules! tlp2 {
    ($level:expr, $id:literal, $name:literal, $tlp:literal) => {
        TlpMarking {
            level: $level,
            version: TlpVersion::V2,
            id: $id,
            name: $name,
            json: concat!(
                r#"{"type":"marking-definition","spec_version":"2.1","id":""#,
                $id,
                r#"","created":"2022-10-01T00:00:00.000Z","name":""#,
                $name,
                r#"","extensions":{"extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d":{"extension_type":"property-extension","tlp_2_0":""#,
                $tlp,
                r#""}}}"#
            ),
        }
    };
}

/// The nine predefined TLP marking definitions: TLP 2.0 first, then TLP 1.0.
pub const ALL: [TlpMarking; 9] = [
    tlp2!(
        Tlp::Clear,
        "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
        "TLP:CLEAR",
        "clear"
    ),
    tlp2!(
        Tlp::Green,
        "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
        "TLP:GREEN",
        "green"
    ),
    tlp2!(
        Tlp::Amber,
        "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
        "TLP:AMBER",
        "amber"
    ),
    tlp2!(
        Tlp::AmberStrict,
        "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
        "TLP:AMBER+STRICT",
        "amber+strict"
    ),
    tlp2!(
        Tlp::Red,
        "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
        "TLP:RED",
        "red"
    ),
    tlp1!(
        Tlp::Clear,
        "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9",
        "TLP:WHITE",
        "white"
    ),
    tlp1!(
        Tlp::Green,
        "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da",
        "TLP:GREEN",
        "green"
    ),
    tlp1!(
        Tlp::Amber,
        "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82",
        "TLP:AMBER",
        "amber"
    ),
    tlp1!(
        Tlp::Red,
        "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed",
        "TLP:RED",
        "red"
    ),
];

/// The predefined TLP marking definition with this id, if any.
pub fn by_id(id: &str) -> Option<&'static TlpMarking> {
    ALL.iter().find(|m| m.id == id)
}

/// The TLP level (in TLP 2.0 terms) of a marking-definition id, if it is a predefined TLP one.
pub fn level_of(id: &str) -> Option<Tlp> {
    by_id(id).map(|m| m.level)
}

impl Tlp {
    /// The TLP 2.0 marking definition for this level.
    pub fn marking(self) -> &'static TlpMarking {
        ALL.iter()
            .find(|m| m.version == TlpVersion::V2 && m.level == self)
            .expect("every level has a TLP 2.0 definition")
    }

    /// The TLP 2.0 `tlp_2_0` value (`clear`, `green`, `amber`, `amber+strict`, `red`).
    pub fn as_str(self) -> &'static str {
        match self {
            Tlp::Clear => "clear",
            Tlp::Green => "green",
            Tlp::Amber => "amber",
            Tlp::AmberStrict => "amber+strict",
            Tlp::Red => "red",
        }
    }

    /// Reads a level name, TLP 2.0 or 1.0, case-insensitive, with or without the `TLP:`
    /// prefix (`white` maps to [`Tlp::Clear`]).
    pub fn from_name(name: &str) -> Option<Tlp> {
        let n = name.trim();
        let n = n
            .strip_prefix("TLP:")
            .or_else(|| n.strip_prefix("tlp:"))
            .unwrap_or(n);
        Some(match n.to_ascii_lowercase().as_str() {
            "clear" | "white" => Tlp::Clear,
            "green" => Tlp::Green,
            "amber" => Tlp::Amber,
            "amber+strict" => Tlp::AmberStrict,
            "red" => Tlp::Red,
            _ => return None,
        })
    }
}

impl fmt::Display for Tlp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Tlp::Clear => "TLP:CLEAR",
            Tlp::Green => "TLP:GREEN",
            Tlp::Amber => "TLP:AMBER",
            Tlp::AmberStrict => "TLP:AMBER+STRICT",
            Tlp::Red => "TLP:RED",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_predefined_object_parses_and_carries_its_id() {
        for m in &ALL {
            let o = m.object();
            assert_eq!(o.id().as_str(), m.id);
            assert_eq!(o.object_type(), "marking-definition");
            let v = o.to_value();
            assert_eq!(v["name"], m.name);
        }
    }

    #[test]
    fn tlp1_maps_to_tlp2() {
        assert_eq!(
            level_of("marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9"),
            Some(Tlp::Clear)
        );
        assert_eq!(
            level_of("marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed"),
            Some(Tlp::Red)
        );
        assert_eq!(
            level_of("marking-definition--00000000-0000-4000-8000-000000000000"),
            None
        );
        assert_eq!(Tlp::from_name("TLP:WHITE"), Some(Tlp::Clear));
        assert_eq!(Tlp::from_name("amber+strict"), Some(Tlp::AmberStrict));
        assert_eq!(
            Tlp::Green.marking().id,
            "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
        );
        assert!(Tlp::Clear < Tlp::Red);
    }

    #[test]
    fn tlp2_objects_equal_the_oasis_files() {
        let dir = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/data/stix/oasis/common-objects"
        );
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        let mut seen = 0;
        for e in entries.flatten() {
            let name = e.file_name().into_string().unwrap();
            if !name.starts_with("tlp-2.0") {
                continue;
            }
            let text = std::fs::read_to_string(e.path()).unwrap();
            let v: serde_json::Value = serde_json::from_str(&text).unwrap();
            let obj = &v["objects"][0];
            let m = by_id(obj["id"].as_str().unwrap()).expect("known id");
            let ours: serde_json::Value = serde_json::from_str(m.json).unwrap();
            assert_eq!(&ours, obj, "{name}");
            seen += 1;
        }
        assert_eq!(seen, 5);
    }
}
