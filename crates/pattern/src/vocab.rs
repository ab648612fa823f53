//! The STIX 2.1 cyber-observable vocabulary (STIX 2.1 section 6): the 18 SCO types, their
//! properties with types, the predefined extensions, and the hash algorithm names.
//!
//! Kept as static tables so the validator and the matcher need no allocation to look a path up.
//! STIX 2.0 property names that 2.1 renamed or removed are listed separately: patterns written
//! for 2.0 still circulate, and the validator warns about them instead of rejecting them.

/// The type of a property value.
#[derive(Debug)]
pub(crate) enum Ty {
    Str,
    Int,
    Float,
    Bool,
    Timestamp,
    /// Base64 text in JSON.
    Binary,
    /// Hex text in JSON.
    Hex,
    /// A hashes dictionary: algorithm name to hex or text digest.
    Hashes,
    /// A dictionary with free keys and values.
    Dict,
    /// A list of values of one type.
    List(&'static Ty),
    /// An identifier of one SCO of the listed types.
    Ref(&'static [&'static str]),
    /// A list of identifiers.
    Refs(&'static [&'static str]),
    /// A nested object with known properties.
    Obj(&'static [Prop]),
}

/// A property name and type.
#[derive(Debug)]
pub(crate) struct Prop(pub(crate) &'static str, pub(crate) Ty);

/// A predefined extension: name and its type (always [`Ty::Obj`]).
#[derive(Debug)]
pub(crate) struct Ext(pub(crate) &'static str, pub(crate) Ty);

/// An SCO type: name, its own properties (without the common ones), and its extensions.
#[derive(Debug)]
pub(crate) struct Sco {
    pub(crate) name: &'static str,
    pub(crate) props: &'static [Prop],
    pub(crate) extensions: &'static [Ext],
    /// STIX 2.0 names for this type that 2.1 dropped (warned about, not rejected).
    pub(crate) legacy: &'static [Prop],
}

use Ty::*;

const ANY_ADDR: &[&str] = &["ipv4-addr", "ipv6-addr", "mac-addr", "domain-name"];

/// Properties every SCO has (STIX 2.1 section 6.1 common properties).
pub(crate) const COMMON: &[Prop] = &[
    Prop("type", Str),
    Prop("id", Str),
    Prop("spec_version", Str),
    Prop("object_marking_refs", Refs(&["marking-definition"])),
    Prop("granular_markings", List(&Dict)),
    Prop("defanged", Bool),
];

/// Hash algorithm names of the `hash-algorithm-ov` vocabulary (STIX 2.1 section 10.11).
pub(crate) const HASHES: &[&str] = &[
    "MD5", "SHA-1", "SHA-256", "SHA-512", "SHA3-256", "SHA3-512", "SSDEEP", "TLSH",
];

const MIME_PART: &[Prop] = &[
    Prop("body", Str),
    Prop("body_raw_ref", Ref(&["artifact", "file"])),
    Prop("content_type", Str),
    Prop("content_disposition", Str),
];

const ALTERNATE_DATA_STREAM: &[Prop] =
    &[Prop("name", Str), Prop("hashes", Hashes), Prop("size", Int)];

const PE_SECTION: &[Prop] = &[
    Prop("name", Str),
    Prop("size", Int),
    Prop("entropy", Float),
    Prop("hashes", Hashes),
];

const PE_OPTIONAL_HEADER: &[Prop] = &[
    Prop("magic_hex", Hex),
    Prop("major_linker_version", Int),
    Prop("minor_linker_version", Int),
    Prop("size_of_code", Int),
    Prop("size_of_initialized_data", Int),
    Prop("size_of_uninitialized_data", Int),
    Prop("address_of_entry_point", Int),
    Prop("base_of_code", Int),
    Prop("base_of_data", Int),
    Prop("image_base", Int),
    Prop("section_alignment", Int),
    Prop("file_alignment", Int),
    Prop("major_os_version", Int),
    Prop("minor_os_version", Int),
    Prop("major_image_version", Int),
    Prop("minor_image_version", Int),
    Prop("major_subsystem_version", Int),
    Prop("minor_subsystem_version", Int),
    Prop("win32_version_value_hex", Hex),
    Prop("size_of_image", Int),
    Prop("size_of_headers", Int),
    Prop("checksum_hex", Hex),
    Prop("subsystem_hex", Hex),
    Prop("dll_characteristics_hex", Hex),
    Prop("size_of_stack_reserve", Int),
    Prop("size_of_stack_commit", Int),
    Prop("size_of_heap_reserve", Int),
    Prop("size_of_heap_commit", Int),
    Prop("loader_flags_hex", Hex),
    Prop("number_of_rva_and_sizes", Int),
    Prop("hashes", Hashes),
];

const REGISTRY_VALUE: &[Prop] = &[Prop("name", Str), Prop("data", Str), Prop("data_type", Str)];

const X509_V3_EXTENSIONS: &[Prop] = &[
    Prop("basic_constraints", Str),
    Prop("name_constraints", Str),
    Prop("policy_constraints", Str),
    Prop("key_usage", Str),
    Prop("extended_key_usage", Str),
    Prop("subject_key_identifier", Str),
    Prop("authority_key_identifier", Str),
    Prop("subject_alternative_name", Str),
    Prop("issuer_alternative_name", Str),
    Prop("subject_directory_attributes", Str),
    Prop("crl_distribution_points", Str),
    Prop("inhibit_any_policy", Str),
    Prop("private_key_usage_period_not_before", Timestamp),
    Prop("private_key_usage_period_not_after", Timestamp),
    Prop("certificate_policies", Str),
    Prop("policy_mappings", Str),
];

/// The 18 SCO types of STIX 2.1 section 6.
pub(crate) const SCOS: &[Sco] = &[
    Sco {
        name: "artifact",
        props: &[
            Prop("mime_type", Str),
            Prop("payload_bin", Binary),
            Prop("url", Str),
            Prop("hashes", Hashes),
            Prop("encryption_algorithm", Str),
            Prop("decryption_key", Str),
        ],
        extensions: &[],
        legacy: &[],
    },
    Sco {
        name: "autonomous-system",
        props: &[Prop("number", Int), Prop("name", Str), Prop("rir", Str)],
        extensions: &[],
        legacy: &[],
    },
    Sco {
        name: "directory",
        props: &[
            Prop("path", Str),
            Prop("path_enc", Str),
            Prop("ctime", Timestamp),
            Prop("mtime", Timestamp),
            Prop("atime", Timestamp),
            Prop("contains_refs", Refs(&["file", "directory"])),
        ],
        extensions: &[],
        legacy: &[
            Prop("created", Timestamp),
            Prop("modified", Timestamp),
            Prop("accessed", Timestamp),
        ],
    },
    Sco {
        name: "domain-name",
        props: &[
            Prop("value", Str),
            Prop(
                "resolves_to_refs",
                Refs(&["ipv4-addr", "ipv6-addr", "domain-name"]),
            ),
        ],
        extensions: &[],
        legacy: &[],
    },
    Sco {
        name: "email-addr",
        props: &[
            Prop("value", Str),
            Prop("display_name", Str),
            Prop("belongs_to_ref", Ref(&["user-account"])),
        ],
        extensions: &[],
        legacy: &[],
    },
    Sco {
        name: "email-message",
        props: &[
            Prop("is_multipart", Bool),
            Prop("date", Timestamp),
            Prop("content_type", Str),
            Prop("from_ref", Ref(&["email-addr"])),
            Prop("sender_ref", Ref(&["email-addr"])),
            Prop("to_refs", Refs(&["email-addr"])),
            Prop("cc_refs", Refs(&["email-addr"])),
            Prop("bcc_refs", Refs(&["email-addr"])),
            Prop("message_id", Str),
            Prop("subject", Str),
            Prop("received_lines", List(&Str)),
            Prop("additional_header_fields", Dict),
            Prop("body", Str),
            Prop("body_multipart", List(&Obj(MIME_PART))),
            Prop("raw_email_ref", Ref(&["artifact"])),
        ],
        extensions: &[],
        legacy: &[],
    },
    Sco {
        name: "file",
        props: &[
            Prop("hashes", Hashes),
            Prop("size", Int),
            Prop("name", Str),
            Prop("name_enc", Str),
            Prop("magic_number_hex", Hex),
            Prop("mime_type", Str),
            Prop("ctime", Timestamp),
            Prop("mtime", Timestamp),
            Prop("atime", Timestamp),
            Prop("parent_directory_ref", Ref(&["directory"])),
            Prop("contains_refs", Refs(&[])),
            Prop("content_ref", Ref(&["artifact"])),
        ],
        extensions: &[
            Ext(
                "archive-ext",
                Obj(&[
                    Prop("contains_refs", Refs(&["file", "directory"])),
                    Prop("comment", Str),
                ]),
            ),
            Ext(
                "ntfs-ext",
                Obj(&[
                    Prop("sid", Str),
                    Prop("alternate_data_streams", List(&Obj(ALTERNATE_DATA_STREAM))),
                ]),
            ),
            Ext(
                "pdf-ext",
                Obj(&[
                    Prop("version", Str),
                    Prop("is_optimized", Bool),
                    Prop("document_info_dict", Dict),
                    Prop("pdfid0", Str),
                    Prop("pdfid1", Str),
                ]),
            ),
            Ext(
                "raster-image-ext",
                Obj(&[
                    Prop("image_height", Int),
                    Prop("image_width", Int),
                    Prop("bits_per_pixel", Int),
                    Prop("exif_tags", Dict),
                ]),
            ),
            Ext(
                "windows-pebinary-ext",
                Obj(&[
                    Prop("pe_type", Str),
                    Prop("imphash", Str),
                    Prop("machine_hex", Hex),
                    Prop("number_of_sections", Int),
                    Prop("time_date_stamp", Timestamp),
                    Prop("pointer_to_symbol_table_hex", Hex),
                    Prop("number_of_symbols", Int),
                    Prop("size_of_optional_header", Int),
                    Prop("characteristics_hex", Hex),
                    Prop("file_header_hashes", Hashes),
                    Prop("optional_header", Obj(PE_OPTIONAL_HEADER)),
                    Prop("sections", List(&Obj(PE_SECTION))),
                ]),
            ),
        ],
        legacy: &[
            Prop("created", Timestamp),
            Prop("modified", Timestamp),
            Prop("accessed", Timestamp),
            Prop("is_encrypted", Bool),
            Prop("encryption_algorithm", Str),
            Prop("decryption_key", Str),
        ],
    },
    Sco {
        name: "ipv4-addr",
        props: &[
            Prop("value", Str),
            Prop("resolves_to_refs", Refs(&["mac-addr"])),
            Prop("belongs_to_refs", Refs(&["autonomous-system"])),
        ],
        extensions: &[],
        legacy: &[],
    },
    Sco {
        name: "ipv6-addr",
        props: &[
            Prop("value", Str),
            Prop("resolves_to_refs", Refs(&["mac-addr"])),
            Prop("belongs_to_refs", Refs(&["autonomous-system"])),
        ],
        extensions: &[],
        legacy: &[],
    },
    Sco {
        name: "mac-addr",
        props: &[Prop("value", Str)],
        extensions: &[],
        legacy: &[],
    },
    Sco {
        name: "mutex",
        props: &[Prop("name", Str)],
        extensions: &[],
        legacy: &[],
    },
    Sco {
        name: "network-traffic",
        props: &[
            Prop("start", Timestamp),
            Prop("end", Timestamp),
            Prop("is_active", Bool),
            Prop("src_ref", Ref(ANY_ADDR)),
            Prop("dst_ref", Ref(ANY_ADDR)),
            Prop("src_port", Int),
            Prop("dst_port", Int),
            Prop("protocols", List(&Str)),
            Prop("src_byte_count", Int),
            Prop("dst_byte_count", Int),
            Prop("src_packets", Int),
            Prop("dst_packets", Int),
            Prop("ipfix", Dict),
            Prop("src_payload_ref", Ref(&["artifact"])),
            Prop("dst_payload_ref", Ref(&["artifact"])),
            Prop("encapsulates_refs", Refs(&["network-traffic"])),
            Prop("encapsulated_by_ref", Ref(&["network-traffic"])),
        ],
        extensions: &[
            Ext(
                "http-request-ext",
                Obj(&[
                    Prop("request_method", Str),
                    Prop("request_value", Str),
                    Prop("request_version", Str),
                    Prop("request_header", Dict),
                    Prop("message_body_length", Int),
                    Prop("message_body_data_ref", Ref(&["artifact"])),
                ]),
            ),
            Ext(
                "icmp-ext",
                Obj(&[Prop("icmp_type_hex", Hex), Prop("icmp_code_hex", Hex)]),
            ),
            Ext(
                "socket-ext",
                Obj(&[
                    Prop("address_family", Str),
                    Prop("is_blocking", Bool),
                    Prop("is_listening", Bool),
                    Prop("options", Dict),
                    Prop("socket_type", Str),
                    Prop("socket_descriptor", Int),
                    Prop("socket_handle", Int),
                ]),
            ),
            Ext(
                "tcp-ext",
                Obj(&[Prop("src_flags_hex", Hex), Prop("dst_flags_hex", Hex)]),
            ),
        ],
        legacy: &[Prop("extensions", Dict)],
    },
    Sco {
        name: "process",
        props: &[
            Prop("is_hidden", Bool),
            Prop("pid", Int),
            Prop("created_time", Timestamp),
            Prop("cwd", Str),
            Prop("command_line", Str),
            Prop("environment_variables", Dict),
            Prop("opened_connection_refs", Refs(&["network-traffic"])),
            Prop("creator_user_ref", Ref(&["user-account"])),
            Prop("image_ref", Ref(&["file"])),
            Prop("parent_ref", Ref(&["process"])),
            Prop("child_refs", Refs(&["process"])),
        ],
        extensions: &[
            Ext(
                "windows-process-ext",
                Obj(&[
                    Prop("aslr_enabled", Bool),
                    Prop("dep_enabled", Bool),
                    Prop("priority", Str),
                    Prop("owner_sid", Str),
                    Prop("window_title", Str),
                    Prop("startup_info", Dict),
                    Prop("integrity_level", Str),
                ]),
            ),
            Ext(
                "windows-service-ext",
                Obj(&[
                    Prop("service_name", Str),
                    Prop("descriptions", List(&Str)),
                    Prop("display_name", Str),
                    Prop("group_name", Str),
                    Prop("start_type", Str),
                    Prop("service_dll_refs", Refs(&["file"])),
                    Prop("service_type", Str),
                    Prop("service_status", Str),
                ]),
            ),
        ],
        legacy: &[
            Prop("name", Str),
            Prop("arguments", List(&Str)),
            Prop("created", Timestamp),
            Prop("binary_ref", Ref(&["file"])),
        ],
    },
    Sco {
        name: "software",
        props: &[
            Prop("name", Str),
            Prop("cpe", Str),
            Prop("swid", Str),
            Prop("languages", List(&Str)),
            Prop("vendor", Str),
            Prop("version", Str),
        ],
        extensions: &[],
        legacy: &[],
    },
    Sco {
        name: "url",
        props: &[Prop("value", Str)],
        extensions: &[],
        legacy: &[],
    },
    Sco {
        name: "user-account",
        props: &[
            Prop("user_id", Str),
            Prop("credential", Str),
            Prop("account_login", Str),
            Prop("account_type", Str),
            Prop("display_name", Str),
            Prop("is_service_account", Bool),
            Prop("is_privileged", Bool),
            Prop("can_escalate_privs", Bool),
            Prop("is_disabled", Bool),
            Prop("account_created", Timestamp),
            Prop("account_expires", Timestamp),
            Prop("credential_last_changed", Timestamp),
            Prop("account_first_login", Timestamp),
            Prop("account_last_login", Timestamp),
        ],
        extensions: &[Ext(
            "unix-account-ext",
            Obj(&[
                Prop("gid", Int),
                Prop("groups", List(&Str)),
                Prop("home_dir", Str),
                Prop("shell", Str),
            ]),
        )],
        legacy: &[
            Prop("password", Str),
            Prop("password_last_changed", Timestamp),
        ],
    },
    Sco {
        name: "windows-registry-key",
        props: &[
            Prop("key", Str),
            Prop("values", List(&Obj(REGISTRY_VALUE))),
            Prop("modified_time", Timestamp),
            Prop("creator_user_ref", Ref(&["user-account"])),
            Prop("number_of_subkeys", Int),
        ],
        extensions: &[],
        legacy: &[Prop("modified", Timestamp)],
    },
    Sco {
        name: "x509-certificate",
        props: &[
            Prop("is_self_signed", Bool),
            Prop("hashes", Hashes),
            Prop("version", Str),
            Prop("serial_number", Str),
            Prop("signature_algorithm", Str),
            Prop("issuer", Str),
            Prop("validity_not_before", Timestamp),
            Prop("validity_not_after", Timestamp),
            Prop("subject", Str),
            Prop("subject_public_key_algorithm", Str),
            Prop("subject_public_key_modulus", Str),
            Prop("subject_public_key_exponent", Int),
            Prop("x509_v3_extensions", Obj(X509_V3_EXTENSIONS)),
        ],
        extensions: &[],
        legacy: &[],
    },
];

/// The SCO type named `name`.
pub(crate) fn sco(name: &str) -> Option<&'static Sco> {
    SCOS.iter().find(|s| s.name == name)
}

fn find<'a>(props: &'a [Prop], name: &str) -> Option<&'a Ty> {
    props.iter().find(|p| p.0 == name).map(|p| &p.1)
}

