#!/usr/bin/env python3
"""Write N generated STIX 2.1 objects for benchmarks and bad-input tests.

Deterministic: the same arguments (including --seed) always give the same bytes.
Fast: plain string formatting, no STIX library; 1,000,000 objects take about
10 s of CPU time on one core (see bench/gen/README.md).

    python3 bench/gen/objects.py --count 1000000 --format lines --out /tmp/objects.jsonl
    python3 bench/gen/objects.py --count 100000 --format bundle --invalid-at 50000
    python3 bench/gen/objects.py --count 1000 --types indicator,relationship

Every object is valid STIX 2.1 unless it was injected as invalid on purpose
(--invalid-every, --invalid-at); an injected object is an indicator whose
name starts with "invalid object" and names its defect.
Cyber-observable objects carry the deterministic UUIDv5 identifiers the
specification prescribes; their values embed the seed, so runs with different
seeds do not collide (ipv4-addr values excepted: one address space per run).
"""

import argparse
import hashlib
import sys
import time

# Namespace for deterministic SCO identifiers (STIX 2.1, section 2.9).
SCO_NS_BYTES = bytes.fromhex("00abedb4aa42466c9c01fed23315a9b7")

TLP = [
    "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",  # CLEAR
    "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",  # GREEN
    "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",  # AMBER
    "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",  # AMBER+STRICT
    "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",  # RED
]
# Most shared intelligence is GREEN or AMBER.
TLP_WEIGHTED = [TLP[0]] + [TLP[1]] * 4 + [TLP[2]] * 4 + [TLP[3]] + [TLP[4]]

# Relative frequency of each type in the default mix; chosen so that the mean
# object is about 600 bytes.
WEIGHTS = {
    "indicator": 30,
    "relationship": 18,
    "observed-data": 8,
    "sighting": 4,
    "identity": 4,
    "malware": 4,
    "note": 5,
    "threat-actor": 3,
    "campaign": 3,
    "attack-pattern": 3,
    "report": 2,
    "location": 1,
    "ipv4-addr": 4,
    "domain-name": 4,
    "url": 3,
    "file": 4,
}
SCO_TYPES = ("ipv4-addr", "domain-name", "url", "file")

INVALID_KINDS = ["bad-timestamp", "bad-id", "missing-property", "confidence-out-of-range",
                 "modified-before-created"]
INVALID_EXTRA = ["bad-pattern"]

ADJ = ("amber", "ashen", "black", "blue", "bright", "cold", "copper", "crimson", "dark",
       "desert", "distant", "dry", "eastern", "golden", "grey", "hidden", "iron", "silent",
       "northern", "pale", "quiet", "red", "salt", "sand", "silver", "southern", "stone",
       "swift", "western", "white", "wild", "winter")
NOUN = ("acacia", "anchor", "arrow", "banner", "caravan", "cedar", "courier", "crescent",
        "dune", "eagle", "ember", "falcon", "ferry", "flame", "front", "harbour", "hawk",
        "lantern", "mirror", "oasis", "palm", "raven", "ridge", "river", "road", "sail",
        "spear", "star", "storm", "tide", "valley", "wind")
VERB = ("recruits through", "finances operations with", "moves funds by", "spreads claims via",
        "plans attacks using", "contacts sympathisers on", "hides traffic behind",
        "stages material on")
CHANNEL = ("encrypted messaging groups", "mirror sites", "fake charity pages",
           "crypto-asset donation addresses", "hawala brokers", "file-sharing links",
           "forged travel documents", "front companies", "commercial drones",
           "short-video platforms")
REGIONS = (("Sahel-Saharan region", "western-africa", 16.0, 0.0),
           ("Horn of Africa", "eastern-africa", 8.0, 46.0),
           ("Syria", "western-asia", 35.0, 38.5),
           ("Afghanistan", "southern-asia", 33.94, 67.71),
           ("Maghreb", "northern-africa", 31.5, 5.0),
           ("Lake Chad basin", "middle-africa", 13.2, 14.1))
SECTORS = ("government-national", "government-local", "transportation", "entertainment",
           "hospitality-leisure", "non-profit", "financial-services", "defense",
           "emergency-services", "education", "healthcare", "telecommunications")
IND_TYPES = ("malicious-activity", "attribution", "anomalous-activity", "compromised",
             "anonymization")
