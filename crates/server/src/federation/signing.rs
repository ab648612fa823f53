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
            batch: None,
        })
    }

    /// Signs `objects` at once: one Ed25519 signature over the root of a Merkle tree (RFC 9162)
    /// of their canonical forms, and for each object its inclusion proof. One object is
    /// signed alone. Costs one signature per batch and a few hashes per object.
    pub fn sign_batch(
        &self,
        objects: &[&Object],
    ) -> Result<Vec<Signature>, entente_stix::canonical::CanonicalError> {
        match objects {
            [] => return Ok(Vec::new()),
            [one] => return Ok(vec![self.sign(one)?]),
            _ => {}
        }
        let leaves = objects
            .iter()
            .map(|o| provenance::signing_input(o).map(|i| merkle::leaf(i.as_bytes())))
            .collect::<Result<Vec<_>, _>>()?;
        let (root, paths) = merkle::tree(&leaves);
        let size = leaves.len() as u64;
        let signature = B64.encode(
            self.key
                .sign(&merkle::signed_message(size, &root))
                .to_bytes(),
        );
        Ok(paths
            .into_iter()
            .enumerate()
            .map(|(index, path)| Signature {
                public_key: self.public.clone(),
                signature: signature.clone(),
                batch: Some(provenance::BatchProof {
                    size,
                    index: index as u64,
                    path: path.iter().map(|h| B64.encode(h)).collect(),
                }),
            })
            .collect())
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

/// The texts of `items` as they leave for a partner node: each version with the signature it
/// arrived with (a relay keeps the originator's), those the home organisation originated
/// signed here in one batch, the others (from a peer allowed to send unsigned versions) as
/// stored.
///
/// A version stored with a reference to its batch's record gets its inclusion path back from
/// that record, which `trees` must hold ([`batch_trees`]); one whose record is missing leaves
/// unsigned (and the partner refuses it).
pub fn for_partner(
    identity: &NodeIdentity,
    home: Option<&str>,
    items: &[&entente_store::StoredObject],
    trees: &HashMap<String, BatchTree>,
) -> Vec<String> {
    let ours: Vec<usize> = (0..items.len())
        .filter(|&i| {
            items[i].sharing.signature.is_none()
                && home.is_some()
                && items[i].sharing.originator.as_deref() == home
        })
        .collect();
    let objects: Vec<&Object> = ours.iter().map(|&i| &items[i].object).collect();
    let mut signed: HashMap<usize, Signature> = match identity.sign_batch(&objects) {
        Ok(sigs) => ours.into_iter().zip(sigs).collect(),
        // A version without a canonical form (a number beyond what JSON interchange allows)
        // is signed alone, or leaves unsigned when even that fails.
        Err(_) => ours
            .into_iter()
            .filter_map(|i| identity.sign(&items[i].object).ok().map(|s| (i, s)))
            .collect(),
    };
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let signature = signed.remove(&i).or_else(|| {
                item.sharing
                    .signature
                    .as_deref()
                    .and_then(|s| stored_signature(s, trees))
            });
            match signature {
                Some(s) => provenance::attach_signature(&item.object, &s),
                None => item.object.as_json().to_owned(),
            }
        })
        .collect()
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
        Ok(Self::with_keys(
            store
                .organisation_keys()
                .await?
                .into_iter()
                .map(|k| (k.public_key, k.organisation)),
        ))
    }

    /// A ring of the given `(public key, organisation)` pairs (keys that do not parse are left
    /// out).
    pub fn with_keys(keys: impl IntoIterator<Item = (String, String)>) -> KeyRing {
        KeyRing {
            keys: keys
                .into_iter()
                .filter_map(|(k, org)| parse_public_key(&k).ok().map(|v| (k, (org, v))))
                .collect(),
        }
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
        /// The signature as kept: its compact form, or, signed in a batch, a reference to the
        /// batch's record and the version's leaf.
        signature: String,
        /// The batch's record, kept once for all its versions.
        batch: Option<Arc<entente_store::SignatureBatch>>,
    },
    /// Carries no signature.
    Unsigned,
    /// Signed by a key that is not registered here.
    UnknownKey(String),
    /// The signature does not verify: forged, or the object was altered.
    Forged,
}

