//! End to end in headless Chromium against the real server: a staff member
//! logs a request, the provider's staff forecast it late, the customer's
//! lead sees it overdue, and a leader sees the commitment at risk with the
//! department that caused it named and the provider's department page
//! listing what it owes; then a lead drafts an agreement through the form,
//! is told next to the field what is wrong, checks the turnaround and saves
//! the draft. Screenshots of each page are written to `target/screenshots/`
//! for review.
//!
//! Needs Debian's `chromium` and `chromium-driver` (`.ci/run` installs them
//! and sets `BATON_BROWSER_TESTS=1`); without that variable the test says so
//! and returns, so `cargo test` still passes on a machine without a browser.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::common::{PASSWORD, id_of, instant, int, spawn_app};
use chrono::{TimeDelta, Utc};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .expect("a free port")
}

async fn wait_for_port(port: u16) {
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("nothing listens on port {port}");
}

/// Kills chromedriver when the test ends, however it ends.
struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
    }
}

async fn browser(driver_port: u16) -> Client {
    let mut capabilities = serde_json::Map::new();
    capabilities.insert(
        "goog:chromeOptions".into(),
        json!({"binary": "/usr/bin/chromium", "args": [
            "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--window-size=1280,1000"]}),
    );
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(capabilities)
        .connect(&format!("http://127.0.0.1:{driver_port}"))
        .await
        .expect("a WebDriver session")
}

async fn screenshot(client: &Client, name: &str) {
    let png = client.screenshot().await.expect("screenshot");
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/target/screenshots");
    std::fs::create_dir_all(dir).expect("screenshot dir");
    std::fs::write(format!("{dir}/{name}.png"), png).expect("screenshot written");
}

async fn sign_in(client: &Client, base: &str, email: &str) {
    sign_in_with(client, base, email, PASSWORD).await;
}

async fn sign_in_with(client: &Client, base: &str, email: &str, password: &str) {
    client
        .goto(&format!("{base}/login"))
        .await
        .expect("login page");
    let form = client
        .form(Locator::Css("form[action='/login']"))
        .await
        .expect("login form");
    form.set_by_name("email", email).await.expect("email");
    form.set_by_name("password", password)
        .await
        .expect("password");
    form.submit_with(Locator::Css("button[type='submit']"))
        .await
        .expect("sign in");
    client
        .wait()
        .for_element(Locator::Css("nav.app"))
        .await
        .expect("the home page");
    let page = client.source().await.expect("home");
    assert!(page.contains("Sign out"), "{email} is signed in: {page}");
}

async fn sign_out(client: &Client) {
    let form = client
        .form(Locator::Css("form[action='/logout']"))
        .await
        .expect("logout form");
    form.submit().await.expect("sign out");
    client
        .wait()
        .for_element(Locator::Css("form[action='/login']"))
        .await
        .expect("the login page");
}

/// The real server on `database_url` (attachments kept in `files`, when
/// given), listening on a free port: its base URL.
async fn serve(database_url: String, files: Option<&std::path::Path>) -> String {
    let port = free_port();
    let attachments_url = files.map(|dir| format!("file://{}", dir.display()));
    tokio::spawn(async move {
        let config = baton::Config {
            port,
            database_url: database_url.clone(),
            secret: Some("test-secret-that-is-long-enough-for-hs256-0123456789".into()),
            log: "off".into(),
            attachments_url,
            ..baton::Config::default()
        };
        let pool = baton::db::connect(&database_url, 4).await.expect("pool");
        let key = config.signing_key().expect("key");
        let _ = baton::rocket(config, pool, &key).launch().await;
    });
    wait_for_port(port).await;
    format!("http://127.0.0.1:{port}")
}

