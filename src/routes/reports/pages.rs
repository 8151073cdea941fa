//! What the report templates show: the figures formatted for reading (a
//! dash for "none"), chart geometry, and the words around them. Templates
//! only lay these out.

use chrono::{DateTime, Utc};
use serde::Serialize;
use tera::Context;

use super::charts::{self, BarChart, BarInput, HeatInput, HeatMap, LineChart, LinePoint};
use crate::entities::ids::{CommitmentId, DepartmentId};
use crate::services::reports::Figures;
use crate::services::reports::health::HealthReport;
use crate::services::reports::impact::ImpactReport;
use crate::services::reports::matrix::MatrixReport;
use crate::services::reports::trend::TrendReport;
use crate::services::reports::{GroupBy, GroupKey, Window};

const DASH: &str = "–";

fn when(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

fn window_text(window: &Window) -> String {
    format!(
        "{} to {} (end excluded)",
        when(window.from),
        when(window.to)
    )
}

fn or_dash<T: ToString>(value: Option<T>) -> String {
    value.map_or_else(|| DASH.to_owned(), |v| v.to_string())
}

fn pct(value: Option<f64>) -> String {
    value.map_or_else(|| DASH.to_owned(), |v| format!("{v}%"))
}

/// One table row of figures, formatted.
#[derive(Serialize)]
struct FigureCells {
    delivered: i64,
    on_time: i64,
    early: i64,
    late: i64,
    on_time_pct: String,
    target_pct: String,
    meets: &'static str,
    /// `good | bad | neutral`
    tone: &'static str,
    /// Working minutes, or none.
    median: Option<i64>,
    p90: Option<i64>,
    open: i64,
    overdue: i64,
    avg_rating: String,
    /// Shares at each level of service: missed, satisfied, exceeded,
    /// delighted, amazed.
    levels: [String; 5],
    /// Whether any delivery has a level.
    levelled: bool,
}

fn tone(figures: &Figures) -> &'static str {
    match figures.meets_target {
        Some(true) => "good",
        Some(false) => "bad",
        None => "neutral",
    }
}

fn cells(figures: &Figures) -> FigureCells {
    FigureCells {
        delivered: figures.delivered,
        on_time: figures.on_time,
        early: figures.early,
        late: figures.late,
        on_time_pct: pct(figures.on_time_pct),
        target_pct: pct(figures.target_pct),
        meets: match figures.meets_target {
            Some(true) => "yes",
            Some(false) => "no",
            None => DASH,
        },
        tone: tone(figures),
        median: figures.median_lateness_minutes,
        p90: figures.p90_lateness_minutes,
        open: figures.open,
        overdue: figures.overdue,
        avg_rating: or_dash(figures.avg_rating),
        levels: [
            figures.missed_pct,
            figures.satisfied_pct,
            figures.exceeded_pct,
            figures.delighted_pct,
            figures.amazed_pct,
        ]
        .map(pct),
        levelled: figures.missed_pct.is_some(),
    }
}

#[derive(Serialize)]
struct LabelledRow {
    label: String,
    figures: FigureCells,
    /// The group's weekly trend, as `/reports/trend?` reads it.
    trend: Option<String>,
}

/// On-time % bars with the target marked.
fn on_time_bars(rows: &[(String, &Figures)]) -> BarChart {
    let inputs = rows
        .iter()
        .map(|(label, figures)| BarInput {
            label: label.clone(),
            value: figures.on_time_pct.unwrap_or(0.0),
            extra: 0.0,
            value_text: match figures.on_time_pct {
                Some(value) => format!("{value}% of {}", figures.delivered),
                None => "nothing delivered".into(),
            },
            marker: figures.target_pct,
            tone: tone(figures),
            title: format!(
                "{label}: {} on time of {} delivered ({}), target {}",
                figures.on_time,
                figures.delivered,
                pct(figures.on_time_pct),
                pct(figures.target_pct)
            ),
        })
        .collect();
    charts::bar_chart(inputs, 100.0, "%")
}

