//! Paging: page sizes, the store filter for a TAXII query, and the opaque `next` token.
//!
//! **The `next` token** carries the keyset cursor (the `date_added` after which the next page
//! starts), sealed so that a client can neither read it nor forge or alter it:
//!
//! ```text
//! base64url( 0x01 | nonce[16] | cursor[8] XOR keystream | tag[16] )
//! keystream = SHA-256("entente next enc" | key | nonce)[..8]
//! tag       = HMAC-SHA-256(key, "entente next mac" | 0x01 | nonce | ciphertext | binding)[..16]
//! ```
//!
//! The `binding` is never sent: it is recomputed from the request that presents the token
//! (endpoint, API root, collection, user, and every filter except `limit`). A token therefore
//! only continues the listing it came from, for the principal it was issued to: replaying it
//! on another collection, by another user or with other filters fails the tag check and
//! answers 400. The token grants nothing by itself: every page request passes the access
//! check again before the cursor is used. It leaks nothing either: the cursor is encrypted
//! (a fresh nonce per token), so a token says nothing about the objects or their dates.
//!
//! The key is random per process (never written anywhere). The cost of that choice: tokens do
//! not survive a restart (the client gets a 400 and starts over) and several processes behind
//! one load balancer would need a shared key, which the configuration does not offer yet.
//!
//! HMAC is written out here from SHA-256 (RFC 2104, a dozen lines) rather than pulling in a
//! crate for it.

use base64::Engine as _;
use entente_store::{DateAdded, ObjectFilter, VersionMatch};
use entente_taxii::{ObjectQuery, VersionFilter};
use sha2::{Digest, Sha256};

use crate::AppState;
use crate::error::ApiError;

const TOKEN_VERSION: u8 = 1;
const NONCE_LEN: usize = 16;
const TAG_LEN: usize = 16;
const TOKEN_LEN: usize = 1 + NONCE_LEN + 8 + TAG_LEN;

/// The key that seals `next` tokens: SHA-256 of `taxii.paging_secret` when configured (tokens
/// then survive restarts and work across processes sharing one database), else random per
/// process.
pub(crate) fn paging_key(secret: Option<&str>) -> [u8; 32] {
    match secret {
        Some(s) => Sha256::digest(s.as_bytes()).into(),
        None => {
            use rand::RngCore as _;
            let mut k = [0u8; 32];
            rand::rngs::OsRng.fill_bytes(&mut k);
            k
        }
    }
}

fn hmac_sha256(key: &[u8; 32], parts: &[&[u8]]) -> [u8; 32] {
    // RFC 2104 with a 64-byte block; the key is shorter than a block, so it is zero-padded.
    let mut ipad = [0x36u8; 64];
    let mut opad = [0x5cu8; 64];
    for (i, k) in key.iter().enumerate() {
        ipad[i] ^= k;
        opad[i] ^= k;
    }
    let mut inner = Sha256::new();
    inner.update(ipad);
    for p in parts {
        inner.update(p);
    }
    let inner = inner.finalize();
    let mut outer = Sha256::new();
    outer.update(opad);
    outer.update(inner);
    outer.finalize().into()
}

fn keystream(key: &[u8; 32], nonce: &[u8]) -> [u8; 8] {
    let mut h = Sha256::new();
    h.update(b"entente next enc");
    h.update(key);
    h.update(nonce);
    let d = h.finalize();
    let mut out = [0u8; 8];
    out.copy_from_slice(&d[..8]);
    out
}

fn tag(key: &[u8; 32], nonce: &[u8], ciphertext: &[u8], binding: &[u8]) -> [u8; TAG_LEN] {
    let full = hmac_sha256(
        key,
        &[
            b"entente next mac",
            &[TOKEN_VERSION],
            nonce,
            ciphertext,
            binding,
        ],
    );
    let mut out = [0u8; TAG_LEN];
    out.copy_from_slice(&full[..TAG_LEN]);
    out
}

/// What a token is bound to: the listing it continues and the principal it was issued to.
pub(crate) struct Binding(Vec<u8>, [u8; 32]);

impl Binding {
    /// Binds to an endpoint (`objects`, `manifest`, `object`, `versions`), the API root, the
    /// collection, the object (for per-object endpoints), the user and the query's filters.
    pub(crate) fn new(
        key: &[u8; 32],
        endpoint: &str,
        api_root: &str,
        collection: &str,
        object: &str,
        user: &str,
        q: &ObjectQuery,
    ) -> Binding {
        let mut b = Vec::with_capacity(256);
        let mut field = |s: &str| {
            b.extend_from_slice(&(s.len() as u64).to_be_bytes());
            b.extend_from_slice(s.as_bytes());
        };
        field(endpoint);
        field(api_root);
        field(collection);
        field(object);
        field(user);
        field(q.added_after.as_ref().map(|t| t.as_str()).unwrap_or(""));
        let list = |v: &mut dyn FnMut(&str), items: Vec<String>| {
            v(&items.len().to_string());
            for i in &items {
                v(i);
            }
        };
        list(&mut field, q.ids.clone());
        list(&mut field, q.types.clone());
        list(
            &mut field,
            q.versions
                .iter()
                .map(|v| v.as_query_value().into_owned())
                .collect(),
        );
        list(&mut field, q.spec_versions.clone());
        Binding(b, *key)
    }
}

