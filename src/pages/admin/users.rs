//! The organisation's people: the list with the form to add someone, and a
//! page per person to change their role and department or deactivate them.

use std::collections::HashMap;

use rocket::form::FromForm;
use rocket::http::Status;
use rocket::request::FlashMessage;
use rocket::response::content::RawHtml;
use rocket::{Route, State, get, post, routes};
use serde::Serialize;
use serde_json::json;

use super::{EVERY, admin_only, role_choices, shown_version};
use crate::entities::Named;
use crate::entities::ids::{DepartmentId, UserId};
use crate::entities::user::{self, Role};
use crate::error::ApiError;
use crate::pages::{
    FormReply, PageForm, PageResult, PageUser, Parsed, Posted, Refusal, Rejected, carries_csrf,
    context, department_choices, department_names, html, insert_form, insert_forms, parse_choice,
    typed_values,
};
use crate::services::users::{self, NewUser, UserChanges};
use crate::state::AppState;

pub fn routes() -> Vec<Route> {
    routes![list, create, show, edit, deactivate]
}

/// The add-a-person form, kept as typed (except the password, which is
/// never sent back).
#[derive(FromForm, Serialize, Default)]
struct NewUserForm {
    #[serde(skip)]
    #[field(default = "")]
    _csrf: String,
    #[field(default = "")]
    name: String,
    #[field(default = "")]
    email: String,
    #[field(default = "")]
    role: String,
    #[field(default = "")]
    department_id: String,
    #[serde(skip)]
    #[field(default = "")]
    password: String,
}

carries_csrf!(NewUserForm);

const NEW_FIELDS: [&str; 5] = ["name", "email", "role", "department_id", "password"];

/// Role and department of one person; `version` is the one the page showed.
#[derive(FromForm, Serialize, Default)]
struct EditForm {
    #[serde(skip)]
    #[field(default = "")]
    _csrf: String,
    #[serde(skip)]
    #[field(default = "")]
    version: String,
    #[field(default = "")]
    role: String,
    #[field(default = "")]
    department_id: String,
}

carries_csrf!(EditForm);

const EDIT_FIELDS: [&str; 2] = ["role", "department_id"];

#[derive(FromForm, Serialize, Default)]
struct DeactivateForm {
    #[serde(skip)]
    #[field(default = "")]
    _csrf: String,
    #[field(default = "")]
    confirm: String,
}

carries_csrf!(DeactivateForm);

const DEACTIVATE_FIELDS: [&str; 1] = ["confirm"];

/// A role chosen in the form; nothing or something unknown is a field error.
fn parse_role(text: &str) -> Result<Role, ApiError> {
    Role::named(text.trim()).ok_or_else(|| ApiError::field("role", "choose a role"))
}

/// A department chosen in the form; "none" is empty.
fn parse_department(text: &str) -> Result<Option<DepartmentId>, ApiError> {
    match text.trim() {
        "" => Ok(None),
        text => parse_choice(text, "department_id", "a department").map(Some),
    }
}

async fn users_page(
    state: &AppState,
    user: &PageUser,
    flash: Option<FlashMessage<'_>>,
    values: &NewUserForm,
    refusal: Option<&Refusal>,
) -> Result<(Status, RawHtml<String>), ApiError> {
    admin_only(user)?;
    let me = &user.auth;
    let names = department_names(state, user).await?;
    let mut rows: Vec<user::Model> = users::list(state.db(), me, EVERY, None).await?;
    rows.sort_by(|a, b| {
        b.active
            .cmp(&a.active)
            .then_with(|| a.name.to_lowercase().cmp(&b.name.to_lowercase()))
    });
    let people: Vec<_> = rows
        .iter()
        .map(|row| {
            json!({
                "id": row.id, "name": row.name, "email": row.email, "role": row.role.as_str(),
                "department": row.department_id.and_then(|id| names.get(&id)),
                "active": row.active, "me": row.id == me.id,
            })
        })
        .collect();
    let mut page = context(user, "People", flash);
    page.insert("people", &people);
    page.insert("roles", &role_choices());
    page.insert("departments", &department_choices(&names, None));
    insert_form(&mut page, &NEW_FIELDS, values, refusal);
    Ok(html(
        refusal.map_or(Status::Ok, |refusal| refusal.status),
        state.views.render("pages/admin_users.html", &page)?,
    ))
}

#[get("/admin/users")]
async fn list(
    state: &State<AppState>,
    user: PageUser,
    flash: Option<FlashMessage<'_>>,
) -> PageResult<(Status, RawHtml<String>)> {
    let values = NewUserForm {
        role: Role::Staff.as_str().to_owned(),
        ..Default::default()
    };
    Ok(users_page(state, &user, flash, &values, None).await?)
}

#[post("/admin/users", data = "<posted>")]
async fn create(state: &State<AppState>, posted: Posted<NewUserForm>) -> PageResult<FormReply> {
    let genuine = posted.genuine();
    let Posted { user, form, .. } = posted;
    admin_only(&user)?;
    match add(state, &user, &form, genuine).await {
        Ok(row) => Ok(FormReply::done(
            "/admin/users".into(),
            &format!(
                "{} was added. They sign in with {} and the password you chose.",
                row.name, row.email
            ),
        )),
        Err(error) => {
            let refusal = Refusal::of(error, &NEW_FIELDS)?;
            Ok(FormReply::Again(
                users_page(state, &user, None, &form, Some(&refusal)).await?,
            ))
        }
    }
}

