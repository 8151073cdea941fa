//! A form's state in its page (what was typed, each refusal beside its
//! field), and parsing what people type into forms.

use std::collections::HashMap;

use rocket::http::Status;
use serde::Serialize;
use tera::Context;

use super::reply::{Refusal, field_messages};
use crate::entities::ids::DepartmentId;
use crate::error::{ApiError, FieldErrors};
use crate::time::Turnaround;

/// Puts a form's state into its page: `values` as typed, `errors` with an
/// entry (possibly empty) for every field so templates can read
/// `errors.title` unconditionally, `first_error` (the field to focus), and
/// the refusal's summary as `problem`.
pub fn insert_form(
    page: &mut Context,
    fields: &[&str],
    values: &impl Serialize,
    refusal: Option<&Refusal>,
) {
    let mut errors = FieldErrors::new();
    for field in fields {
        errors.insert((*field).to_owned(), Vec::new());
    }
    let mut first_error = "";
    if let Some(refusal) = refusal {
        for (field, messages) in &refusal.errors {
            errors.insert(field.clone(), messages.clone());
        }
        first_error = fields
            .iter()
            .find(|field| refusal.errors.contains_key(**field))
            .copied()
            .unwrap_or("");
        page.insert("problem", &refusal.summary);
    }
    page.insert("values", values);
    page.insert("errors", &errors);
    page.insert("first_error", first_error);
}

/// A refused post of one of a page's several forms (a request's moves, a
/// review's actions): which form, what was typed, and why. The page is
/// shown again with the refusal inside that form, as [`PageForm`]s.
pub struct Rejected {
    pub form: String,
    pub values: HashMap<String, String>,
    pub refusal: Refusal,
}

impl Rejected {
    /// Sorts `error` for the form `form` whose inputs are `fields`; an
    /// internal error stays an error.
    pub fn new(
        form: impl Into<String>,
        values: HashMap<String, String>,
        error: ApiError,
        fields: &[&str],
    ) -> Result<Rejected, ApiError> {
        Ok(Rejected {
            form: form.into(),
            values,
            refusal: Refusal::of(error, fields)?,
        })
    }

    /// The status of the page showing `rejected`: the refusal's, else 200.
    pub fn status(rejected: Option<&Rejected>) -> Status {
        rejected.map_or(Status::Ok, |rejected| rejected.refusal.status)
    }
}

/// What was typed into a form, by input name: the form struct's string
/// fields (those it serialises; the CSRF token it skips).
pub fn typed_values(values: &impl Serialize) -> HashMap<String, String> {
    match serde_json::to_value(values) {
        Ok(serde_json::Value::Object(map)) => map
            .into_iter()
            .filter_map(|(field, value)| Some((field, value.as_str()?.to_owned())))
            .collect(),
        _ => HashMap::new(),
    }
}

/// One form among several on a page, as its template reads it: `values`
/// and `errors` hold an entry (possibly empty) for every field, so the
/// template reads `form.errors.reason` unconditionally; `problem` is the
/// refusal's summary, shown at the form rather than at the top of the page.
#[derive(Serialize)]
pub struct PageForm {
    pub name: String,
    pub values: HashMap<String, String>,
    pub errors: FieldErrors,
    pub first_error: String,
    pub problem: Option<String>,
}

impl PageForm {
    /// The form `name` with inputs `fields`: blank, or as refused when
    /// `rejected` is this form's refusal.
    pub fn new(name: impl Into<String>, fields: &[&str], rejected: Option<&Rejected>) -> PageForm {
        let name = name.into();
        let mut form = PageForm {
            values: fields
                .iter()
                .map(|f| ((*f).to_owned(), String::new()))
                .collect(),
            errors: fields
                .iter()
                .map(|f| ((*f).to_owned(), Vec::new()))
                .collect(),
            first_error: String::new(),
            problem: None,
            name,
        };
        let Some(rejected) = rejected.filter(|rejected| rejected.form == form.name) else {
            return form;
        };
        for (field, value) in &rejected.values {
            form.values.insert(field.clone(), value.clone());
        }
        for (field, messages) in &rejected.refusal.errors {
            form.errors.insert(field.clone(), messages.clone());
        }
        form.first_error = fields
            .iter()
            .find(|field| rejected.refusal.errors.contains_key(**field))
            .map_or_else(String::new, |field| (*field).to_owned());
        form.problem = Some(rejected.refusal.summary.clone());
        form
    }

    /// Fills the inputs with `values` (the current terms, say), unless the
    /// form comes back refused: then it keeps what was typed.
    pub fn filled(mut self, values: impl IntoIterator<Item = (String, String)>) -> Self {
        if self.problem.is_none() {
            self.values.extend(values);
        }
        self
    }
}

