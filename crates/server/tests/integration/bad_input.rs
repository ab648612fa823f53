//! Bad input: wrong media types, sizes, parameters, methods, routes, bodies and ids, and slow
//! or abandoned uploads. Each gets the right TAXII error, the node keeps serving, and the
//! stored data is unchanged.

use std::time::{Duration, Instant};

use entente_taxii::{ObjectQuery, TAXII_JSON};
use tokio::io::AsyncWriteExt;

use super::node::{MAX_CONTENT, Node, World, envelope, expect_error, indicator, malware};

async fn seeded() -> World {
    seeded_on(Node::start().await).await
}

async fn seeded_on(node: Node) -> World {
    let w = World::with_node(node).await;
    w.alice()
        .add_objects(&envelope(&[indicator(1, 0), indicator(1, 1), malware(1)]))
        .await
        .unwrap();
    w
}

#[tokio::test]
async fn accept_headers_that_admit_no_taxii_2_1_response_are_406() {
    let w = seeded().await;
    let urls = [
        format!("{}/taxii2/", w.node.url),
        w.node.root_url(),
        format!("{}collections/", w.node.root_url()),
        w.objects_url(),
        format!("{}collections/{}/manifest/", w.node.root_url(), w.coll),
    ];
    for url in &urls {
        for accept in [
            "application/json",
            "text/html",
            "application/taxii+json;version=2.0",
            "application/stix+json;version=2.1",
            "application/taxii+json;version=2.1;q=0",
            "text/*",
        ] {
            let resp = w
                .http()
                .get(url)
                .bearer_auth(&w.alice)
                .header("accept", accept)
                .send()
                .await
                .unwrap();
            let m = expect_error(resp, 406).await;
            assert_eq!(
                m.error_code.as_deref(),
                Some("not-acceptable"),
                "{url} {accept}"
            );
        }
        for accept in [
            "application/taxii+json;version=2.1",
            "application/taxii+json",
            "*/*",
            "application/*",
            "text/html, application/taxii+json;version=2.1;q=0.1",
        ] {
            let resp = w
                .http()
                .get(url)
                .bearer_auth(&w.alice)
                .header("accept", accept)
                .send()
                .await
                .unwrap();
            assert_eq!(resp.status(), 200, "{url} {accept}");
            assert_eq!(resp.headers()["content-type"], TAXII_JSON);
        }
    }
}

#[tokio::test]
async fn post_with_a_wrong_content_type_is_415_and_stores_nothing() {
    let w = seeded().await;
    let before = w.node.snapshot(&w.coll).await;
    let body = serde_json::to_vec(&envelope(&[malware(9)])).unwrap();
    for ct in [
        Some("application/json"),
        Some("application/stix+json;version=2.1"),
        Some("application/taxii+json;version=2.0"),
        Some("text/plain"),
        None,
    ] {
        let mut req = w
            .http()
            .post(w.objects_url())
            .bearer_auth(&w.alice)
            .body(body.clone());
        if let Some(ct) = ct {
            req = req.header("content-type", ct);
        }
        let m = expect_error(req.send().await.unwrap(), 415).await;
        assert_eq!(m.error_code.as_deref(), Some("unsupported-media-type"));
    }
    // The versionless TAXII type is accepted (it means the latest version).
    let resp = w
        .http()
        .post(w.objects_url())
        .bearer_auth(&w.alice)
        .header("content-type", "application/taxii+json")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 202);
    assert_eq!(w.node.snapshot(&w.coll).await.len(), before.len() + 1);
}

#[tokio::test]
async fn bodies_over_max_content_length_are_413_by_header_and_while_streaming() {
    let w = seeded().await;
    let before = w.node.snapshot(&w.coll).await;
    let path = format!("/api1/collections/{}/objects/", w.coll);
    // Declared too large: refused before reading the body.
    let r = w
        .node
        .raw(
            format!(
                "POST {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\n\
                 Content-Type: {TAXII_JSON}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                w.alice,
                MAX_CONTENT + 1
            )
            .as_bytes(),
        )
        .await;
    let m = r.taxii_error(413);
    assert!(m.description.unwrap().contains(&MAX_CONTENT.to_string()));
    // Chunked, no length: refused once the running total passes the maximum.
    let mut req = format!(
        "POST {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\n\
         Content-Type: {TAXII_JSON}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
        w.alice
    )
    .into_bytes();
    let chunk = vec![b' '; 16 * 1024];
    for _ in 0..(MAX_CONTENT as usize / chunk.len() + 2) {
        req.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        req.extend_from_slice(&chunk);
        req.extend_from_slice(b"\r\n");
    }
    req.extend_from_slice(b"0\r\n\r\n");
    w.node.raw(&req).await.taxii_error(413);
    // A large but allowed envelope goes through.
    let many: Vec<_> = (0..200).map(|n| indicator(1000 + n, 0)).collect();
    let body = serde_json::to_vec(&envelope(&many)).unwrap();
    assert!((body.len() as u64) < MAX_CONTENT);
    let s = w.alice().add_objects(&envelope(&many)).await.unwrap();
    assert_eq!(s.success_count, 200);
    assert_eq!(w.node.snapshot(&w.coll).await.len(), before.len() + 200);
}

