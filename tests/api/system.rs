//! Health, readiness, metrics and the OpenAPI document.

use crate::common;

use crate::common::{spawn_app, spawn_app_with};
use rocket::http::{Header, Status};

#[rocket::async_test]
async fn healthz_and_readyz_answer_when_the_database_does() {
    let app = spawn_app().await;
    assert_eq!(app.get("/healthz", None).await.status, Status::Ok);
    let ready = app.get("/readyz", None).await;
    assert_eq!(ready.status, Status::Ok);
    assert_eq!(ready.body["status"], "ready");
}

#[rocket::async_test]
async fn metrics_count_requests_by_route_and_status() {
    let app = spawn_app().await;
    app.get("/api/v1/users", None).await;
    app.get("/healthz", None).await;
    let response = app.client.get("/metrics").dispatch().await;
    assert_eq!(response.status(), Status::Ok);
    let text = response.into_string().await.unwrap();
    assert!(
        text.contains(r#"baton_http_requests_total{method="GET",route="/api/v1/users?<limit>&<cursor>&<department_id>",status="401"} 1"#),
        "{text}"
    );
    assert!(
        text.contains("baton_http_request_duration_seconds_bucket"),
        "{text}"
    );
}

#[rocket::async_test]
async fn metrics_need_the_metrics_token_when_one_is_set() {
    let app = common::spawn_app_with(|config| baton::Config {
        metrics_token: Some("scrape-me".into()),
        ..config
    })
    .await;
    assert_eq!(app.get("/metrics", None).await.status, Status::Unauthorized);
    let request = app
        .client
        .get("/metrics")
        .header(Header::new("Authorization", "Bearer scrape-me"));
    assert_eq!(request.dispatch().await.status(), Status::Ok);
}

#[rocket::async_test]
async fn the_openapi_document_lists_every_api_route() {
    let app = spawn_app().await;
    let answer = app.get("/api/v1/openapi.json", None).await;
    assert_eq!(answer.status, Status::Ok);
    assert!(answer.body["openapi"].as_str().unwrap().starts_with("3.1"));
    let paths = answer.body["paths"].as_object().unwrap();
    for (path, method) in [
        ("/api/v1/auth/signup", "post"),
        ("/api/v1/auth/login", "post"),
        ("/api/v1/users", "post"),
        ("/api/v1/users", "get"),
        ("/api/v1/users/{id}", "get"),
        ("/api/v1/users/{id}/deactivate", "post"),
        ("/api/v1/departments", "post"),
        ("/api/v1/departments/{id}", "patch"),
        ("/api/v1/calendars", "post"),
        ("/api/v1/calendars/{id}", "patch"),
        ("/api/v1/calendars/{id}/due", "get"),
        ("/api/v1/calendars/{id}/working-time", "get"),
        ("/api/v1/organisation", "patch"),
    ] {
        assert!(
            paths.get(path).and_then(|item| item.get(method)).is_some(),
            "{method} {path} missing"
        );
    }
    // Every mounted API route is documented (the document itself aside).
    let routes: Vec<_> = app
        .client
        .rocket()
        .routes()
        .filter(|route| {
            route.uri.base() == "/api/v1" && !route.uri.path().ends_with("openapi.json")
        })
        .map(|route| {
            (
                route.method.as_str().to_lowercase(),
                route.uri.path().replace('<', "{").replace('>', "}"),
            )
        })
        .collect();
    for (method, path) in routes {
        let documented = paths
            .get(path.as_str())
            .and_then(|item| item.get(&method))
            .is_some();
        assert!(documented, "{method} {path} is not in the OpenAPI document");
    }
}

#[rocket::async_test]
async fn the_docs_page_loads_its_assets_from_baton_itself() {
    let app = spawn_app().await;
    let page = app.client.get("/api/docs/").dispatch().await;
    assert_eq!(page.status(), Status::Ok);
    let html = page.into_string().await.unwrap();
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "outside resource in {html}"
    );
    for asset in ["/api/docs/swagger-ui-bundle.js", "/api/docs/swagger-ui.css"] {
        assert!(html.contains(asset));
        assert_eq!(app.client.get(asset).dispatch().await.status(), Status::Ok);
    }
}

