//! The originating node's signature on an object version, as it travels between nodes.
//!
//! A signature travels inside the object, in the `extensions` dictionary under the id of the
//! extension-definition [`SIGNATURE_EXTENSION_DEFINITION`] (a `property-extension`), so that
//! any STIX consumer can carry it without understanding it and the object's meaning does not
//! change:
//!
//! ```json
//! "extensions": {
//!   "extension-definition--0b6c1a8e-2f0d-5a57-9d3e-6b7f4c1e8a21": {
//!     "extension_type": "property-extension",
//!     "public_key": "<the originating node's Ed25519 public key, base64url, no padding>",
//!     "signature": "<the Ed25519 signature, base64url, no padding>",
//!     "batch": { "size": 1000, "index": 17, "path": ["<SHA-256, base64url>", "..."] }
//!   }
//! }
//! ```
//!
//! Without `batch`, `signature` is over the object's [`signing_input`]. With `batch`, the node
//! signed many versions at once: `signature` is over the root of an RFC 9162 Merkle tree whose
//! leaves are the versions' signing inputs, and `path` is this version's inclusion proof (leaf
//! `index` of a tree of `size` leaves); a receiver checks the proof and one signature per tree.
//!
//! What is signed ([`signing_input`]) is the RFC 8785 canonical form of the object without
//! that extension entry (and without `extensions` when nothing else is left in it): the same
//! bytes whatever whitespace, member order or escapes a relay writes the object with.
//!
//! A node keeps the signature beside the version, not in it ([`split_signature`]): what it
//! stores is the object exactly as its originator wrote it, and it attaches the signature
//! again ([`attach_signature`]) when the version leaves for another node. (How it keeps it is
//! the node's business: the server keeps what the versions of one batch share once.) When the object
//! text was only extended by [`attach_signature`], [`split_signature`] gives back the
//! original text byte for byte.

use crate::Object;
use crate::canonical::{self, CanonicalError};
use crate::json::Members;

/// The id of the extension-definition under which an entente node's signature travels.
pub const SIGNATURE_EXTENSION: &str = "extension-definition--0b6c1a8e-2f0d-5a57-9d3e-6b7f4c1e8a21";

/// The extension-definition object itself, for consumers that want to resolve the id.
pub const SIGNATURE_EXTENSION_DEFINITION: &str = r#"{"type":"extension-definition","spec_version":"2.1","id":"extension-definition--0b6c1a8e-2f0d-5a57-9d3e-6b7f4c1e8a21","created_by_ref":"identity--5d6a2f3b-8c1e-5f40-a7b9-3e2d1c0b9a87","created":"2026-11-29T00:00:00.000Z","modified":"2026-11-29T00:00:00.000Z","name":"entente node signature","description":"The Ed25519 signature of the node that originated this object version, over the RFC 8785 canonical form of the object without this extension entry (and without `extensions` when nothing else is left in it).","schema":"An object with three properties: `extension_type` (`property-extension`), `public_key` (the originating node's Ed25519 public key, 32 bytes, base64url without padding) and `signature` (the Ed25519 signature, 64 bytes, base64url without padding).","version":"1.0.0","extension_types":["property-extension"]}"#;

/// A signature as it travels: the signer's public key, the signature and, for a version
/// signed in a batch, its inclusion proof; binary values in base64url without padding
/// (decoding and verifying them is the caller's: this crate does no cryptography).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Signature {
    /// The originating node's Ed25519 public key.
    pub public_key: String,
    /// The signature over [`signing_input`], or over the batch's tree root.
    pub signature: String,
    /// The inclusion proof, for a version signed in a batch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch: Option<BatchProof>,
}

/// Where a version sits in a batch signed at once (an RFC 9162 inclusion proof).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct BatchProof {
    /// Leaves in the tree.
    pub size: u64,
    /// This version's leaf.
    pub index: u64,
    /// The sibling hashes from the leaf up (SHA-256, base64url).
    pub path: Vec<String>,
}

