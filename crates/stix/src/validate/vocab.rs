//! STIX 2.1 vocabularies (section 10) and enumerations used by validation.
//!
//! Open vocabularies (`-ov`) only *suggest* values: a value outside them is a warning. Closed
//! enumerations (`-enum`) are exhaustive: a value outside them is an error.

pub(crate) type Vocab = (&'static str, &'static [&'static str]);

pub(crate) const ATTACK_MOTIVATION: Vocab = (
    "attack-motivation-ov",
    &[
        "accidental",
        "coercion",
        "dominance",
        "ideology",
        "notoriety",
        "organizational-gain",
        "personal-gain",
        "personal-satisfaction",
        "revenge",
        "unpredictable",
    ],
);
pub(crate) const ATTACK_RESOURCE_LEVEL: Vocab = (
    "attack-resource-level-ov",
    &[
        "individual",
        "club",
        "contest",
        "team",
        "organization",
        "government",
    ],
);
pub(crate) const GROUPING_CONTEXT: Vocab = (
    "grouping-context-ov",
    &["suspicious-activity", "malware-analysis", "unspecified"],
);
pub(crate) const IDENTITY_CLASS: Vocab = (
    "identity-class-ov",
    &[
        "individual",
        "group",
        "system",
        "organization",
        "class",
        "unknown",
    ],
);
pub(crate) const IMPLEMENTATION_LANGUAGE: Vocab = (
    "implementation-language-ov",
    &[
        "applescript",
        "bash",
        "c",
        "c++",
        "c#",
        "go",
        "java",
        "javascript",
        "lua",
        "objective-c",
        "perl",
        "php",
        "powershell",
        "python",
        "ruby",
        "scala",
        "swift",
        "typescript",
        "visual-basic",
        "x86-32",
        "x86-64",
    ],
);
pub(crate) const INDICATOR_TYPE: Vocab = (
    "indicator-type-ov",
    &[
        "anomalous-activity",
        "anonymization",
        "benign",
        "compromised",
        "malicious-activity",
        "attribution",
        "unknown",
    ],
);
pub(crate) const INDUSTRY_SECTOR: Vocab = (
    "industry-sector-ov",
    &[
        "agriculture",
        "aerospace",
        "automotive",
        "chemical",
        "commercial",
        "communications",
        "construction",
        "defense",
        "education",
        "energy",
        "entertainment",
        "financial-services",
        "government",
        "emergency-services",
        "government-national",
        "government-regional",
        "government-local",
        "government-public-services",
        "healthcare",
        "hospitality-leisure",
        "infrastructure",
        "dams",
        "nuclear",
        "water",
        "insurance",
        "manufacturing",
        "mining",
        "non-profit",
        "pharmaceuticals",
        "retail",
        "technology",
        "telecommunications",
        "transportation",
        "utilities",
    ],
);
pub(crate) const INFRASTRUCTURE_TYPE: Vocab = (
    "infrastructure-type-ov",
    &[
        "amplification",
        "anonymization",
        "botnet",
        "command-and-control",
        "control-system",
        "exfiltration",
        "firewall",
        "hosting-malware",
        "hosting-target-lists",
        "phishing",
        "reconnaissance",
        "routers-switches",
        "staging",
        "workstation",
        "unknown",
    ],
);
pub(crate) const MALWARE_RESULT: Vocab = (
    "malware-result-ov",
    &["malicious", "suspicious", "benign", "unknown"],
);
pub(crate) const MALWARE_CAPABILITIES: Vocab = (
    "malware-capabilities-ov",
    &[
        "accesses-remote-machines",
        "anti-debugging",
        "anti-disassembly",
        "anti-emulation",
        "anti-memory-forensics",
        "anti-sandbox",
        "anti-vm",
        "captures-input-peripherals",
        "captures-output-peripherals",
        "captures-system-state-data",
        "cleans-traces-of-infection",
        "commits-fraud",
        "communicates-with-c2",
        "compromises-data-availability",
        "compromises-data-integrity",
        "compromises-system-availability",
        "controls-local-machine",
        "degrades-security-software",
        "degrades-system-updates",
        "determines-c2-server",
        "emails-spam",
        "escalates-privileges",
        "evades-av",
        "exfiltrates-data",
        "fingerprints-host",
        "hides-artifacts",
        "hides-executing-code",
        "infects-files",
        "infects-remote-machines",
        "installs-other-components",
        "persists-after-system-reboot",
        "prevents-artifact-access",
        "prevents-artifact-deletion",
        "probes-network-environment",
        "self-modifies",
        "steals-authentication-credentials",
        "violates-system-operational-integrity",
    ],
);
pub(crate) const MALWARE_TYPE: Vocab = (
    "malware-type-ov",
    &[
        "adware",
        "backdoor",
        "bot",
        "bootkit",
        "ddos",
        "downloader",
        "dropper",
        "exploit-kit",
        "keylogger",
        "ransomware",
        "remote-access-trojan",
        "resource-exploitation",
        "rogue-security-software",
        "rootkit",
        "screen-capture",
        "spyware",
        "trojan",
        "unknown",
        "virus",
        "webshell",
        "wiper",
        "worm",
    ],
);
pub(crate) const PATTERN_TYPE: Vocab = (
    "pattern-type-ov",
    &["stix", "pcre", "sigma", "snort", "suricata", "yara"],
);
pub(crate) const PROCESSOR_ARCHITECTURE: Vocab = (
    "processor-architecture-ov",
    &[
        "alpha", "arm", "ia-64", "mips", "powerpc", "sparc", "x86", "x86-64",
    ],
);
pub(crate) const REGION: Vocab = (
    "region-ov",
    &[
        "africa",
        "eastern-africa",
        "middle-africa",
        "northern-africa",
        "southern-africa",
        "western-africa",
        "americas",
        "latin-america-caribbean",
        "south-america",
        "caribbean",
        "central-america",
        "northern-america",
        "asia",
        "central-asia",
        "eastern-asia",
        "southern-asia",
        "south-eastern-asia",
        "western-asia",
        "europe",
        "eastern-europe",
        "northern-europe",
        "southern-europe",
        "western-europe",
        "oceania",
        "antarctica",
        "australia-new-zealand",
        "melanesia",
        "micronesia",
        "polynesia",
    ],
);
pub(crate) const REPORT_TYPE: Vocab = (
    "report-type-ov",
    &[
        "attack-pattern",
        "campaign",
        "identity",
        "indicator",
        "intrusion-set",
        "malware",
        "observed-data",
        "threat-actor",
        "threat-report",
        "tool",
        "vulnerability",
    ],
);
pub(crate) const THREAT_ACTOR_TYPE: Vocab = (
    "threat-actor-type-ov",
    &[
        "activist",
        "competitor",
        "crime-syndicate",
        "criminal",
        "hacker",
        "insider-accidental",
        "insider-disgruntled",
        "nation-state",
        "sensationalist",
        "spy",
        "terrorist",
        "unknown",
    ],
);
pub(crate) const THREAT_ACTOR_ROLE: Vocab = (
    "threat-actor-role-ov",
    &[
        "agent",
        "director",
        "independent",
        "infrastructure-architect",
        "infrastructure-operator",
        "malware-author",
        "sponsor",
    ],
);
pub(crate) const THREAT_ACTOR_SOPHISTICATION: Vocab = (
    "threat-actor-sophistication-ov",
    &[
        "none",
        "minimal",
        "intermediate",
        "advanced",
        "expert",
        "innovator",
        "strategic",
    ],
);
pub(crate) const TOOL_TYPE: Vocab = (
    "tool-type-ov",
    &[
        "denial-of-service",
        "exploitation",
        "information-gathering",
        "network-capture",
        "credential-exploitation",
        "remote-access",
        "vulnerability-scanning",
        "unknown",
    ],
);
pub(crate) const HASH_ALGORITHM: Vocab = (
    "hash-algorithm-ov",
    &[
        "MD5", "SHA-1", "SHA-256", "SHA-512", "SHA3-256", "SHA3-512", "SSDEEP", "TLSH",
    ],
);
pub(crate) const ACCOUNT_TYPE: Vocab = (
    "account-type-ov",
    &[
        "facebook",
        "ldap",
        "nis",
        "openid",
        "radius",
        "skype",
        "tacacs",
        "twitter",
        "unix",
        "windows-local",
        "windows-domain",
    ],
);

pub(crate) const OPINION: Vocab = (
    "opinion-enum",
    &[
        "strongly-disagree",
        "disagree",
        "neutral",
        "agree",
        "strongly-agree",
    ],
);
pub(crate) const ENCRYPTION_ALGORITHM: Vocab = (
    "encryption-algorithm-enum",
    &["AES-256-GCM", "ChaCha20-Poly1305", "mime-type-indicated"],
);
pub(crate) const EXTENSION_TYPE: Vocab = (
    "extension-type-enum",
    &[
        "new-sdo",
        "new-sco",
        "new-sro",
        "property-extension",
        "toplevel-property-extension",
    ],
);
pub(crate) const REGISTRY_DATATYPE: Vocab = (
    "windows-registry-datatype-enum",
    &[
        "REG_NONE",
        "REG_SZ",
        "REG_EXPAND_SZ",
        "REG_BINARY",
        "REG_DWORD",
        "REG_DWORD_BIG_ENDIAN",
        "REG_DWORD_LITTLE_ENDIAN",
        "REG_LINK",
        "REG_MULTI_SZ",
        "REG_RESOURCE_LIST",
        "REG_FULL_RESOURCE_DESCRIPTION",
        "REG_RESOURCE_REQUIREMENTS_LIST",
        "REG_QWORD",
        "REG_INVALID_TYPE",
    ],
);

/// The predefined SCO extensions (STIX 2.1 section 6), by the SCO type that carries them.
pub(crate) const PREDEFINED_EXTENSIONS: &[(&str, &str)] = &[
    ("file", "archive-ext"),
    ("file", "ntfs-ext"),
    ("file", "pdf-ext"),
    ("file", "raster-image-ext"),
    ("file", "windows-pebinary-ext"),
    ("network-traffic", "http-request-ext"),
    ("network-traffic", "icmp-ext"),
    ("network-traffic", "socket-ext"),
    ("network-traffic", "tcp-ext"),
    ("process", "windows-process-ext"),
    ("process", "windows-service-ext"),
    ("user-account", "unix-account-ext"),
];

/// Full names of the Windows registry hives a `windows-registry-key` `key` must start with.
pub(crate) const REGISTRY_HIVES: &[&str] = &[
    "HKEY_CLASSES_ROOT",
    "HKEY_CURRENT_CONFIG",
    "HKEY_CURRENT_USER",
    "HKEY_DYN_DATA",
    "HKEY_LOCAL_MACHINE",
    "HKEY_PERFORMANCE_DATA",
    "HKEY_USERS",
];
