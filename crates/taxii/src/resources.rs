//! The TAXII 2.1 resources as they travel on the wire (TAXII 2.1 sections 3.6, 3.7, 4 and 5).
//!
//! Timestamps are kept as the strings the peer wrote: a relayed timestamp is never reformatted.
//! STIX objects inside an [`Envelope`] are raw JSON (`Box<RawValue>` when read,
//! `&RawValue` when a server writes them), so an object is never parsed into a tree and written
//! back: what was stored is what is sent, byte for byte.
//!
//! Optional lists follow the specification's "one or more" wording: they are left out of the
//! JSON when empty and read as empty when absent.

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

/// Discovery resource (TAXII 2.1 section 4.1.1), served at `GET /taxii2/`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Discovery {
    /// A human-readable name for the server.
    pub title: String,
    /// A human-readable description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Contact information for the server's operators.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<String>,
    /// The default API root (a URL), when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    /// The API roots this server offers to the requester (URLs).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub api_roots: Vec<String>,
}

/// API root resource (TAXII 2.1 section 4.2.1), served at `GET {api-root}/`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiRoot {
    /// A human-readable name for the API root.
    pub title: String,
    /// A human-readable description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// TAXII versions this API root speaks, as media types
    /// (`application/taxii+json;version=2.1`).
    pub versions: Vec<String>,
    /// The largest request body the API root accepts, in bytes.
    pub max_content_length: u64,
}

/// Collections resource (TAXII 2.1 section 5.1.1), served at `GET {api-root}/collections/`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Collections {
    /// The collections the requester can see.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub collections: Vec<Collection>,
}

/// Collection resource (TAXII 2.1 section 5.2.1).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Collection {
    /// The collection's identifier (a UUID).
    pub id: String,
    /// A human-readable name.
    pub title: String,
    /// A human-readable description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// A human-readable, URL-safe alias usable in place of the id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alias: Option<String>,
    /// Whether the requester may read objects from the collection.
    pub can_read: bool,
    /// Whether the requester may add objects to the collection.
    pub can_write: bool,
    /// Media types of the objects in the collection.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub media_types: Vec<String>,
}

/// Envelope (TAXII 2.1 section 3.7): one page of STIX objects.
///
/// `T` is `Box<RawValue>` when reading (the default) and `&RawValue` when a server writes
/// objects it holds, so object JSON is never re-serialised.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Envelope<T = Box<RawValue>> {
    /// Whether more objects match after this page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub more: Option<bool>,
    /// The value to pass as `next` to fetch the following page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
    /// The objects of this page.
    #[serde(default = "Vec::new", skip_serializing_if = "Vec::is_empty")]
    pub objects: Vec<T>,
}

/// The JSON of an envelope whose objects are given as JSON texts, written directly: what
/// `serde_json` writes for an [`Envelope`] of those objects as raw values (the same members in
/// the same order, `objects` left out when empty), without making each text a `RawValue`
/// first, which would parse it again. The caller vouches that each text is one JSON value (a
/// server's stored objects, validated when they were stored).
pub fn envelope_json<'a>(
    more: Option<bool>,
    next: Option<&str>,
    objects: impl IntoIterator<Item = &'a str>,
) -> Vec<u8> {
    let objects = objects.into_iter();
    let mut out = Vec::with_capacity(64 + objects.size_hint().0 * 1024);
    let mut sep = b'{';
    if let Some(more) = more {
        out.push(sep);
        out.extend_from_slice(if more {
            b"\"more\":true"
        } else {
            b"\"more\":false"
        });
        sep = b',';
    }
    if let Some(next) = next {
        out.push(sep);
        out.extend_from_slice(b"\"next\":");
        serde_json::to_writer(&mut out, next).expect("a string serialises");
        sep = b',';
    }
    let mut first = true;
    for o in objects {
        if first {
            out.push(sep);
            out.extend_from_slice(b"\"objects\":[");
            first = false;
        } else {
            out.push(b',');
        }
        out.extend_from_slice(o.as_bytes());
    }
    if !first {
        out.push(b']');
    } else if sep == b'{' {
        out.push(sep);
    }
    out.push(b'}');
    out
}

impl<T> Default for Envelope<T> {
    fn default() -> Self {
        Envelope {
            more: None,
            next: None,
            objects: Vec::new(),
        }
    }
}

impl Envelope<Box<RawValue>> {
    /// An envelope holding these objects (for adding objects), with no paging fields.
    pub fn from_objects(objects: Vec<Box<RawValue>>) -> Self {
        Envelope {
            more: None,
            next: None,
            objects,
        }
    }

