//! The administration pages through HTTP: an admin adds people and changes
//! their role, department or standing; adds, edits and deletes departments;
//! edits a calendar's hours and holidays (also from an `.ics` file) and sees
//! when work falls due; saves the organisation's settings. Everyone else
//! gets the 403 page.

use rocket::http::{ContentType, Cookie, Header, Status};
use serde_json::json;

use crate::common::{PASSWORD, TestApp, id_of, spawn_app};
use crate::pages::{csrf_of, page, sign_in};

/// What a form post answered: status, `Location` (after a redirect), page.
struct Posted {
    status: Status,
    location: Option<String>,
    html: String,
}

/// Posts a form with the session's CSRF token (read from `token_page`).
async fn post_form(
    app: &TestApp,
    cookie: &Cookie<'static>,
    token_page: &str,
    path: &str,
    fields: &[(&str, &str)],
) -> Posted {
    let (_, html) = page(app, cookie, token_page).await;
    let mut body = form_urlencoded::Serializer::new(String::new());
    body.append_pair("_csrf", &csrf_of(&html));
    for (name, value) in fields {
        body.append_pair(name, value);
    }
    let response = app
        .client
        .post(path.to_owned())
        .cookie(cookie.clone())
        .header(ContentType::Form)
        .body(body.finish())
        .dispatch()
        .await;
    Posted {
        status: response.status(),
        location: response.headers().get_one("Location").map(str::to_owned),
        html: response.into_string().await.unwrap_or_default(),
    }
}

/// The hidden `version` input of a page's form.
fn version_of(html: &str) -> String {
    let marker = "name=\"version\" value=\"";
    let start = html.find(marker).expect("a form with a version") + marker.len();
    html[start..]
        .split('"')
        .next()
        .unwrap_or_default()
        .to_owned()
}

/// The message shown beside the input `id` (its `<id>-error` paragraph).
fn field_error(html: &str, id: &str) -> String {
    let marker = format!("id=\"{id}-error\">");
    html.split(&marker)
        .nth(1)
        .and_then(|rest| rest.split("</p>").next())
        .unwrap_or_default()
        .to_owned()
}

#[rocket::async_test]
async fn an_admin_adds_a_person_through_the_form_and_they_can_sign_in() {
    let app = spawn_app().await;
    let admin = app.signup("Acme", "ada@acme.test").await;
    let legal = app.create_department(&admin, "LEGAL").await;
    let cookie = sign_in(&app, "ada@acme.test").await;
    let legal_text = legal.to_string();

    // Refused: staff need a department, and the password is too short; both
    // are said beside their fields at once, what was typed is kept, the
    // password is not sent back.
    let refused = post_form(
        &app,
        &cookie,
        "/admin/users",
        "/admin/users",
        &[
            ("name", "Nora New"),
            ("email", "nora@acme.test"),
            ("role", "staff"),
            ("department_id", ""),
            ("password", "short-one"),
        ],
    )
    .await;
    assert_eq!(refused.status, Status::UnprocessableEntity);
    assert!(field_error(&refused.html, "department_id").contains("required for leads and staff"));
    assert!(field_error(&refused.html, "password").contains("at least 12 characters"));
    assert!(
        refused.html.contains("value=\"Nora New\""),
        "{}",
        refused.html
    );
    assert!(
        !refused.html.contains("short-one"),
        "the password is not echoed"
    );
    assert_eq!(
        app.login("nora@acme.test", PASSWORD).await.status,
        Status::Unauthorized
    );

    let added = post_form(
        &app,
        &cookie,
        "/admin/users",
        "/admin/users",
        &[
            ("name", "Nora New"),
            ("email", "nora@acme.test"),
            ("role", "staff"),
            ("department_id", &legal_text),
            ("password", PASSWORD),
        ],
    )
    .await;
    assert_eq!(added.status, Status::SeeOther, "{}", added.html);
    assert_eq!(added.location.as_deref(), Some("/admin/users"));
    let login = app.login("nora@acme.test", PASSWORD).await;
    assert_eq!(login.status, Status::Ok, "{}", login.body);
    assert_eq!(login.body["user"]["role"], "staff");
    assert_eq!(login.body["user"]["department_id"], legal);

    let (status, list) = page(&app, &cookie, "/admin/users").await;
    assert_eq!(status, Status::Ok);
    let row = list.split("Nora New").nth(1).unwrap_or_default();
    let row = row.split("</tr>").next().unwrap_or_default();
    assert!(
        row.contains("nora@acme.test")
            && row.contains(">Staff<")
            && row.contains("Department LEGAL")
            && row.contains("Active"),
        "the list says who they are in plain words: {row}"
    );
}

