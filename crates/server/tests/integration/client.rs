//! The `entente-taxii` client on its own: retries, errors, size caps, paging fallbacks and
//! status polling, against small stand-in servers (for behaviours a correct node never
//! shows) and against a real node.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use entente_taxii::client::Error;
use entente_taxii::{Client, ObjectQuery, PollOptions, RetryPolicy, StatusKind, TAXII_JSON};
use futures::TryStreamExt;
use serde_json::json;

use super::node::{World, envelope, indicator};

fn quick_retries(n: u32) -> RetryPolicy {
    RetryPolicy {
        max_retries: n,
        initial_backoff: Duration::from_millis(10),
        max_backoff: Duration::from_millis(50),
    }
}

/// Serves `app` on loopback; returns its base URL.
async fn stand_in(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    format!("http://{addr}")
}

fn taxii(status: StatusCode, body: serde_json::Value) -> Response {
    (status, [("content-type", TAXII_JSON)], body.to_string()).into_response()
}

#[derive(Clone, Default)]
struct Counter(Arc<AtomicUsize>);

impl Counter {
    fn bump(&self) -> usize {
        self.0.fetch_add(1, Ordering::SeqCst) + 1
    }
    fn get(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

#[tokio::test]
async fn idempotent_requests_are_retried_on_5xx_and_429_posts_are_not() {
    let hits = Counter::default();
    let app = Router::new()
        .route(
            "/api/",
            get(|State(c): State<Counter>| async move {
                match c.bump() {
                    1 => taxii(StatusCode::SERVICE_UNAVAILABLE, json!({"title": "busy"})),
                    2 => (
                        StatusCode::TOO_MANY_REQUESTS,
                        [("retry-after", "0")],
                        "slow down",
                    )
                        .into_response(),
                    _ => taxii(
                        StatusCode::OK,
                        json!({"title": "ok", "versions": [TAXII_JSON], "max_content_length": 10}),
                    ),
                }
            }),
        )
        .route(
            "/api/collections/c/objects/",
            axum::routing::post(|State(c): State<Counter>| async move {
                c.bump();
                taxii(StatusCode::BAD_GATEWAY, json!({"title": "upstream down"}))
            }),
        )
        .with_state(hits.clone());
    let base = stand_in(app).await;
    let client = Client::builder().retry(quick_retries(3)).build().unwrap();
    let root = client.api_root(&format!("{base}/api/")).unwrap();
    let info = root.information().await.unwrap();
    assert_eq!(info.title, "ok");
    assert_eq!(hits.get(), 3);

    let before = hits.get();
    let e = root
        .collection("c")
        .add_objects(&envelope(&[indicator(1, 0)]))
        .await
        .unwrap_err();
    assert_eq!(
        hits.get() - before,
        1,
        "a POST that reached the server is not repeated"
    );
    assert_eq!(e.http_status(), Some(502));
    assert_eq!(e.taxii_error().unwrap().title, "upstream down");
}

#[tokio::test]
async fn retries_give_up_after_the_policy_and_report_the_last_error() {
    let hits = Counter::default();
    let app = Router::new()
        .route(
            "/api/",
            get(|State(c): State<Counter>| async move {
                c.bump();
                (StatusCode::INTERNAL_SERVER_ERROR, "<html>oops</html>").into_response()
            }),
        )
        .with_state(hits.clone());
    let base = stand_in(app).await;
    let client = Client::builder().retry(quick_retries(2)).build().unwrap();
    let e = client
        .api_root(&format!("{base}/api/"))
        .unwrap()
        .information()
        .await
        .unwrap_err();
    assert_eq!(hits.get(), 3);
    assert_eq!(e.http_status(), Some(500));
    assert!(
        e.taxii_error().is_none(),
        "an HTML body is not a TAXII error"
    );
}

#[tokio::test]
async fn connection_refused_is_a_transport_error_after_retries() {
    // Bind then drop: the port is (very likely) closed now.
    let addr = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let client = Client::builder().retry(quick_retries(2)).build().unwrap();
    let started = Instant::now();
    let e = client
        .discovery(&format!("http://{addr}/taxii2/"))
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Transport { .. }), "{e}");
    assert!(
        started.elapsed() >= Duration::from_millis(10),
        "it waited between attempts"
    );
}

#[tokio::test]
async fn timeouts_are_enforced() {
    let app = Router::new().route(
        "/api/",
        get(|| async {
            tokio::time::sleep(Duration::from_secs(5)).await;
            "late"
        }),
    );
    let base = stand_in(app).await;
    let client = Client::builder()
        .timeout(Duration::from_millis(200))
        .retry(quick_retries(0))
        .build()
        .unwrap();
    let started = Instant::now();
    let e = client
        .api_root(&format!("{base}/api/"))
        .unwrap()
        .information()
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Transport { .. }), "{e}");
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn responses_over_the_cap_are_refused() {
    let w = World::new().await;
    let objs: Vec<_> = (0..20).map(|n| indicator(n, 0)).collect();
    w.alice().add_objects(&envelope(&objs)).await.unwrap();
    let client = Client::builder()
        .bearer_token(&w.alice)
        .max_response_bytes(1024)
        .retry(quick_retries(0))
        .build()
        .unwrap();
    let e = client
        .api_root(&w.node.root_url())
        .unwrap()
        .collection(&w.coll)
        .objects(&ObjectQuery::new())
        .await
        .unwrap_err();
    assert!(matches!(e, Error::TooLarge { limit: 1024, .. }), "{e}");
}

