//! The in-memory index and the finding of hits.
//!
//! The index maps each normalised [`Observable`] to its **postings**: the object versions that
//! hold it (an SCO, an observed-data, a sighting, or an indicator whose pattern compares to
//! it). New data is checked in two ways:
//!
//! 1. **Value**: each observable of a new object version is looked up (an address also in every
//!    indexed network of its family that contains it, one probe per prefix length present);
//!    each posting found is a hit.
//! 2. **Pattern**: the indicators found that way (their pattern names a value the new
//!    observed-data holds), plus the few *unanchored* indicators whose patterns name a type the
//!    new data holds, are evaluated with [`entente_pattern`] on the observed-data of the batch;
//!    a match is a hit with the rule [`Rule::Pattern`].
//!
//! A batch is checked against the index as it was before the batch, then added to it, so two
//! objects of one batch (one bundle, one event) never hit each other, as MISP does not
//! correlate within one event. Versions of one object in one collection never hit each other.
//!
//! **Over-correlation**: a value held by more than [`Settings::cap`] object versions makes no
//! more postings and no more hits; it is reported by [`Engine::capped`]. Hits therefore grow
//! at most linearly with the data (each new posting makes at most `cap` hits), never as the
//! square of it.

use std::collections::{HashMap, HashSet};
use std::net::IpAddr;
use std::sync::Arc;

use entente_pattern::{CompiledPattern, Observations};
use entente_stix::Object;
use serde_json::Value;

use crate::extract;
use crate::hash::Fx;
use crate::observable::{Kind, Observable, v4_prefix, v6_prefix};
use crate::packed;
use crate::warning::WarningList;

/// Correlation settings (kept by the store, changed with `entente hits settings`).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Whether ingest indexes and correlates at all.
    pub enabled: bool,
    /// A value held by more than this many object versions is capped: no more hits for it.
    pub cap: usize,
    /// Whether the built-in warning lists apply.
    pub builtin_warning_lists: bool,
    /// More values that never correlate (addresses, CIDR networks, domains with their
    /// subdomains, URLs, e-mail addresses, hashes).
    pub warn: Vec<String>,
    /// Values that correlate even though a warning list names them.
    pub allow: Vec<String>,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            enabled: true,
            cap: 100,
            builtin_warning_lists: true,
            warn: Vec::new(),
            allow: Vec::new(),
        }
    }
}

impl Settings {
    /// Checks the settings (the cap is at least 1, every list entry is understood).
    pub fn validate(&self) -> Result<(), String> {
        if self.cap == 0 {
            return Err("the cap must be at least 1".into());
        }
        WarningList::new(self.builtin_warning_lists, &self.warn, &self.allow).map(|_| ())
    }
}

/// One side of a hit: an object version in a collection.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Side {
    /// The collection id.
    pub collection: String,
    /// The STIX id.
    pub id: String,
    /// The version (`modified`, else `created`, else empty).
    pub version: String,
}

/// How a hit was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Rule {
    /// Both sides hold the same value (or an address and a network containing it).
    Value,
    /// The indicator's whole pattern matches the observed-data.
    Pattern,
}

impl Rule {
    /// `value` or `pattern`.
    pub fn as_str(self) -> &'static str {
        match self {
            Rule::Value => "value",
            Rule::Pattern => "pattern",
        }
    }
}

/// A link between a new object version and one already indexed.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Hit {
    /// The version whose arrival found the hit.
    pub new: Side,
    /// The indexed version it links to.
    pub old: Side,
    /// The kind of the value ([`Kind::name`]), or `pattern` for [`Rule::Pattern`].
    pub kind: String,
    /// The value on the indexed side (the network, for an address inside one); empty for
    /// [`Rule::Pattern`].
    pub value: String,
    /// How it was found.
    pub rule: Rule,
}

/// An indexed object version. Its texts (id and version, packed by [`crate::packed`], and the
/// pattern of an indicator) lie one after the other in a chunk of [`Engine::texts`]: a few large
/// allocations for every version rather than three small ones each (a million-object import
/// peaked about 40 MB lower). Chunks never grow once full, so no text is ever copied.
#[derive(Debug)]
struct Doc {
    /// Where its texts start: a chunk of [`Engine::texts`] and an offset in it.
    chunk: u32,
    at: u32,
    coll: u32,
    id_len: u16,
    version_len: u16,
    /// The pattern's length, for indicators.
    pattern_len: Option<u32>,
}