impl Verdict {
    /// Applies the verdict to a version's sharing facts: a signed version is attributed to
    /// the key's organisation and keeps its signature; an unsigned one passes only when
    /// `unsigned_ok`. A refusal gives the rule (for the audit log) and a message.
    pub fn apply(
        self,
        facts: &mut entente_store::ObjectSharing,
        unsigned_ok: bool,
    ) -> Result<(), (&'static str, &'static str)> {
        match self {
            Verdict::Signed {
                originator,
                signature,
                batch,
            } => {
                facts.originator = Some(originator);
                facts.signature = Some(signature);
                facts.signature_batch = batch;
                Ok(())
            }
            Verdict::Unsigned if unsigned_ok => Ok(()),
            Verdict::Unsigned => Err((
                "signature-missing",
                "a partner node's versions must carry its signature",
            )),
            Verdict::UnknownKey(_) => Err((
                "signature-unknown-key",
                "signed by a node key that is not registered here",
            )),
            Verdict::Forged => Err((
                "signature-invalid",
                "the signature does not verify: forged, or the object was altered",
            )),
        }
    }
}

/// Splits received objects from their signatures and verifies them: the objects as their
/// originators wrote them, each with its verdict (a malformed signature extension counts as
/// forged).
pub fn split_and_verify(ring: &KeyRing, objects: Vec<Object>) -> Vec<(Object, Verdict)> {
    let mut split = Vec::with_capacity(objects.len());
    let mut malformed = Vec::with_capacity(objects.len());
    for o in objects {
        let (o, s) = provenance::take_signature(o);
        malformed.push(s.is_err());
        split.push((o, s.unwrap_or(None)));
    }
    let items: Vec<_> = split.iter().map(|(o, s)| (o, s.as_ref())).collect();
    let verdicts = verify(ring, &items);
    split
        .into_iter()
        .zip(verdicts)
        .zip(malformed)
        .map(|(((o, _), v), bad)| (o, if bad { Verdict::Forged } else { v }))
        .collect()
}

/// Verifies received versions (each already split from its signature). A version signed
/// alone is checked against its canonical form; one signed in a batch by its inclusion proof
/// and the batch's signature, each distinct signature once. When every version of a batch is
/// among `items` (a pulled page holds whole batches), the batch's tree is built once from
/// their leaves and each version's path compared with it, rather than each path hashed up to
/// the root; should that tree's signature fail (one version altered changes the root), each
/// of its versions is checked alone by its path, so that only the altered ones fail. All
/// signatures are checked in one Ed25519 batch; only when that fails is each checked alone,
/// to find the bad ones.
pub fn verify(ring: &KeyRing, items: &[(&Object, Option<&Signature>)]) -> Vec<Verdict> {
    let (mut verdicts, again) = verify_pass(ring, items, true);
    if !again.is_empty() {
        let alone: Vec<_> = again.iter().map(|&at| items[at]).collect();
        let (checked, _) = verify_pass(ring, &alone, false);
        for (at, v) in again.into_iter().zip(checked) {
            verdicts[at] = v;
        }
    }
    verdicts
}