/// Puts a page's forms in it, each group under its key; a refusal of a form
/// the page no longer offers (a move made twice, from a stale page) goes in
/// the summary at the top instead, so it is never lost.
pub fn insert_forms(
    page: &mut Context,
    groups: &[(&str, &[PageForm])],
    rejected: Option<&Rejected>,
) {
    let shown = |name: &str| {
        groups
            .iter()
            .any(|(_, forms)| forms.iter().any(|form| form.name == name))
    };
    if let Some(rejected) = rejected
        && !shown(&rejected.form)
    {
        let refusal = &rejected.refusal;
        let mut message = refusal.summary.clone();
        if !refusal.errors.is_empty() {
            message = format!("Not saved: {}", field_messages(&refusal.errors));
        }
        page.insert("problem", &message);
    }
    for (key, forms) in groups {
        page.insert(*key, forms);
    }
}

/// Request numbers typed as "12, #15 17" (empty is none); an unreadable
/// list is a field error on `field`.
pub fn parse_ids<Id: From<i64>>(text: &str, field: &str) -> Result<Vec<Id>, ApiError> {
    text.split([',', ' '])
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .map(|part| part.trim_start_matches('#').parse::<i64>().map(Id::from))
        .collect::<Result<_, _>>()
        .map_err(|_| {
            ApiError::field(
                field,
                "list request numbers separated by commas, e.g. 12, 15",
            )
        })
}

/// An id chosen in a `<select>`; nothing chosen is a field error.
pub fn parse_choice<Id: From<i64>>(text: &str, field: &str, what: &str) -> Result<Id, ApiError> {
    text.trim()
        .parse::<i64>()
        .map(Id::from)
        .map_err(|_| ApiError::field(field, format!("choose {what}")))
}

/// A whole number typed in a field; empty is `None`.
pub fn parse_number(text: &str, field: &str) -> Result<Option<i64>, ApiError> {
    match text.trim() {
        "" => Ok(None),
        text => text
            .parse()
            .map(Some)
            .map_err(|_| ApiError::field(field, "must be a whole number")),
    }
}

/// A turnaround typed as an amount and a unit, its errors named after the
/// form's own inputs `amount_field` and `unit_field`.
pub fn parse_turnaround_fields(
    amount: &str,
    unit: &str,
    amount_field: &str,
    unit_field: &str,
) -> Result<Turnaround, ApiError> {
    let amount = Some(amount.trim()).filter(|text| !text.is_empty());
    let unit = Some(unit.trim()).filter(|text| !text.is_empty());
    crate::validate::turnaround_text(amount, unit).map_err(|error| {
        let mut errors = FieldErrors::new();
        for (field, messages) in error.problem().errors {
            let field = match field.as_str() {
                "amount" => amount_field.to_owned(),
                "unit" => unit_field.to_owned(),
                _ => field,
            };
            errors.entry(field).or_default().extend(messages);
        }
        ApiError::invalid(errors)
    })
}

/// Collects the field errors of several parses into one refusal, so a form
/// shows every problem at once.
#[derive(Default)]
pub struct Parsed {
    errors: FieldErrors,
}

impl Parsed {
    /// The value, or `None` with its field errors kept.
    pub fn take<T>(&mut self, result: Result<T, ApiError>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(ApiError::Validation { errors, .. }) => {
                for (field, messages) in errors {
                    self.errors.entry(field).or_default().extend(messages);
                }
                None
            }
            Err(other) => {
                self.errors
                    .entry("form".into())
                    .or_default()
                    .push(other.to_string());
                None
            }
        }
    }

    /// `Ok` when every parse succeeded, else one 422 with all the errors.
    pub fn finish(self) -> Result<(), ApiError> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(ApiError::invalid(self.errors))
        }
    }
}

/// A `<select>` option; values are strings so templates compare them with
/// what was typed.
#[derive(Serialize)]
pub struct Choice {
    pub value: String,
    pub label: String,
}

/// Departments as choices, by name; `only` limits them to the given ids.
pub fn department_choices(
    names: &std::collections::HashMap<DepartmentId, String>,
    only: Option<&[DepartmentId]>,
) -> Vec<Choice> {
    let mut choices: Vec<(&DepartmentId, &String)> = names
        .iter()
        .filter(|(id, _)| only.is_none_or(|only| only.contains(id)))
        .collect();
    choices.sort_by(|a, b| a.1.cmp(b.1).then(a.0.cmp(b.0)));
    choices
        .into_iter()
        .map(|(id, name)| Choice {
            value: id.to_string(),
            label: name.clone(),
        })
        .collect()
}

/// The turnaround units, for a `<select>`.
pub fn unit_choices() -> Vec<Choice> {
    [
        ("business_hours", "business hours"),
        ("business_days", "business days"),
        ("calendar_hours", "calendar hours"),
        ("calendar_days", "calendar days"),
    ]
    .into_iter()
    .map(|(value, label)| Choice {
        value: value.into(),
        label: label.into(),
    })
    .collect()
}
