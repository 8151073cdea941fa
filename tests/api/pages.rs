//! The web interface through HTTP: signing in with a session cookie, CSRF on
//! every form, and each page rendering what the services know.

use crate::common::{PASSWORD, TestApp, id_of, spawn_app};
use rocket::http::{ContentType, Cookie, Status};
use serde_json::json;

/// Signs in through the login form; returns the session cookie.
pub(crate) async fn sign_in(app: &TestApp, email: &str) -> Cookie<'static> {
    let response = app
        .client
        .post("/login")
        .header(ContentType::Form)
        .body(format!(
            "email={}&password={}",
            email.replace('@', "%40"),
            PASSWORD.replace(' ', "+")
        ))
        .dispatch()
        .await;
    assert_eq!(response.status(), Status::SeeOther);
    let cookie = response
        .cookies()
        .get("baton_session")
        .expect("session cookie")
        .clone()
        .into_owned();
    assert!(cookie.http_only().unwrap_or(false));
    assert!(cookie.secure().unwrap_or(false));
    assert_eq!(cookie.same_site(), Some(rocket::http::SameSite::Strict));
    cookie
}

pub(crate) async fn page(app: &TestApp, cookie: &Cookie<'static>, path: &str) -> (Status, String) {
    let response = app
        .client
        .get(path.to_owned())
        .cookie(cookie.clone())
        .dispatch()
        .await;
    (
        response.status(),
        response.into_string().await.unwrap_or_default(),
    )
}

pub(crate) fn csrf_of(html: &str) -> String {
    let start = html
        .find("name=\"_csrf\" value=\"")
        .expect("a form with a CSRF token")
        + 20;
    html[start..].split('"').next().unwrap().to_owned()
}

#[rocket::async_test]
async fn signing_in_sets_a_secure_session_and_pages_need_it() {
    let app = spawn_app().await;
    app.signup("Acme", "ada@acme.test").await;
    let anonymous = app.client.get("/").dispatch().await;
    assert_eq!(anonymous.status(), Status::SeeOther);
    assert_eq!(anonymous.headers().get_one("Location"), Some("/login"));
    let login_page = app.client.get("/login").dispatch().await;
    assert_eq!(login_page.status(), Status::Ok);
    let wrong = app
        .client
        .post("/login")
        .header(ContentType::Form)
        .body("email=ada%40acme.test&password=nope")
        .dispatch()
        .await;
    assert_eq!(wrong.headers().get_one("Location"), Some("/login"));
    assert!(wrong.cookies().get("baton_session").is_none());
    let cookie = sign_in(&app, "ada@acme.test").await;
    let (status, html) = page(&app, &cookie, "/").await;
    assert_eq!(status, Status::Ok);
    assert!(html.contains("Sign out"));
    assert!(
        !html.contains("https://") && !html.contains("http://"),
        "no outside resources"
    );
}

#[rocket::async_test]
async fn a_request_page_shows_its_timeline_and_its_forms_need_the_csrf_token() {
    let app = spawn_app().await;
    let pair = app.pair().await;
    let agreement = app.active_agreement(&pair, 16.0, "business_hours").await;
    let id = app
        .log_request(
            &pair.sales_staff,
            agreement,
            "2026-03-02T09:00:00+01:00",
            &[],
        )
        .await["id"]
        .as_i64()
        .unwrap();
    let cookie = sign_in(&app, "lars@acme.test").await;
    let (status, html) = page(&app, &cookie, &format!("/requests/{id}")).await;
    assert_eq!(status, Status::Ok);
    assert!(
        html.contains("Logged") && html.contains("Overdue"),
        "timeline: {html}"
    );
    assert!(
        section(&html, "<h2>Timeline</h2>", "</ol>").contains("by sam@acme.test"),
        "each event names who made it: {html}"
    );
    assert!(
        html.contains("value=\"start\""),
        "the provider may start it"
    );
    assert!(
        !html.contains("value=\"accept\""),
        "only the customer accepts"
    );

    let forged = app
        .client
        .post(format!("/requests/{id}/act"))
        .cookie(cookie.clone())
        .header(ContentType::Form)
        .body("_csrf=forged&action=start")
        .dispatch()
        .await;
    assert_eq!(forged.status(), Status::Forbidden);
    let forged = forged.into_string().await.unwrap_or_default();
    assert!(
        section(&forged, "aria-label=\"start\"", "</form>").contains("the form expired"),
        "the refusal is shown in the form that was posted: {forged}"
    );
    let after_forgery = app
        .get(
            &format!("/api/v1/requests/{id}"),
            Some(&pair.legal_staff.token),
        )
        .await;
    assert_eq!(after_forgery.body["status"], "open");

    let token = csrf_of(&html);
    let started = app
        .client
        .post(format!("/requests/{id}/act"))
        .cookie(cookie.clone())
        .header(ContentType::Form)
        .body(format!("_csrf={token}&action=start"))
        .dispatch()
        .await;
    assert_eq!(started.status(), Status::SeeOther);
    let after = app
        .get(
            &format!("/api/v1/requests/{id}"),
            Some(&pair.legal_staff.token),
        )
        .await;
    assert_eq!(after.body["status"], "in_progress");
    // The API refuses a cookie-borne change without the CSRF header.
    let via_api = app
        .client
        .post(format!("/api/v1/requests/{id}/pause"))
        .cookie(cookie.clone())
        .header(ContentType::JSON)
        .body(json!({"reason": "x"}).to_string())
        .dispatch()
        .await;
    assert_eq!(via_api.status(), Status::Forbidden);
}

#[rocket::async_test]
async fn the_commitment_page_draws_the_chain_and_names_the_department() {
    let app = spawn_app().await;
    let pair = app.pair().await;
    let agreement = app.active_agreement(&pair, 16.0, "business_hours").await;
    let id = app
        .log_request(
            &pair.sales_staff,
            agreement,
            "2026-03-02T09:00:00+01:00",
            &[],
        )
        .await["id"]
        .as_i64()
        .unwrap();
    let commitment = app
        .post(
            "/api/v1/commitments",
            Some(&pair.sales_lead.token),
            json!({"customer_name": "Globex", "title": "Go-live", "promised_at": "2026-03-05T17:00:00+01:00",
                   "owner_department_id": pair.sales, "depends_on": [id]}),
        )
        .await;
    let cookie = sign_in(&app, "leo@acme.test").await;
    let (status, home) = page(&app, &cookie, "/").await;
    assert_eq!(status, Status::Ok);
    assert!(home.contains("Go-live") && home.contains("late"), "{home}");
    let sources = section(&home, "<h2>Top sources of delay</h2>", "</table>");
    assert!(
        sources.contains("Department LEGAL") && sources.contains("Globex: Go-live"),
        "the leader's home names the department whose slip endangers the promise: {home}"
    );
    assert!(!sources.contains("Department SALES"), "{home}");
    let (status, html) = page(
        &app,
        &cookie,
        &format!("/commitments/{}", commitment.body["id"]),
    )
    .await;
    assert_eq!(status, Status::Ok);
    assert!(html.contains("<svg") && html.contains(&format!("href=\"/requests/{id}\"")));
    assert!(
        html.contains("Department LEGAL"),
        "the slipping department is named: {html}"
    );
    assert!(
        html.contains("Department LEGAL's own delay") && !html.contains("own_slip"),
        "{html}"
    );
}

