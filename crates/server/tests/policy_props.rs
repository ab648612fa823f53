//! Property test of the sharing rules (issue 4): random organisations, channels (bilateral and
//! multilateral, random agreements and validity windows), markings, handling codes, releases
//! and sequences of shares, re-shares and reads, simulated through `policy::decide`.
//!
//! Every decision is compared with a reference model written independently (plain boolean
//! conditions over the same facts, no shared code with `decide`), and after every sequence the
//! distribution is checked against invariant 2: no copy of an object sits in a channel outside
//! the set its originator allowed, and every re-share by a non-originator narrows (or keeps)
//! the marking unless a release granted a wider one.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};

use entente_server::policy::release::ReleaseRequest;
use entente_server::policy::{
    Action, Agreement, Channel, ChannelId, ChannelKind, Decision, Destination, HandlingCode,
    ObjectFacts, OrgId, Peer, Principal, Purpose, Recipient, Role, Scope, Tlp, UserId, decide,
};
use entente_stix::StixId;
use proptest::prelude::*;
use proptest::test_runner::TestRunner;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

const START: OffsetDateTime = datetime!(2026-06-01 12:00 UTC);
const PURPOSES: [&str; 3] = [
    Purpose::CT_PREVENTION,
    Purpose::INVESTIGATION,
    Purpose::JUDICIAL_PROCEEDINGS,
];
const LEVELS: [Tlp; 5] = [
    Tlp::Clear,
    Tlp::Green,
    Tlp::Amber,
    Tlp::AmberStrict,
    Tlp::Red,
];
const ROLES: [Role; 5] = [
    Role::Admin,
    Role::Analyst,
    Role::LiaisonOfficer,
    Role::Reviewer,
    Role::Service,
];

fn org(i: usize) -> OrgId {
    OrgId(format!("o{i}"))
}

#[derive(Clone, Debug)]
struct ChannelSpec {
    members: Vec<bool>,
    purposes: Vec<bool>,
    max: usize,
    from_days: i64,
    until_days: Option<i64>,
    require_tlp: bool,
}

#[derive(Clone, Debug)]
struct ObjectSpec {
    originator: usize,
    home: usize,
    tlp: Option<usize>,
    handling: u8,
    named: Vec<bool>,
}

#[derive(Clone, Debug)]
enum DestSpec {
    Channel(usize),
    Org(usize),
    Export,
}

#[derive(Clone, Debug)]
enum PeerSpec {
    Channel(usize),
    Org(usize),
}

#[derive(Clone, Debug)]
enum Op {
    Read {
        actor: usize,
        role: usize,
        purpose: Option<usize>,
        copy: usize,
    },
    ReShare {
        actor: usize,
        role: usize,
        purpose: Option<usize>,
        copy: usize,
        to: usize,
        out: Option<usize>,
        derivative: bool,
    },
    Release {
        requester: usize,
        copy: usize,
        to: DestSpec,
        wider: Option<usize>,
        derivative: bool,
    },
    Export {
        actor: usize,
        role: usize,
        purpose: Option<usize>,
        copy: usize,
    },
    Transfer {
        actor: usize,
        role: usize,
        purpose: Option<usize>,
        copy: usize,
        to: PeerSpec,
    },
    Search {
        actor: usize,
        role: usize,
        purpose: Option<usize>,
        copy: usize,
    },
    Advance {
        days: i64,
    },
}

fn channel_spec(n_orgs: usize) -> impl Strategy<Value = ChannelSpec> {
    (
        prop::collection::vec(prop::bool::weighted(0.7), n_orgs),
        prop::collection::vec(prop::bool::weighted(0.8), PURPOSES.len()),
        0..LEVELS.len(),
        -20i64..3,
        prop::option::of(5i64..60),
        any::<bool>(),
    )
        .prop_map(
            |(members, purposes, max, from_days, until_days, require_tlp)| ChannelSpec {
                members,
                purposes,
                max,
                from_days,
                until_days,
                require_tlp,
            },
        )
}

