//! The audit trail (DESIGN.md invariant 4, "every decision leaves a trace"): how an entry is
//! sealed, how the chain is verified, and the [`Recorder`] that every decision path calls.
//!
//! What it is not: storage. The store appends rows and reads them back
//! ([`entente_store::Store::append_audit`], [`entente_store::Store::audit_page`]); it numbers and
//! links entries under its own writer lock and calls [`seal`] for each one. That choice, rather
//! than a mutex in the [`Recorder`], is what keeps **one chain per database** even when several
//! entente processes share a PostgreSQL database: the lock that orders appends is the database's.
//!
//! # The chain
//!
//! Each entry carries `seq` (1, 2, 3... without gaps), its record (time, actor, organisation,
//! action, target, purpose, decision, rule, detail), `prev_hash` (the previous entry's hash, 32
//! zero bytes for seq 1) and `hash = SHA-256(encoding)`, where the encoding is, byte for byte:
//!
//! ```text
//! encoding  = "entente-audit-v1"            16 ASCII bytes, a version tag
//!             u64be(seq)                    8 bytes
//!             i64be(time)                   8 bytes, microseconds since the Unix epoch (UTC)
//!             field(actor)
//!             field(organisation)
//!             field(action)
//!             field(target)
//!             optional(purpose)
//!             field(decision)
//!             field(rule)
//!             field(detail)
//!             field(prev_hash)
//! field(b)    = u64be(len(b)) || b          strings as their UTF-8 bytes
//! optional(x) = 0x00                        when absent
//!             | 0x01 || field(x)            when present
//! ```
//!
//! Every variable-length part is length-prefixed, so no two different entries share an
//! encoding (moving a byte from `actor` to `organisation` changes the lengths), and the absent
//! purpose differs from an empty one.
//!
//! # What verification detects, and what it cannot
//!
//! [`verify`] (and [`Verifier`] for a log read page by page) recomputes every seal and link and
//! reports the **first** bad entry with the reason ([`Tamper`]): a changed byte in any field
//! (the seal no longer matches), a deleted entry (a gap in `seq`, or a broken link if the rest
//! was renumbered), two swapped entries (the link breaks where the order changed), a changed
//! hash or link. A plain hash chain cannot by itself reveal that the **newest** entries were cut
//! off, nor a log rewritten from some point with freshly computed seals: both leave a valid
//! chain. That is what an [`Anchor`] is for: the head (`seq:hash`) printed by
//! `entente audit verify` and kept somewhere else (a ticket, a partner, a printout). Verifying
//! with it reports a log shorter than the anchor, or one whose entry at the anchor's `seq` has
//! another hash.
//!
//! # Order of writes
//!
//! An operation is recorded after it succeeded (its counts are known then), in its own durable
//! transaction: a crash between the two leaves the operation without its entry. Denials are
//! recorded before the refusal is answered.

use std::fmt;
use std::str::FromStr;

use entente_store::{AUDIT_GENESIS, AUDIT_HASH_LEN, AuditEntry, AuditRecord, SharedStore};
use sha2::{Digest, Sha256};

/// The version tag that opens every encoding.
pub const ENCODING_TAG: &[u8; 16] = b"entente-audit-v1";

/// The actor recorded for local administration through the command line (which needs access
/// to the node's data folder, not a credential).
pub const CLI_ACTOR: &str = "cli";

/// The organisation recorded for [`CLI_ACTOR`]: the node itself.
pub const NODE_ORGANISATION: &str = "node";

/// How many entries [`verify_store`] reads per page.
pub const VERIFY_PAGE: usize = 1000;

/// The outcome of an audited decision, as recorded in the `decision` field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Allowed.
    Allow,
    /// Refused.
    Deny,
    /// Only the existence of a match and a contact were disclosed.
    HitOnly,
}

impl Outcome {
    /// The recorded text: `allow`, `deny` or `hit-only`.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Allow => "allow",
            Outcome::Deny => "deny",
            Outcome::HitOnly => "hit-only",
        }
    }
}

/// The current time in microseconds since the Unix epoch (UTC), as recorded in `time`.
pub fn now_micros() -> i64 {
    let now = time::OffsetDateTime::now_utc();
    (now.unix_timestamp_nanos() / 1000) as i64
}

