"""Interoperability of an entente node with the OASIS TAXII 2.1 and STIX 2.1 Python libraries.

The node is driven only through `taxii2client.v21` (Server, ApiRoot, Collection, as_pages) and the
objects are built and read back with `stix2`. Nothing here was written against entente's own
code: every expectation comes from the TAXII 2.1 specification (OASIS Standard, 10 June 2021),
whose section numbers are cited next to the assertions.

The node under test is named by environment variables:

  ENTENTE_INTEROP_URL         base URL of the node, e.g. http://127.0.0.1:8443 (discovery is at
                              <URL>/taxii2/)
  ENTENTE_INTEROP_USER        a user with read and write access to the collection
  ENTENTE_INTEROP_PASSWORD    that user's password (HTTP Basic)
  ENTENTE_INTEROP_COLLECTION  alias of the collection to use (default: home)

Without ENTENTE_INTEROP_URL the whole module is skipped. The tests add their own objects (fresh
identifiers on every run) and scope every query to objects added after the run began, so they
also hold on a node that already stores data, provided nobody else writes to the collection
while they run.
"""

import json
import math
import os
import uuid

import pytest
import requests
import requests.auth
import stix2
from stix2.utils import parse_into_datetime
from taxii2client.v21 import ApiRoot, Collection, Server, as_pages

TAXII_MEDIA_TYPE = "application/taxii+json;version=2.1"
STIX_MEDIA_TYPE = "application/stix+json;version=2.1"

# Every timestamp in the data set is fixed so versions are reproducible; identifiers are fresh.
T0 = "2026-01-01T00:00:00.000Z"
V1 = "2026-01-10T08:00:00.000Z"
V2 = "2026-01-11T09:30:00.000Z"
V3 = "2026-01-12T11:45:00.000Z"

PAGED_INDICATORS = 45  # spread over several pages by the paging tests


def _env(name, default=None):
    value = os.environ.get(name, default)
    if value is None:
        pytest.skip(f"{name} is not set: no node to test against")
    return value


def _ts(value):
    """A STIX/TAXII timestamp as a comparable datetime (precision differences do not matter)."""
    return parse_into_datetime(value)


def _http_status(excinfo):
    return excinfo.value.response.status_code


def _objects(envelope):
    """The objects of a TAXII envelope (section 3.7: `objects` may be absent when empty)."""
    return envelope.get("objects", []) if envelope else []


def _pairs(envelope):
    """(id, modified) of every object in an envelope, parsed back with stix2 on the way."""
    out = []
    for obj in _objects(envelope):
        parsed = stix2.parse(obj, allow_custom=True)
        out.append((parsed.id, _ts(obj["modified"])))
    return out


def _ids(envelope):
    return [obj["id"] for obj in _objects(envelope)]


def _as_dict(obj):
    """A stix2 object as the JSON dict that goes on the wire."""
    return json.loads(obj.serialize())


