//! The rules: common properties, per-type property tables and co-constraints.
//!
//! Section numbers refer to STIX Version 2.1 (OASIS Standard, 10 June 2021).

use super::vocab::{self as v, Vocab};
use super::{Issue, Severity};
use crate::json::{Kind, Members, Path, as_bool, as_f64, as_int, as_list, as_str};
use crate::{Object, StixId, Timestamp, tlp};

/// Accumulates issues for one object.
pub(crate) struct Ctx<'a> {
    id: &'a str,
    pub(crate) issues: Vec<Issue>,
}

impl<'a> Ctx<'a> {
    pub(crate) fn new(id: &'a str) -> Ctx<'a> {
        Ctx {
            id,
            issues: Vec::new(),
        }
    }

    fn push(&mut self, severity: Severity, path: &Path<'_>, rule: &'static str, message: String) {
        self.issues.push(Issue {
            severity,
            object: self.id.to_owned(),
            path: path.to_string(),
            rule,
            message,
        });
    }

    fn err(&mut self, path: &Path<'_>, rule: &'static str, message: impl Into<String>) {
        self.push(Severity::Error, path, rule, message.into());
    }

    fn warn(&mut self, path: &Path<'_>, rule: &'static str, message: impl Into<String>) {
        self.push(Severity::Warning, path, rule, message.into());
    }
}

/// The 19 STIX Domain Objects (section 4).
pub(crate) const SDO_TYPES: &[&str] = &[
    "attack-pattern",
    "campaign",
    "course-of-action",
    "grouping",
    "identity",
    "incident",
    "indicator",
    "infrastructure",
    "intrusion-set",
    "location",
    "malware",
    "malware-analysis",
    "note",
    "observed-data",
    "opinion",
    "report",
    "threat-actor",
    "tool",
    "vulnerability",
];

/// The 18 STIX Cyber-observable Objects (section 6).
pub(crate) const SCO_TYPES: &[&str] = &[
    "artifact",
    "autonomous-system",
    "directory",
    "domain-name",
    "email-addr",
    "email-message",
    "file",
    "ipv4-addr",
    "ipv6-addr",
    "mac-addr",
    "mutex",
    "network-traffic",
    "process",
    "software",
    "url",
    "user-account",
    "windows-registry-key",
    "x509-certificate",
];

/// Types defined by the specification that are neither SDOs nor SCOs.
const OTHER_TYPES: &[&str] = &[
    "relationship",
    "sighting",
    "marking-definition",
    "language-content",
    "extension-definition",
    "bundle",
];

fn is_known_type(t: &str) -> bool {
    SDO_TYPES.contains(&t) || SCO_TYPES.contains(&t) || OTHER_TYPES.contains(&t)
}

/// Which object types a reference property may point at.
#[derive(Clone, Copy)]
pub(crate) enum Refs {
    /// Exactly these types.
    Types(&'static [&'static str]),
    /// Any SCO, or a custom type.
    Sco,
    /// Any SDO, or a custom type.
    Sdo,
    /// Any SDO or SCO, or a custom type.
    SdoOrSco,
    /// Any SCO, a relationship, or a custom type (observed-data `object_refs`).
    ScoOrSro,
    /// Any STIX object.
    Any,
}

impl Refs {
    fn allows(self, t: &str) -> bool {
        let custom = !is_known_type(t);
        match self {
            Refs::Types(ts) => ts.contains(&t),
            Refs::Sco => custom || SCO_TYPES.contains(&t),
            Refs::Sdo => custom || SDO_TYPES.contains(&t),
            Refs::SdoOrSco => custom || SDO_TYPES.contains(&t) || SCO_TYPES.contains(&t),
            Refs::ScoOrSro => custom || SCO_TYPES.contains(&t) || t == "relationship",
            Refs::Any => t != "bundle",
        }
    }

    fn describe(self) -> String {
        match self {
            Refs::Types(ts) => ts.join(" or "),
            Refs::Sco => "an SCO".into(),
            Refs::Sdo => "an SDO".into(),
            Refs::SdoOrSco => "an SDO or SCO".into(),
            Refs::ScoOrSro => "an SCO or a relationship".into(),
            Refs::Any => "a STIX object".into(),
        }
    }
}

/// The type of a property value.
#[derive(Clone, Copy)]
pub(crate) enum T {
    Str,
    Bool,
    Ts,
    /// An integer in the inclusive range.
    Int(i128, i128),
    /// A number in the inclusive range.
    Float(f64, f64),
    Ref(Refs),
    RefList(Refs),
    /// Like `RefList`, and the list must not be empty.
    RefListNonEmpty(Refs),
    StrList,
    Ov(Vocab),
    OvList(Vocab),
    Enum(Vocab),
    Hashes,
    Dict,
    KillChains,
    Obj,
    List,
    Binary,
    Hex,
    Url,
    Any,
}

/// One property of a type's table.
#[derive(Clone, Copy)]
pub(crate) struct Prop {
    name: &'static str,
    t: T,
    required: bool,
}

const fn r(name: &'static str, t: T) -> Prop {
    Prop {
        name,
        t,
        required: true,
    }
}

const fn o(name: &'static str, t: T) -> Prop {
    Prop {
        name,
        t,
        required: false,
    }
}

const IDENTITY: Refs = Refs::Types(&["identity"]);
const MARKING: Refs = Refs::Types(&["marking-definition"]);
const FILE_OR_ARTIFACT: Refs = Refs::Types(&["file", "artifact"]);
const SOFTWARE: Refs = Refs::Types(&["software"]);
const EMAIL_ADDR: Refs = Refs::Types(&["email-addr"]);
const USER_ACCOUNT: Refs = Refs::Types(&["user-account"]);
const ADDRESSES: Refs = Refs::Types(&["ipv4-addr", "ipv6-addr", "mac-addr", "domain-name"]);

/// Common properties of SDOs and SROs (section 3.2), also used by language-content and
/// extension-definition.
const COMMON: &[Prop] = &[
    r("type", T::Str),
    r("spec_version", T::Str),
    r("id", T::Str),
    r("created", T::Ts),
    r("modified", T::Ts),
    o("created_by_ref", T::Ref(IDENTITY)),
    o("revoked", T::Bool),
    o("labels", T::StrList),
    o("confidence", T::Int(0, 100)),
    o("lang", T::Str),
    o("external_references", T::Any),
    o("object_marking_refs", T::RefList(MARKING)),
    o("granular_markings", T::Any),
    o("extensions", T::Any),
];

/// Common properties of SCOs (section 3.2, SCO column).
const SCO_COMMON: &[Prop] = &[
    r("type", T::Str),
    o("spec_version", T::Str),
    r("id", T::Str),
    o("object_marking_refs", T::RefList(MARKING)),
    o("granular_markings", T::Any),
    o("defanged", T::Bool),
    o("extensions", T::Any),
];

/// Properties of marking-definition (section 7.2.1): no `modified`, no `revoked`.
const MARKING_COMMON: &[Prop] = &[
    r("type", T::Str),
    r("spec_version", T::Str),
    r("id", T::Str),
    r("created", T::Ts),
    o("created_by_ref", T::Ref(IDENTITY)),
    o("external_references", T::Any),
    o("object_marking_refs", T::RefList(MARKING)),
    o("granular_markings", T::Any),
    o("extensions", T::Any),
    o("name", T::Str),
    o("definition_type", T::Str),
    o("definition", T::Obj),
];

const FIRST_LAST_SEEN: [Prop; 2] = [o("first_seen", T::Ts), o("last_seen", T::Ts)];

