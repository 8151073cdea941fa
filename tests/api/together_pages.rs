//! Working together in the browser's pages through HTTP: the request list
//! (search, filters, saved views, CSV), the conversation and the assignee on
//! the request page, and "assigned to me" at home.

use rocket::http::Status;
use serde_json::json;

use crate::common::{id_of, spawn_app};
use crate::pages::{assert_field_error, csrf_of, page, post_form, sign_in};

const MONDAY_9: &str = "2026-03-02T09:00:00+01:00";

#[rocket::async_test]
async fn the_request_page_carries_the_conversation_and_the_provider_assigns_from_it() {
    let app = spawn_app().await;
    let pair = app.pair().await;
    let agreement = app.active_agreement(&pair, 16.0, "business_hours").await;
    let logged = app
        .post("/api/v1/requests", Some(&pair.sales_staff.token),
              json!({"agreement_id": agreement, "title": "Supplier contract", "requested_at": MONDAY_9}))
        .await;
    let id = id_of(&logged);
    let path = format!("/requests/{id}");

    // The customer writes; the page shows it at the bottom of the conversation.
    let sam = sign_in(&app, "sam@acme.test").await;
    let (_, html) = page(&app, &sam, &path).await;
    assert!(html.contains("Nothing said yet."));
    assert!(
        !html.contains("action=\"/requests/{id}/assign\""),
        "the customer does not assign"
    );
    let csrf = csrf_of(&html);
    let (status, location, _) = post_form(
        &app,
        &sam,
        &format!("{path}/comments"),
        &[
            ("_csrf", &csrf),
            ("body", "Is the <b>indemnity</b> capped?\nPlease check."),
        ],
    )
    .await;
    assert_eq!(status, Status::SeeOther);
    assert_eq!(
        location.as_deref(),
        Some(format!("{path}#conversation").as_str())
    );
    let (_, html) = page(&app, &sam, &path).await;
    assert!(
        html.contains("Is the &lt;b&gt;indemnity&lt;&#x2F;b&gt; capped?\nPlease check."),
        "escaped, lines kept"
    );
    // An empty comment comes back beside its field; nothing is added.
    let (status, _, again) = post_form(
        &app,
        &sam,
        &format!("{path}/comments"),
        &[("_csrf", &csrf), ("body", "   ")],
    )
    .await;
    assert_eq!(status, Status::UnprocessableEntity);
    assert_field_error(&again, "comment-body", "must not be empty");
    let listed = app
        .get(
            &format!("/api/v1/requests/{id}/comments"),
            Some(&pair.sales_staff.token),
        )
        .await;
    assert_eq!(listed.body["items"].as_array().unwrap().len(), 1);
    // A forged form is refused.
    let (status, _, _) = post_form(
        &app,
        &sam,
        &format!("{path}/comments"),
        &[("_csrf", "forged"), ("body", "hi")],
    )
    .await;
    assert_eq!(status, Status::Forbidden);

    // Legal's lead picks one of Legal's people.
    let lena = sign_in(&app, "lena@acme.test").await;
    let (_, html) = page(&app, &lena, &path).await;
    assert!(html.contains(&format!("action=\"/requests/{id}/assign\"")));
    assert!(html.contains(&format!("<option value=\"{}\"", pair.legal_staff.user_id)));
    assert!(
        !html.contains(&format!("<option value=\"{}\"", pair.sales_staff.user_id)),
        "only the provider's people"
    );
    let csrf = csrf_of(&html);
    let staff = pair.legal_staff.user_id.to_string();
    let (status, _, _) = post_form(
        &app,
        &lena,
        &format!("{path}/assign"),
        &[("_csrf", &csrf), ("assignee_user_id", &staff)],
    )
    .await;
    assert_eq!(status, Status::SeeOther);
    let shown = app
        .get(&format!("/api/v1/requests/{id}"), Some(&pair.admin.token))
        .await;
    assert_eq!(shown.body["assignee_user_id"], pair.legal_staff.user_id);
    let (_, html) = page(&app, &lena, &path).await;
    assert!(
        html.contains("<dt>Assigned to</dt><dd>lars@acme.test</dd>"),
        "{}",
        html
    );

    // Lars sees it at home, under "Assigned to me".
    let lars = sign_in(&app, "lars@acme.test").await;
    let (_, home) = page(&app, &lars, "/").await;
    let mine = home
        .split("<h2>Assigned to me</h2>")
        .nth(1)
        .expect("an assigned section");
    assert!(
        mine.split("</table>")
            .next()
            .unwrap()
            .contains("Supplier contract")
    );
}

