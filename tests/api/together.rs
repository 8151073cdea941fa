//! Working a request together through HTTP: who has it, the conversation,
//! finding it again by its words, the CSV of a filtered list and the views
//! people save. Legal provides, Sales is the customer (`common::Pair`).

use rocket::http::{Accept, Header, Status};
use serde_json::{Value, json};

use crate::common::{Session, TestApp, assert_problem, id_of, int, spawn_app};

const MONDAY_9: &str = "2026-03-02T09:00:00+01:00";

async fn log_titled(
    app: &TestApp,
    who: &Session,
    agreement: i64,
    title: &str,
    details: &str,
) -> i64 {
    let answer = app
        .post(
            "/api/v1/requests",
            Some(&who.token),
            json!({"agreement_id": agreement, "title": title, "details": details,
                   "requested_at": MONDAY_9}),
        )
        .await;
    assert_eq!(answer.status, Status::Created, "log: {}", answer.body);
    id_of(&answer)
}

fn ids(page: &Value) -> Vec<i64> {
    page["items"]
        .as_array()
        .unwrap_or_else(|| panic!("no items in {page}"))
        .iter()
        .map(|item| int(&item["id"]))
        .collect()
}

/// The request as stored: without its projected finish, which moves with
/// the clock while an overdue request stays open.
async fn request_version(app: &TestApp, who: &Session, id: i64) -> Value {
    let answer = app
        .get(&format!("/api/v1/requests/{id}"), Some(&who.token))
        .await;
    assert_eq!(answer.status, Status::Ok, "{}", answer.body);
    let mut body = answer.body;
    if let Some(fields) = body.as_object_mut() {
        fields.remove("projected_finish");
    }
    body
}

#[rocket::async_test]
async fn the_provider_side_assigns_a_request_to_one_of_its_people_who_is_told() {
    let app = spawn_app().await;
    let pair = app.pair().await;
    let agreement = app.active_agreement(&pair, 16.0, "business_hours").await;
    let id = log_titled(&app, &pair.sales_staff, agreement, "NDA for Globex", "").await;
    let path = format!("/api/v1/requests/{id}");
    assert_eq!(
        request_version(&app, &pair.sales_staff, id).await["assignee_user_id"],
        json!(null)
    );

    let assigned = app
        .patch(
            &path,
            Some(&pair.legal_lead.token),
            None,
            json!({"assignee_user_id": pair.legal_staff.user_id}),
        )
        .await;
    assert_eq!(assigned.status, Status::Ok, "{}", assigned.body);
    assert_eq!(assigned.body["assignee_user_id"], pair.legal_staff.user_id);

    // The assignee hears of it; the list filters by it, `me` and by id.
    let notices = app
        .get("/api/v1/notifications", Some(&pair.legal_staff.token))
        .await;
    let kinds: Vec<&str> = notices.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["assigned"], "{}", notices.body);
    assert_eq!(notices.body["items"][0]["request_id"], id);
    let mine = app
        .get(
            "/api/v1/requests?assignee=me",
            Some(&pair.legal_staff.token),
        )
        .await;
    assert_eq!(ids(&mine.body), [id]);
    let theirs = app
        .get("/api/v1/requests?assignee=me", Some(&pair.legal_lead.token))
        .await;
    assert_eq!(ids(&theirs.body), Vec::<i64>::new());
    let by_id = app
        .get(
            &format!(
                "/api/v1/requests?assignee_user_id={}",
                pair.legal_staff.user_id
            ),
            Some(&pair.admin.token),
        )
        .await;
    assert_eq!(ids(&by_id.body), [id]);
    let unassigned = app
        .get("/api/v1/requests?assignee=none", Some(&pair.admin.token))
        .await;
    assert_eq!(ids(&unassigned.body), Vec::<i64>::new());

    // Staff of the provider may take it off; it is on the record.
    let cleared = app
        .patch(
            &path,
            Some(&pair.legal_staff.token),
            None,
            json!({"assignee_user_id": null}),
        )
        .await;
    assert_eq!(cleared.status, Status::Ok, "{}", cleared.body);
    assert_eq!(cleared.body["assignee_user_id"], json!(null));
    let events = app
        .get(&format!("{path}/events"), Some(&pair.admin.token))
        .await;
    let assigned_events: Vec<&Value> = events
        .body
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "assigned")
        .collect();
    assert_eq!(assigned_events.len(), 2, "{}", events.body);
    assert_eq!(
        assigned_events[1]["data"]["previous"],
        pair.legal_staff.user_id
    );
}