#[rocket::async_test]
async fn agreement_and_review_pages_render_their_figures() {
    let app = spawn_app().await;
    let pair = app.pair().await;
    let agreement = app.active_agreement(&pair, 16.0, "business_hours").await;
    let review = app
        .post(
            "/api/v1/reviews",
            Some(&pair.sales_lead.token),
            json!({"department_ids": [pair.legal, pair.sales], "scheduled_at": "2026-12-01T09:00:00Z",
                   "duration_minutes": 45, "every_weeks": 4}),
        )
        .await;
    let cookie = sign_in(&app, "sara@acme.test").await;
    let (status, html) = page(
        &app,
        &cookie,
        &format!("/agreements/{agreement}?amount=8&unit=business_hours"),
    )
    .await;
    assert_eq!(status, Status::Ok);
    assert!(html.contains("Contract review") && html.contains("16 business hours"));
    assert!(html.contains("Of the last 0 deliveries"));
    let (status, html) = page(&app, &cookie, &format!("/reviews/{}", review.body["id"])).await;
    assert_eq!(status, Status::Ok, "{html}");
    assert!(html.contains("Contract review") && html.contains("Hold review"));
    let (status, html) = page(&app, &cookie, "/requests/new").await;
    assert_eq!(status, Status::Ok);
    assert!(html.contains(&format!("value=\"{agreement}\"")));
}

/// A form body, `application/x-www-form-urlencoded`.
fn form_body(fields: &[(&str, &str)]) -> String {
    fields
        .iter()
        .map(|(name, value)| format!("{}={}", encode(name), encode(value)))
        .collect::<Vec<_>>()
        .join("&")
}

fn encode(text: &str) -> String {
    text.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (byte as char).to_string()
            }
            b' ' => "+".to_owned(),
            _ => format!("%{byte:02X}"),
        })
        .collect()
}

/// Posts a form with the session cookie; returns status, `Location` and body.
pub(crate) async fn post_form(
    app: &TestApp,
    cookie: &Cookie<'static>,
    path: &str,
    fields: &[(&str, &str)],
) -> (Status, Option<String>, String) {
    let response = app
        .client
        .post(path.to_owned())
        .cookie(cookie.clone())
        .header(ContentType::Form)
        .body(form_body(fields))
        .dispatch()
        .await;
    let status = response.status();
    let location = response.headers().get_one("Location").map(str::to_owned);
    (
        status,
        location,
        response.into_string().await.unwrap_or_default(),
    )
}

/// The markup of one form field: from the `<div class="field` that holds
/// the input `id="{name}"` to that div's end.
pub(crate) fn field_block<'h>(html: &'h str, name: &str) -> &'h str {
    let input = html
        .find(&format!("id=\"{name}\""))
        .unwrap_or_else(|| panic!("no input {name} in {html}"));
    let start = html[..input]
        .rfind("<div class=\"field")
        .unwrap_or_else(|| panic!("input {name} is not in a field"));
    let end = input + html[input..].find("</div>").expect("the field ends");
    &html[start..end]
}

/// Asserts the field shows `message` next to its input, and the input
/// points at the message.
pub(crate) fn assert_field_error(html: &str, name: &str, message: &str) {
    let block = field_block(html, name);
    assert!(
        block.contains(&format!("<p class=\"field-error\" id=\"{name}-error\">"))
            && block.contains(message),
        "{name} shows {message:?} beside it: {block}"
    );
    let described_by = block
        .split("aria-describedby=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_default();
    assert!(
        described_by
            .split(' ')
            .any(|id| id == format!("{name}-error"))
            && block.contains("aria-invalid=\"true\""),
        "{name} points at its message: {block}"
    );
}

/// The part of a page between two headings.
fn section<'h>(html: &'h str, from: &str, to: &str) -> &'h str {
    let rest = html.split(from).nth(1).unwrap_or_default();
    rest.split(to).next().unwrap_or_default()
}

async fn count(app: &TestApp, path: &str, token: &str) -> usize {
    let answer = app.get(path, Some(token)).await;
    assert_eq!(answer.status, Status::Ok, "{}", answer.body);
    answer.body["items"].as_array().map_or(0, Vec::len)
}

#[rocket::async_test]
async fn a_department_page_shows_its_agreements_requests_reviews_and_commitments() {
    let app = spawn_app().await;
    let pair = app.pair().await;
    let agreement = app.active_agreement(&pair, 16.0, "business_hours").await;
    let request = app
        .log_request(
            &pair.sales_staff,
            agreement,
            "2026-03-02T09:00:00+01:00",
            &[],
        )
        .await["id"]
        .as_i64()
        .unwrap();
    let commitment = app
        .post(
            "/api/v1/commitments",
            Some(&pair.sales_lead.token),
            json!({"customer_name": "Globex", "title": "Go-live", "promised_at": "2026-03-05T17:00:00+01:00",
                   "owner_department_id": pair.sales, "depends_on": [request]}),
        )
        .await;
    assert_eq!(commitment.status, Status::Created, "{}", commitment.body);
    let review = app
        .post(
            "/api/v1/reviews",
            Some(&pair.sales_lead.token),
            json!({"department_ids": [pair.legal, pair.sales], "scheduled_at": "2026-12-01T09:00:00Z",
                   "duration_minutes": 45, "every_weeks": 4}),
        )
        .await;
    let review = id_of(&review);
    let cookie = sign_in(&app, "lena@acme.test").await;

    let (status, list) = page(&app, &cookie, "/departments").await;
    assert_eq!(status, Status::Ok);
    assert!(
        list.contains(&format!(
            "<a href=\"/departments/{}\">Department LEGAL</a>",
            pair.legal
        )) && list.contains(&format!(
            "<a href=\"/departments/{}\">Department SALES</a>",
            pair.sales
        )),
        "{list}"
    );
    assert!(
        list.contains("href=\"/departments\""),
        "the nav links the list"
    );

    let (status, legal) = page(&app, &cookie, &format!("/departments/{}", pair.legal)).await;
    assert_eq!(status, Status::Ok, "{legal}");
    assert!(
        // Tera escapes the slash.
        legal.contains("<dd>Europe&#x2F;Berlin</dd>")
            && legal.contains("<dt>Working hours</dt><dd>Mon–Fri 09:00–17:00</dd>"),
        "the calendar: {legal}"
    );
    let owes = section(&legal, "Requests it owes", "Requests it waits for");
    assert!(
        owes.contains(&format!("href=\"/requests/{request}\"")) && owes.contains("overdue"),
        "what Legal owes: {owes}"
    );
    let waits = section(&legal, "Requests it waits for", "Agreements it provides");
    assert!(!waits.contains("NDA for Globex"), "{waits}");
    let provided = section(&legal, "Agreements it provides", "Agreements it receives");
    assert!(
        provided.contains(&format!("href=\"/agreements/{agreement}\""))
            && provided.contains("16 business hours"),
        "what Legal provides: {provided}"
    );
    let reviews = section(&legal, "Upcoming reviews", "Customer commitments");
    assert!(
        reviews.contains(&format!("href=\"/reviews/{review}\""))
            && reviews.contains("With Department SALES"),
        "{reviews}"
    );

    let (_, sales) = page(&app, &cookie, &format!("/departments/{}", pair.sales)).await;
    let waits = section(&sales, "Requests it waits for", "Agreements it provides");
    assert!(
        waits.contains("NDA for Globex"),
        "what Sales waits for: {waits}"
    );
    let received = section(&sales, "Agreements it receives", "Upcoming reviews");
    assert!(received.contains("Contract review"), "{received}");
    let owned = section(&sales, "Customer commitments it owns", "</main>");
    assert!(
        owned.contains("Go-live") && owned.contains("Globex"),
        "Sales owns the commitment: {owned}"
    );

    // Staff of a third department read the agreements, but not requests
    // or reviews that do not touch their department.
    let ops = app.create_department(&pair.admin, "OPS").await;
    app.create_user(&pair.admin, "olga@acme.test", "staff", Some(ops))
        .await;
    let outsider = sign_in(&app, "olga@acme.test").await;
    let (status, seen) = page(&app, &outsider, &format!("/departments/{}", pair.legal)).await;
    assert_eq!(status, Status::Ok);
    assert!(seen.contains("Contract review"));
    assert!(
        !seen.contains("NDA for Globex") && !seen.contains(&format!("/reviews/{review}")),
        "{seen}"
    );
    let (status, _) = page(&app, &cookie, "/departments/987654").await;
    assert_eq!(status, Status::NotFound);
}

