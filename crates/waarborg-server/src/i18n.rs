//! Every string of the web interface, in English and Dutch.

/// A language of the interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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

/// (key, English, Dutch).
pub const STRINGS: &[(&str, &str, &str)] = &[
    ("app_tagline", "Governed retrospective facial identification", "Gecontroleerde gezichtsherkenning achteraf"),
    ("login", "Log in", "Inloggen"),
    ("logout", "Log out", "Uitloggen"),
    ("user", "User name", "Gebruikersnaam"),
    ("password", "Password", "Wachtwoord"),
    ("role", "Role", "Rol"),
    ("login_failed", "Login failed", "Inloggen mislukt"),
    ("register", "Register of face-recognition uses", "Register van gezichtsherkenningstoepassingen"),
    ("register_public_intro", "Every use of face recognition in this organisation, public and without login.", "Elke toepassing van gezichtsherkenning in deze organisatie, openbaar en zonder inloggen."),
    ("deployment", "Deployment", "Inzet"),
    ("system", "System", "Systeem"),
    ("state", "State", "Status"),
    ("purpose", "Purpose", "Doel"),
    ("valid", "Valid", "Geldig"),
    ("searches", "Searches", "Zoekopdrachten"),
    ("search", "Search", "Zoekopdracht"),
    ("searched_with", "searched with this face", "gezocht met dit gezicht"),
    ("new_search", "New search", "Nieuwe zoekopdracht"),
    ("case", "Case", "Zaak"),
    ("probe_source", "Source of the probe image", "Herkomst van het zoekbeeld"),
    ("probe_image", "Probe image", "Zoekbeeld"),
    ("submit", "Submit", "Indienen"),
    ("faces", "Faces found", "Gevonden gezichten"),
    ("face", "Face", "Gezicht"),
    ("quality", "Quality", "Kwaliteit"),
    ("sufficient", "sufficient", "voldoende"),
    ("insufficient", "insufficient", "onvoldoende"),
    ("search_with_face", "Search with this face", "Zoek met dit gezicht"),
    ("stop_insufficient", "Stop: insufficient quality", "Stoppen: onvoldoende kwaliteit"),
    ("candidates", "Candidate list", "Kandidatenlijst"),
    ("candidates_note", "Candidates are never identifications: an identification exists only after independent verification.", "Kandidaten zijn nooit identificaties: een identificatie bestaat pas na onafhankelijke verificatie."),
    ("rank", "Rank", "Rang"),
    ("reference", "Reference image", "Referentiebeeld"),
    ("score", "Score", "Score"),
    ("database", "Reference database", "Referentiedatabase"),
    ("proposal", "Proposal", "Voorstel"),
    ("conclusion", "Conclusion", "Conclusie"),
    ("candidate_x", "Candidate", "Kandidaat"),
    ("no_identification", "No identification", "Geen identificatie"),
    ("inconclusive", "Inconclusive", "Niet te beoordelen"),
    ("reasoning", "Reasoning", "Onderbouwing"),
    ("propose", "Propose", "Voorstellen"),
    ("verification", "Verification", "Verificatie"),
    ("verdict", "Verdict", "Oordeel"),
    ("agree", "Agree", "Eens"),
    ("disagree", "Disagree", "Oneens"),
    ("reasons", "Reasons", "Redenen"),
    ("record_verification", "Record my verification", "Mijn verificatie vastleggen"),
    ("blind_note", "The other verifiers' judgements are shown once yours is recorded.", "De oordelen van de andere verificateurs worden getoond zodra het uwe is vastgelegd."),
    ("outcome", "Outcome", "Uitkomst"),
    ("outcome_identification", "Identification — an investigative lead, never proof — of reference image", "Identificatie — een opsporingsindicatie, nooit bewijs — van referentiebeeld"),
    ("outcome_not_confirmed", "Not confirmed by the verifiers", "Niet bevestigd door de verificateurs"),
    ("stage", "Stage", "Stadium"),
    ("queue", "Proposals awaiting your verification", "Voorstellen die op uw verificatie wachten"),
    ("nothing", "Nothing here.", "Niets hier."),
    ("ledger", "Audit ledger", "Auditlogboek"),
    ("counters", "Per deployment, from the ledger", "Per inzet, uit het logboek"),
    ("insufficient_probes", "Probes of insufficient quality", "Zoekbeelden van onvoldoende kwaliteit"),
    ("identifications", "Identifications", "Identificaties"),
    ("entries", "Entries", "Regels"),
    ("verified", "Verified", "Geverifieerd"),
    ("not_verified", "NOT verified", "NIET geverifieerd"),
    ("checkpoint", "Latest signed checkpoint", "Laatste ondertekende controlepunt"),
    ("proof", "Inclusion proof", "Insluitingsbewijs"),
    ("refused", "Refused", "Geweigerd"),
    ("error", "Something went wrong", "Er ging iets mis"),
    ("back", "Back", "Terug"),
    ("home", "Home", "Start"),
    ("language", "Nederlands", "English"),
    ("signed_in_as", "Signed in as", "Ingelogd als"),
    ("reference_database", "Reference database", "Referentiedatabank"),
    ("refdb_size", "Size", "Omvang"),
    ("refdb_records", "Reference images", "Referentiebeelden"),
    ("refdb_templates", "Templates per database", "Templates per databank"),
    ("refdb_awaiting_compaction", "Erased templates awaiting compaction", "Gewiste templates die op compactie wachten"),
    ("retention_plan", "Retention plan", "Bewaarplan"),
    ("retention_plan_note", "Images due for erasure now, with the rule and the reason. The service erases them at start and every 24 hours, each with a deletion receipt in the ledger.", "Beelden die nu gewist moeten worden, met de regel en de reden. De dienst wist ze bij de start en elke 24 uur, elk met een verwijderbewijs in het logboek."),
    ("due_now", "Due now", "Nu te wissen"),
    ("due_since", "Due since", "Te wissen sinds"),
    ("rule", "Rule", "Regel"),
    ("reason", "Reason", "Reden"),
    ("reference_image", "Reference image", "Referentiebeeld"),
    ("duplicate_flags", "Possible duplicate persons", "Mogelijk dubbele personen"),
    ("duplicate_flags_note", "A new image very similar to an image of another person. Never merged automatically: review it and record what you found.", "Een nieuw beeld dat sterk lijkt op een beeld van een andere persoon. Nooit automatisch samengevoegd: beoordeel het en leg vast wat u vond."),
    ("person", "Person (pseudonym)", "Persoon (pseudoniem)"),
    ("similar_to", "Similar to image", "Lijkt op beeld"),
    ("other_person", "Other person", "Andere persoon"),
    ("review", "Review", "Beoordeling"),
    ("review_finding", "What the review found", "Bevinding van de beoordeling"),
    ("clear_flag", "Clear the flag", "Markering opheffen"),
    ("imports", "Bulk imports", "Bulkimports"),
    ("manifest_sha256", "Manifest (SHA-256)", "Manifest (SHA-256)"),
    ("rows", "Rows", "Rijen"),
    ("accepted", "Accepted", "Geaccepteerd"),
    ("rejected", "Rejected", "Afgewezen"),
    ("erased", "Erased since", "Sindsdien gewist"),
    ("source_kind", "Source", "Bron"),
    ("offence", "Offence", "Delict"),
    ("captured", "Captured", "Vastgelegd"),
    ("capturing_unit", "Capturing unit", "Vastleggende eenheid"),
    ("enrolled", "Enrolled", "Opgenomen"),
    ("previous_page", "Previous page", "Vorige pagina"),
    ("next_page", "Next page", "Volgende pagina"),
    ("first_page", "First page", "Eerste pagina"),
    ("nothing_due", "Nothing is due for erasure now.", "Er hoeft nu niets gewist te worden."),
    ("no_flags", "No flags await review.", "Er wachten geen markeringen op beoordeling."),
    ("no_imports", "No bulk imports yet.", "Nog geen bulkimports."),
    ("no_records", "No reference images on this page.", "Geen referentiebeelden op deze pagina."),
    ("probe_and_candidate", "Probe and candidate", "Zoekbeeld en kandidaat"),
    ("probe_face", "The face searched with", "Het gezicht waarmee is gezocht"),
    ("provenance", "Provenance of the reference image", "Herkomst van het referentiebeeld"),
    ("no_reference_image", "No image stored (synthetic record)", "Geen beeld opgeslagen (synthetisch record)"),
    ("no_provenance", "No record of this reference image", "Geen record van dit referentiebeeld"),
    ("years_maximum", "years maximum", "jaar maximaal"),
    ("legal_basis", "Legal basis", "Wettelijke grondslag"),
    ("revision", "Revision", "Versie"),
    ("framework", "Framework", "Inzetkader"),
    ("not_yet_submitted", "applies once submitted", "geldt na indiening"),
    ("review_due", "Next review due", "Volgende evaluatie uiterlijk"),
    ("overdue", "overdue: use is suspended until reviewed", "te laat: gebruik is opgeschort tot de evaluatie"),
    ("advice", "Committee advice", "Advies van de commissie"),
    ("factors", "Weighing factors", "Wegingsfactoren"),
    ("factor", "Factor", "Factor"),
    ("assessments", "Committee members' judgements", "Oordelen van commissieleden"),
    ("preconditions", "Preconditions", "Randvoorwaarden"),
    ("precondition", "Precondition", "Randvoorwaarde"),
    ("checked_by_machine", "checked by the system from the revision", "door het systeem gecontroleerd aan de hand van de versie"),
    ("attested_by", "attested by the role", "verklaard door de rol"),
    ("not_yet", "not yet", "nog niet"),
    ("your_step", "Your step", "Uw stap"),
    ("your_assessment", "Your assessment of every factor and precondition", "Uw beoordeling van elke factor en randvoorwaarde"),
    ("step", "Step", "Stap"),
    ("decide", "Record this step", "Deze stap vastleggen"),
    ("weighing", "Weighs", "Weegt"),
    ("weighing_favourable", "in favour", "in het voordeel"),
    ("weighing_concerns", "with concerns", "met bedenkingen"),
    ("weighing_unfavourable", "decisively against", "doorslaggevend tegen"),
    ("history", "History", "Geschiedenis"),
    ("when", "When", "Wanneer"),
    ("who", "Who", "Wie"),
    ("step_submit", "Submit for review", "Indienen ter beoordeling"),
    ("step_activate", "Start use", "Gebruik starten"),
    ("step_end", "End use", "Gebruik beëindigen"),
    ("step_withdraw", "Withdraw", "Intrekken"),
    ("step_declare_conflict", "Declare a conflict of interest", "Belangenverstrengeling melden"),
    ("step_assess", "Record my assessment", "Mijn beoordeling vastleggen"),
    ("step_attest", "Attest", "Verklaren"),
    ("step_advise_positive", "Advise: positive", "Advies: positief"),
    ("step_advise_positive_with_conditions", "Advise: positive with conditions (in the reasons)", "Advies: positief onder voorwaarden (in de motivering)"),
    ("step_advise_negative", "Advise: negative", "Advies: negatief"),
    ("step_review_continue", "Review: continue use", "Evaluatie: gebruik voortzetten"),
    ("step_review_suspend", "Review: suspend use", "Evaluatie: gebruik opschorten"),
    ("step_evaluate", "Evaluate after use", "Evalueren na gebruik"),
    ("step_ratify", "Ratify", "Vaststellen"),
    ("step_refuse_ratification", "Refuse ratification", "Vaststelling weigeren"),
    ("step_suspend", "Suspend at once", "Direct opschorten"),
    ("step_approve_experiment", "Approve the experiment", "Experiment goedkeuren"),
    ("step_authority_approve", "Approve (competent authority)", "Goedkeuren (bevoegd gezag)"),
    ("step_authority_decline", "Decline (competent authority)", "Afwijzen (bevoegd gezag)"),
    ("cases", "Cases", "Zaken"),
    ("cases_note", "A search runs only for a case the competent authority has authorised (or, where the deployment allows urgent use, for 48 hours until the decision). The outcome is an investigative lead, never proof.", "Er wordt alleen gezocht voor een zaak waarvoor het bevoegd gezag toestemming gaf (of, waar de inzet spoedeisend gebruik toestaat, 48 uur tot de beslissing). De uitkomst is een opsporingsindicatie, nooit bewijs."),
    ("no_cases", "No case requests.", "Geen zaakverzoeken."),
    ("authority_decision", "Decision of the competent authority", "Beslissing van het bevoegd gezag"),
    ("case_authorised", "authorised", "toegestaan"),
    ("case_pending", "awaiting the decision; no search yet", "wacht op de beslissing; nog niet zoeken"),
    ("case_urgent_until", "urgent use, decision due by", "spoedeisend, beslissing uiterlijk"),
    ("case_refused", "refused", "geweigerd"),
    ("case_late", "urgent use without a decision in time: searching stopped", "spoedeisend zonder tijdige beslissing: zoeken gestopt"),
    ("grant", "Grant", "Toestaan"),
    ("refuse", "Refuse", "Weigeren"),
    ("request_search", "Request a search for a case", "Een zoekactie voor een zaak aanvragen"),
    ("offence_category", "Offence category (as the deployment's scope names it)", "Delictcategorie (zoals de inzet die noemt)"),
    ("max_sentence", "Maximum sentence of the offence (years)", "Maximale straf op het delict (jaren)"),
    ("competent_authority", "Competent authority", "Bevoegd gezag"),
    ("public_prosecutor", "Public prosecutor", "Officier van justitie"),
    ("investigating_judge", "Investigating judge", "Rechter-commissaris"),
    ("urgent_use", "Urgent: search before the decision (only where the deployment allows; decision needed within 48 hours)", "Spoed: zoeken vóór de beslissing (alleen waar de inzet dat toestaat; beslissing binnen 48 uur nodig)"),
    ("request", "Request", "Aanvragen"),
    ("search_in_progress", "search in progress", "zoekactie loopt"),
    ("new_deployment", "Propose a deployment", "Een inzet voorstellen"),
    ("proposal_intro", "Prefilled from the template for a retrospective search in criminal investigations with the approved models: change every field to what you propose. It is registered as a draft; you submit it for review on its page. The committee weighs the factors on the right; the preconditions must hold.", "Vooraf ingevuld met het sjabloon voor retrospectief zoeken in opsporingsonderzoeken met de goedgekeurde modellen: pas elk veld aan. Het wordt als concept geregistreerd; u dient het in op de eigen pagina. De commissie weegt de factoren rechts; de randvoorwaarden moeten gelden."),
    ("propose_draft", "Register as a draft", "Als concept registreren"),
    ("met_by_template", "met by the values in the form", "voldaan met de waarden in het formulier"),
    ("field_id", "Deployment key (lowercase letters, digits, '-')", "Sleutel van de inzet (kleine letters, cijfers, '-')"),
    ("field_name", "Name", "Naam"),
    ("field_probe_sources", "Probe sources (comma-separated)", "Bronnen van zoekbeelden (kommagescheiden)"),
    ("field_offence_categories", "Offence categories (comma-separated)", "Delictcategorieën (kommagescheiden)"),
    ("field_min_max_sentence_years", "Offences with a maximum sentence of at least (years)", "Delicten met een strafmaximum van ten minste (jaren)"),
    ("field_area", "Area", "Gebied"),
    ("field_valid_from", "Valid from", "Geldig vanaf"),
    ("field_valid_until", "Valid until", "Geldig tot"),
    ("field_model_sha256", "Models (SHA-256 each, comma-separated)", "Modellen (elk een SHA-256, kommagescheiden)"),
    ("field_detector_settings", "Detector settings", "Instellingen van de detector"),
    ("field_score_threshold", "Score threshold", "Drempelwaarde score"),
    ("field_candidate_list_length", "Candidate list length", "Lengte van de kandidatenlijst"),
    ("field_verifiers_required", "Independent verifiers required", "Vereiste onafhankelijke verificateurs"),
    ("field_examiners", "Examiners (user names, comma-separated)", "Examinatoren (gebruikersnamen, kommagescheiden)"),
    ("field_probe_days", "Keep probes (days)", "Zoekbeelden bewaren (dagen)"),
    ("field_result_days", "Keep results (days)", "Resultaten bewaren (dagen)"),
    ("field_reporting_duties", "Reporting duties", "Rapportageverplichtingen"),
    ("field_dpia_reference", "DPIA reference", "Kenmerk DPIA"),
    ("field_dpia_approved", "The DPIA is approved", "De DPIA is goedgekeurd"),
    ("field_algorithm_register_text", "Algorithm-register text (Dutch)", "Tekst voor het algoritmeregister"),
    ("field_review_interval_days", "Review during use every (days)", "Evaluatie tijdens gebruik elke (dagen)"),
    ("field_urgent_use_allowed", "Urgent use allowed (search before the authority's decision, 48 hours)", "Spoedeisend gebruik toegestaan (zoeken vóór de beslissing van het bevoegd gezag, 48 uur)"),
    ("field_experiment", "An experiment (both portfolio holders approve)", "Een experiment (beide portefeuillehouders keuren goed)"),
    ("field_deploying_unit", "Deploying unit", "Inzettende eenheid"),
    ("account", "Your account", "Uw account"),
    ("one_time_code", "One-time code (if your account has a second factor)", "Eenmalige code (als uw account een tweede factor heeft)"),
    ("second_factor", "Second factor (one-time codes)", "Tweede factor (eenmalige codes)"),
    ("second_factor_off", "Your account has no second factor. With one, every login also needs the six-digit code from an authenticator app.", "Uw account heeft geen tweede factor. Daarmee vraagt elke login ook de zescijferige code uit een authenticator-app."),
    ("second_factor_start", "Set up a second factor", "Een tweede factor instellen"),
    ("second_factor_pending", "Enter this secret in your authenticator app (or the otpauth address below), then confirm with the code it shows. Until you confirm, logins need no code.", "Voer dit geheim in uw authenticator-app in (of het otpauth-adres hieronder) en bevestig met de code die de app toont. Tot de bevestiging vraagt inloggen geen code."),
    ("second_factor_confirm", "Confirm", "Bevestigen"),
    ("second_factor_on", "A second factor is on: every login needs a one-time code.", "Een tweede factor staat aan: elke login vraagt een eenmalige code."),
    ("second_factor_remove", "Remove the second factor", "De tweede factor verwijderen"),
    ("field_purpose", "Purpose", "Doel"),
    ("field_system", "System", "Systeem"),
    ("field_reference_databases", "Reference databases (comma-separated)", "Referentiedatabanken (kommagescheiden)"),
    ("reports", "Reports", "Rapportages"),
    ("reports_intro", "Every figure is computed now from the audit ledger, which must verify first; each report states the ledger point (entries and root hash) it comes from, so anyone with a copy of the ledger can recompute it.", "Elk cijfer wordt nu berekend uit het auditlogboek, dat eerst moet kloppen; elke rapportage vermeldt het punt in het logboek (aantal regels en wortelhash) waaruit ze komt, zodat iedereen met een kopie van het logboek haar kan narekenen."),
    ("report_figures", "Figures for a period", "Cijfers over een periode"),
    ("from", "From", "Van"),
    ("to_exclusive", "Up to (not including)", "Tot (niet inbegrepen)"),
    ("format", "Format", "Formaat"),
    ("language_of_report", "Language of the report", "Taal van de rapportage"),
    ("make_report", "Make the report", "Rapportage maken"),
    ("report_annual", "Yearly report (AI Act, Article 26(10))", "Jaarverslag (AI-verordening, artikel 26, lid 10)"),
    ("report_annual_note", "To the market surveillance authority and the national data protection authority: figures only, no sensitive operational data.", "Aan de markttoezichtautoriteit en de nationale gegevensbeschermingsautoriteit: alleen aantallen, geen gevoelige operationele gegevens."),
    ("year", "Year", "Jaar"),
    ("report_framework", "The framework at work (half-yearly overview)", "De werking van het inzetkader (halfjaarlijks overzicht)"),
    ("report_publish", "Algorithm register and EU database", "Algoritmeregister en EU-databank"),
    ("report_publish_note", "The register export follows the Algoritmeregister publication standard 1.0.0; nothing is exported while a field it requires is missing or too long.", "De export volgt de publicatiestandaard 1.0.0 van het Algoritmeregister; er wordt niets geëxporteerd zolang een verplicht veld ontbreekt of te lang is."),
    ("check", "Check", "Controle"),
    ("ready_for_export", "ready for export", "klaar voor export"),
    ("report_verify", "Verify a report", "Een rapportage controleren"),
    ("report_verify_note", "Paste a report made earlier (JSON): every figure is recomputed from the ledger at the report's point, and each difference is named.", "Plak een eerder gemaakte rapportage (JSON): elk cijfer wordt opnieuw berekend uit het logboek op het punt van de rapportage, en elk verschil wordt genoemd."),
    ("report_json", "Report (JSON)", "Rapportage (JSON)"),
    ("verify_report", "Verify", "Controleren"),
    ("report_matches", "Every figure matches the ledger.", "Elk cijfer klopt met het logboek."),
    ("report_differs", "The ledger gives other figures than the report says:", "Het logboek geeft andere cijfers dan de rapportage zegt:"),
    ("figure", "Figure", "Cijfer"),
    ("report_says", "The report says", "De rapportage zegt"),
    ("ledger_gives", "The ledger gives", "Het logboek geeft"),
    ("register_text", "Published text", "Gepubliceerde tekst"),
    ("yearly_figures", "Figures", "Cijfers"),
    ("mode", "Mode", "Modus"),
    ("save_texts", "Save the texts", "Teksten opslaan"),
    ("texts_note", "What the organisation publishes about this use, in Dutch: the algorithm register's fields (publication standard 1.0.0) and the EU database registration. Nothing is exported while the register would refuse a field.", "Wat de organisatie over deze toepassing publiceert: de velden van het algoritmeregister (publicatiestandaard 1.0.0) en de registratie in de EU-databank. Er wordt niets geëxporteerd zolang het register een veld zou weigeren."),
    ("figures_unavailable", "No figures are shown: they would come from a ledger that does not verify.", "Er worden geen cijfers getoond: ze zouden komen uit een logboek dat niet klopt."),
    ("no_figures", "No uses recorded in this year.", "Geen gebruik vastgelegd in dit jaar."),
    ("figures_point", "computed from the first {n} entries of the audit ledger", "berekend uit de eerste {n} regels van het auditlogboek"),
    ("probes_submitted", "Probe images submitted", "Ingediende zoekbeelden"),
    ("public_insufficient", "Of insufficient quality", "Van onvoldoende kwaliteit"),
    ("searches_done", "Searches", "Zoekacties"),
    ("public_identifications", "Identifications confirmed", "Bevestigde identificaties"),
    ("not_confirmed", "Not confirmed", "Niet bevestigd"),
];

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

/// The string `key` in `lang`; the key itself if it is missing (a test forbids that).
pub fn t(lang: Lang, key: &str) -> &'static str {
    STRINGS
        .iter()
        .find(|(k, _, _)| *k == key)
        .map_or("??", |(_, en, nl)| match lang {
            Lang::En => en,
            Lang::Nl => nl,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_string_exists_in_both_languages_once() {
        let mut keys = std::collections::HashSet::new();
        for (k, en, nl) in STRINGS {
            assert!(keys.insert(k), "{k} twice");
            assert!(!en.is_empty() && !nl.is_empty(), "{k} untranslated");
        }
        assert_eq!(t(Lang::Nl, "login"), "Inloggen");
        assert_eq!(t(Lang::En, "no-such-key"), "??");
    }
}
