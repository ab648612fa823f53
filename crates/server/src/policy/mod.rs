//! The sharing rules: a pure decision core (issue 4).
//!
//! This module decides whether a principal may read, write, export, search, receive a
//! correlation hit on, transfer to a peer, or re-share one object version. It is **pure**: no
//! I/O, no store, no clock (the caller passes `now`), no HTTP types. Everything it needs
//! arrives as plain facts ([`Principal`], [`Action`], [`ObjectFacts`], [`Scope`]); everything it
//! says is a [`Decision`] that names the rule that decided, for the audit log (DESIGN.md
//! invariant 4).
//!
//! What it is not: it does not know users' passwords or permissions on collections (that is
//! `crate::auth` and `crate::access`), it does not store organisations, channels or releases
//! (the store will), and it does not write the audit log (the caller records every decision it
//! returns).
//!
//! **Invariant 1 (one gate)**: `crate::access::check` is the only caller of [`decide`]; every
//! read, write, export, search hit, correlation hit and federation transfer goes through it,
//! and [`decide`] denies by default: every path that does not end in an explicit `Allow`
//! below is a denial.
//!
//! **Invariant 2 (the third-party rule)**: intelligence received through a channel never
//! travels beyond that channel (another channel, an export, a peer outside it) unless it is
//! TLP:CLEAR without an H2/H3 handling code, or the originator recorded a [`Release`] covering
//! that destination. A re-share never widens the TLP marking except as far as a release
//! grants. `tests/policy_props.rs` checks this against an independent reference model.
//!
//! # Rules
//!
//! [`decide`] runs the checks in this order; the first that fails decides. The rule name is
//! [`Decision::rule`] and goes to the audit log; the reason code is [`Reason::code`].
//!
//! | rule | applies to | condition | outcome |
//! |---|---|---|---|
//! | `role-reviewer` | reviewer | action is not Read, Search or CorrelationHit | Deny `reviewer-read-only` |
//! | `role-service` | service | action is not FederationTransfer to its own organisation, nor Write into a channel | Deny `service-federation-only` |
//! | `role-federation` | admin, analyst | FederationTransfer (only liaison officers and service credentials move data to peers) | Deny `role-not-allowed` |
//! | `purpose-declared` | all | no purpose declared | Deny `purpose-required` |
//! | `private-owner` | private collection | principal's organisation is not the owner | Deny `not-owner` |
//! | `private-no-federation` | private collection | FederationTransfer | Deny `private-collection` |
//! | `channel-member` | channel collection | principal's organisation is not a member | Deny `not-a-member` |
//! | `agreement-validity` | channel collection | `now < valid_from` | Deny `agreement-not-yet-valid` |
//! | `agreement-validity` | channel collection | `now >= valid_until` | Deny `agreement-expired` |
//! | `agreement-purpose` | channel collection | purpose not in the agreement | Deny `purpose-not-allowed` |
//! | `channel-require-tlp` | channel collection | `require_tlp` and the object has no TLP marking | Deny `unmarked-object` |
//! | `channel-max-marking` | channel collection | object's TLP above `max_marking` | Deny `marking-above-channel` |
//! | `handling-h1` | all but the originator | H1 object and purpose `judicial-proceedings` | Deny `handling-no-judicial-use` |
//! | `tlp-red-recipients` | all | TLP:RED, principal neither originator nor named (user or organisation) | Deny `not-named-recipient` |
//! | `amber-strict-recipients` | all | TLP:AMBER+STRICT received through channel S, collection in another channel, no release for it | Deny `amber-strict-recipients-only` |
//! | `third-party` | all | received through S, held in another channel, principal is not the originator, no CLEAR exception, no release for that channel | Deny `release-required` |
//! | `read` / `write` | Read / Write | all of the above passed | Allow |
//! | `hit-only` | Search, CorrelationHit | Read was denied by a rule after the role and purpose checks, the object is not TLP:RED, it is held in a collection of a channel the principal's organisation is a member of, and that organisation shares a *live* channel (agreement in force, declared purpose allowed) with the originator | HitOnly { contact: originator } |
//! | `not-visible` | Search, CorrelationHit | Read was denied and `hit-only` does not apply | Deny `not-visible` |
//! | `export-third-party` | Export | principal is not the originator, no CLEAR exception, no release to `Export` | Deny `release-required` |
//! | `transfer-destination` | FederationTransfer | destination outside the collection's channel, covered neither by the CLEAR exception nor by a release (the originator too: no agreement covers a peer outside the channel; it records a release for itself or re-shares into a channel) | Deny `destination-outside-channel` |
//! | `transfer-red-recipient` | FederationTransfer | TLP:RED to an organisation that is neither originator nor named | Deny `not-named-recipient` |
//! | `reshare-destination` | ReShare | principal's organisation not a member of the destination, its agreement not valid, purpose not allowed, marking above it, or unmarked when it requires TLP | the matching Deny |
//! | `reshare-third-party` | ReShare | principal is not the originator, destination is not the channel the object came through, no CLEAR exception and no release for it | Deny `release-required` |
//! | `reshare-derivative` | ReShare | the covering release names a sanitised derivative and the re-share is not of it | Deny `derivative-required` |
//! | `reshare-narrowing` | ReShare | principal is not the originator and the outgoing TLP is wider than the object's (or than the release's `wider_marking`), or unmarked | Deny `marking-widened` |
//! | `export`, `transfer`, `reshare` | | all of the above passed | Allow |
//!
//! The **CLEAR exception** of the third-party rule applies to an object marked TLP:CLEAR whose
//! handling code is none, H0 or H1; H2 ("no onward dissemination without consent") and H3
//! (free-text restriction, which a machine cannot interpret, so it is treated as strictly as
//! H2) always need a release. An **unmarked** object never benefits from the CLEAR exception
//! (absence of a marking is not permission), and it is not compared with `max_marking`; a
//! channel that wants every object marked sets `require_tlp`.
//!
//! **Why `hit-only` is this narrow**: a hit tells the principal that the originator holds
//! something on the matched value. That is itself information, so:
//! - it is only disclosed to an organisation that already has a *live* sharing relationship
//!   with the originator for the declared purpose (the originator could share with it anyway,
//!   and the contact is useful);
//! - only for objects held in a channel the principal's organisation belongs to: the existence
//!   of what an originator shared in channel A is not disclosed to an organisation outside A,
//!   even if it has another channel with the originator (that would carry A's intelligence
//!   across the third-party boundary), and a private collection never answers for another
//!   organisation. The typical hit is a member whose read failed on the terms (a purpose the
//!   channel does not allow, a marking above it, an agreement not in force);
//! - never for TLP:RED: its mere existence is for the named recipients only.
//!
//! Anyone else gets `not-visible`, the same answer as for an object that does not exist. The
//! role and purpose checks are not bypassed: a denial at `purpose-declared` stays a denial.
//!
//! **Private collections** ([`Scope::Private`]) hold what one organisation keeps for itself:
//! only its users reach them, nothing in them is transferred to a peer, and anything leaving
//! them (export, re-share) goes through the same third-party and narrowing rules as a channel.
//! The store places a received object only in a collection of the channel it came through;
//! a private collection therefore holds the owner's own objects (or released copies).
//!
//! # Handling codes
//!
//! [`markings`] defines H0, H1 and H2 as fixed marking-definition objects with
//! deterministic ids (UUIDv5 under the project namespace), carrying a property extension
//! defined by the project's extension-definition object ([`markings::EXTENSION_DEFINITION_JSON`]).
//! H3 markings carry a free-text restriction, so each text gets its own definition
//! ([`markings::h3_marking_json`]); [`markings::markings_of`] reads an object's
//! `object_marking_refs` into [`markings::Markings`] (TLP, handling code, unknown refs),
//! together with the TLP:RED recipients the object names in its custom property
//! `x_entente_recipients` ([`markings::RECIPIENTS_PROPERTY`]).
//!
//! # Integration: how `access::check` and the store use this module
//!
//! 1. The store keeps organisations, users (with their [`OrgId`]), channels with their
//!    [`Agreement`], the collection → channel binding (or the owning organisation of a private
//!    collection), per object version its originator org, the channel it arrived through and
//!    its markings (read once at ingest with [`markings::markings_of`] and stored in columns,
//!    so a page of objects is decided without re-parsing JSON), named recipients for
//!    TLP:RED, and releases (only from granted [`release::ReleaseRequest`]s, via
//!    [`release::ReleaseRequest::release`]).
//! 2. `access::check` first applies the collection permission it has today, then builds a
//!    [`Principal`] (user, organisation, role, the purpose header or the service credential's
//!    default), the [`Scope`] of the collection, and for each object version the
//!    [`ObjectFacts`], and calls `decide(&principal, &action, &facts, scope, now)`, with `now`
//!    read once per request. Reads filter out every non-`Allow` object (a page never
//!    mentions denied objects, nor counts them); a single-object GET answers 404 for
//!    `not-visible`, `hit-only` and every denial that would reveal existence, 403 only for
//!    collection-level failures (`agreement-expired`, `purpose-not-allowed`, …) that the
//!    principal can already see. Writes map `unmarked-object` and `marking-above-channel`
//!    to a failed status entry for that object.
//! 3. Every returned decision is appended to the audit log with [`Decision::rule`] and
//!    [`Reason::code`]; [`Reason::message`] is safe to show to the requester (it never
//!    contains object content).
//! 4. Collection-level checks that do not depend on one object (membership, agreement,
//!    purpose) can be run once per request with [`decide_scope`] before paging, so that an
//!    expired channel answers one clear error instead of an empty page.
//! 5. After an allowed `ReShare`, the store writes the copy (or the sanitised derivative)
//!    into the destination channel's collection with: the **same originator** (so the
//!    third-party rule keeps protecting it; a derivative of a partner's object is still that
//!    partner's intelligence), `received_through` = the destination channel, the outgoing
//!    TLP, the same handling code and named recipients, and the object's releases (kept per
//!    object, at most one per destination: [`ObjectFacts::release_for`] uses the first).
//!    Inbound objects from a partner node get `received_through` = the channel of the
//!    collection they arrive in; objects a local organisation creates get `None`.
//! 6. `now` and `valid_until` make expiry automatic: nothing has to run when an agreement
//!    ends, the next decision after `valid_until` is `agreement-expired`.
//! 7. Four-eyes release (issue 4, item 6) is in [`release`]: TLP:RED and H2 requests are
//!    flagged at filing; the caller adds [`release::ReleaseRequest::describing_a_person`]
//!    when the object describes a person (an `identity` of class `individual`, for example),
//!    and a second user of the originator confirms with [`release::ReleaseRequest::confirm`].

