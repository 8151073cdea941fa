//! The daily contact plan through HTTP: the provider's lead is offered the
//! customer the rule picks (lowest recent pulse score among those not
//! called lately, else the one called longest ago), records the day's
//! contact or skips it, once a day; skipped days are counted. Legal's
//! calendar here works every hour of every day, so that any day the test
//! runs is a working day.

use rocket::http::Status;
use serde_json::{Value, json};

use crate::common::{Pair, TestApp, assert_problem, spawn_app};

async fn always_working(app: &TestApp, pair: &Pair) {
    let calendar = app.default_calendar(&pair.admin).await;
    let all_day = json!([["00:00", "24:00"]]);
    let weekly: serde_json::Map<String, Value> = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
        .iter()
        .map(|day| ((*day).to_owned(), all_day.clone()))
        .collect();
    let edited = app
        .patch(
            &format!("/api/v1/calendars/{calendar}"),
            Some(&pair.admin.token),
            Some("\"1\""),
            json!({"timezone": "Europe/Berlin", "weekly": weekly}),
        )
        .await;
    assert_eq!(edited.status, Status::Ok, "{}", edited.body);
}

#[rocket::async_test]
async fn the_providers_lead_is_offered_a_customer_records_the_call_once_and_skips_are_counted() {
    let app = spawn_app().await;
    let pair = app.pair().await;
    always_working(&app, &pair).await;
    app.active_agreement(&pair, 16.0, "business_hours").await;
    let plan_path = format!("/api/v1/departments/{}/contact-plan", pair.legal);
    let record_path = format!("/api/v1/departments/{}/contacts", pair.legal);

    for outsider in [&pair.legal_staff, &pair.sales_lead, &pair.leader] {
        let refused = app.get(&plan_path, Some(&outsider.token)).await;
        assert_problem(&refused, Status::Forbidden);
    }
    let plan = app.get(&plan_path, Some(&pair.legal_lead.token)).await;
    assert_eq!(plan.status, Status::Ok, "{}", plan.body);
    assert_eq!(plan.body["working_day"], json!(true));
    assert_eq!(
        plan.body["suggestion"]["customer_department_id"],
        json!(pair.sales),
        "{}",
        plan.body
    );
    assert_eq!(
        plan.body["suggestion"]["reason"],
        json!("not contacted yet")
    );
    assert_eq!(plan.body["today"], Value::Null);

    let neither = app
        .post(&record_path, Some(&pair.legal_lead.token), json!({}))
        .await;
    assert_problem(&neither, Status::UnprocessableEntity);
    let silent = app
        .post(
            &record_path,
            Some(&pair.legal_lead.token),
            json!({"customer_department_id": pair.sales}),
        )
        .await;
    assert_problem(&silent, Status::UnprocessableEntity);
    assert!(silent.body["errors"]["note"].is_array(), "{}", silent.body);
    let stranger = app
        .post(
            &record_path,
            Some(&pair.legal_lead.token),
            json!({"customer_department_id": pair.legal, "note": "Talked to ourselves"}),
        )
        .await;
    assert_problem(&stranger, Status::UnprocessableEntity);

    let called = app
        .post(
            &record_path,
            Some(&pair.legal_lead.token),
            json!({"customer_department_id": pair.sales, "note": "Sara wants a heads-up before month end"}),
        )
        .await;
    assert_eq!(called.status, Status::Created, "{}", called.body);
    assert_eq!(called.body["outcome"], json!("contacted"));
    let again = app
        .post(
            &record_path,
            Some(&pair.legal_lead.token),
            json!({"skipped": true}),
        )
        .await;
    assert_problem(&again, Status::Conflict);
    let plan = app.get(&plan_path, Some(&pair.legal_lead.token)).await;
    assert_eq!(
        plan.body["today"]["note"],
        json!("Sara wants a heads-up before month end")
    );
    assert_eq!(plan.body["contacted"], json!(1));
    assert_eq!(plan.body["skipped"], json!(0));

    // The pair's next review shows the call on its agenda.
    let review = app
        .post(
            "/api/v1/reviews",
            Some(&pair.sales_lead.token),
            json!({"department_ids": [pair.legal, pair.sales],
                   "scheduled_at": (chrono::Utc::now() + chrono::TimeDelta::days(3)).to_rfc3339(),
                   "duration_minutes": 30, "every_weeks": 0}),
        )
        .await;
    assert_eq!(review.status, Status::Created, "{}", review.body);
    let agenda = app
        .get(
            &format!("/api/v1/reviews/{}/agenda", review.body["id"]),
            Some(&pair.sales_lead.token),
        )
        .await;
    assert_eq!(
        agenda.body["voice"]["contacts"][0]["note"],
        json!("Sara wants a heads-up before month end"),
        "{}",
        agenda.body
    );
}

#[rocket::async_test]
async fn a_skipped_day_is_recorded_and_counted() {
    let app = spawn_app().await;
    let pair = app.pair().await;
    always_working(&app, &pair).await;
    app.active_agreement(&pair, 16.0, "business_hours").await;
    let skipped = app
        .post(
            &format!("/api/v1/departments/{}/contacts", pair.legal),
            Some(&pair.legal_lead.token),
            json!({"skipped": true}),
        )
        .await;
    assert_eq!(skipped.status, Status::Created, "{}", skipped.body);
    assert_eq!(skipped.body["outcome"], json!("skipped"));
    assert_eq!(
        skipped.body["customer_department_id"],
        json!(pair.sales),
        "the customer it was offered"
    );
    let plan = app
        .get(
            &format!("/api/v1/departments/{}/contact-plan", pair.legal),
            Some(&pair.legal_lead.token),
        )
        .await;
    assert_eq!(plan.body["skipped"], json!(1));
    assert_eq!(plan.body["contacted"], json!(0));
}

#[rocket::async_test]
async fn the_lead_records_the_days_call_on_the_pulse_page() {
    use crate::pages::{csrf_of, page, sign_in};
    use rocket::http::ContentType;

    let app = spawn_app().await;
    let pair = app.pair().await;
    always_working(&app, &pair).await;
    app.active_agreement(&pair, 16.0, "business_hours").await;
    let staff = sign_in(&app, "lars@acme.test").await;
    let (_, html) = page(&app, &staff, "/pulses").await;
    assert!(!html.contains("Today's call"), "staff have no call to make");

    let lead = sign_in(&app, "lena@acme.test").await;
    let (_, html) = page(&app, &lead, "/pulses").await;
    assert!(
        html.contains("Call <strong>Department SALES</strong> today: not contacted yet"),
        "{html}"
    );
    let csrf = csrf_of(&html);
    let send = |body: String| {
        let client = &app.client;
        let lead = lead.clone();
        async move {
            let response = client
                .post("/contacts")
                .cookie(lead)
                .header(ContentType::Form)
                .body(body)
                .dispatch()
                .await;
            let status = response.status();
            (status, response.into_string().await.unwrap_or_default())
        }
    };
    let (status, refused) = send(format!(
        "_csrf={csrf}&customer_department_id={}&note=&action=call",
        pair.sales
    ))
    .await;
    assert_eq!(status, Status::UnprocessableEntity);
    assert!(refused.contains("must say what was said"), "{refused}");
    let (status, _) = send(format!(
        "_csrf={csrf}&customer_department_id={}&note=They+need+earlier+drafts&action=call",
        pair.sales
    ))
    .await;
    assert_eq!(status, Status::SeeOther);
    let (_, html) = page(&app, &lead, "/pulses").await;
    assert!(
        html.contains("Done for today: you called Department SALES") && html.contains("1 call,"),
        "{html}"
    );
}
