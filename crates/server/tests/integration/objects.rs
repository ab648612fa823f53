//! Objects, one object, versions, manifest, delete and status, with every filter.

use entente_store::CollectionId;
use entente_taxii::{
    Envelope, ObjectQuery, PollOptions, StatusKind, VersionFilter, client::DATE_ADDED_LAST,
};
use serde_json::value::RawValue;

use super::node::{World, envelope, ids_of, indicator, indicator_version, malware, uuid_for};

fn ind(n: u32) -> String {
    format!("indicator--{}", uuid_for(n))
}

fn mal(n: u32) -> String {
    format!("malware--{}", uuid_for(n))
}

/// Posts, in this order: indicator 1 v0, v1, v2; indicator 2 v0; malware 1.
async fn seeded() -> World {
    let w = World::new().await;
    let status = w
        .alice()
        .add_objects_and_wait(
            &envelope(&[
                indicator(1, 0),
                indicator(1, 1),
                indicator(1, 2),
                indicator(2, 0),
                malware(1),
            ]),
            &PollOptions::default(),
        )
        .await
        .unwrap();
    assert_eq!(status.status, StatusKind::Complete);
    assert_eq!(
        (
            status.total_count,
            status.success_count,
            status.failure_count
        ),
        (5, 5, 0),
        "{status:?}"
    );
    w
}

async fn ids(w: &World, q: ObjectQuery) -> Vec<String> {
    ids_of(&w.alice().objects(&q).await.unwrap().body.objects)
}

