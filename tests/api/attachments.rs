//! Files on a request through HTTP: upload (multipart), list, download with
//! safe headers, the size limit (413 and nothing stored), who may see them,
//! refused bodies, a second instance on the same store, and the page's form.
//! Every test keeps its files in a fresh folder of its own.

use std::path::{Path, PathBuf};

use rocket::http::{ContentType, Header, Status};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::common::{
    Answer, Pair, Session, TestApp, assert_problem, id_of, int, spawn_app_on, spawn_app_with,
};

const BOUNDARY: &str = "baton-test-boundary-7d1f";
const MONDAY_9: &str = "2026-03-02T09:00:00+01:00";

/// One part of a multipart body.
struct Part<'a> {
    name: &'a str,
    filename: Option<&'a str>,
    content_type: Option<&'a str>,
    bytes: &'a [u8],
}

fn file<'a>(filename: &'a str, content_type: Option<&'a str>, bytes: &'a [u8]) -> Part<'a> {
    Part {
        name: "file",
        filename: Some(filename),
        content_type,
        bytes,
    }
}

fn text<'a>(name: &'a str, value: &'a str) -> Part<'a> {
    Part {
        name,
        filename: None,
        content_type: None,
        bytes: value.as_bytes(),
    }
}

/// A `multipart/form-data` body as a client builds it (quotes in names
/// escaped with a backslash).
fn multipart(parts: &[Part<'_>]) -> Vec<u8> {
    let mut body = Vec::new();
    for part in parts {
        body.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        let mut disposition = format!("Content-Disposition: form-data; name=\"{}\"", part.name);
        if let Some(filename) = part.filename {
            disposition.push_str(&format!("; filename=\"{}\"", filename.replace('"', "\\\"")));
        }
        body.extend_from_slice(disposition.as_bytes());
        body.extend_from_slice(b"\r\n");
        if let Some(content_type) = part.content_type {
            body.extend_from_slice(format!("Content-Type: {content_type}\r\n").as_bytes());
        }
        body.extend_from_slice(b"\r\n");
        body.extend_from_slice(part.bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

fn multipart_type() -> Header<'static> {
    Header::new(
        "Content-Type",
        format!("multipart/form-data; boundary={BOUNDARY}"),
    )
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// Bytes that are not text: every byte value, over and over.
fn binary(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 % 256) as u8).collect()
}

/// A fresh folder for one test's files, and its `file://` URL.
fn fresh_store() -> (PathBuf, String) {
    let dir = std::env::temp_dir()
        .join("baton-tests")
        .join(format!("files-{}", baton::config::random_hex(8)));
    let url = format!("file://{}", dir.display());
    (dir, url)
}

/// Every file under `dir`.
fn objects_in(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(folder) = pending.pop() {
        for entry in std::fs::read_dir(&folder).expect("store folder").flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else {
                found.push(path);
            }
        }
    }
    found
}

struct Setup {
    app: TestApp,
    store: PathBuf,
    store_url: String,
    pair: Pair,
    request: i64,
}

async fn setup_with(max_bytes: Option<u64>) -> Setup {
    let (store, store_url) = fresh_store();
    let url = store_url.clone();
    let app = spawn_app_with(move |config| baton::Config {
        attachments_url: Some(url),
        attachment_max_bytes: max_bytes.unwrap_or(config.attachment_max_bytes),
        ..config
    })
    .await;
    let pair = app.pair().await;
    let agreement = app.active_agreement(&pair, 16.0, "business_hours").await;
    let request = int(&app
        .log_request(&pair.sales_staff, agreement, MONDAY_9, &[])
        .await["id"]);
    Setup {
        app,
        store,
        store_url,
        pair,
        request,
    }
}

async fn setup() -> Setup {
    setup_with(None).await
}

async fn upload_body(
    app: &TestApp,
    who: &Session,
    request: i64,
    content_type: Header<'static>,
    body: Vec<u8>,
) -> Answer {
    let call = app
        .client
        .post(format!("/api/v1/requests/{request}/attachments"))
        .header(content_type)
        .header(Header::new(
            "Authorization",
            format!("Bearer {}", who.token),
        ))
        .body(body);
    app.send(call).await
}

async fn upload(app: &TestApp, who: &Session, request: i64, parts: &[Part<'_>]) -> Answer {
    upload_body(app, who, request, multipart_type(), multipart(parts)).await
}

/// A download: status, content type, disposition, nosniff and the bytes.
struct Fetched {
    status: Status,
    content_type: Option<String>,
    disposition: Option<String>,
    nosniff: Option<String>,
    bytes: Vec<u8>,
}

async fn download(app: &TestApp, who: &Session, id: i64) -> Fetched {
    let response = app
        .client
        .get(format!("/api/v1/attachments/{id}"))
        .header(Header::new(
            "Authorization",
            format!("Bearer {}", who.token),
        ))
        .dispatch()
        .await;
    let header = |name: &str| response.headers().get_one(name).map(str::to_owned);
    Fetched {
        status: response.status(),
        content_type: header("Content-Type"),
        disposition: header("Content-Disposition"),
        nosniff: header("X-Content-Type-Options"),
        bytes: response.into_bytes().await.unwrap_or_default(),
    }
}

async fn listed(app: &TestApp, who: &Session, request: i64) -> Vec<Value> {
    let answer = app
        .get(
            &format!("/api/v1/requests/{request}/attachments"),
            Some(&who.token),
        )
        .await;
    assert_eq!(answer.status, Status::Ok, "{}", answer.body);
    answer.body["items"]
        .as_array()
        .unwrap_or_else(|| panic!("no items in {}", answer.body))
        .clone()
}

#[rocket::async_test]
async fn an_uploaded_file_comes_back_byte_for_byte_with_safe_headers() {
    let Setup {
        app,
        pair,
        request,
        store,
        ..
    } = setup().await;
    let bytes = binary(100_000);
    let name = "résumé \"final\".pdf";
    let answer = upload(
        &app,
        &pair.legal_staff,
        request,
        &[file(name, Some("application/pdf"), &bytes)],
    )
    .await;
    assert_eq!(answer.status, Status::Created, "{}", answer.body);
    let id = id_of(&answer);
    assert_eq!(answer.body["request_id"], request);
    assert_eq!(answer.body["filename"], name);
    assert_eq!(answer.body["size"], 100_000);
    assert_eq!(answer.body["content_type"], "application/pdf");
    assert_eq!(answer.body["sha256"], sha256_hex(&bytes));
    assert_eq!(answer.body["uploaded_by"], pair.legal_staff.user_id);
    assert!(answer.body["created_at"].is_string(), "{}", answer.body);
    assert_eq!(objects_in(&store).len(), 1, "one object in the store");

    // The customer side reads it back.
    let fetched = download(&app, &pair.sales_staff, id).await;
    assert_eq!(fetched.status, Status::Ok);
    assert_eq!(fetched.bytes.len(), bytes.len());
    assert!(fetched.bytes == bytes, "the same bytes");
    assert_eq!(sha256_hex(&fetched.bytes), answer.body["sha256"]);
    assert_eq!(fetched.content_type.as_deref(), Some("application/pdf"));
    assert_eq!(
        fetched.disposition.as_deref(),
        Some(
            "attachment; filename=\"r_sum_ _final_.pdf\"; filename*=UTF-8''r%C3%A9sum%C3%A9%20%22final%22.pdf"
        )
    );
    assert_eq!(fetched.nosniff.as_deref(), Some("nosniff"));

    // A second one, with a path for a name and no content type; the list is
    // oldest first.
    let notes = upload(
        &app,
        &pair.sales_staff,
        request,
        &[file("C:\\fakepath\\notes.txt", None, b"hello")],
    )
    .await;
    assert_eq!(notes.status, Status::Created, "{}", notes.body);
    assert_eq!(notes.body["filename"], "notes.txt");
    assert_eq!(notes.body["content_type"], "application/octet-stream");
    let items = listed(&app, &pair.legal_lead, request).await;
    let ids: Vec<i64> = items.iter().map(|item| int(&item["id"])).collect();
    assert_eq!(ids, [id, id_of(&notes)]);
    assert_eq!(items[0]["filename"], name);
    assert_eq!(items[0]["sha256"], sha256_hex(&bytes));
    assert_eq!(items[1]["size"], 5);
    let fetched = download(&app, &pair.admin, id_of(&notes)).await;
    assert_eq!(fetched.bytes, b"hello");
    assert_eq!(
        fetched.content_type.as_deref(),
        Some("application/octet-stream")
    );

    // Each upload is an event of the request.
    let events = app
        .get(
            &format!("/api/v1/requests/{request}/events"),
            Some(&pair.admin.token),
        )
        .await;
    let attached: Vec<&Value> = events
        .body
        .as_array()
        .unwrap_or_else(|| panic!("events: {}", events.body))
        .iter()
        .filter(|event| event["kind"] == "attached")
        .collect();
    assert_eq!(attached.len(), 2, "{}", events.body);
    assert_eq!(
        attached[0]["data"],
        json!({"attachment_id": id, "filename": name})
    );
    assert_eq!(attached[0]["actor_user_id"], pair.legal_staff.user_id);
}

#[rocket::async_test]
async fn a_file_past_the_limit_is_refused_and_nothing_is_stored() {
    let Setup {
        app,
        pair,
        request,
        store,
        ..
    } = setup_with(Some(1024)).await;
    let over = binary(1025);
    let refused = upload(
        &app,
        &pair.sales_staff,
        request,
        &[file("big.bin", None, &over)],
    )
    .await;
    assert_problem(&refused, Status::PayloadTooLarge);
    assert_eq!(
        refused.body["detail"], "the file is larger than 1 KiB",
        "{}",
        refused.body
    );
    // Far past it: the body itself is cut off while it streams in.
    let huge = binary(300_000);
    let refused = upload(
        &app,
        &pair.sales_staff,
        request,
        &[file("huge.bin", None, &huge)],
    )
    .await;
    assert_problem(&refused, Status::PayloadTooLarge);
    assert!(listed(&app, &pair.sales_staff, request).await.is_empty());
    assert!(objects_in(&store).is_empty(), "{:?}", objects_in(&store));

    // Exactly the limit is fine.
    let at_limit = binary(1024);
    let kept = upload(
        &app,
        &pair.sales_staff,
        request,
        &[file("ok.bin", None, &at_limit)],
    )
    .await;
    assert_eq!(kept.status, Status::Created, "{}", kept.body);
    assert_eq!(listed(&app, &pair.sales_staff, request).await.len(), 1);
    assert_eq!(objects_in(&store).len(), 1);
}

#[rocket::async_test]
async fn a_json_body_still_says_its_own_limit() {
    let Setup { app, pair, .. } = setup().await;
    let request = app
        .client
        .post("/api/v1/departments")
        .header(ContentType::JSON)
        .header(Header::new(
            "Authorization",
            format!("Bearer {}", pair.admin.token),
        ))
        .body(format!("\"{}\"", "x".repeat(1024 * 1024 + 10)));
    let answer = app.send(request).await;
    assert_problem(&answer, Status::PayloadTooLarge);
    assert_eq!(
        answer.body["detail"],
        "the request body is larger than 1 MiB"
    );
}

#[rocket::async_test]
async fn another_organisation_or_an_unrelated_department_sees_no_file() {
    let Setup {
        app,
        pair,
        request,
        store,
        ..
    } = setup().await;
    let id = id_of(
        &upload(
            &app,
            &pair.legal_staff,
            request,
            &[file("a.txt", None, b"secret")],
        )
        .await,
    );
    let ops = app.create_department(&pair.admin, "OPS").await;
    let outsider = app
        .create_user(&pair.admin, "otto@acme.test", "staff", Some(ops))
        .await;
    let ops_lead = app
        .create_user(&pair.admin, "olga@acme.test", "lead", Some(ops))
        .await;
    let other = app.signup("Globex", "gina@globex.test").await;
    for who in [&outsider, &ops_lead, &other] {
        let fetched = download(&app, who, id).await;
        assert_eq!(fetched.status, Status::NotFound);
        assert!(fetched.bytes != b"secret");
        let list = app
            .get(
                &format!("/api/v1/requests/{request}/attachments"),
                Some(&who.token),
            )
            .await;
        assert_problem(&list, Status::NotFound);
        let refused = upload(&app, who, request, &[file("b.txt", None, b"x")]).await;
        assert_problem(&refused, Status::NotFound);
    }
    // An id that does not exist at all answers the same.
    assert_eq!(
        download(&app, &pair.admin, id + 1000).await.status,
        Status::NotFound
    );
    assert_eq!(listed(&app, &pair.admin, request).await.len(), 1);
    assert_eq!(objects_in(&store).len(), 1);
    // Without a token: 401.
    let anonymous = app.get(&format!("/api/v1/attachments/{id}"), None).await;
    assert_problem(&anonymous, Status::Unauthorized);
}

#[rocket::async_test]
async fn bodies_without_a_proper_file_are_refused_with_a_problem() {
    let Setup {
        app,
        pair,
        request,
        store,
        ..
    } = setup().await;
    let who = &pair.sales_staff;
    // Not multipart at all.
    let json_body = app
        .post(
            &format!("/api/v1/requests/{request}/attachments"),
            Some(&who.token),
            json!({"file": "hello"}),
        )
        .await;
    assert_problem(&json_body, Status::UnsupportedMediaType);
    // No file part.
    let no_file = upload(&app, who, request, &[text("note", "hello")]).await;
    assert_problem(&no_file, Status::UnprocessableEntity);
    assert!(
        no_file.body["errors"]["note"].is_array(),
        "{}",
        no_file.body
    );
    let empty = upload(&app, who, request, &[]).await;
    assert_eq!(empty.status.class(), rocket::http::StatusClass::ClientError);
    // A `file` part that is no file, or whose name is empty or only a folder.
    for part in [
        text("file", "just text"),
        file("", None, b"x"),
        file("folder/", None, b"x"),
        file("ok.txt", Some("not a type"), b"x"),
    ] {
        let refused = upload(&app, who, request, &[part]).await;
        assert_problem(&refused, Status::UnprocessableEntity);
        assert!(
            refused.body["errors"]["file"].is_array(),
            "{}",
            refused.body
        );
    }
    let long_name = format!("{}.txt", "n".repeat(252));
    let refused = upload(&app, who, request, &[file(&long_name, None, b"x")]).await;
    assert_problem(&refused, Status::UnprocessableEntity);
    // Two files at once.
    let two = upload(
        &app,
        who,
        request,
        &[file("a.txt", None, b"a"), file("b.txt", None, b"b")],
    )
    .await;
    assert_problem(&two, Status::UnprocessableEntity);
    // Broken framing, and a multipart type without its boundary.
    let broken = upload_body(
        &app,
        who,
        request,
        multipart_type(),
        b"--elsewhere\r\nnot a part".to_vec(),
    )
    .await;
    assert_problem(&broken, Status::BadRequest);
    let no_boundary = upload_body(
        &app,
        who,
        request,
        Header::new("Content-Type", "multipart/form-data"),
        multipart(&[file("a.txt", None, b"a")]),
    )
    .await;
    assert_problem(&no_boundary, Status::BadRequest);
    assert!(listed(&app, who, request).await.is_empty());
    assert!(objects_in(&store).is_empty());
}

#[rocket::async_test]
async fn a_second_instance_on_the_same_database_and_store_serves_the_file() {
    let Setup {
        app,
        pair,
        request,
        store_url,
        ..
    } = setup().await;
    let bytes = binary(5000);
    let id = id_of(
        &upload(
            &app,
            &pair.legal_staff,
            request,
            &[file("shared.bin", None, &bytes)],
        )
        .await,
    );
    let second = spawn_app_on(app.database_url.clone(), move |config| baton::Config {
        attachments_url: Some(store_url),
        ..config
    })
    .await;
    let fetched = download(&second, &pair.sales_staff, id).await;
    assert_eq!(fetched.status, Status::Ok);
    assert!(
        fetched.bytes == bytes,
        "the same bytes from the other instance"
    );
    assert_eq!(listed(&second, &pair.sales_staff, request).await.len(), 1);
}

fn csrf_of(html: &str) -> String {
    let start = html
        .find("name=\"_csrf\" value=\"")
        .expect("a form with a CSRF token")
        + 20;
    html[start..].split('"').next().unwrap().to_owned()
}

#[rocket::async_test]
async fn the_request_page_lists_files_uploads_through_its_form_and_downloads() {
    let Setup {
        app,
        pair,
        request,
        store,
        ..
    } = setup().await;
    let cookie = crate::pages::sign_in(&app, "lars@acme.test").await;
    let page_path = format!("/requests/{request}");
    let html = app
        .client
        .get(page_path.clone())
        .cookie(cookie.clone())
        .dispatch()
        .await
        .into_string()
        .await
        .unwrap_or_default();
    assert!(
        html.contains("<h2>Files</h2>") && html.contains("No files yet."),
        "{html}"
    );
    assert!(html.contains("enctype=\"multipart/form-data\""), "{html}");
    let token = csrf_of(&html);

    let post = |csrf: String, bytes: &'static [u8]| {
        let body = multipart(&[
            text("_csrf", &csrf),
            file("minutes.txt", Some("text/plain"), bytes),
        ]);
        app.client
            .post(format!("/requests/{request}/files"))
            .cookie(cookie.clone())
            .header(multipart_type())
            .body(body)
    };
    // A forged token: back to the page with the reason, nothing stored.
    let forged = post("forged".into(), b"nope").dispatch().await;
    assert_eq!(forged.status(), Status::SeeOther);
    assert_eq!(
        forged.headers().get_one("Location"),
        Some(page_path.as_str())
    );
    assert!(objects_in(&store).is_empty());
    assert!(listed(&app, &pair.admin, request).await.is_empty());

    let posted = post(token, b"minutes of the meeting").dispatch().await;
    assert_eq!(posted.status(), Status::SeeOther);
    assert_eq!(
        posted.headers().get_one("Location"),
        Some(page_path.as_str())
    );
    let items = listed(&app, &pair.admin, request).await;
    assert_eq!(items.len(), 1);
    let id = int(&items[0]["id"]);
    assert_eq!(items[0]["uploaded_by"], pair.legal_staff.user_id);

    let html = app
        .client
        .get(page_path.clone())
        .cookie(cookie.clone())
        .dispatch()
        .await
        .into_string()
        .await
        .unwrap_or_default();
    assert!(html.contains(&format!("href=\"/files/{id}\"")), "{html}");
    assert!(
        html.contains("minutes.txt") && html.contains("lars@acme.test"),
        "{html}"
    );

    let fetched = app
        .client
        .get(format!("/files/{id}"))
        .cookie(cookie.clone())
        .dispatch()
        .await;
    assert_eq!(fetched.status(), Status::Ok);
    assert_eq!(
        fetched.headers().get_one("X-Content-Type-Options"),
        Some("nosniff")
    );
    assert!(
        fetched
            .headers()
            .get_one("Content-Disposition")
            .is_some_and(|value| value.starts_with("attachment; filename=\"minutes.txt\"")),
    );
    assert_eq!(
        fetched.into_bytes().await.unwrap_or_default(),
        b"minutes of the meeting"
    );
    // Without a session, the page route sends people to sign in.
    let anonymous = app.client.get(format!("/files/{id}")).dispatch().await;
    assert_eq!(anonymous.status(), Status::SeeOther);
    assert_eq!(anonymous.headers().get_one("Location"), Some("/login"));
}
