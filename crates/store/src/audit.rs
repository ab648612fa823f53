//! Audit log rows: what the store appends and reads back (DESIGN.md invariant 4, "every decision
//! leaves a trace").
//!
//! What it is not: the hash chain's definition and its verification. Those are pure functions in
//! the server's `audit` module; the store only assigns sequence numbers and links, under its
//! writer lock, and keeps rows exactly as written. The caller hands [`crate::Store::append_audit`]
//! an [`AuditHasher`] so that the store can seal each entry inside the same transaction that
//! reads the previous head: with several processes over one PostgreSQL database, no in-process
//! mutex could keep the chain linear, but the database lock does.
//!
//! Fields are kept as text, not as typed enums: a row altered behind the program's back (a
//! decision that is no longer `allow`/`deny`/`hit-only`, a hash of the wrong length) must still
//! read back, so that verification can say which entry is wrong instead of failing to read it.

/// The length of an audit hash (SHA-256).
pub const AUDIT_HASH_LEN: usize = 32;

/// The `prev_hash` of the first entry: 32 zero bytes.
pub const AUDIT_GENESIS: [u8; AUDIT_HASH_LEN] = [0; AUDIT_HASH_LEN];

/// What one audited decision says, before the store numbers and links it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditRecord {
    /// When, in microseconds since the Unix epoch (UTC).
    pub time: i64,
    /// Who: the user name (or a fixed name such as `cli` for local administration).
    pub actor: String,
    /// The actor's organisation.
    pub organisation: String,
    /// What, e.g. `taxii.objects.add`, `access.deny`, `user.add`.
    pub action: String,
    /// On what: a collection id, an object id, a user name.
    pub target: String,
    /// The declared purpose, when one was given.
    pub purpose: Option<String>,
    /// The outcome: `allow`, `deny` or `hit-only`.
    pub decision: String,
    /// The rule that decided.
    pub rule: String,
    /// A short explanation or counts; never object content.
    pub detail: String,
}

/// One entry of the audit log as stored: a record with its place in the chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditEntry {
    /// Position in the log: 1, 2, 3... without gaps.
    pub seq: u64,
    /// What was recorded.
    pub record: AuditRecord,
    /// The `hash` of the entry before (for seq 1, [`AUDIT_GENESIS`]). 32 bytes unless the row
    /// was altered; kept as read so that verification can report it.
    pub prev_hash: Vec<u8>,
    /// This entry's seal, as computed by the [`AuditHasher`] when it was appended.
    pub hash: Vec<u8>,
}

/// Seals one entry: the hash of `(seq, record, prev_hash)`. The store calls it for each appended
/// entry, under its writer lock, with the `seq` and `prev_hash` it assigned.
pub type AuditHasher = fn(seq: u64, record: &AuditRecord, prev_hash: &[u8]) -> [u8; AUDIT_HASH_LEN];

/// Numbers and seals `records` after the head `(last_seq, last_hash)`: the chaining step both
/// backends share.
pub(crate) fn chain(
    last: Option<(u64, Vec<u8>)>,
    records: Vec<AuditRecord>,
    hasher: AuditHasher,
) -> Vec<AuditEntry> {
    let (mut seq, mut prev) = last.unwrap_or((0, AUDIT_GENESIS.to_vec()));
    records
        .into_iter()
        .map(|record| {
            seq += 1;
            let hash = hasher(seq, &record, &prev).to_vec();
            AuditEntry {
                seq,
                record,
                prev_hash: std::mem::replace(&mut prev, hash.clone()),
                hash,
            }
        })
        .collect()
}
