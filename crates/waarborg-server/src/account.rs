//! One's own account: the optional second factor (a time-based one-time code, RFC 6238).
//! Set up in two steps — a secret is shown once, then confirmed with a first code — so a
//! mistyped secret never locks anyone out; removed only with a current code. Both changes
//! are in the ledger.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::{Extension, Form};

use waarborg_store::AccountStore;

use crate::auth::{self, Principal};
use crate::i18n::t;
use crate::ui::{esc, form_answer, lang_of, page, problem_page, LangQuery};
use crate::AppState;

/// `GET /ui/account`.
pub async fn view(
    State(state): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
    Query(q): Query<LangQuery>,
) -> Response {
    let lang = lang_of(&headers, &q);
    let factor = match state.store.second_factor(&p.account.user) {
        Ok(f) => f,
        Err(e) => return problem_page(lang, Some(&p), &e.into()),
    };
    let action = format!("/ui/account/second-factor?csrf={}", esc(&p.csrf));
    let code_field = format!(
        "<label for=\"code\">{}</label><input id=\"code\" name=\"code\" inputmode=\"numeric\" autocomplete=\"one-time-code\" required>",
        t(lang, "one_time_code")
    );
    let section = match factor {
        Some(f) if f.confirmed => format!(
            "<p class=\"ok\">{}</p><form class=\"card\" method=\"post\" action=\"{action}\"><input type=\"hidden\" name=\"action\" value=\"remove\">{code_field}<p><button>{}</button></p></form>",
            t(lang, "second_factor_on"),
            t(lang, "second_factor_remove")
        ),
        Some(f) => format!(
            "<p>{}</p><p><code id=\"secret\">{}</code></p><p><code id=\"otpauth\">{}</code></p><form class=\"card\" method=\"post\" action=\"{action}\"><input type=\"hidden\" name=\"action\" value=\"confirm\">{code_field}<p><button>{}</button></p></form>",
            t(lang, "second_factor_pending"),
            esc(&f.secret_base32),
            esc(&auth::otpauth_uri(&p.account.user, &f)),
            t(lang, "second_factor_confirm")
        ),
        None => format!(
            "<p>{}</p><form method=\"post\" action=\"{action}\"><input type=\"hidden\" name=\"action\" value=\"start\"><button>{}</button></form>",
            t(lang, "second_factor_off"),
            t(lang, "second_factor_start")
        ),
    };
    let body = format!(
        "<section><h2>{}</h2>{section}</section>",
        t(lang, "second_factor")
    );
    page(lang, t(lang, "account"), Some(&p), &body)
}

/// `POST /ui/account/second-factor` (form).
pub async fn second_factor(
    State(state): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
    Form(f): Form<waarborg_app::account::SecondFactorForm>,
) -> Response {
    let actor = p.actor();
    let done = crate::blocking(&state, move |app| {
        waarborg_app::account::change_second_factor(app, &actor, &f)
    })
    .await;
    form_answer(&headers, &p, done, "/ui/account")
}
