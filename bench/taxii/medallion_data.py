#!/usr/bin/env python3
"""Writes a medallion configuration (memory backend) holding the given STIX objects.

medallion's memory backend loads one JSON document: the discovery resource, then per API root
its information, status list and collections, each collection with its `objects` and a
`manifest` (id, date_added, version, media_type per object version). This script builds that
document from a file of STIX objects (a bundle, a JSON array or JSON lines), so medallion serves
the same objects as the entente node it is compared with.

Usage: medallion_data.py --objects FILE --out CONFIG.json --user NAME --password PW
                         [--collection-id UUID] [--alias home] [--api-root api1]
"""

import argparse
import datetime
import json
import sys


def read_objects(path):
    """The objects of a bundle, a JSON array or JSON lines."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    try:
        doc = json.loads(text)
    except json.JSONDecodeError:
        return [json.loads(line) for line in text.splitlines() if line.strip()]
    if isinstance(doc, dict) and doc.get("type") == "bundle":
        return doc.get("objects", [])
    if isinstance(doc, list):
        return doc
    return [doc]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--objects", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--user", required=True)
    ap.add_argument("--password", required=True)
    ap.add_argument("--collection-id", default="9c6f2a4e-1f0e-4d8b-a5c1-3f2b7d9e0a11")
    ap.add_argument("--alias", default="home")
    ap.add_argument("--api-root", default="api1")
    ap.add_argument("--port", type=int, default=5000)
    ap.add_argument("--max-page-size", type=int, default=1000)
    args = ap.parse_args()

    objects = read_objects(args.objects)
    # date_added: one distinct, increasing microsecond per object version, as a server would.
    start = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
    manifest = []
    for i, obj in enumerate(objects):
        added = start + datetime.timedelta(microseconds=i)
        manifest.append(
            {
                "id": obj["id"],
                "date_added": added.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                "version": obj.get(
                    "modified", obj.get("created", added.strftime("%Y-%m-%dT%H:%M:%S.%fZ"))
                ),
                "media_type": "application/stix+json;version=" + obj.get("spec_version", "2.1"),
            }
        )

    root_url = f"http://127.0.0.1:{args.port}/{args.api_root}/"
    data = {
        "/discovery": {
            "title": "medallion (benchmark baseline)",
            "description": "The OASIS reference TAXII 2.1 server, memory backend",
            "default": root_url,
            "api_roots": [root_url],
        },
        args.api_root: {
            "information": {
                "title": "API root 1",
                "description": "benchmark data",
                "versions": ["application/taxii+json;version=2.1"],
                "max_content_length": 104857600,
            },
            "status": [],
            "collections": [
                {
                    "id": args.collection_id,
                    "title": "home",
                    "alias": args.alias,
                    "description": "benchmark collection",
                    "can_read": True,
                    "can_write": True,
                    "media_types": ["application/stix+json;version=2.1"],
                    "objects": objects,
                    "manifest": manifest,
                }
            ],
        },
    }
    config = {
        "backend": {
            "module": "medallion.backends.memory_backend",
            "module_class": "MemoryBackend",
            "filename": args.out + ".data.json",
        },
        "users": {args.user: args.password},
        "taxii": {"max_page_size": args.max_page_size},
    }
    with open(args.out + ".data.json", "w", encoding="utf-8") as f:
        json.dump(data, f)
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(config, f, indent=2)
    print(
        f"medallion config {args.out}: {len(objects)} objects, collection {args.collection_id}",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
