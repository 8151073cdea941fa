//! The notice kinds a webhook wants: some by name, or all of them (`*`),
//! those added to Baton later included. Stored as a JSON array of names
//! (`webhooks.events`), exchanged the same way in the API.

use crate::entities::Named;
use crate::entities::notification::NotificationKind;
use crate::validate::{Checker, one_of};

/// The name that stands for every kind.
pub const ALL: &str = "*";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Wanted {
    All,
    /// These, in the order first given, each once.
    Kinds(Vec<NotificationKind>),
}

impl Wanted {
    /// The stored column read back. A name Baton no longer knows is
    /// skipped rather than refused: the webhook keeps the others.
    pub fn read(stored: &str) -> Wanted {
        let names: Vec<String> = serde_json::from_str(stored).unwrap_or_default();
        if names.iter().any(|name| name == ALL) {
            return Wanted::All;
        }
        Wanted::Kinds(
            names
                .iter()
                .filter_map(|name| NotificationKind::named(name))
                .collect(),
        )
    }

    /// The names, as the API shows them and the column stores them.
    pub fn names(&self) -> Vec<String> {
        match self {
            Wanted::All => vec![ALL.to_owned()],
            Wanted::Kinds(kinds) => kinds.iter().map(|kind| kind.as_str().to_owned()).collect(),
        }
    }

    /// The column's value.
    pub fn stored(&self) -> String {
        serde_json::Value::from(self.names()).to_string()
    }

    pub fn covers(&self, kind: NotificationKind) -> bool {
        match self {
            Wanted::All => true,
            Wanted::Kinds(kinds) => kinds.contains(&kind),
        }
    }

    /// The kinds a client named: at least one, each a notice kind or `*`.
    pub fn check(check: &mut Checker, field: &str, names: &[String]) -> Wanted {
        if names.is_empty() {
            check.add(
                field,
                format!("must name at least one kind: {} or {ALL} for all", kinds()),
            );
            return Wanted::Kinds(Vec::new());
        }
        let unknown: Vec<&str> = names
            .iter()
            .map(String::as_str)
            .filter(|name| *name != ALL && NotificationKind::named(name).is_none())
            .collect();
        if !unknown.is_empty() {
            check.add(
                field,
                format!(
                    "{} {} not a kind: each must be {}, or {ALL} for all",
                    unknown.join(", "),
                    if unknown.len() == 1 { "is" } else { "are" },
                    kinds()
                ),
            );
        }
        if names.iter().any(|name| name == ALL) {
            return Wanted::All;
        }
        let mut wanted: Vec<NotificationKind> = Vec::new();
        for kind in names
            .iter()
            .filter_map(|name| NotificationKind::named(name))
        {
            if !wanted.contains(&kind) {
                wanted.push(kind);
            }
        }
        Wanted::Kinds(wanted)
    }
}

fn kinds() -> String {
    one_of::<NotificationKind>()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|name| (*name).to_owned()).collect()
    }

    #[test]
    fn named_kinds_are_kept_once_in_order_and_stored_as_a_json_array() {
        let mut check = Checker::new();
        let wanted = Wanted::check(
            &mut check,
            "events",
            &names(&["overdue", "forecast_late", "overdue"]),
        );
        assert!(check.finish().is_ok());
        assert_eq!(
            wanted,
            Wanted::Kinds(vec![
                NotificationKind::Overdue,
                NotificationKind::ForecastLate
            ])
        );
        assert_eq!(wanted.stored(), r#"["overdue","forecast_late"]"#);
        assert_eq!(Wanted::read(&wanted.stored()), wanted);
        assert!(wanted.covers(NotificationKind::Overdue));
        assert!(!wanted.covers(NotificationKind::Mentioned));
    }

    #[test]
    fn the_star_covers_every_kind() {
        let mut check = Checker::new();
        let wanted = Wanted::check(&mut check, "events", &names(&["*"]));
        assert!(check.finish().is_ok());
        assert_eq!(wanted.stored(), r#"["*"]"#);
        for kind in NotificationKind::members() {
            assert!(Wanted::read(r#"["*"]"#).covers(kind));
        }
    }

    #[test]
    fn no_kind_or_an_unknown_kind_is_refused() {
        let mut check = Checker::new();
        Wanted::check(&mut check, "events", &[]);
        assert!(check.finish().is_err());
        let mut check = Checker::new();
        Wanted::check(&mut check, "events", &names(&["overdue", "lunch"]));
        let Err(crate::error::ApiError::Validation { errors, .. }) = check.finish() else {
            panic!("refused");
        };
        assert!(errors["events"][0].starts_with("lunch is not a kind"));
    }

    #[test]
    fn a_stored_name_no_longer_known_is_skipped() {
        assert_eq!(
            Wanted::read(r#"["overdue","retired_kind"]"#),
            Wanted::Kinds(vec![NotificationKind::Overdue])
        );
        assert_eq!(Wanted::read("not json"), Wanted::Kinds(Vec::new()));
    }
}
