//! Every string of the web interface, in English and Dutch: Fluent files in `locales/{en,nl}`,
//! embedded in the binary and checked by the tests below (same keys in both, none missing
//! from the code, none unused).

/// A language of the interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lang {
    /// English.
    En,
    /// Dutch.
    Nl,
}

impl Lang {
    /// From a code (`en`, `nl`); English otherwise.
    pub fn parse(code: &str) -> Lang {
        if code.trim().eq_ignore_ascii_case("nl") {
            Lang::Nl
        } else {
            Lang::En
        }
    }

    /// The code.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Nl => "nl",
        }
    }
}

/// The messages, per language: Fluent files embedded in the binary (`locales/`).
const SOURCES: &[(Lang, &str)] = &[
    (Lang::En, include_str!("../../../locales/en/waarborg.ftl")),
    (Lang::Nl, include_str!("../../../locales/nl/waarborg.ftl")),
];

type Bundle = fluent_bundle::concurrent::FluentBundle<fluent_bundle::FluentResource>;

/// One bundle per language, and each message without variables formatted once.
struct Catalogue {
    bundles: Vec<(Lang, Bundle)>,
    plain: std::collections::HashMap<Lang, std::collections::HashMap<String, String>>,
}

fn catalogue() -> &'static Catalogue {
    static CATALOGUE: std::sync::LazyLock<Catalogue> = std::sync::LazyLock::new(|| {
        let mut bundles = Vec::new();
        let mut plain: std::collections::HashMap<Lang, std::collections::HashMap<String, String>> =
            std::collections::HashMap::new();
        for (lang, source) in SOURCES {
            // A file that does not parse is caught by the tests; what parses is served.
            let resource = fluent_bundle::FluentResource::try_new(source.to_string())
                .unwrap_or_else(|(partial, _)| partial);
            let ids: Vec<String> = resource
                .entries()
                .filter_map(|e| match e {
                    fluent_syntax::ast::Entry::Message(m) => Some(m.id.name.to_string()),
                    _ => None,
                })
                .collect();
            let locale = lang.code().parse().unwrap_or_default();
            let mut bundle = Bundle::new_concurrent(vec![locale]);
            // Pages are HTML, escaped by us: no Unicode isolation marks around variables.
            bundle.set_use_isolating(false);
            let _ = bundle.add_resource(resource);
            for id in ids {
                if let Some(text) = format(&bundle, &id, None) {
                    plain.entry(*lang).or_default().insert(id, text);
                }
            }
            bundles.push((*lang, bundle));
        }
        Catalogue { bundles, plain }
    });
    &CATALOGUE
}

fn format(bundle: &Bundle, key: &str, args: Option<&fluent_bundle::FluentArgs>) -> Option<String> {
    let pattern = bundle.get_message(key)?.value()?;
    let mut errors = Vec::new();
    Some(
        bundle
            .format_pattern(pattern, args, &mut errors)
            .into_owned(),
    )
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

/// The time zone pages show times in.
pub const TIME_ZONE: &str = "Europe/Amsterdam";

const MONTHS: [[&str; 12]; 2] = [
    [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
    [
        "januari",
        "februari",
        "maart",
        "april",
        "mei",
        "juni",
        "juli",
        "augustus",
        "september",
        "oktober",
        "november",
        "december",
    ],
];

fn local(t: waarborg_govern::Timestamp) -> Option<jiff::civil::DateTime> {
    let tz = jiff::tz::TimeZone::get(TIME_ZONE).ok()?;
    let at = jiff::Timestamp::from_second(t.0).ok()?;
    Some(at.to_zoned(tz).datetime())
}

/// `t` as a date in the reader's language, in [`TIME_ZONE`]: `2 April 2027`, `2 april 2027`.
pub fn date(lang: Lang, t: waarborg_govern::Timestamp) -> String {
    match local(t) {
        Some(d) => {
            let month = MONTHS[usize::from(lang == Lang::Nl)][(d.month() - 1) as usize];
            format!("{} {month} {}", d.day(), d.year())
        }
        None => t.to_string(),
    }
}

/// `t` as a date and time in the reader's language, in [`TIME_ZONE`]: `2 April 2027, 14:05`.
pub fn date_time(lang: Lang, t: waarborg_govern::Timestamp) -> String {
    match local(t) {
        Some(d) => format!("{}, {:02}:{:02}", date(lang, t), d.hour(), d.minute()),
        None => t.to_string(),
    }
}

/// A role in words (`role_*`).
pub fn role_name(lang: Lang, role: waarborg_govern::Role) -> &'static str {
    t(lang, &format!("role_{}", role.as_str()))
}

/// The message `key` in `lang`; `??` if it is missing (a test forbids that).
pub fn t(lang: Lang, key: &str) -> &'static str {
    catalogue()
        .plain
        .get(&lang)
        .and_then(|messages| messages.get(key))
        .map_or("??", String::as_str)
}

