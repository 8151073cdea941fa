//! The trend's line chart: on-time % per week as a line broken where
//! nothing was delivered, the target as a dashed line, and the volume
//! delivered as light columns behind.

use serde::Serialize;

use super::{Tick, WIDTH, px};

/// A marker on a line, with its accessible text.
#[derive(Debug, Clone, Serialize)]
pub struct Marker {
    pub x: f64,
    pub y: f64,
    pub title: String,
}

/// A volume column behind the line.
#[derive(Debug, Clone, Serialize)]
pub struct Column {
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub height: f64,
    pub title: String,
}

/// On-time % per period as a line (broken where nothing was delivered),
/// the target as a dashed line, and deliveries as light columns.
#[derive(Debug, Clone, Serialize)]
pub struct LineChart {
    pub width: f64,
    pub height: f64,
    pub plot_left: f64,
    pub plot_right: f64,
    pub plot_top: f64,
    pub plot_bottom: f64,
    /// `points` attributes of the polylines, one per unbroken run.
    pub segments: Vec<String>,
    pub markers: Vec<Marker>,
    pub columns: Vec<Column>,
    /// `points` of the target line (empty when no target is known).
    pub target: String,
    pub x_labels: Vec<Tick>,
    pub y_ticks: Vec<Tick>,
    /// The largest volume, for the right-hand axis label.
    pub volume_max: i64,
}

/// What one period of the line chart shows.
pub struct LinePoint {
    pub label: String,
    pub pct: Option<f64>,
    pub target: Option<f64>,
    pub volume: i64,
    pub title: String,
}

pub fn line_chart(points: Vec<LinePoint>) -> LineChart {
    let (left, right, top, bottom) = (50.0, WIDTH - 50.0, 12.0, 232.0);
    let step = (right - left) / points.len().max(1) as f64;
    let x_of = |index: usize| left + step * (index as f64 + 0.5);
    let y_of = |pct: f64| bottom - (bottom - top) * pct.clamp(0.0, 100.0) / 100.0;
    let volume_max = points.iter().map(|p| p.volume).max().unwrap_or(0);

    let mut segments = Vec::new();
    let mut run: Vec<String> = Vec::new();
    let mut markers = Vec::new();
    for (index, point) in points.iter().enumerate() {
        match point.pct {
            Some(pct) => {
                let (x, y) = (px(x_of(index)), px(y_of(pct)));
                run.push(format!("{x},{y}"));
                markers.push(Marker {
                    x,
                    y,
                    title: point.title.clone(),
                });
            }
            None if !run.is_empty() => segments.push(std::mem::take(&mut run).join(" ")),
            None => {}
        }
    }
    if !run.is_empty() {
        segments.push(run.join(" "));
    }
    let target = points
        .iter()
        .enumerate()
        .filter_map(|(index, point)| {
            point
                .target
                .map(|pct| format!("{},{}", px(x_of(index)), px(y_of(pct))))
        })
        .collect::<Vec<_>>()
        .join(" ");
    let columns = points
        .iter()
        .enumerate()
        .filter(|(_, point)| point.volume > 0 && volume_max > 0)
        .map(|(index, point)| {
            let height = (bottom - top) * 0.35 * point.volume as f64 / volume_max as f64;
            Column {
                x: px(x_of(index) - step * 0.3),
                y: px(bottom - height),
                width: px(step * 0.6),
                height: px(height),
                title: format!("{}: {} delivered", point.label, point.volume),
            }
        })
        .collect();
    // Label every week when they fit, else every n-th.
    let every = points.len().div_ceil(10).max(1);
    let x_labels = points
        .iter()
        .enumerate()
        .filter(|(index, _)| index % every == 0)
        .map(|(index, point)| Tick {
            x: px(x_of(index)),
            y: bottom + 18.0,
            label: point.label.clone(),
        })
        .collect();
    let y_ticks = [0.0, 25.0, 50.0, 75.0, 100.0]
        .into_iter()
        .map(|pct| Tick {
            x: left - 6.0,
            y: px(y_of(pct) + 4.0),
            label: format!("{pct:.0}%"),
        })
        .collect();
    LineChart {
        width: WIDTH,
        height: bottom + 30.0,
        plot_left: left,
        plot_right: right,
        plot_top: top,
        plot_bottom: bottom,
        segments,
        markers,
        columns,
        target,
        x_labels,
        y_ticks,
        volume_max,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_breaks_where_nothing_was_delivered() {
        let point = |pct: Option<f64>| LinePoint {
            label: "W".into(),
            pct,
            target: Some(90.0),
            volume: 1,
            title: String::new(),
        };
        let chart = line_chart(vec![
            point(Some(50.0)),
            point(None),
            point(Some(100.0)),
            point(Some(75.0)),
        ]);
        assert_eq!(chart.segments.len(), 2);
        assert_eq!(chart.markers.len(), 3);
        assert_eq!(chart.target.split(' ').count(), 4);
    }
}