/// An audit record for `action` on `target` by `actor` of `organisation`, now, without a purpose.
pub fn record(
    actor: &str,
    organisation: &str,
    action: &str,
    target: &str,
    outcome: Outcome,
    rule: &str,
    detail: &str,
) -> AuditRecord {
    AuditRecord {
        time: now_micros(),
        actor: actor.to_owned(),
        organisation: organisation.to_owned(),
        action: action.to_owned(),
        target: target.to_owned(),
        purpose: None,
        decision: outcome.as_str().to_owned(),
        rule: rule.to_owned(),
        detail: detail.to_owned(),
    }
}

fn field(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(&(bytes.len() as u64).to_be_bytes());
    out.extend_from_slice(bytes);
}

/// The canonical encoding of an entry (see the module documentation).
pub fn encode(seq: u64, record: &AuditRecord, prev_hash: &[u8]) -> Vec<u8> {
    let r = record;
    let mut out = Vec::with_capacity(
        128 + r.actor.len()
            + r.organisation.len()
            + r.action.len()
            + r.target.len()
            + r.purpose.as_ref().map_or(0, String::len)
            + r.decision.len()
            + r.rule.len()
            + r.detail.len(),
    );
    out.extend_from_slice(ENCODING_TAG);
    out.extend_from_slice(&seq.to_be_bytes());
    out.extend_from_slice(&r.time.to_be_bytes());
    field(&mut out, r.actor.as_bytes());
    field(&mut out, r.organisation.as_bytes());
    field(&mut out, r.action.as_bytes());
    field(&mut out, r.target.as_bytes());
    match &r.purpose {
        None => out.push(0),
        Some(p) => {
            out.push(1);
            field(&mut out, p.as_bytes());
        }
    }
    field(&mut out, r.decision.as_bytes());
    field(&mut out, r.rule.as_bytes());
    field(&mut out, r.detail.as_bytes());
    field(&mut out, prev_hash);
    out
}

/// The seal of an entry: SHA-256 of [`encode`]. This is the [`entente_store::AuditHasher`]
/// handed to the store.
pub fn seal(seq: u64, record: &AuditRecord, prev_hash: &[u8]) -> [u8; AUDIT_HASH_LEN] {
    Sha256::digest(encode(seq, record, prev_hash)).into()
}

/// Lower-case hexadecimal.
pub fn to_hex(bytes: &[u8]) -> String {
    use fmt::Write as _;
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// The last known head of the log, kept outside the database: `seq` and `hash`. Written and
/// parsed as `SEQ:HEX`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Anchor {
    /// The head's sequence number (0 for an empty log).
    pub seq: u64,
    /// The head's hash ([`AUDIT_GENESIS`] for an empty log).
    pub hash: [u8; AUDIT_HASH_LEN],
}

impl fmt::Display for Anchor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.seq, to_hex(&self.hash))
    }
}

impl FromStr for Anchor {
    type Err = String;

    fn from_str(s: &str) -> Result<Anchor, String> {
        let (seq, hex) = s
            .split_once(':')
            .ok_or("an anchor is SEQ:HASH, e.g. 42:9f86d0...")?;
        let seq = seq
            .parse()
            .map_err(|_| format!("anchor sequence number {seq:?} is not a number"))?;
        if hex.len() != AUDIT_HASH_LEN * 2 || !hex.is_ascii() {
            return Err(format!(
                "anchor hash must be {} hexadecimal digits",
                AUDIT_HASH_LEN * 2
            ));
        }
        let mut hash = [0u8; AUDIT_HASH_LEN];
        for (i, b) in hash.iter_mut().enumerate() {
            *b = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16)
                .map_err(|_| "anchor hash must be hexadecimal".to_owned())?;
        }
        Ok(Anchor { seq, hash })
    }
}

/// The first problem found in the log: at which entry, and why.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("audit entry {seq}: {kind}")]
pub struct Tamper {
    /// The sequence number of the first bad entry (for a missing entry, the one expected).
    pub seq: u64,
    /// What is wrong with it.
    pub kind: TamperKind,
}