mod decide;
pub mod markings;
pub mod release;

use std::collections::BTreeSet;
use std::fmt;

pub use decide::{decide, decide_scope};
use entente_stix::StixId;
pub use entente_stix::tlp::Tlp;
pub use entente_store::Role;
use time::OffsetDateTime;

pub use markings::HandlingCode;

macro_rules! string_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(pub String);

        impl $name {
            /// The id as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                $name(s.to_owned())
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

string_id!(
    /// An organisation: the home organisation, another local one, or a partner behind a peer.
    OrgId
);
string_id!(
    /// A user, by login name (unique on the node).
    UserId
);
string_id!(
    /// A channel (a sharing group under one agreement).
    ChannelId
);
string_id!(
    /// A release request.
    ReleaseId
);
string_id!(
    /// A declared purpose. An open set; [`Purpose::WELL_KNOWN`] lists the common ones.
    Purpose
);

impl Purpose {
    /// Preventing terrorist acts.
    pub const CT_PREVENTION: &'static str = "ct-prevention";
    /// Investigating a case.
    pub const INVESTIGATION: &'static str = "investigation";
    /// Screening for terrorist financing.
    pub const TF_SCREENING: &'static str = "tf-screening";
    /// Securing a major event.
    pub const EVENT_SECURITY: &'static str = "event-security";
    /// Use in judicial proceedings (refused on H1 material by anyone but the originator).
    pub const JUDICIAL_PROCEEDINGS: &'static str = "judicial-proceedings";
    /// The well-known purposes.
    pub const WELL_KNOWN: [&'static str; 5] = [
        Self::CT_PREVENTION,
        Self::INVESTIGATION,
        Self::TF_SCREENING,
        Self::EVENT_SECURITY,
        Self::JUDICIAL_PROCEEDINGS,
    ];
}

/// Who asks: the facts about the authenticated principal that the rules need.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    /// The user (or service credential).
    pub user: UserId,
    /// The organisation the user belongs to.
    pub organisation: OrgId,
    /// The user's role.
    pub role: Role,
    /// The purpose declared for this request (header, service default, CLI flag).
    pub purpose: Option<Purpose>,
}

