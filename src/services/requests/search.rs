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

use sea_orm::sea_query::{Alias, Expr, JoinType, Order};
use sea_orm::{DatabaseBackend, QueryTrait, Select};

use crate::entities::request;
use crate::error::ApiError;

/// The most characters a query may have.
pub const MAX_QUERY_CHARS: usize = 200;
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

    /// Keeps the requests that match; with `ranked`, best first.
    pub fn apply(
        &self,
        backend: DatabaseBackend,
        mut query: Select<request::Entity>,
        ranked: bool,
    ) -> Select<request::Entity> {
        let table = Alias::new("request_search");
        let statement = QueryTrait::query(&mut query);
        match backend {
            DatabaseBackend::Sqlite => {
                statement
                    .join(
                        JoinType::InnerJoin,
                        table,
                        Expr::cust("request_search.rowid = requests.id"),
                    )
                    .and_where(Expr::cust_with_values(
                        "request_search MATCH ?",
                        [self.fts5()],
                    ));
                if ranked {
                    statement.order_by_expr(
                        Expr::cust("bm25(request_search, 10.0, 4.0, 1.0)"),
                        Order::Asc,
                    );
                }
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
                if ranked {
                    statement.order_by_expr(
                        Expr::cust_with_values(
                            "ts_rank(request_search.document, to_tsquery('simple', $1))",
                            [self.tsquery()],
                        ),
                        Order::Desc,
                    );
                }
            }
        }
        query
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