#[rocket::async_test]
async fn an_assignment_by_the_customer_or_to_someone_outside_the_provider_changes_nothing() {
    let app = spawn_app().await;
    let pair = app.pair().await;
    let agreement = app.active_agreement(&pair, 16.0, "business_hours").await;
    let id = log_titled(&app, &pair.sales_staff, agreement, "NDA for Globex", "").await;
    let path = format!("/api/v1/requests/{id}");
    let before = request_version(&app, &pair.admin, id).await;

    let by_customer = app
        .patch(
            &path,
            Some(&pair.sales_lead.token),
            None,
            json!({"assignee_user_id": pair.legal_staff.user_id}),
        )
        .await;
    assert_problem(&by_customer, Status::Forbidden);
    let by_leader = app
        .patch(
            &path,
            Some(&pair.leader.token),
            None,
            json!({"assignee_user_id": pair.legal_staff.user_id}),
        )
        .await;
    assert_problem(&by_leader, Status::Forbidden);
    for outsider in [pair.sales_staff.user_id, pair.admin.user_id, 999_999] {
        let refused = app
            .patch(
                &path,
                Some(&pair.legal_lead.token),
                None,
                json!({"assignee_user_id": outsider}),
            )
            .await;
        assert_problem(&refused, Status::UnprocessableEntity);
        assert!(
            refused.body["errors"]["assignee_user_id"].is_array(),
            "{}",
            refused.body
        );
    }
    // A deactivated member of the provider is no assignee either.
    let gone = app
        .create_user(&pair.admin, "gone@acme.test", "staff", Some(pair.legal))
        .await;
    let deactivated = app
        .post(
            &format!("/api/v1/users/{}/deactivate", gone.user_id),
            Some(&pair.admin.token),
            json!({}),
        )
        .await;
    assert_eq!(deactivated.status, Status::Ok, "{}", deactivated.body);
    let to_gone = app
        .patch(
            &path,
            Some(&pair.legal_lead.token),
            None,
            json!({"assignee_user_id": gone.user_id}),
        )
        .await;
    assert_problem(&to_gone, Status::UnprocessableEntity);
    // Another organisation's request is not there at all.
    let other = app.signup("Globex", "gus@globex.test").await;
    let foreign = app
        .patch(
            &path,
            Some(&other.token),
            None,
            json!({"assignee_user_id": other.user_id}),
        )
        .await;
    assert_problem(&foreign, Status::NotFound);

    assert_eq!(request_version(&app, &pair.admin, id).await, before);
    let notices = app
        .get("/api/v1/notifications", Some(&pair.legal_staff.token))
        .await;
    assert_eq!(notices.body["items"], json!([]));
}