class Dataset:
    """What the tests stored, and what the node answered when it stored it."""

    def __init__(self):
        run = uuid.uuid4().hex[:8]
        self.identity = stix2.Identity(
            name=f"Interop partner {run}",
            identity_class="organization",
            created=T0,
            modified=T0,
        )
        self.malware = stix2.Malware(
            name=f"interop-loader-{run}",
            is_family=True,
            created_by_ref=self.identity.id,
            created=T0,
            modified=T0,
        )
        self.ind_a = stix2.Indicator(
            name="C2 address",
            pattern="[ipv4-addr:value = '198.51.100.7']",
            pattern_type="stix",
            valid_from=T0,
            created=T0,
            modified=T0,
        )
        self.ind_b = stix2.Indicator(
            name="Dropper hash",
            pattern="[file:hashes.'SHA-256' = "
            "'4bac27393bdd9777ce02453256c5577cd02275510b2227f473d03f533924f877']",
            pattern_type="stix",
            valid_from=T0,
            created=T0,
            modified=T0,
        )
        self.relationship = stix2.Relationship(
            self.ind_a, "indicates", self.malware, created=T0, modified=T0
        )
        # One object with three versions, sent in three separate envelopes (v1, v2, v3 in order).
        self.versioned = [
            stix2.Indicator(
                name="Recruitment site v1",
                pattern="[domain-name:value = 'recruit.example']",
                pattern_type="stix",
                valid_from=T0,
                created=V1,
                modified=V1,
            )
        ]
        self.versioned.append(
            self.versioned[0].new_version(modified=V2, name="Recruitment site v2")
        )
        self.versioned.append(
            self.versioned[1].new_version(modified=V3, name="Recruitment site v3")
        )
        # Indicators that fill several pages.
        self.paged = [
            stix2.Indicator(
                name=f"Paged indicator {i}",
                pattern=f"[ipv4-addr:value = '203.0.113.{i}']",
                pattern_type="stix",
                valid_from=T0,
                created=T0,
                modified=T0,
            )
            for i in range(PAGED_INDICATORS)
        ]
        # An indicator without `pattern` (required by STIX 2.1 section 4.7): invalid.
        self.invalid = {
            "type": "indicator",
            "spec_version": "2.1",
            "id": f"indicator--{uuid.uuid4()}",
            "created": T0,
            "modified": T0,
            "name": "Indicator without a pattern",
            "pattern_type": "stix",
            "valid_from": T0,
        }
        self.mixed_valid = [self.identity, self.malware, self.ind_a, self.ind_b, self.relationship]
        self.mixed_valid.append(self.versioned[0])

        self.baseline = None  # latest date_added before the run (None on an empty collection)
        self.mixed_status = None
        self.manifest = {}  # (id, modified datetime) -> manifest entry, for every stored version

    @property
    def versioned_id(self):
        return self.versioned[0].id

    def latest(self):
        """(id, modified) of the latest version of every valid object stored by the run."""
        pairs = set()
        for obj in self.mixed_valid + self.paged:
            pairs.add((obj.id, _ts(_as_dict(obj)["modified"])))
        pairs.discard((self.versioned_id, _ts(V1)))
        pairs.add((self.versioned_id, _ts(V3)))
        return pairs

    def all_versions(self):
        pairs = self.latest()
        pairs.add((self.versioned_id, _ts(V1)))
        pairs.add((self.versioned_id, _ts(V2)))
        return pairs

    def indicator_ids(self):
        ids = {self.ind_a.id, self.ind_b.id, self.versioned_id}
        ids.update(o.id for o in self.paged)
        return ids

    def all_ids(self):
        return {pair[0] for pair in self.latest()}


def _scope(dataset, **filters):
    """Filters restricted to objects added during this run (no restriction on an empty node)."""
    if dataset.baseline is not None and "added_after" not in filters:
        filters["added_after"] = dataset.baseline
    return filters


def _collect(func, per_request, **filters):
    """Every item of a paged endpoint, following `next` to the end with as_pages."""
    items, pages = [], 0
    for envelope in as_pages(func, per_request=per_request, **filters):
        pages += 1
        items.extend(_objects(envelope))
        assert pages <= 10_000, "paging does not end"
    return items, pages


# ---------------------------------------------------------------------------------------------
# Fixtures: one node, one collection, one data set per module.


@pytest.fixture(scope="module")
def credentials():
    return _env("ENTENTE_INTEROP_USER"), _env("ENTENTE_INTEROP_PASSWORD")


@pytest.fixture(scope="module")
def base_url():
    return _env("ENTENTE_INTEROP_URL").rstrip("/")


@pytest.fixture(scope="module")
def server(base_url, credentials):
    user, password = credentials
    with Server(base_url + "/taxii2/", user=user, password=password) as srv:
        yield srv


@pytest.fixture(scope="module")
def api_root_and_collection(server, credentials):
    alias = os.environ.get("ENTENTE_INTEROP_COLLECTION", "home")
    for root in server.api_roots:
        for coll in root.collections:
            if coll.alias == alias:
                return root, coll
    pytest.fail(f"no API root lists a collection with alias {alias!r}")


@pytest.fixture(scope="module")
def api_root(api_root_and_collection):
    return api_root_and_collection[0]


@pytest.fixture(scope="module")
def collection(api_root_and_collection):
    return api_root_and_collection[1]


