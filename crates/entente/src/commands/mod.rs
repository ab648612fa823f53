//! What each command does. `run` loads the configuration, installs logging, builds the async
//! runtime and dispatches.

mod admin;
mod audit;
pub(crate) mod hits;
mod import;
pub(crate) mod lists;
mod pattern;
pub(crate) mod peer;
mod pull;
pub(crate) mod screen;
mod serve;
pub(crate) mod sharing;
mod validate;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use entente_server::config::{Config, LogFormat, Overrides};
use entente_store::{Collection, SharedStore};

use crate::cli::{Cli, Command, ConfigCommand};

pub(crate) use admin::{bootstrap as admin_bootstrap, random_secret};
pub(crate) use import::import_into;
pub(crate) use serve::shutdown_signal;
pub(crate) use sharing::add_organisation;

/// What every command gets: the data folder and its loaded configuration.
pub(crate) struct Context {
    pub(crate) data_dir: PathBuf,
    pub(crate) config: Config,
}

impl Context {
    /// Opens the store named by the configuration (creating an embedded database if needed).
    pub(crate) async fn open_store(&self) -> anyhow::Result<SharedStore> {
        entente_store::open(&self.config.store_url)
            .await
            .with_context(|| {
                format!(
                    "cannot open the store {}",
                    entente_server::config::redact_url(&self.config.store_url)
                )
            })
    }

    /// The API root a command means: the one given, else the configured default.
    pub(crate) fn api_root(&self, given: Option<&str>) -> anyhow::Result<String> {
        given
            .map(str::to_owned)
            .or_else(|| self.config.taxii.default_api_root.clone())
            .context("no API root given and no default_api_root configured")
    }
}

/// Finds a collection by id or alias, with an error that says where it looked.
pub(crate) async fn find_collection(
    store: &SharedStore,
    api_root: &str,
    id_or_alias: &str,
) -> anyhow::Result<Collection> {
    match store.collection(api_root, id_or_alias).await {
        Ok(c) => Ok(c),
        Err(entente_store::Error::NotFound(_)) => anyhow::bail!(
            "no collection {id_or_alias:?} in API root {api_root:?} (see `entente collection list`)"
        ),
        Err(e) => Err(e).context("cannot read collections"),
    }
}

/// The process environment as a map, for the config loader (the only place it is read).
#[allow(clippy::disallowed_methods)] // The binary hands the environment to the loader, once.
pub(crate) fn process_env() -> HashMap<String, String> {
    std::env::vars().collect()
}

fn default_data_dir() -> PathBuf {
    PathBuf::from("entente-data")
}

pub(crate) fn load_context(
    data: Option<&Path>,
    overrides: &Overrides,
) -> anyhow::Result<(Context, Vec<String>)> {
    let data_dir = data.map(Path::to_path_buf).unwrap_or_else(default_data_dir);
    let data_dir = if data_dir.is_absolute() {
        data_dir
    } else {
        std::env::current_dir()
            .context("cannot read the current directory")?
            .join(data_dir)
    };
    let loaded = Config::load(&data_dir, &process_env(), overrides)?;
    Ok((
        Context {
            data_dir,
            config: loaded.config,
        },
        loaded.warnings,
    ))
}

fn install_logging(config: &Config) {
    use tracing_subscriber::EnvFilter;
    // The PostgreSQL driver reports server NOTICEs (e.g. "relation already exists, skipping"
    // during migrations) at info; they are not the operator's concern unless asked for.
    let directives = if config.log.filter.contains("tokio_postgres") {
        config.log.filter.clone()
    } else {
        format!("{},tokio_postgres=warn", config.log.filter)
    };
    let filter = EnvFilter::try_new(&directives).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    // A second subscriber (tests calling twice) is harmless: keep the first.
    let _ = match config.log.format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text => builder.try_init(),
    };
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// Runs one command line.
pub(crate) fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    if let Command::Pattern(cmd) = cli.command {
        // Pure computation: no data folder, no configuration, no runtime.
        return pattern::run(cmd);
    }
    if let Command::Config(ConfigCommand::Example) = cli.command {
        print!("{}", entente_server::config::EXAMPLE);
        return Ok(ExitCode::SUCCESS);
    }
    let mut overrides = Overrides {
        log_filter: cli.log.clone(),
        ..Default::default()
    };
    if let Command::Serve(args) = &cli.command {
        overrides.listen = args.listen.clone();
        overrides.store_url = args.store.clone();
    }
    if let Command::Demo(_) = &cli.command {
        // The demo always gets a fresh store in a temporary folder of its own.
        return runtime()?.block_on(crate::demo::run(cli));
    }
    let (ctx, warnings) = load_context(cli.data.as_deref(), &overrides)?;
    install_logging(&ctx.config);
    for w in warnings {
        tracing::warn!(warning = %w, "configuration");
    }
    let rt = runtime()?;
    match cli.command {
        Command::Init(args) => rt.block_on(admin::init(&ctx, args)),
        Command::Serve(_) => rt.block_on(serve::serve(ctx)),
        Command::Demo(_) => unreachable!("handled above"),
        Command::Import(args) => rt.block_on(import::import(&ctx, args)),
        Command::Export(args) => rt.block_on(admin::export(&ctx, args)),
        Command::Validate(args) => validate::validate(&ctx, args),
        Command::Pull(args) => rt.block_on(pull::pull(&ctx, args)),
        Command::User(cmd) => rt.block_on(admin::user(&ctx, cmd)),
        Command::Collection(cmd) => rt.block_on(admin::collection(&ctx, cmd)),
        Command::ApiRoot(cmd) => rt.block_on(admin::api_root(&ctx, cmd)),
        Command::Audit(cmd) => rt.block_on(audit::run(&ctx, cmd)),
        Command::Lists(cmd) => rt.block_on(lists::run(&ctx, cmd)),
        Command::Screen(args) => rt.block_on(screen::run(&ctx, args)),
        Command::Hits(cmd) => rt.block_on(hits::run(&ctx, cmd)),
        Command::Org(cmd) => rt.block_on(sharing::org(&ctx, cmd)),
        Command::Channel(cmd) => rt.block_on(sharing::channel(&ctx, cmd)),
        Command::Release(cmd) => rt.block_on(sharing::release(&ctx, cmd)),
        Command::Peer(cmd) => rt.block_on(peer::run(&ctx, cmd)),
        Command::Identity => rt.block_on(peer::identity(&ctx)),
        Command::Config(ConfigCommand::Show) => {
            println!("{:#?}", ctx.config);
            Ok(ExitCode::SUCCESS)
        }
        Command::Config(ConfigCommand::Example) | Command::Pattern(_) => {
            unreachable!("handled above")
        }
    }
}