/// The postings of one value.
#[derive(Debug, Default)]
struct Entry {
    docs: Vec<u32>,
    /// How many versions hold it (beyond the cap, only counted).
    holders: u64,
}

/// The size of a chunk of doc texts: the heap of a million indexed versions is a hundred or so
/// of them.
const TEXT_CHUNK: usize = 1 << 20;

/// Compiled patterns the engine keeps at most. Each is a few kilobytes; kept for every
/// indicator ever a candidate, they took hundreds of megabytes at a million indexed versions.
const COMPILED_KEPT: usize = 8_192;

/// The correlation engine: settings, warning lists, the index and the compiled patterns.
pub struct Engine {
    settings: Settings,
    warnings: WarningList,
    collections: Vec<Box<str>>,
    collection_ix: HashMap<Box<str>, u32>,
    docs: Vec<Doc>,
    /// The texts of the docs (see [`Doc`]), in chunks of about [`TEXT_CHUNK`] bytes.
    texts: Vec<Vec<u8>>,
    /// The object types of the packed ids in [`Engine::texts`].
    types: packed::Types,
    values: HashMap<Observable, Entry, Fx>,
    /// How many indexed networks there are per prefix length (index: length; v4 then v6).
    v4_prefixes: [u32; 33],
    v6_prefixes: [u32; 129],
    /// Indicators whose pattern has no equality anchor, with the object types it names.
    unanchored: Vec<(u32, Vec<String>)>,
    compiled: HashMap<u32, Option<Arc<CompiledPattern>>, Fx>,
    /// How many values are over the cap (kept as they change: asked after every batch).
    capped: usize,
}

/// Sizes of the index, for reports and benchmarks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Stats {
    /// Object versions indexed.
    pub objects: usize,
    /// Distinct values.
    pub values: usize,
    /// Postings (value, version) kept.
    pub postings: usize,
    /// Indicators checked by type because their pattern has no equality anchor.
    pub unanchored: usize,
    /// Values over the cap.
    pub capped: usize,
}

/// What one object of a batch contributes.
struct Prepared {
    doc: Side,
    observables: Vec<Observable>,
    /// Indicator pattern text and whether it is anchored.
    pattern: Option<(String, bool, Vec<String>)>,
    /// Whether this is observed-data (checked against patterns).
    observed: bool,
    /// Its position in the batch (and in the parsed values).
    at: usize,
}

impl Engine {
    /// An empty engine. `Err` when the settings are not valid (see [`Settings::validate`]).
    pub fn new(settings: Settings) -> Result<Engine, String> {
        settings.validate()?;
        let warnings = WarningList::new(
            settings.builtin_warning_lists,
            &settings.warn,
            &settings.allow,
        )?;
        Ok(Engine {
            settings,
            warnings,
            collections: Vec::new(),
            collection_ix: HashMap::new(),
            docs: Vec::new(),
            texts: Vec::new(),
            types: packed::Types::default(),
            values: HashMap::default(),
            v4_prefixes: [0; 33],
            v6_prefixes: [0; 129],
            unanchored: Vec::new(),
            compiled: HashMap::default(),
            capped: 0,
        })
    }

    /// The settings in force.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Sizes of the index.
    pub fn stats(&self) -> Stats {
        Stats {
            objects: self.docs.len(),
            values: self.values.len(),
            postings: self.values.values().map(|e| e.docs.len()).sum(),
            unanchored: self.unanchored.len(),
            capped: self.capped,
        }
    }

    /// How many values are over the cap (cheap: kept up to date on every insert).
    pub fn capped_count(&self) -> usize {
        self.capped
    }

    /// The values over the cap, with how many object versions hold each, most held first.
    pub fn capped(&self) -> Vec<(Observable, u64)> {
        let cap = self.settings.cap as u64;
        let mut out: Vec<(Observable, u64)> = self
            .values
            .iter()
            .filter(|(_, e)| e.holders > cap)
            .map(|(o, e)| (o.clone(), e.holders))
            .collect();
        out.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        out
    }

