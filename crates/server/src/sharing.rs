//! The sharing facts the gate needs, read from the store: organisations, channels and the
//! scope of each collection (a cached snapshot), and the conversion of stored records into
//! the policy module's types.
//!
//! **The snapshot** ([`Snapshot`]) is reloaded when older than [`SNAPSHOT_TTL`], so a change
//! made with the CLI while the node runs (a new member, an amended agreement) takes effect
//! within that time. Expiry is not cached: every decision compares the agreement's
//! `valid_until` with the request's own `now`, so a channel stops sharing at its end instant.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use entente_stix::Object;
use entente_store::{
    ChannelRecord, CollectionId, CollectionScope, ObjectSharing, ReleaseRecord, SharedStore,
};
use time::OffsetDateTime;

use crate::policy::markings::{self, HandlingCode};
use crate::policy::{
    Agreement, Channel, ChannelId, ChannelKind, Destination, ObjectFacts, OrgId, Purpose,
    Recipient, Release, Scope, Tlp, UserId,
};

/// How long a snapshot of organisations, channels and collection scopes is trusted.
pub const SNAPSHOT_TTL: Duration = Duration::from_secs(2);

/// The organisation recorded as originator when none is known (nobody is its originator, so
/// the third-party rule protects it fully).
pub const UNKNOWN_ORIGINATOR: &str = "";

/// Organisations, channels and collection scopes at one moment.
#[derive(Debug, Default)]
pub struct Snapshot {
    /// The home organisation's id, once registered.
    pub home: Option<OrgId>,
    /// Channels by id.
    pub channels: HashMap<String, Channel>,
    /// Bound collections.
    pub scopes: HashMap<String, CollectionScope>,
    /// Whether any release exists.
    pub any_release: bool,
}

/// Where a collection belongs, owned.
#[derive(Clone, Debug)]
pub enum OwnedScope {
    /// Private to one organisation.
    Private(OrgId),
    /// Bound to a channel.
    Channel(Channel),
    /// Unbound and no home organisation registered: nobody may use it.
    Unowned,
}

impl OwnedScope {
    /// The policy view; `None` for [`OwnedScope::Unowned`].
    pub fn as_scope(&self) -> Option<Scope<'_>> {
        match self {
            OwnedScope::Private(owner) => Some(Scope::Private { owner }),
            OwnedScope::Channel(c) => Some(Scope::Channel(c)),
            OwnedScope::Unowned => None,
        }
    }

    /// The channel's id, when bound to one.
    pub fn channel_id(&self) -> Option<&ChannelId> {
        match self {
            OwnedScope::Channel(c) => Some(&c.id),
            _ => None,
        }
    }
}

impl Snapshot {
    /// The scope of a collection: its binding, else private to the home organisation.
    pub fn scope_of(&self, collection: &CollectionId) -> OwnedScope {
        match self.scopes.get(&collection.0) {
            Some(CollectionScope::Channel(c)) => match self.channels.get(c) {
                Some(ch) => OwnedScope::Channel(ch.clone()),
                None => OwnedScope::Unowned,
            },
            Some(CollectionScope::Private(o)) => OwnedScope::Private(OrgId(o.clone())),
            None => match &self.home {
                Some(h) => OwnedScope::Private(h.clone()),
                None => OwnedScope::Unowned,
            },
        }
    }

    /// The channels `org` is a member of.
    pub fn channels_of(&self, org: &OrgId) -> Vec<Channel> {
        let mut v: Vec<Channel> = self
            .channels
            .values()
            .filter(|c| c.has_member(org))
            .cloned()
            .collect();
        v.sort_by(|a, b| a.id.cmp(&b.id));
        v
    }
}

/// A snapshot and when it was read.
type Cached = Option<(Instant, Arc<Snapshot>)>;

/// The releases of a batch of objects (the gate reads each object's with its facts), looked
/// up only when the node has any.
#[derive(Debug, Default)]
pub struct Releases(Vec<entente_store::ReleaseRecord>);

impl Releases {
    /// The releases of `ids`; none without a lookup when `any` is false (the snapshot says
    /// whether the node holds any release) or there are no ids.
    pub async fn load(
        store: &SharedStore,
        any: bool,
        ids: impl IntoIterator<Item = String>,
    ) -> Result<Releases, entente_store::Error> {
        let ids: Vec<String> = if any {
            ids.into_iter().collect()
        } else {
            Vec::new()
        };
        if ids.is_empty() {
            return Ok(Releases::default());
        }
        Ok(Releases(store.releases_for(&ids).await?))
    }

    /// The releases of one object.
    pub fn of(&self, object_id: &str) -> Vec<&entente_store::ReleaseRecord> {
        self.0.iter().filter(|r| r.object_id == object_id).collect()
    }
}

/// The cached snapshot, shared by every handler.
#[derive(Clone, Default)]
pub struct SnapshotCache {
    inner: Arc<Mutex<Cached>>,
}

