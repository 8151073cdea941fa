//! Reads that cost what the page shows: a request thousands of others wait
//! on opens like any other, the stored endangerments agree with a full walk
//! of the graph after any sequence of changes, and the risk refresh keeps
//! stored risk true as time passes, once across instances.

use chrono::{TimeDelta, Utc};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rocket::http::Status;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, Iterable, QueryFilter, Set,
};
use serde_json::{Value, json};

use baton::entities::ids::{CommitmentId, OrganisationId, RequestId};
use baton::entities::{commitment, request};
use baton::services::calendars::CalendarCache;
use baton::services::projection;

use crate::common::{Pair, TestApp, id_of, instant, int, spawn_app};

/// The ids of a JSON array of numbers.
fn ids(value: &Value) -> Vec<i64> {
    value
        .as_array()
        .unwrap_or_else(|| panic!("not an array: {value}"))
        .iter()
        .map(int)
        .collect()
}

/// The ids of a page's items.
fn item_ids(page: &Value) -> Vec<i64> {
    page["items"]
        .as_array()
        .unwrap_or_else(|| panic!("no items: {page}"))
        .iter()
        .map(|item| int(&item["id"]))
        .collect()
}

/// Copies request `template` `count` times straight into the database, each
/// copy waiting on it: a hub with `count` requests downstream.
async fn hub(app: &TestApp, template: i64, count: usize) {
    let db = baton::db::connect(&app.database_url, 1).await.unwrap();
    let columns: Vec<String> = request::Column::iter()
        .filter(|column| !matches!(column, request::Column::Id))
        .map(|column| sea_orm::IdenStatic::as_str(&column).to_owned())
        .collect();
    let columns = columns.join(", ");
    db.execute_unprepared(&format!(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {count}) \
         INSERT INTO requests ({columns}) SELECT {columns} FROM requests, n WHERE id = {template}"
    ))
    .await
    .unwrap();
    db.execute_unprepared(&format!(
        "INSERT INTO request_dependencies (request_id, depends_on_id, organisation_id) \
         SELECT id, {template}, organisation_id FROM requests WHERE id > {template}"
    ))
    .await
    .unwrap();
    db.close().await.ok();
}

#[rocket::async_test]
async fn a_request_forty_thousand_others_wait_on_opens_lists_and_moves_like_any_other() {
    let app = spawn_app().await;
    let pair = app.pair().await;
    let agreement = app.active_agreement(&pair, 8.0, "business_hours").await;
    let now = Utc::now();
    let first = int(&app
        .log_request(&pair.sales_staff, agreement, &now.to_rfc3339(), &[])
        .await["id"]);
    // More requests downstream than SQLite binds in one statement (32,766).
    hub(&app, first, 40_000).await;
    let last = first + 40_000;
    // A promise due before the last of them can land: late, through both.
    let promise = app
        .post(
            "/api/v1/commitments",
            Some(&pair.sales_lead.token),
            json!({"customer_name": "Globex", "title": "Go-live",
                   "promised_at": (now + TimeDelta::minutes(5)).to_rfc3339(),
                   "owner_department_id": pair.sales, "depends_on": [last]}),
        )
        .await;
    assert_eq!(promise.status, Status::Created, "{}", promise.body);
    let promise = id_of(&promise);

    let token = Some(pair.legal_lead.token.as_str());
    let hub = app.get(&format!("/api/v1/requests/{first}"), token).await;
    assert_eq!(hub.status, Status::Ok, "{}", hub.body);
    assert_eq!(ids(&hub.body["endangered_commitment_ids"]), [promise]);
    let leaf = app.get(&format!("/api/v1/requests/{last}"), token).await;
    assert_eq!(ids(&leaf.body["endangered_commitment_ids"]), [promise]);
    let other = app
        .get(&format!("/api/v1/requests/{}", first + 1), token)
        .await;
    assert_eq!(
        ids(&other.body["endangered_commitment_ids"]),
        Vec::<i64>::new()
    );
    for query in ["limit=200", "status=open", "limit=50&overdue=false"] {
        let page = app.get(&format!("/api/v1/requests?{query}"), token).await;
        assert_eq!(page.status, Status::Ok, "{query}: {}", page.body);
    }
    // A change at the hub re-projects the promise behind forty thousand requests.
    let moved = app
        .act(
            &pair.legal_staff,
            first,
            "forecast",
            json!({"expected_at": (now + TimeDelta::days(3)).to_rfc3339(), "reason": "month-end close"}),
        )
        .await;
    assert_eq!(moved.status, Status::Ok, "{}", moved.body);
    assert_eq!(ids(&moved.body["endangered_commitment_ids"]), [promise]);
}

