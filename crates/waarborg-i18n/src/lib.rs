//! Waarborg's words in English and Dutch: the Fluent files in `locales/{en,nl}` at the
//! repository's root, embedded in the binary and shared by the pages (`waarborg-server`) and
//! the reports (`waarborg-report`). Tests here check that every file parses and that both
//! languages have the same keys; the server's tests check that none is missing from the code
//! and none unused.

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

fn local(seconds: i64) -> Option<jiff::civil::DateTime> {
    let tz = jiff::tz::TimeZone::get(TIME_ZONE).ok()?;
    let at = jiff::Timestamp::from_second(seconds).ok()?;
    Some(at.to_zoned(tz).datetime())
}

/// `t` as a date in the reader's language, in [`TIME_ZONE`]: `2 April 2027`, `2 april 2027`.
pub fn date(lang: Lang, seconds: i64) -> String {
    match local(seconds) {
        Some(d) => {
            let month = MONTHS[usize::from(lang == Lang::Nl)][(d.month() - 1) as usize];
            format!("{} {month} {}", d.day(), d.year())
        }
        None => format!("{seconds}s since 1970"),
    }
}

/// `t` as a date and time in the reader's language, in [`TIME_ZONE`]: `2 April 2027, 14:05`.
pub fn date_time(lang: Lang, seconds: i64) -> String {
    match local(seconds) {
        Some(d) => format!("{}, {:02}:{:02}", date(lang, seconds), d.hour(), d.minute()),
        None => format!("{seconds}s since 1970"),
    }
}

/// The message keys (those of the English file, which every language has: a test checks).
pub fn keys() -> Vec<String> {
    keys_of(SOURCES[0].1)
}

fn keys_of(source: &str) -> Vec<String> {
    match fluent_bundle::FluentResource::try_new(source.to_string()) {
        Ok(resource) => resource
            .entries()
            .filter_map(|e| match e {
                fluent_syntax::ast::Entry::Message(m) => Some(m.id.name.to_string()),
                _ => None,
            })
            .collect(),
        Err(_) => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every file parses; every language has the same keys, each once, none empty.
    #[test]
    fn every_message_exists_in_every_language_once() {
        let english = keys();
        assert!(english.len() > 100, "the English file does not parse");
        let mut seen = std::collections::HashSet::new();
        for k in &english {
            assert!(seen.insert(k), "{k} twice");
        }
        for (lang, source) in SOURCES {
            if let Err((_, errors)) = fluent_bundle::FluentResource::try_new(source.to_string()) {
                panic!("{} does not parse: {errors:?}", lang.code());
            }
            let mut these = keys_of(source);
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

    /// Dutch as a Dutch examiner writes it (issue 18 item 7): one word for each thing — the
    /// words on the left are not used, the ones on the right are — and no message left in
    /// English but the few that read the same in Dutch.
    #[test]
    fn the_dutch_uses_one_word_for_each_thing_and_leaves_nothing_in_english() {
        const NOT_SAID: [(&str, &str); 7] = [
            ("examinator", "gezichtsvergelijker"),
            ("zoekvraag", "zoekactie"),
            ("zoekopdracht", "zoekactie"),
            ("verificator", "verificateur"),
            ("kandidaatlijst", "kandidatenlijst"),
            ("grootboek", "logboek"),
            ("referentieafbeelding", "referentiebeeld"),
        ];
        const SAME_IN_DUTCH: [&str; 13] = [
            "kind_of_use_experiment",
            "report_indicator",
            "incident",
            "monitoring",
            "monitoring_indicator",
            "score",
            "manifest_sha256",
            "factor",
            "role_auditor",
            "report_status",
            "prepared_contrast",
            "prepared_gamma",
            "prepare_contrast",
        ];
        let mut wrong = Vec::new();
        for key in keys() {
            let dutch = t(Lang::Nl, &key).to_lowercase();
            for (word, say) in NOT_SAID {
                if dutch.contains(word) {
                    wrong.push(format!("{key}: says {word:?}, write {say:?}"));
                }
            }
            if t(Lang::Nl, &key) == t(Lang::En, &key) && !SAME_IN_DUTCH.contains(&key.as_str()) {
                wrong.push(format!("{key}: still in English"));
            }
        }
        assert!(wrong.is_empty(), "{wrong:#?}");
    }

    /// Dates in the reader's words and Amsterdam's time, summer and winter.
    #[test]
    fn dates_are_local_and_in_the_readers_language() {
        let summer = 1_806_667_500; // 2027-04-02T12:05:00Z
        assert_eq!(date_time(Lang::En, summer), "2 April 2027, 14:05");
        assert_eq!(date_time(Lang::Nl, summer), "2 april 2027, 14:05");
        let winter = 1_798_759_800; // 2026-12-31T23:30:00Z
        assert_eq!(date(Lang::Nl, winter), "1 januari 2027");
    }
}