/// The longest inclusion path accepted (a tree of 2^64 leaves).
const MAX_PATH: usize = 64;

impl Signature {
    /// The compact form kept beside a stored version (JSON).
    pub fn to_compact(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Reads the compact form.
    pub fn from_compact(text: &str) -> Option<Signature> {
        let s: Signature = serde_json::from_str(text).ok()?;
        s.is_well_formed().then_some(s)
    }

    fn is_well_formed(&self) -> bool {
        is_base64url(&self.public_key)
            && is_base64url(&self.signature)
            && self.batch.as_ref().is_none_or(|b| {
                b.index < b.size
                    && b.path.len() <= MAX_PATH
                    && b.path.iter().all(|h| is_base64url(h))
            })
    }

    fn extension_json(&self) -> String {
        let mut v = serde_json::to_value(self).unwrap_or_default();
        let mut out = serde_json::Map::new();
        out.insert("extension_type".into(), "property-extension".into());
        if let Some(m) = v.as_object_mut() {
            out.append(m);
        }
        serde_json::Value::Object(out).to_string()
    }
}

/// The bytes of the base64url alphabet (RFC 4648 section 5).
const BASE64URL: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        t[b] = c.is_ascii_alphanumeric() || c == b'-' || c == b'_';
        b += 1;
    }
    t
};

fn is_base64url(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| BASE64URL[b as usize])
}

/// Why a signature extension could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureFormError {
    /// The extension entry is not an object with `public_key` and `signature` in base64url.
    #[error("{object}: the signature extension is malformed: {message}")]
    Malformed {
        /// The object's id.
        object: String,
        /// What is wrong.
        message: String,
    },
}

/// Splits a received object into the object its originator wrote (the signature extension
/// removed) and the signature it carried, if any.
pub fn split_signature(object: Object) -> Result<(Object, Option<Signature>), SignatureFormError> {
    let (object, signature) = take_signature(object);
    Ok((object, signature?))
}

/// As [`split_signature`], giving the object back as it came when its signature extension is
/// malformed (a receiver records it as forged without keeping a copy of each object).
pub fn take_signature(object: Object) -> (Object, Result<Option<Signature>, SignatureFormError>) {
    match strip(&object) {
        Ok(Some((text, signature))) => (object.with_json(text), Ok(Some(signature))),
        Ok(None) => (object, Ok(None)),
        Err(e) => (object, Err(e)),
    }
}

/// The text of `object` without its signature extension, and the signature; `None` when it
/// carries none. The text is built from the object's own valid JSON text by removing one
/// member (or one entry of `extensions`), so it is valid JSON with the same header members:
/// it is not parsed again.
fn strip(object: &Object) -> Result<Option<(String, Signature)>, SignatureFormError> {
    let text = object.as_json();
    let Some(members) = Members::parse(text) else {
        return Ok(None);
    };
    let Some(ext) = members.get("extensions") else {
        return Ok(None);
    };
    let Some(entries) = Members::parse(ext) else {
        return Ok(None);
    };
    let Some(body) = entries.get(SIGNATURE_EXTENSION) else {
        return Ok(None);
    };
    let malformed = |message: &str| SignatureFormError::Malformed {
        object: object.id().to_string(),
        message: message.to_owned(),
    };
    let fields = Members::parse(body).ok_or_else(|| malformed("expected an object"))?;
    let field = |k: &str| -> Result<String, SignatureFormError> {
        let raw = fields
            .get(k)
            .ok_or_else(|| malformed(&format!("`{k}` is missing")))?;
        // A string without escapes is its text between the quotes.
        let plain = raw
            .strip_prefix('"')
            .and_then(|r| r.strip_suffix('"'))
            .filter(|t| !t.contains(['\\', '"']));
        let s: String = match plain {
            Some(t) => t.to_owned(),
            None => serde_json::from_str(raw)
                .map_err(|_| malformed(&format!("`{k}` is not a string")))?,
        };
        if !is_base64url(&s) {
            return Err(malformed(&format!("`{k}` is not base64url")));
        }
        Ok(s)
    };
    let batch = match fields.get("batch") {
        None => None,
        Some(raw) => Some(
            serde_json::from_str::<BatchProof>(raw)
                .map_err(|e| malformed(&format!("`batch`: {e}")))?,
        ),
    };
    let signature = Signature {
        public_key: field("public_key")?,
        signature: field("signature")?,
        batch,
    };
    if !signature.is_well_formed() {
        return Err(malformed(
            "`batch` must have index < size and a path of base64url hashes",
        ));
    }
    let stripped = strip_exact(text, ext, body, entries.iter().count())
        .map_or_else(|| rebuild_without(&members), Ok)?;
    Ok(Some((stripped, signature)))
}

