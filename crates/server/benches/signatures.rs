//! The cost of signatures on federated versions: signing one version (canonical form and
//! Ed25519), verifying a page of 1,000 (one batch), and, for comparison, parsing and validating
//! the same page (the work a pull does anyway).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use entente_server::federation::signing::{KeyRing, NodeIdentity, verify};
use entente_stix::Object;
use entente_stix::provenance::Signature;

fn object(i: usize) -> Object {
    Object::from_json(&format!(
        r#"{{"type":"indicator","spec_version":"2.1","id":"indicator--{i:08x}-0000-4000-8000-000000000000","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","name":"shared indicator {i}","description":"A partner's indicator of a facilitation network, observed in the Sahel-Saharan region.","indicator_types":["malicious-activity"],"pattern":"[ipv4-addr:value = '198.51.100.{}'] OR [domain-name:value = 'c2-{i}.example']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z","confidence":80,"labels":["ct","shared"],"object_marking_refs":["marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"]}}"#,
        i % 250
    ))
    .unwrap()
}

fn bench(c: &mut Criterion) {
    let identity = NodeIdentity::generate();
    let page: Vec<Object> = (0..1000).map(object).collect();
    let signatures: Vec<Signature> = page.iter().map(|o| identity.sign(o).unwrap()).collect();
    let ring = KeyRing::with_keys([(identity.public_key().to_owned(), "fr-dgsi".to_owned())]);

    let mut g = c.benchmark_group("signatures");
    g.throughput(Throughput::Elements(1));
    g.bench_function("sign one version", |b| {
        b.iter(|| identity.sign(&page[7]).unwrap())
    });
    g.bench_function("canonical form of one version (RFC 8785)", |b| {
        b.iter(|| entente_stix::provenance::signing_input(&page[7]).unwrap())
    });
    g.throughput(Throughput::Elements(1000));
    let refs: Vec<&Object> = page.iter().collect();
    g.bench_function("sign a page of 1000 (one Merkle batch)", |b| {
        b.iter(|| identity.sign_batch(&refs).unwrap())
    });
    let batched = identity.sign_batch(&refs).unwrap();
    g.bench_function("verify a page of 1000 signed in one batch", |b| {
        let items: Vec<_> = page
            .iter()
            .zip(&batched)
            .map(|(o, s)| (o, Some(s)))
            .collect();
        b.iter(|| verify(&ring, &items))
    });
    g.bench_function(
        "verify a page of 1000 signed one by one (Ed25519 batch)",
        |b| {
            let items: Vec<_> = page
                .iter()
                .zip(&signatures)
                .map(|(o, s)| (o, Some(s)))
                .collect();
            b.iter(|| verify(&ring, &items))
        },
    );
    g.bench_function("parse and validate a page of 1000", |b| {
        let texts: Vec<String> = page.iter().map(|o| o.as_json().to_owned()).collect();
        b.iter(|| {
            texts
                .iter()
                .map(|t| entente_stix::validate(&Object::from_json(t).unwrap()).is_valid())
                .filter(|v| *v)
                .count()
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
