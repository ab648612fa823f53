//! Unit tests of [`decide`]: every rule, every denial reason.

use super::*;
use crate::policy::{Agreement, ChannelId, ChannelKind, OrgId, Release, UserId};
use time::macros::datetime;

const NOW: OffsetDateTime = datetime!(2026-06-01 12:00 UTC);

fn principal(user: &str, org: &str, role: Role) -> Principal {
    Principal {
        user: UserId::from(user),
        organisation: OrgId::from(org),
        role,
        purpose: Some(Purpose::from(Purpose::INVESTIGATION)),
    }
}

fn analyst(org: &str) -> Principal {
    principal("u", org, Role::Analyst)
}

fn channel(id: &str, members: &[&str]) -> Channel {
    Channel {
        id: ChannelId::from(id),
        kind: if members.len() == 2 {
            ChannelKind::Bilateral
        } else {
            ChannelKind::Multilateral
        },
        members: members.iter().map(|m| OrgId::from(*m)).collect(),
        agreement: Agreement {
            legal_basis: "memorandum of understanding".into(),
            purposes: [Purpose::INVESTIGATION, Purpose::JUDICIAL_PROCEEDINGS]
                .into_iter()
                .map(Purpose::from)
                .collect(),
            max_marking: Tlp::Red,
            valid_from: datetime!(2026-01-01 0:00 UTC),
            valid_until: Some(datetime!(2027-01-01 0:00 UTC)),
            require_tlp: false,
        },
    }
}

/// An AMBER object originated by `pa`, received by `home` through `c1`.
fn received() -> ObjectFacts {
    ObjectFacts {
        originator: OrgId::from("pa"),
        received_through: Some(ChannelId::from("c1")),
        tlp: Some(Tlp::Amber),
        handling: None,
        named_recipients: vec![],
        releases: vec![],
    }
}

fn c1() -> Channel {
    channel("c1", &["home", "pa"])
}

fn c2() -> Channel {
    channel("c2", &["home", "pb"])
}

fn denied(d: &Decision) -> (Reason, &'static str) {
    match d {
        Decision::Deny { reason, rule } => (*reason, rule),
        other => panic!("expected a denial, got {other:?}"),
    }
}

fn read(p: &Principal, o: &ObjectFacts, c: &Channel) -> Decision {
    decide(p, &Action::Read, o, Scope::Channel(c), NOW)
}

#[test]
fn member_reads_in_a_valid_channel() {
    let d = read(&analyst("home"), &received(), &c1());
    assert_eq!(d, Decision::Allow { rule: "read" });
    assert_eq!(d.rule(), "read");
    assert!(d.is_allow());
    assert_eq!(d.reason(), None);
}

#[test]
fn non_member_is_denied() {
    let d = read(&analyst("pb"), &received(), &c1());
    assert_eq!(denied(&d), (Reason::NotAMember, "channel-member"));
}

#[test]
fn agreement_validity_window() {
    let mut c = c1();
    c.agreement.valid_until = Some(NOW);
    assert_eq!(
        denied(&read(&analyst("home"), &received(), &c)),
        (Reason::AgreementExpired, "agreement-validity")
    );
    let mut c = c1();
    c.agreement.valid_from = datetime!(2026-06-01 12:00:01 UTC);
    assert_eq!(
        denied(&read(&analyst("home"), &received(), &c)),
        (Reason::AgreementNotYetValid, "agreement-validity")
    );
    // Open-ended agreement, starting exactly now.
    let mut c = c1();
    c.agreement.valid_from = NOW;
    c.agreement.valid_until = None;
    assert!(read(&analyst("home"), &received(), &c).is_allow());
    assert!(c.agreement.in_force(NOW));
}

#[test]
fn purpose_is_required_and_must_be_allowed() {
    let mut p = analyst("home");
    p.purpose = None;
    assert_eq!(
        denied(&read(&p, &received(), &c1())),
        (Reason::PurposeRequired, "purpose-declared")
    );
    p.purpose = Some(Purpose::from(Purpose::TF_SCREENING));
    assert_eq!(
        denied(&read(&p, &received(), &c1())),
        (Reason::PurposeNotAllowed, "agreement-purpose")
    );
    // An open-set purpose the agreement lists is fine.
    let mut c = c1();
    c.agreement.purposes.insert(Purpose::from("border-control"));
    p.purpose = Some(Purpose::from("border-control"));
    assert!(read(&p, &received(), &c).is_allow());
}