#[rocket::async_test]
async fn an_admin_changes_a_persons_role_and_department_then_deactivates_them() {
    let app = spawn_app().await;
    let pair = app.pair().await;
    let cookie = sign_in(&app, "ada@acme.test").await;
    let lars = pair.legal_staff.user_id;
    let path = format!("/admin/users/{lars}");
    let (status, html) = page(&app, &cookie, &path).await;
    assert_eq!(status, Status::Ok);
    let version = version_of(&html);
    let sales = pair.sales.to_string();

    let moved = post_form(
        &app,
        &cookie,
        &path,
        &path,
        &[
            ("version", &version),
            ("role", "lead"),
            ("department_id", &sales),
        ],
    )
    .await;
    assert_eq!(moved.status, Status::SeeOther, "{}", moved.html);
    let now = app
        .get(&format!("/api/v1/users/{lars}"), Some(&pair.admin.token))
        .await;
    assert_eq!(now.body["role"], "lead");
    assert_eq!(now.body["department_id"], pair.sales);

    // The page showed an older version: the change is refused, not lost.
    let stale = post_form(
        &app,
        &cookie,
        &path,
        &path,
        &[
            ("version", &version),
            ("role", "staff"),
            ("department_id", &sales),
        ],
    )
    .await;
    assert_eq!(stale.status, Status::PreconditionFailed);
    assert!(
        stale.html.contains("Someone changed this"),
        "{}",
        stale.html
    );

    // A lead without a department is refused beside the department.
    let (_, html) = page(&app, &cookie, &path).await;
    let refused = post_form(
        &app,
        &cookie,
        &path,
        &path,
        &[
            ("version", &version_of(&html)),
            ("role", "lead"),
            ("department_id", ""),
        ],
    )
    .await;
    assert_eq!(refused.status, Status::UnprocessableEntity);
    assert!(field_error(&refused.html, "edit-department_id").contains("required"));

    // Deactivating asks for a confirmation first.
    let deactivate = format!("/admin/users/{lars}/deactivate");
    let unconfirmed = post_form(&app, &cookie, &path, &deactivate, &[]).await;
    assert_eq!(unconfirmed.status, Status::UnprocessableEntity);
    assert!(field_error(&unconfirmed.html, "confirm").contains("tick the box"));
    assert_eq!(
        app.login("lars@acme.test", PASSWORD).await.status,
        Status::Ok
    );

    let done = post_form(&app, &cookie, &path, &deactivate, &[("confirm", "yes")]).await;
    assert_eq!(done.status, Status::SeeOther, "{}", done.html);
    assert_eq!(
        app.login("lars@acme.test", PASSWORD).await.status,
        Status::Unauthorized
    );
    let (_, list) = page(&app, &cookie, "/admin/users").await;
    let row = list
        .split("<tr>")
        .find(|row| row.contains("lars@acme.test"))
        .unwrap_or_default();
    assert!(row.contains("Deactivated"), "{list}");

    // Nobody deactivates themselves.
    let me = format!("/admin/users/{}", pair.admin.user_id);
    let (_, mine) = page(&app, &cookie, &me).await;
    assert!(!mine.contains("/deactivate\""), "no such form for oneself");
}

