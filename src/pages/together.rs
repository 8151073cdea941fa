//! Working a request together on its page: the conversation (newest at the
//! bottom, a form to add to it) and who of the provider has it (a select of
//! the provider department's people, for the provider side).

use rocket::form::FromForm;
use rocket::{Route, State, post, routes};
use serde::Serialize;
use serde_json::json;
use tera::Context;

use super::requests::request_page;
use super::{FormReply, PageResult, Posted, Rejected, carries_csrf, local, typed_values};
use crate::entities::comment::Model as Comment;
use crate::entities::ids::{RequestId, UserId};
use crate::entities::request;
use crate::error::ApiError;
use crate::identity::{AuthUser, Role};
use crate::pagination::PageRequest;
use crate::services::ExpectedVersion;
use crate::services::departments::People;
use crate::services::requests::{self, RequestChanges};
use crate::services::{comments, thanks};
use crate::state::AppState;

pub fn routes() -> Vec<Route> {
    routes![comment, assign, thank]
}

/// The most comments a page shows (a conversation longer than this is
/// read through the API, a page at a time).
const SHOWN: u64 = 1_000;

/// The most people offered as assignees.
const CHOOSABLE: usize = 500;

/// What the request page shows of the work together.
pub struct Together {
    conversation: Vec<serde_json::Value>,
    assignee: Option<String>,
    /// The provider's people, when the reader may assign.
    choices: Option<Vec<serde_json::Value>>,
    assignee_id: Option<UserId>,
}

/// Whether `actor` is on the provider side of `row` (or an admin).
fn provider_side(actor: &AuthUser, row: &request::Model) -> bool {
    actor.role == Role::Admin
        || (matches!(actor.role, Role::Lead | Role::Staff)
            && actor.department_id == Some(row.provider_department_id))
}

/// The comments of `row` its page shows, oldest first: the conversation
/// [`of`] lays out.
pub async fn conversation_of(
    state: &AppState,
    row: &request::Model,
) -> Result<Vec<Comment>, ApiError> {
    let all = PageRequest {
        after_id: 0,
        limit: SHOWN,
    };
    comments::list_of(state.db(), row, all).await
}

/// The conversation `said` and the assignee of a request `actor` may
/// read, named from `people` (the organisation's, `pages::people`), with
/// the provider's active people to choose an assignee from.
pub fn of(
    actor: &AuthUser,
    row: &request::Model,
    said: &[Comment],
    people: &People,
    zone: chrono_tz::Tz,
) -> Together {
    let name = |id: UserId| people.name_or_number(id);
    let conversation = said
        .iter()
        .take(SHOWN as usize)
        .map(|c| {
            json!({
                "id": c.id, "author": name(c.author_user_id), "body": c.body,
                "at": local(c.created_at, zone), "edited": c.edited_at.is_some(),
            })
        })
        .collect();
    let choices = provider_side(actor, row).then(|| {
        people
            .members_of(row.provider_department_id)
            .into_iter()
            .take(CHOOSABLE)
            .map(|(id, person)| json!({"value": id.to_string(), "label": person.name}))
            .collect()
    });
    Together {
        conversation,
        assignee: row.assignee_user_id.map(name),
        choices,
        assignee_id: row.assignee_user_id,
    }
}

impl Together {
    pub fn insert_into(self, page: &mut Context) {
        page.insert("conversation", &self.conversation);
        page.insert("assignee", &self.assignee);
        page.insert(
            "assignee_id",
            &self
                .assignee_id
                .map(|id| id.to_string())
                .unwrap_or_default(),
        );
        if let Some(choices) = &self.choices {
            page.insert("assignee_choices", choices);
        }
    }
}

#[derive(FromForm, Serialize)]
struct CommentForm {
    #[serde(skip)]
    #[field(default = "")]
    _csrf: String,
    #[field(default = "")]
    body: String,
}

#[derive(FromForm, Serialize)]
struct AssignForm {
    #[serde(skip)]
    #[field(default = "")]
    _csrf: String,
    #[field(default = "")]
    assignee_user_id: String,
}

#[derive(FromForm, Serialize)]
struct ThankForm {
    #[serde(skip)]
    #[field(default = "")]
    _csrf: String,
    #[field(default = "")]
    note: String,
}

carries_csrf!(CommentForm, AssignForm, ThankForm);

/// Thanks the provider for a delivery; refused, the page again with the note kept.
#[post("/requests/<id>/thanks", data = "<posted>")]
async fn thank(
    state: &State<AppState>,
    id: RequestId,
    posted: Posted<ThankForm>,
) -> PageResult<FormReply> {
    let genuine = posted.genuine();
    let Posted { user, form, .. } = posted;
    let outcome = match genuine {
        Ok(()) => thanks::thank(state.db(), &user.auth, id, &form.note)
            .await
            .map(|_| ()),
        Err(error) => Err(error),
    };
    match outcome {
        Ok(()) => Ok(FormReply::done(
            format!("/requests/{id}#thanks"),
            "Thanks sent: everyone in the providing department hears it.",
        )),
        Err(error) => {
            let rejected = Rejected::new("thank", typed_values(&form), error, &["note"])?;
            Ok(FormReply::Again(
                request_page(state, &user, id, None, Some(&rejected)).await?,
            ))
        }
    }
}

/// Adds to the conversation; refused, the page again with what was typed.
#[post("/requests/<id>/comments", data = "<posted>")]
async fn comment(
    state: &State<AppState>,
    id: RequestId,
    posted: Posted<CommentForm>,
) -> PageResult<FormReply> {
    let genuine = posted.genuine();
    let Posted { user, form, .. } = posted;
    let outcome = match genuine {
        Ok(()) => comments::add(state.db(), &user.auth, id, &form.body)
            .await
            .map(|_| ()),
        Err(error) => Err(error),
    };
    match outcome {
        Ok(()) => Ok(FormReply::done(
            format!("/requests/{id}#conversation"),
            "Comment added.",
        )),
        Err(error) => {
            let rejected = Rejected::new("comment", typed_values(&form), error, &["body"])?;
            Ok(FormReply::Again(
                request_page(state, &user, id, None, Some(&rejected)).await?,
            ))
        }
    }
}

/// Gives the request to one of the provider's people, or to nobody.
#[post("/requests/<id>/assign", data = "<posted>")]
async fn assign(
    state: &State<AppState>,
    id: RequestId,
    posted: Posted<AssignForm>,
) -> PageResult<FormReply> {
    let genuine = posted.genuine();
    let Posted { user, form, .. } = posted;
    let assignee = match form.assignee_user_id.trim() {
        "" => Ok(None),
        text => text
            .parse::<i64>()
            .map(|id| Some(UserId(id)))
            .map_err(|_| ApiError::field("assignee_user_id", "choose one of the people listed")),
    };
    let outcome = match (genuine, assignee) {
        (Ok(()), Ok(assignee)) => requests::edit(
            &state.context(user.auth.clone()),
            id,
            ExpectedVersion(None),
            RequestChanges {
                assignee: Some(assignee),
                ..Default::default()
            },
        )
        .await
        .map(|_| ()),
        (Err(error), _) | (_, Err(error)) => Err(error),
    };
    match outcome {
        Ok(()) => Ok(FormReply::done(format!("/requests/{id}"), "Saved.")),
        Err(error) => {
            let rejected =
                Rejected::new("assign", typed_values(&form), error, &["assignee_user_id"])?;
            Ok(FormReply::Again(
                request_page(state, &user, id, None, Some(&rejected)).await?,
            ))
        }
    }
}