#[rocket::async_test]
async fn the_list_page_finds_filters_pages_exports_and_saves_views() {
    let app = spawn_app().await;
    let pair = app.pair().await;
    let agreement = app.active_agreement(&pair, 16.0, "business_hours").await;
    let mut ids = Vec::new();
    for title in ["Alpha lease", "Beta contract", "Gamma contract"] {
        let logged = app
            .post(
                "/api/v1/requests",
                Some(&pair.sales_staff.token),
                json!({"agreement_id": agreement, "title": title, "requested_at": MONDAY_9}),
            )
            .await;
        ids.push(id_of(&logged));
    }
    let sam = sign_in(&app, "sam@acme.test").await;
    let (status, html) = page(&app, &sam, "/requests?q=contract").await;
    assert_eq!(status, Status::Ok, "{html}");
    assert!(
        html.contains("Beta contract")
            && html.contains("Gamma contract")
            && !html.contains("Alpha lease")
    );
    assert!(html.contains("href=\"/requests/export.csv?q=contract\""));
    // Pages: one row per page here, and a link to the next.
    let (_, first) = page(&app, &sam, "/requests?status=open&limit=1").await;
    assert!(first.contains("Alpha lease") && !first.contains("Beta contract"));
    let next = first
        .split("href=\"/requests?")
        .find(|part| part.contains("rel=\"next\""))
        .expect("a next link");
    let next = next.split('"').next().unwrap().replace("&amp;", "&");
    let (_, second) = page(&app, &sam, &format!("/requests?{next}&limit=1")).await;
    assert!(
        second.contains("Beta contract") && !second.contains("Alpha lease"),
        "{next}"
    );
    // A filter it cannot read is said, not a crash.
    let (status, html) = page(&app, &sam, "/requests?status=nonsense").await;
    assert_eq!(status, Status::UnprocessableEntity, "{html}");
    assert!(html.contains("These filters cannot be read"));

    // The CSV link works with the session.
    let csv = app
        .client
        .get("/requests/export.csv?q=contract")
        .cookie(sam.clone())
        .dispatch()
        .await;
    let csv_status = csv.status();
    let text = csv.into_string().await.unwrap();
    assert_eq!(csv_status, Status::Ok, "{text}");
    assert_eq!(text.lines().count(), 3, "{text}");

    // A view saved from the list shows in the navigation of every page.
    let (_, html) = page(&app, &sam, "/requests?q=contract").await;
    let csrf = csrf_of(&html);
    let (status, location, _) = post_form(
        &app,
        &sam,
        "/views",
        &[
            ("_csrf", &csrf),
            ("name", "Contracts"),
            ("query", "q=contract"),
        ],
    )
    .await;
    assert_eq!(status, Status::SeeOther);
    assert_eq!(location.as_deref(), Some("/requests?q=contract"));
    let (_, home) = page(&app, &sam, "/").await;
    let nav = home
        .split("<nav class=\"app\"")
        .nth(1)
        .unwrap()
        .split("</nav>")
        .next()
        .unwrap();
    assert!(nav.contains(">Contracts</a>"), "{nav}");
    let views = app
        .get("/api/v1/views", Some(&pair.sales_staff.token))
        .await;
    let view_id = views.body["items"][0]["id"].as_i64().unwrap();
    let (status, _, _) = post_form(
        &app,
        &sam,
        &format!("/views/{view_id}/delete"),
        &[("_csrf", &csrf)],
    )
    .await;
    assert_eq!(status, Status::SeeOther);
    let views = app
        .get("/api/v1/views", Some(&pair.sales_staff.token))
        .await;
    assert_eq!(views.body["items"], json!([]));
    let _ = ids;
}