#[test]
fn marking_above_channel_and_unmarked_objects() {
    let mut c = c1();
    c.agreement.max_marking = Tlp::Green;
    assert_eq!(
        denied(&read(&analyst("home"), &received(), &c)),
        (Reason::MarkingAboveChannel, "channel-max-marking")
    );
    let mut o = received();
    o.tlp = None;
    // Unmarked is not compared with max_marking...
    assert!(read(&analyst("home"), &o, &c).is_allow());
    // ...but refused when the channel requires TLP, for writes and reads.
    c.agreement.require_tlp = true;
    assert_eq!(
        denied(&read(&analyst("home"), &o, &c)),
        (Reason::UnmarkedObject, "channel-require-tlp")
    );
    assert_eq!(
        denied(&decide(
            &analyst("home"),
            &Action::Write,
            &o,
            Scope::Channel(&c),
            NOW
        )),
        (Reason::UnmarkedObject, "channel-require-tlp")
    );
}

#[test]
fn private_collections_are_for_their_owner() {
    let mut o = received();
    o.originator = OrgId::from("home");
    o.received_through = None;
    let owner = OrgId::from("home");
    let scope = Scope::Private { owner: &owner };
    assert!(decide(&analyst("home"), &Action::Read, &o, scope, NOW).is_allow());
    assert_eq!(
        denied(&decide(&analyst("pa"), &Action::Read, &o, scope, NOW)),
        (Reason::NotOwner, "private-owner")
    );
    let d = decide(
        &principal("lo", "home", Role::LiaisonOfficer),
        &Action::FederationTransfer {
            to: Peer::Organisation(OrgId::from("pa")),
        },
        &o,
        scope,
        NOW,
    );
    assert_eq!(
        denied(&d),
        (Reason::PrivateCollection, "private-no-federation")
    );
    // The owner exports its own object.
    assert_eq!(
        decide(&analyst("home"), &Action::Export, &o, scope, NOW),
        Decision::Allow { rule: "export" }
    );
    assert_eq!(
        decide_scope(&analyst("home"), scope, NOW),
        Decision::Allow { rule: "scope" }
    );
}

#[test]
fn decide_scope_gives_the_collection_level_denials() {
    let mut c = c1();
    c.agreement.valid_until = Some(datetime!(2026-02-01 0:00 UTC));
    assert_eq!(
        denied(&decide_scope(&analyst("home"), Scope::Channel(&c), NOW)),
        (Reason::AgreementExpired, "agreement-validity")
    );
    assert_eq!(
        denied(&decide_scope(&analyst("x"), Scope::Channel(&c1()), NOW)),
        (Reason::NotAMember, "channel-member")
    );
}

#[test]
fn tlp_red_reaches_only_named_recipients() {
    let mut o = received();
    o.tlp = Some(Tlp::Red);
    let c = channel("c1", &["home", "pa", "pc"]);
    assert_eq!(
        denied(&read(&analyst("home"), &o, &c)),
        (Reason::NotNamedRecipient, "tlp-red-recipients")
    );
    // The originator always reads its own.
    assert!(read(&analyst("pa"), &o, &c).is_allow());
    o.named_recipients = vec![Recipient::User(UserId::from("alice"))];
    assert!(read(&principal("alice", "home", Role::Analyst), &o, &c).is_allow());
    assert!(!read(&principal("bob", "home", Role::Analyst), &o, &c).is_allow());
    o.named_recipients = vec![Recipient::Organisation(OrgId::from("home"))];
    assert!(read(&principal("bob", "home", Role::Analyst), &o, &c).is_allow());
    assert!(!read(&analyst("pc"), &o, &c).is_allow());
}

#[test]
fn handling_h1_forbids_judicial_use_by_others() {
    let mut o = received();
    o.handling = Some(HandlingCode::H1);
    let mut p = analyst("home");
    p.purpose = Some(Purpose::from(Purpose::JUDICIAL_PROCEEDINGS));
    assert_eq!(
        denied(&read(&p, &o, &c1())),
        (Reason::HandlingNoJudicialUse, "handling-h1")
    );
    let mut orig = analyst("pa");
    orig.purpose = p.purpose.clone();
    assert!(read(&orig, &o, &c1()).is_allow());
    assert!(read(&analyst("home"), &o, &c1()).is_allow());
}

