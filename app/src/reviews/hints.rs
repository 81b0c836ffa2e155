//! Blameless-language hints: phrases in a review that put the weight on a
//! person, or judge with hindsight, each with a suggestion to describe the
//! conditions instead. Advice only: a hint never stops a save.
//!
//! The rule: some phrases always judge ("human error", "careless", "why
//! didn't", "blame"). Others ("should have", "failed to", "forgot to",
//! "didn't", "missed", "broke") only judge when a person is their subject:
//! a pronoun (I, we, you, he, she, they, someone, nobody), a person's role
//! word (engineer, developer, on-call, operator, responder, admin), or a
//! name from the roster, right before the phrase. So "Sam should have
//! checked" and "we failed to notice" raise a hint, while "the alert
//! should have fired, but it was disabled" describes a system and does
//! not. Written by hand rather than with regular expressions: the same
//! code runs in the browser as the author types, and stays small there.
use serde::Serialize;

/// One hint: where it is in the text (byte offsets), what was said, and
/// what to write instead.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Hint {
    pub start: usize,
    pub end: usize,
    pub phrase: String,
    pub advice: &'static str,
}

/// Phrases that judge wherever they stand, with their advice.
pub const ALWAYS: &[(&str, &str)] = &[
    ("human error", "Name the conditions that made the slip easy: the tool, the prompt, the load, the missing check."),
    ("operator error", "Name the conditions that made the slip easy: the tool, the prompt, the load, the missing check."),
    ("careless", "Describe what the person saw and knew at the time, and what made the safe path harder."),
    ("carelessness", "Describe what the person saw and knew at the time, and what made the safe path harder."),
    ("negligent", "Describe what the person saw and knew at the time, and what made the safe path harder."),
    ("negligence", "Describe what the person saw and knew at the time, and what made the safe path harder."),
    ("sloppy", "Describe the work as it was done and what made it hard to do otherwise."),
    ("why didn't", "Ask what made the action reasonable at the time, not why it was not another."),
    ("why did nobody", "Ask what made the action reasonable at the time, not why it was not another."),
    ("to blame", "A review looks for causes in the system, not for someone to blame."),
    ("blamed", "A review looks for causes in the system, not for someone to blame."),
    ("at fault", "A review looks for causes in the system, not for someone at fault."),
    ("obviously", "What is obvious afterwards was rarely obvious at the time: say what was known then."),
];

/// Phrases that judge when a person is their subject.
pub const WITH_A_PERSON: &[(&str, &str)] = &[
    ("should have", "Hindsight: say what the person knew at the time, and what would have made the other path easier."),
    ("shouldn't have", "Hindsight: say what the person knew at the time, and what would have made the other path easier."),
    ("could have", "Hindsight: say what the person knew at the time, and what would have made the other path easier."),
    ("failed to", "Say what happened and what stood in the way, rather than what a person did not do."),
    ("forgot to", "Say what would have reminded anyone: a checklist step, an alert, a default."),
    ("neglected to", "Say what happened and what stood in the way, rather than what a person did not do."),
    ("didn't", "Say what happened and what stood in the way, rather than what a person did not do."),
    ("did not", "Say what happened and what stood in the way, rather than what a person did not do."),
    ("missed", "Say what made the signal easy to miss: its place, its noise, its timing."),
    ("broke", "Say which change did what, and what let it through."),
    ("ignored", "Say what made the signal look unimportant at the time."),
];

/// Words that make the subject a person.
pub const PERSON_WORDS: &[&str] = &[
    "i",
    "we",
    "you",
    "he",
    "she",
    "they",
    "someone",
    "somebody",
    "nobody",
    "anyone",
    "engineer",
    "engineers",
    "developer",
    "developers",
    "on-call",
    "oncall",
    "operator",
    "operators",
    "responder",
    "responders",
    "admin",
    "admins",
];

/// `text` as HTML with each hint's words in a `<mark>` that carries its
/// advice as a title; everything else escaped.
pub fn marked_html(text: &str, hints: &[Hint]) -> String {
    use crate::ui::escape_html as escape;
    let mut out = String::new();
    let mut at = 0;
    for h in hints {
        out.push_str(&escape(&text[at..h.start]));
        out.push_str(&format!(
            "<mark class=\"hint\" title=\"{}\">{}</mark>",
            escape(h.advice),
            escape(&text[h.start..h.end])
        ));
        at = h.end;
    }
    out.push_str(&escape(&text[at..]));
    out
}