#[tokio::test]
async fn servers_without_next_are_paged_by_date_added_and_empty_more_pages_stop() {
    // A TAXII 2.0-style server: `more` without `next`, paging by added_after.
    async fn objects(Query(q): Query<Vec<(String, String)>>) -> Response {
        let after = q
            .iter()
            .find(|(k, _)| k == "added_after")
            .map(|(_, v)| v.clone());
        let (ids, more, last) = match after.as_deref() {
            None => (vec![1, 2], true, "2021-01-01T00:00:02.000000Z"),
            Some("2021-01-01T00:00:02.000000Z") => (vec![3], false, "2021-01-01T00:00:03.000000Z"),
            Some(other) => panic!("unexpected added_after {other}"),
        };
        let objects: Vec<_> = ids.iter().map(|n| indicator(*n, 0)).collect();
        let mut h = HeaderMap::new();
        h.insert("x-taxii-date-added-last", last.parse().unwrap());
        (
            h,
            taxii(StatusCode::OK, json!({"more": more, "objects": objects})),
        )
            .into_response()
    }
    async fn liar() -> Response {
        taxii(StatusCode::OK, json!({"more": true, "next": "again"}))
    }
    let app = Router::new()
        .route("/api/collections/c/objects/", get(objects))
        .route("/api/collections/liar/objects/", get(liar));
    let base = stand_in(app).await;
    let client = Client::builder().retry(quick_retries(0)).build().unwrap();
    let root = client.api_root(&format!("{base}/api/")).unwrap();
    let all: Vec<_> = root
        .collection("c")
        .all_objects(ObjectQuery::new())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(all.len(), 3);
    let e = root
        .collection("liar")
        .all_objects(ObjectQuery::new())
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Protocol { .. }), "{e}");
}

#[tokio::test]
async fn add_objects_and_wait_polls_a_pending_status_until_complete() {
    let polls = Counter::default();
    let status = |kind: &str| {
        json!({
            "id": "s1", "status": kind, "total_count": 1,
            "success_count": if kind == "complete" { 1 } else { 0 },
            "successes": [], "failure_count": 0, "failures": [],
            "pending_count": if kind == "complete" { 0 } else { 1 }, "pendings": []
        })
    };
    let pending = status("pending");
    let complete = status("complete");
    let app = Router::new()
        .route(
            "/api/collections/c/objects/",
            axum::routing::post(move || {
                let p = pending.clone();
                async move { taxii(StatusCode::ACCEPTED, p) }
            }),
        )
        .route(
            "/api/status/s1/",
            get(move |State(c): State<Counter>| {
                let done = complete.clone();
                async move {
                    if c.bump() < 3 {
                        taxii(StatusCode::OK, status_pending())
                    } else {
                        taxii(StatusCode::OK, done)
                    }
                }
            }),
        )
        .with_state(polls.clone());
    fn status_pending() -> serde_json::Value {
        json!({
            "id": "s1", "status": "pending", "total_count": 1, "success_count": 0,
            "successes": [], "failure_count": 0, "failures": [], "pending_count": 1, "pendings": []
        })
    }
    let base = stand_in(app).await;
    let client = Client::builder().retry(quick_retries(0)).build().unwrap();
    let coll = client
        .api_root(&format!("{base}/api/"))
        .unwrap()
        .collection("c");
    let poll = PollOptions {
        interval: Duration::from_millis(10),
        max_interval: Duration::from_millis(20),
        timeout: Duration::from_secs(10),
    };
    let s = coll
        .add_objects_and_wait(&envelope(&[indicator(1, 0)]), &poll)
        .await
        .unwrap();
    assert_eq!(s.status, StatusKind::Complete);
    assert_eq!(polls.get(), 3);
    // With no patience left, the last status comes back in the error.
    let e = coll
        .add_objects_and_wait(
            &envelope(&[indicator(1, 0)]),
            &PollOptions {
                timeout: Duration::ZERO,
                ..poll
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(e, Error::StillPending { .. }), "{e}");
}

#[tokio::test]
async fn errors_from_a_real_node_carry_its_taxii_error_message() {
    let w = World::new().await;
    let e = w
        .node
        .coll(&w.reader, &w.coll)
        .add_objects(&envelope(&[indicator(1, 0)]))
        .await
        .unwrap_err();
    let m = e.taxii_error().unwrap();
    assert_eq!(m.http_status.as_deref(), Some("403"));
    assert_eq!(m.error_code.as_deref(), Some("forbidden"));
    assert!(m.error_id.is_some());
    let text = e.to_string();
    assert!(
        text.contains("HTTP 403") && text.contains("Forbidden"),
        "{text}"
    );
}
