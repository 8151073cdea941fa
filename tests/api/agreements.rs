//! Handoff agreements through HTTP: lifecycle, permissions, versions of
//! terms, vague wording and calibration.

use crate::common::{assert_problem, id_of, int, spawn_app};
use rocket::http::Status;
use serde_json::json;

fn draft_body(provider: i64, customer: i64) -> serde_json::Value {
    json!({"provider_department_id": provider, "customer_department_id": customer,
           "title": "Contract review ASAP", "deliverable": "Marked-up contract PDF",
           "definition_of_done": "All clauses reviewed as soon as possible",
           "turnaround": {"amount": 16, "unit": "business_hours"},
           "on_time_target_pct": 95, "review_every_weeks": 4})
}

#[rocket::async_test]
async fn a_provider_lead_drafts_proposes_and_the_customer_lead_accepts() {
    let app = spawn_app().await;
    let pair = app.pair().await;
    let draft = app
        .post(
            "/api/v1/agreements",
            Some(&pair.legal_lead.token),
            draft_body(pair.legal, pair.sales),
        )
        .await;
    assert_eq!(draft.status, Status::Created, "{}", draft.body);
    assert_eq!(draft.body["status"], "draft");
    assert_eq!(
        draft.body["turnaround"],
        json!({"amount": 16, "unit": "business_hours"})
    );
    assert_eq!(draft.body["on_time_target_pct"], 95);
    let id = id_of(&draft);

    let proposed = app
        .post(
            &format!("/api/v1/agreements/{id}/propose"),
            Some(&pair.legal_lead.token),
            json!({}),
        )
        .await;
    assert_eq!(proposed.body["status"], "proposed");
    let accepted = app
        .post(
            &format!("/api/v1/agreements/{id}/accept"),
            Some(&pair.sales_lead.token),
            json!({}),
        )
        .await;
    assert_eq!(accepted.status, Status::Ok, "{}", accepted.body);
    assert_eq!(accepted.body["status"], "active");
    assert_eq!(accepted.body["terms_version"], 1);

    let events = app
        .get(
            &format!("/api/v1/agreements/{id}/events"),
            Some(&pair.sales_staff.token),
        )
        .await;
    let kinds: Vec<_> = events
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].clone())
        .collect();
    assert_eq!(
        kinds,
        [json!("drafted"), json!("proposed"), json!("accepted")]
    );
}

#[rocket::async_test]
async fn vague_phrases_come_back_as_warnings() {
    let app = spawn_app().await;
    let pair = app.pair().await;
    let draft = app
        .post(
            "/api/v1/agreements",
            Some(&pair.legal_lead.token),
            draft_body(pair.legal, pair.sales),
        )
        .await;
    let warnings = draft.body["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert!(
        warnings[0]
            .as_str()
            .unwrap()
            .contains("'ASAP' in title is vague")
    );
    assert!(warnings[0].as_str().unwrap().contains("16 business hours"));
    assert!(
        warnings[1]
            .as_str()
            .unwrap()
            .contains("'as soon as possible' in definition_of_done")
    );
}

