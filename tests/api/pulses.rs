//! Pulse checks through HTTP and the sweep that opens them: one pulse per
//! period however many instances sweep, open for five working days of the
//! customer's calendar, answered once by each of the customer's people,
//! names shown only to the provider's lead, and the provider's answer back
//! reaching the customer.

use chrono::{DateTime, TimeDelta, Utc};
use rocket::http::Status;
use serde_json::{Value, json};

use baton::entities::ids::{DepartmentId, OrganisationId, UserId};
use baton::identity::{AuthUser, Role};
use baton::services::calendars::CalendarCache;
use baton::services::pulses;

use crate::common::{Pair, Session, TestApp, assert_problem, spawn_app};

struct Org {
    app: TestApp,
    pair: Pair,
    agreement: i64,
    db: sea_orm::DatabaseConnection,
}

impl Org {
    async fn new() -> Org {
        let app = spawn_app().await;
        let pair = app.pair().await;
        let agreement = app.active_agreement(&pair, 16.0, "business_hours").await;
        let db = baton::db::connect(&app.database_url, 2)
            .await
            .expect("database");
        Org {
            app,
            pair,
            agreement,
            db,
        }
    }

    async fn sweep(&self, at: DateTime<Utc>) -> u64 {
        pulses::open_due(&self.db, &CalendarCache::default(), at)
            .await
            .expect("sweep")
    }

    async fn pulses(&self, who: &Session) -> Vec<Value> {
        let answer = self
            .app
            .get(
                &format!("/api/v1/pulses?agreement={}", self.agreement),
                Some(&who.token),
            )
            .await;
        assert_eq!(answer.status, Status::Ok, "{}", answer.body);
        answer.body["items"].as_array().expect("items").clone()
    }

    async fn notices(&self, who: &Session, kind: &str) -> Vec<String> {
        let inbox = self
            .app
            .get("/api/v1/notifications?limit=100", Some(&who.token))
            .await;
        inbox.body["items"]
            .as_array()
            .expect("items")
            .iter()
            .filter(|item| item["kind"] == kind)
            .map(|item| item["message"].as_str().unwrap_or_default().to_owned())
            .collect()
    }

    async fn answer(&self, who: &Session, pulse: i64, body: Value) -> crate::common::Answer {
        self.app
            .post(
                &format!("/api/v1/pulses/{pulse}/answers"),
                Some(&who.token),
                body,
            )
            .await
    }
}

fn whole_seconds(at: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp(at.timestamp(), 0).expect("instant")
}

#[rocket::async_test]
async fn a_pulse_opens_once_per_period_across_instances_and_stays_open_five_working_days() {
    let org = Org::new().await;
    let start = whole_seconds(Utc::now());
    assert_eq!(org.sweep(start).await, 0, "not before four weeks");
    assert_eq!(
        org.sweep(start + TimeDelta::weeks(4) - TimeDelta::hours(1))
            .await,
        0
    );

    // Two instances sweep at the same moment: one pulse, one notice each.
    let at = start + TimeDelta::weeks(4) + TimeDelta::minutes(1);
    let other = baton::db::connect(&org.app.database_url, 2)
        .await
        .expect("second instance");
    let cache = CalendarCache::default();
    let (one, two) = tokio::join!(
        pulses::open_due(&org.db, &cache, at),
        pulses::open_due(&other, &cache, at)
    );
    assert_eq!(one.expect("one") + two.expect("two"), 1);
    assert_eq!(org.sweep(at).await, 0, "and not again");
    for person in [&org.pair.sales_staff, &org.pair.sales_lead] {
        let told = org.notices(person, "pulse_opened").await;
        assert_eq!(told.len(), 1, "{told:?}");
        assert!(
            told[0].contains("how well does Department LEGAL serve you"),
            "{told:?}"
        );
    }
    assert!(
        org.notices(&org.pair.legal_lead, "pulse_opened")
            .await
            .is_empty()
    );

    let listed = org.pulses(&org.pair.sales_staff).await;
    assert_eq!(listed.len(), 1);
    let pulse = &listed[0];
    assert_eq!(pulse["period"], json!(1));
    // Open until five working days of Sales' calendar have passed.
    let calendar = org.app.default_calendar(&org.pair.admin).await;
    let due = org
        .app
        .get(
            &format!(
                "/api/v1/calendars/{calendar}/due?from={}&amount=5&unit=business_days",
                at.to_rfc3339().replace('+', "%2B")
            ),
            Some(&org.pair.admin.token),
        )
        .await;
    assert_eq!(due.status, Status::Ok, "{}", due.body);
    assert_eq!(
        crate::common::instant(&pulse["closes_at"]),
        crate::common::instant(&due.body["due"])
    );

    // The next period is four weeks after this one opened.
    assert_eq!(
        org.sweep(at + TimeDelta::weeks(4) - TimeDelta::minutes(1))
            .await,
        0
    );
    assert_eq!(org.sweep(at + TimeDelta::weeks(4)).await, 1);
    assert_eq!(
        org.pulses(&org.pair.legal_lead).await[0]["period"],
        json!(2)
    );

    // The provider's lead sets the cadence; 0 stops the pulses.
    let path = format!("/api/v1/agreements/{}", org.agreement);
    let version = org
        .app
        .get(&path, Some(&org.pair.legal_lead.token))
        .await
        .body["version"]
        .clone();
    let refused = org
        .app
        .patch(
            &path,
            Some(&org.pair.legal_lead.token),
            Some(&version.to_string()),
            json!({"pulse_every_weeks": 53}),
        )
        .await;
    assert_problem(&refused, Status::UnprocessableEntity);
    let off = org
        .app
        .patch(
            &path,
            Some(&org.pair.legal_lead.token),
            Some(&version.to_string()),
            json!({"pulse_every_weeks": 0}),
        )
        .await;
    assert_eq!(off.status, Status::Ok, "{}", off.body);
    assert_eq!(off.body["pulse_every_weeks"], json!(0));
    assert_eq!(org.sweep(at + TimeDelta::weeks(20)).await, 0);
}

