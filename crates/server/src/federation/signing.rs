//! Node identity and the signatures on object versions that travel between nodes.
//!
//! Each node has a long-lived Ed25519 identity key, kept in `identity.key` in its data folder
//! (created by `entente init`, or on first use; readable by its owner only). A version that
//! leaves the node for a peer carries a signature (see [`entente_stix::provenance`]): the one
//! it arrived with when it came from another node (so a relay keeps the originator's), else,
//! when this node's home organisation originated it, one made here.
//!
//! A receiving node verifies every signature against the keys it has registered for
//! organisations ([`KeyRing`], `entente org key add`, `entente peer add --public-key`): a
//! version signed by a registered key is attributed to that key's organisation, wherever it
//! was relayed from; anything unsigned (unless the peer is allowed to send unsigned
//! versions), signed by an unknown key, forged or altered is refused and audited.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use ed25519_dalek::{Signer as _, SigningKey, VerifyingKey};
use entente_stix::Object;
use entente_stix::provenance::{self, Signature};
use entente_store::SharedStore;

/// The identity key's file name in the data folder.
pub const IDENTITY_FILE: &str = "identity.key";

/// This node's identity key.
pub struct NodeIdentity {
    key: SigningKey,
    public: String,
}

impl std::fmt::Debug for NodeIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NodeIdentity")
            .field("public_key", &self.public)
            .finish_non_exhaustive()
    }
}

impl NodeIdentity {
    /// A new random identity.
    pub fn generate() -> NodeIdentity {
        Self::from_key(SigningKey::generate(&mut rand::rngs::OsRng))
    }

    fn from_key(key: SigningKey) -> NodeIdentity {
        let public = B64.encode(key.verifying_key().as_bytes());
        NodeIdentity { key, public }
    }

    /// The public key, base64url without padding (what partners register).
    pub fn public_key(&self) -> &str {
        &self.public
    }

    /// Signs `object` (its canonical form without any signature extension).
    pub fn sign(
        &self,
        object: &Object,
    ) -> Result<Signature, entente_stix::canonical::CanonicalError> {
        let input = provenance::signing_input(object)?;
        Ok(Signature {
            public_key: self.public.clone(),
            signature: B64.encode(self.key.sign(input.as_bytes()).to_bytes()),
        })
    }

    /// A 32-byte secret derived from the identity key for `purpose` (e.g. sealing cursors that
    /// must stay valid across restarts); different purposes give unrelated secrets.
    pub fn derive_key(&self, purpose: &[u8]) -> [u8; 32] {
        use sha2::Digest as _;
        let mut h = sha2::Sha256::new();
        h.update(b"entente derived key\0");
        h.update((purpose.len() as u64).to_be_bytes());
        h.update(purpose);
        h.update(self.key.to_bytes());
        h.finalize().into()
    }

    /// Reads the identity of a data folder, creating it (readable by its owner only) when the
    /// folder has none.
    pub fn load_or_create(data_dir: &Path) -> std::io::Result<NodeIdentity> {
        let path = data_dir.join(IDENTITY_FILE);
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                let bytes = B64.decode(text.trim()).ok();
                let seed: [u8; 32] = bytes.and_then(|b| b.try_into().ok()).ok_or_else(|| {
                    std::io::Error::new(
                        std::io::ErrorKind::InvalidData,
                        format!("{}: not an Ed25519 identity key", path.display()),
                    )
                })?;
                Ok(Self::from_key(SigningKey::from_bytes(&seed)))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let identity = Self::generate();
                write_private(&path, &B64.encode(identity.key.to_bytes()))?;
                Ok(identity)
            }
            Err(e) => Err(e),
        }
    }
}

fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut f = options.open(path)?;
    f.write_all(text.as_bytes())?;
    f.write_all(b"\n")?;
    f.sync_all()
}

/// The identity of the node whose data folder is `data_dir`, read once per process.
pub fn node_identity(data_dir: &Path) -> std::io::Result<Arc<NodeIdentity>> {
    static CACHE: OnceLock<Mutex<HashMap<PathBuf, Arc<NodeIdentity>>>> = OnceLock::new();
    let mut cache = CACHE
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if let Some(i) = cache.get(data_dir) {
        return Ok(i.clone());
    }
    let identity = Arc::new(NodeIdentity::load_or_create(data_dir)?);
    cache.insert(data_dir.to_path_buf(), identity.clone());
    Ok(identity)
}