@pytest.fixture(scope="module")
def dataset(collection):
    ds = Dataset()

    # The baseline: the latest date_added in the collection before this run.
    before, _ = _collect(collection.get_manifest, 1000, version="all")
    if before:
        ds.baseline = max((entry["date_added"] for entry in before), key=_ts)

    # Section 5.4: one envelope with valid objects and one invalid object.
    envelope = {"objects": [_as_dict(o) for o in ds.mixed_valid] + [ds.invalid]}
    ds.mixed_status = collection.add_objects(envelope, poll_interval=0.2, timeout=30)
    # Later versions of the versioned object, then the paged indicators, each its own envelope.
    for version in ds.versioned[1:]:
        status = collection.add_objects(
            {"objects": [_as_dict(version)]}, poll_interval=0.2, timeout=30
        )
        assert status.status == "complete" and status.success_count == 1, status._raw
    status = collection.add_objects(
        {"objects": [_as_dict(o) for o in ds.paged]}, poll_interval=0.2, timeout=30
    )
    assert status.status == "complete", status._raw
    assert status.success_count == PAGED_INDICATORS, status._raw

    entries, _ = _collect(collection.get_manifest, 1000, **_scope(ds, version="all"))
    for entry in entries:
        ds.manifest[(entry["id"], _ts(entry["version"]))] = entry
    return ds


# ---------------------------------------------------------------------------------------------
# Section 4.1: discovery; 4.2: API root information; 5.1, 5.2: collections.


def test_discovery(server, api_root):
    assert server.title, "section 4.1.1: title is required"
    urls = [root.url for root in server.api_roots]
    assert urls, "the node advertises at least one API root"
    assert api_root.url in urls
    if server.default is not None:
        assert server.default.url in urls, "the default API root is one of the listed ones"


def test_api_root_information(api_root):
    assert api_root.title, "section 4.2.1: title is required"
    assert TAXII_MEDIA_TYPE in api_root.versions, "section 4.2.1: versions lists TAXII 2.1"
    assert isinstance(api_root.max_content_length, int)
    assert api_root.max_content_length > 0


def test_collections_listing_and_one_collection(api_root, collection, credentials):
    listed = {c.id: c for c in api_root.collections}
    assert collection.id in listed
    assert listed[collection.id].can_read is True
    assert listed[collection.id].can_write is True
    # Section 5.2: the collection resource itself, fetched from its own URL.
    user, password = credentials
    with Collection(collection.url, user=user, password=password) as single:
        assert single.id == collection.id
        assert single.title == collection.title
        assert single.can_read is True and single.can_write is True
        if single.media_types:
            assert STIX_MEDIA_TYPE in single.media_types


def test_unknown_collection_is_404(api_root, credentials):
    user, password = credentials
    url = f"{api_root.url}collections/{uuid.uuid4()}/"
    with pytest.raises(requests.exceptions.HTTPError) as excinfo:
        Collection(url, user=user, password=password).refresh()
    assert _http_status(excinfo) == 404


# ---------------------------------------------------------------------------------------------
# Section 5.4: add objects; 4.3: status.


def test_add_objects_reports_successes_and_failures(dataset, api_root):
    status = dataset.mixed_status
    expected_total = len(dataset.mixed_valid) + 1
    assert status.status == "complete"
    assert status.total_count == expected_total
    assert status.success_count == len(dataset.mixed_valid)
    assert status.failure_count == 1
    assert status.pending_count == 0
    assert {s["id"] for s in status.successes} == {o.id for o in dataset.mixed_valid}
    for success in status.successes:
        if "version" in success:
            obj = next(o for o in dataset.mixed_valid if o.id == success["id"])
            assert _ts(success["version"]) == _ts(_as_dict(obj)["modified"])
    assert [f["id"] for f in status.failures] == [dataset.invalid["id"]]
    assert status.failures[0].get("message"), "the failure says why the object was refused"

    # Section 4.3: the status resource stays retrievable, with the same counts.
    again = api_root.get_status(status.id)
    assert again.id == status.id
    assert again.status == "complete"
    assert (again.total_count, again.success_count, again.failure_count) == (
        status.total_count,
        status.success_count,
        status.failure_count,
    )
    assert {s["id"] for s in again.successes} == {o.id for o in dataset.mixed_valid}


def test_invalid_object_was_not_stored(dataset, collection):
    with pytest.raises(requests.exceptions.HTTPError) as excinfo:
        collection.get_object(dataset.invalid["id"])
    assert _http_status(excinfo) == 404