impl Principal {
    /// The policy facts of an authenticated principal, with the purpose declared for this
    /// request (the `Purpose` header, the service credential's default, the CLI flag).
    pub fn of(p: &crate::auth::Principal, purpose: Option<Purpose>) -> Principal {
        Principal {
            user: UserId(p.user.clone()),
            organisation: OrgId(p.organisation.clone()),
            role: p.role,
            purpose,
        }
    }
}

/// Bilateral (two organisations) or multilateral (more).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ChannelKind {
    /// Two organisations.
    Bilateral,
    /// Two or more organisations.
    Multilateral,
}

/// The terms a channel shares under.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Agreement {
    /// The legal basis, as text.
    pub legal_basis: String,
    /// The purposes the agreement allows.
    pub purposes: BTreeSet<Purpose>,
    /// The most restrictive TLP marking the channel may carry.
    pub max_marking: Tlp,
    /// In force from this instant (inclusive).
    pub valid_from: OffsetDateTime,
    /// In force until this instant (exclusive); `None`: open-ended.
    pub valid_until: Option<OffsetDateTime>,
    /// Every object must carry a TLP marking.
    pub require_tlp: bool,
}

impl Agreement {
    /// Whether the agreement is in force at `now`: `valid_from <= now < valid_until`.
    pub fn in_force(&self, now: OffsetDateTime) -> bool {
        now >= self.valid_from && self.valid_until.is_none_or(|u| now < u)
    }
}