/// Why an entry fails verification.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TamperKind {
    /// The entry's contents do not match its hash: a field (or the hash) was changed.
    Altered,
    /// `prev_hash` is not the previous entry's hash: an entry before it was removed, replaced
    /// or moved.
    BrokenLink,
    /// The entry is missing: the next one read has `found`.
    Missing {
        /// The sequence number read instead.
        found: u64,
    },
    /// An entry with this sequence number came after a later one (duplicated or out of order).
    OutOfOrder {
        /// The sequence number read before it.
        after: u64,
    },
    /// The stored hash or link has the wrong length.
    Malformed {
        /// What is malformed.
        what: &'static str,
        /// Its length in bytes.
        len: usize,
    },
    /// The log ends before the anchor's entry: entries were cut off the end.
    Truncated {
        /// The last sequence number present (0 when the log is empty).
        last: u64,
    },
    /// The entry at the anchor's sequence number has another hash: the log was rewritten.
    AnchorMismatch,
}

impl fmt::Display for TamperKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TamperKind::Altered => f.write_str(
                "its contents do not match its hash (the entry or its hash was altered)",
            ),
            TamperKind::BrokenLink => f.write_str(
                "its link does not match the previous entry's hash \
                 (an entry was removed, replaced or reordered)",
            ),
            TamperKind::Missing { found } => {
                write!(
                    f,
                    "missing (the next entry present is {found}): entries were deleted"
                )
            }
            TamperKind::OutOfOrder { after } => {
                write!(
                    f,
                    "appears after entry {after}: entries are duplicated or reordered"
                )
            }
            TamperKind::Malformed { what, len } => {
                write!(f, "its {what} is {len} bytes, not {AUDIT_HASH_LEN}")
            }
            TamperKind::Truncated { last } => write!(
                f,
                "missing: the log ends at entry {last}, before the anchor (entries were cut off \
                 the end)"
            ),
            TamperKind::AnchorMismatch => {
                f.write_str("its hash differs from the anchor's (the log was rewritten)")
            }
        }
    }
}

/// The verified head of the log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Head {
    /// How many entries were verified (the last `seq`).
    pub entries: u64,
    /// The last entry's hash ([`AUDIT_GENESIS`] for an empty log).
    pub hash: [u8; AUDIT_HASH_LEN],
}

impl Head {
    /// The head as an anchor to keep for later verifications.
    pub fn anchor(&self) -> Anchor {
        Anchor {
            seq: self.entries,
            hash: self.hash,
        }
    }
}

/// Verifies a log fed in `seq` order, one entry (or page) at a time, in constant memory.
#[derive(Clone, Debug)]
pub struct Verifier {
    anchor: Option<Anchor>,
    last_seq: u64,
    last_hash: [u8; AUDIT_HASH_LEN],
}

impl Verifier {
    /// A verifier for a log that starts at seq 1, checked against `anchor` when given.
    pub fn new(anchor: Option<Anchor>) -> Verifier {
        Verifier {
            anchor,
            last_seq: 0,
            last_hash: AUDIT_GENESIS,
        }
    }

    /// Checks the next entry: its `seq`, its link to the previous one, its seal, and the
    /// anchor when this is the anchor's entry.
    pub fn push(&mut self, e: &AuditEntry) -> Result<(), Tamper> {
        let expected = self.last_seq + 1;
        let bad = |kind| Err(Tamper { seq: e.seq, kind });
        if e.seq > expected {
            return Err(Tamper {
                seq: expected,
                kind: TamperKind::Missing { found: e.seq },
            });
        }
        if e.seq < expected {
            return bad(TamperKind::OutOfOrder {
                after: self.last_seq,
            });
        }
        let Ok(hash) = <[u8; AUDIT_HASH_LEN]>::try_from(e.hash.as_slice()) else {
            return bad(TamperKind::Malformed {
                what: "hash",
                len: e.hash.len(),
            });
        };
        if e.prev_hash != self.last_hash {
            return bad(TamperKind::BrokenLink);
        }
        if seal(e.seq, &e.record, &e.prev_hash) != hash {
            return bad(TamperKind::Altered);
        }
        if let Some(a) = self.anchor
            && a.seq == e.seq
            && a.hash != hash
        {
            return bad(TamperKind::AnchorMismatch);
        }
        self.last_seq = e.seq;
        self.last_hash = hash;
        Ok(())
    }

