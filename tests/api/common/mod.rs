//! Test harness: every test gets its own application and its own database
//! (a fresh SQLite file, or a fresh PostgreSQL schema when
//! `BATON_TEST_POSTGRES_URL` is set), driven through Rocket's local client.

#![allow(dead_code)]

pub mod receiver;
pub mod server;
pub mod smtp;

use baton::Config;
use rocket::http::{ContentType, Header, Status};
use rocket::local::asynchronous::{Client, LocalRequest};
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

pub const PASSWORD: &str = "correct horse battery staple";
const TEST_SECRET: &str = "test-secret-that-is-long-enough-for-hs256-0123456789";

pub struct TestApp {
    pub client: Client,
    /// So that a second instance can share this one's database.
    pub database_url: String,
}

/// A logged-in user.
#[derive(Clone, Debug)]
pub struct Session {
    pub token: String,
    pub user_id: i64,
    pub organisation_id: i64,
}

/// The answer to a request: status, headers we care about, JSON body.
pub struct Answer {
    pub status: Status,
    pub content_type: Option<String>,
    pub etag: Option<String>,
    pub body: Value,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|config| config).await
}

pub async fn spawn_app_with(adjust: impl FnOnce(Config) -> Config) -> TestApp {
    spawn_app_on(fresh_database().await, adjust).await
}

/// An app on an existing database: a second server instance.
pub async fn spawn_app_on(database_url: String, adjust: impl FnOnce(Config) -> Config) -> TestApp {
    let config = adjust(Config {
        database_url: database_url.clone(),
        secret: Some(TEST_SECRET.into()),
        log: std::env::var("TEST_LOG").unwrap_or_else(|_| "off".into()),
        db_max_connections: 4,
        // The background rounds would race a test's own: tests run the
        // sweep and the dispatcher themselves, at the moments they choose
        // (the few that test the background rounds turn them on).
        overdue_sweep_seconds: 0,
        mail_poll_seconds: 0,
        webhook_poll_seconds: 0,
        ..Config::default()
    });
    baton::telemetry::init(&config);
    let pool = baton::db::connect(&database_url, config.db_max_connections)
        .await
        .expect("test database opens");
    baton::db::migrate(&pool).await.expect("migrations apply");
    let key = config.signing_key().expect("signing key");
    let client = Client::untracked(baton::rocket(config, pool, &key))
        .await
        .expect("rocket ignites");
    TestApp {
        client,
        database_url,
    }
}

/// A database no app has touched yet: its URL.
pub async fn fresh_database() -> String {
    let suffix = baton::config::random_hex(8);
    match std::env::var("BATON_TEST_POSTGRES_URL") {
        Ok(base) if !base.is_empty() => {
            let schema = format!("test_{suffix}");
            let admin = baton::db::connect(&base, 1)
                .await
                .expect("postgres answers");
            admin
                .execute_unprepared(&format!("CREATE SCHEMA {schema}"))
                .await
                .expect("schema created");
            admin.close().await.ok();
            let separator = if base.contains('?') { '&' } else { '?' };
            format!("{base}{separator}options=-c%20search_path%3D{schema}")
        }
        _ => {
            let dir = std::env::temp_dir().join("baton-tests");
            std::fs::create_dir_all(&dir).expect("temp dir");
            format!("sqlite://{}/{suffix}.db?mode=rwc", dir.display())
        }
    }
}

impl TestApp {
    pub async fn send(&self, request: LocalRequest<'_>) -> Answer {
        let response = request.dispatch().await;
        let status = response.status();
        let content_type = response.content_type().map(|c| c.to_string());
        let etag = response.headers().get_one("ETag").map(str::to_owned);
        let text = response.into_string().await.unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Answer {
            status,
            content_type,
            etag,
            body,
        }
    }