/// One pass of [`verify`]: the verdicts, and the versions found forged by a whole batch's
/// tree (to be checked alone). `whole` allows building the trees of whole batches.
fn verify_pass(
    ring: &KeyRing,
    items: &[(&Object, Option<&Signature>)],
    whole: bool,
) -> (Vec<Verdict>, Vec<usize>) {
    struct Check<'a> {
        message: &'a [u8],
        signature: ed25519_dalek::Signature,
        key: VerifyingKey,
        originator: &'a str,
        /// The versions it covers (one, or those of one batch).
        items: Vec<usize>,
    }
    let mut verdicts = vec![Verdict::Unsigned; items.len()];
    // Each signed version with a known key: its signing input, then the message its
    // signature must cover.
    let mut inputs: Vec<Option<String>> = vec![None; items.len()];
    for (at, (object, signature)) in items.iter().enumerate() {
        let Some(s) = signature else { continue };
        if !ring.keys.contains_key(&s.public_key) {
            verdicts[at] = Verdict::UnknownKey(s.public_key.clone());
            continue;
        }
        match provenance::signing_input(object) {
            Ok(input) => inputs[at] = Some(input),
            Err(_) => verdicts[at] = Verdict::Forged,
        }
    }
    // Each batch-signed version's inclusion path, decoded once.
    let paths: Vec<Option<Vec<merkle::Hash>>> = items
        .iter()
        .zip(&inputs)
        .map(|((_, s), input)| {
            input.as_ref()?;
            decode_path(&s.as_ref()?.batch.as_ref()?.path)
        })
        .collect();
    let mut messages: Vec<Option<std::sync::Arc<Vec<u8>>>> = vec![None; items.len()];
    let mut by_tree = vec![false; items.len()];
    if whole {
        for (at, message) in whole_batches(items, &inputs, &paths) {
            messages[at] = Some(message);
            by_tree[at] = true;
        }
    }
    for (at, (_, signature)) in items.iter().enumerate() {
        let (Some(s), None) = (signature, &messages[at]) else {
            continue;
        };
        let Some(input) = inputs[at].take() else {
            continue;
        };
        let message = match &s.batch {
            None => Some(input.into_bytes()),
            Some(b) => paths[at].as_ref().and_then(|path| {
                merkle::root_from_path(b.index, b.size, merkle::leaf(input.as_bytes()), path)
                    .map(|root| merkle::signed_message(b.size, &root))
            }),
        };
        match message {
            Some(m) => messages[at] = Some(std::sync::Arc::new(m)),
            None => verdicts[at] = Verdict::Forged,
        }
    }
    let mut checks: Vec<Check<'_>> = Vec::new();
    // (public key, signature, message) -> its check.
    let mut seen: HashMap<(&str, &str, &[u8]), usize> = HashMap::new();
    for (at, (_, signature)) in items.iter().enumerate() {
        let (Some(s), Some(message)) = (signature, &messages[at]) else {
            continue;
        };
        let Some((org, key)) = ring.keys.get(&s.public_key) else {
            continue;
        };
        let bytes: Option<[u8; 64]> = B64
            .decode(&s.signature)
            .ok()
            .and_then(|b| b.try_into().ok());
        let Some(bytes) = bytes else {
            verdicts[at] = Verdict::Forged;
            continue;
        };
        let slot = *seen
            .entry((&s.public_key, &s.signature, message.as_slice()))
            .or_insert_with(|| {
                checks.push(Check {
                    message: message.as_slice(),
                    signature: ed25519_dalek::Signature::from_bytes(&bytes),
                    key: *key,
                    originator: org,
                    items: Vec::new(),
                });
                checks.len() - 1
            });
        checks[slot].items.push(at);
    }
    let all_good = {
        let messages: Vec<&[u8]> = checks.iter().map(|c| c.message).collect();
        let signatures: Vec<_> = checks.iter().map(|c| c.signature).collect();
        let keys: Vec<_> = checks.iter().map(|c| c.key).collect();
        ed25519_dalek::verify_batch(&messages, &signatures, &keys).is_ok()
    };
    let mut again = Vec::new();
    for c in checks {
        let good = all_good || c.key.verify_strict(c.message, &c.signature).is_ok();
        if !good {
            for at in c.items {
                if by_tree[at] {
                    again.push(at);
                }
                verdicts[at] = Verdict::Forged;
            }
            continue;
        }
        // The versions of one batch share one record (their paths' hashes, once).
        let batch = items[c.items[0]].1.and_then(|s| {
            let size = s.batch.as_ref()?.size;
            let members = c.items.iter().filter_map(|&at| {
                let b = items[at].1?.batch.as_ref()?;
                Some((b.index, paths[at].as_deref()?))
            });
            Some(batch_record(&s.public_key, &s.signature, size, members))
        });
        for at in c.items {
            let Some(s) = items[at].1 else { continue };
            verdicts[at] = Verdict::Signed {
                originator: c.originator.to_owned(),
                signature: match (&batch, &s.batch) {
                    (Some(record), Some(b)) => record.reference(b.index),
                    _ => s.to_compact(),
                },
                batch: batch.clone(),
            };
        }
    }
    (verdicts, again)
}

/// The sibling hashes of an inclusion path, decoded; `None` when one is not a base64url
/// SHA-256 hash.
fn decode_path(path: &[String]) -> Option<Vec<merkle::Hash>> {
    path.iter()
        .map(|h| B64.decode(h).ok().and_then(|v| v.try_into().ok()))
        .collect()
}