#[test]
fn third_party_rule_at_rest() {
    // A copy of c1's object sitting in c2's collection without a release.
    let c = channel("c2", &["home", "pb"]);
    let o = received();
    assert_eq!(
        denied(&read(&analyst("pb"), &o, &c)),
        (Reason::ReleaseRequired, "third-party")
    );
    let mut strict = received();
    strict.tlp = Some(Tlp::AmberStrict);
    assert_eq!(
        denied(&read(&analyst("pb"), &strict, &c)),
        (Reason::AmberStrictRecipientsOnly, "amber-strict-recipients")
    );
    // With the originator's release, or TLP:CLEAR, it may be there.
    let mut released = received();
    released.releases.push(Release {
        to: Destination::Channel(ChannelId::from("c2")),
        conditions: vec![],
        derivative: None,
        wider_marking: None,
    });
    assert!(read(&analyst("pb"), &released, &c).is_allow());
    let mut clear = received();
    clear.tlp = Some(Tlp::Clear);
    assert!(read(&analyst("pb"), &clear, &c).is_allow());
    clear.handling = Some(HandlingCode::H2);
    assert_eq!(
        denied(&read(&analyst("pb"), &clear, &c)),
        (Reason::ReleaseRequired, "third-party")
    );
}

#[test]
fn roles() {
    let o = received();
    let c = c1();
    let rev = principal("r", "home", Role::Reviewer);
    assert!(read(&rev, &o, &c).is_allow());
    for a in [
        Action::Write,
        Action::Export,
        Action::ReShare {
            to: &c2(),
            tlp: Some(Tlp::Amber),
            derivative: None,
        },
    ] {
        assert_eq!(
            denied(&decide(&rev, &a, &o, Scope::Channel(&c), NOW)),
            (Reason::ReviewerReadOnly, "role-reviewer")
        );
    }
    let svc = principal("node-pa", "pa", Role::Service);
    assert_eq!(
        denied(&read(&svc, &o, &c)),
        (Reason::ServiceFederationOnly, "role-service")
    );
    let to_other = Action::FederationTransfer {
        to: Peer::Organisation(OrgId::from("home")),
    };
    assert_eq!(
        denied(&decide(&svc, &to_other, &o, Scope::Channel(&c), NOW)),
        (Reason::ServiceFederationOnly, "role-service")
    );
    let to_self = Action::FederationTransfer {
        to: Peer::Organisation(OrgId::from("pa")),
    };
    assert_eq!(
        decide(&svc, &to_self, &o, Scope::Channel(&c), NOW),
        Decision::Allow { rule: "transfer" }
    );
    // Inbound push by the partner node, into a channel collection only.
    assert!(decide(&svc, &Action::Write, &o, Scope::Channel(&c), NOW).is_allow());
    let own = OrgId::from("pa");
    assert_eq!(
        denied(&decide(
            &svc,
            &Action::Write,
            &o,
            Scope::Private { owner: &own },
            NOW
        )),
        (Reason::ServiceFederationOnly, "role-service")
    );
    for role in [Role::Admin, Role::Analyst] {
        let d = decide(
            &principal("a", "home", role),
            &to_self,
            &o,
            Scope::Channel(&c),
            NOW,
        );
        assert_eq!(denied(&d), (Reason::RoleNotAllowed, "role-federation"));
    }
    let lo = principal("lo", "home", Role::LiaisonOfficer);
    assert!(decide(&lo, &to_self, &o, Scope::Channel(&c), NOW).is_allow());
}

#[test]
fn writes_into_a_channel() {
    let mut own = received();
    own.originator = OrgId::from("home");
    own.received_through = None;
    let c = c1();
    assert_eq!(
        decide(
            &analyst("home"),
            &Action::Write,
            &own,
            Scope::Channel(&c),
            NOW
        ),
        Decision::Allow { rule: "write" }
    );
    assert_eq!(
        denied(&decide(
            &analyst("pb"),
            &Action::Write,
            &own,
            Scope::Channel(&c),
            NOW
        )),
        (Reason::NotAMember, "channel-member")
    );
    let mut low = c1();
    low.agreement.max_marking = Tlp::Green;
    assert_eq!(
        denied(&decide(
            &analyst("home"),
            &Action::Write,
            &own,
            Scope::Channel(&low),
            NOW
        )),
        (Reason::MarkingAboveChannel, "channel-max-marking")
    );
    // Writing pa's object (received through c1) into c2 is a re-share without release.
    assert_eq!(
        denied(&decide(
            &analyst("home"),
            &Action::Write,
            &received(),
            Scope::Channel(&c2()),
            NOW
        )),
        (Reason::ReleaseRequired, "third-party")
    );
}

