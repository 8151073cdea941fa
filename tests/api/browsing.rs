//! Finding one's way in the web interface: the lists of agreements,
//! commitments and reviews with the API's filters, the reports inside the
//! application (navigation, period picker, grouping switch, CSV), the
//! leadership dashboard, and links only where the reader may follow them.

use crate::common::{TestApp, spawn_app};
use crate::pages::{page, sign_in};
use rocket::http::Status;
use serde_json::json;

/// The part of `html` from `start` to the next `end`.
fn section<'a>(html: &'a str, start: &str, end: &str) -> &'a str {
    let from = html
        .find(start)
        .unwrap_or_else(|| panic!("{start} not in {html}"));
    let rest = &html[from..];
    &rest[..rest.find(end).map_or(rest.len(), |at| at + end.len())]
}

/// Legal owes Sales a request that a Sales commitment waits on, and a
/// second request waits on the first; IT is a third department.
struct Chain {
    first: i64,
    second: i64,
    commitment: i64,
}

async fn chain(app: &TestApp, pair: &crate::common::Pair) -> Chain {
    let agreement = app.active_agreement(pair, 16.0, "business_hours").await;
    let first = app
        .log_request(
            &pair.sales_staff,
            agreement,
            "2026-03-02T09:00:00+01:00",
            &[],
        )
        .await["id"]
        .as_i64()
        .unwrap();
    let answer = app
        .post(
            "/api/v1/requests",
            Some(&pair.sales_staff.token),
            json!({"agreement_id": agreement, "title": "Signed supplier terms", "details": "",
                   "requested_at": "2026-03-02T09:00:00+01:00", "depends_on": [first]}),
        )
        .await;
    assert_eq!(answer.status, Status::Created, "{}", answer.body);
    let second = answer.body["id"].as_i64().unwrap();
    let commitment = app
        .post(
            "/api/v1/commitments",
            Some(&pair.sales_lead.token),
            json!({"customer_name": "Globex", "title": "Go-live", "promised_at": "2026-03-05T17:00:00+01:00",
                   "owner_department_id": pair.sales, "depends_on": [second]}),
        )
        .await;
    assert_eq!(commitment.status, Status::Created, "{}", commitment.body);
    Chain {
        first,
        second,
        commitment: commitment.body["id"].as_i64().unwrap(),
    }
}

#[rocket::async_test]
async fn a_commitment_names_every_request_on_its_chain_but_links_only_those_the_reader_may_open() {
    let app = spawn_app().await;
    let pair = app.pair().await;
    let chain = chain(&app, &pair).await;
    let it = app.create_department(&pair.admin, "IT").await;
    app.create_user(&pair.admin, "ivy@acme.test", "staff", Some(it))
        .await;

    let outsider = sign_in(&app, "ivy@acme.test").await;
    let (status, html) = page(
        &app,
        &outsider,
        &format!("/commitments/{}", chain.commitment),
    )
    .await;
    assert_eq!(status, Status::Ok);
    assert!(
        html.contains("NDA for Globex") && html.contains("Signed supplier terms"),
        "the chain is named by title: {html}"
    );
    assert!(
        !html.contains(&format!("href=\"/requests/{}\"", chain.first))
            && !html.contains(&format!("href=\"/requests/{}\"", chain.second)),
        "a request of two other departments is not a link: {html}"
    );
    let (refused, _) = page(&app, &outsider, &format!("/requests/{}", chain.first)).await;
    assert_eq!(refused, Status::NotFound, "and indeed it may not be opened");

    let party = sign_in(&app, "sam@acme.test").await;
    let (_, html) = page(&app, &party, &format!("/commitments/{}", chain.commitment)).await;
    assert!(
        html.contains(&format!("href=\"/requests/{}\"", chain.first))
            && html.contains(&format!("href=\"/requests/{}\"", chain.second)),
        "a party to the requests follows them: {html}"
    );
}

#[rocket::async_test]
async fn a_request_page_names_what_it_needs_first_what_waits_on_it_and_the_promise_it_feeds() {
    let app = spawn_app().await;
    let pair = app.pair().await;
    let chain = chain(&app, &pair).await;
    let cookie = sign_in(&app, "lars@acme.test").await;

    let (status, html) = page(&app, &cookie, &format!("/requests/{}", chain.first)).await;
    assert_eq!(status, Status::Ok);
    let around = section(&html, "<h2>Handoffs around it</h2>", "</ul>");
    assert!(
        around.contains("Waiting on it")
            && around.contains(&format!("href=\"/requests/{}\"", chain.second))
            && around.contains("Signed supplier terms"),
        "{around}"
    );
    let facts = section(&html, "<dt>Endangers</dt>", "</dd>");
    assert!(
        facts.contains("Go-live")
            && facts.contains("Globex")
            && facts.contains(&format!("href=\"/commitments/{}\"", chain.commitment)),
        "the promise is named: {facts}"
    );
    let due = section(&html, "<dt>Due</dt>", "</dd>");
    assert!(
        due.contains(" ago)"),
        "a past due reads as how long ago: {due}"
    );

    let (_, html) = page(&app, &cookie, &format!("/requests/{}", chain.second)).await;
    let around = section(&html, "<h2>Handoffs around it</h2>", "</ul>");
    assert!(
        around.contains("It needs first")
            && around.contains("NDA for Globex")
            && around.contains(&format!("href=\"/requests/{}\"", chain.first)),
        "{around}"
    );
}

