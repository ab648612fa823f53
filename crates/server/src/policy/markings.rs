//! Handling codes H0 to H3 as STIX marking-definitions, and reading an object's markings.
//!
//! A handling code is a marking-definition carrying a property extension defined by the
//! project's own extension-definition object ([`EXTENSION_DEFINITION_JSON`], created by the
//! project identity [`IDENTITY_JSON`]). The extension has two properties: `handling_code`
//! (`H0`, `H1`, `H2` or `H3`) and, for H3 only, `restriction` (the free text). This follows
//! the TLP 2.0 pattern (a marking-definition with only an `extensions` entry) rather than
//! `definition_type: statement`, because a statement is free text a machine cannot tell apart
//! from any other statement, while an extension is recognised by its id.
//!
//! Ids are deterministic: UUIDv5 under the project namespace [`NAMESPACE`] (itself the UUIDv5
//! of the repository URL in the URL namespace) of `marking-definition/handling-code/H0`..`H2`,
//! and of `marking-definition/handling-code/H3/<text>` for an H3 restriction, so every node
//! computes the same id for the same marking. H0 to H2 are fixed objects ([`FIXED`]); a node
//! recognises them by id alone, as it does TLP markings.
//!
//! | code | meaning | id |
//! |---|---|---|
//! | H0 | no handling restriction | `marking-definition--8fa7bd19-ef27-54a6-8517-c380b3f34130` |
//! | H1 | no judicial use without the originator's consent | `marking-definition--720cf2a0-824e-5a02-a3b8-18bfb97d2540` |
//! | H2 | no onward dissemination without the originator's consent | `marking-definition--4982c1bf-b691-5d06-96a9-bf93ca298afd` |
//! | H3 | other restriction (free text) | UUIDv5 of `marking-definition/handling-code/H3/<text>` |
//!
//! **TLP:RED recipients.** TLP 2.0 says RED is for the named recipients but STIX has no
//! property to name them, so an object lists them in the custom property
//! `x_entente_recipients` ([`RECIPIENTS_PROPERTY`]): an array of `organisation:<id>` and
//! `user:<login>` strings. Custom `x_` properties travel untouched between STIX tools.
//! Entries of another form are reported in [`Markings::bad_recipients`], never guessed.

use entente_stix::Object;

use super::{OrgId, Recipient, UserId};
use entente_stix::tlp::{self, Tlp};
use uuid::Uuid;

/// The project's UUIDv5 namespace: UUIDv5(URL namespace, `https://example.invalid/entente`).
pub const NAMESPACE: Uuid = uuid::uuid!("50857f24-7db3-5fb4-a15f-be7dc48db665");

/// The id of the project identity that creates the extension definition.
pub const IDENTITY_ID: &str = "identity--6a9249ed-8647-5bc3-bb5f-896938a378fb";

/// The id of the handling-code extension definition.
pub const EXTENSION_ID: &str = "extension-definition--0a2d2974-9f7b-5255-902d-12731eaca180";

/// The project identity object.
pub const IDENTITY_JSON: &str = r#"{"type":"identity","spec_version":"2.1","id":"identity--6a9249ed-8647-5bc3-bb5f-896938a378fb","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","name":"entente","identity_class":"system"}"#;

/// The handling-code extension-definition object.
pub const EXTENSION_DEFINITION_JSON: &str = r#"{"type":"extension-definition","spec_version":"2.1","id":"extension-definition--0a2d2974-9f7b-5255-902d-12731eaca180","created_by_ref":"identity--6a9249ed-8647-5bc3-bb5f-896938a378fb","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","name":"entente handling code","description":"A handling code on a marking-definition: handling_code is H0 (no restriction), H1 (no judicial use without the originator's consent), H2 (no onward dissemination without the originator's consent) or H3 (the restriction given in the restriction property).","schema":"https://example.invalid/entente/schemas/handling-code-1.0.json","version":"1.0.0","extension_types":["property-extension"]}"#;