/// True for names of custom content: `x-` types and extensions, `x_` properties, and
/// extension definitions (`extension-definition--<uuid>`, STIX 2.1 section 7.3).
pub(crate) fn is_custom(name: &str) -> bool {
    name.starts_with("x-") || name.starts_with("x_") || name.starts_with("extension-definition--")
}

/// Where a walk along an object path has got to.
#[derive(Debug, Clone)]
pub(crate) enum Node {
    /// An SCO of one of these types (several after a reference with several target types).
    Object(Vec<&'static Sco>),
    /// The `extensions` dictionary of one of these types.
    Extensions(Vec<&'static Sco>),
    /// A value of a known type.
    Value(&'static Ty),
    /// An identifier of an SCO of one of these types (empty: any type).
    RefTo(&'static [&'static str]),
    /// Beyond what the vocabulary describes (custom content, free dictionaries).
    Unknown,
}

/// A remark made while walking a path: `(is_error, message)`.
pub(crate) type Remark = (bool, String);

pub(crate) fn describe(ty: &Ty) -> &'static str {
    match ty {
        Str => "a string",
        Int => "an integer",
        Float => "a float",
        Bool => "a boolean",
        Timestamp => "a timestamp",
        Binary => "a binary (base64) value",
        Hex => "a hex value",
        Hashes => "a hashes dictionary",
        Dict => "a dictionary",
        List(_) => "a list",
        Ref(_) => "a reference",
        Refs(_) => "a list of references",
        Obj(_) => "an object",
    }
}

fn type_names(scos: &[&'static Sco]) -> String {
    scos.iter().map(|s| s.name).collect::<Vec<_>>().join(" or ")
}

/// Walks `steps` from an SCO of type `object_type`, pushing remarks about unknown or misused
/// names, and returns where the walk ends.
pub(crate) fn walk(
    object_type: &str,
    steps: &[crate::ast::PathStep],
    remarks: &mut Vec<Remark>,
) -> Node {
    use crate::ast::PathStep;
    let mut node = match sco(object_type) {
        Some(s) => Node::Object(vec![s]),
        None if is_custom(object_type) => {
            remarks.push((
                false,
                format!("custom object type `{object_type}` is not checked"),
            ));
            return Node::Unknown;
        }
        None => {
            remarks.push((
                true,
                format!("unknown cyber-observable object type `{object_type}`"),
            ));
            return Node::Unknown;
        }
    };
    for step in steps {
        node = match (node, step) {
            (Node::Unknown, _) => Node::Unknown,
            (Node::Object(scos), PathStep::Key(k)) => {
                if k == "extensions" {
                    Node::Extensions(scos)
                } else if let Some(ty) = scos
                    .iter()
                    .find_map(|s| find(s.props, k))
                    .or_else(|| find(COMMON, k))
                {
                    Node::Value(ty)
                } else if let Some(ty) = scos.iter().find_map(|s| find(s.legacy, k)) {
                    remarks.push((
                        false,
                        format!(
                            "`{k}` is a STIX 2.0 property of {}, not defined in STIX 2.1",
                            type_names(&scos)
                        ),
                    ));
                    Node::Value(ty)
                } else if is_custom(k) {
                    remarks.push((false, format!("custom property `{k}` is not checked")));
                    Node::Unknown
                } else {
                    remarks.push((
                        true,
                        format!("unknown property `{k}` of {}", type_names(&scos)),
                    ));
                    Node::Unknown
                }
            }
            (Node::Object(scos), _) => {
                remarks.push((
                    true,
                    format!(
                        "{} is an object, not a list: it cannot be indexed",
                        type_names(&scos)
                    ),
                ));
                Node::Unknown
            }
            (Node::Extensions(scos), PathStep::Key(k)) => {
                if let Some(ext) = scos
                    .iter()
                    .find_map(|s| s.extensions.iter().find(|e| e.0 == k))
                {
                    Node::Value(&ext.1)
                } else if is_custom(k) {
                    remarks.push((false, format!("custom extension `{k}` is not checked")));
                    Node::Unknown
                } else {
                    remarks.push((
                        true,
                        format!("unknown extension `{k}` of {}", type_names(&scos)),
                    ));
                    Node::Unknown
                }
            }
            (Node::Extensions(_), _) => {
                remarks.push((
                    true,
                    "`extensions` is a dictionary, not a list: it cannot be indexed".into(),
                ));
                Node::Unknown
            }
            (Node::Value(Dict), _) => Node::Unknown,
            (Node::Value(Hashes), PathStep::Key(k)) => {
                if !HASHES.contains(&k.as_str()) {
                    if let Some(h) = HASHES.iter().find(|h| h.eq_ignore_ascii_case(k)) {
                        remarks.push((
                            false,
                            format!("hash name `{k}` differs in case from the vocabulary's `{h}`"),
                        ));
                    } else {
                        remarks.push((
                            false,
                            format!("hash name `{k}` is not in the hash-algorithm vocabulary"),
                        ));
                    }
                }
                Node::Value(&Str)
            }
            (Node::Value(Obj(props)), PathStep::Key(k)) => match find(props, k) {
                Some(ty) => Node::Value(ty),
                None if is_custom(k) => {
                    remarks.push((false, format!("custom property `{k}` is not checked")));
                    Node::Unknown
                }
                None => {
                    remarks.push((true, format!("unknown property `{k}`")));
                    Node::Unknown
                }
            },
            (Node::Value(List(inner)), PathStep::Index(_) | PathStep::AnyIndex) => {
                Node::Value(inner)
            }
            (Node::Value(Refs(targets)), PathStep::Index(_) | PathStep::AnyIndex) => {
                Node::RefTo(targets)
            }
            (Node::Value(&Ref(targets)) | Node::RefTo(targets), PathStep::Key(k)) => {
                let scos: Vec<_> = targets.iter().filter_map(|t| sco(t)).collect();
                if scos.is_empty() {
                    Node::Unknown
                } else {
                    // Step through the reference, then take the key on its target.
                    walk_key(Node::Object(scos), k, remarks)
                }
            }
            (Node::Value(ty @ (List(_) | Refs(_))), PathStep::Key(k)) => {
                remarks.push((
                    true,
                    format!(
                        "`{k}` follows {}: an index [n] or [*] is needed first",
                        describe(ty)
                    ),
                ));
                Node::Unknown
            }
            (Node::Value(ty), step) => {
                let what = match step {
                    PathStep::Key(k) => format!("property `{k}`"),
                    _ => "an index".into(),
                };
                remarks.push((true, format!("{what} applied to {}", describe(ty))));
                Node::Unknown
            }
            (Node::RefTo(_), _) => {
                remarks.push((true, "an index applied to a reference".into()));
                Node::Unknown
            }
        };
    }
    node
}

fn walk_key(node: Node, key: &str, remarks: &mut Vec<Remark>) -> Node {
    let Node::Object(scos) = node else {
        return Node::Unknown;
    };
    // Re-use the object rule of `walk` with a one-step path from the first target type, then
    // accept the key if any target type knows it.
    for s in &scos {
        let mut local = Vec::new();
        let n = walk(
            s.name,
            &[crate::ast::PathStep::Key(key.to_owned())],
            &mut local,
        );
        if !local.iter().any(|(err, _)| *err) {
            remarks.extend(local);
            return n;
        }
    }
    remarks.push((
        true,
        format!("unknown property `{key}` of {}", type_names(&scos)),
    ));
    Node::Unknown
}

/// The type at the end of `steps`, when the vocabulary knows it (the matcher uses this to read
/// binary and hex properties as bytes).
pub(crate) fn terminal_type(
    object_type: &str,
    steps: &[crate::ast::PathStep],
) -> Option<&'static Ty> {
    match walk(object_type, steps, &mut Vec::new()) {
        Node::Value(ty) => Some(ty),
        _ => None,
    }
}

/// Human description of a node's value type, for literal checks.
pub(crate) fn describe_node(node: &Node) -> &'static str {
    match node {
        Node::Object(_) => "an object",
        Node::Extensions(_) => "the extensions dictionary",
        Node::Value(ty) => describe(ty),
        Node::RefTo(_) => "a reference",
        Node::Unknown => "a value of unknown type",
    }
}