#[rocket::async_test]
async fn leads_and_staff_get_the_403_page_on_every_administration_page() {
    let app = spawn_app().await;
    let pair = app.pair().await;
    let calendar = app.default_calendar(&pair.admin).await;
    let admin = sign_in(&app, "ada@acme.test").await;
    let (_, home) = page(&app, &admin, "/").await;
    assert!(home.contains("href=\"/admin\""), "admins see the link");

    for email in ["lena@acme.test", "lars@acme.test", "leo@acme.test"] {
        let cookie = sign_in(&app, email).await;
        let (_, home) = page(&app, &cookie, "/").await;
        assert!(!home.contains("href=\"/admin\""), "{email} sees no link");
        for path in [
            "/admin".to_owned(),
            "/admin/users".to_owned(),
            format!("/admin/users/{}", pair.legal_staff.user_id),
            "/admin/calendars".to_owned(),
            format!("/admin/calendars/{calendar}"),
            "/admin/organisation".to_owned(),
            format!("/departments/{}/edit", pair.legal),
        ] {
            let response = app
                .client
                .get(path.clone())
                .cookie(cookie.clone())
                .header(Header::new("Accept", "text/html,*/*;q=0.8"))
                .dispatch()
                .await;
            assert_eq!(response.status(), Status::Forbidden, "{email} {path}");
            let html = response.into_string().await.unwrap_or_default();
            assert!(html.contains("Not yours to open"), "{email} {path}: {html}");
        }
        // A post is refused as well, and changes nothing.
        let refused = post_form(
            &app,
            &cookie,
            "/",
            "/admin/users",
            &[
                ("name", "Mallory"),
                ("email", "mallory@acme.test"),
                ("role", "admin"),
                ("password", PASSWORD),
            ],
        )
        .await;
        assert_eq!(refused.status, Status::Forbidden, "{email}");
        let (_, list) = page(&app, &cookie, "/departments").await;
        assert!(!list.contains("action=\"/departments\""), "no add form");
    }
    assert_eq!(
        app.login("mallory@acme.test", PASSWORD).await.status,
        Status::Unauthorized
    );
}

#[rocket::async_test]
async fn an_admin_adds_edits_and_deletes_an_unused_department_and_hears_why_a_used_one_stays() {
    let app = spawn_app().await;
    let admin = app.signup("Acme", "ada@acme.test").await;
    let calendar = app.default_calendar(&admin).await.to_string();
    let cookie = sign_in(&app, "ada@acme.test").await;

    let refused = post_form(
        &app,
        &cookie,
        "/departments",
        "/departments",
        &[
            ("name", ""),
            ("code", "not a code"),
            ("calendar_id", &calendar),
        ],
    )
    .await;
    assert_eq!(refused.status, Status::UnprocessableEntity);
    assert!(!field_error(&refused.html, "name").is_empty());
    assert!(!field_error(&refused.html, "code").is_empty());

    let added = post_form(
        &app,
        &cookie,
        "/departments",
        "/departments",
        &[
            ("name", "Legal"),
            ("code", "LEGAL"),
            ("calendar_id", &calendar),
        ],
    )
    .await;
    assert_eq!(added.status, Status::SeeOther, "{}", added.html);
    let edit = added.location.expect("to the edit page");
    let legal: i64 = edit
        .trim_start_matches("/departments/")
        .trim_end_matches("/edit")
        .parse()
        .expect("the department's id");
    let lena = app
        .create_user(&admin, "lena@acme.test", "lead", Some(legal))
        .await;

    // A second calendar to move it to; the lead is one of its leads.
    let singapore = app
        .post(
            "/api/v1/calendars",
            Some(&admin.token),
            json!({"name": "Singapore", "timezone": "Asia/Singapore",
                   "weekly": {"mon": [["09:00", "18:00"]]}}),
        )
        .await;
    let singapore = id_of(&singapore).to_string();
    let (status, html) = page(&app, &cookie, &edit).await;
    assert_eq!(status, Status::Ok);
    assert!(
        html.contains("lena@acme.test"),
        "the lead is offered: {html}"
    );
    let lead = lena.user_id.to_string();
    let saved = post_form(
        &app,
        &cookie,
        &edit,
        &format!("/departments/{legal}/edit"),
        &[
            ("version", &version_of(&html)),
            ("name", "Legal & Compliance"),
            ("code", "LEGAL"),
            ("calendar_id", &singapore),
            ("lead_user_id", &lead),
        ],
    )
    .await;
    assert_eq!(saved.status, Status::SeeOther, "{}", saved.html);
    let now = app
        .get(&format!("/api/v1/departments/{legal}"), Some(&admin.token))
        .await;
    assert_eq!(now.body["name"], "Legal & Compliance");
    assert_eq!(now.body["lead_user_id"], lena.user_id);
    assert_eq!(now.body["calendar_id"].to_string(), singapore);

    // Lena still belongs to it: it stays, and the page says why.
    let delete = format!("/departments/{legal}/delete");
    let (_, html) = page(&app, &cookie, &edit).await;
    let kept = post_form(
        &app,
        &cookie,
        &edit,
        &delete,
        &[("version", &version_of(&html))],
    )
    .await;
    assert_eq!(kept.status, Status::Conflict);
    assert!(
        kept.html
            .contains("Not deleted: department LEGAL is still referred to by 1 user."),
        "{}",
        kept.html
    );
    let still = app
        .get(&format!("/api/v1/departments/{legal}"), Some(&admin.token))
        .await;
    assert_eq!(still.status, Status::Ok);

    // An unused one goes.
    let unused = app.create_department(&admin, "EMPTY").await;
    let unused_edit = format!("/departments/{unused}/edit");
    let gone = post_form(
        &app,
        &cookie,
        &unused_edit,
        &format!("/departments/{unused}/delete"),
        &[],
    )
    .await;
    assert_eq!(gone.status, Status::SeeOther, "{}", gone.html);
    assert_eq!(gone.location.as_deref(), Some("/departments"));
    let after = app
        .get(&format!("/api/v1/departments/{unused}"), Some(&admin.token))
        .await;
    assert_eq!(after.status, Status::NotFound);
}

