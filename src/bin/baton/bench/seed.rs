//! The organisation the HTTP benchmarks work in, built through the API as
//! a user would: an admin, two departments (LEGAL serving SALES), their
//! leads and a member of staff, one active agreement, and a number of
//! requests logged under it for new ones to depend on.

use std::net::SocketAddr;

use serde_json::{Value, json};

use super::http_client::HttpClient;

const PASSWORD: &str = "correct horse battery staple";

/// What the clients need: who logs, under which agreement, depending on what.
#[derive(Debug)]
pub(super) struct World {
    /// Staff of the customer department (SALES), who log requests.
    pub token: String,
    /// The provider's (LEGAL's) lead, who works them.
    pub provider_token: String,
    /// The customer's lead, who makes commitments.
    pub customer_lead_token: String,
    pub customer_department_id: i64,
    pub agreement_id: i64,
    pub seeded: Vec<i64>,
}

/// Builds the organisation through the API, as a user would.
pub(super) async fn seed(addr: SocketAddr, requests: usize) -> Result<World, String> {
    let mut http = HttpClient::new(addr);
    let admin = http
        .expect(
            201,
            "POST",
            "/api/v1/auth/signup",
            None,
            &json!({"org_name": "Bench Ltd", "timezone": "Europe/Berlin", "name": "Ada Admin",
                    "email": "ada@bench.test", "password": PASSWORD}),
        )
        .await?;
    let admin = token_of(&admin)?;
    let calendars = http
        .send("GET", "/api/v1/calendars", Some(&admin), None)
        .await?;
    let calendar_id = calendars
        .json()?
        .pointer("/items/0/id")
        .and_then(Value::as_i64)
        .ok_or("the organisation has no default calendar")?;
    let mut department = async |code: &str| -> Result<i64, String> {
        let created = http
            .expect(
                201,
                "POST",
                "/api/v1/departments",
                Some(&admin),
                &json!({"name": format!("Department {code}"), "code": code,
                        "calendar_id": calendar_id}),
            )
            .await?;
        id_of(&created)
    };
    let legal = department("LEGAL").await?;
    let sales = department("SALES").await?;

    let mut user = async |email: &str, role: &str, department_id: i64| -> Result<String, String> {
        http.expect(
            201,
            "POST",
            "/api/v1/users",
            Some(&admin),
            &json!({"name": email, "email": email, "password": PASSWORD, "role": role,
                    "department_id": department_id}),
        )
        .await?;
        let login = http
            .expect(
                200,
                "POST",
                "/api/v1/auth/login",
                None,
                &json!({"email": email, "password": PASSWORD}),
            )
            .await?;
        token_of(&login)
    };
    let provider_lead = user("lena@bench.test", "lead", legal).await?;
    let customer_lead = user("sara@bench.test", "lead", sales).await?;
    let staff = user("sam@bench.test", "staff", sales).await?;

    let draft = http
        .expect(
            201,
            "POST",
            "/api/v1/agreements",
            Some(&provider_lead),
            &json!({"provider_department_id": legal, "customer_department_id": sales,
                    "title": "Contract review", "deliverable": "Marked-up contract",
                    "definition_of_done": "All clauses reviewed",
                    "turnaround": {"amount": 16.0, "unit": "business_hours"}}),
        )
        .await?;
    let agreement_id = id_of(&draft)?;
    http.expect(
        200,
        "POST",
        &format!("/api/v1/agreements/{agreement_id}/propose"),
        Some(&provider_lead),
        &json!({}),
    )
    .await?;
    http.expect(
        200,
        "POST",
        &format!("/api/v1/agreements/{agreement_id}/accept"),
        Some(&customer_lead),
        &json!({}),
    )
    .await?;

    let mut seeded = Vec::with_capacity(requests);
    for n in 0..requests {
        let logged = http
            .expect(
                201,
                "POST",
                "/api/v1/requests",
                Some(&staff),
                &json!({"agreement_id": agreement_id, "title": format!("Seeded request {n}"),
                        "details": "", "depends_on": []}),
            )
            .await?;
        seeded.push(id_of(&logged)?);
    }
    if seeded.is_empty() {
        return Err("no requests were seeded to depend on".into());
    }
    Ok(World {
        token: staff,
        provider_token: provider_lead,
        customer_lead_token: customer_lead,
        customer_department_id: sales,
        agreement_id,
        seeded,
    })
}

fn token_of(body: &Value) -> Result<String, String> {
    body.get("token")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| format!("no token in {body}"))
}

/// The `id` of a created thing.
pub(super) fn id_of(body: &Value) -> Result<i64, String> {
    body.get("id")
        .and_then(Value::as_i64)
        .ok_or_else(|| format!("no id in {body}"))
}