/// What the full walk says request `id` endangers: every commitment and
/// request of the organisation projected together now.
async fn walked(
    app: &TestApp,
    organisation: i64,
    requests: &[i64],
    commitments: &[i64],
) -> Vec<Vec<i64>> {
    let db = baton::db::connect(&app.database_url, 1).await.unwrap();
    let cache = CalendarCache::default();
    let request_ids: Vec<RequestId> = requests.iter().map(|&id| RequestId(id)).collect();
    let commitment_ids: Vec<CommitmentId> =
        commitments.iter().map(|&id| CommitmentId(id)).collect();
    let mut projected = projection::project(
        &db,
        &cache,
        OrganisationId(organisation),
        &commitment_ids,
        &request_ids,
        Utc::now(),
    )
    .await
    .unwrap();
    db.close().await.ok();
    let by_index: std::collections::HashMap<_, _> = projected
        .commitments
        .iter()
        .map(|(&id, &idx)| (idx, id.0))
        .collect();
    requests
        .iter()
        .map(|id| {
            let idx = projected.requests[&RequestId(*id)];
            let mut found: Vec<i64> = projected
                .projection
                .endangered_commitments(idx)
                .into_iter()
                .map(|c| by_index[&c])
                .collect();
            found.sort_unstable();
            found
        })
        .collect()
}

/// One random change through the API; refusals (a cycle, a move the state
/// does not allow) are part of the sequence too.
async fn change(
    app: &TestApp,
    pair: &Pair,
    rng: &mut ChaCha8Rng,
    requests: &[i64],
    commitments: &[i64],
) {
    let now = Utc::now();
    let r = requests[rng.random_range(0..requests.len())];
    let hours = rng.random_range(1..120);
    match rng.random_range(0..6) {
        0 => {
            app.act(&pair.legal_staff, r, "forecast", json!({"expected_at": (now + TimeDelta::hours(hours)).to_rfc3339(), "reason": "swamped"}))
                .await;
        }
        1 => {
            app.act(&pair.legal_staff, r, "start", json!({})).await;
            app.act(&pair.legal_staff, r, "deliver", json!({})).await;
        }
        2 => {
            app.act(
                &pair.sales_staff,
                r,
                "cancel",
                json!({"reason": "not needed"}),
            )
            .await;
        }
        3 => {
            let earlier: Vec<i64> = requests
                .iter()
                .copied()
                .filter(|&other| other < r)
                .collect();
            if let Some(&input) = earlier.get(rng.random_range(0..earlier.len().max(1))) {
                let current = app
                    .get(
                        &format!("/api/v1/requests/{r}"),
                        Some(&pair.sales_staff.token),
                    )
                    .await;
                let mut inputs = ids(&current.body["depends_on"]);
                inputs.push(input);
                inputs.sort_unstable();
                inputs.dedup();
                app.patch(
                    &format!("/api/v1/requests/{r}"),
                    Some(&pair.sales_staff.token),
                    current.etag.as_deref(),
                    json!({"depends_on": inputs}),
                )
                .await;
            }
        }
        4 => {
            let c = commitments[rng.random_range(0..commitments.len())];
            let current = app
                .get(
                    &format!("/api/v1/commitments/{c}"),
                    Some(&pair.sales_lead.token),
                )
                .await;
            app.patch(
                &format!("/api/v1/commitments/{c}"),
                Some(&pair.sales_lead.token),
                current.etag.as_deref(),
                json!({"promised_at": (now + TimeDelta::hours(hours)).to_rfc3339()}),
            )
            .await;
        }
        _ => {
            app.act(&pair.legal_staff, r, "start", json!({})).await;
        }
    }
}

#[rocket::async_test]
async fn stored_endangerments_agree_with_a_full_walk_after_random_sequences_of_changes() {
    // Readings where the walk found something endangered: the comparison
    // must not pass on empty lists alone.
    let mut endangering = 0;
    for seed in 0..3 {
        let app = spawn_app().await;
        let pair = app.pair().await;
        let agreement = app.active_agreement(&pair, 8.0, "business_hours").await;
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let now = Utc::now();
        let mut requests = Vec::new();
        for _ in 0..10 {
            let inputs: Vec<i64> = requests
                .iter()
                .copied()
                .filter(|_| rng.random_bool(0.3))
                .collect();
            let logged = app
                .log_request(&pair.sales_staff, agreement, &now.to_rfc3339(), &inputs)
                .await;
            requests.push(int(&logged["id"]));
        }
        let mut commitments = Vec::new();
        for n in 0..4 {
            let one = requests[rng.random_range(0..requests.len())];
            let on: Vec<i64> = requests
                .iter()
                .copied()
                .filter(|_| rng.random_bool(0.25))
                .chain([one])
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .collect();
            let created = app
                .post(
                    "/api/v1/commitments",
                    Some(&pair.sales_lead.token),
                    json!({"customer_name": format!("Customer {n}"), "title": "Delivery",
                           "promised_at": (now + TimeDelta::hours(rng.random_range(1..96))).to_rfc3339(),
                           "owner_department_id": pair.sales, "depends_on": on}),
                )
                .await;
            assert_eq!(created.status, Status::Created, "{}", created.body);
            commitments.push(id_of(&created));
        }
        for step in 0..12 {
            change(&app, &pair, &mut rng, &requests, &commitments).await;
            let expected = walked(&app, pair.admin.organisation_id, &requests, &commitments).await;
            for (request, expected) in requests.iter().zip(expected) {
                endangering += usize::from(!expected.is_empty());
                let read = app
                    .get(
                        &format!("/api/v1/requests/{request}"),
                        Some(&pair.admin.token),
                    )
                    .await;
                assert_eq!(
                    ids(&read.body["endangered_commitment_ids"]),
                    expected,
                    "seed {seed}, step {step}, request {request}"
                );
            }
        }
    }
    assert!(
        endangering > 20,
        "only {endangering} readings endangered anything"
    );
}