/// The type-specific properties of each STIX-defined type.
fn type_props(t: &str) -> Option<&'static [Prop]> {
    const ATTACK_PATTERN: &[Prop] = &[
        r("name", T::Str),
        o("description", T::Str),
        o("aliases", T::StrList),
        o("kill_chain_phases", T::KillChains),
    ];
    const CAMPAIGN: &[Prop] = &[
        r("name", T::Str),
        o("description", T::Str),
        o("aliases", T::StrList),
        FIRST_LAST_SEEN[0],
        FIRST_LAST_SEEN[1],
        o("objective", T::Str),
    ];
    const COURSE_OF_ACTION: &[Prop] = &[
        r("name", T::Str),
        o("description", T::Str),
        o("action", T::Any),
    ];
    const GROUPING: &[Prop] = &[
        o("name", T::Str),
        o("description", T::Str),
        r("context", T::Ov(v::GROUPING_CONTEXT)),
        r("object_refs", T::RefListNonEmpty(Refs::Any)),
    ];
    const IDENTITY_P: &[Prop] = &[
        r("name", T::Str),
        o("description", T::Str),
        o("roles", T::StrList),
        o("identity_class", T::Ov(v::IDENTITY_CLASS)),
        o("sectors", T::OvList(v::INDUSTRY_SECTOR)),
        o("contact_information", T::Str),
    ];
    const INCIDENT: &[Prop] = &[
        r("name", T::Str),
        o("description", T::Str),
        o("kill_chain_phases", T::KillChains),
    ];
    const INDICATOR: &[Prop] = &[
        o("name", T::Str),
        o("description", T::Str),
        o("indicator_types", T::OvList(v::INDICATOR_TYPE)),
        r("pattern", T::Str),
        r("pattern_type", T::Ov(v::PATTERN_TYPE)),
        o("pattern_version", T::Str),
        r("valid_from", T::Ts),
        o("valid_until", T::Ts),
        o("kill_chain_phases", T::KillChains),
    ];
    const INFRASTRUCTURE: &[Prop] = &[
        r("name", T::Str),
        o("description", T::Str),
        o("infrastructure_types", T::OvList(v::INFRASTRUCTURE_TYPE)),
        o("aliases", T::StrList),
        o("kill_chain_phases", T::KillChains),
        FIRST_LAST_SEEN[0],
        FIRST_LAST_SEEN[1],
    ];
    const INTRUSION_SET: &[Prop] = &[
        r("name", T::Str),
        o("description", T::Str),
        o("aliases", T::StrList),
        FIRST_LAST_SEEN[0],
        FIRST_LAST_SEEN[1],
        o("goals", T::StrList),
        o("resource_level", T::Ov(v::ATTACK_RESOURCE_LEVEL)),
        o("primary_motivation", T::Ov(v::ATTACK_MOTIVATION)),
        o("secondary_motivations", T::OvList(v::ATTACK_MOTIVATION)),
    ];
    const LOCATION: &[Prop] = &[
        o("name", T::Str),
        o("description", T::Str),
        o("latitude", T::Float(-90.0, 90.0)),
        o("longitude", T::Float(-180.0, 180.0)),
        o("precision", T::Float(0.0, f64::MAX)),
        o("region", T::Ov(v::REGION)),
        o("country", T::Str),
        o("administrative_area", T::Str),
        o("city", T::Str),
        o("street_address", T::Str),
        o("postal_code", T::Str),
    ];
    const MALWARE: &[Prop] = &[
        o("name", T::Str),
        o("description", T::Str),
        o("malware_types", T::OvList(v::MALWARE_TYPE)),
        r("is_family", T::Bool),
        o("aliases", T::StrList),
        o("kill_chain_phases", T::KillChains),
        FIRST_LAST_SEEN[0],
        FIRST_LAST_SEEN[1],
        o("operating_system_refs", T::RefList(SOFTWARE)),
        o(
            "architecture_execution_envs",
            T::OvList(v::PROCESSOR_ARCHITECTURE),
        ),
        o(
            "implementation_languages",
            T::OvList(v::IMPLEMENTATION_LANGUAGE),
        ),
        o("capabilities", T::OvList(v::MALWARE_CAPABILITIES)),
        o("sample_refs", T::RefList(FILE_OR_ARTIFACT)),
    ];
    const MALWARE_ANALYSIS: &[Prop] = &[
        r("product", T::Str),
        o("version", T::Str),
        o("host_vm_ref", T::Ref(SOFTWARE)),
        o("operating_system_ref", T::Ref(SOFTWARE)),
        o("installed_software_refs", T::RefList(SOFTWARE)),
        o("configuration_version", T::Str),
        o("modules", T::StrList),
        o("analysis_engine_version", T::Str),
        o("analysis_definition_version", T::Str),
        o("submitted", T::Ts),
        o("analysis_started", T::Ts),
        o("analysis_ended", T::Ts),
        o("result_name", T::Str),
        o("result", T::Ov(v::MALWARE_RESULT)),
        o("analysis_sco_refs", T::RefList(Refs::Sco)),
        o(
            "sample_ref",
            T::Ref(Refs::Types(&["file", "artifact", "network-traffic"])),
        ),
    ];
    const NOTE: &[Prop] = &[
        o("abstract", T::Str),
        r("content", T::Str),
        o("authors", T::StrList),
        r("object_refs", T::RefListNonEmpty(Refs::Any)),
    ];
    const OBSERVED_DATA: &[Prop] = &[
        r("first_observed", T::Ts),
        r("last_observed", T::Ts),
        r("number_observed", T::Int(1, 999_999_999)),
        o("objects", T::Dict),
        o("object_refs", T::RefListNonEmpty(Refs::ScoOrSro)),
    ];
    const OPINION: &[Prop] = &[
        o("explanation", T::Str),
        o("authors", T::StrList),
        r("opinion", T::Enum(v::OPINION)),
        r("object_refs", T::RefListNonEmpty(Refs::Any)),
    ];
    const REPORT: &[Prop] = &[
        r("name", T::Str),
        o("description", T::Str),
        o("report_types", T::OvList(v::REPORT_TYPE)),
        r("published", T::Ts),
        r("object_refs", T::RefListNonEmpty(Refs::Any)),
    ];
    const THREAT_ACTOR: &[Prop] = &[
        r("name", T::Str),
        o("description", T::Str),
        o("threat_actor_types", T::OvList(v::THREAT_ACTOR_TYPE)),
        o("aliases", T::StrList),
        FIRST_LAST_SEEN[0],
        FIRST_LAST_SEEN[1],
        o("roles", T::OvList(v::THREAT_ACTOR_ROLE)),
        o("goals", T::StrList),
        o("sophistication", T::Ov(v::THREAT_ACTOR_SOPHISTICATION)),
        o("resource_level", T::Ov(v::ATTACK_RESOURCE_LEVEL)),
        o("primary_motivation", T::Ov(v::ATTACK_MOTIVATION)),
        o("secondary_motivations", T::OvList(v::ATTACK_MOTIVATION)),
        o("personal_motivations", T::OvList(v::ATTACK_MOTIVATION)),
    ];
    const TOOL: &[Prop] = &[
        r("name", T::Str),
        o("description", T::Str),
        o("tool_types", T::OvList(v::TOOL_TYPE)),
        o("aliases", T::StrList),
        o("kill_chain_phases", T::KillChains),
        o("tool_version", T::Str),
    ];
    const VULNERABILITY: &[Prop] = &[r("name", T::Str), o("description", T::Str)];
    const RELATIONSHIP: &[Prop] = &[
        r("relationship_type", T::Str),
        o("description", T::Str),
        r("source_ref", T::Ref(Refs::SdoOrSco)),
        r("target_ref", T::Ref(Refs::SdoOrSco)),
        o("start_time", T::Ts),
        o("stop_time", T::Ts),
    ];
    const SIGHTING: &[Prop] = &[
        o("description", T::Str),
        FIRST_LAST_SEEN[0],
        FIRST_LAST_SEEN[1],
        o("count", T::Int(0, 999_999_999)),
        r("sighting_of_ref", T::Ref(Refs::Sdo)),
        o(
            "observed_data_refs",
            T::RefList(Refs::Types(&["observed-data"])),
        ),
        o(
            "where_sighted_refs",
            T::RefList(Refs::Types(&["identity", "location"])),
        ),
        o("summary", T::Bool),
    ];
    const LANGUAGE_CONTENT: &[Prop] = &[
        r("object_ref", T::Ref(Refs::Any)),
        o("object_modified", T::Ts),
        r("contents", T::Dict),
    ];
    const EXTENSION_DEFINITION: &[Prop] = &[
        r("name", T::Str),
        o("description", T::Str),
        r("schema", T::Str),
        r("version", T::Str),
        r("extension_types", T::Any),
        o("extension_properties", T::StrList),
    ];
    // SCOs (section 6).
    const ARTIFACT: &[Prop] = &[
        o("mime_type", T::Str),
        o("payload_bin", T::Binary),
        o("url", T::Url),
        o("hashes", T::Hashes),
        o("encryption_algorithm", T::Enum(v::ENCRYPTION_ALGORITHM)),
        o("decryption_key", T::Str),
    ];
    const AUTONOMOUS_SYSTEM: &[Prop] = &[
        r("number", T::Int(0, u32::MAX as i128)),
        o("name", T::Str),
        o("rir", T::Str),
    ];
    const DIRECTORY: &[Prop] = &[
        r("path", T::Str),
        o("path_enc", T::Str),
        o("ctime", T::Ts),
        o("mtime", T::Ts),
        o("atime", T::Ts),
        o(
            "contains_refs",
            T::RefList(Refs::Types(&["file", "directory"])),
        ),
    ];
    const DOMAIN_NAME: &[Prop] = &[
        r("value", T::Str),
        o(
            "resolves_to_refs",
            T::RefList(Refs::Types(&["ipv4-addr", "ipv6-addr", "domain-name"])),
        ),
    ];
    const EMAIL_ADDR_P: &[Prop] = &[
        r("value", T::Str),
        o("display_name", T::Str),
        o("belongs_to_ref", T::Ref(USER_ACCOUNT)),
    ];
    const EMAIL_MESSAGE: &[Prop] = &[
        r("is_multipart", T::Bool),
        o("date", T::Ts),
        o("content_type", T::Str),
        o("from_ref", T::Ref(EMAIL_ADDR)),
        o("sender_ref", T::Ref(EMAIL_ADDR)),
        o("to_refs", T::RefList(EMAIL_ADDR)),
        o("cc_refs", T::RefList(EMAIL_ADDR)),
        o("bcc_refs", T::RefList(EMAIL_ADDR)),
        o("message_id", T::Str),
        o("subject", T::Str),
        o("received_lines", T::StrList),
        o("additional_header_fields", T::Dict),
        o("body", T::Str),
        o("body_multipart", T::List),
        o("raw_email_ref", T::Ref(Refs::Types(&["artifact"]))),
    ];
    const FILE: &[Prop] = &[
        o("hashes", T::Hashes),
        o("size", T::Int(0, i64::MAX as i128)),
        o("name", T::Str),
        o("name_enc", T::Str),
        o("magic_number_hex", T::Hex),
        o("mime_type", T::Str),
        o("ctime", T::Ts),
        o("mtime", T::Ts),
        o("atime", T::Ts),
        o("parent_directory_ref", T::Ref(Refs::Types(&["directory"]))),
        o("contains_refs", T::RefList(Refs::Sco)),
        o("content_ref", T::Ref(Refs::Types(&["artifact"]))),
    ];
    const IPV4: &[Prop] = &[
        r("value", T::Str),
        o("resolves_to_refs", T::RefList(Refs::Types(&["mac-addr"]))),
        o(
            "belongs_to_refs",
            T::RefList(Refs::Types(&["autonomous-system"])),
        ),
    ];
    const MAC_ADDR: &[Prop] = &[r("value", T::Str)];
    const MUTEX: &[Prop] = &[r("name", T::Str)];
    const NETWORK_TRAFFIC: &[Prop] = &[
        o("start", T::Ts),
        o("end", T::Ts),
        o("is_active", T::Bool),
        o("src_ref", T::Ref(ADDRESSES)),
        o("dst_ref", T::Ref(ADDRESSES)),
        o("src_port", T::Int(0, 65535)),
        o("dst_port", T::Int(0, 65535)),
        r("protocols", T::StrList),
        o("src_byte_count", T::Int(0, i64::MAX as i128)),
        o("dst_byte_count", T::Int(0, i64::MAX as i128)),
        o("src_packets", T::Int(0, i64::MAX as i128)),
        o("dst_packets", T::Int(0, i64::MAX as i128)),
        o("ipfix", T::Dict),
        o("src_payload_ref", T::Ref(Refs::Types(&["artifact"]))),
        o("dst_payload_ref", T::Ref(Refs::Types(&["artifact"]))),
        o(
            "encapsulates_refs",
            T::RefList(Refs::Types(&["network-traffic"])),
        ),
        o(
            "encapsulated_by_ref",
            T::Ref(Refs::Types(&["network-traffic"])),
        ),
    ];
    const PROCESS: &[Prop] = &[
        o("is_hidden", T::Bool),
        o("pid", T::Int(i64::MIN as i128, i64::MAX as i128)),
        o("created_time", T::Ts),
        o("cwd", T::Str),
        o("command_line", T::Str),
        o("environment_variables", T::Dict),
        o(
            "opened_connection_refs",
            T::RefList(Refs::Types(&["network-traffic"])),
        ),
        o("creator_user_ref", T::Ref(USER_ACCOUNT)),
        o("image_ref", T::Ref(Refs::Types(&["file"]))),
        o("parent_ref", T::Ref(Refs::Types(&["process"]))),
        o("child_refs", T::RefList(Refs::Types(&["process"]))),
    ];
    const SOFTWARE_P: &[Prop] = &[
        r("name", T::Str),
        o("cpe", T::Str),
        o("swid", T::Str),
        o("languages", T::StrList),
        o("vendor", T::Str),
        o("version", T::Str),
    ];
    const URL: &[Prop] = &[r("value", T::Url)];
    const USER_ACCOUNT_P: &[Prop] = &[
        o("user_id", T::Str),
        o("credential", T::Str),
        o("account_login", T::Str),
        o("account_type", T::Ov(v::ACCOUNT_TYPE)),
        o("display_name", T::Str),
        o("is_service_account", T::Bool),
        o("is_privileged", T::Bool),
        o("can_escalate_privs", T::Bool),
        o("is_disabled", T::Bool),
        o("account_created", T::Ts),
        o("account_expires", T::Ts),
        o("credential_last_changed", T::Ts),
        o("account_first_login", T::Ts),
        o("account_last_login", T::Ts),
    ];
    const REGISTRY_KEY: &[Prop] = &[
        o("key", T::Str),
        o("values", T::List),
        o("modified_time", T::Ts),
        o("creator_user_ref", T::Ref(USER_ACCOUNT)),
        o("number_of_subkeys", T::Int(0, i64::MAX as i128)),
    ];
    const X509: &[Prop] = &[
        o("is_self_signed", T::Bool),
        o("hashes", T::Hashes),
        o("version", T::Str),
        o("serial_number", T::Str),
        o("signature_algorithm", T::Str),
        o("issuer", T::Str),
        o("validity_not_before", T::Ts),
        o("validity_not_after", T::Ts),
        o("subject", T::Str),
        o("subject_public_key_algorithm", T::Str),
        o("subject_public_key_modulus", T::Str),
        o("subject_public_key_exponent", T::Int(0, i64::MAX as i128)),
        o("x509_v3_extensions", T::Obj),
    ];
    Some(match t {
        "attack-pattern" => ATTACK_PATTERN,
        "campaign" => CAMPAIGN,
        "course-of-action" => COURSE_OF_ACTION,
        "grouping" => GROUPING,
        "identity" => IDENTITY_P,
        "incident" => INCIDENT,
        "indicator" => INDICATOR,
        "infrastructure" => INFRASTRUCTURE,
        "intrusion-set" => INTRUSION_SET,
        "location" => LOCATION,
        "malware" => MALWARE,
        "malware-analysis" => MALWARE_ANALYSIS,
        "note" => NOTE,
        "observed-data" => OBSERVED_DATA,
        "opinion" => OPINION,
        "report" => REPORT,
        "threat-actor" => THREAT_ACTOR,
        "tool" => TOOL,
        "vulnerability" => VULNERABILITY,
        "relationship" => RELATIONSHIP,
        "sighting" => SIGHTING,
        "language-content" => LANGUAGE_CONTENT,
        "extension-definition" => EXTENSION_DEFINITION,
        "marking-definition" => &[],
        "artifact" => ARTIFACT,
        "autonomous-system" => AUTONOMOUS_SYSTEM,
        "directory" => DIRECTORY,
        "domain-name" => DOMAIN_NAME,
        "email-addr" => EMAIL_ADDR_P,
        "email-message" => EMAIL_MESSAGE,
        "file" => FILE,
        "ipv4-addr" | "ipv6-addr" => IPV4,
        "mac-addr" => MAC_ADDR,
        "mutex" => MUTEX,
        "network-traffic" => NETWORK_TRAFFIC,
        "process" => PROCESS,
        "software" => SOFTWARE_P,
        "url" => URL,
        "user-account" => USER_ACCOUNT_P,
        "windows-registry-key" => REGISTRY_KEY,
        "x509-certificate" => X509,
        _ => return None,
    })
}

