//! Pages through the gate: every stored version a read would return is decided by
//! [`crate::access::Gate`], and only allowed ones are served. Denied versions leave no trace
//! in the response: not in the items, not in `more` (it says whether more *visible* versions
//! follow), not in `next` (a cursor the principal could have obtained anyway), not in the
//! `X-TAXII-Date-Added-*` headers (taken from the served items).
//!
//! The scan is bounded: a page stops after [`MAX_SCANNED_PAGES`] store pages; when that bound
//! is reached before the page fills, the response says `more` with a cursor past what was
//! scanned, so a principal who may see little of a large collection pages on rather than
//! making one request scan everything.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::{Arc, Mutex, OnceLock};

use entente_store::{
    CollectionId, DateAdded, Decide, Decided, ManifestRecord, ObjectFilter, ObjectSharing, Page,
    StoredObject,
};

use crate::AppState;
use crate::access::{Gate, ObjectAction};
use crate::audit::{self, Outcome};
use crate::auth::Principal;
use crate::error::ApiError;
use crate::policy::Decision;

/// Store pages scanned at most for one response.
pub(crate) const MAX_SCANNED_PAGES: usize = 32;

/// Smallest store page fetched while filtering.
const MIN_FETCH: usize = 100;

/// A stored item the gate decides on.
pub(crate) trait Gatable {
    fn sharing(&self) -> &ObjectSharing;
    fn object_id(&self) -> &str;
    fn date_added(&self) -> DateAdded;
}

impl Gatable for StoredObject {
    fn sharing(&self) -> &ObjectSharing {
        &self.sharing
    }
    fn object_id(&self) -> &str {
        self.object.id().as_str()
    }
    fn date_added(&self) -> DateAdded {
        self.date_added
    }
}

impl Gatable for ManifestRecord {
    fn sharing(&self) -> &ObjectSharing {
        &self.sharing
    }
    fn object_id(&self) -> &str {
        &self.id
    }
    fn date_added(&self) -> DateAdded {
        self.date_added
    }
}

/// A page of allowed items, and what was withheld (for the audit log only).
pub(crate) struct Gated<T> {
    pub(crate) page: Page<T>,
    pub(crate) withheld: usize,
    pub(crate) rules: BTreeMap<&'static str, usize>,
}

