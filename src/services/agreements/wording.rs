//! "Clarify, don't assume": vague phrases in an agreement's text come back as
//! warnings that say the turnaround is what counts.

/// Phrases that promise speed without saying how fast, matched as whole
/// words, case-insensitively.
const VAGUE_PHRASES: [&str; 18] = [
    "as soon as possible",
    "at your earliest convenience",
    "in a timely manner",
    "whenever possible",
    "when possible",
    "right away",
    "straight away",
    "immediately",
    "urgently",
    "urgent",
    "promptly",
    "quickly",
    "shortly",
    "timely",
    "asap",
    "soon",
    "fast",
    "quick",
];

/// One warning per vague phrase found in each field, in field order.
pub fn vague_phrase_warnings(fields: &[(&str, &str)], turnaround_text: &str) -> Vec<String> {
    let mut warnings = Vec::new();
    for (field, text) in fields {
        let lower = text.to_lowercase();
        let mut taken: Vec<(usize, usize)> = Vec::new();
        for phrase in VAGUE_PHRASES {
            for (start, _) in lower.match_indices(phrase) {
                let end = start + phrase.len();
                let whole_word = !lower[..start].ends_with(char::is_alphanumeric)
                    && !lower[end..].starts_with(char::is_alphanumeric);
                // Longer phrases come first; skip "soon" inside "as soon as possible".
                let overlaps = taken.iter().any(|&(s, e)| start < e && s < end);
                if whole_word && !overlaps {
                    taken.push((start, end));
                    // Quote the author's own spelling when the byte offsets
                    // of the lower-cased text still line up with it.
                    let quoted = text
                        .get(start..end)
                        .filter(|original| original.to_lowercase() == phrase)
                        .unwrap_or(phrase);
                    warnings.push(format!(
                        "'{quoted}' in {field} is vague: the turnaround ({turnaround_text}) is what counts"
                    ));
                }
            }
        }
    }
    warnings
}

#[cfg(test)]
mod tests {
    use super::vague_phrase_warnings;

    #[test]
    fn finds_whole_vague_phrases_once_each() {
        let warnings = vague_phrase_warnings(
            &[
                ("title", "Review ASAP"),
                ("deliverable", "Reply as soon as possible"),
            ],
            "16 business hours",
        );
        assert_eq!(
            warnings,
            [
                "'ASAP' in title is vague: the turnaround (16 business hours) is what counts",
                "'as soon as possible' in deliverable is vague: the turnaround (16 business hours) is what counts",
            ]
        );
    }

    #[test]
    fn ignores_words_that_merely_contain_a_phrase() {
        assert!(
            vague_phrase_warnings(
                &[("title", "Breakfast soonish; fastener")],
                "1 business day"
            )
            .is_empty()
        );
    }
}
