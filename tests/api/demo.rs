//! The demonstration organisation of `baton --demo`, seen as a newcomer
//! sees it: the real binary, started with `--demo` on a fresh SQLite file,
//! prints logins that work; logged in as the printed admin, the API shows
//! many departments in several time zones, agreements both ways, months of
//! delivered work, commitments on track, at risk and late, and reviews held
//! and scheduled with action items. Started again on the same file, it
//! loads nothing and changes nothing.
//!
//! The loader lives in the binary, not the library, so the test drives it
//! the way an operator does: a process, its standard output and HTTP.

use std::collections::{BTreeMap, HashSet};

use serde_json::{Value, json};

use crate::common::server::{Server, scratch_dir};

/// The admin and the password the operations guide gives for the demo
/// (and `.ci/run` logs in with); the banner must print them.
const DEMO_ADMIN_EMAIL: &str = "admin@demo.baton.test";
const DEMO_PASSWORD: &str = "baton-demo-2026";

/// The last line of the banner: once it is out, all of the banner is.
const BANNER_END: &str = "password for every demo login";

/// One login the banner prints: "    <role>  <email>  <name>".
#[derive(Debug, Clone, PartialEq, Eq)]
struct Login {
    role: String,
    email: String,
    name: String,
}

/// What a start with `--demo` printed about the demo.
#[derive(Debug)]
struct Banner {
    text: String,
    /// Loaded by this start (else found already there).
    created: bool,
    /// No earlier load was found interrupted half-way.
    complete: bool,
    logins: Vec<Login>,
}

/// The demo block of the server's output.
fn banner(server: &Server) -> Banner {
    let output = server.output_with(BANNER_END);
    let text: String = output
        .lines()
        .skip_while(|line| !line.starts_with("Demo organisation"))
        .take_while(|line| !line.contains("Baton listening on"))
        .map(|line| format!("{line}\n"))
        .collect();
    assert!(text.contains(BANNER_END), "no demo banner in:\n{output}");
    let first = text.lines().next().unwrap_or_default();
    let logins = text
        .lines()
        .filter(|line| line.starts_with("    "))
        .filter_map(|line| {
            let words: Vec<&str> = line.split_whitespace().collect();
            let at = words.iter().position(|word| word.contains('@'))?;
            Some(Login {
                role: words[..at].join(" "),
                email: words[at].to_owned(),
                name: words[at + 1..].join(" "),
            })
        })
        .collect();
    Banner {
        created: first.contains("(loaded in "),
        complete: !text.contains("an earlier load was interrupted"),
        logins,
        text,
    }
}

fn login(server: &Server, email: &str) -> (u16, Value) {
    server
        .post(
            "/api/v1/auth/login",
            None,
            &json!({"email": email, "password": DEMO_PASSWORD}),
        )
        .expect("login answers")
}

fn get(server: &Server, token: &str, path: &str) -> (u16, Value) {
    server
        .get(path, Some(token))
        .unwrap_or_else(|error| panic!("{path}: {error}"))
}

/// Every item of a paginated list.
fn all(server: &Server, token: &str, path: &str) -> Vec<Value> {
    let mut items = Vec::new();
    let separator = if path.contains('?') { '&' } else { '?' };
    let mut cursor: Option<String> = None;
    loop {
        let page = match &cursor {
            Some(cursor) => format!("{path}{separator}limit=200&cursor={cursor}"),
            None => format!("{path}{separator}limit=200"),
        };
        let (status, body) = get(server, token, &page);
        assert_eq!(status, 200, "{page}: {body}");
        items.extend(body["items"].as_array().cloned().unwrap_or_default());
        match body["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return items,
        }
    }
}

/// How many of each thing the organisation has, as the admin sees it.
fn census(server: &Server, token: &str) -> BTreeMap<&'static str, usize> {
    let mut counts = BTreeMap::new();
    for (name, path) in [
        ("users", "/api/v1/users"),
        ("departments", "/api/v1/departments"),
        ("calendars", "/api/v1/calendars"),
        ("agreements", "/api/v1/agreements"),
        ("requests", "/api/v1/requests"),
        ("commitments", "/api/v1/commitments"),
        ("reviews", "/api/v1/reviews"),
    ] {
        counts.insert(name, all(server, token, path).len());
    }
    counts
}

fn admin_token(server: &Server) -> String {
    let (status, body) = login(server, DEMO_ADMIN_EMAIL);
    assert_eq!(status, 200, "admin login: {body}");
    body["token"].as_str().expect("token").to_owned()
}