#[test]
fn export_needs_a_release_or_clear() {
    let o = received();
    let c = c1();
    let export = |o: &ObjectFacts| {
        decide(
            &analyst("home"),
            &Action::Export,
            o,
            Scope::Channel(&c),
            NOW,
        )
    };
    assert_eq!(
        denied(&export(&o)),
        (Reason::ReleaseRequired, "export-third-party")
    );
    let mut clear = o.clone();
    clear.tlp = Some(Tlp::Clear);
    assert!(export(&clear).is_allow());
    clear.handling = Some(HandlingCode::H3("press embargo".into()));
    assert!(!export(&clear).is_allow());
    let mut rel = o.clone();
    rel.releases.push(Release {
        to: Destination::Export,
        conditions: vec!["no attribution".into()],
        derivative: None,
        wider_marking: None,
    });
    assert_eq!(export(&rel), Decision::Allow { rule: "export" });
    // The originator exports its own object.
    assert!(decide(&analyst("pa"), &Action::Export, &o, Scope::Channel(&c), NOW).is_allow());
}

#[test]
fn federation_transfers() {
    let lo = principal("lo", "home", Role::LiaisonOfficer);
    let c = c1();
    let tr = |o: &ObjectFacts, to: Peer| {
        decide(
            &lo,
            &Action::FederationTransfer { to },
            o,
            Scope::Channel(&c),
            NOW,
        )
    };
    let o = received();
    assert!(tr(&o, Peer::Organisation(OrgId::from("pa"))).is_allow());
    assert!(tr(&o, Peer::Channel(ChannelId::from("c1"))).is_allow());
    assert_eq!(
        denied(&tr(&o, Peer::Organisation(OrgId::from("pb")))),
        (Reason::DestinationOutsideChannel, "transfer-destination")
    );
    assert_eq!(
        denied(&tr(&o, Peer::Channel(ChannelId::from("c2")))),
        (Reason::DestinationOutsideChannel, "transfer-destination")
    );
    let mut rel = o.clone();
    rel.releases.push(Release {
        to: Destination::Organisation(OrgId::from("pb")),
        conditions: vec![],
        derivative: None,
        wider_marking: None,
    });
    assert!(tr(&rel, Peer::Organisation(OrgId::from("pb"))).is_allow());
    let mut clear = o.clone();
    clear.tlp = Some(Tlp::Clear);
    assert!(tr(&clear, Peer::Organisation(OrgId::from("pb"))).is_allow());

    // TLP:RED: the liaison officer's organisation is named; the destination must be too.
    let mut red = o.clone();
    red.tlp = Some(Tlp::Red);
    red.named_recipients = vec![Recipient::Organisation(OrgId::from("home"))];
    let multi = channel("c1", &["home", "pa", "pc"]);
    let d = decide(
        &lo,
        &Action::FederationTransfer {
            to: Peer::Organisation(OrgId::from("pc")),
        },
        &red,
        Scope::Channel(&multi),
        NOW,
    );
    assert_eq!(
        denied(&d),
        (Reason::NotNamedRecipient, "transfer-red-recipient")
    );
    let d = decide(
        &lo,
        &Action::FederationTransfer {
            to: Peer::Channel(ChannelId::from("c1")),
        },
        &red,
        Scope::Channel(&multi),
        NOW,
    );
    assert_eq!(
        denied(&d),
        (Reason::NotNamedRecipient, "transfer-red-recipient")
    );
    assert!(tr(&red, Peer::Organisation(OrgId::from("pa"))).is_allow());
}

fn reshare(p: &Principal, o: &ObjectFacts, to: &Channel, tlp: Option<Tlp>) -> Decision {
    decide(
        p,
        &Action::ReShare {
            to,
            tlp,
            derivative: None,
        },
        o,
        Scope::Channel(&c1()),
        NOW,
    )
}

