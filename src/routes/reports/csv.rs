//! Reports as CSV (RFC 4180: comma-separated, CRLF line ends, fields quoted
//! when they hold a comma, quote or line break), one header row, the same
//! numbers as the JSON. Empty cells stand for `null`. Text that a
//! spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`) is
//! prefixed with `'`.

use crate::entities::ids::{CommitmentId, DepartmentId};
use crate::services::reports::Figures;
use crate::services::reports::GroupKey;
use crate::services::reports::health::HealthReport;
use crate::services::reports::impact::ImpactReport;
use crate::services::reports::matrix::MatrixReport;
use crate::services::reports::trend::TrendReport;

/// The figure columns every health-like row ends with.
const FIGURE_COLUMNS: [&str; 23] = [
    "delivered",
    "on_time",
    "early",
    "late",
    "on_time_pct",
    "target_pct",
    "meets_target",
    "median_lateness_minutes",
    "p90_lateness_minutes",
    "open",
    "overdue",
    "avg_rating",
    "rated",
    "missed",
    "satisfied",
    "exceeded",
    "delighted",
    "amazed",
    "missed_pct",
    "satisfied_pct",
    "exceeded_pct",
    "delighted_pct",
    "amazed_pct",
];

#[derive(Default)]
struct Csv {
    out: String,
}

impl Csv {
    fn row<S: AsRef<str>>(&mut self, cells: impl IntoIterator<Item = S>) {
        let mut first = true;
        for cell in cells {
            if !first {
                self.out.push(',');
            }
            first = false;
            self.out.push_str(cell.as_ref());
        }
        self.out.push_str("\r\n");
    }
}

use crate::http::csv::cell as text;

fn opt<T: ToString>(value: Option<T>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}

fn figures(figures: &Figures) -> Vec<String> {
    vec![
        figures.delivered.to_string(),
        figures.on_time.to_string(),
        figures.early.to_string(),
        figures.late.to_string(),
        opt(figures.on_time_pct),
        opt(figures.target_pct),
        opt(figures.meets_target),
        opt(figures.median_lateness_minutes),
        opt(figures.p90_lateness_minutes),
        figures.open.to_string(),
        figures.overdue.to_string(),
        opt(figures.avg_rating),
        figures.rated.to_string(),
        figures.missed.to_string(),
        figures.satisfied.to_string(),
        figures.exceeded.to_string(),
        figures.delighted.to_string(),
        figures.amazed.to_string(),
        opt(figures.missed_pct),
        opt(figures.satisfied_pct),
        opt(figures.exceeded_pct),
        opt(figures.delighted_pct),
        opt(figures.amazed_pct),
    ]
}

fn key_columns(group_by: &str) -> Vec<&'static str> {
    match group_by {
        "agreement" => vec!["agreement_id"],
        "provider" => vec!["provider_department_id"],
        "customer" => vec!["customer_department_id"],
        _ => vec!["provider_department_id", "customer_department_id"],
    }
}

fn key_cells(group_by: &str, key: &GroupKey) -> Vec<String> {
    match group_by {
        "agreement" => vec![opt(key.agreement_id)],
        "provider" => vec![opt(key.provider_department_id)],
        "customer" => vec![opt(key.customer_department_id)],
        _ => vec![
            opt(key.provider_department_id),
            opt(key.customer_department_id),
        ],
    }
}

/// An instant as the JSON writes it (RFC 3339, UTC, `Z`).
fn instant(at: chrono::DateTime<chrono::Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

fn ids<Id: std::fmt::Display>(list: &[Id]) -> String {
    list.iter().map(Id::to_string).collect::<Vec<_>>().join(" ")
}

pub fn health(report: &HealthReport) -> String {
    let mut csv = Csv::default();
    let mut header = key_columns(&report.group_by);
    header.push("label");
    header.extend(FIGURE_COLUMNS);
    csv.row(header);
    for row in &report.rows {
        let mut cells = key_cells(&report.group_by, &row.key);
        cells.push(text(&row.label));
        cells.extend(figures(&row.figures));
        csv.row(cells);
    }
    csv.out
}

pub fn matrix(report: &MatrixReport) -> String {
    let code = |list: &[crate::services::reports::DepartmentRef], id: DepartmentId| {
        list.iter()
            .find(|department| department.id == id)
            .map(|department| text(&department.code))
            .unwrap_or_default()
    };
    let mut csv = Csv::default();
    let mut header = vec![
        "provider_department_id",
        "provider_code",
        "customer_department_id",
        "customer_code",
    ];
    header.extend(FIGURE_COLUMNS);
    csv.row(header);
    for cell in &report.cells {
        let mut cells = vec![
            cell.provider_department_id.to_string(),
            code(&report.providers, cell.provider_department_id),
            cell.customer_department_id.to_string(),
            code(&report.customers, cell.customer_department_id),
        ];
        cells.extend(figures(&cell.figures));
        csv.row(cells);
    }
    csv.out
}

pub fn trend(report: &TrendReport) -> String {
    let mut csv = Csv::default();
    let mut header = vec!["week", "from", "to"];
    header.extend(FIGURE_COLUMNS);
    csv.row(header);
    for week in &report.weeks {
        let mut cells = vec![week.week.clone(), instant(week.from), instant(week.to)];
        cells.extend(figures(&week.figures));
        csv.row(cells);
    }
    csv.out
}

/// The department ranking: one row per department.
pub fn impact_departments(report: &ImpactReport) -> String {
    let mut csv = Csv::default();
    csv.row([
        "rank",
        "department_id",
        "code",
        "name",
        "own_slip_minutes",
        "customer_wait_minutes",
        "commitments",
        "commitment_ids",
    ]);
    for department in &report.departments {
        let commitment_ids: Vec<CommitmentId> = department
            .commitments
            .iter()
            .map(|c| c.commitment_id)
            .collect();
        csv.row([
            department.rank.to_string(),
            department.department_id.to_string(),
            text(&department.code),
            text(&department.name),
            department.own_slip_minutes.to_string(),
            department.customer_wait_minutes.to_string(),
            department.commitments.len().to_string(),
            ids(&commitment_ids),
        ]);
    }
    csv.out
}

/// The open commitments: one row per commitment, most endangered first.
pub fn impact_commitments(report: &ImpactReport) -> String {
    let mut csv = Csv::default();
    csv.row([
        "commitment_id",
        "customer_name",
        "title",
        "owner_department_id",
        "risk",
        "promised_at",
        "projected_at",
        "baseline_at",
        "slip_minutes",
        "slack_minutes",
        "critical_path",
    ]);
    for commitment in &report.commitments {
        csv.row([
            commitment.commitment_id.to_string(),
            text(&commitment.customer_name),
            text(&commitment.title),
            commitment.owner_department_id.to_string(),
            commitment.risk.clone(),
            instant(commitment.promised_at),
            instant(commitment.projected_at),
            instant(commitment.baseline_at),
            commitment.slip_minutes.to_string(),
            commitment.slack_minutes.to_string(),
            ids(&commitment.critical_path),
        ]);
    }
    csv.out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_quoted_and_defused() {
        assert_eq!(text("LEGAL → SALES"), "LEGAL → SALES");
        assert_eq!(text("a, b"), "\"a, b\"");
        assert_eq!(text("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(text("=SUM(A1)"), "'=SUM(A1)");
        assert_eq!(text("-1,2"), "\"'-1,2\"");
    }
}
