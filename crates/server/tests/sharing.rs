//! The sharing rules against a live node (issue 4): an adversarial matrix of every TAXII
//! endpoint that serves content (objects, object, versions, manifest, collections, status),
//! and of the search (`/entente/v1/search/`), x
//! every role x organisations inside and outside the channel x every marking x agreement in
//! force or expired x allowed, wrong or missing purpose. Each cell asserts the exact outcome,
//! and every denied response (body, headers, paging token) is searched for the content and
//! the identifiers of the objects it must not reveal.
//!
//! The expected outcome of each cell comes from [`expected`], a small statement of the rules
//! written independently of the server's policy module.

#[allow(unreachable_pub)]
#[path = "integration/node.rs"]
mod node;

use std::collections::BTreeSet;

use entente_stix::tlp::Tlp;
use entente_store::{
    ApiToken, ChannelRecord, CollectionId, CollectionScope, Organisation, Permission, Role, User,
};
use node::{Node, ROOT};
use serde_json::{Value, json};

const HOME: &str = "home";
const PARTNER: &str = "partner-a";
const OTHER: &str = "partner-b";

const PURPOSE: &str = "investigation";
const WRONG_PURPOSE: &str = "tf-screening";

/// The markings every originator shares with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Marking {
    Unmarked,
    Tlp(Tlp),
    /// TLP:GREEN with a handling code: H0, H1 (no judicial use), H2 (no onward
    /// dissemination), H3 (a free-text restriction, here unknown to the node).
    Handling(u8),
}

const MARKINGS: [Marking; 10] = [
    Marking::Unmarked,
    Marking::Tlp(Tlp::Clear),
    Marking::Tlp(Tlp::Green),
    Marking::Tlp(Tlp::Amber),
    Marking::Tlp(Tlp::AmberStrict),
    Marking::Tlp(Tlp::Red),
    Marking::Handling(0),
    Marking::Handling(1),
    Marking::Handling(2),
    Marking::Handling(3),
];

/// The purpose H1 material may not serve, except for its originator.
const JUDICIAL: &str = "judicial-proceedings";

/// One object put in a collection: its id, who originated it, its marking, and a secret
/// phrase in its description that must never appear in a denied response.
#[derive(Clone, Debug)]
struct Put {
    id: String,
    collection: &'static str,
    originator: &'static str,
    marking: Marking,
    secret: String,
}

/// A principal of the matrix.
#[derive(Clone, Debug)]
struct Who {
    user: String,
    org: &'static str,
    role: Role,
    token: String,
}

/// The collections of the matrix.
const CHANNEL: &str = "chan"; // bound to channel "ab": home + partner-a, in force
const EXPIRED: &str = "expired"; // bound to channel "old": home + partner-a, expired
const PRIVATE: &str = "private"; // unbound: private to the home organisation

struct World {
    node: Node,
    ids: std::collections::HashMap<&'static str, String>,
    people: Vec<Who>,
    objects: Vec<Put>,
    /// TAXII status resources of the populating writes: (writer's user, writer's org, id).
    statuses: Vec<(String, &'static str, String)>,
}

fn micros(t: time::OffsetDateTime) -> i64 {
    (t.unix_timestamp_nanos() / 1000) as i64
}

fn object(n: usize, marking: Marking, secret: &str) -> Value {
    let mut o = json!({
        "type": "indicator",
        "spec_version": "2.1",
        "id": format!("indicator--{}", uuid::Uuid::new_v4()),
        "created": "2026-01-01T00:00:00.000Z",
        "modified": "2026-01-01T00:00:00.000Z",
        "name": format!("indicator {n}"),
        "description": secret,
        "pattern": "[ipv4-addr:value = '198.51.100.7']",
        "pattern_type": "stix",
        "valid_from": "2026-01-01T00:00:00Z"
    });
    match marking {
        Marking::Unmarked => {}
        Marking::Tlp(t) => {
            o["object_marking_refs"] = json!([t.marking().id]);
            if t == Tlp::Red {
                o["x_entente_recipients"] = json!([format!("organisation:{HOME}")]);
            }
        }
        Marking::Handling(h) => {
            let code = match h {
                0..=2 => entente_server::policy::markings::FIXED[h as usize]
                    .id
                    .to_owned(),
                _ => format!("marking-definition--{}", uuid::Uuid::new_v4()),
            };
            o["object_marking_refs"] = json!([Tlp::Green.marking().id, code]);
        }
    }
    o
}

impl World {
    async fn new() -> World {
        World::on(Node::start().await).await
    }

    /// The world on a node started by the caller (with its own settings).
    async fn on(node: Node) -> World {
        let s = &node.store;
        for (id, home) in [(PARTNER, false), (OTHER, false)] {
            s.add_organisation(Organisation {
                id: id.into(),
                name: id.into(),
                home,
            })
            .await
            .unwrap();
        }
        let now = time::OffsetDateTime::now_utc();
        let year = time::Duration::days(365);
        for (id, from, until) in [
            ("ab", now - year, Some(now + year)),
            ("old", now - year - year, Some(now - year)),
        ] {
            s.put_channel(ChannelRecord {
                id: id.into(),
                title: id.into(),
                members: vec![HOME.into(), PARTNER.into()],
                legal_basis: "Memorandum of understanding, 2026".into(),
                purposes: vec![PURPOSE.into(), "ct-prevention".into(), JUDICIAL.into()],
                max_marking: "red".into(),
                require_tlp: false,
                valid_from: micros(from),
                valid_until: until.map(micros),
            })
            .await
            .unwrap();
        }
        let mut ids = std::collections::HashMap::new();
        for (name, scope) in [
            (CHANNEL, Some(CollectionScope::Channel("ab".into()))),
            (EXPIRED, Some(CollectionScope::Channel("old".into()))),
            (PRIVATE, None),
        ] {
            let id = node.collection(name, Some(name)).await;
            if let Some(scope) = scope {
                s.set_collection_scope(&CollectionId(id.clone()), scope)
                    .await
                    .unwrap();
            }
            ids.insert(name, id);
        }
        let mut people = Vec::new();
        let roles = [
            Role::Admin,
            Role::Analyst,
            Role::LiaisonOfficer,
            Role::Reviewer,
            Role::Service,
        ];
        for org in [HOME, PARTNER, OTHER] {
            for role in roles {
                let user = format!("{org}-{}", role.as_str());
                s.add_user(User {
                    name: user.clone(),
                    organisation: org.into(),
                    role,
                    password_hash: None,
                })
                .await
                .unwrap();
                let (token, sha256) = entente_server::auth::mint_token();
                s.add_token(ApiToken {
                    sha256,
                    user: user.clone(),
                    label: "matrix".into(),
                })
                .await
                .unwrap();
                // Every principal holds read and write permissions on every collection: what
                // is refused below is refused by the sharing rules alone.
                for c in ids.values() {
                    s.set_permission(Permission {
                        user: user.clone(),
                        collection: CollectionId(c.clone()),
                        can_read: true,
                        can_write: true,
                    })
                    .await
                    .unwrap();
                }
                people.push(Who {
                    user,
                    org,
                    role,
                    token,
                });
            }
        }
        let mut w = World {
            node,
            ids,
            people,
            objects: Vec::new(),
            statuses: Vec::new(),
        };
        w.populate().await;
        w
    }