/// Undoes [`attach_signature`] exactly, when the text has the shape it leaves.
fn strip_exact(text: &str, ext: &str, body: &str, entries: usize) -> Option<String> {
    let ext_at = ext.as_ptr() as usize - text.as_ptr() as usize;
    if entries == 1 {
        // `...,"extensions":{"<id>":<body>}}`: the member attach_signature appended.
        let head = format!(",\"extensions\":{{\"{SIGNATURE_EXTENSION}\":");
        // The tail is `head`, `body`, `}}`; `ext` (the extensions value) ends before the
        // object's closing brace.
        let tail_len = head.len() + body.len() + 2;
        if text.len() >= tail_len && ext.len() + ext_at + 1 == text.len() {
            let cut = text.len() - tail_len;
            let tail = &text[cut..];
            if tail.starts_with(head.as_str())
                && tail[head.len()..].starts_with(body)
                && tail.ends_with("}}")
            {
                let mut out = String::with_capacity(cut + 1);
                out.push_str(&text[..cut]);
                out.push('}');
                return Some(out);
            }
        }
        return None;
    }
    // `"extensions":{"<id>":<body>,...}`: the entry attach_signature put first.
    let head = format!("{{\"{SIGNATURE_EXTENSION}\":{body},");
    if ext.starts_with(&head) {
        let mut out = String::with_capacity(text.len());
        out.push_str(&text[..ext_at]);
        out.push('{');
        out.push_str(&text[ext_at + head.len()..]);
        return Some(out);
    }
    None
}

/// Writes the object again without the signature entry (and without `extensions` when it is
/// left empty), keeping every other member's text as it was.
fn rebuild_without(members: &Members<'_>) -> Result<String, SignatureFormError> {
    let mut out = String::from("{");
    let mut first = true;
    let mut push = |out: &mut String, k: &str, v: &str| {
        if !first {
            out.push(',');
        }
        first = false;
        out.push_str(&serde_json::to_string(k).unwrap_or_default());
        out.push(':');
        out.push_str(v);
    };
    for (k, v) in members.iter() {
        if k != "extensions" {
            push(&mut out, k, v);
            continue;
        }
        let entries = Members::parse(v).map(|e| {
            e.iter()
                .filter(|(id, _)| *id != SIGNATURE_EXTENSION)
                .map(|(id, body)| (id.to_owned(), body))
                .collect::<Vec<_>>()
        });
        match entries {
            Some(e) if e.is_empty() => {}
            Some(e) => {
                let mut inner = String::from("{");
                for (i, (id, body)) in e.iter().enumerate() {
                    if i > 0 {
                        inner.push(',');
                    }
                    inner.push_str(&serde_json::to_string(id).unwrap_or_default());
                    inner.push(':');
                    inner.push_str(body);
                }
                inner.push('}');
                push(&mut out, k, &inner);
            }
            None => push(&mut out, k, v),
        }
    }
    out.push('}');
    Ok(out)
}

