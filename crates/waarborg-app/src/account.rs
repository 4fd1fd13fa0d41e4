//! Accounts, passwords, sessions, the second factor and login throttling.
//!
//! Passwords are hashed with argon2id (the `argon2` crate's defaults, RFC 9106's second
//! recommended profile). A session is a random 256-bit token in an `HttpOnly`,
//! `SameSite=Strict` cookie (`Secure` behind TLS); the store keeps only its SHA-256. Every
//! state-changing request carries the session's CSRF token in `X-CSRF-Token`. Failed logins
//! are throttled per source and name ([`crate::throttle`]), never by locking the account.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use sha2::{Digest, Sha256};
use waarborg_govern::{Actor, Role};
use waarborg_ledger::{Event, GovernanceDecision};
use waarborg_store::{Account, AccountStore, SecondFactor, Session};

use crate::{App, AppError, Result};

/// Session lifetime, seconds.
pub const SESSION_SECONDS: i64 = 8 * 3600;

/// Who is calling, for the handlers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The account.
    pub account: Account,
    /// The role chosen for this session.
    pub role: Role,
    /// The session's CSRF token.
    pub csrf: String,
}

impl Principal {
    /// The governance domain's view of this person.
    pub fn actor(&self) -> Actor {
        Actor {
            portfolio: self.account.portfolio,
            authority: self.account.authority,
            ..Actor::new(&self.account.user, self.role, &self.account.unit)
        }
    }
}

fn random_token() -> Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| AppError::internal(format!("no randomness: {e}")))?;
    Ok(B64.encode(bytes))
}

/// The stored form of a session token.
pub fn token_hash(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Hashes a password with argon2id and a random salt.
pub fn hash_password(password: &str) -> Result<String> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| AppError::internal(format!("no randomness: {e}")))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| AppError::internal(e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AppError::internal(e.to_string()))
}

fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A password policy users can follow: long rather than complicated.
pub fn check_password_policy(password: &str) -> Result<()> {
    let n = password.chars().count();
    if n < 12 {
        return Err(AppError::invalid("passwords have at least 12 characters"));
    }
    if n > MAX_PASSWORD_CHARS {
        return Err(AppError::invalid(format!(
            "passwords have at most {MAX_PASSWORD_CHARS} characters"
        )));
    }
    Ok(())
}

/// The longest password (OWASP ASVS 2.1.2: at least 64 allowed, more than 128 refused):
/// any passphrase fits, and no request makes the hashing work on megabytes.
pub const MAX_PASSWORD_CHARS: usize = 128;

/// A generated password (24 characters of base64url) for accounts created from the CLI.
pub fn generate_password() -> Result<String> {
    Ok(random_token()?.chars().take(24).collect())
}

/// The one-time-code generator for a base32 secret (RFC 6238: SHA-1, 6 digits, 30 s, one
/// step of clock skew either way).
fn totp(secret_base32: &str) -> Result<totp_rs::Totp> {
    let secret = totp_rs::Secret::try_from_base32(secret_base32)
        .map_err(|e| AppError::internal(format!("a stored second factor is damaged: {e:?}")))?;
    totp_rs::Builder::new()
        .with_secret(secret)
        .build()
        .map_err(|e| AppError::internal(format!("a stored second factor is unusable: {e:?}")))
}

/// A fresh, unconfirmed second factor (a random 160-bit secret).
pub fn new_second_factor() -> Result<SecondFactor> {
    let mut secret = [0u8; 20];
    getrandom::fill(&mut secret).map_err(|e| AppError::internal(format!("no randomness: {e}")))?;
    Ok(SecondFactor {
        secret_base32: totp_rs::Secret::from(secret).to_base32(),
        confirmed: false,
        last_step: 0,
    })
}

/// The `otpauth://` URI an authenticator app reads (typed in, or as a QR code made
/// elsewhere): issuer Waarborg, the user's name, the secret.
pub fn otpauth_uri(user: &str, factor: &SecondFactor) -> String {
    let user: String = user
        .bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect();
    format!(
        "otpauth://totp/Waarborg:{user}?secret={}&issuer=Waarborg&algorithm=SHA1&digits=6&period=30",
        factor.secret_base32
    )
}

/// Whether `code` is the account's current code, not used before; a good code is used up.
pub fn accept_code(
    store: &dyn AccountStore,
    user: &str,
    factor: &SecondFactor,
    code: &str,
    now: i64,
) -> Result<bool> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(false);
    }
    let Some(step) = totp(&factor.secret_base32)?.check(&code, now.max(0) as u64) else {
        return Ok(false);
    };
    // The step is stored one higher, so that step 0 counts as used too.
    Ok(store.use_second_factor_step(user, step + 1)?)
}