/// Every hint in `text`; `names` are the people on the roster (first
/// names and full names both count).
pub fn hints(text: &str, names: &[String]) -> Vec<Hint> {
    // ASCII case folding: it keeps every byte offset where it was (full
    // Unicode lowercasing can change lengths), every phrase is ASCII, and
    // it keeps Unicode's case tables out of the browser's download. Names
    // are folded the same way, so "José" still finds "josé".
    let lower = text.to_ascii_lowercase();
    let names: Vec<String> = names
        .iter()
        .flat_map(|n| {
            let n = n.to_ascii_lowercase();
            let first = n.split_whitespace().next().unwrap_or_default().to_owned();
            [n, first]
        })
        .filter(|n| !n.is_empty())
        .collect();
    // How many words before a phrase can name its subject: three ("Sam
    // really should have"), or a whole name from the roster.
    let near = names
        .iter()
        .map(|n| n.split(' ').count())
        .fold(3, usize::max);
    let mut out: Vec<Hint> = Vec::new();
    // Kept in order (by start, the longer first) as they are found: a
    // handful at most, and no sort routine shipped to the browser for it.
    let mut add = |start: usize, phrase: &str, advice: &'static str| {
        let h = hint(text, start, phrase.len(), advice);
        let at = out.partition_point(|k| (k.start, h.end) <= (h.start, k.end));
        out.insert(at, h);
    };
    for (phrase, advice) in ALWAYS {
        for start in find_words(&lower, phrase) {
            add(start, phrase, advice);
        }
    }
    for (phrase, advice) in WITH_A_PERSON {
        for start in find_words(&lower, phrase) {
            if person_before(&lower[..start], &names, near) {
                add(start, phrase, advice);
            }
        }
    }
    // A shorter phrase inside a longer one ("did not" in "why did not")
    // is one hint, not two.
    let mut kept: Vec<Hint> = Vec::new();
    for h in out {
        if kept.last().is_none_or(|k| h.start >= k.end) {
            kept.push(h);
        }
    }
    kept
}

fn hint(text: &str, start: usize, len: usize, advice: &'static str) -> Hint {
    Hint {
        start,
        end: start + len,
        phrase: text[start..start + len].to_owned(),
        advice,
    }
}

/// Letters, digits, apostrophes and hyphens make words. Outside ASCII,
/// everything but the General Punctuation block (dashes, quotes, ...)
/// counts as a letter: close enough for word edges, and no Unicode tables
/// in the browser.
fn is_word(c: char) -> bool {
    c.is_ascii_alphanumeric()
        || matches!(c, '\'' | '’' | '-')
        || (!c.is_ascii() && !('\u{2000}'..='\u{206F}').contains(&c))
}

/// Where `phrase` stands in `text` as whole words.
fn find_words(text: &str, phrase: &str) -> Vec<usize> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(i) = text[from..].find(phrase) {
        let start = from + i;
        let end = start + phrase.len();
        let before = text[..start].chars().next_back();
        let after = text[end..].chars().next();
        if !before.is_some_and(is_word) && !after.is_some_and(is_word) {
            found.push(start);
        }
        from = start + phrase.len().max(1);
    }
    found
}

/// Whether the words right before a phrase (within its clause) name a
/// person: the last `near` words before it, read backwards from the phrase
/// and no further, so the work is the same however long the text before
/// it is (all of it, read for each phrase, made long reviews quadratic).
fn person_before(before: &str, names: &[String], near: usize) -> bool {
    let words = last_words(before, near);
    // "Sam really should have", "the engineer should have": a person word
    // or a one-word name among the last three; a longer name right before.
    let close = || words.iter().take(3);
    close().any(|w| PERSON_WORDS.contains(w))
        || names.iter().any(|n| {
            let len = n.split(' ').count();
            if len == 1 {
                return close().any(|w| w == n);
            }
            len <= words.len() && {
                let mut tail: Vec<&str> = words[..len].to_vec();
                tail.reverse();
                tail.join(" ") == *n
            }
        })
}

/// The last `want` words of `before`'s last clause, nearest first.
fn last_words(before: &str, want: usize) -> Vec<&str> {
    let mut words = Vec::with_capacity(want);
    let mut end = None;
    for (i, c) in before.char_indices().rev() {
        #[cfg(test)]
        LOOKED.with(|n| n.set(n.get() + 1));
        let stop = matches!(c, '.' | ',' | ';' | ':' | '!' | '?' | '\n' | '(' | ')');
        match (is_word(c) && !stop, end) {
            (true, None) => end = Some(i + c.len_utf8()),
            (false, Some(e)) => {
                words.push(&before[i + c.len_utf8()..e]);
                end = None;
            }
            _ => {}
        }
        if stop || words.len() == want {
            return words;
        }
    }
    if let Some(e) = end {
        words.push(&before[..e]);
    }
    words
}