fn object_spec(n_orgs: usize, n_channels: usize) -> impl Strategy<Value = ObjectSpec> {
    (
        0..n_orgs,
        0..n_channels,
        prop::option::of(0..LEVELS.len()),
        0u8..5,
        prop::collection::vec(any::<bool>(), n_orgs),
    )
        .prop_map(|(originator, home, tlp, handling, named)| ObjectSpec {
            originator,
            home,
            tlp,
            handling,
            named,
        })
}

/// Mostly the roles that share (analyst, liaison officer), sometimes any.
fn role_i() -> impl Strategy<Value = usize> + Clone {
    prop_oneof![3 => Just(1usize), 3 => Just(2usize), 2 => 0..ROLES.len()]
}

/// Mostly `investigation`, sometimes any purpose or none.
fn purpose_i() -> impl Strategy<Value = Option<usize>> + Clone {
    prop_oneof![4 => Just(Some(1usize)), 2 => prop::option::of(0..PURPOSES.len())]
}

fn op(n_orgs: usize, n_channels: usize) -> impl Strategy<Value = Op> {
    let p = purpose_i();
    prop_oneof![
        1 => (0..n_orgs, role_i(), p.clone(), 0..64usize).prop_map(
            |(actor, role, purpose, copy)| Op::Read {
                actor,
                role,
                purpose,
                copy
            }
        ),
        4 => (
            0..n_orgs,
            role_i(),
            p.clone(),
            0..64usize,
            0..n_channels,
            prop::option::of(0..LEVELS.len()),
            prop::bool::weighted(0.2)
        )
            .prop_map(|(actor, role, purpose, copy, to, out, derivative)| Op::ReShare {
                actor,
                role,
                purpose,
                copy,
                to,
                out,
                derivative
            }),
        2 => (
            0..n_orgs,
            0..64usize,
            prop_oneof![
                3 => (0..n_channels).prop_map(DestSpec::Channel),
                1 => (0..n_orgs).prop_map(DestSpec::Org),
                1 => Just(DestSpec::Export),
            ],
            prop::option::of(0..LEVELS.len()),
            prop::bool::weighted(0.3)
        )
            .prop_map(
            |(requester, copy, to, wider, derivative)| Op::Release {
                requester,
                copy,
                to,
                wider,
                derivative
            }
        ),
        1 => (1i64..10).prop_map(|days| Op::Advance { days }),
        1 => (0..n_orgs, role_i(), p.clone(), 0..64usize).prop_map(
            |(actor, role, purpose, copy)| Op::Export {
                actor,
                role,
                purpose,
                copy
            }
        ),
        3 => (0..n_orgs, role_i(), p.clone(), 0..64usize).prop_map(
            |(actor, role, purpose, copy)| Op::Search {
                actor,
                role,
                purpose,
                copy
            }
        ),
        1 => (
            0..n_orgs,
            prop_oneof![Just(2usize), Just(4usize), 0..ROLES.len()],
            p,
            0..64usize,
            prop_oneof![
                (0..n_channels).prop_map(PeerSpec::Channel),
                (0..n_orgs).prop_map(PeerSpec::Org),
            ]
        )
            .prop_map(|(actor, role, purpose, copy, to)| Op::Transfer {
                actor,
                role,
                purpose,
                copy,
                to
            }),
    ]
}

#[derive(Clone, Debug)]
struct World {
    n_orgs: usize,
    channels: Vec<ChannelSpec>,
    objects: Vec<ObjectSpec>,
    ops: Vec<Op>,
}

fn world() -> impl Strategy<Value = World> {
    (2usize..=5, 1usize..=4).prop_flat_map(|(n_orgs, n_channels)| {
        (
            prop::collection::vec(channel_spec(n_orgs), n_channels),
            prop::collection::vec(object_spec(n_orgs, n_channels), 1..=3),
            prop::collection::vec(op(n_orgs, n_channels), 1..40),
        )
            .prop_map(move |(channels, objects, ops)| World {
                n_orgs,
                channels,
                objects,
                ops,
            })
    })
}

