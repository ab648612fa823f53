//! What the store benchmarks share: their knobs and a fresh collection to write into.

use entente_store::{ApiRoot, Collection, CollectionId, SharedStore};

/// A knob of a benchmark, from the environment.
// Benchmarks read their knobs from the environment (see clippy.toml).
#[allow(clippy::disallowed_methods)]
pub(crate) fn knob(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// A new collection titled `name` in the API root `bench` (created when missing).
pub(crate) async fn new_collection(store: &SharedStore, name: &str) -> CollectionId {
    let _ = store
        .create_api_root(ApiRoot {
            name: "bench".into(),
            title: "bench".into(),
            description: None,
            max_content_length: 100 << 20,
        })
        .await;
    let id = CollectionId(uuid::Uuid::new_v4().to_string());
    store
        .create_collection(Collection {
            id: id.clone(),
            api_root: "bench".into(),
            title: name.into(),
            description: None,
            alias: None,
            media_types: vec![],
        })
        .await
        .expect("create collection");
    id
}

/// The runtime the benchmarks drive the store from (two workers, as the machine has two cores).
pub(crate) fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

/// The folder for the database files: `ENTENTE_BENCH_DIR`, else `tmp`.
pub(crate) fn bench_dir(tmp: &tempfile::TempDir) -> std::path::PathBuf {
    knob("ENTENTE_BENCH_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| tmp.path().to_path_buf())
}