#[rocket::async_test]
async fn the_customer_answers_once_and_only_the_providers_lead_sees_who_then_answers_back() {
    let org = Org::new().await;
    let opened = whole_seconds(Utc::now()) + TimeDelta::weeks(4) + TimeDelta::minutes(1);
    assert_eq!(org.sweep(opened).await, 1);
    let id = org.pulses(&org.pair.sales_staff).await[0]["id"]
        .as_i64()
        .unwrap();
    let pair = &org.pair;

    let bad = org
        .answer(&pair.sales_staff, id, json!({"score": 11}))
        .await;
    assert_problem(&bad, Status::UnprocessableEntity);
    assert!(bad.body["errors"]["score"].is_array());
    for outsider in [&pair.legal_staff, &pair.legal_lead, &pair.leader] {
        let refused = org.answer(outsider, id, json!({"score": 10})).await;
        assert_problem(&refused, Status::Forbidden);
    }
    let given = org
        .answer(
            &pair.sales_staff,
            id,
            json!({"score": 7, "one_thing": "Reply to new requests within a day"}),
        )
        .await;
    assert_eq!(given.status, Status::Created, "{}", given.body);
    let again = org.answer(&pair.sales_staff, id, json!({"score": 9})).await;
    assert_problem(&again, Status::Conflict);
    let lead = org.answer(&pair.sales_lead, id, json!({"score": 9})).await;
    assert_eq!(lead.status, Status::Created, "{}", lead.body);
    assert_eq!(lead.body["average_score"], json!(8.0));

    let names = |pulse: &Value| -> Vec<Value> {
        pulse["answers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["user_id"].clone())
            .collect()
    };
    let by_lead = org.pulses(&pair.legal_lead).await;
    assert_eq!(
        names(&by_lead[0]),
        [
            json!(pair.sales_staff.user_id),
            json!(pair.sales_lead.user_id)
        ],
        "the provider's lead sees who"
    );
    let by_staff = org.pulses(&pair.legal_staff).await;
    assert_eq!(
        names(&by_staff[0]),
        [Value::Null, Value::Null],
        "others see the department only"
    );
    assert_eq!(
        by_staff[0]["answers"][0]["one_thing"],
        json!("Reply to new requests within a day")
    );
    let by_answerer = org.pulses(&pair.sales_staff).await;
    assert_eq!(
        names(&by_answerer[0]),
        [json!(pair.sales_staff.user_id), Value::Null]
    );
    assert_eq!(by_answerer[0]["may_answer"], json!(false));

    // A third department does not see the pair's pulses.
    let it = org.app.create_department(&pair.admin, "IT").await;
    let ivy = org
        .app
        .create_user(&pair.admin, "ivy@acme.test", "staff", Some(it))
        .await;
    let hidden = org
        .app
        .get(&format!("/api/v1/pulses/{id}"), Some(&ivy.token))
        .await;
    assert_problem(&hidden, Status::NotFound);
    assert!(org.pulses(&ivy).await.is_empty());

    // The provider's lead answers back, once; the customer hears it.
    let staff_reply = org
        .app
        .post(
            &format!("/api/v1/pulses/{id}/response"),
            Some(&pair.legal_staff.token),
            json!({"response": "We will"}),
        )
        .await;
    assert_problem(&staff_reply, Status::Forbidden);
    let reply = org
        .app
        .post(
            &format!("/api/v1/pulses/{id}/response"),
            Some(&pair.legal_lead.token),
            json!({"response": "A first reply within four working hours, from Monday"}),
        )
        .await;
    assert_eq!(reply.status, Status::Ok, "{}", reply.body);
    assert_eq!(
        reply.body["responded_by_user_id"],
        json!(pair.legal_lead.user_id)
    );
    let twice = org
        .app
        .post(
            &format!("/api/v1/pulses/{id}/response"),
            Some(&pair.legal_lead.token),
            json!({"response": "Again"}),
        )
        .await;
    assert_problem(&twice, Status::Conflict);
    for person in [&pair.sales_staff, &pair.sales_lead] {
        let told = org.notices(person, "pulse_answered").await;
        assert_eq!(told.len(), 1, "{told:?}");
        assert!(
            told[0].contains("A first reply within four working hours"),
            "{told:?}"
        );
    }

    // Once closed, nobody answers any more.
    let closes_at = crate::common::instant(&reply.body["closes_at"]);
    let sue = org
        .app
        .create_user(&pair.admin, "sue@acme.test", "staff", Some(pair.sales))
        .await;
    let sue = AuthUser {
        id: UserId(sue.user_id),
        organisation_id: OrganisationId(sue.organisation_id),
        role: Role::Staff,
        department_id: Some(DepartmentId(pair.sales)),
    };
    let before = pulses::answer(&org.db, &sue, id, 6, "", closes_at - TimeDelta::seconds(1)).await;
    assert!(before.is_ok(), "{before:?}");
    let late = pulses::answer(&org.db, &sue, id, 5, "", closes_at).await;
    assert!(
        matches!(&late, Err(baton::error::ApiError::Conflict(why)) if why.contains("closed")),
        "{late:?}"
    );
}

#[rocket::async_test]
async fn a_customer_answers_on_the_pulse_page_and_the_providers_lead_answers_back_there() {
    use crate::pages::{csrf_of, page, sign_in};
    use rocket::http::ContentType;

    let org = Org::new().await;
    assert_eq!(
        org.sweep(whole_seconds(Utc::now()) + TimeDelta::weeks(4) + TimeDelta::minutes(1))
            .await,
        1
    );
    let id = org.pulses(&org.pair.sales_staff).await[0]["id"]
        .as_i64()
        .unwrap();
    let post = |cookie: rocket::http::Cookie<'static>, path: String, body: String| {
        let client = &org.app.client;
        async move {
            let response = client
                .post(path)
                .cookie(cookie)
                .header(ContentType::Form)
                .body(body)
                .dispatch()
                .await;
            let status = response.status();
            (status, response.into_string().await.unwrap_or_default())
        }
    };

    let customer = sign_in(&org.app, "sam@acme.test").await;
    let (status, html) = page(&org.app, &customer, "/pulses").await;
    assert_eq!(status, Status::Ok);
    assert!(
        html.contains("how well does Department LEGAL serve you?"),
        "{html}"
    );
    let csrf = csrf_of(&html);
    let (status, refused) = post(
        customer.clone(),
        format!("/pulses/{id}/answers"),
        format!("_csrf={csrf}&score=&one_thing=Shorter+replies"),
    )
    .await;
    assert_eq!(status, Status::UnprocessableEntity);
    assert!(
        refused.contains("choose a score from 1 to 10") && refused.contains("Shorter replies"),
        "the reason beside the field, the text kept: {refused}"
    );
    let (status, _) = post(
        customer.clone(),
        format!("/pulses/{id}/answers"),
        format!("_csrf={csrf}&score=6&one_thing=Shorter+replies"),
    )
    .await;
    assert_eq!(status, Status::SeeOther);
    let (_, html) = page(&org.app, &customer, "/pulses").await;
    assert!(html.contains("6/10") && html.contains("(you)"), "{html}");
    assert!(
        !html.contains(&format!("action=\"/pulses/{id}/answers\"")),
        "answered once"
    );

    let staff = sign_in(&org.app, "lars@acme.test").await;
    let (_, html) = page(&org.app, &staff, "/pulses").await;
    assert!(
        html.contains("(someone of Department SALES)"),
        "no names for the provider's staff: {html}"
    );
    assert!(!html.contains(&format!("action=\"/pulses/{id}/response\"")));

    let lead = sign_in(&org.app, "lena@acme.test").await;
    let (_, html) = page(&org.app, &lead, "/pulses").await;
    assert!(
        html.contains("(sam@acme.test)"),
        "the provider's lead sees who: {html}"
    );
    let csrf = csrf_of(&html);
    let (status, refused) = post(
        lead.clone(),
        format!("/pulses/{id}/response"),
        format!(
            "_csrf={csrf}&response=Two-line+summaries+first&action_title=Summaries&action_due_on="
        ),
    )
    .await;
    assert_eq!(status, Status::UnprocessableEntity);
    assert!(
        refused.contains("choose the day it is due")
            && refused.contains("Two-line summaries first"),
        "{refused}"
    );
    let (status, _) = post(
        lead.clone(),
        format!("/pulses/{id}/response"),
        format!("_csrf={csrf}&response=Two-line+summaries+first&action_title=&action_due_on="),
    )
    .await;
    assert_eq!(status, Status::SeeOther);
    let (_, html) = page(&org.app, &customer, "/pulses").await;
    assert!(html.contains("Two-line summaries first"), "{html}");
}

