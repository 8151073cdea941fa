//! Typed configuration, read once through Figment: `Baton.toml` in the working
//! directory, overridden by `BATON_*` environment variables (SPEC §9).
//!
//! Only the variables that name a setting are read. Others with the prefix
//! are not ours to refuse: Kubernetes sets `BATON_PORT=tcp://10.0.0.1:8000`,
//! `BATON_SERVICE_HOST` and friends for a Service named `baton`. They are
//! skipped with one warning at start ([`env_notices`]); a `BATON_PORT` that is
//! a URL rather than a number is such a variable too, and the port comes from
//! `Baton.toml` or the default. A misspelt key in `Baton.toml` still stops the
//! start: that file is ours.

use std::net::IpAddr;
use std::path::PathBuf;

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

/// Whether anyone may create an organisation through `POST /auth/signup`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignupMode {
    Open,
    Closed,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub address: IpAddr,
    pub port: u16,
    pub database_url: String,
    /// JWT signing key. `None` means: generate one beside the embedded database.
    pub secret: Option<String>,
    pub signup: SignupMode,
    pub log: String,
    pub log_format: LogFormat,
    /// Lifetime of an issued token; capped at 12 hours (SPEC §7).
    pub token_hours: u32,
    pub metrics_token: Option<String>,
    /// Failed logins allowed per (account, client address) pair inside the window.
    pub login_max_failures: u32,
    /// Failed logins allowed per client address, over all accounts.
    pub login_max_failures_per_address: u32,
    pub login_window_seconds: u64,
    /// Proxies whose `X-Forwarded-For` names the client: addresses and CIDR
    /// blocks, comma-separated (see `client.rs`). Empty: none.
    pub trusted_proxies: String,
    /// Signups allowed per client address inside the signup window.
    pub signup_max_per_address: u32,
    pub signup_window_seconds: u64,
    /// Connections in the main database pool: writes, and all that is
    /// not a read.
    pub db_max_connections: u32,
    /// Connections in the pool reads draw from (`http::reads`), besides
    /// the main one, on PostgreSQL; 0: twice the cores. SQLite has one pool.
    pub db_read_connections: u32,
    /// How often to look for requests that passed their due (0: never).
    pub overdue_sweep_seconds: u64,
    /// The URL people reach Baton at, e.g. `https://baton.example.org`, when
    /// a proxy in front terminates TLS; https turns on HSTS.
    pub public_url: Option<String>,
    /// How long a connection may take to send its request head (request
    /// line and headers) before it is closed; 0 leaves it to a reverse
    /// proxy (see `front.rs`).
    pub request_header_timeout_seconds: u64,
    /// Where attachments are kept: `s3://bucket/prefix` (configured further
    /// by the `AWS_*` variables, e.g. `AWS_ENDPOINT` for MinIO) or
    /// `file:///absolute/path`. `None`: a folder `attachments` beside the
    /// SQLite database, or `./attachments` on PostgreSQL.
    pub attachments_url: Option<String>,
    /// The largest attachment accepted, in bytes.
    pub attachment_max_bytes: u64,
    /// The SMTP server mail goes through: `smtp://user:pass@host:587`
    /// (STARTTLS when the server offers it), `smtps://user:pass@host:465`
    /// (TLS from the start) or `smtp://host:25` (a local relay). `None`: no
    /// mail. Never logged or shown (see `mailer.rs`).
    pub smtp_url: Option<String>,
    /// The sender of every mail, e.g. `Baton <baton@example.org>`.
    pub mail_from: String,
    /// How often the mail dispatcher looks for notices to send.
    pub mail_poll_seconds: u64,
    /// Whether webhooks may call loopback, private, link-local and shared
    /// (CGNAT) addresses: receivers inside the operator's network. Off, a
    /// webhook to one fails (`services::webhooks::address`). Read from
    /// `BATON_WEBHOOK_ALLOW_PRIVATE=1` as well as `true`.
    #[serde(deserialize_with = "flag")]
    pub webhook_allow_private: bool,
    /// How often the webhook dispatcher looks for deliveries to send; 0:
    /// not on this instance (another must, for webhooks to be called).
    pub webhook_poll_seconds: u64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            address: IpAddr::from([127, 0, 0, 1]),
            port: 8000,
            database_url: "sqlite://baton.db?mode=rwc".into(),
            secret: None,
            signup: SignupMode::Open,
            log: "info,rocket=warn".into(),
            log_format: LogFormat::Text,
            token_hours: 8,
            metrics_token: None,
            login_max_failures: 5,
            login_max_failures_per_address: 100,
            login_window_seconds: 900,
            trusted_proxies: String::new(),
            signup_max_per_address: 10,
            signup_window_seconds: 3600,
            db_max_connections: 16,
            db_read_connections: 0,
            overdue_sweep_seconds: 15,
            public_url: None,
            request_header_timeout_seconds: 10,
            attachments_url: None,
            attachment_max_bytes: 25 * 1024 * 1024,
            smtp_url: None,
            mail_from: "Baton <baton@localhost>".into(),
            mail_poll_seconds: 2,
            webhook_allow_private: false,
            webhook_poll_seconds: 2,
        }
    }
}

