//! The demonstration organisation crawled as each of the four roles sees it:
//! from the home page, every link followed (a sample of each kind of page:
//! a few requests, not all of them), and every page must answer 200, carry
//! the navigation, and speak people's words: no API word such as
//! `in_progress` or `own_slip` anywhere in its visible text.
//!
//! Downloads (CSV, calendar feeds, files) and the API are not pages and are
//! not followed; the sign-out form is a form, not a link.

use std::collections::{BTreeMap, HashSet, VecDeque};

use serde_json::{Value, json};

use crate::common::server::{Server, page, scratch_dir};

const DEMO_ADMIN_EMAIL: &str = "admin@demo.baton.test";
const DEMO_PASSWORD: &str = "baton-demo-2026";

/// Pages of one kind (same path shape, same query keys) visited at most.
const PER_KIND: usize = 3;

/// Every `href` of a page, its entities decoded.
fn links(html: &str) -> Vec<String> {
    html.split("href=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .map(|href| href.replace("&amp;", "&"))
        .collect()
}

/// Whether a link leads to a page of the application.
fn is_page(href: &str) -> bool {
    let path = href.split('?').next().unwrap_or_default();
    href.starts_with('/')
        && !href.starts_with("//")
        && !path.starts_with("/api/")
        && !path.starts_with("/files/")
        && !path.starts_with("/static/")
        && !path.ends_with(".csv")
        && !path.ends_with(".ics")
}

/// The kind of a page: its path with numbers as `#`, and its query keys.
fn kind(href: &str) -> String {
    let (path, query) = href.split_once('?').unwrap_or((href, ""));
    let shape: Vec<&str> = path
        .split('/')
        .map(|segment| {
            if !segment.is_empty() && segment.chars().all(|c| c.is_ascii_digit()) {
                "#"
            } else {
                segment
            }
        })
        .collect();
    let mut keys: Vec<&str> = query
        .split('&')
        .filter_map(|pair| pair.split('=').next())
        .filter(|key| !key.is_empty())
        .collect();
    keys.sort_unstable();
    keys.dedup();
    format!("{}?{}", shape.join("/"), keys.join("&"))
}

/// What a reader sees: the text outside tags, styles and scripts.
fn visible_text(html: &str) -> String {
    let mut html = html.to_owned();
    for tag in ["style", "script"] {
        while let Some(start) = html.find(&format!("<{tag}")) {
            let end = html[start..]
                .find(&format!("</{tag}>"))
                .map_or(html.len(), |end| start + end + tag.len() + 3);
            html.replace_range(start..end, " ");
        }
    }
    let mut text = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                text.push(' ');
            }
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    text
}

/// Words of the API in a page's text: lower-case words joined by `_`.
fn api_words(text: &str) -> Vec<String> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '@' || c == '.'))
        .filter(|word| !word.contains('@'))
        .filter(|word| {
            let parts: Vec<&str> = word.split('_').collect();
            parts.len() > 1
                && parts
                    .iter()
                    .all(|part| !part.is_empty() && part.chars().all(|c| c.is_ascii_lowercase()))
        })
        .map(str::to_owned)
        .collect()
}

/// Crawls from `/` as the holder of `session`; the problems found, by page.
fn crawl(server: &Server, session: &str) -> (usize, Vec<String>) {
    let mut problems = Vec::new();
    let mut queue = VecDeque::from(["/".to_owned()]);
    let mut seen: HashSet<String> = HashSet::from(["/".to_owned()]);
    let mut kinds: BTreeMap<String, usize> = BTreeMap::new();
    let mut visited = 0;
    while let Some(path) = queue.pop_front() {
        visited += 1;
        let (status, html) = page(server.port, &path, session).expect("the server answers");
        if status != 200 {
            problems.push(format!("{path}: status {status}"));
            continue;
        }
        if !html.contains("<nav class=\"app\"") {
            problems.push(format!("{path}: no navigation"));
        }
        let raw = api_words(&visible_text(&html));
        if !raw.is_empty() {
            problems.push(format!("{path}: API words {raw:?}"));
        }
        for href in links(&html) {
            if !is_page(&href) || seen.contains(&href) {
                continue;
            }
            let count = kinds.entry(kind(&href)).or_default();
            if *count >= PER_KIND {
                continue;
            }
            *count += 1;
            seen.insert(href.clone());
            queue.push_back(href);
        }
    }
    (visited, problems)
}

#[test]
fn every_role_crawls_the_demo_from_home_and_meets_only_pages_in_peoples_words() {
    let dir = scratch_dir("crawl");
    let url = format!("sqlite://{}/demo.db?mode=rwc", dir.display());
    let server = Server::start_demo(&url, &dir, &[("BATON_OVERDUE_SWEEP_SECONDS", "0")]);
    let login = |email: &str| {
        let (status, body) = server
            .post(
                "/api/v1/auth/login",
                None,
                &json!({"email": email, "password": DEMO_PASSWORD}),
            )
            .expect("login answers");
        assert_eq!(status, 200, "{email}: {body}");
        body["token"].as_str().expect("a token").to_owned()
    };
    let admin = login(DEMO_ADMIN_EMAIL);
    let (_, users) = server
        .get("/api/v1/users?limit=200", Some(&admin))
        .expect("users");
    let first_of = |role: &str| -> String {
        users["items"]
            .as_array()
            .expect("users")
            .iter()
            .find(|user| user["role"] == role && user["active"] != Value::Bool(false))
            .and_then(|user| user["email"].as_str())
            .unwrap_or_else(|| panic!("no {role} in the demo"))
            .to_owned()
    };
    let mut report = Vec::new();
    for role in ["admin", "leader", "lead", "staff"] {
        let session = if role == "admin" {
            admin.clone()
        } else {
            login(&first_of(role))
        };
        let (visited, problems) = crawl(&server, &session);
        assert!(visited > 20, "{role} reached only {visited} pages");
        eprintln!("{role}: {visited} pages, {} problems", problems.len());
        report.extend(
            problems
                .into_iter()
                .map(|problem| format!("{role}: {problem}")),
        );
    }
    assert!(report.is_empty(), "{}", report.join("\n"));
}

#[test]
fn the_crawler_sees_api_words_only_in_text_and_not_in_markup() {
    let html = "<style>.a_b{}</style><p class=\"at_risk\">At risk</p><p>in_progress</p><a href=\"x\">ada_b@x.test</a>";
    assert_eq!(api_words(&visible_text(html)), vec!["in_progress"]);
    assert_eq!(
        kind("/requests/12?cursor=x&status=open"),
        "/requests/#?cursor&status"
    );
    assert!(is_page("/requests?status=open") && !is_page("/requests/export.csv?x=1"));
}
