//! Headers for browsers, on every answer (a fairing, so that no page or
//! route can forget them):
//!
//! - `Content-Security-Policy`: scripts and everything else from Baton
//!   itself only, no inline script (the pages have none; the API docs page
//!   loads its start-up script as a file), no plugins, no framing, forms post
//!   to Baton only. Inline styles stay allowed: the pages and the SVG charts
//!   use `style` attributes, and a style cannot run code.
//! - `Referrer-Policy: same-origin`: links out of Baton do not carry its
//!   paths (ids, calendar-feed tokens) to other sites.
//! - `Cache-Control: no-store` when the request carried credentials (the
//!   session cookie or a bearer token) and the handler set no caching of its
//!   own: what a signed-in person saw must not stay in a shared cache or on a
//!   shared computer's disk.
//! - `Strict-Transport-Security` when `BATON_PUBLIC_URL` is https: Baton
//!   itself speaks plain HTTP behind a TLS-terminating proxy, so it learns
//!   that browsers reach it over TLS only from the configured public URL.
//!
//! Rocket's default Shield still adds `X-Content-Type-Options: nosniff` and
//! `X-Frame-Options`.

use rocket::fairing::{Fairing, Info, Kind};
use rocket::http::Header;
use rocket::{Request, Response};

use crate::http::SESSION_COOKIE;

pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; \
     connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
     frame-ancestors 'none'";

/// A year, the usual HSTS lifetime; not `includeSubDomains`, which would
/// bind hosts Baton knows nothing about.
const STRICT_TRANSPORT_SECURITY: &str = "max-age=31536000";

pub struct BrowserHeaders {
    hsts: bool,
}

impl BrowserHeaders {
    /// HSTS only when the public URL is https.
    pub fn for_public_url(public_url: Option<&str>) -> Self {
        BrowserHeaders {
            hsts: public_url.is_some_and(|url| url.to_ascii_lowercase().starts_with("https://")),
        }
    }
}

#[rocket::async_trait]
impl Fairing for BrowserHeaders {
    fn info(&self) -> Info {
        Info {
            name: "browser headers",
            kind: Kind::Response,
        }
    }

    async fn on_response<'r>(&self, request: &'r Request<'_>, response: &mut Response<'r>) {
        response.set_header(Header::new(
            "Content-Security-Policy",
            CONTENT_SECURITY_POLICY,
        ));
        response.set_header(Header::new("Referrer-Policy", "same-origin"));
        let signed_in = request.cookies().get(SESSION_COOKIE).is_some()
            || request.headers().contains("Authorization");
        if signed_in && !response.headers().contains("Cache-Control") {
            response.set_header(Header::new("Cache-Control", "no-store"));
        }
        if self.hsts {
            response.set_header(Header::new(
                "Strict-Transport-Security",
                STRICT_TRANSPORT_SECURITY,
            ));
        }
    }
}