macro_rules! fixed {
    ($uuid:literal, $code:literal, $name:literal) => {
        concat!(
            r#"{"type":"marking-definition","spec_version":"2.1","id":"marking-definition--"#,
            $uuid,
            r#"","created":"2026-01-01T00:00:00.000Z","created_by_ref":"identity--6a9249ed-8647-5bc3-bb5f-896938a378fb","name":""#,
            $name,
            r#"","extensions":{"extension-definition--0a2d2974-9f7b-5255-902d-12731eaca180":{"extension_type":"property-extension","handling_code":""#,
            $code,
            r#""}}}"#
        )
    };
}

/// A handling code.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum HandlingCode {
    /// No handling restriction.
    H0,
    /// No judicial use without the originator's consent.
    H1,
    /// No onward dissemination without the originator's consent.
    H2,
    /// Another restriction, as free text.
    H3(String),
}

/// One fixed handling-code marking definition.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FixedMarking {
    /// `H0`, `H1` or `H2`.
    pub code: &'static str,
    /// The marking-definition id.
    pub id: &'static str,
    /// The exact JSON.
    pub json: &'static str,
}

/// H0, H1 and H2.
pub const FIXED: [FixedMarking; 3] = [
    FixedMarking {
        code: "H0",
        id: "marking-definition--8fa7bd19-ef27-54a6-8517-c380b3f34130",
        json: fixed!("8fa7bd19-ef27-54a6-8517-c380b3f34130", "H0", "HANDLING:H0"),
    },
    FixedMarking {
        code: "H1",
        id: "marking-definition--720cf2a0-824e-5a02-a3b8-18bfb97d2540",
        json: fixed!("720cf2a0-824e-5a02-a3b8-18bfb97d2540", "H1", "HANDLING:H1"),
    },
    FixedMarking {
        code: "H2",
        id: "marking-definition--4982c1bf-b691-5d06-96a9-bf93ca298afd",
        json: fixed!("4982c1bf-b691-5d06-96a9-bf93ca298afd", "H2", "HANDLING:H2"),
    },
];

impl HandlingCode {
    /// `H0`..`H3`.
    pub fn code(&self) -> &'static str {
        match self {
            HandlingCode::H0 => "H0",
            HandlingCode::H1 => "H1",
            HandlingCode::H2 => "H2",
            HandlingCode::H3(_) => "H3",
        }
    }

    /// How restrictive, for choosing among several codes: H0 < H1 < H2 < H3.
    fn rank(&self) -> u8 {
        match self {
            HandlingCode::H0 => 0,
            HandlingCode::H1 => 1,
            HandlingCode::H2 => 2,
            HandlingCode::H3(_) => 3,
        }
    }

    /// The marking-definition id for this code.
    pub fn marking_id(&self) -> String {
        match self {
            HandlingCode::H3(text) => format!("marking-definition--{}", h3_uuid(text)),
            other => FIXED[other.rank() as usize].id.to_owned(),
        }
    }

    /// The marking-definition object for this code, as JSON.
    pub fn marking_json(&self) -> String {
        match self {
            HandlingCode::H3(text) => h3_marking_json(text),
            other => FIXED[other.rank() as usize].json.to_owned(),
        }
    }

    /// Reads a handling code from a marking-definition object carrying the project's
    /// extension; `None` for any other object.
    pub fn from_marking_definition(object: &Object) -> Option<HandlingCode> {
        if object.object_type() != "marking-definition" {
            return None;
        }
        let v = object.to_value();
        let ext = v.get("extensions")?.get(EXTENSION_ID)?;
        match ext.get("handling_code")?.as_str()? {
            "H0" => Some(HandlingCode::H0),
            "H1" => Some(HandlingCode::H1),
            "H2" => Some(HandlingCode::H2),
            "H3" => Some(HandlingCode::H3(
                ext.get("restriction")?.as_str()?.to_owned(),
            )),
            _ => None,
        }
    }
}

fn h3_uuid(text: &str) -> Uuid {
    Uuid::new_v5(
        &NAMESPACE,
        format!("marking-definition/handling-code/H3/{text}").as_bytes(),
    )
}