#[rocket::async_test]
async fn the_home_and_department_pages_show_the_open_work_due_soonest_and_say_how_much_there_is() {
    let app = spawn_app().await;
    let pair = app.pair().await;
    let agreement = app.active_agreement(&pair, 16.0, "business_hours").await;
    // 27 requests, each logged a day after the one before: due in that order.
    let start = chrono::DateTime::parse_from_rfc3339("2026-03-02T09:00:00+01:00").unwrap();
    let mut ids = Vec::new();
    for day in 0..27 {
        let at = (start + chrono::TimeDelta::days(day)).to_rfc3339();
        ids.push(id_of_body(
            &app.log_request(&pair.sales_staff, agreement, &at, &[])
                .await,
        ));
    }
    let rows = |html: &str| html.matches("<a href=\"/requests/").count();

    let legal_lead = sign_in(&app, "lena@acme.test").await;
    let (status, legal) = page(&app, &legal_lead, &format!("/departments/{}", pair.legal)).await;
    assert_eq!(status, Status::Ok);
    let owes = section(&legal, "Requests it owes", "Requests it waits for");
    assert_eq!(rows(owes), 25, "{owes}");
    assert!(owes.contains("The 25 due soonest of 27 open."), "{owes}");
    assert!(owes.contains(&format!("href=\"/requests?provider={}\"", pair.legal)));
    assert!(owes.contains(&format!("href=\"/requests/{}\"", ids[24])));
    assert!(
        !owes.contains(&format!("href=\"/requests/{}\"", ids[25])),
        "due last: {owes}"
    );

    let (_, home) = page(&app, &legal_lead, "/").await;
    let owed = section(&home, "What we owe", "What we wait for");
    assert_eq!(rows(owed), 20, "{owed}");
    assert!(owed.contains("The 20 due soonest of 27 open."), "{owed}");

    // Sales's view: what it waits for; no "of N" line when all are shown.
    let sales_lead = sign_in(&app, "sara@acme.test").await;
    let (_, sales) = page(&app, &sales_lead, &format!("/departments/{}", pair.sales)).await;
    let waits = section(&sales, "Requests it waits for", "Agreements it provides");
    assert!(waits.contains("The 25 due soonest of 27 open."), "{waits}");
    let owes = section(&sales, "Requests it owes", "Requests it waits for");
    assert!(!owes.contains("due soonest of"), "{owes}");
}

fn id_of_body(body: &serde_json::Value) -> i64 {
    crate::common::int(&body["id"])
}

#[rocket::async_test]
async fn a_lead_drafts_an_agreement_through_the_form_after_checking_its_turnaround() {
    let app = spawn_app().await;
    let pair = app.pair().await;
    let cookie = sign_in(&app, "lena@acme.test").await;
    let (status, html) = page(&app, &cookie, "/agreements/new").await;
    assert_eq!(status, Status::Ok, "{html}");
    assert!(
        field_block(&html, "provider_department_id")
            .contains(&format!("value=\"{}\" selected", pair.legal)),
        "the lead's own department provides: {html}"
    );
    let token = csrf_of(&html);
    let legal = pair.legal.to_string();
    let sales = pair.sales.to_string();
    let draft = |token: &str, intent: &str| {
        vec![
            ("_csrf", token.to_owned()),
            ("intent", intent.to_owned()),
            ("provider_department_id", legal.clone()),
            ("customer_department_id", sales.clone()),
            ("title", "NDA review".to_owned()),
            ("deliverable", "Signed-off NDA".to_owned()),
            (
                "definition_of_done",
                "Returned as soon as possible".to_owned(),
            ),
            ("amount", "2".to_owned()),
            ("unit", "business_days".to_owned()),
            ("on_time_target_pct", "90".to_owned()),
            ("review_every_weeks", "4".to_owned()),
        ]
    };
    let as_fields =
        |fields: &Vec<(&'static str, String)>| -> Vec<(&'static str, String)> { fields.clone() };
    let send = |fields: Vec<(&'static str, String)>| {
        let app = &app;
        let cookie = cookie.clone();
        async move {
            let borrowed: Vec<(&str, &str)> =
                fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            post_form(app, &cookie, "/agreements", &borrowed).await
        }
    };

    // Without the session's token nothing is saved.
    let (status, _, html) = send(as_fields(&draft("forged", "save"))).await;
    assert_eq!(status, Status::Forbidden);
    assert!(
        html.contains("the form expired or came from elsewhere"),
        "{html}"
    );
    assert_eq!(
        count(&app, "/api/v1/agreements", &pair.legal_lead.token).await,
        0
    );

    // Checking the turnaround shows its calibration and saves nothing.
    let (status, _, html) = send(draft(&token, "check")).await;
    assert_eq!(status, Status::Ok, "{html}");
    assert!(
        html.contains("How often would Department LEGAL have met 2 business days?")
            && html.contains("no finished deliveries yet"),
        "calibration: {html}"
    );
    assert!(
        html.contains("as soon as possible"),
        "the vague phrase is flagged: {html}"
    );
    assert!(
        field_block(&html, "title").contains("value=\"NDA review\""),
        "what was typed stays"
    );
    assert_eq!(
        count(&app, "/api/v1/agreements", &pair.legal_lead.token).await,
        0
    );

    let (status, location, _) = send(draft(&token, "save")).await;
    assert_eq!(status, Status::SeeOther);
    let location = location.expect("redirected to the draft");
    let id: i64 = location
        .trim_start_matches("/agreements/")
        .parse()
        .expect("an agreement page");
    let saved = app
        .get(
            &format!("/api/v1/agreements/{id}"),
            Some(&pair.legal_lead.token),
        )
        .await;
    assert_eq!(saved.body["status"], "draft");
    assert_eq!(saved.body["title"], "NDA review");
    assert_eq!(saved.body["customer_department_id"], pair.sales);
    assert_eq!(saved.body["turnaround"]["amount"], 2.0);
    let (_, html) = page(&app, &cookie, &location).await;
    assert!(
        html.contains("as soon as possible") && html.contains("value=\"propose\""),
        "the draft shows its wording warning and can be proposed: {html}"
    );
}

