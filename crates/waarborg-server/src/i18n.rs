//! The interface's words: the shared catalogue (`waarborg-i18n`, the Fluent files in
//! `locales/{en,nl}`) and the domain's names in it (roles, states, modes), with dates taking
//! the domain's timestamps. The test below checks that no key the code and the templates
//! ask for is missing and none is unused.

pub use waarborg_i18n::{t, t_with, Lang, TIME_ZONE};

/// `t` as a date in the reader's language, in [`TIME_ZONE`]: `2 April 2027`, `2 april 2027`.
pub fn date(lang: Lang, t: waarborg_govern::Timestamp) -> String {
    waarborg_i18n::date(lang, t.0)
}

/// `t` as a date and time in the reader's language, in [`TIME_ZONE`]: `2 April 2027, 14:05`.
pub fn date_time(lang: Lang, t: waarborg_govern::Timestamp) -> String {
    waarborg_i18n::date_time(lang, t.0)
}

/// A revision's state in words (English as the domain names it, Dutch as the framework does).
pub fn state_name(lang: Lang, state: waarborg_govern::revision::State) -> &'static str {
    use waarborg_govern::revision::State::*;
    let (en, nl) = match state {
        Draft => ("draft", "concept"),
        Submitted => ("submitted", "ingediend"),
        InReview => ("in review", "in toetsing"),
        Advised => ("advised", "geadviseerd"),
        Ratified => ("ratified", "bekrachtigd"),
        AuthorityApproved => ("approved by the authority", "goedgekeurd door het gezag"),
        Active => ("active", "in gebruik"),
        Suspended => ("suspended", "opgeschort"),
        Ended => ("ended", "beëindigd"),
        Evaluated => ("evaluated", "geëvalueerd"),
        RatificationRefused => ("ratification refused", "bekrachtiging geweigerd"),
        AuthorityDeclined => ("declined by the authority", "afgewezen door het gezag"),
        Withdrawn => ("withdrawn", "ingetrokken"),
        Superseded => ("superseded", "vervangen"),
    };
    match lang {
        Lang::En => en,
        Lang::Nl => nl,
    }
}

/// A deployment's mode in words.
pub fn mode_name(lang: Lang, mode: waarborg_govern::revision::Mode) -> &'static str {
    use waarborg_govern::revision::Mode::*;
    match (mode, lang) {
        (Retrospective, Lang::En) => "retrospective",
        (Retrospective, Lang::Nl) => "achteraf",
        (RealTime, Lang::En) => "real time",
        (RealTime, Lang::Nl) => "realtime",
    }
}

/// A role in words (`role_*`).
pub fn role_name(lang: Lang, role: waarborg_govern::Role) -> &'static str {
    t(lang, &format!("role_{}", role.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every refusal of the gate and of the governance rules is said in both languages.
    #[test]
    fn every_refusal_code_is_translated() {
        use waarborg_govern::rule::Rule;
        let gate = waarborg_govern::gate::Refusal::CODES;
        for code in gate.iter().chain(Rule::CODES) {
            for lang in [Lang::En, Lang::Nl] {
                assert_ne!(
                    t(lang, &format!("refusal_{code}")),
                    "??",
                    "{code} in {lang:?}"
                );
            }
        }
        let rule = Rule::WrongRole {
            role: waarborg_govern::Role::Auditor,
            step: "ratify",
            needs: &[
                waarborg_govern::Role::ChiefOfPolice,
                waarborg_govern::Role::Administrator,
            ],
        };
        assert_eq!(
            crate::ui::rule_text(Lang::Nl, &rule),
            "Als auditor mag u deze stap niet zetten; daarvoor is de rol korpschef of beheerder nodig."
        );
        let rule = Rule::SubmitOnlyDraft {
            state: waarborg_govern::revision::State::InReview,
        };
        assert_eq!(
            crate::ui::rule_text(Lang::En, &rule),
            "Only a draft can be submitted; this revision is in review."
        );
    }

    /// No key is missing and none is unused: every key the code and the templates ask for
    /// (`t(lang, "…")`, `layout.t("…")`, the pages' and the reports')
    /// exists, and every key is named somewhere in the code — as a literal, or as the
    /// suffix of the keys the pages build (`step_…`, `field_…`, `source_…`, and `refusal_…` from the
    /// gate's codes).
    #[test]
    fn no_key_is_missing_and_none_is_unused() {
        // The pages' code, and the application layer's (the steps a role offers).
        let crates = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut code = String::new();
        for dir in [
            "waarborg-server/src",
            "waarborg-server/templates",
            "waarborg-app/src",
            "waarborg-govern/src",
            "waarborg-report/src",
            "waarborg-report/templates/report",
        ] {
            for entry in std::fs::read_dir(crates.join(dir)).unwrap() {
                let path = entry.unwrap().path();
                let source = path.extension().is_some_and(|e| e == "rs" || e == "html");
                if source && !path.ends_with("i18n.rs") {
                    code.push_str(&std::fs::read_to_string(&path).unwrap());
                }
            }
        }
        let known: std::collections::HashSet<String> = waarborg_i18n::keys().into_iter().collect();
        let asked = regex_free_calls(&code);
        for key in &asked {
            assert!(known.contains(key), "t(lang, {key:?}) has no message");
        }
        let mut unused: Vec<&String> = known
            .iter()
            .filter(|key| {
                let built = [
                    "step_",
                    "field_",
                    "refusal_",
                    "role_",
                    "stage_",
                    "source_",
                    "feature_",
                    "assessment_",
                    "finding_",
                    "explained_",
                    "incident_class_",
                    "indicator_",
                    "kind_of_use_",
                ]
                .iter()
                .any(|prefix| {
                    key.strip_prefix(prefix)
                        .is_some_and(|rest| code.contains(&format!("\"{rest}\"")))
                });
                !code.contains(&format!("\"{key}\"")) && !built
            })
            .collect();
        unused.sort();
        assert!(unused.is_empty(), "never used: {unused:?}");
    }

    /// The keys of `t(lang, "…")` and `t_with(lang, "…"` calls in `code`.
    fn regex_free_calls(code: &str) -> Vec<String> {
        let mut out = Vec::new();
        for call in ["t(lang, \"", "t_with(lang, \"", "layout.t(\""] {
            for piece in code.split(call).skip(1) {
                if let Some(end) = piece.find('"') {
                    out.push(piece[..end].to_string());
                }
            }
        }
        out
    }
}