#[rocket::async_test]
async fn time_passing_turns_a_promise_late_through_the_refresh_once_across_two_instances() {
    let app = spawn_app().await;
    let pair = app.pair().await;
    let agreement = app.active_agreement(&pair, 8.0, "business_hours").await;
    let now = Utc::now();
    let r = int(&app
        .log_request(&pair.sales_staff, agreement, &now.to_rfc3339(), &[])
        .await["id"]);
    let promise = app
        .post(
            "/api/v1/commitments",
            Some(&pair.sales_lead.token),
            json!({"customer_name": "Globex", "title": "Go-live",
                   "promised_at": (now + TimeDelta::days(20)).to_rfc3339(),
                   "owner_department_id": pair.sales, "depends_on": [r]}),
        )
        .await;
    let promise_id = id_of(&promise);
    assert_eq!(promise.body["risk"], "on_track");

    // Thirty days pass with nothing changed: the request was logged and the
    // promise made a month ago, so the request is long overdue and the
    // promise ten days past, and the promise's moment to look again has come.
    let db = baton::db::connect(&app.database_url, 1).await.unwrap();
    let month = TimeDelta::days(30);
    let row = request::Entity::find_by_id(RequestId(r))
        .one(&db)
        .await
        .unwrap()
        .unwrap();
    let mut earlier: request::ActiveModel = row.clone().into();
    earlier.requested_at = Set(row.requested_at - month);
    earlier.logged_at = Set(row.logged_at - month);
    earlier.ready_at = Set(row.ready_at - month);
    earlier.clock_start = Set(row.clock_start - month);
    earlier.due_at = Set(row.due_at - month);
    earlier.update(&db).await.unwrap();
    let stored = commitment::Entity::find_by_id(CommitmentId(promise_id))
        .one(&db)
        .await
        .unwrap()
        .unwrap();
    commitment::Entity::update_many()
        .col_expr(
            commitment::Column::PromisedAt,
            sea_orm::sea_query::Expr::value(stored.promised_at - month),
        )
        .col_expr(
            commitment::Column::RefreshAt,
            sea_orm::sea_query::Expr::value(Utc::now() - TimeDelta::minutes(1)),
        )
        .filter(commitment::Column::Id.eq(CommitmentId(promise_id)))
        .exec(&db)
        .await
        .unwrap();
    let late = || async {
        let answer = app
            .get("/api/v1/commitments?risk=late", Some(&pair.leader.token))
            .await;
        item_ids(&answer.body)
    };
    assert_eq!(
        late().await,
        Vec::<i64>::new(),
        "stored risk before the refresh"
    );

    // Two instances refresh at the same moment: one of them re-projects it.
    let cache = CalendarCache::default();
    let (one, two) = (
        baton::db::connect(&app.database_url, 2).await.unwrap(),
        baton::db::connect(&app.database_url, 2).await.unwrap(),
    );
    let (a, b) = tokio::join!(
        baton::services::risk::refresh_due(&one, &cache),
        baton::services::risk::refresh_due(&two, &cache)
    );
    assert_eq!(
        a.unwrap() + b.unwrap(),
        1,
        "exactly one instance re-projects it"
    );
    assert_eq!(late().await, [promise_id]);
    let read = app
        .get(&format!("/api/v1/requests/{r}"), Some(&pair.leader.token))
        .await;
    assert_eq!(ids(&read.body["endangered_commitment_ids"]), [promise_id]);
    // Late it stays until something changes: nothing more to refresh.
    let (a, b) = tokio::join!(
        baton::services::risk::refresh_due(&one, &cache),
        baton::services::risk::refresh_due(&two, &cache)
    );
    assert_eq!(a.unwrap() + b.unwrap(), 0);
    db.close().await.ok();
}