/// The versions of `items` whose whole batch is among them (every leaf index of the batch
/// once, under one key and signature), each with the message its batch signature covers: the
/// tree is built from the leaves, and a version whose path differs from its place in that
/// tree is left out (checked alone, its path leads to another root).
fn whole_batches(
    items: &[(&Object, Option<&Signature>)],
    inputs: &[Option<String>],
    paths: &[Option<Vec<merkle::Hash>>],
) -> Vec<(usize, std::sync::Arc<Vec<u8>>)> {
    let mut batches: HashMap<(&str, &str, u64), Vec<usize>> = HashMap::new();
    for (at, (_, signature)) in items.iter().enumerate() {
        if let (Some(s), Some(_)) = (signature, &inputs[at])
            && let Some(b) = &s.batch
        {
            batches
                .entry((&s.public_key, &s.signature, b.size))
                .or_default()
                .push(at);
        }
    }
    let mut out = Vec::new();
    for ((_, _, size), members) in batches {
        if size < 2 || members.len() as u64 != size {
            continue;
        }
        // Each index once: the members sorted by their leaf index are 0, 1, ..., size - 1.
        let index = |at: usize| items[at].1.and_then(|s| s.batch.as_ref()).map(|b| b.index);
        let mut ordered = members;
        ordered.sort_by_key(|&at| index(at));
        if ordered
            .iter()
            .enumerate()
            .any(|(i, &at)| index(at) != Some(i as u64))
        {
            continue;
        }
        let leaves: Vec<merkle::Hash> = ordered
            .iter()
            .map(|&at| merkle::leaf(inputs[at].as_deref().unwrap_or_default().as_bytes()))
            .collect();
        let (root, tree_paths) = merkle::tree(&leaves);
        let message = std::sync::Arc::new(merkle::signed_message(size, &root));
        for (&at, expected) in ordered.iter().zip(tree_paths) {
            if paths[at].as_ref() == Some(&expected) {
                out.push((at, message.clone()));
            }
        }
    }
    out
}

/// What a batch's record holds: the signer's key and signature, the tree's size, and the
/// hashes of its subtrees that the received inclusion paths held (each with the leaves
/// `[start, end)` under it; `nodes` is base64url of `start`, `end` as 8-byte big-endian
/// integers and the 32-byte hash, repeated, in order of `(start, end)`). A version's path is
/// the hashes of the subtrees [`merkle::path_ranges`] names: every one was in the path it
/// arrived with. A batch of 1,000 versions all received makes a record of about 128 KB, where
/// their signatures in compact form took about 660 KB.
#[derive(serde::Serialize, serde::Deserialize)]
struct BatchRecord {
    public_key: String,
    signature: String,
    size: u64,
    nodes: String,
}

/// One subtree hash in a record's `nodes`: start, end, hash.
const NODE_BYTES: usize = 8 + 8 + 32;

/// The record of a batch from the inclusion paths of its `members` (leaf index, decoded
/// path), under the key that is its SHA-256 (base64url).
fn batch_record<'a>(
    public_key: &str,
    signature: &str,
    size: u64,
    members: impl Iterator<Item = (u64, &'a [merkle::Hash])>,
) -> Arc<entente_store::SignatureBatch> {
    use sha2::Digest as _;
    let mut nodes = std::collections::BTreeMap::new();
    for (index, path) in members {
        for (range, hash) in merkle::path_ranges(index, size).into_iter().zip(path) {
            nodes.insert(range, hash);
        }
    }
    let mut bytes = Vec::with_capacity(nodes.len() * NODE_BYTES);
    for ((start, end), hash) in nodes {
        bytes.extend_from_slice(&start.to_be_bytes());
        bytes.extend_from_slice(&end.to_be_bytes());
        bytes.extend_from_slice(hash);
    }
    let record = serde_json::to_string(&BatchRecord {
        public_key: public_key.to_owned(),
        signature: signature.to_owned(),
        size,
        nodes: B64.encode(bytes),
    })
    .unwrap_or_default();
    Arc::new(entente_store::SignatureBatch {
        key: B64.encode(sha2::Sha256::digest(record.as_bytes())),
        record,
    })
}

