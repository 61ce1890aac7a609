//! The fonts embedded in reports, text measurement and line wrapping.
//!
//! DejaVu Sans (regular and bold) covers Latin, Greek, Cyrillic, arrows and most symbols.
//! Characters it lacks (Chinese, Japanese, Korean …) fall back to Droid Sans Fallback,
//! which is parsed and embedded only when a report needs it. Every glyph keeps its id
//! when a font is embedded; only the outlines of unused glyphs are dropped
//! ([`subset`]), so a report carries tens of kilobytes of font instead of
//! megabytes.

use printpdf::ParsedFont;
use std::collections::BTreeSet;
use std::sync::OnceLock;

const REGULAR_TTF: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
const BOLD_TTF: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans-Bold.ttf");
const FALLBACK_TTF: &[u8] = include_bytes!("../../assets/fonts/DroidSansFallbackFull.ttf");

/// One of the embedded faces.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Face {
    /// DejaVu Sans.
    Regular,
    /// DejaVu Sans Bold.
    Bold,
    /// Droid Sans Fallback, for characters DejaVu lacks.
    Fallback,
}

impl Face {
    /// Every face, in resource order.
    pub const ALL: [Face; 3] = [Face::Regular, Face::Bold, Face::Fallback];

    /// The PDF resource name of the face (stable, so output is reproducible).
    pub fn resource(self) -> &'static str {
        match self {
            Face::Regular => "F1",
            Face::Bold => "F2",
            Face::Fallback => "F3",
        }
    }

    /// The PostScript name written as the PDF base font.
    pub fn postscript_name(self) -> &'static str {
        match self {
            Face::Regular => "DejaVuSans",
            Face::Bold => "DejaVuSans-Bold",
            Face::Fallback => "DroidSansFallbackFull",
        }
    }
}

fn parse(bytes: &[u8], name: &str) -> Option<ParsedFont> {
    let mut warnings = Vec::new();
    let mut f = ParsedFont::from_bytes(bytes, 0, &mut warnings)?;
    f.font_name = Some(name.to_owned());
    Some(f)
}

static REGULAR: OnceLock<Option<ParsedFont>> = OnceLock::new();
static BOLD: OnceLock<Option<ParsedFont>> = OnceLock::new();
static FALLBACK: OnceLock<Option<ParsedFont>> = OnceLock::new();

/// The parsed report fonts. Parsing happens once per process; the fallback face is
/// parsed only when a character needs it.
#[derive(Clone, Copy)]
pub struct Fonts {
    regular: &'static ParsedFont,
    bold: &'static ParsedFont,
}

/// A piece of text drawn in one face.
#[derive(Clone, Debug, PartialEq)]
pub struct Run {
    /// The face.
    pub face: Face,
    /// The text.
    pub text: String,
    /// Its advance width at the size it was measured for.
    pub width: f64,
}

impl Fonts {
    /// Parses the built-in fonts (once per process).
    pub fn load() -> Result<Fonts, String> {
        let regular = REGULAR
            .get_or_init(|| parse(REGULAR_TTF, Face::Regular.postscript_name()))
            .as_ref()
            .ok_or("the embedded DejaVu Sans font could not be parsed")?;
        let bold = BOLD
            .get_or_init(|| parse(BOLD_TTF, Face::Bold.postscript_name()))
            .as_ref()
            .ok_or("the embedded DejaVu Sans Bold font could not be parsed")?;
        Ok(Fonts { regular, bold })
    }

