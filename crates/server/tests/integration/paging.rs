//! Paging: `limit`, `more`, `next` to the end, page-size caps, and `next` tokens that only
//! continue the listing they came from.

use entente_taxii::{Envelope, ObjectQuery, VersionFilter};
use futures::TryStreamExt;

use super::node::{World, envelope, expect_error, ids_of, indicator, malware};

/// 45 objects: 30 indicators (ids 0..30) and 15 malware, added in that order.
async fn forty_five() -> World {
    let w = World::new().await;
    let mut objs: Vec<_> = (0..30).map(|n| indicator(n, 0)).collect();
    objs.extend((0..15).map(malware));
    let s = w.alice().add_objects(&envelope(&objs)).await.unwrap();
    assert_eq!(s.success_count, 45);
    w
}

#[tokio::test]
async fn pages_follow_next_to_the_end_without_gaps_or_repeats() {
    let w = forty_five().await;
    let c = w.alice();
    let mut q = ObjectQuery::new().limit(10);
    let mut seen = Vec::new();
    let mut pages = 0;
    loop {
        let page = c.objects(&q).await.unwrap();
        pages += 1;
        seen.extend(ids_of(&page.body.objects));
        if page.body.more == Some(true) {
            assert_eq!(page.body.objects.len(), 10);
            q.next = Some(page.body.next.expect("next when more"));
        } else {
            assert!(page.body.next.is_none());
            break;
        }
    }
    assert_eq!(pages, 5);
    assert_eq!(seen.len(), 45);
    let mut dedup = seen.clone();
    dedup.sort();
    dedup.dedup();
    assert_eq!(dedup.len(), 45);
    // The client's stream does the same.
    let all: Vec<_> = c
        .all_objects(ObjectQuery::new().limit(7))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(ids_of(&all), seen);
}

#[tokio::test]
async fn paging_with_filters_and_the_manifest() {
    let w = forty_five().await;
    let c = w.alice();
    let malware: Vec<_> = c
        .all_objects(ObjectQuery::new().types(["malware"]).limit(4))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(malware.len(), 15);
    // Manifest pages with next as well.
    let mut q = ObjectQuery::new().limit(20);
    let mut n = 0;
    loop {
        let m = c.manifest(&q).await.unwrap();
        n += m.body.objects.len();
        match m.body.next {
            Some(t) => q.next = Some(t),
            None => break,
        }
    }
    assert_eq!(n, 45);
}

#[tokio::test]
async fn versions_and_one_object_page_too() {
    let w = World::new().await;
    let objs: Vec<_> = (0..12).map(|v| indicator(1, v)).collect();
    w.alice().add_objects(&envelope(&objs)).await.unwrap();
    let id = "indicator--00000000-0000-4000-8000-000000000001";
    let c = w.alice();
    let first = c.versions(id, &ObjectQuery::new().limit(5)).await.unwrap();
    assert_eq!(first.body.versions.len(), 5);
    assert_eq!(first.body.more, Some(true));
    let mut q = ObjectQuery::new().limit(5);
    q.next = first.body.next;
    let second = c.versions(id, &q).await.unwrap();
    assert_eq!(second.body.versions.len(), 5);
    assert!(second.body.versions[0] > first.body.versions[4]);
    let mut total = 0;
    let mut q = ObjectQuery::new().limit(5).versions([VersionFilter::All]);
    loop {
        let p = c.object(id, &q).await.unwrap();
        total += p.body.objects.len();
        match p.body.next {
            Some(t) => q.next = Some(t),
            None => break,
        }
    }
    assert_eq!(total, 12);
}

#[tokio::test]
async fn default_and_maximum_page_sizes() {
    let w = World::new().await;
    let objs: Vec<_> = (0..60).map(|n| indicator(n, 0)).collect();
    w.alice().add_objects(&envelope(&objs)).await.unwrap();
    let c = w.alice();
    // The test node: default 20, maximum 50.
    let p = c.objects(&ObjectQuery::new()).await.unwrap();
    assert_eq!(p.body.objects.len(), 20);
    assert_eq!(p.body.more, Some(true));
    for huge in [51, 1_000_000, u64::MAX] {
        let p = c.objects(&ObjectQuery::new().limit(huge)).await.unwrap();
        assert_eq!(p.body.objects.len(), 50, "limit {huge}");
    }
    // A limit too large for any integer type is still only "a lot".
    let env: Envelope = w
        .http()
        .get(format!(
            "{}?limit=99999999999999999999999999999",
            w.objects_url()
        ))
        .bearer_auth(&w.alice)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(env.objects.len(), 50);
    let p = c.objects(&ObjectQuery::new().limit(1)).await.unwrap();
    assert_eq!(p.body.objects.len(), 1);
}