/// Entry point: checks one object.
pub(crate) fn check_object(object: &Object, ctx: &mut Ctx<'_>) {
    let root = Path::Root;
    let Some(m) = Members::parse(object.as_json()) else {
        ctx.err(&root, "json-object", "expected a JSON object");
        return;
    };
    let ty = object.object_type();

    // Duplicate property names: JSON leaves them undefined; STIX consumers disagree on which
    // wins, so they are rejected.
    for (i, (k, _)) in m.0.iter().enumerate() {
        if m.0[..i].iter().any(|(k2, _)| k2 == k) {
            ctx.err(
                &root.key(k),
                "duplicate-property",
                "each property name must appear once",
            );
        }
    }

    let is_sco = SCO_TYPES.contains(&ty);
    let common: &[Prop] = if is_sco {
        SCO_COMMON
    } else if ty == "marking-definition" {
        MARKING_COMMON
    } else {
        COMMON
    };
    let specific = type_props(ty);

    if ty == "bundle" {
        ctx.err(
            &root.key("type"),
            "bundle-as-object",
            "a bundle is a container, not a STIX object; read its `objects`",
        );
        return;
    }

    match specific {
        Some(props) => {
            for p in common.iter().chain(props) {
                match m.get(p.name) {
                    Some(val) => check_value(&root.key(p.name), p.name, val, p.t, ctx),
                    None if p.required => ctx.err(
                        &root.key(p.name),
                        "required-property",
                        format!("required property `{}` is missing", p.name),
                    ),
                    None => {}
                }
            }
        }
        None => {
            check_custom_object(ty, &m, ctx);
            for (k, _) in m.iter() {
                if !valid_property_name(k) && !COMMON.iter().any(|p| p.name == k) {
                    ctx.err(
                        &root.key(k),
                        "property-name",
                        "property names are 3-250 characters of a-z, 0-9 and _, starting with a letter (section 3.1)",
                    );
                }
            }
        }
    }

    check_common(object, &m, ctx);
    if specific.is_some() {
        check_unknown_properties(ty, &m, common, specific.unwrap_or(&[]), ctx);
    }
    check_type(ty, object, &m, ctx);
}