    /// The parsed font of a face (the fallback is parsed on first use).
    pub fn font(&self, face: Face) -> Option<&'static ParsedFont> {
        match face {
            Face::Regular => Some(self.regular),
            Face::Bold => Some(self.bold),
            Face::Fallback => FALLBACK
                .get_or_init(|| parse(FALLBACK_TTF, Face::Fallback.postscript_name()))
                .as_ref(),
        }
    }

    fn primary(&self, bold: bool) -> (&'static ParsedFont, Face) {
        if bold {
            (self.bold, Face::Bold)
        } else {
            (self.regular, Face::Regular)
        }
    }

    /// Which face draws `c`: the primary face when it has the glyph, else the fallback
    /// when it has it, else the primary face (which then shows its missing-glyph box).
    pub fn face_for(&self, c: char, bold: bool) -> Face {
        let (font, face) = self.primary(bold);
        if font.lookup_glyph_index(c as u32).is_some_and(|g| g != 0) || c.is_ascii() {
            return face;
        }
        match self.font(Face::Fallback) {
            Some(fb) if fb.lookup_glyph_index(c as u32).is_some_and(|g| g != 0) => Face::Fallback,
            _ => face,
        }
    }

    /// Whether `c` can be drawn by some embedded face.
    pub fn has_glyph(&self, c: char) -> bool {
        let face = self.face_for(c, false);
        self.font(face)
            .and_then(|f| f.lookup_glyph_index(c as u32))
            .is_some_and(|g| g != 0)
    }

    fn char_width_units(&self, c: char, face: Face) -> f64 {
        let Some(font) = self.font(face) else {
            return 0.0;
        };
        let upm = f64::from(font.units_per_em.max(1));
        let gid = font.lookup_glyph_index(c as u32).unwrap_or(0);
        f64::from(font.get_glyph_width(gid).unwrap_or(0)) / upm
    }

    /// Splits text into runs of one face each, with their widths at `size`.
    pub fn runs(&self, text: &str, size: f64, bold: bool) -> Vec<Run> {
        let mut out: Vec<Run> = Vec::new();
        for c in text.chars() {
            let c = clean_char(c);
            let face = self.face_for(c, bold);
            let w = self.char_width_units(c, face) * size;
            match out.last_mut() {
                Some(r) if r.face == face => {
                    r.text.push(c);
                    r.width += w;
                }
                _ => out.push(Run {
                    face,
                    text: c.to_string(),
                    width: w,
                }),
            }
        }
        out
    }

    /// The advance width of text at `size` points.
    pub fn width(&self, text: &str, size: f64, bold: bool) -> f64 {
        text.chars()
            .map(|c| {
                let c = clean_char(c);
                self.char_width_units(c, self.face_for(c, bold))
            })
            .sum::<f64>()
            * size
    }

    /// Wraps text into lines no wider than `max` at `size`: breaks at spaces, and inside
    /// words (or CJK text) only when a word alone is too wide. Newlines are kept.
    pub fn wrap(&self, text: &str, size: f64, bold: bool, max: f64) -> Vec<String> {
        let mut lines = Vec::new();
        let space = self.width(" ", size, bold);
        for para in text.split('\n') {
            let mut line = String::new();
            let mut line_w = 0.0;
            for word in para.split(' ').filter(|w| !w.is_empty()) {
                let ww = self.width(word, size, bold);
                let sep = if line.is_empty() { 0.0 } else { space };
                if line_w + sep + ww <= max {
                    if !line.is_empty() {
                        line.push(' ');
                    }
                    line.push_str(word);
                    line_w += sep + ww;
                    continue;
                }
                if ww <= max {
                    if !line.is_empty() {
                        lines.push(std::mem::take(&mut line));
                    }
                    line.push_str(word);
                    line_w = ww;
                    continue;
                }
                // A word wider than the line: break it after a hyphen, slash, dot or
                // underscore when the first part fits, else between characters.
                if !line.is_empty() {
                    lines.push(std::mem::take(&mut line));
                    line_w = 0.0;
                }
                let mut word = word;
                while let Some(cut) = word
                    .char_indices()
                    .rev()
                    .filter(|(_, c)| matches!(c, '-' | '/' | '.' | '_' | ':'))
                    .map(|(i, c)| i + c.len_utf8())
                    .find(|&i| i < word.len() && self.width(&word[..i], size, bold) <= max)
                {
                    lines.push(word[..cut].to_owned());
                    word = &word[cut..];
                    if self.width(word, size, bold) <= max {
                        break;
                    }
                }
                for c in word.chars() {
                    let cw = self.width(c.encode_utf8(&mut [0; 4]), size, bold);
                    if line_w + cw > max && !line.is_empty() {
                        lines.push(std::mem::take(&mut line).trim_end().to_owned());
                        line_w = 0.0;
                    }
                    line.push(c);
                    line_w += cw;
                }
            }
            lines.push(line);
        }
        if lines.is_empty() {
            lines.push(String::new());
        }
        lines
    }

    /// Shortens text with an ellipsis so that it fits in `max`.
    pub fn ellipsize(&self, text: &str, size: f64, bold: bool, max: f64) -> String {
        if self.width(text, size, bold) <= max {
            return text.to_owned();
        }
        let ell = self.width("…", size, bold);
        let mut out = String::new();
        let mut w = 0.0;
        for c in text.chars() {
            let cw = self.width(c.encode_utf8(&mut [0; 4]), size, bold);
            if w + cw + ell > max {
                break;
            }
            out.push(c);
            w += cw;
        }
        out.push('…');
        out
    }
}

