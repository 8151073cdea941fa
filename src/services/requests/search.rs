//! Finding requests by their words: title, details and the conversation.
//!
//! The index is kept by the database itself (the triggers of migration
//! `m20261205_000001_working_together`), in the transaction of each write:
//! an FTS5 table on SQLite, a `tsvector` with a GIN index on PostgreSQL.
//!
//! A query is reduced to its words (letters and digits; everything else
//! separates them), so no input can reach either database's query syntax.
//! Every word must match, each as a prefix ("contr" finds "contract").
//! Ranking weighs the title above the details above the comments: FTS5's
//! `bm25` with weights 10, 4, 1 and PostgreSQL's `ts_rank` over weights
//! A, B, C; ties go to the lower id, so that a page boundary is stable.
//!
//! Ranking costs a score for every match ranked, so it looks at the newest
//! [`RANKED_WINDOW`] matches that pass the other filters: every match when
//! there are fewer (nearly every search people make), the recent ones for a
//! word that a tenth of an organisation's history holds (where scoring all
//! of them took 0.3 s at 50,000 requests and grows with the history). The
//! list by id (`list` with a search: the CSV, the list page's export)
//! still reaches every match.

use sea_orm::sea_query::{Alias, Expr, JoinType, Order};
use sea_orm::{DatabaseBackend, EntityTrait, QueryTrait, Select};

use crate::entities::request;
use crate::error::ApiError;

/// The most characters a query may have.
pub const MAX_QUERY_CHARS: usize = 200;
/// The newest matches that are ranked; older ones are found by narrowing
/// the search, or in the CSV of the list.
pub const RANKED_WINDOW: u64 = 2_000;
/// Words beyond this many are ignored.
const MAX_WORDS: usize = 12;

/// The words of a search, lower-cased.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Search {
    words: Vec<String>,
}

impl Search {
    /// `None` for a blank query; 422 on `q` for one too long.
    pub fn parse(q: Option<&str>) -> Result<Option<Search>, ApiError> {
        let Some(q) = q else { return Ok(None) };
        if q.chars().count() > MAX_QUERY_CHARS {
            return Err(ApiError::field(
                "q",
                format!("must be at most {MAX_QUERY_CHARS} characters"),
            ));
        }
        let words: Vec<String> = q
            .split(|c: char| !c.is_alphanumeric())
            .filter(|word| !word.is_empty())
            .take(MAX_WORDS)
            .map(str::to_lowercase)
            .collect();
        Ok((!words.is_empty()).then_some(Search { words }))
    }

    pub fn words(&self) -> &[String] {
        &self.words
    }

    /// FTS5: every word as a quoted prefix; juxtaposition means AND.
    fn fts5(&self) -> String {
        let terms: Vec<String> = self.words.iter().map(|w| format!("\"{w}\"*")).collect();
        terms.join(" ")
    }

    /// `to_tsquery`: every word as a prefix, all of them.
    fn tsquery(&self) -> String {
        let terms: Vec<String> = self.words.iter().map(|w| format!("{w}:*")).collect();
        terms.join(" & ")
    }

    /// Keeps the requests of `query` that match (in no particular order).
    pub fn apply(
        &self,
        backend: DatabaseBackend,
        mut query: Select<request::Entity>,
    ) -> Select<request::Entity> {
        let table = Alias::new("request_search");
        let statement = QueryTrait::query(&mut query);
        match backend {
            DatabaseBackend::Sqlite => {
                // The index first, the requests it names after: `CROSS JOIN`
                // is SQLite's way to fix the order of a join. Left to itself,
                // SQLite 3.51 walks every request of the organisation and
                // asks the index about each (22 s instead of 48 ms for a
                // common word over 50,000 requests). sea-query writes a cross
                // join without its `ON`, so the join's condition is a filter.
                statement
                    .from_clear()
                    .from(table)
                    .join(JoinType::CrossJoin, request::Entity, Expr::cust("TRUE"))
                    .and_where(Expr::cust("request_search.rowid = requests.id"))
                    .and_where(Expr::cust_with_values(
                        "request_search MATCH ?",
                        [self.fts5()],
                    ));
            }
            _ => {
                statement
                    .join(
                        JoinType::InnerJoin,
                        table,
                        Expr::cust("request_search.request_id = requests.id"),
                    )
                    .and_where(Expr::cust_with_values(
                        "request_search.document @@ to_tsquery('simple', $1)",
                        [self.tsquery()],
                    ));
            }
        }
        query
    }

    /// The requests of `query` that match, best first, among the newest
    /// [`RANKED_WINDOW`] of them; ties by ascending id.
    pub fn ranked(
        &self,
        backend: DatabaseBackend,
        query: Select<request::Entity>,
    ) -> Select<request::Entity> {
        let mut hits = self.apply(backend, query);
        let window = QueryTrait::query(&mut hits);
        let id = (request::Entity, request::Column::Id);
        window
            .clear_selects()
            .expr_as(Expr::col(id), Alias::new("hit_id"));
        let best_first = match backend {
            DatabaseBackend::Sqlite => {
                window
                    .expr_as(
                        Expr::cust("bm25(request_search, 10.0, 4.0, 1.0)"),
                        Alias::new("score"),
                    )
                    // Newest first straight from the index, which stops at
                    // the window (by `requests.id` it would sort every match).
                    .order_by_expr(Expr::cust("request_search.rowid"), Order::Desc);
                Order::Asc
            }
            _ => {
                window.expr_as(
                    Expr::cust_with_values(
                        "ts_rank(request_search.document, to_tsquery('simple', $1))",
                        [self.tsquery()],
                    ),
                    Alias::new("score"),
                );
                window.order_by(id, Order::Desc);
                Order::Desc
            }
        };
        window.limit(RANKED_WINDOW);
        let window = window.to_owned();
        let mut ranked = request::Entity::find();
        QueryTrait::query(&mut ranked)
            .join_subquery(
                JoinType::InnerJoin,
                window,
                Alias::new("hits"),
                Expr::cust("hits.hit_id = requests.id"),
            )
            .order_by_expr(Expr::cust("hits.score"), best_first)
            .order_by(id, Order::Asc);
        ranked
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_query_is_reduced_to_its_words_so_no_syntax_reaches_the_database() {
        let search = Search::parse(Some(r#"Contract" OR "x* & !y:* (NEAR) — Ünïcode"#))
            .unwrap()
            .unwrap();
        assert_eq!(
            search.words(),
            ["contract", "or", "x", "y", "near", "ünïcode"]
        );
        assert_eq!(
            search.fts5(),
            r#""contract"* "or"* "x"* "y"* "near"* "ünïcode"*"#
        );
        assert_eq!(
            search.tsquery(),
            "contract:* & or:* & x:* & y:* & near:* & ünïcode:*"
        );
    }

    #[test]
    fn a_blank_query_is_no_search_and_an_overlong_one_is_refused() {
        assert_eq!(Search::parse(None).unwrap(), None);
        assert_eq!(Search::parse(Some("  -- ")).unwrap(), None);
        assert!(Search::parse(Some(&"a".repeat(MAX_QUERY_CHARS))).is_ok());
        assert!(Search::parse(Some(&"a".repeat(MAX_QUERY_CHARS + 1))).is_err());
    }
}
