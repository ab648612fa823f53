//! The command-line interface: argument definitions only (clap derive). Behaviour lives in
//! `commands/`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// entente: a federated intelligence-exchange node for counter-terrorism cooperation.
///
/// One binary runs a node (STIX 2.1 over TAXII 2.1) on an embedded SQLite store, imports and
/// exports intelligence, and manages users and collections.
#[derive(Debug, Parser)]
#[command(
    name = "entente",
    version,
    propagate_version = true,
    max_term_width = 100
)]
pub(crate) struct Cli {
    /// The data folder (config file and embedded database). Default: ./entente-data
    #[arg(long, global = true, env = "ENTENTE_DATA", value_name = "DIR")]
    pub(crate) data: Option<PathBuf>,

    /// Log filter, e.g. `info` or `entente_server=debug` (overrides ENTENTE_LOG and the file).
    #[arg(long, global = true, value_name = "FILTER")]
    pub(crate) log: Option<String>,

    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Create a data folder: config file, database, default API root and collection, and an
    /// admin credential (printed once).
    Init(InitArgs),
    /// Run the node (TAXII 2.1 API and health endpoint).
    Serve(ServeArgs),
    /// Start a demonstration node with a fresh store preloaded with a counter-terrorism dataset.
    Demo(DemoArgs),
    /// Import STIX objects (a bundle, a JSON array or JSON lines; plain or gzipped) into a
    /// collection. Invalid objects are reported and skipped; valid ones are stored.
    ///
    /// Exit status: 0 when every object was stored or already present, 2 when some were
    /// rejected, 1 on a fatal error.
    Import(ImportArgs),
    /// Write a collection as a STIX bundle (all versions, in the order they were added).
    Export(ExportArgs),
    /// Validate STIX content against the STIX 2.1 specification and print a report.
    ///
    /// Exit status: 0 when there are no errors (warnings allowed), 1 otherwise.
    Validate(ValidateArgs),
    /// Copy a remote TAXII 2.1 collection into a local one.
    Pull(PullArgs),
    /// Manage users and their API tokens and permissions.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage collections.
    #[command(subcommand)]
    Collection(CollectionCommand),
    /// Manage TAXII API roots.
    #[command(subcommand, name = "api-root")]
    ApiRoot(ApiRootCommand),
    /// Configuration helpers.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// The STIX patterning language: validate patterns and match them against observed data.
    #[command(subcommand)]
    Pattern(PatternCommand),
    /// The audit log: verify its hash chain, show its newest entries.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Sanctions lists: import a list version, show versions and entries, diff two versions.
    #[command(subcommand)]
    Lists(crate::commands::lists::ListsCommand),
    /// Screen names against the stored sanctions lists.
    Screen(crate::commands::screen::ScreenArgs),
    /// Correlation hits: list them for an object, a collection, or since a time.
    #[command(subcommand)]
    Hits(crate::commands::hits::HitsCommand),
    /// Organisations: the home organisation and the partners it shares with.
    #[command(subcommand)]
    Org(crate::commands::sharing::OrgCommand),
    /// Channels: sharing groups of organisations under an agreement.
    #[command(subcommand)]
    Channel(crate::commands::sharing::ChannelCommand),
    /// Release requests: asking an originator to let its intelligence go further.
    #[command(subcommand)]
    Release(crate::commands::sharing::ReleaseCommand),
    /// Print this node's identity: its Ed25519 public key (what partners register with
    /// `entente peer add --public-key` or `entente org key add`) and its home organisation.
    Identity,
    /// Partner nodes: register them and pull from them (resumable; scheduled by `serve`).
    #[command(subcommand)]
    Peer(crate::commands::peer::PeerCommand),
}

