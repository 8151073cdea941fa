//! The `notify` benchmark: pending notices handed to an SMTP server per
//! second by the mail dispatcher (`baton::services::mail::dispatch_due`,
//! as every instance runs it), on SQLite and, when
//! `BATON_BENCH_POSTGRES_URL` is set, PostgreSQL. Target: ≥ 500/s.
//!
//! The organisation: 100 people without a calendar (so no quiet hours hold
//! a mail back) and 10,000 pending notices (quick mode: 2,000), written
//! straight into the outbox as the changes that cause them would. The SMTP
//! server is a local sink inside the process that accepts every message
//! (EHLO, MAIL, RCPT, DATA, QUIT); each mail is its own SMTP session, as
//! the dispatcher sends them. Measured from the first dispatch until every
//! notice is `sent`:
//! - `<backend>_mails_per_second`;
//! - `<backend>_seconds` for all of them.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use chrono::Utc;
use sea_orm::{DatabaseConnection, EntityTrait, Set};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

use baton::config::Config;
use baton::entities::ids::{OrganisationId, UserId};
use baton::entities::notification::{self, MailState, NotificationKind};
use baton::entities::{organisation, user};
use baton::identity::Role;
use baton::mailer::Mailer;
use baton::services::calendars::CalendarCache;
use baton::services::mail::{self, Links};

use super::server::on_each_backend;

const PEOPLE: i64 = 100;

struct Measured {
    mails: usize,
    seconds: f64,
}

pub fn run(quick: bool, mut print: impl FnMut(&str, f64, &str)) -> Result<(), String> {
    let notices = if quick { 2_000 } else { 10_000 };
    on_each_backend(
        "notify",
        async |url, pool| measure(url, pool, notices).await,
        |backend, measured: &Measured| {
            print(
                &format!("{backend}_mails_per_second"),
                (measured.mails as f64 / measured.seconds).round(),
                "1/s",
            );
            print(
                &format!("{backend}_seconds"),
                (measured.seconds * 100.0).round() / 100.0,
                "s",
            );
        },
    )
}

async fn measure(url: &str, pool: u32, notices: usize) -> Result<Measured, String> {
    let db = baton::db::connect(url, pool)
        .await
        .map_err(|error| format!("cannot open the database: {error}"))?;
    baton::db::migrate(&db)
        .await
        .map_err(|error| format!("migration failed: {error}"))?;
    seed(&db, notices).await?;
    let sink = Sink::start().await?;
    let config = Config {
        smtp_url: Some(format!("smtp://{}", sink.address)),
        ..Config::default()
    };
    let mailer = Mailer::from_config(&config)
        .map_err(|error| error.to_string())?
        .ok_or("mail is off")?;
    let calendars = CalendarCache::default();
    let links = Links::new("https://baton.example.org");
    let started = Instant::now();
    let mut sent = 0;
    while sent < notices {
        let done = mail::dispatch_due(&db, &calendars, &mailer, &links, Utc::now())
            .await
            .map_err(|error| format!("dispatch: {error}"))?;
        if done.sent == 0 {
            return Err(format!(
                "the dispatcher stopped after {sent} mails: {done:?}"
            ));
        }
        sent += done.sent;
    }
    let seconds = started.elapsed().as_secs_f64();
    let received = sink.count.load(Ordering::SeqCst);
    if received != notices {
        return Err(format!(
            "the sink received {received} mails for {notices} notices"
        ));
    }
    Ok(Measured {
        mails: sent,
        seconds,
    })
}

async fn seed(db: &DatabaseConnection, notices: usize) -> Result<(), String> {
    let now = Utc::now();
    let organisation = organisation::Entity::insert(organisation::ActiveModel {
        name: Set("Notify bench".into()),
        timezone: Set("Europe/Berlin".into()),
        at_risk_threshold_minutes: Set(480),
        escalation_minutes: Set(Some(480)),
        default_calendar_id: Set(None),
        version: Set(1),
        created_at: Set(now),
        ..Default::default()
    })
    .exec(db)
    .await
    .map_err(|error| error.to_string())?
    .last_insert_id;
    let people = (0..PEOPLE).map(|n| user::ActiveModel {
        organisation_id: Set(organisation),
        email: Set(format!("person{n}@bench.test")),
        name: Set(format!("Person {n}")),
        role: Set(Role::Staff),
        department_id: Set(None),
        password_hash: Set("not a hash: nobody signs in".into()),
        active: Set(true),
        version: Set(1),
        created_at: Set(now),
        ..Default::default()
    });
    user::Entity::insert_many(people)
        .exec(db)
        .await
        .map_err(|error| error.to_string())?;
    let first: UserId = user::Entity::find()
        .one(db)
        .await
        .map_err(|error| error.to_string())?
        .ok_or("no person was written")?
        .id;
    for chunk in (0..notices).collect::<Vec<_>>().chunks(1_000) {
        let rows = chunk.iter().map(|&n| notice(organisation, first, n, now));
        notification::Entity::insert_many(rows)
            .exec(db)
            .await
            .map_err(|error| error.to_string())?;
    }
    Ok(())
}

fn notice(
    organisation: OrganisationId,
    first: UserId,
    n: usize,
    now: chrono::DateTime<Utc>,
) -> notification::ActiveModel {
    notification::ActiveModel {
        organisation_id: Set(organisation),
        user_id: Set(UserId(first.0 + (n as i64 % PEOPLE))),
        kind: Set(NotificationKind::Overdue),
        request_id: Set(None),
        commitment_id: Set(None),
        review_id: Set(None),
        message: Set(format!("Request #{n} \"Bench\" passed its due undelivered")),
        created_at: Set(now),
        read_at: Set(None),
        mail_state: Set(MailState::Pending),
        mail_attempts: Set(0),
        mail_next_at: Set(None),
        mail_error: Set(None),
        mailed_at: Set(None),
        ..Default::default()
    }
}

/// An SMTP server that accepts every message and counts them.
struct Sink {
    address: std::net::SocketAddr,
    count: Arc<AtomicUsize>,
}

impl Sink {
    async fn start() -> Result<Sink, String> {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|error| format!("sink: {error}"))?;
        let address = listener
            .local_addr()
            .map_err(|error| format!("sink: {error}"))?;
        let count = Arc::new(AtomicUsize::new(0));
        let counting = count.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let counting = counting.clone();
                tokio::spawn(async move {
                    let _ = serve(stream, &counting).await;
                });
            }
        });
        Ok(Sink { address, count })
    }
}

async fn serve(stream: TcpStream, count: &AtomicUsize) -> std::io::Result<()> {
    // Each reply is one write: no need to wait for more to fill a segment.
    stream.set_nodelay(true)?;
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    write.write_all(b"220 sink ESMTP\r\n").await?;
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let verb = line
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_ascii_uppercase();
        match verb.as_str() {
            "EHLO" => write.write_all(b"250-sink\r\n250 8BITMIME\r\n").await?,
            "DATA" => {
                write.write_all(b"354 go ahead\r\n").await?;
                loop {
                    line.clear();
                    if lines.read_line(&mut line).await? == 0 {
                        return Ok(());
                    }
                    if line == ".\r\n" {
                        break;
                    }
                }
                count.fetch_add(1, Ordering::SeqCst);
                write.write_all(b"250 queued\r\n").await?;
            }
            "QUIT" => {
                write.write_all(b"221 bye\r\n").await?;
                return Ok(());
            }
            _ => write.write_all(b"250 OK\r\n").await?,
        }
    }
}