/// A batch's record read back, ready to give each of its versions its signature again.
#[derive(Debug)]
pub struct BatchTree {
    public_key: String,
    signature: String,
    size: u64,
    /// Subtree hashes (base64url) by the leaves under them.
    nodes: HashMap<(u64, u64), String>,
}

impl BatchTree {
    /// Reads a record; `None` when it is not one.
    pub fn parse(record: &str) -> Option<BatchTree> {
        let r: BatchRecord = serde_json::from_str(record).ok()?;
        let bytes = B64.decode(&r.nodes).ok()?;
        if bytes.len() % NODE_BYTES != 0 {
            return None;
        }
        let nodes = bytes
            .chunks_exact(NODE_BYTES)
            .map(|n| {
                let start = u64::from_be_bytes(n[..8].try_into().unwrap_or_default());
                let end = u64::from_be_bytes(n[8..16].try_into().unwrap_or_default());
                ((start, end), B64.encode(&n[16..]))
            })
            .collect();
        Some(BatchTree {
            public_key: r.public_key,
            signature: r.signature,
            size: r.size,
            nodes,
        })
    }

    /// The signature of leaf `index`, with its inclusion path; `None` when the record lacks a
    /// hash of its path.
    pub fn signature(&self, index: u64) -> Option<Signature> {
        if index >= self.size {
            return None;
        }
        let path = merkle::path_ranges(index, self.size)
            .iter()
            .map(|r| self.nodes.get(r).cloned())
            .collect::<Option<Vec<_>>>()?;
        Some(Signature {
            public_key: self.public_key.clone(),
            signature: self.signature.clone(),
            batch: Some(provenance::BatchProof {
                size: self.size,
                index,
                path,
            }),
        })
    }
}

/// The signature a version was stored with: its compact form, or rebuilt from its batch's
/// record in `trees`.
fn stored_signature(text: &str, trees: &HashMap<String, BatchTree>) -> Option<Signature> {
    match entente_store::SignatureBatch::parse_reference(text) {
        Some((key, index)) => trees.get(key)?.signature(index),
        None => Signature::from_compact(text),
    }
}

/// The batch records the stored signatures of `items` refer to, read from `store` (records
/// that do not parse are left out).
pub async fn batch_trees<'a>(
    store: &SharedStore,
    items: impl IntoIterator<Item = &'a entente_store::StoredObject>,
) -> Result<HashMap<String, BatchTree>, entente_store::Error> {
    let mut keys: Vec<String> = items
        .into_iter()
        .filter_map(|i| {
            entente_store::SignatureBatch::parse_reference(i.sharing.signature.as_deref()?)
        })
        .map(|(key, _)| key.to_owned())
        .collect();
    if keys.is_empty() {
        return Ok(HashMap::new());
    }
    keys.sort_unstable();
    keys.dedup();
    Ok(store
        .signature_batches(&keys)
        .await?
        .into_iter()
        .filter_map(|b| BatchTree::parse(&b.record).map(|t| (b.key, t)))
        .collect())
}

/// The Merkle tree of a batch signature (RFC 9162 section 2.1, SHA-256).
pub mod merkle {
    use sha2::{Digest as _, Sha256};

    /// A tree hash.
    pub type Hash = [u8; 32];

    /// The hash of a leaf: `SHA-256(0x00 || data)`.
    pub fn leaf(data: &[u8]) -> Hash {
        let mut h = Sha256::new();
        h.update([0u8]);
        h.update(data);
        h.finalize().into()
    }

    fn node(left: &Hash, right: &Hash) -> Hash {
        let mut h = Sha256::new();
        h.update([1u8]);
        h.update(left);
        h.update(right);
        h.finalize().into()
    }

    /// What the node signs for a tree: a label, the tree size and the root.
    pub fn signed_message(size: u64, root: &Hash) -> Vec<u8> {
        let mut m = b"entente signature batch v1\0".to_vec();
        m.extend_from_slice(&size.to_be_bytes());
        m.extend_from_slice(root);
        m
    }

    /// The root of the tree over `leaves` (at least one) and each leaf's inclusion path (the
    /// sibling hashes from the leaf up), as RFC 9162 section 2.1.1 and 2.1.3.1 define them.
    pub fn tree(leaves: &[Hash]) -> (Hash, Vec<Vec<Hash>>) {
        let mut paths = vec![Vec::new(); leaves.len()];
        let root = build(leaves, 0, &mut paths);
        (root, paths)
    }

