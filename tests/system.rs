//! Health, readiness, metrics and the OpenAPI document.

mod common;

use common::spawn_app;
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