#[tokio::test]
async fn malformed_query_parameters_are_400_and_unknown_ones_are_ignored() {
    let w = seeded().await;
    let before = w.node.snapshot(&w.coll).await;
    let base = w.objects_url();
    for q in [
        "added_after=yesterday",
        "added_after=2021-13-01T00:00:00Z",
        "added_after=2021-01-01T00:00:00",
        "added_after=2021-01-01T00:00:00Z&added_after=2021-01-01T00:00:00Z",
        "limit=0",
        "limit=-5",
        "limit=abc",
        "limit=1e3",
        "limit=",
        "limit=1&limit=2",
        "match[version]=newest",
        "match[version]=",
        "match[version]=all,,first",
        "match[type]=",
        "match[id]=%ZZ",
        "match[id]=%C3%28",
        "next=",
    ] {
        let resp = w
            .http()
            .get(format!("{base}?{q}"))
            .bearer_auth(&w.alice)
            .send()
            .await
            .unwrap();
        let m = expect_error(resp, 400).await;
        assert!(m.description.is_some(), "{q}");
    }
    let plain: serde_json::Value = w
        .http()
        .get(&base)
        .bearer_auth(&w.alice)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for q in [
        "foo=bar",
        "match[color]=red",
        "match[id",
        "sort=desc&page=2",
        "&&&",
        "x",
    ] {
        let resp = w
            .http()
            .get(format!("{base}?{q}"))
            .bearer_auth(&w.alice)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200, "{q}");
        let v: serde_json::Value = resp.json().await.unwrap();
        assert_eq!(v, plain, "{q} is ignored");
    }
    assert_eq!(w.node.snapshot(&w.coll).await, before);
}

#[tokio::test]
async fn wrong_methods_are_405_with_allow_and_unknown_routes_404() {
    let w = seeded().await;
    let before = w.node.snapshot(&w.coll).await;
    let root = w.node.root_url();
    let c = &w.coll;
    let id = "indicator--00000000-0000-4000-8000-000000000001";
    for (method, url, allow) in [
        ("POST", format!("{}/taxii2/", w.node.url), "GET,HEAD"),
        ("DELETE", root.clone(), "GET,HEAD"),
        ("PUT", format!("{root}collections/"), "GET,HEAD"),
        ("POST", format!("{root}collections/{c}/"), "GET,HEAD"),
        (
            "PUT",
            format!("{root}collections/{c}/objects/"),
            "GET,HEAD,POST",
        ),
        (
            "DELETE",
            format!("{root}collections/{c}/objects/"),
            "GET,HEAD,POST",
        ),
        (
            "PATCH",
            format!("{root}collections/{c}/objects/{id}/"),
            "GET,HEAD,DELETE",
        ),
        (
            "POST",
            format!("{root}collections/{c}/objects/{id}/"),
            "GET,HEAD,DELETE",
        ),
        (
            "DELETE",
            format!("{root}collections/{c}/manifest/"),
            "GET,HEAD",
        ),
        (
            "POST",
            format!("{root}collections/{c}/objects/{id}/versions/"),
            "GET,HEAD",
        ),
        ("PUT", format!("{root}status/x/"), "GET,HEAD"),
    ] {
        let resp = w
            .http()
            .request(method.parse().unwrap(), &url)
            .bearer_auth(&w.alice)
            .send()
            .await
            .unwrap();
        let got: Vec<String> = resp.headers()["allow"]
            .to_str()
            .unwrap()
            .split(',')
            .map(|s| s.trim().to_owned())
            .collect();
        let want: Vec<String> = allow.split(',').map(str::to_owned).collect();
        let (mut g, mut wn) = (got.clone(), want.clone());
        g.sort();
        wn.sort();
        assert_eq!(g, wn, "{method} {url}");
        expect_error(resp, 405).await;
    }
    for path in [
        "/",
        "/nope",
        "/taxii2",
        "/taxii2/extra/",
        "/api1/collections",
        "/api1/status/",
        "/api1/collections/x/objects/y/z/",
        "/api1/collections/x/unknown/",
        "/static/index.html",
    ] {
        let resp = w
            .http()
            .get(format!("{}{path}", w.node.url))
            .bearer_auth(&w.alice)
            .send()
            .await
            .unwrap();
        expect_error(resp, 404).await;
    }
    assert_eq!(w.node.snapshot(&w.coll).await, before);
}

