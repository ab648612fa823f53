//! Observations: observed-data objects read for matching.
//!
//! An [`Observation`] borrows the JSON it was read from; nothing is copied, so preparing the
//! input costs one pass and one hash map. Two shapes are read (STIX 2.1 section 4.14 and STIX
//! 2.0 part 4):
//!
//! - **STIX 2.1**: `object_refs` lists SCO identifiers; the SCOs are supplied alongside (in the
//!   same list or bundle). References inside SCOs (`from_ref`, `to_refs`, ...) are identifiers,
//!   resolved against every SCO supplied. A referenced SCO that was not supplied is skipped.
//! - **STIX 2.0** (and the deprecated 2.1 form): an `objects` dictionary keyed `"0"`, `"1"`, ...;
//!   references are those keys, resolved inside the same observed-data.

use std::collections::HashMap;

use entente_stix::Timestamp;
use serde_json::Value;

use crate::error::ObservationError;

/// One observed-data object, ready for matching.
#[derive(Debug, Clone)]
pub struct Observation<'a> {
    /// The observed-data `id`, when it has one.
    pub id: Option<&'a str>,
    /// `first_observed`.
    pub first_observed: Timestamp,
    /// `last_observed`.
    pub last_observed: Timestamp,
    /// `number_observed` (at least 1).
    pub number_observed: u64,
    /// The observed SCOs: `(key, type, object)`, where the key is the SCO id (2.1) or the
    /// dictionary key (2.0). The type is read once here because every property test asks it.
    pub(crate) objects: Vec<(&'a str, &'a str, &'a Value)>,
    /// True for the 2.0 dictionary form: references resolve among `objects`.
    pub(crate) local_refs: bool,
    /// The observed-data JSON.
    source: &'a Value,
}

impl<'a> Observation<'a> {
    /// The observed-data object itself.
    pub fn observed_data(&self) -> &'a Value {
        self.source
    }

    /// The observed SCOs as `(key, object)` pairs.
    pub fn objects(&self) -> impl Iterator<Item = (&'a str, &'a Value)> + '_ {
        self.objects.iter().map(|(k, _, v)| (*k, *v))
    }
}

/// A set of observations with the SCOs they refer to.
#[derive(Debug, Clone, Default)]
pub struct Observations<'a> {
    list: Vec<Observation<'a>>,
    /// Every supplied object with an `id` that is not observed-data, with its type, for 2.1
    /// references.
    pool: IdMap<&'a str, (&'a str, &'a Value)>,
}

