//! The handoff graph of a commitment drawn as SVG on the server: requests in
//! columns by depth, arrows from each input to what needs it, the critical
//! path in bold and the requests whose department caused a slip in red.

use std::collections::{HashMap, HashSet};
use std::fmt::Write;

/// One request of the graph.
pub struct Node {
    pub id: i64,
    /// The request's title, and below it who owes it to whom.
    pub title: String,
    pub label: String,
    pub inputs: Vec<i64>,
    /// Whether the reader may open the request: only then is its box a link.
    pub readable: bool,
}

const COLUMN: i64 = 190;
const ROW: i64 = 64;
const BOX_W: i64 = 160;
const BOX_H: i64 = 44;

/// Labels are cut to fit their box; the full text is on the request page.
fn shorten(text: &str) -> String {
    const FITS: usize = 24;
    if text.chars().count() <= FITS {
        text.to_owned()
    } else {
        let mut cut: String = text.chars().take(FITS - 1).collect();
        cut.push('…');
        cut
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// SVG of `nodes` feeding the commitment `title`.
pub fn draw(
    nodes: &[Node],
    feeds: &[i64],
    critical: &[i64],
    causes: &HashSet<i64>,
    title: &str,
) -> String {
    let by_id: HashMap<i64, &Node> = nodes.iter().map(|node| (node.id, node)).collect();
    // Depth = longest chain of inputs below a node; memoised, cycle-safe.
    let mut depth: HashMap<i64, i64> = HashMap::new();
    fn depth_of(
        id: i64,
        by_id: &HashMap<i64, &Node>,
        depth: &mut HashMap<i64, i64>,
        guard: &mut HashSet<i64>,
    ) -> i64 {
        if let Some(&known) = depth.get(&id) {
            return known;
        }
        if !guard.insert(id) {
            return 0;
        }
        let d = by_id
            .get(&id)
            .map(|node| {
                node.inputs
                    .iter()
                    .filter(|i| by_id.contains_key(i))
                    .map(|&i| depth_of(i, by_id, depth, guard) + 1)
                    .max()
                    .unwrap_or(0)
            })
            .unwrap_or(0);
        depth.insert(id, d);
        d
    }
    let mut guard = HashSet::new();
    for node in nodes {
        depth_of(node.id, &by_id, &mut depth, &mut guard);
    }
    let columns = depth.values().copied().max().unwrap_or(0) + 1;
    let mut rows_in: HashMap<i64, i64> = HashMap::new();
    let mut position: HashMap<i64, (i64, i64)> = HashMap::new();
    let mut ordered: Vec<&Node> = nodes.iter().collect();
    ordered.sort_by_key(|node| (depth.get(&node.id).copied().unwrap_or(0), node.id));
    for node in ordered {
        let column = depth.get(&node.id).copied().unwrap_or(0);
        let row = rows_in.entry(column).or_insert(0);
        position.insert(node.id, (20 + column * COLUMN, 20 + *row * ROW));
        *row += 1;
    }
    let tallest = rows_in.values().copied().max().unwrap_or(1).max(1);
    let sink = (20 + columns * COLUMN, 20 + (tallest - 1) * ROW / 2);
    let width = sink.0 + BOX_W + 20;
    let height = 20 + tallest * ROW + 10;
    let on_path: HashSet<i64> = critical.iter().copied().collect();
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg class="chart graph" viewBox="0 0 {width} {height}" style="max-width: {width}px" role="group" aria-labelledby="graph-title"><title id="graph-title">Handoffs feeding {}; the critical path is drawn bold</title>"#,
        escape(title)
    );
    svg.push_str(r##"<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#6b7280"/></marker></defs>"##);
    let edge = |svg: &mut String, from: (i64, i64), to: (i64, i64), bold: bool| {
        let _ = write!(
            svg,
            r#"<line x1="{}" y1="{}" x2="{}" y2="{}" class="{}" marker-end="url(#arrow)"/>"#,
            from.0 + BOX_W,
            from.1 + BOX_H / 2,
            to.0,
            to.1 + BOX_H / 2,
            if bold { "edge critical" } else { "edge" }
        );
    };
    for node in nodes {
        let Some(&to) = position.get(&node.id) else {
            continue;
        };
        for input in &node.inputs {
            if let Some(&from) = position.get(input) {
                edge(
                    &mut svg,
                    from,
                    to,
                    on_path.contains(input) && on_path.contains(&node.id),
                );
            }
        }
    }
    for id in feeds {
        if let Some(&from) = position.get(id) {
            edge(&mut svg, from, sink, critical.last() == Some(id));
        }
    }
    for node in nodes {
        let Some(&(x, y)) = position.get(&node.id) else {
            continue;
        };
        let mut class = String::from("node");
        if on_path.contains(&node.id) {
            class.push_str(" critical");
        }
        if causes.contains(&node.id) {
            class.push_str(" cause");
        }
        let body = format!(
            r#"<g class="{class}"><title>{full}</title><rect x="{x}" y="{y}" width="{BOX_W}" height="{BOX_H}" rx="6"/><text x="{tx}" y="{ty}">{title}</text><text x="{tx}" y="{ty2}" class="small">{label}</text></g>"#,
            full = escape(&format!("{}: {}", node.title, node.label)),
            tx = x + 8,
            ty = y + 18,
            ty2 = y + 35,
            title = escape(&shorten(&node.title)),
            label = escape(&shorten(&node.label)),
        );
        // A request of two other departments is named, not linked: its page
        // would refuse the reader.
        if node.readable {
            let _ = write!(svg, r#"<a href="/requests/{}">{body}</a>"#, node.id);
        } else {
            svg.push_str(&body);
        }
    }
    let _ = write!(
        svg,
        r#"<g class="node sink"><rect x="{}" y="{}" width="{BOX_W}" height="{BOX_H}" rx="6"/><text x="{}" y="{}">{}</text></g></svg>"#,
        sink.0,
        sink.1,
        sink.0 + 8,
        sink.1 + 27,
        escape(&shorten(title))
    );
    svg
}

#[cfg(test)]
mod tests {
    use super::{Node, draw};

    #[test]
    fn draws_every_node_and_marks_the_path_and_causes() {
        let nodes = vec![
            Node {
                id: 1,
                title: "Contract".into(),
                label: "Legal".into(),
                inputs: vec![],
                readable: false,
            },
            Node {
                id: 2,
                title: "Budget".into(),
                label: "Finance <EU>".into(),
                inputs: vec![1],
                readable: true,
            },
        ];
        let svg = draw(&nodes, &[2], &[1, 2], &[2].into_iter().collect(), "Go-live");
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(
            svg.contains("Contract") && svg.contains("Budget"),
            "named by title"
        );
        assert!(
            !svg.contains("href=\"/requests/1\"") && svg.contains("href=\"/requests/2\""),
            "only the readable request is a link"
        );
        assert!(svg.contains("node critical cause"));
        assert!(svg.contains("Finance &lt;EU&gt;"), "labels are escaped");
        assert_eq!(svg.matches("edge critical").count(), 2);
    }
}