#[rocket::async_test]
async fn a_search_matching_more_than_the_window_ranks_the_newest_two_thousand_and_lists_them_all() {
    let app = spawn_app().await;
    let pair = app.pair().await;
    let agreement = app.active_agreement(&pair, 8.0, "business_hours").await;
    let first = int(&app
        .log_request(&pair.sales_staff, agreement, &Utc::now().to_rfc3339(), &[])
        .await["id"]);
    // 2,100 more with the same words: every score ties, so the ranked order
    // is by id, and the first ranked is the oldest of the newest 2,000.
    hub(&app, first, 2_100).await;
    let last = first + 2_100;
    let token = Some(pair.sales_lead.token.as_str());
    let ranked = app.get("/api/v1/requests?q=globex&limit=3", token).await;
    assert_eq!(ranked.status, Status::Ok, "{}", ranked.body);
    let shown = item_ids(&ranked.body);
    assert_eq!(shown, [last - 1_999, last - 1_998, last - 1_997]);
    // The CSV of the list (by id) still holds every match.
    let csv = app
        .client
        .get("/api/v1/requests?q=globex")
        .header(rocket::http::Accept::CSV)
        .header(rocket::http::Header::new(
            "Authorization",
            format!("Bearer {}", pair.sales_lead.token),
        ))
        .dispatch()
        .await;
    assert_eq!(csv.status(), Status::Ok);
    let text = csv.into_string().await.unwrap_or_default();
    assert_eq!(text.lines().count(), 1 + 2_101, "a header and every match");
}

/// Every id of `query`'s list, page after page of `limit`.
async fn every_page(app: &TestApp, token: &str, query: &str, limit: usize) -> Vec<i64> {
    let (mut all, mut cursor) = (Vec::new(), None::<String>);
    loop {
        let after = cursor.map(|c| format!("&cursor={c}")).unwrap_or_default();
        let page = app
            .get(
                &format!("/api/v1/requests?{query}&limit={limit}{after}"),
                Some(token),
            )
            .await;
        assert_eq!(page.status, Status::Ok, "{query}: {}", page.body);
        let items = item_ids(&page.body);
        assert!(items.len() <= limit);
        all.extend(items);
        match page.body["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return all,
        }
    }
}

/// A list by due date reads a narrow window (up to twenty thousand) by id
/// from a due-date index and walks a wider one in id order, and overdue
/// requests status by status: each pages through exactly the window, in id
/// order, at any depth.
#[rocket::async_test]
async fn a_due_window_pages_in_id_order_whether_narrow_or_wider_than_twenty_thousand() {
    let app = spawn_app().await;
    let pair = app.pair().await;
    let agreement = app.active_agreement(&pair, 8.0, "business_hours").await;
    let now = Utc::now();
    let early = app
        .log_request(
            &pair.sales_staff,
            agreement,
            &(now - TimeDelta::days(30)).to_rfc3339(),
            &[],
        )
        .await;
    let first = int(&early["id"]);
    // 20,101 requests due a month ago, all overdue, then three due later.
    hub(&app, first, 20_100).await;
    let mut late = Vec::new();
    for _ in 0..3 {
        late.push(int(&app
            .log_request(&pair.sales_staff, agreement, &now.to_rfc3339(), &[])
            .await["id"]));
    }
    let wide: Vec<i64> = (first..=first + 20_100).collect();
    let early_due = early["due_at"].as_str().unwrap().replace('+', "%2B");
    let middle = (instant(&early["due_at"]) + TimeDelta::days(1))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    // Only the window, for the whole organisation: read from its index.
    let token = pair.admin.token.as_str();
    // Narrow windows, a page or less at a time.
    for (query, limit, expected) in [
        (format!("due_after={middle}"), 2, late.clone()),
        (format!("due_after={middle}&overdue=false"), 1, late.clone()),
        (format!("due_after={middle}&status=delivered"), 2, vec![]),
        ("due_after=2100-01-01T00:00:00Z".to_owned(), 5, vec![]),
    ] {
        assert_eq!(
            every_page(&app, token, &query, limit).await,
            expected,
            "{query}"
        );
    }
    // The wide window, every page of it.
    assert_eq!(
        every_page(&app, token, &format!("due_before={middle}"), 200).await,
        wide
    );
    // Overdue requests, read status by status: the one in progress comes
    // first, in id order with the open ones, at every depth.
    let started = app.act(&pair.legal_staff, first, "start", json!({})).await;
    assert_eq!(started.status, Status::Ok, "{}", started.body);
    assert_eq!(every_page(&app, token, "overdue=true", 200).await, wide);
    // Overdue within a window of dates: still due before now, whatever
    // the window's end.
    for (query, expected) in [
        ("overdue=true&due_before=2100-01-01T00:00:00Z", wide.clone()),
        (
            &*format!("overdue=true&due_after={early_due}"),
            wide.clone(),
        ),
        (&*format!("overdue=true&due_before={early_due}"), vec![]),
        (&*format!("overdue=true&due_after={middle}"), vec![]),
    ] {
        assert_eq!(
            every_page(&app, token, query, 200).await,
            expected,
            "{query}"
        );
    }
    // Another wide window, its first page.
    let query = format!("due_after={early_due}&due_before={middle}");
    let page = app
        .get(&format!("/api/v1/requests?{query}&limit=3"), Some(token))
        .await;
    assert_eq!(page.status, Status::Ok, "{query}: {}", page.body);
    let shown = item_ids(&page.body);
    assert_eq!(shown, wide[..3], "{query}");
    assert!(page.body["next_cursor"].is_string(), "{query}");
    // With another filter beside the window, it is walked by id along that
    // filter's own index: the same answers.
    let query = format!("due_after={middle}&status=open");
    assert_eq!(every_page(&app, token, &query, 1).await, late, "{query}");
    // Another organisation's admin reads none of it.
    let outsider = app.signup("Globex", "gil@globex.test").await;
    assert_eq!(
        every_page(&app, &outsider.token, "overdue=true", 50).await,
        Vec::<i64>::new()
    );
}