impl SnapshotCache {
    /// The current snapshot, reloaded from `store` when older than [`SNAPSHOT_TTL`].
    pub async fn get(&self, store: &SharedStore) -> Result<Arc<Snapshot>, entente_store::Error> {
        if let Some((at, s)) = &*self.inner.lock().expect("snapshot cache poisoned")
            && at.elapsed() < SNAPSHOT_TTL
        {
            return Ok(s.clone());
        }
        let s = Arc::new(load(store).await?);
        *self.inner.lock().expect("snapshot cache poisoned") = Some((Instant::now(), s.clone()));
        Ok(s)
    }

    /// Forgets the snapshot (after a change made through this process).
    pub fn invalidate(&self) {
        *self.inner.lock().expect("snapshot cache poisoned") = None;
    }
}

/// Reads a fresh snapshot.
pub async fn load(store: &SharedStore) -> Result<Snapshot, entente_store::Error> {
    let (home, channels, scopes, any_release) = tokio::try_join!(
        store.home_organisation(),
        store.channels(),
        store.collection_scopes(),
        store.has_releases(),
    )?;
    let mut out = Snapshot {
        home: home.map(|o| OrgId(o.id)),
        any_release,
        ..Snapshot::default()
    };
    for c in channels {
        if let Some(ch) = channel(&c) {
            out.channels.insert(c.id.clone(), ch);
        } else {
            tracing::warn!(channel = %c.id, "a stored channel is malformed; it shares nothing");
        }
    }
    out.scopes = scopes.into_iter().map(|(c, s)| (c.0, s)).collect();
    Ok(out)
}

/// Microseconds since the epoch as an instant.
pub fn instant(micros: i64) -> Option<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(micros) * 1000).ok()
}

/// A stored channel as the policy sees it; `None` when a field is malformed (then the channel
/// is left out, and its collections answer as unusable: deny by default).
pub fn channel(c: &ChannelRecord) -> Option<Channel> {
    let members: BTreeSet<OrgId> = c.members.iter().map(|m| OrgId(m.clone())).collect();
    Some(Channel {
        id: ChannelId(c.id.clone()),
        kind: if members.len() == 2 {
            ChannelKind::Bilateral
        } else {
            ChannelKind::Multilateral
        },
        members,
        agreement: Agreement {
            legal_basis: c.legal_basis.clone(),
            purposes: c.purposes.iter().map(|p| Purpose(p.clone())).collect(),
            max_marking: Tlp::from_name(&c.max_marking)?,
            valid_from: instant(c.valid_from)?,
            valid_until: match c.valid_until {
                Some(u) => Some(instant(u)?),
                None => None,
            },
            require_tlp: c.require_tlp,
        },
    })
}

/// The stored text of a handling code.
pub fn handling_text(h: &HandlingCode) -> String {
    match h {
        HandlingCode::H0 => "H0".into(),
        HandlingCode::H1 => "H1".into(),
        HandlingCode::H2 => "H2".into(),
        HandlingCode::H3(t) => format!("H3:{t}"),
    }
}

fn parse_handling(s: &str) -> HandlingCode {
    match s {
        "H0" => HandlingCode::H0,
        "H1" => HandlingCode::H1,
        "H2" => HandlingCode::H2,
        // H3 and anything unexpected: a restriction the machine cannot interpret.
        other => HandlingCode::H3(other.strip_prefix("H3:").unwrap_or(other).to_owned()),
    }
}

/// Reads the sharing facts of objects about to be stored: their markings (TLP, handling
/// code, TLP:RED recipients), `originator` and the channel they arrive through.
///
/// A marking reference that is neither TLP nor a known handling code is resolved against the
/// marking-definitions of the same batch: a `statement` marking (a copyright notice, say)
/// restricts nothing; any other unknown marking is read as an H3 restriction (the machine
/// cannot interpret it, so it is kept from travelling without consent).
pub fn facts_at_ingest(
    objects: &[Object],
    originator: &OrgId,
    received_through: Option<&ChannelId>,
) -> Vec<ObjectSharing> {
    let mut definitions: HashMap<&str, Option<HandlingCode>> = HashMap::new();
    for o in objects {
        if o.object_type() == "marking-definition" {
            let code = HandlingCode::from_marking_definition(o);
            let statement = o
                .to_value()
                .get("definition_type")
                .and_then(|t| t.as_str())
                .is_some_and(|t| t == "statement");
            let resolved = match code {
                Some(c) => Some(c),
                None if statement => None,
                None => Some(HandlingCode::H3(format!(
                    "restricted by marking {}",
                    o.id().as_str()
                ))),
            };
            definitions.insert(o.id().as_str(), resolved);
        }
    }
    objects
        .iter()
        .map(|o| {
            let m = markings::markings_of(o, |id| match definitions.get(id) {
                Some(resolved) => resolved.clone(),
                None => Some(HandlingCode::H3(format!("restricted by marking {id}"))),
            });
            // `lookup` answering `None` for statements leaves them in `unknown`: harmless.
            ObjectSharing {
                originator: Some(originator.0.clone()),
                received_through: received_through.map(|c| c.0.clone()),
                tlp: m.tlp.map(|t| t.as_str().to_owned()),
                handling: m.handling.as_ref().map(handling_text),
                recipients: m
                    .recipients
                    .iter()
                    .map(|r| match r {
                        Recipient::Organisation(o) => format!("organisation:{o}"),
                        Recipient::User(u) => format!("user:{u}"),
                    })
                    .collect(),
                signature: None,
                signature_batch: None,
            }
        })
        .collect()
}

