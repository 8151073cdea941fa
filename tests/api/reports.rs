//! Leadership reports through HTTP: exact figures for a constructed
//! history, window boundaries, every grouping, the matrix, weekly trends,
//! impact on commitments, CSV and HTML representations, scoping by role and
//! organisation, and bad parameters.
//!
//! Every department uses the default calendar: Mon–Fri 09:00–17:00,
//! Europe/Berlin (UTC+1 in March 2026 until the 29th). A 16-business-hour
//! request logged Monday 2 March 09:00 is due Tuesday 3 March 17:00
//! (16:00Z).

use crate::common::{Pair, Session, TestApp, assert_problem, id_of, int, spawn_app};
use rocket::http::{Header, Status};
use serde_json::{Value, json};

const MONDAY_9: &str = "2026-03-02T09:00:00+01:00";
const MARCH: &str = "from=2026-03-01T00:00:00Z&to=2026-04-01T00:00:00Z";

/// The organisation of every test: Legal and Sales (from `pair()`) and IT,
/// with four agreements and a week of history.
struct History {
    pair: Pair,
    it: i64,
    it_lead: Session,
    it_staff: Session,
    /// Legal → Sales, target 90: the constructed history.
    contracts: i64,
    /// Legal → Sales, target 80: one early delivery.
    ndas: i64,
    /// Sales → Legal, target 95: one late delivery.
    leads: i64,
    /// IT → Sales, target 90: one delivery exactly at due.
    laptops: i64,
    /// The request of `contracts` that is still open (overdue).
    open_request: i64,
}

async fn agreement(
    app: &TestApp,
    provider_lead: &Session,
    customer_lead: &Session,
    provider: i64,
    customer: i64,
    title: &str,
    target: i64,
) -> i64 {
    let draft = app
        .post(
            "/api/v1/agreements",
            Some(&provider_lead.token),
            json!({"provider_department_id": provider, "customer_department_id": customer,
                   "title": title, "deliverable": "The deliverable",
                   "definition_of_done": "Checked by the customer",
                   "turnaround": {"amount": 16, "unit": "business_hours"},
                   "on_time_target_pct": target}),
        )
        .await;
    assert_eq!(draft.status, Status::Created, "draft: {}", draft.body);
    let id = id_of(&draft);
    let proposed = app
        .post(
            &format!("/api/v1/agreements/{id}/propose"),
            Some(&provider_lead.token),
            json!({}),
        )
        .await;
    assert_eq!(proposed.status, Status::Ok, "propose: {}", proposed.body);
    let accepted = app
        .post(
            &format!("/api/v1/agreements/{id}/accept"),
            Some(&customer_lead.token),
            json!({}),
        )
        .await;
    assert_eq!(accepted.status, Status::Ok, "accept: {}", accepted.body);
    id
}

/// Logs a request Monday 09:00 and returns its id.
async fn log(app: &TestApp, who: &Session, agreement: i64) -> i64 {
    app.log_request(who, agreement, MONDAY_9, &[]).await["id"]
        .as_i64()
        .unwrap()
}

/// Runs a transition that must succeed.
async fn step(app: &TestApp, who: &Session, id: i64, action: &str, body: Value) -> Value {
    let answer = app.act(who, id, action, body).await;
    assert_eq!(answer.status, Status::Ok, "{action}: {}", answer.body);
    answer.body
}

/// Starts a request Monday 09:00 and delivers it at `at`; returns the body.
async fn deliver(app: &TestApp, who: &Session, id: i64, at: &str) -> Value {
    step(app, who, id, "start", json!({"at": MONDAY_9})).await;
    step(app, who, id, "deliver", json!({"at": at})).await
}