/// A sharing group of organisations under one agreement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Channel {
    /// The channel.
    pub id: ChannelId,
    /// Bilateral or multilateral.
    pub kind: ChannelKind,
    /// The member organisations.
    pub members: BTreeSet<OrgId>,
    /// The agreement.
    pub agreement: Agreement,
}

impl Channel {
    /// Whether `org` is a member.
    pub fn has_member(&self, org: &OrgId) -> bool {
        self.members.contains(org)
    }
}

/// Where the collection holding the object belongs.
#[derive(Clone, Copy, Debug)]
pub enum Scope<'a> {
    /// A private collection of one organisation (the home organisation's workspace, or
    /// another local organisation's).
    Private {
        /// The owning organisation.
        owner: &'a OrgId,
    },
    /// A collection bound to a channel.
    Channel(&'a Channel),
}

/// A TLP:RED recipient named by the object.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Recipient {
    /// Every user of an organisation.
    Organisation(OrgId),
    /// One user.
    User(UserId),
}

/// Where something may go beyond the channel it came through.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Destination {
    /// Another channel.
    Channel(ChannelId),
    /// A peer organisation, outside any channel.
    Organisation(OrgId),
    /// An export (a file, a report).
    Export,
}

/// The originator's recorded consent to release an object beyond its channel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Release {
    /// Where it may go.
    pub to: Destination,
    /// Conditions attached by the originator (for humans; shown with the object).
    pub conditions: Vec<String>,
    /// When set, only this sanitised derivative (linked by `derived-from`) may go.
    pub derivative: Option<StixId>,
    /// A wider (less restrictive) TLP the released copy may carry.
    pub wider_marking: Option<Tlp>,
}

/// The sharing facts of one object version, as held in one collection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectFacts {
    /// The originating organisation.
    pub originator: OrgId,
    /// The channel it arrived through; `None` when created locally by its originator.
    pub received_through: Option<ChannelId>,
    /// Its TLP marking, if any.
    pub tlp: Option<Tlp>,
    /// Its handling code, if any.
    pub handling: Option<HandlingCode>,
    /// For TLP:RED, the recipients the object lists.
    pub named_recipients: Vec<Recipient>,
    /// The originator's recorded releases.
    pub releases: Vec<Release>,
}

impl ObjectFacts {
    /// The release covering `to`, if the originator recorded one.
    pub fn release_for(&self, to: &Destination) -> Option<&Release> {
        self.releases.iter().find(|r| &r.to == to)
    }

