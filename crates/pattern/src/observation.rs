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
    /// Where the observed SCOs lie in [`Observations`]' list of them (one list for all the
    /// observations, so that reading them allocates once, not once per observation).
    pub(crate) objects: std::ops::Range<u32>,
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
}

/// An observed SCO: `(key, type, object)`, where the key is the SCO id (2.1) or the dictionary
/// key (2.0). The type is read once here because every property test asks it.
pub(crate) type Sco<'a> = (&'a str, &'a str, &'a Value);

/// A set of observations with the SCOs they refer to.
#[derive(Debug, Clone, Default)]
pub struct Observations<'a> {
    list: Vec<Observation<'a>>,
    /// The observed SCOs of every observation, each observation's in one run.
    scos: Vec<Sco<'a>>,
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
        let objects = objects.into_iter();
        let hint = objects.size_hint().0;
        let mut pool = IdMap::with_capacity_and_hasher(hint, Default::default());
        let mut observed = Vec::with_capacity(hint);
        let mut add = |t: &'a str, id: Option<&'a str>, v: &'a Value| {
            if t == "observed-data" {
                observed.push(v);
            } else if let Some(id) = id {
                pool.insert(id, (t, v));
            }
        };
        for v in objects {
            let id = id_of(v);
            let t = type_of(id, v);
            if t == "bundle" {
                for o in v
                    .get("objects")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    let id = id_of(o);
                    add(type_of(id, o), id, o);
                }
            } else {
                add(t, id, v);
            }
        }
        let mut list = Vec::with_capacity(observed.len());
        let mut scos = Vec::with_capacity(hint.saturating_sub(observed.len()));
        for (n, od) in observed.into_iter().enumerate() {
            list.push(read_observed_data(&OdFields::of(od), n, &pool, &mut scos)?);
        }
        Ok(Observations { list, scos, pool })
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

    /// The SCOs `observation` (one of these) observed, as `(key, object)` pairs: the key is the
    /// SCO id (STIX 2.1) or its key in the `objects` dictionary (STIX 2.0).
    pub fn objects_of(
        &self,
        observation: &Observation<'a>,
    ) -> impl Iterator<Item = (&'a str, &'a Value)> + '_ {
        self.scos_of(observation).iter().map(|(k, _, v)| (*k, *v))
    }

    /// The SCOs `observation` observed, with their types.
    pub(crate) fn scos_of(&self, observation: &Observation<'a>) -> &[Sco<'a>] {
        let range = &observation.objects;
        self.scos
            .get(range.start as usize..range.end as usize)
            .unwrap_or_default()
    }

    /// The object a reference names, seen from `obs`.
    pub(crate) fn resolve(&self, obs: &Observation<'a>, reference: &str) -> Option<&'a Value> {
        if obs.local_refs {
            self.scos_of(obs)
                .iter()
                .find(|(k, _, _)| *k == reference)
                .map(|(_, _, v)| *v)
        } else {
            self.pool.get(reference).map(|(_, v)| *v)
        }
    }
}

/// The `id` of an object, when it is a string.
///
/// Keys are matched by length first, which is kept beside the key's pointer in the map node, so
/// only the bytes of two-byte keys are read; the map's ordered lookup would read the bytes of
/// every key it passes.
fn id_of(v: &Value) -> Option<&str> {
    v.as_object()?
        .iter()
        .find(|(k, _)| matches!(k.as_bytes(), b"id"))?
        .1
        .as_str()
}

/// The type of an object whose `id` is `id` (empty when it has none).
///
/// A STIX identifier starts with its object's type (`file--<uuid>`, STIX 2.1 section 2.9), so
/// the `id` usually gives it; `type` is read only for objects without a well-formed `id` (the
/// 2.0 dictionary form).
fn type_of<'a>(id: Option<&'a str>, v: &'a Value) -> &'a str {
    if let Some(t) = id.and_then(entente_stix::type_of)
        && !t.is_empty()
    {
        return t;
    }
    v.as_object()
        .and_then(|map| map.iter().find(|(k, _)| matches!(k.as_bytes(), b"type")))
        .and_then(|(_, v)| v.as_str())
        .unwrap_or("")
}

/// A multiplicative hash of an identifier's length and last sixteen bytes. The map lives for
/// one call and holds the caller's own objects, so keyed SipHash's resistance to chosen
/// collisions buys little here, and it costs more than the rest of reading an observation.
/// The tail of a STIX identifier is the end of its UUID, which tells identifiers apart (the
/// type in front rarely does); colliding keys still compare equal only when they are equal.
#[derive(Default, Clone, Copy)]
pub(crate) struct IdHasher(u64);

