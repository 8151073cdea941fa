//! Chart geometry for the report pages, computed here and drawn as inline
//! SVG by the templates: horizontal bars, a heat map and a line chart. Pure
//! functions of the figures, so a page needs no script and prints as shown.
//! Every chart also has a title and description for screen readers, and
//! every page has the same numbers in a table.

use serde::Serialize;

mod line;

pub use line::{LineChart, LinePoint, line_chart};

/// Width of every chart's view box; the page scales it to fit.
const WIDTH: f64 = 720.0;

/// Rounds a coordinate to one decimal so the markup stays short.
fn px(value: f64) -> f64 {
    (value * 10.0).round() / 10.0
}

/// An axis tick: where and what it says.
#[derive(Debug, Clone, Serialize)]
pub struct Tick {
    pub x: f64,
    pub y: f64,
    pub label: String,
}

/// One horizontal bar with its label and value.
#[derive(Debug, Clone, Serialize)]
pub struct Bar {
    pub label: String,
    /// Top of the bar's band.
    pub y: f64,
    pub bar_y: f64,
    pub bar_height: f64,
    pub text_y: f64,
    pub width: f64,
    /// A second segment stacked after the first (0 when none).
    pub extra_width: f64,
    pub value_x: f64,
    pub value_text: String,
    /// Where the target mark sits, when there is one.
    pub marker_x: Option<f64>,
    /// `good | bad | neutral`: the colour class of the bar.
    pub tone: &'static str,
    /// Tooltip and accessible text.
    pub title: String,
}

/// A horizontal bar chart on a linear scale from 0.
#[derive(Debug, Clone, Serialize)]
pub struct BarChart {
    pub width: f64,
    pub height: f64,
    pub plot_left: f64,
    pub plot_right: f64,
    pub plot_top: f64,
    pub plot_bottom: f64,
    pub ticks: Vec<Tick>,
    pub bars: Vec<Bar>,
}

/// What one bar shows.
pub struct BarInput {
    pub label: String,
    pub value: f64,
    /// Stacked after `value` in a lighter tone (0 for none).
    pub extra: f64,
    pub value_text: String,
    pub marker: Option<f64>,
    pub tone: &'static str,
    pub title: String,
}

const BAND: f64 = 26.0;
const LABEL_WIDTH: f64 = 230.0;
/// Characters of a bar label that fit beside the plot (the full label is
/// in the bar's title and in the table).
const LABEL_CHARS: usize = 34;
/// Roughly the width of one character at the charts' 12px type.
const CHAR_WIDTH: f64 = 6.6;

/// `text` cut to `max` characters, with an ellipsis when cut.
fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut short: String = text.chars().take(max.saturating_sub(1)).collect();
    short.push('…');
    short
}

/// Bars on a scale from 0 to `max` (at least the largest value).
pub fn bar_chart(inputs: Vec<BarInput>, max: f64, unit: &str) -> BarChart {
    let largest = inputs
        .iter()
        .map(|input| input.value + input.extra)
        .fold(max, f64::max);
    let scale_max = nice_ceiling(largest);
    let plot_left = LABEL_WIDTH;
    // Leave room after the longest bar for its value text.
    let longest_text = inputs
        .iter()
        .map(|input| input.value_text.chars().count())
        .max()
        .unwrap_or(0);
    let plot_right = (WIDTH - 10.0 - CHAR_WIDTH * longest_text as f64).max(plot_left + 200.0);
    let plot_top = 10.0;
    let plot_bottom = plot_top + BAND * inputs.len().max(1) as f64;
    let span = plot_right - plot_left;
    let x_of = |value: f64| plot_left + span * (value.max(0.0) / scale_max);
    let ticks = (0..=4)
        .map(|step| {
            let value = scale_max * f64::from(step) / 4.0;
            Tick {
                x: px(x_of(value)),
                y: px(plot_bottom + 16.0),
                label: format!("{}{unit}", trim_number(value)),
            }
        })
        .collect();
    let bars = inputs
        .into_iter()
        .enumerate()
        .map(|(index, input)| {
            let y = plot_top + BAND * index as f64;
            let width = x_of(input.value) - plot_left;
            let extra_width = x_of(input.value + input.extra) - plot_left - width;
            Bar {
                label: shorten(&input.label, LABEL_CHARS),
                y: px(y),
                bar_y: px(y + 4.0),
                bar_height: BAND - 8.0,
                text_y: px(y + BAND / 2.0 + 4.0),
                width: px(width),
                extra_width: px(extra_width),
                value_x: px(plot_left + width + extra_width + 6.0),
                value_text: input.value_text,
                marker_x: input.marker.map(|value| px(x_of(value))),
                tone: input.tone,
                title: input.title,
            }
        })
        .collect();
    BarChart {
        width: WIDTH,
        height: px(plot_bottom + 30.0),
        plot_left,
        plot_right,
        plot_top,
        plot_bottom: px(plot_bottom),
        ticks,
        bars,
    }
}

/// 1, 2, 2.5 or 5 times a power of ten, at or above `value` (at least 1).
fn nice_ceiling(value: f64) -> f64 {
    if value <= 1.0 || !value.is_finite() {
        return 1.0;
    }
    let magnitude = 10f64.powf(value.log10().floor());
    for step in [1.0, 2.0, 2.5, 5.0, 10.0] {
        if step * magnitude >= value {
            return step * magnitude;
        }
    }
    10.0 * magnitude
}