    /// Where a tree of `n` leaves (at least two) splits: the largest power of two smaller
    /// than `n` leaves go left.
    fn split(n: u64) -> u64 {
        1 << (u64::BITS - 1 - (n - 1).leading_zeros())
    }

    fn build(leaves: &[Hash], offset: usize, paths: &mut [Vec<Hash>]) -> Hash {
        if leaves.len() == 1 {
            return leaves[0];
        }
        let k = split(leaves.len() as u64) as usize;
        let left = build(&leaves[..k], offset, paths);
        let right = build(&leaves[k..], offset + k, paths);
        for p in &mut paths[offset..offset + k] {
            p.push(right);
        }
        for p in &mut paths[offset + k..offset + leaves.len()] {
            p.push(left);
        }
        node(&left, &right)
    }

    /// The leaves `[start, end)` under each hash of the inclusion path of leaf `index` in a
    /// tree of `size` leaves, in the path's order (from the leaf up); empty when `index` is not
    /// a leaf of such a tree.
    pub fn path_ranges(index: u64, size: u64) -> Vec<(u64, u64)> {
        let (mut lo, mut hi) = (0u64, size);
        let mut out = Vec::new();
        while index < hi && hi - lo > 1 {
            let k = split(hi - lo);
            if index < lo + k {
                out.push((lo + k, hi));
                hi = lo + k;
            } else {
                out.push((lo, lo + k));
                lo += k;
            }
        }
        out.reverse();
        out
    }