def test_valid_objects_beside_the_invalid_one_were_stored(dataset, collection):
    for obj in dataset.mixed_valid:
        got = _objects(collection.get_object(obj.id, version="all"))
        assert any(
            o["id"] == obj.id and _ts(o["modified"]) == _ts(_as_dict(obj)["modified"]) for o in got
        )


# ---------------------------------------------------------------------------------------------
# Section 5.3: get objects, and the filters of section 3.4.


def test_get_objects_returns_latest_versions(dataset, collection):
    items, _ = _collect(collection.get_objects, 0, **_scope(dataset))
    got = [(stix2.parse(o, allow_custom=True).id, _ts(o["modified"])) for o in items]
    assert len(got) == len(set(got)), "no object twice"
    assert set(got) == dataset.latest(), "match[version] defaults to last (section 3.4.2)"
    objects = {o["id"]: o for o in items}
    assert objects[dataset.versioned_id]["name"] == "Recruitment site v3"
    # What comes back is what was sent (content preserved).
    assert objects[dataset.ind_b.id]["pattern"] == dataset.ind_b.pattern
    assert objects[dataset.relationship.id]["source_ref"] == dataset.ind_a.id
    assert objects[dataset.relationship.id]["target_ref"] == dataset.malware.id


def test_objects_come_back_as_sent(dataset, collection):
    # A STIX object version is immutable (STIX 2.1 section 3.6): what was added is what is read.
    sent = {o.id: _as_dict(o) for o in dataset.mixed_valid + dataset.paged}
    sent[dataset.versioned_id] = _as_dict(dataset.versioned[-1])
    items, _ = _collect(collection.get_objects, 0, **_scope(dataset))
    got = {o["id"]: o for o in items}
    assert got.keys() == sent.keys()
    for oid, obj in sent.items():
        assert got[oid] == obj, oid


def test_match_id_single_and_several(dataset, collection):
    one = collection.get_objects(**_scope(dataset, id=dataset.malware.id))
    assert _ids(one) == [dataset.malware.id]
    several = [dataset.ind_a.id, dataset.identity.id, dataset.versioned_id]
    got = collection.get_objects(**_scope(dataset, id=several))
    assert sorted(_ids(got)) == sorted(several)
    unknown = collection.get_objects(**_scope(dataset, id=f"indicator--{uuid.uuid4()}"))
    assert _objects(unknown) == []


def test_match_type_single_and_several(dataset, collection):
    indicators, _ = _collect(collection.get_objects, 0, **_scope(dataset, type="indicator"))
    assert {o["id"] for o in indicators} == dataset.indicator_ids()
    assert len(indicators) == len(dataset.indicator_ids())
    assert all(o["type"] == "indicator" for o in indicators)
    mixed = collection.get_objects(**_scope(dataset, type=["malware", "identity"]))
    assert sorted(_ids(mixed)) == sorted([dataset.malware.id, dataset.identity.id])
    none = collection.get_objects(**_scope(dataset, type="campaign"))
    assert _objects(none) == []


@pytest.mark.parametrize(
    "version, expected",
    [
        ("first", [V1]),
        ("last", [V3]),
        ("all", [V1, V2, V3]),
        (V2, [V2]),
        ("first,last", [V1, V3]),
        (f"{V1},{V3}", [V1, V3]),
        ("2026-01-11T09:30:00.001Z", []),
    ],
)
def test_match_version(dataset, collection, version, expected):
    filters = _scope(dataset, id=dataset.versioned_id, version=version.split(","))
    got = sorted(modified for _, modified in _pairs(collection.get_objects(**filters)))
    assert got == sorted(_ts(v) for v in expected)


def test_match_version_on_single_version_objects(dataset, collection):
    for version in ("first", "last", "all", T0):
        got = _pairs(
            collection.get_objects(**_scope(dataset, id=dataset.ind_a.id, version=version))
        )
        assert got == [(dataset.ind_a.id, _ts(T0))], version


def test_match_spec_version(dataset, collection):
    items, _ = _collect(collection.get_objects, 0, **_scope(dataset, spec_version="2.1"))
    assert {o["id"] for o in items} == dataset.all_ids()
    items, _ = _collect(collection.get_objects, 0, **_scope(dataset, spec_version="2.0"))
    assert {o["id"] for o in items} & dataset.all_ids() == set()
    items, _ = _collect(collection.get_objects, 0, **_scope(dataset, spec_version="2.0,2.1"))
    assert {o["id"] for o in items} == dataset.all_ids()