#[rocket::async_test]
async fn both_sides_talk_under_a_request_oldest_first_and_a_mention_is_heard() {
    let app = spawn_app().await;
    let pair = app.pair().await;
    let agreement = app.active_agreement(&pair, 16.0, "business_hours").await;
    let id = log_titled(&app, &pair.sales_staff, agreement, "NDA for Globex", "").await;
    let comments = format!("/api/v1/requests/{id}/comments");

    let first = app
        .post(
            &comments,
            Some(&pair.sales_staff.token),
            json!({"body": "The counterparty wants a 3-year term.\n\tPlease check."}),
        )
        .await;
    assert_eq!(first.status, Status::Created, "{}", first.body);
    assert_eq!(first.body["request_id"], id);
    assert_eq!(first.body["author_user_id"], pair.sales_staff.user_id);
    assert_eq!(
        first.body["body"],
        "The counterparty wants a 3-year term.\n\tPlease check."
    );
    let reply = app
        .post(
            &comments,
            Some(&pair.legal_staff.token),
            json!({"body": "@sam@acme.test fine, and @lena@acme.test signs."}),
        )
        .await;
    assert_eq!(reply.status, Status::Created, "{}", reply.body);
    // The leader, who reads everything, may join in too.
    let leader = app
        .post(
            &comments,
            Some(&pair.leader.token),
            json!({"body": "Thanks both"}),
        )
        .await;
    assert_eq!(leader.status, Status::Created, "{}", leader.body);

    let listed = app.get(&comments, Some(&pair.sales_lead.token)).await;
    assert_eq!(listed.status, Status::Ok, "{}", listed.body);
    assert_eq!(
        ids(&listed.body),
        [id_of(&first), id_of(&reply), id_of(&leader)]
    );
    let paged = app
        .get(&format!("{comments}?limit=2"), Some(&pair.sales_lead.token))
        .await;
    assert_eq!(ids(&paged.body).len(), 2);
    let cursor = paged.body["next_cursor"].as_str().unwrap().to_owned();
    let rest = app
        .get(
            &format!("{comments}?limit=2&cursor={cursor}"),
            Some(&pair.sales_lead.token),
        )
        .await;
    assert_eq!(ids(&rest.body), [id_of(&leader)]);

    for (who, mentioned) in [
        (&pair.sales_staff, true),
        (&pair.legal_lead, true),
        (&pair.sales_lead, false),
    ] {
        let notices = app.get("/api/v1/notifications", Some(&who.token)).await;
        let mentions = notices.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|n| n["kind"] == "mentioned")
            .count();
        assert_eq!(mentions, usize::from(mentioned), "{}", notices.body);
    }
    let events = app
        .get(
            &format!("/api/v1/requests/{id}/events"),
            Some(&pair.admin.token),
        )
        .await;
    let commented = events
        .body
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "commented")
        .count();
    assert_eq!(commented, 3);
}

#[rocket::async_test]
async fn a_comment_is_refused_whole_when_empty_too_long_or_unreadable_and_nothing_is_kept() {
    let app = spawn_app().await;
    let pair = app.pair().await;
    let agreement = app.active_agreement(&pair, 16.0, "business_hours").await;
    let id = log_titled(&app, &pair.sales_staff, agreement, "NDA for Globex", "").await;
    let comments = format!("/api/v1/requests/{id}/comments");
    for body in [
        json!({"body": ""}),
        json!({"body": "  \n "}),
        json!({"body": "x".repeat(20_001)}),
        json!({"body": "bell\u{7}"}),
    ] {
        let refused = app
            .post(&comments, Some(&pair.sales_staff.token), body)
            .await;
        assert_problem(&refused, Status::UnprocessableEntity);
        assert!(
            refused.body["errors"]["body"].is_array(),
            "{}",
            refused.body
        );
    }
    let longest = app
        .post(
            &comments,
            Some(&pair.sales_staff.token),
            json!({"body": "x".repeat(20_000)}),
        )
        .await;
    assert_eq!(longest.status, Status::Created);
    let unknown = app
        .post(
            &comments,
            Some(&pair.sales_staff.token),
            json!({"body": "hi", "pinned": true}),
        )
        .await;
    assert_problem(&unknown, Status::UnprocessableEntity);

    // Someone of an unrelated department does not see the request at all.
    let hr = app.create_department(&pair.admin, "HR").await;
    let outsider = app
        .create_user(&pair.admin, "hal@acme.test", "staff", Some(hr))
        .await;
    let other = app.signup("Globex", "gus@globex.test").await;
    for who in [&outsider, &other] {
        assert_problem(
            &app.post(&comments, Some(&who.token), json!({"body": "hello"}))
                .await,
            Status::NotFound,
        );
        assert_problem(
            &app.get(&comments, Some(&who.token)).await,
            Status::NotFound,
        );
    }
    let listed = app.get(&comments, Some(&pair.sales_staff.token)).await;
    assert_eq!(ids(&listed.body), [id_of(&longest)]);
}