impl<'a> Observations<'a> {
    /// Reads observations from STIX objects: observed-data objects, the SCOs their
    /// `object_refs` name, and bundles holding either (one level deep). Other objects are
    /// ignored except as reference targets.
    ///
    /// ```
    /// let objects: Vec<serde_json::Value> = serde_json::from_str(r#"[
    ///   {"type": "observed-data", "id": "observed-data--6f3f3e5c-9f5c-4d6b-8d0e-6a1d7d6c7a11",
    ///    "first_observed": "2026-01-01T00:00:00Z", "last_observed": "2026-01-01T00:00:00Z",
    ///    "number_observed": 1, "object_refs": ["domain-name--2c9ab4e4-4a70-4a4a-9b48-1f4d8e6d7f31"]},
    ///   {"type": "domain-name", "id": "domain-name--2c9ab4e4-4a70-4a4a-9b48-1f4d8e6d7f31",
    ///    "value": "example.com"}
    /// ]"#)?;
    /// let observations = entente_pattern::Observations::from_objects(&objects)?;
    /// assert_eq!(observations.len(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_objects<I>(objects: I) -> Result<Observations<'a>, ObservationError>
    where
        I: IntoIterator<Item = &'a Value>,
    {
        let mut flat: Vec<(&'a str, Option<&'a str>, &'a Value)> = Vec::new();
        for v in objects {
            let (t, id) = type_and_id(v);
            if t == "bundle" {
                if let Some(inner) = v.get("objects").and_then(Value::as_array) {
                    flat.extend(inner.iter().map(|o| {
                        let (t, id) = type_and_id(o);
                        (t, id, o)
                    }));
                }
            } else {
                flat.push((t, id, v));
            }
        }
        let mut pool = IdMap::with_capacity_and_hasher(flat.len(), Default::default());
        let mut observed = Vec::new();
        for &(t, id, v) in &flat {
            if t == "observed-data" {
                observed.push(v);
            } else if let Some(id) = id {
                pool.insert(id, (t, v));
            }
        }
        let mut list = Vec::with_capacity(observed.len());
        for (n, od) in observed.into_iter().enumerate() {
            list.push(read_observed_data(od, n, &pool)?);
        }
        Ok(Observations { list, pool })
    }

    /// The number of observations.
    pub fn len(&self) -> usize {
        self.list.len()
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// The observation at `index` (indices are those of [`crate::Match::observations`]).
    pub fn get(&self, index: usize) -> Option<&Observation<'a>> {
        self.list.get(index)
    }

    /// All observations in input order.
    pub fn iter(&self) -> std::slice::Iter<'_, Observation<'a>> {
        self.list.iter()
    }

    /// The object a reference names, seen from `obs`.
    pub(crate) fn resolve(&self, obs: &Observation<'a>, reference: &str) -> Option<&'a Value> {
        if obs.local_refs {
            obs.objects
                .iter()
                .find(|(k, _, _)| *k == reference)
                .map(|(_, _, v)| *v)
        } else {
            self.pool.get(reference).map(|(_, v)| *v)
        }
    }
}

/// The `type` (empty when missing) and `id` of an object.
///
/// Reading observations is dominated by cache misses on freshly parsed JSON, so this touches as
/// little as it can. A STIX identifier starts with its object's type (`file--<uuid>`, STIX 2.1
/// section 2.9), so the `id` alone usually gives both; `type` is read only for objects without
/// a well-formed `id` (the 2.0 dictionary form). Keys are compared with `==`, which checks the
/// length kept beside the pointer before reading the key's bytes, where the map's ordered
/// lookup would read the bytes of every key it passes.
fn type_and_id(v: &Value) -> (&str, Option<&str>) {
    let Some(map) = v.as_object() else {
        return ("", None);
    };
    let mut id = None;
    for (k, val) in map {
        if k == "id" {
            id = val.as_str();
            break;
        }
    }
    if let Some(t) = id.and_then(entente_stix::type_of)
        && !t.is_empty()
    {
        return (t, id);
    }
    let t = map
        .iter()
        .find(|(k, _)| *k == "type")
        .and_then(|(_, v)| v.as_str())
        .unwrap_or("");
    (t, id)
}

/// A word-at-a-time multiplicative hash for identifier keys. The map lives for one call and
/// holds the caller's own objects, so keyed SipHash's resistance to chosen collisions buys
/// little here, and it costs more than the rest of reading an observation.
#[derive(Default, Clone, Copy)]
pub(crate) struct IdHasher(u64);

impl std::hash::Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x517c_c1b7_2722_0a95;
        let mut h = self.0;
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let w = u64::from_le_bytes(c.try_into().expect("eight bytes"));
            h = (h.rotate_left(5) ^ w).wrapping_mul(K);
        }
        for b in chunks.remainder() {
            h = (h.rotate_left(5) ^ u64::from(*b)).wrapping_mul(K);
        }
        self.0 = h;
    }
}

type IdMap<K, V> = HashMap<K, V, std::hash::BuildHasherDefault<IdHasher>>;

fn read_observed_data<'a>(
    od: &'a Value,
    n: usize,
    pool: &IdMap<&'a str, (&'a str, &'a Value)>,
) -> Result<Observation<'a>, ObservationError> {
    // One pass over the properties instead of a lookup per property.
    let (mut id, mut first, mut last, mut number, mut dict, mut refs) =
        (None, None, None, None, None, None);
    if let Some(map) = od.as_object() {
        for (k, v) in map {
            match k.as_str() {
                "id" => id = v.as_str(),
                "first_observed" => first = Some(v),
                "last_observed" => last = Some(v),
                "number_observed" => number = Some(v),
                "objects" => dict = v.as_object(),
                "object_refs" => refs = v.as_array(),
                _ => {}
            }
        }
    }
    let invalid = |problem: String| ObservationError::Invalid {
        id: id.map_or_else(|| format!("#{n}"), str::to_owned),
        problem,
    };
    let ts = |value: Option<&Value>, name: &str| -> Result<Timestamp, ObservationError> {
        let text = value
            .and_then(Value::as_str)
            .ok_or_else(|| invalid(format!("missing {name}")))?;
        text.parse()
            .map_err(|_| invalid(format!("{name} {text:?} is not a STIX timestamp")))
    };
    let first_observed = ts(first, "first_observed")?;
    let last_observed = ts(last, "last_observed")?;
    if last_observed < first_observed {
        return Err(invalid("last_observed is before first_observed".into()));
    }
    let number_observed = number
        .and_then(Value::as_u64)
        .filter(|n| *n >= 1)
        .ok_or_else(|| invalid("number_observed must be an integer of at least 1".into()))?;
    let (objects, local_refs) = if let Some(dict) = dict {
        (
            dict.iter()
                .map(|(k, v)| (k.as_str(), type_and_id(v).0, v))
                .collect::<Vec<_>>(),
            true,
        )
    } else if let Some(refs) = refs {
        let objects = refs
            .iter()
            .filter_map(Value::as_str)
            .filter_map(|r| pool.get_key_value(r).map(|(k, (t, v))| (*k, *t, *v)))
            .collect();
        (objects, false)
    } else {
        return Err(invalid("neither object_refs nor objects".into()));
    };
    Ok(Observation {
        id,
        first_observed,
        last_observed,
        number_observed,
        objects,
        local_refs,
        source: od,
    })
}