/// Seals a cursor into a `next` token bound to `binding`.
pub(crate) fn seal(cursor: DateAdded, binding: &Binding) -> String {
    use rand::RngCore as _;
    let key = &binding.1;
    let mut nonce = [0u8; NONCE_LEN];
    rand::rngs::OsRng.fill_bytes(&mut nonce);
    let ks = keystream(key, &nonce);
    let mut ct = cursor.0.to_be_bytes();
    for (c, k) in ct.iter_mut().zip(ks) {
        *c ^= k;
    }
    let t = tag(key, &nonce, &ct, &binding.0);
    let mut raw = Vec::with_capacity(TOKEN_LEN);
    raw.push(TOKEN_VERSION);
    raw.extend_from_slice(&nonce);
    raw.extend_from_slice(&ct);
    raw.extend_from_slice(&t);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
}

/// Opens a `next` token presented with a request bound to `binding`. Any malformed, altered,
/// foreign or replayed-elsewhere token is a 400 with one and the same message.
pub(crate) fn open(token: &str, binding: &Binding) -> Result<DateAdded, ApiError> {
    let bad = || {
        ApiError::BadRequest(
            "invalid `next` token: pass the `next` value of the previous page unchanged, \
             with the same filters"
                .into(),
        )
    };
    if token.len() > 2 * TOKEN_LEN {
        return Err(bad());
    }
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token)
        .map_err(|_| bad())?;
    if raw.len() != TOKEN_LEN || raw[0] != TOKEN_VERSION {
        return Err(bad());
    }
    let nonce = &raw[1..1 + NONCE_LEN];
    let ct = &raw[1 + NONCE_LEN..1 + NONCE_LEN + 8];
    let given = &raw[1 + NONCE_LEN + 8..];
    let key = &binding.1;
    let expected = tag(key, nonce, ct, &binding.0);
    // Constant-time comparison: no early exit on the first differing byte.
    let diff = expected
        .iter()
        .zip(given)
        .fold(0u8, |acc, (a, b)| acc | (a ^ b));
    if diff != 0 {
        return Err(bad());
    }
    let ks = keystream(key, nonce);
    let mut pt = [0u8; 8];
    for i in 0..8 {
        pt[i] = ct[i] ^ ks[i];
    }
    Ok(DateAdded(i64::from_be_bytes(pt)))
}

/// The page size for a request: `limit` when given, else the default, never above the
/// maximum (TAXII 2.1 section 3.4: a server may return fewer than asked).
pub(crate) fn page_size(state: &AppState, q: &ObjectQuery) -> usize {
    let max = state.config.taxii.max_page_size.max(1);
    let default = state.config.taxii.default_page_size.clamp(1, max);
    match q.limit {
        None => default,
        Some(l) => usize::try_from(l).unwrap_or(usize::MAX).clamp(1, max),
    }
}

fn versions(v: &[VersionFilter]) -> Vec<VersionMatch> {
    v.iter()
        .map(|v| match v {
            VersionFilter::First => VersionMatch::First,
            VersionFilter::Last => VersionMatch::Last,
            VersionFilter::All => VersionMatch::All,
            VersionFilter::At(t) => VersionMatch::At(t.clone()),
        })
        .collect()
}

/// Which filters an endpoint honours (TAXII 2.1 sections 5.3 to 5.8); the others are ignored.
#[derive(Clone, Copy)]
pub(crate) enum Endpoint {
    /// `GET objects/` and `GET manifest/`: every filter.
    Listing,
    /// `GET objects/{id}/`: `added_after`, `match[version]`, `match[spec_version]`.
    Object,
    /// `GET objects/{id}/versions/`: `added_after`, `match[spec_version]`; every version.
    Versions,
    /// `DELETE objects/{id}/`: `match[version]`, `match[spec_version]`. Without them, every
    /// version is deleted: deleting an object removes the object, and the filters narrow it.
    Delete,
}