async fn history(app: &TestApp) -> History {
    let pair = app.pair().await;
    let it = app.create_department(&pair.admin, "IT").await;
    let it_lead = app
        .create_user(&pair.admin, "ivy@acme.test", "lead", Some(it))
        .await;
    let it_staff = app
        .create_user(&pair.admin, "ian@acme.test", "staff", Some(it))
        .await;
    let (legal, sales) = (pair.legal, pair.sales);
    let contracts = agreement(
        app,
        &pair.legal_lead,
        &pair.sales_lead,
        legal,
        sales,
        "Contract review",
        90,
    )
    .await;
    let ndas = agreement(
        app,
        &pair.legal_lead,
        &pair.sales_lead,
        legal,
        sales,
        "NDA",
        80,
    )
    .await;
    let leads = agreement(
        app,
        &pair.sales_lead,
        &pair.legal_lead,
        sales,
        legal,
        "Qualified leads",
        95,
    )
    .await;
    let laptops = agreement(
        app,
        &it_lead,
        &pair.sales_lead,
        it,
        sales,
        "Laptop setup",
        90,
    )
    .await;
    let (provider, customer) = (&pair.legal_staff, &pair.sales_staff);

    // On time at exactly the due second; accepted and rated 9.
    let on_the_second = log(app, customer, contracts).await;
    let done = deliver(app, provider, on_the_second, "2026-03-03T17:00:00+01:00").await;
    assert_eq!(
        (done["lateness_minutes"].as_i64(), done["on_time"].as_bool()),
        (Some(0), Some(true))
    );
    step(
        app,
        customer,
        on_the_second,
        "accept",
        json!({"at": "2026-03-03T17:30:00+01:00"}),
    )
    .await;
    step(app, customer, on_the_second, "rating", json!({"score": 9})).await;

    // Early by seven working hours; rated 6.
    let early = log(app, customer, contracts).await;
    deliver(app, provider, early, "2026-03-03T10:00:00+01:00").await;
    step(app, customer, early, "rating", json!({"score": 6})).await;

    // An hour late; rated 4.
    let late = log(app, customer, contracts).await;
    let done = deliver(app, provider, late, "2026-03-04T10:00:00+01:00").await;
    assert_eq!(done["lateness_minutes"], 60);
    step(app, customer, late, "rating", json!({"score": 4})).await;

    // Late in the evening: late with 0 working minutes.
    let evening = log(app, customer, contracts).await;
    let done = deliver(app, provider, evening, "2026-03-03T18:00:00+01:00").await;
    assert_eq!(
        (done["lateness_minutes"].as_i64(), done["on_time"].as_bool()),
        (Some(0), Some(false))
    );

    // Paused Monday 15:00 to Tuesday 11:00 (due moves to Wednesday 13:00),
    // delivered Wednesday 12:00: an hour early.
    let paused = log(app, customer, contracts).await;
    step(app, provider, paused, "start", json!({"at": MONDAY_9})).await;
    step(
        app,
        provider,
        paused,
        "pause",
        json!({"reason": "waiting for the draft", "at": "2026-03-02T15:00:00+01:00"}),
    )
    .await;
    step(
        app,
        provider,
        paused,
        "resume",
        json!({"at": "2026-03-03T11:00:00+01:00"}),
    )
    .await;
    let done = step(
        app,
        provider,
        paused,
        "deliver",
        json!({"at": "2026-03-04T12:00:00+01:00"}),
    )
    .await;
    assert_eq!(done["lateness_minutes"], -60);

    // Delivered early, reopened, finally delivered Wednesday 11:00: two
    // working hours after the original due.
    let reworked = log(app, customer, contracts).await;
    deliver(app, provider, reworked, "2026-03-03T10:00:00+01:00").await;
    step(
        app,
        customer,
        reworked,
        "reopen",
        json!({"reason": "clause 7", "at": "2026-03-03T11:00:00+01:00"}),
    )
    .await;
    step(
        app,
        provider,
        reworked,
        "start",
        json!({"at": "2026-03-03T11:00:00+01:00"}),
    )
    .await;
    let done = step(
        app,
        provider,
        reworked,
        "deliver",
        json!({"at": "2026-03-04T11:00:00+01:00"}),
    )
    .await;
    assert_eq!(
        (done["lateness_minutes"].as_i64(), done["on_time"].as_bool()),
        (Some(120), Some(false))
    );

    // Cancelled: counts nowhere.
    let cancelled = log(app, customer, contracts).await;
    step(
        app,
        customer,
        cancelled,
        "cancel",
        json!({"reason": "deal lost", "at": "2026-03-02T10:00:00+01:00"}),
    )
    .await;

    // Never delivered: open, and overdue since Tuesday 17:00.
    let open_request = log(app, customer, contracts).await;

    // The other agreements: one delivery each.
    let nda = log(app, customer, ndas).await;
    deliver(app, provider, nda, "2026-03-03T12:00:00+01:00").await;
    let lead = log(app, &pair.legal_staff, leads).await;
    let done = deliver(app, &pair.sales_staff, lead, "2026-03-04T10:00:00+01:00").await;
    assert_eq!(done["lateness_minutes"], 60);
    let laptop = log(app, customer, laptops).await;
    deliver(app, &it_staff, laptop, "2026-03-03T17:00:00+01:00").await;

    History {
        pair,
        it,
        it_lead,
        it_staff,
        contracts,
        ndas,
        leads,
        laptops,
        open_request,
    }
}

async fn report(app: &TestApp, who: &Session, path: &str) -> Value {
    let answer = app.get(path, Some(&who.token)).await;
    assert_eq!(answer.status, Status::Ok, "{path}: {}", answer.body);
    answer.body
}

/// GET with an `Accept` header; returns status, content type and text.
async fn fetch(app: &TestApp, who: &Session, path: &str, accept: &str) -> (Status, String, String) {
    let response = app
        .client
        .get(path.to_owned())
        .header(Header::new(
            "Authorization",
            format!("Bearer {}", who.token),
        ))
        .header(Header::new("Accept", accept.to_owned()))
        .dispatch()
        .await;
    let status = response.status();
    let content_type = response
        .headers()
        .get_one("Content-Type")
        .unwrap_or_default()
        .to_owned();
    (
        status,
        content_type,
        response.into_string().await.unwrap_or_default(),
    )
}