/// Checks the password (and, where the account has a second factor, the one-time `code`)
/// of `user` logging in from `source` (the client's address) and starts a session in
/// `role`; returns the token and the session. Failures are throttled per (source, name)
/// ([`crate::throttle`]): the same answer for a name without an account, and nobody is
/// locked out by failures from another source. The password check runs behind the
/// hashing gate.
pub fn login(
    app: &App,
    source: &str,
    user: &str,
    password: &str,
    code: Option<&str>,
    role: Role,
) -> Result<(String, Session)> {
    let (store, now) = (&app.store, app.now().0);
    let throttle = &app.caches.logins;
    let wrong = || AppError::Unauthenticated {
        code: "login_failed",
        detail: "wrong user name, password or one-time code".into(),
    };
    let wait = throttle.wait(source, user, now);
    if wait > 0 {
        tracing::warn!(user, source, wait, "login refused: throttled");
        return Err(AppError::TooMany(format!(
            "too many failed logins; try again in {wait} seconds"
        )));
    }
    if password.chars().count() > MAX_PASSWORD_CHARS {
        // No account has one this long: a failure like any other, without the hashing.
        throttle.failed(source, user, now);
        tracing::warn!(
            user,
            source,
            "login failed (password longer than any allowed)"
        );
        return Err(wrong());
    }
    let account = store.account(user)?;
    let hash = match &account {
        Some(_) => store.password_hash(user)?.unwrap_or_default(),
        // Spend the same effort as for a real account, so timing does not reveal names.
        None => "$argon2id$v=19$m=19456,t=2,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA".into(),
    };
    let verified = app
        .caches
        .hashing
        .run(|| verify_password(password, &hash))
        .ok_or_else(|| {
            AppError::TooMany("the service is busy checking passwords; try again shortly".into())
        })?;
    let password_ok = verified && account.as_ref().is_some_and(|(a, _)| !a.disabled);
    // The code is checked (and used up) only after the password passed.
    let second_ok = password_ok
        && match (
            load_factor(store, app.probes.keys(), user)?
                .map(|(f, _)| f)
                .filter(|f| f.confirmed),
            code,
        ) {
            (None, _) => true,
            (Some(f), Some(code)) => accept_code(store, user, &f, code, now)?,
            (Some(_), None) => false,
        };
    let Some((account, _)) = account.filter(|_| second_ok) else {
        throttle.failed(source, user, now);
        // Operational log of every authentication decision (ASVS 7.2.1); never a password
        // or code.
        tracing::warn!(user, source, "login failed");
        return Err(wrong());
    };
    throttle.succeeded(source, user);
    if !account.roles.contains(&role) {
        tracing::warn!(
            user,
            source,
            role = role.as_str(),
            "login refused: role not held"
        );
        return Err(AppError::forbidden(format!(
            "{user} does not hold the role {}",
            role.as_str()
        )));
    }
    let token = random_token()?;
    let session = Session {
        user: user.to_string(),
        role,
        csrf: random_token()?,
        expires: now + SESSION_SECONDS,
    };
    store.create_session(&token_hash(&token), &session)?;
    tracing::info!(user, source, role = role.as_str(), "login");
    Ok((token, session))
}

/// The principal for a session token, if the session is live and the account enabled.
pub fn principal(store: &dyn AccountStore, token: &str, now: i64) -> Result<Option<Principal>> {
    let Some(session) = store.session(&token_hash(token), now)? else {
        return Ok(None);
    };
    let Some((account, _)) = store.account(&session.user)? else {
        return Ok(None);
    };
    if account.disabled || !account.roles.contains(&session.role) {
        return Ok(None);
    }
    Ok(Some(Principal {
        account,
        role: session.role,
        csrf: session.csrf,
    }))
}

/// What the second-factor form sends.
#[derive(Debug, serde::Deserialize)]
pub struct SecondFactorForm {
    /// `start`, `confirm` or `remove`.
    pub action: String,
    /// The current one-time code (to confirm or remove).
    #[serde(default)]
    pub code: String,
}

fn account_entry(actor: &Actor, action: &str, user: &str, reason: String) -> Event {
    Event::GovernanceDecision(GovernanceDecision {
        actor: actor.user.clone(),
        role: actor.role.as_str().into(),
        action: action.into(),
        subject: format!("account:{user}"),
        reason,
        framework_version: None,
        about: None,
    })
}