#[tokio::test]
async fn bodies_that_are_not_json_or_not_envelopes() {
    let w = seeded().await;
    let before = w.node.snapshot(&w.coll).await;
    let post = |body: Vec<u8>| {
        let req = w
            .http()
            .post(w.objects_url())
            .bearer_auth(&w.alice)
            .header("content-type", TAXII_JSON)
            .body(body);
        async move { req.send().await.unwrap() }
    };
    for body in [
        b"".to_vec(),
        b"{".to_vec(),
        b"{\"objects\": [".to_vec(),
        b"not json".to_vec(),
        b"{\"objects\": []} trailing".to_vec(),
        vec![0xff, 0xfe, b'{', b'}'],
        b"{\"objects\": [{\"id\": \"\xff\"}]}".to_vec(),
    ] {
        let m = expect_error(post(body.clone()).await, 400).await;
        assert_eq!(m.error_code.as_deref(), Some("bad-request"), "{body:?}");
    }
    for body in [
        b"[]".to_vec(),
        b"{}".to_vec(),
        b"{\"objects\": 5}".to_vec(),
        b"{\"objects\": {\"a\": 1}}".to_vec(),
        b"\"objects\"".to_vec(),
        b"null".to_vec(),
    ] {
        let m = expect_error(post(body.clone()).await, 422).await;
        assert_eq!(m.error_code.as_deref(), Some("unprocessable-content"));
    }
    // An empty envelope is a complete status with nothing in it.
    let resp = post(b"{\"objects\": []}".to_vec()).await;
    assert_eq!(resp.status(), 202);
    let s: entente_taxii::Status = resp.json().await.unwrap();
    assert_eq!(s.total_count, 0);
    assert_eq!(w.node.snapshot(&w.coll).await, before);
}

#[tokio::test]
async fn traversal_and_injection_in_ids_reach_nothing() {
    let w = seeded().await;
    let before = w.node.snapshot(&w.coll).await;
    let c = &w.coll;
    let hostile_objects = [
        "..%2F..%2Fetc%2Fpasswd",
        "..",
        "%2E%2E",
        "indicator--'%20OR%20'1'='1",
        "indicator--00000000-0000-4000-8000-000000000001'--",
        "indicator--00000000-0000-4000-8000-000000000001%00",
        "%00",
        "indicator--%25",
        "x%3Cscript%3E",
        "%FF%FE",
        "indicator--00000000-0000-4000-8000-000000000001%2F..%2F..",
    ];
    // Sent raw: an HTTP client library would normalise `..` away before sending.
    let raw_get = |method: &str, path: String| {
        let req = format!(
            "{method} {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\nConnection: close\r\n\r\n",
            w.alice
        );
        let node = &w.node;
        async move { node.raw(req.as_bytes()).await }
    };
    for o in hostile_objects {
        for (method, suffix) in [("GET", ""), ("DELETE", ""), ("GET", "versions/")] {
            let path = format!("/api1/collections/{c}/objects/{o}/{suffix}");
            let r = raw_get(method, path.clone()).await;
            assert!(
                r.status == 400 || r.status == 404,
                "{method} {path}: {}",
                r.status
            );
            let m = r.taxii_error(r.status);
            assert!(!m.description.unwrap_or_default().contains("SQL"));
        }
    }
    for coll in [
        "'%20OR%201=1%20--",
        "..",
        "%2E%2E%2Fapi1",
        "main'",
        "%00",
        "../../etc",
    ] {
        let path = format!("/api1/collections/{coll}/objects/");
        let r = raw_get("GET", path.clone()).await;
        assert!(r.status == 400 || r.status == 404, "{path}: {}", r.status);
        r.taxii_error(r.status);
    }
    for root in ["..", "%2E%2E", "api1'", "api1%00", "../etc"] {
        let path = format!("/{root}/collections/");
        let r = raw_get("GET", path.clone()).await;
        assert!(r.status == 400 || r.status == 404, "{path}: {}", r.status);
        r.taxii_error(r.status);
    }
    // Injection attempts in filters are plain values that match nothing.
    for q in [
        "match[id]=' OR '1'='1",
        "match[type]=indicator' OR 1=1 --",
        "match[spec_version]=2.1') OR ('1'='1",
        "match[id]=indicator--00000000-0000-4000-8000-000000000001%00",
    ] {
        let resp = w
            .http()
            .get(format!("{}?{q}", w.objects_url()))
            .bearer_auth(&w.alice)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200, "{q}");
        assert_eq!(resp.text().await.unwrap(), "{\"more\":false}", "{q}");
    }
    assert_eq!(w.node.snapshot(&w.coll).await, before);
}