impl std::hash::Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x517c_c1b7_2722_0a95;
        let word = |c: &[u8]| u64::from_le_bytes(c.try_into().expect("eight bytes"));
        let mut h = (self.0.rotate_left(5) ^ bytes.len() as u64).wrapping_mul(K);
        if let Some(tail) = bytes.len().checked_sub(16).map(|at| &bytes[at..]) {
            h = (h.rotate_left(5) ^ word(&tail[..8])).wrapping_mul(K);
            h = (h.rotate_left(5) ^ word(&tail[8..])).wrapping_mul(K);
        } else {
            for b in bytes {
                h = (h.rotate_left(5) ^ u64::from(*b)).wrapping_mul(K);
            }
        }
        self.0 = h;
    }

    fn write_u8(&mut self, _: u8) {
        // `str`'s `Hash` appends 0xff to tell `("ab", "c")` from `("a", "bc")`; the keys here
        // are single strings, and the length is already hashed.
    }
}

type IdMap<K, V> = HashMap<K, V, std::hash::BuildHasherDefault<IdHasher>>;

/// The properties of an observed-data object that matching reads, found in one pass over its
/// keys instead of a lookup per property.
struct OdFields<'a> {
    source: &'a Value,
    id: Option<&'a str>,
    first: Option<&'a Value>,
    last: Option<&'a Value>,
    number: Option<&'a Value>,
    dict: Option<&'a serde_json::Map<String, Value>>,
    refs: Option<&'a Vec<Value>>,
}

impl<'a> OdFields<'a> {
    #[inline(always)]
    fn of(od: &'a Value) -> OdFields<'a> {
        let mut f = OdFields {
            source: od,
            id: None,
            first: None,
            last: None,
            number: None,
            dict: None,
            refs: None,
        };
        if let Some(map) = od.as_object() {
            for (k, v) in map {
                match k.as_str() {
                    "id" => f.id = v.as_str(),
                    "first_observed" => f.first = Some(v),
                    "last_observed" => f.last = Some(v),
                    "number_observed" => f.number = Some(v),
                    "objects" => f.dict = v.as_object(),
                    "object_refs" => f.refs = v.as_array(),
                    _ => {}
                }
            }
        }
        f
    }
}

#[inline(always)]
fn read_observed_data<'a>(
    f: &OdFields<'a>,
    n: usize,
    pool: &IdMap<&'a str, (&'a str, &'a Value)>,
    scos: &mut Vec<Sco<'a>>,
) -> Result<Observation<'a>, ObservationError> {
    let &OdFields {
        source: od,
        id,
        first,
        last,
        number,
        dict,
        refs,
    } = f;
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
    let start = scos.len();
    let local_refs = if let Some(dict) = dict {
        scos.extend(
            dict.iter()
                .map(|(k, v)| (k.as_str(), type_of(id_of(v), v), v)),
        );
        true
    } else if let Some(refs) = refs {
        scos.extend(
            refs.iter()
                .filter_map(Value::as_str)
                .filter_map(|r| pool.get_key_value(r).map(|(k, (t, v))| (*k, *t, *v))),
        );
        false
    } else {
        return Err(invalid("neither object_refs nor objects".into()));
    };
    // More SCOs than a u32 counts, over all the observations of one call, are refused rather
    // than miscounted.
    let objects = match (u32::try_from(start), u32::try_from(scos.len())) {
        (Ok(start), Ok(end)) => start..end,
        _ => return Err(invalid("too many observed objects".into())),
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

#[cfg(test)]
mod tests {
    use std::hash::{BuildHasher, BuildHasherDefault};

    use serde_json::json;

    use super::*;

    #[test]
    fn hasher_reads_the_length_and_the_tail() {
        let hash = |s: &str| BuildHasherDefault::<IdHasher>::default().hash_one(s);
        let a = "file--00000000-0000-4000-8000-000000000001";
        let b = "file--00000000-0000-4000-8000-000000000002";
        assert_ne!(hash(a), hash(b));
        // Same tail, different length.
        assert_ne!(hash(&a[1..]), hash(a));
        // Short keys hash every byte.
        assert_ne!(hash("ab"), hash("ba"));
        // Keys differing only before their last sixteen bytes collide, and are still told
        // apart by comparison.
        let (c, d) = (
            "file--00000000-0000-4000-8000-000000000001",
            "url---00000000-0000-4000-8000-000000000001",
        );
        assert_eq!(hash(c), hash(d));
        let mut pool: IdMap<&str, u8> = IdMap::default();
        pool.insert(c, 1);
        pool.insert(d, 2);
        assert_eq!(
            (pool.get(c), pool.get(d), pool.len()),
            (Some(&1), Some(&2), 2)
        );
    }

    #[test]
    fn types_come_from_identifiers_or_the_type_property() {
        let with_id = json!({"type": "ignored", "id": "file--1"});
        let no_id = json!({"type": "file", "name": "a"});
        let bad_id = json!({"type": "url", "id": "nohyphens"});
        let empty_prefix = json!({"type": "url", "id": "--1"});
        let id_not_text = json!({"type": "url", "id": 5});
        for (v, id, t) in [
            (&with_id, Some("file--1"), "file"),
            (&no_id, None, "file"),
            (&bad_id, Some("nohyphens"), "url"),
            (&empty_prefix, Some("--1"), "url"),
            (&id_not_text, None, "url"),
            (&json!([1]), None, ""),
        ] {
            assert_eq!(id_of(v), id, "{v}");
            assert_eq!(type_of(id_of(v), v), t, "{v}");
        }
    }
}
