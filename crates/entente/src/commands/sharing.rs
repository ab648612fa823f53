//! `entente org`, `entente channel`, `entente collection bind`, `entente release`: the sharing
//! configuration of the node (organisations, channels under agreements, which collection
//! exposes which channel) and the release requests on record.

use std::process::ExitCode;

use anyhow::{Context as _, bail};
use clap::Subcommand;
use entente_store::{ChannelRecord, CollectionScope, Organisation, SharedStore};

use super::Context;

/// `entente org ...`
#[derive(Debug, Subcommand)]
pub(crate) enum OrgCommand {
    /// Register an organisation (a partner, or with --home the node's own).
    Add {
        /// Short identifier (letters, digits, '-', '_', '.'), e.g. `fr-dgsi`.
        id: String,
        /// Display name.
        #[arg(long)]
        name: Option<String>,
        /// This is the node's home organisation (at most one).
        #[arg(long)]
        home: bool,
    },
    /// List organisations.
    List,
    /// Node identity keys: the Ed25519 public keys whose signatures are accepted, each for
    /// the organisation whose node holds it.
    #[command(subcommand)]
    Key(OrgKeyCommand),
}

/// `entente org key ...`
#[derive(Debug, Subcommand)]
pub(crate) enum OrgKeyCommand {
    /// Register a node's public key (base64url, as `entente identity` prints it there) for the
    /// organisation that node speaks for.
    Add {
        /// The organisation.
        organisation: String,
        /// The public key.
        #[arg(allow_hyphen_values = true)]
        public_key: String,
    },
    /// List the registered keys.
    List,
    /// Remove a key: versions signed with it are refused from then on.
    Remove {
        /// The public key.
        #[arg(allow_hyphen_values = true)]
        public_key: String,
    },
}

