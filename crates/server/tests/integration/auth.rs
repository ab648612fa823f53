//! Authentication: Basic (argon2id) and bearer tokens; 401 with `WWW-Authenticate`.

use entente_store::Role;
use entente_taxii::{Client, ObjectQuery, RetryPolicy};

use super::node::{World, expect_error};

fn no_retry() -> RetryPolicy {
    RetryPolicy {
        max_retries: 0,
        ..RetryPolicy::default()
    }
}

#[tokio::test]
async fn missing_credentials_are_401_with_a_basic_challenge_on_every_endpoint() {
    let w = World::new().await;
    let root = w.node.root_url();
    let c = &w.coll;
    let id = "indicator--00000000-0000-4000-8000-000000000001";
    for (method, url) in [
        ("GET", format!("{}/taxii2/", w.node.url)),
        ("GET", root.clone()),
        ("GET", format!("{root}status/abc/")),
        ("GET", format!("{root}collections/")),
        ("GET", format!("{root}collections/{c}/")),
        ("GET", format!("{root}collections/{c}/objects/")),
        ("POST", format!("{root}collections/{c}/objects/")),
        ("GET", format!("{root}collections/{c}/objects/{id}/")),
        ("DELETE", format!("{root}collections/{c}/objects/{id}/")),
        (
            "GET",
            format!("{root}collections/{c}/objects/{id}/versions/"),
        ),
        ("GET", format!("{root}collections/{c}/manifest/")),
    ] {
        let resp = w
            .http()
            .request(method.parse().unwrap(), &url)
            .send()
            .await
            .unwrap();
        assert_eq!(
            resp.headers()["www-authenticate"],
            "Basic realm=\"entente\"",
            "{method} {url}"
        );
        let m = expect_error(resp, 401).await;
        assert_eq!(m.error_code.as_deref(), Some("authentication-required"));
    }
}

#[tokio::test]
async fn basic_auth_with_the_right_password_works_and_wrong_ones_do_not() {
    let w = World::new().await;
    w.node
        .user("carol", Role::Analyst, Some("s3cret-pass"))
        .await;
    w.node.grant("carol", &w.coll, true, true).await;
    let basic = |user: &str, pw: &str| {
        Client::builder()
            .basic_auth(user, pw)
            .retry(no_retry())
            .build()
            .unwrap()
            .api_root(&w.node.root_url())
            .unwrap()
            .collection(&w.coll)
    };
    // Twice: the second answer comes from the verification cache and must agree.
    for _ in 0..2 {
        assert!(
            basic("carol", "s3cret-pass")
                .objects(&ObjectQuery::new())
                .await
                .is_ok()
        );
    }
    for (user, pw) in [
        ("carol", "wrong"),
        ("carol", ""),
        ("carol", "s3cret-pass "),
        ("nosuchuser", "s3cret-pass"),
        // A token-only user has no password: no password works.
        ("alice", ""),
    ] {
        let e = basic(user, pw)
            .objects(&ObjectQuery::new())
            .await
            .unwrap_err();
        assert_eq!(e.http_status(), Some(401), "{user}:{pw}");
        assert_eq!(
            e.taxii_error().unwrap().error_code.as_deref(),
            Some("invalid-credentials")
        );
    }
}

#[tokio::test]
async fn bearer_tokens_malformed_headers_and_unknown_tokens() {
    let w = World::new().await;
    let url = w.objects_url();
    let ok = w
        .http()
        .get(&url)
        .bearer_auth(&w.alice)
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    for value in [
        "Bearer nope".to_owned(),
        format!("Bearer {}x", w.alice),
        "Basic !!!not-base64".into(),
        "Basic".into(),
        "Digest username=\"alice\"".into(),
        format!("Token {}", w.alice),
        "Bearer ".into(),
    ] {
        let resp = w
            .http()
            .get(&url)
            .header("authorization", &value)
            .send()
            .await
            .unwrap();
        expect_error(resp, 401).await;
    }
}

#[tokio::test]
async fn users_on_two_nodes_with_the_same_credentials_stay_apart() {
    // The verification cache is process-wide; it must never let one node's user in on
    // another node.
    let w1 = World::new().await;
    let w2 = World::new().await;
    w1.node.user("dave", Role::Analyst, Some("pw-dave")).await;
    w1.node.grant("dave", &w1.coll, true, false).await;
    let c1 = Client::builder()
        .basic_auth("dave", "pw-dave")
        .retry(no_retry())
        .build()
        .unwrap();
    let ok = c1
        .api_root(&w1.node.root_url())
        .unwrap()
        .collections()
        .await
        .unwrap();
    assert_eq!(ok.collections.len(), 1);
    let e = c1
        .api_root(&w2.node.root_url())
        .unwrap()
        .collections()
        .await
        .unwrap_err();
    assert_eq!(e.http_status(), Some(401));
}
