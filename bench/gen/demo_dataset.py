#!/usr/bin/env python3
"""Generate the entente demo dataset (one STIX 2.1 bundle).

The output is `crates/entente/src/demo/dataset.json`, which the `entente demo`
command embeds and loads into a fresh node. Every organisation, group, person,
domain, address and hash in it is fictional; network indicators use only the
documentation address ranges (RFC 5737) and the reserved `.example`, `.test`
and `.invalid` domains (RFC 2606).

The script is deterministic: identifiers are derived from stable names, and all
timestamps are fixed. Running it twice gives byte-identical output.

    python3 bench/gen/demo_dataset.py                  # rewrite the committed file
    python3 bench/gen/demo_dataset.py --out -          # print to stdout
    python3 bench/gen/demo_dataset.py --check          # fail if the file is stale

Identifiers:
- SDOs, SROs, meta objects and the bundle: a UUIDv5 of "<type>:<key>" under a
  fixed project namespace, with its version and variant bits rewritten to the
  UUIDv4 form the specification recommends for these objects.
- SCOs: the deterministic UUIDv5 the specification prescribes (section 2.9):
  the ID-contributing properties, canonicalised as JSON (RFC 8785), under the
  STIX namespace 00abedb4-aa42-466c-9c01-fed23315a9b7.
"""

import argparse
import hashlib
import json
import pathlib
import sys
import uuid

# Fixed project namespace for the demo dataset identifiers.
PROJECT_NS = uuid.uuid5(uuid.NAMESPACE_URL, "urn:entente:demo-dataset:v1")
# Namespace for deterministic SCO identifiers (STIX 2.1, section 2.9).
SCO_NS = uuid.UUID("00abedb4-aa42-466c-9c01-fed23315a9b7")

REPO_ROOT = pathlib.Path(__file__).resolve().parents[2]
DEFAULT_OUT = REPO_ROOT / "crates" / "entente" / "src" / "demo" / "dataset.json"