def test_added_after(dataset, collection):
    # Everything added strictly after the second version of the versioned object: its third
    # version and the paged indicators (section 3.4.1: added_after is exclusive).
    cut = dataset.manifest[(dataset.versioned_id, _ts(V2))]["date_added"]
    items, _ = _collect(collection.get_objects, 0, added_after=cut, version="all")
    got = {(o["id"], _ts(o["modified"])) for o in items}
    expected = {(dataset.versioned_id, _ts(V3))} | {(o.id, _ts(T0)) for o in dataset.paged}
    assert got == expected
    # After the last object added, nothing.
    last = max((e["date_added"] for e in dataset.manifest.values()), key=_ts)
    assert _objects(collection.get_objects(added_after=last)) == []


def test_filter_combinations(dataset, collection):
    # type AND version: every version of every indicator.
    items, _ = _collect(
        collection.get_objects, 0, **_scope(dataset, type="indicator", version="all")
    )
    got = {(o["id"], _ts(o["modified"])) for o in items}
    assert got == {p for p in dataset.all_versions() if p[0].startswith("indicator--")}
    # id AND version AND spec_version.
    envelope = collection.get_objects(
        **_scope(
            dataset, id=dataset.versioned_id, version="first,last".split(","), spec_version="2.1"
        )
    )
    assert sorted(m for _, m in _pairs(envelope)) == [_ts(V1), _ts(V3)]
    # id AND type that do not agree: nothing.
    assert (
        _objects(collection.get_objects(**_scope(dataset, id=dataset.malware.id, type="indicator")))
        == []
    )
    # added_after AND type.
    cut = dataset.manifest[(dataset.versioned_id, _ts(V2))]["date_added"]
    got = {
        o["id"]
        for o in _objects(collection.get_objects(added_after=cut, type="indicator", limit=1000))
    }
    assert got == {dataset.versioned_id} | {o.id for o in dataset.paged}


# ---------------------------------------------------------------------------------------------
# Paging (section 3.6): `limit`, `more`, `next`, followed to the end with as_pages.


@pytest.mark.parametrize("per_request", [1, 7, 10, 50])
def test_paging_objects_loses_and_repeats_nothing(dataset, collection, per_request):
    items, pages = _collect(
        collection.get_objects, per_request, **_scope(dataset, type="indicator")
    )
    ids = [o["id"] for o in items]
    assert len(ids) == len(set(ids)), "an object was repeated across pages"
    assert set(ids) == dataset.indicator_ids(), "an object was lost across pages"
    assert pages >= math.ceil(len(ids) / per_request)


def test_paging_all_versions(dataset, collection):
    items, _ = _collect(collection.get_objects, 4, **_scope(dataset, version="all"))
    got = [(o["id"], _ts(o["modified"])) for o in items]
    assert len(got) == len(set(got))
    assert set(got) == dataset.all_versions()


def test_paging_envelope_fields(dataset, collection):
    first = collection.get_objects(**_scope(dataset, type="indicator", limit=5))
    assert len(_objects(first)) == 5
    assert first.get("more") is True, "section 3.7: more is true when there is more to get"
    assert first.get("next"), "section 3.7: next is given when more is true"
    # Objects come in ascending date_added order (section 3.4.1), so pages follow each other.
    order = [dataset.manifest[(o["id"], _ts(o["modified"]))]["date_added"] for o in _objects(first)]
    assert [_ts(d) for d in order] == sorted(_ts(d) for d in order)


def test_date_added_headers(dataset, collection):
    # Section 5.3: X-TAXII-Date-Added-First and -Last give the date_added of the first and last
    # object of the response. Read with the session the library opened for the collection.
    session = collection._conn.session
    params = {"match[type]": "indicator", "limit": "5"}
    if dataset.baseline is not None:
        params["added_after"] = dataset.baseline
    resp = session.get(collection.objects_url, params=params, headers={"Accept": TAXII_MEDIA_TYPE})
    assert resp.status_code == 200
    body = resp.json()
    added = [dataset.manifest[(o["id"], _ts(o["modified"]))]["date_added"] for o in body["objects"]]
    assert _ts(resp.headers["X-TAXII-Date-Added-First"]) == _ts(added[0])
    assert _ts(resp.headers["X-TAXII-Date-Added-Last"]) == _ts(added[-1])
    assert resp.headers["Content-Type"].replace(" ", "").startswith("application/taxii+json")


