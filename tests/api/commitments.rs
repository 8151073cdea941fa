//! External commitments and delay propagation through HTTP (SPEC §4): a
//! chain across four departments, late forecasts, customer waits, delivery
//! moving everything back, PSPLIB networks, forecasts, permissions.

use crate::common::{Session, TestApp, assert_problem, id_of, instant, int, spawn_app};
use rocket::http::Status;
use serde_json::{Value, json};

const MONDAY_9: &str = "2026-03-02T09:00:00+01:00";
const AS_OF: &str = "2026-03-02T10:00:00%2B01:00";

/// Legal → Finance → Ops → Sales, each handoff one business day (8 h) on
/// Mon–Fri 09:00–17:00 Berlin; Sales promised Globex Thursday 17:00.
struct Chain {
    admin: Session,
    departments: [i64; 4],
    staff: [Session; 4],
    requests: [i64; 3],
    commitment: i64,
}

async fn chain(app: &TestApp) -> Chain {
    let admin = app.signup("Acme", "ada@acme.test").await;
    let mut departments = [0; 4];
    for (slot, code) in departments.iter_mut().zip(["LEGAL", "FIN", "OPS", "SALES"]) {
        *slot = app.create_department(&admin, code).await;
    }
    let mut staff = Vec::new();
    for (i, department) in departments.iter().enumerate() {
        staff.push(
            app.create_user(
                &admin,
                &format!("staff{i}@acme.test"),
                "staff",
                Some(*department),
            )
            .await,
        );
    }
    let mut requests = [0; 3];
    let mut previous: Option<i64> = None;
    for i in 0..3 {
        let agreement = agreement(
            app,
            &admin,
            departments[i],
            departments[i + 1],
            8.0,
            "business_hours",
        )
        .await;
        let depends_on: Vec<i64> = previous.into_iter().collect();
        let logged = app
            .log_request(&staff[i + 1], agreement, MONDAY_9, &depends_on)
            .await;
        requests[i] = int(&logged["id"]);
        previous = Some(requests[i]);
    }
    let created = app
        .post(
            "/api/v1/commitments",
            Some(&staff[3].token),
            json!({"customer_name": "Globex", "title": "Go-live", "promised_at": "2026-03-05T17:00:00+01:00",
                   "owner_department_id": departments[3], "depends_on": [requests[2]]}),
        )
        .await;
    assert_eq!(created.status, Status::Created, "{}", created.body);
    Chain {
        admin,
        departments,
        staff: staff.try_into().unwrap_or_else(|_| panic!("four staff")),
        requests,
        commitment: id_of(&created),
    }
}

async fn agreement(
    app: &TestApp,
    admin: &Session,
    provider: i64,
    customer: i64,
    amount: f64,
    unit: &str,
) -> i64 {
    let draft = app
        .post(
            "/api/v1/agreements",
            Some(&admin.token),
            json!({"provider_department_id": provider, "customer_department_id": customer,
                   "title": "Handoff", "deliverable": "The work", "definition_of_done": "Done",
                   "turnaround": {"amount": amount, "unit": unit}}),
        )
        .await;
    assert_eq!(draft.status, Status::Created, "{}", draft.body);
    let id = id_of(&draft);
    app.post(
        &format!("/api/v1/agreements/{id}/propose"),
        Some(&admin.token),
        json!({}),
    )
    .await;
    app.post(
        &format!("/api/v1/agreements/{id}/accept"),
        Some(&admin.token),
        json!({}),
    )
    .await;
    id
}

async fn projection(app: &TestApp, who: &Session, commitment: i64) -> Value {
    let answer = app
        .get(
            &format!("/api/v1/commitments/{commitment}/projection?as_of={AS_OF}"),
            Some(&who.token),
        )
        .await;
    assert_eq!(answer.status, Status::Ok, "{}", answer.body);
    answer.body
}

