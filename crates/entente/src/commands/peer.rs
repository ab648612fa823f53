//! `entente peer`: partner nodes and pulling from them (federation, issue 6).

use std::process::ExitCode;

use anyhow::{Context as _, bail};
use clap::Subcommand;
use entente_store::Peer;

use super::Context;

/// `entente peer add`
#[derive(Debug, clap::Args)]
pub(crate) struct AddArgs {
    /// Short name of the peer.
    pub(crate) name: String,
    /// The peer's TAXII API root URL, e.g. `https://partner.example/api1/`.
    #[arg(long)]
    pub(crate) url: String,
    /// The organisation behind the peer (a member of the channel).
    #[arg(long, value_name = "ORG")]
    pub(crate) organisation: String,
    /// The channel the exchange belongs to.
    #[arg(long, value_name = "CHANNEL")]
    pub(crate) channel: String,
    /// The peer's collection to pull from.
    #[arg(long, value_name = "ID")]
    pub(crate) pull: String,
    /// The local collection (exposing the channel) to pull into: id or alias.
    #[arg(long, value_name = "ID|ALIAS")]
    pub(crate) into: String,
    /// A file holding our bearer token for the peer.
    #[arg(long, value_name = "FILE")]
    pub(crate) token_file: String,
    /// Seconds between scheduled pulls while the node serves.
    #[arg(long, default_value_t = 60, value_name = "SECONDS")]
    pub(crate) interval: u64,
    /// The local API root (default: the configured default API root).
    #[arg(long)]
    pub(crate) api_root: Option<String>,
    /// The local collection whose versions are pushed to the peer, as far as the policy
    /// gate allows them to reach the channel: id or alias (with `--push-to`).
    #[arg(long, value_name = "ID|ALIAS", requires = "push_to")]
    pub(crate) push_from: Option<String>,
    /// The peer's collection to push into (with `--push-from`).
    #[arg(long, value_name = "ID", requires = "push_from")]
    pub(crate) push_to: Option<String>,
    /// The peer node's Ed25519 identity key (base64url, as `entente identity` prints it on
    /// the peer): registered for the peer's organisation, and required to accept what the
    /// peer originates.
    #[arg(long, value_name = "KEY", allow_hyphen_values = true)]
    pub(crate) public_key: Option<String>,
    /// Accept versions that carry no signature (a peer that is not an entente node).
    #[arg(long)]
    pub(crate) allow_unsigned: bool,
    /// The peer's server certificate (PEM): the peer must present exactly this one.
    #[arg(long, value_name = "FILE")]
    pub(crate) pin_certificate: Option<String>,
    /// A CA certificate (PEM) to trust for the peer besides the system's roots.
    #[arg(long, value_name = "FILE")]
    pub(crate) ca_certificate: Option<String>,
    /// Our client certificate for mutual TLS (PEM, with `--client-key`).
    #[arg(long, value_name = "FILE", requires = "client_key")]
    pub(crate) client_certificate: Option<String>,
    /// The private key of our client certificate (PEM).
    #[arg(long, value_name = "FILE", requires = "client_certificate")]
    pub(crate) client_key: Option<String>,
}

/// `entente peer ...`
#[derive(Debug, Subcommand)]
pub(crate) enum PeerCommand {
    /// Register a partner node to pull from (and push to).
    Add(Box<AddArgs>),
    /// List peers with their state.
    List,
    /// Show one peer: configuration, cursor, last success, last error.
    Show {
        /// The peer.
        name: String,
    },
    /// Remove a peer (what was pulled stays).
    Remove {
        /// The peer.
        name: String,
    },
    /// Pull from a peer now, from where the last pull stopped.
    ///
    /// Exit status: 0 when the pull completed, 1 when it failed (what was stored stays, and
    /// the next pull resumes after it).
    Sync {
        /// The peer.
        name: String,
    },
}