# ---------------------------------------------------------------------------------------------
# Section 5.6: manifest.


def test_manifest(dataset, collection):
    entries, _ = _collect(collection.get_manifest, 0, **_scope(dataset))
    got = {(e["id"], _ts(e["version"])) for e in entries}
    assert got == dataset.latest()
    for entry in entries:
        assert entry["media_type"] == STIX_MEDIA_TYPE
        _ts(entry["date_added"])
    added = [_ts(e["date_added"]) for e in entries]
    assert added == sorted(added), "manifest entries in ascending date_added order"


def test_manifest_filters_and_paging(dataset, collection):
    entries, pages = _collect(collection.get_manifest, 7, **_scope(dataset, version="all"))
    got = [(e["id"], _ts(e["version"])) for e in entries]
    assert len(got) == len(set(got))
    assert set(got) == dataset.all_versions()
    assert pages >= math.ceil(len(got) / 7)
    versions = collection.get_manifest(**_scope(dataset, id=dataset.versioned_id, version="all"))
    assert sorted(_ts(e["version"]) for e in _objects(versions)) == [_ts(V1), _ts(V2), _ts(V3)]
    only = collection.get_manifest(**_scope(dataset, type="malware"))
    assert [e["id"] for e in _objects(only)] == [dataset.malware.id]


# ---------------------------------------------------------------------------------------------
# Section 5.5: get an object; 5.8: object versions.


def test_get_object(dataset, collection):
    latest = _pairs(collection.get_object(dataset.versioned_id))
    assert latest == [(dataset.versioned_id, _ts(V3))], "default match[version] is last"
    every = _pairs(collection.get_object(dataset.versioned_id, version="all"))
    assert sorted(m for _, m in every) == [_ts(V1), _ts(V2), _ts(V3)]
    first = _pairs(collection.get_object(dataset.versioned_id, version="first"))
    assert first == [(dataset.versioned_id, _ts(V1))]
    exact = _pairs(collection.get_object(dataset.versioned_id, version=V2))
    assert exact == [(dataset.versioned_id, _ts(V2))]
    parsed = stix2.parse(_objects(collection.get_object(dataset.malware.id))[0], allow_custom=True)
    assert isinstance(parsed, stix2.v21.Malware)
    assert parsed.name == dataset.malware.name
    assert parsed.created_by_ref == dataset.identity.id


def test_get_unknown_object_is_404(collection):
    with pytest.raises(requests.exceptions.HTTPError) as excinfo:
        collection.get_object(f"indicator--{uuid.uuid4()}")
    assert _http_status(excinfo) == 404


def test_object_versions(dataset, collection):
    resp = collection.object_versions(dataset.versioned_id)
    versions = sorted(_ts(v) for v in resp["versions"])
    assert versions == [_ts(V1), _ts(V2), _ts(V3)]
    single = collection.object_versions(dataset.ind_a.id)
    assert [_ts(v) for v in single["versions"]] == [_ts(T0)]
    with pytest.raises(requests.exceptions.HTTPError) as excinfo:
        collection.object_versions(f"indicator--{uuid.uuid4()}")
    assert _http_status(excinfo) == 404


def test_object_versions_paging(dataset, collection):
    # Section 5.8 with `limit` and `next`: one version per page, followed to the end.
    seen, token, pages = [], None, 0
    while True:
        kwargs = {"limit": 1}
        if token:
            kwargs["next"] = token
        page = collection.object_versions(dataset.versioned_id, **kwargs)
        pages += 1
        seen.extend(page.get("versions", []))
        if not page.get("more"):
            break
        token = page.get("next")
        assert token, "more is true, so next is given"
        assert pages < 10, "paging does not end"
    assert sorted(_ts(v) for v in seen) == [_ts(V1), _ts(V2), _ts(V3)]
    assert pages >= 3