    /// Indexes stored versions without looking for hits (rebuilding the index on start).
    pub fn load<'a>(&mut self, collection: &str, objects: impl IntoIterator<Item = &'a Object>) {
        let batch: Vec<&Object> = objects.into_iter().collect();
        let (prepared, _) = prepare(collection, &batch);
        for p in prepared {
            self.insert(p);
        }
    }

    /// Checks newly added versions against the index and then indexes them. Returns the hits,
    /// each once.
    pub fn ingest<'a>(
        &mut self,
        collection: &str,
        objects: impl IntoIterator<Item = &'a Object>,
    ) -> Vec<Hit> {
        let batch: Vec<&Object> = objects.into_iter().collect();
        let (prepared, parsed) = prepare(collection, &batch);
        let mut hits = Vec::new();
        // Indicators to evaluate on the observed-data that reached them through a value:
        // (indicator, index in `prepared`).
        let mut candidates: Vec<(u32, usize)> = Vec::new();
        let mut any_observed = false;
        for (i, p) in prepared.iter().enumerate() {
            any_observed |= p.observed;
            for o in &p.observables {
                self.probe(o, |doc, value| {
                    let d = &self.docs[doc as usize];
                    if self.doc_id_is(d, &p.doc.id)
                        && *self.collections[d.coll as usize] == *p.doc.collection
                    {
                        return;
                    }
                    if p.observed && d.pattern_len.is_some() {
                        candidates.push((doc, i));
                    }
                    hits.push(Hit {
                        new: p.doc.clone(),
                        old: self.side(doc),
                        kind: value.kind.name(),
                        value: value.value.clone(),
                        rule: Rule::Value,
                    });
                });
            }
        }
        if any_observed {
            self.pattern_hits(&batch, &parsed, &prepared, candidates, &mut hits);
        }
        hits.sort_by(|a, b| {
            (&a.new, &a.old, &a.kind, &a.value).cmp(&(&b.new, &b.old, &b.kind, &b.value))
        });
        hits.dedup();
        for p in prepared {
            self.insert(p);
        }
        hits
    }

    /// Indexes one version of a [`ref_types`] object by its id alone (what [`Engine::ingest`]
    /// reads of it, without its text), returning its hits when `find` (else just loading).
    pub fn ingest_ref(
        &mut self,
        collection: &str,
        id: &str,
        version: &str,
        find: bool,
    ) -> Vec<Hit> {
        let o = Observable {
            kind: Kind::Ref,
            value: id.to_owned(),
        };
        let side = Side {
            collection: collection.to_owned(),
            id: id.to_owned(),
            version: version.to_owned(),
        };
        let mut hits = Vec::new();
        if find {
            self.probe(&o, |doc, value| {
                let d = &self.docs[doc as usize];
                if self.doc_id_is(d, id) && *self.collections[d.coll as usize] == *collection {
                    return;
                }
                hits.push(Hit {
                    new: side.clone(),
                    old: self.side(doc),
                    kind: value.kind.name(),
                    value: value.value.clone(),
                    rule: Rule::Value,
                });
            });
        }
        self.insert(Prepared {
            doc: side,
            observables: vec![o],
            pattern: None,
            observed: false,
            at: 0,
        });
        hits
    }

    /// How many indexed versions `o` would hit (0 when a warning list suppresses it or it is
    /// capped). Read-only, so it can run on several threads at once.
    pub fn check(&self, o: &Observable) -> usize {
        if self.warnings.suppresses(o) {
            return 0;
        }
        let mut n = 0;
        self.probe_unfiltered(o, |_, _| n += 1);
        n
    }

    /// Normalises `raw` as `kind` and checks it ([`Engine::check`]); 0 when it does not
    /// normalise.
    pub fn check_raw(&self, kind: Kind, raw: &str) -> usize {
        match Observable::new(kind, raw) {
            Some(o) => self.check(&o),
            None => 0,
        }
    }

    fn side(&self, doc: u32) -> Side {
        let d = &self.docs[doc as usize];
        Side {
            collection: self.collections[d.coll as usize].to_string(),
            id: packed::id(self.doc_bytes(d, 0, usize::from(d.id_len)), &self.types),
            version: packed::timestamp(self.doc_bytes(
                d,
                usize::from(d.id_len),
                usize::from(d.version_len),
            )),
        }
    }

    fn doc_bytes(&self, d: &Doc, skip: usize, len: usize) -> &[u8] {
        let at = d.at as usize + skip;
        &self.texts[d.chunk as usize][at..at + len]
    }

    /// Whether `d` is a version of the object `id`.
    fn doc_id_is(&self, d: &Doc, id: &str) -> bool {
        packed::id_eq(self.doc_bytes(d, 0, usize::from(d.id_len)), id, &self.types)
    }

    fn doc_pattern(&self, d: &Doc) -> Option<&str> {
        let skip = usize::from(d.id_len) + usize::from(d.version_len);
        // Written from a `&str`, cut only at a character boundary.
        d.pattern_len
            .map(|n| std::str::from_utf8(self.doc_bytes(d, skip, n as usize)).unwrap_or_default())
    }

    /// Calls `f(doc, value)` for each posting `o` reaches: its own value, and for an address
    /// every indexed network containing it. Suppressed and capped values reach nothing.
    fn probe(&self, o: &Observable, f: impl FnMut(u32, &Observable)) {
        if self.warnings.suppresses(o) {
            return;
        }
        self.probe_unfiltered(o, f);
    }

    fn probe_unfiltered(&self, o: &Observable, mut f: impl FnMut(u32, &Observable)) {
        let cap = self.settings.cap as u64;
        let mut visit = |key: &Observable| {
            if let Some(e) = self.values.get(key)
                && e.holders <= cap
            {
                for &d in &e.docs {
                    f(d, key);
                }
            }
        };
        visit(o);
        match (o.kind, o.address()) {
            (Kind::Ipv4, Some(IpAddr::V4(a))) => {
                for len in 0..32u8 {
                    if self.v4_prefixes[len as usize] > 0 {
                        visit(&Observable {
                            kind: Kind::Ipv4,
                            value: v4_prefix(a, len),
                        });
                    }
                }
            }
            (Kind::Ipv6, Some(IpAddr::V6(a))) => {
                for len in 0..128u8 {
                    if self.v6_prefixes[len as usize] > 0 {
                        visit(&Observable {
                            kind: Kind::Ipv6,
                            value: v6_prefix(a, len),
                        });
                    }
                }
            }
            _ => {}
        }
    }

    fn insert(&mut self, p: Prepared) {
        let coll = match self.collection_ix.get(p.doc.collection.as_str()) {
            Some(&c) => c,
            None => {
                let c = self.collections.len() as u32;
                let name: Box<str> = p.doc.collection.clone().into();
                self.collections.push(name.clone());
                self.collection_ix.insert(name, c);
                c
            }
        };
        let doc = self.docs.len() as u32;
        let (pattern, unanchored_types) = match p.pattern {
            Some((text, anchored, types)) => (Some(text), (!anchored).then_some(types)),
            None => (None, None),
        };
        // Ids and versions are bounded by the store (300 and 64 bytes), patterns by the
        // largest object accepted; a longer text is cut at a character boundary (an id to
        // 65,535 bytes, a pattern to a chunk), which can only make that doc miss a hit.
        let fit = |t: &str, max: usize| {
            let mut n = t.len().min(max);
            while !t.is_char_boundary(n) {
                n -= 1;
            }
            n
        };
        // A packed form is at most its text and one byte.
        let id = &p.doc.id[..fit(&p.doc.id, usize::from(u16::MAX) - 1)];
        let version = &p.doc.version[..fit(&p.doc.version, usize::from(u16::MAX) - 1)];
        let pattern_len = pattern.as_deref().map(|t| fit(t, TEXT_CHUNK));
        let need = id.len() + 1 + version.len() + 1 + pattern_len.unwrap_or(0);
        let room = self.texts.last().map_or(0, |c| c.capacity() - c.len());
        if room < need {
            self.texts.push(Vec::with_capacity(TEXT_CHUNK.max(need)));
        }
        let chunk = self.texts.len() - 1;
        let texts = &mut self.texts[chunk];
        let at = texts.len();
        packed::push_id(texts, id, &mut self.types);
        let id_len = texts.len() - at;
        packed::push_timestamp(texts, version);
        let version_len = texts.len() - at - id_len;
        if let (Some(t), Some(n)) = (&pattern, pattern_len) {
            texts.extend_from_slice(&t.as_bytes()[..n]);
        }
        let at = at as u32;
        self.docs.push(Doc {
            chunk: chunk as u32,
            at,
            coll,
            id_len: id_len as u16,
            version_len: version_len as u16,
            pattern_len: pattern_len.map(|n| n as u32),
        });
        if let Some(types) = unanchored_types {
            self.unanchored.push((doc, types));
        }
        let cap = self.settings.cap as u64;
        for o in p.observables {
            if self.warnings.suppresses(&o) {
                continue;
            }
            if let Some(net) = o.network() {
                let fresh = !self.values.contains_key(&o);
                if fresh {
                    match net {
                        ipnet::IpNet::V4(n) => self.v4_prefixes[n.prefix_len() as usize] += 1,
                        ipnet::IpNet::V6(n) => self.v6_prefixes[n.prefix_len() as usize] += 1,
                    }
                }
            }
            let e = self.values.entry(o).or_default();
            if e.docs.last() == Some(&doc) {
                continue;
            }
            e.holders += 1;
            if e.holders <= cap {
                e.docs.push(doc);
            } else if !e.docs.is_empty() {
                // Over the cap: the postings are no longer used; keep only the count.
                e.docs = Vec::new();
                self.capped += 1;
            }
        }
    }

    /// The compiled pattern of indicator `doc`, compiled on first use and kept while the
    /// cache has room (see [`COMPILED_KEPT`]).
    fn compiled(&mut self, doc: u32) -> Option<Arc<CompiledPattern>> {
        if let Some(c) = self.compiled.get(&doc) {
            return c.clone();
        }
        let c = self
            .doc_pattern(&self.docs[doc as usize])
            .and_then(|p| entente_pattern::compile(p).ok())
            .map(Arc::new);
        if self.compiled.len() >= COMPILED_KEPT {
            // Full: start again. The patterns in use now are compiled again as they are met.
            self.compiled.clear();
        }
        self.compiled.insert(doc, c.clone());
        c
    }

    /// Evaluates candidate indicators on the batch's observed-data. A pattern of one
    /// observation (`[...]`, possibly qualified) can only match an observation holding one of
    /// its values, so it is evaluated on each observed-data that reached it, alone: every
    /// matching observed-data gets its hit, and the work is one evaluation per (indicator,
    /// observed-data) pair found through the index. Patterns over several observations, and
    /// the unanchored ones naming a type the batch holds, are evaluated on all the batch's
    /// observations together.
    fn pattern_hits(
        &mut self,
        batch: &[&Object],
        parsed: &[Option<Value>],
        prepared: &[Prepared],
        candidates: Vec<(u32, usize)>,
        hits: &mut Vec<Hit>,
    ) {
        let mut scos: HashMap<&str, &Value> = HashMap::new();
        let mut types: HashSet<&str> = HashSet::new();
        for (o, v) in batch.iter().zip(parsed) {
            let Some(v) = v else { continue };
            if extract::is_indexed_sco(o.object_type()) {
                scos.insert(o.id().as_str(), v);
                types.insert(o.object_type());
            } else if let Some(objs) = v.get("objects").and_then(Value::as_object) {
                types.extend(
                    objs.values()
                        .filter_map(|x| x.get("type").and_then(Value::as_str)),
                );
            }
        }
        let mut per_observed: HashMap<usize, Vec<u32>> = HashMap::new();
        let mut together: Vec<u32> = Vec::new();
        for (doc, i) in candidates {
            let Some(pattern) = self.compiled(doc) else {
                continue;
            };
            if single_observation(&pattern.pattern().expr) {
                per_observed.entry(i).or_default().push(doc);
            } else {
                together.push(doc);
            }
        }
        for (doc, ts) in &self.unanchored {
            if ts.iter().any(|t| types.contains(t.as_str())) {
                together.push(*doc);
            }
        }
        let mut per_observed: Vec<(usize, Vec<u32>)> = per_observed.into_iter().collect();
        per_observed.sort_unstable_by_key(|(i, _)| *i);
        for (i, mut docs) in per_observed {
            docs.sort_unstable();
            docs.dedup();
            let p = &prepared[i];
            let Some(od) = parsed[p.at].as_ref() else {
                continue;
            };
            let mut objects = vec![od];
            if let Some(refs) = od.get("object_refs").and_then(Value::as_array) {
                objects.extend(refs.iter().filter_map(|r| scos.get(r.as_str()?).copied()));
            }
            let Ok(observations) = Observations::from_objects(objects) else {
                continue;
            };
            for doc in docs {
                let Some(pattern) = self.compiled(doc) else {
                    continue;
                };
                // A search that gives up is no match: correlation never blocks ingest.
                if let Ok(true) = pattern.matches(&observations) {
                    hits.push(Hit {
                        new: p.doc.clone(),
                        old: self.side(doc),
                        kind: "pattern".into(),
                        value: String::new(),
                        rule: Rule::Pattern,
                    });
                }
            }
        }
        if together.is_empty() {
            return;
        }
        together.sort_unstable();
        together.dedup();
        let values = batch.iter().zip(parsed).filter_map(|(o, v)| {
            let t = o.object_type();
            (t == "observed-data" || extract::is_indexed_sco(t))
                .then_some(v.as_ref())
                .flatten()
        });
        let Ok(observations) = Observations::from_objects(values) else {
            return;
        };
        let side_of: HashMap<&str, &Side> = prepared
            .iter()
            .filter(|p| p.observed)
            .map(|p| (p.doc.id.as_str(), &p.doc))
            .collect();
        for doc in together {
            let Some(pattern) = self.compiled(doc) else {
                continue;
            };
            let Ok(Some(m)) = pattern.first_match(&observations) else {
                continue;
            };
            let old = self.side(doc);
            for obs in m.observed_data(&observations) {
                if let Some(new) = obs.id.and_then(|id| side_of.get(id)) {
                    hits.push(Hit {
                        new: (*new).clone(),
                        old: old.clone(),
                        kind: "pattern".into(),
                        value: String::new(),
                        rule: Rule::Pattern,
                    });
                }
            }
        }
    }
}