/// The message `key` in `lang` with its variables (`{ $name }`) filled in.
pub fn t_with(lang: Lang, key: &str, vars: &[(&str, String)]) -> String {
    let mut args = fluent_bundle::FluentArgs::new();
    for (name, value) in vars {
        args.set(*name, value.clone());
    }
    catalogue()
        .bundles
        .iter()
        .find(|(l, _)| *l == lang)
        .and_then(|(_, b)| format(b, key, Some(&args)))
        .unwrap_or_else(|| "??".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(source: &str) -> Vec<String> {
        let resource = match fluent_bundle::FluentResource::try_new(source.to_string()) {
            Ok(r) => r,
            Err((_, errors)) => panic!("a locale file does not parse: {errors:?}"),
        };
        resource
            .entries()
            .filter_map(|e| match e {
                fluent_syntax::ast::Entry::Message(m) => Some(m.id.name.to_string()),
                _ => None,
            })
            .collect()
    }

    /// Every file parses; every language has the same keys, each once, none empty.
    #[test]
    fn every_message_exists_in_every_language_once() {
        let english = keys(SOURCES[0].1);
        let mut seen = std::collections::HashSet::new();
        for k in &english {
            assert!(seen.insert(k), "{k} twice");
        }
        for (lang, source) in SOURCES {
            let mut these = keys(source);
            these.sort();
            let mut expected = english.clone();
            expected.sort();
            assert_eq!(these, expected, "{} differs from English", lang.code());
            for k in &these {
                assert!(
                    !t(*lang, k).trim().is_empty(),
                    "{k} empty in {}",
                    lang.code()
                );
                assert_ne!(t(*lang, k), "??", "{k} does not format in {}", lang.code());
            }
        }
        assert_eq!(t(Lang::Nl, "login"), "Inloggen");
        assert_eq!(t(Lang::En, "no-such-key"), "??");
        assert_eq!(
            t_with(Lang::En, "figures_point", &[("n", "12".into())]),
            "computed from the first 12 entries of the audit ledger"
        );
    }

    /// Dates in the reader's words and Amsterdam's time, summer and winter.
    #[test]
    fn dates_are_local_and_in_the_readers_language() {
        let summer = waarborg_govern::Timestamp::parse("2027-04-02T12:05:00Z").unwrap();
        assert_eq!(date_time(Lang::En, summer), "2 April 2027, 14:05");
        assert_eq!(date_time(Lang::Nl, summer), "2 april 2027, 14:05");
        let winter = waarborg_govern::Timestamp::parse("2026-12-31T23:30:00Z").unwrap();
        assert_eq!(date(Lang::Nl, winter), "1 januari 2027");
    }

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
    /// (`t(lang, "…")`, `layout.t("…")`)
    /// exists, and every key is named somewhere in the code — as a literal, or as the
    /// suffix of the keys the pages build (`step_…`, `field_…`, and `refusal_…` from the
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
        ] {
            for entry in std::fs::read_dir(crates.join(dir)).unwrap() {
                let path = entry.unwrap().path();
                let source = path.extension().is_some_and(|e| e == "rs" || e == "html");
                if source && !path.ends_with("i18n.rs") {
                    code.push_str(&std::fs::read_to_string(&path).unwrap());
                }
            }
        }
        let known: std::collections::HashSet<String> = keys(SOURCES[0].1).into_iter().collect();
        let asked = regex_free_calls(&code);
        for key in &asked {
            assert!(known.contains(key), "t(lang, {key:?}) has no message");
        }
        let mut unused: Vec<&String> = known
            .iter()
            .filter(|key| {
                let built = ["step_", "field_", "refusal_", "role_", "stage_"]
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