fn build_channel(i: usize, s: &ChannelSpec) -> Channel {
    let mut members: BTreeSet<OrgId> = s
        .members
        .iter()
        .enumerate()
        .filter(|(_, m)| **m)
        .map(|(j, _)| org(j))
        .collect();
    if members.len() < 2 {
        members.insert(org(i % 2));
        members.insert(org(1 - i % 2));
    }
    let valid_from = START + Duration::days(s.from_days);
    Channel {
        id: ChannelId(format!("c{i}")),
        kind: if members.len() == 2 {
            ChannelKind::Bilateral
        } else {
            ChannelKind::Multilateral
        },
        members,
        agreement: Agreement {
            legal_basis: format!("agreement {i}"),
            purposes: PURPOSES
                .iter()
                .zip(&s.purposes)
                .filter(|(_, on)| **on)
                .map(|(p, _)| Purpose::from(*p))
                .collect(),
            max_marking: LEVELS[s.max],
            valid_from,
            valid_until: s.until_days.map(|d| valid_from + Duration::days(d)),
            require_tlp: s.require_tlp,
        },
    }
}

/// One copy of an object, held in one channel's collection.
#[derive(Clone, Debug)]
struct Copy {
    object: usize,
    channel: usize,
    facts: ObjectFacts,
    /// Whether the originator itself put this copy there.
    by_originator: bool,
}

// ---------------------------------------------------------------------------------------
// The reference model: the rules restated as plain conditions, independently of `decide`.
// ---------------------------------------------------------------------------------------

struct Who<'a> {
    org: &'a OrgId,
    user: &'a UserId,
    role: Role,
    purpose: Option<&'a str>,
}

fn terms_ok(w: &Who<'_>, c: &Channel, now: OffsetDateTime) -> bool {
    let Some(purpose) = w.purpose else {
        return false;
    };
    let a = &c.agreement;
    let started = a.valid_from <= now;
    let not_ended = match a.valid_until {
        Some(u) => u > now,
        None => true,
    };
    c.members.iter().any(|m| m == w.org)
        && started
        && not_ended
        && a.purposes.iter().any(|p| p.0 == purpose)
}

fn h2_or_h3(f: &ObjectFacts) -> bool {
    matches!(f.handling, Some(HandlingCode::H2 | HandlingCode::H3(_)))
}

fn released_to(f: &ObjectFacts, c: &Channel) -> Option<Option<Tlp>> {
    f.releases
        .iter()
        .find(|r| r.to == Destination::Channel(c.id.clone()))
        .map(|r| r.wider_marking)
}

fn ref_may_read(w: &Who<'_>, f: &ObjectFacts, c: &Channel, now: OffsetDateTime) -> bool {
    w.role != Role::Service && ref_read_terms(w, f, c, now)
}

/// The read conditions that do not depend on the role.
fn ref_read_terms(w: &Who<'_>, f: &ObjectFacts, c: &Channel, now: OffsetDateTime) -> bool {
    let is_originator = *w.org == f.originator;
    let named = f.named_recipients.iter().any(|r| match r {
        Recipient::Organisation(o) => o == w.org,
        Recipient::User(u) => u == w.user,
    });
    let tlp_rank = f.tlp.map(|t| LEVELS.iter().position(|l| *l == t).unwrap());
    let max_rank = LEVELS
        .iter()
        .position(|l| *l == c.agreement.max_marking)
        .unwrap();
    let conditions = [
        terms_ok(w, c, now),
        !(c.agreement.require_tlp && f.tlp.is_none()),
        tlp_rank.is_none_or(|r| r <= max_rank),
        !(f.handling == Some(HandlingCode::H1)
            && w.purpose == Some(Purpose::JUDICIAL_PROCEEDINGS)
            && !is_originator),
        f.tlp != Some(Tlp::Red) || is_originator || named,
        // At rest: a copy is in its own channel, or the originator let it be there.
        f.received_through.as_ref() == Some(&c.id)
            || is_originator
            || released_to(f, c).is_some()
            || (f.tlp == Some(Tlp::Clear) && !h2_or_h3(f)),
    ];
    conditions.iter().all(|c| *c)
}