/// The object's text with `signature` attached as the signature extension. An object that
/// already carries one has it replaced.
pub fn attach_signature(object: &Object, signature: &Signature) -> String {
    let text = object.as_json();
    let entry = signature.extension_json();
    let members = Members::parse(text);
    let ext = members.as_ref().and_then(|m| m.get("extensions"));
    match ext {
        None => {
            let body = text.trim_end();
            let body = body.strip_suffix('}').unwrap_or(body);
            format!("{body},\"extensions\":{{\"{SIGNATURE_EXTENSION}\":{entry}}}}}")
        }
        Some(ext) => {
            let entries = Members::parse(ext);
            let ours = entries.as_ref().is_some_and(|e| e.has(SIGNATURE_EXTENSION));
            let empty = entries.as_ref().is_some_and(|e| e.iter().count() == 0);
            if ours || empty || entries.is_none() {
                // Rare: rewrite the extensions member.
                let rest: Vec<(String, &str)> = entries
                    .as_ref()
                    .map(|e| {
                        e.iter()
                            .filter(|(id, _)| *id != SIGNATURE_EXTENSION)
                            .map(|(id, b)| (id.to_owned(), b))
                            .collect()
                    })
                    .unwrap_or_default();
                let mut inner = format!("{{\"{SIGNATURE_EXTENSION}\":{entry}");
                for (id, b) in rest {
                    inner.push(',');
                    inner.push_str(&serde_json::to_string(&id).unwrap_or_default());
                    inner.push(':');
                    inner.push_str(b);
                }
                inner.push('}');
                let at = ext.as_ptr() as usize - text.as_ptr() as usize;
                format!("{}{}{}", &text[..at], inner, &text[at + ext.len()..])
            } else {
                let at = ext.as_ptr() as usize - text.as_ptr() as usize;
                format!(
                    "{}{{\"{SIGNATURE_EXTENSION}\":{entry},{}",
                    &text[..at],
                    &text[at + 1..]
                )
            }
        }
    }
}

