//! The way out for mail: an SMTP transport opened once from
//! `BATON_SMTP_URL` and `BATON_MAIL_FROM`.
//!
//! - `smtp://user:pass@host:587`: STARTTLS whenever the server offers it
//!   (lettre's opportunistic mode), then the credentials;
//! - `smtps://user:pass@host:465`: TLS from the first byte;
//! - `smtp://host:25`: a local relay, plain.
//!
//! The URL holds a password, so it is never logged, never part of an error
//! and never shown: what is said about the transport is [`Mailer::description`],
//! which names only the scheme, host and port.
//!
//! Each mail opens its own connection (lettre's pool is left out): the pool
//! needs a running async runtime when the transport is built, and opening
//! the transport at start, before the runtime, must not depend on that.

use std::time::Duration;

use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::config::{Config, ConfigError};

/// How long one conversation with the SMTP server may take.
const TIMEOUT: Duration = Duration::from_secs(20);

pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    pub from: Mailbox,
    /// Where mail goes, without credentials.
    pub description: String,
}

impl Mailer {
    /// The transport `config` names; `None` when mail is off.
    pub fn from_config(config: &Config) -> Result<Option<Mailer>, ConfigError> {
        // Empty (as a compose file passes an unset variable): no mail.
        let Some(raw) = config
            .smtp_url
            .as_deref()
            .filter(|url| !url.trim().is_empty())
        else {
            return Ok(None);
        };
        let invalid = |why: &str| {
            ConfigError::Invalid(format!(
                "BATON_SMTP_URL {why} (smtp://user:pass@host:587, smtps://user:pass@host:465 \
                 or smtp://host:25)"
            ))
        };
        let url = url::Url::parse(raw).map_err(|_| invalid("is not a URL"))?;
        let host = url
            .host_str()
            .filter(|host| !host.is_empty())
            .ok_or_else(|| invalid("names no host"))?
            .to_owned();
        let (default_port, wrapped) = match url.scheme() {
            "smtp" => (587, false),
            "smtps" => (465, true),
            _ => return Err(invalid("must start with smtp:// or smtps://")),
        };
        let port = url.port().unwrap_or(default_port);
        let tls =
            TlsParameters::new(host.clone()).map_err(|_| invalid("has a host TLS cannot use"))?;
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host.clone())
            .port(port)
            .timeout(Some(TIMEOUT))
            .tls(if wrapped {
                Tls::Wrapper(tls)
            } else {
                Tls::Opportunistic(tls)
            });
        if !url.username().is_empty() {
            let decode = |text: &str| {
                percent_encoding::percent_decode_str(text)
                    .decode_utf8()
                    .map(|text| text.into_owned())
                    .map_err(|_| invalid("has credentials that are not UTF-8"))
            };
            builder = builder.credentials(Credentials::new(
                decode(url.username())?,
                decode(url.password().unwrap_or_default())?,
            ));
        }
        let from: Mailbox = config.mail_from.parse().map_err(|_| {
            ConfigError::Invalid(
                "BATON_MAIL_FROM must be an address, e.g. Baton <baton@example.org>".into(),
            )
        })?;
        Ok(Some(Mailer {
            transport: builder.build(),
            from,
            description: format!("{}://{host}:{port}", url.scheme()),
        }))
    }

    /// Hands `message` to the SMTP server; the error says why it refused or
    /// could not be reached.
    pub async fn send(&self, message: Message) -> Result<(), String> {
        self.transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(|error| error.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_url(url: &str) -> Result<Option<Mailer>, ConfigError> {
        Mailer::from_config(&Config {
            smtp_url: Some(url.into()),
            ..Config::default()
        })
    }

    #[test]
    fn no_url_or_an_empty_one_means_no_mail() {
        assert!(Mailer::from_config(&Config::default()).unwrap().is_none());
        assert!(with_url("").unwrap().is_none());
    }

    #[test]
    fn the_description_names_the_server_but_never_the_credentials() {
        let mailer = with_url("smtp://mailer%40acme:s3cr%C3%A9t@mail.acme.test:2525")
            .unwrap()
            .unwrap();
        assert_eq!(mailer.description, "smtp://mail.acme.test:2525");
        let tls = with_url("smtps://u:hunter2@mail.acme.test")
            .unwrap()
            .unwrap();
        assert_eq!(tls.description, "smtps://mail.acme.test:465");
    }

    #[test]
    fn a_bad_url_is_refused_without_repeating_it() {
        for url in [
            "http://u:hunter2@mail.acme.test",
            "smtp://",
            "not a url hunter2",
        ] {
            let error = with_url(url).err().expect("refused").to_string();
            assert!(error.contains("BATON_SMTP_URL"), "{error}");
            assert!(!error.contains("hunter2"), "{error}");
        }
    }

    #[test]
    fn a_bad_sender_is_refused() {
        let error = Mailer::from_config(&Config {
            smtp_url: Some("smtp://127.0.0.1:25".into()),
            mail_from: "not an address".into(),
            ..Config::default()
        })
        .err()
        .expect("refused");
        assert!(error.to_string().contains("BATON_MAIL_FROM"));
    }
}