/// A lead's or staff member's list by due date holds what their department
/// provides and what it waits for, read from an index of due dates per
/// side: each pages through exactly the department's window, in id order,
/// at any depth, whether narrow (read by id) or wider than twenty thousand
/// (walked), overdue requests as any window.
#[rocket::async_test]
async fn a_departments_due_window_holds_what_it_provides_and_what_it_waits_for_at_any_depth() {
    let app = spawn_app().await;
    let pair = app.pair().await;
    // Legal provides contracts to Sales; Finance provides figures to Legal.
    let contracts = app.active_agreement(&pair, 8.0, "business_hours").await;
    let finance = app.create_department(&pair.admin, "FIN").await;
    let finance_lead = app
        .create_user(&pair.admin, "fay@acme.test", "lead", Some(finance))
        .await;
    let finance_staff = app
        .create_user(&pair.admin, "finn@acme.test", "staff", Some(finance))
        .await;
    let figures = app
        .agreement_between(
            (&finance_lead, finance),
            (&pair.legal_lead, pair.legal),
            8.0,
            "business_hours",
        )
        .await;
    let now = Utc::now();
    let month_ago = (now - TimeDelta::days(30)).to_rfc3339();
    // 20,101 contracts due a month ago, three figures due as long ago,
    // then two of each due later, taking turns.
    let early = app
        .log_request(&pair.sales_staff, contracts, &month_ago, &[])
        .await;
    let first = int(&early["id"]);
    hub(&app, first, 20_100).await;
    let contracts_early: Vec<i64> = (first..=first + 20_100).collect();
    let mut figures_early = Vec::new();
    for _ in 0..3 {
        let owed = app
            .log_request(&pair.legal_staff, figures, &month_ago, &[])
            .await;
        assert_eq!(owed["due_at"], early["due_at"], "due alike");
        figures_early.push(int(&owed["id"]));
    }
    let (mut later, mut contracts_later, mut figures_later) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..2 {
        let contract = int(&app
            .log_request(&pair.sales_staff, contracts, &now.to_rfc3339(), &[])
            .await["id"]);
        let figure = int(&app
            .log_request(&pair.legal_staff, figures, &now.to_rfc3339(), &[])
            .await["id"]);
        contracts_later.push(contract);
        figures_later.push(figure);
        later.extend([contract, figure]);
    }
    let middle = (instant(&early["due_at"]) + TimeDelta::days(1))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let after_middle = format!("due_after={middle}");
    let before_middle = format!("due_before={middle}");
    let legal_early: Vec<i64> = contracts_early
        .iter()
        .chain(&figures_early)
        .copied()
        .collect();
    let nothing = Vec::new();
    for (who, query, limit, expected) in [
        // Narrow windows, from both sides, a page or less at a time.
        (&pair.legal_lead, after_middle.as_str(), 1, &later),
        (&pair.legal_staff, after_middle.as_str(), 3, &later),
        (&pair.sales_lead, after_middle.as_str(), 1, &contracts_later),
        (&finance_lead, after_middle.as_str(), 1, &figures_later),
        (&finance_staff, before_middle.as_str(), 2, &figures_early),
        (&finance_lead, "overdue=true", 1, &figures_early),
        (&finance_lead, "due_after=2100-01-01T00:00:00Z", 5, &nothing),
        // Wide windows, walked: every page of them.
        (&pair.legal_lead, before_middle.as_str(), 200, &legal_early),
        (&pair.legal_lead, "overdue=true", 200, &legal_early),
        (&pair.sales_staff, "overdue=true", 200, &contracts_early),
    ] {
        assert_eq!(
            &every_page(&app, &who.token, query, limit).await,
            expected,
            "{query} read by user {}",
            who.user_id
        );
    }
}