#[tokio::test]
async fn next_tokens_only_continue_their_own_listing() {
    let w = forty_five().await;
    let other = w.node.collection("Other", None).await;
    w.node.grant("alice", &other, true, true).await;
    w.node.grant("reader", &other, true, false).await;
    w.node
        .coll(&w.alice, &other)
        .add_objects(&envelope(&[indicator(100, 0), indicator(101, 0)]))
        .await
        .unwrap();
    let page = w
        .alice()
        .objects(&ObjectQuery::new().types(["indicator"]).limit(5))
        .await
        .unwrap();
    let token = page.body.next.unwrap();
    let base = w.objects_url();
    let get = |url: String, token: &str| {
        let t = token.to_owned();
        let http = w.http();
        async move { http.get(url).bearer_auth(t).send().await.unwrap() }
    };
    // The same listing continues.
    let ok = get(
        format!("{base}?match[type]=indicator&limit=5&next={token}"),
        &w.alice,
    )
    .await;
    assert_eq!(ok.status(), 200);
    // A different page size is fine: limit is not part of the listing.
    let ok = get(
        format!("{base}?match[type]=indicator&limit=7&next={token}"),
        &w.alice,
    )
    .await;
    assert_eq!(ok.status(), 200);
    // Other filters, another user, another collection, another endpoint: 400.
    for (url, who) in [
        (format!("{base}?match[type]=malware&next={token}"), &w.alice),
        (format!("{base}?next={token}"), &w.alice),
        (
            format!("{base}?match[type]=indicator&next={token}"),
            &w.reader,
        ),
        (
            format!(
                "{}collections/{other}/objects/?match[type]=indicator&next={token}",
                w.node.root_url()
            ),
            &w.alice,
        ),
        (
            format!(
                "{}collections/{}/manifest/?match[type]=indicator&next={token}",
                w.node.root_url(),
                w.coll
            ),
            &w.alice,
        ),
    ] {
        let m = expect_error(get(url.clone(), who).await, 400).await;
        assert!(m.description.unwrap().contains("next"), "{url}");
    }
    // Someone without access presenting a valid token still gets the access answer first.
    expect_error(
        get(
            format!("{base}?match[type]=indicator&next={token}"),
            &w.nobody,
        )
        .await,
        404,
    )
    .await;
}

#[tokio::test]
async fn tampered_and_malformed_next_tokens_are_400() {
    let w = forty_five().await;
    let page = w
        .alice()
        .objects(&ObjectQuery::new().limit(5))
        .await
        .unwrap();
    let token = page.body.next.unwrap();
    let mut flipped = token.clone().into_bytes();
    let last = flipped.len() - 3;
    flipped[last] = if flipped[last] == b'A' { b'B' } else { b'A' };
    let flipped = String::from_utf8(flipped).unwrap();
    let before = w.node.snapshot(&w.coll).await;
    for bad in [
        flipped.as_str(),
        "0",
        "not-a-token",
        "%00%01",
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "1700000000000000",
        "' OR 1=1 --",
        &"A".repeat(10_000),
    ] {
        let resp = w
            .http()
            .get(w.objects_url())
            .query(&[("limit", "5"), ("next", bad)])
            .bearer_auth(&w.alice)
            .send()
            .await
            .unwrap();
        expect_error(resp, 400).await;
    }
    assert_eq!(w.node.snapshot(&w.coll).await, before);
}

#[tokio::test]
async fn next_after_the_last_page_is_absent_and_new_objects_appear_on_the_next_page() {
    let w = World::new().await;
    let c = w.alice();
    c.add_objects(&envelope(&[
        indicator(1, 0),
        indicator(2, 0),
        indicator(3, 0),
    ]))
    .await
    .unwrap();
    let p1 = c.objects(&ObjectQuery::new().limit(2)).await.unwrap();
    assert_eq!(p1.body.more, Some(true));
    // Objects added while a client pages show up at the end (keyset paging on date_added).
    c.add_objects(&envelope(&[indicator(4, 0)])).await.unwrap();
    let mut q = ObjectQuery::new().limit(2);
    q.next = p1.body.next;
    let p2 = c.objects(&q).await.unwrap();
    assert_eq!(p2.body.objects.len(), 2);
    assert_eq!(p2.body.more, Some(false));
    assert!(p2.body.next.is_none());
}
