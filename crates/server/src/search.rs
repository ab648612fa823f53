//! Search (issue 4): `GET /entente/v1/search/?q=TEXT[&type=T][&limit=N]` finds the objects
//! whose JSON contains a text, in every collection the principal may read, and asks the
//! policy gate about each one as a search hit ([`crate::policy::Action::Search`]).
//!
//! What a principal learns of each object found (the newest version of it in a collection):
//! - **allow**: `{"collection", "id", "type", "name", "modified"}` (`name` when the object has
//!   one). Never the content itself: the principal reads it through TAXII.
//! - **hit-only**: `{"hit_only": true, "contact": [organisation]}` and nothing else: no id, no
//!   collection, no type. The originating organisation is the one to ask. Several hit-only
//!   objects of one originator show as **one** entry, so the number of the originator's
//!   objects is not disclosed (as for correlation hits, `crate::correlation`).
//! - **deny**: nothing at all. A denied object is not counted, and takes no place in the
//!   order or in `more`.
//!
//! The response is `{"results": [...], "more": bool}`: the allowed entries first, in the
//! store's stable order (collection id, then `date_added`), then the hit-only entries by
//! contact; at most `limit` entries. `more` is true only when another *visible* entry exists
//! beyond `limit`, so a search that matched many objects the principal may not see answers
//! exactly like one that matched none of them. There is no paging token: a principal narrows
//! the text, or a type, instead.
//!
//! **Which collections**: those the principal holds a read permission on
//! ([`crate::access::check`]); the sharing rules then decide per object, so that a member
//! whose read fails on the channel's terms (a purpose the agreement does not allow, an expired
//! agreement) can still get `hit-only` answers, as the policy defines them. Collections
//! outside the principal's organisation and channels are not searched: the policy gives
//! nothing there (`not-owner`, `not-a-member`).
//!
//! **Bounded**: a search looks at [`MAX_SCANNED`] matching versions at most, whatever the
//! principal may see of them. When the bound is reached the answer is what was found so far;
//! it does not say so, because saying so would tell that many matches were withheld.
//!
//! **Purpose**: a search without a declared purpose (`Entente-Purpose`) is refused, 403, with
//! the gate's `purpose-required` reason, as a TAXII read is. Every search, and that refusal,
//! goes to the audit log with the query text and the purpose; the detail counts the entries
//! shown, the objects disclosed as hit-only and those withheld, with the rules that withheld
//! them (never which objects).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use entente_store::{CollectionId, SearchHit, TextSearch};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::AppState;
use crate::access::{self, Action, Gate, Resource};
use crate::audit::{self, Outcome};
use crate::auth::{PURPOSE_HEADER, Principal};
use crate::error::ApiError;
use crate::policy::{self, Decision, OrgId, Reason};
use crate::releases::json_response;

/// Shortest query text, in characters.
pub const MIN_QUERY: usize = 3;
/// Longest query text, in characters.
pub const MAX_QUERY: usize = 200;
/// Entries returned when `limit` is absent.
pub const DEFAULT_LIMIT: usize = 20;
/// Most entries one search returns.
pub const MAX_LIMIT: usize = 100;
/// Matching versions read from the store per query.
const BATCH: usize = 200;
/// Matching versions one search looks at, at most.
pub const MAX_SCANNED: usize = 10_000;

/// The search routes.
pub(crate) fn router() -> Router<AppState> {
    Router::new().route("/entente/v1/search/", get(search))
}

/// The query string, as sent.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SearchQuery {
    /// The text to find (3 to 200 characters).
    pub q: Option<String>,
    /// Only objects of this STIX type.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// At most this many entries (1 to 100; 20 when absent).
    pub limit: Option<String>,
}

/// A checked query.
struct Checked {
    text: String,
    types: Vec<String>,
    limit: usize,
}