# ---------------------------------------------------------------------------------------------
# Section 5.7: delete an object.


def test_delete_object(dataset, collection):
    doomed = [
        stix2.Indicator(
            name="Withdrawn indicator",
            pattern="[url:value = 'http://withdrawn.example/']",
            pattern_type="stix",
            valid_from=T0,
            created=V1,
            modified=V1,
        )
    ]
    doomed.append(doomed[0].new_version(modified=V2, name="Withdrawn indicator v2"))
    keeper = stix2.Indicator(
        name="Kept indicator",
        pattern="[url:value = 'http://kept.example/']",
        pattern_type="stix",
        valid_from=T0,
        created=T0,
        modified=T0,
    )
    status = collection.add_objects(
        {"objects": [_as_dict(o) for o in doomed + [keeper]]}, poll_interval=0.2, timeout=30
    )
    assert status.status == "complete" and status.success_count == 3, status._raw
    assert len(_objects(collection.get_object(doomed[0].id, version="all"))) == 2

    collection.delete_object(doomed[0].id)

    # Gone: every version, from every endpoint.
    for call in (
        lambda: collection.get_object(doomed[0].id),
        lambda: collection.get_object(doomed[0].id, version="all"),
        lambda: collection.object_versions(doomed[0].id),
    ):
        with pytest.raises(requests.exceptions.HTTPError) as excinfo:
            call()
        assert _http_status(excinfo) == 404
    assert _objects(collection.get_objects(id=doomed[0].id, version="all")) == []
    assert _objects(collection.get_manifest(id=doomed[0].id, version="all")) == []
    # Its neighbour is untouched.
    assert _pairs(collection.get_object(keeper.id)) == [(keeper.id, _ts(T0))]
    # Deleting it again: it is not there any more.
    with pytest.raises(requests.exceptions.HTTPError) as excinfo:
        collection.delete_object(doomed[0].id)
    assert _http_status(excinfo) == 404


def test_delete_one_version(dataset, collection):
    obj = stix2.Indicator(
        name="Revised indicator v1",
        pattern="[url:value = 'http://revised.example/']",
        pattern_type="stix",
        valid_from=T0,
        created=V1,
        modified=V1,
    )
    newer = obj.new_version(modified=V2, name="Revised indicator v2")
    status = collection.add_objects(
        {"objects": [_as_dict(obj), _as_dict(newer)]}, poll_interval=0.2, timeout=30
    )
    assert status.status == "complete" and status.success_count == 2, status._raw
    # Section 5.7: match[version] selects which versions are deleted.
    collection.delete_object(obj.id, version=V1)
    remaining = _pairs(collection.get_object(obj.id, version="all"))
    assert remaining == [(obj.id, _ts(V2))]


# ---------------------------------------------------------------------------------------------
# Authentication (section 1.6.9 and the 401 responses of every endpoint).


def test_wrong_password_is_401(base_url, api_root, collection, credentials):
    user, password = credentials
    bad = password + "-wrong"
    with pytest.raises(requests.exceptions.HTTPError) as excinfo:
        ApiRoot(api_root.url, user=user, password=bad).refresh_information()
    assert _http_status(excinfo) == 401
    with pytest.raises(requests.exceptions.HTTPError) as excinfo:
        Collection(collection.url, user=user, password=bad).refresh()
    assert _http_status(excinfo) == 401
    # An existing collection, read with a wrong password, through the objects endpoint.
    wrong = Collection(
        collection.url,
        user=user,
        password=bad,
        collection_info={
            "id": collection.id,
            "title": collection.title,
            "can_read": True,
            "can_write": True,
        },
    )
    with pytest.raises(requests.exceptions.HTTPError) as excinfo:
        wrong.get_objects()
    assert _http_status(excinfo) == 401
    with pytest.raises(requests.exceptions.HTTPError) as excinfo:
        wrong.add_objects({"objects": []}, wait_for_completion=False)
    assert _http_status(excinfo) == 401


def test_unknown_user_is_401(api_root):
    with pytest.raises(requests.exceptions.HTTPError) as excinfo:
        ApiRoot(
            api_root.url, user=f"nobody-{uuid.uuid4().hex[:6]}", password="not a password at all"
        ).refresh_information()
    assert _http_status(excinfo) == 401