/// The query with the filters this endpoint ignores removed, so that they neither filter nor
/// enter the `next` binding.
pub(crate) fn honoured(endpoint: Endpoint, q: &ObjectQuery) -> ObjectQuery {
    let mut q = q.clone();
    match endpoint {
        Endpoint::Listing => {}
        Endpoint::Object => {
            q.ids.clear();
            q.types.clear();
        }
        Endpoint::Versions => {
            q.ids.clear();
            q.types.clear();
            q.versions.clear();
        }
        Endpoint::Delete => {
            q.ids.clear();
            q.types.clear();
            q.added_after = None;
            q.limit = None;
            q.next = None;
            if q.versions.is_empty() {
                q.versions.push(VersionFilter::All);
            }
            if q.spec_versions.is_empty() {
                // The store reads "no spec_version filter" as "the latest spec_version of each
                // object", which suits reading, not deleting: name every spec_version the node
                // stores (objects without one are STIX 2.0; validation admits only 2.1 else).
                q.spec_versions = vec!["2.0".into(), "2.1".into()];
            }
        }
    }
    q
}

/// The store filter for an (already [`honoured`]) query, an optional object id and a cursor.
pub(crate) fn store_filter(
    endpoint: Endpoint,
    q: &ObjectQuery,
    object_id: Option<&str>,
    limit: usize,
    after: Option<DateAdded>,
) -> ObjectFilter {
    let mut ids = q.ids.clone();
    if let Some(id) = object_id {
        ids = vec![id.to_owned()];
    }
    ObjectFilter {
        // Truncating to microseconds keeps "strictly after": a date_added equal to the
        // truncated value is earlier than the requested instant, or equal to it.
        added_after: q.added_after.as_ref().map(|t| DateAdded(t.unix_micros())),
        ids,
        types: q.types.clone(),
        versions: match endpoint {
            Endpoint::Versions => vec![VersionMatch::All],
            _ => versions(&q.versions),
        },
        spec_versions: q.spec_versions.clone(),
        limit,
        after,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn binding(user: &str, types: &[&str]) -> Binding {
        Binding::new(
            &[7u8; 32],
            "objects",
            "api1",
            "c1",
            "",
            user,
            &ObjectQuery::new().types(types.iter().copied()),
        )
    }

    #[test]
    fn seal_open_round_trip() {
        let b = binding("alice", &["indicator"]);
        for c in [0, 1, 1_700_000_000_123_456, i64::MAX, i64::MIN] {
            let t = seal(DateAdded(c), &b);
            assert_eq!(open(&t, &b).unwrap(), DateAdded(c));
        }
    }

    #[test]
    fn tokens_are_opaque_and_unique() {
        let b = binding("alice", &[]);
        let t1 = seal(DateAdded(42), &b);
        let t2 = seal(DateAdded(42), &b);
        assert_ne!(t1, t2, "fresh nonce per token");
    }

    #[test]
    fn tampered_foreign_or_rebound_tokens_are_refused() {
        let b = binding("alice", &["indicator"]);
        let t = seal(DateAdded(42), &b);
        assert!(open(&t, &binding("bob", &["indicator"])).is_err());
        assert!(open(&t, &binding("alice", &["malware"])).is_err());
        let mut bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(&t)
            .unwrap();
        for i in 0..bytes.len() {
            bytes[i] ^= 1;
            let forged = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&bytes);
            assert!(open(&forged, &b).is_err(), "byte {i}");
            bytes[i] ^= 1;
        }
        for junk in ["", "x", "!!!!", &"A".repeat(55), &"A".repeat(5000), "0"] {
            assert!(open(junk, &b).is_err(), "{junk}");
        }
    }

    #[test]
    fn hmac_matches_rfc_4231_case_2_shape() {
        // RFC 4231 test case 2 uses a 4-byte key; check our padding logic with the same key
        // zero-extended (HMAC pads short keys with zeros, so the result is identical).
        let mut k = [0u8; 32];
        k[..4].copy_from_slice(b"Jefe");
        let mac = hmac_sha256(&k, &[b"what do ya want ", b"for nothing?"]);
        let hex: String = mac.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            hex,
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}

#[cfg(test)]
mod key_tests {
    use super::*;

    #[test]
    fn a_configured_secret_gives_the_same_key_in_every_process() {
        let a = paging_key(Some("a long shared paging secret"));
        let b = paging_key(Some("a long shared paging secret"));
        assert_eq!(a, b);
        assert_ne!(a, paging_key(Some("another long paging secret")));
        // Without a secret every process draws its own key.
        assert_ne!(paging_key(None), paging_key(None));
        let q = ObjectQuery::default();
        let token = seal(
            DateAdded(99),
            &Binding::new(&a, "objects", "api1", "c", "", "u", &q),
        );
        assert_eq!(
            open(
                &token,
                &Binding::new(&b, "objects", "api1", "c", "", "u", &q)
            )
            .unwrap(),
            DateAdded(99)
        );
        let other = paging_key(None);
        assert!(
            open(
                &token,
                &Binding::new(&other, "objects", "api1", "c", "", "u", &q)
            )
            .is_err()
        );
    }
}