/// Reads a public key as partners give it (base64url without padding, 32 bytes).
pub fn parse_public_key(text: &str) -> Result<VerifyingKey, String> {
    let bytes = B64
        .decode(text.trim())
        .map_err(|_| format!("{text:?} is not base64url"))?;
    let bytes: [u8; 32] = bytes
        .try_into()
        .map_err(|_| format!("{text:?} is not a 32-byte Ed25519 public key"))?;
    VerifyingKey::from_bytes(&bytes).map_err(|_| format!("{text:?} is not an Ed25519 public key"))
}

/// The keys this node accepts signatures from, each with the organisation it speaks for.
#[derive(Clone, Debug, Default)]
pub struct KeyRing {
    keys: HashMap<String, (String, VerifyingKey)>,
}

impl KeyRing {
    /// The keys registered in the store (keys that no longer parse are left out).
    pub async fn load(store: &SharedStore) -> Result<KeyRing, entente_store::Error> {
        let mut keys = HashMap::new();
        for k in store.organisation_keys().await? {
            if let Ok(v) = parse_public_key(&k.public_key) {
                keys.insert(k.public_key, (k.organisation, v));
            }
        }
        Ok(KeyRing { keys })
    }

    /// The organisation a key speaks for.
    pub fn organisation_of(&self, public_key: &str) -> Option<&str> {
        self.keys.get(public_key).map(|(o, _)| o.as_str())
    }
}

/// What verification says of one received version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Signed by a registered key: the version is attributed to its organisation, and the
    /// signature (compact form) is kept with it.
    Signed {
        /// The organisation the signing key speaks for.
        originator: String,
        /// The signature, compact form.
        signature: String,
    },
    /// Carries no signature.
    Unsigned,
    /// Signed by a key that is not registered here.
    UnknownKey(String),
    /// The signature does not verify: forged, or the object was altered.
    Forged,
}

impl Verdict {
    /// The refusal reason for the audit log and the report, when refused.
    pub fn refusal(&self) -> Option<&'static str> {
        match self {
            Verdict::Signed { .. } | Verdict::Unsigned => None,
            Verdict::UnknownKey(_) => Some("signature-unknown-key"),
            Verdict::Forged => Some("signature-invalid"),
        }
    }
}

/// Verifies a batch of received versions (each already split from its signature). All
/// signatures of the batch are checked at once; only when that fails is each checked alone,
/// to find the bad ones.
pub fn verify(ring: &KeyRing, items: &[(&Object, Option<&Signature>)]) -> Vec<Verdict> {
    struct Pending {
        at: usize,
        input: String,
        signature: ed25519_dalek::Signature,
        key: VerifyingKey,
        originator: String,
        compact: String,
    }
    let mut verdicts = vec![Verdict::Unsigned; items.len()];
    let mut pending = Vec::new();
    for (at, (object, signature)) in items.iter().enumerate() {
        let Some(s) = signature else { continue };
        let Some((org, key)) = ring.keys.get(&s.public_key) else {
            verdicts[at] = Verdict::UnknownKey(s.public_key.clone());
            continue;
        };
        let bytes: Option<[u8; 64]> = B64
            .decode(&s.signature)
            .ok()
            .and_then(|b| b.try_into().ok());
        let (Some(bytes), Ok(input)) = (bytes, provenance::signing_input(object)) else {
            verdicts[at] = Verdict::Forged;
            continue;
        };
        pending.push(Pending {
            at,
            input,
            signature: ed25519_dalek::Signature::from_bytes(&bytes),
            key: *key,
            originator: org.clone(),
            compact: s.to_compact(),
        });
    }
    let messages: Vec<&[u8]> = pending.iter().map(|p| p.input.as_bytes()).collect();
    let signatures: Vec<_> = pending.iter().map(|p| p.signature).collect();
    let keys: Vec<_> = pending.iter().map(|p| p.key).collect();
    let all_good = ed25519_dalek::verify_batch(&messages, &signatures, &keys).is_ok();
    for p in pending {
        let good = all_good
            || p.key
                .verify_strict(p.input.as_bytes(), &p.signature)
                .is_ok();
        verdicts[p.at] = if good {
            Verdict::Signed {
                originator: p.originator,
                signature: p.compact,
            }
        } else {
            Verdict::Forged
        };
    }
    verdicts
}