/// The sanitised derivative the originator of object `i` may release instead of it.
fn derivative_of(i: usize) -> StixId {
    format!("indicator--00000000-0000-4000-8000-{i:012}")
        .parse()
        .unwrap()
}

#[allow(clippy::too_many_arguments)] // the facts of one re-share, spelled out
fn ref_may_reshare(
    w: &Who<'_>,
    f: &ObjectFacts,
    src: &Channel,
    dest: &Channel,
    out: Option<Tlp>,
    derivative: Option<&StixId>,
    now: OffsetDateTime,
) -> bool {
    if !matches!(w.role, Role::Admin | Role::Analyst | Role::LiaisonOfficer) {
        return false;
    }
    if !ref_may_read(w, f, src, now) || !terms_ok(w, dest, now) {
        return false;
    }
    if dest.agreement.require_tlp && out.is_none() {
        return false;
    }
    if let Some(o) = out
        && o > dest.agreement.max_marking
    {
        return false;
    }
    if *w.org == f.originator {
        return true;
    }
    let floor: Option<Tlp> = if f.received_through.as_ref() == Some(&dest.id) {
        f.tlp
    } else if let Some(wider) = released_to(f, dest) {
        let first = f
            .releases
            .iter()
            .find(|r| r.to == Destination::Channel(dest.id.clone()))
            .unwrap();
        if first.derivative.is_some() && first.derivative.as_ref() != derivative {
            return false;
        }
        match (f.tlp, wider) {
            (Some(t), Some(w)) => Some(if w < t { w } else { t }),
            (None, Some(w)) => Some(w),
            (t, None) => t,
        }
    } else if f.tlp == Some(Tlp::Clear) && !h2_or_h3(f) {
        f.tlp
    } else {
        return false;
    };
    match (floor, out) {
        (None, _) => true,
        (Some(_), None) => false,
        (Some(fl), Some(o)) => o >= fl,
    }
}

fn clear_exception(f: &ObjectFacts) -> bool {
    f.tlp == Some(Tlp::Clear) && !h2_or_h3(f)
}

fn has_release(f: &ObjectFacts, d: &Destination) -> bool {
    f.releases.iter().any(|r| &r.to == d)
}

fn ref_may_export(w: &Who<'_>, f: &ObjectFacts, c: &Channel, now: OffsetDateTime) -> bool {
    matches!(w.role, Role::Admin | Role::Analyst | Role::LiaisonOfficer)
        && ref_may_read(w, f, c, now)
        && (*w.org == f.originator || clear_exception(f) || has_release(f, &Destination::Export))
}

fn ref_may_transfer(
    w: &Who<'_>,
    f: &ObjectFacts,
    c: &Channel,
    to: &Peer,
    now: OffsetDateTime,
) -> bool {
    let role_ok = match w.role {
        Role::LiaisonOfficer => true,
        Role::Service => *to == Peer::Organisation(w.org.clone()),
        _ => false,
    };
    let (inside, dest) = match to {
        Peer::Organisation(o) => (c.members.contains(o), Destination::Organisation(o.clone())),
        Peer::Channel(id) => (*id == c.id, Destination::Channel(id.clone())),
    };
    let red_ok = |o: &OrgId| {
        *o == f.originator
            || f.named_recipients
                .iter()
                .any(|r| *r == Recipient::Organisation(o.clone()))
    };
    let red = f.tlp != Some(Tlp::Red)
        || match to {
            Peer::Organisation(o) => red_ok(o),
            Peer::Channel(_) => c.members.iter().all(red_ok),
        };
    role_ok
        && ref_read_terms(w, f, c, now)
        && (inside || clear_exception(f) || has_release(f, &dest))
        && red
}

