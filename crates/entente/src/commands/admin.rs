//! Administration commands: `init`, `export`, `user`, `collection`, `api-root`.

use std::io::{BufRead, Write};
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use entente_store::{
    ApiRoot, ApiToken, Collection, CollectionId, ObjectFilter, Permission, Role, SharedStore, User,
    VersionMatch,
};

use super::{Context, find_collection};
use crate::cli::{ApiRootCommand, CollectionCommand, ExportArgs, InitArgs, UserCommand};

/// A random secret: 128 bits from the operating system's generator, hex-encoded.
pub(crate) fn random_secret() -> String {
    format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}

/// Creates the home collection, the admin user and its permissions in a fresh store.
/// Returns the admin password.
pub(crate) async fn bootstrap(
    store: &SharedStore,
    ctx: &Context,
    organisation: &str,
) -> anyhow::Result<(String, Collection)> {
    entente_server::provision(store, &ctx.config)
        .await
        .context("cannot create the configured API roots")?;
    let api_root = ctx.api_root(None)?;
    let home = Collection {
        id: CollectionId(uuid::Uuid::new_v4().to_string()),
        api_root: api_root.clone(),
        title: "Home intelligence".into(),
        description: Some(format!("Intelligence held by {organisation}")),
        alias: Some("home".into()),
        media_types: vec![entente_server::STIX_MEDIA_TYPE.into()],
    };
    store
        .create_collection(home.clone())
        .await
        .context("cannot create the home collection")?;
    let password = random_secret();
    store
        .add_user(User {
            name: "admin".into(),
            organisation: organisation.into(),
            role: Role::Admin,
            password_hash: Some(entente_server::auth::hash_password(&password)),
        })
        .await
        .context("cannot create the admin user")?;
    store
        .set_permission(Permission {
            user: "admin".into(),
            collection: home.id.clone(),
            can_read: true,
            can_write: true,
        })
        .await?;
    Ok((password, home))
}

/// `entente init`
pub(crate) async fn init(ctx: &Context, args: InitArgs) -> anyhow::Result<ExitCode> {
    let file = ctx.data_dir.join(entente_server::config::FILE_NAME);
    if file.exists() {
        bail!(
            "{} is already initialised ({} exists)",
            ctx.data_dir.display(),
            file.display()
        );
    }
    std::fs::create_dir_all(&ctx.data_dir)
        .with_context(|| format!("cannot create {}", ctx.data_dir.display()))?;
    let mut text = entente_server::config::EXAMPLE.to_owned();
    let mut ctx_config = ctx.config.clone();
    if let Some(listen) = &args.listen {
        let addr: std::net::SocketAddr = listen
            .parse()
            .with_context(|| format!("--listen: not an address: {listen:?}"))?;
        text = text.replacen(
            "listen = \"127.0.0.1:8443\"",
            &format!("listen = \"{addr}\""),
            1,
        );
        ctx_config.server.listen = addr;
    }
    std::fs::write(&file, text).with_context(|| format!("cannot write {}", file.display()))?;
    let ctx = Context {
        data_dir: ctx.data_dir.clone(),
        config: ctx_config,
    };
    let store = ctx.open_store().await?;
    // Like the rest of the bootstrap (the admin user, the home collection), registering the
    // home organisation precedes the audit log: the log starts with the first act after init.
    super::sharing::valid_id("--organisation", &args.organisation)?;
    store
        .add_organisation(entente_store::Organisation {
            id: args.organisation.clone(),
            name: args.organisation.clone(),
            home: true,
        })
        .await
        .context("cannot register the home organisation")?;
    let (password, home) = bootstrap(&store, &ctx, &args.organisation).await?;
    // The node's identity key, registered for the home organisation: versions this node
    // originates are signed with it, and come back recognised when relayed.
    let identity = entente_server::federation::signing::node_identity(&ctx.data_dir)
        .context("cannot create the node identity key")?;
    store
        .add_organisation_key(&args.organisation, identity.public_key())
        .await
        .context("cannot register the node identity key")?;
    println!("Initialised {}", ctx.data_dir.display());
    println!("  config:     {}", file.display());
    println!(
        "  store:      {}",
        entente_server::config::redact_url(&ctx.config.store_url)
    );
    println!(
        "  collection: {} (alias \"home\") in API root {}",
        home.id, home.api_root
    );
    println!("  identity:   {} (entente identity)", identity.public_key());
    println!("  admin user: admin");
    println!("  password:   {password}");
    println!("The password is shown only once. Start the node with `entente serve`.");
    Ok(ExitCode::SUCCESS)
}