#[test]
fn the_demo_is_a_living_organisation_and_loads_only_once() {
    // Arrange: a database nothing has touched; the overdue sweep is off so
    // that nothing but the loader writes.
    let dir = scratch_dir("demo");
    let url = format!("sqlite://{}/demo.db?mode=rwc", dir.display());
    let quiet = [("BATON_OVERDUE_SWEEP_SECONDS", "0")];

    // Act: `baton --demo` loads the demo before serving.
    let server = Server::start_demo(&url, &dir, &quiet);
    let loaded = banner(&server);

    // Assert: the printed logins work.
    assert!(loaded.created, "{}", loaded.text);
    assert!(loaded.complete, "{}", loaded.text);
    assert!(loaded.text.contains(DEMO_PASSWORD), "{}", loaded.text);
    assert!(loaded.text.contains(DEMO_ADMIN_EMAIL), "{}", loaded.text);
    for role in ["admin", "leader", "lead", "staff"] {
        assert!(
            loaded
                .logins
                .iter()
                .any(|login| login.role.starts_with(role)),
            "no {role} login in {}",
            loaded.text
        );
    }
    for printed in &loaded.logins {
        assert!(loaded.text.contains(&printed.email), "{}", loaded.text);
        let (status, body) = login(&server, &printed.email);
        assert_eq!(status, 200, "{}: {body}", printed.email);
    }
    let token = admin_token(&server);

    let departments = all(&server, &token, "/api/v1/departments");
    assert!(departments.len() >= 8, "{} departments", departments.len());
    assert!(
        departments.iter().all(|d| d["lead_user_id"].is_i64()),
        "every department has a lead: {departments:?}"
    );

    let calendars = all(&server, &token, "/api/v1/calendars");
    let zones: HashSet<&str> = calendars
        .iter()
        .filter_map(|c| c["timezone"].as_str())
        .collect();
    assert!(calendars.len() >= 4, "{} calendars", calendars.len());
    assert!(zones.len() >= 4, "zones: {zones:?}");

    let agreements = all(&server, &token, "/api/v1/agreements?status=active");
    let pairs: HashSet<(i64, i64)> = agreements
        .iter()
        .map(|a| {
            (
                a["provider_department_id"].as_i64().expect("provider"),
                a["customer_department_id"].as_i64().expect("customer"),
            )
        })
        .collect();
    assert!(
        agreements.len() >= 12,
        "{} active agreements",
        agreements.len()
    );
    assert!(
        pairs.iter().any(|&(p, c)| pairs.contains(&(c, p))),
        "no pair of departments serves each other both ways: {pairs:?}"
    );
    let negotiating = all(&server, &token, "/api/v1/agreements?status=proposed");
    assert!(!negotiating.is_empty(), "no agreement awaits acceptance");

    let delivered = all(&server, &token, "/api/v1/requests?status=delivered").len()
        + all(&server, &token, "/api/v1/requests?status=accepted").len();
    assert!(delivered >= 100, "{delivered} delivered requests");
    let overdue = all(&server, &token, "/api/v1/requests?overdue=true");
    assert!(!overdue.is_empty(), "nothing is overdue now");
    let waiting = all(
        &server,
        &token,
        "/api/v1/requests?status=waiting_on_customer",
    );
    assert!(!waiting.is_empty(), "nothing waits on a customer now");
    let requests = all(&server, &token, "/api/v1/requests");
    assert!(
        requests
            .iter()
            .any(|r| !r["depends_on"].as_array().is_none_or(Vec::is_empty)),
        "no request depends on another"
    );

    for risk in ["on_track", "at_risk", "late"] {
        let commitments = all(&server, &token, &format!("/api/v1/commitments?risk={risk}"));
        assert!(!commitments.is_empty(), "no commitment is {risk}");
    }
    let fulfilled = all(&server, &token, "/api/v1/commitments?status=fulfilled");
    assert!(!fulfilled.is_empty(), "no commitment was ever fulfilled");

    let held = all(&server, &token, "/api/v1/reviews?status=held");
    let scheduled = all(&server, &token, "/api/v1/reviews?status=scheduled");
    assert!(!held.is_empty(), "no review was held");
    assert!(!scheduled.is_empty(), "no review is scheduled");
    let mut statuses = HashSet::new();
    for review in &held {
        let id = review["id"].as_i64().expect("review id");
        let (status, actions) = get(&server, &token, &format!("/api/v1/reviews/{id}/actions"));
        assert_eq!(status, 200, "{actions}");
        let items = actions.as_array().cloned().unwrap_or_default();
        statuses.extend(
            items
                .iter()
                .filter_map(|a| a["status"].as_str().map(str::to_owned)),
        );
    }
    assert!(
        statuses.contains("open") && statuses.contains("done"),
        "action items: {statuses:?}"
    );

    // The customers' voice: months of pulse checks, answered and answered
    // back, one open now; thanks and deliveries at every level of service.
    let pulses = all(&server, &token, "/api/v1/pulses");
    assert!(pulses.len() >= 20, "only {} pulses", pulses.len());
    assert!(pulses.iter().any(|p| p["open"] == true), "none open now");
    assert!(
        pulses.iter().any(|p| p["response"].is_string()),
        "none answered back"
    );
    assert!(
        pulses
            .iter()
            .any(|p| p["answers"].as_array().is_some_and(|a| a.len() >= 2)),
        "no pulse with answers"
    );
    let levels: HashSet<String> = all(&server, &token, "/api/v1/requests?status=accepted")
        .iter()
        .chain(all(&server, &token, "/api/v1/requests?status=delivered").iter())
        .filter_map(|r| r["service_level"].as_str().map(str::to_owned))
        .collect();
    for level in ["missed", "satisfied", "exceeded", "delighted", "amazed"] {
        assert!(levels.contains(level), "no {level} delivery in {levels:?}");
    }
    let calls: u64 = all(&server, &token, "/api/v1/departments")
        .iter()
        .map(|department| {
            let (status, plan) = get(
                &server,
                &token,
                &format!("/api/v1/departments/{}/contact-plan", department["id"]),
            );
            assert_eq!(status, 200, "{plan}");
            plan["contacted"].as_u64().unwrap_or_default()
        })
        .sum();
    assert!(calls >= 20, "only {calls} daily calls in the last 30 days");

    // Act again: a second start on the same file finds the demo and only
    // prints the logins.
    let before = census(&server, &token);
    drop(server);
    let server = Server::start_demo(&url, &dir, &quiet);
    let again = banner(&server);

    // Assert
    assert!(!again.created && again.complete, "{}", again.text);
    assert_eq!(again.logins, loaded.logins);
    assert_eq!(census(&server, &token), before);
}