/// `entente channel ...`
#[derive(Debug, Subcommand)]
pub(crate) enum ChannelCommand {
    /// Create a channel, or replace its members and agreement (`--replace`).
    Add {
        /// Short identifier.
        id: String,
        /// Title.
        #[arg(long)]
        title: Option<String>,
        /// A member organisation (repeat; at least two).
        #[arg(long = "member", value_name = "ORG", required = true)]
        members: Vec<String>,
        /// The legal basis of the agreement, as text.
        #[arg(long, value_name = "TEXT")]
        legal_basis: String,
        /// An allowed purpose (repeat; at least one), e.g. `ct-prevention`, `investigation`.
        #[arg(long = "purpose", value_name = "PURPOSE", required = true)]
        purposes: Vec<String>,
        /// The most restrictive TLP the channel carries: clear, green, amber, amber+strict, red.
        #[arg(long, default_value = "amber", value_name = "TLP")]
        max_marking: String,
        /// Refuse objects without a TLP marking.
        #[arg(long)]
        require_tlp: bool,
        /// In force from (RFC 3339; default: now).
        #[arg(long, value_name = "TIME")]
        valid_from: Option<String>,
        /// In force until, exclusive (RFC 3339; default: open-ended).
        #[arg(long, value_name = "TIME")]
        valid_until: Option<String>,
        /// Replace an existing channel's members and agreement.
        #[arg(long)]
        replace: bool,
    },
    /// List channels with their members and agreement.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// `entente release ...`
#[derive(Debug, Subcommand)]
pub(crate) enum ReleaseCommand {
    /// List the release requests an organisation filed or must decide.
    List {
        /// The organisation (default: the home organisation).
        #[arg(long, value_name = "ORG")]
        org: Option<String>,
    },
}

pub(crate) fn valid_id(what: &str, id: &str) -> anyhow::Result<()> {
    let ok = !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if !ok {
        bail!("{what}: {id:?} must be 1-64 letters, digits, '-', '_' or '.'");
    }
    Ok(())
}

fn micros(flag: &str, text: &str) -> anyhow::Result<i64> {
    let t = time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .with_context(|| format!("{flag}: {text:?} is not an RFC 3339 time"))?;
    Ok((t.unix_timestamp_nanos() / 1000) as i64)
}

/// `entente org ...`
pub(crate) async fn org(ctx: &Context, cmd: OrgCommand) -> anyhow::Result<ExitCode> {
    let store = ctx.open_store().await?;
    match cmd {
        OrgCommand::Add { id, name, home } => {
            add_organisation(&store, &id, name.as_deref(), home).await?;
            println!(
                "registered organisation {id}{}",
                if home { " (home)" } else { "" }
            );
        }
        OrgCommand::Key(OrgKeyCommand::Add {
            organisation,
            public_key,
        }) => {
            add_organisation_key(&store, &organisation, &public_key).await?;
            println!("registered the key of organisation {organisation}");
        }
        OrgCommand::Key(OrgKeyCommand::List) => {
            for k in store.organisation_keys().await? {
                println!("{}\t{}", k.organisation, k.public_key);
            }
        }
        OrgCommand::Key(OrgKeyCommand::Remove { public_key }) => {
            match store.remove_organisation_key(&public_key).await {
                Err(entente_store::Error::NotFound(_)) => {
                    anyhow::bail!("no key {public_key} is registered")
                }
                other => other?,
            }
            super::audit::record_cli(&store, "organisation.key.remove", &public_key, "").await?;
            println!("removed the key");
        }
        OrgCommand::List => {
            for o in store.organisations().await? {
                println!(
                    "{}\t{}{}",
                    o.id,
                    o.name,
                    if o.home { "\t(home)" } else { "" }
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Registers a node identity key for an organisation (checked to be an Ed25519 public key)
/// and records it in the audit log. Registering a key again for the same organisation is a
/// no-op; for another organisation, an error.
pub(crate) async fn add_organisation_key(
    store: &SharedStore,
    organisation: &str,
    public_key: &str,
) -> anyhow::Result<()> {
    let public_key = public_key.trim();
    entente_server::federation::signing::parse_public_key(public_key)
        .map_err(|e| anyhow::anyhow!("invalid public key: {e}"))?;
    match store.add_organisation_key(organisation, public_key).await {
        Ok(()) => {}
        Err(entente_store::Error::NotFound(_)) => {
            anyhow::bail!("no organisation {organisation:?} (entente org add)")
        }
        Err(entente_store::Error::Conflict(_)) => {
            let owner = store
                .organisation_keys()
                .await?
                .into_iter()
                .find(|k| k.public_key == public_key)
                .map(|k| k.organisation);
            if owner.as_deref() == Some(organisation) {
                return Ok(());
            }
            anyhow::bail!(
                "the key is already registered for organisation {}",
                owner.unwrap_or_default()
            );
        }
        Err(e) => return Err(e.into()),
    }
    super::audit::record_cli(store, "organisation.key.add", organisation, public_key).await?;
    Ok(())
}

/// Registers an organisation and records it in the audit log.
pub(crate) async fn add_organisation(
    store: &SharedStore,
    id: &str,
    name: Option<&str>,
    home: bool,
) -> anyhow::Result<()> {
    valid_id("organisation", id)?;
    let o = Organisation {
        id: id.to_owned(),
        name: name.unwrap_or(id).to_owned(),
        home,
    };
    match store.add_organisation(o).await {
        Err(entente_store::Error::Conflict(m)) => bail!("{m}"),
        other => other.context("cannot register the organisation")?,
    }
    super::audit::record_cli(store, "org.add", id, &format!("home={home}")).await?;
    Ok(())
}

/// `entente channel ...`
pub(crate) async fn channel(ctx: &Context, cmd: ChannelCommand) -> anyhow::Result<ExitCode> {
    let store = ctx.open_store().await?;
    match cmd {
        ChannelCommand::Add {
            id,
            title,
            mut members,
            legal_basis,
            mut purposes,
            max_marking,
            require_tlp,
            valid_from,
            valid_until,
            replace,
        } => {
            valid_id("channel", &id)?;
            members.sort();
            members.dedup();
            if members.len() < 2 {
                bail!("a channel has at least two member organisations (--member, repeated)");
            }
            purposes.sort();
            purposes.dedup();
            for p in &purposes {
                valid_id("--purpose", p)?;
            }
            let Some(tlp) = entente_stix::tlp::Tlp::from_name(&max_marking) else {
                bail!(
                    "--max-marking: {max_marking:?} is not clear, green, amber, amber+strict or red"
                );
            };
            if legal_basis.trim().is_empty() {
                bail!("--legal-basis: the agreement needs a legal basis");
            }
            let valid_from = match valid_from {
                Some(t) => micros("--valid-from", &t)?,
                None => entente_server::audit::now_micros(),
            };
            let valid_until = valid_until
                .map(|t| micros("--valid-until", &t))
                .transpose()?;
            if valid_until.is_some_and(|u| u <= valid_from) {
                bail!("--valid-until must be after --valid-from");
            }
            let exists = match store.channel(&id).await {
                Ok(_) => true,
                Err(entente_store::Error::NotFound(_)) => false,
                Err(e) => return Err(e.into()),
            };
            if exists && !replace {
                bail!("channel {id} exists (use --replace to amend its members and agreement)");
            }
            let record = ChannelRecord {
                id: id.clone(),
                title: title.unwrap_or_else(|| id.clone()),
                members,
                legal_basis,
                purposes,
                max_marking: tlp.as_str().to_owned(),
                require_tlp,
                valid_from,
                valid_until,
            };
            match store.put_channel(record.clone()).await {
                Err(entente_store::Error::NotFound(m)) => {
                    bail!("unknown {m} (register it with entente org add)")
                }
                other => other.context("cannot store the channel")?,
            }
            let detail = serde_json::to_string(&record)?;
            let action = if exists {
                "channel.replace"
            } else {
                "channel.add"
            };
            super::audit::record_cli(&store, action, &id, &detail).await?;
            println!(
                "{} channel {id}",
                if exists { "replaced" } else { "created" }
            );
        }
        ChannelCommand::List { json } => {
            let channels = store.channels().await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&channels)?);
            } else {
                let now = entente_server::audit::now_micros();
                for c in channels {
                    let state = if now < c.valid_from {
                        "not yet in force"
                    } else if c.valid_until.is_some_and(|u| now >= u) {
                        "expired"
                    } else {
                        "in force"
                    };
                    println!(
                        "{}\t{}\tmembers={}\tpurposes={}\tmax={}\t{}",
                        c.id,
                        c.title,
                        c.members.join(","),
                        c.purposes.join(","),
                        c.max_marking,
                        state
                    );
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `entente collection bind`: the collection exposes a channel, or is private to an
/// organisation.
pub(crate) async fn bind(
    store: &SharedStore,
    collection: &entente_store::Collection,
    channel: Option<String>,
    owner: Option<String>,
) -> anyhow::Result<()> {
    let scope = match (channel, owner) {
        (Some(c), None) => CollectionScope::Channel(c),
        (None, Some(o)) => CollectionScope::Private(o),
        _ => bail!("give exactly one of --channel CHANNEL or --owner ORG"),
    };
    match store
        .set_collection_scope(&collection.id, scope.clone())
        .await
    {
        Err(entente_store::Error::NotFound(m)) => bail!("unknown {m}"),
        other => other.context("cannot bind the collection")?,
    }
    let detail = match &scope {
        CollectionScope::Channel(c) => format!("channel={c}"),
        CollectionScope::Private(o) => format!("owner={o}"),
    };
    super::audit::record_cli(store, "collection.bind", &collection.id.0, &detail).await?;
    println!("collection {} bound: {detail}", collection.id);
    Ok(())
}

/// `entente release ...`
pub(crate) async fn release(ctx: &Context, cmd: ReleaseCommand) -> anyhow::Result<ExitCode> {
    let store = ctx.open_store().await?;
    match cmd {
        ReleaseCommand::List { org } => {
            let org = match org {
                Some(o) => o,
                None => store
                    .home_organisation()
                    .await?
                    .map(|o| o.id)
                    .context("no home organisation is registered (entente org add --home)")?,
            };
            for r in store.release_requests(&org).await? {
                println!(
                    "{}\t{}\toriginator={}\trequester={}\t{}",
                    r.id, r.object_id, r.originator, r.requester, r.state
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