/// `None`: denied; `Some(None)`: content; `Some(Some(org))`: hit-only with that contact.
fn ref_search(
    w: &Who<'_>,
    f: &ObjectFacts,
    c: &Channel,
    channels: &[Channel],
    now: OffsetDateTime,
) -> Option<Option<OrgId>> {
    if w.role == Role::Service || w.purpose.is_none() {
        return None;
    }
    if ref_may_read(w, f, c, now) {
        return Some(None);
    }
    if f.tlp == Some(Tlp::Red) || !c.members.contains(w.org) {
        return None;
    }
    let live_partner = channels
        .iter()
        .any(|k| terms_ok(w, k, now) && k.members.contains(&f.originator));
    live_partner.then(|| Some(f.originator.clone()))
}

fn handling(code: u8) -> Option<HandlingCode> {
    match code {
        0 => None,
        1 => Some(HandlingCode::H0),
        2 => Some(HandlingCode::H1),
        3 => Some(HandlingCode::H2),
        _ => Some(HandlingCode::H3("liaison only".into())),
    }
}

fn principal(org_i: usize, role: Role, purpose: Option<usize>) -> Principal {
    Principal {
        user: UserId(format!("user-of-o{org_i}")),
        organisation: org(org_i),
        role,
        purpose: purpose.map(|p| Purpose::from(PURPOSES[p])),
    }
}

fn who(p: &Principal) -> Who<'_> {
    Who {
        org: &p.organisation,
        user: &p.user,
        role: p.role,
        purpose: p.purpose.as_ref().map(|x| x.as_str()),
    }
}

/// One edge of distribution: a copy made from another by a re-share.
struct Edge {
    by_originator: bool,
    parent_tlp: Option<Tlp>,
    child_tlp: Option<Tlp>,
    wider_granted: Option<Tlp>,
}