/// The query string naming a group, as `/reports/trend` reads it.
pub fn key_query(group_by: GroupBy, key: GroupKey) -> String {
    let mut pairs = vec![format!("group_by={}", group_by.as_str())];
    if let Some(id) = key.agreement_id {
        pairs.push(format!("agreement={id}"));
    }
    if let Some(id) = key.provider_department_id {
        pairs.push(format!("provider={id}"));
    }
    if let Some(id) = key.customer_department_id {
        pairs.push(format!("customer={id}"));
    }
    pairs.join("&")
}

pub fn health(report: &HealthReport) -> Context {
    let chart = on_time_bars(
        &report
            .rows
            .iter()
            .map(|row| (row.label.clone(), &row.figures))
            .collect::<Vec<_>>(),
    );
    let rows: Vec<LabelledRow> = report
        .rows
        .iter()
        .map(|row| LabelledRow {
            label: row.label.clone(),
            figures: cells(&row.figures),
            trend: GroupBy::parse(Some(&report.group_by))
                .ok()
                .map(|group_by| key_query(group_by, row.key)),
        })
        .collect();
    let mut context = Context::new();
    context.insert(
        "title",
        &format!(
            "Service health by {}",
            match report.group_by.as_str() {
                "pair" => "provider and customer",
                other => other,
            }
        ),
    );
    context.insert("window", &window_text(&report.window));
    context.insert("rows", &rows);
    context.insert("chart", &chart);
    context
}

pub fn matrix(report: &MatrixReport) -> Context {
    let position = |list: &[crate::services::reports::DepartmentRef], id: DepartmentId| {
        list.iter().position(|department| department.id == id)
    };
    let code = |list: &[crate::services::reports::DepartmentRef], id: DepartmentId| {
        list.iter()
            .find(|department| department.id == id)
            .map_or_else(|| format!("#{id}"), |department| department.code.clone())
    };
    let mut inputs = Vec::new();
    let mut rows = Vec::new();
    for cell in &report.cells {
        let provider = code(&report.providers, cell.provider_department_id);
        let customer = code(&report.customers, cell.customer_department_id);
        let figures = &cell.figures;
        if let (Some(row), Some(column)) = (
            position(&report.providers, cell.provider_department_id),
            position(&report.customers, cell.customer_department_id),
        ) {
            inputs.push(HeatInput {
                row,
                column,
                pct: figures.on_time_pct,
                text: pct(figures.on_time_pct),
                sub: format!("n={}", figures.delivered),
                title: format!(
                    "{provider} serving {customer}: {} of {} on time ({}), target {}, {} open",
                    figures.on_time,
                    figures.delivered,
                    pct(figures.on_time_pct),
                    pct(figures.target_pct),
                    figures.open
                ),
            });
        }
        rows.push(LabelledRow {
            label: format!("{provider} → {customer}"),
            figures: cells(figures),
            trend: Some(key_query(
                GroupBy::Pair,
                GroupKey {
                    provider_department_id: Some(cell.provider_department_id),
                    customer_department_id: Some(cell.customer_department_id),
                    ..GroupKey::default()
                },
            )),
        });
    }
    let heat: HeatMap = charts::heat_map(
        report.providers.iter().map(|d| d.code.clone()).collect(),
        report.customers.iter().map(|d| d.code.clone()).collect(),
        inputs,
    );
    let mut context = Context::new();
    context.insert("title", "Who keeps their promises to whom");
    context.insert("window", &window_text(&report.window));
    context.insert("heat", &heat);
    context.insert("rows", &rows);
    context
}

#[derive(Serialize)]
struct WeekRow {
    week: String,
    from: String,
    to: String,
    figures: FigureCells,
}