/// Objects of types the specification does not define (section 11.1 and extension-defined
/// `new-sdo`/`new-sco`/`new-sro` types): only the common properties that are present are
/// checked, since their schema is not known here.
fn check_custom_object(ty: &str, m: &Members<'_>, ctx: &mut Ctx<'_>) {
    let root = Path::Root;
    let declared = m
        .get("extensions")
        .and_then(Members::parse)
        .is_some_and(|exts| {
            exts.iter().any(|(_, e)| {
                Members::parse(e)
                    .and_then(|em| em.get("extension_type"))
                    .and_then(as_str)
                    .is_some_and(|t| t.starts_with("new-"))
            })
        });
    if !ty.starts_with("x-") && !declared {
        ctx.warn(
            &root.key("type"),
            "custom-object-type",
            format!(
                "`{ty}` is not a STIX 2.1 type; custom types should start with `x-` or be \
                 declared by an extension-definition of type new-sdo, new-sco or new-sro"
            ),
        );
    }
    for p in COMMON {
        if let Some(val) = m.get(p.name) {
            check_value(&root.key(p.name), p.name, val, p.t, ctx);
        }
    }
}

fn check_unknown_properties(
    ty: &str,
    m: &Members<'_>,
    common: &[Prop],
    specific: &[Prop],
    ctx: &mut Ctx<'_>,
) {
    let root = Path::Root;
    let mut toplevel_ext: Option<bool> = None;
    for (k, _) in m.iter() {
        if common.iter().chain(specific).any(|p| p.name == k) {
            continue;
        }
        let path = root.key(k);
        if !valid_property_name(k) {
            ctx.err(
                &path,
                "property-name",
                "property names are 3-250 characters of a-z, 0-9 and _, starting with a letter (section 3.1)",
            );
            continue;
        }
        if k.starts_with("x_") {
            continue;
        }
        let has_ext = *toplevel_ext.get_or_insert_with(|| {
            m.get("extensions")
                .and_then(Members::parse)
                .is_some_and(|exts| {
                    exts.iter().any(|(_, e)| {
                        Members::parse(e)
                            .and_then(|em| em.get("extension_type"))
                            .and_then(as_str)
                            .is_some_and(|t| t == "toplevel-property-extension")
                    })
                })
        });
        if !has_ext {
            ctx.warn(
                &path,
                "unknown-property",
                format!(
                    "`{k}` is not a property of `{ty}`; custom properties should start with \
                     `x_` or come from a toplevel-property-extension"
                ),
            );
        }
    }
}