fn trim_number(value: f64) -> String {
    if value.fract() == 0.0 {
        format!("{value:.0}")
    } else {
        format!("{value:.1}")
    }
}

/// One heat-map cell.
#[derive(Debug, Clone, Serialize)]
pub struct HeatCell {
    pub x: f64,
    pub y: f64,
    pub size: f64,
    pub text_x: f64,
    pub text_y: f64,
    pub sub_y: f64,
    pub fill: String,
    pub text_fill: &'static str,
    pub text: String,
    pub sub: String,
    pub title: String,
}

/// A provider × customer grid coloured by on-time %.
#[derive(Debug, Clone, Serialize)]
pub struct HeatMap {
    pub width: f64,
    pub height: f64,
    pub rows: Vec<Tick>,
    pub columns: Vec<Tick>,
    pub cells: Vec<HeatCell>,
}

/// What one heat-map cell shows, at (row, column).
pub struct HeatInput {
    pub row: usize,
    pub column: usize,
    /// On-time %, `None` when nothing was delivered.
    pub pct: Option<f64>,
    pub text: String,
    pub sub: String,
    pub title: String,
}

const CELL: f64 = 64.0;

pub fn heat_map(
    row_labels: Vec<String>,
    column_labels: Vec<String>,
    inputs: Vec<HeatInput>,
) -> HeatMap {
    let left = 20.0
        + CHAR_WIDTH
            * row_labels
                .iter()
                .map(|l| l.chars().count())
                .max()
                .unwrap_or(4) as f64;
    let top = 40.0;
    let rows = row_labels
        .into_iter()
        .enumerate()
        .map(|(index, label)| Tick {
            x: left - 8.0,
            y: px(top + CELL * index as f64 + CELL / 2.0 + 4.0),
            label,
        })
        .collect::<Vec<_>>();
    let columns = column_labels
        .into_iter()
        .enumerate()
        .map(|(index, label)| Tick {
            x: px(left + CELL * index as f64 + CELL / 2.0),
            y: top - 10.0,
            label,
        })
        .collect::<Vec<_>>();
    let cells = inputs
        .into_iter()
        .map(|input| {
            let x = left + CELL * input.column as f64;
            let y = top + CELL * input.row as f64;
            let (fill, text_fill) = heat_colour(input.pct);
            HeatCell {
                x: px(x + 1.0),
                y: px(y + 1.0),
                size: CELL - 2.0,
                text_x: px(x + CELL / 2.0),
                text_y: px(y + CELL / 2.0),
                sub_y: px(y + CELL / 2.0 + 16.0),
                fill,
                text_fill,
                text: input.text,
                sub: input.sub,
                title: input.title,
            }
        })
        .collect();
    HeatMap {
        width: px((left + CELL * columns.len().max(1) as f64 + 10.0).max(320.0)),
        height: px(top + CELL * rows.len().max(1) as f64 + 10.0),
        rows,
        columns,
        cells,
    }
}

/// Red (0 %) through amber to green (100 %); grey without deliveries.
/// Returns the fill and a text colour that contrasts with it.
fn heat_colour(pct: Option<f64>) -> (String, &'static str) {
    let Some(pct) = pct else {
        return ("#e5e7eb".into(), "#111827");
    };
    let hue = 120.0 * (pct.clamp(0.0, 100.0) / 100.0);
    let (r, g, b) = hsl_to_rgb(hue, 0.62, 0.42);
    (format!("#{r:02x}{g:02x}{b:02x}"), contrasting_text(r, g, b))
}

/// White or near-black, whichever contrasts more with the fill (WCAG
/// relative luminance): the amber middle of the scale needs dark text.
fn contrasting_text(r: u8, g: u8, b: u8) -> &'static str {
    let linear = |channel: u8| {
        let c = f64::from(channel) / 255.0;
        if c <= 0.039_28 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    let luminance = 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b);
    let against_white = 1.05 / (luminance + 0.05);
    let against_dark = (luminance + 0.05) / 0.05;
    if against_white >= against_dark {
        "#ffffff"
    } else {
        "#111827"
    }
}

fn hsl_to_rgb(hue: f64, saturation: f64, lightness: f64) -> (u8, u8, u8) {
    let chroma = (1.0 - (2.0 * lightness - 1.0).abs()) * saturation;
    let h = hue / 60.0;
    let x = chroma * (1.0 - (h % 2.0 - 1.0).abs());
    let (r, g, b) = match h as u32 {
        0 => (chroma, x, 0.0),
        1 => (x, chroma, 0.0),
        _ => (0.0, chroma, x),
    };
    let m = lightness - chroma / 2.0;
    let byte = |v: f64| ((v + m) * 255.0).round().clamp(0.0, 255.0) as u8;
    (byte(r), byte(g), byte(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scales_end_on_round_numbers() {
        assert_eq!(nice_ceiling(0.0), 1.0);
        assert_eq!(nice_ceiling(100.0), 100.0);
        assert_eq!(nice_ceiling(130.0), 200.0);
        assert_eq!(nice_ceiling(2400.0), 2500.0);
    }

    #[test]
    fn colours_run_from_red_to_green() {
        assert_eq!(heat_colour(Some(0.0)).0, "#ae2929");
        assert_eq!(heat_colour(Some(100.0)).0, "#29ae29");
        assert_eq!(heat_colour(None).0, "#e5e7eb");
        assert_eq!(heat_colour(Some(0.0)).1, "#ffffff");
        assert_eq!(
            heat_colour(Some(60.0)).1,
            "#111827",
            "amber takes dark text"
        );
    }
}