    /// An envelope holding these serialisable values, each turned into raw JSON once.
    pub fn from_values<V: Serialize>(values: &[V]) -> Result<Self, serde_json::Error> {
        let objects = values
            .iter()
            .map(|v| serde_json::value::to_raw_value(v))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self::from_objects(objects))
    }
}

/// Manifest resource (TAXII 2.1 section 5.6.1): one page of manifest records.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// Whether more records match after this page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub more: Option<bool>,
    /// The value to pass as `next` to fetch the following page. TAXII 2.1 does not list
    /// `next` on the manifest resource, but it pages with `next` like the envelope; entente
    /// sends it so that a client can page, and clients that do not know it ignore it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
    /// The records of this page.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub objects: Vec<ManifestRecord>,
}

/// Manifest record (TAXII 2.1 section 5.6.1): one object version, without its content.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestRecord {
    /// The object's identifier.
    pub id: String,
    /// When this version was added to the collection.
    pub date_added: String,
    /// The version (`modified`, else `created`, else `date_added`).
    pub version: String,
    /// The media type of this version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
}

/// Versions resource (TAXII 2.1 section 5.7.1): the versions of one object.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Versions {
    /// Whether more versions match after this page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub more: Option<bool>,
    /// The value to pass as `next` to fetch the following page (see [`Manifest::next`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
    /// The versions of this page, oldest `date_added` first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub versions: Vec<String>,
}

/// Status resource (TAXII 2.1 section 4.3.1): the outcome of adding objects.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Status {
    /// The status identifier.
    pub id: String,
    /// Whether all objects have been processed.
    pub status: StatusKind,
    /// When the request was received.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_timestamp: Option<String>,
    /// Number of objects in the request.
    pub total_count: u64,
    /// Number of objects stored.
    pub success_count: u64,
    /// The objects stored.
    #[serde(default)]
    pub successes: Vec<StatusDetails>,
    /// Number of objects refused.
    pub failure_count: u64,
    /// The objects refused, each with the reason.
    #[serde(default)]
    pub failures: Vec<StatusDetails>,
    /// Number of objects not processed yet.
    pub pending_count: u64,
    /// The objects not processed yet.
    #[serde(default)]
    pub pendings: Vec<StatusDetails>,
}

/// `status` values of a [`Status`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StatusKind {
    /// Every object was processed.
    Complete,
    /// Some objects are still being processed.
    Pending,
}

/// Status details (TAXII 2.1 section 4.3.1.1): one object in a status.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusDetails {
    /// The object's identifier.
    pub id: String,
    /// The object's version.
    pub version: String,
    /// Why it failed, or a note on success.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// Error message (TAXII 2.1 section 3.6.1): the body of every error response.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorMessage {
    /// A short human-readable summary.
    pub title: String,
    /// A longer human-readable explanation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// An identifier of this occurrence (for the server's logs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_id: Option<String>,
    /// A stable, machine-readable code for the kind of error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    /// The HTTP status code, as a string (the specification types it as a string).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_status: Option<String>,
    /// A URL with more information.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_details: Option<String>,
    /// Further machine-readable details.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<serde_json::Map<String, serde_json::Value>>,
}

#[cfg(test)]
mod tests {
    /// The envelope written directly is byte for byte what serde_json writes for the same
    /// objects as raw values, in every combination of members.
    #[test]
    fn envelope_json_is_what_serde_writes() {
        let texts = [
            r#"{"type":"indicator","id":"indicator--1"}"#,
            r#"{"a":[1,2,{"b":"c\"d"}]}"#,
        ];
        for more in [None, Some(false), Some(true)] {
            for next in [None, Some("abc"), Some("q\"uote\\ \u{1}")] {
                for n in 0..=texts.len() {
                    let raws: Vec<&RawValue> = texts[..n]
                        .iter()
                        .map(|t| serde_json::from_str(t).unwrap())
                        .collect();
                    let expected = serde_json::to_vec(&Envelope {
                        more,
                        next: next.map(str::to_owned),
                        objects: raws,
                    })
                    .unwrap();
                    let written = super::envelope_json(more, next, texts[..n].iter().copied());
                    assert_eq!(
                        String::from_utf8(written).unwrap(),
                        String::from_utf8(expected).unwrap()
                    );
                }
            }
        }
    }

    use super::*;