fn run(w: &World, stats: &Stats) -> Result<(), TestCaseError> {
    let channels: Vec<Channel> = w
        .channels
        .iter()
        .enumerate()
        .map(|(i, s)| build_channel(i, s))
        .collect();
    let mut now = START;
    let mut copies: Vec<Copy> = Vec::new();
    let mut edges: Vec<Edge> = Vec::new();
    // Objects enter through their originator writing them into their home channel; an
    // originator that is not a member of it is replaced by the channel's first member (the
    // refused write is covered by the unit tests).
    let objects: Vec<ObjectSpec> = w
        .objects
        .iter()
        .map(|s| {
            let mut s = s.clone();
            let members = &channels[s.home].members;
            if !members.contains(&org(s.originator)) {
                let first = members.iter().next().expect("two members");
                s.originator = first.0[1..].parse().expect("o<i>");
            }
            s
        })
        .collect();
    for (i, s) in objects.iter().enumerate() {
        let originator = org(s.originator);
        let tlp = s.tlp.map(|t| LEVELS[t]);
        let mut facts = ObjectFacts {
            originator: originator.clone(),
            received_through: None,
            tlp,
            handling: handling(s.handling),
            named_recipients: s
                .named
                .iter()
                .enumerate()
                .filter(|(_, n)| **n)
                .map(|(j, _)| Recipient::Organisation(org(j)))
                .collect(),
            releases: vec![],
        };
        let c = &channels[s.home];
        let writer = principal(s.originator, Role::Analyst, Some(1));
        let d = decide(&writer, &Action::Write, &facts, Scope::Channel(c), now);
        if d.is_allow() {
            facts.received_through = Some(c.id.clone());
            copies.push(Copy {
                object: i,
                channel: s.home,
                facts,
                by_originator: true,
            });
        }
    }
    for op in &w.ops {
        match op {
            Op::Advance { days } => now += Duration::days(*days),
            Op::Read {
                actor,
                role,
                purpose,
                copy,
            } => {
                if copies.is_empty() {
                    continue;
                }
                let cp = &copies[copy % copies.len()];
                let p = principal(*actor, ROLES[*role], *purpose);
                let c = &channels[cp.channel];
                let d = decide(&p, &Action::Read, &cp.facts, Scope::Channel(c), now);
                prop_assert_eq!(
                    d.is_allow(),
                    ref_may_read(&who(&p), &cp.facts, c, now),
                    "read {:?} by {:?}: {:?}",
                    cp,
                    p,
                    d
                );
            }
            Op::ReShare {
                actor,
                role,
                purpose,
                copy,
                to,
                out,
                derivative,
            } => {
                if copies.is_empty() {
                    continue;
                }
                let cp = copies[copy % copies.len()].clone();
                let p = principal(*actor, ROLES[*role], *purpose);
                let src = &channels[cp.channel];
                let dest = &channels[*to];
                let out = out.map(|o| LEVELS[o]);
                let derivative = derivative.then(|| derivative_of(cp.object));
                let d = decide(
                    &p,
                    &Action::ReShare {
                        to: dest,
                        tlp: out,
                        derivative: derivative.clone(),
                    },
                    &cp.facts,
                    Scope::Channel(src),
                    now,
                );
                let expected = ref_may_reshare(
                    &who(&p),
                    &cp.facts,
                    src,
                    dest,
                    out,
                    derivative.as_ref(),
                    now,
                );
                prop_assert_eq!(
                    d.is_allow(),
                    expected,
                    "reshare {:?} by {:?}: {:?}",
                    cp,
                    p,
                    d
                );
                bump(if d.is_allow() {
                    &stats.reshares_allowed
                } else {
                    &stats.reshares_denied
                });
                if let Decision::Allow { rule } = d {
                    prop_assert_eq!(rule, "reshare");
                    let by_originator = p.organisation == cp.facts.originator;
                    edges.push(Edge {
                        by_originator,
                        parent_tlp: cp.facts.tlp,
                        child_tlp: out,
                        wider_granted: released_to(&cp.facts, dest).flatten(),
                    });
                    let mut facts = cp.facts.clone();
                    facts.tlp = out;
                    facts.received_through = Some(dest.id.clone());
                    copies.push(Copy {
                        object: cp.object,
                        channel: *to,
                        facts,
                        by_originator,
                    });
                }
            }
            Op::Export {
                actor,
                role,
                purpose,
                copy,
            } => {
                if copies.is_empty() {
                    continue;
                }
                let cp = &copies[copy % copies.len()];
                let p = principal(*actor, ROLES[*role], *purpose);
                let c = &channels[cp.channel];
                let d = decide(&p, &Action::Export, &cp.facts, Scope::Channel(c), now);
                let expected = ref_may_export(&who(&p), &cp.facts, c, now);
                prop_assert_eq!(
                    d.is_allow(),
                    expected,
                    "export {:?} by {:?}: {:?}",
                    cp,
                    p,
                    d
                );
                bump(if d.is_allow() {
                    &stats.exports_allowed
                } else {
                    &stats.exports_denied
                });
            }
            Op::Transfer {
                actor,
                role,
                purpose,
                copy,
                to,
            } => {
                if copies.is_empty() {
                    continue;
                }
                let cp = &copies[copy % copies.len()];
                let p = principal(*actor, ROLES[*role], *purpose);
                let c = &channels[cp.channel];
                let peer = match to {
                    PeerSpec::Channel(i) => Peer::Channel(channels[*i].id.clone()),
                    PeerSpec::Org(i) => Peer::Organisation(org(*i)),
                };
                let action = Action::FederationTransfer { to: peer.clone() };
                let d = decide(&p, &action, &cp.facts, Scope::Channel(c), now);
                let expected = ref_may_transfer(&who(&p), &cp.facts, c, &peer, now);
                prop_assert_eq!(
                    d.is_allow(),
                    expected,
                    "transfer {:?} by {:?} to {:?}: {:?}",
                    cp,
                    p,
                    peer,
                    d
                );
                bump(if d.is_allow() {
                    &stats.transfers_allowed
                } else {
                    &stats.transfers_denied
                });
            }
            Op::Search {
                actor,
                role,
                purpose,
                copy,
            } => {
                if copies.is_empty() {
                    continue;
                }
                let cp = &copies[copy % copies.len()];
                let p = principal(*actor, ROLES[*role], *purpose);
                let c = &channels[cp.channel];
                let action = Action::CorrelationHit {
                    partner_channels: &channels,
                };
                let d = decide(&p, &action, &cp.facts, Scope::Channel(c), now);
                let got = match &d {
                    Decision::Allow { .. } => Some(None),
                    Decision::HitOnly { contact, .. } => Some(Some(contact.clone())),
                    Decision::Deny { .. } => None,
                };
                if matches!(got, Some(Some(_))) {
                    bump(&stats.hits_only);
                }
                let expected = ref_search(&who(&p), &cp.facts, c, &channels, now);
                prop_assert_eq!(got, expected, "search {:?} by {:?}: {:?}", cp, p, d);
            }
            Op::Release {
                requester,
                copy,
                to,
                wider,
                derivative,
            } => {
                if copies.is_empty() {
                    continue;
                }
                let cp = copies[copy % copies.len()].clone();
                let asker = principal(*requester, Role::Analyst, Some(1));
                let filed = ReleaseRequest::file(
                    format!("r{}", edges.len()).as_str().into(),
                    &asker,
                    "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"
                        .parse()
                        .unwrap(),
                    &cp.facts,
                    &channels[cp.channel],
                    match to {
                        DestSpec::Channel(i) => Destination::Channel(channels[*i].id.clone()),
                        DestSpec::Org(i) => Destination::Organisation(org(*i)),
                        DestSpec::Export => Destination::Export,
                    },
                    "operational need".into(),
                );
                let Ok(mut req) = filed else {
                    // Only a member that received the object may ask, never the originator.
                    let member = channels[cp.channel].members.contains(&asker.organisation);
                    let same = matches!(to, DestSpec::Channel(i) if *i == cp.channel);
                    prop_assert!(!member || asker.organisation == cp.facts.originator || same);
                    continue;
                };
                // Someone else than the originator cannot grant it.
                let intruder = principal(*requester, Role::LiaisonOfficer, Some(1));
                prop_assert!(req.grant(&intruder, vec![], None, None).is_err());
                let orig_i: usize = cp.facts.originator.0[1..].parse().unwrap();
                let granter = principal(orig_i, Role::LiaisonOfficer, Some(1));
                req.grant(
                    &granter,
                    vec![],
                    derivative.then(|| derivative_of(cp.object)),
                    wider.map(|x| LEVELS[x]),
                )
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
                if req.four_eyes {
                    prop_assert!(req.release().is_none());
                    let mut second = principal(orig_i, Role::Analyst, Some(1));
                    second.user = UserId(format!("second-of-o{orig_i}"));
                    req.confirm(&second)
                        .map_err(|e| TestCaseError::fail(e.to_string()))?;
                }
                let release = req.release().expect("granted");
                bump(&stats.releases_granted);
                // The store records the release on the object: every copy carries it.
                for c in copies.iter_mut().filter(|c| c.object == cp.object) {
                    c.facts.releases.push(release.clone());
                }
            }
        }
    }

    // Invariant 2, distribution: every copy is in a channel its originator allowed.
    for cp in &copies {
        let spec = &objects[cp.object];
        let c = &channels[cp.channel];
        // The CLEAR exception: the object (or a copy its originator re-marked) is TLP:CLEAR
        // and carries no H2/H3 handling code.
        let clear = !matches!(spec.handling, 3 | 4) && copies_chain_clear(&copies, cp.object);
        let allowed = cp.channel == spec.home
            || cp.by_originator
            || released_to(&cp.facts, c).is_some()
            || clear
            || copies_chain_in(&copies, cp.object, cp.channel);
        prop_assert!(allowed, "copy {:?} escaped its originator's channels", cp);
    }
    // Distribution only narrows: a non-originator's re-share never widens beyond a grant.
    for e in &edges {
        if e.by_originator {
            continue;
        }
        if let Some(parent) = e.parent_tlp {
            let floor = match e.wider_granted {
                Some(w) if w < parent => w,
                _ => parent,
            };
            prop_assert!(e.child_tlp.is_some_and(|c| c >= floor));
        }
    }
    // Final sweep: every principal against every copy agrees with the reference model.
    for cp in &copies {
        let c = &channels[cp.channel];
        for o in 0..w.n_orgs {
            for (ri, role) in ROLES.iter().enumerate() {
                for purpose in [None, Some(0), Some(1), Some(2)] {
                    let p = principal(o, *role, purpose);
                    let d = decide(&p, &Action::Read, &cp.facts, Scope::Channel(c), now);
                    bump(if d.is_allow() {
                        &stats.reads_allowed
                    } else {
                        &stats.reads_denied
                    });
                    prop_assert_eq!(
                        d.is_allow(),
                        ref_may_read(&who(&p), &cp.facts, c, now),
                        "sweep role {} {:?}",
                        ri,
                        d
                    );
                }
            }
        }
    }
    Ok(())
}

