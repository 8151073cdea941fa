//! `baton bench <scenario>`: the figures of SPEC appendix B, one JSON line
//! each: `{"bench", "figure", "value", "unit"}`.
//!
//! What lives where:
//! - [`time`]: the business-time engine (`time`);
//! - [`projection`]: the projection engine in memory (`propagate`,
//!   `forecast`);
//! - [`http_forecast`]: one forecast over HTTP moving a 1,000-request cone
//!   (`propagate`);
//! - [`log_requests`]: requests logged over HTTP at 32 connections
//!   (`log-requests`);
//! - [`report`]: the health report over a million requests (`report`);
//! - [`search`]: full-text search over a million requests (`search`);
//! - [`read_paths`]: the reads of a million-request organisation whose
//!   requests hang together (`read-paths`);
//! - [`notify`]: mails handed to an SMTP server per second (`notify`);
//! - [`server`], [`seed`], [`http_client`], [`reads`]: what the HTTP
//!   benchmarks share (reads: 32 clients reading a list of paths) —
//!   the application started in-process, the organisation built through
//!   the API, a small HTTP/1.1 client.

mod http_client;
mod http_forecast;
mod log_requests;
mod notify;
mod projection;
mod read_paths;
mod reads;
mod report;
mod search;
mod seed;
mod server;
mod time;

use serde::Serialize;

/// The benchmark scenarios implemented so far.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Scenario {
    /// Due-date computations per second in the business-time engine.
    Time,
    /// Whole-organisation projection, incremental re-projection (engine) and one forecast over HTTP.
    Propagate,
    /// Monte Carlo forecast over a 1,000-request cone (engine).
    Forecast,
    /// Requests logged per second over HTTP, and their latency, at 32 connections.
    LogRequests,
    /// Health report over 1M delivered requests, and the server's memory.
    Report,
    /// Full-text search over 1M requests and 100k comments at 32 connections.
    Search,
    /// The reads of a 1M-request organisation with hub requests, at 32 connections.
    ReadPaths,
    /// Pending notices handed to a local SMTP server per second.
    Notify,
}

#[derive(Serialize)]
struct Figure<'a> {
    bench: &'a str,
    figure: &'a str,
    value: f64,
    unit: &'a str,
}

fn print_figure(bench: &str, figure: &str, value: f64, unit: &str) {
    let line = Figure {
        bench,
        figure,
        value,
        unit,
    };
    if let Ok(json) = serde_json::to_string(&line) {
        println!("{json}");
    }
}

pub fn run(scenario: Scenario, quick: bool) -> Result<(), String> {
    match scenario {
        Scenario::Time => {
            let per_second = time::due_dates_per_second(quick);
            print_figure("time", "due_dates_per_second", per_second.round(), "1/s");
            let (compile_ms, bytes) = time::compile_figures(if quick { 1 } else { 5 });
            print_figure("time", "calendar_compile_ms", compile_ms, "ms");
            print_figure("time", "compiled_calendar_bytes", bytes as f64, "B");
        }
        Scenario::LogRequests => log_requests::run(quick, |figure, value, unit| {
            print_figure("log-requests", figure, value, unit)
        })?,
        Scenario::Report => report::run(quick, |figure, value, unit| {
            print_figure("report", figure, value, unit)
        })?,
        Scenario::Search => search::run(quick, |figure, value, unit| {
            print_figure("search", figure, value, unit)
        })?,
        Scenario::ReadPaths => read_paths::run(quick, |figure, value, unit| {
            print_figure("read-paths", figure, value, unit)
        })?,
        Scenario::Notify => notify::run(quick, |figure, value, unit| {
            print_figure("notify", figure, value, unit)
        })?,
        Scenario::Propagate => {
            let whole = projection::whole_org(quick)?;
            // The headline pass starts from the schedule each request already
            // holds (its stored ready time and due, kept current on every
            // change); the cold pass recomputes every due from scratch.
            print_figure(
                "propagate",
                "whole_org_seconds",
                whole.whole_org_seconds,
                "s",
            );
            print_figure(
                "propagate",
                "bare_pass_seconds",
                whole.bare_pass_seconds,
                "s",
            );
            print_figure(
                "propagate",
                "ratio_to_bare_pass",
                whole.ratio_to_bare_pass,
                "1",
            );
            print_figure(
                "propagate",
                "whole_org_cold_seconds",
                whole.cold_seconds,
                "s",
            );
            print_figure(
                "propagate",
                "cold_ratio_to_bare_pass",
                whole.cold_ratio_to_bare_pass,
                "1",
            );
            print_figure("propagate", "graph_build_seconds", whole.build_seconds, "s");
            let (cone, ms) = projection::incremental_cone_1000_ms(quick)?;
            print_figure("propagate", "incremental_cone_1000_ms", ms, "ms");
            print_figure("propagate", "incremental_cone_size", cone as f64, "1");
            let (cone, ms) = http_forecast::run(quick)?;
            print_figure("propagate", "http_forecast_p50_ms", ms, "ms");
            print_figure("propagate", "http_forecast_cone_size", cone as f64, "1");
        }
        Scenario::Forecast => {
            let seconds = projection::monte_carlo_10k_trials_1k_cone_seconds(quick)?;
            print_figure(
                "forecast",
                "monte_carlo_10k_trials_1k_cone_seconds",
                seconds,
                "s",
            );
        }
    }
    Ok(())
}