#[rocket::async_test]
async fn agreements_commitments_and_reviews_are_listed_with_the_apis_filters_in_plain_words() {
    let app = spawn_app().await;
    let pair = app.pair().await;
    let chain = chain(&app, &pair).await;
    let review = app
        .post(
            "/api/v1/reviews",
            Some(&pair.legal_lead.token),
            json!({"department_ids": [pair.legal, pair.sales], "scheduled_at": "2026-03-10T10:00:00+01:00",
                   "duration_minutes": 60, "every_weeks": 4}),
        )
        .await;
    assert_eq!(review.status, Status::Created, "{}", review.body);
    let cookie = sign_in(&app, "sara@acme.test").await;

    let (status, html) = page(&app, &cookie, "/agreements").await;
    assert_eq!(status, Status::Ok);
    assert!(
        html.contains("Contract review") && html.contains("Department LEGAL</a> serves"),
        "{html}"
    );
    assert!(
        html.contains("16 business hours") || html.contains("16 working hours"),
        "{html}"
    );
    let (_, drafts) = page(&app, &cookie, "/agreements?status=draft").await;
    assert!(
        !drafts.contains("Contract review"),
        "the filter applies: {drafts}"
    );
    assert!(drafts.contains("No agreement matches."));
    let (status, refused) = page(&app, &cookie, "/agreements?status=nonsense").await;
    assert_eq!(status, Status::UnprocessableEntity);
    assert!(
        refused.contains("These filters cannot be read: status must be"),
        "{refused}"
    );
    assert!(
        refused.contains("<nav class=\"app\""),
        "a refusal keeps the way home"
    );

    let (_, html) = page(&app, &cookie, "/commitments?status=open").await;
    let row = section(
        &html,
        &format!("href=\"/commitments/{}\"", chain.commitment),
        "</tr>",
    );
    assert!(
        row.contains("Go-live") && row.contains("for Globex"),
        "{row}"
    );
    assert!(
        row.contains(">Late<") || row.contains(">At risk<") || row.contains(">On track<"),
        "{row}"
    );
    let (_, fulfilled) = page(&app, &cookie, "/commitments?status=fulfilled").await;
    assert!(!fulfilled.contains("Go-live"));

    let (_, html) = page(
        &app,
        &cookie,
        &format!("/reviews?department={}", pair.legal),
    )
    .await;
    assert!(
        html.contains(&format!("href=\"/reviews/{}\"", review.body["id"]))
            && html.contains("every 4 weeks")
            && html.contains("Scheduled"),
        "{html}"
    );
    assert!(
        html.contains("Schedule a review"),
        "a lead may schedule one"
    );
    let staff = sign_in(&app, "sam@acme.test").await;
    let (_, html) = page(&app, &staff, "/reviews").await;
    assert!(!html.contains("Schedule a review"), "staff may not");
    let (_, html) = page(&app, &staff, "/agreements").await;
    assert!(
        !html.contains("Draft a new agreement"),
        "nor draft agreements"
    );
}

