//! A killed server loses no acknowledged write: the real `baton` process
//! takes requests from eight writers at once, is killed with SIGKILL in the
//! middle, restarts on the same database, and every request it answered 2xx
//! for is there with its events. On SQLite always, on PostgreSQL too when
//! `BATON_TEST_POSTGRES_URL` is set; and a mail owed by a change that
//! committed before the kill goes, once, after the restart. Prints the
//! figures.

use crate::common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::common::server::{Server, scratch_dir};
use crate::common::smtp::SmtpSink;
use serde_json::{Value, json};

const WRITERS: usize = 8;

/// What the killed server acknowledged: each logged request, and whether
/// its start was acknowledged too.
#[derive(Default)]
struct Acknowledged {
    requests: Vec<(i64, bool)>,
}

#[test]
fn every_write_acknowledged_before_a_sigkill_is_there_after_the_restart_on_sqlite() {
    let dir = scratch_dir("crash-sqlite");
    let url = format!("sqlite://{}/baton.db?mode=rwc", dir.display());
    crash_and_count("sqlite", &url, &dir);
}

#[test]
fn every_write_acknowledged_before_a_sigkill_is_there_after_the_restart_on_postgresql() {
    if std::env::var("BATON_TEST_POSTGRES_URL").map_or(true, |url| url.is_empty()) {
        return;
    }
    let dir = scratch_dir("crash-postgres");
    let url = rocket::execute(common::fresh_database());
    crash_and_count("postgresql", &url, &dir);
}

fn crash_and_count(backend: &str, url: &str, dir: &std::path::Path) {
    // The organisation, its people and an agreement, made in-process.
    let (sales, legal, agreement) = rocket::execute(async {
        let app = common::spawn_app_on(url.to_owned(), |config| config).await;
        let pair = app.pair().await;
        let agreement = app.active_agreement(&pair, 8.0, "business_hours").await;
        (pair.sales_staff.token, pair.legal_staff.token, agreement)
    });

    let mut server = Server::start(url, dir, &[("BATON_OVERDUE_SWEEP_SECONDS", "0")]);
    let port = server.port;
    let acknowledged = Arc::new(Mutex::new(Acknowledged::default()));
    let killed = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..WRITERS)
        .map(|writer| {
            let (sales, legal) = (sales.clone(), legal.clone());
            let (acknowledged, killed) = (acknowledged.clone(), killed.clone());
            std::thread::spawn(move || {
                let mut n = 0;
                while !killed.load(Ordering::SeqCst) {
                    n += 1;
                    let body = json!({"agreement_id": agreement, "title": format!("w{writer} #{n}"),
                                      "details": ""});
                    let Ok((201, created)) = common::server::http(
                        port,
                        "POST",
                        "/api/v1/requests",
                        Some(&sales),
                        Some(&body),
                    ) else {
                        continue;
                    };
                    let Some(id) = created["id"].as_i64() else {
                        continue;
                    };
                    let index = {
                        let mut all = acknowledged.lock().expect("acknowledged");
                        all.requests.push((id, false));
                        all.requests.len() - 1
                    };
                    let started = common::server::http(
                        port,
                        "POST",
                        &format!("/api/v1/requests/{id}/start"),
                        Some(&legal),
                        None,
                    );
                    if matches!(started, Ok((200, _))) {
                        acknowledged.lock().expect("acknowledged").requests[index].1 = true;
                    }
                }
            })
        })
        .collect();
    // Long enough for a few hundred writes, with writes in flight at the kill.
    std::thread::sleep(Duration::from_millis(2500));
    server.kill();
    killed.store(true, Ordering::SeqCst);
    for writer in writers {
        writer.join().expect("writer thread");
    }

    let server = Server::start(url, dir, &[("BATON_OVERDUE_SWEEP_SECONDS", "0")]);
    let acknowledged = std::mem::take(&mut acknowledged.lock().expect("acknowledged").requests);
    let starts = acknowledged.iter().filter(|(_, started)| *started).count();
    let mut lost = Vec::new();
    for (id, started) in &acknowledged {
        let (status, events) = server
            .get(&format!("/api/v1/requests/{id}/events"), Some(&sales))
            .expect("events answer");
        let kinds: Vec<&str> = match (status, &events) {
            (200, Value::Array(events)) => events
                .iter()
                .filter_map(|event| event["kind"].as_str())
                .collect(),
            _ => Vec::new(),
        };
        let complete = kinds.contains(&"logged") && (!started || kinds.contains(&"started"));
        if !complete {
            lost.push(format!(
                "request {id} (started: {started}): {status} {kinds:?}"
            ));
        }
    }
    println!(
        "{backend}: acknowledged writes {} ({} requests logged, {starts} starts), lost writes {}",
        acknowledged.len() + starts,
        acknowledged.len(),
        lost.len()
    );
    assert!(
        acknowledged.len() >= WRITERS,
        "too few writes to mean anything: {}",
        acknowledged.len()
    );
    assert!(lost.is_empty(), "lost after the kill: {lost:#?}");
}