#[rocket::async_test]
async fn an_agreements_figures_follow_deliveries_reopenings_and_deliveries_anew() {
    let app = spawn_app().await;
    let pair = app.pair().await;
    let agreement = app.active_agreement(&pair, 8.0, "business_hours").await;
    let r = int(&app
        .log_request(&pair.sales_staff, agreement, &Utc::now().to_rfc3339(), &[])
        .await["id"]);
    let figures = || async {
        app.get(
            &format!("/api/v1/agreements/{agreement}"),
            Some(&pair.sales_staff.token),
        )
        .await
        .body["figures"]
            .clone()
    };
    assert_eq!(
        figures().await,
        json!({"delivered": 0, "on_time": 0, "on_time_pct": null})
    );
    for (who, action, body) in [
        (&pair.legal_staff, "start", json!({})),
        (&pair.legal_staff, "deliver", json!({})),
    ] {
        let answer = app.act(who, r, action, body).await;
        assert_eq!(answer.status, Status::Ok, "{action}: {}", answer.body);
    }
    assert_eq!(
        figures().await,
        json!({"delivered": 1, "on_time": 1, "on_time_pct": 100.0})
    );
    let reopened = app
        .act(
            &pair.sales_staff,
            r,
            "reopen",
            json!({"reason": "clause 7 missing"}),
        )
        .await;
    assert_eq!(reopened.status, Status::Ok, "{}", reopened.body);
    assert_eq!(
        figures().await,
        json!({"delivered": 0, "on_time": 0, "on_time_pct": null})
    );
    for action in ["start", "deliver"] {
        let answer = app.act(&pair.legal_staff, r, action, json!({})).await;
        assert_eq!(answer.status, Status::Ok, "{action}: {}", answer.body);
    }
    assert_eq!(
        figures().await,
        json!({"delivered": 1, "on_time": 1, "on_time_pct": 100.0})
    );
}

/// An empty migrated SQLite database to plan statements on, and someone
/// with `role` in department 1 of organisation 1.
async fn planner(
    role: baton::identity::Role,
) -> (sea_orm::DatabaseConnection, baton::identity::AuthUser) {
    use baton::entities::ids::{DepartmentId, UserId};
    let db = baton::db::connect("sqlite::memory:", 1).await.unwrap();
    baton::db::migrate(&db).await.unwrap();
    let person = baton::identity::AuthUser {
        id: UserId(2),
        organisation_id: OrganisationId(1),
        role,
        department_id: Some(DepartmentId(1)),
    };
    (db, person)
}

/// The plan SQLite makes for `statement`, one line a step.
async fn plan_of(
    db: &sea_orm::DatabaseConnection,
    statement: &sea_orm::sea_query::SelectStatement,
) -> Vec<String> {
    let built = sea_orm::DbBackend::Sqlite.build(statement);
    let explain = sea_orm::Statement::from_sql_and_values(
        sea_orm::DbBackend::Sqlite,
        format!("EXPLAIN QUERY PLAN {}", built.sql),
        built.values.map(|values| values.0).unwrap_or_default(),
    );
    db.query_all_raw(explain)
        .await
        .unwrap()
        .iter()
        .map(|row| row.try_get::<String>("", "detail").unwrap())
        .collect()
}

/// A department page's open work, both ways, comes soonest due first from
/// an index of open requests alone, which also counts them (migration
/// 000013). The statuses must be written in the statement as the index's
/// condition writes them: when the two part, SQLite plans from another
/// index and counts every request of the organisation (a tenth of a second
/// a page at a million requests) while every answer stays the same.
#[rocket::async_test]
async fn a_departments_open_work_is_read_in_due_order_and_counted_from_its_own_index() {
    use baton::entities::ids::DepartmentId;
    use baton::identity::Role;
    use baton::services::Side;
    use baton::services::requests::Open;

    let (db, lead) = planner(Role::Lead).await;
    // Both lists come in one statement; each reads its own index.
    let statement = baton::services::requests::open_work_statement(
        &lead,
        &[
            Open::Department(DepartmentId(1), Side::Provider),
            Open::Department(DepartmentId(1), Side::Customer),
        ],
        25,
    )
    .expect("a lead reads their own department's open work");
    let plan = plan_of(&db, &statement).await;
    assert!(
        !plan.iter().any(|step| step.contains("TEMP B-TREE")),
        "nothing sorted: {plan:?}"
    );
    for index in [
        "idx_requests_provider_due_open",
        "idx_requests_customer_due_open",
    ] {
        let from_index = |step: &String| step.contains(&format!("INDEX {index} "));
        assert_eq!(
            plan.iter().filter(|step| from_index(step)).count(),
            2,
            "rows and count both from {index}: {plan:?}"
        );
        assert!(
            plan.iter()
                .any(|step| step.contains(&format!("COVERING INDEX {index} "))),
            "the count reads the index alone: {plan:?}"
        );
    }
}