async fn add(
    state: &AppState,
    user: &PageUser,
    form: &NewUserForm,
    genuine: Result<(), ApiError>,
) -> Result<user::Model, ApiError> {
    genuine?;
    let mut parsed = Parsed::default();
    let role = parsed.take(parse_role(&form.role));
    let department_id = parsed.take(parse_department(&form.department_id));
    parsed.finish()?;
    let (Some(role), Some(department_id)) = (role, department_id) else {
        return Err(ApiError::Internal("a parsed user field is missing".into()));
    };
    users::create(
        state.db(),
        &user.auth,
        NewUser {
            name: form.name.clone(),
            email: form.email.clone(),
            password: form.password.clone(),
            role,
            department_id,
        },
    )
    .await
}

async fn user_page(
    state: &AppState,
    user: &PageUser,
    id: UserId,
    flash: Option<FlashMessage<'_>>,
    rejected: Option<&Rejected>,
) -> Result<(Status, RawHtml<String>), ApiError> {
    admin_only(user)?;
    let me = &user.auth;
    let row = users::get(state.db(), me, id).await?;
    let names = department_names(state, user).await?;
    let mut page = context(user, &row.name, flash);
    page.insert(
        "person",
        &json!({
            "id": row.id, "name": row.name, "email": row.email, "role": row.role.as_str(),
            "department": row.department_id.and_then(|id| names.get(&id)),
            "active": row.active, "me": row.id == me.id, "version": row.version,
        }),
    );
    page.insert("roles", &role_choices());
    page.insert("departments", &department_choices(&names, None));
    let mut forms = Vec::new();
    if row.active {
        forms.push(
            PageForm::new("edit", &EDIT_FIELDS, rejected).filled([
                ("role".to_owned(), row.role.as_str().to_owned()),
                (
                    "department_id".to_owned(),
                    row.department_id
                        .map(|id| id.to_string())
                        .unwrap_or_default(),
                ),
            ]),
        );
    }
    let mut deactivate = Vec::new();
    if row.active && row.id != me.id {
        deactivate.push(PageForm::new("deactivate", &DEACTIVATE_FIELDS, rejected));
    }
    insert_forms(
        &mut page,
        &[("edit", &forms), ("deactivate", &deactivate)],
        rejected,
    );
    Ok(html(
        Rejected::status(rejected),
        state.views.render("pages/admin_user.html", &page)?,
    ))
}

#[get("/admin/users/<id>")]
async fn show(
    state: &State<AppState>,
    user: PageUser,
    id: UserId,
    flash: Option<FlashMessage<'_>>,
) -> PageResult<(Status, RawHtml<String>)> {
    Ok(user_page(state, &user, id, flash, None).await?)
}

#[post("/admin/users/<id>", data = "<posted>")]
async fn edit(
    state: &State<AppState>,
    id: UserId,
    posted: Posted<EditForm>,
) -> PageResult<FormReply> {
    let genuine = posted.genuine();
    let Posted { user, form, .. } = posted;
    admin_only(&user)?;
    let outcome = async {
        genuine?;
        let mut parsed = Parsed::default();
        let role = parsed.take(parse_role(&form.role));
        let department_id = parsed.take(parse_department(&form.department_id));
        parsed.finish()?;
        let changes = UserChanges {
            role,
            department_id,
            ..Default::default()
        };
        users::update(
            state.db(),
            &user.auth,
            id,
            shown_version(&form.version),
            changes,
        )
        .await
    }
    .await;
    match outcome {
        Ok(row) => Ok(FormReply::done(
            format!("/admin/users/{id}"),
            &format!(
                "Saved: {} is now {}.",
                row.name,
                role_phrase(&row, state).await?
            ),
        )),
        Err(error) => {
            let rejected = Rejected::new("edit", typed_values(&form), error, &EDIT_FIELDS)?;
            Ok(FormReply::Again(
                user_page(state, &user, id, None, Some(&rejected)).await?,
            ))
        }
    }
}

/// "Lead of Legal", "Staff of Sales", "Leader": a person's place in words.
async fn role_phrase(row: &user::Model, state: &AppState) -> Result<String, ApiError> {
    let role = crate::views::words(row.role.as_str());
    let Some(department) = row.department_id else {
        return Ok(role);
    };
    let names: HashMap<DepartmentId, String> =
        crate::services::departments::names(state.db(), row.organisation_id).await?;
    Ok(match names.get(&department) {
        Some(name) => format!("{role} in {name}"),
        None => role,
    })
}

#[post("/admin/users/<id>/deactivate", data = "<posted>")]
async fn deactivate(
    state: &State<AppState>,
    id: UserId,
    posted: Posted<DeactivateForm>,
) -> PageResult<FormReply> {
    let genuine = posted.genuine();
    let Posted { user, form, .. } = posted;
    admin_only(&user)?;
    let outcome = async {
        genuine?;
        if form.confirm != "yes" {
            return Err(ApiError::field(
                "confirm",
                "tick the box to confirm: deactivating cannot be undone here",
            ));
        }
        users::deactivate(state.db(), &user.auth, id).await
    }
    .await;
    match outcome {
        Ok(row) => Ok(FormReply::done(
            "/admin/users".into(),
            &format!(
                "{} is deactivated: they can no longer sign in, and their sessions have ended.",
                row.name
            ),
        )),
        Err(error) => {
            let rejected =
                Rejected::new("deactivate", typed_values(&form), error, &DEACTIVATE_FIELDS)?;
            Ok(FormReply::Again(
                user_page(state, &user, id, None, Some(&rejected)).await?,
            ))
        }
    }
}