#[test]
fn reshare_third_party_and_narrowing() {
    let home = analyst("home");
    let o = received();
    assert_eq!(
        denied(&reshare(&home, &o, &c2(), Some(Tlp::Amber))),
        (Reason::ReleaseRequired, "reshare-third-party")
    );
    // Within the channel it came through: allowed, but never wider.
    assert_eq!(
        reshare(&home, &o, &c1(), Some(Tlp::Amber)),
        Decision::Allow { rule: "reshare" }
    );
    assert!(reshare(&home, &o, &c1(), Some(Tlp::Red)).is_allow());
    assert_eq!(
        denied(&reshare(&home, &o, &c1(), Some(Tlp::Green))),
        (Reason::MarkingWidened, "reshare-narrowing")
    );
    assert_eq!(
        denied(&reshare(&home, &o, &c1(), None)),
        (Reason::MarkingWidened, "reshare-narrowing")
    );
    // The originator re-marks its own.
    assert!(
        reshare(
            &analyst("pa"),
            &o,
            &channel("c3", &["pa", "pb"]),
            Some(Tlp::Clear)
        )
        .is_allow()
    );

    // A release with a wider marking lowers the floor to it, not below.
    let mut rel = o.clone();
    rel.releases.push(Release {
        to: Destination::Channel(ChannelId::from("c2")),
        conditions: vec![],
        derivative: None,
        wider_marking: Some(Tlp::Green),
    });
    assert!(reshare(&home, &rel, &c2(), Some(Tlp::Green)).is_allow());
    assert_eq!(
        denied(&reshare(&home, &rel, &c2(), Some(Tlp::Clear))),
        (Reason::MarkingWidened, "reshare-narrowing")
    );
    // TLP:CLEAR goes anywhere (but stays CLEAR or narrower).
    let mut clear = o.clone();
    clear.tlp = Some(Tlp::Clear);
    assert!(reshare(&home, &clear, &c2(), Some(Tlp::Clear)).is_allow());
    // Unmarked originals may be shared with any marking, inside their channel.
    let mut unmarked = o.clone();
    unmarked.tlp = None;
    assert!(reshare(&home, &unmarked, &c1(), Some(Tlp::Green)).is_allow());
    assert!(!reshare(&home, &unmarked, &c2(), Some(Tlp::Green)).is_allow());
}

#[test]
fn reshare_derivative_only() {
    let home = analyst("home");
    let d: entente_stix::StixId = "indicator--0a7e1e0c-5d57-4f5c-9d16-0f1f0b6c9a11"
        .parse()
        .unwrap();
    let mut o = received();
    o.releases.push(Release {
        to: Destination::Channel(ChannelId::from("c2")),
        conditions: vec![],
        derivative: Some(d.clone()),
        wider_marking: Some(Tlp::Green),
    });
    assert_eq!(
        denied(&reshare(&home, &o, &c2(), Some(Tlp::Amber))),
        (Reason::DerivativeRequired, "reshare-derivative")
    );
    let share = |derivative: Option<entente_stix::StixId>, tlp| {
        decide(
            &home,
            &Action::ReShare {
                to: &c2(),
                tlp,
                derivative,
            },
            &o,
            Scope::Channel(&c1()),
            NOW,
        )
    };
    assert!(share(Some(d.clone()), Some(Tlp::Green)).is_allow());
    assert_eq!(
        denied(&share(Some(d), Some(Tlp::Clear))),
        (Reason::MarkingWidened, "reshare-narrowing")
    );
    let other: entente_stix::StixId = "indicator--1b7e1e0c-5d57-4f5c-9d16-0f1f0b6c9a11"
        .parse()
        .unwrap();
    assert!(!share(Some(other), Some(Tlp::Green)).is_allow());
}