#[rocket::async_test]
async fn only_the_author_corrects_a_comment_and_the_earlier_text_stays_on_the_record() {
    let app = spawn_app().await;
    let pair = app.pair().await;
    let agreement = app.active_agreement(&pair, 16.0, "business_hours").await;
    let id = log_titled(&app, &pair.sales_staff, agreement, "NDA for Globex", "").await;
    let comments = format!("/api/v1/requests/{id}/comments");
    let written = app
        .post(
            &comments,
            Some(&pair.sales_staff.token),
            json!({"body": "Term is 2 years"}),
        )
        .await;
    let path = format!("{comments}/{}", id_of(&written));

    let by_other = app
        .patch(
            &path,
            Some(&pair.legal_staff.token),
            None,
            json!({"body": "Term is 5 years"}),
        )
        .await;
    assert_problem(&by_other, Status::Forbidden);
    let corrected = app
        .patch(
            &path,
            Some(&pair.sales_staff.token),
            None,
            json!({"body": "Term is 3 years, @lars@acme.test"}),
        )
        .await;
    assert_eq!(corrected.status, Status::Ok, "{}", corrected.body);
    assert_eq!(corrected.body["body"], "Term is 3 years, @lars@acme.test");
    assert!(corrected.body["edited_at"].is_string());
    let events = app
        .get(
            &format!("/api/v1/requests/{id}/events"),
            Some(&pair.admin.token),
        )
        .await;
    let edit = events
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "comment_edited")
        .expect("edit event");
    assert_eq!(edit["data"]["earlier_body"], "Term is 2 years");
    let notices = app
        .get("/api/v1/notifications", Some(&pair.legal_staff.token))
        .await;
    assert_eq!(notices.body["items"][0]["kind"], "mentioned");
    let missing = app
        .patch(
            &format!("{comments}/999999"),
            Some(&pair.sales_staff.token),
            None,
            json!({"body": "x"}),
        )
        .await;
    assert_problem(&missing, Status::NotFound);
}

#[rocket::async_test]
async fn a_comment_older_than_fifteen_minutes_is_not_corrected() {
    let app = spawn_app().await;
    let pair = app.pair().await;
    let agreement = app.active_agreement(&pair, 16.0, "business_hours").await;
    let id = log_titled(&app, &pair.sales_staff, agreement, "NDA for Globex", "").await;
    let comments = format!("/api/v1/requests/{id}/comments");
    let written = app
        .post(
            &comments,
            Some(&pair.sales_staff.token),
            json!({"body": "Term is 2 years"}),
        )
        .await;
    // Written sixteen minutes ago, as far as the record goes.
    let db = sea_orm::Database::connect(&app.database_url).await.unwrap();
    use sea_orm::ConnectionTrait;
    let sixteen_ago = chrono::Utc::now() - chrono::Duration::minutes(16);
    db.execute_raw(sea_orm::Statement::from_sql_and_values(
        db.get_database_backend(),
        match db.get_database_backend() {
            sea_orm::DatabaseBackend::Postgres => {
                "UPDATE comments SET created_at = $1 WHERE id = $2"
            }
            _ => "UPDATE comments SET created_at = ? WHERE id = ?",
        },
        [sixteen_ago.into(), id_of(&written).into()],
    ))
    .await
    .unwrap();
    let late = app
        .patch(
            &format!("{comments}/{}", id_of(&written)),
            Some(&pair.sales_staff.token),
            None,
            json!({"body": "Term is 3 years"}),
        )
        .await;
    assert_problem(&late, Status::Conflict);
    let listed = app.get(&comments, Some(&pair.sales_staff.token)).await;
    assert_eq!(listed.body["items"][0]["body"], "Term is 2 years");
}