#[tokio::test]
async fn a_slow_upload_times_out_with_408_while_others_are_served() {
    let node = Node::start_with(|c| c.server.request_timeout_secs = 2).await;
    let w = seeded_on(node).await;
    let before = w.node.snapshot(&w.coll).await;
    let path = format!("/api1/collections/{}/objects/", w.coll);
    let mut slow = tokio::net::TcpStream::connect(w.node.addr).await.unwrap();
    slow.write_all(
        format!(
            "POST {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\n\
             Content-Type: {TAXII_JSON}\r\nContent-Length: 1000\r\nConnection: close\r\n\r\n{{\"objects\": [",
            w.alice
        )
        .as_bytes(),
    )
    .await
    .unwrap();
    // Meanwhile, the node answers others at once.
    let started = Instant::now();
    for _ in 0..5 {
        let p = w.alice().objects(&ObjectQuery::new()).await.unwrap();
        assert_eq!(p.body.objects.len(), 2);
    }
    assert!(started.elapsed() < Duration::from_secs(1));
    // The slow client dribbles a byte now and then, then gets a 408.
    let reader = tokio::spawn(async move {
        let mut buf = Vec::new();
        let (mut rd, mut wr) = slow.into_split();
        let dribble = tokio::spawn(async move {
            for _ in 0..10 {
                if wr.write_all(b" ").await.is_err() {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(300)).await;
            }
        });
        use tokio::io::AsyncReadExt;
        let _ = tokio::time::timeout(Duration::from_secs(10), rd.read_to_end(&mut buf)).await;
        dribble.abort();
        buf
    });
    let buf = reader.await.unwrap();
    let r = super::node::RawResponse::parse(&buf);
    r.taxii_error(408);
    assert_eq!(w.node.snapshot(&w.coll).await, before);
}

#[tokio::test]
async fn abandoned_uploads_leave_no_trace() {
    let w = seeded().await;
    let before = w.node.snapshot(&w.coll).await;
    let path = format!("/api1/collections/{}/objects/", w.coll);
    let body = serde_json::to_string(&envelope(&[malware(5), malware(6)])).unwrap();
    for cut in [10, body.len() / 2, body.len() - 1] {
        let mut s = tokio::net::TcpStream::connect(w.node.addr).await.unwrap();
        s.write_all(
            format!(
                "POST {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\n\
                 Content-Type: {TAXII_JSON}\r\nContent-Length: {}\r\n\r\n{}",
                w.alice,
                body.len(),
                &body[..cut]
            )
            .as_bytes(),
        )
        .await
        .unwrap();
        drop(s);
    }
    // The node is alive and unchanged.
    let p = w.alice().objects(&ObjectQuery::new()).await.unwrap();
    assert_eq!(p.body.objects.len(), 2);
    assert_eq!(w.node.snapshot(&w.coll).await, before);
}

#[tokio::test]
async fn many_bad_requests_in_parallel_do_not_disturb_good_ones() {
    let w = seeded().await;
    let before = w.node.snapshot(&w.coll).await;
    let mut tasks = Vec::new();
    for i in 0..40 {
        let http = w.http();
        let url = w.objects_url();
        let token = w.alice.clone();
        tasks.push(tokio::spawn(async move {
            let resp = match i % 4 {
                0 => {
                    http.get(format!("{url}?limit=-1"))
                        .bearer_auth(&token)
                        .send()
                        .await
                }
                1 => {
                    http.post(&url)
                        .bearer_auth(&token)
                        .header("content-type", TAXII_JSON)
                        .body("{nope")
                        .send()
                        .await
                }
                2 => http.get(&url).bearer_auth("wrong").send().await,
                _ => http.get(&url).bearer_auth(&token).send().await,
            }
            .unwrap();
            (i % 4, resp.status().as_u16())
        }));
    }
    for t in tasks {
        let (kind, status) = t.await.unwrap();
        let want = [400, 400, 401, 200][kind];
        assert_eq!(status, want, "kind {kind}");
    }
    assert_eq!(w.node.snapshot(&w.coll).await, before);
}