    #[test]
    fn envelope_keeps_object_text_exactly() {
        let text = r#"{"more":true,"next":"abc","objects":[{"id":"x--1","n":1.50,"t":"2016-01-01T00:00:00.000Z"}]}"#;
        let env: Envelope = serde_json::from_str(text).unwrap();
        assert_eq!(
            env.objects[0].get(),
            r#"{"id":"x--1","n":1.50,"t":"2016-01-01T00:00:00.000Z"}"#
        );
        assert_eq!(serde_json::to_string(&env).unwrap(), text);
        let borrowed: Envelope<&RawValue> = Envelope {
            more: Some(false),
            next: None,
            objects: env.objects.iter().map(|o| &**o).collect(),
        };
        assert_eq!(
            serde_json::to_string(&borrowed).unwrap(),
            r#"{"more":false,"objects":[{"id":"x--1","n":1.50,"t":"2016-01-01T00:00:00.000Z"}]}"#
        );
    }

    #[test]
    fn empty_lists_are_omitted_and_read_back() {
        let env: Envelope = Envelope {
            more: Some(false),
            ..Envelope::default()
        };
        assert_eq!(serde_json::to_string(&env).unwrap(), r#"{"more":false}"#);
        let back: Envelope = serde_json::from_str("{}").unwrap();
        assert!(back.objects.is_empty() && back.more.is_none());
        let c: Collections = serde_json::from_str("{}").unwrap();
        assert!(c.collections.is_empty());
    }

    #[test]
    fn error_message_http_status_is_a_string() {
        let e = ErrorMessage {
            title: "Not found".into(),
            http_status: Some("404".into()),
            ..ErrorMessage::default()
        };
        assert_eq!(
            serde_json::to_string(&e).unwrap(),
            r#"{"title":"Not found","http_status":"404"}"#
        );
    }

    #[test]
    fn status_round_trips() {
        let text = r#"{"id":"2d086da7-4bdc-4f91-900e-d77486753710","status":"complete","request_timestamp":"2016-11-02T12:34:34.123456Z","total_count":2,"success_count":1,"successes":[{"id":"indicator--c410e480-e42b-47d1-9476-85307c12bcbf","version":"2018-05-27T12:02:41.312Z"}],"failure_count":1,"failures":[{"id":"malware--664fa29d-bf65-4f28-a667-bdb76f29ec98","version":"2018-05-28T14:03:42.543Z","message":"Unable to process object"}],"pending_count":0,"pendings":[]}"#;
        let s: Status = serde_json::from_str(text).unwrap();
        assert_eq!(s.status, StatusKind::Complete);
        assert_eq!(serde_json::to_string(&s).unwrap(), text);
    }

    /// The wire form of every resource, reviewed once and kept as snapshots: a change to
    /// what peers receive shows up as a diff.
    #[test]
    fn wire_snapshots() {
        let discovery = Discovery {
            title: "entente".into(),
            description: Some("node".into()),
            contact: None,
            default: Some("https://node.example/api1/".into()),
            api_roots: vec!["https://node.example/api1/".into()],
        };
        insta::assert_json_snapshot!("discovery", discovery);
        let root = ApiRoot {
            title: "Root".into(),
            description: None,
            versions: vec![crate::TAXII_JSON.into()],
            max_content_length: 104857600,
        };
        insta::assert_json_snapshot!("api_root", root);
        let collections = Collections {
            collections: vec![Collection {
                id: "91a7b528-80eb-42ed-a74d-c6fbd5a26116".into(),
                title: "High value indicators".into(),
                description: None,
                alias: Some("hvi".into()),
                can_read: true,
                can_write: false,
                media_types: vec![crate::STIX_JSON.into()],
            }],
        };
        insta::assert_json_snapshot!("collections", collections);
        let manifest = Manifest {
            more: Some(true),
            next: Some("token".into()),
            objects: vec![ManifestRecord {
                id: "indicator--29aba82c-5393-42a8-9edb-6a2cb1df070b".into(),
                date_added: "2016-11-01T03:04:05.000000Z".into(),
                version: "2016-11-03T12:30:59.000Z".into(),
                media_type: Some(crate::STIX_JSON.into()),
            }],
        };
        insta::assert_json_snapshot!("manifest", manifest);
        let versions = Versions {
            more: Some(false),
            next: None,
            versions: vec!["2016-11-03T12:30:59.000Z".into()],
        };
        insta::assert_json_snapshot!("versions", versions);
        let error = ErrorMessage {
            title: "Not acceptable".into(),
            description: Some("send Accept: application/taxii+json;version=2.1".into()),
            error_id: Some("8a3d1b1e-0d4e-4d5e-9a44-3c1f6a4b2a10".into()),
            error_code: Some("not-acceptable".into()),
            http_status: Some("406".into()),
            external_details: None,
            details: None,
        };
        insta::assert_json_snapshot!("error_message", error);
    }
}
