//! The voice of the internal customer, first part: thanks for a delivery,
//! and the level of service of every delivery (missed, satisfied, exceeded,
//! delighted, amazed), through HTTP, with the report's figures against a
//! count made by hand.
//!
//! Legal owes Sales 16 business hours (Europe/Berlin, 09:00–17:00): a
//! request logged Monday 2 March 2026 at 09:00 is due Tuesday at 17:00, and
//! half its agreed time is used up on Monday at 17:00.

use rocket::http::Status;
use serde_json::{Value, json};

use crate::common::{Pair, TestApp, assert_problem, spawn_app};

const MONDAY_9: &str = "2026-03-02T09:00:00+01:00";

async fn delivered_at(app: &TestApp, pair: &Pair, agreement: i64, at: &str) -> i64 {
    let id = app
        .log_request(&pair.sales_staff, agreement, MONDAY_9, &[])
        .await["id"]
        .as_i64()
        .unwrap();
    let started = app
        .act(&pair.legal_staff, id, "start", json!({"at": MONDAY_9}))
        .await;
    assert_eq!(started.status, Status::Ok, "{}", started.body);
    let delivered = app
        .act(&pair.legal_staff, id, "deliver", json!({"at": at}))
        .await;
    assert_eq!(delivered.status, Status::Ok, "{}", delivered.body);
    id
}

async fn level_of(app: &TestApp, pair: &Pair, id: i64) -> Value {
    app.get(
        &format!("/api/v1/requests/{id}"),
        Some(&pair.sales_staff.token),
    )
    .await
    .body["service_level"]
        .clone()
}

async fn rate(app: &TestApp, pair: &Pair, id: i64, score: i64) {
    let rated = app
        .act(&pair.sales_staff, id, "rating", json!({"score": score}))
        .await;
    assert_eq!(rated.status, Status::Ok, "{}", rated.body);
}

async fn thank(
    app: &TestApp,
    who: &crate::common::Session,
    id: i64,
    note: &str,
) -> crate::common::Answer {
    app.post(
        &format!("/api/v1/requests/{id}/thanks"),
        Some(&who.token),
        json!({"note": note}),
    )
    .await
}

#[rocket::async_test]
async fn the_customer_thanks_a_delivery_once_and_every_member_of_the_provider_hears_it() {
    let app = spawn_app().await;
    let pair = app.pair().await;
    let agreement = app.active_agreement(&pair, 16.0, "business_hours").await;
    let open = app
        .log_request(&pair.sales_staff, agreement, MONDAY_9, &[])
        .await["id"]
        .as_i64()
        .unwrap();
    let early = thank(&app, &pair.sales_staff, open, "Thanks!").await;
    assert_problem(&early, Status::Conflict);

    let id = delivered_at(&app, &pair, agreement, "2026-03-03T12:00:00+01:00").await;
    for outsider in [&pair.legal_staff, &pair.legal_lead, &pair.leader] {
        let refused = thank(&app, outsider, id, "Well done us").await;
        assert_problem(&refused, Status::Forbidden);
    }
    let empty = thank(&app, &pair.sales_staff, id, "   ").await;
    assert_problem(&empty, Status::UnprocessableEntity);
    assert!(empty.body["errors"]["note"].is_array(), "{}", empty.body);
    let long = thank(&app, &pair.sales_staff, id, &"x".repeat(501)).await;
    assert_problem(&long, Status::UnprocessableEntity);
    let listed = app
        .get(
            &format!("/api/v1/requests/{id}/thanks"),
            Some(&pair.sales_staff.token),
        )
        .await;
    assert_eq!(listed.body, json!([]), "refusals change nothing");

    let given = thank(
        &app,
        &pair.sales_staff,
        id,
        "Turned round before the board meeting",
    )
    .await;
    assert_eq!(given.status, Status::Created, "{}", given.body);
    assert_eq!(given.body["provider_department_id"], json!(pair.legal));
    let again = thank(&app, &pair.sales_staff, id, "And again").await;
    assert_problem(&again, Status::Conflict);
    let lead_too = thank(&app, &pair.sales_lead, id, "From me as well").await;
    assert_eq!(
        lead_too.status,
        Status::Created,
        "another person may thank too"
    );

    for member in [&pair.legal_staff, &pair.legal_lead] {
        let notices = app.get("/api/v1/notifications", Some(&member.token)).await;
        let thanked: Vec<&Value> = notices.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|notice| notice["kind"] == "thanked")
            .collect();
        assert_eq!(thanked.len(), 2, "{}", notices.body);
        assert!(
            thanked.iter().any(|notice| notice["message"]
                .as_str()
                .is_some_and(|m| m.contains("Turned round before the board meeting"))),
            "{}",
            notices.body
        );
    }
    let customer = app
        .get("/api/v1/notifications", Some(&pair.sales_lead.token))
        .await;
    assert!(
        !customer.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["kind"] == "thanked"),
        "the customer side is not told of its own thanks"
    );

    let received = app
        .get(
            &format!("/api/v1/departments/{}/thanks", pair.legal),
            Some(&pair.sales_staff.token),
        )
        .await;
    assert_eq!(received.status, Status::Ok);
    let notes: Vec<&str> = received.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["note"].as_str().unwrap())
        .collect();
    assert_eq!(
        notes,
        ["From me as well", "Turned round before the board meeting"],
        "newest first"
    );
    let request = app
        .get(
            &format!("/api/v1/requests/{id}"),
            Some(&pair.legal_staff.token),
        )
        .await;
    assert_eq!(request.body["thanked"], json!(true));
    let history = app
        .get(
            &format!("/api/v1/requests/{id}/events"),
            Some(&pair.legal_staff.token),
        )
        .await;
    assert!(
        history
            .body
            .as_array()
            .unwrap()
            .iter()
            .any(|event| event["kind"] == "thanked"),
        "{}",
        history.body
    );
}