# TLP 2.0 marking definitions, exactly as published by OASIS
# (cti-stix-common-objects, extension-definition--60a3c5c5-...).
TLP_EXT = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"
TLP_IDS = {
    "clear": "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    "green": "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    "amber": "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    "amber+strict": "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
    "red": "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}
CLEAR = TLP_IDS["clear"]
GREEN = TLP_IDS["green"]
AMBER = TLP_IDS["amber"]
AMBER_STRICT = TLP_IDS["amber+strict"]
RED = TLP_IDS["red"]

# Kill chain used by attack patterns and indicators: the phases of a terrorist
# operation as counter-terrorism analysts describe them.
CT_CHAIN = "entente-ct-lifecycle"

OBJECTS = []
SEEN_IDS = set()


def tlp_marking(level):
    """The official TLP 2.0 marking-definition object for one level."""
    return {
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": TLP_IDS[level],
        "created": "2022-10-01T00:00:00.000Z",
        "name": "TLP:" + level.upper(),
        "extensions": {
            TLP_EXT: {
                "extension_type": "property-extension",
                "tlp_2_0": level,
            }
        },
    }


def t(stamp):
    """'2025-03-04T08:30' -> '2025-03-04T08:30:00.000Z' (millisecond precision)."""
    if len(stamp) == 10:
        stamp += "T00:00"
    return stamp + ":00.000Z"


def sdo_id(typ, key):
    """A fixed UUIDv4-form identifier derived from a stable name."""
    derived = uuid.uuid5(PROJECT_NS, typ + ":" + key)
    return "{}--{}".format(typ, uuid.UUID(bytes=derived.bytes, version=4))


def canonical(value):
    """RFC 8785 canonical JSON for the plain string/integer values used here."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def sco_id(typ, contributing):
    return "{}--{}".format(typ, uuid.uuid5(SCO_NS, canonical(contributing)))


def add(obj):
    if obj["id"] in SEEN_IDS:
        raise SystemExit("duplicate id " + obj["id"])
    SEEN_IDS.add(obj["id"])
    OBJECTS.append(obj)
    return obj["id"]


def sdo(typ, key, created, by, marking, modified=None, **props):
    """Add a domain object; returns its id."""
    obj = {
        "type": typ,
        "spec_version": "2.1",
        "id": sdo_id(typ, key),
        "created_by_ref": by,
        "created": t(created),
        "modified": t(modified or created),
    }
    for name, value in props.items():
        if value is not None:
            obj[name] = value
    obj["object_marking_refs"] = [marking]
    return add(obj)


def sco(typ, contributing, marking, **props):
    """Add a cyber-observable object with its deterministic id; returns its id."""
    obj = {"type": typ, "spec_version": "2.1", "id": sco_id(typ, contributing)}
    obj.update(contributing)
    obj.update(props)
    obj["object_marking_refs"] = [marking]
    if obj["id"] in SEEN_IDS:
        return obj["id"]
    return add(obj)


def fake_hash(kind, label):
    """A fictional but well-formed hash value for a named sample."""
    algo = {"MD5": hashlib.md5, "SHA-1": hashlib.sha1, "SHA-256": hashlib.sha256}[kind]
    return algo(("entente-demo-sample:" + label).encode()).hexdigest()


def kc(*phases):
    return [{"kill_chain_name": CT_CHAIN, "phase_name": p} for p in phases]


def build():
    for level in ("clear", "green", "amber", "amber+strict", "red"):
        add(tlp_marking(level))

    # ------------------------------------------------------------------
    # Organisations: the home organisation of the demo node and its partners.
    # ------------------------------------------------------------------
    home_id = sdo_id("identity", "home")
    HOME = sdo(
        "identity", "home", "2025-01-06T09:00", home_id, CLEAR,
        name="Valdoria Joint Counter-Terrorism Fusion Centre",
        description=(
            "Home organisation of this demonstration node: the national fusion centre of the "
            "fictional Republic of Valdoria. It assesses terrorist threats, screens terrorism-"
            "financing leads and coordinates exchange with partner services. Fictional."
        ),
        roles=["threat-assessment", "intelligence-fusion", "node-operator"],
        identity_class="organization",
        sectors=["government-national"],
        contact_information="liaison desk: liaison@jctfc.valdoria.example",
    )
    P_CT = sdo(
        "identity", "partner-ct-service", "2025-01-06T09:05", HOME, CLEAR,
        name="Corvenia National Counter-Terrorism Service",
        description=(
            "Partner national counter-terrorism and security service of the fictional Republic "
            "of Corvenia; exchanges over a bilateral channel. Fictional."
        ),
        roles=["national-security-service"],
        identity_class="organization",
        sectors=["government-national"],
        contact_information="exchange desk: exchange@ncts.corvenia.example",
    )
    P_UN = sdo(
        "identity", "partner-un-office", "2025-01-06T09:10", HOME, CLEAR,
        name="UN Regional Counter-Terrorism Coordination Office (demo)",
        description=(
            "A fictional United Nations regional office that coordinates counter-terrorism "
            "capacity building and threat analysis for the Sahel-Saharan region and the Maghreb; "
            "member of the multilateral channel. Not a real office."
        ),
        roles=["multilateral-coordination", "capacity-building"],
        identity_class="organization",
        sectors=["government"],
        contact_information="coordination desk: ct-coordination@un-office.example",
    )
    P_POL = sdo(
        "identity", "partner-police", "2025-01-06T09:15", HOME, CLEAR,
        name="Lestria Federal Police, Counter-Terrorism Command",
        description=(
            "Counter-terrorism command of the federal police of the fictional Federation of "
            "Lestria; investigates recruitment and travel facilitation networks. Fictional."
        ),
        roles=["law-enforcement", "investigation"],
        identity_class="organization",
        sectors=["emergency-services"],
        contact_information="liaison officer desk: ctc-liaison@police.lestria.example",
    )
    P_EVT = sdo(
        "identity", "partner-event-cell", "2025-01-06T09:20", HOME, CLEAR,
        name="Aurora Games 2027 Security Coordination Cell",
        description=(
            "Joint security cell of the fictional Aurora Continental Games 2027 (host city: "
            "Port Aurelia). Fuses threat reporting on venues, fan zones, transport and "
            "accreditation. Fictional event."
        ),
        roles=["event-security"],
        identity_class="organization",
        sectors=["government-public-services", "entertainment"],
        contact_information="security cell: threatdesk@aurora-games.example",
    )

    # Victim classes: who the fictional groups target.
    def target(key, name, description, sectors=None):
        return sdo(
            "identity", "target-" + key, "2025-01-08T10:00", HOME, CLEAR,
            name=name, description=description, identity_class="class", sectors=sectors,
        )

    T_CONVOY = target("convoys", "Humanitarian convoys and aid workers in the Sahel",
                      "Road convoys of food, fuel and medicine and the staff of aid organisations.",
                      ["non-profit", "transportation"])
    T_SECURITY = target("security-forces", "Security force outposts and patrols",
                        "Garrisons, checkpoints and patrols of national and partner forces.",
                        ["defense"])
    T_VENUES = target("venues", "Sporting event venues and fan zones",
                      "Stadiums, fan zones, accreditation centres and team hotels of major "
                      "sporting events.",
                      ["entertainment", "hospitality-leisure"])
    T_TRANSPORT = target("transport", "Public transport hubs",
                         "Rail stations, metro interchanges and airport landside areas serving "
                         "crowded events.",
                         ["transportation"])
    T_DIASPORA = target("diaspora", "Young diaspora social media users",
                        "Young people in diaspora communities targeted by online recruitment and "
                        "by solicitations for donations.")
    T_INFORMANTS = target("informants", "Informants and their handlers",
                          "Community informants of the security services and the officers who "
                          "handle them; targeted for surveillance and reprisals.",
                          ["government-national"])

    # ------------------------------------------------------------------
    # Risk zones.
    # ------------------------------------------------------------------
    def place(key, name, description, **props):
        return sdo("location", key, "2025-01-10T08:00", HOME, CLEAR,
                   name=name, description=description, **props)

    L_SAHEL = place("sahel-saharan", "Sahel-Saharan region",
                    "Belt between the Sahara and the savannah from the Atlantic to the Red Sea; "
                    "main zone of activity of several armed groups.",
                    region="western-africa", latitude=16.0, longitude=0.0, precision=1500000.0)
    L_LIPTAKO = place("liptako-gourma", "Liptako-Gourma tri-border area",
                      "Border area where three Sahel states meet; convoy ambushes and road "
                      "levies concentrate along its supply corridors.",
                      region="western-africa", latitude=14.6, longitude=0.9, precision=200000.0)
    L_MENAKA = place("menaka", "Menaka region",
                     "Eastern district of the tri-border area.",
                     region="western-africa", country="ML", administrative_area="Menaka",
                     latitude=15.92, longitude=2.4, precision=100000.0)
    L_LAKECHAD = place("lake-chad", "Lake Chad basin",
                       "Islands and marshes of the Lake Chad basin; used for movement of "
                       "fighters and supplies.",
                       region="middle-africa", latitude=13.2, longitude=14.1, precision=150000.0)
    L_HORN = place("horn-of-africa", "Horn of Africa",
                   "Peninsula and coastline facing the Gulf of Aden; hub of maritime smuggling "
                   "and informal value transfer.",
                   region="eastern-africa", latitude=8.0, longitude=46.0, precision=1000000.0)
    L_BAB = place("bab-el-mandeb", "Bab-el-Mandeb strait",
                  "Strait between the Red Sea and the Gulf of Aden; maritime smuggling route.",
                  region="eastern-africa", latitude=12.58, longitude=43.33, precision=50000.0)
    L_SYRIA = place("syria", "Syria",
                    "Residual cells, detention camps and foreign fighter networks.",
                    region="western-asia", country="SY", latitude=35.0, longitude=38.5,
                    precision=400000.0)
    L_IDLIB = place("idlib", "Idlib governorate",
                    "North-western governorate; relay point for smuggling networks.",
                    region="western-asia", country="SY", administrative_area="Idlib",
                    latitude=35.93, longitude=36.63, precision=50000.0)
    L_DEIR = place("deir-ez-zor", "Deir ez-Zor governorate",
                   "Euphrates valley; residual cells and detention facilities nearby.",
                   region="western-asia", country="SY", administrative_area="Deir ez-Zor",
                   latitude=35.34, longitude=40.14, precision=80000.0)
    L_AFG = place("afghanistan", "Afghanistan",
                  "Base of groups running external operations and online outreach.",
                  region="southern-asia", country="AF", latitude=33.94, longitude=67.71,
                  precision=600000.0)
    L_NANGARHAR = place("nangarhar", "Nangarhar province",
                        "Eastern province; reported base of an online media and planning cell.",
                        region="southern-asia", country="AF", administrative_area="Nangarhar",
                        latitude=34.17, longitude=70.62, precision=60000.0)
    L_MAGHREB = place("maghreb", "Maghreb",
                      "North-west Africa; recruitment cells and travel routes towards the Sahel.",
                      region="northern-africa", latitude=31.5, longitude=5.0, precision=1200000.0)
    L_FEZZAN = place("fezzan", "Fezzan (south-west Libya)",
                     "Desert crossroads of travel and smuggling routes between the Maghreb and "
                     "the Sahel.",
                     region="northern-africa", country="LY", latitude=26.3, longitude=13.5,
                     precision=300000.0)
    L_HOSTCITY = place("port-aurelia", "Port Aurelia, host city of the Aurora Games 2027",
                       "Fictional host city of the fictional Aurora Continental Games 2027.",
                       region="southern-europe", city="Port Aurelia")
    L_VALDORIA = place("valdoria", "Republic of Valdoria",
                       "Fictional home country of the demonstration node.",
                       region="western-europe")

    # ------------------------------------------------------------------
    # Threat actors.
    # ------------------------------------------------------------------
    TA_HARMATTAN = sdo(
        "threat-actor", "harmattan-front", "2025-02-03T10:00", HOME, GREEN,
        modified="2026-06-15T14:20",
        name="Harmattan Front",
        description=(
            "Fictional armed group active in the Liptako-Gourma tri-border area since 2023. It "
            "ambushes supply and humanitarian convoys, levies 'road taxes' on traders, kidnaps "
            "for ransom and runs a media wing that publishes attack claims in three languages."
        ),
        threat_actor_types=["terrorist"],
        aliases=["HF", "Sandwind Front", "Front of the Dry Wind"],
        first_seen=t("2023-04-01"),
        last_seen=t("2026-06-02"),
        roles=["director", "agent"],
        goals=[
            "Expel national and partner security forces from the tri-border area",
            "Control trade routes and levy road taxes",
            "Recruit among displaced young men",
        ],
        sophistication="intermediate",
        resource_level="organization",
        primary_motivation="ideology",
        secondary_motivations=["dominance", "organizational-gain"],
        confidence=75,
    )
    TA_ACACIA = sdo(
        "threat-actor", "black-acacia", "2025-02-10T11:30", P_UN, GREEN,
        modified="2026-03-01T09:00",
        name="Black Acacia Network",
        description=(
            "Fictional facilitation network in the Horn of Africa that finances allied armed "
            "groups through maritime smuggling, front companies and charity fraud aimed at "
            "diaspora donors."
        ),
        threat_actor_types=["terrorist", "crime-syndicate"],
        aliases=["BAN", "Acacia Logistics"],
        first_seen=t("2022-09-01"),
        last_seen=t("2026-02-20"),
        roles=["sponsor", "infrastructure-operator"],
        goals=[
            "Finance allied armed groups",
            "Move fighters and materiel across the Gulf of Aden",
        ],
        sophistication="advanced",
        resource_level="organization",
        primary_motivation="organizational-gain",
        secondary_motivations=["ideology"],
        confidence=60,
    )
    TA_EMBER = sdo(
        "threat-actor", "eastern-ember", "2025-02-17T08:45", P_CT, GREEN,
        name="Eastern Ember Battalion",
        description=(
            "Fictional remnant unit of foreign fighters in north-east Syria. It smuggles members "
            "out of detention camps and keeps contact with returnees abroad."
        ),
        threat_actor_types=["terrorist"],
        aliases=["EEB", "Ember Battalion"],
        first_seen=t("2019-11-01"),
        last_seen=t("2026-05-11"),
        roles=["agent"],
        goals=[
            "Free detained members from camps",
            "Rebuild cells among returning foreign fighters",
        ],
        sophistication="intermediate",
        resource_level="team",
        primary_motivation="ideology",
        secondary_motivations=["revenge"],
        confidence=55,
    )
    TA_LANTERN = sdo(
        "threat-actor", "ridge-lantern", "2025-03-05T13:00", HOME, GREEN,
        modified="2026-09-30T16:40",
        name="Ridge Lantern Group",
        description=(
            "Fictional group based in eastern Afghanistan that runs external operations: online "
            "propaganda in several European languages, recruitment, and remote guidance of lone "
            "actors abroad ('virtual planners'). Has called for attacks on major sporting events."
        ),
        threat_actor_types=["terrorist"],
        aliases=["RLG", "Lantern Media Collective"],
        first_seen=t("2021-08-15"),
        last_seen=t("2026-09-28"),
        roles=["director", "malware-author"],
        goals=[
            "Inspire and remotely guide lone-actor attacks abroad",
            "Strike major public events for maximum visibility",
        ],
        sophistication="advanced",
        resource_level="organization",
        primary_motivation="ideology",
        secondary_motivations=["notoriety"],
        confidence=70,
    )
    TA_ATLAS = sdo(
        "threat-actor", "atlas-veil", "2025-03-20T10:15", P_POL, GREEN,
        name="Atlas Veil Cells",
        description=(
            "Fictional loose network of small recruitment cells in the Maghreb that pledge "
            "allegiance online and move recruits south through the Fezzan towards the Sahel."
        ),
        threat_actor_types=["terrorist"],
        aliases=["AVC"],
        first_seen=t("2024-01-10"),
        last_seen=t("2026-03-18"),
        roles=["agent"],
        goals=["Recruit and move volunteers to Sahel armed groups"],
        sophistication="minimal",
        resource_level="club",
        primary_motivation="ideology",
        confidence=50,
    )
    TA_COBALT = sdo(
        "threat-actor", "cobalt-courier", "2025-04-02T15:00", P_CT, AMBER,
        name="Cobalt Courier",
        description=(
            "Fictional professional money-laundering service that cashes out crypto-asset "
            "donations and moves funds by hawala for several armed groups, for a commission."
        ),
        threat_actor_types=["crime-syndicate"],
        aliases=["CC", "the Courier"],
        first_seen=t("2023-06-01"),
        last_seen=t("2026-04-30"),
        roles=["sponsor", "infrastructure-operator"],
        goals=["Profit from laundering funds for armed groups"],
        sophistication="expert",
        resource_level="team",
        primary_motivation="personal-gain",
        confidence=45,
    )

    # ------------------------------------------------------------------
    # Intrusion sets: the recurring operations of each group.
    # ------------------------------------------------------------------
    def intrusion_set(key, created, by, marking, **props):
        return sdo("intrusion-set", key, created, by, marking, **props)

    IS_SANDGLASS = intrusion_set(
        "sandglass-media", "2025-02-04T09:00", HOME, GREEN,
        name="Sandglass Media Operations",
        description="Media wing of the Harmattan Front: production and mirroring of attack "
                    "claims and recruitment videos.",
        aliases=["Sandglass Media", "SGM"],
        first_seen=t("2023-06-12"), last_seen=t("2026-06-01"),
        goals=["Amplify attack claims", "Attract recruits and donors"],
        resource_level="organization", primary_motivation="ideology",
        secondary_motivations=["notoriety"],
    )
    IS_DUNEWATCH = intrusion_set(
        "dune-watch", "2025-08-19T11:00", HOME, AMBER,
        name="Dune Watch",
        description="Surveillance unit of the Harmattan Front that plants the DuneSpy Android "
                    "spyware on the phones of suspected informants.",
        aliases=["DW"],
        first_seen=t("2025-05-01"), last_seen=t("2026-05-20"),
        goals=["Identify informants inside communities"],
        resource_level="team", primary_motivation="ideology",
        secondary_motivations=["revenge"],
    )
    IS_TIDEWATER = intrusion_set(
        "tidewater", "2025-03-12T10:00", P_CT, AMBER_STRICT,
        name="Tidewater Finance Scheme",
        description="Fundraising scheme of the Black Acacia Network: fake humanitarian "
                    "appeals, crypto-asset donations and cash-out through Cobalt Courier.",
        aliases=["Tidewater"],
        first_seen=t("2024-11-01"), last_seen=t("2026-02-15"),
        goals=["Raise funds from diaspora donors"],
        resource_level="organization", primary_motivation="organizational-gain",
    )
    IS_EMBER_RELAY = intrusion_set(
        "ember-relay", "2025-02-18T09:30", P_CT, GREEN,
        name="Ember Camp Relay",
        description="Smuggling relay of the Eastern Ember Battalion: bribes, forged papers and "
                    "hawala transfers to get detainees out of camps.",
        first_seen=t("2022-03-01"), last_seen=t("2026-05-11"),
        goals=["Extract detained members and their families"],
        resource_level="team", primary_motivation="ideology",
    )
    IS_LANTERN = intrusion_set(
        "lantern-outreach", "2025-03-06T10:00", HOME, GREEN,
        name="Lantern Outreach",
        description="Online outreach of the Ridge Lantern Group: recruitment in encrypted "
                    "messaging groups and one-to-one guidance of sympathisers.",
        aliases=["Lantern Outreach Office"],
        first_seen=t("2022-01-01"), last_seen=t("2026-09-28"),
        goals=["Recruit and guide lone actors abroad"],
        resource_level="organization", primary_motivation="ideology",
    )
    IS_NIGHTFERRY = intrusion_set(
        "night-ferry", "2025-10-21T08:00", P_POL, AMBER,
        name="Night Ferry",
        description="Travel facilitation of the Atlas Veil Cells: forged documents, safe "
                    "houses and drivers on the route through the Fezzan.",
        first_seen=t("2025-09-01"), last_seen=t("2026-03-18"),
        goals=["Move recruits to the Sahel"],
        resource_level="club", primary_motivation="ideology",
    )

    # ------------------------------------------------------------------
    # Campaigns.
    # ------------------------------------------------------------------
    C_DRYSEASON = sdo(
        "campaign", "dry-season-2025", "2025-02-20T12:00", HOME, GREEN,
        modified="2025-07-10T09:00",
        name="Operation Dry Season 2025",
        description="Series of ambushes and roadside bombs on the supply corridors of the "
                    "tri-border area before the rainy season.",
        aliases=["Dry Season offensive"],
        first_seen=t("2025-01-15"), last_seen=t("2025-06-30"),
        objective="Cut supply corridors to garrison towns and force traders to pay levies",
    )
    C_INFORMANT = sdo(
        "campaign", "informant-hunt", "2025-08-20T10:00", HOME, AMBER,
        name="Informant hunt 2025",
        description="Spyware deployment against suspected informants, followed by threats and "
                    "abductions.",
        first_seen=t("2025-05-01"), last_seen=t("2026-05-20"),
        objective="Expose and punish informants",
    )
    C_RELIEF = sdo(
        "campaign", "sahel-relief-appeal", "2025-03-14T15:30", P_CT, AMBER_STRICT,
        modified="2026-02-20T10:00",
        name="Sahel Relief Appeal fraud",
        description="A fake humanitarian appeal collecting card and crypto-asset donations from "
                    "diaspora communities; proceeds reach the Black Acacia Network.",
        first_seen=t("2025-03-01"), last_seen=t("2026-02-15"),
        objective="Raise funds under humanitarian cover",
    )
    C_BREAKOUT = sdo(
        "campaign", "camp-breakout", "2025-04-08T09:00", P_CT, GREEN,
        name="Camp breakout facilitation 2025-2026",
        description="Paid smuggling of detainees and family members out of camps in north-east "
                    "Syria.",
        first_seen=t("2025-02-01"), last_seen=t("2026-05-11"),
        objective="Return experienced fighters to active cells",
    )
    C_WINTER = sdo(
        "campaign", "winter-caravan", "2025-10-22T14:00", P_POL, AMBER,
        modified="2026-03-25T11:00",
        name="Winter Caravan recruitment drive",
        description="Online recruitment of young people in the Maghreb and in diaspora "
                    "communities, with travel through the Fezzan.",
        first_seen=t("2025-10-01"), last_seen=t("2026-03-18"),
        objective="Send volunteers to Sahel armed groups",
    )
    C_GAMES = sdo(
        "campaign", "aurora-games-threat", "2026-05-04T08:00", P_EVT, RED,
        modified="2026-10-02T17:30",
        name="Threat stream against the Aurora Games 2027",
        description="Calls to attack the Aurora Games, hostile reconnaissance of venues, "
                    "ticketing phishing and interest in weaponised drones.",
        first_seen=t("2026-04-20"), last_seen=t("2026-09-28"),
        objective="Attack or disrupt the Aurora Games 2027",
    )

    # ------------------------------------------------------------------
    # Attack patterns.
    # ------------------------------------------------------------------
    def ap(key, name, description, phases, refs=None):
        return sdo("attack-pattern", key, "2025-01-20T09:00", HOME, CLEAR,
                   name=name, description=description, kill_chain_phases=kc(*phases),
                   external_references=refs)

    AP_RECRUIT = ap("online-recruitment", "Online recruitment through encrypted messaging groups",
                    "Open propaganda channels funnel sympathisers into closed groups, then into "
                    "one-to-one conversations with recruiters.", ["radicalisation", "recruitment"])
    AP_PROPAGANDA = ap("propaganda-mirrors", "Propaganda dissemination through mirror sites",
                       "Each release is uploaded to many file-sharing and mirror sites at once so "
                       "that removal cannot keep up.", ["propaganda"])
    AP_CHARITY = ap("fake-charity", "Fundraising through a fake humanitarian charity",
                    "A fabricated relief appeal with a website, social media pages and collection "
                    "accounts raises funds that are diverted to an armed group.", ["financing"])
    AP_CRYPTO = ap("crypto-donations", "Crypto-asset donation solicitation and cash-out",
                   "Donations are requested in crypto-assets, pooled, mixed, then cashed out "
                   "through exchangers.", ["financing"])
    AP_HAWALA = ap("hawala", "Informal value transfer for operational funds",
                   "Funds move through hawala brokers without formal bank records.", ["financing"])
    AP_IED = ap("roadside-ied", "Roadside improvised explosive device against convoys",
                "Command-wire or pressure-plate devices placed on supply roads.", ["execution"])
    AP_AMBUSH = ap("convoy-ambush", "Complex ambush on supply convoys",
                   "An explosive device stops the convoy; fighters on motorbikes attack it.",
                   ["execution"])
    AP_KFR = ap("kidnap-for-ransom", "Kidnap for ransom",
                "Abduction of aid workers, traders or officials for ransom or leverage.",
                ["financing", "execution"])
    AP_DRONE = ap("weaponised-drone", "Weaponised commercial drone",
                  "A commercial quadcopter with geofencing removed carries a small payload "
                  "over a crowd or a secured perimeter.", ["preparation", "execution"])
    AP_RECON = ap("hostile-recon", "Hostile reconnaissance of crowded venues",
                  "Photographs, videos and notes on entrances, screening points and crowd flows "
                  "of venues and fan zones.", ["preparation"])
    AP_DOCFRAUD = ap("document-fraud", "Forged or fraudulently obtained travel documents",
                     "Forged passports and genuine documents obtained with false identities.",
                     ["travel"])
    AP_VIRTUAL = ap("virtual-planner", "Remote guidance of lone actors",
                    "A remote handler chooses the target, gives instructions and prepares the "
                    "claim of a lone actor's attack.", ["preparation"])
    AP_SPEARPHISH = ap("spearphishing", "Spear-phishing of officials and event staff",
                       "Tailored e-mails with malicious attachments or links aimed at officials, "
                       "humanitarian staff and event accreditation teams.", ["preparation"],
                       refs=[{"source_name": "capec", "external_id": "CAPEC-163"}])
    AP_SPYWARE = ap("mobile-spyware", "Mobile spyware against informants",
                    "A trojanised messaging or news app is installed on a target's phone to "
                    "track location and read conversations.", ["preparation"])

    # ------------------------------------------------------------------
    # Malware, tools, infrastructure, courses of action.
    # ------------------------------------------------------------------
    M_DUNESPY = sdo(
        "malware", "dunespy", "2025-08-19T12:00", HOME, AMBER,
        name="DuneSpy",
        description="Android spyware disguised as a local news app; records location, "
                    "contacts and messages and uploads them to its command servers.",
        malware_types=["spyware", "remote-access-trojan"],
        is_family=True,
        aliases=["DuneSpy.A", "DuneSpy.B"],
        first_seen=t("2025-05-03"),
        last_seen=t("2026-05-20"),
        architecture_execution_envs=["arm"],
        implementation_languages=["java"],
        capabilities=["communicates-with-c2", "exfiltrates-data", "captures-input-peripherals",
                      "persists-after-system-reboot"],
    )
    M_QUILL = sdo(
        "malware", "quilldrop", "2026-06-11T09:00", P_EVT, RED,
        name="QuillDrop",
        description="Windows downloader delivered in spear-phishing e-mails about event "
                    "accreditation; fetches a second-stage remote access tool.",
        malware_types=["downloader", "dropper"],
        is_family=True,
        first_seen=t("2026-06-02"),
        architecture_execution_envs=["x86-64"],
        implementation_languages=["python"],
        capabilities=["communicates-with-c2", "captures-system-state-data"],
    )
    TL_MIRRORFOLD = sdo(
        "tool", "mirrorfold", "2025-02-05T10:00", HOME, GREEN,
        name="Mirrorfold",
        description="Script that uploads one release to dozens of file-sharing sites and posts "
                    "the resulting links.",
        tool_types=["unknown"],
        tool_version="2.3",
    )
    TL_KESTREL = sdo(
        "tool", "kestrel-mixer", "2025-04-02T15:30", P_CT, AMBER_STRICT,
        name="Kestrel Mixer",
        description="Crypto-asset mixing service used to break the trail between donation "
                    "addresses and cash-out accounts.",
        tool_types=["unknown"],
    )
    TL_SKYHAWK = sdo(
        "tool", "skyhawk-patch", "2026-07-01T10:00", P_EVT, RED,
        name="SkyHawk firmware patch",
        description="Modified flight-controller firmware that removes geofencing and altitude "
                    "limits from consumer quadcopters.",
        tool_types=["exploitation"],
    )
    INF_MIRRORS = sdo(
        "infrastructure", "sandglass-mirrors", "2025-02-05T11:00", HOME, GREEN,
        name="Sandglass mirror network",
        description="Websites and file-sharing accounts that host Sandglass Media releases.",
        infrastructure_types=["staging"],
        first_seen=t("2023-06-12"),
    )
    INF_DUNE_C2 = sdo(
        "infrastructure", "dunespy-c2", "2025-08-19T12:30", HOME, AMBER,
        name="DuneSpy command servers",
        description="Servers that receive data uploaded by DuneSpy.",
        infrastructure_types=["command-and-control"],
        first_seen=t("2025-05-03"),
    )
    INF_RELIEF = sdo(
        "infrastructure", "relief-appeal-site", "2025-03-14T16:00", P_CT, AMBER_STRICT,
        name="Sahel Relief Appeal donation site",
        description="Website and mailbox of the fake appeal.",
        infrastructure_types=["phishing"],
        first_seen=t("2025-03-01"),
    )
    INF_TICKETS = sdo(
        "infrastructure", "ticket-phishing", "2026-06-11T09:30", P_EVT, RED,
        name="Fake Aurora Games ticketing site",
        description="Look-alike ticketing and accreditation site used to harvest credentials "
                    "of event staff.",
        infrastructure_types=["phishing"],
        first_seen=t("2026-06-01"),
    )

    def coa(key, name, description, marking=CLEAR, by=HOME):
        return sdo("course-of-action", key, "2025-01-25T09:00", by, marking,
                   name=name, description=description)

    COA_REFERRAL = coa("content-referral", "Referral of propaganda mirrors for removal",
                       "Report each mirror link to the hosting provider through the internet "
                       "referral unit within hours of a release.")
    COA_FINSCREEN = coa("donation-screening", "Screening of charity and donation channels",
                        "Financial intelligence units check appeals, collection accounts and "
                        "crypto-asset addresses against known typologies and sanctions lists.")
    COA_DRONE = coa("counter-drone", "Counter-drone detection at venues",
                    "Radio-frequency detection and authorised mitigation around venues and fan "
                    "zones during the event.", marking=GREEN, by=P_EVT)
    COA_CONVOY = coa("convoy-security", "Convoy route variation and escort",
                     "Vary convoy timings and routes, clear culverts ahead, and coordinate "
                     "escorts.", marking=GREEN, by=P_UN)
    COA_MOBILE = coa("handler-device-hygiene", "Device hygiene for informant handlers",
                     "Brief handlers and informants on app installation risks; check handsets "
                     "for known spyware.", marking=AMBER)

    # ------------------------------------------------------------------
    # Cyber observables and the observed data that carries them.
    # ------------------------------------------------------------------
    H = {}  # sample label -> SHA-256

    def ipv4(value, marking=AMBER):
        return sco("ipv4-addr", {"value": value}, marking)

    def domain(value, marking=AMBER, resolves=None):
        props = {"resolves_to_refs": resolves} if resolves else {}
        return sco("domain-name", {"value": value}, marking, **props)

    def url(value, marking=AMBER):
        return sco("url", {"value": value}, marking)

    def email(value, marking=AMBER, display=None):
        props = {"display_name": display} if display else {}
        return sco("email-addr", {"value": value}, marking, **props)

    def file_(label, name, size, mime, marking=AMBER):
        H[label] = fake_hash("SHA-256", label)
        props = {"size": size}
        if mime:
            props["mime_type"] = mime
        return sco("file", {"hashes": {"SHA-256": H[label]}, "name": name}, marking, **props)

    def account(user_id, login, display, marking=AMBER):
        return sco("user-account", {"user_id": user_id, "account_login": login}, marking,
                   display_name=display)

    def traffic(src, dst, sport, dport, protocols, marking=AMBER):
        return sco("network-traffic",
                   {"src_ref": src, "dst_ref": dst, "src_port": sport, "dst_port": dport,
                    "protocols": protocols}, marking)

    def observed(key, by, marking, first, last, count, refs):
        return sdo("observed-data", key, last, by, marking,
                   first_observed=t(first), last_observed=t(last), number_observed=count,
                   object_refs=refs)

    ip_c2a = ipv4("192.0.2.15")
    ip_c2b = ipv4("198.51.100.23")
    ip_phone = ipv4("203.0.113.9")
    d_c2 = domain("dunewatch-update.test", resolves=[ip_c2a, ip_c2b])
    nt_beacon = traffic(ip_phone, ip_c2a, 49822, 8443, ["ipv4", "tcp", "tls"])
    OD_BEACON = observed("dunespy-beacon", P_POL, AMBER, "2025-08-02T06:10", "2025-08-09T22:41",
                         37, [ip_phone, ip_c2a, ip_c2b, d_c2, nt_beacon])

    f_apk = file_("dunespy-apk", "sahel_news_update.apk", 4718592,
                  None)
    OD_APK = observed("dunespy-apk", HOME, AMBER, "2025-08-15T10:00", "2025-08-15T10:00",
                      1, [f_apk])

    ip_mirror = ipv4("203.0.113.77", GREEN)
    d_sgm = domain("sandglass-media.example", GREEN, resolves=[ip_mirror])
    u_release = url("https://sandglass-media.example/releases/2025/dry-season-05", GREEN)
    f_video = file_("dry-season-05", "dry_season_05.mp4", 73400320, "video/mp4", GREEN)
    OD_RELEASE = observed("sandglass-release", P_UN, GREEN, "2025-05-21T18:00",
                          "2025-05-23T09:30", 14, [ip_mirror, d_sgm, u_release, f_video])

    acct_sgm1 = account("sandglass_official_07", "sandglass_official_07", "Sandglass Media",
                        GREEN)
    acct_sgm2 = account("sgm_news_daily", "sgm_news_daily", "SGM News", GREEN)
    OD_ACCOUNTS = observed("sandglass-accounts", P_UN, GREEN, "2025-04-01T00:00",
                           "2025-06-30T23:59", 212, [acct_sgm1, acct_sgm2])

    ip_relief = ipv4("198.51.100.5", AMBER_STRICT)
    d_relief = domain("sahel-relief-appeal.example", AMBER_STRICT, resolves=[ip_relief])
    d_relief_donate = domain("donate.sahel-relief-appeal.example", AMBER_STRICT,
                             resolves=[ip_relief])
    u_give = url("https://donate.sahel-relief-appeal.example/give", AMBER_STRICT)
    e_relief = email("donations@sahel-relief-appeal.example", AMBER_STRICT,
                     display="Sahel Relief Appeal")
    OD_RELIEF = observed("relief-appeal-site", P_CT, AMBER_STRICT, "2025-03-02T08:00",
                         "2025-12-31T23:00", 1, [ip_relief, d_relief, d_relief_donate, u_give,
                                                 e_relief])

    d_acacia = domain("acacia-shipping.example", AMBER_STRICT)
    e_acacia = email("accounts@acacia-shipping.example", AMBER_STRICT)
    OD_FRONT = observed("acacia-front-company", P_UN, AMBER_STRICT, "2025-06-01T00:00",
                        "2025-11-30T00:00", 3, [d_acacia, e_acacia])

    e_recruiter = email("lantern.guide@mail.invalid", AMBER, display="Guide")
    acct_rec = account("winter_caravan_2025", "winter_caravan_2025", "Caravan of Winter")
    d_library = domain("lantern-library.example")
    OD_RECRUIT = observed("winter-caravan-contacts", P_POL, AMBER, "2025-10-05T19:00",
                          "2026-02-27T21:15", 58, [e_recruiter, acct_rec, d_library])

    ip_relay = ipv4("203.0.113.140")
    ip_sympathiser = ipv4("198.51.100.201")
    nt_relay = traffic(ip_sympathiser, ip_relay, 50314, 443, ["ipv4", "tcp", "tls"])
    OD_RELAY = observed("lantern-relay", P_POL, AMBER, "2026-01-12T20:00", "2026-01-19T23:30",
                        9, [ip_sympathiser, ip_relay, nt_relay])

    ip_tickets = ipv4("198.51.100.77", RED)
    d_tickets = domain("aurora-games-tickets.invalid", RED, resolves=[ip_tickets])
    u_tickets = url("https://aurora-games-tickets.invalid/accreditation/login", RED)
    e_tickets = email("accreditation@aurora-games-tickets.invalid", RED,
                      display="Aurora Games Accreditation")
    e_staff = email("volunteer.desk@aurora-games.example", RED)
    mail_lure = sco("email-message",
                    {"from_ref": e_tickets, "subject": "Action required: renew your venue "
                                                      "accreditation"},
                    RED, is_multipart=False, to_refs=[e_staff], date=t("2026-06-02T07:45"))
    f_quill = file_("quilldrop", "Accreditation_Renewal.pdf.exe", 512000,
                    "application/vnd.microsoft.portable-executable", RED)
    ip_quill_c2 = ipv4("192.0.2.201", RED)
    OD_PHISH = observed("aurora-phishing", P_EVT, RED, "2026-06-02T07:45", "2026-06-04T16:20",
                        23, [e_tickets, e_staff, mail_lure, f_quill, ip_tickets, d_tickets,
                             u_tickets, ip_quill_c2])

    f_plans = file_("venue-plans", "stadium_gates_notes.zip", 8912896, "application/zip", RED)
    OD_RECON = observed("venue-recon", P_EVT, RED, "2026-08-14T00:00", "2026-08-14T00:00", 1,
                        [f_plans])

    f_firmware = file_("skyhawk-fw", "skyhawk_fc_v4.bin", 1048576,
                       "application/octet-stream", RED)
    u_firmware = url("https://lantern-library.example/files/skyhawk_fc_v4.bin", RED)
    OD_FIRMWARE = observed("skyhawk-download", P_EVT, RED, "2026-09-03T12:00",
                           "2026-09-03T12:00", 1, [f_firmware, u_firmware])

    # ------------------------------------------------------------------
    # Indicators.
    # ------------------------------------------------------------------
    def ind(key, by, marking, created, name, description, pattern, types, phases=(),
            valid_until=None, confidence=None):
        return sdo("indicator", key, created, by, marking,
                   name=name, description=description, indicator_types=types,
                   pattern=pattern, pattern_type="stix", pattern_version="2.1",
                   valid_from=t(created), valid_until=valid_until and t(valid_until),
                   kill_chain_phases=kc(*phases) if phases else None, confidence=confidence)

    MAL = ["malicious-activity"]
    ATTR = ["attribution"]
    I = {}
    I["dunespy-c2-domain"] = ind(
        "dunespy-c2-domain", HOME, AMBER, "2025-08-19T13:00", "DuneSpy command domain",
        "Domain contacted by DuneSpy to upload collected data.",
        "[domain-name:value = 'dunewatch-update.test']", MAL, ["preparation"], confidence=85)
    I["dunespy-c2-ip"] = ind(
        "dunespy-c2-ip", HOME, AMBER, "2025-08-19T13:05", "DuneSpy command servers",
        "Addresses of the primary and backup DuneSpy command servers.",
        "[ipv4-addr:value = '192.0.2.15' OR ipv4-addr:value = '198.51.100.23']", MAL,
        ["preparation"], valid_until="2026-08-19", confidence=80)
    I["dunespy-apk"] = ind(
        "dunespy-apk", HOME, AMBER, "2025-08-19T13:10", "DuneSpy installer package",
        "Trojanised news app carrying DuneSpy, recovered from a seized handset.",
        "[file:hashes.'SHA-256' = '{}']".format(H["dunespy-apk"]), MAL, ["preparation"],
        confidence=95)
    I["dunespy-beacon"] = ind(
        "dunespy-beacon", P_POL, AMBER, "2025-08-20T09:00", "DuneSpy beacon over TLS",
        "Outbound TLS sessions on port 8443 to the DuneSpy command server.",
        "[network-traffic:dst_ref.type = 'ipv4-addr' AND network-traffic:dst_ref.value = "
        "'192.0.2.15' AND network-traffic:dst_port = 8443]", MAL, ["preparation"],
        confidence=70)
    I["dunespy-sequence"] = ind(
        "dunespy-sequence", HOME, AMBER, "2025-09-01T10:00", "DuneSpy install then beacon",
        "The DuneSpy package followed within ten minutes by a lookup of its command domain.",
        "[file:hashes.'SHA-256' = '{}'] FOLLOWEDBY [domain-name:value = "
        "'dunewatch-update.test'] WITHIN 600 SECONDS".format(H["dunespy-apk"]), MAL,
        ["preparation"], confidence=90)
    I["sgm-domain"] = ind(
        "sgm-domain", HOME, GREEN, "2025-02-05T12:00", "Sandglass Media site",
        "Main site of Sandglass Media releases.",
        "[domain-name:value = 'sandglass-media.example']", ATTR, ["propaganda"], confidence=90)
    I["sgm-mirrors"] = ind(
        "sgm-mirrors", P_UN, GREEN, "2025-05-23T10:00", "Sandglass mirror domains",
        "Mirror domains that republished the fifth Dry Season release.",
        "[domain-name:value = 'sgm-mirror1.test' OR domain-name:value = 'sgm-archive.invalid' "
        "OR domain-name:value = 'sandglass-files.example']", ATTR, ["propaganda"],
        confidence=75)
    I["sgm-video"] = ind(
        "sgm-video", P_UN, CLEAR, "2025-05-23T10:15", "Dry Season claim video",
        "Hash of the fifth Dry Season claim video, for hash-sharing by platforms.",
        "[file:hashes.'SHA-256' = '{}']".format(H["dry-season-05"]), ATTR, ["propaganda"],
        confidence=95)
    I["sgm-accounts"] = ind(
        "sgm-accounts", P_UN, GREEN, "2025-07-01T09:00", "Sandglass social media accounts",
        "Accounts that repost Sandglass releases within minutes of publication.",
        "[user-account:user_id = 'sandglass_official_07' OR user-account:user_id = "
        "'sgm_news_daily']", ATTR, ["propaganda"], confidence=70)
    I["relief-domain"] = ind(
        "relief-domain", P_CT, AMBER_STRICT, "2025-03-15T09:00", "Sahel Relief Appeal domains",
        "Domains of the fake relief appeal.",
        "[domain-name:value = 'sahel-relief-appeal.example' OR domain-name:value = "
        "'donate.sahel-relief-appeal.example']", MAL, ["financing"], confidence=85)
    I["relief-url"] = ind(
        "relief-url", P_CT, AMBER_STRICT, "2025-03-15T09:05", "Sahel Relief Appeal donation page",
        "Donation page that accepts card payments and crypto-assets.",
        "[url:value = 'https://donate.sahel-relief-appeal.example/give']", MAL, ["financing"],
        confidence=85)
    I["relief-hosting"] = ind(
        "relief-hosting", P_CT, AMBER_STRICT, "2025-03-15T09:15", "Sahel Relief Appeal hosting",
        "Small hosting range that served the appeal and its look-alikes.",
        "[ipv4-addr:value ISSUBSET '198.51.100.0/28']", ["anomalous-activity"], ["financing"],
        valid_until="2026-03-15", confidence=50)
    I["acacia-front"] = ind(
        "acacia-front", P_UN, AMBER_STRICT, "2025-12-01T08:00", "Acacia Shipping front company",
        "Domain and mailbox of a shipping company used to invoice smuggled goods.",
        "[domain-name:value = 'acacia-shipping.example'] OR [email-addr:value = "
        "'accounts@acacia-shipping.example']", ATTR, ["financing"], confidence=60)
    I["lantern-recruiter"] = ind(
        "lantern-recruiter", P_POL, AMBER, "2025-10-23T10:00", "Winter Caravan recruiter contact",
        "Mailbox and account used by a recruiter to move contacts to private chats.",
        "[email-addr:value = 'lantern.guide@mail.invalid'] OR [user-account:user_id = "
        "'winter_caravan_2025']", MAL, ["recruitment"], confidence=75)
    I["lantern-library"] = ind(
        "lantern-library", HOME, AMBER, "2025-11-02T15:00", "Lantern online library",
        "Site hosting manuals and propaganda of the Ridge Lantern Group.",
        "[domain-name:value = 'lantern-library.example']", ATTR, ["radicalisation"],
        confidence=85)
    I["lantern-relay"] = ind(
        "lantern-relay", P_POL, AMBER, "2026-01-20T09:00", "Lantern chat relay",
        "Relay server of a private chat used by a remote handler.",
        "[network-traffic:dst_ref.type = 'ipv4-addr' AND network-traffic:dst_ref.value = "
        "'203.0.113.140' AND network-traffic:dst_port = 443]", MAL, ["preparation"],
        valid_until="2026-07-20", confidence=65)
    I["tickets-domain"] = ind(
        "tickets-domain", P_EVT, RED, "2026-06-03T08:00", "Fake Aurora Games ticketing domain",
        "Look-alike domain of the official ticketing and accreditation portal.",
        "[domain-name:value = 'aurora-games-tickets.invalid']", MAL, ["preparation"],
        confidence=90)
    I["tickets-url"] = ind(
        "tickets-url", P_EVT, RED, "2026-06-03T08:05", "Fake accreditation login page",
        "Credential harvesting page for accreditation holders.",
        "[url:value = 'https://aurora-games-tickets.invalid/accreditation/login']", MAL,
        ["preparation"], confidence=90)
    I["accreditation-lure"] = ind(
        "accreditation-lure", P_EVT, RED, "2026-06-03T08:15", "Accreditation renewal lure",
        "Phishing e-mails from the fake accreditation mailbox about renewing venue access.",
        "[email-message:from_ref.value = 'accreditation@aurora-games-tickets.invalid' AND "
        "email-message:subject LIKE '%accreditation%']", MAL, ["preparation"], confidence=85)
    I["quilldrop-hash"] = ind(
        "quilldrop-hash", P_EVT, RED, "2026-06-11T10:00", "QuillDrop sample",
        "Downloader attached to the accreditation lure.",
        "[file:hashes.'SHA-256' = '{}' OR file:name = 'Accreditation_Renewal.pdf.exe']".format(
            H["quilldrop"]), MAL, ["preparation"], confidence=95)
    I["quilldrop-c2"] = ind(
        "quilldrop-c2", P_EVT, RED, "2026-06-11T10:05", "QuillDrop download server",
        "Server from which QuillDrop fetches its second stage.",
        "[network-traffic:dst_ref.type = 'ipv4-addr' AND network-traffic:dst_ref.value = "
        "'192.0.2.201']", MAL, ["preparation"], valid_until="2026-12-11", confidence=75)
    I["venue-plans"] = ind(
        "venue-plans", P_EVT, RED, "2026-08-15T09:00", "Venue reconnaissance archive",
        "Archive of photographs and notes on stadium gates found on a suspect's phone.",
        "[file:hashes.'SHA-256' = '{}']".format(H["venue-plans"]), ["attribution"],
        ["preparation"], confidence=90)
    I["skyhawk-fw"] = ind(
        "skyhawk-fw", P_EVT, RED, "2026-09-04T10:00", "SkyHawk modified firmware",
        "Drone flight-controller firmware with geofencing removed.",
        "[file:hashes.'SHA-256' = '{}']".format(H["skyhawk-fw"]), MAL, ["preparation"],
        confidence=90)
    I["skyhawk-url"] = ind(
        "skyhawk-url", P_EVT, RED, "2026-09-04T10:05", "SkyHawk firmware download",
        "Download location of the SkyHawk firmware on the Lantern library.",
        "[url:value = 'https://lantern-library.example/files/skyhawk_fc_v4.bin']", MAL,
        ["preparation"], confidence=85)
    I["relief-crypto-lure"] = ind(
        "relief-crypto-lure", P_CT, AMBER_STRICT, "2025-06-02T11:00", "Crypto donation lure page",
        "Pages of the appeal that ask for crypto-asset donations.",
        "[url:value LIKE 'https://donate.sahel-relief-appeal.example/crypto%']",
        ["anomalous-activity"], ["financing"], confidence=60)
    I["camp-smuggler-mail"] = ind(
        "camp-smuggler-mail", P_CT, GREEN, "2025-04-09T10:00", "Camp smuggler contact",
        "Mailbox advertised to families to arrange extraction from camps.",
        "[email-addr:value = 'safe.road@relay-mail.invalid']", MAL, ["travel"], confidence=55)
    I["night-ferry-docs"] = ind(
        "night-ferry-docs", P_POL, AMBER, "2025-11-12T12:00", "Night Ferry document template",
        "Template used to forge residence permits for recruits.",
        "[file:hashes.MD5 = '{}']".format(fake_hash("MD5", "night-ferry-template")), MAL,
        ["travel"], confidence=70)
    I["night-ferry-site"] = ind(
        "night-ferry-site", P_POL, AMBER, "2025-11-12T12:05", "Night Ferry booking contact",
        "Contact page used to book places on the southbound route.",
        "[domain-name:value = 'desert-tours-booking.test' OR url:value = "
        "'https://desert-tours-booking.test/contact']", MAL, ["travel"], confidence=60)
    I["kfr-negotiator"] = ind(
        "kfr-negotiator", P_UN, AMBER, "2025-09-10T09:00", "Ransom negotiator mailbox",
        "Mailbox used to open ransom negotiations for abducted aid workers.",
        "[email-addr:value = 'mediator.sahel@mail.invalid']", MAL, ["financing"],
        confidence=65)

    # ------------------------------------------------------------------
    # Relationships.
    # ------------------------------------------------------------------
    def rel(src, kind, tgt, by=HOME, marking=GREEN, created="2025-07-01T09:00",
            description=None, confidence=None):
        key = "{}|{}|{}".format(src, kind, tgt)
        return sdo("relationship", key, created, by, marking,
                   relationship_type=kind, description=description, source_ref=src,
                   target_ref=tgt, confidence=confidence)

    # Organisations and places.
    rel(HOME, "located-at", L_VALDORIA, marking=CLEAR)
    rel(P_EVT, "located-at", L_HOSTCITY, by=P_EVT, marking=CLEAR)

    # Harmattan Front.
    rel(TA_HARMATTAN, "located-at", L_LIPTAKO, confidence=80)
    for target_ref in (T_CONVOY, T_SECURITY):
        rel(TA_HARMATTAN, "targets", target_ref)
    for used in (AP_AMBUSH, AP_KFR):
        rel(TA_HARMATTAN, "uses", used)
    rel(IS_SANDGLASS, "attributed-to", TA_HARMATTAN, confidence=90)
    rel(IS_SANDGLASS, "originates-from", L_SAHEL)
    for used in (AP_PROPAGANDA, TL_MIRRORFOLD, INF_MIRRORS):
        rel(IS_SANDGLASS, "uses", used)
    rel(IS_DUNEWATCH, "attributed-to", TA_HARMATTAN, marking=AMBER, confidence=70)
    for used in (M_DUNESPY, AP_SPYWARE, INF_DUNE_C2):
        rel(IS_DUNEWATCH, "uses", used, marking=AMBER)
    rel(IS_DUNEWATCH, "targets", T_INFORMANTS, marking=AMBER)
    rel(M_DUNESPY, "authored-by", IS_DUNEWATCH, marking=AMBER, confidence=60)
    rel(M_DUNESPY, "uses", INF_DUNE_C2, marking=AMBER)
    rel(C_DRYSEASON, "attributed-to", TA_HARMATTAN, confidence=85)
    for target_ref in (L_MENAKA, T_CONVOY):
        rel(C_DRYSEASON, "targets", target_ref)
    for used in (AP_IED, AP_AMBUSH):
        rel(C_DRYSEASON, "uses", used)
    rel(C_INFORMANT, "attributed-to", IS_DUNEWATCH, marking=AMBER, confidence=75)
    rel(C_INFORMANT, "uses", M_DUNESPY, marking=AMBER)
    rel(C_INFORMANT, "targets", T_INFORMANTS, marking=AMBER)

    # Black Acacia Network and Cobalt Courier.
    rel(TA_ACACIA, "located-at", L_HORN, by=P_UN, confidence=70)
    rel(TA_ACACIA, "uses", AP_HAWALA, by=P_UN)
    rel(TA_ACACIA, "targets", T_DIASPORA, by=P_UN)
    rel(IS_TIDEWATER, "attributed-to", TA_ACACIA, by=P_CT, marking=AMBER_STRICT,
        confidence=70)
    rel(IS_TIDEWATER, "originates-from", L_HORN, by=P_CT, marking=AMBER_STRICT)
    rel(IS_TIDEWATER, "uses", TL_KESTREL, by=P_CT, marking=AMBER_STRICT)
    rel(C_RELIEF, "attributed-to", IS_TIDEWATER, by=P_CT, marking=AMBER_STRICT,
        confidence=80)
    for used in (AP_CHARITY, AP_CRYPTO, INF_RELIEF):
        rel(C_RELIEF, "uses", used, by=P_CT, marking=AMBER_STRICT)
    rel(C_RELIEF, "targets", T_DIASPORA, by=P_CT, marking=AMBER_STRICT)
    rel(TA_COBALT, "located-at", L_BAB, by=P_CT, marking=AMBER, confidence=40)
    for used in (AP_CRYPTO, TL_KESTREL):
        rel(TA_COBALT, "uses", used, by=P_CT, marking=AMBER)
    rel(TA_COBALT, "related-to", TA_ACACIA, by=P_CT, marking=AMBER_STRICT, confidence=60,
        description="Cashes out crypto-asset donations of the Tidewater scheme.")
    rel(TA_COBALT, "related-to", TA_EMBER, by=P_CT, marking=AMBER_STRICT, confidence=30,
        description="Single hawala transfer reported; link unconfirmed.")

    # Eastern Ember Battalion.
    rel(TA_EMBER, "located-at", L_DEIR, by=P_CT, confidence=75)
    rel(IS_EMBER_RELAY, "attributed-to", TA_EMBER, by=P_CT, confidence=80)
    rel(IS_EMBER_RELAY, "originates-from", L_IDLIB, by=P_CT)
    for used in (AP_HAWALA, AP_DOCFRAUD):
        rel(IS_EMBER_RELAY, "uses", used, by=P_CT)
    rel(C_BREAKOUT, "attributed-to", IS_EMBER_RELAY, by=P_CT, confidence=75)
    rel(C_BREAKOUT, "targets", L_DEIR, by=P_CT)
    rel(C_BREAKOUT, "uses", AP_DOCFRAUD, by=P_CT)

    # Ridge Lantern Group.
    rel(TA_LANTERN, "located-at", L_NANGARHAR, confidence=65)
    rel(TA_LANTERN, "uses", AP_PROPAGANDA)
    for target_ref in (T_VENUES, T_TRANSPORT):
        rel(TA_LANTERN, "targets", target_ref)
    rel(IS_LANTERN, "attributed-to", TA_LANTERN, confidence=85)
    rel(IS_LANTERN, "originates-from", L_AFG)
    for used in (AP_RECRUIT, AP_VIRTUAL):
        rel(IS_LANTERN, "uses", used)
    rel(M_QUILL, "authored-by", TA_LANTERN, by=P_EVT, marking=RED, confidence=40)
    rel(C_GAMES, "attributed-to", TA_LANTERN, by=P_EVT, marking=RED, confidence=60)
    for target_ref in (T_VENUES, L_HOSTCITY):
        rel(C_GAMES, "targets", target_ref, by=P_EVT, marking=RED)
    for used in (AP_RECON, AP_DRONE, AP_SPEARPHISH, M_QUILL, TL_SKYHAWK, INF_TICKETS):
        rel(C_GAMES, "uses", used, by=P_EVT, marking=RED)

    # Atlas Veil Cells.
    rel(TA_ATLAS, "located-at", L_MAGHREB, by=P_POL, confidence=70)
    rel(TA_ATLAS, "uses", AP_RECRUIT, by=P_POL)
    rel(TA_ATLAS, "related-to", TA_LANTERN, by=P_POL, confidence=50,
        description="Cells pledge allegiance to the Ridge Lantern Group online.")
    rel(TA_ATLAS, "related-to", TA_HARMATTAN, by=P_POL, confidence=45,
        description="Recruits moved south are received by the Harmattan Front.")
    rel(IS_NIGHTFERRY, "attributed-to", TA_ATLAS, by=P_POL, marking=AMBER, confidence=70)
    rel(IS_NIGHTFERRY, "originates-from", L_FEZZAN, by=P_POL, marking=AMBER)
    rel(IS_NIGHTFERRY, "uses", AP_DOCFRAUD, by=P_POL, marking=AMBER)
    rel(C_WINTER, "attributed-to", IS_NIGHTFERRY, by=P_POL, marking=AMBER, confidence=65)
    rel(C_WINTER, "attributed-to", IS_LANTERN, by=P_POL, marking=AMBER, confidence=55)
    rel(C_WINTER, "targets", T_DIASPORA, by=P_POL, marking=AMBER)
    rel(C_WINTER, "targets", L_FEZZAN, by=P_POL, marking=AMBER)
    rel(C_WINTER, "uses", AP_RECRUIT, by=P_POL, marking=AMBER)

    # Courses of action.
    rel(COA_REFERRAL, "mitigates", AP_PROPAGANDA, marking=CLEAR)
    rel(COA_FINSCREEN, "mitigates", AP_CHARITY, marking=CLEAR)
    rel(COA_DRONE, "mitigates", AP_DRONE, by=P_EVT, marking=GREEN)
    rel(COA_CONVOY, "mitigates", AP_IED, by=P_UN, marking=GREEN)
    rel(COA_CONVOY, "mitigates", AP_AMBUSH, by=P_UN, marking=GREEN)
    rel(COA_MOBILE, "mitigates", M_DUNESPY, marking=AMBER)

    # What each indicator points at.
    indicates = [
        ("dunespy-c2-domain", [INF_DUNE_C2]),
        ("dunespy-c2-ip", [INF_DUNE_C2]),
        ("dunespy-apk", [M_DUNESPY]),
        ("dunespy-beacon", [C_INFORMANT]),
        ("dunespy-sequence", [M_DUNESPY]),
        ("sgm-domain", [IS_SANDGLASS]),
        ("sgm-mirrors", [INF_MIRRORS]),
        ("sgm-video", [C_DRYSEASON]),
        ("sgm-accounts", [IS_SANDGLASS]),
        ("relief-domain", [INF_RELIEF]),
        ("relief-url", [C_RELIEF]),
        ("relief-hosting", [INF_RELIEF]),
        ("relief-crypto-lure", [C_RELIEF]),
        ("acacia-front", [TA_ACACIA]),
        ("lantern-recruiter", [C_WINTER]),
        ("lantern-library", [TA_LANTERN]),
        ("lantern-relay", [IS_LANTERN]),
        ("tickets-domain", [INF_TICKETS]),
        ("tickets-url", [C_GAMES]),
        ("accreditation-lure", [C_GAMES, M_QUILL]),
        ("quilldrop-hash", [M_QUILL]),
        ("quilldrop-c2", [M_QUILL]),
        ("venue-plans", [C_GAMES]),
        ("skyhawk-fw", [TL_SKYHAWK]),
        ("skyhawk-url", [TL_SKYHAWK]),
        ("camp-smuggler-mail", [C_BREAKOUT]),
        ("night-ferry-docs", [IS_NIGHTFERRY]),
        ("night-ferry-site", [C_WINTER]),
        ("kfr-negotiator", [TA_HARMATTAN]),
    ]
    for key, targets in indicates:
        ind_obj = next(o for o in OBJECTS if o["id"] == I[key])
        for target_ref in targets:
            rel(I[key], "indicates", target_ref, by=ind_obj["created_by_ref"],
                marking=ind_obj["object_marking_refs"][0], created=ind_obj["created"][:16])

    based_on = [
        ("dunespy-beacon", OD_BEACON), ("sgm-video", OD_RELEASE), ("relief-url", OD_RELIEF),
        ("accreditation-lure", OD_PHISH), ("venue-plans", OD_RECON),
    ]
    for key, od in based_on:
        ind_obj = next(o for o in OBJECTS if o["id"] == I[key])
        rel(I[key], "based-on", od, by=ind_obj["created_by_ref"],
            marking=ind_obj["object_marking_refs"][0], created=ind_obj["created"][:16])

    # ------------------------------------------------------------------
    # Sightings: partners report where an indicator was seen.
    # ------------------------------------------------------------------
    def sighting(key, by, marking, indicator, first, last, count, where, observed_refs=None,
                 description=None):
        return sdo("sighting", key, last, by, marking,
                   description=description, first_seen=t(first), last_seen=t(last),
                   count=count, sighting_of_ref=I[indicator],
                   observed_data_refs=observed_refs, where_sighted_refs=where)

    sighting("s-dunespy-beacon", P_POL, AMBER, "dunespy-beacon", "2025-08-02T06:10",
             "2025-08-09T22:41", 37, [P_POL, L_MENAKA], [OD_BEACON],
             "Handset of a community liaison beaconing to the DuneSpy server.")
    sighting("s-dunespy-domain", P_CT, AMBER, "dunespy-c2-domain", "2025-10-01T00:00",
             "2025-10-31T23:59", 5, [P_CT],
             description="Five handsets in the partner's caseload resolved the domain.")
    sighting("s-sgm-video", P_POL, GREEN, "sgm-video", "2025-06-01T00:00", "2025-06-30T00:00",
             41, [P_POL], description="Copies found on seized devices in 41 cases.")
    sighting("s-relief", P_CT, AMBER_STRICT, "relief-url", "2025-03-02T08:00",
             "2025-12-31T23:00", 126, [P_CT], [OD_RELIEF],
             "126 donation transactions traced to the appeal.")
    sighting("s-acacia", P_UN, AMBER_STRICT, "acacia-front", "2025-06-01T00:00",
             "2025-11-30T00:00", 3, [P_UN, L_BAB], [OD_FRONT])
    sighting("s-recruiter", P_POL, AMBER, "lantern-recruiter", "2025-10-05T19:00",
             "2026-02-27T21:15", 58, [P_POL], [OD_RECRUIT])
    sighting("s-recruiter-home", HOME, AMBER, "lantern-recruiter", "2025-12-01T00:00",
             "2026-01-15T00:00", 4, [HOME, L_VALDORIA],
             description="Four contacts of Valdorian residents with the recruiter account.")
    sighting("s-lure", P_EVT, RED, "accreditation-lure", "2026-06-02T07:45", "2026-06-04T16:20",
             23, [P_EVT, L_HOSTCITY], [OD_PHISH],
             "23 volunteers and contractors received the lure; two opened the attachment.")
    sighting("s-venue-plans", P_EVT, RED, "venue-plans", "2026-08-14T00:00",
             "2026-08-14T00:00", 1, [P_EVT], [OD_RECON])
    sighting("s-skyhawk", P_EVT, RED, "skyhawk-url", "2026-09-03T12:00", "2026-09-03T12:00", 1,
             [P_EVT], [OD_FIRMWARE])
    sighting("s-camp-mail", HOME, GREEN, "camp-smuggler-mail", "2025-05-01T00:00",
             "2025-09-30T00:00", 2, [HOME],
             description="Two families in Valdoria were offered extraction by this contact.")

    # ------------------------------------------------------------------
    # Reports, notes, opinions, grouping.
    # ------------------------------------------------------------------
    def report(key, by, marking, published, name, description, types, refs):
        return sdo("report", key, published, by, marking,
                   name=name, description=description, report_types=types,
                   published=t(published), object_refs=refs)

    report(
        "dry-season-h1-2025", HOME, GREEN, "2025-07-10T09:00",
        "Harmattan Front: convoy attacks in the Liptako-Gourma area, first half of 2025",
        "Assessment of Operation Dry Season 2025: targets, tactics, propaganda and outlook for "
        "the next dry season.",
        ["threat-actor", "campaign"],
        [TA_HARMATTAN, IS_SANDGLASS, C_DRYSEASON, AP_AMBUSH, AP_IED, AP_PROPAGANDA, L_LIPTAKO,
         L_MENAKA, T_CONVOY, T_SECURITY, I["sgm-video"], OD_RELEASE, OD_ACCOUNTS])
    report(
        "dunespy", HOME, AMBER, "2025-09-02T12:00",
        "DuneSpy: Android spyware against informant networks",
        "Technical analysis of DuneSpy, its command servers and handset triage guidance.",
        ["malware", "indicator"],
        [M_DUNESPY, IS_DUNEWATCH, C_INFORMANT, INF_DUNE_C2, I["dunespy-c2-domain"],
         I["dunespy-c2-ip"], I["dunespy-apk"], I["dunespy-beacon"], I["dunespy-sequence"],
         OD_BEACON, OD_APK, COA_MOBILE])
    R_RELIEF = report(
        "sahel-relief-appeal", P_CT, AMBER_STRICT, "2026-02-20T10:00",
        "Sahel Relief Appeal: a fake charity financing the Black Acacia Network",
        "Financial investigation into the appeal, its cash-out through Cobalt Courier and the "
        "donors reached.",
        ["threat-report"],
        [C_RELIEF, IS_TIDEWATER, TA_ACACIA, TA_COBALT, TL_KESTREL, INF_RELIEF, AP_CHARITY,
         AP_CRYPTO, I["relief-domain"], I["relief-url"],
         I["relief-hosting"], I["relief-crypto-lure"], OD_RELIEF])
    report(
        "horn-maritime", P_UN, GREEN, "2025-12-05T08:00",
        "Horn of Africa: maritime facilitation and financing",
        "Regional assessment of smuggling routes across the Gulf of Aden and the front "
        "companies that invoice them.",
        ["threat-report"],
        [TA_ACACIA, L_HORN, L_BAB, AP_HAWALA, AP_CHARITY])
    report(
        "camp-breakouts", P_CT, GREEN, "2026-05-15T09:00",
        "Eastern Ember Battalion: camp breakout facilitation in north-east Syria",
        "How the Ember Camp Relay extracts detainees and the risk posed by those who travel on.",
        ["threat-actor", "campaign"],
        [TA_EMBER, IS_EMBER_RELAY, C_BREAKOUT, L_DEIR, L_IDLIB, AP_DOCFRAUD, AP_HAWALA,
         I["camp-smuggler-mail"]])
    R_WINTER = report(
        "winter-caravan", P_POL, AMBER, "2026-03-25T11:00",
        "Winter Caravan: online recruitment and travel through the Fezzan",
        "Investigation summary: recruiter contacts, travel facilitation and links between the "
        "Atlas Veil Cells and the Ridge Lantern Group.",
        ["campaign", "intrusion-set"],
        [C_WINTER, IS_NIGHTFERRY, IS_LANTERN, TA_ATLAS, TA_LANTERN, L_FEZZAN, L_MAGHREB,
         AP_RECRUIT, AP_DOCFRAUD, I["lantern-recruiter"], I["night-ferry-docs"],
         I["night-ferry-site"], I["lantern-relay"], OD_RECRUIT, OD_RELAY])
    report(
        "aurora-games-threat", P_EVT, RED, "2026-10-02T17:30",
        "Aurora Games 2027: consolidated terrorist threat picture",
        "Threat picture for the Games: calls to attack, reconnaissance of venues, phishing of "
        "accreditation holders and drone interest. Handling: named recipients only.",
        ["threat-report"],
        [C_GAMES, TA_LANTERN, IS_LANTERN, M_QUILL, TL_SKYHAWK, INF_TICKETS, AP_RECON, AP_DRONE,
         AP_SPEARPHISH, L_HOSTCITY, T_VENUES, T_TRANSPORT, I["tickets-domain"],
         I["tickets-url"], I["accreditation-lure"], I["quilldrop-hash"],
         I["quilldrop-c2"], I["venue-plans"], I["skyhawk-fw"], I["skyhawk-url"], OD_PHISH,
         OD_RECON, OD_FIRMWARE, COA_DRONE])
    R_ZONES = report(
        "risk-zones-2026", P_UN, CLEAR, "2026-01-15T08:00",
        "Risk zones overview 2026",
        "Unclassified overview of the regions where the groups in this dataset operate.",
        ["threat-report"],
        [L_SAHEL, L_LIPTAKO, L_LAKECHAD, L_HORN, L_SYRIA, L_AFG, L_MAGHREB, L_FEZZAN,
         COA_CONVOY])

    sdo("note", "about-dataset", "2025-01-06T09:30", HOME, CLEAR,
        abstract="About this dataset",
        content=("Demonstration data written for entente. Every organisation, group, event, "
                 "account, domain, address and hash in it is fictional; network indicators use "
                 "documentation address ranges and reserved domain names only. Real place names "
                 "are used for the risk zones."),
        authors=["entente project"],
        object_refs=[HOME, R_ZONES])
    sdo("note", "cobalt-attribution", "2026-02-21T08:00", P_CT, AMBER_STRICT,
        abstract="Cobalt Courier: attribution caveat",
        content=("The link between Cobalt Courier and the Eastern Ember Battalion rests on a "
                 "single transfer reported by one source. Do not act on it without "
                 "corroboration."),
        object_refs=[TA_COBALT, TA_EMBER, R_RELIEF])
    sdo("note", "drone-briefing", "2026-09-05T09:00", P_EVT, RED,
        abstract="Drone threat briefing for venue commanders",
        content=("The SkyHawk firmware download was followed by purchases of two consumer "
                 "quadcopters by the same person. Counter-drone teams are tasked for the "
                 "opening ceremony."),
        object_refs=[TL_SKYHAWK, C_GAMES, COA_DRONE])
    sdo("opinion", "police-on-winter", "2026-03-27T10:00", P_POL, AMBER,
        explanation="Our investigation confirms both attributions in the report.",
        opinion="agree", object_refs=[R_WINTER])
    sdo("opinion", "ct-on-cobalt-ember", "2026-02-22T10:00", P_CT, AMBER_STRICT,
        explanation="Single-source link; we do not share this assessment.",
        opinion="disagree", object_refs=[next(
            o["id"] for o in OBJECTS if o["type"] == "relationship"
            and o["source_ref"] == TA_COBALT and o["target_ref"] == TA_EMBER)])
    sdo("grouping", "donation-cluster", "2026-01-30T14:00", HOME, AMBER_STRICT,
        name="Suspicious donation cluster under review",
        description="Donation pages and hosting seen together in Valdorian payment reports; "
                    "not yet linked to a known scheme.",
        context="suspicious-activity",
        object_refs=[I["relief-hosting"], I["relief-crypto-lure"], OD_RELIEF, TA_COBALT])



def render():
    OBJECTS.clear()
    SEEN_IDS.clear()
    build()
    bundle = {
        "type": "bundle",
        "id": sdo_id("bundle", "entente-demo-dataset"),
        "objects": OBJECTS,
    }
    return json.dumps(bundle, indent=2, ensure_ascii=False) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=str(DEFAULT_OUT),
                        help="output file, or - for stdout (default: the committed dataset)")
    parser.add_argument("--check", action="store_true",
                        help="exit 1 if the output file differs from what would be written")
    args = parser.parse_args()
    text = render()
    if args.check:
        current = pathlib.Path(args.out).read_text(encoding="utf-8")
        if current != text:
            print("{} is stale; rerun bench/gen/demo_dataset.py".format(args.out),
                  file=sys.stderr)
            return 1
        return 0
    if args.out == "-":
        sys.stdout.write(text)
    else:
        pathlib.Path(args.out).write_text(text, encoding="utf-8")
        print("wrote {} objects to {}".format(len(OBJECTS), args.out), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