#[rocket::async_test]
async fn a_reviews_agenda_shows_the_pairs_pulses_answers_back_and_thanks_since_the_last_review() {
    use sea_orm::{ConnectionTrait, Statement};

    let org = Org::new().await;
    let pair = &org.pair;
    // An agreement made five weeks ago: its first pulse is due now.
    let backend = org.db.get_database_backend();
    org.db
        .execute_raw(Statement::from_sql_and_values(
            backend,
            match backend {
                sea_orm::DbBackend::Postgres => {
                    "UPDATE agreements SET created_at = $1 WHERE id = $2"
                }
                _ => "UPDATE agreements SET created_at = ? WHERE id = ?",
            },
            [
                (Utc::now() - TimeDelta::weeks(5)).into(),
                org.agreement.into(),
            ],
        ))
        .await
        .expect("backdated");
    assert_eq!(org.sweep(whole_seconds(Utc::now())).await, 1);
    let id = org.pulses(&pair.sales_staff).await[0]["id"]
        .as_i64()
        .unwrap();
    org.answer(
        &pair.sales_staff,
        id,
        json!({"score": 5, "one_thing": "Say when you are stuck"}),
    )
    .await;
    org.answer(&pair.sales_lead, id, json!({"score": 8})).await;
    org.app
        .post(
            &format!("/api/v1/pulses/{id}/response"),
            Some(&pair.legal_lead.token),
            json!({"response": "A note within the day whenever we are blocked"}),
        )
        .await;
    let request = org
        .app
        .log_request(
            &pair.sales_staff,
            org.agreement,
            &Utc::now().to_rfc3339(),
            &[],
        )
        .await["id"]
        .as_i64()
        .unwrap();
    org.app
        .act(&pair.legal_staff, request, "start", json!({}))
        .await;
    org.app
        .act(&pair.legal_staff, request, "deliver", json!({}))
        .await;
    let thanked = org
        .app
        .post(
            &format!("/api/v1/requests/{request}/thanks"),
            Some(&pair.sales_staff.token),
            json!({"note": "Quick and clear"}),
        )
        .await;
    assert_eq!(thanked.status, Status::Created, "{}", thanked.body);

    let review = org
        .app
        .post(
            "/api/v1/reviews",
            Some(&pair.legal_lead.token),
            json!({"department_ids": [pair.legal, pair.sales],
                   "scheduled_at": (Utc::now() + TimeDelta::days(2)).to_rfc3339(),
                   "duration_minutes": 60, "every_weeks": 4}),
        )
        .await;
    assert_eq!(review.status, Status::Created, "{}", review.body);
    let agenda = org
        .app
        .get(
            &format!("/api/v1/reviews/{}/agenda", review.body["id"]),
            Some(&pair.sales_lead.token),
        )
        .await;
    assert_eq!(agenda.status, Status::Ok, "{}", agenda.body);
    let voice = &agenda.body["voice"];
    assert_eq!(voice["pulses"][0]["average_score"], json!(6.5), "{voice}");
    assert_eq!(
        voice["pulses"][0]["one_things"],
        json!(["Say when you are stuck"])
    );
    assert_eq!(
        voice["pulses"][0]["response"],
        json!("A note within the day whenever we are blocked")
    );
    assert_eq!(voice["thanks"][0]["note"], json!("Quick and clear"));

    let cookie = crate::pages::sign_in(&org.app, "sara@acme.test").await;
    let (_, html) = crate::pages::page(
        &org.app,
        &cookie,
        &format!("/reviews/{}", review.body["id"]),
    )
    .await;
    let said = html
        .split("What the customers said")
        .nth(1)
        .unwrap_or_default();
    assert!(
        said.contains("6.5 out of 10")
            && said.contains("Say when you are stuck")
            && said.contains("Quick and clear"),
        "{html}"
    );
}