#[rocket::async_test]
async fn each_delivery_gets_the_highest_level_it_reaches_at_the_boundaries() {
    let app = spawn_app().await;
    let pair = app.pair().await;
    let agreement = app.active_agreement(&pair, 16.0, "business_hours").await;

    // Exactly half the agreed working time: Monday 17:00.
    let half = delivered_at(&app, &pair, agreement, "2026-03-02T17:00:00+01:00").await;
    assert_eq!(level_of(&app, &pair, half).await, json!("exceeded"));
    // A minute of working time more: Tuesday 09:01.
    let more = delivered_at(&app, &pair, agreement, "2026-03-03T09:01:00+01:00").await;
    assert_eq!(level_of(&app, &pair, more).await, json!("satisfied"));

    // Rated 9 delights; 8 leaves it satisfied; 4 misses even a fast one.
    let nine = delivered_at(&app, &pair, agreement, "2026-03-03T12:00:00+01:00").await;
    rate(&app, &pair, nine, 9).await;
    assert_eq!(level_of(&app, &pair, nine).await, json!("delighted"));
    let eight = delivered_at(&app, &pair, agreement, "2026-03-03T12:00:00+01:00").await;
    rate(&app, &pair, eight, 8).await;
    assert_eq!(level_of(&app, &pair, eight).await, json!("satisfied"));
    let four = delivered_at(&app, &pair, agreement, "2026-03-02T10:00:00+01:00").await;
    rate(&app, &pair, four, 4).await;
    assert_eq!(level_of(&app, &pair, four).await, json!("missed"));

    // Late but rated 10 and thanked: missed.
    let late = delivered_at(&app, &pair, agreement, "2026-03-04T10:00:00+01:00").await;
    rate(&app, &pair, late, 10).await;
    assert_eq!(
        thank(&app, &pair.sales_staff, late, "Worth the wait")
            .await
            .status,
        Status::Created
    );
    assert_eq!(level_of(&app, &pair, late).await, json!("missed"));

    // Rated 10 and thanked, in either order: amazed; a 10 alone delights.
    let amazed = delivered_at(&app, &pair, agreement, "2026-03-03T16:00:00+01:00").await;
    rate(&app, &pair, amazed, 10).await;
    assert_eq!(level_of(&app, &pair, amazed).await, json!("delighted"));
    thank(&app, &pair.sales_staff, amazed, "Superb").await;
    assert_eq!(level_of(&app, &pair, amazed).await, json!("amazed"));
    let thanked_first = delivered_at(&app, &pair, agreement, "2026-03-03T16:00:00+01:00").await;
    thank(&app, &pair.sales_lead, thanked_first, "Superb").await;
    assert_eq!(
        level_of(&app, &pair, thanked_first).await,
        json!("satisfied")
    );
    rate(&app, &pair, thanked_first, 10).await;
    assert_eq!(level_of(&app, &pair, thanked_first).await, json!("amazed"));

    // Reopened, it has no level until delivered again.
    let reopened = app
        .act(
            &pair.sales_staff,
            more,
            "reopen",
            json!({"reason": "Clause 4 missing", "at": "2026-03-03T10:00:00+01:00"}),
        )
        .await;
    assert_eq!(reopened.status, Status::Ok, "{}", reopened.body);
    assert_eq!(level_of(&app, &pair, more).await, Value::Null);
    let open = app
        .log_request(&pair.sales_staff, agreement, MONDAY_9, &[])
        .await;
    assert_eq!(open["service_level"], Value::Null);

    // The report counts them as made by hand: of the 7 deliveries left
    // (the reopened one is owed again), missed 2 (rated 4; late), satisfied
    // 1 (rated 8), exceeded 1 (half the time), delighted 1 (rated 9),
    // amazed 2.
    let report = app
        .get(
            &format!(
                "/api/v1/reports/health?from=2026-03-01&to=2026-04-01&group_by=provider&provider={}",
                pair.legal
            ),
            Some(&pair.leader.token),
        )
        .await;
    assert_eq!(report.status, Status::Ok, "{}", report.body);
    let row = &report.body["rows"][0];
    let counts: Vec<i64> = ["missed", "satisfied", "exceeded", "delighted", "amazed"]
        .iter()
        .map(|level| row[*level].as_i64().unwrap())
        .collect();
    assert_eq!(counts, [2, 1, 1, 1, 2], "{row}");
    assert_eq!(row["delivered"], json!(7), "{row}");
    assert_eq!(row["amazed_pct"], json!(28.6), "{row}");
    assert_eq!(row["exceeded_pct"], json!(14.3), "{row}");
    let weekly = app
        .get(
            &format!(
                "/api/v1/reports/trend?from=2026-03-02&to=2026-03-09&group_by=provider&provider={}",
                pair.legal
            ),
            Some(&pair.leader.token),
        )
        .await;
    assert_eq!(
        weekly.body["weeks"][0]["amazed"],
        json!(2),
        "{}",
        weekly.body
    );
    let page = app
        .client
        .get(format!(
            "/api/v1/reports/health?from=2026-03-01&to=2026-04-01&group_by=provider&provider={}",
            pair.legal
        ))
        .header(rocket::http::Header::new("Accept", "text/html"))
        .header(rocket::http::Header::new(
            "Authorization",
            format!("Bearer {}", pair.leader.token),
        ))
        .dispatch()
        .await
        .into_string()
        .await
        .unwrap_or_default();
    let levels = page
        .split("Levels of service")
        .nth(1)
        .unwrap_or_else(|| panic!("no levels table in {page}"));
    assert!(
        levels.contains("<td>28.6%</td>") && levels.contains("<td>14.3%</td>"),
        "{levels}"
    );
}

