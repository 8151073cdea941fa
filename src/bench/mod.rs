//! `baton bench <scenario>`: the figures of SPEC appendix B, one JSON line
//! each: `{"bench", "figure", "value", "unit"}`.

mod time;

use serde::Serialize;

/// The benchmark scenarios implemented so far.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Scenario {
    /// Due-date computations per second in the business-time engine.
    Time,
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
    }
    Ok(())
}