/// (id, modified) of each object of a page.
async fn versions_of(w: &World, q: ObjectQuery) -> Vec<(String, String)> {
    w.alice()
        .objects(&q)
        .await
        .unwrap()
        .body
        .objects
        .iter()
        .map(|o| {
            let v: serde_json::Value = serde_json::from_str(o.get()).unwrap();
            (
                v["id"].as_str().unwrap().to_owned(),
                v["modified"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn add_returns_a_complete_status_that_stays_retrievable_by_its_owner_and_admins() {
    let w = World::new().await;
    let status = w
        .alice()
        .add_objects(&envelope(&[indicator(1, 0), malware(1)]))
        .await
        .unwrap();
    assert_eq!(status.status, StatusKind::Complete);
    assert_eq!(status.success_count, 2);
    assert_eq!(status.pending_count, 0);
    assert!(status.request_timestamp.is_some());
    assert_eq!(status.successes[0].id, ind(1));
    assert_eq!(status.successes[0].version, indicator_version(0));
    let root = |t: &str| w.node.client(t).api_root(&w.node.root_url()).unwrap();
    assert_eq!(root(&w.alice).status(&status.id).await.unwrap(), status);
    assert_eq!(root(&w.admin).status(&status.id).await.unwrap(), status);
    // Another user cannot read it, and cannot learn that it exists.
    let e = root(&w.reader).status(&status.id).await.unwrap_err();
    assert_eq!(e.http_status(), Some(404));
    let e = root(&w.alice).status("no-such-status").await.unwrap_err();
    assert_eq!(e.http_status(), Some(404));
}

#[tokio::test]
async fn default_listing_is_the_last_version_of_each_object_in_date_added_order() {
    let w = seeded().await;
    let page = w.alice().objects(&ObjectQuery::new()).await.unwrap();
    assert_eq!(page.body.more, Some(false));
    assert!(page.body.next.is_none());
    assert_eq!(ids_of(&page.body.objects), [ind(1), ind(2), mal(1)]);
    assert!(page.date_added_first.is_some());
    assert!(page.date_added_first < page.date_added_last);
    assert_eq!(
        versions_of(&w, ObjectQuery::new().ids([ind(1)])).await,
        [(ind(1), indicator_version(2))]
    );
}

#[tokio::test]
async fn match_type_id_version_and_their_combinations() {
    let w = seeded().await;
    let q = ObjectQuery::new;
    assert_eq!(ids(&w, q().types(["malware"])).await, [mal(1)]);
    assert_eq!(
        ids(&w, q().types(["indicator", "malware"])).await,
        [ind(1), ind(2), mal(1)]
    );
    assert_eq!(ids(&w, q().types(["identity"])).await, Vec::<String>::new());
    assert_eq!(ids(&w, q().ids([ind(2), mal(1)])).await, [ind(2), mal(1)]);
    assert_eq!(
        ids(&w, q().ids(["indicator--does-not-exist"])).await,
        Vec::<String>::new()
    );
    // Different fields combine with AND.
    assert_eq!(
        ids(&w, q().ids([ind(1), mal(1)]).types(["malware"])).await,
        [mal(1)]
    );

    let v = |n| (ind(1), indicator_version(n));
    let all = versions_of(&w, q().ids([ind(1)]).versions([VersionFilter::All])).await;
    assert_eq!(all, [v(0), v(1), v(2)]);
    let first = versions_of(&w, q().ids([ind(1)]).versions([VersionFilter::First])).await;
    assert_eq!(first, [v(0)]);
    let last = versions_of(&w, q().ids([ind(1)]).versions([VersionFilter::Last])).await;
    assert_eq!(last, [v(2)]);
    let both = versions_of(
        &w,
        q().ids([ind(1)])
            .versions([VersionFilter::First, VersionFilter::Last]),
    )
    .await;
    assert_eq!(both, [v(0), v(2)]);
    let at = versions_of(
        &w,
        q().versions([VersionFilter::At(indicator_version(1).parse().unwrap())]),
    )
    .await;
    assert_eq!(at, [v(1)]);
    // Every version of every indicator.
    let every = versions_of(&w, q().types(["indicator"]).versions([VersionFilter::All])).await;
    assert_eq!(every.len(), 4);
    // `first` of indicator 2 is also its last.
    assert_eq!(
        ids(&w, q().ids([ind(2)]).versions([VersionFilter::First])).await,
        [ind(2)]
    );
}

#[tokio::test]
async fn comma_separated_and_repeated_match_parameters_are_ored() {
    let w = seeded().await;
    let base = w.objects_url();
    for query in [
        "match[type]=indicator,malware",
        "match[type]=indicator&match[type]=malware",
        "match%5Btype%5D=indicator%2Cmalware",
    ] {
        let env: Envelope = w
            .http()
            .get(format!("{base}?{query}"))
            .bearer_auth(&w.alice)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(env.objects.len(), 3, "{query}");
    }
}

#[tokio::test]
async fn added_after_is_strict_and_combines_with_other_filters() {
    let w = World::new().await;
    let c = w.alice();
    c.add_objects(&envelope(&[indicator(1, 0), malware(1)]))
        .await
        .unwrap();
    let first_batch = c.objects(&ObjectQuery::new()).await.unwrap();
    let cut = first_batch.date_added_last.clone().unwrap();
    c.add_objects(&envelope(&[indicator(1, 1), indicator(2, 0)]))
        .await
        .unwrap();
    let after = ObjectQuery::new().added_after(cut.parse().unwrap());
    assert_eq!(ids(&w, after.clone()).await, [ind(1), ind(2)]);
    assert_eq!(
        versions_of(&w, after.clone().ids([ind(1)])).await,
        [(ind(1), indicator_version(1))]
    );
    assert_eq!(
        ids(&w, after.clone().types(["malware"])).await,
        Vec::<String>::new()
    );
    // Added after the very first object: everything else.
    let very_first = first_batch.date_added_first.unwrap();
    let q = ObjectQuery::new()
        .added_after(very_first.parse().unwrap())
        .versions([VersionFilter::All]);
    assert_eq!(ids(&w, q).await, [mal(1), ind(1), ind(2)]);
    // Far future: nothing, and `more` is false.
    let page = c
        .objects(&ObjectQuery::new().added_after("2999-01-01T00:00:00Z".parse().unwrap()))
        .await
        .unwrap();
    assert!(page.body.objects.is_empty());
    assert_eq!(page.body.more, Some(false));
    assert!(page.date_added_first.is_none());
}

#[tokio::test]
async fn match_spec_version_selects_among_versions_of_different_specs() {
    let w = World::new().await;
    // A STIX 2.0 version (no spec_version) stored directly: the API only accepts 2.1.
    let old = r#"{"type":"indicator","id":"indicator--00000000-0000-4000-8000-000000000001","created":"2020-01-01T00:00:00.000Z","modified":"2020-01-01T00:00:00.000Z","labels":["malicious-activity"],"pattern":"[ipv4-addr:value = '198.51.100.7']","valid_from":"2020-01-01T00:00:00Z"}"#;
    w.node
        .store
        .add_objects(
            &CollectionId(w.coll.clone()),
            vec![entente_stix::Object::from_json(old).unwrap()],
        )
        .await
        .unwrap();
    w.alice()
        .add_objects(&envelope(&[indicator(1, 0)]))
        .await
        .unwrap();
    let all = || ObjectQuery::new().versions([VersionFilter::All]);
    // Without match[spec_version]: the latest spec_version only.
    assert_eq!(
        versions_of(&w, all()).await,
        [(ind(1), indicator_version(0))]
    );
    assert_eq!(
        versions_of(&w, all().spec_versions(["2.0"])).await,
        [(ind(1), "2020-01-01T00:00:00.000Z".to_owned())]
    );
    assert_eq!(
        versions_of(&w, all().spec_versions(["2.0", "2.1"]))
            .await
            .len(),
        2
    );
    let m = w
        .alice()
        .manifest(&all().spec_versions(["2.0", "2.1"]))
        .await
        .unwrap()
        .body;
    let media: Vec<_> = m
        .objects
        .iter()
        .map(|r| r.media_type.clone().unwrap())
        .collect();
    assert_eq!(
        media,
        [
            "application/stix+json;version=2.0",
            "application/stix+json;version=2.1"
        ]
    );
    // Deleting with match[spec_version] removes only that spec's versions.
    w.alice()
        .delete_object(&ind(1), &ObjectQuery::new().spec_versions(["2.0"]))
        .await
        .unwrap();
    assert_eq!(
        versions_of(&w, all().spec_versions(["2.0", "2.1"])).await,
        [(ind(1), indicator_version(0))]
    );
}

#[tokio::test]
async fn object_text_is_served_byte_for_byte() {
    let w = World::new().await;
    // Odd key order, spacing, a number with a trailing zero and nanosecond timestamps.
    let text = r#"{"valid_from": "2021-01-01T00:00:00.123456789Z",  "type":"indicator","id":"indicator--00000000-0000-4000-8000-000000000009","spec_version":"2.1","created":"2021-01-01T00:00:00.000Z","modified":"2021-01-01T00:00:00.000Z","pattern":"[ipv4-addr:value = '198.51.100.7']","pattern_type":"stix","confidence":50,"x_score":1.50}"#;
    let env = Envelope::from_objects(vec![RawValue::from_string(text.to_owned()).unwrap()]);
    let s = w.alice().add_objects(&env).await.unwrap();
    assert_eq!(s.success_count, 1, "{s:?}");
    let page = w.alice().objects(&ObjectQuery::new()).await.unwrap();
    assert_eq!(page.body.objects[0].get(), text);
    let one = w
        .alice()
        .object(
            "indicator--00000000-0000-4000-8000-000000000009",
            &ObjectQuery::new(),
        )
        .await
        .unwrap();
    assert_eq!(one.body.objects[0].get(), text);
}

#[tokio::test]
async fn real_oasis_bundle_goes_in_and_comes_back_exactly() {
    #[derive(serde::Deserialize)]
    struct Bundle {
        objects: Vec<Box<RawValue>>,
    }
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/stix/oasis/cti-documentation-examples/threat-actor-leveraging-attack-patterns-and-malware.json"
    );
    let bundle: Bundle = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let originals: Vec<String> = bundle.objects.iter().map(|o| o.get().to_owned()).collect();
    let n = originals.len();
    let s = w_add(bundle.objects).await;
    assert_eq!(s.1.success_count as usize, n, "{:?}", s.1.failures);
    let got: Vec<String> = {
        use futures::TryStreamExt;
        s.0.alice()
            .all_objects(ObjectQuery::new().limit(2))
            .map_ok(|o| o.get().to_owned())
            .try_collect()
            .await
            .unwrap()
    };
    assert_eq!(got, originals);
}

async fn w_add(objects: Vec<Box<RawValue>>) -> (World, entente_taxii::Status) {
    let w = World::new().await;
    let s = w
        .alice()
        .add_objects(&Envelope::from_objects(objects))
        .await
        .unwrap();
    (w, s)
}

#[tokio::test]
async fn get_one_object_with_version_filters() {
    let w = seeded().await;
    let c = w.alice();
    let one = |q: ObjectQuery| {
        let c = c.clone();
        async move {
            c.object(&ind(1), &q)
                .await
                .unwrap()
                .body
                .objects
                .iter()
                .map(|o| {
                    serde_json::from_str::<serde_json::Value>(o.get()).unwrap()["modified"]
                        .as_str()
                        .unwrap()
                        .to_owned()
                })
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(one(ObjectQuery::new()).await, [indicator_version(2)]);
    assert_eq!(
        one(ObjectQuery::new().versions([VersionFilter::All])).await,
        [
            indicator_version(0),
            indicator_version(1),
            indicator_version(2)
        ]
    );
    assert_eq!(
        one(ObjectQuery::new().versions([VersionFilter::First])).await,
        [indicator_version(0)]
    );
    // match[type] does not apply to one object: ignored, not a filter that empties the result.
    assert_eq!(
        one(ObjectQuery::new().types(["malware"])).await,
        [indicator_version(2)]
    );
    let e = c.object(&ind(99), &ObjectQuery::new()).await.unwrap_err();
    assert_eq!(e.http_status(), Some(404));
    let e = c
        .object(
            &ind(1),
            &ObjectQuery::new()
                .versions([VersionFilter::At("2000-01-01T00:00:00Z".parse().unwrap())]),
        )
        .await
        .unwrap_err();
    assert_eq!(e.http_status(), Some(404));
}

#[tokio::test]
async fn versions_lists_every_version_oldest_first() {
    let w = seeded().await;
    let v = w
        .alice()
        .versions(&ind(1), &ObjectQuery::new())
        .await
        .unwrap();
    assert_eq!(
        v.body.versions,
        [
            indicator_version(0),
            indicator_version(1),
            indicator_version(2)
        ]
    );
    assert_eq!(v.body.more, Some(false));
    assert!(v.date_added_first < v.date_added_last);
    // match[version] does not narrow the versions endpoint.
    let v2 = w
        .alice()
        .versions(
            &ind(1),
            &ObjectQuery::new().versions([VersionFilter::First]),
        )
        .await
        .unwrap();
    assert_eq!(v2.body.versions.len(), 3);
    let single = w
        .alice()
        .versions(&mal(1), &ObjectQuery::new())
        .await
        .unwrap();
    assert_eq!(single.body.versions, ["2021-02-01T00:00:00.000Z"]);
    let e = w
        .alice()
        .versions(&ind(42), &ObjectQuery::new())
        .await
        .unwrap_err();
    assert_eq!(e.http_status(), Some(404));
}

#[tokio::test]
async fn manifest_describes_versions_without_content() {
    let w = seeded().await;
    let m = w.alice().manifest(&ObjectQuery::new()).await.unwrap();
    let recs = &m.body.objects;
    assert_eq!(
        recs.iter().map(|r| r.id.clone()).collect::<Vec<_>>(),
        [ind(1), ind(2), mal(1)]
    );
    assert_eq!(recs[0].version, indicator_version(2));
    assert_eq!(
        recs[0].media_type.as_deref(),
        Some("application/stix+json;version=2.1")
    );
    assert!(recs[0].date_added < recs[1].date_added);
    assert_eq!(
        m.date_added_last.as_deref(),
        Some(recs[2].date_added.as_str())
    );
    let all = w
        .alice()
        .manifest(
            &ObjectQuery::new()
                .versions([VersionFilter::All])
                .types(["indicator"]),
        )
        .await
        .unwrap();
    assert_eq!(all.body.objects.len(), 4);
    // The manifest's date_added equals the objects listing headers.
    let objs = w.alice().objects(&ObjectQuery::new()).await.unwrap();
    assert_eq!(
        objs.date_added_last.as_deref(),
        Some(recs[2].date_added.as_str())
    );
}

#[tokio::test]
async fn delete_removes_the_selected_versions_only() {
    let w = seeded().await;
    let c = w.alice();
    c.delete_object(
        &ind(1),
        &ObjectQuery::new().versions([VersionFilter::First]),
    )
    .await
    .unwrap();
    let v = c.versions(&ind(1), &ObjectQuery::new()).await.unwrap();
    assert_eq!(
        v.body.versions,
        [indicator_version(1), indicator_version(2)]
    );
    c.delete_object(&ind(1), &ObjectQuery::new().versions([VersionFilter::Last]))
        .await
        .unwrap();
    let v = c.versions(&ind(1), &ObjectQuery::new()).await.unwrap();
    assert_eq!(v.body.versions, [indicator_version(1)]);
    // Without match[version], the object goes: every version.
    c.add_objects(&envelope(&[indicator(1, 5), indicator(1, 6)]))
        .await
        .unwrap();
    assert_eq!(
        c.versions(&ind(1), &ObjectQuery::new())
            .await
            .unwrap()
            .body
            .versions
            .len(),
        3
    );
    c.delete_object(&ind(1), &ObjectQuery::new()).await.unwrap();
    assert_eq!(
        c.object(&ind(1), &ObjectQuery::new())
            .await
            .unwrap_err()
            .http_status(),
        Some(404)
    );
    assert_eq!(
        c.versions(&ind(1), &ObjectQuery::new())
            .await
            .unwrap_err()
            .http_status(),
        Some(404)
    );
    // Nothing left to delete.
    assert_eq!(
        c.delete_object(&ind(1), &ObjectQuery::new())
            .await
            .unwrap_err()
            .http_status(),
        Some(404)
    );
    // The others are untouched.
    assert_eq!(ids(&w, ObjectQuery::new()).await, [ind(2), mal(1)]);
}

#[tokio::test]
async fn delete_answers_200_with_no_body() {
    let w = seeded().await;
    let resp = w
        .http()
        .delete(format!("{}{}/", w.objects_url(), mal(1)))
        .bearer_auth(&w.alice)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.bytes().await.unwrap().is_empty());
}

#[tokio::test]
async fn rights_are_enforced_per_action() {
    let w = seeded().await;
    let before = w.node.snapshot(&w.coll).await;
    let env = envelope(&[malware(7)]);
    let q = ObjectQuery::new();
    let code = |r: Result<(), entente_taxii::client::Error>| r.err().and_then(|e| e.http_status());

    // Reader: reads, cannot write or delete (403: it knows the collection).
    let reader = w.node.coll(&w.reader, &w.coll);
    assert!(reader.objects(&q).await.is_ok());
    assert!(reader.manifest(&q).await.is_ok());
    assert!(reader.versions(&ind(1), &q).await.is_ok());
    assert_eq!(code(reader.add_objects(&env).await.map(|_| ())), Some(403));
    assert_eq!(code(reader.delete_object(&ind(1), &q).await), Some(403));

    // Writer (write-only): writes, cannot read anything (403).
    let writer = w.node.coll(&w.writer, &w.coll);
    assert_eq!(code(writer.objects(&q).await.map(|_| ())), Some(403));
    assert_eq!(code(writer.manifest(&q).await.map(|_| ())), Some(403));
    assert_eq!(
        code(writer.object(&ind(1), &q).await.map(|_| ())),
        Some(403)
    );
    assert_eq!(
        code(writer.versions(&ind(1), &q).await.map(|_| ())),
        Some(403)
    );

    // Reviewer: reads; the role never writes.
    let reviewer = w.node.coll(&w.reviewer, &w.coll);
    assert!(reviewer.objects(&q).await.is_ok());
    assert_eq!(
        code(reviewer.add_objects(&env).await.map(|_| ())),
        Some(403)
    );
    assert_eq!(code(reviewer.delete_object(&ind(1), &q).await), Some(403));

    // No permission (an admin included): 404 everywhere, as if it did not exist.
    for t in [&w.nobody, &w.admin] {
        let c = w.node.coll(t, &w.coll);
        assert_eq!(code(c.objects(&q).await.map(|_| ())), Some(404));
        assert_eq!(code(c.manifest(&q).await.map(|_| ())), Some(404));
        assert_eq!(code(c.object(&ind(1), &q).await.map(|_| ())), Some(404));
        assert_eq!(code(c.versions(&ind(1), &q).await.map(|_| ())), Some(404));
        assert_eq!(code(c.add_objects(&env).await.map(|_| ())), Some(404));
        assert_eq!(code(c.delete_object(&ind(1), &q).await), Some(404));
    }
    assert_eq!(
        w.node.snapshot(&w.coll).await,
        before,
        "refusals changed nothing"
    );

    // The writer's add succeeds.
    let s = writer.add_objects(&env).await.unwrap();
    assert_eq!(s.success_count, 1);
    assert_eq!(w.node.snapshot(&w.coll).await.len(), before.len() + 1);
}

#[tokio::test]
async fn valid_objects_are_stored_when_others_in_the_envelope_fail() {
    let w = World::new().await;
    let mut no_pattern = indicator(3, 0);
    no_pattern.as_object_mut().unwrap().remove("pattern");
    let mut bad_order = malware(4);
    bad_order["modified"] = "2000-01-01T00:00:00.000Z".into();
    let objects = vec![
        RawValue::from_string(indicator(1, 0).to_string()).unwrap(),
        RawValue::from_string(no_pattern.to_string()).unwrap(),
        RawValue::from_string("42".into()).unwrap(),
        RawValue::from_string(r#"{"type":"indicator","id":"../../etc/passwd"}"#.into()).unwrap(),
        RawValue::from_string(bad_order.to_string()).unwrap(),
        RawValue::from_string(malware(1).to_string()).unwrap(),
    ];
    let s = w
        .alice()
        .add_objects(&Envelope::from_objects(objects))
        .await
        .unwrap();
    assert_eq!(s.total_count, 6);
    assert_eq!(s.success_count, 2, "{s:#?}");
    assert_eq!(s.failure_count, 4);
    let ok: Vec<_> = s.successes.iter().map(|d| d.id.clone()).collect();
    assert_eq!(ok, [ind(1), mal(1)]);
    let failed: Vec<_> = s.failures.iter().map(|d| d.id.clone()).collect();
    assert_eq!(
        failed,
        [
            ind(3),
            "unknown".to_owned(),
            "../../etc/passwd".to_owned(),
            mal(4)
        ]
    );
    let m = s.failures[0].message.as_deref().unwrap();
    assert!(m.contains("pattern"), "{m}");
    let m = s.failures[3].message.as_deref().unwrap();
    assert!(m.contains("modified"), "{m}");
    assert_eq!(ids(&w, ObjectQuery::new()).await, [ind(1), mal(1)]);
    // The failures are in the stored status too.
    let root = w
        .node
        .client(&w.alice)
        .api_root(&w.node.root_url())
        .unwrap();
    assert_eq!(root.status(&s.id).await.unwrap(), s);
}

#[tokio::test]
async fn the_same_version_again_is_a_success_and_changes_nothing() {
    let w = seeded().await;
    let before = w.node.snapshot(&w.coll).await;
    let s = w
        .alice()
        .add_objects(&envelope(&[indicator(1, 1), malware(1)]))
        .await
        .unwrap();
    assert_eq!((s.success_count, s.failure_count), (2, 0));
    assert!(
        s.successes[0]
            .message
            .as_deref()
            .unwrap()
            .contains("already")
    );
    assert_eq!(w.node.snapshot(&w.coll).await, before);
}

#[tokio::test]
async fn collection_alias_reaches_the_same_objects() {
    let w = seeded().await;
    let by_alias = w.node.coll(&w.alice, "main");
    let a = by_alias.objects(&ObjectQuery::new()).await.unwrap();
    assert_eq!(ids_of(&a.body.objects), [ind(1), ind(2), mal(1)]);
    let s = by_alias
        .add_objects(&envelope(&[malware(2)]))
        .await
        .unwrap();
    assert_eq!(s.success_count, 1);
    let headers = w
        .http()
        .get(w.objects_url())
        .bearer_auth(&w.alice)
        .send()
        .await
        .unwrap();
    assert!(headers.headers().get(DATE_ADDED_LAST).is_some());
}

#[tokio::test]
async fn indicators_with_invalid_stix_patterns_fail_and_others_are_stored() {
    let w = World::new().await;
    let mut broken = indicator(7, 0);
    broken["pattern"] = "[ipv4-addr:value = '198.51.100.7'".into();
    let objects = vec![
        RawValue::from_string(broken.to_string()).unwrap(),
        RawValue::from_string(indicator(8, 0).to_string()).unwrap(),
    ];
    let s = w
        .alice()
        .add_objects(&Envelope::from_objects(objects))
        .await
        .unwrap();
    assert_eq!((s.success_count, s.failure_count), (1, 1), "{s:#?}");
    assert_eq!(s.failures[0].id, ind(7));
    let m = s.failures[0].message.as_deref().unwrap();
    assert!(
        m.contains("pattern-syntax") && m.contains("$.pattern"),
        "{m}"
    );
    assert_eq!(ids(&w, ObjectQuery::new()).await, [ind(8)]);
}