    /// Ends verification: the head, or [`TamperKind::Truncated`] when the log ends before the
    /// anchor.
    pub fn finish(self) -> Result<Head, Tamper> {
        if let Some(a) = self.anchor {
            if a.seq > self.last_seq {
                return Err(Tamper {
                    seq: self.last_seq + 1,
                    kind: TamperKind::Truncated {
                        last: self.last_seq,
                    },
                });
            }
            if a.seq == 0 && a.hash != AUDIT_GENESIS {
                return Err(Tamper {
                    seq: 0,
                    kind: TamperKind::AnchorMismatch,
                });
            }
        }
        Ok(Head {
            entries: self.last_seq,
            hash: self.last_hash,
        })
    }
}

/// Verifies a whole log given in `seq` order: the number of intact entries, or the first
/// problem. See the module documentation for what is detected.
pub fn verify(entries: &[AuditEntry], anchor: Option<&Anchor>) -> Result<u64, Tamper> {
    let mut v = Verifier::new(anchor.copied());
    for e in entries {
        v.push(e)?;
    }
    v.finish().map(|h| h.entries)
}

/// Reads the whole log from `store`, [`VERIFY_PAGE`] entries at a time, and verifies it. The
/// outer error is the store failing; the inner one is the log failing verification.
pub async fn verify_store(
    store: &SharedStore,
    anchor: Option<&Anchor>,
) -> Result<Result<Head, Tamper>, entente_store::Error> {
    let mut v = Verifier::new(anchor.copied());
    let mut after = 0;
    loop {
        let page = store.audit_page(after, VERIFY_PAGE).await?;
        let Some(last) = page.last() else { break };
        after = last.seq;
        for e in &page {
            if let Err(t) = v.push(e) {
                return Ok(Err(t));
            }
        }
    }
    Ok(v.finish())
}

/// Writes audit entries through the store. Cheap to clone; every decision path holds one.
///
/// No lock here: the store orders appends under its writer lock (see the module documentation),
/// so any number of recorders, in any number of processes, extend one chain.
#[derive(Clone)]
pub struct Recorder {
    store: SharedStore,
}

impl Recorder {
    /// A recorder writing to `store`.
    pub fn new(store: SharedStore) -> Recorder {
        Recorder { store }
    }

    /// Appends one record, durably; returns the sealed entry.
    pub async fn record(&self, record: AuditRecord) -> Result<AuditEntry, entente_store::Error> {
        let mut entries = self.store.append_audit(vec![record], seal).await?;
        entries
            .pop()
            .ok_or_else(|| entente_store::Error::Invalid("no audit entry appended".into()))
    }

    /// Appends several records in one durable transaction, in order.
    pub async fn record_all(
        &self,
        records: Vec<AuditRecord>,
    ) -> Result<Vec<AuditEntry>, entente_store::Error> {
        self.store.append_audit(records, seal).await
    }
}

/// Records decisions with **group commit**: every record joins the next batch, and the batch
/// is appended in one durable transaction. Under load one commit (one `fsync`) serves many
/// requests, so recording every read costs little; an idle node commits each record at once.
///
/// Two ways in:
/// - [`Journal::record`] waits until the record is on disk. Refusals, writes, deletions,
///   release steps and administrative acts use it: they are durable before they are answered
///   (and a failure to record answers 500 instead).
/// - [`Journal::submit`] does not wait. Served reads use it, so that a response never waits for
///   a disk flush: the record is committed with the next batch, within milliseconds. The
///   window this leaves is a crash of the machine in those milliseconds; a graceful stop
///   flushes everything submitted ([`Journal::flush`], called when the server stops).
#[derive(Clone)]
pub struct Journal {
    tx: tokio::sync::mpsc::UnboundedSender<Pending>,
    /// Rung by whoever sends a record it waits for, to end the gathering of submitted ones.
    /// Submitted records do not ring it, so they cost the writer no wake-up of their own. A
    /// ring whose record was already taken in an earlier batch ends the next gathering early:
    /// that batch is committed sooner, never later.
    urgent: std::sync::Arc<tokio::sync::Notify>,
}