/// A row of a scan: a version to serve, or one withheld by a rule (where it was).
enum Row<T> {
    Served(T),
    Withheld(&'static str),
}

/// The gate's verdicts of one request, by the facts they were made for: the versions of a
/// collection carry few distinct sharing facts (a few originators and channels, a few
/// markings), so most versions reuse a verdict already reached rather than building their
/// facts and deciding again.
///
/// Looked up once per row read, from the store's reading thread, so a lookup takes no lock:
/// each slot is filled once and then only read. Filling takes a lock, once per distinct facts.
#[derive(Default)]
struct Remembered {
    slots: [OnceLock<(ObjectSharing, Verdict)>; REMEMBERED],
    filled: Mutex<usize>,
}

/// What the gate said of one version: `None` serves it, `Some(rule)` withholds it, naming the
/// rule that did (the form [`entente_store::Decide`] answers in).
type Verdict = Option<&'static str>;

/// Distinct facts remembered per request; others are decided each time.
const REMEMBERED: usize = 16;

impl Remembered {
    /// The verdict for `sharing` without releases, reusing one reached for the same facts.
    fn verdict(&self, gate: &Gate, action: ObjectAction, sharing: &ObjectSharing) -> Verdict {
        if cfg!(feature = "bench-gate-bypass") {
            return None;
        }
        for slot in &self.slots {
            match slot.get() {
                Some((facts, v)) if same_facts(facts, sharing) => return *v,
                Some(_) => {}
                None => break,
            }
        }
        let v = verdict(&gate.decide(action, &gate.facts(sharing, &[])));
        let mut filled = self.filled.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(slot) = self.slots.get(*filled) {
            // Only this lock's holder fills, in order, so the slot is still empty.
            let _ = slot.set((sharing.clone(), v));
            *filled += 1;
        }
        v
    }
}

/// A decision as a [`Verdict`].
fn verdict(d: &Decision) -> Verdict {
    (!d.is_allow()).then(|| d.rule())
}

/// Fetches store pages with `fetch` from `filter` on and keeps the versions the gate allows
/// for `action`, up to `filter.limit` (0: only whether any exists).
pub(crate) async fn page<T, F, Fut>(
    state: &AppState,
    gate: &Gate,
    action: ObjectAction,
    filter: &ObjectFilter,
    fetch: F,
) -> Result<Gated<T>, ApiError>
where
    T: Gatable,
    F: Fn(ObjectFilter) -> Fut,
    Fut: Future<Output = Result<Page<T>, entente_store::Error>>,
{
    let last = Remembered::default();
    scan(filter, |f| {
        let (fetch, last) = (&fetch, &last);
        async move {
            let page = fetch(f).await?;
            let releases = crate::sharing::Releases::load(
                &state.store,
                gate.needs_releases(),
                page.items.iter().map(|i| i.object_id().to_owned()),
            )
            .await?;
            let items = page
                .items
                .into_iter()
                .map(|item| {
                    let mine = releases.of(item.object_id());
                    let v = if cfg!(feature = "bench-gate-bypass") {
                        None
                    } else if !mine.is_empty() {
                        verdict(&gate.decide(action, &gate.facts(item.sharing(), &mine)))
                    } else {
                        last.verdict(gate, action, item.sharing())
                    };
                    match v {
                        None => Row::Served(item),
                        Some(rule) => Row::Withheld(rule),
                    }
                })
                .collect();
            Ok(Page {
                items,
                more: page.more,
                next: page.next,
            })
        }
    })
    .await
}

/// The versions of a collection the gate lets the principal read: like [`page`] over
/// `objects_page`, but each version is decided by the store as it reads its row
/// ([`entente_store::Store::objects_page_decided`]), so a withheld version's body is never
/// parsed and the decisions are made where the facts were just read. With releases on the
/// node (each decision then needs the version's releases), through [`page`].
pub(crate) async fn objects(
    state: &AppState,
    gate: &Gate,
    collection: &CollectionId,
    filter: &ObjectFilter,
) -> Result<Gated<StoredObject>, ApiError> {
    let action = ObjectAction::Read;
    if gate.needs_releases() {
        return page(state, gate, action, filter, |f| async move {
            state.store.objects_page(collection, &f).await
        })
        .await;
    }
    let (shared, last) = (gate.clone(), Remembered::default());
    let decide: Decide =
        Arc::new(move |sharing: &ObjectSharing| last.verdict(&shared, action, sharing));
    scan(filter, |f| {
        let decide = decide.clone();
        async move {
            let page = state
                .store
                .objects_page_decided(collection, &f, decide)
                .await?;
            let items = page
                .items
                .into_iter()
                .map(|row| match row {
                    Decided::Served(o) => Row::Served(o),
                    Decided::Withheld { rule, .. } => Row::Withheld(rule),
                })
                .collect();
            Ok(Page {
                items,
                more: page.more,
                next: page.next,
            })
        }
    })
    .await
}

/// The scan behind [`page`] and [`objects`]: rows fetched with `fetch` from `filter` on, the
/// served ones kept up to `filter.limit` (0: only whether any exists).
async fn scan<T, F, Fut>(filter: &ObjectFilter, fetch: F) -> Result<Gated<T>, ApiError>
where
    T: Gatable,
    F: Fn(ObjectFilter) -> Fut,
    Fut: Future<Output = Result<Page<Row<T>>, ApiError>>,
{
    let want = filter.limit;
    let mut f = filter.clone();
    // One more than wanted: when every version is allowed (the common case), the one after
    // the page decides `more` without a second query.
    let full = want.max(MIN_FETCH).saturating_add(1);
    f.limit = full;
    let (mut scanned, mut allowed) = (0usize, 0usize);
    let mut out: Vec<T> = Vec::new();
    let mut withheld = 0;
    let mut rules = BTreeMap::new();
    let mut last_served: Option<DateAdded> = None;
    let start = filter.after;
    for _ in 0..MAX_SCANNED_PAGES {
        let page = fetch(f.clone()).await?;
        scanned += page.items.len();
        for row in page.items {
            match row {
                Row::Served(item) => {
                    if out.len() == want {
                        // One more visible item exists: the page is full and `more` is true.
                        return Ok(Gated {
                            page: Page {
                                more: true,
                                next: Some(
                                    last_served.unwrap_or(start.unwrap_or(DateAdded(i64::MIN))),
                                ),
                                items: out,
                            },
                            withheld,
                            rules,
                        });
                    }
                    allowed += 1;
                    last_served = Some(item.date_added());
                    out.push(item);
                }
                Row::Withheld(rule) => {
                    withheld += 1;
                    *rules.entry(rule).or_insert(0) += 1;
                }
            }
        }
        if !page.more {
            return Ok(Gated {
                page: Page {
                    items: out,
                    more: false,
                    next: None,
                },
                withheld,
                rules,
            });
        }
        f.after = page.next;
        f.limit = next_fetch(want.saturating_sub(out.len()), scanned, allowed, full);
    }
    // Scanned enough for one response: resume after what was scanned (the withheld versions
    // between the last served one and there are skipped, never shown).
    let next = if out.len() == want {
        last_served
    } else {
        f.after
    };
    Ok(Gated {
        page: Page {
            items: out,
            more: true,
            next: next.or(start).or(Some(DateAdded(i64::MIN))),
        },
        withheld,
        rules,
    })
}

/// Whether two versions carry the same facts for a decision: everything the policy reads
/// ([`crate::sharing::object_facts`]), not the signature (nor its batch), which differs from
/// version to version of signed data and decides nothing.
fn same_facts(a: &ObjectSharing, b: &ObjectSharing) -> bool {
    // Spelled out field by field: a field added to `ObjectSharing` must be judged here.
    let ObjectSharing {
        originator,
        received_through,
        tlp,
        handling,
        recipients,
        signature: _,
        signature_batch: _,
    } = a;
    *tlp == b.tlp
        && *originator == b.originator
        && *received_through == b.received_through
        && *handling == b.handling
        && *recipients == b.recipients
}

/// How many versions to fetch next when `missing` more visible ones are wanted, `allowed` of
/// the `scanned` so far having been visible: as many as that ratio predicts (plus the one
/// that decides `more`), a quarter more and a few over, at most `full`. A page that lacks a
/// few visible versions (some withheld) then costs a short second query, not a second full
/// page read and parsed; where little is visible, fetches stay full-sized.
fn next_fetch(missing: usize, scanned: usize, allowed: usize, full: usize) -> usize {
    if allowed == 0 {
        return full;
    }
    let need = missing
        .saturating_add(1)
        .saturating_mul(scanned)
        .div_ceil(allowed);
    need.saturating_add(need / 4 + 8).min(full)
}

/// The audit detail of a gated read.
pub(crate) fn detail<T>(g: &Gated<T>) -> String {
    let mut s = format!("served={} withheld={}", g.page.items.len(), g.withheld);
    for (rule, n) in &g.rules {
        s.push_str(&format!(" {rule}={n}"));
    }
    s
}

/// Records a served read: submitted to the audit journal before the response is sent,
/// committed with the next batch.
pub(crate) async fn record_read(
    state: &AppState,
    principal: &Principal,
    action: &str,
    target: &str,
    detail: String,
) -> Result<(), ApiError> {
    if cfg!(feature = "bench-gate-bypass") {
        return Ok(());
    }
    let mut r = audit::record(
        &principal.user,
        &principal.organisation,
        action,
        target,
        Outcome::Allow,
        "read",
        &detail,
    );
    r.purpose = principal.purpose.clone();
    // Served reads do not wait for the disk (see `audit::Journal`).
    state.journal.submit(r)?;
    Ok(())
}

/// Records a refusal of the sharing rules (before it is answered).
pub(crate) async fn record_denial(
    state: &AppState,
    principal: &Principal,
    action: &str,
    target: &str,
    decision: &Decision,
) -> Result<(), ApiError> {
    let (outcome, code) = match decision {
        Decision::Allow { .. } => return Ok(()),
        Decision::Deny { reason, .. } => (Outcome::Deny, reason.code()),
        Decision::HitOnly { .. } => (Outcome::HitOnly, "hit-only"),
    };
    let mut r = audit::record(
        &principal.user,
        &principal.organisation,
        action,
        target,
        outcome,
        decision.rule(),
        &format!("reason={code}"),
    );
    r.purpose = principal.purpose.clone();
    state.journal.record(r).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{ObjectSharing, next_fetch, same_facts};

    #[test]
    fn a_decision_is_reused_only_for_the_same_facts() {
        let a = ObjectSharing {
            originator: Some("partner-a".into()),
            received_through: Some("ab".into()),
            tlp: Some("amber".into()),
            handling: Some("H1".into()),
            recipients: vec!["organisation:home".into()],
            signature: Some("key.sig-1".into()),
            signature_batch: None,
        };
        let mut b = a.clone();
        b.signature = Some("key.sig-2".into());
        assert!(same_facts(&a, &b), "the signature decides nothing");
        type Change = fn(&mut ObjectSharing);
        let changes: [Change; 6] = [
            |s| s.originator = Some("partner-b".into()),
            |s| s.originator = None,
            |s| s.received_through = None,
            |s| s.tlp = Some("red".into()),
            |s| s.handling = Some("H2".into()),
            |s| s.recipients.push("user:alice".into()),
        ];
        for change in changes {
            let mut c = a.clone();
            change(&mut c);
            assert!(!same_facts(&a, &c), "{c:?}");
        }
    }

    #[test]
    fn later_fetches_follow_the_share_of_visible_versions() {
        // Nothing visible yet: a full page.
        assert_eq!(next_fetch(100, 101, 0, 101), 101);
        // 92 of 101 visible, 8 missing: about 10 rows for 9, with a margin.
        let n = next_fetch(8, 101, 92, 101);
        assert!((10..=25).contains(&n), "{n}");
        // Little visible: full pages again.
        assert_eq!(next_fetch(99, 101, 1, 101), 101);
        // The page is full and only `more` is left to decide.
        assert!(next_fetch(0, 101, 100, 101) >= 2);
        // Never more than a full page, whatever the numbers.
        assert_eq!(next_fetch(usize::MAX, usize::MAX, 1, 101), 101);
    }
}