/// Why the configuration cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration: {0}")]
    Figment(#[from] Box<figment::Error>),
    #[error("configuration: {0}")]
    Invalid(String),
    #[error("cannot keep the generated secret at {path}: {source}")]
    SecretFile {
        path: String,
        source: std::io::Error,
    },
}

impl Config {
    /// The size of the read pool: as configured, or twice the cores the
    /// process may run on, which keeps each core busy while another read
    /// waits for the database.
    pub fn read_connections(&self) -> u32 {
        match self.db_read_connections {
            0 => {
                let cores = std::thread::available_parallelism().map_or(2, usize::from);
                u32::try_from(cores.saturating_mul(2)).unwrap_or(u32::MAX)
            }
            configured => configured,
        }
    }

    /// Defaults, then `Baton.toml`, then `DATABASE_URL`, then `BATON_*`.
    pub fn figment() -> Figment {
        Figment::from(Serialized::defaults(Config::default()))
            .merge(Toml::file("Baton.toml"))
            .merge(
                Env::raw()
                    .only(&["DATABASE_URL"])
                    .map(|_| "database_url".into()),
            )
            .merge(Env::prefixed("BATON_").filter(|key| read_from_env(key.as_str())))
    }

    /// Reads and checks the configuration.
    pub fn from_figment(figment: &Figment) -> Result<Config, ConfigError> {
        let config: Config = figment.extract().map_err(Box::new)?;
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        if !(1..=12).contains(&self.token_hours) {
            return Err(ConfigError::Invalid(
                "token_hours must be between 1 and 12".into(),
            ));
        }
        self.trusted_proxy_list()?;
        if let Some(url) = &self.public_url
            && !(url.starts_with("https://") || url.starts_with("http://"))
        {
            return Err(ConfigError::Invalid(
                "BATON_PUBLIC_URL must start with https:// or http://".into(),
            ));
        }
        if let Some(url) = &self.attachments_url
            && !(url.starts_with("s3://") || url.starts_with("file:///"))
        {
            return Err(ConfigError::Invalid(
                "BATON_ATTACHMENTS_URL must be s3://bucket/prefix or file:///absolute/path".into(),
            ));
        }
        if self.attachment_max_bytes == 0 {
            return Err(ConfigError::Invalid(
                "BATON_ATTACHMENT_MAX_BYTES must be at least 1".into(),
            ));
        }
        if let Some(secret) = &self.secret
            && secret.len() < 32
        {
            return Err(ConfigError::Invalid(
                "BATON_SECRET must be at least 32 characters".into(),
            ));
        }
        Ok(())
    }

    /// `trusted_proxies`, parsed.
    pub fn trusted_proxy_list(&self) -> Result<crate::client::TrustedProxies, ConfigError> {
        crate::client::TrustedProxies::parse(&self.trusted_proxies).map_err(|entry| {
            ConfigError::Invalid(format!(
                "BATON_TRUSTED_PROXIES: '{entry}' is neither an IP address nor a CIDR block"
            ))
        })
    }

    /// The embedded SQLite file, when the database is one.
    pub fn sqlite_path(&self) -> Option<PathBuf> {
        let rest = self
            .database_url
            .strip_prefix("sqlite://")
            .or_else(|| self.database_url.strip_prefix("sqlite:"))?;
        let path = rest.split('?').next().unwrap_or_default();
        (!path.is_empty() && path != ":memory:").then(|| PathBuf::from(path))
    }

    /// The JWT signing key: `BATON_SECRET`, or a random key generated on
    /// first start and kept beside the embedded database. There is never a
    /// fixed default; on PostgreSQL the secret must be configured, because
    /// several instances must share it.
    pub fn signing_key(&self) -> Result<Vec<u8>, ConfigError> {
        if let Some(secret) = &self.secret {
            return Ok(secret.as_bytes().to_vec());
        }
        let Some(db_path) = self.sqlite_path() else {
            return Err(ConfigError::Invalid(
                "BATON_SECRET must be set when the database is not an embedded SQLite file".into(),
            ));
        };
        let mut secret_path = db_path.into_os_string();
        secret_path.push(".secret");
        let secret_path = PathBuf::from(secret_path);
        let as_error = |source| ConfigError::SecretFile {
            path: secret_path.display().to_string(),
            source,
        };
        match std::fs::read_to_string(&secret_path) {
            Ok(existing) if existing.trim().len() >= 32 => Ok(existing.trim().as_bytes().to_vec()),
            Ok(_) => Err(ConfigError::Invalid(format!(
                "{} holds a key shorter than 32 characters",
                secret_path.display()
            ))),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                let key = random_hex(32);
                write_private(&secret_path, &key).map_err(as_error)?;
                Ok(key.into_bytes())
            }
            Err(error) => Err(as_error(error)),
        }
    }
}