/// A record to append (or `None`: a flush marker), and whom to tell when it is durable.
type Pending = (
    Option<AuditRecord>,
    Option<tokio::sync::oneshot::Sender<Result<(), String>>>,
);

/// Most records appended in one transaction.
const JOURNAL_BATCH: usize = 4096;

/// How long submitted records (nobody waiting) gather before they are committed.
///
/// Every commit is a disk flush (`fsync`), whose cost is mostly in the kernel, so submitted
/// records are committed at most this often (a waiting record is committed at once, taking the
/// gathered ones with it). On SQLite the log has a file of its own, so these commits do not
/// touch the readers of objects.
const SUBMIT_GATHER: std::time::Duration = std::time::Duration::from_millis(10);

impl Journal {
    /// Starts the writer task (on the current Tokio runtime) appending to `store`.
    pub fn start(store: SharedStore) -> Journal {
        Self::start_gathering(store, SUBMIT_GATHER)
    }

    /// [`Journal::start`], gathering submitted records for `gather`.
    fn start_gathering(store: SharedStore, gather: std::time::Duration) -> Journal {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Pending>();
        let urgent = std::sync::Arc::new(tokio::sync::Notify::new());
        let woken = urgent.clone();
        tokio::spawn(async move {
            let mut batch: Vec<Pending> = Vec::new();
            while let Some(first) = rx.recv().await {
                batch.push(first);
                let drain =
                    |batch: &mut Vec<Pending>,
                     rx: &mut tokio::sync::mpsc::UnboundedReceiver<Pending>| {
                        while batch.len() < JOURNAL_BATCH {
                            match rx.try_recv() {
                                Ok(p) => batch.push(p),
                                Err(_) => break,
                            }
                        }
                    };
                drain(&mut batch, &mut rx);
                // Nobody waits on a batch of submitted reads: let it gather for a moment, so
                // that one commit serves many. A waiter arriving meanwhile ends the gathering
                // at once: it must not wait for records that nobody waits for.
                if batch.iter().all(|(_, w)| w.is_none()) {
                    tokio::select! {
                        () = tokio::time::sleep(gather) => {}
                        () = woken.notified() => {}
                    }
                    drain(&mut batch, &mut rx);
                }
                let mut records = Vec::with_capacity(batch.len());
                let mut waiters = Vec::new();
                for (record, waiter) in batch.drain(..) {
                    records.extend(record);
                    waiters.extend(waiter);
                }
                let outcome = if records.is_empty() {
                    Ok(())
                } else {
                    store
                        .append_audit(records, seal)
                        .await
                        .map(|_| ())
                        .map_err(|e| e.to_string())
                };
                if let Err(e) = &outcome {
                    tracing::error!(error = %e, "appending to the audit log failed");
                }
                for w in waiters {
                    let _ = w.send(outcome.clone());
                }
            }
        });
        Journal { tx, urgent }
    }

    fn stopped() -> entente_store::Error {
        entente_store::Error::Invalid("the audit journal has stopped".into())
    }

    /// Appends `record` with the next batch and waits until it is durable.
    pub async fn record(&self, record: AuditRecord) -> Result<(), entente_store::Error> {
        let (done, wait) = tokio::sync::oneshot::channel();
        self.tx
            .send((Some(record), Some(done)))
            .map_err(|_| Self::stopped())?;
        self.urgent.notify_one();
        wait.await
            .map_err(|_| Self::stopped())?
            .map_err(entente_store::Error::Invalid)
    }

    /// Appends `record` with the next batch, without waiting.
    pub fn submit(&self, record: AuditRecord) -> Result<(), entente_store::Error> {
        self.tx
            .send((Some(record), None))
            .map_err(|_| Self::stopped())
    }

    /// Waits until everything submitted before this call is durable.
    pub async fn flush(&self) -> Result<(), entente_store::Error> {
        let (done, wait) = tokio::sync::oneshot::channel();
        self.tx
            .send((None, Some(done)))
            .map_err(|_| Self::stopped())?;
        self.urgent.notify_one();
        wait.await
            .map_err(|_| Self::stopped())?
            .map_err(entente_store::Error::Invalid)
    }
}

