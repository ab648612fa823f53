//! Discovery, API root and collections: what each principal is shown.

use entente_taxii::{TAXII_JSON, client::Error};

use super::node::{MAX_CONTENT, ROOT, World, expect_error};

#[tokio::test]
async fn discovery_lists_api_roots_as_absolute_urls() {
    let w = World::new().await;
    let client = w.node.client(&w.alice);
    let d = client
        .discovery(&format!("{}/taxii2/", w.node.url))
        .await
        .unwrap();
    assert_eq!(d.title, "entente");
    assert_eq!(d.api_roots, vec![w.node.root_url()]);
    // The configured default root ("api1") exists, so it is advertised.
    assert_eq!(d.default.as_deref(), Some(w.node.root_url().as_str()));
    // The URL works as given.
    let root = client.api_root(&d.api_roots[0]).unwrap();
    let info = root.information().await.unwrap();
    assert_eq!(info.title, "Test root");
    assert_eq!(info.versions, vec![TAXII_JSON.to_owned()]);
    assert_eq!(info.max_content_length, MAX_CONTENT);
}

#[tokio::test]
async fn discovery_response_has_the_taxii_media_type() {
    let w = World::new().await;
    let resp = w
        .http()
        .get(format!("{}/taxii2/", w.node.url))
        .bearer_auth(&w.alice)
        .header("accept", "application/taxii+json;version=2.1")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], TAXII_JSON);
}

#[tokio::test]
async fn hostile_host_header_is_not_echoed() {
    let w = World::new().await;
    let r = w
        .node
        .raw(
            format!(
                "GET /taxii2/ HTTP/1.1\r\nHost: evil\"><script>\r\nAuthorization: Bearer {}\r\nConnection: close\r\n\r\n",
                w.alice
            )
            .as_bytes(),
        )
        .await;
    // hyper may refuse the header outright; if it is served, the host is not echoed.
    if r.status == 200 {
        let body = String::from_utf8_lossy(&r.body);
        assert!(!body.contains("script"), "{body}");
        assert!(body.contains(&format!("\"/{ROOT}/\"")), "{body}");
    } else {
        assert_eq!(r.status, 400);
    }
}

#[tokio::test]
async fn unknown_api_root_is_404() {
    let w = World::new().await;
    let root = w
        .node
        .client(&w.alice)
        .api_root(&format!("{}/nope/", w.node.url))
        .unwrap();
    let e = root.information().await.unwrap_err();
    assert_eq!(e.http_status(), Some(404));
    assert_eq!(e.taxii_error().unwrap().http_status.as_deref(), Some("404"));
    let e = root.collections().await.unwrap_err();
    assert_eq!(e.http_status(), Some(404));
}

#[tokio::test]
async fn collections_show_only_what_each_principal_may_see_with_its_own_rights() {
    let w = World::new().await;
    let other = w.node.collection("Other", Some("other")).await;
    w.node.grant("nobody", &other, true, false).await;
    let list = |token: &str| {
        let root = w.node.client(token).api_root(&w.node.root_url()).unwrap();
        async move { root.collections().await.unwrap().collections }
    };
    let a = list(&w.alice).await;
    assert_eq!(a.len(), 1);
    assert_eq!(a[0].id, w.coll);
    assert_eq!(a[0].alias.as_deref(), Some("main"));
    assert!(a[0].can_read && a[0].can_write);
    assert_eq!(a[0].media_types, ["application/stix+json;version=2.1"]);

    let r = list(&w.reader).await;
    assert!(r[0].can_read && !r[0].can_write);
    let wr = list(&w.writer).await;
    assert_eq!(wr.len(), 1, "a write-only collection is listed");
    assert!(!wr[0].can_read && wr[0].can_write);
    let rv = list(&w.reviewer).await;
    assert!(rv[0].can_read && !rv[0].can_write, "reviewers never write");

    let n = list(&w.nobody).await;
    assert_eq!(n.len(), 1);
    assert_eq!(n[0].id, other);
    // An admin without permissions sees no collection: admins manage, they do not read.
    assert!(list(&w.admin).await.is_empty());

    // The wire form omits an empty list.
    let resp = w
        .http()
        .get(format!("{}collections/", w.node.root_url()))
        .bearer_auth(&w.admin)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.text().await.unwrap(), "{}");
}

#[tokio::test]
async fn one_collection_by_id_or_alias_and_404_when_hidden() {
    let w = World::new().await;
    let root = w
        .node
        .client(&w.alice)
        .api_root(&w.node.root_url())
        .unwrap();
    let by_id = root.collection(&w.coll).information().await.unwrap();
    let by_alias = root.collection("main").information().await.unwrap();
    assert_eq!(by_id, by_alias);
    assert_eq!(by_id.title, "Main");

    // Not existing and not visible give the same answer.
    let hidden = w
        .node
        .coll(&w.nobody, &w.coll)
        .information()
        .await
        .unwrap_err();
    let missing = root
        .collection("11111111-1111-4111-8111-111111111111")
        .information()
        .await
        .unwrap_err();
    for e in [&hidden, &missing] {
        let Error::Http {
            status, message, ..
        } = e
        else {
            panic!("{e}")
        };
        assert_eq!(*status, 404);
        let m = message.as_ref().unwrap();
        assert_eq!(m.title, "Not found");
        assert_eq!(m.description.as_deref(), Some("no such resource"));
    }
    let admin = w
        .node
        .coll(&w.admin, &w.coll)
        .information()
        .await
        .unwrap_err();
    assert_eq!(admin.http_status(), Some(404));
}

#[tokio::test]
async fn trailing_slash_is_part_of_the_route() {
    let w = World::new().await;
    let resp = w
        .http()
        .get(format!("{}/{ROOT}/collections", w.node.url))
        .bearer_auth(&w.alice)
        .send()
        .await
        .unwrap();
    expect_error(resp, 404).await;
}

#[tokio::test]
async fn configured_public_url_is_used_for_api_roots() {
    let node = super::node::Node::start_with(|c| {
        c.server.public_url = Some("https://cti.agency.example".into());
    })
    .await;
    let w = World::with_node(node).await;
    let d = w
        .node
        .client(&w.alice)
        .discovery(&format!("{}/taxii2/", w.node.url))
        .await
        .unwrap();
    assert_eq!(
        d.api_roots,
        vec![format!("https://cti.agency.example/{ROOT}/")]
    );
}