/// The H3 marking-definition for a free-text restriction.
pub fn h3_marking_json(text: &str) -> String {
    let v = serde_json::json!({
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": format!("marking-definition--{}", h3_uuid(text)),
        "created": "2026-01-01T00:00:00.000Z",
        "created_by_ref": IDENTITY_ID,
        "name": "HANDLING:H3",
        "extensions": {
            EXTENSION_ID: {
                "extension_type": "property-extension",
                "handling_code": "H3",
                "restriction": text,
            }
        }
    });
    v.to_string()
}

/// The custom property listing an object's TLP:RED recipients.
pub const RECIPIENTS_PROPERTY: &str = "x_entente_recipients";

/// The markings part of an object's sharing facts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Markings {
    /// The most restrictive TLP marking referenced (TLP 1.0 ids mapped to TLP 2.0).
    pub tlp: Option<Tlp>,
    /// The most restrictive handling code referenced.
    pub handling: Option<HandlingCode>,
    /// Marking refs that are neither TLP nor a known handling code (reported, not dropped).
    pub unknown: Vec<String>,
    /// The recipients named in [`RECIPIENTS_PROPERTY`].
    pub recipients: Vec<Recipient>,
    /// Entries of [`RECIPIENTS_PROPERTY`] that are not `organisation:<id>` or `user:<login>`.
    pub bad_recipients: Vec<String>,
}

