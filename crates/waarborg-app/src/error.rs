//! What a use case answers when it does not succeed: one enum, a stable code per kind, and
//! the detail that says what to do. The server maps it to problem+json in one `From`, the
//! command line to an exit code (3 for a refusal, 1 for anything else).

use thiserror::Error;

/// The result of a use case.
pub type Result<T> = std::result::Result<T, AppError>;

/// Why a use case did not succeed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AppError {
    /// The rules refuse it (a governance rule, a search in the wrong stage). Nothing changed.
    #[error("{detail}")]
    Refused {
        /// Stable code (`refused`, `invalid_publication`).
        code: &'static str,
        /// Which rule and what to do.
        detail: String,
        /// The governance rule that refused, where one did: its own code and values, for
        /// the reader's language.
        rule: Option<Box<waarborg_govern::rule::Rule>>,
    },
    /// The gate refused, or the object is not this person's to act on. A gate refusal is in
    /// the ledger before this is answered.
    #[error("{detail}")]
    Forbidden {
        /// Stable code (`forbidden`, `gate_refused`).
        code: &'static str,
        /// Why.
        detail: String,
    },
    /// What was named does not exist.
    #[error("{0}")]
    NotFound(String),
    /// Someone else changed it first, or it exists already.
    #[error("{detail}")]
    Conflict {
        /// Stable code (`conflict`, `ledger_unverified`).
        code: &'static str,
        /// What to do.
        detail: String,
    },
    /// The input is malformed.
    #[error("{detail}")]
    Invalid {
        /// Stable code (`bad_request`, `unsupported_media_type`).
        code: &'static str,
        /// What is wrong with it.
        detail: String,
    },
    /// Not logged in, or the login failed.
    #[error("{detail}")]
    Unauthenticated {
        /// Stable code (`unauthenticated`, `login_failed`).
        code: &'static str,
        /// What to do.
        detail: String,
    },
    /// Too many attempts; try again later.
    #[error("{0}")]
    TooMany(String),
    /// A part this use case needs is not installed (the engine, Chromium for PDF).
    #[error("{detail}")]
    Unavailable {
        /// Stable code (`engine_unavailable`, `pdf_unavailable`).
        code: &'static str,
        /// What to install.
        detail: String,
    },
    /// Something failed that the caller cannot fix (a disk, the ledger).
    #[error("{0}")]
    Internal(String),
}

impl AppError {
    /// A rule refuses it.
    pub fn refused(detail: impl Into<String>) -> AppError {
        AppError::Refused {
            code: "refused",
            detail: detail.into(),
            rule: None,
        }
    }

    /// Not this person's to act on.
    pub fn forbidden(detail: impl Into<String>) -> AppError {
        AppError::Forbidden {
            code: "forbidden",
            detail: detail.into(),
        }
    }

    /// It does not exist.
    pub fn not_found(detail: impl Into<String>) -> AppError {
        AppError::NotFound(detail.into())
    }

    /// Someone else changed it first.
    pub fn conflict(detail: impl Into<String>) -> AppError {
        AppError::Conflict {
            code: "conflict",
            detail: detail.into(),
        }
    }

    /// Malformed input.
    pub fn invalid(detail: impl Into<String>) -> AppError {
        AppError::Invalid {
            code: "bad_request",
            detail: detail.into(),
        }
    }

    /// A failure the caller cannot fix.
    pub fn internal(detail: impl Into<String>) -> AppError {
        AppError::Internal(detail.into())
    }

    /// The stable code of this error, for clients and the ledger.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::Refused { code, .. }
            | AppError::Forbidden { code, .. }
            | AppError::Conflict { code, .. }
            | AppError::Invalid { code, .. }
            | AppError::Unauthenticated { code, .. }
            | AppError::Unavailable { code, .. } => code,
            AppError::NotFound(_) => "not_found",
            AppError::TooMany(_) => "too_many_attempts",
            AppError::Internal(_) => "internal",
        }
    }

    /// The governance rule that refused it, if one did.
    pub fn rule(&self) -> Option<&waarborg_govern::rule::Rule> {
        match self {
            AppError::Refused { rule, .. } => rule.as_deref(),
            _ => None,
        }
    }

    /// Whether the rules (or the gate) refused it, as opposed to a failure: the command
    /// line's exit code 3.
    pub fn is_refusal(&self) -> bool {
        matches!(self, AppError::Refused { .. } | AppError::Forbidden { .. })
    }
}

impl From<waarborg_store::StoreError> for AppError {
    fn from(e: waarborg_store::StoreError) -> AppError {
        match e {
            waarborg_store::StoreError::Conflict { .. } | waarborg_store::StoreError::Exists(_) => {
                AppError::conflict(e.to_string())
            }
            other => AppError::Internal(other.to_string()),
        }
    }
}

impl From<waarborg_govern::GovernError> for AppError {
    fn from(e: waarborg_govern::GovernError) -> AppError {
        match e {
            waarborg_govern::GovernError::NotFound(_) => AppError::NotFound(e.to_string()),
            waarborg_govern::GovernError::Refused(rule) => AppError::Refused {
                code: "refused",
                detail: format!("refused: {rule}"),
                rule: Some(Box::new(rule)),
            },
            _ => AppError::invalid(e.to_string()),
        }
    }
}

impl From<waarborg_refdb::RefDbError> for AppError {
    fn from(e: waarborg_refdb::RefDbError) -> AppError {
        match e {
            waarborg_refdb::RefDbError::Store(e) => e.into(),
            waarborg_refdb::RefDbError::Rejected(why) => AppError::invalid(why),
            other => AppError::Internal(other.to_string()),
        }
    }
}

impl From<waarborg_ledger::LedgerError> for AppError {
    fn from(e: waarborg_ledger::LedgerError) -> AppError {
        AppError::Internal(format!("the ledger cannot be written: {e}"))
    }
}
