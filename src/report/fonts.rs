//! The fonts embedded in reports, text measurement and line wrapping.
//!
//! DejaVu Sans (regular and bold) covers Latin, Greek, Cyrillic, arrows and most symbols.
//! Characters it lacks (Chinese, Japanese, Korean …) fall back to Droid Sans Fallback,
//! which is parsed and embedded only when a report needs it. Every glyph keeps its id
//! when a font is embedded; only the outlines of unused glyphs are dropped
//! ([`strip_unused_glyphs`]), so a report carries tens of kilobytes of font instead of
//! megabytes.

use printpdf::ParsedFont;
use std::collections::{BTreeMap, BTreeSet};
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

/// A copy of a TrueType font where every glyph not in `keep` (nor a component of a kept
/// composite glyph, nor glyph 0) has an empty outline. Glyph ids, metrics and the cmap
/// are unchanged, so text encoded against the full font stays valid. Layout tables that
/// a PDF reader never uses (GSUB, GPOS, kern, …) are dropped. Returns `None` when the
/// font is not a plain TrueType (`glyf`) font; the caller then embeds it whole.
pub fn strip_unused_glyphs(font: &[u8], keep: &BTreeSet<u16>) -> Option<Vec<u8>> {
    let num_tables = usize::from(be16(font, 4)?);
    let mut tables: BTreeMap<[u8; 4], &[u8]> = BTreeMap::new();
    for i in 0..num_tables {
        let rec = 12 + 16 * i;
        let tag: [u8; 4] = font.get(rec..rec + 4)?.try_into().ok()?;
        let off = be32(font, rec + 8)? as usize;
        let len = be32(font, rec + 12)? as usize;
        tables.insert(tag, font.get(off..off.checked_add(len)?)?);
    }
    let head = *tables.get(b"head")?;
    let maxp = *tables.get(b"maxp")?;
    let loca = *tables.get(b"loca")?;
    let glyf = *tables.get(b"glyf")?;
    let num_glyphs = usize::from(be16(maxp, 4)?);
    let long = be16(head, 50)? == 1;
    let offset = |g: usize| -> Option<usize> {
        if long {
            be32(loca, 4 * g).map(|v| v as usize)
        } else {
            be16(loca, 2 * g).map(|v| 2 * usize::from(v))
        }
    };
    let glyph = |g: usize| -> Option<&[u8]> {
        let (a, b) = (offset(g)?, offset(g + 1)?);
        if b < a {
            return None;
        }
        glyf.get(a..b)
    };
    // Close the set over composite glyph components.
    let mut wanted: BTreeSet<u16> = keep
        .iter()
        .copied()
        .filter(|&g| usize::from(g) < num_glyphs)
        .collect();
    wanted.insert(0);
    let mut stack: Vec<u16> = wanted.iter().copied().collect();
    while let Some(g) = stack.pop() {
        let data = glyph(usize::from(g))?;
        if data.len() < 10 || (be16(data, 0)? as i16) >= 0 {
            continue;
        }
        let mut p = 10;
        loop {
            let flags = be16(data, p)?;
            let comp = be16(data, p + 2)?;
            if usize::from(comp) < num_glyphs && wanted.insert(comp) {
                stack.push(comp);
            }
            p += 4 + if flags & 0x0001 != 0 { 4 } else { 2 };
            p += if flags & 0x0008 != 0 {
                2
            } else if flags & 0x0040 != 0 {
                4
            } else if flags & 0x0080 != 0 {
                8
            } else {
                0
            };
            if flags & 0x0020 == 0 {
                break;
            }
        }
    }
    let mut new_glyf: Vec<u8> = Vec::new();
    let mut new_loca: Vec<u8> = Vec::with_capacity(4 * (num_glyphs + 1));
    for g in 0..num_glyphs {
        new_loca.extend_from_slice(&(new_glyf.len() as u32).to_be_bytes());
        if wanted.contains(&(g as u16)) {
            new_glyf.extend_from_slice(glyph(g)?);
            while !new_glyf.len().is_multiple_of(4) {
                new_glyf.push(0);
            }
        }
    }
    new_loca.extend_from_slice(&(new_glyf.len() as u32).to_be_bytes());
    let mut new_head = head.to_vec();
    new_head.get_mut(8..12)?.copy_from_slice(&[0; 4]); // checkSumAdjustment
    new_head
        .get_mut(50..52)?
        .copy_from_slice(&1u16.to_be_bytes()); // long loca
    // post format 3: no glyph names.
    let mut post = tables
        .get(b"post")
        .map(|p| p.get(..32).unwrap_or(p).to_vec())
        .unwrap_or_default();
    if post.len() == 32 {
        post[..4].copy_from_slice(&0x0003_0000u32.to_be_bytes());
    }
    let mut out_tables: BTreeMap<[u8; 4], Vec<u8>> = BTreeMap::new();
    for (tag, data) in &tables {
        let keep_table = matches!(
            tag,
            b"cmap"
                | b"cvt "
                | b"fpgm"
                | b"hhea"
                | b"hmtx"
                | b"maxp"
                | b"name"
                | b"OS/2"
                | b"prep"
                | b"gasp"
        );
        if keep_table {
            out_tables.insert(*tag, data.to_vec());
        }
    }
    out_tables.insert(*b"head", new_head);
    out_tables.insert(*b"loca", new_loca);
    out_tables.insert(*b"glyf", new_glyf);
    if post.len() == 32 {
        out_tables.insert(*b"post", post);
    }
    Some(write_sfnt(&out_tables))
}

fn write_sfnt(tables: &BTreeMap<[u8; 4], Vec<u8>>) -> Vec<u8> {
    let n = tables.len() as u16;
    let mut pow = 1u16;
    let mut log = 0u16;
    while pow * 2 <= n {
        pow *= 2;
        log += 1;
    }
    let mut out = Vec::new();
    out.extend_from_slice(&0x0001_0000u32.to_be_bytes());
    out.extend_from_slice(&n.to_be_bytes());
    out.extend_from_slice(&(pow * 16).to_be_bytes());
    out.extend_from_slice(&log.to_be_bytes());
    out.extend_from_slice(&(n * 16 - pow * 16).to_be_bytes());
    let mut offset = 12 + 16 * tables.len();
    let mut body = Vec::new();
    for (tag, data) in tables {
        let sum = checksum(data);
        out.extend_from_slice(tag);
        out.extend_from_slice(&sum.to_be_bytes());
        out.extend_from_slice(&(offset as u32).to_be_bytes());
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        body.extend_from_slice(data);
        let pad = (4 - data.len() % 4) % 4;
        body.extend(std::iter::repeat_n(0u8, pad));
        offset += data.len() + pad;
    }
    out.extend_from_slice(&body);
    out
}

fn checksum(data: &[u8]) -> u32 {
    data.chunks(4).fold(0u32, |acc, c| {
        let mut b = [0u8; 4];
        b[..c.len()].copy_from_slice(c);
        acc.wrapping_add(u32::from_be_bytes(b))
    })
}

fn be16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
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

    #[test]
    fn stripped_font_still_parses_with_same_ids() {
        let f = Fonts::load().unwrap();
        let gid = f.regular.lookup_glyph_index('A' as u32).unwrap();
        let keep: BTreeSet<u16> = [gid].into_iter().collect();
        let small = strip_unused_glyphs(REGULAR_TTF, &keep).unwrap();
        assert!(small.len() < REGULAR_TTF.len() / 2);
        let p = ParsedFont::from_bytes(&small, 0, &mut Vec::new()).unwrap();
        assert_eq!(p.lookup_glyph_index('A' as u32), Some(gid));
    }
}