/// The policy facts of a stored version held in a collection of `scope`, with the releases
/// recorded for its object.
pub fn object_facts(
    s: &ObjectSharing,
    scope: &OwnedScope,
    releases: &[&ReleaseRecord],
) -> ObjectFacts {
    let originator = match (&s.originator, scope) {
        (Some(o), _) => OrgId(o.clone()),
        // Stored without provenance in a private collection: its owner's.
        (None, OwnedScope::Private(owner)) => owner.clone(),
        (None, _) => OrgId(UNKNOWN_ORIGINATOR.into()),
    };
    ObjectFacts {
        originator,
        received_through: s.received_through.as_ref().map(|c| ChannelId(c.clone())),
        tlp: s.tlp.as_deref().and_then(Tlp::from_name),
        handling: s.handling.as_deref().map(parse_handling),
        named_recipients: s
            .recipients
            .iter()
            .filter_map(|r| {
                if let Some(o) = r.strip_prefix("organisation:") {
                    Some(Recipient::Organisation(OrgId(o.to_owned())))
                } else {
                    r.strip_prefix("user:")
                        .map(|u| Recipient::User(UserId(u.to_owned())))
                }
            })
            .collect(),
        releases: releases.iter().filter_map(|r| release(r)).collect(),
    }
}

/// The text of a destination, as stored with a release.
pub fn destination_text(d: &Destination) -> String {
    match d {
        Destination::Channel(c) => format!("channel:{c}"),
        Destination::Organisation(o) => format!("organisation:{o}"),
        Destination::Export => "export".into(),
    }
}

/// Parses [`destination_text`].
pub fn parse_destination(s: &str) -> Option<Destination> {
    if s == "export" {
        Some(Destination::Export)
    } else if let Some(c) = s.strip_prefix("channel:") {
        Some(Destination::Channel(ChannelId(c.to_owned())))
    } else {
        s.strip_prefix("organisation:")
            .map(|o| Destination::Organisation(OrgId(o.to_owned())))
    }
}

fn release(r: &ReleaseRecord) -> Option<Release> {
    Some(Release {
        to: parse_destination(&r.destination)?,
        conditions: r.conditions.clone(),
        derivative: match &r.derivative {
            Some(d) => Some(d.parse().ok()?),
            None => None,
        },
        wider_marking: match &r.wider_marking {
            Some(t) => Some(Tlp::from_name(t)?),
            None => None,
        },
    })
}

/// The provenance of objects entering `collection` from the command line (`entente import`,
/// `entente pull`): `originator` (default: the home organisation) and, for a collection of a
/// channel, that channel. Fails with a message for the operator when the originator is not a
/// registered organisation, or when none is given for a channel collection (intelligence
/// entering a channel must say whose it is).
pub async fn provenance_for(
    store: &SharedStore,
    collection: &CollectionId,
    originator: Option<&str>,
) -> Result<crate::ingest::Provenance, String> {
    let snapshot = load(store).await.map_err(|e| e.to_string())?;
    let scope = snapshot.scope_of(collection);
    let orgs = store.organisations().await.map_err(|e| e.to_string())?;
    let originator = match (originator, &scope) {
        (Some(o), _) => {
            if !orgs.iter().any(|x| x.id == o) {
                return Err(format!(
                    "--originator: {o:?} is not a registered organisation (entente org add)"
                ));
            }
            OrgId(o.to_owned())
        }
        (None, OwnedScope::Channel(c)) => {
            return Err(format!(
                "the collection belongs to channel {}: say whose intelligence this is with \
                 --originator ORG",
                c.id
            ));
        }
        (None, _) => snapshot.home.clone().ok_or_else(|| {
            "no home organisation is registered (entente org add --home)".to_owned()
        })?,
    };
    Ok(crate::ingest::Provenance {
        originator,
        received_through: scope.channel_id().cloned(),
    })
}

/// The principal the command line acts as: the node's operator, of the home organisation,
/// with the purpose given on the command line.
pub async fn cli_principal(
    store: &SharedStore,
    purpose: Option<String>,
) -> Result<crate::auth::Principal, String> {
    let home = store
        .home_organisation()
        .await
        .map_err(|e| e.to_string())?
        .ok_or_else(|| "no home organisation is registered (entente org add --home)".to_owned())?;
    Ok(crate::auth::Principal {
        user: crate::audit::CLI_ACTOR.to_owned(),
        organisation: home.id,
        role: entente_store::Role::Admin,
        purpose,
    })
}
