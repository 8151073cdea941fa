//! Signing in and out of the web interface.

use rocket::form::{Form, FromForm};
use rocket::http::CookieJar;
use rocket::request::FlashMessage;
use rocket::response::content::RawHtml;
use rocket::response::{Flash, Redirect};
use rocket::{Route, State, get, post, routes};
use tera::Context;

use super::{PageError, PageResult, Posted, carries_csrf, clear_session, session_cookie};
use crate::services::accounts;
use crate::state::AppState;

pub fn routes() -> Vec<Route> {
    routes![login_page, login, logout]
}

#[derive(FromForm)]
struct LoginForm {
    email: String,
    password: String,
}

#[derive(FromForm)]
struct LogoutForm {
    _csrf: String,
}

carries_csrf!(LogoutForm);

#[get("/login")]
fn login_page(
    state: &State<AppState>,
    flash: Option<FlashMessage<'_>>,
) -> PageResult<RawHtml<String>> {
    let mut context = Context::new();
    context.insert("title", "Sign in");
    if let Some(flash) = flash {
        context.insert("flash_kind", flash.kind());
        context.insert("flash", flash.message());
    }
    Ok(RawHtml(state.views.render("pages/login.html", &context)?))
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
        &state.db,
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