    /// The root an inclusion path leads to from leaf `index` of a tree of `size` leaves (RFC
    /// 9162 section 2.1.3.2), or `None` when the path cannot belong to such a tree.
    pub fn root_from_path(index: u64, size: u64, leaf: Hash, path: &[Hash]) -> Option<Hash> {
        if index >= size {
            return None;
        }
        let (mut f, mut s) = (index, size - 1);
        let mut r = leaf;
        for p in path {
            if s == 0 {
                return None;
            }
            if f & 1 == 1 || f == s {
                r = node(p, &r);
                if f & 1 == 0 {
                    while f & 1 == 0 && f != 0 {
                        f >>= 1;
                        s >>= 1;
                    }
                }
            } else {
                r = node(&r, p);
            }
            f >>= 1;
            s >>= 1;
        }
        (s == 0).then_some(r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OBJECT: &str = r#"{"type":"indicator","spec_version":"2.1","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","name":"x","pattern":"[ipv4-addr:value = '198.51.100.1']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z","confidence":80}"#;

    fn ring(ids: &[(&NodeIdentity, &str)]) -> KeyRing {
        KeyRing::with_keys(
            ids.iter()
                .map(|(i, org)| (i.public_key().to_owned(), (*org).to_owned())),
        )
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
            batch: None,
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
            batch: None,
        };
        assert_eq!(verify(&keys, &[(&o, Some(&garbage))]), [Verdict::Forged]);
    }

    #[test]
    fn every_inclusion_path_leads_to_the_root_and_no_other() {
        for n in 1..=40u64 {
            let leaves: Vec<merkle::Hash> =
                (0..n).map(|i| merkle::leaf(&i.to_be_bytes())).collect();
            let (root, paths) = merkle::tree(&leaves);
            for (i, path) in paths.iter().enumerate() {
                let i = i as u64;
                assert_eq!(
                    merkle::root_from_path(i, n, leaves[i as usize], path),
                    Some(root)
                );
                // Another leaf or another index does not lead there.
                let other = merkle::leaf(b"other");
                assert_ne!(merkle::root_from_path(i, n, other, path), Some(root));
                if n > 1 {
                    assert_ne!(
                        merkle::root_from_path((i + 1) % n, n, leaves[i as usize], path),
                        Some(root),
                        "n={n} i={i}"
                    );
                }
                // (A path may fit a larger tree too: the signed message binds the size.)
                assert_eq!(merkle::root_from_path(n, n, leaves[0], path), None);
            }
        }
        // RFC 9162's tree of one leaf is the leaf.
        let one = merkle::leaf(b"x");
        assert_eq!(merkle::tree(&[one]).0, one);
    }

    /// The leaves under each hash of a path are those `path_ranges` names: one range always
    /// holds one hash, the root of the subtree over those leaves.
    #[test]
    fn path_ranges_name_the_subtrees_of_each_path() {
        for n in 1..=40u64 {
            let leaves: Vec<merkle::Hash> =
                (0..n).map(|i| merkle::leaf(&i.to_be_bytes())).collect();
            let (_, paths) = merkle::tree(&leaves);
            for (i, path) in paths.iter().enumerate() {
                let ranges = merkle::path_ranges(i as u64, n);
                assert_eq!(ranges.len(), path.len(), "{i} of {n}");
                for ((start, end), hash) in ranges.into_iter().zip(path) {
                    assert!(start < end && end <= n);
                    assert!(!(start..end).contains(&(i as u64)));
                    let (root, _) = merkle::tree(&leaves[start as usize..end as usize]);
                    assert_eq!(&root, hash, "{i} of {n}: [{start}, {end})");
                }
            }
            assert!(merkle::path_ranges(n, n).is_empty());
        }
    }

    /// The versions of a batch verified together share one record, and each version's
    /// signature comes back from it exactly as it arrived; from part of a batch, the record
    /// gives back the signatures of that part.
    #[test]
    fn a_batch_record_gives_back_each_signature() {
        let a = NodeIdentity::generate();
        let keys = ring(&[(&a, "org-a")]);
        let (objects, sigs) = signed_batch(&a, 7);
        let items: Vec<_> = objects
            .iter()
            .zip(&sigs)
            .map(|(o, s)| (o, Some(s)))
            .collect();
        for part in [&items[..], &items[2..], &items[3..4]] {
            let verdicts = verify(&keys, part);
            let Verdict::Signed {
                batch: Some(record),
                ..
            } = &verdicts[0]
            else {
                panic!("{:?}", verdicts[0]);
            };
            let tree = BatchTree::parse(&record.record).unwrap();
            let trees = HashMap::from([(record.key.clone(), tree)]);
            for (v, (_, s)) in verdicts.iter().zip(part) {
                let Verdict::Signed {
                    signature, batch, ..
                } = v
                else {
                    panic!("{v:?}");
                };
                assert_eq!(batch.as_ref(), Some(record));
                let index = s.unwrap().batch.as_ref().unwrap().index;
                assert_eq!(signature, &format!("batch:{}:{index}", record.key));
                assert_eq!(stored_signature(signature, &trees).as_ref(), *s);
            }
            // A leaf none of the part's paths covers has no signature in the record.
            if part.len() < items.len() {
                let tree = &trees[&record.key];
                assert_eq!(tree.signature(0), None);
                assert_eq!(tree.signature(7), None);
            }
        }
        // A record's key is its hash: the same paths make the same record.
        let first = verify(&keys, &items);
        let again = verify(&keys, &items);
        assert_eq!(first, again);
        // Stored compact signatures and references to missing records.
        let single = a.sign(&objects[0]).unwrap();
        let none = HashMap::new();
        assert_eq!(
            stored_signature(&single.to_compact(), &none),
            Some(single.clone())
        );
        assert_eq!(stored_signature("batch:nothing:3", &none), None);
        assert_eq!(
            entente_store::SignatureBatch::parse_reference("batch:k:x"),
            None
        );
        assert!(BatchTree::parse("{}").is_none());
    }

    /// `n` distinct objects signed by `signer` in one batch.
    fn signed_batch(signer: &NodeIdentity, n: usize) -> (Vec<Object>, Vec<Signature>) {
        let objects: Vec<Object> = (0..n)
            .map(|i| Object::from_json(&OBJECT.replace("8e2e2d2b", &format!("{i:08x}"))).unwrap())
            .collect();
        let refs: Vec<&Object> = objects.iter().collect();
        let sigs = signer.sign_batch(&refs).unwrap();
        (objects, sigs)
    }

    fn inputs_of(items: &[(&Object, Option<&Signature>)]) -> Vec<Option<String>> {
        items
            .iter()
            .map(|(o, _)| provenance::signing_input(o).ok())
            .collect()
    }

    fn paths_of(items: &[(&Object, Option<&Signature>)]) -> Vec<Option<Vec<merkle::Hash>>> {
        items
            .iter()
            .map(|(_, s)| decode_path(&s.as_ref()?.batch.as_ref()?.path))
            .collect()
    }

    #[test]
    fn batch_signatures() {
        let a = NodeIdentity::generate();
        let keys = ring(&[(&a, "org-a")]);
        let (objects, sigs) = signed_batch(&a, 7);
        assert!(
            sigs.iter()
                .all(|s| s.batch.is_some() && s.signature == sigs[0].signature)
        );
        let items: Vec<_> = objects
            .iter()
            .zip(&sigs)
            .map(|(o, s)| (o, Some(s)))
            .collect();
        assert!(
            verify(&keys, &items)
                .iter()
                .all(|v| matches!(v, Verdict::Signed { originator, .. } if originator == "org-a"))
        );
        // One altered version, or a proof moved to another version, fails alone.
        let altered = Object::from_json(&objects[3].as_json().replace("\"x\"", "\"y\"")).unwrap();
        let mut items: Vec<_> = objects
            .iter()
            .zip(&sigs)
            .map(|(o, s)| (o, Some(s)))
            .collect();
        items[3].0 = &altered;
        items[5].1 = Some(&sigs[4]);
        let v = verify(&keys, &items);
        assert_eq!(v[3], Verdict::Forged);
        assert_eq!(v[5], Verdict::Forged);
        assert!(matches!(v[4], Verdict::Signed { .. }));
        assert!(matches!(v[6], Verdict::Signed { .. }));
        // Within a whole batch (its tree built from the leaves), one altered version or one
        // altered path fails alone.
        let mut bad_path = sigs[6].clone();
        if let Some(b) = &mut bad_path.batch {
            b.path[0] = B64.encode([7u8; 32]);
        }
        let mut items: Vec<_> = objects
            .iter()
            .zip(&sigs)
            .map(|(o, s)| (o, Some(s)))
            .collect();
        assert_eq!(
            whole_batches(&items, &inputs_of(&items), &paths_of(&items)).len(),
            7
        );
        items[6].1 = Some(&bad_path);
        assert_eq!(
            whole_batches(&items, &inputs_of(&items), &paths_of(&items)).len(),
            6
        );
        items[3].0 = &altered;
        let v = verify(&keys, &items);
        assert_eq!(v[3], Verdict::Forged);
        assert_eq!(v[6], Verdict::Forged);
        for i in [0, 1, 2, 4, 5] {
            assert!(matches!(v[i], Verdict::Signed { .. }), "{i}: {:?}", v[i]);
        }
        // Part of a batch is checked by its paths; a duplicated leaf index is no whole batch.
        let items: Vec<_> = objects
            .iter()
            .zip(&sigs)
            .map(|(o, s)| (o, Some(s)))
            .collect();
        assert!(
            whole_batches(&items[..6], &inputs_of(&items[..6]), &paths_of(&items[..6])).is_empty()
        );
        assert!(
            verify(&keys, &items[2..])
                .iter()
                .all(|v| matches!(v, Verdict::Signed { .. }))
        );
        let mut doubled = items.clone();
        doubled[1] = items[0];
        assert!(whole_batches(&doubled, &inputs_of(&doubled), &paths_of(&doubled)).is_empty());
        // A relayed, re-serialised batch member still verifies; a forged batch signature does
        // not.
        let text = provenance::attach_signature(&objects[2], &sigs[2]);
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        let (relayed, s) = provenance::split_signature(
            Object::from_json(&serde_json::to_string_pretty(&v).unwrap()).unwrap(),
        )
        .unwrap();
        assert!(matches!(
            verify(&keys, &[(&relayed, s.as_ref())])[0],
            Verdict::Signed { .. }
        ));
        let mut forged = sigs[1].clone();
        let mut bytes = B64.decode(&forged.signature).unwrap();
        bytes[0] ^= 1;
        forged.signature = B64.encode(bytes);
        assert_eq!(
            verify(&keys, &[(&objects[1], Some(&forged))]),
            [Verdict::Forged]
        );
        // One object is signed alone; none, not at all.
        assert!(a.sign_batch(&[&objects[0]]).unwrap()[0].batch.is_none());
        assert!(a.sign_batch(&[]).unwrap().is_empty());
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