#[rocket::async_test]
async fn a_refused_form_shows_each_message_next_to_its_field_and_keeps_what_was_typed() {
    let app = spawn_app().await;
    let pair = app.pair().await;
    let cookie = sign_in(&app, "lena@acme.test").await;
    let (_, html) = page(&app, &cookie, "/agreements/new").await;
    let token = csrf_of(&html);
    let legal = pair.legal.to_string();
    let (status, _, html) = post_form(
        &app,
        &cookie,
        "/agreements",
        &[
            ("_csrf", &token),
            ("intent", "save"),
            ("provider_department_id", &legal),
            ("customer_department_id", &legal),
            ("title", "Typed <title> & more"),
            ("deliverable", "A thing"),
            ("definition_of_done", "Done"),
            ("amount", "two"),
            ("unit", "business_days"),
        ],
    )
    .await;
    assert_eq!(status, Status::UnprocessableEntity, "{html}");
    assert_field_error(&html, "amount", "must be a number");
    assert!(
        field_block(&html, "amount").contains("value=\"two\"")
            && field_block(&html, "amount").contains("autofocus"),
        "the first field in error keeps its value and gets the focus"
    );
    assert!(
        field_block(&html, "title").contains("value=\"Typed &lt;title&gt; &amp; more\""),
        "typed text comes back, escaped: {html}"
    );
    assert!(!field_block(&html, "title").contains("field-error"));
    assert!(html.contains("role=\"alert\""), "a summary at the top");

    // With the turnaround right, the service's own check is placed too.
    let (status, _, html) = post_form(
        &app,
        &cookie,
        "/agreements",
        &[
            ("_csrf", &token),
            ("intent", "save"),
            ("provider_department_id", &legal),
            ("customer_department_id", &legal),
            ("title", "   "),
            ("deliverable", "A thing"),
            ("definition_of_done", "Done"),
            ("amount", "2"),
            ("unit", "business_days"),
        ],
    )
    .await;
    assert_eq!(status, Status::UnprocessableEntity, "{html}");
    assert_field_error(
        &html,
        "customer_department_id",
        "a department cannot owe itself",
    );
    assert_field_error(&html, "title", "must not be empty");
    assert_eq!(
        count(&app, "/api/v1/agreements", &pair.legal_lead.token).await,
        0
    );

    // The new-request form, likewise.
    let agreement = app.active_agreement(&pair, 16.0, "business_hours").await;
    let staff = sign_in(&app, "sam@acme.test").await;
    let (_, html) = page(
        &app,
        &staff,
        &format!("/requests/new?agreement={agreement}"),
    )
    .await;
    let token = csrf_of(&html);
    let (status, _, html) = post_form(
        &app,
        &staff,
        "/requests",
        &[
            ("_csrf", &token),
            ("agreement_id", &agreement.to_string()),
            ("title", ""),
            ("details", "Clause 7 needs a look"),
            ("depends_on", "99999"),
        ],
    )
    .await;
    assert_eq!(status, Status::UnprocessableEntity, "{html}");
    assert_field_error(&html, "title", "must not be empty");
    assert_field_error(
        &html,
        "depends_on",
        "no such requests in this organisation: 99999",
    );
    assert!(
        field_block(&html, "details").contains(">Clause 7 needs a look</textarea>"),
        "{html}"
    );
    assert!(field_block(&html, "title").contains("autofocus"));
    assert_eq!(
        count(&app, "/api/v1/requests", &pair.sales_staff.token).await,
        0
    );
    let (status, location, _) = post_form(
        &app,
        &staff,
        "/requests",
        &[
            ("_csrf", &token),
            ("agreement_id", &agreement.to_string()),
            ("title", "NDA for Initech"),
            ("details", ""),
            ("depends_on", ""),
        ],
    )
    .await;
    assert_eq!(status, Status::SeeOther);
    assert!(location.unwrap_or_default().starts_with("/requests/"));
    assert_eq!(
        count(&app, "/api/v1/requests", &pair.sales_staff.token).await,
        1
    );
}

#[rocket::async_test]
async fn staff_cannot_draft_an_agreement_through_the_form() {
    let app = spawn_app().await;
    let pair = app.pair().await;
    let cookie = sign_in(&app, "lars@acme.test").await;
    let (status, html) = page(&app, &cookie, "/agreements/new").await;
    assert_eq!(status, Status::Forbidden);
    assert!(html.contains("drafted by the lead") && !html.contains("action=\"/agreements\""));
    assert!(
        !html.contains("href=\"/agreements/new\""),
        "no nav link for staff"
    );
    let token = csrf_of(&html);
    let legal = pair.legal.to_string();
    let sales = pair.sales.to_string();
    let fields = [
        ("_csrf", token.as_str()),
        ("intent", "save"),
        ("provider_department_id", legal.as_str()),
        ("customer_department_id", sales.as_str()),
        ("title", "Sneaky"),
        ("deliverable", "x"),
        ("definition_of_done", "y"),
        ("amount", "1"),
        ("unit", "business_days"),
    ];
    let (status, _, html) = post_form(&app, &cookie, "/agreements", &fields).await;
    assert_eq!(status, Status::Forbidden, "{html}");
    assert!(html.contains("only the provider department"), "{html}");
    // Nor may the customer's lead draft what the provider owes.
    let sara = sign_in(&app, "sara@acme.test").await;
    let (_, html) = page(&app, &sara, "/agreements/new").await;
    let mut fields = fields;
    let sara_token = csrf_of(&html);
    fields[0].1 = &sara_token;
    let (status, _, _) = post_form(&app, &sara, "/agreements", &fields).await;
    assert_eq!(status, Status::Forbidden);
    assert_eq!(
        count(&app, "/api/v1/agreements", &pair.admin.token).await,
        0
    );
}

#[rocket::async_test]
async fn a_commitment_is_recorded_through_the_form_in_the_organisations_time_zone() {
    let app = spawn_app().await;
    let pair = app.pair().await;
    let agreement = app.active_agreement(&pair, 16.0, "business_hours").await;
    let request = app
        .log_request(
            &pair.sales_staff,
            agreement,
            "2026-03-02T09:00:00+01:00",
            &[],
        )
        .await["id"]
        .as_i64()
        .unwrap();
    let cookie = sign_in(&app, "sam@acme.test").await;
    let (status, html) = page(&app, &cookie, "/commitments/new").await;
    assert_eq!(status, Status::Ok);
    let owners = field_block(&html, "owner_department_id");
    assert!(
        owners.contains(&format!("value=\"{}\"", pair.sales))
            && !owners.contains(&format!("value=\"{}\"", pair.legal)),
        "staff record commitments of their own department: {owners}"
    );
    let token = csrf_of(&html);
    let sales = pair.sales.to_string();
    let request_text = format!("#{request}");
    let fields = |token: &str, promised_at: &str| {
        vec![
            ("_csrf", token.to_owned()),
            ("customer_name", "Globex".to_owned()),
            ("title", "Go-live".to_owned()),
            ("promised_at", promised_at.to_owned()),
            ("owner_department_id", sales.clone()),
            ("lead_time_amount", "4".to_owned()),
            ("lead_time_unit", "business_hours".to_owned()),
            ("depends_on", request_text.clone()),
        ]
    };
    let send = |fields: Vec<(&'static str, String)>| {
        let app = &app;
        let cookie = cookie.clone();
        async move {
            let borrowed: Vec<(&str, &str)> =
                fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            post_form(app, &cookie, "/commitments", &borrowed).await
        }
    };
    let (status, _, _) = send(fields("forged", "2026-09-01T17:00")).await;
    assert_eq!(status, Status::Forbidden);
    assert_eq!(
        count(&app, "/api/v1/commitments", &pair.sales_staff.token).await,
        0
    );

    let (status, _, html) = send(fields(&token, "next tuesday")).await;
    assert_eq!(status, Status::UnprocessableEntity);
    assert_field_error(&html, "promised_at", "must be a date and time");
    assert!(field_block(&html, "customer_name").contains("value=\"Globex\""));

    let (status, location, _) = send(fields(&token, "2026-09-01T17:00")).await;
    assert_eq!(status, Status::SeeOther);
    let location = location.unwrap_or_default();
    let id = location.trim_start_matches("/commitments/");
    let saved = app
        .get(
            &format!("/api/v1/commitments/{id}"),
            Some(&pair.sales_staff.token),
        )
        .await;
    assert_eq!(saved.status, Status::Ok, "{}", saved.body);
    let promised =
        chrono::DateTime::parse_from_rfc3339(saved.body["promised_at"].as_str().unwrap()).unwrap();
    assert_eq!(
        promised,
        chrono::DateTime::parse_from_rfc3339("2026-09-01T15:00:00Z").unwrap(),
        "17:00 in Berlin"
    );
    assert_eq!(saved.body["depends_on"], json!([request]));
    assert_eq!(saved.body["lead_time"]["amount"], 4.0);
    let (status, html) = page(&app, &cookie, &location).await;
    assert_eq!(status, Status::Ok);
    assert!(
        html.contains("Go-live") && html.contains(&format!("href=\"/departments/{}\"", pair.sales))
    );
}