#[rocket::async_test]
async fn search_finds_words_of_titles_details_and_comments_best_first_within_what_the_reader_may_read()
 {
    let app = spawn_app().await;
    let pair = app.pair().await;
    let agreement = app.active_agreement(&pair, 16.0, "business_hours").await;
    let in_title = log_titled(
        &app,
        &pair.sales_staff,
        agreement,
        "Indemnity clause for Initech",
        "",
    )
    .await;
    let in_details = log_titled(
        &app,
        &pair.sales_staff,
        agreement,
        "Supplier contract",
        "Check the indemnity cap",
    )
    .await;
    let in_comment = log_titled(
        &app,
        &pair.sales_staff,
        agreement,
        "Price list approval",
        "",
    )
    .await;
    let unrelated = log_titled(
        &app,
        &pair.sales_staff,
        agreement,
        "Office lease",
        "Renewal",
    )
    .await;
    let said = app
        .post(
            &format!("/api/v1/requests/{in_comment}/comments"),
            Some(&pair.legal_staff.token),
            json!({"body": "Does the indemnity apply here?"}),
        )
        .await;
    assert_eq!(said.status, Status::Created);

    // The title weighs most, then the details, then the conversation.
    let found = app
        .get(
            "/api/v1/requests?q=Indemnity",
            Some(&pair.sales_staff.token),
        )
        .await;
    assert_eq!(found.status, Status::Ok, "{}", found.body);
    assert_eq!(ids(&found.body), [in_title, in_details, in_comment]);
    // A prefix finds it, every word must match, and filters combine.
    let prefix = app
        .get(
            "/api/v1/requests?q=indem%20cap",
            Some(&pair.sales_staff.token),
        )
        .await;
    assert_eq!(ids(&prefix.body), [in_details]);
    let filtered = app
        .get(
            "/api/v1/requests?q=indemnity&status=cancelled",
            Some(&pair.admin.token),
        )
        .await;
    assert_eq!(ids(&filtered.body), Vec::<i64>::new());
    let lease = app
        .get("/api/v1/requests?q=renewal", Some(&pair.leader.token))
        .await;
    assert_eq!(ids(&lease.body), [unrelated]);
    // Query syntax is only words.
    let odd = app
        .get(
            "/api/v1/requests?q=%22indemnity%22%20OR%20*%3A",
            Some(&pair.admin.token),
        )
        .await;
    assert_eq!(odd.status, Status::Ok, "{}", odd.body);
    // Pages of a search go on from where the last ended.
    let first = app
        .get(
            "/api/v1/requests?q=indemnity&limit=2",
            Some(&pair.admin.token),
        )
        .await;
    assert_eq!(ids(&first.body), [in_title, in_details]);
    let cursor = first.body["next_cursor"]
        .as_str()
        .expect("a next page")
        .to_owned();
    let second = app
        .get(
            &format!("/api/v1/requests?q=indemnity&limit=2&cursor={cursor}"),
            Some(&pair.admin.token),
        )
        .await;
    assert_eq!(ids(&second.body), [in_comment]);
    assert_eq!(second.body["next_cursor"], json!(null));
    // An edited title is found by its new words at once.
    let renamed = app
        .patch(
            &format!("/api/v1/requests/{unrelated}"),
            Some(&pair.sales_staff.token),
            None,
            json!({"title": "Warehouse lease"}),
        )
        .await;
    assert_eq!(renamed.status, Status::Ok, "{}", renamed.body);
    let warehouse = app
        .get("/api/v1/requests?q=warehouse", Some(&pair.admin.token))
        .await;
    assert_eq!(ids(&warehouse.body), [unrelated]);
    assert_problem(
        &app.get(
            &format!("/api/v1/requests?q={}", "a".repeat(201)),
            Some(&pair.admin.token),
        )
        .await,
        Status::UnprocessableEntity,
    );

    // Nobody finds what they may not read: another department, another organisation.
    let hr = app.create_department(&pair.admin, "HR").await;
    let outsider = app
        .create_user(&pair.admin, "hal@acme.test", "staff", Some(hr))
        .await;
    let other = app.signup("Globex", "gus@globex.test").await;
    for who in [&outsider, &other] {
        let nothing = app
            .get("/api/v1/requests?q=indemnity", Some(&who.token))
            .await;
        assert_eq!(ids(&nothing.body), Vec::<i64>::new(), "{}", nothing.body);
    }
}