fn check_query(q: SearchQuery) -> Result<Checked, ApiError> {
    let text = q.q.unwrap_or_default();
    let n = text.chars().count();
    if !(MIN_QUERY..=MAX_QUERY).contains(&n) || text.chars().any(char::is_control) {
        return Err(ApiError::BadRequest(format!(
            "q must be {MIN_QUERY} to {MAX_QUERY} characters, without control characters"
        )));
    }
    let types = match q.kind {
        None => Vec::new(),
        Some(t) if is_type_name(&t) => vec![t],
        Some(_) => {
            return Err(ApiError::BadRequest(
                "type must be a STIX type name (lowercase letters, digits and '-')".into(),
            ));
        }
    };
    let limit = match q.limit {
        None => DEFAULT_LIMIT,
        Some(l) => match l.parse::<usize>() {
            Ok(n) if (1..=MAX_LIMIT).contains(&n) => n,
            _ => {
                return Err(ApiError::BadRequest(format!(
                    "limit must be a whole number from 1 to {MAX_LIMIT}"
                )));
            }
        },
    };
    Ok(Checked { text, types, limit })
}

/// A STIX type name (STIX 2.1 section 3.1: 3 to 250 lowercase ASCII letters, digits or `-`).
fn is_type_name(s: &str) -> bool {
    (3..=250).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// What one search found, as shown and as audited.
#[derive(Default)]
struct Found {
    /// The allowed entries, in the store's order.
    allowed: Vec<Value>,
    /// The organisations to contact about hit-only objects.
    contacts: BTreeSet<String>,
    /// Objects disclosed as hit-only (audit only).
    hit_only: usize,
    /// Objects withheld, and by which rule (audit only).
    withheld: usize,
    rules: BTreeMap<&'static str, usize>,
    /// Another visible entry exists beyond the limit.
    more: bool,
}

impl Found {
    fn visible(&self) -> usize {
        self.allowed.len() + self.contacts.len()
    }
}

/// The entry of an allowed hit: where it is and what it is, not its content.
fn allowed_entry(h: &SearchHit) -> Value {
    #[derive(Deserialize)]
    struct Named {
        #[serde(default)]
        name: Option<Value>,
    }
    let o = &h.stored.object;
    let mut v = json!({
        "collection": h.collection.0,
        "id": o.id().as_str(),
        "type": o.object_type(),
    });
    if let Some(Value::String(name)) = serde_json::from_str::<Named>(o.as_json())
        .ok()
        .and_then(|n| n.name)
    {
        v["name"] = Value::String(name);
    }
    if let Some(t) = o.modified().or_else(|| o.created()) {
        v["modified"] = Value::String(t.as_str().to_owned());
    }
    v
}

/// `GET /entente/v1/search/?q=TEXT[&type=T][&limit=N]`
pub async fn search(
    principal: Principal,
    State(state): State<AppState>,
    query: Result<Query<SearchQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(query) = query.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let q = check_query(query)?;
    if principal.purpose.is_none() {
        let reason = Reason::PurposeRequired;
        audit_search(
            &state,
            &principal,
            &q.text,
            Outcome::Deny,
            "purpose-declared",
            format!("reason={}", reason.code()),
            true,
        )
        .await?;
        return Err(ApiError::Forbidden(format!(
            "{} (send the {PURPOSE_HEADER} header)",
            reason.message()
        )));
    }

    let snapshot = state.sharing.get(&state.store).await?;
    let mut gates: HashMap<CollectionId, Gate> = HashMap::new();
    for root in state.store.api_roots().await? {
        for c in state.store.collections(&root.name).await? {
            let permission = crate::taxii::permission_of(&state, &principal, &c).await?;
            let readable = access::check(
                &principal,
                Action::Read,
                &Resource::Collection {
                    collection: &c,
                    permission: permission.as_ref(),
                },
            )
            .is_allow();
            if !readable {
                continue;
            }
            let gate = Gate::new(&principal, &c.id, snapshot.clone());
            if matches!(
                gate.scope().reason(),
                Some(Reason::NotOwner | Reason::NotAMember)
            ) {
                continue;
            }
            gates.insert(c.id.clone(), gate);
        }
    }

    let channels = snapshot.channels_of(&OrgId(principal.organisation.clone()));
    let action = policy::Action::Search {
        partner_channels: &channels,
    };
    let mut found = Found::default();
    let mut request = TextSearch {
        collections: gates.keys().cloned().collect(),
        text: q.text.clone(),
        types: q.types.clone(),
        after: None,
        limit: BATCH,
    };
    let mut scanned = 0;
    'scan: while !request.collections.is_empty() && scanned < MAX_SCANNED {
        let hits = state.store.search_objects(&request).await?;
        scanned += hits.len();
        let releases = crate::sharing::Releases::load(
            &state.store,
            snapshot.any_release,
            hits.iter()
                .map(|h| h.stored.object.id().as_str().to_owned()),
        )
        .await?;
        for h in &hits {
            let Some(gate) = gates.get(&h.collection) else {
                continue;
            };
            let id = h.stored.object.id().as_str();
            let mine = releases.of(id);
            let decision = gate.decide_action(&action, &gate.facts(&h.stored.sharing, &mine));
            match decision {
                Decision::Allow { .. } => {
                    if found.visible() == q.limit {
                        found.more = true;
                        break 'scan;
                    }
                    found.allowed.push(allowed_entry(h));
                }
                Decision::HitOnly { contact, .. } => {
                    found.hit_only += 1;
                    if !found.contacts.contains(contact.as_str()) {
                        if found.visible() == q.limit {
                            found.more = true;
                            break 'scan;
                        }
                        found.contacts.insert(contact.0);
                    }
                }
                Decision::Deny { rule, .. } => {
                    found.withheld += 1;
                    *found.rules.entry(rule).or_insert(0) += 1;
                }
            }
        }
        match hits.last() {
            Some(last) if hits.len() == BATCH => {
                request.after = Some((last.collection.clone(), last.stored.date_added));
            }
            _ => break,
        }
    }

    let mut detail = format!(
        "type={} limit={} shown={} hit-only={} withheld={}",
        q.types.first().map(String::as_str).unwrap_or("-"),
        q.limit,
        found.visible(),
        found.hit_only,
        found.withheld
    );
    for (rule, n) in &found.rules {
        detail.push_str(&format!(" {rule}={n}"));
    }
    let outcome = if found.contacts.is_empty() {
        Outcome::Allow
    } else {
        Outcome::HitOnly
    };
    audit_search(
        &state, &principal, &q.text, outcome, "search", detail, false,
    )
    .await?;

    let mut results = found.allowed;
    results.extend(
        found
            .contacts
            .into_iter()
            .map(|c| json!({ "hit_only": true, "contact": [c] })),
    );
    Ok(json_response(
        StatusCode::OK,
        &json!({ "results": results, "more": found.more }),
    ))
}