def test_no_credentials_is_401(collection):
    with pytest.raises(requests.exceptions.HTTPError) as excinfo:
        Collection(collection.url).refresh()
    assert _http_status(excinfo) == 401


# ---------------------------------------------------------------------------------------------
# Bearer tokens and per-collection authorisation (section 1.6.9; can_read / can_write of
# section 5.2.1; 403 of sections 5.3 to 5.7). These need extra credentials from the
# environment and are skipped without them:
#
#   ENTENTE_INTEROP_TOKEN                         a bearer token of the main user
#   ENTENTE_INTEROP_READER_USER / _PASSWORD       a user who may read, not write, the collection
#   ENTENTE_INTEROP_OUTSIDER_USER / _PASSWORD     a user with no access to the collection


class BearerAuth(requests.auth.AuthBase):
    """`Authorization: Bearer <token>` (RFC 6750) for the library's requests session."""

    def __init__(self, token):
        self.token = token

    def __call__(self, r):
        r.headers["Authorization"] = f"Bearer {self.token}"
        return r


def _forced(collection, **creds):
    """The collection seen by other credentials, with the client's own can_read/can_write
    checks switched off so that the request reaches the server."""
    return Collection(
        collection.url,
        collection_info={
            "id": collection.id,
            "title": collection.title,
            "can_read": True,
            "can_write": True,
        },
        **creds,
    )


def test_bearer_token(base_url, collection, dataset):
    token = _env("ENTENTE_INTEROP_TOKEN")
    with Server(base_url + "/taxii2/", auth=BearerAuth(token)) as srv:
        assert srv.api_roots
    with _forced(collection, auth=BearerAuth(token)) as coll:
        got = _ids(coll.get_objects(id=dataset.malware.id))
        assert got == [dataset.malware.id]
    with pytest.raises(requests.exceptions.HTTPError) as excinfo:
        _forced(collection, auth=BearerAuth(token + "x")).get_objects()
    assert _http_status(excinfo) == 401


def test_read_only_user(api_root, collection, dataset):
    user = _env("ENTENTE_INTEROP_READER_USER")
    password = _env("ENTENTE_INTEROP_READER_PASSWORD")
    with ApiRoot(api_root.url, user=user, password=password) as root:
        listed = {c.id: c for c in root.collections}
        assert collection.id in listed
        assert listed[collection.id].can_read is True
        assert listed[collection.id].can_write is False
    coll = _forced(collection, user=user, password=password)
    assert _ids(coll.get_objects(id=dataset.identity.id)) == [dataset.identity.id]
    obj = stix2.Indicator(
        name="Not allowed",
        pattern="[url:value = 'http://denied.example/']",
        pattern_type="stix",
        valid_from=T0,
    )
    with pytest.raises(requests.exceptions.HTTPError) as excinfo:
        coll.add_objects({"objects": [_as_dict(obj)]}, wait_for_completion=False)
    assert _http_status(excinfo) == 403
    with pytest.raises(requests.exceptions.HTTPError) as excinfo:
        coll.delete_object(dataset.identity.id)
    assert _http_status(excinfo) == 403
    # Nothing changed: the object refused is absent, the one not deleted is there.
    assert _objects(collection.get_objects(id=obj.id)) == []
    assert _ids(collection.get_objects(id=dataset.identity.id)) == [dataset.identity.id]


def test_user_without_access(api_root, collection, dataset):
    user = _env("ENTENTE_INTEROP_OUTSIDER_USER")
    password = _env("ENTENTE_INTEROP_OUTSIDER_PASSWORD")
    with ApiRoot(api_root.url, user=user, password=password) as root:
        listed = {c.id: c for c in root.collections}
        if collection.id in listed:
            assert listed[collection.id].can_read is False
            assert listed[collection.id].can_write is False
    coll = _forced(collection, user=user, password=password)
    for call in (
        lambda: coll.get_objects(),
        lambda: coll.get_object(dataset.malware.id),
        lambda: coll.get_manifest(),
        lambda: coll.object_versions(dataset.malware.id),
    ):
        with pytest.raises(requests.exceptions.HTTPError) as excinfo:
            call()
        # Section 5.3 and following: 403 (no access) or 404 (not found, or no access).
        assert _http_status(excinfo) in (403, 404)