/// Section 3.1 (and 11.1): 3-250 characters of a-z, 0-9 and `_`, beginning with a letter.
fn valid_property_name(k: &str) -> bool {
    (3..=250).contains(&k.len())
        && k.as_bytes()[0].is_ascii_lowercase()
        && k.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

fn check_value(path: &Path<'_>, name: &str, val: &str, t: T, ctx: &mut Ctx<'_>) {
    let kind = Kind::of(val);
    let expect = |ctx: &mut Ctx<'_>, what: &str| {
        ctx.err(
            path,
            "property-type",
            format!("expected {what}, found {}", kind.name()),
        )
    };
    match t {
        T::Any => {}
        T::Str => {
            if kind != Kind::Str {
                expect(ctx, "a string");
            }
        }
        T::Bool => {
            if kind != Kind::Bool {
                expect(ctx, "a boolean");
            }
        }
        T::Ts => match as_str(val) {
            None => expect(ctx, "a timestamp string"),
            Some(s) => match s.parse::<Timestamp>() {
                Err(_) => ctx.err(
                    path,
                    "timestamp-format",
                    format!("`{s}` is not an RFC 3339 UTC timestamp like 2016-05-12T08:17:27.000Z"),
                ),
                Ok(ts) => {
                    if (name == "created" || name == "modified") && ts.precision() < 3 {
                        ctx.err(
                            path,
                            "timestamp-precision",
                            format!("`{s}`: `{name}` must be precise to the millisecond at least (section 3.2)"),
                        );
                    }
                }
            },
        },
        T::Int(lo, hi) => match as_int(val) {
            None => expect(ctx, "an integer"),
            Some(n) if n < lo || n > hi => {
                ctx.err(path, "value-range", format!("{n} is outside {lo}..={hi}"))
            }
            Some(_) => {}
        },
        T::Float(lo, hi) => match as_f64(val) {
            None => expect(ctx, "a number"),
            Some(n) if n < lo || n > hi => ctx.err(
                path,
                "value-range",
                if hi == f64::MAX {
                    format!("{n} is below the minimum of {lo}")
                } else {
                    format!("{n} is outside {lo}..={hi}")
                },
            ),
            Some(_) => {}
        },
        T::Ref(refs) => check_ref(path, val, refs, ctx),
        T::RefList(refs) | T::RefListNonEmpty(refs) => match as_list(val) {
            None => expect(ctx, "a list of identifiers"),
            Some(items) => {
                if items.is_empty() && matches!(t, T::RefListNonEmpty(_)) {
                    ctx.err(path, "empty-list", "the list must not be empty");
                }
                for (i, item) in items.iter().enumerate() {
                    check_ref(&path.idx(i), item, refs, ctx);
                }
            }
        },
        T::StrList => match as_list(val) {
            None => expect(ctx, "a list of strings"),
            Some(items) => {
                if items.is_empty() {
                    ctx.err(
                        path,
                        "empty-list",
                        "a list property must not be empty (section 2.7)",
                    );
                }
                for (i, item) in items.iter().enumerate() {
                    if Kind::of(item) != Kind::Str {
                        ctx.err(
                            &path.idx(i),
                            "property-type",
                            format!("expected a string, found {}", Kind::of(item).name()),
                        );
                    }
                }
            }
        },
        T::Ov(vocab) => match as_str(val) {
            None => expect(ctx, "a string"),
            Some(s) => check_vocab(path, &s, vocab, false, ctx),
        },
        T::Enum(vocab) => match as_str(val) {
            None => expect(ctx, "a string"),
            Some(s) => check_vocab(path, &s, vocab, true, ctx),
        },
        T::OvList(vocab) => match as_list(val) {
            None => expect(ctx, "a list of strings"),
            Some(items) => {
                if items.is_empty() {
                    ctx.err(
                        path,
                        "empty-list",
                        "a list property must not be empty (section 2.7)",
                    );
                }
                for (i, item) in items.iter().enumerate() {
                    match as_str(item) {
                        None => ctx.err(
                            &path.idx(i),
                            "property-type",
                            format!("expected a string, found {}", Kind::of(item).name()),
                        ),
                        Some(s) => check_vocab(&path.idx(i), &s, vocab, false, ctx),
                    }
                }
            }
        },
        T::Hashes => check_hashes(path, val, ctx),
        T::Dict => match Members::parse(val) {
            None => expect(ctx, "a dictionary"),
            Some(d) => {
                if d.0.is_empty() {
                    ctx.err(
                        path,
                        "empty-dictionary",
                        "a dictionary must have at least one key",
                    );
                }
                for (k, _) in d.iter() {
                    if k.len() > 250 {
                        ctx.err(
                            &path.key(k),
                            "dictionary-key",
                            "dictionary keys must be at most 250 characters",
                        );
                    }
                }
            }
        },
        T::KillChains => check_kill_chains(path, val, ctx),
        T::Obj => {
            if kind != Kind::Obj {
                expect(ctx, "an object");
            }
        }
        T::List => {
            if kind != Kind::Arr {
                expect(ctx, "a list");
            }
        }
        T::Binary => match as_str(val) {
            None => expect(ctx, "a base64 string"),
            Some(s) => {
                if !is_base64(&s) {
                    ctx.err(path, "binary", "expected base64 (RFC 4648) text");
                }
            }
        },
        T::Hex => match as_str(val) {
            None => expect(ctx, "a hex string"),
            Some(s) => {
                if s.len() % 2 != 0 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
                    ctx.err(path, "hex", "expected an even number of hexadecimal digits");
                }
            }
        },
        T::Url => {
            match as_str(val) {
                None => expect(ctx, "a URL string"),
                Some(s) => {
                    if !is_uri(&s) {
                        ctx.err(
                        path,
                        "url",
                        format!("`{s}` is not a URI (RFC 3986): a scheme such as `http:` is required"),
                    );
                    }
                }
            }
        }
    }
}

fn check_vocab(path: &Path<'_>, s: &str, (name, values): Vocab, closed: bool, ctx: &mut Ctx<'_>) {
    if values.contains(&s) {
        return;
    }
    if closed {
        ctx.err(
            path,
            "enum",
            format!("`{s}` is not one of {name}: {}", values.join(", ")),
        );
    } else {
        ctx.warn(path, "vocabulary", format!("`{s}` is not in {name}"));
    }
}

fn check_ref(path: &Path<'_>, val: &str, refs: Refs, ctx: &mut Ctx<'_>) {
    let Some(s) = as_str(val) else {
        ctx.err(
            path,
            "property-type",
            format!(
                "expected an identifier string, found {}",
                Kind::of(val).name()
            ),
        );
        return;
    };
    match s.parse::<StixId>() {
        Err(e) => ctx.err(path, "identifier", e.to_string()),
        Ok(id) if !rfc4122(&id) => ctx.err(
            path,
            "identifier-uuid",
            format!("`{s}`: the UUID must be an RFC 4122 UUID (variant bits 10) (section 2.9)"),
        ),
        Ok(id) => {
            if !refs.allows(id.object_type()) {
                ctx.err(
                    path,
                    "reference-type",
                    format!(
                        "`{s}` is a `{}`; expected a reference to {}",
                        id.object_type(),
                        refs.describe()
                    ),
                );
            }
        }
    }
}

fn hash_len(algo: &str) -> Option<usize> {
    Some(match algo {
        "MD5" => 32,
        "SHA-1" => 40,
        "SHA-256" | "SHA3-256" => 64,
        "SHA-512" | "SHA3-512" => 128,
        _ => return None,
    })
}

fn check_hashes(path: &Path<'_>, val: &str, ctx: &mut Ctx<'_>) {
    let Some(d) = Members::parse(val) else {
        ctx.err(
            path,
            "property-type",
            format!(
                "expected a hashes dictionary, found {}",
                Kind::of(val).name()
            ),
        );
        return;
    };
    if d.0.is_empty() {
        ctx.err(
            path,
            "empty-dictionary",
            "hashes must have at least one entry",
        );
    }
    for (k, h) in d.iter() {
        let p = path.key(k);
        if k.len() > 250 {
            ctx.err(
                &p,
                "dictionary-key",
                "hash algorithm names must be at most 250 characters",
            );
        }
        let Some(hv) = as_str(h) else {
            ctx.err(&p, "property-type", "expected a hash value string");
            continue;
        };
        match hash_len(k) {
            Some(n) => {
                if hv.len() != n || !hv.bytes().all(|b| b.is_ascii_hexdigit()) {
                    ctx.err(
                        &p,
                        "hash-value",
                        format!("a {k} hash is {n} hexadecimal digits"),
                    );
                }
            }
            None => {
                if !v::HASH_ALGORITHM.1.contains(&k) {
                    ctx.warn(
                        &p,
                        "vocabulary",
                        format!("`{k}` is not in hash-algorithm-ov"),
                    );
                }
            }
        }
    }
}

fn check_kill_chains(path: &Path<'_>, val: &str, ctx: &mut Ctx<'_>) {
    let Some(items) = as_list(val) else {
        ctx.err(
            path,
            "property-type",
            "expected a list of kill chain phases",
        );
        return;
    };
    if items.is_empty() {
        ctx.err(
            path,
            "empty-list",
            "a list property must not be empty (section 2.7)",
        );
    }
    for (i, item) in items.iter().enumerate() {
        let p = path.idx(i);
        let Some(kc) = Members::parse(item) else {
            ctx.err(&p, "property-type", "expected a kill-chain-phase object");
            continue;
        };
        for f in ["kill_chain_name", "phase_name"] {
            match kc.get(f).map(as_str) {
                None => ctx.err(
                    &p.key(f),
                    "required-property",
                    format!("required property `{f}` is missing"),
                ),
                Some(None) => ctx.err(&p.key(f), "property-type", "expected a string"),
                Some(Some(s)) => {
                    if s.bytes()
                        .any(|b| b.is_ascii_uppercase() || b == b' ' || b == b'_')
                    {
                        ctx.warn(
                            &p.key(f),
                            "kill-chain-form",
                            "kill chain and phase names should be lowercase with hyphens",
                        );
                    }
                }
            }
        }
    }
}

fn is_base64(s: &str) -> bool {
    let b = s.trim_end_matches('=');
    s.len() - b.len() <= 2
        && b.bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'+' || c == b'/')
}

/// RFC 3986 URI: a scheme (`ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )`), `:`, then no
/// whitespace or control characters.
fn is_uri(s: &str) -> bool {
    let Some((scheme, rest)) = s.split_once(':') else {
        return false;
    };
    let sb = scheme.as_bytes();
    !sb.is_empty()
        && sb[0].is_ascii_alphabetic()
        && sb
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'-' | b'.'))
        && !rest.is_empty()
        && !rest.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// RFC 5646 language tag, in its general shape.