#[rocket::async_test]
async fn only_the_right_leads_move_an_agreement() {
    let app = spawn_app().await;
    let pair = app.pair().await;
    // The customer's lead cannot draft what the provider owes.
    for who in [&pair.sales_lead, &pair.legal_staff, &pair.leader] {
        let answer = app
            .post(
                "/api/v1/agreements",
                Some(&who.token),
                draft_body(pair.legal, pair.sales),
            )
            .await;
        assert_problem(&answer, Status::Forbidden);
    }
    let draft = app
        .post(
            "/api/v1/agreements",
            Some(&pair.legal_lead.token),
            draft_body(pair.legal, pair.sales),
        )
        .await;
    let id = id_of(&draft);
    for who in [&pair.sales_lead, &pair.legal_staff, &pair.leader] {
        let answer = app
            .post(
                &format!("/api/v1/agreements/{id}/propose"),
                Some(&who.token),
                json!({}),
            )
            .await;
        assert_problem(&answer, Status::Forbidden);
    }
    app.post(
        &format!("/api/v1/agreements/{id}/propose"),
        Some(&pair.legal_lead.token),
        json!({}),
    )
    .await;
    for who in [&pair.legal_lead, &pair.sales_staff, &pair.leader] {
        let answer = app
            .post(
                &format!("/api/v1/agreements/{id}/accept"),
                Some(&who.token),
                json!({}),
            )
            .await;
        assert_problem(&answer, Status::Forbidden);
    }
    // Admins may act for either side.
    let accepted = app
        .post(
            &format!("/api/v1/agreements/{id}/accept"),
            Some(&pair.admin.token),
            json!({}),
        )
        .await;
    assert_eq!(accepted.body["status"], "active");
    let retire_by_customer = app
        .post(
            &format!("/api/v1/agreements/{id}/retire"),
            Some(&pair.sales_lead.token),
            json!({}),
        )
        .await;
    assert_problem(&retire_by_customer, Status::Forbidden);
    let retired = app
        .post(
            &format!("/api/v1/agreements/{id}/retire"),
            Some(&pair.legal_lead.token),
            json!({}),
        )
        .await;
    assert_eq!(retired.body["status"], "retired");
}

#[rocket::async_test]
async fn declining_returns_a_proposal_to_draft_with_the_reason() {
    let app = spawn_app().await;
    let pair = app.pair().await;
    let draft = app
        .post(
            "/api/v1/agreements",
            Some(&pair.legal_lead.token),
            draft_body(pair.legal, pair.sales),
        )
        .await;
    let id = id_of(&draft);
    app.post(
        &format!("/api/v1/agreements/{id}/propose"),
        Some(&pair.legal_lead.token),
        json!({}),
    )
    .await;
    let no_reason = app
        .post(
            &format!("/api/v1/agreements/{id}/decline"),
            Some(&pair.sales_lead.token),
            json!({"reason": " "}),
        )
        .await;
    assert_problem(&no_reason, Status::UnprocessableEntity);
    let declined = app
        .post(
            &format!("/api/v1/agreements/{id}/decline"),
            Some(&pair.sales_lead.token),
            json!({"reason": "16 hours is too slow for us"}),
        )
        .await;
    assert_eq!(declined.status, Status::Ok, "{}", declined.body);
    assert_eq!(declined.body["status"], "draft");
    assert_eq!(
        declined.body["decline_reason"],
        "16 hours is too slow for us"
    );
}

#[rocket::async_test]
async fn wrong_state_transitions_are_409_and_change_nothing() {
    let app = spawn_app().await;
    let pair = app.pair().await;
    let draft = app
        .post(
            "/api/v1/agreements",
            Some(&pair.legal_lead.token),
            draft_body(pair.legal, pair.sales),
        )
        .await;
    let id = id_of(&draft);
    for (action, who) in [("accept", &pair.sales_lead), ("retire", &pair.legal_lead)] {
        let answer = app
            .post(
                &format!("/api/v1/agreements/{id}/{action}"),
                Some(&who.token),
                json!({}),
            )
            .await;
        assert_problem(&answer, Status::Conflict);
    }
    let decline = app
        .post(
            &format!("/api/v1/agreements/{id}/decline"),
            Some(&pair.sales_lead.token),
            json!({"reason": "no"}),
        )
        .await;
    assert_problem(&decline, Status::Conflict);
    let agreement = app
        .get(&format!("/api/v1/agreements/{id}"), Some(&pair.admin.token))
        .await;
    assert_eq!(agreement.body["status"], "draft");
    assert_eq!(agreement.body["version"], 1);
}

