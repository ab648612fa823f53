#!/usr/bin/env python3
"""Deterministic STIX 2.1 objects for the benchmarks (used when bench/gen/objects.py is absent).

Same command line as bench/gen/objects.py:

    gen_objects.py --count N --format bundle|lines --seed S --out FILE

Half of the objects are indicators (the benchmarks filter on `match[type]=indicator`); the rest
are malware, threat actors, identities, attack patterns and relationships between them. The
output is streamed, so a million objects need little memory. The same seed gives the same bytes.
"""

import argparse
import datetime
import json
import random
import uuid

BASE = datetime.datetime(2025, 6, 1, tzinfo=datetime.timezone.utc)


def stamp(seconds, millis):
    t = BASE + datetime.timedelta(seconds=seconds, milliseconds=millis)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def make(i, rng, recent):
    kind = rng.random()
    ident = uuid.UUID(int=rng.getrandbits(128), version=4)
    created = stamp(i, rng.randrange(1000))
    common = {"spec_version": "2.1", "created": created, "modified": created}
    if kind < 0.5:
        octets = ".".join(str(rng.randrange(1, 255)) for _ in range(4))
        obj = {
            "type": "indicator",
            "id": f"indicator--{ident}",
            **common,
            "name": f"Suspicious address {octets}",
            "indicator_types": ["malicious-activity"],
            "pattern": f"[ipv4-addr:value = '{octets}']",
            "pattern_type": "stix",
            "valid_from": created,
            "confidence": rng.randrange(0, 101),
        }
    elif kind < 0.62:
        obj = {
            "type": "malware",
            "id": f"malware--{ident}",
            **common,
            "name": f"loader-{rng.getrandbits(24):06x}",
            "is_family": True,
            "malware_types": ["dropper"],
        }
    elif kind < 0.72:
        obj = {
            "type": "threat-actor",
            "id": f"threat-actor--{ident}",
            **common,
            "name": f"Group {rng.getrandbits(20):05x}",
            "threat_actor_types": ["terrorist"],
            "aliases": [f"alias-{rng.getrandbits(16):04x}"],
        }
    elif kind < 0.8:
        obj = {
            "type": "identity",
            "id": f"identity--{ident}",
            **common,
            "name": f"Organisation {rng.getrandbits(20):05x}",
            "identity_class": "organization",
        }
    elif kind < 0.88:
        obj = {
            "type": "attack-pattern",
            "id": f"attack-pattern--{ident}",
            **common,
            "name": f"Technique {rng.getrandbits(16):04x}",
        }
    else:
        source = (
            recent.get("indicator")
            or f"indicator--{uuid.UUID(int=rng.getrandbits(128), version=4)}"
        )
        target = (
            recent.get("malware") or f"malware--{uuid.UUID(int=rng.getrandbits(128), version=4)}"
        )
        obj = {
            "type": "relationship",
            "id": f"relationship--{ident}",
            **common,
            "relationship_type": "indicates",
            "source_ref": source,
            "target_ref": target,
        }
    recent[obj["type"]] = obj["id"]
    return obj


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, required=True)
    ap.add_argument("--format", choices=["bundle", "lines"], default="lines")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()

    rng = random.Random(args.seed)
    recent = {}
    with open(args.out, "w", encoding="utf-8") as f:
        if args.format == "bundle":
            bundle_id = uuid.UUID(int=rng.getrandbits(128), version=4)
            f.write(f'{{"type": "bundle", "id": "bundle--{bundle_id}", "objects": [\n')
        for i in range(args.count):
            line = json.dumps(make(i, rng, recent), separators=(",", ":"))
            if args.format == "bundle":
                f.write(line + (",\n" if i + 1 < args.count else "\n"))
            else:
                f.write(line + "\n")
        if args.format == "bundle":
            f.write("]}\n")


if __name__ == "__main__":
    main()