/// Ends the session whose token hashes to `token_hash` (logging out; an unknown one is
/// already gone).
pub fn logout(app: &App, token_hash: &str) -> Result<()> {
    Ok(app.store.delete_session(token_hash)?)
}

/// Deletes the sessions expired by now (a scheduled duty); how many.
pub fn purge_sessions(app: &App) -> Result<usize> {
    Ok(app.store.purge_sessions(app.now().0)?)
}

/// Every account, for the administrator's list (no password hashes, no secrets).
pub fn accounts(app: &App) -> Result<Vec<waarborg_store::Account>> {
    Ok(app.store.accounts()?)
}

/// Second-factor secrets are sealed with the data key (AEAD bound to the user name), never
/// kept in the clear in the database; `sealed:` marks a sealed one (a secret from before
/// this rule is read as it is and sealed at its next change or at `refdb rekey`).
const SEALED: &str = "sealed:";
const FACTOR_MAGIC: &[u8; 4] = b"WTOT";

fn sealing(e: waarborg_seal::SealError) -> AppError {
    AppError::internal(format!(
        "a second-factor secret cannot be sealed or opened: {e}"
    ))
}

/// `user`'s second factor with its secret opened, and whether it is sealed under the
/// current key.
fn load_factor(
    store: &dyn AccountStore,
    keys: &waarborg_seal::Keyring,
    user: &str,
) -> Result<Option<(SecondFactor, bool)>> {
    let Some(mut f) = store.second_factor(user)? else {
        return Ok(None);
    };
    let Some(sealed) = f.secret_base32.strip_prefix(SEALED) else {
        return Ok(Some((f, false)));
    };
    let bytes = B64
        .decode(sealed)
        .map_err(|e| AppError::internal(format!("a sealed second factor is not base64: {e}")))?;
    let (secret, current) = keys.open(FACTOR_MAGIC, user, &bytes).map_err(sealing)?;
    f.secret_base32 = String::from_utf8(secret)
        .map_err(|_| AppError::internal("an opened second factor is not text"))?;
    Ok(Some((f, current)))
}

/// Keeps `user`'s second factor `f` (or removes it), its secret sealed.
fn store_factor(
    store: &dyn AccountStore,
    keys: &waarborg_seal::Keyring,
    user: &str,
    f: Option<&SecondFactor>,
) -> Result<()> {
    Ok(store.set_second_factor(user, sealed_factor(keys, user, f)?.as_ref())?)
}

/// `f` with its secret sealed under the current data key, as it is stored.
fn sealed_factor(
    keys: &waarborg_seal::Keyring,
    user: &str,
    f: Option<&SecondFactor>,
) -> Result<Option<SecondFactor>> {
    Ok(match f {
        None => None,
        Some(f) => {
            let bytes = keys
                .seal(FACTOR_MAGIC, user, f.secret_base32.as_bytes())
                .map_err(sealing)?;
            Some(SecondFactor {
                secret_base32: format!("{SEALED}{}", B64.encode(bytes)),
                ..f.clone()
            })
        }
    })
}

/// Seals again, under the current data key, every second factor that is not (after a data
/// key rotation, or kept from before sealing): `refdb rekey` runs it before the previous key
/// is retired. How many.
pub fn reseal_second_factors(
    store: &dyn AccountStore,
    keys: &waarborg_seal::Keyring,
) -> Result<usize> {
    let mut resealed = 0;
    for account in store.accounts()? {
        if let Some((f, false)) = load_factor(store, keys, &account.user)? {
            store_factor(store, keys, &account.user, Some(&f))?;
            resealed += 1;
        }
    }
    Ok(resealed)
}

/// Where a person's second factor stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FactorState {
    /// Confirmed: every login asks for a code.
    On,
    /// Started, waiting for its first code: the secret and its `otpauth://` URI, shown to
    /// their owner only until confirmed.
    Pending {
        /// The secret, base32.
        secret: String,
        /// The URI an authenticator app reads.
        uri: String,
    },
    /// None.
    Off,
}

/// Where `actor`'s own second factor stands.
pub fn second_factor_state(app: &App, actor: &Actor) -> Result<FactorState> {
    Ok(
        match load_factor(&app.store, app.probes.keys(), &actor.user)?.map(|(f, _)| f) {
            Some(f) if f.confirmed => FactorState::On,
            Some(f) => FactorState::Pending {
                uri: otpauth_uri(&actor.user, &f),
                secret: f.secret_base32,
            },
            None => FactorState::Off,
        },
    )
}