fn row(rows: &Value, key: Value) -> &Value {
    rows["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|row| row["key"] == key)
        .unwrap_or_else(|| panic!("no row {key} in {rows}"))
}

fn keys(rows: &Value) -> Vec<Value> {
    rows["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["key"].clone())
        .collect()
}

/// The figure members of a row, for comparing with an expectation.
fn figures(row: &Value) -> Value {
    let names = [
        "delivered",
        "on_time",
        "early",
        "late",
        "on_time_pct",
        "target_pct",
        "meets_target",
        "median_lateness_minutes",
        "p90_lateness_minutes",
        "open",
        "overdue",
        "avg_rating",
        "rated",
    ];
    Value::Object(
        names
            .iter()
            .map(|name| (name.to_string(), row[*name].clone()))
            .collect(),
    )
}

#[rocket::async_test]
async fn health_by_agreement_matches_the_constructed_history_exactly() {
    let app = spawn_app().await;
    let h = history(&app).await;
    let body = report(
        &app,
        &h.pair.leader,
        &format!("/api/v1/reports/health?{MARCH}&group_by=agreement"),
    )
    .await;
    assert_eq!(body["group_by"], "agreement");
    assert_eq!(
        body["window"],
        json!({"from": "2026-03-01T00:00:00Z", "to": "2026-04-01T00:00:00Z"})
    );
    assert_eq!(
        keys(&body),
        [h.contracts, h.ndas, h.leads, h.laptops].map(|id| json!({"agreement_id": id}))
    );

    // Delivered: on the second (0), early (−420), late (60), evening (0,
    // late), paused (−60), reworked (120); the cancelled one nowhere, the
    // open one open and overdue. Lateness sorted: −420 −60 0 0 60 120, so
    // the nearest-rank median is the 3rd (0) and p90 the 6th (120).
    let contracts = row(&body, json!({"agreement_id": h.contracts}));
    assert_eq!(contracts["label"], "LEGAL → SALES: Contract review");
    assert_eq!(
        figures(contracts),
        json!({"delivered": 6, "on_time": 3, "early": 2, "late": 3, "on_time_pct": 50.0,
               "target_pct": 90.0, "meets_target": false, "median_lateness_minutes": 0,
               "p90_lateness_minutes": 120, "open": 1, "overdue": 1, "avg_rating": 6.33, "rated": 3})
    );
    assert_eq!(
        figures(row(&body, json!({"agreement_id": h.ndas}))),
        json!({"delivered": 1, "on_time": 1, "early": 1, "late": 0, "on_time_pct": 100.0,
               "target_pct": 80.0, "meets_target": true, "median_lateness_minutes": -300,
               "p90_lateness_minutes": -300, "open": 0, "overdue": 0, "avg_rating": null, "rated": 0})
    );
    assert_eq!(
        figures(row(&body, json!({"agreement_id": h.laptops}))),
        json!({"delivered": 1, "on_time": 1, "early": 0, "late": 0, "on_time_pct": 100.0,
               "target_pct": 90.0, "meets_target": true, "median_lateness_minutes": 0,
               "p90_lateness_minutes": 0, "open": 0, "overdue": 0, "avg_rating": null, "rated": 0})
    );
}

#[rocket::async_test]
async fn each_grouping_rolls_the_same_requests_up_with_delivery_weighted_targets() {
    let app = spawn_app().await;
    let h = history(&app).await;
    let (legal, sales, it) = (h.pair.legal, h.pair.sales, h.it);
    let by = |group: &str| format!("/api/v1/reports/health?{MARCH}&group_by={group}");

    let providers = report(&app, &h.pair.admin, &by("provider")).await;
    assert_eq!(providers["rows"].as_array().unwrap().len(), 3);
    // Legal: contracts (6 delivered, target 90) and the NDA (1, target 80):
    // target (6·90 + 80) / 7 = 88.6; 4 of 7 on time = 57.1 %.
    let row_legal = row(&providers, json!({"provider_department_id": legal}));
    assert_eq!(row_legal["label"], "LEGAL");
    assert_eq!(
        figures(row_legal),
        json!({"delivered": 7, "on_time": 4, "early": 3, "late": 3, "on_time_pct": 57.1,
               "target_pct": 88.6, "meets_target": false, "median_lateness_minutes": 0,
               "p90_lateness_minutes": 120, "open": 1, "overdue": 1, "avg_rating": 6.33, "rated": 3})
    );
    let row_sales = row(&providers, json!({"provider_department_id": sales}));
    assert_eq!(
        (row_sales["delivered"].as_i64(), row_sales["late"].as_i64()),
        (Some(1), Some(1))
    );
    assert_eq!(row_sales["target_pct"], 95.0);
    assert_eq!(
        row(&providers, json!({"provider_department_id": it}))["on_time"],
        1
    );

    let customers = report(&app, &h.pair.admin, &by("customer")).await;
    let sales_served = row(&customers, json!({"customer_department_id": sales}));
    // Legal's 7 and IT's 1: (6·90 + 80 + 90) / 8 = 88.75 → 88.8.
    assert_eq!(
        (
            sales_served["delivered"].as_i64(),
            sales_served["on_time"].as_i64(),
            sales_served["target_pct"].as_f64()
        ),
        (Some(8), Some(5), Some(88.8))
    );
    assert_eq!(
        row(&customers, json!({"customer_department_id": legal}))["delivered"],
        1
    );

    let pairs = report(&app, &h.pair.admin, &by("pair")).await;
    assert_eq!(
        keys(&pairs),
        [
            json!({"provider_department_id": legal, "customer_department_id": sales}),
            json!({"provider_department_id": sales, "customer_department_id": legal}),
            json!({"provider_department_id": it, "customer_department_id": sales}),
        ]
    );
    assert_eq!(figures(&pairs["rows"][0]), figures(row_legal));
    assert_eq!(pairs["rows"][0]["label"], "LEGAL → SALES");

    // Without group_by the rows are by pair.
    let default = report(
        &app,
        &h.pair.admin,
        &format!("/api/v1/reports/health?{MARCH}"),
    )
    .await;
    assert_eq!(default["rows"], pairs["rows"]);
}

#[rocket::async_test]
async fn a_delivery_exactly_at_from_counts_and_one_exactly_at_to_does_not() {
    let app = spawn_app().await;
    let h = history(&app).await;
    // From the on-the-second delivery (Tue 17:00) to the hour-late one (Wed 10:00).
    let path = "/api/v1/reports/health?from=2026-03-03T16:00:00Z&to=2026-03-04T09:00:00Z&group_by=agreement";
    let body = report(&app, &h.pair.leader, path).await;
    let contracts = row(&body, json!({"agreement_id": h.contracts}));
    // In: on the second (at from) and the evening one. Out: early (before),
    // the hour-late one (at to), the paused and reworked ones (after).
    // Open at `to`: the hour-late one (not delivered by to), paused,
    // reworked, and the never-delivered one; overdue: all but the paused one
    // (due Wednesday 13:00, after `to`).
    assert_eq!(
        figures(contracts),
        json!({"delivered": 2, "on_time": 1, "early": 0, "late": 1, "on_time_pct": 50.0,
               "target_pct": 90.0, "meets_target": false, "median_lateness_minutes": 0,
               "p90_lateness_minutes": 0, "open": 4, "overdue": 3, "avg_rating": 9.0, "rated": 1})
    );
    // Dates are local midnights: Monday 2 March 00:00 in Berlin.
    let body = report(
        &app,
        &h.pair.leader,
        "/api/v1/reports/health?from=2026-03-02&to=2026-03-03&group_by=agreement",
    )
    .await;
    assert_eq!(body["window"]["from"], "2026-03-01T23:00:00Z");
    let contracts = row(&body, json!({"agreement_id": h.contracts}));
    assert_eq!(
        (contracts["delivered"].as_i64(), contracts["open"].as_i64()),
        (Some(0), Some(7))
    );
    // Nothing was due before 3 March 00:00.
    assert_eq!(contracts["overdue"], 0);
    assert_eq!(contracts["on_time_pct"], json!(null));
    assert_eq!(contracts["meets_target"], json!(null));
}

#[rocket::async_test]
async fn the_matrix_has_a_cell_per_provider_and_customer() {
    let app = spawn_app().await;
    let h = history(&app).await;
    let body = report(
        &app,
        &h.pair.leader,
        &format!("/api/v1/reports/matrix?{MARCH}"),
    )
    .await;
    let codes = |axis: &str| -> Vec<String> {
        body[axis]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["code"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(codes("providers"), ["IT", "LEGAL", "SALES"]);
    assert_eq!(codes("customers"), ["LEGAL", "SALES"]);
    let cells = body["cells"].as_array().unwrap();
    assert_eq!(cells.len(), 3);
    let cell = cells
        .iter()
        .find(|cell| {
            cell["provider_department_id"] == h.pair.legal
                && cell["customer_department_id"] == h.pair.sales
        })
        .unwrap();
    assert_eq!(
        (
            cell["delivered"].as_i64(),
            cell["on_time"].as_i64(),
            cell["on_time_pct"].as_f64()
        ),
        (Some(7), Some(4), Some(57.1))
    );
    let cell = cells
        .iter()
        .find(|cell| cell["provider_department_id"] == h.pair.sales)
        .unwrap();
    assert_eq!(
        (
            cell["customer_department_id"].as_i64(),
            cell["on_time_pct"].as_f64()
        ),
        (Some(h.pair.legal), Some(0.0))
    );
}

#[rocket::async_test]
async fn the_trend_gives_every_iso_week_of_the_window() {
    let app = spawn_app().await;
    let h = history(&app).await;
    let path = format!(
        "/api/v1/reports/trend?from=2026-03-01&to=2026-03-15&group_by=provider&provider={}",
        h.pair.legal
    );
    let body = report(&app, &h.pair.leader, &path).await;
    assert_eq!(body["key"], json!({"provider_department_id": h.pair.legal}));
    assert_eq!(body["label"], "LEGAL");
    let weeks = body["weeks"].as_array().unwrap();
    let labels: Vec<&str> = weeks
        .iter()
        .map(|week| week["week"].as_str().unwrap())
        .collect();
    assert_eq!(labels, ["2026-W09", "2026-W10", "2026-W11"]);
    // The Sunday alone, then Monday to Monday, then the cut last week.
    assert_eq!(
        (weeks[0]["from"].as_str(), weeks[0]["to"].as_str()),
        (Some("2026-02-28T23:00:00Z"), Some("2026-03-01T23:00:00Z"))
    );
    assert_eq!(weeks[1]["to"], "2026-03-08T23:00:00Z");
    assert_eq!(weeks[2]["to"], "2026-03-14T23:00:00Z");
    // Nothing yet in W09; everything in W10; only the open request after.
    assert_eq!(
        (weeks[0]["delivered"].as_i64(), weeks[0]["open"].as_i64()),
        (Some(0), Some(0))
    );
    assert_eq!(
        weeks[0]["target_pct"], 88.6,
        "an empty week shows the window's target"
    );
    assert_eq!(
        weeks[2]["target_pct"], 88.6,
        "so does a week with only open requests"
    );
    assert_eq!(
        figures(&weeks[1]),
        json!({"delivered": 7, "on_time": 4, "early": 3, "late": 3, "on_time_pct": 57.1,
               "target_pct": 88.6, "meets_target": false, "median_lateness_minutes": 0,
               "p90_lateness_minutes": 120, "open": 1, "overdue": 1, "avg_rating": 6.33, "rated": 3})
    );
    assert_eq!(
        (
            weeks[2]["delivered"].as_i64(),
            weeks[2]["open"].as_i64(),
            weeks[2]["overdue"].as_i64()
        ),
        (Some(0), Some(1), Some(1))
    );
    // The whole window agrees with the health report over it.
    let health = report(
        &app,
        &h.pair.leader,
        "/api/v1/reports/health?from=2026-03-01&to=2026-03-15&group_by=provider",
    )
    .await;
    assert_eq!(
        figures(&body["total"]),
        figures(row(
            &health,
            json!({"provider_department_id": h.pair.legal})
        ))
    );

    // A pair and an agreement name their group the same way.
    let pair = report(&app, &h.pair.leader, &format!("/api/v1/reports/trend?from=2026-03-02&to=2026-03-09&group_by=pair&provider={}&customer={}", h.pair.sales, h.pair.legal)).await;
    assert_eq!(pair["label"], "SALES → LEGAL");
    assert_eq!(
        (
            pair["weeks"][0]["delivered"].as_i64(),
            pair["weeks"][0]["late"].as_i64()
        ),
        (Some(1), Some(1))
    );
    let agreement = report(
        &app,
        &h.pair.leader,
        &format!(
            "/api/v1/reports/trend?from=2026-03-02&to=2026-03-09&group_by=agreement&agreement={}",
            h.ndas
        ),
    )
    .await;
    assert_eq!(agreement["weeks"][0]["early"], 1);
}

#[rocket::async_test]
async fn impact_ranks_departments_by_the_slip_they_put_on_endangered_commitments() {
    let app = spawn_app().await;
    let h = history(&app).await;
    let sales = &h.pair.sales_staff;
    // An IT request due Friday 6 March 17:00, still open.
    let laptop = app
        .log_request(sales, h.laptops, "2026-03-05T09:00:00+01:00", &[])
        .await["id"]
        .as_i64()
        .unwrap();
    let early_one = app
        .get(
            &format!("/api/v1/requests?agreement={}&limit=200", h.ndas),
            Some(&sales.token),
        )
        .await
        .body["items"][0]["id"]
        .as_i64()
        .unwrap();
    let commit = |title: &str, promised: &str, depends_on: Vec<i64>| {
        json!({"customer_name": "Globex", "title": title, "promised_at": promised,
               "owner_department_id": h.pair.sales, "depends_on": depends_on})
    };
    let mut ids = Vec::new();
    for body in [
        commit("Go-live", "2026-03-06T17:00:00+01:00", vec![h.open_request]),
        commit("Rollout", "2026-03-10T17:00:00+01:00", vec![laptop]),
        commit("Renewal", "2026-04-30T17:00:00+02:00", vec![early_one]),
    ] {
        let answer = app
            .post("/api/v1/commitments", Some(&sales.token), body)
            .await;
        assert_eq!(answer.status, Status::Created, "{}", answer.body);
        ids.push(id_of(&answer));
    }
    let (go_live, rollout, renewal) = (ids[0], ids[1], ids[2]);

    // As of Tuesday 10 March 13:00: the open Legal request finishes then,
    // 6 days 20 hours (9,840 min) after its due; the IT one 3 days 20 hours
    // (5,520 min) after its due. Go-live is late; Rollout, with 4 working
    // hours of slack, at risk; Renewal on track.
    let path = "/api/v1/reports/impact?as_of=2026-03-10T12:00:00Z";
    let body = report(&app, &h.pair.leader, path).await;
    assert_eq!(
        body["by_risk"],
        json!({"late": 1, "at_risk": 1, "on_track": 1})
    );
    let order: Vec<i64> = body["commitments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| int(&c["commitment_id"]))
        .collect();
    assert_eq!(order, [go_live, rollout, renewal]);
    assert_eq!(body["commitments"][0]["risk"], "late");
    assert_eq!(body["commitments"][0]["slip_minutes"], 9840);
    assert_eq!(
        body["commitments"][0]["critical_path"],
        json!([h.open_request])
    );
    assert_eq!(body["commitments"][1]["slack_minutes"], 240);

    let departments = body["departments"].as_array().unwrap();
    assert_eq!(departments.len(), 2);
    assert_eq!(
        (
            departments[0]["rank"].as_i64(),
            departments[0]["code"].as_str(),
            departments[0]["own_slip_minutes"].as_i64()
        ),
        (Some(1), Some("LEGAL"), Some(9840))
    );
    assert_eq!(
        departments[0]["commitments"],
        json!([{"commitment_id": go_live, "customer_name": "Globex", "title": "Go-live", "risk": "late",
                "own_slip_minutes": 9840, "customer_wait_minutes": 0, "request_ids": [h.open_request]}])
    );
    assert_eq!(
        (
            departments[1]["code"].as_str(),
            departments[1]["own_slip_minutes"].as_i64()
        ),
        (Some("IT"), Some(5520))
    );
    assert_eq!(departments[1]["commitments"][0]["commitment_id"], rollout);

    // Staff see every commitment but only their department's rank.
    let seen = report(&app, &h.it_staff, path).await;
    assert_eq!(seen["commitments"].as_array().unwrap().len(), 3);
    assert_eq!(seen["departments"].as_array().unwrap().len(), 1);
    assert_eq!(seen["departments"][0]["code"], "IT");

    // As CSV: the ranking by default, the commitments on request.
    let (status, _, csv) = fetch(&app, &h.pair.leader, path, "text/csv").await;
    assert_eq!(status, Status::Ok);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "rank,department_id,code,name,own_slip_minutes,customer_wait_minutes,commitments,commitment_ids"
    );
    assert_eq!(
        lines[1],
        format!(
            "1,{},LEGAL,Department LEGAL,9840,0,1,{go_live}",
            h.pair.legal
        )
    );
    let (_, _, csv) = fetch(
        &app,
        &h.pair.leader,
        &format!("{path}&table=commitments"),
        "text/csv",
    )
    .await;
    assert!(
        csv.lines()
            .nth(1)
            .unwrap()
            .starts_with(&format!("{go_live},Globex,Go-live,{},late,", h.pair.sales)),
        "{csv}"
    );

    let (status, content_type, html) = fetch(&app, &h.pair.leader, path, "text/html").await;
    assert_eq!(status, Status::Ok);
    assert!(content_type.starts_with("text/html"));
    assert!(
        html.contains("<svg") && html.contains("9840") && html.contains("Go-live for Globex"),
        "{html}"
    );
}

/// Parses simple CSV (no quoted fields) into a header and rows.
fn parse_csv(text: &str) -> (Vec<String>, Vec<Vec<String>>) {
    assert!(text.ends_with("\r\n"), "CRLF line ends");
    let mut lines = text.split("\r\n").filter(|line| !line.is_empty());
    let header = lines
        .next()
        .unwrap()
        .split(',')
        .map(str::to_owned)
        .collect();
    let rows = lines
        .map(|line| line.split(',').map(str::to_owned).collect())
        .collect();
    (header, rows)
}

/// Whether a CSV cell says the same as a JSON value.
fn same(cell: &str, value: &Value) -> bool {
    match value {
        Value::Null => cell.is_empty(),
        Value::Bool(b) => cell == b.to_string(),
        Value::Number(n) => cell.parse::<f64>().ok() == n.as_f64(),
        Value::String(s) => cell == s,
        _ => false,
    }
}

#[rocket::async_test]
async fn csv_gives_the_same_numbers_as_json() {
    let app = spawn_app().await;
    let h = history(&app).await;
    for group in ["agreement", "provider", "customer", "pair"] {
        let path = format!("/api/v1/reports/health?{MARCH}&group_by={group}");
        let json = report(&app, &h.pair.leader, &path).await;
        let (status, content_type, text) = fetch(&app, &h.pair.leader, &path, "text/csv").await;
        assert_eq!(status, Status::Ok);
        assert_eq!(content_type, "text/csv; charset=utf-8");
        let (header, rows) = parse_csv(&text);
        let json_rows = json["rows"].as_array().unwrap();
        assert_eq!(rows.len(), json_rows.len());
        for (cells, row) in rows.iter().zip(json_rows) {
            for (name, cell) in header.iter().zip(cells) {
                let value = if name.ends_with("_id") {
                    &row["key"][name]
                } else {
                    &row[name]
                };
                assert!(
                    same(cell, value),
                    "{group}: {name} is {cell} in CSV, {value} in JSON"
                );
            }
        }
    }
    let path = format!(
        "/api/v1/reports/trend?{MARCH}&group_by=agreement&agreement={}",
        h.contracts
    );
    let json = report(&app, &h.pair.leader, &path).await;
    let (_, _, text) = fetch(&app, &h.pair.leader, &path, "text/csv").await;
    let (header, rows) = parse_csv(&text);
    assert_eq!(&header[..3], ["week", "from", "to"]);
    for (cells, week) in rows.iter().zip(json["weeks"].as_array().unwrap()) {
        for (name, cell) in header.iter().zip(cells) {
            assert!(
                same(cell, &week[name]),
                "trend: {name} is {cell} in CSV, {} in JSON",
                week[name]
            );
        }
    }
    let path = format!("/api/v1/reports/matrix?{MARCH}");
    let json = report(&app, &h.pair.leader, &path).await;
    let (_, _, text) = fetch(&app, &h.pair.leader, &path, "text/csv").await;
    let (header, rows) = parse_csv(&text);
    for (cells, cell_json) in rows.iter().zip(json["cells"].as_array().unwrap()) {
        for (name, cell) in header.iter().zip(cells) {
            if !name.ends_with("_code") {
                assert!(
                    same(cell, &cell_json[name]),
                    "matrix: {name} is {cell} in CSV"
                );
            }
        }
    }
}

#[rocket::async_test]
async fn html_pages_render_the_figures_with_inline_svg_charts() {
    let app = spawn_app().await;
    let h = history(&app).await;
    let pages = [
        (
            format!("/api/v1/reports/health?{MARCH}&group_by=agreement"),
            vec!["LEGAL → SALES: Contract review", "50%", "6.33", "120"],
        ),
        (
            format!("/api/v1/reports/matrix?{MARCH}"),
            vec!["57.1%", "n=7", "LEGAL → SALES"],
        ),
        (
            format!(
                "/api/v1/reports/trend?{MARCH}&group_by=provider&provider={}",
                h.pair.legal
            ),
            vec!["2026-W10", "57.1%", "88.6%", "<polyline"],
        ),
        (
            "/api/v1/reports/impact?as_of=2026-03-10T12:00:00Z".to_owned(),
            vec!["Open commitments by risk"],
        ),
    ];
    for (path, expected) in pages {
        let (status, content_type, html) = fetch(
            &app,
            &h.pair.leader,
            &path,
            "text/html,application/xhtml+xml,*/*;q=0.8",
        )
        .await;
        assert_eq!(status, Status::Ok, "{path}: {html}");
        assert_eq!(content_type, "text/html; charset=utf-8");
        assert!(html.starts_with("<!doctype html>"), "{path}");
        assert!(html.contains("@media print"), "{path}: printable");
        assert!(
            !html.contains("http://") && !html.contains("https://") && !html.contains("<script"),
            "{path}: outside resources or scripts"
        );
        if !path.contains("impact") {
            assert!(
                html.contains("<svg") && html.contains("role=\"img\"") && html.contains("<table"),
                "{path}: chart and table"
            );
        }
        for text in expected {
            assert!(html.contains(text), "{path} lacks {text}: {html}");
        }
    }
}

#[rocket::async_test]
async fn leads_read_every_row_of_every_report() {
    let app = spawn_app().await;
    let h = history(&app).await;
    for path in [
        format!("/api/v1/reports/health?{MARCH}&group_by=pair"),
        format!("/api/v1/reports/health?{MARCH}&group_by=agreement"),
        format!("/api/v1/reports/matrix?{MARCH}"),
        format!(
            "/api/v1/reports/trend?{MARCH}&group_by=provider&provider={}",
            h.pair.legal
        ),
        "/api/v1/reports/impact?as_of=2026-03-10T12:00:00Z".to_owned(),
    ] {
        let admin = report(&app, &h.pair.admin, &path).await;
        let lead = report(&app, &h.it_lead, &path).await;
        assert_eq!(lead, admin, "{path}");
    }
    let pairs = report(
        &app,
        &h.it_lead,
        &format!("/api/v1/reports/health?{MARCH}&group_by=pair"),
    )
    .await;
    assert_eq!(keys(&pairs).len(), 3, "{pairs}");
}

#[rocket::async_test]
async fn staff_see_only_their_departments_rows() {
    let app = spawn_app().await;
    let h = history(&app).await;
    let (legal, sales, it) = (h.pair.legal, h.pair.sales, h.it);
    let admin_rows = report(
        &app,
        &h.pair.admin,
        &format!("/api/v1/reports/health?{MARCH}&group_by=provider"),
    )
    .await;
    let legal_rows = report(
        &app,
        &h.pair.legal_staff,
        &format!("/api/v1/reports/health?{MARCH}&group_by=provider"),
    )
    .await;
    // Legal's own row, whole: all of its deliveries, to anyone.
    assert_eq!(
        keys(&legal_rows),
        [json!({"provider_department_id": legal})]
    );
    assert_eq!(
        legal_rows["rows"][0],
        *row(&admin_rows, json!({"provider_department_id": legal}))
    );

    let pairs = report(
        &app,
        &h.pair.legal_staff,
        &format!("/api/v1/reports/health?{MARCH}&group_by=pair"),
    )
    .await;
    assert_eq!(
        keys(&pairs),
        [
            json!({"provider_department_id": legal, "customer_department_id": sales}),
            json!({"provider_department_id": sales, "customer_department_id": legal}),
        ]
    );
    let it_agreements = report(
        &app,
        &h.it_staff,
        &format!("/api/v1/reports/health?{MARCH}&group_by=agreement"),
    )
    .await;
    assert_eq!(keys(&it_agreements), [json!({"agreement_id": h.laptops})]);
    let it_customers = report(
        &app,
        &h.it_staff,
        &format!("/api/v1/reports/health?{MARCH}&group_by=customer"),
    )
    .await;
    assert_eq!(
        keys(&it_customers),
        Vec::<Value>::new(),
        "IT receives nothing"
    );

    let matrix = report(
        &app,
        &h.it_staff,
        &format!("/api/v1/reports/matrix?{MARCH}"),
    )
    .await;
    assert_eq!(matrix["cells"].as_array().unwrap().len(), 1);
    assert_eq!(matrix["cells"][0]["provider_department_id"], it);

    // Another department's trend is forbidden; their own is not.
    let other = app
        .get(
            &format!("/api/v1/reports/trend?{MARCH}&group_by=provider&provider={legal}"),
            Some(&h.it_staff.token),
        )
        .await;
    assert_problem(&other, Status::Forbidden);
    let other = app
        .get(
            &format!(
                "/api/v1/reports/trend?{MARCH}&group_by=agreement&agreement={}",
                h.contracts
            ),
            Some(&h.it_staff.token),
        )
        .await;
    assert_problem(&other, Status::Forbidden);
    report(
        &app,
        &h.it_staff,
        &format!("/api/v1/reports/trend?{MARCH}&group_by=pair&provider={it}&customer={sales}"),
    )
    .await;

    // The CSV and HTML forms are scoped the same way.
    let (_, _, csv) = fetch(
        &app,
        &h.it_staff,
        &format!("/api/v1/reports/health?{MARCH}&group_by=pair"),
        "text/csv",
    )
    .await;
    assert_eq!(csv.lines().count(), 2, "{csv}");
    let (_, _, html) = fetch(
        &app,
        &h.it_staff,
        &format!("/api/v1/reports/health?{MARCH}&group_by=pair"),
        "text/html",
    )
    .await;
    assert!(html.contains("IT → SALES") && !html.contains("LEGAL → SALES"));
}

#[rocket::async_test]
async fn another_organisation_sees_none_of_it() {
    let app = spawn_app().await;
    let h = history(&app).await;
    let globex = app.signup("Globex", "gil@globex.test").await;
    for group in ["agreement", "provider", "customer", "pair"] {
        let body = report(
            &app,
            &globex,
            &format!("/api/v1/reports/health?{MARCH}&group_by={group}"),
        )
        .await;
        assert_eq!(body["rows"], json!([]));
    }
    let matrix = report(&app, &globex, &format!("/api/v1/reports/matrix?{MARCH}")).await;
    assert_eq!(matrix["cells"], json!([]));
    let impact = report(&app, &globex, "/api/v1/reports/impact").await;
    assert_eq!(impact["commitments"], json!([]));
    let trend = app
        .get(
            &format!(
                "/api/v1/reports/trend?{MARCH}&group_by=provider&provider={}",
                h.pair.legal
            ),
            Some(&globex.token),
        )
        .await;
    assert_problem(&trend, Status::UnprocessableEntity);
    assert!(trend.body["errors"]["provider"].is_array());
    let trend = app
        .get(
            &format!(
                "/api/v1/reports/trend?{MARCH}&group_by=agreement&agreement={}",
                h.contracts
            ),
            Some(&globex.token),
        )
        .await;
    assert!(
        trend.body["errors"]["agreement"].is_array(),
        "{}",
        trend.body
    );
    // And the report needs a token at all.
    assert_problem(
        &app.get(&format!("/api/v1/reports/health?{MARCH}"), None)
            .await,
        Status::Unauthorized,
    );
}

#[rocket::async_test]
async fn bad_parameters_are_422_naming_the_field() {
    let app = spawn_app().await;
    let admin = app.signup("Acme", "ada@acme.test").await;
    let department = app.create_department(&admin, "LEGAL").await;
    for (path, field) in [
        (
            "/api/v1/reports/health?from=2026-04-01T00:00:00Z&to=2026-03-01T00:00:00Z",
            "from",
        ),
        (
            "/api/v1/reports/health?from=2026-03-01T00:00:00Z&to=2026-03-01T00:00:00Z",
            "from",
        ),
        ("/api/v1/reports/health?from=yesterday", "from"),
        ("/api/v1/reports/health?to=2026-02-30", "to"),
        ("/api/v1/reports/health?group_by=team", "group_by"),
        ("/api/v1/reports/matrix?from=2026-13-01", "from"),
        ("/api/v1/reports/trend?from=2026-03-01", "group_by"),
        ("/api/v1/reports/trend?group_by=weekday", "group_by"),
        ("/api/v1/reports/trend?group_by=provider", "provider"),
        (
            "/api/v1/reports/trend?group_by=provider&provider=abc",
            "provider",
        ),
        (
            "/api/v1/reports/trend?group_by=pair&provider=DEP",
            "customer",
        ),
        (
            "/api/v1/reports/trend?group_by=customer&customer=999999",
            "customer",
        ),
        (
            "/api/v1/reports/trend?from=2020-01-01&to=2026-01-01&group_by=customer&customer=DEP",
            "to",
        ),
        ("/api/v1/reports/impact?as_of=soon", "as_of"),
        ("/api/v1/reports/impact?table=everything", "table"),
    ] {
        let path = path.replace("DEP", &department.to_string());
        let answer = app.get(&path, Some(&admin.token)).await;
        assert_problem(&answer, Status::UnprocessableEntity);
        assert!(
            answer.body["errors"][field].is_array(),
            "{path}: {}",
            answer.body
        );
    }
    // A provider key with group_by=customer is a mistake, not ignored.
    let answer = app
        .get(&format!("/api/v1/reports/trend?group_by=customer&customer={department}&provider={department}"), Some(&admin.token))
        .await;
    assert!(
        answer.body["errors"]["provider"].is_array(),
        "{}",
        answer.body
    );
}