/// A switch as an operator writes it: `true`/`false` in `Baton.toml`, and
/// `1`/`0`, `true`/`false`, `yes`/`no` or `on`/`off` in the environment
/// (which Figment reads `1` from as a number, not a boolean).
fn flag<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<bool, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Written {
        Bool(bool),
        Number(i64),
        Text(String),
    }
    match Written::deserialize(deserializer)? {
        Written::Bool(on) => Ok(on),
        Written::Number(1) => Ok(true),
        Written::Number(0) => Ok(false),
        Written::Text(text) => match text.trim().to_ascii_lowercase().as_str() {
            "1" | "true" | "yes" | "on" => Ok(true),
            "0" | "false" | "no" | "off" | "" => Ok(false),
            _ => Err(serde::de::Error::custom(format!(
                "'{text}' is not a switch: use 1 or 0"
            ))),
        },
        Written::Number(other) => Err(serde::de::Error::custom(format!(
            "{other} is not a switch: use 1 or 0"
        ))),
    }
}

/// The setting names: the members of [`Config`], from its serialised default
/// so that the list cannot drift from the struct.
fn setting_names() -> Vec<String> {
    match serde_json::to_value(Config::default()) {
        Ok(serde_json::Value::Object(members)) => members.keys().cloned().collect(),
        _ => Vec::new(),
    }
}

/// Whether the variable `BATON_<key>` (key lower-cased) is one to read.
fn read_from_env(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    if key == "port" && port_variable_is_a_url() {
        return false;
    }
    setting_names().contains(&key)
}

/// `BATON_PORT` as Kubernetes sets it for a Service named `baton`.
fn port_variable_is_a_url() -> bool {
    std::env::var("BATON_PORT").is_ok_and(|value| value.contains("://"))
}

/// Prefixes of `BATON_*` variables that other parts of Baton read (the
/// benchmarks, the test suites): not settings, and not worth a warning.
const OTHER_USES: &[&str] = &["BENCH_", "TEST_", "BROWSER_TESTS", "CRASH_TESTS"];

/// What the start should warn about in the environment: one line for the
/// `BATON_*` variables that are skipped, and one for a `BATON_PORT` that is
/// not a port. Emitted once, after logging is set up.
pub fn env_notices() -> Vec<String> {
    let names = setting_names();
    let mut unknown: Vec<String> = std::env::vars_os()
        .filter_map(|(name, _)| name.into_string().ok())
        .filter_map(|name| {
            let key = name.strip_prefix("BATON_")?.to_ascii_lowercase();
            let skipped = !names.contains(&key)
                && !OTHER_USES
                    .iter()
                    .any(|other| key.starts_with(&other.to_ascii_lowercase()));
            skipped.then_some(name)
        })
        .collect();
    unknown.sort();
    let mut notices = Vec::new();
    if !unknown.is_empty() {
        notices.push(format!(
            "ignoring environment variables that name no setting: {}",
            unknown.join(", ")
        ));
    }
    if port_variable_is_a_url() {
        notices.push(
            "ignoring BATON_PORT: it holds an address, not a port (Kubernetes sets it for a \
             Service named baton); the port comes from Baton.toml or the default"
                .into(),
        );
    }
    notices
}

/// `bytes` random bytes from the operating system, written as hex.
pub fn random_hex(bytes: usize) -> String {
    use rand::RngCore;
    let mut buffer = vec![0u8; bytes];
    // ThreadRng is a CSPRNG seeded from the operating system.
    rand::rng().fill_bytes(&mut buffer);
    buffer.iter().map(|byte| format!("{byte:02x}")).collect()
}

fn write_private(path: &std::path::Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(contents.as_bytes())?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allow_private(written: impl Serialize) -> Result<bool, ConfigError> {
        let figment = Figment::from(Serialized::defaults(Config::default()))
            .merge(("webhook_allow_private", written));
        Config::from_figment(&figment).map(|config| config.webhook_allow_private)
    }

    #[test]
    fn the_private_webhook_switch_reads_as_an_operator_writes_it() {
        assert!(!Config::default().webhook_allow_private);
        // The environment's `1` reaches the configuration as a number.
        assert!(allow_private(1).unwrap_or(false));
        assert!(!allow_private(0).unwrap_or(true));
        for on in ["1", "true", "yes", "on", "TRUE"] {
            assert!(allow_private(on).unwrap_or(false), "{on}");
        }
        for off in ["0", "false", "no", "off"] {
            assert!(!allow_private(off).unwrap_or(true), "{off}");
        }
        assert!(allow_private(true).unwrap_or(false));
        assert!(allow_private("maybe").is_err());
        assert!(allow_private(2).is_err());
    }

    #[test]
    fn the_read_pool_is_twice_the_cores_unless_configured() {
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        let default = Config::default().read_connections();
        assert_eq!(default as usize, 2 * cores);
        let configured = Config {
            db_read_connections: 3,
            ..Config::default()
        };
        assert_eq!(configured.read_connections(), 3);
    }
}