/// A lead's or staff member's window of due dates is read from an index of
/// due dates per side of their department, one `UNION` of both, rather
/// than by walking the organisation in id order: a window of dates from
/// `idx_requests_*_due`, overdue requests from the indexes of open
/// requests by due date (`idx_requests_*_due_open`). With another filter
/// beside it, the list walks that filter's index and reads no window.
#[rocket::async_test]
async fn a_departments_due_window_is_read_from_an_index_per_side() {
    use baton::entities::request::RequestStatus;
    use baton::identity::Role;
    use baton::services::requests::{RequestFilter, due_window_statement};

    let (db, staff) = planner(Role::Staff).await;
    let due_after = Some(Utc::now());
    for (filter, index) in [
        (
            RequestFilter {
                due_after,
                ..RequestFilter::default()
            },
            "due",
        ),
        (
            RequestFilter {
                overdue: Some(true),
                ..RequestFilter::default()
            },
            "due_open",
        ),
    ] {
        let statement = due_window_statement(&staff, &filter).expect("a window alone");
        let plan = plan_of(&db, &statement).await;
        for side in ["provider", "customer"] {
            let index = format!("COVERING INDEX idx_requests_{side}_{index} ");
            assert!(
                plan.iter().any(|step| step.contains(&index)),
                "{side} side from its index alone: {plan:?}"
            );
        }
        assert!(
            !plan.iter().any(|step| step.contains("idx_requests_org_")),
            "not the organisation's: {plan:?}"
        );
    }
    let with_status = RequestFilter {
        due_after,
        status: Some(RequestStatus::Open),
        ..RequestFilter::default()
    };
    assert!(due_window_statement(&staff, &with_status).is_none());
}

/// A person's assigned open work (the home page) comes from the index of
/// their assignments, not in due order from the index of due dates, which
/// would walk the whole organisation: that index is partial, on a condition
/// that a comparison of due dates implies and an order by them does not
/// (`m20261207_000004_due_window`).
#[rocket::async_test]
async fn assigned_work_is_not_read_from_the_index_of_due_dates() {
    use baton::identity::Role;
    use baton::services::requests::Open;

    let (db, staff) = planner(Role::Staff).await;
    let statement = baton::services::requests::open_work_statement(&staff, &[Open::Assigned], 20)
        .expect("anyone reads their own assigned work");
    let plan = plan_of(&db, &statement).await;
    assert!(
        plan.iter()
            .any(|step| step.contains("idx_requests_assignee")),
        "{plan:?}"
    );
    assert!(
        !plan
            .iter()
            .any(|step| step.contains("idx_requests_org_due")),
        "{plan:?}"
    );
}

#[rocket::async_test]
async fn a_request_row_read_by_position_is_the_row_read_by_name() {
    use baton::entities::ids::UserId;
    use baton::entities::request::{RequestStatus, ServiceLevel};
    use baton::entities::request_row;
    use sea_orm::{QueryOrder, QuerySelect};

    let app = spawn_app().await;
    let pair = app.pair().await;
    let agreement = app.active_agreement(&pair, 8.0, "business_hours").await;
    let now = Utc::now();
    let logged = app
        .log_request(&pair.sales_staff, agreement, &now.to_rfc3339(), &[])
        .await;
    let plain = int(&logged["id"]);
    let full = int(&app
        .log_request(&pair.sales_staff, agreement, &now.to_rfc3339(), &[])
        .await["id"]);
    let db = baton::db::connect(&app.database_url, 1).await.unwrap();
    // Every column of `full` that may be empty holds a value, each time
    // unlike every other time, so that two columns read in each other's
    // place cannot agree.
    let row = request::Entity::find_by_id(RequestId(full))
        .one(&db)
        .await
        .unwrap()
        .unwrap();
    let at = |minutes: i64| Some(now + TimeDelta::minutes(minutes));
    let mut changed: request::ActiveModel = row.into();
    changed.status = Set(RequestStatus::Delivered);
    changed.status_before_pause = Set(Some(RequestStatus::WaitingOnCustomer));
    changed.paused_at = Set(at(1));
    changed.expected_at = Set(at(2));
    changed.delivered_at = Set(at(3));
    changed.lateness_minutes = Set(Some(-17));
    changed.on_time = Set(Some(true));
    changed.rating_score = Set(Some(9));
    changed.rating_comment = Set(Some("Quick and clear".into()));
    changed.overdue_notified_at = Set(at(4));
    changed.due_soon_at = Set(at(5));
    changed.due_soon_notified_at = Set(at(6));
    changed.escalate_at = Set(at(7));
    changed.escalated_at = Set(at(8));
    changed.assignee_user_id = Set(Some(UserId(pair.legal_staff.user_id)));
    changed.used_seconds = Set(Some(1_234));
    changed.agreed_seconds = Set(Some(5_678));
    changed.thanked = Set(true);
    changed.service_level = Set(Some(ServiceLevel::Delighted));
    changed.update(&db).await.unwrap();

    let everything = || request::Entity::find().order_by_asc(request::Column::Id);
    let by_name = everything().all(&db).await.unwrap();
    let by_place = request_row::all(&db, everything()).await.unwrap();
    assert_eq!(by_place, by_name);
    assert_eq!(
        by_name.iter().map(|row| row.id.0).collect::<Vec<_>>(),
        vec![plain, full]
    );
    let filled = &by_name[1];
    assert_eq!(filled.service_level, Some(ServiceLevel::Delighted));
    assert_eq!(
        filled.assignee_user_id,
        Some(UserId(pair.legal_staff.user_id))
    );
    assert_eq!(by_name[0].paused_at, None);
    let one = request_row::one(&db, request::Entity::find_by_id(RequestId(full)))
        .await
        .unwrap();
    assert_eq!(one.as_ref(), Some(filled));

    // A statement of another shape is refused, not read out of place.
    let narrow = request::Entity::find()
        .select_only()
        .column(request::Column::Id)
        .column(request::Column::Title);
    let refused = request_row::all(&db, narrow).await.unwrap_err();
    assert!(refused.to_string().contains("2 columns"), "{refused}");
    db.close().await.ok();
}

