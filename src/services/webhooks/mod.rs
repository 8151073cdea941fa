//! Webhooks: other systems told of every notice, by signed HTTP calls that
//! any number of instances send, each once.
//!
//! - **Events are notices.** Whatever makes a notice (a late forecast, a
//!   request overdue, a promise endangered, …) queues one delivery per
//!   active webhook of the organisation that wants that kind
//!   ([`enqueue()`], called by `services::notifications`), in the same
//!   transaction: the change and its calls commit or vanish together. A
//!   notice kind added to Baton reaches the webhooks that want every kind
//!   (`*`) at once.
//! - **The outbox is the delivery log** (`webhook_deliveries`, see the
//!   migration); [`dispatch`] claims each due delivery once across
//!   instances, calls the receiver, and retries with backoff for 24 hours.
//! - **Every call is signed** ([`sign`]): `Baton-Signature: t=…,v1=…`,
//!   with `Baton-Event` and `Baton-Delivery` (the delivery's id, the same
//!   on every retry and on a redelivery, for the receiver to drop what it
//!   already has). The body is JSON or Slack-compatible ([`render`]).
//! - **Internal addresses are refused** after resolution, on every call,
//!   and the call goes to the addresses checked ([`address`], [`send`]).
//! - Admins set webhooks up ([`admin`]), read the log and send a delivery
//!   again ([`deliveries`]), and ping a webhook to test it.

pub mod address;
pub mod admin;
pub mod deliveries;
pub mod dispatch;
pub mod enqueue;
pub mod kinds;
pub mod render;
pub mod send;
pub mod sign;

use std::time::Duration;

pub use dispatch::{Dispatched, backoff, dispatch_due};
pub use enqueue::{Notice, RETRY_FOR, enqueue};

/// How long one call may take, connection and answer included.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(10);

/// What the dispatcher needs from the configuration.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `BATON_PUBLIC_URL` without a trailing slash: the base of links.
    pub public_url: String,
    /// `BATON_WEBHOOK_ALLOW_PRIVATE`: internal receivers allowed.
    pub allow_private: bool,
    pub timeout: Duration,
}

impl Settings {
    pub fn new(public_url: &str, allow_private: bool) -> Settings {
        Settings {
            public_url: public_url.trim_end_matches('/').to_owned(),
            allow_private,
            timeout: CALL_TIMEOUT,
        }
    }

    fn limits(&self) -> send::Limits {
        send::Limits {
            allow_private: self.allow_private,
            timeout: self.timeout,
        }
    }
}