#[cfg(test)]
thread_local! {
    /// Characters `last_words` looked at on this thread (tests read it).
    static LOOKED: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

#[cfg(test)]
mod tests {
    use super::*;

    fn phrases(text: &str) -> Vec<String> {
        hints(text, &["Sam Ortiz".to_owned(), "Priya Shah".to_owned()])
            .into_iter()
            .map(|h| h.phrase)
            .collect()
    }

    #[test]
    fn blame_and_hindsight_are_found_wherever_they_stand() {
        assert_eq!(
            phrases("The outage was caused by human error."),
            ["human error"]
        );
        assert_eq!(
            phrases("Why didn't anyone check the dashboard?"),
            ["Why didn't"]
        );
        assert_eq!(phrases("A careless deploy on Friday."), ["careless"]);
        assert_eq!(phrases("Obviously the key was exposed."), ["Obviously"]);
    }

    #[test]
    fn a_person_as_the_subject_of_a_failure_raises_a_hint() {
        assert_eq!(phrases("Sam should have rotated the key."), ["should have"]);
        assert_eq!(
            phrases("Priya Shah forgot to publish the notice."),
            ["forgot to"]
        );
        assert_eq!(
            phrases("We failed to notice the queue growing."),
            ["failed to"]
        );
        assert_eq!(phrases("The on-call engineer missed the page."), ["missed"]);
        assert_eq!(phrases("sam broke checkout"), ["broke"]);
    }

    #[test]
    fn a_system_as_the_subject_raises_none() {
        for text in [
            "The alert should have fired, but it was disabled.",
            "The retry worker failed to back off.",
            "The deploy broke checkout for 12 minutes.",
            "The dashboard missed two data points.",
            "Samples should have been larger.",
            "The breakage was contained.",
            "A failed charge is retried.",
        ] {
            assert_eq!(phrases(text), Vec::<String>::new(), "{text}");
        }
    }

    #[test]
    fn a_hint_points_at_its_words_and_says_what_to_write() {
        let text = "Root cause: human error. Sam should have known.";
        let found = hints(text, &["Sam Ortiz".to_owned()]);
        assert_eq!(found.len(), 2);
        assert_eq!(&text[found[0].start..found[0].end], "human error");
        assert!(found[0].advice.contains("conditions"));
        assert_eq!(&text[found[1].start..found[1].end], "should have");
        assert!(found[1].advice.starts_with("Hindsight"));
    }

    #[test]
    fn marked_text_escapes_everything_but_its_marks() {
        let text = "<b>human error</b> & more";
        let html = marked_html(text, &hints(text, &[]));
        assert!(
            html.starts_with("&lt;b&gt;<mark class=\"hint\" title=\"Name the conditions"),
            "{html}"
        );
        assert!(
            html.ends_with(">human error</mark>&lt;/b&gt; &amp; more"),
            "{html}"
        );
    }

    #[test]
    fn a_phrase_inside_a_longer_one_is_one_hint() {
        assert_eq!(
            phrases("Why did nobody see it? Nobody did not look."),
            ["Why did nobody", "did not"]
        );
    }
}

#[cfg(test)]
mod beyond_ascii {
    use super::*;

    #[test]
    fn text_and_names_outside_ascii_are_matched_at_the_right_place() {
        // "İ" lowercases to two characters in Unicode: offsets must hold.
        let text = "İstanbul team: José forgot to renew — human error, “careless”.";
        let found = hints(text, &["José Álvarez".to_owned()]);
        let words: Vec<&str> = found.iter().map(|h| &text[h.start..h.end]).collect();
        assert_eq!(words, ["forgot to", "human error", "careless"]);
        assert!(
            hints("Ωcareless, ωhuman error", &[]).is_empty(),
            "a letter outside ASCII is part of the word"
        );
        assert_eq!(
            hints("It was carelessly done’", &[]).len(),
            0,
            "'carelessly' is its own word"
        );
    }

    #[test]
    fn hints_look_only_at_the_few_words_before_a_phrase() {
        // 40,000 phrases with no clause break: each looks back a few words,
        // never at everything before it.
        let text = "x missed ".repeat(40_000);
        LOOKED.with(|n| n.set(0));
        assert!(hints(&text, &["Sam Ortiz".into()]).is_empty());
        let looked = LOOKED.with(std::cell::Cell::get);
        assert!(
            looked <= text.len() * 4,
            "{looked} characters looked at for a text of {}",
            text.len()
        );
        // Still found: a name, a person word, and a name of two words.
        let found: Vec<String> = hints(
            "Sam Ortiz missed it; we missed it; the alert missed it.",
            &["Sam Ortiz".to_owned()],
        )
        .into_iter()
        .map(|h| h.phrase)
        .collect();
        assert_eq!(found, ["missed", "missed"]);
        let names = ["Sam Ortiz".to_owned()];
        assert_eq!(hints("and then sam ortiz missed it", &names).len(), 1);
        assert_eq!(hints("and then ortiz missed it", &names).len(), 0);
    }
}