/// Whether a copy of the object was put into `channel` by its originator or is the home copy
/// there (re-shares inside a channel the object legitimately reached stay inside it).
fn copies_chain_in(copies: &[Copy], object: usize, channel: usize) -> bool {
    copies
        .iter()
        .any(|c| c.object == object && c.channel == channel && c.by_originator)
}

/// Whether the originator itself re-marked some copy of the object TLP:CLEAR (after which
/// the CLEAR exception lets it travel).
fn copies_chain_clear(copies: &[Copy], object: usize) -> bool {
    copies
        .iter()
        .any(|c| c.object == object && c.facts.tlp == Some(Tlp::Clear))
}

/// How much the generated sequences exercised, so that a generator change that stops
/// producing interesting cases fails the test instead of passing vacuously.
#[derive(Default)]
struct Stats {
    reshares_allowed: AtomicUsize,
    reshares_denied: AtomicUsize,
    releases_granted: AtomicUsize,
    reads_allowed: AtomicUsize,
    reads_denied: AtomicUsize,
    exports_allowed: AtomicUsize,
    exports_denied: AtomicUsize,
    transfers_allowed: AtomicUsize,
    transfers_denied: AtomicUsize,
    hits_only: AtomicUsize,
}

fn bump(c: &AtomicUsize) {
    c.fetch_add(1, Ordering::Relaxed);
}

#[test]
fn no_copy_reaches_what_the_rules_exclude() {
    let stats = Stats::default();
    let mut runner = TestRunner::new(ProptestConfig::with_cases(1024));
    if let Err(e) = runner.run(&world(), |w| run(&w, &stats)) {
        panic!("{e}");
    }
    let get = |c: &AtomicUsize| c.load(Ordering::Relaxed);
    let s = [
        get(&stats.reshares_allowed),
        get(&stats.reshares_denied),
        get(&stats.releases_granted),
        get(&stats.reads_allowed),
        get(&stats.reads_denied),
        get(&stats.exports_allowed),
        get(&stats.exports_denied),
        get(&stats.transfers_allowed),
        get(&stats.transfers_denied),
        get(&stats.hits_only),
    ];
    eprintln!(
        "reshares allowed {} denied {}, releases granted {}, reads allowed {} denied {}, \
         exports allowed {} denied {}, transfers allowed {} denied {}, hit-only {}",
        s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7], s[8], s[9]
    );
    assert!(
        s.iter().all(|n| *n >= 30),
        "too few interesting cases: {s:?}"
    );
}