#[rocket::async_test]
async fn a_department_cannot_owe_itself_and_departments_must_exist() {
    let app = spawn_app().await;
    let pair = app.pair().await;
    let itself = app
        .post(
            "/api/v1/agreements",
            Some(&pair.legal_lead.token),
            draft_body(pair.legal, pair.legal),
        )
        .await;
    assert_problem(&itself, Status::UnprocessableEntity);
    assert!(itself.body["errors"]["customer_department_id"].is_array());
    let unknown = app
        .post(
            "/api/v1/agreements",
            Some(&pair.admin.token),
            draft_body(pair.legal, 999_999),
        )
        .await;
    assert_problem(&unknown, Status::UnprocessableEntity);
    let bad_turnaround = app
        .post(
            "/api/v1/agreements",
            Some(&pair.legal_lead.token),
            json!({"provider_department_id": pair.legal, "customer_department_id": pair.sales,
                   "title": "x", "deliverable": "y", "definition_of_done": "z",
                   "turnaround": {"amount": 1.5, "unit": "business_days"}}),
        )
        .await;
    assert_problem(&bad_turnaround, Status::UnprocessableEntity);
    assert!(
        bad_turnaround.body["errors"]["turnaround"].is_array(),
        "{}",
        bad_turnaround.body
    );
}

#[rocket::async_test]
async fn changing_the_turnaround_of_an_active_agreement_needs_the_customer_again() {
    let app = spawn_app().await;
    let pair = app.pair().await;
    let id = app.active_agreement(&pair, 16.0, "business_hours").await;
    let before = app
        .log_request(&pair.sales_staff, id, "2026-03-02T09:00:00+01:00", &[])
        .await;
    assert_eq!(before["agreement_version"], 1);

    let path = format!("/api/v1/agreements/{id}");
    let change = app
        .patch(
            &path,
            Some(&pair.legal_lead.token),
            None,
            json!({"turnaround": {"amount": 8, "unit": "business_hours"}}),
        )
        .await;
    assert_eq!(change.status, Status::Ok, "{}", change.body);
    assert_eq!(change.body["status"], "active");
    assert_eq!(change.body["turnaround"]["amount"], 16);
    assert_eq!(change.body["pending_change"]["turnaround"]["amount"], 8);

    // Until accepted, new requests are still logged under version 1.
    let meanwhile = app
        .log_request(&pair.sales_staff, id, "2026-03-02T09:00:00+01:00", &[])
        .await;
    assert_eq!(meanwhile["agreement_version"], 1);
    assert_eq!(meanwhile["due_at"], "2026-03-03T16:00:00Z");

    let accepted = app
        .post(
            &format!("/api/v1/agreements/{id}/accept"),
            Some(&pair.sales_lead.token),
            json!({}),
        )
        .await;
    assert_eq!(accepted.body["terms_version"], 2);
    assert_eq!(accepted.body["turnaround"]["amount"], 8);
    assert_eq!(accepted.body["pending_change"], json!(null));

    let after = app
        .log_request(&pair.sales_staff, id, "2026-03-02T09:00:00+01:00", &[])
        .await;
    assert_eq!(after["agreement_version"], 2);
    assert_eq!(after["due_at"], "2026-03-02T16:00:00Z");
    // The earlier request keeps its terms.
    let kept = app
        .get(
            &format!("/api/v1/requests/{}", before["id"]),
            Some(&pair.sales_staff.token),
        )
        .await;
    assert_eq!(kept.body["agreement_version"], 1);
    assert_eq!(kept.body["due_at"], "2026-03-03T16:00:00Z");
}