/// Every operation of the served document, as (method, path, operation).
async fn documented_operations() -> Vec<(String, String, serde_json::Value)> {
    let app = spawn_app().await;
    let answer = app.get("/api/v1/openapi.json", None).await;
    assert_eq!(answer.status, Status::Ok);
    let paths = answer.body["paths"].as_object().unwrap().clone();
    let mut operations = Vec::new();
    for (path, item) in paths {
        for (method, operation) in item.as_object().unwrap() {
            if ["get", "put", "post", "delete", "patch"].contains(&method.as_str()) {
                operations.push((method.clone(), path.clone(), operation.clone()));
            }
        }
    }
    assert!(
        operations.len() > 60,
        "only {} operations",
        operations.len()
    );
    operations
}

#[rocket::async_test]
async fn every_secured_operation_documents_401_with_a_problem() {
    let mut secured = 0;
    for (method, path, operation) in documented_operations().await {
        let needs_token = operation["security"]
            .as_array()
            .is_some_and(|requirements| !requirements.is_empty());
        if needs_token {
            secured += 1;
            let unauthorised = &operation["responses"]["401"];
            assert!(
                unauthorised["content"]["application/problem+json"].is_object(),
                "{method} {path} does not document 401"
            );
            assert!(
                unauthorised["headers"]["WWW-Authenticate"].is_object(),
                "{method} {path}: 401 without WWW-Authenticate"
            );
        }
    }
    assert!(secured > 60, "only {secured} secured operations");
}

#[rocket::async_test]
async fn every_error_response_is_documented_as_problem_json_and_nothing_else() {
    for (method, path, operation) in documented_operations().await {
        for (status, response) in operation["responses"].as_object().unwrap() {
            if !(status.starts_with('4') || status.starts_with('5')) {
                continue;
            }
            let content = response["content"].as_object();
            let types: Vec<_> = content.iter().flat_map(|content| content.keys()).collect();
            assert_eq!(
                types,
                ["application/problem+json"],
                "{method} {path} {status}"
            );
            assert_eq!(
                response["content"]["application/problem+json"]["schema"]["$ref"],
                "#/components/schemas/Problem",
                "{method} {path} {status}"
            );
        }
    }
}