#[rocket::async_test]
async fn a_review_is_scheduled_through_the_form_and_its_actions_are_kept_on_its_page() {
    let app = spawn_app().await;
    let pair = app.pair().await;
    app.active_agreement(&pair, 16.0, "business_hours").await;
    // Staff read reviews but do not schedule them.
    let staff = sign_in(&app, "sam@acme.test").await;
    let (status, html) = page(&app, &staff, "/reviews/new").await;
    assert_eq!(status, Status::Forbidden);
    assert!(!html.contains("action=\"/reviews\""));
    let staff_token = csrf_of(&html);

    let cookie = sign_in(&app, "sara@acme.test").await;
    let (status, html) = page(&app, &cookie, &format!("/reviews/new?with={}", pair.legal)).await;
    assert_eq!(status, Status::Ok, "{html}");
    let token = csrf_of(&html);
    let sales = pair.sales.to_string();
    let legal = pair.legal.to_string();
    let lena = pair.legal_lead.user_id.to_string();
    let sara = pair.sales_lead.user_id.to_string();
    let review = |token: &str, duration: &str| {
        vec![
            ("_csrf", token.to_owned()),
            ("department_a", sales.clone()),
            ("department_b", legal.clone()),
            ("scheduled_at", "2026-12-01T10:00".to_owned()),
            ("duration_minutes", duration.to_owned()),
            ("every_weeks", "4".to_owned()),
            ("attendee_user_ids", lena.clone()),
            ("attendee_user_ids", sara.clone()),
        ]
    };
    let send = |cookie: Cookie<'static>, fields: Vec<(&'static str, String)>| {
        let app = &app;
        async move {
            let borrowed: Vec<(&str, &str)> =
                fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            post_form(app, &cookie, "/reviews", &borrowed).await
        }
    };
    let (status, _, _) = send(staff.clone(), review(&staff_token, "45")).await;
    assert_eq!(status, Status::Forbidden);
    let (status, _, _) = send(cookie.clone(), review("forged", "45")).await;
    assert_eq!(status, Status::Forbidden);
    assert_eq!(
        count(&app, "/api/v1/reviews", &pair.sales_lead.token).await,
        0
    );

    let (status, _, html) = send(cookie.clone(), review(&token, "2")).await;
    assert_eq!(status, Status::UnprocessableEntity);
    assert_field_error(&html, "duration_minutes", "must be between 5 and 480");
    assert!(
        html.contains(&format!(
            "name=\"attendee_user_ids\" value=\"{lena}\" checked"
        )),
        "the chosen attendees stay chosen: {html}"
    );

    let (status, location, _) = send(cookie.clone(), review(&token, "45")).await;
    assert_eq!(status, Status::SeeOther);
    let location = location.unwrap_or_default();
    let id = location.trim_start_matches("/reviews/").to_owned();
    let saved = app
        .get(
            &format!("/api/v1/reviews/{id}"),
            Some(&pair.sales_lead.token),
        )
        .await;
    assert_eq!(saved.status, Status::Ok, "{}", saved.body);
    assert_eq!(saved.body["duration_minutes"], 45);
    assert_eq!(
        saved.body["attendee_user_ids"],
        json!([pair.legal_lead.user_id, pair.sales_lead.user_id])
    );
    assert_eq!(
        saved.body["scheduled_at"].as_str().map(|at| &at[..16]),
        Some("2026-12-01T09:00")
    );

    // The review page adds and closes action items.
    let (_, html) = page(&app, &cookie, &location).await;
    assert!(
        html.contains("Attendees: lena@acme.test, sara@acme.test"),
        "{html}"
    );
    let (status, _, _) = post_form(
        &app,
        &cookie,
        &format!("/reviews/{id}/actions"),
        &[
            ("_csrf", &token),
            ("title", "Share the NDA template"),
            ("owner_user_id", &lena),
            ("due_on", "2026-12-15"),
        ],
    )
    .await;
    assert_eq!(status, Status::SeeOther);
    let (_, html) = page(&app, &cookie, &location).await;
    assert!(
        html.contains("Share the NDA template — lena@acme.test, due 2026-12-15"),
        "{html}"
    );
    let action = html
        .split("action=\"/actions/")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .expect("a close form")
        .to_owned();
    let (status, _, _) = post_form(
        &app,
        &cookie,
        &format!("/actions/{action}/close?review={id}"),
        &[
            ("_csrf", &token),
            ("status", "done"),
            ("resolution_note", "Sent"),
        ],
    )
    .await;
    assert_eq!(status, Status::SeeOther);
    let (_, html) = page(&app, &cookie, &location).await;
    assert!(html.contains("Done: Sent"), "{html}");

    // A one-off review with nobody ticked: no attendees, no recurrence.
    let (status, location, html) = post_form(
        &app,
        &cookie,
        "/reviews",
        &[
            ("_csrf", &token),
            ("department_a", &sales),
            ("department_b", &legal),
            ("scheduled_at", "2026-12-08T10:00"),
            ("duration_minutes", "30"),
            ("every_weeks", ""),
        ],
    )
    .await;
    assert_eq!(status, Status::SeeOther, "{html}");
    let saved = app
        .get(
            &format!("/api/v1{}", location.unwrap_or_default()),
            Some(&pair.sales_lead.token),
        )
        .await;
    assert_eq!(saved.body["attendee_user_ids"], json!([]));
    assert_eq!(saved.body["every_weeks"], 0);
}

/// The form of one move (or other form) on a page: from its `aria-label`
/// to its end.
fn form_of<'h>(html: &'h str, label: &str) -> &'h str {
    let start = html
        .find(&format!("aria-label=\"{label}\""))
        .unwrap_or_else(|| panic!("no form {label} in {html}"));
    let end = start + html[start..].find("</form>").expect("the form ends");
    &html[start..end]
}