fn time(micros: Option<i64>) -> String {
    micros.map_or_else(
        || "never".to_owned(),
        |m| {
            entente_stix::Timestamp::from_unix_micros(m)
                .as_str()
                .to_owned()
        },
    )
}

/// `entente peer ...`
pub(crate) async fn run(ctx: &Context, cmd: PeerCommand) -> anyhow::Result<ExitCode> {
    let store = ctx.open_store().await?;
    match cmd {
        PeerCommand::Add(args) => {
            let AddArgs {
                name,
                url,
                organisation,
                channel,
                pull,
                into,
                token_file,
                interval,
                api_root,
                push_from,
                push_to,
                public_key,
                allow_unsigned,
                pin_certificate,
                ca_certificate,
                client_certificate,
                client_key,
            } = *args;
            super::sharing::valid_id("peer", &name)?;
            if interval == 0 {
                bail!("--interval must be at least 1 second");
            }
            let api_root = ctx.api_root(api_root.as_deref())?;
            let local = super::find_collection(&store, &api_root, &into).await?;
            let push_from = match push_from {
                Some(c) => Some(super::find_collection(&store, &api_root, &c).await?.id.0),
                None => None,
            };
            let absolute = |f: Option<String>| -> anyhow::Result<Option<String>> {
                f.map(|f| {
                    std::path::absolute(&f)
                        .map(|p| p.display().to_string())
                        .with_context(|| format!("{f}: not a usable path"))
                })
                .transpose()
            };
            let peer = Peer {
                name: name.clone(),
                url,
                organisation,
                channel,
                remote_collection: pull,
                local_collection: local.id.0.clone(),
                token_file,
                interval_secs: interval,
                options: entente_store::PeerOptions {
                    push_from,
                    push_to,
                    allow_unsigned,
                    tls: entente_store::PeerTls {
                        pinned_certificate: absolute(pin_certificate)?,
                        ca_certificate: absolute(ca_certificate)?,
                        client_certificate: absolute(client_certificate)?,
                        client_key: absolute(client_key)?,
                    },
                },
            };
            entente_server::federation::check_peer(&store, &peer)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            entente_taxii::Client::new()
                .context("cannot build the TAXII client")?
                .api_root(&peer.url)
                .with_context(|| format!("--url: not an API root URL: {}", peer.url))?;
            if let Some(k) = &public_key {
                entente_server::federation::signing::parse_public_key(k)
                    .map_err(|e| anyhow::anyhow!("--public-key: {e}"))?;
            }
            match store.add_peer(peer.clone()).await {
                Err(entente_store::Error::Conflict(m)) => bail!("{m}"),
                other => other.context("cannot register the peer")?,
            }
            if let Some(k) = &public_key {
                super::sharing::add_organisation_key(&store, &peer.organisation, k).await?;
            }
            let detail = format!(
                "url={} organisation={} channel={} pull={} into={} interval={}",
                peer.url,
                peer.organisation,
                peer.channel,
                peer.remote_collection,
                peer.local_collection,
                peer.interval_secs
            );
            super::audit::record_cli(&store, "peer.add", &name, &detail).await?;
            println!("registered peer {name}");
        }
        PeerCommand::List => {
            for (p, s) in store.peers().await? {
                println!(
                    "{}\t{}\tchannel={}\tstored={}\tlast success {}{}",
                    p.name,
                    p.url,
                    p.channel,
                    s.stored,
                    time(s.last_success),
                    s.last_error
                        .map(|e| format!("\tlast error: {e}"))
                        .unwrap_or_default()
                );
            }
        }
        PeerCommand::Show { name } => {
            let (p, s) = match store.peer(&name).await {
                Err(entente_store::Error::NotFound(_)) => bail!("no peer named {name:?}"),
                other => other?,
            };
            println!("peer:          {}", p.name);
            println!("url:           {}", p.url);
            println!("organisation:  {}", p.organisation);
            println!("channel:       {}", p.channel);
            println!(
                "pulls:         {} -> {}",
                p.remote_collection, p.local_collection
            );
            println!("interval:      {} s", p.interval_secs);
            println!(
                "cursor:        {}",
                s.cursor.as_deref().unwrap_or("(from the start)")
            );
            if let (Some(from), Some(to)) = (&p.options.push_from, &p.options.push_to) {
                println!("pushes:        {from} -> {to}");
            }
            println!(
                "signatures:    {}",
                if p.options.allow_unsigned {
                    "verified; unsigned versions accepted"
                } else {
                    "required and verified"
                }
            );
            println!("stored:        {}", s.stored);
            println!("pushed:        {}", s.progress.pushed);
            println!("deleted:       {}", s.progress.deleted);
            println!("refused:       {}", s.progress.refused);
            println!("last success:  {}", time(s.last_success));
            println!("last error:    {}", s.last_error.as_deref().unwrap_or("-"));
            let status = entente_server::federation::status::PeerStatus::of(&p, &s);
            println!(
                "lag:           {}",
                match status.lag_seconds {
                    Some(l) => format!("{l} s, {} versions behind", status.behind),
                    None => "never caught up".to_owned(),
                }
            );
            println!("failures:      {} in a row", s.progress.failures);
        }
        PeerCommand::Remove { name } => {
            match store.remove_peer(&name).await {
                Err(entente_store::Error::NotFound(_)) => bail!("no peer named {name:?}"),
                other => other?,
            }
            super::audit::record_cli(&store, "peer.remove", &name, "").await?;
            println!("removed peer {name}");
        }
        PeerCommand::Sync { name } => {
            let (peer, _) = match store.peer(&name).await {
                Err(entente_store::Error::NotFound(_)) => bail!("no peer named {name:?}"),
                other => other?,
            };
            let (pulled, pushed) = entente_server::federation::sync(
                &store,
                &peer,
                &ctx.data_dir,
                entente_server::federation::WhenBusy::Wait,
                entente_server::federation::Hits::Recorded,
            )
            .await;
            let mut failed = false;
            match pulled {
                Ok(r) => {
                    println!(
                        "pulled from {name}: stored {}, duplicates {}, rejected {} ({} pages)",
                        r.stored, r.duplicates, r.rejected, r.pages
                    );
                    if r.bad_signatures > 0 {
                        println!(
                            "  {} refused for their signature (unsigned, unknown key, forged \
                             or altered): see `entente audit show`",
                            r.bad_signatures
                        );
                    }
                    if r.deleted > 0 {
                        println!("  deleted {} versions the peer deleted", r.deleted);
                    }
                }
                Err(e) => {
                    eprintln!("error: pulling from {name} failed: {e}");
                    failed = true;
                }
            }
            if peer.options.push_from.is_some() {
                match pushed {
                    Ok(r) => {
                        println!(
                            "pushed to {name}: sent {}, refused by the peer {}, withheld by the \
                             sharing rules {}",
                            r.sent, r.refused_by_peer, r.withheld
                        );
                        if r.deleted > 0 {
                            println!(
                                "  the peer deleted {} versions this node deleted",
                                r.deleted
                            );
                        }
                    }
                    Err(e) => {
                        eprintln!("error: pushing to {name} failed: {e}");
                        failed = true;
                    }
                }
            }
            if failed {
                return Ok(ExitCode::FAILURE);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `entente identity`
pub(crate) async fn identity(ctx: &Context) -> anyhow::Result<ExitCode> {
    let store = ctx.open_store().await?;
    let identity = entente_server::federation::signing::node_identity(&ctx.data_dir)
        .context("cannot read the node identity key")?;
    let home = store.home_organisation().await?;
    println!("public key:    {}", identity.public_key());
    println!(
        "organisation:  {}",
        home.map(|o| o.id).unwrap_or_else(|| "(none)".into())
    );
    Ok(ExitCode::SUCCESS)
}