/// The preview on a calendar's page: 16 business hours from Monday
/// 2030-01-07 09:00 in the calendar's zone.
async fn preview(app: &TestApp, cookie: &Cookie<'static>, calendar: i64) -> String {
    let (status, html) = page(
        app,
        cookie,
        &format!("/admin/calendars/{calendar}?amount=16&unit=business_hours&from=2030-01-07T09:00"),
    )
    .await;
    assert_eq!(status, Status::Ok, "{html}");
    let answer = html
        .split("id=\"preview-answer\">")
        .nth(1)
        .and_then(|rest| rest.split("</p>").next())
        .unwrap_or_default();
    answer.to_owned()
}

#[rocket::async_test]
async fn editing_a_calendars_hours_and_holidays_moves_the_previews_due_date() {
    let app = spawn_app().await;
    let admin = app.signup("Acme", "ada@acme.test").await;
    let calendar = app.default_calendar(&admin).await;
    let cookie = sign_in(&app, "ada@acme.test").await;
    let path = format!("/admin/calendars/{calendar}");

    // Monday to Friday 09:00–17:00: two whole days.
    let before = preview(&app, &cookie, calendar).await;
    assert!(
        before.contains(
            "16 business hours from Mon 2030-01-07 09:00 CET are due Tue 2030-01-08 17:00 CET"
        ),
        "{before}"
    );

    let (_, html) = page(&app, &cookie, &path).await;
    let version = version_of(&html);
    let week = |monday: &'static str| {
        [
            ("name", "Office"),
            ("timezone", "Europe/Berlin"),
            ("mon", monday),
            ("tue", "09:00–17:00"),
            ("wed", "09:00–17:00"),
            ("thu", "09:00–17:00"),
            ("fri", "09:00–17:00"),
            ("sat", ""),
            ("sun", ""),
        ]
    };
    // A range that ends before it starts is explained beside Monday.
    let mut refused_fields = vec![("version", version.as_str())];
    refused_fields.extend(week("09:00–12:00, 13:00–12:30"));
    let refused = post_form(&app, &cookie, &path, &path, &refused_fields).await;
    assert_eq!(refused.status, Status::UnprocessableEntity);
    assert!(
        field_error(&refused.html, "edit-mon")
            .contains("range 2: start 13:00 is not before end 12:30"),
        "{}",
        refused.html
    );
    assert_eq!(
        preview(&app, &cookie, calendar).await,
        before,
        "nothing saved"
    );

    // A lunch break on Mondays: seven hours, so the due moves to Wednesday.
    let mut fields = vec![("version", version.as_str())];
    fields.extend(week("9:00–12:00, 13:00–17:00"));
    let saved = post_form(&app, &cookie, &path, &path, &fields).await;
    assert_eq!(saved.status, Status::SeeOther, "{}", saved.html);
    let lunch = preview(&app, &cookie, calendar).await;
    assert!(lunch.contains("due Wed 2030-01-09 10:00 CET"), "{lunch}");
    let (_, html) = page(&app, &cookie, &path).await;
    assert!(
        html.contains("value=\"09:00–12:00, 13:00–17:00\""),
        "the hours show as saved"
    );

    // A holiday on the Tuesday moves it to Thursday.
    let holiday = post_form(
        &app,
        &cookie,
        &path,
        &format!("{path}/holidays"),
        &[("date", "2030-01-08"), ("name", "Founders' day")],
    )
    .await;
    assert_eq!(holiday.status, Status::SeeOther, "{}", holiday.html);
    let closed = preview(&app, &cookie, calendar).await;
    assert!(closed.contains("due Thu 2030-01-10 10:00 CET"), "{closed}");
    let (_, html) = page(&app, &cookie, &path).await;
    assert!(html.contains("Founders&#x27; day"), "the holiday is listed");

    // A date that is no date is refused beside it.
    let bad = post_form(
        &app,
        &cookie,
        &path,
        &format!("{path}/holidays"),
        &[("date", "next tuesday"), ("name", "")],
    )
    .await;
    assert_eq!(bad.status, Status::UnprocessableEntity);
    assert!(field_error(&bad.html, "holiday-date").contains("must be a date"));

    // Removing it brings Wednesday back.
    let removed = post_form(
        &app,
        &cookie,
        &path,
        &format!("{path}/holidays/remove"),
        &[("date", "2030-01-08")],
    )
    .await;
    assert_eq!(removed.status, Status::SeeOther);
    let again = preview(&app, &cookie, calendar).await;
    assert!(again.contains("due Wed 2030-01-09 10:00 CET"), "{again}");

    // An amount the preview cannot read is explained beside it.
    let (status, html) = page(
        &app,
        &cookie,
        &format!("{path}?amount=lots&unit=business_hours"),
    )
    .await;
    assert_eq!(status, Status::UnprocessableEntity);
    assert!(!field_error(&html, "preview-amount").is_empty(), "{html}");
}