#[rocket::async_test]
async fn a_refused_move_comes_back_in_its_own_form_beside_the_field_and_changes_nothing() {
    let app = spawn_app().await;
    let pair = app.pair().await;
    let agreement = app.active_agreement(&pair, 16.0, "business_hours").await;
    let id = app
        .log_request(
            &pair.sales_staff,
            agreement,
            "2026-03-02T09:00:00+01:00",
            &[],
        )
        .await["id"]
        .as_i64()
        .unwrap();
    let path = format!("/requests/{id}");
    let act = format!("/requests/{id}/act");
    let provider = sign_in(&app, "lars@acme.test").await;
    let (_, html) = page(&app, &provider, &path).await;
    let token = csrf_of(&html);
    let before = app.get(&path_api(id), Some(&pair.legal_staff.token)).await;

    let (status, location, html) = post_form(
        &app,
        &provider,
        &act,
        &[
            ("_csrf", &token),
            ("action", "forecast"),
            ("expected_at", "someday"),
            ("reason", "Waiting on the signed copy"),
        ],
    )
    .await;
    assert_eq!(status, Status::UnprocessableEntity, "{html}");
    assert_eq!(location, None, "shown again, not redirected");
    assert_field_error(&html, "forecast-expected_at", "must be a date and time");
    let forecast = form_of(&html, "forecast");
    assert!(forecast.contains("role=\"alert\""), "{forecast}");
    assert!(
        field_block(&html, "forecast-reason").contains("value=\"Waiting on the signed copy\""),
        "what was typed is kept: {html}"
    );
    assert!(
        field_block(&html, "forecast-expected_at").contains("autofocus"),
        "the field in error gets the focus"
    );
    assert!(
        !form_of(&html, "pause").contains("field-error"),
        "the other moves' forms are untouched"
    );
    let after = app.get(&path_api(id), Some(&pair.legal_staff.token)).await;
    // An overdue request is projected to finish "now", which moves on.
    let stored = |mut body: serde_json::Value| {
        body.as_object_mut()
            .map(|fields| fields.remove("projected_finish"));
        body
    };
    assert_eq!(
        stored(after.body),
        stored(before.body),
        "a refused move changes nothing"
    );

    // A move no longer offered (made twice, from a stale page) is explained
    // at the top.
    for _ in 0..2 {
        post_form(
            &app,
            &provider,
            &act,
            &[("_csrf", &token), ("action", "start")],
        )
        .await;
    }
    let (status, _, html) = post_form(
        &app,
        &provider,
        &act,
        &[("_csrf", &token), ("action", "start")],
    )
    .await;
    assert_eq!(status, Status::Conflict, "{html}");
    assert!(
        html.contains("id=\"problem\">a request that is in_progress cannot start"),
        "{html}"
    );
    let (status, _, _) = post_form(
        &app,
        &provider,
        &act,
        &[("_csrf", &token), ("action", "deliver")],
    )
    .await;
    assert_eq!(status, Status::SeeOther);

    // The customer's rating: a score out of range is refused beside it.
    let customer = sign_in(&app, "sam@acme.test").await;
    let (_, html) = page(&app, &customer, &path).await;
    let token = csrf_of(&html);
    let (status, _, _) = post_form(
        &app,
        &customer,
        &act,
        &[("_csrf", &token), ("action", "accept")],
    )
    .await;
    assert_eq!(status, Status::SeeOther);
    for (score, message) in [
        ("11", "must be a whole number from 1 to 10"),
        ("ten", "must be a whole number from 1 to 10"),
        ("", "give a score from 1 to 10"),
    ] {
        let (status, _, html) = post_form(
            &app,
            &customer,
            &act,
            &[
                ("_csrf", &token),
                ("action", "rating"),
                ("score", score),
                ("comment", "Quick & careful"),
            ],
        )
        .await;
        assert_eq!(status, Status::UnprocessableEntity, "{score}: {html}");
        assert_field_error(&html, "rating-score", message);
        assert!(
            field_block(&html, "rating-comment").contains("value=\"Quick &amp; careful\""),
            "{html}"
        );
    }
    let unrated = app.get(&path_api(id), Some(&pair.sales_staff.token)).await;
    assert!(unrated.body["rating"].is_null(), "{}", unrated.body);
    let (status, _, _) = post_form(
        &app,
        &customer,
        &act,
        &[
            ("_csrf", &token),
            ("action", "rating"),
            ("score", "9"),
            ("comment", ""),
        ],
    )
    .await;
    assert_eq!(status, Status::SeeOther);
}

fn path_api(request: i64) -> String {
    format!("/api/v1/requests/{request}")
}

#[rocket::async_test]
async fn agreement_forms_refuse_beside_the_field_and_a_stale_edit_is_not_saved() {
    let app = spawn_app().await;
    let pair = app.pair().await;
    let agreement = app.active_agreement(&pair, 16.0, "business_hours").await;
    let path = format!("/agreements/{agreement}");
    let edit = format!("/agreements/{agreement}/edit");
    let provider = sign_in(&app, "lena@acme.test").await;
    let (status, html) = page(&app, &provider, &path).await;
    assert_eq!(status, Status::Ok);
    let token = csrf_of(&html);
    let version = section(&html, "name=\"version\" value=\"", "\"").to_owned();
    assert!(
        field_block(&html, "edit-amount").contains("value=\"16\""),
        "the form starts from the current terms: {html}"
    );

    // Calibration with an unreadable amount: refused beside it.
    let (status, html) = page(
        &app,
        &provider,
        &format!("{path}?amount=lots&unit=business_days"),
    )
    .await;
    assert_eq!(status, Status::UnprocessableEntity);
    assert_field_error(&html, "calibrate-amount", "must be a number");
    assert!(field_block(&html, "calibrate-amount").contains("value=\"lots\""));

    let terms = |amount: &'static str, version: String| {
        vec![
            ("_csrf", token.clone()),
            ("version", version),
            ("title", "Contract review".to_owned()),
            ("deliverable", "Reviewed contract".to_owned()),
            ("definition_of_done", "Signed off".to_owned()),
            ("amount", amount.to_owned()),
            ("unit", "business_hours".to_owned()),
            ("on_time_target_pct", "90".to_owned()),
            ("review_every_weeks", "4".to_owned()),
        ]
    };
    let send = |fields: Vec<(&'static str, String)>| {
        let (app, provider, edit) = (&app, &provider, &edit);
        async move {
            let borrowed: Vec<(&str, &str)> =
                fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            post_form(app, provider, edit, &borrowed).await
        }
    };
    let (status, _, html) = send(terms("two", version.clone())).await;
    assert_eq!(status, Status::UnprocessableEntity, "{html}");
    assert_field_error(&html, "edit-amount", "must be a number");
    assert!(html.contains("<details open>"), "the refused form is open");

    let (status, _, _) = send(terms("24", version.clone())).await;
    assert_eq!(status, Status::SeeOther);
    let saved = app
        .get(&format!("/api/v1{path}"), Some(&pair.legal_lead.token))
        .await;
    assert_eq!(saved.body["turnaround"]["amount"], 16.0, "{}", saved.body);
    let (_, html) = page(&app, &provider, &path).await;
    assert!(html.contains("24 business hours, 90 % on time"), "{html}");

    // The page it was typed on is now out of date: nothing is overwritten.
    let (status, _, html) = send(terms("32", version)).await;
    assert_eq!(status, Status::PreconditionFailed, "{html}");
    assert!(
        form_of(&html, "Change the terms").contains("reload it"),
        "{html}"
    );
    let (_, html) = page(&app, &provider, &path).await;
    assert!(html.contains("24 business hours"), "{html}");

    // The customer's lead declines the change only with a reason.
    let customer = sign_in(&app, "sara@acme.test").await;
    let (_, html) = page(&app, &customer, &path).await;
    let token = csrf_of(&html);
    let lifecycle = format!("/agreements/{agreement}/lifecycle");
    let (status, _, html) = post_form(
        &app,
        &customer,
        &lifecycle,
        &[("_csrf", &token), ("action", "decline"), ("reason", " ")],
    )
    .await;
    assert_eq!(status, Status::UnprocessableEntity, "{html}");
    assert_field_error(&html, "decline-reason", "must not be empty");
    assert!(html.contains("24 business hours"), "still pending: {html}");
    let (status, _, _) = post_form(
        &app,
        &customer,
        &lifecycle,
        &[("_csrf", &token), ("action", "accept")],
    )
    .await;
    assert_eq!(status, Status::SeeOther);
    let accepted = app
        .get(&format!("/api/v1{path}"), Some(&pair.sales_lead.token))
        .await;
    assert_eq!(
        accepted.body["turnaround"]["amount"], 24.0,
        "{}",
        accepted.body
    );
}