/// Starts, confirms or removes `actor`'s own second factor. Turning it on or off is in the
/// ledger before it takes effect; a new, unconfirmed secret is not (it protects nothing
/// yet).
pub fn change_second_factor(app: &App, actor: &Actor, f: &SecondFactorForm) -> Result<()> {
    let user = actor.user.as_str();
    let now = app.now().0;
    let keys = app.probes.keys();
    let current = load_factor(&app.store, keys, user)?.map(|(f, _)| f);
    let wrong = || AppError::invalid("that code is not the current one (or was used already)");
    match (f.action.as_str(), current) {
        ("start", Some(c)) if c.confirmed => Err(AppError::conflict(
            "a second factor is on already; remove it first",
        )),
        ("start", _) => store_factor(&app.store, keys, user, Some(&new_second_factor()?)),
        ("confirm", Some(c)) if !c.confirmed => {
            if !accept_code(&app.store, user, &c, &f.code, now)? {
                return Err(wrong());
            }
            let used = load_factor(&app.store, keys, user)?.map_or(c, |(f, _)| f);
            let entry = account_entry(actor, "enable_second_factor", user, String::new());
            let on = sealed_factor(
                keys,
                user,
                Some(&SecondFactor {
                    confirmed: true,
                    ..used
                }),
            )?;
            app.commit(&[entry], |log| {
                app.store.set_second_factor_logged(user, on.as_ref(), log)
            })
        }
        ("remove", Some(c)) if c.confirmed => {
            if !accept_code(&app.store, user, &c, &f.code, now)? {
                return Err(wrong());
            }
            let entry = account_entry(actor, "remove_second_factor", user, String::new());
            app.commit(&[entry], |log| {
                app.store.set_second_factor_logged(user, None, log)
            })
        }
        (action, _) => Err(AppError::invalid(format!(
            "{action:?} does not apply to the second factor as it stands"
        ))),
    }
}

/// An administrator's new account.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
pub struct NewAccount {
    /// The user name (pseudonymous id).
    pub user: String,
    /// The name shown.
    pub display_name: String,
    /// The roles the account may take (`examiner`, `verifier`, …).
    #[schema(value_type = Vec<String>)]
    pub roles: Vec<Role>,
    /// The organisational unit.
    pub unit: String,
    /// For a competent authority: `public_prosecutor` or `investigating_judge`.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub authority: Option<waarborg_govern::case::AuthorityKind>,
    /// The first password.
    pub password: String,
}

/// Creates account `b` by `actor` (an administrator): checked first, then in the ledger,
/// then kept — a refused account (short password, no roles, a name taken) leaves no entry.
pub fn create_account_by(app: &App, actor: &Actor, b: NewAccount) -> Result<String> {
    let account = Account {
        display_name: b.display_name,
        authority: b.authority,
        ..Account::new(&b.user, b.roles, &b.unit)
    };
    create_account(app, actor, account, &b.password)
}

/// Creates `account` with `password` by `actor` — an administrator through the service, the
/// operator at the command line (`waarborg admin create`), the demo's set-up: checked
/// first, then in the ledger, then kept. The one way an account comes to exist.
pub fn create_account(
    app: &App,
    actor: &Actor,
    account: Account,
    password: &str,
) -> Result<String> {
    check_new_account(&account, password)?;
    let hash = hash_password(password)?;
    let roles = account
        .roles
        .iter()
        .map(|r| r.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    let entry = Event::GovernanceDecision(GovernanceDecision {
        actor: actor.user.clone(),
        role: actor.role.as_str().into(),
        action: "create_account".into(),
        subject: format!("account {}", account.user),
        reason: format!("roles {roles}"),
        framework_version: None,
        about: None,
    });
    app.commit(&[entry], |log| {
        app.store.create_account_logged(&account, &hash, log)
    })?;
    Ok(account.user)
}

fn check_new_account(account: &Account, password: &str) -> Result<()> {
    waarborg_govern::ids::check(waarborg_govern::ids::Kind::User, &account.user)?;
    check_password_policy(password)?;
    if account.roles.is_empty() {
        return Err(AppError::invalid("an account needs at least one role"));
    }
    // A case names the kind of authority that decides it: the account says which it is.
    if account.roles.contains(&Role::CompetentAuthority) && account.authority.is_none() {
        return Err(AppError::invalid(
            "a competent authority's account says which authority the person is: public_prosecutor or investigating_judge",
        ));
    }
    Ok(())
}