#[rocket::async_test]
async fn the_filtered_list_comes_as_csv_with_names_and_every_row() {
    let app = spawn_app().await;
    let pair = app.pair().await;
    let agreement = app.active_agreement(&pair, 16.0, "business_hours").await;
    let plain = log_titled(&app, &pair.sales_staff, agreement, "NDA, Globex", "").await;
    let formula = log_titled(&app, &pair.sales_staff, agreement, "=HYPERLINK(\"x\")", "").await;
    let assigned = app
        .patch(
            &format!("/api/v1/requests/{plain}"),
            Some(&pair.legal_lead.token),
            None,
            json!({"assignee_user_id": pair.legal_staff.user_id}),
        )
        .await;
    assert_eq!(assigned.status, Status::Ok);

    let request = app
        .client
        .get("/api/v1/requests?limit=1")
        .header(Accept::CSV)
        .header(Header::new(
            "Authorization",
            format!("Bearer {}", pair.sales_staff.token),
        ));
    let response = request.dispatch().await;
    assert_eq!(response.status(), Status::Ok);
    assert_eq!(
        response.content_type().map(|c| c.to_string()).as_deref(),
        Some("text/csv; charset=utf-8")
    );
    let text = response.into_string().await.unwrap();
    let lines: Vec<&str> = text.split("\r\n").filter(|line| !line.is_empty()).collect();
    assert_eq!(
        lines[0],
        "id,title,status,provider,customer,assignee,requested_at,due_at,delivered_at,lateness_minutes,rating"
    );
    assert_eq!(lines.len(), 3, "the whole set, not one page: {text}");
    assert!(lines[1].starts_with(&format!("{plain},\"NDA, Globex\",open,Department LEGAL,Department SALES,lars@acme.test,2026-03-02T08:00:00+00:00,")), "{}", lines[1]);
    assert!(
        lines[2].starts_with(&format!("{formula},\"'=HYPERLINK(\"\"x\"\")\",open,")),
        "{}",
        lines[2]
    );

    let filtered = app
        .client
        .get("/api/v1/requests?assignee=none")
        .header(Accept::CSV)
        .header(Header::new(
            "Authorization",
            format!("Bearer {}", pair.sales_staff.token),
        ))
        .dispatch()
        .await
        .into_string()
        .await
        .unwrap();
    assert_eq!(filtered.matches("\r\n").count(), 2, "{filtered}");
    let refused = app
        .client
        .get("/api/v1/requests?status=nonsense")
        .header(Accept::CSV)
        .header(Header::new(
            "Authorization",
            format!("Bearer {}", pair.sales_staff.token),
        ))
        .dispatch()
        .await;
    assert_eq!(refused.status(), Status::UnprocessableEntity);
}

#[rocket::async_test]
async fn a_person_saves_views_of_the_list_under_names_of_their_own() {
    let app = spawn_app().await;
    let pair = app.pair().await;
    let saved = app
        .post(
            "/api/v1/views",
            Some(&pair.legal_staff.token),
            json!({"name": "Mine, open", "query": "assignee=me&status=open&q=nda"}),
        )
        .await;
    assert_eq!(saved.status, Status::Created, "{}", saved.body);
    assert_eq!(saved.body["query"], "assignee=me&status=open&q=nda");
    let again = app
        .post(
            "/api/v1/views",
            Some(&pair.legal_staff.token),
            json!({"name": "Mine, open", "query": "status=open"}),
        )
        .await;
    assert_problem(&again, Status::Conflict);
    for query in [
        "colour=red",
        "status=nonsense",
        "assignee=someone",
        "due_before=yesterday",
    ] {
        let refused = app
            .post(
                "/api/v1/views",
                Some(&pair.legal_staff.token),
                json!({"name": query, "query": query}),
            )
            .await;
        assert_problem(&refused, Status::UnprocessableEntity);
        assert!(
            refused.body["errors"]["query"].is_array(),
            "{}",
            refused.body
        );
    }
    let blank_name = app
        .post(
            "/api/v1/views",
            Some(&pair.legal_staff.token),
            json!({"name": " ", "query": ""}),
        )
        .await;
    assert_problem(&blank_name, Status::UnprocessableEntity);
    // Someone else's name space and views are their own.
    let other = app
        .post(
            "/api/v1/views",
            Some(&pair.sales_staff.token),
            json!({"name": "Mine, open", "query": "overdue=true"}),
        )
        .await;
    assert_eq!(other.status, Status::Created, "{}", other.body);

    let listed = app
        .get("/api/v1/views", Some(&pair.legal_staff.token))
        .await;
    assert_eq!(ids(&listed.body), [id_of(&saved)]);
    assert_problem(
        &app.delete(
            &format!("/api/v1/views/{}", id_of(&saved)),
            Some(&pair.sales_staff.token),
            None,
        )
        .await,
        Status::NotFound,
    );
    let deleted = app
        .delete(
            &format!("/api/v1/views/{}", id_of(&saved)),
            Some(&pair.legal_staff.token),
            None,
        )
        .await;
    assert_eq!(deleted.status, Status::NoContent);
    let listed = app
        .get("/api/v1/views", Some(&pair.legal_staff.token))
        .await;
    assert_eq!(ids(&listed.body), Vec::<i64>::new());
}