#[rocket::async_test]
async fn review_forms_refuse_beside_the_field_and_keep_what_was_typed() {
    let app = spawn_app().await;
    let pair = app.pair().await;
    app.active_agreement(&pair, 16.0, "business_hours").await;
    let review = app
        .post(
            "/api/v1/reviews",
            Some(&pair.sales_lead.token),
            json!({"department_ids": [pair.legal, pair.sales], "scheduled_at": "2026-12-01T09:00:00Z",
                   "duration_minutes": 45, "every_weeks": 4}),
        )
        .await;
    let id = review.body["id"].as_i64().expect("a scheduled review");
    let path = format!("/reviews/{id}");
    let cookie = sign_in(&app, "sara@acme.test").await;
    let (_, html) = page(&app, &cookie, &path).await;
    let token = csrf_of(&html);

    let (status, _, html) = post_form(
        &app,
        &cookie,
        &format!("{path}/actions"),
        &[
            ("_csrf", &token),
            ("title", "Share the NDA template"),
            ("owner_user_id", ""),
            ("due_on", "soon"),
        ],
    )
    .await;
    assert_eq!(status, Status::UnprocessableEntity, "{html}");
    assert_field_error(&html, "add-owner_user_id", "choose who owns the action");
    assert_field_error(&html, "add-due_on", "must be a date");
    assert!(field_block(&html, "add-title").contains("value=\"Share the NDA template\""));

    // A decision too long is named by its line, beside the one box.
    let decisions = format!("Keep the template\n{}", "x".repeat(2001));
    let (status, _, html) = post_form(
        &app,
        &cookie,
        &format!("{path}/hold"),
        &[
            ("_csrf", &token),
            ("minutes", "Went well"),
            ("decisions", &decisions),
        ],
    )
    .await;
    assert_eq!(status, Status::UnprocessableEntity, "{html}");
    assert_field_error(
        &html,
        "hold-decisions",
        "decision 2: must be at most 2000 characters",
    );
    assert!(
        field_block(&html, "hold-minutes").contains(">Went well</textarea>"),
        "{html}"
    );
    let unheld = app
        .get(&format!("/api/v1{path}"), Some(&pair.sales_lead.token))
        .await;
    assert_eq!(unheld.body["status"], "scheduled", "{}", unheld.body);

    let sara = pair.sales_lead.user_id.to_string();
    let (status, _, _) = post_form(
        &app,
        &cookie,
        &format!("{path}/actions"),
        &[
            ("_csrf", &token),
            ("title", "Share it"),
            ("owner_user_id", &sara),
            ("due_on", "2026-12-15"),
        ],
    )
    .await;
    assert_eq!(status, Status::SeeOther);
    let (_, html) = page(&app, &cookie, &path).await;
    let action = html
        .split("action=\"/actions/")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .expect("a close form")
        .to_owned();
    let (status, _, html) = post_form(
        &app,
        &cookie,
        &format!("/actions/{action}/close?review={id}"),
        &[
            ("_csrf", &token),
            ("status", "done"),
            ("resolution_note", ""),
        ],
    )
    .await;
    assert_eq!(status, Status::UnprocessableEntity, "{html}");
    assert_field_error(
        &html,
        &format!("close-{action}-resolution_note"),
        "must not be empty",
    );
    let open = app
        .get(
            &format!("/api/v1/reviews/{id}/actions"),
            Some(&pair.sales_lead.token),
        )
        .await;
    assert_eq!(open.body[0]["status"], "open", "{}", open.body);
}

#[rocket::async_test]
async fn a_late_forecast_reaches_the_customer_in_the_browser_and_is_marked_read_there() {
    let app = spawn_app().await;
    let pair = app.pair().await;
    let agreement = app.active_agreement(&pair, 16.0, "business_hours").await;
    let now = chrono::Utc::now().to_rfc3339();
    let id = app
        .log_request(&pair.sales_staff, agreement, &now, &[])
        .await["id"]
        .as_i64()
        .unwrap();
    let cookie = sign_in(&app, "sara@acme.test").await;
    let (_, html) = page(&app, &cookie, "/").await;
    assert!(
        !html.contains("New for you") && !html.contains("unread\">"),
        "nothing yet: {html}"
    );

    let far = (chrono::Utc::now() + chrono::TimeDelta::days(30)).to_rfc3339();
    let forecast = app
        .act(
            &pair.legal_staff,
            id,
            "forecast",
            json!({"expected_at": far, "reason": "backlog"}),
        )
        .await;
    assert_eq!(forecast.status, Status::Ok, "{}", forecast.body);
    let (_, html) = page(&app, &cookie, "/").await;
    let news = section(&html, "<h2>New for you</h2>", "</section>");
    assert!(
        news.contains("backlog") && news.contains(&format!("/requests/{id}")),
        "the home page shows it: {html}"
    );
    assert!(html.contains("aria-label=\"1 unread\""), "{html}");

    let (status, html) = page(&app, &cookie, "/notifications").await;
    assert_eq!(status, Status::Ok);
    let token = csrf_of(&html);
    let mark = html
        .split("action=\"/notifications/")
        .find_map(|rest| {
            rest.split("/read\"")
                .next()
                .filter(|id| id.parse::<i64>().is_ok())
        })
        .expect("a mark-as-read form")
        .to_owned();
    let path = format!("/notifications/{mark}/read");
    let (status, _, html) = post_form(&app, &cookie, &path, &[("_csrf", "forged")]).await;
    assert_eq!(status, Status::Forbidden);
    assert!(html.contains("id=\"problem\">the form expired"), "{html}");
    let unread = app
        .get(
            "/api/v1/notifications?unread=true",
            Some(&pair.sales_lead.token),
        )
        .await;
    assert_eq!(unread.body["items"].as_array().map(Vec::len), Some(1));

    let (status, _, _) = post_form(&app, &cookie, &path, &[("_csrf", &token)]).await;
    assert_eq!(status, Status::SeeOther);
    let unread = app
        .get(
            "/api/v1/notifications?unread=true",
            Some(&pair.sales_lead.token),
        )
        .await;
    assert_eq!(unread.body["items"], json!([]), "{}", unread.body);
    let (_, html) = page(&app, &cookie, "/").await;
    assert!(!html.contains("New for you"), "{html}");
    // Another person's notification is not theirs to mark.
    let staff = sign_in(&app, "sam@acme.test").await;
    let (_, staff_html) = page(&app, &staff, "/notifications").await;
    let staff_token = csrf_of(&staff_html);
    let (status, _, _) = post_form(&app, &staff, &path, &[("_csrf", &staff_token)]).await;
    assert_eq!(status, Status::NotFound);
}