/// Whether a pattern is one observation expression (`[...]`, possibly qualified).
fn single_observation(e: &entente_pattern::ast::ObservationExpr) -> bool {
    use entente_pattern::ast::{ObservationExpr, Qualifier};
    match e {
        ObservationExpr::Comparison(_) => true,
        // REPEATS needs several observations.
        ObservationExpr::Qualified(_, Qualifier::Repeats(_)) => false,
        ObservationExpr::Qualified(inner, _) => single_observation(inner),
        _ => false,
    }
}

/// Types whose own id is indexed as a [`Kind::Ref`], so that a sighting of them hits them.
const SIGHTABLE: &[&str] = &[
    "indicator",
    "observed-data",
    "malware",
    "threat-actor",
    "intrusion-set",
    "campaign",
    "infrastructure",
    "tool",
    "identity",
];

fn sightable(t: &str) -> bool {
    SIGHTABLE.contains(&t)
}

/// The object types whose body the engine reads (indicators, observed-data, sightings, SCOs);
/// rebuilding the index from a store needs their text.
pub fn indexed_types() -> Vec<&'static str> {
    let mut v = vec!["indicator", "observed-data", "sighting"];
    v.extend_from_slice(extract::SCO_TYPES);
    v.extend(extract::CUSTOM_TYPES.iter().map(|(t, _)| *t));
    v
}

