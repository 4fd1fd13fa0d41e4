//! One's own account: the optional second factor (a time-based one-time code, RFC 6238).
//! Set up in two steps — a secret is shown once, then confirmed with a first code — so a
//! mistyped secret never locks anyone out; removed only with a current code. Both changes
//! are in the ledger.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::{Extension, Form};

use crate::auth::{self, FactorState, Principal};
use crate::i18n::t;
use crate::ui::{form_answer, lang_of, problem_page, render, LangQuery, Layout};
use crate::AppState;

/// `GET /ui/account`.
pub async fn view(
    State(state): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
    Query(q): Query<LangQuery>,
) -> Response {
    let lang = lang_of(&headers, &q);
    let actor = p.actor();
    crate::page_blocking(&state, move |app| {
        match auth::second_factor_state(app, &actor) {
            Ok(factor) => render(
                lang,
                &AccountPage {
                    layout: Layout::new(lang, t(lang, "account"), Some(&p)),
                    factor,
                },
            ),
            Err(e) => problem_page(lang, Some(&p), &e.into()),
        }
    })
    .await
}

/// The account page (`templates/account.html`).
#[derive(askama::Template)]
#[template(path = "account.html")]
struct AccountPage {
    layout: Layout,
    factor: FactorState,
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