#[test]
fn reshare_destination_terms() {
    let home = analyst("home");
    let mut clear = received();
    clear.tlp = Some(Tlp::Clear);
    let outsider = channel("c9", &["pa", "pb"]);
    assert_eq!(
        denied(&reshare(&home, &clear, &outsider, Some(Tlp::Clear))),
        (Reason::NotAMember, "reshare-destination")
    );
    let mut expired = c2();
    expired.agreement.valid_until = Some(datetime!(2026-03-01 0:00 UTC));
    assert_eq!(
        denied(&reshare(&home, &clear, &expired, Some(Tlp::Clear))),
        (Reason::AgreementExpired, "reshare-destination")
    );
    let mut future = c2();
    future.agreement.valid_from = datetime!(2026-07-01 0:00 UTC);
    assert_eq!(
        denied(&reshare(&home, &clear, &future, Some(Tlp::Clear))),
        (Reason::AgreementNotYetValid, "reshare-destination")
    );
    let mut other_purpose = c2();
    other_purpose.agreement.purposes = [Purpose::from(Purpose::EVENT_SECURITY)]
        .into_iter()
        .collect();
    assert_eq!(
        denied(&reshare(&home, &clear, &other_purpose, Some(Tlp::Clear))),
        (Reason::PurposeNotAllowed, "reshare-destination")
    );
    let mut strict = c2();
    strict.agreement.require_tlp = true;
    strict.agreement.max_marking = Tlp::Green;
    assert_eq!(
        denied(&reshare(&home, &clear, &strict, None)),
        (Reason::UnmarkedObject, "reshare-destination")
    );
    assert_eq!(
        denied(&reshare(&home, &clear, &strict, Some(Tlp::Amber))),
        (Reason::MarkingAboveChannel, "reshare-destination")
    );
}

#[test]
fn search_and_correlation_hits() {
    let partners = [c1(), c2()];
    let o = received(); // originated by pa
    let hit = |p: &Principal, o: &ObjectFacts, scope: Scope<'_>, corr: bool| {
        let a = if corr {
            Action::CorrelationHit {
                partner_channels: &partners,
            }
        } else {
            Action::Search {
                partner_channels: &partners,
            }
        };
        decide(p, &a, o, scope, NOW)
    };
    let c = c1();
    // Readable: the content.
    assert_eq!(
        hit(&analyst("home"), &o, Scope::Channel(&c), true),
        Decision::Allow { rule: "read" }
    );
    // pb is not in c1 and shares no channel with pa: nothing.
    assert_eq!(
        denied(&hit(&analyst("pb"), &o, Scope::Channel(&c), true)),
        (Reason::NotVisible, "not-visible")
    );
    // Even with a live channel between pb and pa, pb learns nothing of what pa shared in
    // c1: existence is information, and the third-party rule keeps it inside c1.
    let pb_pa = [c1(), channel("c5", &["pa", "pb"])];
    let d = decide(
        &analyst("pb"),
        &Action::Search {
            partner_channels: &pb_pa,
        },
        &o,
        Scope::Channel(&c),
        NOW,
    );
    assert_eq!(denied(&d), (Reason::NotVisible, "not-visible"));
    // home is in c1 but searches for tf-screening, which c1 does not allow: no content.
    // With another live channel between home and pa that allows it: a hit with the contact.
    let mut tf = analyst("home");
    tf.purpose = Some(Purpose::from(Purpose::TF_SCREENING));
    let mut c6 = channel("c6", &["home", "pa"]);
    c6.agreement.purposes = [Purpose::from(Purpose::TF_SCREENING)].into_iter().collect();
    let with_pa = [c1(), c6.clone()];
    let search = |p: &Principal, o: &ObjectFacts, chans: &[Channel]| {
        decide(
            p,
            &Action::Search {
                partner_channels: chans,
            },
            o,
            Scope::Channel(&c),
            NOW,
        )
    };
    assert_eq!(
        search(&tf, &o, &partners),
        Decision::deny(Reason::NotVisible, "not-visible")
    );
    let d = search(&tf, &o, &with_pa);
    assert_eq!(
        d,
        Decision::HitOnly {
            contact: OrgId::from("pa"),
            rule: "hit-only"
        }
    );
    assert_eq!(d.rule(), "hit-only");
    assert_eq!(d.reason(), None);
    // An expired shared channel does not count.
    let mut old = c6.clone();
    old.agreement.valid_until = Some(datetime!(2026-02-01 0:00 UTC));
    assert_eq!(
        denied(&search(&tf, &o, &[c1(), old])),
        (Reason::NotVisible, "not-visible")
    );
    // TLP:RED never produces a hit.
    let mut red = o.clone();
    red.tlp = Some(Tlp::Red);
    assert_eq!(
        denied(&search(&tf, &red, &with_pa)),
        (Reason::NotVisible, "not-visible")
    );
    // Private collections never produce hits for other organisations.
    let owner = OrgId::from("pa");
    let mut private = o.clone();
    private.received_through = None;
    let d = decide(
        &tf,
        &Action::CorrelationHit {
            partner_channels: &with_pa,
        },
        &private,
        Scope::Private { owner: &owner },
        NOW,
    );
    assert_eq!(denied(&d), (Reason::NotVisible, "not-visible"));
    // Purpose is still required; service credentials do not search.
    let mut p = analyst("pb");
    p.purpose = None;
    assert_eq!(
        denied(&hit(&p, &o, Scope::Channel(&c), false)),
        (Reason::PurposeRequired, "purpose-declared")
    );
    let svc = principal("node", "pb", Role::Service);
    assert_eq!(
        denied(&hit(&svc, &o, Scope::Channel(&c), false)),
        (Reason::ServiceFederationOnly, "role-service")
    );
    // The reviewer searches.
    let rev = principal("r", "home", Role::Reviewer);
    assert!(hit(&rev, &o, Scope::Channel(&c), false).is_allow());
}