    /// Whether the CLEAR exception of the third-party rule applies: TLP:CLEAR and no
    /// H2 or H3 handling code.
    pub fn clear_exception(&self) -> bool {
        self.tlp == Some(Tlp::Clear)
            && !matches!(
                self.handling,
                Some(HandlingCode::H2) | Some(HandlingCode::H3(_))
            )
    }
}

/// A peer a federation transfer goes to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Peer {
    /// Every member of a channel (a push to a multilateral channel hub).
    Channel(ChannelId),
    /// One organisation's node.
    Organisation(OrgId),
}

/// What the principal wants to do with the object.
#[derive(Clone, Debug)]
pub enum Action<'a> {
    /// Read the content (objects, object, versions, manifest).
    Read,
    /// Add the object to the collection.
    Write,
    /// Put the object into an export.
    Export,
    /// Learn about it through a search. `partner_channels`: the channels the node knows
    /// (the ones the principal's organisation is in suffice), used for `hit-only`.
    Search {
        /// Channels consulted for `hit-only`.
        partner_channels: &'a [Channel],
    },
    /// Learn that it matched one's own data. `partner_channels` as for [`Action::Search`].
    CorrelationHit {
        /// Channels consulted for `hit-only`.
        partner_channels: &'a [Channel],
    },
    /// Send it to a peer node.
    FederationTransfer {
        /// The peer.
        to: Peer,
    },
    /// Share it onward into another (or the same) channel's collection.
    ReShare {
        /// The destination channel.
        to: &'a Channel,
        /// The TLP the shared copy will carry.
        tlp: Option<Tlp>,
        /// When the shared copy is a sanitised derivative, its id.
        derivative: Option<StixId>,
    },
}

/// Why something was refused. Every message is fixed text: it may name a rule, never object
/// content, another organisation's data or the existence of an object.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Reason {
    /// The reviewer role is read-only.
    ReviewerReadOnly,
    /// Service credentials only move data between nodes.
    ServiceFederationOnly,
    /// The role may not do this.
    RoleNotAllowed,
    /// No purpose was declared.
    PurposeRequired,
    /// The agreement does not allow the declared purpose.
    PurposeNotAllowed,
    /// The collection is private to another organisation.
    NotOwner,
    /// Private collections never leave the node.
    PrivateCollection,
    /// The principal's organisation is not a member of the channel.
    NotAMember,
    /// The agreement has expired.
    AgreementExpired,
    /// The agreement is not yet in force.
    AgreementNotYetValid,
    /// The channel requires a TLP marking and the object has none.
    UnmarkedObject,
    /// The object's marking is above what the channel allows.
    MarkingAboveChannel,
    /// H1: no judicial use without the originator's consent.
    HandlingNoJudicialUse,
    /// TLP:RED: only the named recipients.
    NotNamedRecipient,
    /// TLP:AMBER+STRICT: only the recipient organisations.
    AmberStrictRecipientsOnly,
    /// The third-party rule: the originator's release is required.
    ReleaseRequired,
    /// The release covers only a sanitised derivative.
    DerivativeRequired,
    /// A re-share may not widen the marking.
    MarkingWidened,
    /// The destination is outside the channel.
    DestinationOutsideChannel,
    /// Nothing to show (same answer as for an object that does not exist).
    NotVisible,
}

impl Reason {
    /// Every reason (for tests and documentation).
    pub const ALL: [Reason; 20] = [
        Reason::ReviewerReadOnly,
        Reason::ServiceFederationOnly,
        Reason::RoleNotAllowed,
        Reason::PurposeRequired,
        Reason::PurposeNotAllowed,
        Reason::NotOwner,
        Reason::PrivateCollection,
        Reason::NotAMember,
        Reason::AgreementExpired,
        Reason::AgreementNotYetValid,
        Reason::UnmarkedObject,
        Reason::MarkingAboveChannel,
        Reason::HandlingNoJudicialUse,
        Reason::NotNamedRecipient,
        Reason::AmberStrictRecipientsOnly,
        Reason::ReleaseRequired,
        Reason::DerivativeRequired,
        Reason::MarkingWidened,
        Reason::DestinationOutsideChannel,
        Reason::NotVisible,
    ];