fn is_lang_tag(s: &str) -> bool {
    let mut parts = s.split('-');
    let first = parts.next().unwrap_or("");
    (1..=8).contains(&first.len())
        && first.bytes().all(|b| b.is_ascii_alphabetic())
        && parts.all(|p| (1..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// Section 2.9: the UUID part of an identifier MUST be RFC 4122-compliant. The header parser
/// accepts any UUID syntax so that such objects can still be identified and reported.
fn rfc4122(id: &StixId) -> bool {
    id.uuid().get_variant() == uuid::Variant::RFC4122
}

/// Common properties: id, spec_version, timestamps, lang, external references, granular
/// markings and extensions (section 3.2 and chapter 7).
fn check_common(object: &Object, m: &Members<'_>, ctx: &mut Ctx<'_>) {
    let root = Path::Root;
    if !rfc4122(object.id()) {
        ctx.err(
            &root.key("id"),
            "identifier-uuid",
            format!(
                "`{}`: the UUID must be an RFC 4122 UUID (variant bits 10) (section 2.9)",
                object.id()
            ),
        );
    }
    if let Some(sv) = m.get("spec_version")
        && let Some(s) = as_str(sv)
        && s != "2.1"
    {
        ctx.err(
            &root.key("spec_version"),
            "spec-version",
            format!("`{s}`: expected \"2.1\""),
        );
    }
    if let (Some(c), Some(md)) = (object.created(), object.modified())
        && md < c
    {
        ctx.err(
            &root.key("modified"),
            "timestamp-order",
            format!("modified ({md}) must be later than or equal to created ({c}) (section 3.2)"),
        );
    }
    if let Some(l) = m.get("lang").and_then(as_str)
        && !is_lang_tag(&l)
    {
        ctx.err(
            &root.key("lang"),
            "lang",
            format!("`{l}` is not an RFC 5646 language tag"),
        );
    }
    if let Some(er) = m.get("external_references") {
        check_external_references(&root.key("external_references"), er, ctx);
    }
    if let Some(gm) = m.get("granular_markings") {
        check_granular_markings(&root.key("granular_markings"), gm, m, ctx);
    }
    if let Some(ext) = m.get("extensions") {
        check_extensions(&root.key("extensions"), ext, object.object_type(), ctx);
    }
}

/// A check of an `external_id` form.
type IdForm = fn(&str) -> bool;

fn check_external_references(path: &Path<'_>, val: &str, ctx: &mut Ctx<'_>) {
    let Some(items) = as_list(val) else {
        ctx.err(
            path,
            "property-type",
            "expected a list of external references",
        );
        return;
    };
    if items.is_empty() {
        ctx.err(
            path,
            "empty-list",
            "a list property must not be empty (section 2.7)",
        );
    }
    for (i, item) in items.iter().enumerate() {
        let p = path.idx(i);
        let Some(er) = Members::parse(item) else {
            ctx.err(&p, "property-type", "expected an external-reference object");
            continue;
        };
        let source = match er.get("source_name") {
            None => {
                ctx.err(
                    &p.key("source_name"),
                    "required-property",
                    "required property `source_name` is missing",
                );
                None
            }
            Some(s) => match as_str(s) {
                None => {
                    ctx.err(&p.key("source_name"), "property-type", "expected a string");
                    None
                }
                Some(s) => Some(s),
            },
        };
        for f in ["description", "url", "external_id"] {
            if let Some(x) = er.get(f)
                && Kind::of(x) != Kind::Str
            {
                ctx.err(&p.key(f), "property-type", "expected a string");
            }
        }
        if !(er.has("description") || er.has("url") || er.has("external_id")) {
            ctx.err(
                &p,
                "external-reference",
                "at least one of description, url or external_id is required (section 2.5)",
            );
        }
        if let Some(h) = er.get("hashes") {
            check_hashes(&p.key("hashes"), h, ctx);
            // Section 2.5: the hashes of an external reference are restricted to
            // hash-algorithm-ov, treated as an enumeration.
            if let Some(hm) = Members::parse(h) {
                for (k, _) in hm.iter() {
                    if !v::HASH_ALGORITHM.1.contains(&k) {
                        ctx.err(
                            &p.key("hashes").key(k),
                            "enum",
                            format!(
                                "`{k}`: external reference hashes use hash-algorithm-ov names: {}",
                                v::HASH_ALGORITHM.1.join(", ")
                            ),
                        );
                    }
                }
            }
        }
        if let Some(u) = er.get("url").and_then(as_str)
            && !is_uri(&u)
        {
            ctx.err(
                &p.key("url"),
                "url",
                format!("`{u}` is not a URI (RFC 3986)"),
            );
        }
        let ext_id = er.get("external_id").and_then(as_str);
        if let Some(src) = source.as_deref() {
            let form: Option<(&str, IdForm)> = match src {
                "capec" => Some(("CAPEC-<digits>", |s| {
                    s.strip_prefix("CAPEC-")
                        .is_some_and(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
                })),
                "cve" => Some(("CVE-<year>-<4 or more digits>", |s| {
                    s.strip_prefix("CVE-")
                        .and_then(|r| r.split_once('-'))
                        .is_some_and(|(y, n)| {
                            y.len() == 4
                                && y.bytes().all(|b| b.is_ascii_digit())
                                && n.len() >= 4
                                && n.bytes().all(|b| b.is_ascii_digit())
                        })
                })),
                _ => None,
            };
            if let Some((what, ok)) = form {
                match &ext_id {
                    None => ctx.err(
                        &p.key("external_id"),
                        "external-id",
                        format!("a `{src}` reference requires external_id ({what})"),
                    ),
                    Some(e) if !ok(e) => ctx.err(
                        &p.key("external_id"),
                        "external-id",
                        format!("`{e}`: a `{src}` external_id has the form {what}"),
                    ),
                    _ => {}
                }
            }
        }
    }
}

/// Granular markings (section 7.2.3): selectors syntax, and exactly one of `marking_ref` and
/// `lang`. Selectors must also resolve to a property present in the object.
fn check_granular_markings(path: &Path<'_>, val: &str, m: &Members<'_>, ctx: &mut Ctx<'_>) {
    let Some(items) = as_list(val) else {
        ctx.err(
            path,
            "property-type",
            "expected a list of granular markings",
        );
        return;
    };
    if items.is_empty() {
        ctx.err(
            path,
            "empty-list",
            "a list property must not be empty (section 2.7)",
        );
    }
    let mut whole: Option<serde_json::Value> = None;
    for (i, item) in items.iter().enumerate() {
        let p = path.idx(i);
        let Some(gm) = Members::parse(item) else {
            ctx.err(&p, "property-type", "expected a granular-marking object");
            continue;
        };
        match (gm.get("marking_ref"), gm.get("lang")) {
            (Some(_), Some(_)) | (None, None) => ctx.err(
                &p,
                "granular-marking",
                "exactly one of marking_ref and lang is required",
            ),
            (Some(r), None) => check_ref(&p.key("marking_ref"), r, MARKING, ctx),
            (None, Some(l)) => {
                if !as_str(l).is_some_and(|l| is_lang_tag(&l)) {
                    ctx.err(&p.key("lang"), "lang", "expected an RFC 5646 language tag");
                }
            }
        }
        let sp = p.key("selectors");
        let Some(sels) = gm.get("selectors").and_then(as_list) else {
            ctx.err(
                &sp,
                "required-property",
                "selectors must be a non-empty list of strings",
            );
            continue;
        };
        if sels.is_empty() {
            ctx.err(&sp, "empty-list", "selectors must not be empty");
        }
        for (j, s) in sels.iter().enumerate() {
            let Some(sel) = as_str(s) else {
                ctx.err(&sp.idx(j), "property-type", "expected a selector string");
                continue;
            };
            let Some(steps) = parse_selector(&sel) else {
                ctx.err(
                    &sp.idx(j),
                    "selector-syntax",
                    format!("`{sel}`: expected property names and [index] steps joined by `.`"),
                );
                continue;
            };
            let first = match &steps[0] {
                Step::Key(k) => *k,
                Step::Idx(_) => unreachable!("a selector starts with a property name"),
            };
            if !m.has(first) {
                ctx.err(
                    &sp.idx(j),
                    "selector-target",
                    format!("`{sel}` selects `{first}`, which the object does not have"),
                );
                continue;
            }
            if steps.len() > 1 {
                let w = whole.get_or_insert_with(|| {
                    let mut obj = serde_json::Map::new();
                    for (k, v) in m.iter() {
                        obj.insert(k.to_owned(), serde_json::from_str(v).unwrap_or_default());
                    }
                    serde_json::Value::Object(obj)
                });
                let mut cur = Some(&*w);
                for st in &steps {
                    cur = match (cur, st) {
                        (Some(c), Step::Key(k)) => c.get(*k),
                        (Some(c), Step::Idx(n)) => c.get(*n),
                        (None, _) => None,
                    };
                }
                if cur.is_none() {
                    ctx.err(
                        &sp.idx(j),
                        "selector-target",
                        format!("`{sel}` does not select a value of the object"),
                    );
                }
            }
        }
    }
}

enum Step<'s> {
    Key(&'s str),
    Idx(usize),
}

/// Parses a selector (section 7.2.3.1): steps joined by `.`, each a property name or a list
/// index in brackets, the first a property name (`external_references.[0].source_name`).
fn parse_selector(s: &str) -> Option<Vec<Step<'_>>> {
    let mut steps = Vec::new();
    for (n, part) in s.split('.').enumerate() {
        if let Some(idx) = part.strip_prefix('[').and_then(|p| p.strip_suffix(']')) {
            if n == 0 || idx.is_empty() || !idx.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            steps.push(Step::Idx(idx.parse().ok()?));
        } else {
            if part.is_empty() || part.contains(['[', ']']) {
                return None;
            }
            steps.push(Step::Key(part));
        }
    }
    Some(steps)
}

/// `extensions` (section 7.3): a dictionary whose keys are extension-definition ids or
/// predefined SCO extension names, each value an object.
fn check_extensions(path: &Path<'_>, val: &str, ty: &str, ctx: &mut Ctx<'_>) {
    let Some(d) = Members::parse(val) else {
        ctx.err(path, "property-type", "expected an extensions dictionary");
        return;
    };
    if d.0.is_empty() {
        ctx.err(
            path,
            "empty-dictionary",
            "extensions must have at least one entry",
        );
    }
    for (k, e) in d.iter() {
        let p = path.key(k);
        let Some(em) = Members::parse(e) else {
            ctx.err(&p, "property-type", "an extension is an object");
            continue;
        };
        if k.starts_with("extension-definition--") {
            if let Err(err) = k.parse::<StixId>() {
                ctx.err(&p, "identifier", err.to_string());
            }
            if let Some(et) = em.get("extension_type") {
                match as_str(et) {
                    Some(s) => {
                        check_vocab(&p.key("extension_type"), &s, v::EXTENSION_TYPE, true, ctx)
                    }
                    None => ctx.err(
                        &p.key("extension_type"),
                        "property-type",
                        "expected a string",
                    ),
                }
            }
        } else if v::PREDEFINED_EXTENSIONS
            .iter()
            .any(|(t, n)| *n == k && *t == ty)
        {
            if k == "http-request-ext" {
                for req in ["request_method", "request_value"] {
                    if !em.has(req) {
                        ctx.err(
                            &p.key(req),
                            "required-property",
                            format!("required property `{req}` is missing"),
                        );
                    }
                }
            }
            if k == "http-request-ext"
                && let Some(h) = em.get("request_header").and_then(Members::parse)
            {
                // Section 6.12.2: each header maps to a list of strings (a header may repeat);
                // the OASIS JSON schema and stix2-validator agree.
                for (hk, hv) in h.iter() {
                    let ok =
                        as_list(hv).is_some_and(|l| l.iter().all(|x| Kind::of(x) == Kind::Str));
                    if !ok {
                        ctx.err(
                            &p.key("request_header").key(hk),
                            "property-type",
                            format!(
                                "http-request-ext header values are lists of strings, found {}",
                                Kind::of(hv).name()
                            ),
                        );
                    }
                }
            }
        } else if k.starts_with("x-") && k.ends_with("-ext") {
            // A STIX 2.0-style custom extension name: kept, not checked.
        } else {
            ctx.warn(
                &p,
                "unknown-extension",
                format!("`{k}` is neither an extension-definition id nor a predefined extension of `{ty}`"),
            );
        }
    }
}

fn ts_of(m: &Members<'_>, k: &str) -> Option<Timestamp> {
    m.get(k).and_then(as_str).and_then(|s| s.parse().ok())
}

/// `later` must not be before `earlier` (or strictly after it when `strict`).
fn check_order(m: &Members<'_>, earlier: &str, later: &str, strict: bool, ctx: &mut Ctx<'_>) {
    if let (Some(a), Some(b)) = (ts_of(m, earlier), ts_of(m, later)) {
        let bad = if strict { b <= a } else { b < a };
        if bad {
            ctx.err(
                &Path::Root.key(later),
                "timestamp-order",
                format!(
                    "{later} ({b}) must be {} {earlier} ({a})",
                    if strict {
                        "later than"
                    } else {
                        "later than or equal to"
                    }
                ),
            );
        }
    }
}

/// Type-specific co-constraints that a property table cannot express.
fn check_type(ty: &str, object: &Object, m: &Members<'_>, ctx: &mut Ctx<'_>) {
    let root = Path::Root;
    match ty {
        "campaign" | "infrastructure" | "intrusion-set" | "malware" | "threat-actor"
        | "sighting" => check_order(m, "first_seen", "last_seen", false, ctx),
        _ => {}
    }
    match ty {
        "indicator" => check_order(m, "valid_from", "valid_until", true, ctx),
        "observed-data" => {
            check_order(m, "first_observed", "last_observed", false, ctx);
            match (m.has("objects"), m.has("object_refs")) {
                (true, true) | (false, false) => ctx.err(
                    &root.key("object_refs"),
                    "observed-data-content",
                    "exactly one of objects and object_refs is required (section 4.13)",
                ),
                _ => {}
            }
        }
        "malware" if m.get("is_family").and_then(as_bool) == Some(true) && !m.has("name") => {
            ctx.err(
                &root.key("name"),
                "required-property",
                "a malware family (is_family true) requires a name (section 4.11)",
            );
        }
        "malware-analysis" => {
            if !m.has("result") && !m.has("analysis_sco_refs") {
                ctx.err(
                    &root.key("result"),
                    "required-property",
                    "one of result and analysis_sco_refs is required (section 4.12)",
                );
            }
            check_order(m, "analysis_started", "analysis_ended", false, ctx);
        }
        "location" => {
            let (la, lo) = (m.has("latitude"), m.has("longitude"));
            if la != lo {
                ctx.err(
                    &root.key(if la { "longitude" } else { "latitude" }),
                    "location-coordinates",
                    "latitude and longitude come together (section 4.10)",
                );
            }
            if m.has("precision") && !(la && lo) {
                ctx.err(
                    &root.key("precision"),
                    "location-coordinates",
                    "precision requires latitude and longitude",
                );
            }
            if !(m.has("region") || m.has("country") || (la && lo)) {
                ctx.err(
                    &root,
                    "location-content",
                    "one of region, country, or latitude and longitude is required (section 4.10)",
                );
            }
        }
        "relationship" => {
            if let Some(rt) = m.get("relationship_type").and_then(as_str)
                && (rt.is_empty()
                    || !rt
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'))
            {
                ctx.err(
                    &root.key("relationship_type"),
                    "relationship-type",
                    format!("`{rt}`: only a-z, 0-9 and hyphens (section 5.1)"),
                );
            }
            check_order(m, "start_time", "stop_time", true, ctx);
        }
        "marking-definition" => check_marking_definition(object, m, ctx),
        "language-content" => {
            if let Some(c) = m.get("contents").and_then(Members::parse) {
                for (lang, inner) in c.iter() {
                    if !is_lang_tag(lang) {
                        ctx.err(
                            &root.key("contents").key(lang),
                            "lang",
                            "keys of contents are RFC 5646 language tags",
                        );
                    }
                    if Kind::of(inner) != Kind::Obj {
                        ctx.err(
                            &root.key("contents").key(lang),
                            "property-type",
                            "expected a dictionary of translated properties",
                        );
                    }
                }
            }
        }
        "extension-definition" => {
            if !m.has("created_by_ref") {
                ctx.err(
                    &root.key("created_by_ref"),
                    "required-property",
                    "an extension definition requires created_by_ref (section 7.3)",
                );
            }
            match m.get("extension_types").and_then(as_list) {
                None => ctx.err(
                    &root.key("extension_types"),
                    "property-type",
                    "expected a list of extension types",
                ),
                Some(l) => {
                    if l.is_empty() {
                        ctx.err(
                            &root.key("extension_types"),
                            "empty-list",
                            "the list must not be empty",
                        );
                    }
                    for (i, e) in l.iter().enumerate() {
                        match as_str(e) {
                            Some(s) => check_vocab(
                                &root.key("extension_types").idx(i),
                                &s,
                                v::EXTENSION_TYPE,
                                true,
                                ctx,
                            ),
                            None => ctx.err(
                                &root.key("extension_types").idx(i),
                                "property-type",
                                "expected a string",
                            ),
                        }
                    }
                }
            }
        }
        "artifact" => {
            if m.has("payload_bin") && m.has("url") {
                ctx.err(
                    &root.key("url"),
                    "artifact-content",
                    "payload_bin and url are mutually exclusive (section 6.1)",
                );
            }
            if m.has("url") && !m.has("hashes") {
                ctx.err(
                    &root.key("hashes"),
                    "required-property",
                    "an artifact with a url requires hashes (section 6.1)",
                );
            }
            if m.has("decryption_key") && !m.has("encryption_algorithm") {
                ctx.err(
                    &root.key("decryption_key"),
                    "artifact-content",
                    "decryption_key requires encryption_algorithm",
                );
            }
        }
        "email-message" => {
            let mp = m.get("is_multipart").and_then(as_bool);
            if mp == Some(true) && m.has("body") {
                ctx.err(
                    &root.key("body"),
                    "email-body",
                    "body is only allowed when is_multipart is false",
                );
            }
            if mp == Some(false) && m.has("body_multipart") {
                ctx.err(
                    &root.key("body_multipart"),
                    "email-body",
                    "body_multipart is only allowed when is_multipart is true",
                );
            }
        }
        "file" if !m.has("hashes") && !m.has("name") => {
            ctx.err(
                &root,
                "required-property",
                "a file requires hashes or name (section 6.7)",
            );
        }
        "mac-addr" => {
            if let Some(s) = m.get("value").and_then(as_str) {
                let ok = s.len() == 17
                    && s.bytes().enumerate().all(|(i, b)| {
                        if i % 3 == 2 {
                            b == b':'
                        } else {
                            b.is_ascii_digit() || (b'a'..=b'f').contains(&b)
                        }
                    });
                if !ok {
                    ctx.err(
                        &root.key("value"),
                        "mac-address",
                        format!(
                            "`{s}`: a MAC-48 in lowercase, colon-delimited form (section 6.10)"
                        ),
                    );
                }
            }
        }
        "network-traffic" => {
            if !m.has("src_ref") && !m.has("dst_ref") {
                ctx.err(
                    &root,
                    "required-property",
                    "one of src_ref and dst_ref is required (section 6.12)",
                );
            }
            if m.get("is_active").and_then(as_bool) == Some(true) && m.has("end") {
                ctx.err(
                    &root.key("end"),
                    "network-traffic-active",
                    "end is not allowed when is_active is true",
                );
            }
            check_order(m, "start", "end", false, ctx);
        }
        "windows-registry-key" => {
            if let Some(k) = m.get("key").and_then(as_str) {
                let hive = k.split('\\').next().unwrap_or("");
                if !v::REGISTRY_HIVES
                    .iter()
                    .any(|h| h.eq_ignore_ascii_case(hive))
                {
                    ctx.err(
                        &root.key("key"),
                        "registry-hive",
                        format!("`{hive}`: the key must start with a full hive name such as HKEY_LOCAL_MACHINE (section 6.16)"),
                    );
                }
            }
            if let Some(vals) = m.get("values").and_then(as_list) {
                for (i, val) in vals.iter().enumerate() {
                    if let Some(vm) = Members::parse(val) {
                        if let Some(dt) = vm.get("data_type").and_then(as_str) {
                            check_vocab(
                                &root.key("values").idx(i).key("data_type"),
                                &dt,
                                v::REGISTRY_DATATYPE,
                                true,
                                ctx,
                            );
                        }
                    } else {
                        ctx.err(
                            &root.key("values").idx(i),
                            "property-type",
                            "expected a windows-registry-value object",
                        );
                    }
                }
            }
        }
        "process" | "x509-certificate" | "user-account"
            if m.0
                .iter()
                .all(|(k, _)| SCO_COMMON.iter().any(|p| p.name == k)) =>
        {
            ctx.err(
                &root,
                "required-property",
                format!("a {ty} requires at least one property of its own"),
            );
        }
        _ => {}
    }
    if SCO_TYPES.contains(&ty)
        && let Some(expected) = super::sco_id::expected_id(ty, m)
        && expected != object.id().as_str()
    {
        ctx.warn(
                    &root.key("id"),
                    "deterministic-id",
                    format!("an SCO id should be derived from its id-contributing properties: expected {expected} (section 2.9)"),
                );
    }
}

/// Marking definitions (section 7.2.1): statement and TLP definitions, TLP 2.0 extensions, and
/// the predefined TLP objects known by id.
fn check_marking_definition(object: &Object, m: &Members<'_>, ctx: &mut Ctx<'_>) {
    let root = Path::Root;
    let id = object.id().as_str();
    if let Some(pre) = tlp::by_id(id) {
        let ours: serde_json::Value = serde_json::from_str(pre.json).expect("predefined JSON");
        if ours != object.to_value() {
            ctx.err(
                &root,
                "predefined-marking",
                format!(
                    "`{id}` is the predefined {} marking definition; its content must be exactly \
                     the predefined one",
                    pre.name
                ),
            );
        }
        return;
    }
    let dt = m.get("definition_type").and_then(as_str);
    let def = m.get("definition").and_then(Members::parse);
    match dt.as_deref() {
        Some("statement") => match def.as_ref().and_then(|d| d.get("statement")) {
            Some(s) if Kind::of(s) == Kind::Str => {}
            _ => ctx.err(
                &root.key("definition").key("statement"),
                "marking-definition",
                "a statement marking requires definition.statement, a string",
            ),
        },
        Some("tlp") => ctx.err(
            &root.key("id"),
            "tlp-marking",
            "TLP marking definitions must be the predefined ones (section 7.2.1.4); this id is \
             not one of them",
        ),
        Some(other) => {
            if def.is_none() {
                ctx.err(
                    &root.key("definition"),
                    "required-property",
                    format!("definition_type `{other}` requires a definition"),
                );
            }
        }
        None => {
            if m.has("definition") {
                ctx.err(
                    &root.key("definition_type"),
                    "required-property",
                    "definition requires definition_type",
                );
            } else if !m.has("extensions") {
                ctx.err(
                    &root,
                    "marking-definition",
                    "a marking definition needs definition_type and definition, or an extension",
                );
            }
        }
    }
    let tlp2 = m
        .get("extensions")
        .and_then(Members::parse)
        .is_some_and(|e| e.has(tlp::TLP2_EXTENSION_ID));
    if tlp2 {
        ctx.err(
            &root.key("extensions").key(tlp::TLP2_EXTENSION_ID),
            "tlp-marking",
            "TLP 2.0 marking definitions must be the five predefined ones; this id is not one \
             of them",
        );
    }
}