#[rocket::async_test]
async fn lists_filter_by_provider_customer_and_status_and_show_on_time_figures() {
    let app = spawn_app().await;
    let pair = app.pair().await;
    let active = app.active_agreement(&pair, 1.0, "business_days").await;
    app.post(
        "/api/v1/agreements",
        Some(&pair.admin.token),
        draft_body(pair.sales, pair.legal),
    )
    .await;

    let by_provider = app
        .get(
            &format!("/api/v1/agreements?provider={}", pair.legal),
            Some(&pair.sales_staff.token),
        )
        .await;
    let items = by_provider.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["id"], active);
    let drafts = app
        .get("/api/v1/agreements?status=draft", Some(&pair.leader.token))
        .await;
    assert_eq!(drafts.body["items"].as_array().unwrap().len(), 1);
    let bad = app
        .get(
            "/api/v1/agreements?status=dormant",
            Some(&pair.leader.token),
        )
        .await;
    assert_problem(&bad, Status::UnprocessableEntity);

    // One request delivered on time, one late.
    for (requested, delivered) in [
        ("2026-03-02T09:00:00+01:00", "2026-03-03T10:00:00+01:00"),
        ("2026-03-02T09:00:00+01:00", "2026-03-05T10:00:00+01:00"),
    ] {
        let request = app
            .log_request(&pair.sales_staff, active, requested, &[])
            .await;
        let id = int(&request["id"]);
        app.act(&pair.legal_staff, id, "start", json!({"at": requested}))
            .await;
        let done = app
            .act(&pair.legal_staff, id, "deliver", json!({"at": delivered}))
            .await;
        assert_eq!(done.status, Status::Ok, "{}", done.body);
    }
    let agreement = app
        .get(
            &format!("/api/v1/agreements/{active}"),
            Some(&pair.sales_staff.token),
        )
        .await;
    assert_eq!(
        agreement.body["figures"],
        json!({"delivered": 2, "on_time": 1, "on_time_pct": 50.0})
    );
    assert_eq!(agreement.body["meets_target"], false);
}

#[rocket::async_test]
async fn calibration_tells_how_often_past_deliveries_would_have_met_a_turnaround() {
    let app = spawn_app().await;
    let pair = app.pair().await;
    let id = app.active_agreement(&pair, 2.0, "business_days").await;
    // Ten deliveries from Monday 09:00, taking 1..=10 working hours.
    for hours in 1..=10 {
        let request = app
            .log_request(&pair.sales_staff, id, "2026-03-02T09:00:00+01:00", &[])
            .await;
        let rid = int(&request["id"]);
        app.act(
            &pair.legal_staff,
            rid,
            "start",
            json!({"at": "2026-03-02T09:00:00+01:00"}),
        )
        .await;
        let delivered_at = if hours <= 8 {
            format!("2026-03-02T{:02}:00:00+01:00", 9 + hours)
        } else {
            format!("2026-03-03T{:02}:00:00+01:00", 9 + hours - 8)
        };
        let done = app
            .act(
                &pair.legal_staff,
                rid,
                "deliver",
                json!({"at": delivered_at}),
            )
            .await;
        assert_eq!(done.status, Status::Ok, "{}", done.body);
    }
    let answer = app
        .get(
            &format!("/api/v1/agreements/{id}/calibration?amount=8&unit=business_hours"),
            Some(&pair.legal_lead.token),
        )
        .await;
    assert_eq!(answer.status, Status::Ok, "{}", answer.body);
    assert_eq!(answer.body["sample_size"], 10);
    assert_eq!(answer.body["scope"], "agreement");
    assert_eq!(answer.body["would_have_met_pct"], 80.0);
    assert_eq!(answer.body["p50_minutes"], 300);
    assert_eq!(answer.body["p90_minutes"], 540);
    let bad = app
        .get(
            &format!("/api/v1/agreements/{id}/calibration?amount=8&unit=weeks"),
            Some(&pair.legal_lead.token),
        )
        .await;
    assert_problem(&bad, Status::UnprocessableEntity);
}

#[rocket::async_test]
async fn agreements_of_another_organisation_are_404() {
    let app = spawn_app().await;
    let pair = app.pair().await;
    let id = app.active_agreement(&pair, 1.0, "business_days").await;
    let other = app.signup("Globex", "gil@globex.test").await;
    for path in [
        format!("/api/v1/agreements/{id}"),
        format!("/api/v1/agreements/{id}/events"),
        format!("/api/v1/agreements/{id}/calibration?amount=1&unit=business_days"),
    ] {
        assert_problem(&app.get(&path, Some(&other.token)).await, Status::NotFound);
    }
    let retire = app
        .post(
            &format!("/api/v1/agreements/{id}/retire"),
            Some(&other.token),
            json!({}),
        )
        .await;
    assert_problem(&retire, Status::NotFound);
    let listed = app.get("/api/v1/agreements", Some(&other.token)).await;
    assert_eq!(listed.body["items"], json!([]));
}