#[rocket::async_test]
async fn the_owner_closes_a_commitment_from_its_page_and_a_cancel_needs_a_reason() {
    let app = spawn_app().await;
    let pair = app.pair().await;
    let agreement = app.active_agreement(&pair, 16.0, "business_hours").await;
    let id = app
        .log_request(
            &pair.sales_staff,
            agreement,
            "2026-03-02T09:00:00+01:00",
            &[],
        )
        .await["id"]
        .as_i64()
        .unwrap();
    let commitment = app
        .post(
            "/api/v1/commitments",
            Some(&pair.sales_lead.token),
            json!({"customer_name": "Globex", "title": "Go-live", "promised_at": "2026-03-05T17:00:00+01:00",
                   "owner_department_id": pair.sales, "depends_on": [id]}),
        )
        .await;
    let commitment = commitment.body["id"].as_i64().expect("a commitment");
    let path = format!("/commitments/{commitment}");
    let close = format!("{path}/close");

    // Legal does not own it: no forms, and a forged post is refused.
    let legal = sign_in(&app, "lena@acme.test").await;
    let (_, html) = page(&app, &legal, &path).await;
    assert!(!html.contains("Close it"), "{html}");
    let legal_token = csrf_of(&html);
    let (status, _, html) = post_form(
        &app,
        &legal,
        &close,
        &[("_csrf", &legal_token), ("action", "fulfil")],
    )
    .await;
    assert_eq!(status, Status::Forbidden);
    assert!(
        html.contains("id=\"problem\">commitments are written by their owner"),
        "{html}"
    );

    let owner = sign_in(&app, "sara@acme.test").await;
    let (_, html) = page(&app, &owner, &path).await;
    let token = csrf_of(&html);
    let (status, _, html) = post_form(
        &app,
        &owner,
        &close,
        &[("_csrf", &token), ("action", "cancel"), ("reason", "  ")],
    )
    .await;
    assert_eq!(status, Status::UnprocessableEntity, "{html}");
    assert_field_error(&html, "cancel-reason", "must not be empty");
    let still = app
        .get(&format!("/api/v1{path}"), Some(&pair.sales_lead.token))
        .await;
    assert_eq!(still.body["status"], "open", "{}", still.body);

    let (status, location, _) = post_form(
        &app,
        &owner,
        &close,
        &[("_csrf", &token), ("action", "fulfil")],
    )
    .await;
    assert_eq!(status, Status::SeeOther);
    assert_eq!(location.as_deref(), Some(path.as_str()));
    let done = app
        .get(&format!("/api/v1{path}"), Some(&pair.sales_lead.token))
        .await;
    assert_eq!(done.body["status"], "fulfilled", "{}", done.body);
    let (_, html) = page(&app, &owner, &path).await;
    assert!(
        !html.contains("Close it"),
        "a closed commitment offers no closing: {html}"
    );
    // It says when the customer had it, not when it "will land".
    assert!(
        html.contains("The customer had it") && !html.contains("Will land"),
        "{html}"
    );
}

#[rocket::async_test]
async fn the_request_page_shows_the_projected_finish_and_endangered_promises_the_api_answers() {
    let app = spawn_app().await;
    let pair = app.pair().await;
    let agreement = app.active_agreement(&pair, 16.0, "business_hours").await;
    let id = app
        .log_request(
            &pair.sales_staff,
            agreement,
            "2026-03-02T09:00:00+01:00",
            &[],
        )
        .await["id"]
        .as_i64()
        .unwrap();
    let commitment = app
        .post(
            "/api/v1/commitments",
            Some(&pair.sales_lead.token),
            json!({"customer_name": "Globex", "title": "Go-live", "promised_at": "2026-03-05T17:00:00+01:00",
                   "owner_department_id": pair.sales, "depends_on": [id]}),
        )
        .await;
    let commitment = commitment.body["id"].as_i64().expect("commitment id");
    let api = app
        .get(
            &format!("/api/v1/requests/{id}"),
            Some(&pair.legal_staff.token),
        )
        .await;
    assert_eq!(api.body["endangered_commitment_ids"], json!([commitment]));
    let finish = crate::common::instant(&api.body["projected_finish"]);

    let cookie = sign_in(&app, "lars@acme.test").await;
    let (status, html) = page(&app, &cookie, &format!("/requests/{id}")).await;

    assert_eq!(status, Status::Ok);
    let facts = section(&html, "<dt>Projected finish</dt>", "</dl>");
    // The page shows local times (Europe/Berlin) to the minute.
    let local = finish
        .with_timezone(&chrono_tz::Europe::Berlin)
        .format("%Y-%m-%d %H:%M")
        .to_string();
    assert!(facts.contains(&local), "{local} not in {facts}");
    assert!(facts.contains("later than due"), "{facts}");
    assert!(
        facts.contains(&format!("href=\"/commitments/{commitment}\"")),
        "{facts}"
    );
    // The moves offered come from the one state machine: the provider's staff
    // may start, pause and forecast an open request, never accept it.
    for offered in ["start", "pause", "forecast"] {
        assert!(html.contains(&format!("value=\"{offered}\"")), "{offered}");
    }
    assert!(!html.contains("value=\"accept\""));

    // Why each clock started when it did: this one when it was requested;
    // one that needs it first, once it is due (Tuesday 17:00, the close of
    // the day) and then at Legal's next opening.
    let clock = section(&html, "<dt>Clock started</dt>", "</dd>");
    assert!(clock.contains("when it was requested"), "{clock}");
    let next = app
        .log_request(
            &pair.sales_staff,
            agreement,
            "2026-03-02T09:00:00+01:00",
            &[id],
        )
        .await["id"]
        .as_i64()
        .unwrap();
    let (_, html) = page(&app, &cookie, &format!("/requests/{next}")).await;
    let clock = section(&html, "<dt>Clock started</dt>", "</dd>");
    assert!(
        clock.contains("2026-03-04 09:00")
            && clock.contains("it waited for what it needs first, ready Tue 2026-03-03 17:00")
            && clock.contains("then for Department LEGAL's working hours"),
        "{clock}"
    );
}

/// Each instance keeps department names between pages, behind a version
/// every instance reads (`services::departments::Directory`): a department
/// renamed through one instance is named anew by the next page of another
/// that had shown the old name.
#[rocket::async_test]
async fn a_department_renamed_through_one_instance_is_named_anew_by_the_next_page_of_another() {
    let app = spawn_app().await;
    let pair = app.pair().await;
    app.active_agreement(&pair, 8.0, "business_hours").await;
    let other = crate::common::spawn_app_on(app.database_url.clone(), |config| config).await;
    let cookie = sign_in(&other, "ada@acme.test").await;
    let (status, before) = page(&other, &cookie, "/agreements").await;
    assert_eq!(status, Status::Ok);
    assert!(before.contains("Department SALES"), "{before}");

    let admin = Some(pair.admin.token.as_str());
    let path = format!("/api/v1/departments/{}", pair.sales);
    let current = app.get(&path, admin).await;
    let renamed = app
        .patch(
            &path,
            admin,
            current.etag.as_deref(),
            json!({"name": "Revenue"}),
        )
        .await;
    assert_eq!(renamed.status, Status::Ok, "{}", renamed.body);

    let (_, after) = page(&other, &cookie, "/agreements").await;
    assert!(after.contains("Revenue"), "{after}");
    assert!(!after.contains("Department SALES"), "{after}");
}

/// People are kept as department names are, behind the same version: a
/// person renamed, and another deactivated, through one instance show as
/// they now are on the next page of another that had shown them before.
#[rocket::async_test]
async fn a_person_renamed_or_deactivated_through_one_instance_shows_so_on_the_next_page_of_another()
{
    let app = spawn_app().await;
    let pair = app.pair().await;
    let other = crate::common::spawn_app_on(app.database_url.clone(), |config| config).await;
    let cookie = sign_in(&other, "ada@acme.test").await;
    let department = format!("/departments/{}", pair.sales);
    let (status, before) = page(&other, &cookie, &department).await;
    assert_eq!(status, Status::Ok);
    assert!(before.contains("sam@acme.test"), "{before}");
    assert!(before.contains("sara@acme.test"), "{before}");

    let admin = Some(pair.admin.token.as_str());
    let path = format!("/api/v1/users/{}", pair.sales_staff.user_id);
    let current = app.get(&path, admin).await;
    let renamed = app
        .patch(
            &path,
            admin,
            current.etag.as_deref(),
            json!({"name": "Samira Okafor"}),
        )
        .await;
    assert_eq!(renamed.status, Status::Ok, "{}", renamed.body);
    let gone = app
        .post(
            &format!("/api/v1/users/{}/deactivate", pair.sales_lead.user_id),
            admin,
            json!({}),
        )
        .await;
    assert_eq!(gone.status, Status::Ok, "{}", gone.body);

    let (_, after) = page(&other, &cookie, &department).await;
    assert!(after.contains("Samira Okafor"), "{after}");
    assert!(!after.contains("sam@acme.test"), "{after}");
    assert!(!after.contains("sara@acme.test"), "{after}");
}