    fn who(&self, org: &str, role: Role) -> &Who {
        self.people
            .iter()
            .find(|p| p.org == org && p.role == role)
            .unwrap()
    }

    fn url(&self, collection: &str, rest: &str) -> String {
        format!(
            "{}/{ROOT}/collections/{}/{rest}",
            self.node.url, self.ids[collection]
        )
    }

    /// Each originator's analyst posts one object per marking into the channel collection,
    /// and the home analyst into the private one. The expired channel's collection gets its
    /// objects through the store (nobody can post there any more).
    async fn populate(&mut self) {
        let mut n = 0;
        for (collection, originators) in [(CHANNEL, vec![HOME, PARTNER]), (PRIVATE, vec![HOME])] {
            for originator in originators {
                let mut batch = Vec::new();
                for marking in MARKINGS {
                    n += 1;
                    let secret = format!("SECRET-{n}-{}", uuid::Uuid::new_v4().simple());
                    let o = object(n, marking, &secret);
                    self.objects.push(Put {
                        id: o["id"].as_str().unwrap().to_owned(),
                        collection,
                        originator,
                        marking,
                        secret,
                    });
                    batch.push(o);
                }
                let who = self.who(originator, Role::Analyst).clone();
                let r = post(self, &who, collection, &batch, Some(PURPOSE)).await;
                assert_eq!(r.0, 202, "{}", r.2);
                let status: Value = serde_json::from_str(&r.2).unwrap();
                assert_eq!(status["success_count"], MARKINGS.len(), "{status}");
                self.statuses.push((
                    who.user.clone(),
                    originator,
                    status["id"].as_str().unwrap().to_owned(),
                ));
            }
        }
        let mut batch = Vec::new();
        for marking in MARKINGS {
            n += 1;
            let secret = format!("SECRET-{n}-{}", uuid::Uuid::new_v4().simple());
            let o = object(n, marking, &secret);
            self.objects.push(Put {
                id: o["id"].as_str().unwrap().to_owned(),
                collection: EXPIRED,
                originator: PARTNER,
                marking,
                secret,
            });
            batch.push(entente_stix::Object::from_json(&o.to_string()).unwrap());
        }
        let provenance = entente_server::ingest::Provenance {
            originator: entente_server::policy::OrgId(PARTNER.into()),
            received_through: Some(entente_server::policy::ChannelId("old".into())),
        };
        entente_server::ingest::add_objects(
            &self.node.store,
            &CollectionId(self.ids[EXPIRED].clone()),
            batch,
            &provenance,
        )
        .await
        .unwrap();
    }
}

/// A response: status, headers (as one text), body.
type Resp = (u16, String, String);

async fn send(req: reqwest::RequestBuilder, who: &Who, purpose: Option<&str>) -> Resp {
    let mut req = req
        .bearer_auth(&who.token)
        .header("accept", "application/taxii+json;version=2.1");
    if let Some(p) = purpose {
        req = req.header("entente-purpose", p);
    }
    let r = req.send().await.expect("request");
    let status = r.status().as_u16();
    let headers = r
        .headers()
        .iter()
        .map(|(k, v)| format!("{k}: {}\n", v.to_str().unwrap_or("")))
        .collect();
    let body = r.text().await.unwrap_or_default();
    (status, headers, body)
}

async fn get(_w: &World, who: &Who, url: &str, purpose: Option<&str>) -> Resp {
    send(reqwest::Client::new().get(url), who, purpose).await
}

async fn post(
    w: &World,
    who: &Who,
    collection: &str,
    objects: &[Value],
    purpose: Option<&str>,
) -> Resp {
    let body = json!({ "objects": objects }).to_string();
    let req = reqwest::Client::new()
        .post(w.url(collection, "objects/"))
        .header("content-type", "application/taxii+json;version=2.1")
        .body(body);
    send(req, who, purpose).await
}

/// What the rules say a principal gets from a collection for a purpose: `Err(status)` for a
/// refusal of the whole collection, else the set of object ids it may read.
fn expected(
    w: &World,
    who: &Who,
    collection: &str,
    purpose: Option<&str>,
) -> Result<BTreeSet<String>, u16> {
    // Outside the collection's organisation or channel: as if it did not exist.
    let member = match collection {
        PRIVATE => who.org == HOME,
        _ => who.org == HOME || who.org == PARTNER,
    };
    if !member {
        return Err(404);
    }
    // A member without a purpose, or with one the agreement does not allow, or whose
    // agreement expired, is told why (403).
    let Some(purpose) = purpose else {
        return Err(403);
    };
    if collection == EXPIRED {
        return Err(403);
    }
    if collection != PRIVATE && purpose != PURPOSE && purpose != JUDICIAL {
        return Err(403);
    }
    // Service credentials receive only what a transfer to their own organisation may carry:
    // nothing of a private collection, and in a channel only within it (which is where they
    // are). Everyone else reads.
    if who.role == Role::Service && collection == PRIVATE {
        return Ok(BTreeSet::new());
    }
    Ok(w.objects
        .iter()
        .filter(|o| o.collection == collection)
        .filter(|o| match o.marking {
            // TLP:RED: the originator and the named recipients (the home organisation).
            Marking::Tlp(Tlp::Red) => who.org == o.originator || who.org == HOME,
            // H1: no judicial use, except by its originator.
            Marking::Handling(1) => purpose != JUDICIAL || who.org == o.originator,
            _ => true,
        })
        .map(|o| o.id.clone())
        .collect())
}

fn ids_in(body: &str, key: &str) -> BTreeSet<String> {
    let v: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    v[key]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|o| o.get("id").and_then(|i| i.as_str()).map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// Asserts that nothing of the objects outside `allowed` appears in a response.
fn assert_no_leak(w: &World, allowed: &BTreeSet<String>, r: &Resp, cell: &str) {
    for o in &w.objects {
        if allowed.contains(&o.id) {
            continue;
        }
        for (what, text) in [("headers", &r.1), ("body", &r.2)] {
            assert!(
                !text.contains(&o.secret),
                "{cell}: the content of {} leaks through the {what}",
                o.id
            );
            let uuid = o.id.trim_start_matches("indicator--");
            assert!(
                !text.contains(uuid),
                "{cell}: the id of {} leaks through the {what}",
                o.id
            );
        }
    }
}

/// What a search shows of one object.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Seen {
    /// Its id, collection, type, name and version.
    Allowed,
    /// Only that a match exists, and whom to contact.
    HitOnly(&'static str),
    /// Nothing.
    Nothing,
}

/// What a search for `purpose` shows `who` of `o`, by the rules: a search hit is what a read
/// allows; else, hit-only when the object is held in a channel the principal's organisation is
/// in, is not TLP:RED, and the organisation shares a live channel with the originator for the
/// purpose ("ab": home and partner-a, in force, allowing investigation, ct-prevention and
/// judicial proceedings); else nothing. Service credentials only move data between nodes:
/// they find nothing.
fn searched(w: &World, who: &Who, purpose: &str, o: &Put) -> Seen {
    if who.role == Role::Service {
        return Seen::Nothing;
    }
    if expected(w, who, o.collection, Some(purpose)).is_ok_and(|s| s.contains(&o.id)) {
        return Seen::Allowed;
    }
    let in_channel = o.collection != PRIVATE && (who.org == HOME || who.org == PARTNER);
    let live = [PURPOSE, "ct-prevention", JUDICIAL].contains(&purpose)
        && [HOME, PARTNER].contains(&o.originator);
    if in_channel && live && o.marking != Marking::Tlp(Tlp::Red) {
        Seen::HitOnly(o.originator)
    } else {
        Seen::Nothing
    }
}

fn search_url(w: &World, text: &str, limit: usize) -> String {
    format!("{}/entente/v1/search/?q={text}&limit={limit}", w.node.url)
}

/// The ids of the allowed entries and the contacts of the hit-only entries of a search
/// response, after checking the form of every entry: an allowed entry names a collection of
/// the node, an id, a type, a name and a version, and nothing else; a hit-only entry carries
/// `hit_only` and one contact, and nothing else; hit-only entries come last.
fn search_results(w: &World, r: &Resp, cell: &str) -> (Vec<String>, Vec<String>) {
    let v: Value = serde_json::from_str(&r.2).unwrap_or_else(|_| panic!("{cell}: {}", r.2));
    let keys = |e: &Value| -> BTreeSet<String> {
        e.as_object()
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default()
    };
    assert_eq!(
        keys(&v),
        ["more", "results"].map(String::from).into(),
        "{cell}: {v}"
    );
    let (mut ids, mut contacts) = (Vec::new(), Vec::new());
    for e in v["results"].as_array().unwrap() {
        if e.get("hit_only").is_some() {
            assert_eq!(
                keys(e),
                ["contact", "hit_only"].map(String::from).into(),
                "{cell}: {e}"
            );
            assert_eq!(e["hit_only"], json!(true), "{cell}: {e}");
            let c = e["contact"].as_array().expect("a list of contacts");
            assert_eq!(c.len(), 1, "{cell}: {e}");
            contacts.push(c[0].as_str().unwrap().to_owned());
        } else {
            assert!(
                contacts.is_empty(),
                "{cell}: hit-only entries come last: {v}"
            );
            assert_eq!(
                keys(e),
                ["collection", "id", "modified", "name", "type"]
                    .map(String::from)
                    .into(),
                "{cell}: {e}"
            );
            assert!(
                w.ids.values().any(|c| e["collection"] == json!(c)),
                "{cell}: {e}"
            );
            assert_eq!(e["type"], json!("indicator"), "{cell}: {e}");
            ids.push(e["id"].as_str().unwrap().to_owned());
        }
    }
    (ids, contacts)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_adversarial_matrix() {
    let w = World::new().await;
    let nothing = BTreeSet::new();
    let mut cells = 0;
    for who in &w.people {
        for collection in [CHANNEL, EXPIRED, PRIVATE] {
            for purpose in [Some(PURPOSE), Some(JUDICIAL), Some(WRONG_PURPOSE), None] {
                let cell = format!(
                    "{} ({:?}) on {collection} for {purpose:?}",
                    who.user, who.role
                );
                let want = expected(&w, who, collection, purpose);
                let allowed = want.clone().unwrap_or_default();

                // Objects, with a page size of 1 to walk every page and every next token.
                let mut seen = BTreeSet::new();
                let mut url = w.url(collection, "objects/?limit=1");
                loop {
                    let r = get(&w, who, &url, purpose).await;
                    cells += 1;
                    match &want {
                        Err(code) => {
                            assert_eq!(r.0, *code, "{cell}: objects: {}", r.2);
                            assert_no_leak(&w, &nothing, &r, &cell);
                            break;
                        }
                        Ok(_) => assert_eq!(r.0, 200, "{cell}: objects: {}", r.2),
                    }
                    assert_no_leak(&w, &allowed, &r, &cell);
                    seen.extend(ids_in(&r.2, "objects"));
                    let v: Value = serde_json::from_str(&r.2).unwrap();
                    match v["next"].as_str() {
                        Some(next) if v["more"] == json!(true) => {
                            url = w.url(collection, &format!("objects/?limit=1&next={next}"));
                        }
                        _ => {
                            assert_ne!(v["more"], json!(true), "{cell}: more without next");
                            break;
                        }
                    }
                }
                if let Ok(set) = &want {
                    assert_eq!(&seen, set, "{cell}: the objects served");
                }

                // The manifest: same set, no content.
                let r = get(&w, who, &w.url(collection, "manifest/"), purpose).await;
                cells += 1;
                match &want {
                    Err(code) => {
                        assert_eq!(r.0, *code, "{cell}: manifest");
                        assert_no_leak(&w, &nothing, &r, &cell);
                    }
                    Ok(set) => {
                        assert_eq!(r.0, 200, "{cell}: manifest");
                        assert_eq!(&ids_in(&r.2, "objects"), set, "{cell}: manifest");
                        assert_no_leak(&w, set, &r, &cell);
                    }
                }

                // Each object of the collection, and its versions: served when allowed, else
                // exactly the answer for an object that does not exist.
                for o in w.objects.iter().filter(|o| o.collection == collection) {
                    for rest in [
                        format!("objects/{}/", o.id),
                        format!("objects/{}/versions/", o.id),
                    ] {
                        let r = get(&w, who, &w.url(collection, &rest), purpose).await;
                        cells += 1;
                        match &want {
                            Err(code) => assert_eq!(r.0, *code, "{cell}: {rest}"),
                            Ok(set) if set.contains(&o.id) => {
                                assert_eq!(r.0, 200, "{cell}: {rest}: {}", r.2)
                            }
                            Ok(_) => assert_eq!(r.0, 404, "{cell}: {rest} must look absent"),
                        }
                        assert_no_leak(&w, &allowed, &r, &cell);
                    }
                }

                // The collection's own resource: seen by members and owners (even when they
                // may not read it now), concealed from everyone else.
                let r = get(
                    &w,
                    who,
                    &format!("{}/{ROOT}/collections/{}/", w.node.url, w.ids[collection]),
                    purpose,
                )
                .await;
                cells += 1;
                assert_eq!(
                    r.0,
                    if want == Err(404) { 404 } else { 200 },
                    "{cell}: collection"
                );
            }
        }
    }
    // The collections list: exactly the collections of the principal's organisation and
    // channels, whatever the purpose.
    for who in &w.people {
        for purpose in [Some(PURPOSE), None] {
            let r = get(
                &w,
                who,
                &format!("{}/{ROOT}/collections/", w.node.url),
                purpose,
            )
            .await;
            cells += 1;
            assert_eq!(r.0, 200);
            let v: Value = serde_json::from_str(&r.2).unwrap();
            let listed: BTreeSet<String> = v["collections"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .map(|c| c["id"].as_str().unwrap().to_owned())
                        .collect()
                })
                .unwrap_or_default();
            let want: BTreeSet<String> = [CHANNEL, EXPIRED, PRIVATE]
                .into_iter()
                .filter(|c| expected(&w, who, c, Some(PURPOSE)) != Err(404))
                .map(|c| w.ids[c].clone())
                .collect();
            assert_eq!(listed, want, "{}: collections for {purpose:?}", who.user);
        }
        // Status resources: their writer, or an administrator of the writer's organisation.
        for (writer, org, id) in &w.statuses {
            let r = get(
                &w,
                who,
                &format!("{}/{ROOT}/status/{id}/", w.node.url),
                Some(PURPOSE),
            )
            .await;
            cells += 1;
            let may = who.user == *writer || (who.role == Role::Admin && who.org == *org);
            assert_eq!(
                r.0,
                if may { 200 } else { 404 },
                "{} reads the status of {writer}",
                who.user
            );
            if !may {
                assert_no_leak(
                    &w,
                    &BTreeSet::new(),
                    &r,
                    &format!("{} on a status", who.user),
                );
            }
        }
    }
    // Search: every principal x purpose, for a text every object contains (in another case):
    // exactly the allowed objects, one hit-only entry per organisation to contact, nothing of
    // the others. Then each object's own secret: found, or one hit-only entry, or exactly the
    // answer to a text that nothing contains.
    for who in &w.people {
        for purpose in [Some(PURPOSE), Some(JUDICIAL), Some(WRONG_PURPOSE), None] {
            let cell = format!("{} ({:?}) searching for {purpose:?}", who.user, who.role);
            let r = get(&w, who, &search_url(&w, "secret-", 100), purpose).await;
            cells += 1;
            let Some(purpose) = purpose else {
                assert_eq!(r.0, 403, "{cell}: {}", r.2);
                assert!(r.2.contains("purpose"), "{cell}: {}", r.2);
                assert_no_leak(&w, &nothing, &r, &cell);
                continue;
            };
            assert_eq!(r.0, 200, "{cell}: {}", r.2);
            let seen: Vec<(&Put, Seen)> = w
                .objects
                .iter()
                .map(|o| (o, searched(&w, who, purpose, o)))
                .collect();
            let allowed: BTreeSet<String> = seen
                .iter()
                .filter(|(_, s)| *s == Seen::Allowed)
                .map(|(o, _)| o.id.clone())
                .collect();
            let contacts: BTreeSet<String> = seen
                .iter()
                .filter_map(|(_, s)| match s {
                    Seen::HitOnly(c) => Some(c.to_string()),
                    _ => None,
                })
                .collect();
            let (ids, got) = search_results(&w, &r, &cell);
            assert_eq!(ids.len(), allowed.len(), "{cell}: each object once");
            assert_eq!(
                ids.into_iter().collect::<BTreeSet<_>>(),
                allowed,
                "{cell}: the objects found"
            );
            assert_eq!(got, contacts.into_iter().collect::<Vec<_>>(), "{cell}");
            let v: Value = serde_json::from_str(&r.2).unwrap();
            assert_eq!(v["more"], json!(false), "{cell}");
            assert_no_leak(&w, &allowed, &r, &cell);

            if purpose == WRONG_PURPOSE {
                continue;
            }
            let none = get(&w, who, &search_url(&w, "SECRET-none", 10), Some(purpose)).await;
            assert_eq!(none.0, 200);
            for (o, s) in &seen {
                let cell = format!("{cell}: {} ({:?} in {})", o.id, o.marking, o.collection);
                let r = get(&w, who, &search_url(&w, &o.secret, 10), Some(purpose)).await;
                cells += 1;
                assert_eq!(r.0, 200, "{cell}: {}", r.2);
                let (ids, contacts) = search_results(&w, &r, &cell);
                match s {
                    Seen::Allowed => {
                        assert_eq!((ids, contacts), (vec![o.id.clone()], vec![]), "{cell}");
                        // The id is shown, the content is not.
                        assert!(!r.2.contains(&o.secret), "{cell}: {}", r.2);
                    }
                    Seen::HitOnly(c) => {
                        assert_eq!((ids, contacts), (vec![], vec![c.to_string()]), "{cell}");
                        assert_no_leak(&w, &nothing, &r, &cell);
                    }
                    Seen::Nothing => {
                        assert_eq!(r.2, none.2, "{cell}: as if nothing matched");
                        assert_no_leak(&w, &nothing, &r, &cell);
                    }
                }
            }
        }
    }
    assert!(cells >= 2700, "{cells} cells");
}

/// The search: hit-only disclosure (one entry per organisation, last, only the contact), the
/// limit counting visible entries only, bad input, the missing purpose, and the audit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_shows_hits_only_as_far_as_the_gate_allows() {
    let w = World::new().await;
    let who = w.who(HOME, Role::Analyst);
    let before = w
        .node
        .store
        .audit_head()
        .await
        .unwrap()
        .map_or(0, |h| h.seq);

    // For judicial proceedings, home may not read partner-a's H1 object, nor anything of the
    // expired channel: all of it is disclosed as one hit-only entry naming partner-a.
    let r = get(&w, who, &search_url(&w, "secret-", 100), Some(JUDICIAL)).await;
    assert_eq!(r.0, 200, "{}", r.2);
    let v: Value = serde_json::from_str(&r.2).unwrap();
    let results = v["results"].as_array().unwrap();
    let hit_only: Vec<&Value> = results
        .iter()
        .filter(|e| e["hit_only"] == json!(true))
        .collect();
    assert_eq!(
        hit_only,
        [&json!({"hit_only": true, "contact": [PARTNER]})],
        "{v}"
    );
    assert_eq!(
        results.last(),
        Some(hit_only[0]),
        "hit-only entries come last"
    );
    let shown = results.len();
    let allowed: BTreeSet<String> = w
        .objects
        .iter()
        .filter(|o| searched(&w, who, JUDICIAL, o) == Seen::Allowed)
        .map(|o| o.id.clone())
        .collect();
    assert_eq!(shown, allowed.len() + 1);
    assert_no_leak(&w, &allowed, &r, "home for judicial proceedings");
    // An allowed entry: where and what, never the content.
    let first = &results[0];
    let put = w
        .objects
        .iter()
        .find(|o| json!(o.id) == first["id"])
        .unwrap();
    assert_eq!(first["collection"], json!(w.ids[put.collection]));
    assert_eq!(first["modified"], json!("2026-01-01T00:00:00.000Z"));
    assert!(first["name"].as_str().unwrap().starts_with("indicator "));

    // The limit counts visible entries only: `more` says whether another visible one exists.
    for (limit, more) in [
        (1, true),
        (shown - 1, true),
        (shown, false),
        (shown + 1, false),
    ] {
        let r = get(&w, who, &search_url(&w, "SECRET-", limit), Some(JUDICIAL)).await;
        assert_eq!(r.0, 200, "{}", r.2);
        let v: Value = serde_json::from_str(&r.2).unwrap();
        assert_eq!(
            v["results"].as_array().unwrap().len(),
            limit.min(shown),
            "{limit}"
        );
        assert_eq!(v["more"], json!(more), "limit {limit}");
    }
    // A type filter.
    let r = get(
        &w,
        who,
        &format!("{}&type=malware", search_url(&w, "secret-", 100)),
        Some(PURPOSE),
    )
    .await;
    assert_eq!(r.0, 200, "{}", r.2);
    let v: Value = serde_json::from_str(&r.2).unwrap();
    assert_eq!(v, json!({"results": [], "more": false}));

    // Outside every channel, partner-b finds nothing, exactly as if nothing matched, though
    // it holds read permissions on every collection.
    let outsider = w.who(OTHER, Role::Analyst);
    let none = get(
        &w,
        outsider,
        &search_url(&w, "no such text", 10),
        Some(PURPOSE),
    )
    .await;
    for o in &w.objects {
        let r = get(&w, outsider, &search_url(&w, &o.secret, 10), Some(PURPOSE)).await;
        assert_eq!((r.0, &r.2), (200, &none.2));
    }

    // Bad input: a 400 in the node's error form.
    let long = "x".repeat(201);
    for query in [
        "",
        "q=",
        "q=ab",
        &format!("q={long}"),
        "q=secret&limit=0",
        "q=secret&limit=101",
        "q=secret&limit=ten",
        "q=secret&limit=-1",
        "q=secret&type=Indicator",
        "q=secret&colour=red",
        "q=a%00bc",
    ] {
        let url = format!("{}/entente/v1/search/?{query}", w.node.url);
        let r = get(&w, who, &url, Some(PURPOSE)).await;
        assert_eq!(r.0, 400, "{query}: {}", r.2);
        let e: Value = serde_json::from_str(&r.2).expect("a TAXII error message");
        assert_eq!(e["error_code"], json!("bad-request"), "{query}: {e}");
    }
    // 200 characters are accepted.
    let r = get(
        &w,
        who,
        &search_url(&w, &"x".repeat(200), 10),
        Some(PURPOSE),
    )
    .await;
    assert_eq!(r.0, 200, "{}", r.2);
    // No purpose: the gate's refusal, a 403 in the node's error form.
    let r = get(&w, who, &search_url(&w, "secret-", 10), None).await;
    assert_eq!(r.0, 403, "{}", r.2);
    let e: Value = serde_json::from_str(&r.2).expect("a TAXII error message");
    assert!(
        e["description"]
            .as_str()
            .unwrap()
            .contains("entente-purpose"),
        "{e}"
    );
    // No credentials: 401.
    let r = reqwest::get(search_url(&w, "secret-", 10)).await.unwrap();
    assert_eq!(r.status().as_u16(), 401);

    // Every search is recorded: the query, the purpose, what was shown and withheld.
    let entries = w.node.store.audit_page(before, 1000).await.unwrap();
    let searches: Vec<_> = entries
        .iter()
        .filter(|e| e.record.action == "search")
        .collect();
    let first = searches
        .iter()
        .find(|e| e.record.actor == who.user)
        .expect("the search is recorded");
    assert_eq!(first.record.target, "secret-");
    assert_eq!(first.record.purpose.as_deref(), Some(JUDICIAL));
    assert_eq!(first.record.decision, "hit-only");
    assert!(
        first.record.detail.contains(&format!("shown={shown} ")),
        "{}",
        first.record.detail
    );
    assert!(
        first.record.detail.contains("withheld="),
        "{}",
        first.record.detail
    );
    let refused = searches
        .iter()
        .find(|e| e.record.decision == "deny")
        .expect("the refusal is recorded");
    assert_eq!(refused.record.rule, "purpose-declared");
    assert_eq!(refused.record.purpose, None);
    assert!(
        entente_server::audit::verify_store(&w.node.store, None)
            .await
            .unwrap()
            .is_ok()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_follow_the_rules() {
    let w = World::new().await;
    let fresh = |m| object(999, m, "fresh");
    // Reviewers never write; service credentials (partner nodes) write only into a channel,
    // and only versions signed by a node key registered for an organisation.
    let node_key = entente_server::federation::signing::NodeIdentity::generate();
    w.node
        .store
        .add_organisation_key(PARTNER, node_key.public_key())
        .await
        .unwrap();
    let signed = |o: Value| -> Value {
        let object = entente_stix::Object::from_json(&o.to_string()).unwrap();
        let sig = node_key.sign(&object).unwrap();
        serde_json::from_str(&entente_stix::provenance::attach_signature(&object, &sig)).unwrap()
    };
    for org in [HOME, PARTNER] {
        let r = post(
            &w,
            w.who(org, Role::Reviewer),
            CHANNEL,
            &[fresh(Marking::Tlp(Tlp::Green))],
            Some(PURPOSE),
        )
        .await;
        assert_eq!(r.0, 403, "reviewer: {}", r.2);
        let r = post(
            &w,
            w.who(org, Role::Service),
            CHANNEL,
            &[fresh(Marking::Tlp(Tlp::Green))],
            Some(PURPOSE),
        )
        .await;
        let s: Value = serde_json::from_str(&r.2).unwrap();
        assert_eq!(s["failure_count"], 1, "unsigned, from a service: {s}");
        assert!(s.to_string().contains("must carry its signature"), "{s}");
        let r = post(
            &w,
            w.who(org, Role::Service),
            CHANNEL,
            &[signed(fresh(Marking::Tlp(Tlp::Green)))],
            Some(PURPOSE),
        )
        .await;
        let s: Value = serde_json::from_str(&r.2).unwrap();
        assert_eq!(s["success_count"], 1, "service into a channel: {s}");
    }
    let r = post(
        &w,
        w.who(HOME, Role::Service),
        PRIVATE,
        &[signed(fresh(Marking::Tlp(Tlp::Green)))],
        Some(PURPOSE),
    )
    .await;
    let s: Value = serde_json::from_str(&r.2).unwrap();
    assert_eq!(
        s["failure_count"], 1,
        "service into a private collection: {s}"
    );
    // Outsiders: 404; an expired agreement, a missing or wrong purpose: 403. Nothing stored.
    let before: Vec<_> = stored(&w).await;
    let analyst = w.who(OTHER, Role::Analyst);
    assert_eq!(
        post(
            &w,
            analyst,
            CHANNEL,
            &[fresh(Marking::Unmarked)],
            Some(PURPOSE)
        )
        .await
        .0,
        404
    );
    assert_eq!(
        post(
            &w,
            analyst,
            PRIVATE,
            &[fresh(Marking::Unmarked)],
            Some(PURPOSE)
        )
        .await
        .0,
        404
    );
    let partner = w.who(PARTNER, Role::Analyst);
    assert_eq!(
        post(
            &w,
            partner,
            EXPIRED,
            &[fresh(Marking::Unmarked)],
            Some(PURPOSE)
        )
        .await
        .0,
        403
    );
    assert_eq!(
        post(&w, partner, CHANNEL, &[fresh(Marking::Unmarked)], None)
            .await
            .0,
        403
    );
    assert_eq!(
        post(
            &w,
            partner,
            CHANNEL,
            &[fresh(Marking::Unmarked)],
            Some(WRONG_PURPOSE)
        )
        .await
        .0,
        403
    );
    assert_eq!(stored(&w).await, before, "refusals stored nothing");

    // A channel that requires TLP refuses unmarked objects, and one whose ceiling is AMBER
    // refuses RED, each with a failed status entry; the others in the envelope are stored.
    w.node
        .store
        .put_channel(ChannelRecord {
            id: "ab".into(),
            title: "ab".into(),
            members: vec![HOME.into(), PARTNER.into()],
            legal_basis: "Memorandum of understanding, 2026".into(),
            purposes: vec![PURPOSE.into()],
            max_marking: "amber".into(),
            require_tlp: true,
            valid_from: 0,
            valid_until: None,
        })
        .await
        .unwrap();
    tokio::time::sleep(entente_server::sharing::SNAPSHOT_TTL).await;
    let r = post(
        &w,
        partner,
        CHANNEL,
        &[
            fresh(Marking::Unmarked),
            fresh(Marking::Tlp(Tlp::Red)),
            fresh(Marking::Tlp(Tlp::Amber)),
        ],
        Some(PURPOSE),
    )
    .await;
    let s: Value = serde_json::from_str(&r.2).unwrap();
    assert_eq!(
        (s["success_count"].as_u64(), s["failure_count"].as_u64()),
        (Some(1), Some(2)),
        "{s}"
    );
    let messages: Vec<&str> = s["failures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["message"].as_str().unwrap())
        .collect();
    assert!(
        messages
            .iter()
            .any(|m| m.contains("requires every object to carry a TLP marking")),
        "{messages:?}"
    );
    assert!(
        messages
            .iter()
            .any(|m| m.contains("above what the channel allows")),
        "{messages:?}"
    );
}

async fn stored(w: &World) -> Vec<Vec<(String, String, i64)>> {
    let mut out = Vec::new();
    for c in [CHANNEL, EXPIRED, PRIVATE] {
        out.push(w.node.snapshot(&w.ids[c]).await);
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deletion_is_for_the_originator_and_never_reveals() {
    let w = World::new().await;
    let partner_green = w
        .objects
        .iter()
        .find(|o| {
            o.collection == CHANNEL
                && o.originator == PARTNER
                && o.marking == Marking::Tlp(Tlp::Green)
        })
        .unwrap()
        .id
        .clone();
    let delete = |who: &Who, id: &str| {
        let url = w.url(CHANNEL, &format!("objects/{id}/"));
        let who = who.clone();
        async move { send(reqwest::Client::new().delete(url), &who, Some(PURPOSE)).await }
    };
    // The home analyst may read it but it is the partner's: 403. An outsider: 404.
    assert_eq!(
        delete(w.who(HOME, Role::Analyst), &partner_green).await.0,
        403
    );
    assert_eq!(
        delete(w.who(OTHER, Role::Analyst), &partner_green).await.0,
        404
    );
    // The originator deletes it; afterwards it is absent for everyone.
    assert_eq!(
        delete(w.who(PARTNER, Role::Analyst), &partner_green)
            .await
            .0,
        200
    );
    assert_eq!(
        delete(w.who(PARTNER, Role::Analyst), &partner_green)
            .await
            .0,
        404
    );
}

/// Pages of a collection larger than one store page, with versions withheld here and there:
/// every visible version is served exactly once, in `date_added` order, each page but the
/// last full, whatever the page size, and nothing withheld appears.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_pages_with_withheld_versions() {
    // Pages as large as a store page and larger.
    let node = Node::start_with(|c| c.taxii.max_page_size = 1000).await;
    let mut w = World::on(node).await;
    let home = w.who(HOME, Role::Analyst).clone();
    // 260 more objects of home, one in 7 TLP:RED for home alone; partner-a may not see those.
    let mut batch = Vec::new();
    for n in 0..260 {
        let marking = if n % 7 == 3 {
            Marking::Tlp(Tlp::Red)
        } else {
            Marking::Tlp(Tlp::Green)
        };
        let secret = format!("BULK-{n}-{}", uuid::Uuid::new_v4().simple());
        let o = object(1000 + n, marking, &secret);
        w.objects.push(Put {
            id: o["id"].as_str().unwrap().to_owned(),
            collection: CHANNEL,
            originator: HOME,
            marking,
            secret,
        });
        batch.push(o);
    }
    let r = post(&w, &home, CHANNEL, &batch, Some(PURPOSE)).await;
    assert_eq!(r.0, 202, "{}", r.2);
    let who = w.who(PARTNER, Role::Analyst).clone();
    let visible = expected(&w, &who, CHANNEL, Some(PURPOSE)).unwrap();
    assert!(visible.len() < w.objects.iter().filter(|o| o.collection == CHANNEL).count());
    for limit in [100, 99, 37, 250] {
        let mut served = Vec::new();
        let mut url = w.url(CHANNEL, &format!("objects/?limit={limit}"));
        let mut last_added = String::new();
        loop {
            let r = get(&w, &who, &url, Some(PURPOSE)).await;
            assert_eq!(r.0, 200, "{}", r.2);
            assert_no_leak(&w, &visible, &r, &format!("limit {limit}"));
            let v: Value = serde_json::from_str(&r.2).unwrap();
            let page: Vec<String> = v["objects"]
                .as_array()
                .unwrap()
                .iter()
                .map(|o| o["id"].as_str().unwrap().to_owned())
                .collect();
            // The date headers follow each other from page to page.
            let first = header(&r.1, "x-taxii-date-added-first");
            assert!(
                first > last_added,
                "limit {limit}: {first} after {last_added}"
            );
            last_added = header(&r.1, "x-taxii-date-added-last");
            served.extend(page.iter().cloned());
            match v["next"].as_str() {
                Some(next) if v["more"] == json!(true) => {
                    assert_eq!(
                        page.len(),
                        limit,
                        "limit {limit}: a page before the last is full"
                    );
                    url = w.url(CHANNEL, &format!("objects/?limit={limit}&next={next}"));
                }
                _ => {
                    assert_ne!(v["more"], json!(true), "limit {limit}: more without next");
                    break;
                }
            }
        }
        let unique: BTreeSet<String> = served.iter().cloned().collect();
        assert_eq!(unique.len(), served.len(), "limit {limit}: served twice");
        assert_eq!(unique, visible, "limit {limit}: the versions served");
    }
}

/// The value of one response header (from [`Resp`]'s header text).
fn header(headers: &str, name: &str) -> String {
    headers
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_owned())
        })
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_read_is_audited_with_its_purpose() {
    let w = World::new().await;
    let who = w.who(PARTNER, Role::Analyst);
    let before = w
        .node
        .store
        .audit_head()
        .await
        .unwrap()
        .map_or(0, |h| h.seq);
    let r = get(&w, who, &w.url(CHANNEL, "objects/"), Some(PURPOSE)).await;
    assert_eq!(r.0, 200);
    let r = get(&w, who, &w.url(CHANNEL, "objects/"), Some(WRONG_PURPOSE)).await;
    assert_eq!(r.0, 403);
    let entries = w.node.store.audit_page(before, 100).await.unwrap();
    let read = entries
        .iter()
        .find(|e| e.record.action == "taxii.objects.read")
        .expect("the read is recorded");
    assert_eq!(read.record.actor, who.user);
    assert_eq!(read.record.organisation, PARTNER);
    assert_eq!(read.record.purpose.as_deref(), Some(PURPOSE));
    assert_eq!(read.record.decision, "allow");
    // partner-a reads home's RED object? It is named for home only: withheld, and counted.
    assert!(
        read.record
            .detail
            .contains(&format!("served={} withheld=1", 2 * MARKINGS.len() - 1)),
        "{}",
        read.record.detail
    );
    let denied = entries
        .iter()
        .find(|e| e.record.decision == "deny")
        .expect("the refusal is recorded");
    assert_eq!(denied.record.purpose.as_deref(), Some(WRONG_PURPOSE));
    assert_eq!(denied.record.rule, "agreement-purpose");
    let verified = entente_server::audit::verify_store(&w.node.store, None)
        .await
        .unwrap();
    assert!(verified.is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_purpose_is_a_taxii_error() {
    let w = World::new().await;
    let who = w.who(HOME, Role::Analyst);
    for bad in ["Investigation", "two words", "x".repeat(200).as_str(), ""] {
        let r = get(&w, who, &w.url(CHANNEL, "objects/"), Some(bad)).await;
        assert_eq!(r.0, 400, "{bad:?}: {}", r.2);
        let v: Value = serde_json::from_str(&r.2).expect("a TAXII error message");
        assert!(v["title"].is_string(), "{v}");
    }
}

async fn api(
    w: &World,
    who: &Who,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut req = reqwest::Client::new()
        .request(method, format!("{}/entente/v1/{path}", w.node.url))
        .bearer_auth(&who.token)
        .header("entente-purpose", PURPOSE);
    if let Some(b) = body {
        req = req
            .header("content-type", "application/json")
            .body(b.to_string());
    }
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partners_object_travels_only_with_its_release() {
    let w = World::new().await;
    let store = &w.node.store;
    store
        .put_channel(ChannelRecord {
            id: "hb".into(),
            title: "hb".into(),
            members: vec![HOME.into(), OTHER.into()],
            legal_basis: "Bilateral agreement".into(),
            purposes: vec![PURPOSE.into()],
            max_marking: "red".into(),
            require_tlp: false,
            valid_from: 0,
            valid_until: None,
        })
        .await
        .unwrap();
    let onward = w.node.collection("onward", Some("onward")).await;
    store
        .set_collection_scope(
            &CollectionId(onward.clone()),
            CollectionScope::Channel("hb".into()),
        )
        .await
        .unwrap();
    tokio::time::sleep(entente_server::sharing::SNAPSHOT_TTL).await;
    let onward_url = format!("{}/{ROOT}/collections/{onward}/objects/", w.node.url);
    let home = w.who(HOME, Role::Analyst).clone();
    let other = w.who(OTHER, Role::Analyst).clone();
    let amber = w
        .objects
        .iter()
        .find(|o| {
            o.collection == CHANNEL
                && o.originator == PARTNER
                && o.marking == Marking::Tlp(Tlp::Amber)
        })
        .unwrap()
        .clone();
    for u in [&home.user, &other.user] {
        store
            .set_permission(Permission {
                user: u.clone(),
                collection: CollectionId(onward.clone()),
                can_read: true,
                can_write: true,
            })
            .await
            .unwrap();
    }

    // The home analyst can read the partner's object, and copies it into another channel.
    let r = get(
        &w,
        &home,
        &w.url(CHANNEL, &format!("objects/{}/", amber.id)),
        Some(PURPOSE),
    )
    .await;
    assert_eq!(r.0, 200);
    let copy: Value = serde_json::from_str::<Value>(&r.2).unwrap()["objects"][0].clone();
    let repost = || {
        let body = json!({ "objects": [copy.clone()] }).to_string();
        let req = reqwest::Client::new()
            .post(&onward_url)
            .header("content-type", "application/taxii+json;version=2.1")
            .body(body);
        send(req, &home, Some(PURPOSE))
    };
    let (status, _, text) = repost().await;
    assert_eq!(status, 202);
    let s: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(s["failure_count"], 1, "{s}");
    assert!(
        s["failures"][0]["message"]
            .as_str()
            .unwrap()
            .contains("originator's release"),
        "{s}"
    );
    let r = get(&w, &other, &onward_url, Some(PURPOSE)).await;
    assert_no_leak(&w, &BTreeSet::new(), &r, "partner-b before the release");

    // The home analyst asks partner-a; partner-b cannot see the request; home cannot grant.
    let (status, req) = api(
        &w,
        &home,
        reqwest::Method::POST,
        "releases/",
        Some(json!({
            "api_root": ROOT,
            "collection": w.ids[CHANNEL],
            "object_id": amber.id,
            "destination": "channel:hb",
            "reason": "joint investigation with partner-b"
        })),
    )
    .await;
    assert_eq!(status, 201, "{req}");
    assert_eq!(req["state"], "pending");
    assert_eq!(req["four_eyes"], false);
    let id = req["id"].as_str().unwrap().to_owned();
    assert_eq!(
        api(
            &w,
            &other,
            reqwest::Method::GET,
            &format!("releases/{id}/"),
            None
        )
        .await
        .0,
        404
    );
    assert_eq!(
        api(
            &w,
            &home,
            reqwest::Method::POST,
            &format!("releases/{id}/grant/"),
            None
        )
        .await
        .0,
        403
    );
    // Malformed filings change nothing.
    for bad in [
        json!({"api_root": ROOT}),
        json!({"api_root": ROOT, "collection": w.ids[CHANNEL], "object_id": "nope", "destination": "channel:hb", "reason": "x"}),
    ] {
        assert_eq!(
            api(&w, &home, reqwest::Method::POST, "releases/", Some(bad))
                .await
                .0,
            400
        );
    }

    // The originator grants: the copy now goes through, keeping its originator.
    let partner = w.who(PARTNER, Role::Analyst).clone();
    let (status, granted) = api(
        &w,
        &partner,
        reqwest::Method::POST,
        &format!("releases/{id}/grant/"),
        Some(json!({"conditions": ["not for publication"]})),
    )
    .await;
    assert_eq!(status, 200, "{granted}");
    assert_eq!(granted["state"], "granted");
    tokio::time::sleep(entente_server::sharing::SNAPSHOT_TTL).await;
    let (_, _, text) = repost().await;
    let s: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(s["success_count"], 1, "{s}");
    let r = get(&w, &other, &onward_url, Some(PURPOSE)).await;
    assert_eq!(ids_in(&r.2, "objects"), BTreeSet::from([amber.id.clone()]));
    let f = entente_store::ObjectFilter {
        limit: 10,
        ..Default::default()
    };
    let stored = store
        .objects_page(&CollectionId(onward.clone()), &f)
        .await
        .unwrap();
    assert_eq!(stored.items[0].sharing.originator.as_deref(), Some(PARTNER));
    assert_eq!(
        stored.items[0].sharing.received_through.as_deref(),
        Some("hb")
    );

    // Four eyes for TLP:RED: the first grant waits for another user of the originator.
    let red = w
        .objects
        .iter()
        .find(|o| {
            o.collection == CHANNEL
                && o.originator == PARTNER
                && o.marking == Marking::Tlp(Tlp::Red)
        })
        .unwrap();
    let (status, req) = api(
        &w,
        &home,
        reqwest::Method::POST,
        "releases/",
        Some(json!({
            "api_root": ROOT, "collection": w.ids[CHANNEL], "object_id": red.id,
            "destination": "export", "reason": "court file"
        })),
    )
    .await;
    assert_eq!(status, 201, "{req}");
    assert_eq!(req["four_eyes"], true);
    let id = req["id"].as_str().unwrap().to_owned();
    let (_, first) = api(
        &w,
        &partner,
        reqwest::Method::POST,
        &format!("releases/{id}/grant/"),
        None,
    )
    .await;
    assert_eq!(first["state"], "awaiting-second-approval");
    assert_eq!(
        api(
            &w,
            &partner,
            reqwest::Method::POST,
            &format!("releases/{id}/confirm/"),
            None
        )
        .await
        .0,
        403
    );
    let second = w.who(PARTNER, Role::LiaisonOfficer).clone();
    let (status, done) = api(
        &w,
        &second,
        reqwest::Method::POST,
        &format!("releases/{id}/confirm/"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{done}");
    assert_eq!(done["state"], "granted");
    assert_eq!(done["granted_by"], json!([partner.user, second.user]));

    let entries = store.audit_page(0, 100_000).await.unwrap();
    for action in ["release.request", "release.grant", "release.confirm"] {
        assert!(
            entries.iter().any(|e| e.record.action == action),
            "{action} audited"
        );
    }
}

async fn admin_call(
    w: &World,
    who: &Who,
    method: reqwest::Method,
    path: &str,
    body: Value,
) -> (u16, Value) {
    let r = reqwest::Client::new()
        .request(method, format!("{}/entente/v1/{path}", w.node.url))
        .bearer_auth(&who.token)
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn administrators_manage_organisations_channels_users_and_bindings() {
    let w = World::new().await;
    let admin = w.who(HOME, Role::Admin).clone();
    let analyst = w.who(HOME, Role::Analyst).clone();
    let post = reqwest::Method::POST;
    let put = reqwest::Method::PUT;
    // Only administrators change the configuration; each refusal is a 403 and changes nothing.
    let (s, _) = admin_call(
        &w,
        &analyst,
        post.clone(),
        "organisations/",
        json!({"id": "partner-c"}),
    )
    .await;
    assert_eq!(s, 403);
    for bad in [
        json!({"id": "bad id"}),
        json!({"name": "no id"}),
        json!({"id": "x", "extra": 1}),
    ] {
        assert_eq!(
            admin_call(&w, &admin, post.clone(), "organisations/", bad)
                .await
                .0,
            400
        );
    }
    let (s, o) = admin_call(
        &w,
        &admin,
        post.clone(),
        "organisations/",
        json!({"id": "partner-c", "name": "Partner C"}),
    )
    .await;
    assert_eq!(s, 201, "{o}");
    assert_eq!(
        admin_call(
            &w,
            &admin,
            post.clone(),
            "organisations/",
            json!({"id": "partner-c"})
        )
        .await
        .0,
        422
    );

    let agreement = json!({
        "members": ["home", "partner-c"], "legal_basis": "Exchange of letters, 2026",
        "purposes": ["investigation"], "max_marking": "amber", "valid_from": "2026-01-01T00:00:00Z"
    });
    assert_eq!(
        admin_call(&w, &analyst, put.clone(), "channels/hc/", agreement.clone())
            .await
            .0,
        403
    );
    let mut unknown = agreement.clone();
    unknown["members"] = json!(["home", "nobody"]);
    assert_eq!(
        admin_call(&w, &admin, put.clone(), "channels/hc/", unknown)
            .await
            .0,
        422
    );
    let mut backwards = agreement.clone();
    backwards["valid_until"] = json!("2025-01-01T00:00:00Z");
    assert_eq!(
        admin_call(&w, &admin, put.clone(), "channels/hc/", backwards)
            .await
            .0,
        400
    );
    let (s, c) = admin_call(&w, &admin, put.clone(), "channels/hc/", agreement).await;
    assert_eq!(s, 200, "{c}");

    let coll = w.node.collection("hc", Some("hc")).await;
    assert_eq!(
        admin_call(
            &w,
            &admin,
            put.clone(),
            &format!("collections/{coll}/scope/"),
            json!({"channel": "nope"})
        )
        .await
        .0,
        422
    );
    assert_eq!(
        admin_call(
            &w,
            &admin,
            put.clone(),
            &format!("collections/{coll}/scope/"),
            json!({"channel": "hc", "owner": "home"})
        )
        .await
        .0,
        400
    );
    assert_eq!(
        admin_call(
            &w,
            &admin,
            put.clone(),
            &format!("collections/{coll}/scope/"),
            json!({"channel": "hc"})
        )
        .await
        .0,
        200
    );

    let (s, u) = admin_call(&w, &admin, post.clone(), "users/", json!({"name": "c-analyst", "organisation": "partner-c", "role": "analyst", "purpose": PURPOSE})).await;
    assert_eq!(s, 201, "{u}");
    assert_eq!(
        admin_call(
            &w,
            &admin,
            post.clone(),
            "users/",
            json!({"name": "x", "organisation": "nowhere", "role": "analyst"})
        )
        .await
        .0,
        422
    );
    assert_eq!(
        admin_call(
            &w,
            &admin,
            post.clone(),
            "users/",
            json!({"name": "y", "organisation": "home", "role": "wizard"})
        )
        .await
        .0,
        400
    );
    w.node.grant("c-analyst", &coll, true, true).await;
    let c_analyst = Who {
        user: "c-analyst".into(),
        org: "partner-c",
        role: Role::Analyst,
        token: u["token"].as_str().unwrap().to_owned(),
    };
    // The new partner reads the new channel (its default purpose applies), and nothing else.
    let url = format!("{}/{ROOT}/collections/{coll}/objects/", w.node.url);
    assert_eq!(get(&w, &c_analyst, &url, None).await.0, 200);
    assert_eq!(
        get(&w, &c_analyst, &w.url(CHANNEL, "objects/"), None)
            .await
            .0,
        404
    );
    // Channels are listed to their members only; organisations to everyone.
    let r = reqwest::Client::new()
        .get(format!("{}/entente/v1/channels/", w.node.url))
        .bearer_auth(&c_analyst.token)
        .send()
        .await
        .unwrap();
    let v: Value = r.json().await.unwrap();
    let ids: Vec<&str> = v["channels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["hc"]);
    let entries = w.node.store.audit_page(0, 100_000).await.unwrap();
    for action in ["org.add", "channel.put", "collection.bind", "user.add"] {
        assert!(
            entries
                .iter()
                .any(|e| e.record.action == action && e.record.actor == admin.user),
            "{action}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversight_reads_the_audit_trail() {
    let w = World::new().await;
    let audit = |who: &Who, q: &str| {
        let url = format!("{}/entente/v1/audit/{q}", w.node.url);
        let token = who.token.clone();
        async move {
            let r = reqwest::Client::new()
                .get(url)
                .bearer_auth(token)
                .send()
                .await
                .unwrap();
            (
                r.status().as_u16(),
                r.json::<Value>().await.unwrap_or(Value::Null),
            )
        }
    };
    for role in [Role::Analyst, Role::LiaisonOfficer, Role::Service] {
        assert_eq!(audit(w.who(HOME, role), "").await.0, 403, "{role:?}");
    }
    let reviewer = w.who(HOME, Role::Reviewer);
    for bad in ["?after=x", "?limit=1&limit=2", "?order=desc"] {
        assert_eq!(audit(reviewer, bad).await.0, 400, "{bad}");
    }
    let (s, v) = audit(reviewer, "?limit=5").await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["chain_intact"], true);
    let entries = v["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 5);
    assert_eq!(entries[0]["seq"], 1);
    // The refusals above are in the trail, and so is this reading.
    let (_, v) = audit(reviewer, "?after=0&limit=1000").await;
    let all = v["entries"].as_array().unwrap();
    assert!(
        all.iter()
            .any(|e| e["action"] == "access.deny" && e["detail"] == "action=readaudit")
    );
    assert!(
        all.iter()
            .any(|e| e["action"] == "audit.read" && e["actor"] == reviewer.user.as_str())
    );
}