/// Reads draw from a pool of their own (`http::reads`): with the main
/// pool's one connection held, as a long write would hold it, the API's
/// list and the home page still answer, where a read from the main pool
/// would wait for that connection until its acquire timeout and fail.
/// PostgreSQL only: on SQLite the one pool serves both.
#[rocket::async_test]
async fn reads_answer_while_every_connection_of_the_main_pool_is_taken() {
    if std::env::var("BATON_TEST_POSTGRES_URL").map_or(true, |url| url.is_empty()) {
        return;
    }
    let app = crate::common::spawn_app_with(|config| baton::Config {
        db_max_connections: 1,
        db_read_connections: 2,
        ..config
    })
    .await;
    let admin = app.signup("Own pool", "ada@own-pool.test").await;
    let cookie = crate::pages::sign_in(&app, "ada@own-pool.test").await;
    let state = app
        .client
        .rocket()
        .state::<baton::state::AppState>()
        .expect("the application's state");
    let held = sea_orm::TransactionTrait::begin(&*state.pool)
        .await
        .expect("the main pool's one connection");

    let list = app.get("/api/v1/requests", Some(&admin.token)).await;
    assert_eq!(list.status, Status::Ok, "{}", list.body);
    let (status, home) = crate::pages::page(&app, &cookie, "/").await;
    assert_eq!(status, Status::Ok, "{home}");

    held.rollback().await.expect("the connection is given back");
}

/// The read pool of one connection and the main pool of two, on a fresh
/// PostgreSQL schema; `None` on SQLite, where nothing is held.
async fn pools_of_one_read_connection() -> Option<baton::db::Pool> {
    if std::env::var("BATON_TEST_POSTGRES_URL").map_or(true, |url| url.is_empty()) {
        return None;
    }
    let url = crate::common::fresh_database().await;
    let main = baton::db::connect(&url, 2).await.unwrap();
    Some(baton::db::Pool::reads(baton::db::read_pool(&main, 1), main))
}

/// One statement of `pool`'s, as a service would run it.
async fn one_statement(pool: &impl ConnectionTrait) {
    pool.execute_unprepared("SELECT 1")
        .await
        .expect("the statement runs");
}

/// A read's statements share one connection (`db::Pool`): from its first
/// statement until it ends, the read pool's one connection is the read's,
/// so another read waits for it; once the read gives it back (as a page
/// does when it starts rendering), the other goes on at once.
#[rocket::async_test]
async fn a_read_holds_its_connection_from_its_first_statement_until_it_gives_it_back() {
    let Some(pool) = pools_of_one_read_connection().await else {
        return;
    };
    let pool = std::sync::Arc::new(pool);
    for gives_back in [false, true] {
        let (first_read, other_may_start) = tokio::sync::oneshot::channel();
        let (other_read, other_done) = tokio::sync::oneshot::channel();
        let reader = pool.clone();
        let first = tokio::spawn(baton::db::as_read(async move {
            one_statement(&*reader).await;
            if gives_back {
                baton::db::give_back();
            }
            first_read.send(()).unwrap();
            // The read goes on after its statement (decoding, say): does
            // the other read get through meanwhile? Held, it cannot at all.
            let wait = std::time::Duration::from_millis(if gives_back { 10_000 } else { 300 });
            tokio::time::timeout(wait, other_done).await.is_ok()
        }));
        other_may_start.await.unwrap();
        let other = pool.clone();
        let other = tokio::spawn(baton::db::as_read(async move {
            one_statement(&*other).await;
            other_read.send(()).ok();
        }));
        let got_through = first.await.unwrap();
        other.await.unwrap();
        assert_eq!(
            got_through, gives_back,
            "the other read got through during the first: {got_through}, \
             the first gave its connection back: {gives_back}"
        );
    }
}

/// What reads through `&DatabaseConnection` inside a read goes to the main
/// pool: were it the read pool, a read holding its pool's last connection
/// would wait for a second one for ever (until the acquire timeout).
#[rocket::async_test]
async fn a_read_holding_the_last_read_connection_still_reaches_the_main_pool() {
    let Some(pool) = pools_of_one_read_connection().await else {
        return;
    };
    let started = std::time::Instant::now();
    baton::db::as_read(async {
        one_statement(&pool).await;
        let main: &sea_orm::DatabaseConnection = &pool;
        one_statement(main).await;
        one_statement(&pool).await;
    })
    .await;
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "no statement waited for a connection: {:?}",
        started.elapsed()
    );
}
