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