#[rocket::async_test]
async fn every_path_parameter_is_declared_and_every_declared_one_is_in_the_path() {
    for (method, path, operation) in documented_operations().await {
        let in_template: Vec<&str> = path
            .split('/')
            .filter_map(|segment| segment.strip_prefix('{')?.strip_suffix('}'))
            .collect();
        let declared: Vec<&str> = operation["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|parameter| parameter["in"] == "path")
            .map(|parameter| {
                assert_eq!(parameter["required"], true, "{method} {path}");
                parameter["name"].as_str().unwrap()
            })
            .collect();
        assert_eq!(in_template, declared, "{method} {path}");
    }
}

#[rocket::async_test]
async fn operations_with_a_body_or_an_id_document_the_errors_those_bring() {
    for (method, path, operation) in documented_operations().await {
        let responses = &operation["responses"];
        if operation["requestBody"].is_object() {
            for status in ["400", "415", "422"] {
                assert!(responses[status].is_object(), "{method} {path} {status}");
            }
        }
        if path.contains('{') {
            assert!(responses["404"].is_object(), "{method} {path} 404");
        }
        let takes_if_match = operation["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|parameter| parameter["name"] == "If-Match");
        if takes_if_match {
            assert!(responses["412"].is_object(), "{method} {path} 412");
        }
    }
}

#[rocket::async_test]
async fn list_operations_document_their_page_and_reports_their_csv() {
    let operations = documented_operations().await;
    let find = |wanted: &str| {
        operations
            .iter()
            .find(|(method, path, _)| method == "get" && path == wanted)
            .map(|(_, _, operation)| operation["responses"]["200"]["content"].clone())
            .unwrap()
    };
    for list in [
        "/api/v1/users",
        "/api/v1/departments",
        "/api/v1/calendars",
        "/api/v1/agreements",
        "/api/v1/requests",
        "/api/v1/commitments",
        "/api/v1/reviews",
    ] {
        let schema = &find(list)["application/json"]["schema"];
        assert!(!schema.is_null(), "{list} has no schema");
    }
    for report in ["health", "matrix", "trend", "impact"] {
        let content = find(&format!("/api/v1/reports/{report}"));
        assert!(content["text/csv"].is_object(), "{report}");
    }
}

#[test]
fn the_server_starts_beside_the_variables_kubernetes_sets_for_a_service_named_baton() {
    use common::server::{Server, free_port, scratch_dir};

    let dir = scratch_dir("kubernetes");
    let port = free_port();
    // The port comes from Baton.toml; BATON_PORT is Kubernetes' service address.
    std::fs::write(
        dir.join("Baton.toml"),
        format!(
            "address = \"127.0.0.1\"\nport = {port}\ndatabase_url = \"sqlite://{}/baton.db?mode=rwc\"\n\
             secret = \"{}\"\nlog = \"warn\"\n",
            dir.display(),
            common::server::SECRET
        ),
    )
    .expect("Baton.toml");
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_baton"));
    command
        .current_dir(&dir)
        .env_remove("BATON_ADDRESS")
        .env_remove("BATON_DATABASE_URL")
        .env_remove("DATABASE_URL")
        .env("BATON_PORT", "tcp://10.0.0.1:8000")
        .env("BATON_PORT_8000_TCP", "tcp://10.0.0.1:8000")
        .env("BATON_PORT_8000_TCP_ADDR", "10.0.0.1")
        .env("BATON_SERVICE_HOST", "10.0.0.1")
        .env("BATON_SERVICE_PORT", "8000");
    let server = Server::spawn(command, port);
    let (status, _) = server.get("/readyz", None).expect("readyz answers");
    assert_eq!(status, 200);
    let output = server.output();
    let unknown: Vec<&str> = output
        .lines()
        .filter(|line| line.contains("name no setting"))
        .collect();
    assert_eq!(unknown.len(), 1, "one warning for them all:\n{output}");
    for name in [
        "BATON_SERVICE_HOST",
        "BATON_SERVICE_PORT",
        "BATON_PORT_8000_TCP_ADDR",
    ] {
        assert!(unknown[0].contains(name), "{name} not named:\n{output}");
    }
    assert!(
        output.contains("ignoring BATON_PORT"),
        "no word on BATON_PORT:\n{output}"
    );
}

#[rocket::async_test]
async fn pages_and_answers_carry_the_browser_security_headers() {
    use rocket::http::Cookie;

    let app = spawn_app_with(|config| baton::Config {
        public_url: Some("https://baton.example.org".into()),
        ..config
    })
    .await;
    let admin = app.signup("Acme", "ada@acme.test").await;

    let login = app.client.get("/login").dispatch().await;
    assert_eq!(login.status(), Status::Ok);
    let csp = login
        .headers()
        .get_one("Content-Security-Policy")
        .expect("a CSP")
        .to_owned();
    let script_src = csp
        .split(';')
        .map(str::trim)
        .find(|directive| directive.starts_with("script-src"))
        .expect("a script-src");
    assert_eq!(script_src, "script-src 'self'");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert_eq!(
        login.headers().get_one("Referrer-Policy"),
        Some("same-origin")
    );
    assert_eq!(
        login.headers().get_one("Strict-Transport-Security"),
        Some("max-age=31536000")
    );
    // Signed out, nothing personal: no need to forbid storing it.
    assert_ne!(login.headers().get_one("Cache-Control"), Some("no-store"));

    // A signed-in page, and an API answer to a bearer token, are not stored.
    let home = app
        .client
        .get("/")
        .cookie(Cookie::new(
            baton::http::SESSION_COOKIE,
            admin.token.clone(),
        ))
        .dispatch()
        .await;
    assert_eq!(home.status(), Status::Ok);
    assert_eq!(home.headers().get_one("Cache-Control"), Some("no-store"));
    assert!(home.headers().get_one("Content-Security-Policy").is_some());
    let api = app
        .client
        .get("/api/v1/organisation")
        .header(Header::new(
            "Authorization",
            format!("Bearer {}", admin.token),
        ))
        .dispatch()
        .await;
    assert_eq!(api.status(), Status::Ok);
    assert_eq!(api.headers().get_one("Cache-Control"), Some("no-store"));

    // The docs page runs no inline script: everything it runs is a file.
    let docs = app.client.get("/api/docs/").dispatch().await;
    let html = docs.into_string().await.unwrap();
    assert_eq!(
        html.matches("<script").count(),
        html.matches("<script src=").count(),
        "inline script in {html}"
    );
    let init = app.client.get("/api/docs/swagger-init.js").dispatch().await;
    assert_eq!(init.status(), Status::Ok);
}

#[rocket::async_test]
async fn without_an_https_public_url_there_is_no_hsts() {
    let app = spawn_app().await;
    let page = app.client.get("/login").dispatch().await;
    assert!(
        page.headers()
            .get_one("Strict-Transport-Security")
            .is_none()
    );
    assert!(page.headers().get_one("Content-Security-Policy").is_some());
}

#[test]
fn a_connection_that_sends_nothing_or_half_a_request_line_is_closed_within_the_header_timeout() {
    use common::server::{Server, scratch_dir};
    use std::io::{Read, Write};
    use std::time::{Duration, Instant};

    let dir = scratch_dir("slow-client");
    let url = format!("sqlite://{}/baton.db?mode=rwc", dir.display());
    let server = Server::start(&url, &dir, &[("BATON_REQUEST_HEADER_TIMEOUT_SECONDS", "1")]);
    for opening in [
        &b""[..],
        b"GET /hea",
        b"GET /healthz HTTP/1.1\r\nHost: x\r\n",
    ] {
        let mut stream = std::net::TcpStream::connect(("127.0.0.1", server.port)).unwrap();
        stream.write_all(opening).unwrap();
        // Far beyond the bound: a server that never closes fails here.
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let started = Instant::now();
        let mut answer = Vec::new();
        let closed = stream.read_to_end(&mut answer).is_ok();
        let waited = started.elapsed();
        let opening = String::from_utf8_lossy(opening);
        assert!(closed, "{opening:?}: still open after {waited:?}");
        assert!(
            waited >= Duration::from_millis(900) && waited < Duration::from_secs(3),
            "{opening:?}: closed after {waited:?}"
        );
        assert!(
            answer.starts_with(b"HTTP/1.1 408"),
            "{opening:?}: {}",
            String::from_utf8_lossy(&answer)
        );
    }
    // A request that arrives in time is served as ever.
    let (status, _) = server.get("/readyz", None).expect("readyz answers");
    assert_eq!(status, 200);
}

#[test]
fn behind_the_front_door_the_client_address_is_the_peer_whatever_the_client_claims() {
    use common::server::{Server, scratch_dir};
    use std::io::{Read, Write};

    let dir = scratch_dir("front-peer");
    let url = format!("sqlite://{}/baton.db?mode=rwc", dir.display());
    let server = Server::start(&url, &dir, &[("BATON_LOGIN_MAX_FAILURES", "2")]);
    let mut statuses = Vec::new();
    // Each attempt claims another address; the front reports the real peer,
    // so the failures add up and the third attempt is refused.
    for claimed in ["203.0.113.1", "203.0.113.2", "203.0.113.3"] {
        let body = r#"{"email":"nobody@acme.test","password":"wrong password!!"}"#;
        let request = format!(
            "POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\n\
             X-Baton-Peer: {claimed}\r\nX-Real-IP: {claimed}\r\n\r\n{body}",
            body.len()
        );
        let mut stream = std::net::TcpStream::connect(("127.0.0.1", server.port)).unwrap();
        stream.write_all(request.as_bytes()).unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        statuses.push(
            answer
                .split_whitespace()
                .nth(1)
                .unwrap_or_default()
                .to_owned(),
        );
    }
    assert_eq!(statuses, ["401", "401", "429"]);
}