    /// A stable, machine-readable code.
    pub fn code(self) -> &'static str {
        match self {
            Reason::ReviewerReadOnly => "reviewer-read-only",
            Reason::ServiceFederationOnly => "service-federation-only",
            Reason::RoleNotAllowed => "role-not-allowed",
            Reason::PurposeRequired => "purpose-required",
            Reason::PurposeNotAllowed => "purpose-not-allowed",
            Reason::NotOwner => "not-owner",
            Reason::PrivateCollection => "private-collection",
            Reason::NotAMember => "not-a-member",
            Reason::AgreementExpired => "agreement-expired",
            Reason::AgreementNotYetValid => "agreement-not-yet-valid",
            Reason::UnmarkedObject => "unmarked-object",
            Reason::MarkingAboveChannel => "marking-above-channel",
            Reason::HandlingNoJudicialUse => "handling-no-judicial-use",
            Reason::NotNamedRecipient => "not-named-recipient",
            Reason::AmberStrictRecipientsOnly => "amber-strict-recipients-only",
            Reason::ReleaseRequired => "release-required",
            Reason::DerivativeRequired => "derivative-required",
            Reason::MarkingWidened => "marking-widened",
            Reason::DestinationOutsideChannel => "destination-outside-channel",
            Reason::NotVisible => "not-visible",
        }
    }

    /// A message for the requester. Fixed text: never object content.
    pub fn message(self) -> &'static str {
        match self {
            Reason::ReviewerReadOnly => "the reviewer role is read-only",
            Reason::ServiceFederationOnly => {
                "a service credential may only exchange objects with its own node"
            }
            Reason::RoleNotAllowed => "your role may not do this",
            Reason::PurposeRequired => "declare a purpose for this request",
            Reason::PurposeNotAllowed => "the channel's agreement does not allow this purpose",
            Reason::NotOwner => "this collection is private to another organisation",
            Reason::PrivateCollection => "objects in a private collection never leave the node",
            Reason::NotAMember => "your organisation is not a member of this channel",
            Reason::AgreementExpired => "the channel's agreement has expired",
            Reason::AgreementNotYetValid => "the channel's agreement is not yet in force",
            Reason::UnmarkedObject => "this channel requires every object to carry a TLP marking",
            Reason::MarkingAboveChannel => "the object's marking is above what the channel allows",
            Reason::HandlingNoJudicialUse => {
                "handling code H1: no judicial use without the originator's consent"
            }
            Reason::NotNamedRecipient => "TLP:RED: only the named recipients may receive this",
            Reason::AmberStrictRecipientsOnly => {
                "TLP:AMBER+STRICT: only the organisations it was shared with may receive this"
            }
            Reason::ReleaseRequired => {
                "the third-party rule: onward sharing needs the originator's release"
            }
            Reason::DerivativeRequired => {
                "the originator released only a sanitised derivative of this object"
            }
            Reason::MarkingWidened => "a re-share may not widen the marking",
            Reason::DestinationOutsideChannel => "the destination is outside the channel",
            Reason::NotVisible => "no such object",
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

/// The outcome of [`decide`]. Every outcome names the rule that decided (for the audit log).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Go ahead.
    Allow {
        /// The rule that decided.
        rule: &'static str,
    },
    /// Refused.
    Deny {
        /// Why.
        reason: Reason,
        /// The rule that decided.
        rule: &'static str,
    },
    /// A match exists; contact the originator. Never the content.
    HitOnly {
        /// Whom to contact.
        contact: OrgId,
        /// The rule that decided.
        rule: &'static str,
    },
}

impl Decision {
    /// The rule that decided.
    pub fn rule(&self) -> &'static str {
        match self {
            Decision::Allow { rule }
            | Decision::Deny { rule, .. }
            | Decision::HitOnly { rule, .. } => rule,
        }
    }

    /// Whether this is an `Allow`.
    pub fn is_allow(&self) -> bool {
        matches!(self, Decision::Allow { .. })
    }

    /// The denial reason, if this is a `Deny`.
    pub fn reason(&self) -> Option<Reason> {
        match self {
            Decision::Deny { reason, .. } => Some(*reason),
            _ => None,
        }
    }

    pub(crate) fn deny(reason: Reason, rule: &'static str) -> Decision {
        Decision::Deny { reason, rule }
    }
}