/// Reads `object_marking_refs`. TLP and H0-H2 ids are recognised by id; other ids are passed
/// to `lookup` (the caller resolves stored marking-definitions, e.g. H3 ones, with
/// [`HandlingCode::from_marking_definition`]); what neither recognises goes to `unknown`.
/// Granular markings are not read: they mark parts of an object, and the sharing rules
/// decide about whole objects (the whole object is as restricted as its object markings).
pub fn markings_of(object: &Object, lookup: impl Fn(&str) -> Option<HandlingCode>) -> Markings {
    let mut out = Markings::default();
    // Only these two properties are parsed (this runs on every ingested object).
    let [recipients, refs] = object.properties([RECIPIENTS_PROPERTY, "object_marking_refs"]);
    let list = |raw: Option<&str>| -> Vec<serde_json::Value> {
        raw.and_then(|r| serde_json::from_str(r).ok())
            .unwrap_or_default()
    };
    for entry in &list(recipients) {
        let text = entry.as_str().unwrap_or_default();
        let r = if let Some(o) = text.strip_prefix("organisation:") {
            Some(Recipient::Organisation(OrgId(o.to_owned())))
        } else {
            text.strip_prefix("user:")
                .map(|u| Recipient::User(UserId(u.to_owned())))
        };
        match r {
            Some(r) if !text.ends_with(':') => out.recipients.push(r),
            _ => out.bad_recipients.push(entry.to_string()),
        }
    }
    for id in list(refs).iter().filter_map(|r| r.as_str()) {
        if let Some(level) = tlp::level_of(id) {
            out.tlp = Some(out.tlp.map_or(level, |t| t.max(level)));
            continue;
        }
        let code = match FIXED.iter().position(|m| m.id == id) {
            Some(0) => Some(HandlingCode::H0),
            Some(1) => Some(HandlingCode::H1),
            Some(2) => Some(HandlingCode::H2),
            _ => lookup(id),
        };
        match code {
            Some(c) => {
                if out.handling.as_ref().is_none_or(|h| c.rank() > h.rank()) {
                    out.handling = Some(c);
                }
            }
            None => out.unknown.push(id.to_owned()),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_the_documented_uuidv5() {
        assert_eq!(
            Uuid::new_v5(&Uuid::NAMESPACE_URL, b"https://example.invalid/entente"),
            NAMESPACE
        );
        for m in &FIXED {
            let u = Uuid::new_v5(
                &NAMESPACE,
                format!("marking-definition/handling-code/{}", m.code).as_bytes(),
            );
            assert_eq!(m.id, format!("marking-definition--{u}"));
        }
        let e = Uuid::new_v5(&NAMESPACE, b"extension-definition/handling-code");
        assert_eq!(EXTENSION_ID, format!("extension-definition--{e}"));
        let i = Uuid::new_v5(&NAMESPACE, b"identity/entente");
        assert_eq!(IDENTITY_ID, format!("identity--{i}"));
    }

    #[test]
    fn every_definition_is_valid_stix_and_reads_back() {
        let h3 = h3_marking_json("not for release to the press");
        let mut all: Vec<String> = FIXED.iter().map(|m| m.json.to_owned()).collect();
        all.push(h3.clone());
        all.push(EXTENSION_DEFINITION_JSON.to_owned());
        all.push(IDENTITY_JSON.to_owned());
        for json in &all {
            let o = Object::from_json(json).unwrap();
            let r = o.validate();
            assert!(r.is_valid(), "{json}\n{r}");
        }
        for (m, code) in FIXED
            .iter()
            .zip([HandlingCode::H0, HandlingCode::H1, HandlingCode::H2])
        {
            let o = Object::from_json(m.json).unwrap();
            assert_eq!(
                HandlingCode::from_marking_definition(&o),
                Some(code.clone())
            );
            assert_eq!(code.marking_id(), m.id);
            assert_eq!(o.id().as_str(), m.id);
        }
        let o = Object::from_json(&h3).unwrap();
        let code = HandlingCode::H3("not for release to the press".into());
        assert_eq!(
            HandlingCode::from_marking_definition(&o),
            Some(code.clone())
        );
        assert_eq!(o.id().as_str(), code.marking_id());
        let tlp = Tlp::Red.marking().object();
        assert_eq!(HandlingCode::from_marking_definition(&tlp), None);
    }

    fn indicator(refs: &[&str]) -> Object {
        let refs = serde_json::to_string(refs).unwrap();
        Object::from_string(format!(
            r#"{{"type":"indicator","spec_version":"2.1","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","pattern":"[ipv4-addr:value = '198.51.100.1']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z","object_marking_refs":{refs}}}"#
        ))
        .unwrap()
    }

    #[test]
    fn reads_tlp_handling_and_reports_unknown_refs() {
        let h3 = HandlingCode::H3("liaison only".into());
        let h3_id = h3.marking_id();
        let unknown = "marking-definition--00000000-0000-4000-8000-000000000000";
        let o = indicator(&[
            tlp::ALL[8].id, // TLP 1.0 RED
            tlp::Tlp::Green.marking().id,
            FIXED[1].id,
            &h3_id,
            unknown,
        ]);
        let lookup = |id: &str| (id == h3_id).then(|| h3.clone());
        let m = markings_of(&o, lookup);
        assert_eq!(m.tlp, Some(Tlp::Red));
        assert_eq!(m.handling, Some(h3.clone()));
        assert_eq!(m.unknown, vec![unknown.to_owned()]);

        let m = markings_of(&indicator(&[FIXED[2].id, FIXED[0].id]), |_| None);
        assert_eq!(m.tlp, None);
        assert_eq!(m.handling, Some(HandlingCode::H2));
        assert!(m.unknown.is_empty());
        // Without the lookup, an H3 id is unknown.
        let m = markings_of(&indicator(&[&h3_id]), |_| None);
        assert_eq!(m.unknown, vec![h3_id.clone()]);
        // No refs at all.
        let plain = Object::from_json(IDENTITY_JSON).unwrap();
        assert_eq!(markings_of(&plain, |_| None), Markings::default());
    }

    #[test]
    fn reads_named_recipients() {
        let o = Object::from_json(&format!(
            r#"{{"type":"note","spec_version":"2.1","id":"note--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","content":"x","object_refs":["identity--6a9249ed-8647-5bc3-bb5f-896938a378fb"],"object_marking_refs":["{}"],"x_entente_recipients":["organisation:un-oct","user:alice","friend:bob","user:",7]}}"#,
            Tlp::Red.marking().id
        ))
        .unwrap();
        let m = markings_of(&o, |_| None);
        assert_eq!(m.tlp, Some(Tlp::Red));
        assert_eq!(
            m.recipients,
            vec![
                Recipient::Organisation(OrgId::from("un-oct")),
                Recipient::User(UserId::from("alice"))
            ]
        );
        assert_eq!(m.bad_recipients, vec![r#""friend:bob""#, r#""user:""#, "7"]);
    }
}