/// `entente export`
pub(crate) async fn export(ctx: &Context, args: ExportArgs) -> anyhow::Result<ExitCode> {
    let store = ctx.open_store().await?;
    let api_root = ctx.api_root(args.api_root.as_deref())?;
    let collection = find_collection(&store, &api_root, &args.collection).await?;
    let out: Box<dyn Write> = match &args.out {
        Some(path) => Box::new(
            std::fs::File::create(path)
                .with_context(|| format!("cannot create {}", path.display()))?,
        ),
        None => Box::new(std::io::stdout().lock()),
    };
    let mut out = std::io::BufWriter::with_capacity(1 << 20, out);
    write!(
        out,
        "{{\"type\":\"bundle\",\"id\":\"bundle--{}\",\"objects\":[",
        uuid::Uuid::new_v4()
    )?;
    let mut filter = ObjectFilter {
        versions: vec![VersionMatch::All],
        limit: 1000,
        ..Default::default()
    };
    // The export goes through the sharing rules as the node's operator (the home
    // organisation) for the declared purpose: a partner's intelligence leaves only with its
    // release (the third-party rule), and nothing leaves a channel whose agreement is not in
    // force or does not allow the purpose.
    let principal = entente_server::sharing::cli_principal(&store, args.purpose.clone())
        .await
        .map_err(anyhow::Error::msg)?;
    let snapshot = std::sync::Arc::new(
        entente_server::sharing::load(&store)
            .await
            .context("cannot read the sharing configuration")?,
    );
    let gate = entente_server::access::Gate::new(&principal, &collection.id, snapshot);
    let scope = gate.scope();
    if let entente_server::policy::Decision::Deny { reason, rule } = &scope {
        super::audit::record_cli_decision(
            &store,
            "objects.export",
            &collection.id.0,
            args.purpose.as_deref(),
            "deny",
            rule,
            &format!("reason={}", reason.code()),
        )
        .await?;
        if *reason == entente_server::policy::Reason::PurposeRequired {
            bail!("export refused: declare the purpose of the export with --purpose");
        }
        bail!("export refused: {}", reason.message());
    }
    let mut first = true;
    let mut count = 0u64;
    let mut withheld = 0u64;
    let mut rules: std::collections::BTreeMap<&'static str, u64> = Default::default();
    loop {
        let page = store.objects_page(&collection.id, &filter).await?;
        let releases = if gate.needs_releases() && !page.items.is_empty() {
            let ids: Vec<String> = page
                .items
                .iter()
                .map(|i| i.object.id().as_str().to_owned())
                .collect();
            store.releases_for(&ids).await?
        } else {
            Vec::new()
        };
        for item in &page.items {
            let mine: Vec<&entente_store::ReleaseRecord> = releases
                .iter()
                .filter(|r| r.object_id == item.object.id().as_str())
                .collect();
            let decision = gate.decide(
                entente_server::access::ObjectAction::Export,
                &gate.facts(&item.sharing, &mine),
            );
            if !decision.is_allow() {
                withheld += 1;
                *rules.entry(decision.rule()).or_insert(0) += 1;
                continue;
            }
            if !first {
                out.write_all(b",")?;
            }
            first = false;
            out.write_all(b"\n")?;
            // The exact text as received: export never reformats an object.
            out.write_all(item.object.as_json().as_bytes())?;
            count += 1;
        }
        match (page.more, page.next) {
            (true, Some(next)) => filter.after = Some(next),
            _ => break,
        }
    }
    out.write_all(b"\n]}\n")?;
    out.flush().context("cannot write the export")?;
    let mut detail = format!("exported={count} withheld={withheld}");
    for (rule, n) in &rules {
        detail.push_str(&format!(" {rule}={n}"));
    }
    super::audit::record_cli_decision(
        &store,
        "objects.export",
        &collection.id.0,
        args.purpose.as_deref(),
        "allow",
        "export",
        &detail,
    )
    .await?;
    eprintln!("exported {count} object versions from {}", collection.id);
    if withheld > 0 {
        let why: Vec<String> = rules.iter().map(|(r, n)| format!("{r}: {n}")).collect();
        eprintln!(
            "withheld {withheld} object versions the sharing rules keep from an export ({})",
            why.join(", ")
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn read_password_line() -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("cannot read the password")?;
    let pw = line.trim_end_matches(['\r', '\n']).to_owned();
    if pw.len() < 12 {
        bail!("the password must be at least 12 characters long");
    }
    Ok(pw)
}

/// `entente user ...`
pub(crate) async fn user(ctx: &Context, cmd: UserCommand) -> anyhow::Result<ExitCode> {
    let store = ctx.open_store().await?;
    match cmd {
        UserCommand::Add {
            name,
            organisation,
            role,
            password_stdin,
            token_only,
            purpose,
        } => {
            let role: Role = role.parse().map_err(anyhow::Error::msg)?;
            if name.is_empty()
                || name.len() > 128
                || name.contains(':')
                || name.chars().any(char::is_control)
            {
                bail!("user names are 1-128 characters, without ':' or control characters");
            }
            let password = if token_only {
                None
            } else if password_stdin {
                Some(read_password_line()?)
            } else {
                Some(random_secret())
            };
            let user = User {
                name: name.clone(),
                organisation: organisation.clone(),
                role,
                password_hash: password.as_deref().map(entente_server::auth::hash_password),
            };
            match store.add_user(user).await {
                Err(entente_store::Error::Conflict(_)) => bail!("a user named {name:?} exists"),
                other => other.context("cannot create the user")?,
            }
            let detail = format!("organisation={organisation} role={}", role.as_str());
            super::audit::record_cli(&store, "user.add", &name, &detail).await?;
            if let Some(p) = purpose {
                set_purpose(&store, &name, Some(p)).await?;
            }
            println!("created user {name} ({})", role.as_str());
            if token_only {
                let token = add_token(&store, &name, "initial").await?;
                println!("token: {token}");
                println!("The token is shown only once.");
            } else if !password_stdin {
                println!("password: {}", password.unwrap_or_default());
                println!("The password is shown only once.");
            }
        }
        UserCommand::Purpose { name, purpose } => {
            set_purpose(&store, &name, purpose.clone()).await?;
            match purpose {
                Some(p) => println!("{name}: requests without a declared purpose now use {p}"),
                None => println!("{name}: requests must now declare their purpose"),
            }
        }
        UserCommand::List => {
            for u in store.users().await? {
                println!("{}\t{}\t{}", u.name, u.organisation, u.role.as_str());
            }
        }
        UserCommand::Token { name, label } => {
            store
                .user(&name)
                .await
                .with_context(|| format!("no user named {name:?}"))?;
            let token = add_token(&store, &name, &label).await?;
            super::audit::record_cli(&store, "user.token", &name, &format!("label={label}"))
                .await?;
            println!("{token}");
        }
        UserCommand::Grant {
            name,
            collection,
            api_root,
            read,
            write,
        } => {
            if !read && !write {
                bail!("give --read, --write or both");
            }
            store
                .user(&name)
                .await
                .with_context(|| format!("no user named {name:?}"))?;
            let api_root = ctx.api_root(api_root.as_deref())?;
            let c = find_collection(&store, &api_root, &collection).await?;
            store
                .set_permission(Permission {
                    user: name.clone(),
                    collection: c.id.clone(),
                    can_read: read,
                    can_write: write,
                })
                .await?;
            let detail = format!("collection={} read={read} write={write}", c.id);
            super::audit::record_cli(&store, "user.grant", &name, &detail).await?;
            println!(
                "{name} may now {} collection {}",
                match (read, write) {
                    (true, true) => "read and write",
                    (true, false) => "read",
                    _ => "write",
                },
                c.id
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Sets a user's default purpose, and records it.
async fn set_purpose(
    store: &SharedStore,
    name: &str,
    purpose: Option<String>,
) -> anyhow::Result<()> {
    if let Some(p) = &purpose
        && !entente_server::auth::is_purpose_name(p)
    {
        bail!("--purpose: {p:?} must be lowercase letters, digits, '-', '_', '.' or ':'");
    }
    match store.set_default_purpose(name, purpose.clone()).await {
        Err(entente_store::Error::NotFound(_)) => bail!("no user named {name:?}"),
        other => other.context("cannot set the purpose")?,
    }
    let detail = format!("purpose={}", purpose.as_deref().unwrap_or("-"));
    super::audit::record_cli(store, "user.purpose", name, &detail).await?;
    Ok(())
}

async fn add_token(store: &SharedStore, user: &str, label: &str) -> anyhow::Result<String> {
    let (token, sha256) = entente_server::auth::mint_token();
    store
        .add_token(ApiToken {
            sha256,
            user: user.into(),
            label: label.into(),
        })
        .await
        .context("cannot store the token")?;
    Ok(token)
}

/// `entente collection ...`
pub(crate) async fn collection(ctx: &Context, cmd: CollectionCommand) -> anyhow::Result<ExitCode> {
    let store = ctx.open_store().await?;
    entente_server::provision(&store, &ctx.config).await?;
    match cmd {
        CollectionCommand::Add {
            title,
            alias,
            description,
            id,
            api_root,
        } => {
            let api_root = ctx.api_root(api_root.as_deref())?;
            let id = match id {
                Some(id) => uuid::Uuid::parse_str(&id)
                    .map_err(|_| anyhow::anyhow!("--id: {id:?} is not a UUID"))?
                    .to_string(),
                None => uuid::Uuid::new_v4().to_string(),
            };
            if let Some(a) = &alias
                && (a.is_empty() || uuid::Uuid::parse_str(a).is_ok() || a.contains('/'))
            {
                bail!("--alias: must be non-empty, not a UUID, and contain no '/'");
            }
            let c = Collection {
                id: CollectionId(id.clone()),
                api_root: api_root.clone(),
                title,
                description,
                alias,
                media_types: vec![entente_server::STIX_MEDIA_TYPE.into()],
            };
            match store.create_collection(c).await {
                Err(entente_store::Error::Conflict(m)) => bail!("collection exists: {m}"),
                Err(entente_store::Error::NotFound(_)) => bail!("no API root {api_root:?}"),
                other => other.context("cannot create the collection")?,
            }
            super::audit::record_cli(
                &store,
                "collection.add",
                &id,
                &format!("api_root={api_root}"),
            )
            .await?;
            println!("{id}");
        }
        CollectionCommand::Bind {
            collection,
            channel,
            owner,
            api_root,
        } => {
            let api_root = ctx.api_root(api_root.as_deref())?;
            let c = find_collection(&store, &api_root, &collection).await?;
            super::sharing::bind(&store, &c, channel, owner).await?;
        }
        CollectionCommand::List { api_root } => {
            let roots = match api_root {
                Some(r) => vec![r],
                None => store
                    .api_roots()
                    .await?
                    .into_iter()
                    .map(|r| r.name)
                    .collect(),
            };
            for root in roots {
                for c in store.collections(&root).await? {
                    let n = store.count_objects(&c.id).await?;
                    println!(
                        "{}\t{}\t{}\t{}\t{n} versions",
                        root,
                        c.id,
                        c.alias.as_deref().unwrap_or("-"),
                        c.title
                    );
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `entente api-root ...`
pub(crate) async fn api_root(ctx: &Context, cmd: ApiRootCommand) -> anyhow::Result<ExitCode> {
    let store = ctx.open_store().await?;
    entente_server::provision(&store, &ctx.config).await?;
    match cmd {
        ApiRootCommand::Add {
            name,
            title,
            description,
            max_content_length,
        } => {
            if name.is_empty()
                || name.len() > 64
                || !name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
                || name == "taxii2"
                || name == "health"
            {
                bail!("API root names are 1-64 letters, digits, '-' or '_' (not taxii2 or health)");
            }
            if max_content_length == 0 {
                bail!("--max-content-length must be positive");
            }
            match store
                .create_api_root(ApiRoot {
                    name: name.clone(),
                    title,
                    description,
                    max_content_length,
                })
                .await
            {
                Err(entente_store::Error::Conflict(_)) => bail!("API root {name:?} exists"),
                other => other.context("cannot create the API root")?,
            }
            println!("created API root /{name}/");
        }
        ApiRootCommand::List => {
            for r in store.api_roots().await? {
                println!(
                    "/{}/\t{}\tmax_content_length={}",
                    r.name, r.title, r.max_content_length
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