/// Replaces characters no font should be asked to draw (tabs, control characters).
pub fn clean_char(c: char) -> char {
    if c == '\t' || c.is_control() { ' ' } else { c }
}

/// A copy of a font for embedding: every glyph not in `keep` (nor a component of a kept
/// composite glyph, nor glyph 0) loses its outline, and the tables a PDF reader never uses
/// (layout, naming, the character map) are dropped. Glyph ids and metrics are unchanged,
/// so text encoded against the full font stays valid. Done by the `subsetter` crate's
/// PDF profile (its 0.1 line, which keeps glyph ids; 0.2 renumbers them, which printpdf's
/// text encoding could not follow). `None` when the font cannot be subset; the caller
/// then embeds it whole.
pub fn subset(font: &[u8], keep: &BTreeSet<u16>) -> Option<Vec<u8>> {
    let glyphs: Vec<u16> = keep.iter().copied().collect();
    subsetter::subset(font, 0, subsetter::Profile::pdf(&glyphs)).ok()
}

/// The raw bytes of a face as shipped.
pub fn face_bytes(face: Face) -> &'static [u8] {
    match face {
        Face::Regular => REGULAR_TTF,
        Face::Bold => BOLD_TTF,
        Face::Fallback => FALLBACK_TTF,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dejavu_lacks_cjk_and_fallback_has_it() {
        let f = Fonts::load().unwrap();
        assert_eq!(f.face_for('é', false), Face::Regular);
        assert_eq!(f.face_for('→', true), Face::Bold);
        assert_eq!(f.face_for('日', false), Face::Fallback);
        let runs = f.runs("ab日本c", 10.0, false);
        assert_eq!(runs.len(), 3);
    }

    #[test]
    fn wrapping_respects_width() {
        let f = Fonts::load().unwrap();
        let text = "the quick brown fox jumps over the lazy dog again and again";
        for l in f.wrap(text, 10.0, false, 80.0) {
            assert!(f.width(&l, 10.0, false) <= 80.0 + 1e-6, "{l}");
        }
        let long = "x".repeat(100);
        assert!(f.wrap(&long, 10.0, false, 50.0).len() > 3);
    }

    /// The subset keeps the glyphs asked for under their ids and drops the rest: one
    /// glyph of DejaVu Sans is a few kilobytes, and a report's whole Latin text a small
    /// part of the font.
    #[test]
    fn a_subset_keeps_the_glyphs_it_is_asked_for() {
        let f = Fonts::load().unwrap();
        let gids: BTreeSet<u16> = "Ab"
            .chars()
            .map(|c| f.regular.lookup_glyph_index(c as u32).unwrap())
            .collect();
        let small = subset(REGULAR_TTF, &gids).unwrap();
        assert!(small.len() < REGULAR_TTF.len() / 10, "{}", small.len());
        let text: BTreeSet<u16> = "The quick brown fox jumps over the lazy dog 0123456789"
            .chars()
            .map(|c| f.regular.lookup_glyph_index(c as u32).unwrap())
            .collect();
        let bigger = subset(REGULAR_TTF, &text).unwrap();
        assert!(bigger.len() > small.len());
        // Same glyph count (ids unchanged): maxp.numGlyphs at offset 4 of `maxp`.
        let num_glyphs = |font: &[u8]| {
            let n = usize::from(u16::from_be_bytes([font[4], font[5]]));
            (0..n)
                .map(|i| 12 + 16 * i)
                .find(|&r| &font[r..r + 4] == b"maxp")
                .map(|r| {
                    let off = u32::from_be_bytes(font[r + 8..r + 12].try_into().unwrap()) as usize;
                    u16::from_be_bytes([font[off + 4], font[off + 5]])
                })
        };
        assert_eq!(num_glyphs(&small), num_glyphs(REGULAR_TTF));
        assert!(num_glyphs(REGULAR_TTF).unwrap_or(0) > 5_000);
    }
}