#[rocket::async_test]
async fn a_chain_kept_as_agreed_lands_on_its_baseline() {
    let app = spawn_app().await;
    let chain = chain(&app).await;
    let view = projection(&app, &chain.staff[0], chain.commitment).await;
    assert_eq!(
        view["projected_at"], "2026-03-04T16:00:00Z",
        "Wednesday 17:00"
    );
    assert_eq!(view["baseline_at"], "2026-03-04T16:00:00Z");
    assert_eq!(view["slip_minutes"], 0);
    assert_eq!(view["slack_minutes"], 480);
    assert_eq!(view["risk"], "on_track");
    assert_eq!(view["critical_path"], json!(chain.requests));
    assert_eq!(view["root_causes"], json!([]));
}

#[rocket::async_test]
async fn a_late_forecast_upstream_puts_the_promise_at_risk_and_names_the_department() {
    let app = spawn_app().await;
    let chain = chain(&app).await;
    let [r1, r2, r3] = chain.requests;
    // Finance (r2's provider) expects to finish a day late.
    let forecast = app
        .act(
            &chain.staff[1],
            r2,
            "forecast",
            json!({"expected_at": "2026-03-04T17:00:00+01:00",
              "reason": "month-end close", "at": "2026-03-02T10:00:00+01:00"}),
        )
        .await;
    assert_eq!(forecast.status, Status::Ok, "{}", forecast.body);
    let view = projection(&app, &chain.admin, chain.commitment).await;
    assert_eq!(
        view["projected_at"], "2026-03-05T16:00:00Z",
        "Thursday 17:00"
    );
    assert_eq!(view["baseline_at"], "2026-03-04T16:00:00Z");
    assert_eq!(view["slip_minutes"], 1440);
    assert_eq!(view["slack_minutes"], 0);
    assert_eq!(view["risk"], "at_risk");
    assert_eq!(view["critical_path"], json!([r1, r2, r3]));
    assert_eq!(
        view["root_causes"],
        json!([{"request_id": r2, "department_id": chain.departments[1], "kind": "own_slip", "minutes": 1440}])
    );
    // As of now (months after these dates) nothing was delivered, so the
    // request endangers the promise.
    let request = app
        .get(
            &format!("/api/v1/requests/{r2}"),
            Some(&chain.staff[1].token),
        )
        .await;
    assert_eq!(
        request.body["endangered_commitment_ids"],
        json!([chain.commitment])
    );

    // A second day late breaks the promise.
    app.act(
        &chain.staff[1],
        r2,
        "forecast",
        json!({"expected_at": "2026-03-05T17:00:00+01:00",
            "reason": "auditor", "at": "2026-03-02T11:00:00+01:00"}),
    )
    .await;
    let view = projection(&app, &chain.admin, chain.commitment).await;
    assert_eq!(view["risk"], "late");
    assert_eq!(view["slack_minutes"], -480);
    assert_eq!(view["slip_minutes"], 2880);
}

#[rocket::async_test]
async fn delivery_upstream_moves_everything_back() {
    let app = spawn_app().await;
    let chain = chain(&app).await;
    let [r1, r2, _] = chain.requests;
    app.act(
        &chain.staff[1],
        r2,
        "forecast",
        json!({"expected_at": "2026-03-05T17:00:00+01:00",
            "reason": "swamped", "at": "2026-03-02T10:00:00+01:00"}),
    )
    .await;
    assert_eq!(
        projection(&app, &chain.admin, chain.commitment).await["risk"],
        "late"
    );
    // Legal delivers early, Finance then delivers Tuesday 15:00 after all.
    for (who, request, at) in [
        (0, r1, "2026-03-02T15:00:00+01:00"),
        (1, r2, "2026-03-03T15:00:00+01:00"),
    ] {
        app.act(
            &chain.staff[who],
            request,
            "start",
            json!({"at": "2026-03-02T11:00:00+01:00"}),
        )
        .await;
        let done = app
            .act(&chain.staff[who], request, "deliver", json!({"at": at}))
            .await;
        assert_eq!(done.status, Status::Ok, "{}", done.body);
    }
    let view = projection(&app, &chain.admin, chain.commitment).await;
    assert_eq!(
        view["projected_at"], "2026-03-04T14:00:00Z",
        "Wednesday 15:00"
    );
    assert_eq!(view["risk"], "on_track");
    assert_eq!(view["slack_minutes"], 600);
    assert_eq!(view["root_causes"], json!([]));
    // Once Ops delivers too, the promise is kept whatever the moment.
    let r3 = chain.requests[2];
    app.act(
        &chain.staff[2],
        r3,
        "start",
        json!({"at": "2026-03-03T15:00:00+01:00"}),
    )
    .await;
    app.act(
        &chain.staff[2],
        r3,
        "deliver",
        json!({"at": "2026-03-04T15:00:00+01:00"}),
    )
    .await;
    let stored = app
        .get(
            &format!("/api/v1/commitments/{}", chain.commitment),
            Some(&chain.admin.token),
        )
        .await;
    assert_eq!(stored.body["risk"], "on_track");
    assert_eq!(stored.body["projected_at"], "2026-03-04T14:00:00Z");
}