/// Records a search (DESIGN.md invariant 4): who, for which purpose, the query text, and what
/// was shown, disclosed as hit-only and withheld (counts, never which). A refusal waits for
/// the disk before it is answered; a served search does not (like a served TAXII read).
async fn audit_search(
    state: &AppState,
    principal: &Principal,
    text: &str,
    outcome: Outcome,
    rule: &str,
    detail: String,
    refusal: bool,
) -> Result<(), ApiError> {
    let mut r = audit::record(
        &principal.user,
        &principal.organisation,
        "search",
        text,
        outcome,
        rule,
        &detail,
    );
    r.purpose = principal.purpose.clone();
    if refusal {
        state.journal.record(r).await?;
    } else {
        state.journal.submit(r)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(q: Option<&str>, kind: Option<&str>, limit: Option<&str>) -> SearchQuery {
        SearchQuery {
            q: q.map(str::to_owned),
            kind: kind.map(str::to_owned),
            limit: limit.map(str::to_owned),
        }
    }

    #[test]
    fn queries_are_checked() {
        let ok = check_query(query(Some("abc"), None, None)).unwrap();
        assert_eq!((ok.text.as_str(), ok.limit), ("abc", DEFAULT_LIMIT));
        assert!(ok.types.is_empty());
        let ok = check_query(query(Some("éèà"), Some("indicator"), Some("100"))).unwrap();
        assert_eq!((ok.types.len(), ok.limit), (1, 100));
        assert!(check_query(query(Some(&"x".repeat(MAX_QUERY)), None, None)).is_ok());
        for bad in [
            query(None, None, None),
            query(Some(""), None, None),
            query(Some("ab"), None, None),
            query(Some(&"x".repeat(MAX_QUERY + 1)), None, None),
            query(Some("a\u{0}bc"), None, None),
            query(Some("abc"), Some("Indicator"), None),
            query(Some("abc"), Some("x"), None),
            query(Some("abc"), None, Some("0")),
            query(Some("abc"), None, Some("101")),
            query(Some("abc"), None, Some("-1")),
            query(Some("abc"), None, Some("ten")),
        ] {
            let d = format!("{bad:?}");
            assert!(
                matches!(check_query(bad), Err(ApiError::BadRequest(_))),
                "{d}"
            );
        }
    }
}
