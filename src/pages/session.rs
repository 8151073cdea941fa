//! Signing in and out of the web interface, and setting a forgotten
//! password with a mailed link.

use rocket::form::{Form, FromForm};
use rocket::http::CookieJar;
use rocket::request::FlashMessage;
use rocket::response::content::RawHtml;
use rocket::response::{Flash, Redirect};
use rocket::{Route, State, get, post, routes};
use tera::Context;

use super::{PageError, PageResult, Posted, carries_csrf, clear_session, session_cookie};
use crate::error::ApiError;
use crate::routes::accounts::RESET_ASKED;
use crate::services::{accounts, password_reset};
use crate::state::AppState;

pub fn routes() -> Vec<Route> {
    routes![
        login_page,
        login,
        logout,
        forgot_page,
        forgot,
        reset_page,
        reset
    ]
}

#[derive(FromForm)]
struct LoginForm {
    email: String,
    password: String,
}

#[derive(FromForm)]
struct ForgotForm {
    #[field(default = "")]
    email: String,
}

#[derive(FromForm)]
struct ResetForm {
    #[field(default = "")]
    token: String,
    #[field(default = "")]
    password: String,
}

#[derive(FromForm)]
struct LogoutForm {
    _csrf: String,
}

carries_csrf!(LogoutForm);

/// A page outside the signed-in layout, with the flash message if any.
fn public_page(
    state: &AppState,
    template: &str,
    title: &str,
    flash: Option<FlashMessage<'_>>,
    extra: impl FnOnce(&mut Context),
) -> PageResult<RawHtml<String>> {
    let mut context = Context::new();
    context.insert("title", title);
    if let Some(flash) = flash {
        context.insert("flash_kind", flash.kind());
        context.insert("flash", flash.message());
    }
    extra(&mut context);
    Ok(RawHtml(state.views.render(template, &context)?))
}

#[get("/login")]
fn login_page(
    state: &State<AppState>,
    flash: Option<FlashMessage<'_>>,
) -> PageResult<RawHtml<String>> {
    public_page(state, "pages/login.html", "Sign in", flash, |_| {})
}

#[get("/password/forgot")]
fn forgot_page(
    state: &State<AppState>,
    flash: Option<FlashMessage<'_>>,
) -> PageResult<RawHtml<String>> {
    public_page(
        state,
        "pages/password_forgot.html",
        "Forgotten password",
        flash,
        |_| {},
    )
}

/// The same answer whether the address has an account or not.
#[post("/password/forgot", data = "<form>")]
async fn forgot(state: &State<AppState>, form: Form<ForgotForm>) -> PageResult<Flash<Redirect>> {
    password_reset::ask(
        state.db(),
        state.mailer.clone(),
        &state.links,
        &form.email,
        chrono::Utc::now(),
    )
    .await?;
    Ok(Flash::success(Redirect::to("/login"), RESET_ASKED))
}

#[get("/password/reset?<token>")]
fn reset_page(
    state: &State<AppState>,
    token: Option<&str>,
    flash: Option<FlashMessage<'_>>,
) -> PageResult<RawHtml<String>> {
    let token = token.unwrap_or_default().to_owned();
    public_page(
        state,
        "pages/password_reset.html",
        "Set a new password",
        flash,
        |context| context.insert("token", &token),
    )
}

#[post("/password/reset", data = "<form>")]
async fn reset(state: &State<AppState>, form: Form<ResetForm>) -> PageResult<Flash<Redirect>> {
    let form = form.into_inner();
    match password_reset::confirm(state.db(), &form.token, &form.password, chrono::Utc::now()).await
    {
        Ok(()) => Ok(Flash::success(
            Redirect::to("/login"),
            "Your password is set: sign in with it.",
        )),
        Err(error) => {
            let again = format!(
                "/password/reset?token={}",
                percent_encoding::utf8_percent_encode(
                    form.token.trim(),
                    percent_encoding::NON_ALPHANUMERIC
                )
            );
            Ok(Flash::error(Redirect::to(again), in_words(&error)))
        }
    }
}

/// What was wrong, for a page without fields beside which to say it: each
/// field's messages ("The password must be at least 12 characters").
fn in_words(error: &ApiError) -> String {
    match error {
        ApiError::Validation { errors, .. } if !errors.is_empty() => errors
            .iter()
            .flat_map(|(field, messages)| {
                let field = match field.as_str() {
                    "token" => "The link",
                    "password" => "The password",
                    other => other,
                };
                messages.iter().map(move |message| {
                    let message = message.strip_prefix("this link ").unwrap_or(message);
                    format!("{field} {message}")
                })
            })
            .collect::<Vec<_>>()
            .join(". "),
        other => other.to_string(),
    }
}

#[post("/login", data = "<form>")]
async fn login(
    state: &State<AppState>,
    jar: &CookieJar<'_>,
    client: crate::http::guards::ClientAddress,
    form: Form<LoginForm>,
) -> PageResult<Redirect> {
    let form = form.into_inner();
    let session = accounts::login(
        state.db(),
        &state.keys,
        &state.login_limiter,
        &form.email,
        form.password,
        client.0,
    )
    .await
    .map_err(|error| PageError::Flash(Flash::error(Redirect::to("/login"), error.to_string())))?;
    let lifetime = rocket::time::Duration::seconds(state.keys.lifetime().num_seconds());
    jar.add(session_cookie(session.token, lifetime));
    Ok(Redirect::to("/"))
}

#[post("/logout", data = "<posted>")]
fn logout(jar: &CookieJar<'_>, posted: Posted<LogoutForm>) -> PageResult<Redirect> {
    posted.genuine()?;
    clear_session(jar);
    Ok(Redirect::to("/login"))
}