TA_TYPES = ("terrorist", "crime-syndicate", "activist", "criminal")
SOPHISTICATION = ("minimal", "intermediate", "advanced", "expert")
RESOURCES = ("individual", "club", "team", "organization")
MOTIVATIONS = ("ideology", "organizational-gain", "dominance", "revenge", "notoriety",
               "personal-gain")
MALWARE_TYPES = ("spyware", "remote-access-trojan", "downloader", "dropper", "backdoor",
                 "keylogger", "ransomware")
CAPABILITIES = ("communicates-with-c2", "exfiltrates-data", "captures-input-peripherals",
                "persists-after-system-reboot", "steals-authentication-credentials")
LANGS = ("java", "python", "c", "c++", "go", "javascript")
PHASES = ("radicalisation", "recruitment", "financing", "travel", "preparation",
          "execution", "propaganda")
REPORT_TYPES = ("threat-report", "threat-actor", "campaign", "indicator", "malware",
                "attack-pattern")
TLDS = ("example", "test", "invalid")
PROTO_PATHS = ("donate", "release", "files", "join", "login", "news", "archive", "guides")

# Which relationship types join which source and target types (STIX 2.1
# Appendix B), with the pools they draw their endpoints from.
REL_SHAPES = (
    ("indicator", "indicates", "malware"),
    ("indicator", "indicates", "threat-actor"),
    ("indicator", "indicates", "campaign"),
    ("indicator", "indicates", "attack-pattern"),
    ("indicator", "based-on", "observed-data"),
    ("threat-actor", "uses", "attack-pattern"),
    ("threat-actor", "uses", "malware"),
    ("threat-actor", "targets", "identity"),
    ("threat-actor", "located-at", "location"),
    ("campaign", "attributed-to", "threat-actor"),
    ("campaign", "targets", "identity"),
    ("campaign", "uses", "attack-pattern"),
    ("malware", "targets", "identity"),
    ("identity", "located-at", "location"),
)

HOUR_MINUTE = ["%02d:%02d" % divmod(m, 60) for m in range(1440)]
EPOCH_2024 = 1704067200  # 2024-01-01T00:00:00Z
SPAN = 3 * 365 * 86400   # timestamps fall in 2024-2026