    fn authorised<'c>(
        &'c self,
        request: LocalRequest<'c>,
        token: Option<&str>,
    ) -> LocalRequest<'c> {
        match token {
            Some(token) => request.header(Header::new("Authorization", format!("Bearer {token}"))),
            None => request,
        }
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Answer {
        self.send(self.authorised(self.client.get(path.to_owned()), token))
            .await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Answer {
        let request = self
            .client
            .post(path.to_owned())
            .header(ContentType::JSON)
            .body(body.to_string());
        self.send(self.authorised(request, token)).await
    }

    pub async fn patch(
        &self,
        path: &str,
        token: Option<&str>,
        if_match: Option<&str>,
        body: Value,
    ) -> Answer {
        let mut request = self
            .client
            .patch(path.to_owned())
            .header(ContentType::JSON)
            .body(body.to_string());
        if let Some(tag) = if_match {
            request = request.header(Header::new("If-Match", tag.to_owned()));
        }
        self.send(self.authorised(request, token)).await
    }

    pub async fn delete(&self, path: &str, token: Option<&str>, if_match: Option<&str>) -> Answer {
        let mut request = self.client.delete(path.to_owned());
        if let Some(tag) = if_match {
            request = request.header(Header::new("If-Match", tag.to_owned()));
        }
        self.send(self.authorised(request, token)).await
    }

    /// A POST conditional on `If-Match` (a transition on a version read).
    pub async fn post_if_match(
        &self,
        path: &str,
        token: Option<&str>,
        if_match: &str,
        body: Value,
    ) -> Answer {
        let request = self
            .client
            .post(path.to_owned())
            .header(ContentType::JSON)
            .header(Header::new("If-Match", if_match.to_owned()))
            .body(body.to_string());
        self.send(self.authorised(request, token)).await
    }

    /// Signs up a new organisation; returns its admin's session.
    pub async fn signup(&self, org_name: &str, email: &str) -> Session {
        let answer = self
            .post(
                "/api/v1/auth/signup",
                None,
                json!({"org_name": org_name, "timezone": "Europe/Berlin", "name": "Ada Admin",
                       "email": email, "password": PASSWORD}),
            )
            .await;
        assert_eq!(answer.status, Status::Created, "signup: {}", answer.body);
        session_of(&answer.body)
    }

    pub async fn login(&self, email: &str, password: &str) -> Answer {
        self.post(
            "/api/v1/auth/login",
            None,
            json!({"email": email, "password": password}),
        )
        .await
    }

    /// The organisation's default calendar id.
    pub async fn default_calendar(&self, admin: &Session) -> i64 {
        let answer = self.get("/api/v1/calendars", Some(&admin.token)).await;
        answer.body["items"][0]["id"]
            .as_i64()
            .expect("default calendar")
    }

    pub async fn create_department(&self, admin: &Session, code: &str) -> i64 {
        let calendar_id = self.default_calendar(admin).await;
        let answer = self
            .post(
                "/api/v1/departments",
                Some(&admin.token),
                json!({"name": format!("Department {code}"), "code": code, "calendar_id": calendar_id}),
            )
            .await;
        assert_eq!(
            answer.status,
            Status::Created,
            "department: {}",
            answer.body
        );
        answer.body["id"].as_i64().expect("department id")
    }

    /// Creates a user through the API and logs them in.
    pub async fn create_user(
        &self,
        admin: &Session,
        email: &str,
        role: &str,
        department_id: Option<i64>,
    ) -> Session {
        let answer = self
            .post(
                "/api/v1/users",
                Some(&admin.token),
                json!({"name": email, "email": email, "password": PASSWORD, "role": role,
                       "department_id": department_id}),
            )
            .await;
        assert_eq!(answer.status, Status::Created, "user: {}", answer.body);
        let login = self.login(email, PASSWORD).await;
        assert_eq!(login.status, Status::Ok, "login: {}", login.body);
        session_of(&login.body)
    }
}

/// The `id` of an answer's JSON body.
pub fn id_of(answer: &Answer) -> i64 {
    answer.body["id"]
        .as_i64()
        .unwrap_or_else(|| panic!("no id in {} ({})", answer.body, answer.status))
}

/// An integer of a JSON answer (an id, a count), with what was there instead
/// when it is not one.
pub fn int(value: &Value) -> i64 {
    value
        .as_i64()
        .unwrap_or_else(|| panic!("expected an integer, found {value}"))
}

pub fn session_of(body: &Value) -> Session {
    Session {
        token: body["token"].as_str().expect("token").to_owned(),
        user_id: body["user"]["id"].as_i64().expect("user id"),
        organisation_id: body["user"]["organisation_id"].as_i64().expect("org id"),
    }
}

/// An RFC 3339 instant in an answer's JSON.
pub fn instant(value: &Value) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339(value.as_str().expect("an instant"))
        .expect("RFC 3339")
        .with_timezone(&chrono::Utc)
}