#[test]
fn reasons_have_stable_distinct_codes_and_content_free_messages() {
    let mut codes = std::collections::BTreeSet::new();
    for r in Reason::ALL {
        assert!(codes.insert(r.code()), "duplicate code {}", r.code());
        assert!(!r.message().is_empty());
        assert_eq!(r.to_string(), r.message());
        assert!(
            r.code()
                .chars()
                .all(|ch| ch.is_ascii_lowercase() || ch == '-')
        );
    }
}

/// Runs every action against an object whose every field carries a canary string, and
/// checks that no denial reason message, code or rule contains any of it.
#[test]
fn denials_never_contain_object_content() {
    let canary = "CANARY-7f3a";
    let c_id = ChannelId::from("chan-CANARY-7f3a");
    let o = ObjectFacts {
        originator: OrgId::from("org-CANARY-7f3a"),
        received_through: Some(c_id.clone()),
        tlp: Some(Tlp::Red),
        handling: Some(HandlingCode::H3("CANARY-7f3a restriction".into())),
        named_recipients: vec![Recipient::User(UserId::from("user-CANARY-7f3a"))],
        releases: vec![Release {
            to: Destination::Organisation(OrgId::from("dest-CANARY-7f3a")),
            conditions: vec!["CANARY-7f3a condition".into()],
            derivative: None,
            wider_marking: None,
        }],
    };
    let mut chans = vec![
        c1(),
        c2(),
        channel(c_id.as_str(), &["home", "org-CANARY-7f3a"]),
    ];
    let mut expired = chans[2].clone();
    expired.agreement.valid_until = Some(datetime!(2026-02-01 0:00 UTC));
    chans.push(expired);
    let mut n = 0;
    for role in [
        Role::Admin,
        Role::Analyst,
        Role::LiaisonOfficer,
        Role::Reviewer,
        Role::Service,
    ] {
        for org in ["home", "pa", "x"] {
            for purpose in [None, Some(Purpose::INVESTIGATION), Some("other")] {
                let mut p = principal("u", org, role);
                p.purpose = purpose.map(Purpose::from);
                for c in &chans {
                    let actions = [
                        Action::Read,
                        Action::Write,
                        Action::Export,
                        Action::Search {
                            partner_channels: &chans,
                        },
                        Action::FederationTransfer {
                            to: Peer::Organisation(OrgId::from("pb")),
                        },
                        Action::ReShare {
                            to: &chans[1],
                            tlp: Some(Tlp::Red),
                            derivative: None,
                        },
                    ];
                    for a in &actions {
                        let d = decide(&p, a, &o, Scope::Channel(c), NOW);
                        if let Decision::Deny { reason, rule } = d {
                            n += 1;
                            assert!(!reason.message().contains(canary));
                            assert!(!reason.code().contains(canary));
                            assert!(!rule.contains(canary));
                        }
                    }
                }
            }
        }
    }
    assert!(n > 100, "{n} denials checked");
}

#[test]
fn principal_from_the_authenticated_one() {
    let auth = crate::auth::Principal {
        user: "alice".into(),
        organisation: "home".into(),
        role: Role::LiaisonOfficer,
        purpose: None,
    };
    let p = Principal::of(&auth, Some(Purpose::from(Purpose::INVESTIGATION)));
    assert_eq!(p, principal("alice", "home", Role::LiaisonOfficer));
}