const BOUNDARY: &str = "baton-admin-boundary-41c2";

/// Posts `ics` to the calendar's import form as a browser does.
async fn upload(
    app: &TestApp,
    cookie: &Cookie<'static>,
    calendar: i64,
    ics: &[u8],
) -> (Status, String) {
    let (_, html) = page(app, cookie, &format!("/admin/calendars/{calendar}")).await;
    let mut body = Vec::new();
    body.extend_from_slice(
        format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n{}\r\n",
            csrf_of(&html)
        )
        .as_bytes(),
    );
    body.extend_from_slice(
        format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"holidays.ics\"\r\nContent-Type: text/calendar\r\n\r\n")
            .as_bytes(),
    );
    body.extend_from_slice(ics);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    let response = app
        .client
        .post(format!("/admin/calendars/{calendar}/holidays/import"))
        .cookie(cookie.clone())
        .header(Header::new(
            "Content-Type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        ))
        .body(body)
        .dispatch()
        .await;
    (
        response.status(),
        response.into_string().await.unwrap_or_default(),
    )
}

#[rocket::async_test]
async fn an_ics_file_imports_its_all_day_events_as_holidays_and_a_malformed_one_changes_nothing() {
    let app = spawn_app().await;
    let admin = app.signup("Acme", "ada@acme.test").await;
    let calendar = app.default_calendar(&admin).await;
    let cookie = sign_in(&app, "ada@acme.test").await;
    let holidays = || async {
        app.get(&format!("/api/v1/calendars/{calendar}"), Some(&admin.token))
            .await
            .body
    };

    let ics = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Example//Holidays//EN\r\n\
        BEGIN:VEVENT\r\nUID:ny@example\r\nDTSTART;VALUE=DATE:20300101\r\nDTEND;VALUE=DATE:20300102\r\nSUMMARY:New Year's Day\r\nEND:VEVENT\r\n\
        BEGIN:VEVENT\r\nUID:xmas@example\r\nDTSTART;VALUE=DATE:20301224\r\nDTEND;VALUE=DATE:20301227\r\nSUMMARY:Christmas\r\nEND:VEVENT\r\n\
        BEGIN:VEVENT\r\nUID:party@example\r\nDTSTART:20301218T160000Z\r\nDTEND:20301218T200000Z\r\nSUMMARY:Office party\r\nEND:VEVENT\r\n\
        END:VCALENDAR\r\n";
    let (status, html) = upload(&app, &cookie, calendar, ics.as_bytes()).await;
    assert_eq!(status, Status::SeeOther, "{html}");
    let saved = holidays().await;
    let dates: Vec<&str> = saved["holidays"]
        .as_array()
        .expect("holidays")
        .iter()
        .filter_map(|holiday| holiday["date"].as_str())
        .collect();
    assert_eq!(
        dates,
        ["2030-01-01", "2030-12-24", "2030-12-25", "2030-12-26"],
        "each day of a multi-day event; the timed event is no holiday"
    );
    assert_eq!(saved["holidays"][0]["name"], "New Year's Day");

    for (broken, why) in [
        (
            "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:2030-99-99\r\nSUMMARY:Nonsense\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
            "“Nonsense” has no start date",
        ),
        (
            "this is not a calendar at all",
            "does not start with BEGIN:VCALENDAR",
        ),
        (
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n",
            "has no all-day events",
        ),
    ] {
        let (status, html) = upload(&app, &cookie, calendar, broken.as_bytes()).await;
        assert_eq!(status, Status::UnprocessableEntity, "{html}");
        let message = field_error(&html, "import-file");
        assert!(message.contains(why), "{why}: {message}");
        assert_eq!(holidays().await, saved, "nothing changed");
    }
}

#[rocket::async_test]
async fn organisation_settings_save_and_a_bad_threshold_is_explained_beside_its_field() {
    let app = spawn_app().await;
    let admin = app.signup("Acme", "ada@acme.test").await;
    let calendar = app.default_calendar(&admin).await.to_string();
    let cookie = sign_in(&app, "ada@acme.test").await;
    let path = "/admin/organisation";
    let (status, html) = page(&app, &cookie, path).await;
    assert_eq!(status, Status::Ok);
    let version = version_of(&html);

    let refused = post_form(
        &app,
        &cookie,
        path,
        path,
        &[
            ("version", &version),
            ("name", "Acme"),
            ("timezone", "Mars/Olympus"),
            ("at_risk_threshold_minutes", "999999"),
            ("escalation_minutes", "480"),
            ("default_calendar_id", &calendar),
        ],
    )
    .await;
    assert_eq!(refused.status, Status::UnprocessableEntity);
    assert!(
        field_error(&refused.html, "at_risk_threshold_minutes")
            .contains("must be between 0 and 525600"),
        "{}",
        refused.html
    );
    assert!(
        field_error(&refused.html, "timezone").contains("is not an IANA time zone"),
        "{}",
        refused.html
    );
    assert!(
        refused.html.contains("value=\"999999\""),
        "what was typed stays"
    );

    let saved = post_form(
        &app,
        &cookie,
        path,
        path,
        &[
            ("version", &version),
            ("name", "Acme Europe"),
            ("timezone", "Europe/Paris"),
            ("at_risk_threshold_minutes", "960"),
            ("escalation_minutes", ""),
            ("default_calendar_id", &calendar),
        ],
    )
    .await;
    assert_eq!(saved.status, Status::SeeOther, "{}", saved.html);
    let now = app.get("/api/v1/organisation", Some(&admin.token)).await;
    assert_eq!(now.body["name"], "Acme Europe");
    assert_eq!(now.body["timezone"], "Europe/Paris");
    assert_eq!(now.body["at_risk_threshold_minutes"], 960);
    assert_eq!(now.body["escalation_minutes"], serde_json::Value::Null);
    let (_, html) = page(&app, &cookie, path).await;
    assert!(
        html.contains("Now: 2 d."),
        "the threshold in working days: {html}"
    );
}