#[cfg(test)]
mod tests {
    use super::*;

    const OBJECT: &str = r#"{"type":"indicator","spec_version":"2.1","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","name":"x","pattern":"[ipv4-addr:value = '198.51.100.1']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z","confidence":80}"#;

    fn ring(ids: &[(&NodeIdentity, &str)]) -> KeyRing {
        KeyRing {
            keys: ids
                .iter()
                .map(|(i, org)| {
                    (
                        i.public_key().to_owned(),
                        ((*org).to_owned(), parse_public_key(i.public_key()).unwrap()),
                    )
                })
                .collect(),
        }
    }

    /// The signature test corpus: valid, tampered payload, tampered signature, unknown key,
    /// relayed (re-serialised by a relay), unsigned.
    #[test]
    fn signature_corpus() {
        let a = NodeIdentity::generate();
        let stranger = NodeIdentity::generate();
        let keys = ring(&[(&a, "org-a")]);
        let o = Object::from_json(OBJECT).unwrap();
        let good = a.sign(&o).unwrap();

        let tampered_payload = Object::from_json(&OBJECT.replace("\"x\"", "\"y\"")).unwrap();
        let mut tampered_signature = good.clone();
        let mut bytes = B64.decode(&good.signature).unwrap();
        bytes[10] ^= 1;
        tampered_signature.signature = B64.encode(bytes);
        let by_stranger = stranger.sign(&o).unwrap();
        // A relay that parses and re-writes the object (member order, whitespace, `80.0`).
        let relayed_text = {
            let signed = provenance::attach_signature(&o, &good);
            let v: serde_json::Value = serde_json::from_str(&signed).unwrap();
            serde_json::to_string_pretty(&v)
                .unwrap()
                .replace("\"confidence\": 80", "\"confidence\": 80.0")
        };
        let (relayed, relayed_sig) =
            provenance::split_signature(Object::from_json(&relayed_text).unwrap()).unwrap();
        assert_ne!(relayed.as_json(), o.as_json());
        // Someone else's signature moved onto a different object.
        let other = Object::from_json(&OBJECT.replace("8e2e2d2b", "9e2e2d2b")).unwrap();

        let items = [
            (&o, Some(&good)),
            (&tampered_payload, Some(&good)),
            (&o, Some(&tampered_signature)),
            (&o, Some(&by_stranger)),
            (&relayed, relayed_sig.as_ref()),
            (&o, None),
            (&other, Some(&good)),
        ];
        let v = verify(&keys, &items);
        let signed = Verdict::Signed {
            originator: "org-a".into(),
            signature: good.to_compact(),
        };
        assert_eq!(v[0], signed);
        assert_eq!(v[1], Verdict::Forged);
        assert_eq!(v[2], Verdict::Forged);
        assert_eq!(v[3], Verdict::UnknownKey(stranger.public_key().to_owned()));
        assert_eq!(v[4], signed);
        assert_eq!(v[5], Verdict::Unsigned);
        assert_eq!(v[6], Verdict::Forged);
        // Alone, a good signature passes the batch path.
        assert_eq!(verify(&keys, &[(&o, Some(&good))]), [signed]);
        // Garbage in the signature field.
        let garbage = Signature {
            public_key: a.public_key().to_owned(),
            signature: "AAAA".into(),
        };
        assert_eq!(verify(&keys, &[(&o, Some(&garbage))]), [Verdict::Forged]);
    }

    #[test]
    fn identity_persists_and_is_private() {
        let dir = tempfile::tempdir().unwrap();
        let a = NodeIdentity::load_or_create(dir.path()).unwrap();
        let b = NodeIdentity::load_or_create(dir.path()).unwrap();
        assert_eq!(a.public_key(), b.public_key());
        assert!(parse_public_key(a.public_key()).is_ok());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(dir.path().join(IDENTITY_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o077, 0, "{mode:o}");
        }
        std::fs::write(dir.path().join(IDENTITY_FILE), "not a key").unwrap();
        let other = tempfile::tempdir().unwrap();
        std::fs::write(other.path().join(IDENTITY_FILE), "bm90IGEga2V5").unwrap();
        assert!(NodeIdentity::load_or_create(other.path()).is_err());
        assert!(parse_public_key("bm90IGEga2V5").is_err());
        assert!(parse_public_key("not base64 !").is_err());
    }
}
