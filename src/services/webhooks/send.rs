//! One call to a webhook: resolve its host, check every address it
//! resolved to (`address.rs`), and POST the signed body to exactly those
//! addresses, within a time limit.
//!
//! The client is made for the call with the checked addresses pinned to
//! the host (`resolve_to_addrs`), so nothing resolves the name again
//! between the check and the connection; it follows no redirect (a
//! redirect would lead to an address never checked) and uses no proxy.
//! What went wrong is said without the URL, which may carry a token in its
//! path (Slack's do).

use std::net::SocketAddr;
use std::time::Duration;

use reqwest::redirect::Policy;
use url::{Host, Url};

use super::address;
use crate::entities::ids::WebhookDeliveryId;

const USER_AGENT: &str = concat!("Baton-Webhooks/", env!("CARGO_PKG_VERSION"));

/// The most of a refusing receiver's answer kept in the log.
const SNIPPET_CHARS: usize = 200;

/// A signed call, ready to go.
pub struct Call {
    pub url: String,
    pub event: String,
    pub delivery_id: WebhookDeliveryId,
    pub body: String,
    /// The `Baton-Signature` header's value.
    pub signature: String,
}

/// How a call went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The receiver answered 2xx.
    Delivered { status: u16 },
    /// Worth another try: the receiver answered otherwise, or could not be
    /// reached.
    Failed { status: Option<u16>, reason: String },
    /// Not sent: the target is not one a webhook may reach. Trying again
    /// would meet the same rule, so it is not retried.
    Refused { reason: String },
}

/// Where calls may go, and how long one may take.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub allow_private: bool,
    pub timeout: Duration,
}

/// Makes `call`.
pub async fn send(call: Call, limits: Limits) -> Outcome {
    let url = match Url::parse(&call.url) {
        Ok(url) => url,
        Err(error) => {
            return Outcome::Refused {
                reason: format!("the URL does not parse: {error}"),
            };
        }
    };
    let addresses = match resolve(&url, limits.timeout).await {
        Ok(addresses) => addresses,
        Err(reason) => {
            return Outcome::Failed {
                status: None,
                reason,
            };
        }
    };
    if let Err(refused) = address::check(&addresses, limits.allow_private) {
        return Outcome::Refused { reason: refused.0 };
    }
    let mut client = reqwest::Client::builder()
        .no_proxy()
        .redirect(Policy::none())
        .timeout(limits.timeout)
        .user_agent(USER_AGENT);
    if let Some(Host::Domain(domain)) = url.host() {
        client = client.resolve_to_addrs(domain, &addresses);
    }
    let client = match client.build() {
        Ok(client) => client,
        Err(error) => {
            return Outcome::Failed {
                status: None,
                reason: format!("no HTTP client: {}", describe(error)),
            };
        }
    };
    let answer = client
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header("Baton-Event", call.event)
        .header("Baton-Delivery", call.delivery_id.to_string())
        .header("Baton-Signature", call.signature)
        .body(call.body)
        .send()
        .await;
    match answer {
        Ok(response) if response.status().is_success() => Outcome::Delivered {
            status: response.status().as_u16(),
        },
        Ok(response) => {
            let status = response.status();
            let redirect = if status.is_redirection() {
                " (redirects are not followed)"
            } else {
                ""
            };
            let snippet = snippet(response).await;
            Outcome::Failed {
                status: Some(status.as_u16()),
                reason: format!("answered {status}{redirect}{snippet}"),
            }
        }
        Err(error) if error.is_timeout() => Outcome::Failed {
            status: None,
            reason: format!("no answer within {} s", limits.timeout.as_secs()),
        },
        Err(error) => Outcome::Failed {
            status: None,
            reason: describe(error),
        },
    }
}

/// Every address the URL's host stands for, with the URL's port.
async fn resolve(url: &Url, timeout: Duration) -> Result<Vec<SocketAddr>, String> {
    let port = url
        .port_or_known_default()
        .ok_or_else(|| "the URL names no port".to_owned())?;
    let name = match url.host() {
        Some(Host::Ipv4(ip)) => return Ok(vec![SocketAddr::new(ip.into(), port)]),
        Some(Host::Ipv6(ip)) => return Ok(vec![SocketAddr::new(ip.into(), port)]),
        Some(Host::Domain(name)) => name,
        None => return Err("the URL names no host".into()),
    };
    let found = tokio::time::timeout(timeout, tokio::net::lookup_host((name, port)))
        .await
        .map_err(|_| format!("{name} did not resolve within {} s", timeout.as_secs()))?
        .map_err(|error| format!("{name} does not resolve: {error}"))?;
    let mut addresses: Vec<SocketAddr> = found.collect();
    addresses.sort();
    addresses.dedup();
    if addresses.is_empty() {
        return Err(format!("{name} resolves to no address"));
    }
    Ok(addresses)
}

/// The start of a refusing receiver's answer: `": <text>"`, or nothing.
async fn snippet(mut response: reqwest::Response) -> String {
    let mut bytes = Vec::new();
    while bytes.len() < SNIPPET_CHARS * 4 {
        match response.chunk().await {
            Ok(Some(chunk)) => bytes.extend_from_slice(&chunk),
            _ => break,
        }
    }
    let text: String = String::from_utf8_lossy(&bytes)
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(SNIPPET_CHARS)
        .collect();
    let text = text.trim();
    if text.is_empty() {
        String::new()
    } else {
        format!(": {text}")
    }
}

/// An error and its causes, without the URL.
fn describe(error: reqwest::Error) -> String {
    let error = error.without_url();
    let mut words = vec![error.to_string()];
    let mut cause = std::error::Error::source(&error);
    while let Some(inner) = cause {
        let text = inner.to_string();
        if !words.contains(&text) {
            words.push(text);
        }
        cause = inner.source();
    }
    words.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(url: &str) -> Call {
        Call {
            url: url.into(),
            event: "ping".into(),
            delivery_id: WebhookDeliveryId(1),
            body: "{}".into(),
            signature: "t=0,v1=00".into(),
        }
    }

    const STRICT: Limits = Limits {
        allow_private: false,
        timeout: Duration::from_secs(2),
    };

    #[tokio::test]
    async fn literal_internal_addresses_are_refused_before_any_connection() {
        for url in [
            "http://127.0.0.1:9/",
            "http://[::1]:9/",
            "http://[::ffff:127.0.0.1]:9/",
            "http://0x7f000001:9/",
            "http://2130706433:9/",
            "http://169.254.169.254/latest/meta-data/",
            "http://10.0.0.1/",
            "http://0.0.0.0:9/",
        ] {
            let outcome = send(call(url), STRICT).await;
            assert!(
                matches!(&outcome, Outcome::Refused { reason } if reason.starts_with("refused: ")),
                "{url}: {outcome:?}"
            );
        }
    }

    #[tokio::test]
    async fn a_name_resolving_to_loopback_is_refused_after_resolution() {
        let outcome = send(call("http://localhost:9/hook"), STRICT).await;
        assert!(
            matches!(&outcome, Outcome::Refused { reason } if reason.contains("loopback")),
            "{outcome:?}"
        );
    }

    #[tokio::test]
    async fn an_unreachable_receiver_is_a_failure_worth_retrying_without_the_url() {
        // Nothing listens on the discard port of the loopback here.
        let allowed = Limits {
            allow_private: true,
            ..STRICT
        };
        let outcome = send(call("http://127.0.0.1:9/secret-token"), allowed).await;
        match outcome {
            Outcome::Failed {
                status: None,
                reason,
            } => assert!(!reason.contains("secret-token"), "{reason}"),
            other => panic!("{other:?}"),
        }
    }
}