#[test]
fn a_mail_whose_change_committed_before_a_sigkill_goes_once_after_the_restart_on_sqlite() {
    let dir = scratch_dir("mail-kill-sqlite");
    let url = format!("sqlite://{}/baton.db?mode=rwc", dir.display());
    kill_before_the_send("sqlite", &url, &dir);
}

#[test]
fn a_mail_whose_change_committed_before_a_sigkill_goes_once_after_the_restart_on_postgresql() {
    if std::env::var("BATON_TEST_POSTGRES_URL").map_or(true, |url| url.is_empty()) {
        return;
    }
    let dir = scratch_dir("mail-kill-postgres");
    let url = rocket::execute(common::fresh_database());
    kill_before_the_send("postgresql", &url, &dir);
}

/// The real server takes a late forecast (two notices, two mails owed),
/// is killed before its dispatcher's next round, and sends both mails,
/// once, after the restart.
fn kill_before_the_send(backend: &str, url: &str, dir: &std::path::Path) {
    // The SMTP server lives on a runtime of its own for the whole test.
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let sink = runtime.block_on(SmtpSink::start());
    // The organisation, its people and an agreement, made in-process; the
    // calendar is open all day so that no quiet hours hold the mail.
    let (sales, legal, agreement) = rocket::execute(async {
        let app = common::spawn_app_on(url.to_owned(), |config| config).await;
        let pair = app.pair().await;
        let calendar = app.default_calendar(&pair.admin).await;
        let all_day = json!([["00:00", "24:00"]]);
        let weekly: serde_json::Map<String, Value> =
            ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
                .iter()
                .map(|day| ((*day).to_owned(), all_day.clone()))
                .collect();
        let edited = app
            .patch(
                &format!("/api/v1/calendars/{calendar}"),
                Some(&pair.admin.token),
                Some("\"1\""),
                json!({"weekly": weekly}),
            )
            .await;
        assert_eq!(edited.status.code, 200, "{}", edited.body);
        let agreement = app.active_agreement(&pair, 8.0, "business_hours").await;
        (pair.sales_staff.token, pair.legal_staff.token, agreement)
    });
    let smtp = sink.url();
    let quiet = [
        ("BATON_OVERDUE_SWEEP_SECONDS", "0"),
        ("BATON_SMTP_URL", smtp.as_str()),
        // The first round runs at start, the next in an hour: never, here.
        ("BATON_MAIL_POLL_SECONDS", "3600"),
    ];
    let mut server = Server::start(url, dir, &quiet);
    let port = server.port;
    let (status, created) = common::server::http(
        port,
        "POST",
        "/api/v1/requests",
        Some(&sales),
        Some(&json!({"agreement_id": agreement, "title": "Kill test", "details": ""})),
    )
    .expect("log answers");
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_i64().expect("id");
    let late = (chrono::Utc::now() + chrono::TimeDelta::days(30)).to_rfc3339();
    let (status, forecast) = common::server::http(
        port,
        "POST",
        &format!("/api/v1/requests/{id}/forecast"),
        Some(&legal),
        Some(&json!({"expected_at": late, "reason": "killed before the mail"})),
    )
    .expect("forecast answers");
    assert_eq!(status, 200, "{forecast}");
    server.kill();
    assert!(
        sink.received().is_empty(),
        "nothing was sent before the kill"
    );

    let smtp = sink.url();
    let _server = Server::start(
        url,
        dir,
        &[
            ("BATON_OVERDUE_SWEEP_SECONDS", "0"),
            ("BATON_SMTP_URL", smtp.as_str()),
            ("BATON_MAIL_POLL_SECONDS", "1"),
        ],
    );
    let mut mails = Vec::new();
    for _ in 0..150 {
        mails = sink.received();
        if mails.len() >= 2 {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    // Three more rounds of the dispatcher: nothing goes twice.
    std::thread::sleep(Duration::from_secs(3));
    let mails = sink.received().len().max(mails.len());
    println!("{backend}: mails owed before the kill 2, sent after the restart {mails}");
    assert_eq!(mails, 2, "both mails, once each");
    let subjects: Vec<String> = sink
        .received()
        .iter()
        .filter_map(|mail| mail.header("Subject"))
        .collect();
    assert!(
        subjects
            .iter()
            .all(|subject| subject == &format!("#{id} Kill test: expected late")),
        "{subjects:?}"
    );
}