#[derive(Debug, Subcommand)]
pub(crate) enum AuditCommand {
    /// Verify the whole audit log: every entry's hash, every link, no gaps.
    ///
    /// Prints `audit log intact: N entries, head <hash>` and the anchor to keep elsewhere.
    /// Exit status: 0 intact, 1 when an entry was altered, removed or reordered (the first bad
    /// entry is named), or on an error.
    Verify {
        /// The head from an earlier verification (`SEQ:HASH`), to also detect entries cut off
        /// the end or a log rewritten since.
        #[arg(long, value_name = "SEQ:HASH")]
        anchor: Option<String>,
    },
    /// Show the newest entries of the audit log, oldest first.
    Show {
        /// How many entries.
        #[arg(long, default_value_t = 20, value_name = "N")]
        limit: usize,
    },
    /// Export the audit log as JSON lines (every field, hashes in hex) for an oversight
    /// reviewer. The chain is verified while exporting; the export stops at the first entry
    /// that does not verify, and exits non-zero.
    Export {
        /// Write to this file instead of standard output.
        #[arg(long, short, value_name = "FILE")]
        out: Option<PathBuf>,
        /// Only entries after this sequence number.
        #[arg(long, default_value_t = 0, value_name = "SEQ")]
        after: u64,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum PatternCommand {
    /// Validate a STIX pattern (grammar and object paths against the STIX 2.1 cyber-observable
    /// vocabulary).
    ///
    /// Exit status: 0 valid (warnings allowed), 1 invalid; the message goes to stderr.
    Validate {
        /// The pattern; read from standard input when absent.
        pattern: Option<String>,
    },
    /// Evaluate a pattern against observed-data (a bundle, array or JSON lines holding
    /// observed-data objects and the SCOs they reference).
    ///
    /// Exit status: 0 match, 1 no match, 2 error.
    Match {
        /// The pattern.
        #[arg(long, short)]
        pattern: String,
        /// The file with observed-data (`-` for standard input).
        #[arg(long, short, value_name = "FILE|-")]
        observed: String,
        /// Print the matching observations as JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Args)]
pub(crate) struct InitArgs {
    /// Address the node will listen on (written into the config file).
    #[arg(long, value_name = "ADDR")]
    pub(crate) listen: Option<String>,
    /// Name of the home organisation.
    #[arg(long, default_value = "home", value_name = "NAME")]
    pub(crate) organisation: String,
}

#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    /// Address to listen on (overrides the config file and ENTENTE_SERVER_LISTEN).
    #[arg(long, value_name = "ADDR")]
    pub(crate) listen: Option<String>,
    /// Store URL: `sqlite:PATH` or `postgres://...` (overrides config and ENTENTE_STORE_URL).
    #[arg(long, value_name = "URL")]
    pub(crate) store: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct DemoArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8443", value_name = "ADDR")]
    pub(crate) listen: String,
    /// Load the dataset, print what was loaded, and exit without serving.
    #[arg(long)]
    pub(crate) no_serve: bool,
}

#[derive(Debug, Args)]
pub(crate) struct ImportArgs {
    /// The file to read, or `-` for standard input.
    #[arg(value_name = "FILE|-")]
    pub(crate) input: String,
    /// The target collection: its id or alias.
    #[arg(long, short, value_name = "ID|ALIAS")]
    pub(crate) collection: String,
    /// The API root of the collection (default: the configured default API root).
    #[arg(long, value_name = "NAME")]
    pub(crate) api_root: Option<String>,
    /// Objects per durable write [default: 50,000; 10,000 while correlation is on, which
    /// holds each batch's hits in memory until they are recorded].
    #[arg(long, value_name = "N")]
    pub(crate) batch: Option<usize>,
    /// The organisation the objects come from (default: the home organisation; required for
    /// a collection of a channel).
    #[arg(long, value_name = "ORG")]
    pub(crate) originator: Option<String>,
    /// Print the summary as JSON on stdout.
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct ExportArgs {
    /// The collection: its id or alias.
    #[arg(long, short, value_name = "ID|ALIAS")]
    pub(crate) collection: String,
    /// The API root of the collection (default: the configured default API root).
    #[arg(long, value_name = "NAME")]
    pub(crate) api_root: Option<String>,
    /// Write to this file instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    pub(crate) out: Option<PathBuf>,
    /// The purpose of the export (checked against the channel's agreement). Objects the
    /// sharing rules keep from an export (a partner's intelligence without its release) are
    /// left out and counted on standard error.
    #[arg(long, value_name = "PURPOSE")]
    pub(crate) purpose: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct ValidateArgs {
    /// The file to read, or `-` for standard input (bundle, array or JSON lines; gzip allowed).
    #[arg(value_name = "FILE|-")]
    pub(crate) input: String,
    /// Print the report as JSON.
    #[arg(long)]
    pub(crate) json: bool,
    /// Also print warnings.
    #[arg(long, short)]
    pub(crate) warnings: bool,
}

#[derive(Debug, Args)]
pub(crate) struct PullArgs {
    /// The remote API root URL, e.g. `https://partner.example/api1/`.
    #[arg(value_name = "API_ROOT_URL")]
    pub(crate) url: String,
    /// The remote collection id.
    #[arg(long, short, value_name = "ID")]
    pub(crate) collection: String,
    /// The local collection (id or alias) to copy into.
    #[arg(long, value_name = "ID|ALIAS")]
    pub(crate) into: String,
    /// The local API root (default: the configured default API root).
    #[arg(long, value_name = "NAME")]
    pub(crate) api_root: Option<String>,
    /// User name for HTTP Basic authentication to the remote.
    #[arg(long, value_name = "NAME", requires = "password_env")]
    pub(crate) user: Option<String>,
    /// Name of the environment variable holding the remote password.
    #[arg(long, value_name = "VAR")]
    pub(crate) password_env: Option<String>,
    /// Name of the environment variable holding a bearer token for the remote.
    #[arg(long, value_name = "VAR", conflicts_with = "user")]
    pub(crate) token_env: Option<String>,
    /// Only objects added to the remote after this timestamp.
    #[arg(long, value_name = "TIMESTAMP")]
    pub(crate) added_after: Option<String>,
    /// The organisation the pulled objects come from (default: the home organisation;
    /// required when the local collection belongs to a channel).
    #[arg(long, value_name = "ORG")]
    pub(crate) originator: Option<String>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum UserCommand {
    /// Create a user. A password is generated and printed unless --password-stdin is given.
    Add {
        /// Login name.
        name: String,
        /// The user's organisation.
        #[arg(long, default_value = "home")]
        organisation: String,
        /// admin, analyst, liaison-officer, reviewer or service.
        #[arg(long, default_value = "analyst")]
        role: String,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
        /// Create a token-only credential (no password); prints a bearer token.
        #[arg(long, conflicts_with = "password_stdin")]
        token_only: bool,
        /// The purpose assumed when a request declares none (typical for a service
        /// credential of a partner node or tool that cannot send the Entente-Purpose header).
        #[arg(long, value_name = "PURPOSE")]
        purpose: Option<String>,
    },
    /// Set or clear the purpose assumed for a user's requests that declare none.
    Purpose {
        /// Login name.
        name: String,
        /// The purpose; absent: clear it.
        purpose: Option<String>,
    },
    /// List users.
    List,
    /// Create a bearer token for a user (printed once).
    Token {
        /// Login name.
        name: String,
        /// A label to recognise the token by.
        #[arg(long, default_value = "cli")]
        label: String,
    },
    /// Grant a user read and/or write access to a collection.
    Grant {
        /// Login name.
        name: String,
        /// The collection: its id or alias.
        #[arg(long, short)]
        collection: String,
        /// The API root (default: the configured default API root).
        #[arg(long)]
        api_root: Option<String>,
        /// Allow reading.
        #[arg(long)]
        read: bool,
        /// Allow writing.
        #[arg(long)]
        write: bool,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum CollectionCommand {
    /// Create a collection.
    Add {
        /// Title.
        #[arg(long)]
        title: String,
        /// Alias (unique in the API root).
        #[arg(long)]
        alias: Option<String>,
        /// Description.
        #[arg(long)]
        description: Option<String>,
        /// The collection id (a UUID; generated when absent).
        #[arg(long)]
        id: Option<String>,
        /// The API root (default: the configured default API root).
        #[arg(long)]
        api_root: Option<String>,
    },
    /// List collections.
    List {
        /// The API root (default: all).
        #[arg(long)]
        api_root: Option<String>,
    },
    /// Bind a collection to a channel (it then exposes that channel) or make it private to
    /// an organisation. Unbound collections are private to the home organisation.
    Bind {
        /// The collection: its id or alias.
        collection: String,
        /// The channel the collection exposes.
        #[arg(long, value_name = "CHANNEL", conflicts_with = "owner")]
        channel: Option<String>,
        /// The organisation the collection is private to.
        #[arg(long, value_name = "ORG")]
        owner: Option<String>,
        /// The API root (default: the configured default API root).
        #[arg(long)]
        api_root: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum ApiRootCommand {
    /// Create an API root.
    Add {
        /// URL path segment (served at /NAME/).
        name: String,
        /// Title.
        #[arg(long)]
        title: String,
        /// Description.
        #[arg(long)]
        description: Option<String>,
        /// Largest request body accepted, in bytes.
        #[arg(long, default_value_t = 104_857_600)]
        max_content_length: u64,
    },
    /// List API roots.
    List,
}

#[derive(Debug, Subcommand)]
pub(crate) enum ConfigCommand {
    /// Print the example configuration, every option with its default and a comment.
    Example,
    /// Print the effective configuration of the data folder (secrets redacted).
    Show,
}