/// The object types of which the engine only needs the id and version (a sighting of them
/// hits them): a rebuild reads them from the manifest, without their text, through
/// [`Engine::ingest_ref`].
pub fn ref_types() -> Vec<&'static str> {
    SIGHTABLE
        .iter()
        .copied()
        .filter(|t| *t != "indicator" && *t != "observed-data")
        .collect()
}

/// The fields of an indicator the engine reads; serde skips the rest without building it.
#[derive(serde::Deserialize)]
struct IndicatorFields<'a> {
    #[serde(borrow, default)]
    pattern: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow, default)]
    pattern_type: Option<std::borrow::Cow<'a, str>>,
}

/// Reads what each object of a batch contributes. SCOs that an observed-data of the batch
/// refers to are attributed to the observed-data, not indexed on their own (the observation is
/// what an analyst wants to reach).
fn prepare(collection: &str, batch: &[&Object]) -> (Vec<Prepared>, Vec<Option<Value>>) {
    let mut parsed: Vec<Option<Value>> = Vec::with_capacity(batch.len());
    for o in batch {
        let t = o.object_type();
        // Indicators are read into the two fields the engine needs (below), not into a tree:
        // they are most of what is indexed, and building and dropping a full tree per object
        // was most of the cost of correlating on ingest.
        let wanted = t == "observed-data" || t == "sighting" || extract::is_indexed_sco(t);
        parsed.push(if wanted {
            serde_json::from_str(o.as_json()).ok()
        } else {
            None
        });
    }
    let mut scos: HashMap<&str, &Value> = HashMap::new();
    let mut referenced: HashSet<&str> = HashSet::new();
    for (o, v) in batch.iter().zip(&parsed) {
        if let Some(v) = v {
            if extract::is_indexed_sco(o.object_type()) {
                scos.insert(o.id().as_str(), v);
            } else if o.object_type() == "observed-data"
                && let Some(refs) = v.get("object_refs").and_then(Value::as_array)
            {
                referenced.extend(refs.iter().filter_map(Value::as_str));
            }
        }
    }
    let mut out = Vec::with_capacity(batch.len());
    for (at, (o, v)) in batch.iter().zip(&parsed).enumerate() {
        let t = o.object_type();
        let mut observables = Vec::new();
        let mut pattern = None;
        if sightable(t) {
            observables.push(Observable {
                kind: Kind::Ref,
                value: o.id().as_str().to_owned(),
            });
        }
        if t == "indicator"
            && let Ok(ind) = serde_json::from_str::<IndicatorFields<'_>>(o.as_json())
            && ind.pattern_type.as_deref().unwrap_or("stix") == "stix"
            && let Some(text) = ind.pattern
            && let Ok(p) = entente_pattern::parse(&text)
        {
            observables.extend(extract::pattern_values(&p));
            pattern = Some((
                text.into_owned(),
                extract::is_anchored(&p),
                extract::pattern_types(&p),
            ));
        }
        if let Some(v) = v {
            match t {
                "observed-data" => extract::observed_data_observables(
                    v,
                    |r| scos.get(r).copied(),
                    &mut observables,
                ),
                "sighting" => extract::sighting_observables(v, &mut observables),
                _ if referenced.contains(o.id().as_str()) => continue,
                _ => extract::sco_observables(v, &mut observables),
            }
        }
        if observables.is_empty() && pattern.is_none() {
            continue;
        }
        observables.sort();
        observables.dedup();
        out.push(Prepared {
            doc: Side {
                collection: collection.to_owned(),
                id: o.id().as_str().to_owned(),
                version: o
                    .version()
                    .map(|t| t.as_str().to_owned())
                    .unwrap_or_default(),
            },
            observables,
            pattern,
            observed: t == "observed-data",
            at,
        });
    }
    drop(scos);
    drop(referenced);
    (out, parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(json: String) -> Object {
        Object::from_json(&json).expect("valid object")
    }

    /// Patterns compiled for the candidates of more indicators than the cache holds: every
    /// observed-data still gets its pattern hit (those compiled again after the cache started
    /// again), and the cache never holds more than [`COMPILED_KEPT`].
    #[test]
    fn the_compiled_patterns_kept_are_bounded() {
        let mut e = Engine::new(Settings::default()).unwrap();
        let n = COMPILED_KEPT as u32 + 100;
        let domain = |i: u32| format!("c2-{i}.evil-corp.net");
        let indicators: Vec<Object> = (0..n)
            .map(|i| {
                object(format!(
                    r#"{{"type":"indicator","spec_version":"2.1","id":"indicator--00000000-0000-4000-8000-{i:012}","created":"2026-01-01T00:00:00Z","modified":"2026-01-01T00:00:00Z","pattern":"[domain-name:value = '{}']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z"}}"#,
                    domain(i)
                ))
            })
            .collect();
        e.ingest("ours", indicators.iter());
        // Twice over: the second round meets indicators whose patterns the cache let go.
        for round in 0..2u32 {
            for i in 0..n {
                let k = round * n + i;
                let sco = object(format!(
                    r#"{{"type":"domain-name","spec_version":"2.1","id":"domain-name--00000000-0000-4000-9000-{k:012}","value":"{}"}}"#,
                    domain(i)
                ));
                let od = object(format!(
                    r#"{{"type":"observed-data","spec_version":"2.1","id":"observed-data--00000000-0000-4000-a000-{k:012}","created":"2026-02-01T00:00:00Z","modified":"2026-02-01T00:00:00Z","first_observed":"2026-02-01T00:00:00Z","last_observed":"2026-02-01T00:00:00Z","number_observed":1,"object_refs":["{}"]}}"#,
                    sco.id()
                ));
                let hits = e.ingest("theirs", [&od, &sco]);
                let pattern = hits.iter().filter(|h| h.rule == Rule::Pattern).count();
                assert_eq!(pattern, 1, "round {round}, indicator {i}: {hits:?}");
                assert!(e.compiled.len() <= COMPILED_KEPT);
            }
        }
    }
}
