#!/usr/bin/env python3
"""Groups a flat CPU profile (`perf report --no-children --sort dso,sym`) into the parts of a
federation transfer: Ed25519 signatures, RFC 8785 canonical form, JSON, STIX validation,
sharing rules, correlation, SQLite, HTTP and async runtime, allocation and copying, kernel.
Prints a Markdown table. Symbols are matched by name, so the grouping is approximate: the C
code compiled into the binary is SQLite, and memory allocation and copying (libc) are not
attributed to the code that asked for them. Standard library only.

    profile.py PERF_DATA [TITLE]
"""

import re
import subprocess
import sys

GROUPS = [
    ("Signatures (Ed25519, SHA-512, Merkle tree hashing)",
     re.compile(r"curve25519|ed25519|sha2::|sha256|sha512|merlin|keccak|zeroize|subtle::|merkle|federation::signing")),
    ("RFC 8785 canonical form", re.compile(r"entente_stix::canonical|ryu|provenance")),
    ("JSON parsing and writing (serde_json, STIX scanner)",
     re.compile(r"serde_json|entente_stix::json|serde::|serde_core|itoa")),
    ("STIX validation and patterns", re.compile(r"entente_stix|entente_pattern|validation")),
    ("Sharing rules (gate, facts)", re.compile(r"entente_server::(access|policy|sharing)|tlp")),
    ("Correlation indexing", re.compile(r"correlat")),
    ("HTTP, TLS, async runtime", re.compile(
        r"hyper|reqwest|h2::|tokio|mio::|axum|tower|http::|rustls|ring_core|futures|parking_lot|crossbeam")),
    ("SQLite (C code, rusqlite)", None),  # special: non-Rust symbols of the binary, rusqlite
    ("Memory allocation and copying (libc)", re.compile(
        r"malloc|free|memmove|memcpy|memset|memcmp|_int_|unlink_chunk|realloc|strlen|__libc")),
]
LINE = re.compile(r"^\s*([0-9.]+)%\s+(\S+)\s+\[(.)\]\s+(.*)$")


def group_of(dso, kind, sym):
    if kind == "k" or dso.startswith("[kernel"):
        return "Kernel (system calls, file and socket I/O, page cache, scheduling)"
    for name, pattern in GROUPS:
        if pattern is None:
            if "rusqlite" in sym or "libsqlite3" in sym:
                return name
            if not dso.startswith("lib") and "::" not in sym and not sym.startswith("<"):
                if not re.search(r"malloc|free|mem(move|cpy|set|cmp)", sym):
                    return name
            continue
        if pattern.search(sym):
            return name
    return "Other"


def main():
    data = sys.argv[1]
    title = sys.argv[2] if len(sys.argv) > 2 else data
    out = subprocess.run(
        ["perf", "report", "-i", data, "--stdio", "--no-children", "--sort", "dso,sym",
         "-g", "none", "--percent-limit", "0"],
        capture_output=True, text=True, check=True).stdout
    totals, samples = {}, None
    for line in out.splitlines():
        if line.startswith("# Samples:"):
            samples = line.split(":", 1)[1].strip()
        m = LINE.match(line)
        if not m:
            continue
        pct, dso, kind, sym = float(m.group(1)), m.group(2), m.group(3), m.group(4).strip()
        g = group_of(dso, kind, sym)
        totals[g] = totals.get(g, 0.0) + pct
    print(f"| {title} ({samples}) | share of CPU samples |")
    print("|---|---:|")
    for g, v in sorted(totals.items(), key=lambda kv: -kv[1]):
        print(f"| {g} | {v:.1f}% |")


if __name__ == "__main__":
    main()
