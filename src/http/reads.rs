//! Reads take their connections from a pool of their own.
//!
//! A read (a GET of a page or of the API) is nearly all processor time:
//! building statements, decoding rows, rendering. Where Baton and
//! PostgreSQL share a few cores, a read's statements spread over many
//! connections keep as many PostgreSQL backends running at once, and those
//! take the cores from Baton's own threads, so every read finishes late.
//! Writes are the other way round: their time goes in waiting for commits,
//! and they need connections enough to wait side by side. So reads draw
//! from a small pool (`BATON_DB_READ_CONNECTIONS`, by default twice the
//! cores) and everything else from the main one (`db::read_pool`).
//!
//! Which pool a handler's statements use is decided here, once, and not in
//! each of the hundred handlers: the GET routes of the pages and the API
//! are marked, and while a marked handler runs (its guards, its reads, its
//! rendering) [`AppState::db`](crate::state::AppState::db) is the read pool
//! ([`db::as_read`]), and its statements share one connection of it (see
//! `db::Pool`). Work a handler spawns onto another task, like every
//! background round, uses the main pool. The health check and the metrics
//! are not marked.

use rocket::http::Method;
use rocket::route::{Handler, Outcome};
use rocket::{Data, Request, Route};

use crate::db;

/// `routes`, with every GET route marked as a read.
pub fn mark(routes: Vec<Route>) -> Vec<Route> {
    routes
        .into_iter()
        .map(|mut route| {
            if route.method == Method::Get {
                route.handler = Box::new(Read(route.handler));
            }
            route
        })
        .collect()
}

#[derive(Clone)]
struct Read(Box<dyn Handler>);

#[rocket::async_trait]
impl Handler for Read {
    async fn handle<'r>(&self, request: &'r Request<'_>, data: Data<'r>) -> Outcome<'r> {
        db::as_read(self.0.handle(request, data)).await
    }
}

#[cfg(test)]
mod tests {
    use rocket::local::asynchronous::Client;
    use rocket::{get, post, routes};

    use super::mark;
    use crate::db::reading;

    #[get("/")]
    async fn read() -> String {
        // Across an await, as a handler's statements are.
        tokio::task::yield_now().await;
        reading().to_string()
    }

    #[post("/")]
    async fn write() -> String {
        tokio::task::yield_now().await;
        reading().to_string()
    }

    #[rocket::async_test]
    async fn a_get_route_runs_as_a_read_and_a_post_route_does_not() {
        let rocket = rocket::build().mount("/", mark(routes![read, write]));
        let client = Client::untracked(rocket)
            .await
            .expect("the test server starts");
        let read = client.get("/").dispatch().await.into_string().await;
        assert_eq!(read.as_deref(), Some("true"));
        let write = client.post("/").dispatch().await.into_string().await;
        assert_eq!(write.as_deref(), Some("false"));
        assert!(!reading(), "outside a handler nothing is a read");
    }

    #[rocket::async_test]
    async fn an_unmarked_get_route_is_not_a_read() {
        let rocket = rocket::build().mount("/", routes![read]);
        let client = Client::untracked(rocket)
            .await
            .expect("the test server starts");
        let body = client.get("/").dispatch().await.into_string().await;
        assert_eq!(body.as_deref(), Some("false"));
    }
}