class Gen:
    def __init__(self, seed):
        import random
        self.rng = random.Random(seed)
        self.seed = seed
        self.counter = 0
        self.ip_counter = 0
        self.days = {}
        self.pools = {t: [] for t in WEIGHTS}
        self.pools["sco"] = []
        # Producers: the organisations that author the generated objects.
        self.producers = ["identity--" + self.uuid4() for _ in range(8)]
        self.producer_queue = list(self.producers)
        # Text is drawn from pools made once per run: composing every sentence
        # word by word would dominate the generation time.
        self.names = [self.make_name() for _ in range(2048)]
        self.sentences = [self.make_sentence() for _ in range(8192)]

    # -- primitives -----------------------------------------------------
    def uuid4(self):
        n = self.rng.getrandbits(128)
        n = (n & ~(0xF000 << 64)) | (0x4000 << 64)
        n = (n & ~(0xC000 << 48)) | (0x8000 << 48)
        h = "%032x" % n
        return "%s-%s-%s-%s-%s" % (h[:8], h[8:12], h[12:16], h[16:20], h[20:])

    @staticmethod
    def uuid5(data):
        d = bytearray(hashlib.sha1(SCO_NS_BYTES + data.encode()).digest()[:16])
        d[6] = (d[6] & 0x0F) | 0x50
        d[8] = (d[8] & 0x3F) | 0x80
        h = d.hex()
        return "%s-%s-%s-%s-%s" % (h[:8], h[8:12], h[12:16], h[16:20], h[20:])

    def ts(self, secs, millis=0):
        """Seconds since the epoch -> 'YYYY-MM-DDTHH:MM:SS.mmmZ'."""
        day = secs // 86400
        prefix = self.days.get(day)
        if prefix is None:
            prefix = time.strftime("%Y-%m-%dT", time.gmtime(day * 86400))
            self.days[day] = prefix
        rest = secs - day * 86400
        return "%s%s:%02d.%03dZ" % (prefix, HOUR_MINUTE[rest // 60], rest % 60, millis)

    def pick(self, seq):
        return seq[int(self.rng.random() * len(seq))]

    def make_name(self):
        return "%s %s" % (self.pick(ADJ).capitalize(), self.pick(NOUN).capitalize())

    def name(self):
        return self.names[int(self.rng.random() * 2048)]

    def sentence(self):
        return self.sentences[int(self.rng.random() * 8192)]

    def make_sentence(self):
        return "The %s %s %s %s and %s." % (
            self.pick(ADJ), self.pick(NOUN), self.pick(VERB), self.pick(CHANNEL),
            self.pick(VERB).split(" ", 1)[0] + " " + self.pick(CHANNEL))

    def ref(self, typ):
        pool = self.pools[typ]
        if pool:
            return pool[int(self.rng.random() * len(pool))]
        return "%s--%s" % (typ, self.uuid4())

    def remember(self, typ, oid):
        pool = self.pools[typ]
        if len(pool) < 512:
            pool.append(oid)
        else:
            pool[int(self.rng.random() * 512)] = oid

    def head(self, typ, oid):
        """Common properties; returns (json prefix, created seconds)."""
        created = EPOCH_2024 + int(self.rng.random() * SPAN)
        ms = int(self.rng.random() * 1000)
        modified = created + int(self.rng.random() * 30 * 86400)
        return ('{"type":"%s","spec_version":"2.1","id":"%s","created_by_ref":"%s",'
                '"created":"%s","modified":"%s",' % (
                    typ, oid, self.pick(self.producers), self.ts(created, ms),
                    self.ts(modified, ms))), created

    def tail(self):
        return '"object_marking_refs":["%s"]}' % self.pick(TLP_WEIGHTED)

    # -- cyber observables ------------------------------------------------
    @staticmethod
    def ipv4_at(k):
        """The k-th address of 198.18.0.0/15 (benchmarking, RFC 2544), then of
        100.64.0.0/10 (shared address space, RFC 6598): 4,325,376 in all."""
        k %= 131072 + 4194304
        if k < 131072:
            return "198.%d.%d.%d" % (18 + (k >> 16), (k >> 8) & 255, k & 255)
        k -= 131072
        return "100.%d.%d.%d" % (64 + (k >> 16), (k >> 8) & 255, k & 255)

    def sco_value(self, typ):
        self.counter += 1
        n = self.counter
        tag = "s%dn%d" % (self.seed, n)
        if typ == "ipv4-addr":
            # Distinct for the ipv4-addr objects of one run; patterns reuse the space.
            self.ip_counter += 1
            return self.ipv4_at(self.ip_counter)
        if typ == "domain-name":
            return "%s-%s.%s" % (self.pick(NOUN), tag, self.pick(TLDS))
        if typ == "url":
            return "https://%s-%s.%s/%s/%d" % (self.pick(NOUN), tag, self.pick(TLDS),
                                               self.pick(PROTO_PATHS), n)
        return "%064x" % self.rng.getrandbits(256)

    def sco(self, typ):
        value = self.sco_value(typ)
        marking = self.pick(TLP_WEIGHTED)
        if typ == "file":
            fname = "%s_%s.bin" % (self.pick(NOUN), value[:8])
            oid = "file--" + self.uuid5('{"hashes":{"SHA-256":"%s"},"name":"%s"}' % (value, fname))
            body = ('{"type":"file","spec_version":"2.1","id":"%s","hashes":{"SHA-256":"%s"},'
                    '"name":"%s","size":%d,"object_marking_refs":["%s"]}' % (
                        oid, value, fname, 1024 + int(self.rng.random() * 8_000_000), marking))
        else:
            oid = "%s--%s" % (typ, self.uuid5('{"value":"%s"}' % value))
            body = ('{"type":"%s","spec_version":"2.1","id":"%s","value":"%s",'
                    '"object_marking_refs":["%s"]}' % (typ, oid, value, marking))
        self.remember(typ, oid)
        pool = self.pools["sco"]
        if len(pool) < 64:
            pool.append(oid)
        else:
            pool[self.counter % 64] = oid
        return body

    # -- domain objects ---------------------------------------------------
    def pattern(self):
        r = self.rng.random()
        if r < 0.05:
            return "[ipv4-addr:value ISSUBSET '198.%d.%d.0/24']" % (
                18 + (self.counter & 1), (self.counter >> 1) & 255)
        if r < 0.25:
            return "[ipv4-addr:value = '%s']" % self.ipv4_at(self.rng.getrandbits(22))
        if r < 0.5:
            return "[domain-name:value = '%s']" % self.sco_value("domain-name")
        if r < 0.65:
            return "[url:value = '%s']" % self.sco_value("url")
        if r < 0.85:
            return "[file:hashes.'SHA-256' = '%s']" % self.sco_value("file")
        if r < 0.95:
            return ("[email-addr:value = '%s@%s-mail.%s']" % (
                self.pick(NOUN), "s%dn%d" % (self.seed, self.counter), self.pick(TLDS)))
        return ("[domain-name:value = '%s'] OR [ipv4-addr:value = '%s']" % (
            self.sco_value("domain-name"), self.ipv4_at(self.rng.getrandbits(22))))

    def indicator(self, oid):
        head, created = self.head("indicator", oid)
        until = ""
        if self.rng.random() < 0.4:
            days = 30 + int(self.rng.random() * 700)
            until = '"valid_until":"%s",' % self.ts(created + 86400 * days)
        return (head + '"name":"%s indicator","description":"%s",'
                '"indicator_types":["%s"],"pattern":"%s","pattern_type":"stix",'
                '"pattern_version":"2.1","valid_from":"%s",%s'
                '"kill_chain_phases":[{"kill_chain_name":"entente-ct-lifecycle",'
                '"phase_name":"%s"}],"confidence":%d,' % (
                    self.name(), self.sentence(), self.pick(IND_TYPES), self.pattern(),
                    self.ts(created), until, self.pick(PHASES), 10 + int(self.rng.random() * 90))
                ) + self.tail()

    def relationship(self, oid):
        src_t, kind, tgt_t = self.pick(REL_SHAPES)
        head, _ = self.head("relationship", oid)
        return (head + '"relationship_type":"%s","description":"%s","source_ref":"%s",'
                '"target_ref":"%s","confidence":%d,' % (
                    kind, self.sentence(), self.ref(src_t), self.ref(tgt_t),
                    10 + int(self.rng.random() * 90))) + self.tail()

    def observed_data(self, oid):
        head, created = self.head("observed-data", oid)
        pool = self.pools["sco"]
        if pool:
            k = 1 + int(self.rng.random() * 3)
            refs = [self.pick(pool) for _ in range(k)]
            refs = sorted(set(refs))
        else:
            ip = self.ipv4_at(self.rng.getrandbits(22))
            refs = ["ipv4-addr--" + self.uuid5('{"value":"%s"}' % ip)]
        first = created - int(self.rng.random() * 7 * 86400)
        return (head + '"first_observed":"%s","last_observed":"%s","number_observed":%d,'
                '"object_refs":["%s"],' % (
                    self.ts(first), self.ts(created), 1 + int(self.rng.random() * 500),
                    '","'.join(refs))) + self.tail()

    def sighting(self, oid):
        head, created = self.head("sighting", oid)
        first = created - int(self.rng.random() * 30 * 86400)
        return (head + '"description":"%s","first_seen":"%s","last_seen":"%s","count":%d,'
                '"sighting_of_ref":"%s","observed_data_refs":["%s"],'
                '"where_sighted_refs":["%s"],' % (
                    self.sentence(), self.ts(first), self.ts(created),
                    1 + int(self.rng.random() * 100), self.ref("indicator"),
                    self.ref("observed-data"), self.pick(self.producers))) + self.tail()

    def identity(self, oid):
        if self.producer_queue:
            oid = self.producer_queue.pop(0)
            name = "%s Counter-Terrorism Service" % self.name()
            cls, sector = "organization", "government-national"
        else:
            name = "%s %s" % (self.name(), self.pick(("Transport Authority", "Stadium Operator",
                                                      "Relief Organisation", "City Council",
                                                      "Event Organiser", "Bank")))
            cls, sector = "organization", self.pick(SECTORS)
        head, _ = self.head("identity", oid)
        return (head + '"name":"%s","description":"%s","identity_class":"%s",'
                '"sectors":["%s"],"contact_information":"desk@%s.example",' % (
                    name, self.sentence(), cls, sector,
                    name.lower().replace(" ", "-").replace(",", ""))) + self.tail()

    def malware(self, oid):
        head, created = self.head("malware", oid)
        n = self.name().replace(" ", "")
        return (head + '"name":"%s","description":"%s","malware_types":["%s"],'
                '"is_family":true,"aliases":["%s.A","%s.B"],"first_seen":"%s",'
                '"implementation_languages":["%s"],"capabilities":["%s","%s"],' % (
                    n, self.sentence(), self.pick(MALWARE_TYPES), n, n, self.ts(created),
                    self.pick(LANGS), CAPABILITIES[0], self.pick(CAPABILITIES[1:]))) + self.tail()

    def note(self, oid):
        head, _ = self.head("note", oid)
        refs = sorted({self.ref("indicator"), self.ref("threat-actor")})
        return (head + '"abstract":"On the %s","content":"%s %s %s",'
                '"authors":["analyst desk %d"],"object_refs":["%s"],' % (
                    self.name().lower(), self.sentence(), self.sentence(), self.sentence(),
                    1 + int(self.rng.random() * 20), '","'.join(refs))) + self.tail()

    def threat_actor(self, oid):
        head, created = self.head("threat-actor", oid)
        n = self.name()
        first = created - int(self.rng.random() * 900 * 86400)
        return (head + '"name":"%s","description":"%s","threat_actor_types":["%s"],'
                '"aliases":["%s Network","%s"],"first_seen":"%s","roles":["agent"],'
                '"goals":["%s"],"sophistication":"%s","resource_level":"%s",'
                '"primary_motivation":"%s",' % (
                    n, self.sentence(), self.pick(TA_TYPES), n, "".join(w[0] for w in n.split()),
                    self.ts(first), self.sentence()[:-1], self.pick(SOPHISTICATION),
                    self.pick(RESOURCES), self.pick(MOTIVATIONS))) + self.tail()

    def campaign(self, oid):
        head, created = self.head("campaign", oid)
        first = created - int(self.rng.random() * 200 * 86400)
        return (head + '"name":"Operation %s","description":"%s","aliases":["%s"],'
                '"first_seen":"%s","last_seen":"%s","objective":"%s",' % (
                    self.name(), self.sentence(), self.name(), self.ts(first), self.ts(created),
                    self.sentence()[:-1])) + self.tail()

    def attack_pattern(self, oid):
        head, _ = self.head("attack-pattern", oid)
        return (head + '"name":"%s %s","description":"%s",'
                '"kill_chain_phases":[{"kill_chain_name":"entente-ct-lifecycle",'
                '"phase_name":"%s"}],' % (
                    self.pick(VERB).split(" ", 1)[0].capitalize(), self.pick(CHANNEL),
                    self.sentence(), self.pick(PHASES))) + self.tail()

    def report(self, oid):
        head, created = self.head("report", oid)
        refs = sorted({self.ref(t) for t in ("threat-actor", "campaign", "indicator",
                                             "indicator", "malware", "attack-pattern")})
        return (head + '"name":"%s: assessment","description":"%s %s",'
                '"report_types":["%s"],"published":"%s","object_refs":["%s"],' % (
                    self.name(), self.sentence(), self.sentence(), self.pick(REPORT_TYPES),
                    self.ts(created + 86400), '","'.join(refs))) + self.tail()

    def location(self, oid):
        head, _ = self.head("location", oid)
        name, region, lat, lon = self.pick(REGIONS)
        return (head + '"name":"%s, sector %d","region":"%s","latitude":%.4f,'
                '"longitude":%.4f,' % (
                    name, 1 + int(self.rng.random() * 99), region,
                    lat + self.rng.random() * 4 - 2, lon + self.rng.random() * 4 - 2)
                ) + self.tail()

    # -- invalid objects --------------------------------------------------
    def invalid(self, kind, index):
        oid = "indicator--" + self.uuid4()
        good = self.indicator(oid)
        good = good.replace('"name":"',
                            '"name":"invalid object at index %d (%s): ' % (index, kind), 1)
        if kind == "bad-timestamp":
            i = good.index('"created":"') + 11
            return good[:i] + "2025-02-30T25:61:00Z" + good[i + 24:]
        if kind == "bad-id":
            return good.replace(oid, "indicator--not-a-uuid", 1)
        if kind == "missing-property":
            i = good.index('"pattern":"')
            j = good.index('"pattern_type"', i)
            return good[:i] + good[j:]
        if kind == "confidence-out-of-range":
            i = good.index('"confidence":') + 13
            j = good.index(",", i)
            return good[:i] + "150" + good[j:]
        if kind == "modified-before-created":
            i = good.index('"modified":"') + 12
            return good[:i] + "2000-01-01T00:00:00.000Z" + good[i + 24:]
        if kind == "bad-pattern":
            i = good.index('"pattern":"') + 11
            j = good.index('","pattern_type"', i)
            return good[:i] + "[ipv4-addr:value = ]" + good[j:]
        raise ValueError(kind)

    def build(self, typ):
        if typ in SCO_TYPES:
            return self.sco(typ)
        oid = "%s--%s" % (typ, self.uuid4())
        text = getattr(self, typ.replace("-", "_"))(oid)
        if typ == "identity":
            oid = text[text.index('"id":"') + 6:text.index('","created_by_ref"')]
        self.remember(typ, oid)
        return text


def main():
    ap = argparse.ArgumentParser(description="Write N generated STIX 2.1 objects.")
    ap.add_argument("--count", type=int, default=1000, help="number of objects (default 1000)")
    ap.add_argument("--format", choices=("bundle", "lines", "array"), default="lines",
                    help="bundle: one STIX bundle; lines: one object per line (JSON lines); "
                         "array: a JSON array (default: lines)")
    ap.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    ap.add_argument("--out", default="-", help="output file (default: stdout)")
    ap.add_argument("--types", default="",
                    help="comma-separated object types to generate, e.g. indicator "
                         "(default: the realistic mix)")
    ap.add_argument("--invalid-every", type=int, default=0, metavar="K",
                    help="make every K-th object (K, 2K, ...) invalid")
    ap.add_argument("--invalid-at", default="", metavar="I[,I...]",
                    help="make the objects at these 0-based positions invalid")
    ap.add_argument("--invalid-kind", default="rotate",
                    choices=["rotate"] + INVALID_KINDS + INVALID_EXTRA,
                    help="defect of the injected objects (default: rotate through %s)"
                         % ", ".join(INVALID_KINDS))
    args = ap.parse_args()

    if args.types:
        types = [t.strip() for t in args.types.split(",") if t.strip()]
        unknown = [t for t in types if t not in WEIGHTS]
        if unknown:
            ap.error("unknown type(s): %s (known: %s)" % (", ".join(unknown),
                                                          ", ".join(sorted(WEIGHTS))))
        weights = {t: WEIGHTS[t] for t in types}
    else:
        weights = WEIGHTS
    table = [t for t, w in weights.items() for _ in range(w)]
    invalid_at = {int(x) for x in args.invalid_at.split(",") if x.strip()}

    gen = Gen(args.seed)
    # The producers' own identities open a default-mix stream.
    leading = ["identity"] * len(gen.producers) if "identity" in weights else []

    out = sys.stdout if args.out == "-" else open(args.out, "w", encoding="utf-8",
                                                   newline="\n")
    fmt = args.format
    if fmt == "bundle":
        # Derived apart from the object stream, so every format holds the same objects.
        h = bytearray(hashlib.sha256(b"bundle:%d:%d" % (args.seed, args.count)).digest()[:16])
        h[6], h[8] = (h[6] & 0x0F) | 0x40, (h[8] & 0x3F) | 0x80
        h = h.hex()
        out.write('{"type":"bundle","id":"bundle--%s-%s-%s-%s-%s","objects":[\n'
                  % (h[:8], h[8:12], h[12:16], h[16:20], h[20:]))
        sep, end = ",\n", "\n]}\n"
    elif fmt == "array":
        out.write("[\n")
        sep, end = ",\n", "\n]\n"
    else:
        sep, end = "\n", "\n"

    every = args.invalid_every
    chunk = []
    wrote = False
    n_invalid = 0
    rnd = gen.rng.random
    tlen = len(table)
    for i in range(args.count):
        if (every and (i + 1) % every == 0) or i in invalid_at:
            kind = args.invalid_kind
            if kind == "rotate":
                kind = INVALID_KINDS[n_invalid % len(INVALID_KINDS)]
            n_invalid += 1
            chunk.append(gen.invalid(kind, i))
        elif i < len(leading):
            chunk.append(gen.build("identity"))
        else:
            chunk.append(gen.build(table[int(rnd() * tlen)]))
        if len(chunk) >= 4096:
            if wrote:
                out.write(sep)
            out.write(sep.join(chunk))
            wrote = True
            chunk = []
    if chunk:
        if wrote:
            out.write(sep)
        out.write(sep.join(chunk))
        wrote = True
    if wrote or fmt != "lines":
        out.write(end)
    if out is not sys.stdout:
        out.close()
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BrokenPipeError:
        # The reader stopped early (e.g. `| head`): not an error of ours.
        sys.stderr.close()
        sys.exit(0)