/// Asserts a problem+json answer with the given status.
pub fn assert_problem(answer: &Answer, status: Status) {
    assert_eq!(answer.status, status, "body: {}", answer.body);
    assert_eq!(
        answer.content_type.as_deref(),
        Some("application/problem+json"),
        "content type of {}",
        answer.body
    );
    assert_eq!(answer.body["status"], json!(status.code));
    for member in ["type", "title", "detail"] {
        assert!(
            answer.body[member].is_string(),
            "{member} missing in {}",
            answer.body
        );
    }
    assert!(
        answer.body["errors"].is_object(),
        "errors missing in {}",
        answer.body
    );
}

/// Two departments of one organisation with their people: Legal provides,
/// Sales is the customer.
pub struct Pair {
    pub admin: Session,
    pub leader: Session,
    pub legal: i64,
    pub sales: i64,
    pub legal_lead: Session,
    pub legal_staff: Session,
    pub sales_lead: Session,
    pub sales_staff: Session,
}

impl TestApp {
    pub async fn pair(&self) -> Pair {
        let admin = self.signup("Acme", "ada@acme.test").await;
        let legal = self.create_department(&admin, "LEGAL").await;
        let sales = self.create_department(&admin, "SALES").await;
        Pair {
            leader: self
                .create_user(&admin, "leo@acme.test", "leader", None)
                .await,
            legal_lead: self
                .create_user(&admin, "lena@acme.test", "lead", Some(legal))
                .await,
            legal_staff: self
                .create_user(&admin, "lars@acme.test", "staff", Some(legal))
                .await,
            sales_lead: self
                .create_user(&admin, "sara@acme.test", "lead", Some(sales))
                .await,
            sales_staff: self
                .create_user(&admin, "sam@acme.test", "staff", Some(sales))
                .await,
            admin,
            legal,
            sales,
        }
    }

    /// An agreement Legal owes Sales, proposed and accepted.
    pub async fn active_agreement(&self, pair: &Pair, amount: f64, unit: &str) -> i64 {
        self.agreement_between(
            (&pair.legal_lead, pair.legal),
            (&pair.sales_lead, pair.sales),
            amount,
            unit,
        )
        .await
    }

    /// An active agreement from `provider` to `customer` (each a lead and
    /// their department): drafted and proposed by the provider's lead,
    /// accepted by the customer's.
    pub async fn agreement_between(
        &self,
        (provider_lead, provider): (&Session, i64),
        (customer_lead, customer): (&Session, i64),
        amount: f64,
        unit: &str,
    ) -> i64 {
        let draft = self
            .post(
                "/api/v1/agreements",
                Some(&provider_lead.token),
                json!({"provider_department_id": provider, "customer_department_id": customer,
                       "title": "Contract review", "deliverable": "Marked-up contract",
                       "definition_of_done": "All clauses reviewed",
                       "turnaround": {"amount": amount, "unit": unit}}),
            )
            .await;
        assert_eq!(draft.status, Status::Created, "draft: {}", draft.body);
        let id = draft.body["id"].as_i64().expect("agreement id");
        let proposed = self
            .post(
                &format!("/api/v1/agreements/{id}/propose"),
                Some(&provider_lead.token),
                json!({}),
            )
            .await;
        assert_eq!(proposed.status, Status::Ok, "propose: {}", proposed.body);
        let accepted = self
            .post(
                &format!("/api/v1/agreements/{id}/accept"),
                Some(&customer_lead.token),
                json!({}),
            )
            .await;
        assert_eq!(accepted.status, Status::Ok, "accept: {}", accepted.body);
        id
    }

    /// Logs a request as `who` and returns its body.
    pub async fn log_request(
        &self,
        who: &Session,
        agreement: i64,
        requested_at: &str,
        depends_on: &[i64],
    ) -> Value {
        let answer = self
            .post(
                "/api/v1/requests",
                Some(&who.token),
                json!({"agreement_id": agreement, "title": "NDA for Globex", "details": "",
                       "requested_at": requested_at, "depends_on": depends_on}),
            )
            .await;
        assert_eq!(answer.status, Status::Created, "log: {}", answer.body);
        answer.body
    }

    /// POSTs a transition and returns the answer.
    pub async fn act(&self, who: &Session, request: i64, action: &str, body: Value) -> Answer {
        self.post(
            &format!("/api/v1/requests/{request}/{action}"),
            Some(&who.token),
            body,
        )
        .await
    }
}