#[rocket::async_test]
async fn the_reports_live_in_the_application_with_a_period_a_grouping_and_their_csv() {
    let app = spawn_app().await;
    let pair = app.pair().await;
    let chain = chain(&app, &pair).await;
    let cookie = sign_in(&app, "leo@acme.test").await;

    let (status, html) = page(
        &app,
        &cookie,
        "/reports/health?from=2026-03-01&until=2026-03-31&group_by=provider",
    )
    .await;
    assert_eq!(status, Status::Ok, "{html}");
    assert!(html.contains("<nav class=\"app\""), "the way home");
    let picker = section(&html, "<form class=\"inline picker\"", "</form>");
    assert!(
        picker.contains("value=\"2026-03-01\"") && picker.contains("value=\"2026-03-31\""),
        "the picked period is shown as picked, both days included: {picker}"
    );
    assert!(
        picker.contains("<option value=\"provider\" selected>"),
        "the grouping switch shows the grouping: {picker}"
    );
    assert!(
        html.contains("href=\"/reports/health.csv?from=2026-03-01&amp;until=2026-03-31&amp;group_by=provider\""),
        "the CSV of the same figures: {html}"
    );
    let csv = app
        .client
        .get("/reports/health.csv?from=2026-03-01&until=2026-03-31&group_by=provider")
        .cookie(cookie.clone())
        .dispatch()
        .await;
    assert_eq!(csv.status(), Status::Ok);
    assert!(
        csv.content_type()
            .is_some_and(|t| t.to_string().starts_with("text/csv"))
    );
    let api = app
        .client
        .get("/api/v1/reports/health?from=2026-03-01&to=2026-04-01&group_by=provider")
        .header(rocket::http::Header::new("Accept", "text/csv"))
        .header(rocket::http::Header::new(
            "Authorization",
            format!("Bearer {}", pair.leader.token),
        ))
        .dispatch()
        .await;
    assert_eq!(
        csv.into_string().await,
        api.into_string().await,
        "`until` includes its day: the API's `to` is the midnight after it"
    );
    assert!(
        html.contains("href=\"/reports/trend?group_by=provider&amp;provider="),
        "each row leads to its weekly trend: {html}"
    );

    let (status, refused) = page(
        &app,
        &cookie,
        "/reports/health?from=2026-03-31&until=2026-03-01",
    )
    .await;
    assert_eq!(status, Status::UnprocessableEntity);
    assert!(
        refused.contains("This period cannot be shown")
            && refused.contains("<form class=\"inline picker\""),
        "{refused}"
    );
    let (status, refused) = page(&app, &cookie, "/reports/matrix?until=someday").await;
    assert_eq!(status, Status::UnprocessableEntity);
    assert!(refused.contains("until must be a date"), "{refused}");

    let (status, trend) = page(
        &app,
        &cookie,
        &format!(
            "/reports/trend?group_by=customer&department={}&from=2026-03-01&until=2026-03-31",
            pair.sales
        ),
    )
    .await;
    assert_eq!(status, Status::Ok, "{trend}");
    assert!(
        trend.contains("<polyline") || trend.contains("<svg"),
        "the trend chart"
    );
    assert!(
        trend.contains("<option value=\"customer\" selected>"),
        "{trend}"
    );

    let (status, matrix) = page(
        &app,
        &cookie,
        "/reports/matrix?from=2026-03-01&until=2026-03-31",
    )
    .await;
    assert_eq!(status, Status::Ok);
    assert!(
        matrix.contains("href=\"/reports/matrix.csv?from=2026-03-01&amp;until=2026-03-31\""),
        "{matrix}"
    );

    let (status, impact) = page(&app, &cookie, "/reports/impact").await;
    assert_eq!(status, Status::Ok);
    assert!(
        impact.contains(&format!("href=\"/commitments/{}\"", chain.commitment)),
        "{impact}"
    );
    assert!(
        !impact.contains(" min own slip"),
        "durations in days and hours: {impact}"
    );

    // The dashboard: how the service stands, and which promise is in danger because of whom.
    let (status, dashboard) = page(&app, &cookie, "/reports").await;
    assert_eq!(status, Status::Ok, "{dashboard}");
    let danger = section(
        &dashboard,
        "Promises to outside customers in danger",
        "</section>",
    );
    assert!(
        danger.contains("Go-live for Globex")
            && danger.contains("Because of Department LEGAL&#x27;s own delay"),
        "{danger}"
    );
    assert!(
        dashboard.contains("on time") && dashboard.contains("overdue now"),
        "{dashboard}"
    );
}

#[rocket::async_test]
async fn a_request_a_thousand_others_wait_on_names_the_first_25_and_says_there_are_more() {
    let app = spawn_app().await;
    let pair = app.pair().await;
    let agreement = app.active_agreement(&pair, 16.0, "business_hours").await;
    let at = "2026-03-02T09:00:00+01:00";
    let hub = app.log_request(&pair.sales_staff, agreement, at, &[]).await["id"]
        .as_i64()
        .unwrap();
    let on_hub = [hub];
    let wait_on_hub = async |count: usize| {
        // Logged 50 at a time, as many people logging at once would.
        let mut left = count;
        while left > 0 {
            let now = left.min(50);
            futures::future::join_all(
                (0..now).map(|_| app.log_request(&pair.sales_staff, agreement, at, &on_hub)),
            )
            .await;
            left -= now;
        }
    };
    let cookie = sign_in(&app, "lars@acme.test").await;
    let said = async || {
        let (status, html) = page(&app, &cookie, &format!("/requests/{hub}")).await;
        assert_eq!(status, Status::Ok);
        let around = section(
            &html,
            "<h3 class=\"small-heading\">Waiting on it</h3>",
            "</p>",
        );
        assert_eq!(around.matches("<li>").count(), 25, "{around}");
        around.to_owned()
    };

    wait_on_hub(26).await;
    let around = said().await;
    assert!(
        around.contains("The first 25 of 26 requests that wait on it."),
        "{around}"
    );

    wait_on_hub(975).await;
    let around = said().await;
    assert!(
        around.contains("The first 25 of more than 1,000 requests that wait on it."),
        "{around}"
    );
}