#[rocket::async_test]
async fn a_change_upstream_re_projects_stored_risk_in_the_same_request() {
    let app = spawn_app().await;
    let pair = app.pair().await;
    let agreement = app.active_agreement(&pair, 8.0, "business_hours").await;
    let now = chrono::Utc::now();
    let request = app
        .log_request(&pair.sales_staff, agreement, &now.to_rfc3339(), &[])
        .await;
    let r = int(&request["id"]);
    let created = app
        .post(
            "/api/v1/commitments",
            Some(&pair.sales_lead.token),
            json!({"customer_name": "Globex", "title": "Go-live",
                   "promised_at": (now + chrono::TimeDelta::days(60)).to_rfc3339(),
                   "owner_department_id": pair.sales, "depends_on": [r],
                   "lead_time": {"amount": 2, "unit": "business_days"}}),
        )
        .await;
    assert_eq!(created.status, Status::Created, "{}", created.body);
    assert_eq!(created.body["risk"], "on_track");
    let id = id_of(&created);
    let ids_with = |risk: &'static str| {
        let app = &app;
        let token = pair.legal_staff.token.clone();
        async move {
            let answer = app
                .get(&format!("/api/v1/commitments?risk={risk}"), Some(&token))
                .await;
            answer.body["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| int(&c["id"]))
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(ids_with("on_track").await, [id]);
    assert_eq!(
        app.get(
            &format!("/api/v1/requests/{r}"),
            Some(&pair.legal_staff.token)
        )
        .await
        .body["endangered_commitment_ids"],
        json!([])
    );

    let later = (now + chrono::TimeDelta::days(90)).to_rfc3339();
    app.act(
        &pair.legal_staff,
        r,
        "forecast",
        json!({"expected_at": later, "reason": "backlog"}),
    )
    .await;
    assert_eq!(ids_with("late").await, [id]);
    assert_eq!(ids_with("on_track").await, Vec::<i64>::new());
    let request = app
        .get(
            &format!("/api/v1/requests/{r}"),
            Some(&pair.legal_staff.token),
        )
        .await;
    assert_eq!(request.body["endangered_commitment_ids"], json!([id]));
    let stored = app
        .get(
            &format!("/api/v1/commitments/{id}"),
            Some(&pair.legal_staff.token),
        )
        .await;
    assert!(int(&stored.body["slip_minutes"]) > 0);
    assert!(int(&stored.body["slack_minutes"]) < 0);
    let bad = app
        .get(
            "/api/v1/commitments?risk=doomed",
            Some(&pair.legal_staff.token),
        )
        .await;
    assert_problem(&bad, Status::UnprocessableEntity);
}

#[rocket::async_test]
async fn a_paused_request_attributes_the_wait_to_its_customer() {
    let app = spawn_app().await;
    let chain = chain(&app).await;
    let r3 = chain.requests[2];
    // Ops waits on Sales for a full working day.
    app.act(
        &chain.staff[2],
        r3,
        "pause",
        json!({"reason": "waiting for the customer's data", "at": "2026-03-02T10:00:00+01:00"}),
    )
    .await;
    let resumed = app
        .act(
            &chain.staff[2],
            r3,
            "resume",
            json!({"at": "2026-03-03T10:00:00+01:00"}),
        )
        .await;
    assert_eq!(resumed.status, Status::Ok, "{}", resumed.body);
    let view = projection(&app, &chain.admin, chain.commitment).await;
    assert_eq!(view["projected_at"], "2026-03-05T16:00:00Z");
    assert_eq!(view["risk"], "at_risk");
    assert_eq!(
        view["root_causes"],
        json!([{"request_id": r3, "department_id": chain.departments[3], "kind": "customer_wait", "minutes": 1440}])
    );
}

#[rocket::async_test]
async fn the_forecast_is_the_same_for_the_same_seed() {
    let app = spawn_app().await;
    let chain = chain(&app).await;
    let path = |seed: u64| {
        format!(
            "/api/v1/commitments/{}/forecast?trials=2000&seed={seed}&as_of={AS_OF}",
            chain.commitment
        )
    };
    let first = app.get(&path(7), Some(&chain.admin.token)).await;
    assert_eq!(first.status, Status::Ok, "{}", first.body);
    let again = app.get(&path(7), Some(&chain.admin.token)).await;
    assert_eq!(first.body, again.body);
    let probability = first.body["probability_on_time"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&probability));
    assert!(instant(&first.body["p50"]) <= instant(&first.body["p80"]));
    assert!(instant(&first.body["p80"]) <= instant(&first.body["p90"]));
    assert_eq!(first.body["trials"], 2000);
    for bad in ["trials=0", "trials=many", "seed=-1", "as_of=soon"] {
        let answer = app
            .get(
                &format!("/api/v1/commitments/{}/forecast?{bad}", chain.commitment),
                Some(&chain.admin.token),
            )
            .await;
        assert_problem(&answer, Status::UnprocessableEntity);
    }
}

#[rocket::async_test]
async fn the_owner_department_leaders_and_admins_write_commitments_and_everyone_reads_them() {
    let app = spawn_app().await;
    let chain = chain(&app).await;
    let body = json!({"customer_name": "Initech", "title": "Pilot", "promised_at": "2026-04-01T17:00:00Z",
                      "owner_department_id": chain.departments[3], "depends_on": [chain.requests[0]]});
    let not_owner = app
        .post(
            "/api/v1/commitments",
            Some(&chain.staff[0].token),
            body.clone(),
        )
        .await;
    assert_problem(&not_owner, Status::Forbidden);
    let leader = app
        .create_user(&chain.admin, "leo@acme.test", "leader", None)
        .await;
    let by_leader = app
        .post("/api/v1/commitments", Some(&leader.token), body)
        .await;
    assert_eq!(by_leader.status, Status::Created, "{}", by_leader.body);
    let id = id_of(&by_leader);
    let read = app
        .get(
            &format!("/api/v1/commitments/{id}/projection"),
            Some(&chain.staff[0].token),
        )
        .await;
    assert_eq!(read.status, Status::Ok);
    let cancel = app
        .post(
            &format!("/api/v1/commitments/{id}/cancel"),
            Some(&chain.staff[0].token),
            json!({"reason": "no"}),
        )
        .await;
    assert_problem(&cancel, Status::Forbidden);
    let fulfilled = app
        .post(
            &format!("/api/v1/commitments/{id}/fulfil"),
            Some(&chain.staff[3].token),
            json!({}),
        )
        .await;
    assert_eq!(fulfilled.body["status"], "fulfilled");
    let again = app
        .post(
            &format!("/api/v1/commitments/{id}/fulfil"),
            Some(&chain.staff[3].token),
            json!({}),
        )
        .await;
    assert_problem(&again, Status::Conflict);
    let other = app.signup("Globex", "gil@globex.test").await;
    for path in [
        format!("/api/v1/commitments/{id}"),
        format!("/api/v1/commitments/{id}/projection"),
        format!("/api/v1/commitments/{id}/forecast"),
        format!("/api/v1/commitments/{id}/events"),
    ] {
        assert_problem(&app.get(&path, Some(&other.token)).await, Status::NotFound);
    }
    let foreign_request = app
        .post(
            "/api/v1/commitments",
            Some(&other.token),
            json!({"customer_name": "X", "title": "Y", "promised_at": "2026-04-01T17:00:00Z",
                   "owner_department_id": chain.departments[3], "depends_on": [chain.requests[0]]}),
        )
        .await;
    assert_problem(&foreign_request, Status::UnprocessableEntity);
}

/// One PSPLIB J30 instance: durations, successors, MPM-Time.
struct Network {
    durations: Vec<i64>,
    successors: Vec<Vec<usize>>,
    mpm_time: i64,
}

fn read_network(name: &str) -> Network {
    let path = format!(
        "{}/tests/data/psplib/j30/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).expect("PSPLIB file");
    let lines: Vec<&str> = text.lines().collect();
    let numbers = |line: &str| -> Vec<i64> {
        line.split_whitespace()
            .filter_map(|t| t.parse().ok())
            .collect()
    };
    let section = |title: &str| {
        lines
            .iter()
            .position(|l| l.starts_with(title))
            .expect(title)
            + 2
    };
    let mpm_time = numbers(lines[section("PROJECT INFORMATION:")])[5];
    let mut successors = Vec::new();
    for line in &lines[section("PRECEDENCE RELATIONS:")..] {
        let row = numbers(line);
        if row.is_empty() {
            break;
        }
        successors.push(row[3..].iter().map(|&s| s as usize - 1).collect());
    }
    let mut durations = Vec::new();
    for line in &lines[section("REQUESTS/DURATIONS:") + 1..] {
        let row = numbers(line);
        if row.is_empty() {
            break;
        }
        durations.push(row[2]);
    }
    Network {
        durations,
        successors,
        mpm_time,
    }
}

#[rocket::async_test]
async fn psplib_networks_through_the_api_finish_at_their_mpm_time() {
    let app = spawn_app().await;
    let admin = app.signup("Acme", "ada@acme.test").await;
    let always = app
        .post(
            "/api/v1/calendars",
            Some(&admin.token),
            json!({"name": "24x7", "timezone": "UTC", "weekly": {
                "mon": [["00:00","24:00"]], "tue": [["00:00","24:00"]], "wed": [["00:00","24:00"]],
                "thu": [["00:00","24:00"]], "fri": [["00:00","24:00"]], "sat": [["00:00","24:00"]], "sun": [["00:00","24:00"]]}}),
        )
        .await;
    let calendar = id_of(&always);
    let mut ids = Vec::new();
    for code in ["PLANT", "PMO"] {
        let answer = app
            .post(
                "/api/v1/departments",
                Some(&admin.token),
                json!({"name": code, "code": code, "calendar_id": calendar}),
            )
            .await;
        ids.push(id_of(&answer));
    }
    let mut agreements = std::collections::HashMap::new();
    for name in ["j3010_1.sm", "j3025_4.sm", "j3048_10.sm"] {
        let network = read_network(name);
        let jobs = network.durations.len();
        let mut predecessors = vec![Vec::new(); jobs];
        for (job, next) in network.successors.iter().enumerate() {
            for &successor in next {
                predecessors[successor].push(job);
            }
        }
        let mut request_of = vec![0i64; jobs];
        for job in 0..jobs {
            let hours = network.durations[job];
            if let std::collections::hash_map::Entry::Vacant(slot) = agreements.entry(hours) {
                slot.insert(
                    agreement(&app, &admin, ids[0], ids[1], hours as f64, "calendar_hours").await,
                );
            }
            let depends_on: Vec<i64> = predecessors[job].iter().map(|&p| request_of[p]).collect();
            let logged = app
                .log_request(
                    &admin,
                    agreements[&hours],
                    "2026-01-05T00:00:00Z",
                    &depends_on,
                )
                .await;
            request_of[job] = int(&logged["id"]);
        }
        let commitment = app
            .post(
                "/api/v1/commitments",
                Some(&admin.token),
                json!({"customer_name": "PSPLIB", "title": name, "promised_at": "2026-12-31T00:00:00Z",
                       "owner_department_id": ids[1], "depends_on": [request_of[jobs - 1]]}),
            )
            .await;
        let id = id_of(&commitment);
        let view = app
            .get(
                &format!("/api/v1/commitments/{id}/projection?as_of=2026-01-05T00:00:00Z"),
                Some(&admin.token),
            )
            .await;
        let expected = chrono::DateTime::parse_from_rfc3339("2026-01-05T00:00:00Z").unwrap()
            + chrono::TimeDelta::hours(network.mpm_time);
        assert_eq!(
            view.body["projected_at"].as_str().unwrap(),
            expected
                .with_timezone(&chrono::Utc)
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "{name}: MPM-Time {}",
            network.mpm_time
        );
    }
}