/// The bytes a node signs for `object`: the RFC 8785 canonical form of the object without
/// the signature extension entry (and without `extensions` when nothing else is left).
pub fn signing_input(object: &Object) -> Result<String, CanonicalError> {
    canonical::canonical_text(
        object.as_json(),
        Some(canonical::Strip {
            member: "extensions",
            entry: SIGNATURE_EXTENSION,
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn sig() -> Signature {
        Signature {
            public_key: "a2V5LWJ5dGVz".into(),
            signature: "c2lnbmF0dXJl".into(),
            batch: None,
        }
    }

    fn batched() -> Signature {
        Signature {
            batch: Some(BatchProof {
                size: 5,
                index: 3,
                path: vec!["aGFzaC0x".into(), "aGFzaC0y".into()],
            }),
            ..sig()
        }
    }

    fn obj(text: &str) -> Object {
        Object::from_json(text).unwrap()
    }

    /// The split object's header is what reading its text gives (it is not read again).
    fn assert_read_from_its_text(split: &Object) {
        let read = obj(split.as_json());
        assert_eq!(split.id(), read.id());
        assert_eq!(split.spec_version(), read.spec_version());
        assert_eq!(split.created(), read.created());
        assert_eq!(split.modified(), read.modified());
    }

    const PLAIN: &str = r#"{"type":"indicator","spec_version":"2.1","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","pattern":"[ipv4-addr:value = '198.51.100.1']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z"}"#;

    #[test]
    fn attach_then_split_gives_back_the_text_byte_for_byte() {
        let pretty = "{\n  \"type\": \"indicator\",\n  \"spec_version\": \"2.1\",\n  \"id\": \"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f\",\n  \"created\": \"2026-01-01T00:00:00.000Z\",\n  \"modified\": \"2026-01-01T00:00:00.000Z\"\n}";
        let with_ext = r#"{"type":"x-thing","id":"x-thing--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","extensions":{"extension-definition--d83fce45-ef58-4c6c-a3f4-1fbc32e98c6e":{"extension_type":"property-extension","rank":5}},"name":"n"}"#;
        for (text, sig) in [PLAIN, pretty, with_ext]
            .into_iter()
            .flat_map(|t| [(t, sig()), (t, batched())])
        {
            let o = obj(text);
            let signed = attach_signature(&o, &sig);
            assert_ne!(signed, text);
            let (back, s) = split_signature(obj(&signed)).unwrap();
            assert_eq!(back.as_json(), text);
            assert_read_from_its_text(&back);
            assert_eq!(s, Some(sig.clone()));
            // The signed bytes do not depend on the signature being attached.
            assert_eq!(
                signing_input(&o).unwrap(),
                signing_input(&obj(&signed)).unwrap()
            );
        }
    }

    #[test]
    fn split_of_a_reformatted_object_keeps_every_other_member() {
        let signed = attach_signature(&obj(PLAIN), &sig());
        let v: Value = serde_json::from_str(&signed).unwrap();
        let reformatted = serde_json::to_string_pretty(&v).unwrap();
        let (back, s) = split_signature(obj(&reformatted)).unwrap();
        assert_eq!(s, Some(sig()));
        assert_read_from_its_text(&back);
        let a: Value = serde_json::from_str(back.as_json()).unwrap();
        let b: Value = serde_json::from_str(PLAIN).unwrap();
        assert_eq!(a, b);
        assert_eq!(
            signing_input(&back).unwrap(),
            signing_input(&obj(PLAIN)).unwrap()
        );
    }

    #[test]
    fn unsigned_objects_split_to_themselves() {
        let (back, s) = split_signature(obj(PLAIN)).unwrap();
        assert_eq!(back.as_json(), PLAIN);
        assert_eq!(s, None);
    }

    #[test]
    fn a_malformed_extension_is_an_error() {
        for bad in [
            r#""text""#,
            r#"{"extension_type":"property-extension","public_key":"a b","signature":"cw"}"#,
            r#"{"extension_type":"property-extension","signature":"cw"}"#,
            r#"{"extension_type":"property-extension","public_key":5,"signature":"cw"}"#,
            r#"{"extension_type":"property-extension","public_key":"aw","signature":"cw","batch":{"size":2,"index":2,"path":[]}}"#,
            r#"{"extension_type":"property-extension","public_key":"aw","signature":"cw","batch":{"size":2,"index":0,"path":["a b"]}}"#,
            r#"{"extension_type":"property-extension","public_key":"aw","signature":"cw","batch":{"size":-1,"index":0,"path":[]}}"#,
        ] {
            let text = PLAIN.replace(
                "}",
                &format!(",\"extensions\":{{\"{SIGNATURE_EXTENSION}\":{bad}}}}}"),
            );
            let text = &text[..text.rfind('}').unwrap() + 1];
            let r = split_signature(obj(text));
            assert!(
                matches!(r, Err(SignatureFormError::Malformed { .. })),
                "{bad}: {r:?}"
            );
            // The receiver gets the object back as it came, to record as forged.
            let (back, r) = take_signature(obj(text));
            assert!(r.is_err(), "{bad}");
            assert_eq!(back.as_json(), text);
        }
    }

    #[test]
    fn compact_form_round_trips() {
        for s in [sig(), batched()] {
            assert_eq!(Signature::from_compact(&s.to_compact()), Some(s));
        }
        assert_eq!(Signature::from_compact("no-json"), None);
        assert_eq!(
            Signature::from_compact(r#"{"public_key":"a b","signature":"cw"}"#),
            None
        );
    }

    #[test]
    fn the_extension_definition_is_valid_stix() {
        let o = obj(SIGNATURE_EXTENSION_DEFINITION);
        assert_eq!(o.id().as_str(), SIGNATURE_EXTENSION);
        let report = crate::validate(&o);
        assert!(report.is_valid(), "{report:?}");
    }
}