/// chromedriver and a headless Chromium session driven by it.
async fn open_browser() -> (Driver, Client) {
    let driver_port = free_port();
    let driver = Driver(
        Command::new("chromedriver")
            .arg(format!("--port={driver_port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts"),
    );
    wait_for_port(driver_port).await;
    (driver, browser(driver_port).await)
}

fn browser_tests_wanted() -> bool {
    let wanted = std::env::var("BATON_BROWSER_TESTS").as_deref() == Ok("1");
    if !wanted {
        eprintln!(
            "browser test not run: set BATON_BROWSER_TESTS=1 with chromium and chromium-driver installed"
        );
    }
    wanted
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_late_handoff_is_seen_by_the_customer_and_by_leadership_in_the_browser() {
    if !browser_tests_wanted() {
        return;
    }
    // One instance seeds through the API; the real server shares its database.
    let seed = spawn_app().await;
    let pair = seed.pair().await;
    let agreement = seed.active_agreement(&pair, 0.0, "calendar_hours").await;
    let base = serve(seed.database_url.clone(), None).await;
    let (_driver, client) = open_browser().await;

    // Sales staff log a request.
    sign_in(&client, &base, "sam@acme.test").await;
    screenshot(&client, "home-staff").await;
    // A wrong address is a page with the way home, not a problem document.
    client.goto(&format!("{base}/no/such/page")).await.unwrap();
    let lost = client.source().await.unwrap();
    assert!(
        lost.contains("Nothing here") && lost.contains("<nav"),
        "{lost}"
    );
    screenshot(&client, "not-found").await;
    client
        .goto(&format!("{base}/requests/new?agreement={agreement}"))
        .await
        .unwrap();
    let form = client
        .form(Locator::Css("form[action='/requests']"))
        .await
        .unwrap();
    form.set_by_name("title", "NDA for Globex").await.unwrap();
    form.submit_with(Locator::Css("button[type='submit']"))
        .await
        .unwrap();
    client
        .wait()
        .for_element(Locator::Css("ol.timeline"))
        .await
        .expect("the new request's page");
    let url = client.current_url().await.unwrap();
    let request_id: i64 = url
        .path()
        .trim_start_matches("/requests/")
        .parse()
        .expect("redirected to the new request");
    screenshot(&client, "request-logged").await;
    sign_out(&client).await;
    // A turnaround of 0 hours is due at the logged instant rounded up to a
    // whole second; the pages below call it overdue only once that has passed.
    let logged = seed
        .get(
            &format!("/api/v1/requests/{request_id}"),
            Some(&pair.sales_lead.token),
        )
        .await;
    if let Ok(wait) =
        (instant(&logged.body["due_at"]) - Utc::now() + TimeDelta::milliseconds(10)).to_std()
    {
        tokio::time::sleep(wait).await;
    }

    // Sales promised Globex something that needs it.
    let commitment = seed
        .post(
            "/api/v1/commitments",
            Some(&pair.sales_lead.token),
            json!({"customer_name": "Globex", "title": "Go-live", "promised_at": (Utc::now() + TimeDelta::days(2)).to_rfc3339(),
                   "owner_department_id": pair.sales, "depends_on": [request_id]}),
        )
        .await;
    let commitment_id = id_of(&commitment);

    // Legal staff forecast it ten days late.
    sign_in(&client, &base, "lars@acme.test").await;
    client
        .goto(&format!("{base}/requests/{request_id}"))
        .await
        .unwrap();
    let expected = (Utc::now() + TimeDelta::days(10))
        .with_timezone(&chrono_tz::Europe::Berlin)
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    // A blank reason (spaces pass the browser's own check) is refused
    // beside the field, in the forecast form, with the date kept.
    let form = client
        .form(Locator::Css("form[aria-label='forecast']"))
        .await
        .unwrap();
    form.set_by_name("expected_at", &expected).await.unwrap();
    form.set_by_name("reason", "   ").await.unwrap();
    form.submit_with(Locator::Css("button[value='forecast']"))
        .await
        .unwrap();
    let message = client
        .wait()
        .for_element(Locator::Css(
            "form[aria-label='forecast'] #forecast-reason-error",
        ))
        .await
        .expect("the reason's message beside it");
    assert!(
        message.text().await.unwrap().contains("must not be empty"),
        "{}",
        client.source().await.unwrap()
    );
    screenshot(&client, "request-move-refused").await;
    let form = client
        .form(Locator::Css("form[aria-label='forecast']"))
        .await
        .unwrap();
    let kept = client
        .find(Locator::Css("#forecast-expected_at"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap();
    assert_eq!(kept.as_deref(), Some(expected.as_str()), "the date is kept");
    form.set_by_name("reason", "Partner on holiday")
        .await
        .unwrap();
    form.submit_with(Locator::Css("button[value='forecast']"))
        .await
        .unwrap();
    // Wait for the forecast's entry at the end of the timeline: the refused
    // page still on screen already holds a `p.flash` (the forecast form's
    // own problem), and waiting for that raced the next page's load.
    client
        .wait()
        .for_element(Locator::XPath(
            "//ol[@class='timeline']/li[contains(., 'Partner on holiday')]",
        ))
        .await
        .expect("the forecast on the timeline");
    let page = client.source().await.unwrap();
    assert!(
        page.contains("Saved.") && page.contains("Partner on holiday"),
        "{page}"
    );
    screenshot(&client, "request-forecast").await;
    sign_out(&client).await;

    // The customer's lead sees it overdue among what Sales waits for.
    sign_in(&client, &base, "sara@acme.test").await;
    let home = client.source().await.unwrap();
    let waiting = home.split("What we wait for").nth(1).unwrap_or_default();
    assert!(
        waiting.contains("NDA for Globex") && waiting.contains("overdue"),
        "{home}"
    );
    screenshot(&client, "home-customer-lead").await;
    // She takes late forecasts as a daily digest from now on.
    client.goto(&format!("{base}/preferences")).await.unwrap();
    client
        .find(Locator::Css(
            "input[name='mode[forecast_late]'][value='digest']",
        ))
        .await
        .expect("the digest choice")
        .click()
        .await
        .unwrap();
    client
        .form(Locator::Css("form[action='/preferences']"))
        .await
        .unwrap()
        .submit_with(Locator::Css("button[type='submit']"))
        .await
        .unwrap();
    // The page after the post, not the one it was posted from.
    client
        .wait()
        .for_element(Locator::Css("p.flash"))
        .await
        .expect("the saved page");
    let saved = client.source().await.unwrap();
    assert!(saved.contains("your mail follows these choices"), "{saved}");
    assert!(
        client
            .find(Locator::Css(
                "input[name='mode[forecast_late]'][value='digest']:checked"
            ))
            .await
            .is_ok(),
        "{saved}"
    );
    screenshot(&client, "preferences").await;
    sign_out(&client).await;
    client
        .find(Locator::Css("a[href='/password/forgot']"))
        .await
        .expect("the way to a forgotten password")
        .click()
        .await
        .unwrap();
    client
        .wait()
        .for_element(Locator::Css("form[action='/password/forgot']"))
        .await
        .expect("the forgotten-password page");
    screenshot(&client, "password-forgot").await;

    // A leader sees the commitment at risk, and Legal named as the cause.
    sign_in(&client, &base, "leo@acme.test").await;
    let home = client.source().await.unwrap();
    assert!(home.contains("Go-live") && home.contains("late"), "{home}");
    let sources = home
        .split("Top sources of delay")
        .nth(1)
        .unwrap_or_default();
    assert!(sources.contains("Department LEGAL"), "{home}");
    screenshot(&client, "home-leader").await;
    client
        .goto(&format!("{base}/commitments/{commitment_id}"))
        .await
        .unwrap();
    let page = client.source().await.unwrap();
    let why = page.split("<h2>Why</h2>").nth(1).unwrap_or_default();
    assert!(why.contains("Department LEGAL's own delay"), "{page}");
    screenshot(&client, "commitment").await;
    client
        .goto(&format!("{base}/agreements/{agreement}"))
        .await
        .unwrap();
    screenshot(&client, "agreement").await;

    // Legal's department page lists the overdue request it owes.
    client
        .goto(&format!("{base}/departments/{}", pair.legal))
        .await
        .unwrap();
    let page = client.source().await.unwrap();
    let owes = page
        .split("Requests it owes")
        .nth(1)
        .and_then(|rest| rest.split("Requests it waits for").next())
        .unwrap_or_default();
    assert!(
        owes.contains("NDA for Globex") && owes.contains("overdue"),
        "{page}"
    );
    assert!(page.contains("Contract review") && !page.contains("Go-live"));
    screenshot(&client, "department").await;
    // The same page on a phone-sized screen.
    client.set_window_size(390, 900).await.unwrap();
    screenshot(&client, "department-narrow").await;
    client.set_window_size(1280, 1000).await.unwrap();
    client
        .goto(&format!("{base}/departments/{}", pair.sales))
        .await
        .unwrap();
    let page = client.source().await.unwrap();
    assert!(
        page.contains("Go-live"),
        "Sales owns the commitment: {page}"
    );
    sign_out(&client).await;

    // Legal's lead drafts an agreement: a refusal is explained beside the
    // field, with the focus there and what was typed kept.
    sign_in(&client, &base, "lena@acme.test").await;
    client
        .find(Locator::LinkText("Agreements"))
        .await
        .expect("a nav link to the agreements")
        .click()
        .await
        .unwrap();
    client
        .find(Locator::LinkText("Draft a new agreement"))
        .await
        .expect("a link from the list to the form")
        .click()
        .await
        .unwrap();
    let form = client
        .form(Locator::Css("form[action='/agreements']"))
        .await
        .expect("the new-agreement form");
    let legal = pair.legal.to_string();
    form.set_by_name("customer_department_id", &legal)
        .await
        .unwrap();
    form.set_by_name("title", "Data-protection review")
        .await
        .unwrap();
    form.set_by_name("deliverable", "Signed DPA").await.unwrap();
    form.set_by_name("definition_of_done", "Every clause checked")
        .await
        .unwrap();
    form.set_by_name("amount", "3").await.unwrap();
    form.submit_with(Locator::Css("button[value='save']"))
        .await
        .unwrap();
    let message = client
        .wait()
        .for_element(Locator::Css("#customer_department_id-error"))
        .await
        .expect("the message beside the customer field");
    assert_eq!(
        message.text().await.unwrap(),
        "a department cannot owe itself"
    );
    let focused = client.active_element().await.unwrap();
    assert_eq!(
        focused.attr("id").await.unwrap().as_deref(),
        Some("customer_department_id"),
        "the field in error has the focus"
    );
    let title = client.find(Locator::Id("title")).await.unwrap();
    assert_eq!(
        title.prop("value").await.unwrap().as_deref(),
        Some("Data-protection review")
    );
    screenshot(&client, "agreement-new-refused").await;

    // Corrected, the turnaround is checked against Legal's deliveries.
    let form = client
        .form(Locator::Css("form[action='/agreements']"))
        .await
        .unwrap();
    let sales = pair.sales.to_string();
    form.set_by_name("customer_department_id", &sales)
        .await
        .unwrap();
    form.submit_with(Locator::Css("button[value='check']"))
        .await
        .unwrap();
    let calibration = client
        .wait()
        .for_element(Locator::Id("calibration"))
        .await
        .expect("the calibration of the turnaround");
    let text = calibration.text().await.unwrap();
    assert!(
        text.contains("How often would Department LEGAL have met 3 business days?"),
        "{text}"
    );
    screenshot(&client, "agreement-new-check").await;
    let form = client
        .form(Locator::Css("form[action='/agreements']"))
        .await
        .unwrap();
    form.submit_with(Locator::Css("button[value='save']"))
        .await
        .unwrap();
    client
        .wait()
        .for_element(Locator::Css("p.flash.success"))
        .await
        .expect("the saved draft");
    let page = client.source().await.unwrap();
    assert!(
        page.contains("Draft saved") && page.contains("Data-protection review"),
        "{page}"
    );
    assert!(
        client
            .current_url()
            .await
            .unwrap()
            .path()
            .starts_with("/agreements/")
    );
    screenshot(&client, "agreement-draft").await;
    client.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_departments_work_a_request_together_and_find_it_again_by_a_word_said_about_it() {
    if !browser_tests_wanted() {
        return;
    }
    let seed = spawn_app().await;
    let pair = seed.pair().await;
    let agreement = seed.active_agreement(&pair, 8.0, "calendar_hours").await;
    let now = Utc::now().to_rfc3339();
    let request_id = int(&seed
        .log_request(&pair.sales_staff, agreement, &now, &[])
        .await["id"]);
    // Another request, which the search below must leave out.
    seed.log_request(&pair.sales_staff, agreement, &now, &[])
        .await;
    let files = std::env::temp_dir()
        .join("baton-browser-files")
        .join(baton::config::random_hex(8));
    let base = serve(seed.database_url.clone(), Some(&files)).await;
    let (_driver, client) = open_browser().await;

    // Legal's staff member takes the request: the select of Legal's people.
    sign_in(&client, &base, "lars@acme.test").await;
    client
        .goto(&format!("{base}/requests/{request_id}"))
        .await
        .unwrap();
    client
        .find(Locator::Css("#assign-assignee_user_id"))
        .await
        .expect("the assignee select")
        .select_by_value(&pair.legal_staff.user_id.to_string())
        .await
        .unwrap();
    client
        .find(Locator::Css(
            "form[aria-label='Assign'] button[type='submit']",
        ))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    client
        .wait()
        .for_element(Locator::XPath(
            "//dt[.='Assigned to']/following-sibling::dd[1][.='lars@acme.test']",
        ))
        .await
        .expect("the request assigned to Lars");

    // A question in the conversation, at its bottom.
    let form = client
        .form(Locator::Css("form[aria-label='Add a comment']"))
        .await
        .unwrap();
    form.set_by_name(
        "body",
        "Is the indemnity clause capped for @sara@acme.test?",
    )
    .await
    .unwrap();
    form.submit_with(Locator::Css("button[type='submit']"))
        .await
        .unwrap();
    let said = client
        .wait()
        .for_element(Locator::Css("ol.conversation li:last-child .comment-body"))
        .await
        .expect("the comment on the page");
    assert_eq!(
        said.text().await.unwrap(),
        "Is the indemnity clause capped for @sara@acme.test?"
    );

    // The draft contract, uploaded through the form and downloaded again.
    let contract = files.with_extension("draft-contract.txt");
    std::fs::create_dir_all(&files).unwrap();
    std::fs::write(&contract, "Clause 7: indemnity, capped at EUR 1m.\n").unwrap();
    client
        .find(Locator::Css("#attach-file"))
        .await
        .unwrap()
        .send_keys(&contract.display().to_string())
        .await
        .unwrap();
    client
        .find(Locator::Css(
            "form[aria-label='attach'] button[type='submit']",
        ))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let link = client
        .wait()
        .for_element(Locator::Css("table.files a"))
        .await
        .expect("the file listed on the request");
    let name = contract.file_name().unwrap().to_string_lossy().into_owned();
    assert_eq!(link.text().await.unwrap(), name);
    let href = link.attr("href").await.unwrap().expect("a download link");
    let fetched = client
        .execute(
            "return fetch(arguments[0]).then(r => r.text().then(body => \
                 [r.status, r.headers.get('content-disposition'), body]));",
            vec![json!(href)],
        )
        .await
        .expect("the file fetched in the page");
    assert_eq!(fetched[0], 200, "{fetched}");
    assert!(
        fetched[1]
            .as_str()
            .unwrap_or_default()
            .starts_with("attachment;")
            && fetched[1].as_str().unwrap_or_default().contains(&name),
        "{fetched}"
    );
    assert_eq!(fetched[2], "Clause 7: indemnity, capped at EUR 1m.\n");
    screenshot(&client, "request-together").await;

    // Lars's home page lists it as his.
    client.goto(&format!("{base}/")).await.unwrap();
    let home = client.source().await.unwrap();
    let mine = home.split("Assigned to me").nth(1).unwrap_or_default();
    assert!(mine.contains(&format!("/requests/{request_id}")), "{home}");
    sign_out(&client).await;

    // On the customer side, Sales's lead finds it again by a word of the comment.
    sign_in(&client, &base, "sara@acme.test").await;
    client
        .find(Locator::LinkText("Requests"))
        .await
        .expect("the request list in the navigation")
        .click()
        .await
        .unwrap();
    let form = client
        .form(Locator::Css("form[aria-label='Find requests']"))
        .await
        .expect("the search form");
    form.set_by_name("q", "indemnity").await.unwrap();
    form.submit().await.unwrap();
    client
        .wait()
        .for_element(Locator::XPath("//caption[.='Best matches first']"))
        .await
        .expect("the search results");
    let rows = client.find_all(Locator::Css("tbody tr")).await.unwrap();
    assert_eq!(rows.len(), 1, "{}", client.source().await.unwrap());
    let found = rows[0].text().await.unwrap();
    assert!(found.starts_with(&format!("#{request_id} ")), "{found}");
    assert!(
        found.contains("lars@acme.test"),
        "the assignee is shown: {found}"
    );
    screenshot(&client, "requests-search").await;
    client.close().await.unwrap();
    let _ = std::fs::remove_dir_all(&files);
    let _ = std::fs::remove_file(&contract);
}

/// axe-core from the npm registry, which `.ci/run` unpacks under `target/axe`
/// (`npm pack axe-core@4.14.1`).
fn axe_source() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/target/axe/package/axe.min.js");
    std::fs::read_to_string(path).unwrap_or_else(|_| {
        panic!(
            "{path} is missing: unpack axe-core there as .ci/run does (npm pack axe-core@4.14.1)"
        )
    })
}

/// The serious and critical accessibility violations axe finds on the open
/// page, one line each with the elements concerned.
async fn axe_violations(client: &Client, axe: &str) -> Vec<String> {
    client.execute(axe, vec![]).await.expect("axe loads");
    let found = client
        .execute_async(
            r#"const done = arguments[arguments.length - 1];
               axe.run(document, {resultTypes: ['violations']})
                 .then(r => done(r.violations
                   .filter(v => v.impact === 'serious' || v.impact === 'critical')
                   .map(v => v.impact + ' ' + v.id + ': ' + v.help + ' at '
                        + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', '))))
                 .catch(e => done(['axe failed: ' + e]));"#,
            vec![],
        )
        .await
        .expect("axe runs");
    found
        .as_array()
        .map(|list| {
            list.iter()
                .filter_map(|item| item.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// Links and controls of the open page that Tab never reaches (taken out
/// of the tab order, or hidden from view while enabled).
async fn unreachable_by_keyboard(client: &Client) -> Vec<String> {
    let found = client
        .execute(
            r#"return Array.from(document.querySelectorAll(
                 'a[href], button, input:not([type=hidden]), select, textarea'))
               .filter(e => !e.disabled && (e.tabIndex < 0 || e.getClientRects().length === 0))
               .map(e => e.outerHTML.slice(0, 160));"#,
            vec![],
        )
        .await
        .expect("the controls are listed");
    found
        .as_array()
        .map(|list| {
            list.iter()
                .filter_map(|item| item.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// The first link on the open page whose path is `prefix` and a number.
async fn first_numbered_link(client: &Client, prefix: &str) -> Option<String> {
    let html = client.source().await.ok()?;
    html.split(&format!("href=\"{prefix}"))
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .find(|id| !id.is_empty() && id.chars().all(|c| c.is_ascii_digit()))
        .map(|id| format!("{prefix}{id}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_roles_pages_in_the_demo_pass_axe_and_are_photographed_on_desk_and_phone() {
    if !browser_tests_wanted() {
        return;
    }
    const DEMO_PASSWORD: &str = "baton-demo-2026";
    let axe = axe_source();
    let server = tokio::task::spawn_blocking(|| {
        let dir = crate::common::server::scratch_dir("browser-demo");
        let url = format!("sqlite://{}/demo.db?mode=rwc", dir.display());
        crate::common::server::Server::start_demo(
            &url,
            &dir,
            &[("BATON_OVERDUE_SWEEP_SECONDS", "0")],
        )
    })
    .await
    .expect("the demo server starts");
    let base = format!("http://127.0.0.1:{}", server.port);
    let (status, login) = server
        .post(
            "/api/v1/auth/login",
            None,
            &json!({"email": "admin@demo.baton.test", "password": DEMO_PASSWORD}),
        )
        .expect("login");
    assert_eq!(status, 200, "{login}");
    let token = login["token"].as_str().unwrap().to_owned();
    let (_, users) = server
        .get("/api/v1/users?limit=200", Some(&token))
        .expect("users");
    let email_of = |role: &str| {
        users["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|user| user["role"] == role)
            .and_then(|user| user["email"].as_str())
            .unwrap_or_else(|| panic!("no {role} in the demo"))
            .to_owned()
    };
    let (_driver, client) = open_browser().await;
    let mut violations = Vec::new();
    for role in ["admin", "leader", "lead", "staff"] {
        sign_in_with(&client, &base, &email_of(role), DEMO_PASSWORD).await;
        let mut visit: Vec<(String, String)> = [
            ("home", "/"),
            ("requests", "/requests"),
            ("agreements", "/agreements"),
            ("commitments", "/commitments"),
            ("reviews", "/reviews"),
            ("pulses", "/pulses"),
            ("departments", "/departments"),
            ("reports", "/reports"),
            ("health", "/reports/health"),
            ("matrix", "/reports/matrix"),
            ("trend", "/reports/trend"),
            ("impact", "/reports/impact"),
            ("notifications", "/notifications"),
            ("preferences", "/preferences"),
            ("new-request", "/requests/new"),
        ]
        .into_iter()
        .map(|(name, path)| (name.to_owned(), path.to_owned()))
        .collect();
        if role == "admin" {
            for (name, path) in [
                ("admin", "/admin"),
                ("admin-users", "/admin/users"),
                ("admin-calendars", "/admin/calendars"),
                ("admin-organisation", "/admin/organisation"),
            ] {
                visit.push((name.to_owned(), path.to_owned()));
            }
            client
                .goto(&format!("{base}/admin/calendars"))
                .await
                .unwrap();
            if let Some(path) = first_numbered_link(&client, "/admin/calendars/").await {
                visit.push(("admin-calendar".to_owned(), path));
            }
            client.goto(&format!("{base}/admin/users")).await.unwrap();
            if let Some(path) = first_numbered_link(&client, "/admin/users/").await {
                visit.push(("admin-user".to_owned(), path));
            }
        }
        for (name, list, prefix) in [
            ("request", "/requests", "/requests/"),
            ("agreement", "/agreements", "/agreements/"),
            ("commitment", "/commitments", "/commitments/"),
            ("review", "/reviews", "/reviews/"),
            ("department", "/departments", "/departments/"),
        ] {
            client.goto(&format!("{base}{list}")).await.unwrap();
            if let Some(path) = first_numbered_link(&client, prefix).await {
                visit.push((name.to_owned(), path));
            }
        }
        let photographed = [
            "home",
            "requests",
            "request",
            "commitment",
            "reports",
            "health",
            "pulses",
            "admin",
            "admin-calendar",
        ];
        for (name, path) in &visit {
            client.goto(&format!("{base}{path}")).await.unwrap();
            client
                .wait()
                .for_element(Locator::Css("nav.app"))
                .await
                .unwrap_or_else(|_| panic!("{role} {path} has the navigation"));
            for found in axe_violations(&client, &axe).await {
                violations.push(format!("{role} {path}: {found}"));
            }
            for found in unreachable_by_keyboard(&client).await {
                violations.push(format!("{role} {path}: not reachable with Tab: {found}"));
            }
            if photographed.contains(&name.as_str()) {
                screenshot(&client, &format!("{role}-{name}-desktop")).await;
                client.set_window_size(390, 844).await.unwrap();
                screenshot(&client, &format!("{role}-{name}-phone")).await;
                client.set_window_size(1280, 1000).await.unwrap();
            }
        }
        sign_out(&client).await;
    }
    assert!(violations.is_empty(), "{}", violations.join("\n"));

    // The reports' period picker: a quick period and the dates typed.
    sign_in_with(&client, &base, &email_of("leader"), DEMO_PASSWORD).await;
    client
        .goto(&format!("{base}/reports/health"))
        .await
        .unwrap();
    client
        .find(Locator::LinkText("Last 12 months"))
        .await
        .expect("a quick period")
        .click()
        .await
        .unwrap();
    let url = client.current_url().await.unwrap();
    assert!(
        url.query()
            .is_some_and(|q| q.contains("from=") && q.contains("until=")),
        "{url}"
    );
    let form = client
        .form(Locator::Css("form.picker"))
        .await
        .expect("the period picker");
    client
        .execute(
            "document.getElementById('from').value = '2026-01-05'; document.getElementById('until').value = '2026-01-11';",
            vec![],
        )
        .await
        .unwrap();
    form.set_by_name("group_by", "customer").await.unwrap();
    form.submit_with(Locator::Css("button[type='submit']"))
        .await
        .unwrap();
    // The old page has a picker too: wait for the new address, not for an
    // element both pages share.
    let mut waited = 0;
    while !client
        .current_url()
        .await
        .unwrap()
        .query()
        .is_some_and(|q| q.contains("from=2026-01-05") && q.contains("group_by=customer"))
    {
        waited += 1;
        assert!(waited < 100, "the picked period never reached the address");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    client
        .wait()
        .for_element(Locator::Css("form.picker"))
        .await
        .unwrap();
    let page = client.source().await.unwrap();
    assert!(
        page.contains("value=\"2026-01-05\"")
            && page.contains("value=\"2026-01-11\"")
            && page.contains("<option value=\"customer\" selected")
            && page.contains("Service health by customer"),
        "the picked period and grouping are shown: {page}"
    );
    screenshot(&client, "leader-health-picked").await;
}

/// The text of the calendar page's preview ("… are due …").
async fn preview_answer(client: &Client) -> String {
    client
        .find(Locator::Id("preview-answer"))
        .await
        .expect("the preview's answer")
        .text()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_adds_a_person_and_shortens_a_calendars_days_and_sees_work_fall_due_later() {
    if !browser_tests_wanted() {
        return;
    }
    let seed = spawn_app().await;
    let admin = seed.signup("Acme", "ada@acme.test").await;
    let legal = seed.create_department(&admin, "LEGAL").await.to_string();
    let calendar = seed.default_calendar(&admin).await;
    let base = serve(seed.database_url.clone(), None).await;
    let (_driver, client) = open_browser().await;

    sign_in(&client, &base, "ada@acme.test").await;
    client
        .find(Locator::LinkText("Administration"))
        .await
        .expect("the admin's nav link")
        .click()
        .await
        .unwrap();
    client
        .wait()
        .for_element(Locator::LinkText("People"))
        .await
        .expect("the administration page");
    screenshot(&client, "admin-index").await;
    client
        .find(Locator::LinkText("People"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();

    // A password too short is explained beside it, the rest kept.
    let form = client
        .form(Locator::Css("form[action='/admin/users']"))
        .await
        .expect("the add form");
    form.set_by_name("name", "Nora New").await.unwrap();
    form.set_by_name("email", "nora@acme.test").await.unwrap();
    form.set_by_name("role", "lead").await.unwrap();
    form.set_by_name("department_id", &legal).await.unwrap();
    form.set_by_name("password", "too-short").await.unwrap();
    form.submit_with(Locator::Css("button[type='submit']"))
        .await
        .unwrap();
    let message = client
        .wait()
        .for_element(Locator::Id("password-error"))
        .await
        .expect("the password's message");
    assert!(
        message
            .text()
            .await
            .unwrap()
            .contains("at least 12 characters")
    );
    let focused = client.active_element().await.unwrap();
    assert_eq!(
        focused.attr("id").await.unwrap().as_deref(),
        Some("password")
    );
    screenshot(&client, "admin-users-refused").await;
    let form = client
        .form(Locator::Css("form[action='/admin/users']"))
        .await
        .unwrap();
    form.set_by_name("password", PASSWORD).await.unwrap();
    form.submit_with(Locator::Css("button[type='submit']"))
        .await
        .unwrap();
    client
        .wait()
        .for_element(Locator::Css("p.flash.success"))
        .await
        .expect("the person added");
    let page = client.source().await.unwrap();
    assert!(page.contains("Nora New was added"), "{page}");
    screenshot(&client, "admin-users").await;
    let login = seed.login("nora@acme.test", PASSWORD).await;
    assert_eq!(login.status, rocket::http::Status::Ok, "{}", login.body);
    assert_eq!(login.body["user"]["role"], "lead");

    // The calendar: shorter days move the preview's due date later.
    client
        .goto(&format!("{base}/admin/calendars"))
        .await
        .unwrap();
    screenshot(&client, "admin-calendars").await;
    client
        .goto(&format!("{base}/admin/calendars/{calendar}"))
        .await
        .unwrap();
    let before = preview_answer(&client).await;
    assert!(
        before.contains("16 business hours from now are due"),
        "{before}"
    );
    screenshot(&client, "admin-calendar").await;
    let form = client
        .form(Locator::Css(&format!(
            "form[method='post'][action='/admin/calendars/{calendar}']"
        )))
        .await
        .expect("the calendar's form");
    for day in ["mon", "tue", "wed", "thu", "fri"] {
        form.set_by_name(day, "09:00–11:00").await.unwrap();
    }
    form.submit_with(Locator::Css("button[type='submit']"))
        .await
        .unwrap();
    client
        .wait()
        .for_element(Locator::Css("p.flash.success"))
        .await
        .expect("the calendar saved");
    let after = preview_answer(&client).await;
    assert_ne!(after, before, "the due date moved");
    assert!(
        after.contains("16 business hours from now are due"),
        "{after}"
    );
    // A holiday, through the date input.
    let form = client
        .form(Locator::Css(&format!(
            "form[action='/admin/calendars/{calendar}/holidays']"
        )))
        .await
        .expect("the holiday form");
    form.set_by_name("date", "2030-12-24").await.unwrap();
    form.set_by_name("name", "Christmas Eve").await.unwrap();
    form.submit_with(Locator::Css("button[type='submit']"))
        .await
        .unwrap();
    client
        .wait()
        .for_element(Locator::XPath(
            "//table[@class='holidays']//td[contains(., 'Christmas Eve')]",
        ))
        .await
        .expect("the holiday listed");
    // The whole page, holidays and import form included.
    client.set_window_size(1280, 1900).await.unwrap();
    screenshot(&client, "admin-calendar-saved").await;
    client.set_window_size(1280, 1000).await.unwrap();

    client
        .goto(&format!("{base}/admin/organisation"))
        .await
        .unwrap();
    screenshot(&client, "admin-organisation").await;
    client
        .goto(&format!("{base}/departments/{legal}/edit"))
        .await
        .unwrap();
    let page = client.source().await.unwrap();
    assert!(page.contains("Nora New"), "the new lead may chair: {page}");
    screenshot(&client, "admin-department-edit").await;
    client.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_answers_a_pulse_and_the_providers_lead_answers_back_in_the_browser() {
    if !browser_tests_wanted() {
        return;
    }
    let seed = spawn_app().await;
    let pair = seed.pair().await;
    seed.active_agreement(&pair, 16.0, "business_hours").await;
    let db = baton::db::connect(&seed.database_url, 2)
        .await
        .expect("database");
    let opened = baton::services::pulses::open_due(
        &db,
        &baton::services::calendars::CalendarCache::default(),
        Utc::now() + TimeDelta::weeks(4) + TimeDelta::minutes(1),
    )
    .await
    .expect("sweep");
    assert_eq!(opened, 1);
    let base = serve(seed.database_url.clone(), None).await;
    let (_driver, client) = open_browser().await;

    // Sales staff answer: a score and the one thing.
    sign_in(&client, &base, "sam@acme.test").await;
    client
        .find(Locator::LinkText("Pulse checks"))
        .await
        .expect("a nav link to the pulse checks")
        .click()
        .await
        .unwrap();
    let form = client
        .form(Locator::Css("form[action$='/answers']"))
        .await
        .expect("the answer form");
    form.set_by_name("score", "7").await.unwrap();
    form.set_by_name("one_thing", "Tell us early when a contract needs our input")
        .await
        .unwrap();
    screenshot(&client, "pulse-answer").await;
    form.submit_with(Locator::Css("button[type='submit']"))
        .await
        .unwrap();
    client
        .wait()
        .for_element(Locator::Css("p.flash.success"))
        .await
        .expect("the answer recorded");
    let page = client.source().await.unwrap();
    assert!(page.contains("7/10") && page.contains("(you)"), "{page}");
    sign_out(&client).await;

    // Legal's lead reads who said it and answers back.
    sign_in(&client, &base, "lena@acme.test").await;
    client.goto(&format!("{base}/pulses")).await.unwrap();
    let page = client.source().await.unwrap();
    assert!(
        page.contains("Tell us early when a contract needs our input")
            && page.contains("(sam@acme.test)"),
        "{page}"
    );
    let form = client
        .form(Locator::Css("form[action$='/response']"))
        .await
        .expect("the answer-back form");
    form.set_by_name("response", "We will ask for your input on the first day")
        .await
        .unwrap();
    form.submit_with(Locator::Css("button[type='submit']"))
        .await
        .unwrap();
    client
        .wait()
        .for_element(Locator::Css("p.flash.success"))
        .await
        .expect("answered back");
    screenshot(&client, "pulse-answered-back").await;
    sign_out(&client).await;

    // Sales hear it.
    sign_in(&client, &base, "sam@acme.test").await;
    client.goto(&format!("{base}/notifications")).await.unwrap();
    let page = client.source().await.unwrap();
    assert!(
        page.contains("We will ask for your input on the first day"),
        "{page}"
    );
    client.close().await.unwrap();
}
