//! Where attachments' bytes are kept: an object store (S3 or any
//! S3-compatible store, or a local folder), opened once at start from
//! `BATON_ATTACHMENTS_URL` and shared by every handler, so that several
//! instances pointed at one store serve each other's files.

use std::path::PathBuf;
use std::sync::Arc;

use object_store::ObjectStore;
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::prefix::PrefixStore;

use crate::config::{Config, ConfigError};

/// An opened store and where it is, said without credentials.
pub struct FileStore {
    pub store: Arc<dyn ObjectStore>,
    pub description: String,
}

/// Opens the store `config` names (creating a local folder when needed).
pub fn open(config: &Config) -> Result<FileStore, ConfigError> {
    match config.attachments_url.as_deref() {
        Some(url) if url.starts_with("s3://") => s3(url),
        Some(url) => match url.strip_prefix("file://") {
            Some(path) if path.starts_with('/') => folder(PathBuf::from(path)),
            _ => Err(ConfigError::Invalid(
                "BATON_ATTACHMENTS_URL must be s3://bucket/prefix or file:///absolute/path".into(),
            )),
        },
        None => folder(default_folder(config)),
    }
}

/// `attachments` beside the SQLite file, or in the working directory.
pub fn default_folder(config: &Config) -> PathBuf {
    config
        .sqlite_path()
        .and_then(|db| db.parent().map(|parent| parent.join("attachments")))
        .unwrap_or_else(|| PathBuf::from("attachments"))
}

fn folder(path: PathBuf) -> Result<FileStore, ConfigError> {
    let invalid = |error: &dyn std::fmt::Display| {
        ConfigError::Invalid(format!("attachments folder {}: {error}", path.display()))
    };
    std::fs::create_dir_all(&path).map_err(|error| invalid(&error))?;
    let store = LocalFileSystem::new_with_prefix(&path).map_err(|error| invalid(&error))?;
    let shown = std::fs::canonicalize(&path).unwrap_or(path);
    Ok(FileStore {
        store: Arc::new(store),
        description: format!("the folder {}", shown.display()),
    })
}

fn s3(url: &str) -> Result<FileStore, ConfigError> {
    let rest = url.trim_start_matches("s3://");
    let (authority, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    // Credentials never come from the URL (the AWS_* variables carry them),
    // and are never shown.
    let bucket = authority.rsplit('@').next().unwrap_or_default();
    let prefix = prefix.trim_matches('/');
    if bucket.is_empty() {
        return Err(ConfigError::Invalid(
            "BATON_ATTACHMENTS_URL: s3:// needs a bucket, as in s3://bucket/prefix".into(),
        ));
    }
    let store = AmazonS3Builder::from_env()
        .with_url(format!("s3://{bucket}"))
        .build()
        .map_err(|error| ConfigError::Invalid(format!("BATON_ATTACHMENTS_URL: {error}")))?;
    let endpoint = ["AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL", "AWS_ENDPOINT"]
        .into_iter()
        .find_map(|name| std::env::var(name).ok())
        .map(|endpoint| format!(" at {}", without_userinfo(&endpoint)))
        .unwrap_or_default();
    let description = format!("the S3 bucket {bucket}, prefix \"{prefix}\"{endpoint}");
    let store: Arc<dyn ObjectStore> = if prefix.is_empty() {
        Arc::new(store)
    } else {
        Arc::new(PrefixStore::new(store, prefix))
    };
    Ok(FileStore { store, description })
}

/// A URL without any `user:password@`.
fn without_userinfo(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    let host = authority.rsplit('@').next().unwrap_or_default();
    if path.is_empty() {
        format!("{scheme}://{host}")
    } else {
        format!("{scheme}://{host}/{path}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_in_an_endpoint_are_never_shown() {
        assert_eq!(
            without_userinfo("http://key:secret@minio:9000"),
            "http://minio:9000"
        );
        assert_eq!(
            without_userinfo("https://s3.example.org/x"),
            "https://s3.example.org/x"
        );
    }

    #[test]
    fn the_default_folder_is_beside_the_sqlite_file() {
        let config = Config {
            database_url: "sqlite:///var/lib/baton/baton.db?mode=rwc".into(),
            ..Config::default()
        };
        assert_eq!(
            default_folder(&config),
            PathBuf::from("/var/lib/baton/attachments")
        );
        let config = Config {
            database_url: "postgres://baton@db/baton".into(),
            ..Config::default()
        };
        assert_eq!(default_folder(&config), PathBuf::from("attachments"));
    }
}