#[rocket::async_test]
async fn an_answer_back_becomes_an_action_item_at_the_next_review_and_its_closing_reaches_the_customer()
 {
    let org = Org::new().await;
    let pair = &org.pair;
    assert_eq!(
        org.sweep(whole_seconds(Utc::now()) + TimeDelta::weeks(4) + TimeDelta::minutes(1))
            .await,
        1
    );
    let id = org.pulses(&pair.sales_staff).await[0]["id"]
        .as_i64()
        .unwrap();
    org.answer(
        &pair.sales_staff,
        id,
        json!({"score": 4, "one_thing": "Nobody picks up the phone"}),
    )
    .await;
    let action = json!({"title": "A duty phone for Sales, staffed 9–17",
                        "owner_user_id": pair.legal_lead.user_id, "due_on": "2027-02-01"});
    let path = format!("/api/v1/pulses/{id}/response");

    // Without a review scheduled between the two there is nowhere to follow it up.
    let nowhere = org
        .app
        .post(
            &path,
            Some(&pair.legal_lead.token),
            json!({"response": "We will", "action": action}),
        )
        .await;
    assert_problem(&nowhere, Status::Conflict);
    assert!(
        nowhere.body["detail"]
            .as_str()
            .unwrap()
            .contains("schedule one first")
    );
    let review = org
        .app
        .post(
            "/api/v1/reviews",
            Some(&pair.sales_lead.token),
            json!({"department_ids": [pair.legal, pair.sales],
                   "scheduled_at": (Utc::now() + TimeDelta::days(7)).to_rfc3339(),
                   "duration_minutes": 60, "every_weeks": 4}),
        )
        .await;
    assert_eq!(review.status, Status::Created, "{}", review.body);
    let review_id = review.body["id"].as_i64().unwrap();
    let bad_owner = org
        .app
        .post(
            &path,
            Some(&pair.legal_lead.token),
            json!({"response": "We will", "action": {"title": "x", "owner_user_id": 999_999, "due_on": "2027-02-01"}}),
        )
        .await;
    assert_problem(&bad_owner, Status::UnprocessableEntity);
    let unanswered = org
        .app
        .get(
            &format!("/api/v1/pulses/{id}"),
            Some(&pair.legal_lead.token),
        )
        .await;
    assert_eq!(
        unanswered.body["response"],
        Value::Null,
        "a refused answer back changes nothing"
    );

    let answered = org
        .app
        .post(
            &path,
            Some(&pair.legal_lead.token),
            json!({"response": "A duty phone from February", "action": action}),
        )
        .await;
    assert_eq!(answered.status, Status::Ok, "{}", answered.body);
    let action_id = answered.body["action_item_id"]
        .as_i64()
        .expect("an action item");
    let actions = org
        .app
        .get(
            &format!("/api/v1/reviews/{review_id}/actions"),
            Some(&pair.sales_lead.token),
        )
        .await;
    assert_eq!(actions.body[0]["id"], json!(action_id), "{}", actions.body);
    assert_eq!(
        actions.body[0]["title"],
        json!("A duty phone for Sales, staffed 9–17")
    );
    let told = org.notices(&pair.sales_staff, "pulse_answered").await;
    assert!(
        told[0].contains("A duty phone for Sales, staffed 9–17"),
        "{told:?}"
    );

    // Closing it is reported back to the customer, as every review action is.
    let closed = org
        .app
        .patch(
            &format!("/api/v1/actions/{action_id}"),
            Some(&pair.legal_lead.token),
            Some("\"1\""),
            json!({"status": "done", "resolution_note": "The duty phone is 4411"}),
        )
        .await;
    assert_eq!(closed.status, Status::Ok, "{}", closed.body);
    for person in [&pair.sales_staff, &pair.sales_lead] {
        let told = org.notices(person, "action_closed").await;
        assert!(
            told.iter().any(|m| m.contains("The duty phone is 4411")),
            "{told:?}"
        );
    }
}