/// Records a refusal of the access check as `access.deny` (or a `hit-only` answer), before the
/// refusal is answered. `target` is what was asked for (a collection id); the rule recorded is
/// the reason the check gave. Allowed decisions are not recorded here.
pub async fn record_refusal(
    journal: &Journal,
    principal: &crate::auth::Principal,
    action: crate::access::Action,
    target: &str,
    decision: &crate::access::Decision,
) -> Result<(), entente_store::Error> {
    use crate::access::Decision;
    let (outcome, rule) = match decision {
        Decision::Allow => return Ok(()),
        Decision::Deny(d) => (Outcome::Deny, d.rule.as_str()),
        Decision::HitOnly => (Outcome::HitOnly, "hit-only"),
    };
    let detail = format!("action={}", format!("{action:?}").to_lowercase());
    let mut r = record(
        &principal.user,
        &principal.organisation,
        "access.deny",
        target,
        outcome,
        rule,
        &detail,
    );
    r.purpose = principal.purpose.clone();
    // Through the journal, so that it is ordered after the reads submitted before it.
    journal.record(r).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(n: u32) -> AuditRecord {
        AuditRecord {
            time: 1_767_225_600_000_000 + i64::from(n),
            actor: format!("analyst{n}"),
            organisation: "ORG-A".into(),
            action: "taxii.objects.add".into(),
            target: "91a7b528-80eb-42ed-a74d-c6fbd5a26116".into(),
            purpose: Some("ct-prevention".into()),
            decision: "allow".into(),
            rule: "permission.can_write".into(),
            detail: format!("added={n}"),
        }
    }

    /// A chain built the way the store builds it.
    fn chain(n: u32) -> Vec<AuditEntry> {
        let mut prev = AUDIT_GENESIS.to_vec();
        (1..=n)
            .map(|i| {
                let record = rec(i);
                let hash = seal(u64::from(i), &record, &prev).to_vec();
                AuditEntry {
                    seq: u64::from(i),
                    record,
                    prev_hash: std::mem::replace(&mut prev, hash.clone()),
                    hash,
                }
            })
            .collect()
    }

    #[test]
    fn encoding_is_as_documented() {
        let r = AuditRecord {
            time: 2,
            actor: "a".into(),
            organisation: "".into(),
            action: "x".into(),
            target: "t".into(),
            purpose: None,
            decision: "allow".into(),
            rule: "r".into(),
            detail: "".into(),
        };
        let mut expected = b"entente-audit-v1".to_vec();
        expected.extend_from_slice(&1u64.to_be_bytes());
        expected.extend_from_slice(&2i64.to_be_bytes());
        for f in [&b"a"[..], b"", b"x", b"t"] {
            expected.extend_from_slice(&(f.len() as u64).to_be_bytes());
            expected.extend_from_slice(f);
        }
        expected.push(0);
        for f in [&b"allow"[..], b"r", b"", &[0u8; 32]] {
            expected.extend_from_slice(&(f.len() as u64).to_be_bytes());
            expected.extend_from_slice(f);
        }
        assert_eq!(encode(1, &r, &AUDIT_GENESIS), expected);
        // A known SHA-256: the seal is the digest of exactly those bytes.
        assert_eq!(
            to_hex(&seal(1, &r, &AUDIT_GENESIS)),
            to_hex(&Sha256::digest(&expected))
        );
        assert_eq!(
            to_hex(&Sha256::digest(b"abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn field_boundaries_and_absent_purpose_are_distinct() {
        let a = rec(1);
        let mut moved = a.clone();
        moved.actor = format!("{}O", a.actor);
        moved.organisation = a.organisation[1..].to_owned();
        assert_ne!(
            encode(1, &a, &AUDIT_GENESIS),
            encode(1, &moved, &AUDIT_GENESIS)
        );
        let mut none = a.clone();
        none.purpose = None;
        let mut empty = a.clone();
        empty.purpose = Some(String::new());
        assert_ne!(
            encode(1, &none, &AUDIT_GENESIS),
            encode(1, &empty, &AUDIT_GENESIS)
        );
    }

    #[test]
    fn intact_chain_verifies() {
        assert_eq!(verify(&[], None), Ok(0));
        let log = chain(5);
        assert_eq!(verify(&log, None), Ok(5));
        let head = Anchor {
            seq: 5,
            hash: log[4].hash.clone().try_into().unwrap(),
        };
        assert_eq!(verify(&log, Some(&head)), Ok(5));
        // An older anchor holds too: the log only grows.
        let older = Anchor {
            seq: 2,
            hash: log[1].hash.clone().try_into().unwrap(),
        };
        assert_eq!(verify(&log, Some(&older)), Ok(5));
    }

    type Change = Box<dyn Fn(&mut AuditEntry)>;

    /// A changed byte in any field of any entry is caught at that entry.
    #[test]
    fn any_changed_byte_is_caught_at_its_entry() {
        let log = chain(4);
        for i in 0..log.len() {
            let seq = log[i].seq;
            let mut cases: Vec<Change> = vec![
                Box::new(|e| e.record.time ^= 1),
                Box::new(|e| e.record.actor.insert(0, 'x')),
                Box::new(|e| e.record.organisation = e.record.organisation.to_lowercase()),
                Box::new(|e| e.record.action.push('s')),
                Box::new(|e| e.record.target.replace_range(0..1, "0")),
                Box::new(|e| e.record.purpose = None),
                Box::new(|e| e.record.decision = "deny".into()),
                Box::new(|e| {
                    e.record.rule.pop();
                }),
                Box::new(|e| e.record.detail.push('0')),
            ];
            for byte in [0, 17, 31] {
                cases.push(Box::new(move |e| e.prev_hash[byte] ^= 0x01));
                cases.push(Box::new(move |e| e.hash[byte] ^= 0x80));
            }
            for (c, change) in cases.iter().enumerate() {
                let mut bad = log.clone();
                change(&mut bad[i]);
                let err = verify(&bad, None).expect_err(&format!("case {c} at entry {seq}"));
                assert_eq!(err.seq, seq, "case {c}: {err}");
                assert!(
                    matches!(err.kind, TamperKind::Altered | TamperKind::BrokenLink),
                    "case {c}: {err}"
                );
            }
        }
    }

    #[test]
    fn deleted_entries_are_caught() {
        let log = chain(5);
        let mut gap = log.clone();
        gap.remove(2);
        let err = verify(&gap, None).unwrap_err();
        assert_eq!(err.seq, 3);
        assert_eq!(err.kind, TamperKind::Missing { found: 4 });
        assert!(
            err.to_string().starts_with("audit entry 3: missing"),
            "{err}"
        );
        // Deleting the first entry.
        let err = verify(&log[1..], None).unwrap_err();
        assert_eq!((err.seq, err.kind), (1, TamperKind::Missing { found: 2 }));
        // Deleted and the rest renumbered: the link breaks where the entry was.
        let mut renumbered = gap.clone();
        for e in &mut renumbered[2..] {
            e.seq -= 1;
        }
        let err = verify(&renumbered, None).unwrap_err();
        assert_eq!(err.seq, 3);
    }

    #[test]
    fn swapped_entries_are_caught() {
        let log = chain(5);
        // Entries out of seq order (a store always reads in seq order; a file may not).
        let mut swapped = log.clone();
        swapped.swap(1, 3);
        let err = verify(&swapped, None).unwrap_err();
        assert_eq!((err.seq, err.kind), (2, TamperKind::Missing { found: 4 }));
        // Contents swapped, numbers kept: the link breaks at the first moved entry.
        let mut moved = log.clone();
        let (a, b) = (moved[1].clone(), moved[3].clone());
        moved[1] = AuditEntry { seq: 2, ..b };
        moved[3] = AuditEntry { seq: 4, ..a };
        let err = verify(&moved, None).unwrap_err();
        assert_eq!((err.seq, err.kind), (2, TamperKind::BrokenLink));
    }

    #[test]
    fn truncation_and_rewrites_need_the_anchor() {
        let log = chain(5);
        let head = Anchor {
            seq: 5,
            hash: log[4].hash.clone().try_into().unwrap(),
        };
        // Without an anchor a cut tail is a valid shorter chain; with it, it is caught.
        assert_eq!(verify(&log[..3], None), Ok(3));
        let err = verify(&log[..3], Some(&head)).unwrap_err();
        assert_eq!((err.seq, err.kind), (4, TamperKind::Truncated { last: 3 }));
        let err = verify(&[], Some(&head)).unwrap_err();
        assert_eq!(err.kind, TamperKind::Truncated { last: 0 });
        // A log rewritten with fresh seals from entry 3 on is a valid chain, but not the
        // anchored one.
        let mut rewritten = log[..2].to_vec();
        let mut prev = rewritten[1].hash.clone();
        for i in 3..=5u32 {
            let mut r = rec(i);
            r.detail = "forged".into();
            let hash = seal(u64::from(i), &r, &prev).to_vec();
            rewritten.push(AuditEntry {
                seq: u64::from(i),
                record: r,
                prev_hash: std::mem::replace(&mut prev, hash.clone()),
                hash,
            });
        }
        assert_eq!(verify(&rewritten, None), Ok(5));
        let err = verify(&rewritten, Some(&head)).unwrap_err();
        assert_eq!((err.seq, err.kind), (5, TamperKind::AnchorMismatch));
    }

    #[test]
    fn malformed_hash_is_reported() {
        let mut log = chain(2);
        log[1].hash.truncate(31);
        let err = verify(&log, None).unwrap_err();
        assert_eq!(
            (err.seq, err.kind),
            (
                2,
                TamperKind::Malformed {
                    what: "hash",
                    len: 31
                }
            )
        );
    }

    #[test]
    fn anchors_round_trip_as_text() {
        let a = Anchor {
            seq: 42,
            hash: [0xab; 32],
        };
        let text = a.to_string();
        assert_eq!(text, format!("42:{}", "ab".repeat(32)));
        assert_eq!(text.parse::<Anchor>(), Ok(a));
        for bad in [
            "",
            "42",
            "x:ab",
            "42:abc",
            &format!("42:{}", "zz".repeat(32)),
        ] {
            assert!(bad.parse::<Anchor>().is_err(), "{bad:?}");
        }
    }

    /// The recorder and the store together: entries appended by several recorders form one
    /// chain that verifies, and a page-by-page verification agrees with the whole-log one.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn recorder_appends_a_verifiable_chain() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite:{}", dir.path().join("e.db").display());
        let store = entente_store::open(&url).await.unwrap();
        let recorders = [Recorder::new(store.clone()), Recorder::new(store.clone())];
        let mut tasks = Vec::new();
        for (i, r) in recorders.iter().cycle().take(6).enumerate() {
            let r = r.clone();
            tasks.push(tokio::spawn(async move {
                r.record(record(
                    "alice",
                    "ORG-A",
                    "access.deny",
                    &format!("collection-{i}"),
                    Outcome::Deny,
                    "no permission on this collection",
                    "",
                ))
                .await
                .unwrap()
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        recorders[0]
            .record_all((1..=3).map(rec).collect())
            .await
            .unwrap();
        let head = verify_store(&store, None).await.unwrap().unwrap();
        assert_eq!(head.entries, 9);
        let all = store.audit_page(0, 100).await.unwrap();
        assert_eq!(verify(&all, Some(&head.anchor())), Ok(9));
        assert_eq!(all[0].record.decision, "deny");
    }

    /// A record somebody waits for is committed at once, taking the submitted records that
    /// were gathering with it, in order: it does not wait out the gathering.
    #[tokio::test]
    async fn a_waiter_ends_the_gathering() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite:{}", dir.path().join("e.db").display());
        let store = entente_store::open(&url).await.unwrap();
        // Gathering for an hour: without the waiter ending it, the test would time out.
        let journal = Journal::start_gathering(store.clone(), std::time::Duration::from_secs(3600));
        journal.submit(rec(1)).unwrap();
        // On this single-threaded runtime, the journal now takes the record and gathers.
        tokio::task::yield_now().await;
        tokio::time::timeout(std::time::Duration::from_secs(60), journal.record(rec(2)))
            .await
            .expect("the waiting record was committed without waiting out the gathering")
            .unwrap();
        let all = store.audit_page(0, 10).await.unwrap();
        let actors: Vec<&str> = all.iter().map(|e| e.record.actor.as_str()).collect();
        assert_eq!(actors, ["analyst1", "analyst2"]);
        assert_eq!(verify(&all, None), Ok(2));
    }
}