pub fn trend(report: &TrendReport) -> Context {
    let chart: LineChart = charts::line_chart(
        report
            .weeks
            .iter()
            .map(|week| LinePoint {
                label: week.week.clone(),
                pct: week.figures.on_time_pct,
                target: week.figures.target_pct,
                volume: week.figures.delivered,
                title: format!(
                    "{}: {} of {} on time ({})",
                    week.week,
                    week.figures.on_time,
                    week.figures.delivered,
                    pct(week.figures.on_time_pct)
                ),
            })
            .collect(),
    );
    let weeks: Vec<WeekRow> = report
        .weeks
        .iter()
        .map(|week| WeekRow {
            week: week.week.clone(),
            from: when(week.from),
            to: when(week.to),
            figures: cells(&week.figures),
        })
        .collect();
    let mut context = Context::new();
    context.insert("title", &format!("Weekly trend: {}", report.label));
    context.insert("window", &window_text(&report.window));
    context.insert("chart", &chart);
    context.insert("weeks", &weeks);
    context.insert("total", &cells(&report.total));
    context
}

#[derive(Serialize)]
struct ContributionRow {
    commitment_id: CommitmentId,
    what: String,
    risk: String,
    own_slip_minutes: i64,
    customer_wait_minutes: i64,
    request_ids: String,
}

#[derive(Serialize)]
struct DepartmentRow {
    rank: i64,
    code: String,
    name: String,
    own_slip_minutes: i64,
    customer_wait_minutes: i64,
    commitments: Vec<ContributionRow>,
}

#[derive(Serialize)]
struct CommitmentRow {
    commitment_id: CommitmentId,
    what: String,
    risk: String,
    promised_at: String,
    projected_at: String,
    slip_minutes: i64,
    slack_minutes: i64,
}

fn ids<Id: std::fmt::Display>(list: &[Id]) -> String {
    list.iter()
        .map(|id| format!("#{id}"))
        .collect::<Vec<_>>()
        .join(", ")
}

pub fn impact(report: &ImpactReport) -> Context {
    let chart = charts::bar_chart(
        report
            .departments
            .iter()
            .map(|department| BarInput {
                label: department.code.clone(),
                value: department.own_slip_minutes as f64,
                extra: department.customer_wait_minutes as f64,
                value_text: format!(
                    "{} own delay, {} waiting as customer",
                    crate::views::span(department.own_slip_minutes, 24 * 60),
                    crate::views::span(department.customer_wait_minutes, 24 * 60)
                ),
                marker: None,
                tone: if department.own_slip_minutes > 0 {
                    "bad"
                } else {
                    "neutral"
                },
                title: format!(
                    "{}: {} minutes of own slip and {} minutes of customer wait on {} endangered commitments",
                    department.code,
                    department.own_slip_minutes,
                    department.customer_wait_minutes,
                    department.commitments.len()
                ),
            })
            .collect(),
        60.0,
        " min",
    );
    let departments: Vec<DepartmentRow> = report
        .departments
        .iter()
        .map(|department| DepartmentRow {
            rank: department.rank,
            code: department.code.clone(),
            name: department.name.clone(),
            own_slip_minutes: department.own_slip_minutes,
            customer_wait_minutes: department.customer_wait_minutes,
            commitments: department
                .commitments
                .iter()
                .map(|share| ContributionRow {
                    commitment_id: share.commitment_id,
                    what: format!("{} for {}", share.title, share.customer_name),
                    risk: share.risk.replace('_', " "),
                    own_slip_minutes: share.own_slip_minutes,
                    customer_wait_minutes: share.customer_wait_minutes,
                    request_ids: ids(&share.request_ids),
                })
                .collect(),
        })
        .collect();
    let commitments: Vec<CommitmentRow> = report
        .commitments
        .iter()
        .map(|commitment| CommitmentRow {
            commitment_id: commitment.commitment_id,
            what: format!("{} for {}", commitment.title, commitment.customer_name),
            risk: commitment.risk.replace('_', " "),
            promised_at: when(commitment.promised_at),
            projected_at: when(commitment.projected_at),
            slip_minutes: commitment.slip_minutes,
            slack_minutes: commitment.slack_minutes,
        })
        .collect();
    let mut context = Context::new();
    context.insert("title", "Commitments in danger, and because of whom");
    context.insert("as_of", &when(report.as_of));
    context.insert("by_risk", &report.by_risk);
    context.insert("chart", &chart);
    context.insert("departments", &departments);
    context.insert("commitments", &commitments);
    context
}