#[rocket::async_test]
async fn a_customer_thanks_from_the_request_page_and_the_provider_page_shows_it() {
    use crate::pages::{csrf_of, page, sign_in};
    use rocket::http::ContentType;

    let app = spawn_app().await;
    let pair = app.pair().await;
    let agreement = app.active_agreement(&pair, 16.0, "business_hours").await;
    let id = delivered_at(&app, &pair, agreement, "2026-03-02T16:00:00+01:00").await;

    let provider = sign_in(&app, "lars@acme.test").await;
    let (_, html) = page(&app, &provider, &format!("/requests/{id}")).await;
    assert!(
        !html.contains(&format!("action=\"/requests/{id}/thanks\"")),
        "the provider is not offered to thank itself"
    );
    assert!(
        html.contains("Level of service") && html.contains("Exceeded"),
        "{html}"
    );

    let customer = sign_in(&app, "sam@acme.test").await;
    let (_, html) = page(&app, &customer, &format!("/requests/{id}")).await;
    assert!(
        html.contains(&format!("action=\"/requests/{id}/thanks\"")),
        "{html}"
    );
    let csrf = csrf_of(&html);
    let refused = app
        .client
        .post(format!("/requests/{id}/thanks"))
        .cookie(customer.clone())
        .header(ContentType::Form)
        .body(format!("_csrf={csrf}&note=+"))
        .dispatch()
        .await;
    assert_eq!(refused.status(), Status::UnprocessableEntity);
    let sent = app
        .client
        .post(format!("/requests/{id}/thanks"))
        .cookie(customer.clone())
        .header(ContentType::Form)
        .body(format!("_csrf={csrf}&note=Ready+before+lunch%2C+thank+you"))
        .dispatch()
        .await;
    assert_eq!(sent.status(), Status::SeeOther);
    let (_, html) = page(&app, &customer, &format!("/requests/{id}")).await;
    assert!(html.contains("Ready before lunch, thank you"), "{html}");
    assert!(
        !html.contains(&format!("action=\"/requests/{id}/thanks\"")),
        "thanked once, the form is gone"
    );
    let (_, department) = page(&app, &provider, &format!("/departments/{}", pair.legal)).await;
    let thanks = department
        .split("Thanks from its customers")
        .nth(1)
        .unwrap_or_default();
    assert!(
        thanks.contains("Ready before lunch, thank you") && thanks.contains("Department SALES"),
        "{department}"
    );
}
