//! The one place where text that came from the network (or from an input
//! file) is made harmless for each output, and the one [`excerpt`] every
//! error message quotes input through. Shared by every stage.
//!
//! A certificate subject is attacker-chosen: it can carry HTML, a
//! spreadsheet formula, terminal escape sequences or bidi overrides that
//! make `exe.txt` read as `txt.exe`. Each renderer calls exactly one
//! function from here, so the rules live side by side and are tested
//! together.

use std::fmt::Write as _;

/// Whether `c` must never reach a reader as itself: C0/C1 controls, DEL,
/// and the invisible characters that reorder or hide text (bidi
/// embeddings, overrides and isolates, direction marks, zero-width
/// characters, line/paragraph separators, the BOM).
pub fn is_hidden_or_control(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{1F}'
        | '\u{7F}'..='\u{9F}'
        | '\u{61C}'
        | '\u{200B}'..='\u{200F}'
        | '\u{2028}'..='\u{202E}'
        | '\u{2060}'..='\u{2069}'
        | '\u{FEFF}'
        | '\u{FFF9}'..='\u{FFFB}')
}

/// Rewrite every hidden or control character as visible `\u{XXXX}` text,
/// keeping `keep` (e.g. newlines in our own multi-line remediation).
pub(crate) fn visible_except(text: &str, keep: &[char]) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if is_hidden_or_control(c) && !keep.contains(&c) {
            // Writing to a String cannot fail.
            let _ = write!(out, "\\u{{{:04X}}}", u32::from(c));
        } else {
            out.push(c);
        }
    }
    out
}

/// One-line text with every hidden or control character shown as
/// `\u{XXXX}`. Used for the terminal: an ESC byte becomes the six visible
/// characters `\u{1B}`, so a certificate cannot recolour or rewrite the
/// screen.
pub fn visible(text: &str) -> String {
    visible_except(text, &[])
}

/// The handlebars escape function for report.html: bidi and control
/// characters made visible, then HTML-escaped so the text is safe both as
/// element content and inside a quoted attribute. Newlines and tabs stay:
/// remediation blocks are multi-line and HTML treats them as white space.
pub fn html(text: &str) -> String {
    // Most values (numbers, dates, thumbprints) need nothing; skip the
    // rewriting passes for them, which matters on fleets of thousands.
    let plain = |c: char| {
        !matches!(c, '&' | '<' | '>' | '"' | '\'' | '`' | '=')
            && (!is_hidden_or_control(c) || c == '\n' || c == '\t')
    };
    if text.chars().all(plain) {
        return text.to_string();
    }
    let shown = visible_except(text, &['\n', '\t']);
    let mut out = String::with_capacity(shown.len() + 16);
    for c in shown.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            '`' => out.push_str("&#x60;"),
            '=' => out.push_str("&#x3D;"),
            _ => out.push(c),
        }
    }
    out
}

/// A CSV cell for text that may come from the network. Hidden characters
/// are made visible, and a cell that a spreadsheet would run as a formula
/// (leading `=`, `+`, `-`, `@`, tab or CR) gets a leading `'`, which Excel
/// and LibreOffice treat as "this is text". Multi-line text keeps its
/// newlines; the csv crate quotes them.
pub fn csv_text(text: &str) -> String {
    // Tab and CR are checked on the raw text: they are the formula
    // triggers the issue names, and visible() would otherwise hide them.
    let formula_like = matches!(
        text.chars().next(),
        Some('=' | '+' | '-' | '@' | '\t' | '\r')
    );
    let shown = visible_except(text, &['\n']);
    let cell = if formula_like {
        format!("'{shown}")
    } else {
        shown
    };
    fit_excel_cell(cell)
}

/// Excel's limit on the characters in one cell; longer text is cut there
/// when the file is opened, silently.
pub const EXCEL_CELL_CHARS: usize = 32_767;

/// Written at the end of a cell excert had to cut, so the cut is visible.
pub const EXCEL_CUT_MARK: &str = " [cut: longer than Excel's 32,767-character cell limit]";

fn fit_excel_cell(cell: String) -> String {
    if cell.chars().count() <= EXCEL_CELL_CHARS {
        return cell;
    }
    let keep = EXCEL_CELL_CHARS - EXCEL_CUT_MARK.chars().count();
    let mut cut: String = cell.chars().take(keep).collect();
    cut.push_str(EXCEL_CUT_MARK);
    cut
}

/// Longest excerpt of an input quoted in an error message, in characters.
pub const MAX_EXCERPT_CHARS: usize = 80;

/// A short excerpt of untrusted text for an error message: at most
/// [`MAX_EXCERPT_CHARS`] characters, control and invisible characters shown
/// as `\u{XXXX}`, and `...` when cut.
pub fn excerpt(text: &str) -> String {
    let mut cut: String = text.chars().take(MAX_EXCERPT_CHARS).collect();
    let more = text.chars().nth(MAX_EXCERPT_CHARS).is_some();
    cut = visible(&cut);
    if more {
        cut.push_str("...");
    }
    cut
}

/// The excerpt of line `line` (1-based) of `text`, trimmed; `None` when
/// the text has no such line.
pub fn line_excerpt(text: &str, line: usize) -> Option<String> {
    let l = text.lines().nth(line.checked_sub(1)?)?;
    Some(excerpt(l.trim()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpt_is_short_and_visible() {
        let long = "a".repeat(10_000);
        assert_eq!(excerpt(&long).chars().count(), MAX_EXCERPT_CHARS + 3);
        assert_eq!(excerpt("x\u{1b}[31m"), "x\\u{001B}[31m");
    }

    #[test]
    fn bidi_override_is_shown_not_applied() {
        assert_eq!(visible("a\u{202E}b"), "a\\u{202E}b");
        assert_eq!(html("a\u{202E}b"), "a\\u{202E}b");
    }

    #[test]
    fn ansi_escape_cannot_reach_the_terminal() {
        let out = visible("\u{1b}[31mred\u{9b}0m");
        assert!(!out.contains('\u{1b}') && !out.contains('\u{9b}'));
        assert_eq!(out, "\\u{001B}[31mred\\u{009B}0m");
    }

    #[test]
    fn html_escapes_markup_and_attribute_breakers() {
        assert_eq!(
            html("<script>\"x'=`&"),
            "&lt;script&gt;&quot;x&#x27;&#x3D;&#x60;&amp;"
        );
    }

    #[test]
    fn csv_neutralises_formula_triggers_only_at_the_start() {
        for lead in ["=", "+", "-", "@", "\t", "\r"] {
            assert!(
                csv_text(&format!("{lead}1+1")).starts_with('\''),
                "{lead:?}"
            );
        }
        assert_eq!(csv_text("CN=EX01"), "CN=EX01");
        assert_eq!(
            csv_text("=HYPERLINK(\"http://x\")"),
            "'=HYPERLINK(\"http://x\")"
        );
    }

    #[test]
    fn csv_cells_stay_within_excels_limit_and_say_they_were_cut() {
        let long = "a".repeat(100_000);
        let cell = csv_text(&long);
        assert_eq!(cell.chars().count(), EXCEL_CELL_CHARS);
        assert!(cell.ends_with(EXCEL_CUT_MARK));
        let short = csv_text("EX01");
        assert_eq!(short, "EX01");
    }
}
